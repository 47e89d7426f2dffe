#!/usr/bin/env python3
"""fuse_roundtrip.py - holdfs-fuse under a real kernel FUSE mount (KTAP).

    python3 tests/fuse_roundtrip.py [--build-dir build] [--keep]

`make test` runs it as build/host/test_fuse (a wrapper the Makefile
writes), so `make test ONLY=fuse` runs it alone.  It prints KTAP; every
case skips, saying why, when FUSE cannot be used here (no /dev/fuse, or
it cannot be opened, no fusermount3, holdfs-fuse not built).

What it checks, on fresh images made with mkfs.holdfs:
  - hard links: every name of a file shows the holdfs inode number (the
    host `holdfs IMAGE stat` tool reads it from the unmounted image) and,
    at once after each link, unlink or rename made through the mount, the
    current link count; data and size written through one name are what
    the other reads at once; readdir's d_ino agrees with stat;
  - attributes: chmod, chown and utimens (UTIME_NOW, UTIME_OMIT) read
    back, also after a remount; what another user creates is theirs, and
    the permission bits stop that user as the kernel's
    default_permissions checks do (root only: skipped otherwise);
  - renameat2 with RENAME_NOREPLACE and RENAME_EXCHANGE (file with file,
    file with directory), their refusals, and the result after a remount;
  - round trips: a real tree (part of /usr/share/doc, plus hard links,
    symlinks, an empty file and directory, odd modes and times, and other
    owners when we are root) copied in with `cp -a`, `rsync -aH` and
    `tar -cp | tar -xp`, one fresh image each; holdfs-fuse unmounted
    (its exit status checked), fsck.holdfs clean, mounted again, then
    compared with the source: structure and content (`diff -r
    --no-dereference`), hard links (names grouped by inode number on both
    sides, and link counts), and mode, owner and mtime of every entry;
    then copied back out of the mount with the same tool and compared
    again (what the tool sees when it reads holdfs-fuse).
Nothing here asserts a time.  --keep leaves the scratch folder.
"""

import argparse
import ctypes
import errno
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMAGE_SIZE = "64M"
MOUNT_WAIT_S = 20           # a generous limit, not an expectation
UNMOUNT_WAIT_S = 20
DOC_DIR = "/usr/share/doc"
DOC_BYTES_MAX = 3 << 20     # the part of DOC_DIR copied into the tree
DOC_FILE_MAX = 256 << 10    # larger files are left out
OTHER_UID, OTHER_GID = 4321, 4322     # owners the tree gets when we are root
LOST_FOUND = "lost+found"   # every fresh image has one; the source has none


class Ktap:
    """Numbered KTAP results; the plan comes first, so the count is fixed."""

    def __init__(self, plan):
        self.plan, self.n, self.failed = plan, 0, 0
        print("KTAP version 1", flush=True)
        print(f"1..{plan}", flush=True)

    def diag(self, text):
        for line in str(text).rstrip("\n").split("\n"):
            print(f"# {line}", flush=True)

    def result(self, name, problems=None, skip=None):
        self.n += 1
        if skip is not None:
            print(f"ok {self.n} {name} # SKIP {skip}", flush=True)
        elif problems:
            for p in problems[:40]:
                self.diag(p)
            if len(problems) > 40:
                self.diag(f"... and {len(problems) - 40} more")
            print(f"not ok {self.n} {name}", flush=True)
            self.failed += 1
        else:
            print(f"ok {self.n} {name}", flush=True)


# ----------------------------------------------------------- the mount ----

class Mount:
    """holdfs-fuse IMAGE DIR -f in the background; unmount() ends it."""

    def __init__(self, tools, image, mnt, log, options=()):
        self.tools, self.image, self.mnt, self.log = tools, image, mnt, log
        self.options = list(options)
        self.proc = None

    def __enter__(self):
        os.makedirs(self.mnt, exist_ok=True)
        self.errf = open(self.log, "ab")
        self.proc = subprocess.Popen(
            [os.path.join(self.tools, "holdfs-fuse"), self.image, self.mnt,
             "-f"] + self.options, stdin=subprocess.DEVNULL, stdout=self.errf,
            stderr=self.errf)
        deadline = time.monotonic() + MOUNT_WAIT_S
        while not os.path.ismount(self.mnt):
            if self.proc.poll() is not None:
                raise RuntimeError(f"holdfs-fuse {self.image} exited with "
                                   f"status {self.proc.returncode} before "
                                   f"mounting: {self.tail()}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"{self.mnt} not mounted after "
                                   f"{MOUNT_WAIT_S} s: {self.tail()}")
            time.sleep(0.02)
        return self

    def tail(self):
        self.errf.flush()
        with open(self.log, "rb") as f:
            return f.read()[-2000:].decode("utf-8", "replace").strip()

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        subprocess.run(["fusermount3", "-u", "-z", self.mnt],
                       stderr=subprocess.DEVNULL, check=False)

    def unmount(self):
        """Unmount; returns a list of problems (empty: clean)."""
        if self.proc is None:
            return []
        r = subprocess.run(["fusermount3", "-u", self.mnt],
                           capture_output=True, text=True, check=False)
        if r.returncode:
            self.kill()
            self.proc = None
            return [f"fusermount3 -u {self.mnt}: {r.stderr.strip()}"]
        try:
            status = self.proc.wait(timeout=UNMOUNT_WAIT_S)
        except subprocess.TimeoutExpired:
            self.kill()
            self.proc = None
            return [f"holdfs-fuse still running {UNMOUNT_WAIT_S} s after "
                    "the unmount (killed)"]
        self.proc = None
        self.errf.close()
        if status:
            return [f"holdfs-fuse exited with status {status}: {self.tail()}"]
        return []

    def __exit__(self, *exc):
        if self.proc is not None:
            self.kill()
        if not self.errf.closed:
            self.errf.close()


def fuse_unusable(tools):
    """Why FUSE mounts cannot be tested here, or None."""
    if not os.path.exists("/dev/fuse"):
        return "no /dev/fuse on this machine"
    try:
        os.close(os.open("/dev/fuse", os.O_RDWR))
    except OSError as e:
        return f"/dev/fuse cannot be opened: {e.strerror}"
    if not shutil.which("fusermount3"):
        return "fusermount3 is missing (make deps installs fuse3)"
    if not os.access(os.path.join(tools, "holdfs-fuse"), os.X_OK):
        return ("holdfs-fuse was not built (pkg-config finds no fuse3: "
                "make deps installs libfuse3-dev)")
    return None


def mkfs(tools, image):
    with open(image, "wb") as f:
        f.truncate(parse_size(IMAGE_SIZE))
    subprocess.run([os.path.join(tools, "mkfs.holdfs"), image], check=True,
                   capture_output=True)


def parse_size(text):
    return int(text[:-1]) << {"K": 10, "M": 20, "G": 30}[text[-1]]


def fsck(tools, image):
    r = subprocess.run([os.path.join(tools, "fsck.holdfs"), image],
                       capture_output=True, text=True, check=False)
    if r.returncode:
        return [f"fsck.holdfs {image} exited {r.returncode}: "
                f"{(r.stdout + r.stderr).strip()[-1500:]}"]
    return []


def holdfs_ino(tools, image, path):
    """The inode number the host holdfs tool reads for @path in @image."""
    r = subprocess.run([os.path.join(tools, "holdfs"), image, "stat", path],
                       capture_output=True, text=True, check=True)
    for line in r.stdout.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "inode":
            return int(value)
    raise RuntimeError(f"holdfs stat {path}: no inode line in {r.stdout!r}")


# ------------------------------------------------------ hard-link cases ----

def nlinks(*paths):
    return [os.lstat(p).st_nlink for p in paths]


def case_hardlink_ino(k, tools, scratch):
    """Two names of one file (one in another directory) show one inode
    number, the one holdfs gave the file; a third file shows another."""
    image, mnt = os.path.join(scratch, "links.img"), os.path.join(scratch, "m")
    mkfs(tools, image)
    problems = []
    with Mount(tools, image, mnt, image + ".log") as m:
        os.mkdir(f"{mnt}/d")
        with open(f"{mnt}/a", "w") as f:
            f.write("one file, two names\n")
        os.stat(f"{mnt}/a")                  # cache its attributes first
        os.link(f"{mnt}/a", f"{mnt}/d/b")
        with open(f"{mnt}/other", "w") as f:
            f.write("another file\n")
        seen = {p: os.lstat(f"{mnt}{p}").st_ino
                for p in ("/a", "/d/b", "/other")}
        problems += m.unmount()
    for p, ino in seen.items():
        want = holdfs_ino(tools, image, p)
        if ino != want:
            problems.append(f"{p}: st_ino {ino} through FUSE, holdfs inode "
                            f"{want}")
    if seen["/a"] != seen["/d/b"]:
        problems.append(f"/a and /d/b are one file but show inode numbers "
                        f"{seen['/a']} and {seen['/d/b']}")
    k.result("hardlink_one_ino", problems)


def case_nlink_current(k, tools, scratch):
    """The link count every name shows is the current one right after each
    link, unlink and rename through the mount (no waiting: a cached count
    would be stale here)."""
    image, mnt = os.path.join(scratch, "nlink.img"), os.path.join(scratch, "m")
    mkfs(tools, image)
    problems = []

    def want(label, paths, counts):
        got = nlinks(*paths)
        if got != counts:
            problems.append(f"after {label}: link counts of "
                            f"{[os.path.relpath(p, mnt) for p in paths]} "
                            f"are {got}, want {counts}")

    with Mount(tools, image, mnt, image + ".log") as m:
        a, b, c, x = (f"{mnt}/{n}" for n in ("a", "b", "c", "x"))
        with open(a, "w") as f:
            f.write("a\n")
        want("create", [a], [1])
        os.link(a, b)
        want("link a b", [a, b], [2, 2])
        os.link(b, c)
        want("link b c", [a, b, c], [3, 3, 3])
        os.unlink(c)
        want("unlink c", [a, b], [2, 2])
        with open(x, "w") as f:
            f.write("x\n")
        os.rename(x, b)                     # replaces one name of a
        want("rename x over b", [a, b], [1, 1])
        os.link(a, c)
        os.rename(c, f"{mnt}/c2")
        want("link a c, rename c c2", [a, f"{mnt}/c2"], [2, 2])
        os.unlink(a)
        want("unlink a", [f"{mnt}/c2"], [1])
        problems += m.unmount()
    k.result("nlink_current", problems)


def case_two_names_data(k, tools, scratch):
    """Data and size written through one name are what the other name
    reads and shows at once, also through a descriptor opened before."""
    image, mnt = os.path.join(scratch, "data.img"), os.path.join(scratch, "m")
    mkfs(tools, image)
    problems = []
    with Mount(tools, image, mnt, image + ".log") as m:
        a, b = f"{mnt}/a", f"{mnt}/b"
        with open(a, "wb") as f:
            f.write(b"old content\n")
        os.link(a, b)
        fd = os.open(b, os.O_RDONLY)
        try:
            os.pread(fd, 4096, 0)           # b's pages now cached
            with open(a, "r+b") as f:
                f.write(b"NEW")
            with open(a, "ab") as f:
                f.write(b"appended\n")
            want = b"NEW content\nappended\n"
            got = os.pread(fd, 4096, 0)
            if got != want:
                problems.append(f"b read {got!r} through a descriptor "
                                f"opened before, want {want!r}")
            if os.stat(b).st_size != len(want):
                problems.append(f"b's size is {os.stat(b).st_size}, want "
                                f"{len(want)}")
        finally:
            os.close(fd)
        problems += m.unmount()
    k.result("two_names_data", problems)


def case_readdir_ino(k, tools, scratch):
    """readdir's d_ino is the inode number stat shows, for each entry."""
    image, mnt = os.path.join(scratch, "dino.img"), os.path.join(scratch, "m")
    mkfs(tools, image)
    problems = []
    with Mount(tools, image, mnt, image + ".log") as m:
        os.mkdir(f"{mnt}/dir")
        with open(f"{mnt}/f", "w") as f:
            f.write("f\n")
        os.link(f"{mnt}/f", f"{mnt}/dir/g")
        os.symlink("f", f"{mnt}/s")
        for d in (mnt, f"{mnt}/dir"):
            with os.scandir(d) as it:
                for e in it:
                    st = os.lstat(e.path)
                    if e.inode() != st.st_ino:
                        problems.append(f"{os.path.relpath(e.path, mnt)}: "
                                        f"d_ino {e.inode()}, st_ino "
                                        f"{st.st_ino}")
        problems += m.unmount()
    k.result("readdir_ino", problems)


# ------------------------------------------- attributes and renameat2 ----

LIBC = ctypes.CDLL(None, use_errno=True)
AT_FDCWD = -100
RENAME_NOREPLACE, RENAME_EXCHANGE = 1, 2
UTIME_NOW, UTIME_OMIT = (1 << 30) - 1, (1 << 30) - 2


class Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


def renameat2(old, new, flags):
    """renameat2(2) through libc; raises OSError as os.rename does."""
    if LIBC.renameat2(AT_FDCWD, os.fsencode(old), AT_FDCWD,
                      os.fsencode(new), ctypes.c_uint(flags)):
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e), old, None, new)


def utimensat(path, atime, mtime):
    """utimensat(2) with (sec, nsec) pairs, UTIME_NOW and UTIME_OMIT
    allowed as the nsec of either (os.utime has no UTIME_OMIT)."""
    ts = (Timespec * 2)(Timespec(*atime), Timespec(*mtime))
    if LIBC.utimensat(AT_FDCWD, os.fsencode(path), ts, 0):
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e), path)


def errno_of(call, *args):
    """The errno @call(*args) fails with, or 0."""
    try:
        call(*args)
    except OSError as e:
        return e.errno
    return 0


def case_attrs_persist(k, tools, scratch, as_root):
    """chmod, chown and utimens (explicit times, UTIME_NOW, UTIME_OMIT)
    through the mount read back the same, and again after a remount; a
    time before 1970 is refused (EINVAL) and changes nothing."""
    image, mnt = os.path.join(scratch, "attrs.img"), os.path.join(scratch, "m")
    mkfs(tools, image)
    problems = []
    want = {}
    with Mount(tools, image, mnt, image + ".log") as m:
        os.mkdir(f"{mnt}/d", 0o700)
        for name in ("f", "g", "h"):
            open(f"{mnt}/d/{name}", "w").close()
        os.symlink("f", f"{mnt}/d/s")
        os.chmod(f"{mnt}/d/f", 0o4751)
        os.chmod(f"{mnt}/d", 0o2755)
        utimensat(f"{mnt}/d/f", (1, 2), (1_500_000_000, 999_999_999))
        before = time.time_ns()
        utimensat(f"{mnt}/d/g", (0, UTIME_OMIT), (0, UTIME_NOW))
        after = time.time_ns()
        g = os.stat(f"{mnt}/d/g")
        utimensat(f"{mnt}/d/h", (7, 0), (0, UTIME_OMIT))
        h = os.stat(f"{mnt}/d/h")
        e = errno_of(utimensat, f"{mnt}/d/h", (0, UTIME_OMIT), (-1, 0))
        if e != errno.EINVAL:
            problems.append(f"an mtime before 1970 (holdfs cannot store "
                            f"it): errno {e}, want EINVAL")
        if not before - 10**9 <= g.st_mtime_ns <= after + 10**9:
            problems.append(f"UTIME_NOW set mtime {g.st_mtime_ns}, not "
                            f"between {before} and {after} ns")
        want["d/f"] = (0o104751, 1_000_000_002, 1_500_000_000_999_999_999)
        want["d"] = (0o42755, None, None)
        want["d/g"] = (None, None, g.st_mtime_ns)
        want["d/h"] = (None, 7_000_000_000, h.st_mtime_ns)
        owners = {}
        if as_root:
            os.chown(f"{mnt}/d/g", OTHER_UID, -1)
            os.chown(f"{mnt}/d/h", -1, OTHER_GID)
            os.lchown(f"{mnt}/d/s", OTHER_UID, OTHER_GID)
            owners = {"d/g": (OTHER_UID, 0), "d/h": (0, OTHER_GID),
                      "d/s": (OTHER_UID, OTHER_GID), "d/f": (0, 0)}
        problems += check_attrs(mnt, want, owners, "before the remount")
        problems += m.unmount()
    problems += fsck(tools, image)
    with Mount(tools, image, mnt, image + ".log") as m:
        problems += check_attrs(mnt, want, owners, "after the remount")
        problems += m.unmount()
    k.result("attrs_persist", problems)


def check_attrs(mnt, want, owners, when):
    """@want: {rel: (st_mode, atime ns, mtime ns)} (None: not checked);
    @owners: {rel: (uid, gid)}."""
    problems = []
    for rel, (mode, atime, mtime) in want.items():
        st = os.lstat(f"{mnt}/{rel}")
        for what, w, got in (("mode", mode, st.st_mode),
                             ("atime", atime, st.st_atime_ns),
                             ("mtime", mtime, st.st_mtime_ns)):
            if w is not None and w != got:
                problems.append(f"{when}: {rel}: {what} {got:o}, want {w:o}"
                                if what == "mode" else
                                f"{when}: {rel}: {what} {got}, want {w}")
    for rel, ids in owners.items():
        st = os.lstat(f"{mnt}/{rel}")
        if (st.st_uid, st.st_gid) != ids:
            problems.append(f"{when}: {rel}: owner {st.st_uid}:{st.st_gid}, "
                            f"want {ids[0]}:{ids[1]}")
    return problems


def python_for_anyone():
    """A python3 another user may run (ours may sit under /root), or None."""
    for path in (sys.executable, "/usr/bin/python3"):
        real = os.path.realpath(path)
        parts = real.split(os.sep)
        dirs = [os.sep.join(parts[:i]) or os.sep for i in range(1, len(parts))]
        if all(os.stat(d).st_mode & stat.S_IXOTH for d in dirs) and \
                os.stat(real).st_mode & stat.S_IXOTH:
            return real
    return None


def as_user(uid, gid, code, *args):
    """Run python @code with @args as @uid:@gid; returns its stdout."""
    r = subprocess.run([python_for_anyone(), "-c", code, *args],
                       capture_output=True, text=True, check=True,
                       user=uid, group=gid, extra_groups=[])
    return r.stdout.strip()


USER_CODE = """
import os, sys
top = sys.argv[1]
def try_(call, *a):
    try:
        call(*a)
        return "ok"
    except OSError as e:
        return str(e.errno)
open(top + "/shared/mine", "w").close()
os.mkdir(top + "/shared/mydir")
os.symlink("mine", top + "/shared/mylink")
print(try_(lambda: open(top + "/rootfile", "a")),
      try_(lambda: open(top + "/rootfile").read()),
      try_(lambda: open(top + "/secret").read()),
      try_(os.chmod, top + "/rootfile", 0o777),
      try_(os.chown, top + "/shared/mine", 0, 0),
      try_(os.listdir, top + "/private"))
"""


def case_owner_and_permissions(k, tools, scratch, as_root):
    """Files another user creates are theirs; that user meets the
    permission bits (default_permissions): may read a 0644 file, may not
    write it, read a 0600 one, chmod what is not theirs, give a file
    away, or list a 0700 directory."""
    if not as_root:
        k.result("owner_and_permissions", skip="not root: cannot act as "
                 "another user")
        return
    if not python_for_anyone():
        k.result("owner_and_permissions", skip="no python3 that another "
                 "user may run")
        return
    image, mnt = os.path.join(scratch, "owner.img"), os.path.join(scratch, "m")
    mkfs(tools, image)
    problems = []
    with Mount(tools, image, mnt, image + ".log", ["-o", "allow_other"]) as m:
        os.mkdir(f"{mnt}/shared", 0o1777)
        os.chmod(f"{mnt}/shared", 0o1777)
        os.mkdir(f"{mnt}/private", 0o700)
        for name, mode in (("rootfile", 0o644), ("secret", 0o600)):
            with open(f"{mnt}/{name}", "w") as f:
                f.write("root's\n")
            os.chmod(f"{mnt}/{name}", mode)
        got = as_user(OTHER_UID, OTHER_GID, USER_CODE, mnt).split()
        eacces, eperm = str(errno.EACCES), str(errno.EPERM)
        want = [eacces, "ok", eacces, eperm, eperm, eacces]
        if got != want:
            problems.append(f"as {OTHER_UID}: append rootfile, read "
                            f"rootfile, read secret, chmod rootfile, "
                            f"chown mine to root, list private: {got}, "
                            f"want {want}")
        for rel in ("shared/mine", "shared/mydir", "shared/mylink"):
            st = os.lstat(f"{mnt}/{rel}")
            if (st.st_uid, st.st_gid) != (OTHER_UID, OTHER_GID):
                problems.append(f"{rel}, made by {OTHER_UID}:{OTHER_GID}, "
                                f"is owned by {st.st_uid}:{st.st_gid}")
        problems += m.unmount()
    k.result("owner_and_permissions", problems)


def case_rename_flags(k, tools, scratch):
    """renameat2 with RENAME_NOREPLACE and RENAME_EXCHANGE through the
    mount, their refusals, and the result after a remount."""
    image, mnt = os.path.join(scratch, "rename.img"), os.path.join(scratch, "m")
    mkfs(tools, image)
    problems = []

    def expect(label, got, want):
        if got != want:
            problems.append(f"{label}: {got!r}, want {want!r}")

    with Mount(tools, image, mnt, image + ".log") as m:
        for name, text in (("a", "A\n"), ("b", "B\n")):
            with open(f"{mnt}/{name}", "w") as f:
                f.write(text)
        os.makedirs(f"{mnt}/dir/sub")
        expect("NOREPLACE onto an existing name",
               errno_of(renameat2, f"{mnt}/a", f"{mnt}/b", RENAME_NOREPLACE),
               errno.EEXIST)
        expect("NOREPLACE to a new name",
               errno_of(renameat2, f"{mnt}/a", f"{mnt}/c", RENAME_NOREPLACE),
               0)
        expect("EXCHANGE with a missing name",
               errno_of(renameat2, f"{mnt}/c", f"{mnt}/none",
                        RENAME_EXCHANGE), errno.ENOENT)
        expect("both flags",
               errno_of(renameat2, f"{mnt}/c", f"{mnt}/b",
                        RENAME_EXCHANGE | RENAME_NOREPLACE), errno.EINVAL)
        expect("EXCHANGE of two files",
               errno_of(renameat2, f"{mnt}/c", f"{mnt}/b", RENAME_EXCHANGE),
               0)
        expect("EXCHANGE of a file and a directory",
               errno_of(renameat2, f"{mnt}/c", f"{mnt}/dir/sub",
                        RENAME_EXCHANGE), 0)
        problems += check_exchanged(mnt, "before the remount")
        problems += m.unmount()
    problems += fsck(tools, image)
    with Mount(tools, image, mnt, image + ".log") as m:
        problems += check_exchanged(mnt, "after the remount")
        problems += m.unmount()
    k.result("rename_flags", problems)


def check_exchanged(mnt, when):
    """What case_rename_flags leaves: b holds A, dir/sub holds B, c is the
    old directory dir/sub; link counts follow."""
    problems = []
    for rel, want in (("b", "A\n"), ("dir/sub", "B\n")):
        with open(f"{mnt}/{rel}") as f:
            got = f.read()
        if got != want:
            problems.append(f"{when}: {rel} holds {got!r}, want {want!r}")
    if not stat.S_ISDIR(os.lstat(f"{mnt}/c").st_mode):
        problems.append(f"{when}: c is not the directory it was swapped "
                        "with")
    for rel, want in (("", 5), ("dir", 2), ("c", 2)):
        got = os.lstat(f"{mnt}/{rel}").st_nlink
        if got != want:
            problems.append(f"{when}: /{rel} has {got} links, want {want}")
    return problems


# ------------------------------------------------------- the real tree ----

def make_tree(src, as_root):
    """A copy of part of DOC_DIR, plus what a real tree holds that the
    docs lack here: hard links (within and across directories, three
    names), symlinks (relative, absolute, dangling, to a directory), an
    empty file and directory, a sparse file, odd modes and exact mtimes."""
    os.makedirs(src)
    total = 0
    for name in sorted(os.listdir(DOC_DIR)) if os.path.isdir(DOC_DIR) else []:
        if total >= DOC_BYTES_MAX:
            break
        total += copy_doc(os.path.join(DOC_DIR, name),
                          os.path.join(src, "doc", name))
    x = os.path.join(src, "extra")
    os.makedirs(f"{x}/sub/deeper")
    os.makedirs(f"{x}/empty-dir")
    with open(f"{x}/linked", "w") as f:
        f.write("three names\n" * 100)
    os.link(f"{x}/linked", f"{x}/sub/linked-2")
    os.link(f"{x}/linked", f"{x}/sub/deeper/linked-3")
    with open(f"{x}/pair", "wb") as f:
        f.write(os.urandom(10000))
    os.link(f"{x}/pair", f"{x}/pair-2")
    open(f"{x}/empty", "w").close()
    with open(f"{x}/sparse", "wb") as f:
        f.seek(1 << 20)
        f.write(b"end")
    os.symlink("linked", f"{x}/rel-link")
    os.symlink(os.path.join(os.pardir, "pair"), f"{x}/sub/up-link")
    os.symlink("/usr/share/doc", f"{x}/abs-link")
    os.symlink("nowhere/at/all", f"{x}/dangling")
    os.symlink("sub", f"{x}/dir-link")
    modes = {"linked": 0o640, "pair": 0o755, "empty": 0o400,
             "sparse": 0o604, "sub": 0o750, "empty-dir": 0o1777,
             "sub/deeper": 0o2755}
    for rel, mode in modes.items():
        os.chmod(f"{x}/{rel}", mode)
    if as_root:
        for rel in ("pair", "sub/deeper", "empty"):
            os.chown(f"{x}/{rel}", OTHER_UID, OTHER_GID)
        os.lchown(f"{x}/rel-link", OTHER_UID, 0)
        os.chown(f"{x}/sparse", 0, OTHER_GID)
    # exact times, nanoseconds included, deepest first so that setting a
    # child's time does not move its directory's
    stamp = 1_234_567_890_123_456_789
    for dirpath, dirnames, filenames in os.walk(src, topdown=False):
        for name in filenames + dirnames + [""]:
            p = os.path.join(dirpath, name) if name else dirpath
            os.utime(p, ns=(stamp, stamp), follow_symlinks=False)
            stamp += 86_400_000_000_007


def copy_doc(path, dst):
    """Copy @path (a package's doc folder) to @dst: symlinks as they are,
    files up to DOC_FILE_MAX.  Returns the bytes copied."""
    total = 0
    if os.path.islink(path):
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        os.symlink(os.readlink(path), dst)
        return 0
    if os.path.isfile(path):
        size = os.path.getsize(path)
        if size <= DOC_FILE_MAX and os.access(path, os.R_OK):
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(path, dst)
            total += size
        return total
    if os.path.isdir(path) and os.access(path, os.R_OK | os.X_OK):
        os.makedirs(dst, exist_ok=True)
        for name in sorted(os.listdir(path)):
            total += copy_doc(os.path.join(path, name),
                              os.path.join(dst, name))
    return total


def entries(top):
    """{relative path: os.stat_result} of everything under @top but the
    lost+found that mkfs.holdfs makes at the top."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(top):
        if dirpath == top and LOST_FOUND in dirnames:
            dirnames.remove(LOST_FOUND)
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            out[os.path.relpath(p, top)] = os.lstat(p)
    return out


def link_groups(ents):
    """The names of each multiply linked file, as a set of frozensets."""
    by_ino = {}
    for rel, st in ents.items():
        if stat.S_ISREG(st.st_mode) and st.st_nlink > 1:
            by_ino.setdefault(st.st_ino, set()).add(rel)
    return {frozenset(v) for v in by_ino.values()}


def compare_structure(src, dst):
    r = subprocess.run(["diff", "-r", "--no-dereference", "-x", LOST_FOUND,
                        src, dst],
                       capture_output=True, text=True, check=False)
    if r.returncode:
        return [f"diff -r --no-dereference {src} {dst}:"] + \
            (r.stdout + r.stderr).strip().split("\n")
    return []


def compare_links(a, b):
    """Hard-link groups and link counts of trees @a and @b."""
    ea, eb = entries(a), entries(b)
    problems = []
    ga, gb = link_groups(ea), link_groups(eb)
    for g in sorted(ga - gb, key=sorted):
        problems.append(f"names of one file in the source, not one file "
                        f"in the copy: {sorted(g)}")
    for g in sorted(gb - ga, key=sorted):
        problems.append(f"one file in the copy, not in the source: "
                        f"{sorted(g)}")
    for rel in sorted(set(ea) & set(eb)):
        if stat.S_ISDIR(ea[rel].st_mode):
            continue
        if ea[rel].st_nlink != eb[rel].st_nlink:
            problems.append(f"{rel}: {eb[rel].st_nlink} links in the copy, "
                            f"{ea[rel].st_nlink} in the source")
    return problems


def compare_attrs(a, b, what):
    """Mode, owner and mtime of every entry of @a and @b; @what says which
    of 'mode', 'owner', 'mtime' to compare."""
    ea, eb = entries(a), entries(b)
    problems = []
    for rel in sorted(set(ea) & set(eb)):
        sa, sb = ea[rel], eb[rel]
        link = stat.S_ISLNK(sa.st_mode)
        if "mode" in what and not link and sa.st_mode != sb.st_mode:
            problems.append(f"{rel}: mode {sb.st_mode:o} in the copy, "
                            f"{sa.st_mode:o} in the source")
        if "owner" in what and (sa.st_uid, sa.st_gid) != (sb.st_uid,
                                                          sb.st_gid):
            problems.append(f"{rel}: owner {sb.st_uid}:{sb.st_gid} in the "
                            f"copy, {sa.st_uid}:{sa.st_gid} in the source")
        if "mtime" in what and sa.st_mtime_ns != sb.st_mtime_ns:
            problems.append(f"{rel}: mtime {sb.st_mtime_ns} ns in the copy, "
                            f"{sa.st_mtime_ns} ns in the source")
    return problems


# ------------------------------------------------------ the round trips ----

COPIERS = {
    "cp": 'cp -a "$1"/. "$2"/',
    "rsync": 'rsync -aH "$1"/ "$2"/',
    "tar": 'tar --format=posix -C "$1" -cpf - . | '
           'tar -C "$2" -xp --same-owner -f -',
}
"""How each tool copies folder $1's contents into folder $2, keeping hard
links, symlinks, modes, owners and times (tar's posix format keeps
nanoseconds)."""


def run_copy(tool, src, dst):
    r = subprocess.run(["sh", "-c", COPIERS[tool], "copy", src, dst],
                       capture_output=True, text=True, check=False)
    if r.returncode or r.stderr.strip():
        return [f"{COPIERS[tool]} ({src} -> {dst}) exited "
                f"{r.returncode}:"] + r.stderr.strip().split("\n")[:20]
    return []


def case_roundtrip(k, tools, scratch, src, tool, as_root):
    """Copy @src into a fresh image with @tool, unmount, fsck, mount again,
    compare; then copy it back out and compare that too.  Five results."""
    name = f"roundtrip_{tool}"
    if not shutil.which(tool):
        for part in ("copy", "tree", "links", "attrs", "back"):
            k.result(f"{name}_{part}", skip=f"{tool} is missing "
                     "(make deps installs it)")
        return
    image = os.path.join(scratch, f"{tool}.img")
    mnt = os.path.join(scratch, "m")
    back = os.path.join(scratch, f"{tool}-back")
    mkfs(tools, image)
    with Mount(tools, image, mnt, image + ".log") as m:
        problems = run_copy(tool, src, mnt)
        problems += m.unmount()
    problems += fsck(tools, image)
    k.result(f"{name}_copy", problems)
    what = ["mode", "mtime"] + (["owner"] if as_root else [])
    with Mount(tools, image, mnt, image + ".log") as m:
        k.result(f"{name}_tree", compare_structure(src, mnt))
        k.result(f"{name}_links", compare_links(src, mnt))
        k.result(f"{name}_attrs", compare_attrs(src, mnt, what))
        os.makedirs(back)
        problems = run_copy(tool, mnt, back)
        problems += compare_structure(src, back) + compare_links(src, back)
        problems += compare_attrs(src, back, what)
        problems += m.unmount()
    k.result(f"{name}_back", problems)


# -------------------------------------------------------------- main ------

def guarded(k, results, case, *args):
    """Run @case, which reports @results results; an exception (a call
    on the mount that failed) fails the ones it did not report."""
    first = k.n
    try:
        case(*args)
    except (OSError, RuntimeError, subprocess.SubprocessError) as e:
        k.diag("".join(traceback.format_exception(e)).rstrip())
        while k.n < first + results:
            k.result(f"{case.__name__[5:]}", [f"stopped by {e!r}"])

ROUNDTRIP_TOOLS = ("cp", "rsync", "tar")
PLAN = 7 + 5 * len(ROUNDTRIP_TOOLS)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    p.add_argument("--keep", action="store_true",
                   help="keep the scratch folder (its path is printed)")
    args = p.parse_args(argv)
    tools = os.path.join(os.path.abspath(args.build_dir), "tools")
    k = Ktap(PLAN)
    why = fuse_unusable(tools)
    if why:
        for _ in range(PLAN):
            k.result("fuse", skip=why)
        return 0
    scratch = tempfile.mkdtemp(prefix="holdfs-fuse-test.")
    os.chmod(scratch, 0o755)
    try:
        guarded(k, 1, case_hardlink_ino, k, tools, scratch)
        guarded(k, 1, case_nlink_current, k, tools, scratch)
        guarded(k, 1, case_two_names_data, k, tools, scratch)
        guarded(k, 1, case_readdir_ino, k, tools, scratch)
        as_root = os.geteuid() == 0
        if not as_root:
            k.diag("not root: owners are not compared (the tree cannot "
                   "be given other owners)")
        guarded(k, 1, case_attrs_persist, k, tools, scratch, as_root)
        guarded(k, 1, case_owner_and_permissions, k, tools, scratch,
                as_root)
        guarded(k, 1, case_rename_flags, k, tools, scratch)
        src = os.path.join(scratch, "src")
        make_tree(src, as_root)
        k.diag(f"tree: {len(entries(src))} entries, "
               f"{len(link_groups(entries(src)))} hard-link groups")
        for tool in ROUNDTRIP_TOOLS:
            guarded(k, 5, case_roundtrip, k, tools, scratch, src, tool,
                    as_root)
    finally:
        if args.keep:
            k.diag(f"scratch folder kept: {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    while k.n < PLAN:
        k.result("not reached", ["an earlier case stopped the run"])
    return 1 if k.failed else 0


if __name__ == "__main__":
    sys.exit(main())
