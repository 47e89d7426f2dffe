#!/usr/bin/env python3
"""nbd_net.py - the network and the NBD server, driven from the host.

Each check boots its own QEMU (virtio-net on user-mode networking with
restrict=on, a free host port forwarded to the guest's NBD port, as
design.md's network contract says), types at the shell through the
serial port, and talks to the guest from the host.  tests/boots.py runs
them as sequences of one host check (like the demo), so

    python3 tests/run.py --only nbd

runs them all.  Each returns None, or a sentence saying what went wrong.

  net_dhcp_lease    the guest gets its DHCP lease (console line with the
                    address) and the host connects to the forwarded port
  nbd_clients       nbdinfo (size, list), nbdcopy out and back in (cmp),
                    qemu-io patterns at odd offsets, discard and
                    write-zeroes read back as zeroes; after poweroff the
                    host tool reads the file and it equals what was written
  nbd_bad_input     raw sockets: bad magic, unknown option, huge option
                    length, READ past the end, length 0, unknown command,
                    WRITE to a read-only export, disconnect mid-payload, a
                    silent client while another works, bad request magic,
                    64 clients at once; each gets its error (or is closed)
                    and the console says why in one line; the kernel keeps
                    running and the file holds exactly the valid writes
  nbd_zero_copy_pins  READ replies go from pinned pmem pages to the NIC by
                    reference: nbdcopy of the export equals the file (CRC
                    on both sides) and the counters show the bytes went by
                    reference, none copied; then a truncate during a long
                    READ waits until the client has taken the data (sent,
                    acknowledged, descriptors back)
  nbd_write_one_copy  WRITE payloads go from the NIC's receive buffers into
                    pmem with one copy: nbdcopy of random data in (and
                    qemu-io with FUA), read back equal; the counters show the
                    frames came by reference, every payload byte was written
                    in place from them (vfs_pwritev), and every lent buffer
                    came back; with `net rxloan 0` a qemu-io write is
                    copied (two copies) and still lands; the file after
                    poweroff is what was written
  nbd_trim_waits_for_dma  a TRIM of pages a `dma cp` has pinned is
                    answered only after the copy is done (the layout
                    protocol), and the copy got the data from before; then
                    the unprotected run (`unsafe-demo on`): a TRIM of a DMA
                    copy's target returns at once, a new file gets the
                    freed blocks, and the DMA's data lands in it

Run one by hand:  python3 tests/nbd_net.py nbd_clients [--build-dir build]
"""

import os
import random
import re
import socket
import struct
import subprocess
import sys
import time
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import qemu  # noqa: E402  (scripts/qemu.py)

BOOT_WAIT_S = 60            # generous limits, not expectations (TCG)
LEASE_WAIT_S = 60
CMD_WAIT_S = 120
CLIENT_WAIT_S = 300
POWEROFF_WAIT_S = 60
EXPORT_SIZE = 64 << 20      # nbdcopy out and in: seconds under TCG
PROMPT = "holdfast> "
LEASE_RE = r"^(?:holdfast> )?net: eth0: (\d+\.\d+\.\d+\.\d+)/(\d+) gateway \S+ \((DHCP|static)\)$"

# NBD protocol (doc/proto.md of the NetworkBlockDevice project)
NBDMAGIC = 0x4e42444d41474943
IHAVEOPT = 0x49484156454F5054
REPLY_MAGIC = 0x0003e889045565a9
REQUEST_MAGIC = 0x25609513
SIMPLE_REPLY_MAGIC = 0x67446698
OPT_GO, OPT_LIST = 7, 3
REP_ACK, REP_INFO, REP_ERR_UNSUP = 1, 3, 0x80000001
CMD_READ, CMD_WRITE, CMD_DISC, CMD_TRIM = 0, 1, 2, 4
EPERM, EINVAL, ENOSPC = 1, 22, 28


class Problem(Exception):
    """What went wrong, as the check reports it."""


# ------------------------------------------------------------- the guest ----

class Guest:
    """One QEMU with an NVDIMM (formatted), edu, and the network card."""

    def __init__(self, name, build_dir, pmem_size="128M", machine="q35",
                 smp=1, kernel="holdfast.elf", guest_ports=(), accel="tcg"):
        self.build_dir = build_dir
        self.dir = os.path.join(build_dir, "test", "nbd", name)
        logs = os.path.join(build_dir, "test", "logs")
        os.makedirs(self.dir, exist_ok=True)
        os.makedirs(logs, exist_ok=True)
        self.image = os.path.join(self.dir, "pmem0.img")
        qemu.create_image(self.image, qemu.parse_size(pmem_size))
        if not qemu.format_image(self.image, build_dir):
            raise Problem(f"{qemu.mkfs_path(build_dir)} is not built")
        self.port = qemu.free_tcp_port()
        # more forwards, host port for each guest port (benchmarks)
        self.ports = {g: qemu.free_tcp_port() for g in guest_ports}
        cmd = qemu.build_cmd(kernel=os.path.join(build_dir, kernel),
                             pmem=[(self.image, qemu.parse_size(pmem_size))],
                             debug_exit=True, serial="stdio", monitor="none",
                             nbd_port=self.port, machine=machine, smp=smp,
                             accel=accel,
                             net_forwards=[(h, g) for g, h in self.ports.items()])
        with open(os.path.join(logs, f"{name}.cmd"), "w") as f:
            f.write(qemu.shell_quote(cmd) + "\n")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.serial = qemu.SerialLog(self.proc.stdout, os.path.join(
            logs, f"{name}.serial.log"))
        self.mark = 0               # where the next wait looks from

    def text(self):
        return qemu.clean_output(self.serial.text())

    def wait_for(self, pattern, seconds, what):
        regex = re.compile(pattern, re.MULTILINE)
        start = self.mark

        def find(raw):
            return regex.search(qemu.clean_output(raw), start)
        m = self.serial.wait_until(find, time.monotonic() + seconds)
        if not isinstance(m, re.Match):
            raise Problem(f"{what}: no /{pattern}/ on the console ({m}); "
                          f"last lines: {self.tail()}")
        self.mark = m.end()
        return m

    def tail(self, n=6):
        return " | ".join(self.text().rstrip().splitlines()[-n:])

    def shell(self, line, seconds=CMD_WAIT_S):
        """Type @line and return what it printed before the next prompt."""
        start = self.mark = len(self.text())
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()
        m = self.wait_for(re.escape(PROMPT), seconds, f"'{line}'")
        return self.text()[start:m.start()].split(line + "\n", 1)[-1]

    def boot(self):
        self.wait_for(re.escape(PROMPT), BOOT_WAIT_S, "boot")
        self.mark = 0
        return self.wait_for(LEASE_RE, LEASE_WAIT_S, "DHCP lease")

    def poweroff(self):
        try:
            self.proc.stdin.write(b"poweroff\n")
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            status = self.proc.wait(timeout=POWEROFF_WAIT_S)
        except subprocess.TimeoutExpired:
            qemu.kill_group(self.proc)
            self.proc.wait()
            raise Problem("poweroff: QEMU did not exit")
        self.serial.thread.join()
        if status != 0:
            raise Problem(f"poweroff: QEMU exit status {status}")

    def kill(self):
        if self.proc.poll() is None:
            qemu.kill_group(self.proc)
            self.proc.wait()

    def check_console(self):
        text = self.text()
        for bad in ("PANIC", "Kernel panic", "lwIP assertion"):
            if bad in text:
                raise Problem(f"the console says {bad}: {self.tail(10)}")

    def url(self, name):
        return f"nbd://127.0.0.1:{self.port}/{name}"


def host(cmd, what, seconds=CLIENT_WAIT_S, ok=(0,)):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=seconds, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise Problem(f"{cmd[0]} is not installed (make deps)")
    except subprocess.TimeoutExpired:
        raise Problem(f"{what}: {cmd[0]} took more than {seconds} s")
    if r.returncode not in ok:
        raise Problem(f"{what}: {' '.join(cmd)} exited {r.returncode}: "
                      f"{(r.stderr or r.stdout).strip()[:300]}")
    return r.stdout


def run_check(name, body, build_dir=None, pmem_size="128M", machine="q35",
              smp=1, kernel="holdfast.elf"):
    """Boot a guest named @name, run @body(guest); None or the problem.
    NBD_TEST_MACHINE, NBD_TEST_SMP and NBD_TEST_KERNEL (relative to the
    build folder) override the machine, for runs by hand."""
    build_dir = build_dir or os.path.join(ROOT, "build")
    guest = None
    machine = os.environ.get("NBD_TEST_MACHINE", machine)
    smp = int(os.environ.get("NBD_TEST_SMP", smp))
    kernel = os.environ.get("NBD_TEST_KERNEL", kernel)
    try:
        guest = Guest(name, build_dir, pmem_size, machine, smp, kernel)
        body(guest)
        return None
    except Problem as e:
        return str(e)
    except (OSError, qemu.QemuError) as e:
        return f"{type(e).__name__}: {e}"
    finally:
        if guest:
            guest.kill()


# ----------------------------------------------------------- the lease ----

def _lease(guest):
    m = guest.boot()
    if m.group(3) != "DHCP" or m.group(1) != "10.0.2.15":
        raise Problem(f"lease: {m.group(0)!r} (want 10.0.2.15 from DHCP)")
    # The host reaches the guest through the forward: the NBD greeting.
    with socket.create_connection(("127.0.0.1", guest.port), timeout=30) as s:
        s.settimeout(30)
        greeting = recv_exact(s, 18)
    magic, opt, flags = struct.unpack(">QQH", greeting)
    if magic != NBDMAGIC or opt != IHAVEOPT:
        raise Problem(f"forwarded port: greeting {greeting.hex()}")
    out = guest.shell("net")
    if not re.search(r"inet 10\.0\.2\.15/24 .*\(DHCP\)", out) or \
            not re.search(r"rx: [1-9]\d* packets", out):
        raise Problem(f"net printed: {out!r}")
    guest.check_console()
    guest.poweroff()


def net_dhcp_lease(images=None, build_dir=None, **machine):
    """The guest gets 10.0.2.15 from QEMU's DHCP, and the host connects to
    the forwarded port and reads the NBD greeting."""
    return run_check("net-dhcp-lease", _lease, build_dir, "16M", **machine)


# ------------------------------------------------------------- clients ----

def pattern_bytes(text, size):
    return ((text + "\n").encode() * (size // (len(text) + 1) + 1))[:size]


def _clients(guest, size=EXPORT_SIZE):
    guest.boot()
    text = "nbd-%08x" % random.getrandbits(32)
    guest.shell(f"pattern /disk {size} {text}")
    out = guest.shell("nbd export /disk disk") + guest.shell(
        "nbd export /disk diskro ro") + guest.shell("nbd list")
    if not re.search(rf"^disk +/disk +{size} bytes +rw", out, re.M) or \
            not re.search(rf"^diskro +/disk +{size} bytes +ro", out, re.M):
        raise Problem(f"nbd list: {out!r}")
    work = guest.dir

    said = host(["nbdinfo", "--size", guest.url("disk")], "nbdinfo --size")
    if said.strip() != str(size):
        raise Problem(f"nbdinfo --size says {said.strip()}, want {size}")
    listed = host(["nbdinfo", "--list", guest.url("")], "nbdinfo --list")
    if "export=\"disk\"" not in listed and "disk" not in listed:
        raise Problem(f"nbdinfo --list: {listed[:300]!r}")
    if "diskro" not in listed:
        raise Problem(f"nbdinfo --list lacks diskro: {listed[:300]!r}")

    # Out: what the shell wrote.
    out_img = os.path.join(work, "out.img")
    host(["nbdcopy", guest.url("disk"), out_img], "nbdcopy out")
    with open(out_img, "rb") as f:
        if f.read() != pattern_bytes(text, size):
            raise Problem("nbdcopy out: the copy differs from the pattern "
                          "the shell wrote")

    # In, and out again.
    want = bytearray(os.urandom(size))
    in_img = os.path.join(work, "in.img")
    with open(in_img, "wb") as f:
        f.write(want)
    host(["nbdcopy", in_img, guest.url("disk")], "nbdcopy in")
    back = os.path.join(work, "back.img")
    host(["nbdcopy", guest.url("disk"), back], "nbdcopy back out")
    host(["cmp", in_img, back], "cmp after nbdcopy in and out")

    # qemu-io: patterns at odd offsets, a discard and write-zeroes.
    ops = [("write -P 0xab 4097 1000", 4097, 1000, 0xab),
           ("write -P 0xcd 123457 77777", 123457, 77777, 0xcd),
           ("write -P 0x5a 1048575 3", 1048575, 3, 0x5a),
           ("write -z 300001 9999", 300001, 9999, 0),
           ("discard 4194304 1048576", 4194304, 1048576, 0)]
    args = ["qemu-io", "-f", "raw"]
    for op, off, n, byte in ops:
        args += ["-c", op]
        want[off:off + n] = bytes([byte]) * n
    for op, off, n, byte in ops:
        args += ["-c", f"read -P {byte:#x} {off} {n}"]
    args.append(guest.url("disk"))
    out = host(args, "qemu-io")
    if "fail" in out.lower() or "error" in out.lower():
        raise Problem(f"qemu-io: {out.strip()[:400]}")
    if out.count("wrote ") < 3 or out.count("read ") < len(ops):
        raise Problem(f"qemu-io did not do every step: {out.strip()[:400]}")
    # The read-only export refuses a write.
    ro = subprocess.run(["qemu-io", "-f", "raw", "-c", "write 0 512",
                         guest.url("diskro")], capture_output=True, text=True,
                        timeout=CLIENT_WAIT_S)
    if "wrote " in ro.stdout:
        raise Problem(f"qemu-io wrote to the read-only export: {ro.stdout!r}")

    out = guest.shell("nbd clients") + guest.shell("net")
    guest.check_console()
    guest.poweroff()

    # After poweroff: the host tool reads the file from the image.
    got = os.path.join(work, "got.img")
    host([os.path.join(guest.build_dir, "tools", "holdfs"), guest.image,
          "get", "/disk", got], "holdfs get")
    want_img = os.path.join(work, "want.img")
    with open(want_img, "wb") as f:
        f.write(want)
    host(["qemu-img", "compare", "-q", "-f", "raw", "-F", "raw", want_img,
          got], "qemu-img compare (what was written, the file after "
          "poweroff)")
    for scratch in (out_img, in_img, back, got, want_img):
        os.unlink(scratch)          # kept only when the check fails


def nbd_clients(images=None, build_dir=None, name="nbd-clients",
                size=EXPORT_SIZE, **machine):
    """nbdinfo, nbdcopy out and in, qemu-io, and the file after poweroff,
    on an export of @size bytes."""
    return run_check(name, lambda g: _clients(g, size), build_dir, **machine)


# ----------------------------------------------------------- bad input ----

def recv_exact(s, n):
    data = bytearray(n)
    view, got = memoryview(data), 0
    while got < n:
        k = s.recv_into(view[got:], n - got)
        if not k:
            raise Problem(f"the server closed after {got} of {n} bytes")
        got += k
    return bytes(data)


def closed(s, seconds=30):
    """Does the server close the connection (EOF or reset) within @seconds?"""
    s.settimeout(seconds)
    try:
        while s.recv(4096):
            pass
        return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def connect(guest, flags=3):
    s = socket.create_connection(("127.0.0.1", guest.port), timeout=60)
    s.settimeout(60)
    magic, opt, _ = struct.unpack(">QQH", recv_exact(s, 18))
    if magic != NBDMAGIC or opt != IHAVEOPT:
        raise Problem("bad greeting")
    s.sendall(struct.pack(">I", flags))
    return s


def send_opt(s, opt, data=b""):
    s.sendall(struct.pack(">QII", IHAVEOPT, opt, len(data)) + data)


def recv_rep(s):
    magic, opt, rtype, n = struct.unpack(">QIII", recv_exact(s, 20))
    if magic != REPLY_MAGIC:
        raise Problem(f"option reply magic {magic:#x}")
    return opt, rtype, recv_exact(s, n)


def go(guest, name):
    s = connect(guest)
    send_opt(s, OPT_GO, struct.pack(">I", len(name)) + name.encode() +
             struct.pack(">H", 0))
    size = None
    while True:
        _, rtype, data = recv_rep(s)
        if rtype == REP_INFO and struct.unpack(">H", data[:2])[0] == 0:
            size = struct.unpack(">Q", data[2:10])[0]
        elif rtype == REP_ACK:
            return s, size
        else:
            raise Problem(f"GO {name}: reply type {rtype:#x}")


def request(s, cmd, off, length, payload=b"", handle=None, flags=0,
            magic=REQUEST_MAGIC):
    handle = handle if handle is not None else random.getrandbits(64)
    s.sendall(struct.pack(">IHHQQI", magic, flags, cmd, handle, off, length)
              + payload)
    return handle


def reply(s, handle, data_len=0):
    magic, err, h = struct.unpack(">IIQ", recv_exact(s, 16))
    if magic != SIMPLE_REPLY_MAGIC or h != handle:
        raise Problem(f"reply magic {magic:#x} handle {h:#x} (want {handle:#x})")
    data = recv_exact(s, data_len) if err == 0 and data_len else b""
    return err, data


def expect_console(guest, pattern, what):
    guest.wait_for(pattern, 60, what)
    guest.mark = 0


def _bad_input(guest):
    guest.boot()
    text = "bad-%08x" % random.getrandbits(32)
    size = 1 << 20
    guest.shell(f"pattern /f {size} {text}")
    guest.shell("nbd export /f f")
    guest.shell("nbd export /f fro ro")
    want = bytearray(pattern_bytes(text, size))

    # A silent client stays connected while the others work.
    silent = socket.create_connection(("127.0.0.1", guest.port), timeout=60)

    # Client flags without fixed newstyle: closed.
    s = connect(guest, flags=0)
    if not closed(s):
        raise Problem("client flags 0: the connection stayed open")
    expect_console(guest, r"client flags 0 \(want fixed newstyle", "flags 0")

    # Bad option magic: closed.
    s = connect(guest)
    s.sendall(struct.pack(">QII", 0x1122334455667788, OPT_GO, 0))
    if not closed(s):
        raise Problem("bad option magic: the connection stayed open")
    expect_console(guest, r"bad option magic 0x1122334455667788; closing",
                   "bad option magic")

    # Unknown option: ERR_UNSUP, and negotiation goes on.
    s = connect(guest)
    send_opt(s, 99, b"xyz")
    _, rtype, _ = recv_rep(s)
    if rtype != REP_ERR_UNSUP:
        raise Problem(f"unknown option: reply {rtype:#x}, want ERR_UNSUP")
    expect_console(guest, r"option 99 is not supported", "unknown option")
    send_opt(s, OPT_LIST)
    names = []
    while True:
        _, rtype, data = recv_rep(s)
        if rtype == REP_ACK:
            break
        names.append(data[4:].decode())
    if sorted(names) != ["f", "fro"]:
        raise Problem(f"LIST after an unknown option: {names}")
    s.close()

    # Huge option length: closed.
    s = connect(guest)
    s.sendall(struct.pack(">QII", IHAVEOPT, OPT_GO, 0xFFFFFFF0))
    if not closed(s):
        raise Problem("option length 0xfffffff0: the connection stayed open")
    expect_console(guest, r"option 7 with length 4294967280 \(at most \d+\); "
                   r"closing", "huge option")

    # Transmission: errors that keep the connection.
    s, xsize = go(guest, "f")
    if xsize != size:
        raise Problem(f"GO f: size {xsize}, want {size}")
    h = request(s, CMD_READ, size - 10, 11)
    if reply(s, h)[0] != EINVAL:
        raise Problem("READ past the end: not EINVAL")
    expect_console(guest, r"READ of 11 bytes at \d+ is past the end", "READ past end")
    h = request(s, CMD_READ, 0, 0)
    if reply(s, h)[0] != EINVAL:
        raise Problem("READ of length 0: not EINVAL")
    expect_console(guest, r"READ of length 0; EINVAL", "READ length 0")
    h = request(s, 99, 0, 512)
    if reply(s, h)[0] != EINVAL:
        raise Problem("unknown command: not EINVAL")
    expect_console(guest, r"unknown command 99; EINVAL", "unknown command")
    h = request(s, CMD_WRITE, size - 100, 200, b"\xee" * 200)
    if reply(s, h)[0] != ENOSPC:
        raise Problem("WRITE past the end: not ENOSPC")
    # A valid write at an odd offset, then read back through the same client.
    h = request(s, CMD_WRITE, 777, 5, b"HELLO")
    want[777:782] = b"HELLO"
    if reply(s, h)[0] != 0:
        raise Problem("a valid WRITE failed")
    h = request(s, CMD_READ, 770, 20)
    err, data = reply(s, h, 20)
    if err or data != bytes(want[770:790]):
        raise Problem(f"READ after WRITE: error {err}, {data!r}")

    # The read-only export refuses writes with EPERM, and goes on.
    r, _ = go(guest, "fro")
    h = request(r, CMD_WRITE, 0, 4, b"NOPE")
    if reply(r, h)[0] != EPERM:
        raise Problem("WRITE to a read-only export: not EPERM")
    expect_console(guest, r"WRITE on read-only export 'fro'; EPERM", "ro WRITE")
    h = request(r, CMD_READ, 0, 8)
    err, data = reply(r, h, 8)
    if err or data != bytes(want[:8]):
        raise Problem("READ after a refused WRITE failed")
    request(r, CMD_DISC, 0, 0)
    r.close()

    # 64 clients at once, each reads its own piece.
    many = [go(guest, "f")[0] for _ in range(64)]
    handles = [request(c, CMD_READ, i * 4096, 4096) for i, c in enumerate(many)]
    for i, (c, h) in enumerate(zip(many, handles)):
        err, data = reply(c, h, 4096)
        if err or data != bytes(want[i * 4096:(i + 1) * 4096]):
            raise Problem(f"client {i} of 64: error {err} or wrong data")
    for c in many:
        c.close()

    # A WRITE whose payload stops halfway: closed, nothing written.
    d, _ = go(guest, "f")
    request(d, CMD_WRITE, 65536, 65536, b"\x99" * 1000)
    time.sleep(1)
    d.close()
    expect_console(guest, r"left in the middle of a WRITE payload", "mid-payload")

    # A WRITE with a huge length: its payload cannot be skipped: closed.
    w, _ = go(guest, "f")
    request(w, CMD_WRITE, 0, 0xFFFFFFF0, b"\x77" * 100)
    if not closed(w):
        raise Problem("WRITE of 0xfffffff0 bytes: the connection stayed open")
    expect_console(guest, r"cannot skip a 4294967280-byte payload; closing",
                   "huge WRITE")

    # unexport refuses while a client uses the export, then works.
    u, _ = go(guest, "fro")
    out = guest.shell("nbd unexport fro")
    if "has clients" not in out:
        raise Problem(f"nbd unexport with a client: {out.strip()!r}")
    request(u, CMD_DISC, 0, 0)
    closed(u, 10)
    no_clients(guest, "fro")
    out = guest.shell("nbd unexport fro") + guest.shell("nbd list")
    if "fro" in out or "has clients" in out:
        raise Problem(f"nbd unexport after the client left: {out.strip()!r}")
    try:
        go(guest, "fro")
        raise Problem("GO of an unexported name succeeded")
    except Problem as e:
        if "reply type 0x80000006" not in str(e):
            raise

    # Bad request magic: closed.
    b, _ = go(guest, "f")
    request(b, CMD_READ, 0, 512, magic=0xdeadbeef)
    if not closed(b):
        raise Problem("bad request magic: the connection stayed open")
    expect_console(guest, r"bad request magic 0xdeadbeef; closing", "request magic")

    # The first client still works, while the silent one still waits.
    h = request(s, CMD_READ, 0, 4096)
    err, data = reply(s, h, 4096)
    if err or data != bytes(want[:4096]):
        raise Problem("the first client stopped working")
    request(s, CMD_DISC, 0, 0)
    s.close()
    silent.close()

    out = no_clients(guest, "f") + guest.shell("net")
    if not re.search(r"^f +/f +1048576 bytes +rw +0 clients", out, re.M):
        raise Problem(f"nbd list after the bad clients: {out!r}")
    guest.check_console()
    guest.poweroff()
    got = os.path.join(guest.dir, "bad-got.img")
    host([os.path.join(guest.build_dir, "tools", "holdfs"), guest.image,
          "get", "/f", got], "holdfs get")
    with open(got, "rb") as f:
        data = f.read()
    if data != bytes(want):
        first = next(i for i in range(min(len(data), len(want)))
                     if data[i] != want[i]) if len(data) == len(want) else -1
        raise Problem(f"the file after the bad clients differs from the valid "
                      f"writes (first difference at {first}, {len(data)} bytes)")


def nbd_bad_input(images=None, build_dir=None, name="nbd-bad-input", **machine):
    """Bad clients get errors or are closed, the console says why, others
    go on, and only valid writes reach the file."""
    return run_check(name, _bad_input, build_dir, "16M", **machine)


# ------------------------------------------------ WRITE in one copy ----

WRITE_FILE = 16 << 20
RX_LOAN_RE = (r"rx buffers: (\d+) frames by reference, (\d+) copied \((\d+) with no "
              r"buffer to spare\); (\d+) of (\d+) on loan now, limit (\d+)")
WRITE_STATS_RE = (r"WRITE data since boot: (\d+) payload bytes; (\d+) written in place "
                  r"from lwIP's pbufs \((\d+) vfs_pwritev calls, \d+ ms\), (\d+) of "
                  r"them from lent receive buffers \(one copy\), (\d+) from copied "
                  r"frames \(two\)")
LOAN_RETURN_S = 20          # lent buffers come back once lwIP lets go


def shell_counters(guest, command, regex, what):
    """The integers @regex captures from @command's output at the shell."""
    out = guest.shell(command)
    m = re.search(regex, out)
    if not m:
        raise Problem(f"{command} shows no {what}: {out.strip()!r}")
    return tuple(int(x) for x in m.groups())


def rx_loans(guest):
    """(by_ref, copied, dry, on_loan, lendable, limit) from `net`."""
    return shell_counters(guest, "net", RX_LOAN_RE, "rx buffer counters")


def write_stats(guest):
    """(payload, gathered, calls, lent, copied) from `nbd clients`."""
    return shell_counters(guest, "nbd clients", WRITE_STATS_RE, "WRITE counters")


def shell_until(guest, command, regex, what, seconds=20):
    """Run @command at the shell until its output matches @regex (the
    guest gets there a little later, later still on a loaded host);
    returns the output.  Problem naming @what after @seconds."""
    deadline = time.monotonic() + seconds
    while True:
        out = guest.shell(command)
        if re.search(regex, out, re.M):
            return out
        if time.monotonic() > deadline:
            raise Problem(f"{what} ({seconds} s): {command} shows {out.strip()!r}")
        time.sleep(0.5)


def no_clients(guest, export):
    """Wait until `nbd list` shows @export with no clients: the server lets
    go of a client a little after its connection closes."""
    return shell_until(guest, "nbd list",
                       rf"^{re.escape(export)} +\S+ +\d+ bytes +\S+ +0 clients",
                       f"export {export} still has clients after they left")


DOORBELL_RE = (r"tx: (\d+) packets(?:.|\n)*doorbells: rx (\d+) rung, (\d+) left out; "
               r"tx (\d+) rung, (\d+) left out")


def doorbells(guest):
    """Every transmit either rang the doorbell or left it out because the
    device said it was at work (virtio notification suppression): the two
    add up to the packets sent (a frame or two may go between the lines
    `net` prints), and both queues rang at least once."""
    tx, rx_rung, rx_left, tx_rung, tx_left = shell_counters(
        guest, "net", DOORBELL_RE, "doorbell counters")
    if not tx <= tx_rung + tx_left <= tx + 2 or not rx_rung or not tx_rung:
        raise Problem(f"{tx} packets sent, but tx doorbells {tx_rung} rung + {tx_left} "
                      f"left out; rx {rx_rung} rung")
    return rx_rung, rx_left, tx_rung, tx_left


def all_loans_back(guest):
    """Wait until no receive buffer is out on loan (the clients have left,
    lwIP has freed their pbufs); the last counters."""
    deadline = time.monotonic() + LOAN_RETURN_S
    while True:
        loans = rx_loans(guest)
        if loans[3] == 0:
            return loans
        if time.monotonic() > deadline:
            raise Problem(f"{loans[3]} receive buffers still on loan "
                          f"{LOAN_RETURN_S} s after the clients left")
        time.sleep(1)


def _write_one_copy(guest):
    guest.boot()
    guest.shell(f"pattern /w {WRITE_FILE} one-copy")
    guest.shell("nbd export /w w")
    want = bytearray(os.urandom(WRITE_FILE))
    loans0, stats0 = all_loans_back(guest), write_stats(guest)
    if loans0[4] < 256 or loans0[5] != loans0[4]:
        raise Problem(f"net at boot: {loans0[4]} buffers to lend, limit "
                      f"{loans0[5]} (want hundreds, no limit)")

    # By reference: nbdcopy in, then a FUA write at an odd offset.
    in_img = os.path.join(guest.dir, "one-in.img")
    with open(in_img, "wb") as f:
        f.write(want)
    host(["nbdcopy", in_img, guest.url("w")], "nbdcopy in")
    fua_off, fua_len = 1000003, 300001
    want[fua_off:fua_off + fua_len] = b"\x3c" * fua_len
    out = host(["qemu-io", "-f", "raw", "-c",
                f"write -f -P 0x3c {fua_off} {fua_len}", guest.url("w")],
               "qemu-io write with FUA")
    if "wrote " not in out:
        raise Problem(f"qemu-io FUA write: {out.strip()[:300]}")
    loans1, stats1 = all_loans_back(guest), write_stats(guest)
    sent = WRITE_FILE + fua_len
    payload, gathered, calls, lent, copied = (b - a for a, b in zip(stats0, stats1))
    if payload != sent or gathered != sent:
        raise Problem(f"{sent} bytes written: the server counted {payload} payload "
                      f"bytes, {gathered} written in place from the pbufs "
                      "(a bounce copy, or lost bytes)")
    if lent + copied != gathered or lent < sent // 2 or not calls:
        raise Problem(f"{sent} bytes written: {lent} from lent receive buffers, "
                      f"{copied} from copied frames, {calls} vfs_pwritev calls")
    if loans1[0] - loans0[0] < lent // 1500:
        raise Problem(f"{lent} bytes from lent buffers, but only "
                      f"{loans1[0] - loans0[0]} frames came by reference")

    # No buffer may be lent: every frame is copied, and still lands.
    guest.shell("net rxloan 0")
    cp_off, cp_len = 7 * 4096 + 5, 1 << 20
    want[cp_off:cp_off + cp_len] = b"\xc5" * cp_len
    out = host(["qemu-io", "-f", "raw", "-c",
                f"write -P 0xc5 {cp_off} {cp_len}", "-c",
                f"read -P 0xc5 {cp_off} {cp_len}", guest.url("w")],
               "qemu-io write with rxloan 0")
    if "wrote " not in out or "read " not in out or "fail" in out.lower():
        raise Problem(f"qemu-io with rxloan 0: {out.strip()[:300]}")
    loans2, stats2 = all_loans_back(guest), write_stats(guest)
    payload, gathered, calls, lent, copied = (b - a for a, b in zip(stats1, stats2))
    if payload != cp_len or gathered != cp_len or lent or copied != cp_len:
        raise Problem(f"rxloan 0, {cp_len} bytes written: {payload} payload, "
                      f"{gathered} in place, {lent} from lent buffers, {copied} "
                      "from copied frames (want all copied)")
    if loans2[0] != loans1[0] or loans2[2] - loans1[2] < cp_len // 1500 or \
            loans2[5] != 0:
        raise Problem(f"rxloan 0: frames by reference {loans1[0]} -> {loans2[0]}, "
                      f"with no spare {loans1[2]} -> {loans2[2]}, limit {loans2[5]}")
    guest.shell("net rxloan 100000")
    if rx_loans(guest)[5] != loans0[4]:
        raise Problem("net rxloan 100000 did not restore the limit to every buffer")

    doorbells(guest)

    back = os.path.join(guest.dir, "one-back.img")
    host(["nbdcopy", guest.url("w"), back], "nbdcopy out")
    with open(back, "rb") as f:
        if f.read() != bytes(want):
            raise Problem("nbdcopy out after the writes differs from what was written")
    all_loans_back(guest)
    guest.check_console()
    guest.poweroff()
    got = os.path.join(guest.dir, "one-got.img")
    host([os.path.join(guest.build_dir, "tools", "holdfs"), guest.image,
          "get", "/w", got], "holdfs get")
    with open(got, "rb") as f:
        if f.read() != bytes(want):
            raise Problem("the file after poweroff differs from what was written")
    for scratch in (in_img, back, got):
        os.unlink(scratch)          # kept only when the check fails


def nbd_write_one_copy(images=None, build_dir=None, name="nbd-write-one-copy",
                       **machine):
    """WRITE payloads are written from the lent receive buffers into pmem
    (one copy), or from copied frames when none may be lent; the data is
    right either way and every buffer comes back."""
    return run_check(name, _write_one_copy, build_dir, "64M", **machine)


# ------------------------------------------------- TRIM waits for DMA ----

DMA_FILE = 64 << 10         # edu copies 64 KiB in about 3 s of virtual time


def _trim_waits(guest):
    guest.boot()
    guest.shell(f"pattern /src {DMA_FILE} trim-src")
    guest.shell("nbd export /src src")
    s, _ = go(guest, "src")
    guest.shell("dma cp /src /dst &")
    # The copy has pinned /src's pages for the device: a punch-hole of
    # them must wait until the copy is done and they are unpinned.
    h = request(s, CMD_TRIM, 0, DMA_FILE)
    err, _ = reply(s, h)
    text = guest.text()
    if err:
        raise Problem(f"TRIM during the DMA: error {err}")
    # The layout change says whom it waits for while it waits (after a
    # second), so before its reply; without the wait there is no line.
    if not re.search(r"layout change of inode \d+ waits \d+ ms for pinned "
                     r"page(.|\n)*held by dma-cp", text):
        raise Problem("the TRIM was answered without waiting for the DMA "
                      f"copy's pins: {guest.tail()}")
    guest.mark = 0
    done = guest.wait_for(r"dma job \d+: copied (\d+) bytes", 60, "dma cp")
    if int(done.group(1)) != DMA_FILE:
        raise Problem(f"the DMA copy moved {done.group(1)} bytes")
    # The copy read the data from before the TRIM; /src is zeroes now.
    h = request(s, CMD_READ, 0, 4096)
    err, data = reply(s, h, 4096)
    if err or data != bytes(4096):
        raise Problem("READ after TRIM: not zeroes")
    request(s, CMD_DISC, 0, 0)
    s.close()
    out = guest.shell("crc32 /dst")
    want = "%08x %d /dst" % (zlib.crc32(pattern_bytes("trim-src", DMA_FILE)),
                             DMA_FILE)
    if want not in out:
        raise Problem(f"/dst after the copy: {out.strip()!r}, want {want!r}")
    _trim_unprotected(guest)
    guest.check_console()
    guest.poweroff()


DF_RE = r"^pmem0\s+(\d+)\s+(\d+)\s+(\d+)\s"     # as scripts/demo.py reads df


def _trim_unprotected(guest):
    """The same TRIM with the protection off (`unsafe-demo on`), aimed at
    the copy's target: it returns at once, the freed blocks go to a new
    file /c (the device is full otherwise), and the DMA, which nobody
    waited for, writes /s2's data into /c: the seed's corruption."""
    guest.shell(f"pattern /s2 {DMA_FILE} trim-s2")
    guest.shell(f"pattern /b {DMA_FILE} trim-b")
    guest.shell("nbd export /b b")
    m = re.search(DF_RE, guest.shell("df"), re.M)
    if not m:
        raise Problem("df: cannot read the free space")
    if int(m.group(3)):
        guest.shell(f"fallocate /filler 0 {m.group(3)}K")
    s, _ = go(guest, "b")
    if "ON: the protection is OFF" not in guest.shell("unsafe-demo on"):
        raise Problem("unsafe-demo on did not turn the protection off")
    start = len(guest.text())
    out = guest.shell("dma cp /s2 /b &")
    job = re.search(r"^\[(\d+)\] dma cp", out, re.M)
    if not job:
        raise Problem(f"dma cp /s2 /b &: {out.strip()!r}")
    h = request(s, CMD_TRIM, 0, DMA_FILE)
    t0 = time.monotonic()
    err, _ = reply(s, h)
    if err:
        raise Problem(f"unprotected TRIM: error {err}")
    guest.shell(f"pattern /c {DMA_FILE} trim-c")
    done = re.compile(rf"dma job {job.group(1)}: (copied|failed after) "
                      r"(\d+) bytes", re.M)
    before = done.search(guest.text(), start)
    guest.mark = start
    guest.wait_for(done.pattern, 60, "the unprotected DMA")
    if before:
        raise Problem("unprotected: the DMA was done before /c was written "
                      f"({time.monotonic() - t0:.1f} s after the TRIM): "
                      "nothing to show")
    if re.search(r"layout change of inode \d+ waits", guest.text()[start:]):
        raise Problem("unprotected: the TRIM still waited for the DMA")
    out = guest.shell("crc32 /c")
    want = "%08x %d /c" % (zlib.crc32(pattern_bytes("trim-c", DMA_FILE)),
                           DMA_FILE)
    if want in out:
        raise Problem("unprotected: /c is intact; the corruption the "
                      "protection prevents did not show")
    if "ON: the protection" in guest.shell("unsafe-demo off"):
        raise Problem("unsafe-demo off did not restore the protection")
    request(s, CMD_DISC, 0, 0)
    s.close()


def nbd_trim_waits_for_dma(images=None, build_dir=None, **machine):
    """A TRIM (punch-hole) of pages a DMA copy has pinned is answered only
    after the copy finished; the copy got the data from before."""
    return run_check("nbd-trim-waits-for-dma", _trim_waits, build_dir, "16M",
                     **machine)


# ------------------------------------- zero-copy: pins for the network ----

ZC_FILE = 32 << 20          # more than the host and QEMU buffer unread


ZC_SENT_RE = (r"zero-copy: (\d+) bytes of registered data \(NBD READs, net "
              r"bench\) sent by reference "
              r"\((\d+) descriptors\), (\d+) copied")
ZC_MIN_SHARE = 0.99         # by reference, at least; the rest is copied:
                            # pieces shorter than the driver's copy-break
                            # (VNET_TX_COPYBREAK) at a segment's edge, and
                            # a segment lwIP splits for a small window


def _zero_copy_read(guest):
    """nbdcopy of the whole export: right bytes, sent by reference."""
    out_img = os.path.join(guest.dir, "zc-out.img")
    host(["nbdcopy", guest.url("z"), out_img], "nbdcopy out (zero-copy)")
    with open(out_img, "rb") as f:
        got = zlib.crc32(f.read())
    os.unlink(out_img)
    want = "%08x %d /z" % (zlib.crc32(pattern_bytes("zero-copy", ZC_FILE)), ZC_FILE)
    if ("%08x" % got) != want.split()[0]:
        raise Problem(f"nbdcopy out: CRC {got:08x}, want {want.split()[0]}")
    out = guest.shell("crc32 /z")
    if want not in out:
        raise Problem(f"crc32 /z in the guest: {out.strip()!r}, want {want!r}")
    out = guest.shell("net")
    m = re.search(ZC_SENT_RE, out)
    if not m:
        raise Problem(f"net shows no zero-copy counters: {out.strip()!r}")
    by_ref, descs, copied = (int(x) for x in m.groups())
    if by_ref < ZC_MIN_SHARE * ZC_FILE or copied > (1 - ZC_MIN_SHARE) * ZC_FILE \
            or not descs:
        raise Problem(f"nbdcopy of {ZC_FILE} bytes: {by_ref} bytes by reference "
                      f"in {descs} descriptors, {copied} copied")
    out = guest.shell("nbd zerocopy")
    if not re.search(r"nbd zerocopy: on \(\d+ READs sent from pinned pages, 0 "
                     r"copied\)", out):
        raise Problem(f"nbd zerocopy after nbdcopy: {out.strip()!r}")
    return by_ref


def _zero_copy_pins(guest):
    guest.boot()
    guest.shell(f"pattern /z {ZC_FILE} zero-copy")
    guest.shell("nbd export /z z")
    _zero_copy_read(guest)
    s, _ = go(guest, "z")
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 10)
    # A READ of the whole file, not read by the client yet: TCP cannot
    # get it all acknowledged, so its pages stay pinned.
    h = request(s, CMD_READ, 0, ZC_FILE)
    shell_until(guest, "pins", r"^nbd-read +inode \d+ +offset 0 +8192 pages",
                "the READ's pages are not all pinned")
    # A truncate of the file waits for the network like for a DMA...
    guest.mark = len(guest.text())
    guest.proc.stdin.write(b"truncate /z 0\n")
    guest.proc.stdin.flush()
    guest.wait_for(r"layout change of inode \d+ waits \d+ ms for pinned page"
                   r"(.|\n)*held by nbd-read", 60, "truncate during the READ")
    # ...and the client gets the data from before it.
    err, data = reply(s, h, ZC_FILE)
    if err or data != pattern_bytes("zero-copy", ZC_FILE):
        raise Problem(f"the READ reply (error {err}) is not the file as it "
                      "was before the truncate")
    guest.wait_for(re.escape(PROMPT), 60, "the truncate after the READ")
    out = guest.shell("nbd clients")
    m = re.search(r"\(1 READs zero-copy, 0 pinned\).*READ data to the NIC: "
                  r"(\d+) bytes by reference, (\d+) copied", out)
    if not m or int(m.group(1)) < ZC_MIN_SHARE * ZC_FILE or \
            int(m.group(2)) > (1 - ZC_MIN_SHARE) * ZC_FILE:
        raise Problem(f"nbd clients after the READ: {out.strip()!r}")
    request(s, CMD_DISC, 0, 0)
    s.close()
    out = guest.shell("stat /z")
    if not re.search(r"size: 0\b", out):
        raise Problem(f"stat /z after the truncate: {out.strip()!r}")
    guest.check_console()
    guest.poweroff()


def nbd_zero_copy_pins(images=None, build_dir=None, **machine):
    """READ replies are sent from pinned pmem pages: while the client has
    not taken the data, a truncate of the file waits for it, and the
    client gets the data from before the truncate."""
    return run_check("nbd-zero-copy-pins", _zero_copy_pins, build_dir, "128M",
                     **machine)


if __name__ == "__main__":
    import argparse
    p = argparse.ArgumentParser()
    p.add_argument("check", choices=["net_dhcp_lease", "nbd_clients",
                                      "nbd_bad_input", "nbd_write_one_copy",
                                      "nbd_trim_waits_for_dma",
                                      "nbd_zero_copy_pins"])
    p.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    a = p.parse_args()
    problem = globals()[a.check](None, a.build_dir)
    print(problem or "ok")
    sys.exit(1 if problem else 0)
