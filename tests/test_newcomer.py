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
        "xorriso", "mformat")
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
             "version 1 only: use a Holdfast build that reads version 7 "
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
        self.assertRegex(out, rf"(?m)^-0644 +1 +5000 {boots.HOST_DATES} "
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


if __name__ == "__main__":
    unittest.main()
