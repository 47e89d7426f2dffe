#!/usr/bin/env python3
"""bench.py - the host side of `make bench`.

This file owns: booting Holdfast in QEMU for the benchmark run, typing
`bench -w` and `poweroff` on its serial port, turning the kernel's
`bench NAME VALUE UNIT` lines (and its `boot: N ms from the first
instruction to the prompt` line) into figures, comparing every figure
with its ceiling from the same run and with Linux's figure for the same
workload, judging the targets of the performance issue, and writing
build/bench/results.csv and the chart build/bench/results.png (gnuplot).

    scripts/bench.py [--build-dir build] [--iso | --kernel ELF]
                     [--smp N] [--accel ''|auto|kvm|tcg] [--timeout S]
                     [--quick] [--names NAME...] [--no-chart]
                     [--progress auto|on|off]
    scripts/bench.py --from-log SERIAL.LOG ...   (no QEMU: re-judge a log)

On a terminal a status line says which step runs (booting, running the
benchmarks with the count of figures so far, powering off); through a
pipe only the figure lines appear (--progress on|off overrides).

The kernel decides which benchmarks exist; this script takes whatever
`bench ...` lines come.  What it knows about a figure (its unit, its
ceiling, its Linux peer, its targets) is the FIGURES table below; a figure
missing from the table is still printed and written, without comparisons.

The machine is docs/design.md's (scripts/qemu.py builds the command line) with
one fresh 1 GiB NVDIMM image (fully allocated, as the peer's is) in
/dev/shm when that is a tmpfs with room (see image_dir(): a disk-backed
image made the figures depend on the host's writeback), else in
build/bench/pmem.img; BENCH_IMAGE_DIR overrides.  It is formatted with
build/tools/mkfs.holdfs when that is built.  KVM is used only after a
probe boot under KVM succeeds (qemu.choose_accel()); the accelerator is
printed and recorded in the CSV.

The network figures (nbd_read, nbd_write against the raw TCP ceilings of
the same boot, nbd_4k_randread) come from a second boot with the network
card, driven from the host by scripts/bench_nbd.py (nbdcopy, fio); not in
--quick, and only when no names or some nbd_/tcp_ name were given.

Linux's figures come from build/bench/linux.csv (written by
scripts/bench_linux.py, `make bench-linux`); without it, from the peer
README's published figures, in a column labelled as such.

Environment: BENCH_SMP (CPUs, default 2), BENCH_TIMEOUT (seconds for the
whole run, default 900), BENCH_IMAGE_DIR (where the image goes), ACCEL
(as for make run), QEMU (binary).
"""

import argparse
import csv
import datetime
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

SCRIPTS_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(SCRIPTS_DIR)
if SCRIPTS_DIR not in sys.path:
    sys.path.insert(0, SCRIPTS_DIR)

import qemu  # noqa: E402  (scripts/qemu.py)

# ------------------------------------------------------------- settings ----

DEFAULT_SMP = 2
DEFAULT_TIMEOUT_S = 900          # the full suite takes minutes under TCG
DEFAULT_PMEM_SIZE = "1G"         # the peer harness's NVDIMM size
DEFAULT_MACHINE = "q35"
BENCH_SUBDIR = "bench"
IMAGE_NAME = "pmem.img"
NVME_IMAGE_NAME = "nvme.img"     # the NVMe disk beside it (nvme_* figures)
NVME_BENCH_SIZE = "272M"         # 256 MiB copies, and room past them
BENCH_INODES = 131072            # room for mount_100k's 100,000 files
SERIAL_LOG_NAME = "serial.log"
STDERR_LOG_NAME = "qemu-stderr.log"
CMD_FILE_NAME = "qemu.cmd"
IOMMU_SUBDIR = "iommu"           # the second boot's logs (remapping on)
IOMMU_NAMES = ("nvme_to_file", "iommu_map_unmap", "revoke_latency")  # measured in it
IOMMU_RENAMED = {"nvme_to_file": "nvme_to_file_iommu"}
# In the first boot (remapping off) iommu_map_unmap measures the off path.
OFF_RENAME_RE = re.compile(r"^bench (iommu_map_unmap) ", re.MULTILINE)
CSV_NAME = "results.csv"
PNG_NAME = "results.png"
LINUX_CSV_NAME = "linux.csv"
CHART_SCRIPT_NAME = "results.gp"

SHELL_PROMPT = "holdfast> "
BENCH_COMMAND = "bench"
BENCH_WRITE_FLAG = "-w"          # allow the benchmarks that overwrite pmem
BENCH_QUICK_FLAG = "-q"          # quick smoke mode
POWEROFF_COMMAND = "poweroff"
POWEROFF_GRACE_S = 30            # after `poweroff`, before QEMU is killed
TAIL_LINES = 20                  # serial lines shown when the run fails

GNUPLOT = "gnuplot"
GNUPLOT_TIMEOUT_S = 60
GNUPLOT_MISSING = ("gnuplot is not installed, so the chart is skipped; "
                   "install it with: sudo apt-get install gnuplot-nox")

CSV_COLUMNS = ("name", "value", "unit", "ceiling_name", "ceiling_value",
               "ratio_to_ceiling", "linux_value", "ratio_to_linux",
               "target", "met", "accel", "date")

LINUX_COLUMN_MEASURED = "Linux"
LINUX_COLUMN_PUBLISHED = "Linux (published, peer README)"

# What the serial port says.  Values are integers from the kernel today;
# decimals are accepted.
BENCH_LINE_RE = re.compile(
    r"^bench (?P<name>[A-Za-z0-9_.-]+) (?P<value>-?\d+(?:\.\d+)?) "
    r"(?P<unit>\S+)\s*$")
BENCH_SKIP_RE = re.compile(
    r"^bench (?P<name>[A-Za-z0-9_.-]+) skipped \((?P<why>.*)\)\s*$")
BOOT_LINE_RE = re.compile(
    r"^boot: (?P<ms>\d+(?:\.\d+)?) ms from the first instruction to the "
    r"prompt\s*$")
UNKNOWN_NAME_RE = re.compile(r"^bench: no benchmark named '(?P<name>.*)'")
BOOT_FIGURE = "boot_to_prompt"
BOOT_UNIT = "ms"
PANIC_RE = qemu.PANIC_RE

# Spellings of the same unit.
UNIT_ALIASES = {"us": "us", "usec": "us", "µs": "us", "μs": "us",
                "kib": "KiB", "ops": "ops/s"}

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


class BenchError(Exception):
    """A problem to report as "error: MESSAGE" (exit status 1)."""


def canonical_unit(unit):
    return UNIT_ALIASES.get(unit, UNIT_ALIASES.get(unit.lower(), unit))


# --------------------------------------------------------------- targets ----

CEILING = "ceiling"      # value >= factor x ceiling_value (same run)
LINUX = "linux"          # value >= factor x Linux's figure
AT_MOST = "at_most"      # value <= limit (in the figure's unit)


@dataclass(frozen=True)
class Target:
    kind: str
    amount: float

    def text(self, unit=""):
        if self.kind == CEILING:
            return f">={self.amount:g}x ceiling"
        if self.kind == LINUX:
            return f">={self.amount:g}x Linux"
        return f"<={self.amount:g} {unit}".rstrip()


@dataclass(frozen=True)
class Figure:
    """What the script knows about one figure the kernel may print."""
    name: str
    unit: str
    meaning: str
    ceiling: str | None = None       # figure from the same run
    linux: str | None = None         # the peer harness's test name
    targets: tuple = ()
    higher_is_better: bool = True


MBS, OPS, NS, US, MS, KIB = "MB/s", "ops/s", "ns", "us", "ms", "KiB"

# Targets of the performance issue.  Linux's figures are the best of ext4
# and xfs (peer README), the ceilings come from the same Holdfast run.
FIGURES = (
    Figure("fs_seq_write_4k", MBS,
           "create + write() 256 MiB in 4 KiB calls + fsync (peer seq_write_4k)",
           ceiling="pmem_write_nt", linux="seq_write_4k",
           targets=(Target(CEILING, 0.7), Target(LINUX, 10))),
    Figure("fs_seq_write_2m", MBS,
           "create + write() 256 MiB in 2 MiB calls + fsync (peer seq_write_2m)",
           ceiling="pmem_write_nt", linux="seq_write_2m",
           targets=(Target(CEILING, 0.9), Target(LINUX, 2))),
    Figure("fs_seq_read_4k", MBS,
           "read() the 256 MiB file in 4 KiB calls (peer seq_read_4k)",
           ceiling="pmem_read", linux="seq_read_4k",
           targets=(Target(CEILING, 0.7),)),
    Figure("fs_seq_read_2m", MBS,
           "read() the 256 MiB file in 2 MiB calls (peer seq_read_2m)",
           ceiling="pmem_read", linux="seq_read_2m",
           targets=(Target(CEILING, 0.9), Target(LINUX, 2))),
    Figure("fs_rand_write_4k", OPS,
           "65536 4 KiB pwrite() at random aligned offsets + fsync (peer rand_write_4k)",
           linux="rand_write_4k", targets=(Target(LINUX, 2),)),
    Figure("fs_mmap_write", MBS,
           "memset a DAX mapping of the allocated 256 MiB file + msync (peer mmap_write)",
           ceiling="pmem_write_nt", linux="mmap_write",
           targets=(Target(LINUX, 3),)),
    Figure("fs_create_4k", OPS,
           "10,000 x (create, write 4 KiB, close) in one directory (peer create_4k)",
           linux="create_4k", targets=(Target(LINUX, 20),)),
    Figure("fs_unlink", OPS,
           "unlink those 10,000 files (peer unlink_4k)",
           linux="unlink_4k", targets=(Target(LINUX, 20),)),
    Figure("fs_truncate_cycle", OPS,
           "10,000 x (pwrite 2 MiB at 0, truncate to 0) (peer truncate_cycle)",
           linux="truncate_cycle", targets=(Target(LINUX, 2),)),
    Figure("dax_map_write_4k", MBS,
           "memset a 64 MiB DAX mapping of a preallocated file, 4 KiB entries, + flush",
           ceiling="pmem_write_nt"),
    Figure("dax_map_write_2m", MBS,
           "memset a 64 MiB DAX mapping of a preallocated file, 2 MiB entries, + flush",
           ceiling="pmem_write_nt"),
    Figure("pmem_write_nt", MBS,
           "non-temporal copy of a 2 MiB DRAM buffer over 256 MiB of pmem + sfence",
           linux="pmem_odirect_write_2m"),
    Figure("pmem_read", MBS,
           "copy 256 MiB of pmem into a 2 MiB DRAM buffer",
           linux="pmem_odirect_read_2m"),
    Figure("dram_memcpy", MBS,
           "memcpy of a 2 MiB buffer over a prefaulted DRAM range, 4 passes",
           linux="dram_memcpy"),
    Figure("pin_unpin_fast", NS,
           "per page: pin + unpin 512 mapped pages through the lock-free fast path",
           targets=(Target(AT_MOST, 300),), higher_is_better=False),
    Figure("pin_user_fast", NS,
           "per page: pin_user_pages + unpin of 512 present pages of a process's DAX mapping",
           targets=(Target(AT_MOST, 300),), higher_is_better=False),
    Figure("user_mmap_write", MBS,
           "/bin/daxbench: memset a MAP_SHARED mapping of an allocated 256 MiB file + msync",
           ceiling="fs_mmap_write", targets=(Target(CEILING, 0.9),)),
    Figure("pin_unpin_slow", NS,
           "per page: pin + unpin 512 pages whose entries were dropped (fault path)",
           higher_is_better=False),
    Figure("layout_wake_latency", US,
           "last unpin to the truncate that waited for it running again, median of 20",
           targets=(Target(AT_MOST, 200),), higher_is_better=False),
    Figure("layout_wake_latency_max", US,
           "the slowest of those 20 rounds (host scheduling of QEMU shows here)",
           higher_is_better=False),
    Figure("boot_to_prompt", MS,
           "kernel's first instruction to the shell prompt (the boot line)",
           targets=(Target(AT_MOST, 300),), higher_is_better=False),
    Figure("mount_100k", MS,
           "mount a holdfs holding 100,000 files",
           targets=(Target(AT_MOST, 300),), higher_is_better=False),
    Figure("dram_per_pmem_gib", KIB,
           "DRAM the kernel spends per GiB of pmem (page descriptors, maps)",
           targets=(Target(AT_MOST, 4096),), higher_is_better=False),
    Figure("nvme_to_file", MBS,
           "dma cp 256 MiB /dev/nvme0n1 -> a file's blocks, zero copy (32 x 512 KiB commands in flight) + fsync",
           ceiling="nvme_bounce", linux="nvme_odirect_to_dax",
           targets=(Target(CEILING, 1.0),)),
    Figure("nvme_to_file_iommu", MBS,
           "nvme_to_file again in a second boot with -device intel-iommu: each command's pages mapped at submit, unmapped + IOTLB invalidated at completion",
           ceiling="nvme_to_file", targets=(Target(CEILING, 0.8),)),
    Figure("iommu_map_unmap", NS,
           "IOMMU boot: pin + iommu_dma_map + iommu_dma_unmap (page-selective IOTLB invalidation) + unpin, ns per 4 KiB page",
           higher_is_better=False),
    Figure("revoke_latency", US,
           "IOMMU boot: truncate of a 2 MiB file pinned with a revoke lease and mapped for a device: call to return (512 pages unmapped + invalidated, holder told), median of 20",
           higher_is_better=False),
    Figure("iommu_map_unmap_off", NS,
           "the same with remapping off (first boot): pin + identity map + unpin",
           higher_is_better=False),
    Figure("file_to_nvme", MBS,
           "dma cp 256 MiB file -> /dev/nvme0n1, zero copy, + Flush",
           ceiling="nvme_bounce", linux="dax_to_nvme_odirect"),
    Figure("nvme_bounce", MBS,
           "256 MiB /dev/nvme0n1 -> the same blocks through a 2 MiB DRAM buffer + CPU copy (write()) + fsync"),
    Figure("nvme_qd1_read_lat", US,
           "one 4 KiB NVMe read at a time into DRAM, mean of 2000",
           linux="nvme_odirect_qd1_4k_lat", higher_is_better=False),
    Figure("syscall_getpid", NS,
           "/bin/ubench: syscall(SYS_getpid) 200,000 times, ns per call (peer syscall_getpid)",
           linux="syscall_getpid", higher_is_better=False),
    Figure("fork_exec_wait", OPS,
           "/bin/ubench: 100 x (fork, execve a static musl program, wait4) per second "
           "(peer fork_exec_wait)", linux="fork_exec_wait"),
    Figure("parallel_create_1p", OPS,
           "one process: 10,000 x (create, write 4 KiB, close) in its own "
           "directory (/bin/pcreate; peer parallel_create_1p)",
           linux="parallel_create_1p"),
    Figure("parallel_create_2p", OPS,
           "two processes at once, 10,000 files each in its own directory "
           "(/bin/pcreate; peer parallel_create_2p)",
           ceiling="parallel_create_1p", linux="parallel_create_2p",
           targets=(Target(CEILING, 1.7),)),
    Figure("parallel_create_speedup", "x",
           "parallel_create_2p / parallel_create_1p (the target is 1.7x on 2 CPUs)"),
    Figure("tcp_read_ceiling", MBS,
           "raw TCP from the guest's `net bench` source service to the host "
           "(lwIP, virtio-net, QEMU user net), 256 MiB (scripts/bench_nbd.py)"),
    Figure("tcp_write_ceiling", MBS,
           "raw TCP from the host into the guest's discard service, 256 MiB"),
    Figure("nbd_read", MBS,
           "nbdcopy of a 256 MiB export to null: on the host (zero-copy READ replies)",
           ceiling="tcp_read_ceiling", targets=(Target(CEILING, 0.8),)),
    Figure("nbd_write", MBS,
           "nbdcopy of 256 MiB of random data from the host into the export",
           ceiling="tcp_write_ceiling", targets=(Target(CEILING, 0.8),)),
    Figure("nbd_4k_randread", OPS,
           "fio's nbd engine: 4 KiB random reads over the 256 MiB export, "
           "queue depth 16, 10 s"),
    Figure("ipi_roundtrip", NS,
           "IPI to the highest-numbered CPU and back", higher_is_better=False),
    Figure("tlb_shootdown", NS,
           "map + unmap a page with a TLB flush on every CPU",
           higher_is_better=False),
)
FIGURES_BY_NAME = {f.name: f for f in FIGURES}

# The peer README's "Last results (2026-11-24)", run B, TCG: the best of
# ext4 and xfs for each test (fs: which one), and the raw figures.
PUBLISHED_LINUX = {
    "seq_write_4k": (76.9, MBS, "xfs"),
    "seq_write_2m": (1241.0, MBS, "xfs"),
    "seq_read_4k": (301.0, MBS, "xfs"),
    "seq_read_2m": (414.0, MBS, "xfs"),
    "rand_write_4k": (221242.0, OPS, "ext4"),
    "mmap_write": (537.0, MBS, "ext4"),
    "create_4k": (3338.0, OPS, "xfs"),
    "unlink_4k": (4912.0, OPS, "ext4"),
    "truncate_cycle": (583.0, OPS, "xfs"),
    "dram_memcpy": (2826.0, MBS, "raw"),
    "pmem_odirect_write_2m": (550.0, MBS, "raw"),
    "pmem_odirect_read_2m": (400.0, MBS, "raw"),
    # peer README, "Medians of 3 boots", idle host (B): xfs is the better.
    "parallel_create_1p": (2349.8, OPS, "xfs"),
    "parallel_create_2p": (5237.6, OPS, "xfs"),
    # peer README, 2026-12-04 (added workloads), medians of 3 boots, B.
    "syscall_getpid": (738.6, NS, "raw"),
    "fork_exec_wait": (148.1, OPS, "raw"),
    "nvme_odirect_to_dax": (611.6, MBS, "ext4"),
    "dax_to_nvme_odirect": (712.6, MBS, "ext4"),
    "nvme_odirect_qd1_4k_lat": (125.1, US, "raw"),
}
PUBLISHED_LINUX_SOURCE = ("the Linux peer harness's README, 'Last results "
                          "(2026-11-24)', run B, TCG")


# --------------------------------------------------------------- parsing ----

@dataclass
class Result:
    name: str
    value: float | None            # None when skipped
    unit: str = ""
    skipped: str = ""              # the kernel's reason


clean_output = qemu.clean_output


def parse_line(line):
    """One serial line -> a Result, or None when it is not a figure."""
    line = clean_output(line).strip()
    m = BENCH_LINE_RE.match(line)
    if m:
        return Result(m["name"], float(m["value"]), m["unit"])
    m = BENCH_SKIP_RE.match(line)
    if m:
        return Result(m["name"], None, "", m["why"])
    m = BOOT_LINE_RE.match(line)
    if m:
        return Result(BOOT_FIGURE, float(m["ms"]), BOOT_UNIT)
    return None


def parse_output(text):
    """All figures in @text, in order of appearance (a later line for the
    same name replaces an earlier one).  Returns {name: Result}."""
    results = {}
    for line in clean_output(text).split("\n"):
        r = parse_line(line)
        if r:
            results.pop(r.name, None)
            results[r.name] = r
    return results


VALUE_DECIMALS = 3               # the boot line has microseconds in ms
BIG_VALUE_DECIMALS = 1           # from 1000 up


def format_value(value):
    """1234.0 -> "1234", 45.655 -> "45.655", 76.90 -> "76.9"."""
    if value is None:
        return ""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    decimals = BIG_VALUE_DECIMALS if abs(value) >= 1000 else VALUE_DECIMALS
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else f"{value:.2g}"


def format_ratio(ratio):
    return "" if ratio is None else f"{ratio:.2f}"


# ---------------------------------------------------------------- Linux ----

@dataclass
class LinuxFigures:
    values: dict                   # peer test name -> value
    label: str                     # the table's column header
    source: str                    # where they come from (one line)
    short: str = ""                # for the chart's title


def published_linux():
    return LinuxFigures({k: v for k, (v, _, _) in PUBLISHED_LINUX.items()},
                        LINUX_COLUMN_PUBLISHED, PUBLISHED_LINUX_SOURCE,
                        "published (peer README, TCG)")


def load_linux_csv(path, accel):
    """Linux's figures from @path (scripts/bench_linux.py's CSV).

    Rows for @accel are preferred; when there are none, the rows of any
    other accelerator are used and the label says which.  Returns None when
    @path does not exist; raises BenchError when it is malformed.
    """
    if not os.path.exists(path):
        return None
    by_accel = {}
    try:
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            missing = {"name", "value", "accel"} - set(reader.fieldnames or ())
            if missing:
                raise BenchError(f"{path}: missing column(s) "
                                 f"{', '.join(sorted(missing))} (remake it "
                                 "with 'make bench-linux')")
            for n, row in enumerate(reader, 2):
                try:
                    value = float(row["value"])
                except (TypeError, ValueError):
                    raise BenchError(f"{path} line {n}: value "
                                     f"'{row['value']}' of {row['name']} is "
                                     "not a number") from None
                by_accel.setdefault(row["accel"], {})[row["name"]] = value
    except OSError as e:
        raise BenchError(f"cannot read {path}: {e.strerror}") from None
    if not by_accel:
        raise BenchError(f"{path} holds no figures (remake it with "
                         "'make bench-linux')")
    used = accel if accel in by_accel else sorted(by_accel)[0]
    label = LINUX_COLUMN_MEASURED
    if used != accel:
        label = f"{LINUX_COLUMN_MEASURED} ({used})"
    return LinuxFigures(by_accel[used], label,
                        f"{path} ({used} runs of the peer harness)",
                        f"measured ({os.path.basename(path)}, {used})")


# ------------------------------------------------------------ evaluation ----

YES, NO, NA, UNKNOWN, SKIPPED = "yes", "no", "", "?", "skipped"


@dataclass
class Row:
    name: str
    value: float | None
    unit: str
    skipped: str = ""
    ceiling_name: str = ""
    ceiling_value: float | None = None
    ratio_to_ceiling: float | None = None
    linux_name: str = ""
    linux_value: float | None = None
    ratio_to_linux: float | None = None
    target: str = ""
    met: str = NA
    notes: list = field(default_factory=list)
    figure: Figure | None = None


def _ratio(value, reference):
    if value is None or not reference:
        return None
    return value / reference


def judge_target(target, row):
    """True/False, or None when the figure it needs is missing."""
    if row.value is None:
        return None
    if target.kind == CEILING:
        if row.ratio_to_ceiling is None:
            return None
        return row.ratio_to_ceiling >= target.amount
    if target.kind == LINUX:
        if row.ratio_to_linux is None:
            return None
        return row.ratio_to_linux >= target.amount
    return row.value <= target.amount


def evaluate(results, linux):
    """Rows for the table, the CSV and the chart, in the kernel's order."""
    rows = []
    for r in results.values():
        fig = FIGURES_BY_NAME.get(r.name)
        row = Row(r.name, r.value, r.unit, r.skipped, figure=fig)
        rows.append(row)
        if r.skipped:
            row.met = SKIPPED
            row.unit = fig.unit if fig else ""
        if not fig:
            continue
        if r.value is not None and canonical_unit(r.unit) != fig.unit:
            row.notes.append(f"{r.name}: the kernel says {r.unit}, this "
                             f"script expects {fig.unit}; not compared")
            row.met = UNKNOWN if fig.targets else NA
            continue
        if fig.ceiling:
            row.ceiling_name = fig.ceiling
            ceiling = results.get(fig.ceiling)
            if ceiling and ceiling.value is not None:
                row.ceiling_value = ceiling.value
                row.ratio_to_ceiling = _ratio(r.value, ceiling.value)
        if fig.linux:
            row.linux_name = fig.linux
            if linux and fig.linux in linux.values:
                row.linux_value = linux.values[fig.linux]
                # Always "times as good as Linux": for a time (ns, us)
                # that is Linux's figure over ours.
                row.ratio_to_linux = (_ratio(r.value, row.linux_value)
                                      if fig.higher_is_better else
                                      _ratio(row.linux_value, r.value))
        row.target = "; ".join(t.text(fig.unit) for t in fig.targets)
        if r.skipped or not fig.targets:
            continue
        verdicts = [judge_target(t, row) for t in fig.targets]
        if any(v is False for v in verdicts):
            row.met = NO
        elif all(v is True for v in verdicts):
            row.met = YES
        else:
            row.met = UNKNOWN
    return rows


def missing_figures(results):
    """Figures of the issue the kernel did not report at all."""
    return [f.name for f in FIGURES
            if f.targets and f.name not in results]


# ---------------------------------------------------------------- table ----

def table_lines(rows, linux_label):
    head = ("figure", "value", "unit", "ceiling", "x ceil", linux_label,
            "x Linux", "target", "met")
    body = []
    for r in rows:
        value = "-" if r.skipped else format_value(r.value)
        ceiling = ""
        if r.ceiling_name:
            ceiling = (f"{r.ceiling_name} {format_value(r.ceiling_value)}"
                       if r.ceiling_value is not None
                       else f"{r.ceiling_name} ?")
        linux = ""
        if r.linux_name:
            linux = (format_value(r.linux_value)
                     if r.linux_value is not None else "?")
            if r.linux_name != r.name.removeprefix("fs_"):
                linux += f" ({r.linux_name})"
        body.append((r.name, value, r.unit, ceiling,
                     format_ratio(r.ratio_to_ceiling), linux,
                     format_ratio(r.ratio_to_linux), r.target, r.met))
    widths = [max(len(str(c)) for c in col) for col in zip(head, *body)]
    numeric = {1, 4, 6}

    def fmt(cells):
        out = []
        for i, (c, w) in enumerate(zip(cells, widths)):
            out.append(str(c).rjust(w) if i in numeric else str(c).ljust(w))
        return "  ".join(out).rstrip()

    lines = [fmt(head), fmt(["-" * w for w in widths])]
    lines += [fmt(b) for b in body]
    return lines


# ------------------------------------------------------------------ CSV ----

def csv_rows(rows, accel, date):
    out = []
    for r in rows:
        out.append({
            "name": r.name,
            "value": format_value(r.value),
            "unit": r.unit,
            "ceiling_name": r.ceiling_name,
            "ceiling_value": format_value(r.ceiling_value),
            "ratio_to_ceiling": (f"{r.ratio_to_ceiling:.4f}"
                                 if r.ratio_to_ceiling is not None else ""),
            "linux_value": format_value(r.linux_value),
            "ratio_to_linux": (f"{r.ratio_to_linux:.4f}"
                               if r.ratio_to_linux is not None else ""),
            "target": r.target,
            "met": r.met,
            "accel": accel,
            "date": date,
        })
    return out


def write_csv_file(path, columns, dict_rows):
    """Write @dict_rows under the header @columns to @path, all or nothing
    (a temporary file renamed over it).  Also used by bench_linux.py."""
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        w.writeheader()
        w.writerows(dict_rows)
    os.replace(tmp, path)


def write_csv(rows, path, accel, date):
    write_csv_file(path, CSV_COLUMNS, csv_rows(rows, accel, date))


# ---------------------------------------------------------------- chart ----

CHART_WIDTH_PX = 1700
CHART_HEIGHT_PX = 760
CHART_FONT = "DejaVu Sans,11"
BAR_WIDTH = 0.26                 # three bars and a gap per group
COLOUR_HOLDFS = "#1f77b4"
COLOUR_CEILING = "#9a9a9a"
COLOUR_LINUX = "#ff7f0e"
COLOUR_TARGET = "#000000"
COLOUR_OVER = "#d62728"          # a budget figure over its limit
LOG_MARGIN_BELOW = 2.5           # y range below the lowest bar (factor)
LOG_MARGIN_ABOVE = 8.0           # above the highest: room for the labels
MIN_PANEL_SHARE = 0.22           # the budget panel's smallest width share
CEILING_MARK = " *"              # a group divided by its ceiling, not Linux


@dataclass
class Bar:
    series: str                  # "holdfs", "ceiling", "Linux"
    x: float
    height: float                # normalised
    label: str                   # the absolute figure


@dataclass
class ChartData:
    groups: list                 # [(x_centre, tic label)]
    bars: list                   # [Bar]
    targets: list                # [(x_centre, normalised target)]
    budget_groups: list          # [(x, tic label)]
    budget_bars: list            # [Bar] (value / limit)


KILO, MEGA = 1e3, 1e6
COMPACT_FROM = 1e4               # bar labels from here on get k / M


def compact_value(value):
    """A short bar label: 221242 -> "221k", 1500000 -> "1.5M", 76.9 -> "76.9"."""
    if abs(value) >= MEGA:
        return f"{value / MEGA:.3g}M"
    if abs(value) >= COMPACT_FROM:
        return f"{value / KILO:.3g}k"
    return format_value(round(value, 1) if abs(value) >= 10 else value)


def _normalised_target(row, reference):
    """The level the holdfs bar must reach, relative to @reference."""
    levels = []
    for t in row.figure.targets:
        if t.kind == CEILING and row.ceiling_value:
            levels.append(t.amount * row.ceiling_value / reference)
        elif t.kind == LINUX and row.linux_value:
            levels.append(t.amount * row.linux_value / reference)
    return max(levels) if levels else None


def chart_data(rows):
    """Which bars to draw.

    Throughput panel: one group per figure with a Linux figure or a
    ceiling; every bar is divided by Linux's figure (Linux = 1), or by the
    ceiling when Linux has no such figure.  Budget panel: figures with an
    upper limit, as value / limit (at most 1 meets the target).
    """
    data = ChartData([], [], [], [], [])
    for r in rows:
        if r.value is None or not r.figure or r.value <= 0:
            continue
        if r.figure.higher_is_better and (r.linux_value or r.ceiling_value):
            reference = r.linux_value or r.ceiling_value
            per = "Linux" if r.linux_value else "ceiling"
            x = float(len(data.groups))
            tic = f"{r.name} ({r.unit})" + ("" if per == "Linux"
                                            else CEILING_MARK)
            data.groups.append((x, tic))
            series = [("holdfs", r.value)]
            if r.ceiling_value:
                series.append(("ceiling", r.ceiling_value))
            if r.linux_value:
                series.append(("Linux", r.linux_value))
            first = x - (len(series) - 1) * BAR_WIDTH / 2
            for i, (s, v) in enumerate(series):
                data.bars.append(Bar(s, first + i * BAR_WIDTH, v / reference,
                                     compact_value(v)))
            level = _normalised_target(r, reference)
            if level:
                data.targets.append((x, level))
            continue
        limits = [t.amount for t in r.figure.targets if t.kind == AT_MOST]
        if limits:
            x = float(len(data.budget_groups))
            data.budget_groups.append((x, f"{r.name} ({r.unit})"))
            data.budget_bars.append(Bar("holdfs", x, r.value / min(limits),
                                        compact_value(r.value)))
    return data


def _log_range(values):
    lo = min(values) / LOG_MARGIN_BELOW
    hi = max(values) * LOG_MARGIN_ABOVE
    return 10 ** math.floor(math.log10(lo)), 10 ** math.ceil(math.log10(hi))


def _gp_string(text):
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _datablock(name, bars, ybase):
    lines = [f"${name} << EOD"]
    for b in bars:
        lines.append(f"{b.x:.3f} {b.height:.6g} {ybase:.6g} "
                     f"{_gp_string(b.label)}")
    lines.append("EOD")
    return lines


def _tics(groups):
    return ", ".join(f"{_gp_string(label)} {x:g}" for x, label in groups)


def chart_script(data, png, title):
    """The gnuplot script (a string) that draws @data into @png."""
    gp = [f"# written by scripts/bench.py: gnuplot {CHART_SCRIPT_NAME}",
          f"set terminal pngcairo size {CHART_WIDTH_PX},{CHART_HEIGHT_PX} "
          f"font {_gp_string(CHART_FONT)}",
          f"set output {_gp_string(png)}",
          "set termoption noenhanced",      # names have underscores
          "set style fill solid 0.85 border -1",
          "set style textbox opaque noborder margins 1,1",
          "set grid ytics lc rgb '#dddddd'",
          "set key top right horizontal opaque box",
          # upright names end at their tic: none runs into the next panel
          "set xtics rotate by 90 right nomirror",
          "set bmargin 15"]
    half = BAR_WIDTH / 2
    panels = (1 if data.groups else 0) + (1 if data.budget_groups else 0)
    gp.append(f"set multiplot title {_gp_string(title)}")
    left_share = 1.0
    if panels == 2:
        share = len(data.budget_groups) / (len(data.groups)
                                            + len(data.budget_groups))
        left_share = 1.0 - max(MIN_PANEL_SHARE, min(share, 0.5))
    if data.groups:
        values = [b.height for b in data.bars] + [t for _, t in data.targets]
        lo, hi = _log_range(values)
        by = {s: [b for b in data.bars if b.series == s]
              for s in ("holdfs", "ceiling", "Linux")}
        for s, bars in by.items():
            gp += _datablock(s, bars, lo)
        gp += ["$target << EOD"]
        gp += [f"{x - 1.5 * BAR_WIDTH:.3f} {t:.6g} {3 * BAR_WIDTH:.3f} 0"
               for x, t in data.targets]
        gp += ["EOD",
               f"set size {left_share:.3f},0.95", "set origin 0,0",
               "set logscale y", f"set yrange [{lo:g}:{hi:g}]",
               f"set xrange [-0.6:{len(data.groups) - 0.4:g}]",
               "set ylabel 'relative to Linux = 1 (*: to the ceiling); "
               "log scale; bar labels: the figures'",
               f"set xtics ({_tics(data.groups)})",
               "set title 'throughput: holdfs, its ceiling (same run), "
               "Linux DAX (best of ext4, xfs)'"]
        plots, labels = [], []
        for s, colour in (("holdfs", COLOUR_HOLDFS),
                          ("ceiling", COLOUR_CEILING),
                          ("Linux", COLOUR_LINUX)):
            if not by[s]:
                continue
            plots.append(f"${s} using 1:2:($1-{half:g}):($1+{half:g}):3:2 "
                         f"with boxxyerror lc rgb '{colour}' title '{s}'")
            labels.append(f"${s} using 1:2:4 with labels boxed rotate by 90 "
                          "left offset 0,0.5 font ',9' notitle")
        if data.targets:
            plots.append(f"$target using 1:2:3:4 with vectors nohead lw 3 "
                         f"lc rgb '{COLOUR_TARGET}' title 'target'")
        # labels last, on an opaque box, so that target lines pass behind
        gp.append("plot " + ", \\\n     ".join(plots + labels))
        gp += ["unset logscale y", "unset title", "unset ylabel"]
    if data.budget_groups:
        values = [b.height for b in data.budget_bars] + [1.0]
        lo, hi = _log_range(values)
        gp += _datablock("budget", data.budget_bars, lo)
        n = len(data.budget_groups)
        gp += [f"set size {1.0 - left_share if panels == 2 else 1.0:.3f},0.95",
               f"set origin {left_share if panels == 2 else 0:.3f},0",
               "set logscale y", f"set yrange [{lo:g}:{hi:g}]",
               f"set xrange [-0.6:{n - 0.4:g}]",
               "set ylabel 'value / limit (log scale; at most 1 meets it)'",
               f"set xtics ({_tics(data.budget_groups)})",
               "set title 'budgets: time and memory'",
               "plot $budget using 1:2:($1-0.3):($1+0.3):3:2:($2 > 1 ? "
               f"0x{COLOUR_OVER[1:]} : 0x{COLOUR_HOLDFS[1:]}) "
               "with boxxyerror lc rgb variable notitle, \\\n"
               f"     1 with lines lw 2 dt 2 lc rgb '{COLOUR_TARGET}' "
               "title 'limit', \\\n"
               "     $budget using 1:2:4 with labels boxed rotate by 90 left "
               "offset 0,0.5 font ',9' notitle"]
    gp += ["unset multiplot", "set output"]
    return "\n".join(gp) + "\n"


def make_chart(rows, png, title, gnuplot=None):
    """Draw @png with gnuplot.  Returns (ok, message); never raises for a
    missing or failing gnuplot (the CSV is what matters)."""
    binary = gnuplot or shutil.which(GNUPLOT)
    if not binary:
        return False, GNUPLOT_MISSING
    data = chart_data(rows)
    if not data.groups and not data.budget_groups:
        return False, ("no figure has a ceiling, a Linux figure or a limit "
                       "yet, so there is nothing to chart")
    script = os.path.splitext(png)[0] + ".gp"
    with open(script, "w") as f:
        f.write(chart_script(data, png, title))
    try:
        result = subprocess.run([binary, script], capture_output=True,
                                text=True, timeout=GNUPLOT_TIMEOUT_S,
                                check=False)
    except OSError as e:
        return False, f"cannot run {binary}: {e.strerror}"
    except subprocess.TimeoutExpired:
        return False, (f"{binary} {script} did not finish within "
                       f"{GNUPLOT_TIMEOUT_S} s")
    if result.returncode != 0 or not os.path.isfile(png):
        detail = (result.stderr or result.stdout).strip().splitlines()
        return False, (f"{binary} {script} failed with status "
                       f"{result.returncode}"
                       + (f": {detail[-1]}" if detail else ""))
    return True, png


# ----------------------------------------------------------------- QEMU ----

def wait_for(serial, predicate, deadline):
    """Wait until predicate(clean text) holds.  Returns "ok", "eof",
    "panic" or "timeout"."""
    def check(raw):
        text = clean_output(raw)
        if predicate(text):
            return "ok"
        return "panic" if PANIC_RE.search(text) else None
    return serial.wait_until(check, deadline)


class Status:
    """Which step of the run is going on, on one line redrawn with \\r.

    Shown only when @stream is a terminal (or @on forces it), so that
    logs and pipes get the figure lines alone.  Other output goes through
    say(), which wipes the status line, prints, and draws it again.
    Thread-safe: the serial reader and the main thread both use it."""

    def __init__(self, stream=None, on=None):
        self._stream = stream
        self.on = self.stream.isatty() if on is None else on
        self.lock = threading.Lock()
        self.text = ""
        self.width = 0
        self.start = time.monotonic()
        self.figures = 0

    @property
    def stream(self):
        """The given stream, else sys.stdout as it is now (tests replace
        it)."""
        return self._stream or sys.stdout

    def _wipe(self):
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.width = 0

    def _draw(self):
        if not self.text:
            return
        line = f"bench: {self.text} ({time.monotonic() - self.start:.0f} s)"
        self.stream.write("\r" + line)
        self.width = len(line)
        self.stream.flush()

    def step(self, text):
        """The run has moved on to @text ("booting QEMU ...")."""
        if not self.on:
            return
        with self.lock:
            self._wipe()
            self.text = text
            self._draw()

    def say(self, line):
        """Print @line (a figure) above the status line."""
        with self.lock:
            if self.on:
                self._wipe()
            print(line, file=self.stream, flush=True)
            self.figures += 1
            if self.on:
                if self.text.startswith(RUNNING_STEP):
                    self.text = (f"{RUNNING_STEP}: {self.figures} "
                                 f"figure{'s' if self.figures != 1 else ''} "
                                 "so far")
                self._draw()

    def done(self):
        """Wipe the status line for good."""
        if self.on:
            with self.lock:
                self._wipe()
                self.text = ""
                self.stream.flush()


RUNNING_STEP = "running the benchmarks"
STATUS = Status(on=False)       # main() turns it on for a terminal


def echo_figure_line(line):
    """Print the serial lines that are figures, as they come."""
    r = parse_line(line)
    if r is None:
        return
    if r.name == BOOT_FIGURE:
        STATUS.say(f"bench {BOOT_FIGURE} {format_value(r.value)} {BOOT_UNIT}")
    else:
        STATUS.say(clean_output(line).strip())


def _tail(text):
    lines = [l for l in text.split("\n") if l.strip()]
    return "\n".join(f"    | {l}" for l in lines[-TAIL_LINES:])


def prompts(n):
    return lambda text: text.count(SHELL_PROMPT) >= n


def step_text(n, command):
    """The status while waiting for prompt @n, before typing @command."""
    if n == 1:
        return "booting QEMU, waiting for the holdfast> prompt"
    return f"{RUNNING_STEP}: {STATUS.figures} figures so far"


def run_machine(cmd, out_dir, commands, timeout):
    """Boot @cmd, type each of @commands after the next prompt.

    Returns (serial text, problem): problem is "" when QEMU powered off
    as asked, else what went wrong (QEMU is killed first when it still
    runs, e.g. after @timeout seconds); the text then holds the figures
    printed so far."""
    serial_log = os.path.join(out_dir, SERIAL_LOG_NAME)
    stderr_log = os.path.join(out_dir, STDERR_LOG_NAME)
    with open(os.path.join(out_dir, CMD_FILE_NAME), "w") as f:
        f.write(qemu.shell_quote(cmd) + "\n")
    start = time.monotonic()
    deadline = start + timeout
    try:
        with open(stderr_log, "wb") as err_file:
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=err_file,
                                    start_new_session=True)
    except OSError as e:
        raise BenchError(f"cannot run {cmd[0]}: {e.strerror}") from None
    serial = qemu.SerialLog(proc.stdout, serial_log, echo_figure_line)
    problem = ""
    try:
        for i, command in enumerate(commands, 1):
            STATUS.step(step_text(i, command))
            state = wait_for(serial, prompts(i), deadline)
            if state != "ok":
                problem = _failure(state, i, command, timeout, proc)
                break
            proc.stdin.write((command + "\n").encode())
            proc.stdin.flush()
        if not problem:
            STATUS.step(f"'{POWEROFF_COMMAND}' typed, waiting for QEMU to exit")
            try:
                proc.wait(timeout=max(0.0, min(deadline - time.monotonic(),
                                               POWEROFF_GRACE_S)))
            except subprocess.TimeoutExpired:
                problem = (f"QEMU did not exit within {POWEROFF_GRACE_S} s "
                           f"of '{POWEROFF_COMMAND}'; killed it")
    except (BrokenPipeError, OSError):
        problem = "QEMU closed its serial input early"
    except KeyboardInterrupt:
        qemu.kill_group(proc)
        proc.wait()
        raise
    finally:
        STATUS.done()
        if proc.poll() is None:
            qemu.kill_group(proc)
            proc.wait()
        try:
            proc.stdin.close()
        except OSError:
            pass            # QEMU is gone with our last keystrokes unread
        serial.thread.join()
    text = clean_output(serial.text())
    if not problem and proc.returncode != qemu.EXIT_POWEROFF:
        problem = (f"{qemu.describe_status(proc.returncode)} after "
                   f"'{POWEROFF_COMMAND}' (expected {qemu.EXIT_POWEROFF})")
    if problem:
        try:
            with open(stderr_log, encoding="utf-8", errors="replace") as f:
                err = f.read().strip()
        except OSError:
            err = ""
        msg = (f"{problem} (after {time.monotonic() - start:.0f} s; serial "
               f"log {serial_log})")
        if err:
            msg += f"\n  QEMU stderr: {err.splitlines()[0]}"
        if text.strip():
            msg += f"\n  last lines of the serial output:\n{_tail(text)}"
        return text, msg
    return text, ""


def _failure(state, n, command, timeout, proc):
    waiting = f"waiting for prompt {n} ('{SHELL_PROMPT.strip()}') before " \
              f"typing '{command}'"
    if state == "timeout":
        return (f"timed out after {timeout:g} s {waiting}; killed QEMU "
                "(BENCH_TIMEOUT=seconds or --timeout to allow more)")
    if state == "panic":
        return f"the kernel panicked while {waiting}"
    proc.wait()
    return f"{qemu.describe_status(proc.returncode)} while {waiting}"


SHM_DIR = "/dev/shm"
SHM_SPARE = 256 << 20      # leave this much of the tmpfs free


def image_dir(out_dir, size, env=None, mounts_text=None, free_bytes=None):
    """Where the bench image goes, and why: (directory, reason).

    $BENCH_IMAGE_DIR if set; else /dev/shm when it is a tmpfs with room
    for the image; else @out_dir.  Why not the build directory: QEMU maps
    the image shared, and on a disk file system the host writes dirty
    pages back every few seconds and write-protects them, so the guest's
    next store to each such page waits for a host fault.  Measured with a
    4 KiB write: ~2,500 cycles on tmpfs, ~15,000 on a page just written
    back.  Which pages that hits depends on when the flusher ran, so the
    figures (ceilings included) jumped by 2-3x between runs.  tmpfs pages
    are never written back.  @mounts_text and @free_bytes are for tests.
    """
    env = os.environ if env is None else env
    if env.get("BENCH_IMAGE_DIR"):
        return env["BENCH_IMAGE_DIR"], "BENCH_IMAGE_DIR"
    if mounts_text is None:
        try:
            with open("/proc/mounts") as f:
                mounts_text = f.read()
        except OSError:
            mounts_text = ""
    tmpfs = any(len(fields) >= 3 and fields[1] == SHM_DIR and fields[2] == "tmpfs"
                for fields in (line.split() for line in mounts_text.splitlines()))
    if not tmpfs:
        return out_dir, f"{SHM_DIR} is not a tmpfs"
    if free_bytes is None:
        try:
            st = os.statvfs(SHM_DIR)
            free_bytes = st.f_bavail * st.f_frsize
        except OSError:
            free_bytes = 0
    if free_bytes < size + SHM_SPARE:
        return out_dir, (f"{SHM_DIR} has {qemu.format_size(free_bytes)} free, "
                         f"less than {qemu.format_size(size + SHM_SPARE)}")
    return SHM_DIR, "tmpfs: no host writeback faults"


def image_name(directory):
    """pmem.img in the build tree; a per-user name in a shared directory."""
    if os.path.abspath(directory) == SHM_DIR:
        return f"holdfast-bench-{os.getuid()}.img"
    return IMAGE_NAME


# User-space benchmarks run after `bench` as programs from user/ (built by
# `make user`, put into /bin of the fresh image): one command line each,
# printing `bench NAME VALUE UNIT` lines like the kernel's.  An entry is
# (programs to install, separated by spaces; full command; --quick command;
# the prefix of the figure names it prints).
USER_BENCHES = (("pcreate", "/bin/pcreate 10000", "/bin/pcreate 1000", "parallel_create"),
                # user/daxbench.c: the figures only a process with a DAX mapping can measure
                ("daxbench", "/bin/daxbench", "/bin/daxbench -q", "user_mmap_write"),
                # user/ubench.c -b: a system call and a program start
                # (fork_exec_wait starts /bin/exit3; one run serves both names)
                ("ubench exit3", "/bin/ubench -b", "/bin/ubench -b 20000 20", "syscall_getpid"),
                ("ubench exit3", "/bin/ubench -b", "/bin/ubench -b 20000 20", "fork_exec_wait"))


def install_user_benches(build_dir, image):
    """Put the user benchmark programs that are built into /bin of
    @image; returns the USER_BENCHES entries installed."""
    import install_user  # noqa: E402  (scripts/install_user.py)
    found = []
    for entry in USER_BENCHES:
        progs = [os.path.join(build_dir, "user", p) for p in entry[0].split()]
        if (all(os.path.isfile(p) for p in progs)
                and not install_user.install(build_dir, image, progs)):
            found.append(entry)
    return found


def user_bench_commands(args, installed):
    """The command lines to type for the installed user benchmarks that
    the names asked for (all when none were)."""
    cmds = []
    for _prog, full, quick, prefix in installed:
        if args.names and not any(n.startswith(prefix) for n in args.names):
            continue
        cmd = quick if args.quick else full
        if cmd not in cmds:     # one program may print several figures
            cmds.append(cmd)
    return cmds


def prepare_image(out_dir, size, build_dir, directory=None):
    """A fresh image in @directory (default @out_dir); returns (path,
    formatted?)."""
    directory = directory or out_dir
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, image_name(directory))
    if os.path.exists(path):
        if qemu.image_users(path):
            raise BenchError(f"{path} is in use (another make bench?); "
                             "stop it first")
        os.unlink(path)
    # Fully allocated, like the peer's image: no first-store allocation.
    qemu.create_image(path, size, allocate=True)
    try:
        formatted = qemu.format_image(path, build_dir,
                                      ("-i", str(BENCH_INODES)))
    except qemu.QemuError as e:
        raise BenchError(str(e)) from None
    return path, formatted


def machine_description(args, accel):
    return (f"{args.machine}, {args.smp} CPU{'s' if args.smp != 1 else ''}, "
            f"{qemu.DEFAULT_MEMORY} RAM, {args.pmem_size} NVDIMM, {accel}")


# ----------------------------------------------------------------- main ----

def _env_number(parser, name, cast, default):
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        return cast(text)
    except ValueError:
        parser.error(f"bad {name}='{text}': expected a number")


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="bench.py",
        description="Run Holdfast's benchmark suite in QEMU and compare it "
                    "with its ceilings and with Linux DAX.")
    p.add_argument("--build-dir", default="build",
                   help="where holdfast.elf/.iso and tools/ are (default "
                        "build); results go to BUILD/bench/")
    medium = p.add_mutually_exclusive_group()
    medium.add_argument("--iso", nargs="?", const="", default=None,
                        help="boot the GRUB ISO (default BUILD/holdfast.iso)"
                             " instead of the ELF")
    medium.add_argument("--kernel",
                        help="kernel ELF to boot with -kernel (default "
                             "BUILD/holdfast.elf)")
    p.add_argument("--smp", type=int,
                   default=_env_number(p, "BENCH_SMP", int, DEFAULT_SMP),
                   help=f"CPUs (default $BENCH_SMP or {DEFAULT_SMP})")
    p.add_argument("--machine", choices=qemu.MACHINES,
                   default=DEFAULT_MACHINE)
    p.add_argument("--pmem-size", default=DEFAULT_PMEM_SIZE,
                   help=f"NVDIMM size (default {DEFAULT_PMEM_SIZE})")
    p.add_argument("--accel", default=os.environ.get("ACCEL", ""),
                   help="'' or auto: KVM after a successful probe boot, else "
                        "TCG (default); tcg; kvm")
    p.add_argument("--timeout", type=float,
                   default=_env_number(p, "BENCH_TIMEOUT", float,
                                       DEFAULT_TIMEOUT_S),
                   help="seconds for the whole run before QEMU is killed "
                        f"(default $BENCH_TIMEOUT or {DEFAULT_TIMEOUT_S})")
    p.add_argument("--quick", action="store_true",
                   help="type 'bench -q -w' (a quick smoke run)")
    p.add_argument("--names", nargs="+", metavar="NAME",
                   help="run only these benchmarks")
    p.add_argument("--linux-csv",
                   help="Linux's figures (default BUILD/bench/linux.csv)")
    p.add_argument("--out-dir", help="default BUILD/bench")
    p.add_argument("--no-chart", action="store_true")
    p.add_argument("--from-log", metavar="SERIAL_LOG",
                   help="do not boot: judge the figures in this serial log")
    p.add_argument("--qemu", help="QEMU binary (default $QEMU or "
                                  "qemu-system-x86_64)")
    p.add_argument("-v", "--verbose", action="store_true",
                   default=os.environ.get("V") == "1",
                   help="print the QEMU command line (also V=1)")
    p.add_argument("--progress", choices=("auto", "on", "off"),
                   default="auto",
                   help="the status line saying which step runs: auto (on "
                        "a terminal only, the default), on, off")
    args = p.parse_args(argv)
    STATUS.on = (sys.stdout.isatty() if args.progress == "auto"
                 else args.progress == "on")
    if args.smp < 1:
        p.error(f"bad CPU count {args.smp} (BENCH_SMP): must be at least 1")
    if args.timeout <= 0:
        p.error(f"bad timeout {args.timeout:g} s (BENCH_TIMEOUT): must be "
                "more than 0")
    args.out_dir = args.out_dir or os.path.join(args.build_dir, BENCH_SUBDIR)
    args.linux_csv = args.linux_csv or os.path.join(args.out_dir,
                                                    LINUX_CSV_NAME)
    return args


def is_user_bench(name):
    return any(name.startswith(entry[3]) for entry in USER_BENCHES)


NBD_PREFIXES = ("nbd_", "tcp_")      # scripts/bench_nbd.py's figures
NBD_BENCH_SIZE = "256M"


def is_nbd_bench(name):
    return name.startswith(NBD_PREFIXES)


def nbd_figures(args, accel):
    """The network figures, from a boot of their own (scripts/bench_nbd.py):
    `bench ...` lines, [] when not asked for."""
    if args.quick or (args.names and not any(is_nbd_bench(n) for n in args.names)):
        return []
    import bench_nbd  # noqa: E402  (scripts/bench_nbd.py)
    STATUS.step("network: booting with virtio-net, nbdcopy and fio from the host")
    skip = bench_nbd.missing_clients()
    try:
        results = bench_nbd.run(args.build_dir, qemu.parse_size(NBD_BENCH_SIZE),
                                accel, skip)
    except (bench_nbd.nbd_net.Problem, OSError, qemu.QemuError) as e:
        print(f"warning: the network benchmarks failed: {e}", file=sys.stderr)
        return []
    lines = bench_nbd.figure_lines(results, skip)
    for line in lines:
        echo_figure_line(line)
    return lines


def bench_command(args):
    """The kernel's `bench` command line, or None when only user-space
    (or network) benchmarks were named."""
    names = [n for n in (args.names or [])
             if not is_user_bench(n) and not is_nbd_bench(n)]
    if args.names and not names:
        return None
    words = [BENCH_COMMAND]
    if args.quick:
        words.append(BENCH_QUICK_FLAG)
    words.append(BENCH_WRITE_FLAG)
    words += names
    return " ".join(words)


def prealloc_memory(args):
    """Whether QEMU backs all guest memory before the guest starts.

    QEMU maps guest RAM and the NVDIMM image lazily: the first store to
    each page waits for a host page fault, which real DRAM and NVDIMMs do
    not have.  pmem_write_nt measures its ceiling on a range it has
    already written once, so the file workloads must not pay those faults
    either, or the first one to reach fresh blocks (fs_seq_write_4k) is
    charged ~25 % more for pages the ceiling never paid for.  Likewise the
    first 10,000 creates of a boot paid ~10 % for the fresh DRAM pages
    their cached inodes landed on, and a second run did not.  (The peer
    harness zero-fills its image for the same reason.)  Not for --quick:
    its figures are not compared, and 1.5 GiB of host memory is a cost the
    smoke run in make test need not pay.
    """
    return not args.quick


def boot_and_measure(args):
    """Run the suite in QEMU; returns (serial text, accel, problem)."""
    binary = qemu.find_qemu(args.qemu)
    if not binary:
        raise BenchError(qemu.QEMU_MISSING)
    elf = args.kernel or os.path.join(args.build_dir, "holdfast.elf")
    iso = None
    if args.iso is not None:
        iso = args.iso or os.path.join(args.build_dir, "holdfast.iso")
        if not os.path.isfile(iso):
            raise BenchError(f"{iso} not found (build it with 'make iso')")
    if not os.path.isfile(elf):
        raise BenchError(f"{elf} not found (build it with 'make')")
    try:
        size = qemu.parse_size(args.pmem_size)
    except ValueError as e:
        raise BenchError(str(e)) from None
    os.makedirs(args.out_dir, exist_ok=True)
    directory, why = image_dir(args.out_dir, size)
    image, formatted = prepare_image(args.out_dir, size, args.build_dir, directory)
    print(f"pmem: {image} ({qemu.format_size(size)}, fresh, "
          + ("formatted with " + qemu.mkfs_path(args.build_dir) if formatted
             else f"not formatted: {qemu.mkfs_path(args.build_dir)} is not "
                  "built ('make tools')") + f"; here because {why})")
    try:
        return _run_on_image(args, binary, iso, elf, image, size)
    finally:
        if os.path.dirname(os.path.abspath(image)) == SHM_DIR:
            os.unlink(image)     # give the memory back


def _run_on_image(args, binary, iso, elf, image, size):
    try:
        accel, message = qemu.choose_accel(args.accel, elf, args.machine,
                                           binary)
    except qemu.QemuError as e:
        raise BenchError(str(e)) from None
    print(message, flush=True)
    # The NVMe disk of nvme_to_file & co: beside the NVDIMM image (sparse:
    # its blocks read as zeros), made fresh each run.
    nvme_image = os.path.join(os.path.dirname(os.path.abspath(image)),
                              NVME_IMAGE_NAME)
    with open(nvme_image, "wb") as f:
        f.truncate(qemu.parse_size(NVME_BENCH_SIZE))
    cmd = qemu.build_cmd(qemu=binary, machine=args.machine, accel=accel,
                         smp=args.smp, iso=iso, nvme=[nvme_image],
                         kernel=None if iso else elf, pmem=[(image, size)],
                         prealloc=prealloc_memory(args),
                         serial="stdio", monitor="none")
    if args.verbose:
        print("qemu:", qemu.shell_quote(cmd))
    typed = [c for c in [bench_command(args)] if c]
    typed += user_bench_commands(args, install_user_benches(args.build_dir, image))
    print(f"machine: {machine_description(args, accel)}; typing "
          + ", ".join(f"'{c}'" for c in typed)
          + f" (timeout {args.timeout:g} s)", flush=True)
    text, problem = run_machine(cmd, args.out_dir,
                                [*typed, POWEROFF_COMMAND], args.timeout)
    text = OFF_RENAME_RE.sub(r"bench \g<1>_off ", text)
    if not problem and iommu_boot_wanted(args):
        more, problem = _run_iommu_boot(args, binary, iso, elf, image, size,
                                        accel, nvme_image)
        text += more
    return text, accel, problem


def iommu_boot_wanted(args):
    """The second boot (remapping on) runs on q35 unless names were given
    and none of its figures is among them."""
    if args.machine != "q35":
        return False
    return not args.names or any(n in IOMMU_NAMES or n in IOMMU_RENAMED.values()
                                 or n == "iommu_map_unmap_off"
                                 for n in args.names)


def iommu_figure_lines(text):
    """The `bench` lines of the IOMMU boot, renamed (nvme_to_file ->
    nvme_to_file_iommu) so both runs' figures sit side by side."""
    out = []
    for line in text.splitlines():
        m = re.match(r"^bench (\S+) (.*)$", line.strip())
        if m:
            name = IOMMU_RENAMED.get(m.group(1), m.group(1))
            out.append(f"bench {name} {m.group(2)}")
    return "\n" + "\n".join(out) + "\n" if out else ""


def _run_iommu_boot(args, binary, iso, elf, image, size, accel, nvme_image):
    """Boot again with -device intel-iommu on a fresh image and measure
    IOMMU_NAMES: the same workloads with every DMA remapped."""
    out_dir = os.path.join(args.out_dir, IOMMU_SUBDIR)
    os.makedirs(out_dir, exist_ok=True)
    prepare_image(args.out_dir, size, args.build_dir, os.path.dirname(image))
    with open(nvme_image, "wb") as f:
        f.truncate(qemu.parse_size(NVME_BENCH_SIZE))
    cmd = qemu.build_cmd(qemu=binary, machine=args.machine, accel=accel,
                         smp=args.smp, iso=iso, nvme=[nvme_image],
                         kernel=None if iso else elf, pmem=[(image, size)],
                         prealloc=prealloc_memory(args), iommu=True,
                         serial="stdio", monitor="none")
    words = [BENCH_COMMAND] + ([BENCH_QUICK_FLAG] if args.quick else [])
    typed = " ".join(words + [BENCH_WRITE_FLAG, *IOMMU_NAMES])
    print(f"machine: the same with -device {qemu.IOMMU_DEVICE}; typing "
          f"'{typed}'", flush=True)
    text, problem = run_machine(cmd, out_dir, [typed, POWEROFF_COMMAND],
                                args.timeout)
    return iommu_figure_lines(text), problem


def report(results, args, accel, date):
    """Table, CSV and chart for @results.  Returns the exit status."""
    try:
        linux = load_linux_csv(args.linux_csv, accel)
    except BenchError as e:
        print(f"warning: {e}; using the published figures instead",
              file=sys.stderr)
        linux = None
    linux = linux or published_linux()
    rows = evaluate(results, linux)
    print()
    print(f"Linux figures: {linux.source}")
    for line in table_lines(rows, linux.label):
        print(line)
    for r in rows:
        if r.skipped:
            print(f"skipped: {r.name} ({r.skipped})")
        for note in r.notes:
            print(f"note: {note}")
    missing = missing_figures(results)
    if missing:
        print(f"not reported by this kernel yet: {', '.join(missing)}")
    met = sum(r.met == YES for r in rows)
    judged = sum(r.met in (YES, NO) for r in rows)
    print(f"targets met: {met} of {judged} judged")
    csv_path = os.path.join(args.out_dir, CSV_NAME)
    write_csv(rows, csv_path, accel, date)
    print(f"csv: {csv_path}")
    png = os.path.join(args.out_dir, PNG_NAME)
    if args.no_chart:
        print("chart: skipped (--no-chart)")
    else:
        title = (f"Holdfast benchmarks, {date}, {accel}, {args.smp} CPUs; "
                 f"Linux: {linux.short}")
        ok, message = make_chart(rows, png, title)
        print(f"chart: {message}" if ok else f"chart: skipped: {message}")
    return EXIT_OK


def _terminate(signum, _frame):
    """SIGTERM/SIGHUP: unwind, so that run_machine() kills QEMU (it runs
    in its own session and would outlive us)."""
    raise SystemExit(f"bench.py: stopped by {qemu.signal_name(signum)}")


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    date = datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    problem = ""
    try:
        if args.from_log:
            try:
                with open(args.from_log, encoding="utf-8",
                          errors="replace") as f:
                    text = f.read()
            except OSError as e:
                raise BenchError(f"cannot read {args.from_log}: "
                                 f"{e.strerror}") from None
            accel = (args.accel or "tcg").lower()
            for line in clean_output(text).split("\n"):
                echo_figure_line(line)
        else:
            text, accel, problem = boot_and_measure(args)
            if not problem:
                text += "\n" + "\n".join(nbd_figures(args, accel)) + "\n"
        for line in clean_output(text).split("\n"):
            m = UNKNOWN_NAME_RE.match(line.strip())
            if m:
                print(f"warning: the kernel has no benchmark named "
                      f"'{m['name']}'", file=sys.stderr)
        results = parse_output(text)
        if not any(r.name != BOOT_FIGURE for r in results.values()):
            raise BenchError(problem or "the kernel printed no 'bench NAME "
                             "VALUE UNIT' line (is the bench command built "
                             "in? see "
                             f"{os.path.join(args.out_dir, SERIAL_LOG_NAME)})")
        os.makedirs(args.out_dir, exist_ok=True)
        if problem:
            print(f"error: {problem}", file=sys.stderr)
            print("the figures below are those printed before that",
                  file=sys.stderr)
        status = report(results, args, accel, date)
        return EXIT_ERROR if problem else status
    except BenchError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted; QEMU stopped", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    for _signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(_signum, _terminate)
    sys.exit(main())
