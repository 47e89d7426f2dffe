#!/usr/bin/env python3
"""bench_nbd.py - NBD throughput against the raw TCP ceiling of the same boot.

    python3 scripts/bench_nbd.py [--build-dir build] [--size 256M] [--accel tcg]

Boots Holdfast with the network card (tests/nbd_net.py's Guest: user-mode
net, restrict=on, forwards on 127.0.0.1 only), exports a file of --size
bytes, and measures from the host:

  nbd_read          nbdcopy of the export to null:   (guest -> host)
  nbd_write         nbdcopy of random data into it   (host -> guest)
  tcp_read_ceiling  raw TCP from the guest's `net bench` source service
  tcp_write_ceiling raw TCP into its discard service

each in MB/s (10^6 bytes per second), printed as `bench NAME VALUE MB/s`
lines as make bench prints its figures, then each NBD figure's ratio to its
ceiling (chapter 12's target: 0.8).  Not part of make bench yet.
"""

import argparse
import os
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


def run(build_dir, size, accel):
    results = {}

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
        results["tcp_write_ceiling"] = tcp_write(g.ports[DISCARD], size)
        results["tcp_read_ceiling"] = tcp_read(g.ports[SOURCE], size)
        start = time.monotonic()
        nbd_net.host(["nbdcopy", g.url("bench"), "null:"], "nbdcopy out")
        results["nbd_read"] = mbs(size, time.monotonic() - start)
        start = time.monotonic()
        nbd_net.host(["nbdcopy", rnd, g.url("bench")], "nbdcopy in")
        results["nbd_write"] = mbs(size, time.monotonic() - start)
        os.unlink(rnd)
        g.poweroff()

    guest = None
    try:
        guest = nbd_net.Guest("bench-nbd", build_dir, pmem_size=f"{2 * size + (64 << 20)}",
                              guest_ports=(DISCARD, SOURCE), accel=accel)
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
    a = p.parse_args()
    size = qemu.parse_size(a.size)
    try:
        r = run(a.build_dir, size, a.accel)
    except nbd_net.Problem as e:
        print(f"bench_nbd: {e}", file=sys.stderr)
        return 1
    for name in ("tcp_read_ceiling", "tcp_write_ceiling", "nbd_read", "nbd_write"):
        print(f"bench {name} {r[name]:.1f} MB/s")
    for name, ceiling in (("nbd_read", "tcp_read_ceiling"), ("nbd_write", "tcp_write_ceiling")):
        print(f"{name}: {r[name] / r[ceiling]:.2f} of {ceiling}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
