#!/usr/bin/env python3
"""bench_linux.py - the host side of `make bench-linux`.

This file owns: running the Linux peer harness (its run-linux-dax.sh
boots Debian's Linux 6.1 with ext4 and xfs mounted -o dax on the same
emulated NVDIMM and runs the same file workloads as `make bench`) and
turning its results.txt into build/bench/linux.csv, which scripts/bench.py
reads to set each Holdfast figure beside Linux's figure for the same
workload.

The harness is NOT part of this repository.  Its folder comes from
--peer-dir DIR (`make bench-linux PEER=DIR`), else $PEER_DIR, else
PEER_DIR_DEFAULT below, the one path outside the repository that anything
in it names: where the harness sat beside the checkout on the machines
Holdfast was built on.  When run-linux-dax.sh is not there, the error says
what the harness is and how to point at it.

    scripts/bench_linux.py [--build-dir build] [--peer-dir DIR]
    scripts/bench_linux.py --no-run [--results build/peer/results.txt]

The harness downloads Debian packages (apt-get download) and boots Linux
under TCG for minutes, so this is optional and never part of make test.
Its knobs pass through the environment (RUNS, ACCELS, FSLIST, KPKG, ...;
see the harness's README).  --no-run only converts an existing
results.txt.

linux.csv has one row per accelerator and test:
    name,value,unit,source,ext4_value,xfs_value,accel,runs,date
where value is the best of ext4 and xfs (the peer README's rule: ext4 and
xfs are both Linux, and the faster one is what Holdfast must beat), source
says which one ("raw" for the tests without a filesystem), and the
per-filesystem medians follow.  Every figure is a higher-is-better rate
(MB/s, ops/s); the statx/MAP_SYNC booleans are left out.
"""

import argparse
import datetime
import os
import re
import subprocess
import sys

SCRIPTS_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(SCRIPTS_DIR)
if SCRIPTS_DIR not in sys.path:
    sys.path.insert(0, SCRIPTS_DIR)

import bench  # noqa: E402  (scripts/bench.py: the CSV writer)

# Relative to the top of the repository (see the top of this file).
PEER_DIR_DEFAULT = "../shared/peer"
PEER_SCRIPT = "run-linux-dax.sh"
# Its "all" action ends with `[ "$STRETCH" = 1 ] && seed`, so it exits 1
# whenever STRETCH is not 1; "build" and then "bench" report honestly.
PEER_ACTIONS = ("build", "bench")
PEER_BUILD_SUBDIR = "peer"             # the harness's BUILD under build/
PEER_RESULTS = "results.txt"
BENCH_SUBDIR = "bench"
LINUX_CSV_NAME = "linux.csv"

CSV_COLUMNS = ("name", "value", "unit", "source", "ext4_value", "xfs_value",
               "accel", "runs", "date")
FILESYSTEMS = ("ext4", "xfs")
RAW_GROUP = "raw"
SKIPPED_UNITS = ("bool",)              # statx_attr_dax, map_sync_ok

# "tcg  xfs   seq_write_4k      76.9 MB/s   n=3 [76.9 70.1 80.0]"
RESULT_RE = re.compile(
    r"^(?P<accel>\S+)\s+(?P<group>\S+)\s+(?P<test>\S+)\s+"
    r"(?P<median>-?\d+(?:\.\d+)?)\s+(?P<unit>\S+)\s+n=(?P<runs>\d+)\b")
HEADER_DATE_RE = re.compile(r"^# peer baseline, (?P<date>\S+),")
RUN_RE = re.compile(r"^# run (?P<accel>\S+)#\d+ .*: (?P<status>.*)$")

EXIT_OK = 0
EXIT_ERROR = 1


class PeerError(Exception):
    """A problem to report as "error: MESSAGE" (exit status 1)."""


def parse_results(text, origin="results.txt"):
    """The harness's results.txt -> (rows, notes).

    rows: {(accel, test): {"unit", "runs", "ext4", "xfs", "raw"}} holding
    the medians per group; notes: the failed-run lines worth repeating.
    Raises PeerError when there is not a single result line.
    """
    rows = {}
    notes = []
    date = ""
    for n, line in enumerate(text.splitlines(), 1):
        line = line.rstrip()
        m = HEADER_DATE_RE.match(line)
        if m:
            date = m["date"]
            continue
        m = RUN_RE.match(line)
        if m:
            if m["status"].strip() != "done":
                notes.append(f"{m['accel']} run: {m['status'].strip()}")
            continue
        if not line or line.startswith("#"):
            continue
        m = RESULT_RE.match(line)
        if not m:
            raise PeerError(f"{origin} line {n}: cannot parse '{line}' "
                            "(expected 'ACCEL GROUP TEST MEDIAN UNIT n=N "
                            "[...]')")
        if m["unit"] in SKIPPED_UNITS:
            continue
        group = m["group"]
        if group not in FILESYSTEMS and group != RAW_GROUP:
            continue        # seed-ext4 and the like: not figures
        row = rows.setdefault((m["accel"], m["test"]),
                              {"unit": m["unit"], "runs": 0})
        if row["unit"] != m["unit"]:
            raise PeerError(f"{origin} line {n}: {m['test']} is in "
                            f"{m['unit']} here but in {row['unit']} on an "
                            "earlier line")
        row[group] = float(m["median"])
        row["runs"] = max(row["runs"], int(m["runs"]))
    if not rows:
        raise PeerError(f"{origin} holds no result lines" +
                        (f" ({'; '.join(notes)})" if notes else "") +
                        f"; see the serial-*.log files next to it")
    return rows, notes, date


def best(row):
    """(value, source): the best of ext4 and xfs, else the raw figure."""
    fs = [(row[f], f) for f in FILESYSTEMS if f in row]
    if fs:
        return max(fs)
    return row.get(RAW_GROUP), RAW_GROUP


MEDIAN_DECIMALS = 1                    # results.txt prints %.1f


def _num(value):
    """202236.6 -> "202236.6", 639.0 -> "639" (no precision lost)."""
    if value is None:
        return ""
    return f"{value:.{MEDIAN_DECIMALS}f}".rstrip("0").rstrip(".")


def csv_rows(rows, date):
    out = []
    for (accel, test), row in sorted(rows.items()):
        value, source = best(row)
        out.append({"name": test, "value": _num(value), "unit": row["unit"],
                    "source": source, "ext4_value": _num(row.get("ext4")),
                    "xfs_value": _num(row.get("xfs")), "accel": accel,
                    "runs": row["runs"], "date": date})
    return out


def write_csv(rows, path, date):
    bench.write_csv_file(path, CSV_COLUMNS, csv_rows(rows, date))


def default_peer_dir():
    """$PEER_DIR, else PEER_DIR_DEFAULT resolved from the repository."""
    return (os.environ.get("PEER_DIR") or
            os.path.normpath(os.path.join(ROOT, PEER_DIR_DEFAULT)))


def run_harness(peer_dir, peer_build, results):
    script = os.path.join(peer_dir, PEER_SCRIPT)
    if not os.path.isfile(script):
        raise PeerError(
            f"{script} is missing: the Linux peer harness is not in "
            f"{peer_dir}.  It is not part of this repository (it boots "
            "Debian's Linux with ext4 and xfs mounted -o dax to measure the "
            "same workloads as make bench); point at the folder holding "
            f"its {PEER_SCRIPT} with make bench-linux PEER=DIR (or "
            "scripts/bench_linux.py --peer-dir DIR, or PEER_DIR=DIR)")
    env = dict(os.environ, BUILD=os.path.abspath(peer_build),
               RESULTS=os.path.abspath(results))
    print(f"running: bash {script} {' then '.join(PEER_ACTIONS)} "
          f"(BUILD={env['BUILD']}); this downloads Debian's kernel package "
          "and takes minutes under TCG", flush=True)
    for action in PEER_ACTIONS:
        try:
            status = subprocess.run(["bash", script, action], env=env,
                                    stdin=subprocess.DEVNULL,
                                    check=False).returncode
        except OSError as e:
            raise PeerError(f"cannot run bash {script}: "
                            f"{e.strerror}") from None
        except KeyboardInterrupt:
            raise PeerError("interrupted") from None
        if status != 0:
            raise PeerError(f"bash {script} {action} exited with status "
                            f"{status} (logs in {peer_build})")


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="bench_linux.py",
        description="Run the Linux DAX peer harness and store its figures "
                    "as build/bench/linux.csv.")
    p.add_argument("--build-dir", default="build")
    p.add_argument("--peer-dir", default=default_peer_dir(),
                   help="the Linux peer harness's folder, not part of this "
                        "repository (default: $PEER_DIR, else "
                        + os.path.normpath(os.path.join(ROOT, PEER_DIR_DEFAULT))
                        + ")")
    p.add_argument("--no-run", action="store_true",
                   help="only convert an existing results.txt")
    p.add_argument("--results",
                   help="the harness's results.txt (default "
                        "BUILD/peer/results.txt)")
    p.add_argument("--out", help="default BUILD/bench/linux.csv")
    args = p.parse_args(argv)
    args.peer_build = os.path.join(args.build_dir, PEER_BUILD_SUBDIR)
    args.results = args.results or os.path.join(args.peer_build,
                                                PEER_RESULTS)
    args.out = args.out or os.path.join(args.build_dir, BENCH_SUBDIR,
                                        LINUX_CSV_NAME)
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if not args.no_run:
            run_harness(args.peer_dir, args.peer_build, args.results)
        try:
            with open(args.results, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError as e:
            raise PeerError(f"cannot read {args.results}: {e.strerror}"
                            + (" (run without --no-run to make it)"
                               if args.no_run else "")) from None
        rows, notes, date = parse_results(text, args.results)
        for note in notes:
            print(f"note: {note}")
        date = date or datetime.datetime.now(datetime.timezone.utc) \
            .strftime("%Y-%m-%dT%H:%M:%SZ")
        write_csv(rows, args.out, date)
        for r in csv_rows(rows, date):
            print(f"linux {r['accel']} {r['name']} {r['value']} {r['unit']} "
                  f"({r['source']})")
        print(f"csv: {args.out}")
        return EXIT_OK
    except PeerError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
