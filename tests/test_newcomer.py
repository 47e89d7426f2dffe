"""test_newcomer.py - the first hour with Holdfast: the errors a newcomer
meets say what is wrong and what to type next.

    python3 -m unittest tests/test_newcomer.py

Covers `make check-deps` and scripts/qemu.py with a PATH that lacks a tool
(nothing is uninstalled: PATH points at a folder of links to the tools
that are kept), an NVDIMM image held by another QEMU, images the tools and
`make run` refuse (too small, not holdfs, a newer format version) and
`make help` with the `make run` options (and that `make run` lets the
guest reboot), the holdfs tool's arguments in the shell's order, and the
progress lines of the host tools (quiet unless stderr is a terminal).  Tests that need QEMU or the built tools skip without them.

And that a clone is all a newcomer needs to read: no tracked file points
outside the repository (the one documented exception is where
`make bench-linux` looks for the Linux peer harness by default), every
relative link in README.md and docs/*.md opens a file of the repository,
and `make bench-linux PEER=DIR` says what is missing when the harness is
not there.
"""

import io
import os
import pty
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TESTS_DIR)
sys.path.insert(0, os.path.join(ROOT, "scripts"))
sys.path.insert(0, TESTS_DIR)

import bench  # noqa: E402
import qemu  # noqa: E402
from test_bench_selftest import FAKE_MACHINE  # noqa: E402

BUILD = os.path.join(ROOT, "build")
TOOLS = os.path.join(BUILD, "tools")
QEMU_PY = os.path.join(ROOT, "scripts", "qemu.py")
CHECK_DEPS = os.path.join(ROOT, "scripts", "check-deps.sh")
MAKE = shutil.which("make")

# What check-deps.sh looks for, and the tools its recipe line runs.
DEPS = ("gcc", "ld", "python3", "qemu-system-x86_64", "grub-mkrescue",
        "xorriso", "mformat", "musl-gcc")
HELPERS = ("sh", "cmp", "cat", "true")
MIB = 1 << 20
SB_VERSION_OFFSET = 8           # struct hfs_dsuper: magic, then version


def fake_path(folder, leave_out):
    """Fill @folder with links to every tool of DEPS + HELPERS that is
    installed, except @leave_out; returns it, for PATH."""
    for name in DEPS + HELPERS:
        real = shutil.which(name)
        if real and name not in leave_out:
            os.symlink(real, os.path.join(folder, name))
    return folder


class MissingTools(unittest.TestCase):
    """A tool missing from PATH: the exact apt-get line, and `make deps`."""

    def check_deps(self, leave_out):
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, PATH=fake_path(tmp, leave_out))
            return subprocess.run(["/bin/sh", CHECK_DEPS], env=env,
                                  capture_output=True, text=True, timeout=30)

    def test_each_tool_names_its_package(self):
        for tool, package in (("qemu-system-x86_64", "qemu-system-x86"),
                              ("grub-mkrescue", "grub-common"),
                              ("xorriso", "xorriso")):
            with self.subTest(tool=tool):
                if not shutil.which(tool):
                    self.skipTest(f"{tool} is not installed here")
                r = self.check_deps((tool,))
                self.assertEqual(r.returncode, 1)
                self.assertIn(f"missing: {tool} (Debian package: {package})\n",
                              r.stderr)
                self.assertIn(f"run 'make deps' or: sudo apt-get install ",
                              r.stderr)
                last = r.stderr.strip().split("\n")[-1]
                self.assertIn(package, last.split("sudo apt-get install ")[1]
                              .split())

    def test_two_missing_give_one_install_line(self):
        if not (shutil.which("qemu-system-x86_64") and shutil.which("xorriso")):
            self.skipTest("qemu and xorriso are not both installed here")
        r = self.check_deps(("qemu-system-x86_64", "xorriso"))
        self.assertEqual(r.returncode, 1)
        install = [l for l in r.stderr.split("\n") if "apt-get install" in l]
        self.assertEqual(len(install), 1)
        self.assertTrue(install[0].endswith(
            "sudo apt-get install qemu-system-x86 xorriso"), install[0])

    def test_make_check_deps_fails_with_the_message(self):
        if not MAKE or not shutil.which("qemu-system-x86_64"):
            self.skipTest("make or qemu is not installed here")
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, PATH=fake_path(tmp, ("qemu-system-x86_64",)))
            r = subprocess.run([MAKE, "-s", "-C", ROOT, "check-deps"], env=env,
                               capture_output=True, text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("missing: qemu-system-x86_64 (Debian package: "
                      "qemu-system-x86)", r.stderr)
        self.assertIn("sudo apt-get install qemu-system-x86", r.stderr)

    def test_qemu_py_without_qemu(self):
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, PATH=fake_path(tmp, ("qemu-system-x86_64",)))
            env.pop("QEMU", None)
            elf = os.path.join(tmp, "k.elf")
            open(elf, "w").close()
            r = subprocess.run([sys.executable, QEMU_PY, "run", "--kernel", elf,
                                "--pmem", ""], env=env, capture_output=True,
                               text=True, timeout=30)
        self.assertEqual(r.returncode, qemu.EXIT_ERROR)
        self.assertEqual(r.stderr.strip(),
                         "error: qemu-system-x86_64 not found: run 'make deps' "
                         "(or: sudo apt-get install qemu-system-x86)")

    def test_every_boot_target_checks_first(self):
        """run, iso, test, bench and debug have check-deps as a prerequisite."""
        with open(os.path.join(ROOT, "Makefile")) as f:
            text = f.read()
        for target in ("$(B)/holdfast.iso", "run", "debug", "test", "bench"):
            with self.subTest(target=target):
                rule = [l for l in text.split("\n")
                        if l.startswith(target + ":")]
                self.assertTrue(rule, f"no rule for {target}")
                self.assertIn("check-deps", rule[0])


class ImageInUse(unittest.TestCase):
    """`make run` on an image another QEMU has open names both and says
    what to do, without starting a second QEMU."""

    def setUp(self):
        self.qemu = qemu.find_qemu()
        if not self.qemu:
            self.skipTest("QEMU is not installed here")
        self.tmp = tempfile.TemporaryDirectory()
        self.img = os.path.join(self.tmp.name, "held.img")
        qemu.create_image(self.img, 16 * MIB)
        self.elf = os.path.join(self.tmp.name, "k.elf")
        open(self.elf, "w").close()

    def tearDown(self):
        self.tmp.cleanup()

    def run_second(self):
        return subprocess.run(
            [sys.executable, QEMU_PY, "run", "--kernel", self.elf, "--pmem",
             self.img, "--accel", "tcg", "--qemu", "/bin/true",
             "--build-dir", self.tmp.name],
            stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=30)

    def test_held_by_a_paused_qemu(self):
        # A QEMU that holds the image and runs nothing (-S: paused).
        cmd = qemu.build_cmd(qemu=self.qemu, memory="128M",
                             pmem=[(self.img, 16 * MIB)], edu=False,
                             serial="none", extra=("-S",))
        first = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE,
                                 start_new_session=True)
        try:
            deadline = time.monotonic() + 20
            while first.pid not in qemu.image_users(self.img):
                self.assertIsNone(first.poll(), "the first QEMU exited")
                self.assertLess(time.monotonic(), deadline,
                                "the first QEMU never opened the image")
                time.sleep(0.1)
            r = self.run_second()
        finally:
            qemu.kill_group(first)
            first.communicate()
        name = os.path.basename(self.qemu)
        self.assertEqual(r.returncode, qemu.EXIT_ERROR)
        self.assertIn(
            f"error: pmem image {self.img} is in use by another QEMU: "
            f"{name} (pid {first.pid}) (another 'make run'?): stop it first "
            f"(type poweroff at its holdfast> prompt or kill {first.pid}) or "
            "choose another image with PMEM=other.img", r.stderr)

    def test_held_by_another_make_run(self):
        # The flock that `make run` keeps while its QEMU runs.
        holder = subprocess.Popen(
            [sys.executable, "-c",
             "import fcntl, os, sys, time\n"
             f"fd = os.open({self.img!r}, os.O_RDWR)\n"
             "fcntl.flock(fd, fcntl.LOCK_EX)\n"
             "print('locked', flush=True)\n"
             "time.sleep(30)\n"],
            stdout=subprocess.PIPE, text=True)
        try:
            self.assertEqual(holder.stdout.readline().strip(), "locked")
            r = self.run_second()
        finally:
            holder.kill()
            holder.communicate()
        self.assertEqual(r.returncode, qemu.EXIT_ERROR)
        self.assertIn(f"error: pmem image {self.img} is in use by another "
                      "QEMU", r.stderr)
        self.assertIn(f"(pid {holder.pid})", r.stderr)
        self.assertIn("choose another image with PMEM=other.img", r.stderr)


def tool(name):
    path = os.path.join(TOOLS, name)
    if not os.access(path, os.X_OK):
        raise unittest.SkipTest(f"{path} is not built (make tools)")
    return path


class BadImages(unittest.TestCase):
    """Too small, not holdfs, a newer version: fsck.holdfs, the holdfs CLI
    and `make run` say which, with their exit status."""

    NOT_HOLDFS = ("holdfs: not a holdfs filesystem (no holdfs magic in the "
                  "superblock or in its backup in the last block): format it "
                  "with mkfs.holdfs (this erases the image)")
    TOO_SMALL = ("holdfs: the device is 65536 bytes, too small for holdfs (it "
                 "needs at least 262144): use a larger image and format it "
                 "with mkfs.holdfs")
    NEWER = ("holdfs: this filesystem is format version 7; this build reads "
             "versions 1 to 2 only: use a Holdfast build that reads version 7 "
             "(mkfs.holdfs would erase the data)")

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def image(self, name, size, mkfs=False, version=None):
        path = os.path.join(self.tmp.name, name)
        qemu.create_image(path, size)
        if mkfs:
            subprocess.run([tool("mkfs.holdfs"), path], check=True,
                           capture_output=True, timeout=60)
        if version is not None:
            with open(path, "r+b") as f:
                f.seek(SB_VERSION_OFFSET)
                f.write(version.to_bytes(4, "little"))
        return path

    def images(self):
        return ((self.image("small.img", 64 << 10), self.TOO_SMALL),
                (self.image("zero.img", 8 * MIB), self.NOT_HOLDFS),
                (self.image("newer.img", 8 * MIB, mkfs=True, version=7),
                 self.NEWER))

    def run_tool(self, *argv):
        return subprocess.run(argv, capture_output=True, text=True, timeout=60)

    def test_fsck_says_why_and_exits_8(self):
        fsck = tool("fsck.holdfs")
        for path, why in self.images():
            with self.subTest(image=os.path.basename(path)):
                r = self.run_tool(fsck, "-n", path)
                self.assertEqual(r.returncode, 8)
                self.assertEqual(r.stderr, why + "\n")
                self.assertEqual(r.stdout,
                                 f"fsck.holdfs: {path}: not checked\n")

    def test_holdfs_cli_says_why_and_exits_1(self):
        cli = tool("holdfs")
        for path, why in self.images():
            with self.subTest(image=os.path.basename(path)):
                r = self.run_tool(cli, path, "ls", "/")
                self.assertEqual(r.returncode, 1)
                what = ("a holdfs format this build cannot read"
                        if "version" in why else "not a usable holdfs image")
                self.assertEqual(r.stderr.split("\n"),
                                 [why, f"holdfs: {path}: {what} (see above)",
                                  ""])

    def test_a_good_image_is_clean(self):
        path = self.image("good.img", 8 * MIB, mkfs=True)
        r = self.run_tool(tool("fsck.holdfs"), "-n", path)
        self.assertEqual((r.returncode, r.stdout),
                         (0, f"fsck.holdfs: {path}: clean\n"))
        self.assertIsNone(qemu.check_image(path, BUILD))

    def test_an_image_larger_than_memory(self):
        # 64 GiB, sparse: the read-only tools must not ask the kernel to
        # reserve memory for the whole private mapping (MAP_NORESERVE).
        path = self.image("huge.img", 64 << 30, mkfs=True)
        r = self.run_tool(tool("fsck.holdfs"), "-n", path)
        self.assertEqual((r.returncode, r.stdout, r.stderr),
                         (0, f"fsck.holdfs: {path}: clean\n", ""))
        r = self.run_tool(tool("holdfs"), path, "ls", "/")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_mkfs_on_a_tiny_image(self):
        path = self.image("tiny.img", 64 << 10)
        r = self.run_tool(tool("mkfs.holdfs"), path)
        self.assertEqual(r.returncode, 1)
        self.assertIn("holdfs: device of 65536 bytes is too small: mkfs needs "
                      "at least 262144 bytes (make the image larger first, "
                      "e.g. truncate -s 128M IMAGE)", r.stderr)

    def test_make_run_warns_before_booting(self):
        tool("holdfs")
        elf = os.path.join(self.tmp.name, "k.elf")
        open(elf, "w").close()
        for path, why in self.images():
            with self.subTest(image=os.path.basename(path)):
                r = subprocess.run(
                    [sys.executable, QEMU_PY, "run", "--kernel", elf,
                     "--pmem", path, "--accel", "tcg", "--qemu", "/bin/true",
                     "--build-dir", BUILD],
                    stdin=subprocess.DEVNULL, capture_output=True, text=True,
                    timeout=60)
                self.assertEqual(r.returncode, 0)   # /bin/true ran as QEMU
                self.assertIn(f"warning: {path}: {why}\n", r.stderr)
                self.assertIn(f"warning: the kernel will not mount {path}; to "
                              "start afresh, remove it (make run creates and "
                              "formats a new one) or choose another image "
                              "with PMEM=path", r.stderr)


class HostTool(unittest.TestCase):
    """build/tools/holdfs takes its arguments as the kernel's shell does."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.img = os.path.join(self.tmp.name, "t.img")
        qemu.create_image(self.img, 8 * MIB)
        subprocess.run([tool("mkfs.holdfs"), self.img], check=True,
                       capture_output=True, timeout=60)
        self.holdfs("put", "-", "/f", stdin=b"x" * 5000)

    def tearDown(self):
        self.tmp.cleanup()

    def holdfs(self, *argv, stdin=b""):
        r = subprocess.run([tool("holdfs"), self.img, *argv], input=stdin,
                           capture_output=True, timeout=60)
        return r.returncode, r.stdout.decode(), r.stderr.decode()

    def size(self, path):
        status, out, err = self.holdfs("stat", path)
        self.assertEqual(status, 0, err)
        return int(re.search(r"^\s*size: (\d+)$", out, re.M).group(1))

    def test_truncate_path_size(self):
        self.assertEqual(self.holdfs("truncate", "/f", "100"), (0, "", ""))
        self.assertEqual(self.size("/f"), 100)
        self.assertEqual(self.holdfs("truncate", "/f", "8K")[0], 0)
        self.assertEqual(self.size("/f"), 8192)

    def test_truncate_old_order_only_when_unambiguous(self):
        status, _, err = self.holdfs("truncate", "300", "/f")
        self.assertEqual(status, 0)
        self.assertIn("the order is now PATH SIZE (truncate /f 300)", err)
        self.assertEqual(self.size("/f"), 300)
        for args, why in ((("/f", "/g"), "bad size '/g'"),
                          (("/f", "lots"), "bad size 'lots'"),
                          (("f", "10"), "expected PATH SIZE"),
                          (("10", "20"), "expected PATH SIZE")):
            with self.subTest(args=args):
                status, _, err = self.holdfs("truncate", *args)
                self.assertEqual(status, 2)
                self.assertIn(why, err)
        self.assertEqual(self.size("/f"), 300)

    def test_times_print_as_dates_like_the_shell(self):
        # UTC dates as the kernel's stat and ls -l print them (lib/date.h);
        # the file was put just now, so it is dated today, give or take a
        # day (a run across midnight): a value check, not a timing one.
        import boots
        status, out, err = self.holdfs("stat", "/f")
        self.assertEqual(status, 0, err)
        for what in ("access", "modify", "change"):
            self.assertRegex(out, rf"(?m)^{what}: {boots.HOST_DATES} "
                                  r"\d\d:\d\d:\d\d\.\d{9} \+0000$")
        status, out, err = self.holdfs("ls", "-l", "/")
        self.assertEqual(status, 0, err)
        self.assertRegex(out, rf"(?m)^-0644 +1 +\d+ +\d+ +5000 {boots.HOST_DATES} "
                              r"\d\d:\d\d f$")

    def test_usage_documents_the_order(self):
        status, _, err = self.holdfs("truncate", "/f")
        self.assertEqual(status, 2)
        self.assertIn("truncate PATH SIZE", err)
        self.assertIn("old order SIZE PATH", err)


class RunOptions(unittest.TestCase):
    """`make help` documents every `make run` option, and each one reaches
    the QEMU command line."""

    def test_make_help_lists_the_run_options(self):
        if not MAKE:
            self.skipTest("make is not installed here")
        out = subprocess.run([MAKE, "-s", "-C", ROOT, "help"],
                             capture_output=True, text=True, timeout=30,
                             check=True).stdout
        for option in ("PMEM=build/pmem.img", "PMEM_SIZE=128M", "NVDIMMS=1",
                       "SMP=1", "MEMORY=512M", "MACHINE=q35", "ACCEL="):
            with self.subTest(option=option):
                lines = [l for l in out.split("\n")
                         if l.strip().startswith(option + " ")]
                self.assertEqual(len(lines), 1, f"{option} in:\n{out}")
        self.assertIn("q35 or pc", out)
        self.assertIn("ACCEL=tcg or ACCEL=kvm", out)

    def test_make_run_passes_every_option(self):
        if not MAKE:
            self.skipTest("make is not installed here")
        out = subprocess.run(
            [MAKE, "-n", "-C", ROOT, "run", "PMEM=/tmp/x.img", "NVDIMMS=3",
             "PMEM_SIZE=1G", "SMP=2", "MEMORY=1G", "MACHINE=pc", "ACCEL=tcg"],
            capture_output=True, text=True, timeout=60).stdout
        line = [l for l in out.split("\n") if "scripts/qemu.py run" in l]
        self.assertEqual(len(line), 1, out)
        for arg in ("--pmem '/tmp/x.img'", "--nvdimms 3", "--pmem-size 1G",
                    "--smp 2", "--memory 1G", "--machine pc", "--accel 'tcg'"):
            self.assertIn(arg, line[0])

    def qemu_cmd(self, *argv):
        r = subprocess.run([sys.executable, QEMU_PY, "cmd", *argv],
                           capture_output=True, text=True, timeout=30)
        return r.returncode, r.stdout, r.stderr

    def test_nvdimms_names_the_images_after_the_first(self):
        status, out, _ = self.qemu_cmd("--pmem", "build/p.img", "--nvdimms",
                                       "3", "--pmem-size", "64M")
        self.assertEqual(status, 0)
        for i, name in enumerate(("p.img", "p1.img", "p2.img")):
            self.assertIn(f"-object memory-backend-file,id=pm{i},share=on,"
                          f"mem-path=build/{name},size={64 * MIB} "
                          f"-device nvdimm,id=nv{i},memdev=pm{i}", out)
        self.assertNotIn("id=pm3", out)
        self.assertEqual(qemu.nvdimm_images("a/pmem.img", 2),
                         ["a/pmem.img", "a/pmem1.img"])

    def test_nvdimms_zero_and_bad_counts(self):
        status, out, _ = self.qemu_cmd("--pmem", "build/p.img", "--nvdimms",
                                       "0")
        self.assertEqual(status, 0)
        self.assertNotIn("memory-backend-file", out)
        status, _, err = self.qemu_cmd("--pmem", "build/p.img", "--nvdimms",
                                       "9")
        self.assertEqual(status, qemu.EXIT_USAGE)
        self.assertIn("bad NVDIMM count 9: expected 0 to 8", err)
        status, _, err = self.qemu_cmd("--pmem", "", "--nvdimms", "2")
        self.assertEqual(status, qemu.EXIT_USAGE)
        self.assertIn("--nvdimms needs a --pmem image", err)
        status, out, _ = self.qemu_cmd("--pmem", "", "--nvdimms", "1")
        self.assertEqual(status, 0)
        self.assertNotIn("memory-backend-file", out)

    def echoed_cmd(self, mode, *argv):
        """The QEMU command line `qemu.py MODE` runs, with echo as QEMU."""
        with tempfile.TemporaryDirectory() as tmp:
            elf = os.path.join(tmp, "k.elf")
            open(elf, "w").close()
            r = subprocess.run(
                [sys.executable, QEMU_PY, mode, "--kernel", elf, "--pmem", "",
                 "--qemu", shutil.which("echo"), "--build-dir", tmp, *argv],
                stdin=subprocess.DEVNULL, capture_output=True, text=True,
                timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.split("\n")

    def test_run_and_debug_let_the_guest_reboot(self):
        # `reboot` at the prompt comes back to the prompt under make run
        # and make debug; a test= run still ends at a reset.
        for mode in ("run", "debug"):
            with self.subTest(mode=mode):
                qemu_line = [l for l in self.echoed_cmd(mode, "--accel", "tcg")
                             if "-machine" in l]
                self.assertEqual(len(qemu_line), 1)
                self.assertNotIn("-no-reboot", qemu_line[0].split())
        qemu_line = [l for l in self.echoed_cmd("run", "--accel", "tcg",
                                                "--append", "test=locks")
                     if "-machine" in l]
        self.assertIn("-no-reboot", qemu_line[0].split())

    def test_smp_memory_machine_accel(self):
        status, out, _ = self.qemu_cmd("--pmem", "", "--smp", "2", "--memory",
                                       "1G", "--machine", "pc", "--accel",
                                       "kvm")
        self.assertEqual(status, 0)
        for arg in ("-machine pc,nvdimm=on", "-accel kvm -cpu host",
                    "-smp 2", "-m 1G,"):
            self.assertIn(arg, out)


# tools/progress.c: "\rTOOL: IMAGE: PCT% (N of M UNITS, R UNITS/s)"
PROGRESS_RE = re.compile(r"^(?P<tool>[a-z.]+): (?P<image>\S+): +(?P<pct>\d{1,3})% "
                         r"\((?P<done>\d+) of (?P<total>\d+) (?P<unit>[a-z ]+), "
                         r"\d+ (?P=unit)/s\) *$")


class ToolProgress(unittest.TestCase):
    """mkfs.holdfs and fsck.holdfs show progress on a terminal only."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.img = os.path.join(self.tmp.name, "p.img")
        qemu.create_image(self.img, 512 * MIB)

    def tearDown(self):
        self.tmp.cleanup()

    def runs(self, *flags):
        """(mkfs, fsck) CompletedProcess with stderr a pipe; bytes decoded
        by hand, as text mode would turn each \\r into a newline."""
        runs = []
        for name in ("mkfs.holdfs", "fsck.holdfs"):
            r = subprocess.run([tool(name), *flags, self.img],
                               capture_output=True, timeout=60)
            r.stdout, r.stderr = r.stdout.decode(), r.stderr.decode()
            runs.append(r)
        return runs

    def check_lines(self, stderr, tool_name, unit):
        self.assertTrue(stderr.endswith("\n"), repr(stderr[-80:]))
        line, rest = stderr.split("\n", 1)
        self.assertEqual(rest, "")
        self.assertTrue(line.startswith("\r"))
        pcts = []
        for part in line[1:].split("\r"):
            m = PROGRESS_RE.match(part)
            self.assertIsNotNone(m, repr(part))
            self.assertEqual((m["tool"], m["image"], m["unit"]),
                             (tool_name, self.img, unit))
            done, total = int(m["done"]), int(m["total"])
            self.assertLessEqual(done, total)
            self.assertEqual(int(m["pct"]), done * 100 // total)
            pcts.append(int(m["pct"]))
        self.assertEqual(pcts, sorted(pcts))
        self.assertEqual(pcts[-1], 100)

    def test_quiet_when_not_a_terminal(self):
        mkfs, fsck = self.runs()
        self.assertEqual((mkfs.returncode, mkfs.stderr), (0, ""))
        self.assertEqual((fsck.returncode, fsck.stderr), (0, ""))
        self.assertNotIn("\r", mkfs.stdout + fsck.stdout)

    def test_forced_progress_is_well_formed(self):
        mkfs, fsck = self.runs("-P")
        self.assertEqual((mkfs.returncode, fsck.returncode), (0, 0))
        self.check_lines(mkfs.stderr, "mkfs.holdfs", "metadata blocks")
        self.check_lines(fsck.stderr, "fsck.holdfs", "inodes")
        self.assertEqual(fsck.stdout, f"fsck.holdfs: {self.img}: clean\n")

    def test_shown_on_a_terminal(self):
        tool("mkfs.holdfs")
        subprocess.run([tool("mkfs.holdfs"), self.img], check=True,
                       capture_output=True, timeout=60)
        master, slave = pty.openpty()
        try:
            r = subprocess.run([tool("fsck.holdfs"), self.img],
                               stdout=subprocess.PIPE, stderr=slave,
                               timeout=60)
            os.close(slave)
            slave = None
            got = b""
            while True:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                got += chunk
        finally:
            if slave is not None:
                os.close(slave)
            os.close(master)
        self.assertEqual(r.returncode, 0)
        text = got.decode().replace("\r\n", "\n")   # the tty's ONLCR
        self.check_lines(text, "fsck.holdfs", "inodes")


BENCH_STATUS_RE = re.compile(
    r"^bench: (booting QEMU, waiting for the holdfast> prompt|running the "
    r"benchmarks: \d+ figures? so far|'poweroff' typed, waiting for QEMU "
    r"to exit) \(\d+ s\)$")
FIGURES = ["bench boot_to_prompt 12.5 ms", "bench pmem_read 1043 MB/s",
           "bench pmem_write_nt 563 MB/s"]


class BenchProgress(unittest.TestCase):
    """`make bench` says which step runs, on a terminal only."""

    def run_fake(self, on):
        out = io.StringIO()
        status = bench.Status(stream=out, on=on)
        with tempfile.TemporaryDirectory() as tmp:
            fake = os.path.join(tmp, "fake_qemu.py")
            with open(fake, "w") as f:
                f.write(FAKE_MACHINE)
            old, bench.STATUS = bench.STATUS, status
            try:
                _, problem = bench.run_machine([sys.executable, fake], tmp,
                                               ["bench -w", "poweroff"], 20)
            finally:
                bench.STATUS = old
        self.assertEqual(problem, "")
        return out.getvalue()

    def test_quiet_when_off(self):
        self.assertEqual(self.run_fake(False), "\n".join(FIGURES) + "\n")

    def test_status_lines_are_well_formed(self):
        text = self.run_fake(True)
        figures, statuses = [], []
        for line in text.split("\n"):
            parts = [p.strip() for p in line.split("\r") if p.strip()]
            for part in parts:
                (figures if part.startswith("bench ") and
                 not part.startswith("bench: ") else statuses).append(part)
        self.assertEqual(figures, FIGURES)
        self.assertTrue(statuses)
        for st in statuses:
            self.assertRegex(st, BENCH_STATUS_RE)
        self.assertTrue(statuses[0].startswith("bench: booting QEMU"))
        self.assertIn("bench: running the benchmarks: 3 figures so far",
                      " ".join(statuses))
        # Every figure line starts a line of its own (the status was wiped).
        for fig in FIGURES:
            self.assertRegex(text, r"(^|\r)" + re.escape(fig) + "\n")
        self.assertTrue(text.endswith("\r"), repr(text[-40:]))

    def test_auto_follows_the_terminal(self):
        r = subprocess.run(
            [sys.executable, "-c",
             "import sys; sys.path.insert(0, sys.argv[1]); import bench; "
             "bench.parse_args([]); print(bench.STATUS.on)",
             os.path.join(ROOT, "scripts")],
            capture_output=True, text=True, timeout=30)
        self.assertEqual(r.stdout.strip(), "False")
        for flag, want in (("on", True), ("off", False)):
            bench.parse_args(["--progress", flag])
            self.assertIs(bench.STATUS.on, want)
        bench.STATUS.on = False


# ------------------------------------------------- the repository alone ----

# Names of things that live outside the repository: the folder beside the
# checkout that held the design, style guide, seed and peer harness, and
# the two documents that are now docs/design.md and docs/style.md.
OUTSIDE_RE = re.compile(r"\.\./shared\b|/work/shared\b|\b(?:DESIGN|STYLE)\.md\b")
# A relative path that climbs: "../x", "../../include/y.h" (not the "/./../"
# inside a longer path, which is a path being tested, not a reference).
UP_PATH_RE = re.compile(r"(?<![\w./-])((?:\.\./)+[\w.\-/]*)")
# The one documented reference outside the repository (scripts/bench_linux.py
# and docs/performance.md explain it): file, and how its line starts.
PEER_DEFAULT = ("scripts/bench_linux.py", "PEER_DIR_DEFAULT = ")
# Files that are data, not text that refers to anything; and this file,
# which spells out the names it looks for.
DATA_PREFIXES = ("tests/host/fuzz_corpus/",)
SELF = os.path.relpath(os.path.abspath(__file__), ROOT)
# [text](target "title") and [label]: target
MD_LINK_RE = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
MD_REF_RE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.M)
MD_SCHEME_RE = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)


def tracked_files():
    """The repository's tracked files (paths relative to ROOT), or skip."""
    git = shutil.which("git")
    if not git:
        raise unittest.SkipTest("git is not installed here")
    r = subprocess.run([git, "-C", ROOT, "ls-files", "-z"],
                       capture_output=True, timeout=60)
    if r.returncode != 0:
        raise unittest.SkipTest("not a git checkout: "
                                + r.stderr.decode(errors="replace").strip())
    return [f for f in r.stdout.decode().split("\0") if f]


def read_text(rel, root=ROOT):
    """The text of tracked file @rel, or None for binary data."""
    try:
        with open(os.path.join(root, rel), "rb") as f:
            data = f.read()
    except OSError:
        return None                     # deleted in the work tree
    if b"\0" in data:
        return None
    return data.decode("utf-8", errors="replace")


def in_repo(rel_from_root):
    """Is this normalised path inside the repository (not above it)?"""
    return rel_from_root != ".." and not rel_from_root.startswith("../")


def files_and_folders(files):
    """(set of files, set of every folder holding one, "" for the top)."""
    folders = set()
    for f in files:
        d = os.path.dirname(f)
        while d not in folders:
            folders.add(d)
            if not d:
                break
            d = os.path.dirname(d)
    return set(files), folders


def github_anchor(heading):
    """The #fragment GitHub gives a markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def md_anchors(text):
    return {github_anchor(m.group(1))
            for m in re.finditer(r"^#{1,6}\s+(.*?)\s*#*\s*$", text, re.M)}


def outside_references(files, root=ROOT):
    """[(file, line number, why)] for every reference to a path outside
    the repository, or to a ../ path that names nothing in it."""
    known, folders = files_and_folders(files)
    found = []
    for rel in files:
        if rel.startswith(DATA_PREFIXES) or rel == SELF:
            continue
        text = read_text(rel, root)
        if text is None:
            continue
        for n, line in enumerate(text.split("\n"), 1):
            if rel == PEER_DEFAULT[0] and line.startswith(PEER_DEFAULT[1]):
                continue                # the documented exception
            m = OUTSIDE_RE.search(line)
            if m:
                found.append((rel, n, f"names {m.group(0)!r}, which is not "
                                      "in the repository"))
            for m in UP_PATH_RE.finditer(line):
                if not m.group(1).strip("./"):
                    continue            # "../" alone names no file
                target = os.path.normpath(os.path.join(os.path.dirname(rel),
                                                       m.group(1)))
                if not in_repo(target):
                    found.append((rel, n, f"{m.group(1)!r} climbs out of "
                                          "the repository"))
                elif target not in known and target not in folders:
                    found.append((rel, n, f"{m.group(1)!r} is {target}, "
                                          "which the repository does not hold"))
    return found


def broken_md_links(files, root=ROOT):
    """[(file, target, why)] for the relative links of README.md and
    docs/*.md that do not open a tracked file (or heading)."""
    known, folders = files_and_folders(files)
    docs = [f for f in files if f == "README.md" or
            (f.startswith("docs/") and f.endswith(".md"))]
    found = []
    for rel in docs:
        text = read_text(rel, root) or ""
        targets = MD_LINK_RE.findall(text) + MD_REF_RE.findall(text)
        for target in targets:
            if MD_SCHEME_RE.match(target):
                continue                # http:, https:, mailto:
            path, _, fragment = target.partition("#")
            dest = os.path.normpath(os.path.join(os.path.dirname(rel), path)) \
                if path else rel
            if not in_repo(dest):
                found.append((rel, target, "climbs out of the repository"))
            elif dest not in known and dest not in folders:
                found.append((rel, target, f"{dest} is not in the repository"))
            elif fragment and dest.endswith(".md") and dest in known and \
                    fragment not in md_anchors(read_text(dest, root) or ""):
                found.append((rel, target, f"{dest} has no heading "
                                           f"#{fragment}"))
    return found


class RepositoryStandsAlone(unittest.TestCase):
    """What a newcomer clones is everything the docs and sources refer to."""

    def test_nothing_tracked_points_outside(self):
        found = outside_references(tracked_files())
        self.assertEqual(found, [], "references outside the repository:\n" +
                         "\n".join(f"  {f}:{n}: {why}" for f, n, why in found))

    def test_the_peer_default_is_the_one_exception(self):
        """The exception above is a single, named line; if it moves, the
        scan must not quietly let other lines through."""
        rel, start = PEER_DEFAULT
        lines = [l for l in (read_text(rel) or "").split("\n")
                 if l.startswith(start)]
        self.assertEqual(len(lines), 1, f"{rel}: lines starting {start!r}")
        self.assertIn("../shared/peer", lines[0])

    @staticmethod
    def fake_repo(tmp, files):
        for rel, text in files.items():
            os.makedirs(os.path.join(tmp, os.path.dirname(rel)), exist_ok=True)
            with open(os.path.join(tmp, rel), "w") as f:
                f.write(text)
        return list(files)

    def test_the_scan_sees_what_it_must(self):
        with tempfile.TemporaryDirectory() as tmp:
            files = self.fake_repo(tmp, {
                "include/a.h": "",
                "src/deep/x.c": '#include "../../include/a.h"\n',
                "src/x.c": '#include "../include/a.h"\n'
                           "/* see ../shared/DESIGN.md */\n"
                           '#include "../../elsewhere/b.h"\n'
                           '#include "../include/gone.h"\n'
                           'path("/d//./../d/"); up("../")\n'})
            found = outside_references(files, tmp)
        self.assertEqual([(f, n, why.split()[0]) for f, n, why in found],
                         [("src/x.c", 2, "names"),
                          ("src/x.c", 2, "'../shared/DESIGN.md'"),
                          ("src/x.c", 3, "'../../elsewhere/b.h'"),
                          ("src/x.c", 4, "'../include/gone.h'")])

    def test_the_link_check_sees_what_it_must(self):
        with tempfile.TemporaryDirectory() as tmp:
            files = self.fake_repo(tmp, {
                "README.md": "[a](docs/a.md) [b](docs/b.md) "
                             "[web](https://example.org/x)\n",
                "docs/a.md": "# A title (\"quoted\")\n"
                             "[up](../README.md) [here](#a-title-quoted) "
                             "[there](a.md#nope) [out](../../x.md)\n"
                             "[ref]: ../src/\n"
                             "[deep]: ../src/deep/x.c\n",
                "src/deep/x.c": "",
                "src/x.c": ""})
            found = broken_md_links(files, tmp)
        self.assertEqual(found, [
            ("README.md", "docs/b.md", "docs/b.md is not in the repository"),
            ("docs/a.md", "a.md#nope", "docs/a.md has no heading #nope"),
            ("docs/a.md", "../../x.md", "climbs out of the repository")])

    def test_markdown_links_open_files_of_the_repo(self):
        found = broken_md_links(tracked_files())
        self.assertEqual(found, [], "broken links:\n" + "\n".join(
            f"  {f}: ({t}): {why}" for f, t, why in found))

    def test_the_guide_starts_with_the_design(self):
        text = read_text("docs/README.md") or ""
        first = MD_LINK_RE.search(text)
        self.assertIsNotNone(first)
        self.assertEqual(first.group(1), "design.md")
        self.assertIn("](docs/design.md)", read_text("README.md") or "")

    def test_bench_linux_names_the_missing_harness(self):
        """PEER=DIR reaches the script, and an empty DIR is explained.
        PEER_DIR points at the empty folder too, so that nothing here can
        start the real harness (it downloads and boots Linux)."""
        if not MAKE:
            self.skipTest("make is not installed here")
        with tempfile.TemporaryDirectory() as tmp:
            empty = os.path.join(tmp, "no-harness-here")
            os.mkdir(empty)
            env = dict(os.environ, PEER_DIR=empty)
            dry = subprocess.run([MAKE, "-n", "-C", ROOT, "bench-linux",
                                  f"PEER={empty}", f"B={tmp}"], env=env,
                                 capture_output=True, text=True, timeout=60)
            line = [l for l in dry.stdout.split("\n")
                    if "scripts/bench_linux.py" in l]
            self.assertEqual(len(line), 1, dry.stdout)
            self.assertIn(f"--peer-dir '{empty}'", line[0])
            r = subprocess.run([sys.executable,
                                os.path.join(ROOT, "scripts", "bench_linux.py"),
                                "--build-dir", tmp, "--peer-dir", empty],
                               env=env, stdin=subprocess.DEVNULL,
                               capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"error: {empty}/run-linux-dax.sh is missing: the "
                      f"Linux peer harness is not in {empty}.", r.stderr)
        self.assertIn("not part of this repository", r.stderr)
        self.assertIn("make bench-linux PEER=DIR", r.stderr)


if __name__ == "__main__":
    unittest.main()
