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
    current link count; readdir's d_ino agrees with stat;
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

    def __init__(self, tools, image, mnt, log):
        self.tools, self.image, self.mnt, self.log = tools, image, mnt, log
        self.proc = None

    def __enter__(self):
        os.makedirs(self.mnt, exist_ok=True)
        self.errf = open(self.log, "ab")
        self.proc = subprocess.Popen(
            [os.path.join(self.tools, "holdfs-fuse"), self.image, self.mnt,
             "-f"], stdin=subprocess.DEVNULL, stdout=self.errf,
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

def copier(tool, attrs):
    """The shell command that copies folder $1's contents into folder $2
    with @tool; @attrs: preserve mode, owner and times (tar can do
    without; cp -a and rsync -a cannot)."""
    if tool == "cp":
        return 'cp -a "$1"/. "$2"/'
    if tool == "rsync":
        return 'rsync -aH "$1"/ "$2"/'
    keep = "-p --same-owner" if attrs else "--no-same-permissions " \
        "--no-same-owner -m"
    return (f'tar --format=posix -C "$1" -cpf - . | '
            f'tar -C "$2" -x {keep} -f -')


def run_copy(tool, attrs, src, dst):
    r = subprocess.run(["sh", "-c", copier(tool, attrs), "copy", src, dst],
                       capture_output=True, text=True, check=False)
    if r.returncode or r.stderr.strip():
        return [f"{copier(tool, attrs)} ({src} -> {dst}) exited "
                f"{r.returncode}:"] + r.stderr.strip().split("\n")[:20]
    return []


def case_roundtrip(k, tools, scratch, src, tool, attrs_reason, as_root):
    """Copy @src into a fresh image with @tool, unmount, fsck, mount again,
    compare; then copy it back out and compare that too.  Four results."""
    name = f"roundtrip_{tool}"
    if tool == "rsync" and not shutil.which("rsync"):
        for part in ("copy", "tree", "links", "attrs", "back"):
            k.result(f"{name}_{part}", skip="rsync is missing "
                     "(make deps installs it)")
        return
    attrs = attrs_reason is None
    if not attrs and tool != "tar":
        for part in ("copy", "tree", "links", "attrs", "back"):
            k.result(f"{name}_{part}", skip=f"{tool} sets modes, which "
                     f"holdfs-fuse cannot do yet ({attrs_reason})")
        return
    image = os.path.join(scratch, f"{tool}.img")
    mnt = os.path.join(scratch, "m")
    back = os.path.join(scratch, f"{tool}-back")
    mkfs(tools, image)
    with Mount(tools, image, mnt, image + ".log") as m:
        problems = run_copy(tool, attrs, src, mnt)
        problems += m.unmount()
    problems += fsck(tools, image)
    k.result(f"{name}_copy", problems)
    with Mount(tools, image, mnt, image + ".log") as m:
        k.result(f"{name}_tree", compare_structure(src, mnt))
        k.result(f"{name}_links", compare_links(src, mnt))
        what = ["mode", "mtime"] + (["owner"] if as_root else [])
        k.result(f"{name}_attrs", compare_attrs(src, mnt, what)
                 if attrs else None, skip=attrs_reason)
        os.makedirs(back)
        problems = run_copy(tool, attrs, mnt, back)
        problems += compare_structure(src, back) + compare_links(src, back)
        if attrs:
            problems += compare_attrs(src, back, what)
        problems += m.unmount()
    k.result(f"{name}_back", problems)


def attrs_unsupported(tools, scratch):
    """Why holdfs-fuse cannot keep modes, owners and times, or None."""
    image, mnt = os.path.join(scratch, "probe.img"), os.path.join(scratch, "m")
    mkfs(tools, image)
    with Mount(tools, image, mnt, image + ".log") as m:
        p = f"{mnt}/probe"
        open(p, "w").close()
        reason = None
        try:
            os.chmod(p, 0o604)
            os.utime(p, ns=(1_000_000_007, 2_000_000_011))
            st = os.stat(p)
            if stat.S_IMODE(st.st_mode) != 0o604 or \
                    st.st_mtime_ns != 2_000_000_011:
                reason = ("chmod and utimens are accepted but change "
                          "nothing")
        except OSError as e:
            reason = f"chmod or utimens fails: {e.strerror}"
        m.unmount()
    return reason


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
PLAN = 4 + 5 * len(ROUNDTRIP_TOOLS)


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
        reason = attrs_unsupported(tools, scratch)
        src = os.path.join(scratch, "src")
        make_tree(src, as_root)
        k.diag(f"tree: {len(entries(src))} entries, "
               f"{len(link_groups(entries(src)))} hard-link groups")
        for tool in ROUNDTRIP_TOOLS:
            guarded(k, 5, case_roundtrip, k, tools, scratch, src, tool,
                    reason, as_root)
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
