#!/usr/bin/env python3
"""test_bench_selftest.py - unit tests of the benchmark scripts' host side.

Owns the tests of scripts/bench.py (parsing `bench` lines and the boot
line, ratios and targets, the table, the CSV, the gnuplot script, the
chart with a fake gnuplot and without one) and of scripts/bench_linux.py
(results.txt -> linux.csv).  Nothing here boots QEMU or runs the peer
harness.

    python3 -m unittest tests/test_bench_selftest.py
"""

import csv
import io
import os
import stat
import sys
import tempfile
import textwrap
import unittest
from contextlib import redirect_stdout, redirect_stderr
from unittest import mock

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TESTS_DIR)
SCRIPTS = os.path.join(ROOT, "scripts")
if SCRIPTS not in sys.path:
    sys.path.insert(0, SCRIPTS)

import bench        # noqa: E402  (scripts/bench.py)
import bench_linux  # noqa: E402  (scripts/bench_linux.py)

SERIAL = textwrap.dedent("""\
    Holdfast 0.1\r
    boot: 45.655 ms from the first instruction to the prompt\r
    holdfast> bench -w\r
    bench fs_seq_write_4k 420 MB/s\r
    bench fs_seq_write_2m 540 MB/s\r
    bench fs_seq_read_2m 1000 MB/s\r
    bench fs_create_4k 80000 ops/s\r
    bench fs_truncate_cycle 900 ops/s\r
    bench pin_unpin_fast 350 ns\r
    bench pin_unpin_slow skipped (no filesystem mounted)\r
    bench layout_wake_latency 67 us\r
    bench pmem_write_nt 563 MB/s\r
    bench pmem_read 1043 MB/s\r
    bench ipi_roundtrip 864 ns\r
    bench: no benchmark named 'nope'\r
    holdfast> poweroff\r
    powering off\r
    """)

PEER_RESULTS = textwrap.dedent("""\
    # peer baseline, 2026-11-24T18:59:00Z, host 6.1.0, 2 cpus, QEMU emulator version 7.2.22
    # kernel package: linux-image-6.1.0-56-amd64-unsigned 6.1.192-2
    # run tcg#1 (-cpu max): done
    # run tcg#2 (-cpu max): run timeout 1500s
    # tcg: boot failed, skipping further tcg runs
    # info tcg: uname 6.1.0-56-amd64
    # medians over runs; columns: accel group test median unit n_runs all_values
    tcg  ext4  create_4k                    1991.0 ops/s  n=3 [1991 2000 1900]
    tcg  ext4  seq_read_2m                    33.7 MB/s   n=3 [33.7 33.5 34]
    tcg  ext4  seq_write_4k                   39.6 MB/s   n=3 [39.6 39 40]
    tcg  ext4  statx_attr_dax                  1.0 bool   n=3 [1 1 1]
    tcg  raw   dram_memcpy                  2826.0 MB/s   n=3 [2826 2800 2900]
    tcg  raw   pmem_odirect_read_2m          400.0 MB/s   n=3 [400 401 399]
    tcg  xfs   create_4k                    3338.0 ops/s  n=3 [3338 3300 3400]
    tcg  xfs   seq_read_2m                   414.0 MB/s   n=3 [414 400 420]
    tcg  xfs   seq_write_4k                   76.9 MB/s   n=3 [76.9 70 80]
    tcg  seed-ext4 seed_truncate_s            10.0 s      n=1 [10.0]
    """)


def results_of(text=SERIAL):
    return bench.parse_output(text)


def rows_of(text=SERIAL, linux=None):
    return bench.evaluate(results_of(text), linux or bench.published_linux())


def row(rows, name):
    return next(r for r in rows if r.name == name)


class ParseLines(unittest.TestCase):
    def test_value_line(self):
        r = bench.parse_line("bench pmem_read 1043 MB/s\r")
        self.assertEqual((r.name, r.value, r.unit, r.skipped),
                         ("pmem_read", 1043.0, "MB/s", ""))

    def test_decimal_value(self):
        self.assertEqual(bench.parse_line("bench x 12.5 us").value, 12.5)

    def test_skipped_line(self):
        r = bench.parse_line("bench pmem_write_nt skipped (overwrites "
                             "pmem0: run 'bench -w')")
        self.assertIsNone(r.value)
        self.assertEqual(r.skipped, "overwrites pmem0: run 'bench -w'")

    def test_boot_line_becomes_boot_to_prompt(self):
        r = bench.parse_line("boot: 45.655 ms from the first instruction "
                             "to the prompt")
        self.assertEqual((r.name, r.value, r.unit),
                         ("boot_to_prompt", 45.655, "ms"))

    def test_other_lines_are_not_figures(self):
        for line in ("holdfast> bench -w", "bench: no benchmark named 'x'",
                     "bench", "bench x y z", "bench x 12 MB/s extra",
                     "  usage: bench [-q] [-w] [NAME...]", ""):
            self.assertIsNone(bench.parse_line(line), line)

    def test_escapes_are_ignored(self):
        r = bench.parse_line("\x1b[0mbench dram_memcpy 580 MB/s\x1b[0m")
        self.assertEqual(r.value, 580.0)

    def test_parse_output_order_and_contents(self):
        results = results_of()
        self.assertEqual(list(results)[:3], ["boot_to_prompt",
                                             "fs_seq_write_4k",
                                             "fs_seq_write_2m"])
        self.assertNotIn("nope", results)
        self.assertEqual(results["pin_unpin_slow"].skipped,
                         "no filesystem mounted")

    def test_later_line_replaces_earlier(self):
        results = results_of("bench a 1 ns\nbench b 2 ns\nbench a 3 ns\n")
        self.assertEqual(list(results), ["b", "a"])
        self.assertEqual(results["a"].value, 3.0)

    def test_format_value(self):
        self.assertEqual(bench.format_value(1234.0), "1234")
        self.assertEqual(bench.format_value(45.655), "45.655")
        self.assertEqual(bench.format_value(76.90), "76.9")
        self.assertEqual(bench.format_value(221242.25), "221242.2")
        self.assertEqual(bench.format_value(None), "")

    def test_compact_value(self):
        self.assertEqual(bench.compact_value(221242), "221k")
        self.assertEqual(bench.compact_value(1500000), "1.5M")
        self.assertEqual(bench.compact_value(3338), "3338")
        self.assertEqual(bench.compact_value(76.9), "76.9")


class Evaluate(unittest.TestCase):
    def test_ratio_to_ceiling_from_the_same_run(self):
        r = row(rows_of(), "fs_seq_write_2m")
        self.assertEqual(r.ceiling_name, "pmem_write_nt")
        self.assertEqual(r.ceiling_value, 563.0)
        self.assertAlmostEqual(r.ratio_to_ceiling, 540 / 563)

    def test_ratio_to_published_linux(self):
        r = row(rows_of(), "fs_create_4k")
        self.assertEqual(r.linux_name, "create_4k")
        self.assertEqual(r.linux_value, 3338.0)
        self.assertAlmostEqual(r.ratio_to_linux, 80000 / 3338)
        self.assertEqual(r.met, bench.YES)            # >= 20x

    def test_ratio_to_linux_of_a_time_is_how_many_times_faster(self):
        rows = bench.evaluate(results_of("bench syscall_getpid 250 ns\r\n"
                                         "bench nvme_qd1_read_lat 100 us\r\n"),
                              bench.published_linux())
        r = row(rows, "syscall_getpid")
        self.assertAlmostEqual(r.ratio_to_linux, 738.6 / 250)
        r = row(rows, "nvme_qd1_read_lat")
        self.assertEqual(r.linux_name, "nvme_odirect_qd1_4k_lat")
        self.assertAlmostEqual(r.ratio_to_linux, 125.1 / 100)

    def test_all_targets_must_hold(self):
        # 540/563 = 0.96 >= 0.9 of the ceiling, but 540/1241 < 2x Linux
        self.assertEqual(row(rows_of(), "fs_seq_write_2m").met, bench.NO)
        # 420/563 = 0.75 >= 0.7, and 420/76.9 = 5.5 < 10x Linux
        self.assertEqual(row(rows_of(), "fs_seq_write_4k").met, bench.NO)
        # 1000/1043 >= 0.9 and 1000/414 >= 2
        self.assertEqual(row(rows_of(), "fs_seq_read_2m").met, bench.YES)

    def test_upper_limits(self):
        rows = rows_of()
        self.assertEqual(row(rows, "pin_unpin_fast").met, bench.NO)  # 350>300
        self.assertEqual(row(rows, "layout_wake_latency").met, bench.YES)
        self.assertEqual(row(rows, "boot_to_prompt").met, bench.YES)
        self.assertEqual(row(rows, "boot_to_prompt").target, "<=300 ms")

    def test_missing_ceiling_is_unknown_not_failed(self):
        rows = rows_of("bench fs_seq_read_4k 800 MB/s\n")
        r = row(rows, "fs_seq_read_4k")
        self.assertIsNone(r.ratio_to_ceiling)
        self.assertEqual(r.met, bench.UNKNOWN)

    def test_skipped_and_unknown_figures(self):
        rows = rows_of()
        self.assertEqual(row(rows, "pin_unpin_slow").met, bench.SKIPPED)
        r = row(rows, "ipi_roundtrip")
        self.assertEqual((r.ceiling_name, r.linux_name, r.target, r.met),
                         ("", "", "", bench.NA))
        r = row(rows_of("bench brand_new 5 widgets\n"), "brand_new")
        self.assertIsNone(r.figure)
        self.assertEqual(r.value, 5.0)

    def test_unit_mismatch_is_reported_not_compared(self):
        rows = rows_of("bench pin_unpin_fast 0.2 us\n")
        r = row(rows, "pin_unpin_fast")
        self.assertEqual(r.met, bench.UNKNOWN)
        self.assertIn("expects ns", r.notes[0])

    def test_unit_aliases(self):
        rows = rows_of("bench layout_wake_latency 250 µs\n")
        self.assertEqual(row(rows, "layout_wake_latency").met, bench.NO)

    def test_missing_figures(self):
        missing = bench.missing_figures(results_of())
        self.assertIn("fs_unlink", missing)
        self.assertIn("mount_100k", missing)
        self.assertNotIn("fs_create_4k", missing)
        self.assertNotIn("ipi_roundtrip", missing)    # no target: not listed

    def test_every_linux_peer_name_exists_in_the_published_figures(self):
        for fig in bench.FIGURES:
            if fig.linux:
                self.assertIn(fig.linux, bench.PUBLISHED_LINUX, fig.name)
                self.assertEqual(bench.PUBLISHED_LINUX[fig.linux][1],
                                 fig.unit, fig.name)

    def test_every_ceiling_is_a_figure_with_the_same_unit(self):
        for fig in bench.FIGURES:
            if fig.ceiling:
                self.assertEqual(bench.FIGURES_BY_NAME[fig.ceiling].unit,
                                 fig.unit, fig.name)

    def test_issue_targets(self):
        t = {f.name: f.targets for f in bench.FIGURES}
        self.assertIn(bench.Target(bench.LINUX, 10), t["fs_seq_write_4k"])
        self.assertIn(bench.Target(bench.CEILING, 0.9), t["fs_seq_read_2m"])
        self.assertIn(bench.Target(bench.LINUX, 20), t["fs_unlink"])
        self.assertEqual(t["dram_per_pmem_gib"],
                         (bench.Target(bench.AT_MOST, 4096),))


class LinuxCsv(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.tmp.name, "linux.csv")

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, text):
        with open(self.path, "w") as f:
            f.write(text)

    def test_absent_file(self):
        self.assertIsNone(bench.load_linux_csv(self.path, "tcg"))

    def test_measured_figures_replace_the_published_ones(self):
        self.write("name,value,unit,accel\ncreate_4k,4000,ops/s,tcg\n"
                   "create_4k,9000,ops/s,kvm\n")
        linux = bench.load_linux_csv(self.path, "tcg")
        self.assertEqual(linux.label, "Linux")
        rows = bench.evaluate(results_of(), linux)
        self.assertEqual(row(rows, "fs_create_4k").linux_value, 4000.0)
        self.assertIsNone(row(rows, "fs_seq_write_4k").linux_value)

    def test_other_accelerator_is_labelled(self):
        self.write("name,value,unit,accel\ncreate_4k,4000,ops/s,tcg\n")
        linux = bench.load_linux_csv(self.path, "kvm")
        self.assertEqual(linux.label, "Linux (tcg)")

    def test_bad_value_names_the_line(self):
        self.write("name,value,unit,accel\ncreate_4k,fast,ops/s,tcg\n")
        with self.assertRaisesRegex(bench.BenchError, "line 2.*'fast'"):
            bench.load_linux_csv(self.path, "tcg")

    def test_missing_column(self):
        self.write("name,unit\ncreate_4k,ops/s\n")
        with self.assertRaisesRegex(bench.BenchError, "missing column"):
            bench.load_linux_csv(self.path, "tcg")

    def test_published_fallback_label(self):
        self.assertEqual(bench.published_linux().label,
                         "Linux (published, peer README)")


class TableAndCsv(unittest.TestCase):
    def test_table_has_the_columns_and_one_line_per_figure(self):
        rows = rows_of()
        lines = bench.table_lines(rows, bench.LINUX_COLUMN_PUBLISHED)
        self.assertEqual(len(lines), 2 + len(rows))
        for word in ("figure", "value", "unit", "ceiling",
                     "Linux (published, peer README)", "target", "met"):
            self.assertIn(word, lines[0])
        fs_unlink_peer = [l for l in lines if l.startswith("fs_create_4k")]
        self.assertIn("3338", fs_unlink_peer[0])
        self.assertIn(">=20x Linux", fs_unlink_peer[0])
        self.assertTrue(any(l.startswith("pin_unpin_slow") and "skipped" in l
                            for l in lines))

    def test_table_names_a_differently_named_peer(self):
        rows = rows_of("bench fs_unlink 100000 ops/s\n")
        line = bench.table_lines(rows, "Linux")[2]
        self.assertIn("4912 (unlink_4k)", line)

    def test_csv_columns_and_values(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "sub", "results.csv")
            bench.write_csv(rows_of(), path, "tcg", "2026-11-24T00:00:00Z")
            with open(path, newline="") as f:
                reader = csv.DictReader(f)
                self.assertEqual(tuple(reader.fieldnames), bench.CSV_COLUMNS)
                data = {r["name"]: r for r in reader}
        self.assertEqual(tuple(bench.CSV_COLUMNS),
                         ("name", "value", "unit", "ceiling_name",
                          "ceiling_value", "ratio_to_ceiling", "linux_value",
                          "ratio_to_linux", "target", "met", "accel", "date"))
        r = data["fs_seq_write_2m"]
        self.assertEqual((r["value"], r["unit"], r["ceiling_name"],
                          r["ceiling_value"], r["linux_value"], r["met"],
                          r["accel"]),
                         ("540", "MB/s", "pmem_write_nt", "563", "1241", "no",
                          "tcg"))
        self.assertAlmostEqual(float(r["ratio_to_ceiling"]), 540 / 563,
                               places=3)
        self.assertEqual(data["boot_to_prompt"]["value"], "45.655")
        self.assertEqual(data["pin_unpin_slow"]["value"], "")
        self.assertEqual(data["pin_unpin_slow"]["met"], "skipped")


FAKE_GNUPLOT = """#!/bin/sh
# fake gnuplot: keep the script, make the PNG it names
cp "$1" "$(dirname "$0")/seen.gp"
out=$(sed -n 's/^set output "\\(.*\\)"$/\\1/p' "$1" | head -n 1)
printf 'PNG' > "$out"
"""

FAILING_GNUPLOT = """#!/bin/sh
echo 'line 3: undefined variable: foo' >&2
exit 1
"""


class Chart(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.png = os.path.join(self.tmp.name, "results.png")

    def tearDown(self):
        self.tmp.cleanup()

    def tool(self, text):
        path = os.path.join(self.tmp.name, "gnuplot")
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
        return path

    def test_chart_data_groups_and_normalisation(self):
        data = bench.chart_data(rows_of())
        tics = [label for _, label in data.groups]
        self.assertIn("fs_seq_write_2m (MB/s)", tics)
        self.assertNotIn("ipi_roundtrip (ns)", tics)
        # Linux = 1 in every group that has a Linux figure
        linux_bars = [b for b in data.bars if b.series == "Linux"]
        self.assertTrue(linux_bars)
        for b in linux_bars:
            self.assertAlmostEqual(b.height, 1.0)
        holdfs = [b for b in data.bars if b.series == "holdfs"
                  and b.label == "80k"]
        self.assertAlmostEqual(holdfs[0].height, 80000 / 3338)
        # the target marker is the stricter of the two targets
        x = dict((label, x) for x, label in data.groups)[
            "fs_seq_write_2m (MB/s)"]
        level = dict(data.targets)[x]
        self.assertAlmostEqual(level, 2.0)          # 2x Linux > 0.9 x 563
        budget = [label for _, label in data.budget_groups]
        self.assertEqual(budget, ["boot_to_prompt (ms)",
                                  "pin_unpin_fast (ns)",
                                  "layout_wake_latency (us)"])
        self.assertAlmostEqual(data.budget_bars[1].height, 350 / 300)

    def test_group_without_linux_is_normalised_to_its_ceiling(self):
        data = bench.chart_data(rows_of("bench pmem_write_nt 500 MB/s\n"
                                        "bench dax_map_write_2m 1000 MB/s\n",
                                        bench.LinuxFigures({}, "L", "none")))
        tics = [label for _, label in data.groups]
        self.assertEqual(tics, ["dax_map_write_2m (MB/s) *"])
        self.assertEqual([b.height for b in data.bars], [2.0, 1.0])

    def test_script_has_datablocks_log_scale_and_output(self):
        script = bench.chart_script(bench.chart_data(rows_of()), self.png,
                                    "title")
        self.assertIn(f'set output "{self.png}"', script)
        self.assertIn("set terminal pngcairo", script)
        self.assertIn("set logscale y", script)
        for block in ("$holdfs << EOD", "$ceiling << EOD", "$Linux << EOD",
                      "$target << EOD", "$budget << EOD"):
            self.assertIn(block, script)
        self.assertIn("noenhanced", script)         # underscores stay
        self.assertTrue(script.rstrip().endswith("set output"))

    def test_quotes_in_labels_are_escaped(self):
        self.assertEqual(bench._gp_string('a"b\\c'), '"a\\"b\\\\c"')

    def test_fake_gnuplot_draws_the_png(self):
        fake = self.tool(FAKE_GNUPLOT)
        ok, message = bench.make_chart(rows_of(), self.png, "t", gnuplot=fake)
        self.assertTrue(ok, message)
        self.assertEqual(message, self.png)
        self.assertTrue(os.path.isfile(self.png))
        with open(os.path.join(self.tmp.name, "seen.gp")) as f:
            self.assertIn("$holdfs << EOD", f.read())
        self.assertTrue(os.path.isfile(os.path.join(self.tmp.name,
                                                    "results.gp")))

    def test_failing_gnuplot_is_reported(self):
        fake = self.tool(FAILING_GNUPLOT)
        ok, message = bench.make_chart(rows_of(), self.png, "t", gnuplot=fake)
        self.assertFalse(ok)
        self.assertIn("status 1", message)
        self.assertIn("undefined variable", message)

    def test_missing_gnuplot_says_how_to_install_it(self):
        with mock.patch.object(bench.shutil, "which", return_value=None):
            ok, message = bench.make_chart(rows_of(), self.png, "t")
        self.assertFalse(ok)
        self.assertIn("apt-get install gnuplot-nox", message)
        self.assertFalse(os.path.exists(self.png))

    def test_nothing_to_chart(self):
        fake = self.tool(FAKE_GNUPLOT)
        ok, message = bench.make_chart(rows_of("bench ipi_roundtrip 9 ns\n"),
                                       self.png, "t", gnuplot=fake)
        self.assertFalse(ok)
        self.assertIn("nothing to chart", message)


class FromLog(unittest.TestCase):
    """main() --from-log: the whole report without QEMU."""

    def run_main(self, tmp, serial, *extra):
        log = os.path.join(tmp, "serial.log")
        with open(log, "w") as f:
            f.write(serial)
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err), \
                mock.patch.object(bench.shutil, "which", return_value=None):
            status = bench.main(["--from-log", log, "--out-dir", tmp,
                                 *extra])
        return status, out.getvalue(), err.getvalue()

    def test_report_without_gnuplot_still_writes_the_csv(self):
        with tempfile.TemporaryDirectory() as tmp:
            status, out, _ = self.run_main(tmp, SERIAL)
            self.assertEqual(status, 0)
            self.assertTrue(os.path.isfile(os.path.join(tmp, "results.csv")))
        lines = out.splitlines()
        self.assertEqual(lines[0], "bench boot_to_prompt 45.655 ms")
        self.assertIn("bench fs_seq_write_4k 420 MB/s", lines)
        self.assertTrue(any("Linux (published, peer README)" in l
                            for l in lines))
        self.assertTrue(any(l.startswith("chart: skipped: gnuplot is not "
                                         "installed") for l in lines))
        self.assertIn("sudo apt-get install gnuplot-nox", out)
        self.assertTrue(any(l.startswith("not reported by this kernel yet:")
                            for l in lines))

    def test_no_bench_lines_is_an_error(self):
        with tempfile.TemporaryDirectory() as tmp:
            status, _, err = self.run_main(
                tmp, "boot: 1.000 ms from the first instruction to the "
                     "prompt\nholdfast> \n")
        self.assertEqual(status, 1)
        self.assertIn("no 'bench NAME VALUE UNIT' line", err)


class ImageDir(unittest.TestCase):
    """Where the bench image goes: tmpfs when it can, else the build tree."""
    GIB = 1 << 30
    SHM = "tmpfs /dev/shm tmpfs rw,nosuid,nodev 0 0\n"

    def test_tmpfs_with_room(self):
        d, why = bench.image_dir("b/bench", self.GIB, env={},
                                 mounts_text=self.SHM, free_bytes=4 * self.GIB)
        self.assertEqual(d, "/dev/shm")
        self.assertIn("tmpfs", why)

    def test_tmpfs_too_small(self):
        d, why = bench.image_dir("b/bench", self.GIB, env={},
                                 mounts_text=self.SHM, free_bytes=self.GIB)
        self.assertEqual(d, "b/bench")
        self.assertIn("free", why)

    def test_not_tmpfs(self):
        d, why = bench.image_dir("b/bench", self.GIB, env={},
                                 mounts_text="/dev/sda1 / ext4 rw 0 0\n",
                                 free_bytes=8 * self.GIB)
        self.assertEqual(d, "b/bench")
        self.assertIn("not a tmpfs", why)

    def test_environment_wins(self):
        d, _ = bench.image_dir("b/bench", self.GIB,
                               env={"BENCH_IMAGE_DIR": "/scratch"},
                               mounts_text=self.SHM, free_bytes=8 * self.GIB)
        self.assertEqual(d, "/scratch")

    def test_names(self):
        self.assertEqual(bench.image_name("b/bench"), "pmem.img")
        self.assertIn(str(os.getuid()), bench.image_name("/dev/shm"))


class Commands(unittest.TestCase):
    def test_bench_command(self):
        args = bench.parse_args(["--quick", "--names", "pmem_read"])
        self.assertEqual(bench.bench_command(args), "bench -q -w pmem_read")
        self.assertEqual(bench.bench_command(bench.parse_args([])),
                         "bench -w")

    def test_full_runs_preallocate_guest_memory(self):
        self.assertTrue(bench.prealloc_memory(bench.parse_args([])))
        self.assertFalse(bench.prealloc_memory(bench.parse_args(["--quick"])))

    def test_environment_defaults(self):
        with mock.patch.dict(os.environ, {"BENCH_SMP": "4",
                                          "BENCH_TIMEOUT": "60"}):
            args = bench.parse_args(["--build-dir", "b"])
        self.assertEqual((args.smp, args.timeout), (4, 60.0))
        self.assertEqual(args.out_dir, os.path.join("b", "bench"))
        self.assertEqual(args.linux_csv,
                         os.path.join("b", "bench", "linux.csv"))

    def test_defaults(self):
        with mock.patch.dict(os.environ, {}, clear=True):
            args = bench.parse_args([])
        self.assertEqual((args.smp, args.timeout, args.pmem_size),
                         (bench.DEFAULT_SMP, bench.DEFAULT_TIMEOUT_S, "1G"))

    def test_prompts_predicate(self):
        self.assertTrue(bench.prompts(2)("holdfast> x\nholdfast> "))
        self.assertFalse(bench.prompts(2)("holdfast> x\n"))


FAKE_MACHINE = r"""
import sys, time
out = sys.stdout
out.write("Holdfast\r\nboot: 12.500 ms from the first instruction to the prompt\r\n")
out.write("holdfast> "); out.flush()
line = sys.stdin.readline().strip()
out.write(line + "\r\n")
if line.startswith("bench"):
    out.write("bench pmem_read 1043 MB/s\r\n"); out.flush()
    if "hang" in sys.argv:
        time.sleep(60)
    out.write("bench pmem_write_nt 563 MB/s\r\nholdfast> "); out.flush()
line = sys.stdin.readline().strip()
out.write(line + "\r\npowering off\r\n"); out.flush()
sys.exit(0 if line == "poweroff" else 3)
"""


class Machine(unittest.TestCase):
    """run_machine() against a fake QEMU that plays the shell."""

    def run_fake(self, *fake_args, timeout=20):
        with tempfile.TemporaryDirectory() as tmp:
            fake = os.path.join(tmp, "fake_qemu.py")
            with open(fake, "w") as f:
                f.write(FAKE_MACHINE)
            with redirect_stdout(io.StringIO()) as echoed:
                text, problem = bench.run_machine(
                    [sys.executable, fake, *fake_args], tmp,
                    ["bench -w", "poweroff"], timeout)
            with open(os.path.join(tmp, "serial.log"), "rb") as f:
                logged = f.read()
        return text, problem, echoed.getvalue(), logged

    def test_types_after_each_prompt_and_echoes_figures(self):
        text, problem, echoed, logged = self.run_fake()
        self.assertEqual(problem, "")
        self.assertIn("holdfast> bench -w", text)
        self.assertIn(b"powering off", logged)
        self.assertEqual(echoed.splitlines(),
                         ["bench boot_to_prompt 12.5 ms",
                          "bench pmem_read 1043 MB/s",
                          "bench pmem_write_nt 563 MB/s"])
        self.assertEqual(set(bench.parse_output(text)),
                         {"boot_to_prompt", "pmem_read", "pmem_write_nt"})

    def test_closed_stdout_does_not_stop_the_reading(self):
        def broken_pipe(line):
            raise BrokenPipeError(32, "Broken pipe")
        with mock.patch.object(bench, "echo_figure_line", broken_pipe):
            text, problem, _, _ = self.run_fake()
        self.assertEqual(problem, "")
        self.assertIn("pmem_write_nt", bench.parse_output(text))

    def test_timeout_kills_and_keeps_what_came(self):
        start = bench.time.monotonic()
        text, problem, _, _ = self.run_fake("hang", timeout=2)
        self.assertLess(bench.time.monotonic() - start, 30)
        self.assertIn("timed out after 2 s", problem)
        self.assertIn("killed QEMU", problem)
        self.assertIn("before typing 'poweroff'", problem)
        self.assertIn("pmem_read", bench.parse_output(text))


class PeerResults(unittest.TestCase):
    def test_parse_and_best_of_ext4_and_xfs(self):
        rows, notes, date = bench_linux.parse_results(PEER_RESULTS)
        self.assertEqual(date, "2026-11-24T18:59:00Z")
        self.assertEqual(notes, ["tcg run: run timeout 1500s"])
        self.assertNotIn(("tcg", "statx_attr_dax"), rows)   # bool
        self.assertNotIn(("tcg", "seed_truncate_s"), rows)  # seed group
        self.assertEqual(bench_linux.best(rows[("tcg", "seq_read_2m")]),
                         (414.0, "xfs"))
        self.assertEqual(bench_linux.best(rows[("tcg", "dram_memcpy")]),
                         (2826.0, "raw"))

    def test_csv_round_trip_into_bench(self):
        rows, _, date = bench_linux.parse_results(PEER_RESULTS)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "linux.csv")
            bench_linux.write_csv(rows, path, date)
            with open(path, newline="") as f:
                reader = csv.DictReader(f)
                self.assertEqual(tuple(reader.fieldnames),
                                 bench_linux.CSV_COLUMNS)
                data = {r["name"]: r for r in reader}
            self.assertEqual((data["create_4k"]["value"],
                              data["create_4k"]["source"],
                              data["create_4k"]["ext4_value"],
                              data["create_4k"]["xfs_value"]),
                             ("3338", "xfs", "1991", "3338"))
            linux = bench.load_linux_csv(path, "tcg")
        self.assertEqual(linux.values["seq_write_4k"], 76.9)
        self.assertEqual(linux.values["pmem_odirect_read_2m"], 400.0)

    def test_unparsable_line_is_named(self):
        with self.assertRaisesRegex(bench_linux.PeerError,
                                    "r.txt line 2: cannot parse"):
            bench_linux.parse_results("# x\ngarbage here\n", "r.txt")

    def test_no_results(self):
        with self.assertRaisesRegex(bench_linux.PeerError,
                                    "no result lines.*timeout"):
            bench_linux.parse_results("# run tcg#1 (-cpu max): run timeout "
                                      "1500s\n")

    def test_no_run_converts_an_existing_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            results = os.path.join(tmp, "results.txt")
            with open(results, "w") as f:
                f.write(PEER_RESULTS)
            out = os.path.join(tmp, "linux.csv")
            with redirect_stdout(io.StringIO()) as stdout:
                status = bench_linux.main(["--no-run", "--results", results,
                                           "--out", out])
            self.assertEqual(status, 0)
            self.assertTrue(os.path.isfile(out))
            self.assertIn("linux tcg create_4k 3338 ops/s (xfs)",
                          stdout.getvalue())

    def test_missing_harness_is_named(self):
        with tempfile.TemporaryDirectory() as tmp, \
                redirect_stderr(io.StringIO()) as err:
            status = bench_linux.main(["--build-dir", tmp, "--peer-dir", tmp])
        self.assertEqual(status, 1)
        self.assertIn("run-linux-dax.sh is missing", err.getvalue())


if __name__ == "__main__":
    unittest.main()
