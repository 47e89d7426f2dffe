#!/usr/bin/env python3
"""bench_nbd.py - NBD throughput against the raw TCP ceiling of the same boot.

    python3 scripts/bench_nbd.py [--build-dir build] [--size 256M] [--accel tcg]
                                 [--smp N]

Boots Holdfast with the network card (tests/nbd_net.py's Guest: user-mode
net, restrict=on, forwards on 127.0.0.1 only), exports a file of --size
bytes, and measures from the host:

  nbd_read          nbdcopy of the export to null:   (guest -> host)
  nbd_write         nbdcopy of random data into it   (host -> guest)
  tcp_read_ceiling  raw TCP from the guest's `net bench` source service
  tcp_write_ceiling raw TCP into its discard service
  nbd_4k_randread   fio's nbd engine: 4 KiB random reads over the export,
                    16 in flight, for FIO_SECONDS (IOPS)

the first four in MB/s (10^6 bytes per second), printed as `bench NAME
VALUE UNIT` lines as the kernel prints its figures, then each NBD figure's
ratio to its ceiling (chapter 12's target: 0.8).  Each ceiling is measured
just before and just after its NBD figure and is the mean of the two, so
that a drift of the host's speed during the boot moves both alike.  The
machine has one CPU (--smp N for more): under TCG a second vCPU competes
with QEMU's network thread and the host's client for the host's cores,
and both figures come out lower and noisier (2 CPUs, this host: nbd_read
20-22 MB/s against 33 with one).  A figure whose client is
not installed is printed as `bench NAME skipped (why)`.  make bench runs
this in a boot of its own (scripts/bench.py, nbd_figures()).
"""

import argparse
import json
import os
import shutil
import socket
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import nbd_net  # noqa: E402
import qemu     # noqa: E402

DISCARD, SOURCE = 10810, 10811      # TCPBENCH_*_PORT in include/net/net.h
CHUNK = 1 << 20
FIO_SECONDS = 10
FIO_IODEPTH = 16
FIO_BS = 4096
ORDER = ("tcp_read_ceiling", "tcp_write_ceiling", "nbd_read", "nbd_write",
         "nbd_4k_randread")
UNITS = {"nbd_4k_randread": "ops/s"}
CLIENTS = {"nbd_read": "nbdcopy", "nbd_write": "nbdcopy",
           "nbd_4k_randread": "fio"}


def mbs(nbytes, seconds):
    return nbytes / seconds / 1e6


def tcp_write(port, size):
    data = os.urandom(CHUNK)
    with socket.create_connection(("127.0.0.1", port), timeout=120) as s:
        start = time.monotonic()
        for _ in range(size // CHUNK):
            s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        s.recv(1)               # the service closes after it read it all
        return mbs(size, time.monotonic() - start)


def tcp_read(port, size):
    buf = bytearray(CHUNK)
    with socket.create_connection(("127.0.0.1", port), timeout=120) as s:
        got, start = 0, time.monotonic()
        while got < size:
            n = s.recv_into(buf)
            if not n:
                raise nbd_net.Problem("the source service closed")
            got += n
        return mbs(got, time.monotonic() - start)


def fio_randread(url, size):
    """IOPS of 4 KiB random reads over @url, FIO_IODEPTH in flight."""
    out = nbd_net.host(
        ["fio", "--name=nbd_4k_randread", "--ioengine=nbd", f"--uri={url}",
         "--rw=randread", f"--bs={FIO_BS}", f"--iodepth={FIO_IODEPTH}",
         f"--size={size}", f"--runtime={FIO_SECONDS}", "--time_based",
         "--output-format=json"], "fio", seconds=FIO_SECONDS + 120)
    try:
        job = json.loads(out[out.index("{"):])["jobs"][0]
        if job.get("error"):
            raise nbd_net.Problem(f"fio: job error {job['error']}")
        return float(job["read"]["iops"])
    except (ValueError, KeyError, IndexError) as e:
        raise nbd_net.Problem(f"fio: cannot read its JSON ({e}): {out[:200]!r}")


def missing_clients():
    """{figure: why} for the figures whose host client is not installed."""
    return {name: f"{prog} is not installed (make deps)"
            for name, prog in CLIENTS.items() if not shutil.which(prog)}


def run(build_dir, size, accel, skip=(), smp=1):
    """Boot, measure, power off; {figure: value}.  @skip: figures not to
    measure (their client is missing); @smp: CPUs."""
    results = {}

    def around(ceiling, measure_ceiling, name, measure):
        """@name's figure between two of its ceiling's; the ceiling is
        their mean."""
        first = measure_ceiling()
        if name not in skip:
            results[name] = measure()
        results[ceiling] = (first + measure_ceiling()) / 2

    def body(g):
        g.boot()
        out = g.shell("net bench")
        if "discard on port" not in out:
            raise nbd_net.Problem(f"net bench: {out.strip()}")
        g.shell(f"pattern /bench {size} bench")
        g.shell("nbd export /bench bench")
        rnd = os.path.join(g.dir, "bench.rnd")
        with open(rnd, "wb") as f:
            for _ in range(size // CHUNK):
                f.write(os.urandom(CHUNK))
        def nbdcopy(args, what):
            start = time.monotonic()
            nbd_net.host(["nbdcopy"] + args, what)
            return mbs(size, time.monotonic() - start)

        around("tcp_read_ceiling", lambda: tcp_read(g.ports[SOURCE], size),
               "nbd_read", lambda: nbdcopy([g.url("bench"), "null:"], "nbdcopy out"))
        around("tcp_write_ceiling", lambda: tcp_write(g.ports[DISCARD], size),
               "nbd_write", lambda: nbdcopy([rnd, g.url("bench")], "nbdcopy in"))
        os.unlink(rnd)
        if "nbd_4k_randread" not in skip:
            results["nbd_4k_randread"] = fio_randread(g.url("bench"), size)
        g.check_console()
        g.poweroff()

    guest = None
    try:
        guest = nbd_net.Guest("bench-nbd", build_dir, pmem_size=f"{2 * size + (64 << 20)}",
                              smp=smp, guest_ports=(DISCARD, SOURCE), accel=accel)
        body(guest)
    finally:
        if guest:
            guest.kill()
    return results


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    p.add_argument("--size", default="256M")
    p.add_argument("--accel", default="tcg")
    p.add_argument("--smp", type=int, default=1, help="CPUs (default 1)")
    a = p.parse_args()
    size = qemu.parse_size(a.size)
    skip = missing_clients()
    try:
        r = run(a.build_dir, size, a.accel, skip, a.smp)
    except nbd_net.Problem as e:
        print(f"bench_nbd: {e}", file=sys.stderr)
        return 1
    for line in figure_lines(r, skip):
        print(line)
    for name, ceiling in (("nbd_read", "tcp_read_ceiling"), ("nbd_write", "tcp_write_ceiling")):
        if name in r:
            print(f"{name}: {r[name] / r[ceiling]:.2f} of {ceiling}")
    return 0


def figure_lines(results, skip):
    """`bench NAME VALUE UNIT` / `bench NAME skipped (why)` lines."""
    lines = []
    for name in ORDER:
        if name in results:
            lines.append(f"bench {name} {results[name]:.1f} {UNITS.get(name, 'MB/s')}")
        elif name in skip:
            lines.append(f"bench {name} skipped ({skip[name]})")
    return lines


if __name__ == "__main__":
    sys.exit(main())
