"""test_runner_selftest.py - unit tests of the test runner itself.

    python3 -m unittest tests/test_runner_selftest.py

Covers the KTAP parser and the verdicts in tests/run.py on fabricated
output, the boot table in tests/boots.py, and the command lines of
scripts/qemu.py.  Two tests run a fake QEMU (a small Python script) to check
that a boot is killed, with its children, when its time is up.  Nothing
here needs a built kernel or a real QEMU.
"""

import os
import re
import stat
import sys
import tempfile
import time
import unittest
from dataclasses import replace

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, TESTS_DIR)
sys.path.insert(0, os.path.join(os.path.dirname(TESTS_DIR), "scripts"))

import boots  # noqa: E402
import qemu   # noqa: E402
import run    # noqa: E402

GOOD = """\
KTAP version 1
1..4
ok 1 bitmap.single_bits
# FAIL lib/x.c:42: EXPECT_EQ(a, 3): a = 4 (0x4), 3 = 3 (0x3)
# more detail
not ok 2 bitmap.ranges
ok 3 pmem.map # SKIP no NVDIMM
ok 4 string.copy
# totals: 2 passed, 1 failed, 1 skipped
"""


class ParseKtap(unittest.TestCase):
    def test_counts(self):
        kt = run.parse_ktap(GOOD)
        self.assertTrue(kt.version_seen)
        self.assertEqual(kt.plan, 4)
        self.assertEqual((kt.passed, kt.failed, kt.skipped, kt.missing),
                         (2, 1, 1, 0))
        self.assertEqual(kt.problems, [])

    def test_failure_keeps_preceding_diagnostics(self):
        kt = run.parse_ktap(GOOD)
        failed = [c for c in kt.cases if c.status == run.FAIL][0]
        self.assertEqual(failed.name, "bitmap.ranges")
        self.assertEqual(failed.diagnostics,
                         ["# FAIL lib/x.c:42: EXPECT_EQ(a, 3): a = 4 (0x4), "
                          "3 = 3 (0x3)", "# more detail"])
        self.assertEqual(kt.cases[3].diagnostics, [])

    def test_skip_reason(self):
        skip = run.parse_ktap(GOOD).cases[2]
        self.assertEqual((skip.status, skip.name, skip.reason),
                         (run.SKIP, "pmem.map", "no NVDIMM"))

    def test_not_ok_skip_is_a_skip(self):
        kt = run.parse_ktap("KTAP version 1\n1..1\nnot ok 1 a.b # SKIP x\n")
        self.assertEqual((kt.failed, kt.skipped), (0, 1))

    def test_missing_results(self):
        kt = run.parse_ktap("KTAP version 1\n1..5\nok 1 a\nok 2 b\n")
        self.assertEqual((kt.passed, kt.missing), (2, 3))

    def test_no_plan(self):
        kt = run.parse_ktap("Holdfast 0.1 booting\nPANIC: early\n")
        self.assertIsNone(kt.plan)
        self.assertEqual(kt.cases, [])

    def test_serial_noise_crlf_escapes_and_log_lines(self):
        text = ("\x1b[2J\x1b[H\r\nHoldfast 0.1 booting\r\n"
                "apic: timer ok\r\nKTAP version 1\r\n1..2\r\n"
                "ok 1 a.one\r\nmm: a kernel message\r\n"
                "not ok 2 a.two\r\n")
        kt = run.parse_ktap(text)
        self.assertEqual((kt.plan, kt.passed, kt.failed), (2, 1, 1))
        self.assertEqual(kt.cases[1].diagnostics, ["mm: a kernel message"])
        self.assertEqual(kt.cases[1].line, "not ok 2 a.two")

    def test_indented_results_are_not_counted(self):
        kt = run.parse_ktap("KTAP version 1\n1..1\n    ok 1 nested\n"
                            "ok 1 outer\n")
        self.assertEqual(len(kt.cases), 1)

    def test_out_of_sequence_and_beyond_plan(self):
        kt = run.parse_ktap("KTAP version 1\n1..2\nok 1 a\nok 3 b\n"
                            "ok 4 c\n")
        self.assertEqual(len(kt.problems), 2)
        self.assertIn("out of sequence", kt.problems[0])
        self.assertIn("more results than the plan", kt.problems[1])

    def test_second_header(self):
        kt = run.parse_ktap("KTAP version 1\n1..1\nok 1 a\n"
                            "KTAP version 1\n1..1\nok 1 a\n")
        self.assertTrue(any("second KTAP header" in p for p in kt.problems))


class JudgeHost(unittest.TestCase):
    def test_pass(self):
        text = "KTAP version 1\n1..2\nok 1 a\nok 2 b\n"
        out = run.judge_host("test_x", text, "", 0, False)
        self.assertEqual((out.passed, out.failed, out.problems), (2, 0, []))

    def test_failures_and_skips_are_shown(self):
        out = run.judge_host("test_x", GOOD, "", 1, False)
        self.assertEqual((out.passed, out.failed, out.skipped), (2, 1, 1))
        self.assertEqual([c.number for c in out.shown], [2, 3])
        self.assertEqual(out.problems, [])

    def test_nonzero_exit_without_failure(self):
        text = "KTAP version 1\n1..1\nok 1 a\n"
        out = run.judge_host("test_x", text, "==1==ERROR: AddressSanitizer",
                             1, False)
        self.assertEqual((out.passed, out.failed), (1, 1))
        self.assertIn("AddressSanitizer", out.tail[-1])

    def test_crash_counts_missing_cases(self):
        text = "KTAP version 1\n1..3\nok 1 a\n"
        out = run.judge_host("test_x", text, "", -11, False)
        self.assertEqual((out.passed, out.failed), (1, 2 + 1))
        self.assertIn("SIGSEGV", out.problems[0])

    def test_zero_exit_with_failure(self):
        text = "KTAP version 1\n1..1\nnot ok 1 a\n"
        out = run.judge_host("test_x", text, "", 0, False)
        self.assertEqual(out.failed, 2)

    def test_timeout(self):
        out = run.judge_host("test_x", "", "", -9, True, timeout=300)
        self.assertIn("timed out after 300 s", out.problems[0])
        self.assertEqual(out.failed, 1)


class JudgeBoot(unittest.TestCase):
    BANNER = "\nHoldfast 0.1 booting\n"

    def judge(self, serial, status, timed_out=False, stderr=""):
        return run.judge_ktap_boot("b", self.BANNER + serial, stderr, status,
                                   timed_out, 120)

    def test_pass(self):
        out = self.judge("KTAP version 1\n1..1\nok 1 a\n", qemu.EXIT_PASS)
        self.assertEqual((out.passed, out.failed, out.problems), (1, 0, []))

    def test_fail_agrees(self):
        out = self.judge("KTAP version 1\n1..1\nnot ok 1 a\n",
                         qemu.EXIT_FAIL)
        self.assertEqual((out.failed, out.problems), (1, []))

    def test_status_disagrees(self):
        out = self.judge("KTAP version 1\n1..1\nok 1 a\n", qemu.EXIT_FAIL)
        self.assertEqual(out.failed, 1)
        out = self.judge("KTAP version 1\n1..1\nnot ok 1 a\n",
                         qemu.EXIT_PASS)
        self.assertEqual(out.failed, 2)

    def test_unexpected_status_quotes_qemu(self):
        out = self.judge("", 1, stderr="qemu: bad device\n")
        self.assertIn("qemu: bad device", " ".join(out.problems))

    def test_panic(self):
        out = self.judge("KTAP version 1\n1..2\nok 1 a\nPANIC: boom\n",
                         qemu.EXIT_FAIL)
        self.assertEqual(out.failed, 1 + 1)
        self.assertTrue(any("PANIC: boom" in p for p in out.problems))

    def test_reboot(self):
        out = self.judge("KTAP version 1\n1..1\nok 1 a\n" + self.BANNER,
                         qemu.EXIT_PASS)
        self.assertTrue(any("rebooted" in p for p in out.problems))

    def test_expected_reboot(self):
        boot = boots.scenario("r", iso="holdfast.iso", status=0, reboots=1)
        twice = self.BANNER + "rebooting\n" + self.BANNER
        out = run.judge_scenario(boot, twice, "", 0, False)
        self.assertEqual((out.passed, out.problems), (1, []))
        out = run.judge_scenario(boot, self.BANNER, "", 0, False)
        self.assertEqual(out.failed, 1)
        self.assertIn("expected 2", " ".join(out.problems))
        out = run.judge_scenario(boot, twice + self.BANNER, "", 0, False)
        self.assertIn("more than the 1 time(s) expected",
                      " ".join(out.problems))

    def test_timeout_shows_the_serial_tail(self):
        serial = "".join(f"line {i}\n" for i in range(100))
        out = self.judge(serial, -9, timed_out=True)
        self.assertEqual(len(out.tail), run.TAIL_LINES)
        self.assertEqual(out.tail[-1], "line 99")


class JudgeScenario(unittest.TestCase):
    BOOT = boots.scenario("s", iso="holdfast.iso", status=0,
                          expect=(r"holdfast> ", r"\bup \d+"),
                          reject=(r"oops",))

    def test_pass(self):
        out = run.judge_scenario(self.BOOT, "holdfast> uptime\nup 3 s\n", "",
                                 0, False)
        self.assertEqual((out.passed, out.failed), (1, 0))

    def test_each_reason_is_reported_once_as_one_failure(self):
        out = run.judge_scenario(self.BOOT, "holdfast> oops\n", "", 1, False)
        self.assertEqual((out.passed, out.failed, out.cases), (0, 1, 1))
        self.assertEqual(len(out.problems), 3)


class Summary(unittest.TestCase):
    def test_summary_line(self):
        self.assertEqual(run.summary_line(5, 0, 0),
                         "5 passed, 0 failed, 0 skipped")
        self.assertEqual(run.summary_line(5, 1, 2),
                         "5 passed, 1 failed, 2 skipped")

    def test_readme_quotes_the_summary_line(self):
        """README.md's "The last line is `...`" has the shape of what
        summary_line() prints, with N for each count."""
        with open(os.path.join(os.path.dirname(TESTS_DIR), "README.md")) as f:
            readme = " ".join(f.read().split())
        quoted = re.findall(r"The last line is `([^`]*)`", readme)
        self.assertEqual(quoted, [re.sub(r"\d+", "N",
                                         run.summary_line(1, 2, 3))])

    def test_render_pass_line(self):
        out = run.Outcome("ktest-q35-kernel", cases=57, passed=57,
                          seconds=3.14)
        self.assertEqual(run.render(out),
                         ["PASS ktest-q35-kernel (57 cases, 3.1 s)"])


class BootTable(unittest.TestCase):
    def test_entries_are_well_formed(self):
        names = [b.name for b in boots.BOOTS]
        self.assertEqual(len(names), len(set(names)), "duplicate boot names")
        flat = []
        for b in boots.BOOTS:
            if isinstance(b, boots.Sequence):
                steps = [s for s in b.steps if isinstance(s, boots.Boot)]
                # host checks alone: a check that boots QEMU itself
                self.assertTrue(b.steps, f"sequence {b.name} is empty")
                self.assertTrue(all(callable(s) for s in b.steps
                                    if not isinstance(s, boots.Boot)))
                self.assertTrue(all(s.images_as == b.name for s in steps))
                flat += steps
            else:
                flat.append(b)
        for b in flat:
            with self.subTest(boot=b.name):
                self.assertIn(b.kind, (boots.KTAP, boots.SCENARIO))
                self.assertIn(b.machine, qemu.MACHINES)
                self.assertTrue(bool(b.iso) != bool(b.kernel))
                self.assertIn(b.feed, ("prompt", "all"))
                for pattern in b.expect + b.reject + (b.prompt,):
                    re.compile(pattern)
                for pattern, text in b.then:
                    re.compile(pattern)
                    self.assertIsInstance(text, str)
                self.assertTrue(b.check is None or callable(b.check))
                for size in b.pmem:
                    qemu.parse_size(size)
                if b.kind == boots.SCENARIO:
                    self.assertTrue(b.stdin.endswith("\n"))


class BuildCmd(unittest.TestCase):
    def test_design_machine(self):
        cmd = qemu.build_cmd(qemu="q", iso="h.iso",
                             pmem=[("a.img", 16 << 20)], debug_exit=True)
        line = " ".join(cmd)
        for part in ("-machine q35,nvdimm=on", "-cpu max",
                     "-m 512M,slots=4,maxmem=64G",
                     "-object memory-backend-file,id=pm0,share=on,"
                     "mem-path=a.img,size=16777216",
                     "-device nvdimm,id=nv0,memdev=pm0",
                     "-device edu,dma_mask=0xffffffffffffffff",
                     "-device isa-debug-exit,iobase=0xf4,iosize=0x04",
                     "-display none", "-serial stdio", "-monitor none",
                     "-no-reboot", "-accel tcg", "-cdrom h.iso"):
            self.assertIn(part, line)

    def test_no_reboot_only_where_asked(self):
        self.assertIn("-no-reboot", qemu.build_cmd(qemu="q"))
        self.assertNotIn("-no-reboot", qemu.build_cmd(qemu="q",
                                                      no_reboot=False))
        ctx = run.Context("build", "tcg", "q")
        plain = boots.scenario("a", kernel="holdfast.elf")
        self.assertIn("-no-reboot", run.boot_cmd(plain, ctx, []))
        rebooting = boots.scenario("b", kernel="holdfast.elf", reboots=1)
        self.assertNotIn("-no-reboot", run.boot_cmd(rebooting, ctx, []))

    def test_variants(self):
        cmd = qemu.build_cmd(qemu="q", machine="pc", accel="kvm", smp=2,
                             kernel="k.elf", append="test=all",
                             pmem=[("a", 1 << 30), ("b,c", 1 << 30)],
                             edu_dma_mask=None, serial="mon:stdio")
        line = " ".join(cmd)
        self.assertIn("-machine pc,nvdimm=on", line)
        self.assertIn("-accel kvm -cpu host", line)
        self.assertIn("nvdimm,id=nv1,memdev=pm1", line)
        self.assertIn("mem-path=b,,c", line)
        self.assertIn("-device edu ", line + " ")
        self.assertEqual(cmd[cmd.index("-append") + 1], "test=all")
        self.assertNotIn("-monitor", cmd)
        self.assertNotIn("isa-debug-exit", line)

    def test_prealloc(self):
        img = [("a.img", 16 << 20)]
        cmd = qemu.build_cmd(qemu="q", pmem=img, prealloc=True)
        self.assertIn("memory-backend-file,id=pm0,share=on,prealloc=on,"
                      "mem-path=a.img,size=16777216", cmd)
        self.assertIn("-mem-prealloc", cmd)
        self.assertNotIn("prealloc", " ".join(qemu.build_cmd(qemu="q", pmem=img)))

    def test_tcg_smp_is_multithreaded(self):
        cmd = qemu.build_cmd(qemu="q", smp=2)
        self.assertEqual(cmd[cmd.index("-accel") + 1], "tcg,thread=multi")

    def test_maxmem_and_slots_grow(self):
        pmem = [(f"p{i}", 32 << 30) for i in range(5)]
        cmd = qemu.build_cmd(qemu="q", pmem=pmem)
        self.assertIn("512M,slots=5,maxmem=161G", cmd)

    def test_iommu_is_the_first_device_and_q35_only(self):
        cmd = qemu.build_cmd(qemu="q", pmem=[("p", 16 << 20)], iommu=True,
                             nvme=["n.img"])
        devices = [cmd[i + 1] for i, a in enumerate(cmd) if a == "-device"]
        self.assertEqual(devices[0], "intel-iommu,intremap=off")
        self.assertEqual(len(devices), len(set(devices)))
        self.assertNotIn("intel-iommu", " ".join(qemu.build_cmd(qemu="q")))
        with self.assertRaisesRegex(ValueError, "needs the q35 machine"):
            qemu.build_cmd(qemu="q", machine="pc", iommu=True)

    def test_dmar_tables_made_for_tests_have_a_good_checksum(self):
        import boots
        table = boots.dmar_table([boots.dmar_drhd(0xFED90000)])
        self.assertEqual(table[:4], b"DMAR")
        self.assertEqual(int.from_bytes(table[4:8], "little"), len(table))
        self.assertEqual(sum(table) & 0xFF, 0)
        self.assertEqual(len(table), 48 + 16)

    def test_bad_arguments(self):
        with self.assertRaises(ValueError):
            qemu.build_cmd(qemu="q", iso="a", kernel="b")
        with self.assertRaises(ValueError):
            qemu.build_cmd(qemu="q", machine="virt")

    def test_parse_size(self):
        self.assertEqual(qemu.parse_size("128M"), 128 << 20)
        self.assertEqual(qemu.parse_size("1g"), 1 << 30)
        self.assertEqual(qemu.parse_size("4096"), 4096)
        self.assertEqual(qemu.parse_size("2GiB"), 2 << 30)
        for bad in ("", "12Q", "-1M", "0", "1.5G"):
            with self.assertRaises(ValueError):
                qemu.parse_size(bad)


FAKE_QEMU = """\
#!{python}
import subprocess, sys, time
args = sys.argv
mode = args[args.index("-append") + 1]
print("Holdfast 0.1 booting", flush=True)
if mode == "hang":
    subprocess.Popen(["sleep", "600"])
    time.sleep(600)
if mode == "chatty":
    for i in range(5):
        time.sleep(0.7)
        print("# still working", i, flush=True)
if mode == "chatty-forever":
    while True:
        time.sleep(0.3)
        print("# still working", flush=True)
if mode == "echo":
    # a shell of sorts: says what it got, line by line; Ctrl-C at once
    line = b""
    while True:
        c = sys.stdin.buffer.read(1)
        if not c:
            sys.exit(1)
        if c == b"\\x03":
            print("got ctrl-c", flush=True)
        elif c == b"\\n":
            print("got line " + line.decode(), flush=True)
            if line == b"poweroff":
                sys.exit(0)
            line = b""
        else:
            line += c
print("KTAP version 1\\n1..1\\nok 1 fake.case", flush=True)
sys.exit({status})
"""


class FakeBoots(unittest.TestCase):
    """run_boot() against a fake QEMU: no kernel, no real QEMU needed."""

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.build = self.dir.name
        with open(os.path.join(self.build, "holdfast.elf"), "w") as f:
            f.write("not really an ELF\n")
        self.fake = os.path.join(self.build, "fake-qemu")
        with open(self.fake, "w") as f:
            f.write(FAKE_QEMU.format(python=sys.executable,
                                     status=qemu.EXIT_PASS))
        os.chmod(self.fake, stat.S_IRWXU)
        self.ctx = run.Context(self.build, "tcg", self.fake)

    def tearDown(self):
        self.dir.cleanup()

    def test_passing_boot(self):
        boot = boots.ktap("fake-pass", kernel="holdfast.elf", append="pass",
                          pmem=("4M",))
        out = run.run_boot(boot, self.ctx)
        self.assertEqual((out.passed, out.failed), (1, 0), out.problems)
        log = os.path.join(self.ctx.log_dir, "fake-pass.serial.log")
        with open(log) as f:
            self.assertIn("ok 1 fake.case", f.read())
        image = os.path.join(self.ctx.test_dir, "fake-pass.pmem0.img")
        self.assertEqual(os.path.getsize(image), 4 << 20)

    def test_hanging_boot_is_killed_at_its_timeout(self):
        boot = boots.ktap("fake-hang", kernel="holdfast.elf", append="hang",
                          timeout=1)
        start = time.monotonic()
        out = run.run_boot(boot, self.ctx)
        self.assertLess(time.monotonic() - start, 10)
        self.assertEqual(out.failed, 1)
        self.assertTrue(any("no serial output for 1 s" in p
                            for p in out.problems), out.problems)

    def test_a_slow_boot_that_keeps_reporting_is_not_killed(self):
        # 3.5 s in all, never silent for more than 0.7 s: the silence
        # limit (1.5 s) is not a limit on the whole run.
        boot = boots.ktap("fake-chatty", kernel="holdfast.elf",
                          append="chatty", timeout=1.5)
        out = run.run_boot(boot, self.ctx)
        self.assertEqual((out.passed, out.failed), (1, 0), out.problems)
        self.assertGreater(out.seconds, 3.0)

    def test_a_boot_that_talks_forever_meets_the_cap(self):
        boot = boots.ktap("fake-forever", kernel="holdfast.elf",
                          append="chatty-forever", timeout=1)
        saved = run.KTAP_CAP_S
        run.KTAP_CAP_S = 2
        try:
            start = time.monotonic()
            out = run.run_boot(boot, self.ctx)
        finally:
            run.KTAP_CAP_S = saved
        self.assertLess(time.monotonic() - start, 10)
        self.assertEqual(out.failed, 1)
        self.assertTrue(any("timed out after 4 s in all" in p
                            for p in out.problems), out.problems)

    ECHO = boots.scenario("fake-then", kernel="holdfast.elf", append="echo",
                          stdin="first\n", feed="all", status=0,
                          then=((r"^got line first$", "\x03"),
                                (r"^got ctrl-c$", "second\npoweroff\n")),
                          expect=(r"got line first\ngot ctrl-c\n"
                                  r"got line second\n",),
                          timeout=20)

    def test_then_types_each_text_after_its_pattern(self):
        out = run.run_boot(self.ECHO, self.ctx)
        self.assertEqual((out.passed, out.failed), (1, 0), out.problems)

    def test_then_says_what_it_waited_for(self):
        boot = replace(self.ECHO, timeout=2,
                       then=((r"^got line first$", "\x03"),
                             (r"^never$", "poweroff\n")))
        out = run.run_boot(boot, self.ctx)
        self.assertEqual(out.failed, 1)
        self.assertTrue(any("waiting for /^never$/ before typing 'poweroff'"
                            in p for p in out.problems), out.problems)

    def test_a_check_function_judges_the_output(self):
        def no_second(text):
            return "second ran" if "got line second" in text else None
        out = run.run_boot(replace(self.ECHO, check=no_second), self.ctx)
        self.assertEqual(out.failed, 1)
        self.assertIn("no_second: second ran", out.problems)

    def test_missing_medium(self):
        boot = boots.ktap("fake-missing", iso="nope.iso")
        out = run.run_boot(boot, self.ctx)
        self.assertEqual(out.failed, 1)
        self.assertIn("nope.iso", out.problems[0])


if __name__ == "__main__":
    unittest.main()
