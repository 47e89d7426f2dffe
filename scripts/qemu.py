#!/usr/bin/env python3
"""qemu.py - the one place that builds Holdfast's QEMU command lines.

Command line (used by `make run` and `make debug`):

    scripts/qemu.py run   [options] [-- EXTRA-QEMU-ARGS]
    scripts/qemu.py debug [options] [-- EXTRA-QEMU-ARGS]
    scripts/qemu.py probe [--kernel ELF] [--machine q35|pc]
    scripts/qemu.py cmd   [options] [-- EXTRA-QEMU-ARGS]   (print, do not run)

    --iso PATH | --kernel ELF [--append CMDLINE]   what to boot (multiboot2
                          through GRUB, or multiboot1 through QEMU's loader)
    --pmem PATH           NVDIMM backing image; repeat for more; '' for none
    --nvdimms N           N NVDIMMs: the first --pmem image and N-1 more
                          beside it (pmem.img -> pmem1.img, pmem2.img ...)
    --pmem-size SIZE      size of images created here (128M, 1G, 4096K ...)
    --smp N  --machine q35|pc  --memory 512M
    --accel ''|auto|kvm|tcg    '' and auto: KVM only when a probe boot under
                          KVM succeeds; kvm forces KVM, tcg forces TCG
    --nvme PATH           NVMe disk image (raw), created all zero when missing;
                          '' or none: no NVMe controller
    --nvme-size SIZE      size of an NVMe image created here (default 64M)
    --no-edu  --edu-default-mask  --debug-exit  --qemu PATH  --build-dir DIR
    --iommu               QEMU's VT-d unit (intel-iommu), q35 only: DMA
                          remapping on
    --nbd-port PORT       virtio-net on user-mode net (restrict=on) with
                          127.0.0.1:PORT forwarded to the guest's NBD port

`run` creates a missing image (format_image()), refuses an image another
QEMU is using, warns when an existing image holds no holdfs the kernel can
mount (check_image(): too small, not holdfs, another format version), and
exec's QEMU, so QEMU's exit status is the caller's.
`run` and `debug` let the guest reboot (the shell's `reboot` comes back to
the prompt, and the images stay); with a test= command line, as in tests,
they keep -no-reboot, so that a reset ends QEMU instead of running the
tests again.  `cmd` prints the command line `run` would use.
`debug` adds a gdb stub (-s -S), writes build/gdbinit and prints the gdb
command to type in a second terminal.  `probe` boots the kernel with
test=probe under KVM and says whether KVM works.

Imported by tests/run.py: build_cmd(), probe_kvm(), kvm_works(),
choose_accel(), parse_size(), find_qemu(), kill_group() and the exit
status constants.
"""

import argparse
import fcntl
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time

QEMU_DEFAULT = "qemu-system-x86_64"
QEMU_MISSING = ("qemu-system-x86_64 not found: run 'make deps' "
                "(or: sudo apt-get install qemu-system-x86)")

# isa-debug-exit: a write of V to the port makes QEMU exit with (V << 1) | 1.
DEBUG_EXIT_IOBASE = 0xf4
DEBUG_EXIT_IOSIZE = 0x04
DEBUG_EXIT_PASS_VALUE = 0x10            # QEMU_EXIT_PASS in kernel.h
DEBUG_EXIT_FAIL_VALUE = 0x11            # QEMU_EXIT_FAIL in kernel.h
EXIT_PASS = (DEBUG_EXIT_PASS_VALUE << 1) | 1    # 33

GUEST_NBD_PORT = 10809                  # NBD's IANA port, in the guest
NVME_SERIAL = "holdfast0"               # the NVMe contract line of docs/design.md
EXIT_FAIL = (DEBUG_EXIT_FAIL_VALUE << 1) | 1    # 35
EXIT_POWEROFF = 0                       # ACPI S5 (the shell's `poweroff`)

MACHINES = ("q35", "pc")
ACCELS = ("tcg", "kvm")
DEFAULT_MEMORY = "512M"
MIN_MAXMEM = 64 << 30                   # docs/design.md: maxmem=64G
MIN_MEM_SLOTS = 4
IOMMU_DEVICE = "intel-iommu,intremap=off"  # VT-d DMA remapping, q35 only
EDU_FULL_DMA_MASK = "0xffffffffffffffff"  # edu's default mask is 28 bits
PAGE_SIZE = 4096
MKFS_TIMEOUT_S = 120
CHECK_TIMEOUT_S = 60
GIB = 1 << 30

SERIAL_READ_CHUNK = 65536

# Terminal escape sequences (GRUB draws with them) and other noise.
ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]"
                     r"|\x1b[=>78cDEHMZ]")
PANIC_RE = re.compile(r"PANIC|Kernel panic")

KVM_DEVICE = "/dev/kvm"
PROBE_TIMEOUT_S = 5.0
PROBE_CMDLINE = "test=probe"
PROBE_OK_LINE = "holdfast: probe ok"
GDB_PORT = 1234
GDB_BREAK_SYMBOL = "kmain"

MAX_NVDIMMS = 8
EXIT_USAGE = 2
EXIT_ERROR = 1

SIZE_SUFFIXES = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
SIZE_RE = re.compile(r"^\s*(\d+)\s*([KMGT]?)(?:I?B)?\s*$", re.IGNORECASE)


class QemuError(Exception):
    """A problem to report to the user as "error: MESSAGE" (exit status 1)."""


# ------------------------------------------------------------- helpers ----

def parse_size(text):
    """"128M", "1G", "4096K", "65536" -> bytes.  Raises ValueError."""
    m = SIZE_RE.match(str(text))
    if not m:
        raise ValueError(f"bad size '{text}' (expected a number with an "
                         "optional K, M, G or T suffix, e.g. 128M)")
    size = int(m.group(1)) * SIZE_SUFFIXES[m.group(2).upper()]
    if size <= 0:
        raise ValueError(f"bad size '{text}': must be more than 0")
    return size


def format_size(size):
    """Bytes -> the shortest exact "128M"-style text."""
    for suffix in ("T", "G", "M", "K"):
        unit = SIZE_SUFFIXES[suffix]
        if size % unit == 0:
            return f"{size // unit}{suffix}"
    return str(size)


def find_qemu(qemu=None):
    """Path of the QEMU binary ($QEMU, else qemu-system-x86_64), or None."""
    return shutil.which(qemu or os.environ.get("QEMU") or QEMU_DEFAULT)


def kill_group(proc):
    """SIGKILL the process group of @proc (started with start_new_session)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def signal_name(signum):
    """11 -> "SIGSEGV"."""
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def describe_status(returncode, what="QEMU"):
    """"QEMU exited with status 1" / "QEMU was killed by SIGABRT"."""
    if returncode < 0:
        return f"{what} was killed by {signal_name(-returncode)}"
    return f"{what} exited with status {returncode}"


def qemu_opt_value(text):
    """Escape @text for a QEMU -object/-device option value (',' -> ',,')."""
    return str(text).replace(",", ",,")


def shell_quote(cmd):
    """The command line @cmd as one shell-quoted string."""
    return " ".join(shlex.quote(a) for a in cmd)


# ------------------------------------------------------- command lines ----

def build_cmd(*, qemu=None, machine="q35", accel="tcg", smp=1,
              memory=DEFAULT_MEMORY, iso=None, kernel=None, append=None,
              pmem=(), edu=True, edu_dma_mask=EDU_FULL_DMA_MASK,
              prealloc=False, debug_exit=False, serial="stdio",
              monitor=None, gdb=False, no_reboot=True, nbd_port=None,
              net_forwards=(), extra=(), nvme=(), iommu=False):
    """Return the QEMU command line (a list) for one Holdfast machine.

    machine: "q35" or "pc" (always with nvdimm=on).
    accel: "tcg" (-cpu max; thread=multi when smp > 1) or "kvm" (-cpu host:
        -cpu max aborts QEMU under KVM on our machines).
    iso: boot this ISO from the CD drive; or kernel (+ append): boot this
        multiboot1 ELF with QEMU's loader.  Neither: no boot medium.
    pmem: a list of (path, size_in_bytes), one NVDIMM each; may be empty.
    prealloc: have QEMU back every page of guest memory, RAM
        (-mem-prealloc) and each NVDIMM image (prealloc=on), before the
        guest starts, so that no first store to a page waits for a host
        page fault.  make bench wants that: real DRAM and NVDIMMs have no
        such cost.  Invisible to the guest.
    edu: add the edu DMA engine; edu_dma_mask None keeps edu's 28-bit default.
    debug_exit: add isa-debug-exit at 0xf4 (tests leave QEMU through it).
    serial: the -serial chardev ("stdio", "mon:stdio", "file:PATH", ...).
    monitor: the -monitor chardev; None means "none" unless serial is mon:.
    gdb: add the gdb stub on :1234 and start paused (-s -S).
    no_reboot: a guest reset ends QEMU (-no-reboot), as tests want (a
        reboot in a test is a failure the runner reports, not a second
        run); False lets the machine reset and boot again (make run).
    nbd_port: attach virtio-net on QEMU's user-mode network with
        restrict=on (DHCP from QEMU, nothing reachable from the guest) and
        forward 127.0.0.1:nbd_port on the host to the guest's NBD port
        (design.md, "Network"); None: no network card.
    net_forwards: more (host_port, guest_port) forwards on 127.0.0.1, for
        benchmarks (scripts/bench_nbd.py); only with nbd_port.
    extra: more arguments appended as they are.
    nvme: NVMe namespaces, a list of image paths or of (path, block_size)
        (block_size None: QEMU's default, 512): one controller, serial
        holdfast0.  One image is the design's NVMe contract line (-drive
        ...,id=nvm0 -device nvme,serial=holdfast0,drive=nvm0); several are
        nvme-ns devices with nsid 1, 2 ... on the controller's bus.
    iommu: add QEMU's VT-d unit (-device intel-iommu,intremap=off), q35
        only, as the first -device: QEMU wants it before the PCI devices it
        translates.  With it the edu mask no longer matters (the kernel
        maps I/O addresses below 256 MiB).
    """
    if machine not in MACHINES:
        raise ValueError(f"unknown machine '{machine}' (expected one of: "
                         f"{', '.join(MACHINES)})")
    if accel not in ACCELS:
        raise ValueError(f"unknown accelerator '{accel}' (expected one of: "
                         f"{', '.join(ACCELS)})")
    if iso and kernel:
        raise ValueError("give either an ISO or a kernel ELF, not both")
    if append is not None and not kernel:
        raise ValueError("a kernel command line (append) needs a kernel ELF")
    if int(smp) < 1:
        raise ValueError(f"bad CPU count {smp}: must be at least 1")
    if iommu and machine != "q35":
        raise ValueError(f"the IOMMU (intel-iommu, VT-d) needs the q35 machine, "
                         f"not '{machine}': QEMU's i440fx pc has no DMAR")

    ram = parse_size(memory)
    pmem = [(str(path), int(size)) for path, size in pmem]
    maxmem = max(MIN_MAXMEM, ram + sum(size for _, size in pmem))
    maxmem = -(-maxmem // GIB) * GIB
    slots = max(MIN_MEM_SLOTS, len(pmem))

    cmd = [qemu or os.environ.get("QEMU") or QEMU_DEFAULT,
           "-machine", f"{machine},nvdimm=on"]
    if accel == "kvm":
        cmd += ["-accel", "kvm", "-cpu", "host"]
    else:
        cmd += ["-accel", "tcg,thread=multi" if int(smp) > 1 else "tcg",
                "-cpu", "max"]
    cmd += ["-smp", str(int(smp)),
            "-m", f"{format_size(ram)},slots={slots},"
                  f"maxmem={format_size(maxmem)}"]
    if prealloc:
        cmd += ["-mem-prealloc"]
    if iommu:
        cmd += ["-device", IOMMU_DEVICE]
    for i, (path, size) in enumerate(pmem):
        cmd += ["-object", f"memory-backend-file,id=pm{i},share=on,"
                           + ("prealloc=on," if prealloc else "")
                           + f"mem-path={qemu_opt_value(path)},size={size}",
                "-device", f"nvdimm,id=nv{i},memdev=pm{i}"]
    if edu:
        cmd += ["-device", f"edu,dma_mask={edu_dma_mask}" if edu_dma_mask
                else "edu"]
    if nbd_port is not None:
        cmd += netdev_args(nbd_port, net_forwards)
    cmd += nvme_args(nvme)
    if debug_exit:
        cmd += ["-device", f"isa-debug-exit,iobase={DEBUG_EXIT_IOBASE:#x},"
                           f"iosize={DEBUG_EXIT_IOSIZE:#04x}"]
    if iso:
        cmd += ["-cdrom", str(iso), "-boot", "d"]
    if kernel:
        cmd += ["-kernel", str(kernel)]
        if append is not None:
            cmd += ["-append", append]
    if monitor is None and not serial.startswith("mon:"):
        monitor = "none"
    cmd += ["-display", "none", "-serial", serial]
    if monitor is not None:
        cmd += ["-monitor", monitor]
    if no_reboot:
        cmd += ["-no-reboot"]
    if gdb:
        cmd += ["-s", "-S"]
    cmd += list(extra)
    return cmd


def netdev_args(host_port, more=()):
    """The network contract of design.md: virtio-net on user-mode
    networking, restrict=on, a forward from 127.0.0.1:host_port to the
    guest's NBD port (and @more (host, guest) port pairs, on 127.0.0.1
    too)."""
    forwards = [(host_port, GUEST_NBD_PORT), *more]
    for h, g in forwards:
        if not 0 < int(h) < 65536 or not 0 < int(g) < 65536:
            raise ValueError(f"bad port {h} or {g}: must be 1..65535")
    fwd = ",".join(f"hostfwd=tcp:127.0.0.1:{int(h)}-:{int(g)}"
                   for h, g in forwards)
    return ["-netdev", f"user,id=n0,restrict=on,{fwd}",
            "-device", "virtio-net-pci,netdev=n0"]


def free_tcp_port():
    """A TCP port on 127.0.0.1 that nothing listens on now (for tests)."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nvme_args(namespaces):
    """QEMU arguments for one NVMe controller with @namespaces (see
    build_cmd)."""
    spaces = [(ns, None) if isinstance(ns, str) else (str(ns[0]), ns[1])
              for ns in namespaces]
    if not spaces:
        return []

    def blocks(size):
        return (f",logical_block_size={size},physical_block_size={size}"
                if size else "")
    if len(spaces) == 1:
        path, size = spaces[0]
        return ["-drive", f"file={qemu_opt_value(path)},if=none,id=nvm0,"
                          "format=raw",
                "-device", f"nvme,serial={NVME_SERIAL},drive=nvm0"
                           + blocks(size)]
    args = ["-device", f"nvme,id=nvme0,serial={NVME_SERIAL}"]
    for i, (path, size) in enumerate(spaces):
        args += ["-drive", f"file={qemu_opt_value(path)},if=none,"
                           f"id=nvm{i},format=raw",
                 "-device", f"nvme-ns,drive=nvm{i},bus=nvme0,nsid={i + 1}"
                            + blocks(size)]
    return args


def prepare_nvme(path, size):
    """Create a missing NVMe image (all zero, sparse); return its size."""
    if os.path.exists(path):
        if not os.path.isfile(path):
            raise QemuError(f"NVMe image {path} is not a regular file")
        return os.path.getsize(path)
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    with open(path, "wb") as f:
        f.truncate(size)
    print(f"created {path} ({format_size(size)}, all zero) for the NVMe disk")
    return size


# ----------------------------------------------------------- KVM probe ----

def _first_line(text):
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def probe_kvm(kernel, machine="q35", qemu=None, timeout=PROBE_TIMEOUT_S):
    """Boot @kernel with test=probe under KVM (-cpu host).

    A /dev/kvm node does not mean KVM works: on our machines a guest hangs
    or QEMU aborts.  Success is QEMU leaving through isa-debug-exit with
    EXIT_PASS and "holdfast: probe ok" on the serial port, within @timeout
    seconds (after which the QEMU process group is killed).
    Returns (ok, reason); reason says why not, or what passed.
    """
    if not os.path.exists(KVM_DEVICE):
        return False, f"{KVM_DEVICE} does not exist"
    if not os.access(KVM_DEVICE, os.R_OK | os.W_OK):
        return False, f"no read/write access to {KVM_DEVICE}"
    if not os.path.isfile(kernel):
        return False, f"kernel {kernel} not found (build it with 'make')"
    binary = find_qemu(qemu)
    if not binary:
        return False, "qemu-system-x86_64 not found"
    cmd = build_cmd(qemu=binary, machine=machine, accel="kvm", kernel=kernel,
                    append=PROBE_CMDLINE, edu=False, debug_exit=True)
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        proc.communicate()
        return False, f"the probe boot did not finish within {timeout:g} s"
    out = out.decode("utf-8", "replace")
    err = err.decode("utf-8", "replace")
    said_ok = any(line.strip() == PROBE_OK_LINE for line in out.splitlines())
    if proc.returncode == EXIT_PASS and said_ok:
        return True, "probe boot passed"
    why = describe_status(proc.returncode)
    if proc.returncode == EXIT_PASS:
        why += f" but the serial output lacks '{PROBE_OK_LINE}'"
    detail = _first_line(err)
    return False, f"{why}: {detail}" if detail else why


def kvm_works(kernel, machine="q35", qemu=None):
    """True when a probe boot under KVM succeeds (see probe_kvm())."""
    return probe_kvm(kernel, machine, qemu)[0]


def choose_accel(requested, kernel, machine="q35", qemu=None,
                 probe_forced_kvm=False):
    """Pick the accelerator for @requested ('', 'auto', 'kvm' or 'tcg').

    '' and 'auto' probe KVM and fall back to TCG; 'tcg' is TCG; 'kvm' is KVM
    without a probe unless @probe_forced_kvm.  Returns (accel, message),
    message being the line to print, e.g. "accelerator: tcg (KVM probe
    failed: ...)".
    """
    requested = (requested or "auto").strip().lower()
    if requested == "tcg":
        return "tcg", "accelerator: tcg (ACCEL=tcg)"
    if requested == "kvm" and not probe_forced_kvm:
        return "kvm", "accelerator: kvm (ACCEL=kvm, no probe)"
    if requested not in ("auto", "kvm"):
        raise QemuError(f"unknown accelerator '{requested}' "
                        "(expected kvm, tcg or nothing)")
    ok, reason = probe_kvm(kernel, machine, qemu)
    if ok:
        return "kvm", f"accelerator: kvm ({reason})"
    return "tcg", f"accelerator: tcg (KVM probe failed: {reason})"


# ---------------------------------------------------------- pmem image ----

def format_image(path, build_dir="build", args=()):
    """Put an empty holdfs on the new image @path, if mkfs.holdfs is built.

    Hook for build/tools/mkfs.holdfs: it is called as `mkfs.holdfs PATH` on
    the already sized, all-zero image.  Returns False (and leaves the image
    all zero) when the tool is not built yet, True when it formatted the
    image; raises QemuError (and removes the image) when it failed.
    """
    mkfs = mkfs_path(build_dir)
    if not os.access(mkfs, os.X_OK):
        return False
    result = subprocess.run([mkfs, *args, path], stdin=subprocess.DEVNULL,
                            capture_output=True, text=True,
                            timeout=MKFS_TIMEOUT_S, check=False)
    if result.returncode != 0:
        os.unlink(path)
        detail = _first_line(result.stderr) or _first_line(result.stdout)
        raise QemuError(f"{mkfs} {path} failed with status "
                        f"{result.returncode}{': ' + detail if detail else ''}"
                        "; removed the half-made image")
    return True


def mkfs_path(build_dir="build"):
    return os.path.join(build_dir, "tools", "mkfs.holdfs")


def check_image(path, build_dir="build"):
    """Can the kernel mount the holdfs on @path?  None when it can (or when
    build/tools/holdfs is not built to tell), else the warning to print:
    what holdfs said was wrong, and how to start afresh.

    Asks `holdfs PATH df`, which mounts the image read-only (changes stay
    in a private mapping), so the one program that reads the format decides.
    """
    tool = os.path.join(build_dir, "tools", "holdfs")
    if not os.access(tool, os.X_OK):
        return None
    try:
        result = subprocess.run([tool, path, "df"], stdin=subprocess.DEVNULL,
                                capture_output=True, text=True,
                                timeout=CHECK_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return None
    if result.returncode == 0:
        return None
    said = [line.strip() for line in result.stderr.splitlines()
            if line.startswith("holdfs: ") and "(see above)" not in line]
    return (f"{path}: " + ("; ".join(said) or
                           f"holdfs df exited {result.returncode}")
            + f"\nwarning: the kernel will not mount {path}; to start "
              f"afresh, remove it (make run creates and formats a new one) "
              f"or choose another image with PMEM=path")


def create_image(path, size, allocate=False):
    """Create (or recreate) @path as an all-zero file of @size bytes:
    sparse, or with @allocate every block written (as the peer harness's
    `dd if=/dev/zero`), so that the guest's first store to a page does not
    wait for the host to allocate it - what make bench wants."""
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    with open(path, "wb") as f:
        if not allocate:
            f.truncate(size)
            return
        zeros = bytes(1 << 20)
        left = size
        while left:
            n = min(left, len(zeros))
            f.write(zeros[:n])
            left -= n


def prepare_image(path, size, build_dir="build", blank_as=None):
    """Create @path (@size bytes) when missing; return the size to use.

    A new image is formatted with mkfs.holdfs, unless @blank_as names the
    device it will be in the guest ("pmem1"): that one is left all zero,
    to be formatted at the prompt (`mkfs /dev/pmem1`) and mounted there.

    An existing image keeps its own size: QEMU refuses a backing file
    smaller than size=, and a larger one would hide part of the filesystem.
    """
    if size % PAGE_SIZE:
        raise QemuError(f"pmem size {size} is not a multiple of "
                        f"{PAGE_SIZE} bytes")
    if os.path.exists(path):
        if not os.path.isfile(path):
            raise QemuError(f"pmem image {path} is not a regular file")
        actual = os.path.getsize(path)
        if actual == 0 or actual % PAGE_SIZE:
            raise QemuError(f"pmem image {path} is {actual} bytes, not a "
                            f"non-zero multiple of {PAGE_SIZE}; remove it "
                            "to start afresh")
        if actual != size:
            print(f"note: {path} is {format_size(actual)}; using that size "
                  f"(PMEM_SIZE={format_size(size)} applies only when the "
                  "image is created)")
        return actual
    create_image(path, size)
    if blank_as:
        print(f"created {path} ({format_size(size)}, sparse, all zero): it is "
              f"/dev/{blank_as}; at the prompt, `mkfs /dev/{blank_as}`, then "
              f"`mkdir /mnt/{blank_as}` and `mount /dev/{blank_as} /mnt/{blank_as}`")
    elif format_image(path, build_dir):
        print(f"created {path} ({format_size(size)}) and formatted it with "
              f"{mkfs_path(build_dir)}")
    else:
        print(f"created {path} ({format_size(size)}, sparse, all zero): "
              f"{mkfs_path(build_dir)} is not built yet, so it is not "
              "formatted")
    return size


def image_users(path):
    """PIDs (other than ours) that hold @path open, found through /proc."""
    try:
        target = os.stat(path)
    except OSError:
        return []
    users = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        if int(pid) == os.getpid():
            continue
        fd_dir = f"/proc/{pid}/fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                st = os.stat(os.path.join(fd_dir, fd))
            except OSError:
                continue
            if (st.st_dev, st.st_ino) == (target.st_dev, target.st_ino):
                users.append(int(pid))
                break
    return users


def _process_name(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
        return os.path.basename(argv[0].decode("utf-8", "replace"))
    except OSError:
        return "?"


def in_use_message(path, users):
    """The error for @path held by the processes @users (PIDs)."""
    who = ", ".join(f"{_process_name(p)} (pid {p})" for p in users)
    kill = " or kill " + " ".join(str(p) for p in users) if users else ""
    return (f"pmem image {path} is in use by another QEMU"
            f"{': ' + who if who else ''} (another 'make run'?): stop it "
            f"first (type poweroff at its holdfast> prompt{kill}) or choose "
            "another image with PMEM=other.img")


def lock_image(path):
    """Take an exclusive flock on @path; return the (inheritable) fd.

    The fd survives exec, so the lock lasts as long as QEMU runs.  Raises
    QemuError naming the image and the process when it is in use: another
    `make run` (its flock), or any QEMU that has the file open.
    """
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise QemuError(in_use_message(path, image_users(path))) from None
    users = [p for p in image_users(path) if "qemu" in _process_name(p)]
    if users:
        os.close(fd)
        raise QemuError(in_use_message(path, users))
    os.set_inheritable(fd, True)
    return fd


# ------------------------------------------------------------ commands ----

def write_gdbinit(path, elf):
    """Write the gdb script for `make debug`."""
    with open(path, "w") as f:
        f.write(f"""\
# Written by scripts/qemu.py debug: attach to QEMU's gdb stub and stop in
# {GDB_BREAK_SYMBOL}.  The kernel enters in 32-bit mode and runs higher-half,
# so the architecture is set by hand and the breakpoint is a hardware one
# (a software breakpoint written before paging is on would be lost).
set pagination off
set confirm off
file {os.path.abspath(elf)}
set architecture i386:x86-64
target remote :{GDB_PORT}
hbreak {GDB_BREAK_SYMBOL}
continue
""")


def nvdimm_images(first, count):
    """The backing images of @count NVDIMMs: @first, then the same name
    with 1, 2 ... before the extension (build/pmem.img -> build/pmem1.img)."""
    if not 0 <= count <= MAX_NVDIMMS:
        raise ValueError(f"bad NVDIMM count {count}: expected 0 to "
                         f"{MAX_NVDIMMS}")
    if count == 0:
        return []
    stem, ext = os.path.splitext(first)
    return [first] + [f"{stem}{i}{ext}" for i in range(1, count)]


def _pmem_list(args, build_dir):
    default_size = parse_size(args.pmem_size)
    images = []
    for i, path in enumerate(args.pmem or []):
        if path:
            images.append((path, prepare_image(path, default_size, build_dir,
                                               f"pmem{i}" if i else None)))
    return images


def _nvme_list(args):
    path = args.nvme or ""
    return [] if path in ("", "none") else [path]


def _machine_cmd(args, accel, gdb=False, pmem=()):
    """The command line of `run`, `debug` and `cmd`: the guest may reboot,
    unless its command line runs tests (test=...)."""
    tty = sys.stdin.isatty()
    kernel = args.kernel
    testing = "test=" in (args.append or "")
    debug_exit = args.debug_exit or testing
    return build_cmd(qemu=args.qemu, machine=args.machine, accel=accel,
                     smp=args.smp, memory=args.memory, iso=args.iso,
                     kernel=kernel, append=args.append, pmem=pmem,
                     edu=not args.no_edu,
                     edu_dma_mask=None if args.edu_default_mask
                     else EDU_FULL_DMA_MASK,
                     debug_exit=debug_exit,
                     serial="mon:stdio" if tty else "stdio", gdb=gdb,
                     no_reboot=testing,
                     nbd_port=None if args.nbd_port in (None, "", "none")
                     else args.nbd_port, extra=args.extra,
                     nvme=_nvme_list(args), iommu=args.iommu)


def _require_qemu(args):
    binary = find_qemu(args.qemu)
    if not binary:
        raise QemuError(QEMU_MISSING)
    args.qemu = binary


def _check_boot_medium(args):
    if not args.iso and not args.kernel:
        raise QemuError("nothing to boot: give --iso PATH or --kernel ELF")
    medium = args.iso or args.kernel
    if not os.path.isfile(medium):
        raise QemuError(f"{medium} not found (build it with 'make iso' "
                        "or 'make')")


def _exec(cmd, verbose):
    if verbose:
        print("qemu:", shell_quote(cmd))
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvp(cmd[0], cmd)
    except OSError as e:
        raise QemuError(f"cannot run {cmd[0]}: {e.strerror}") from None


def cmd_run(args):
    _require_qemu(args)
    _check_boot_medium(args)
    existing = [p for p in args.pmem or [] if p and os.path.exists(p)]
    pmem = _pmem_list(args, args.build_dir)
    for path, _ in pmem:
        lock_image(path)
    for path in existing:
        problem = check_image(path, args.build_dir)
        if problem:
            print(f"warning: {problem}", file=sys.stderr)
    for path in _nvme_list(args):
        prepare_nvme(path, parse_size(args.nvme_size))
        lock_image(path)
    elf = args.kernel or os.path.join(args.build_dir, "holdfast.elf")
    accel, message = choose_accel(args.accel, elf, args.machine, args.qemu)
    print(message)
    cmd = _machine_cmd(args, accel, pmem=pmem)
    if sys.stdin.isatty():
        print("serial console on this terminal; Ctrl-A x quits QEMU, "
              "Ctrl-A c switches to the QEMU monitor")
    _exec(cmd, args.verbose)


def cmd_debug(args):
    _require_qemu(args)
    _check_boot_medium(args)
    elf = args.kernel or os.path.join(args.build_dir, "holdfast.elf")
    if not os.path.isfile(elf):
        raise QemuError(f"{elf} not found (build it with 'make'); gdb needs "
                        "its symbols")
    pmem = _pmem_list(args, args.build_dir)
    for path, _ in pmem:
        lock_image(path)
    gdbinit = os.path.join(args.build_dir, "gdbinit")
    write_gdbinit(gdbinit, elf)
    # TCG only: KVM is unreliable here and hardware breakpoints under TCG
    # need nothing from the host.
    cmd = _machine_cmd(args, "tcg", gdb=True, pmem=pmem)
    print(f"QEMU is paused with a gdb stub on :{GDB_PORT}. "
          "In a second terminal, type:")
    print()
    shown = os.path.relpath(gdbinit)
    if shown.startswith(".."):
        shown = os.path.abspath(gdbinit)
    print(f"    gdb -x {shown}")
    print()
    if not shutil.which("gdb"):
        print("(gdb is not installed: sudo apt-get install gdb)")
    print(f"gdb stops at {GDB_BREAK_SYMBOL}; the serial console is here"
          + ("; Ctrl-A x quits QEMU." if sys.stdin.isatty() else "."))
    _exec(cmd, args.verbose)


def cmd_probe(args):
    elf = args.kernel or os.path.join(args.build_dir, "holdfast.elf")
    ok, reason = probe_kvm(elf, args.machine, args.qemu)
    print(f"kvm: {'works' if ok else 'does not work'} ({reason})")
    return 0 if ok else EXIT_ERROR


def cmd_print(args):
    accel = (args.accel or "tcg").lower()
    pmem = [(p, parse_size(args.pmem_size)) for p in args.pmem or [] if p]
    print(shell_quote(_machine_cmd(args, accel, pmem=pmem)))
    return 0


def parse_args(argv):
    extra = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1:]
    parser = argparse.ArgumentParser(
        prog="qemu.py", description="Boot Holdfast in QEMU.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, helptext in (("run", "boot with serial on stdio"),
                           ("debug", "boot paused with a gdb stub"),
                           ("probe", "does KVM work here?"),
                           ("cmd", "print the QEMU command line")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--iso", help="ISO to boot (GRUB, multiboot2)")
        p.add_argument("--kernel", help="ELF to boot with -kernel "
                                        "(multiboot1) instead of an ISO")
        p.add_argument("--append", help="kernel command line (--kernel)")
        p.add_argument("--pmem", action="append",
                       help="NVDIMM image; repeat for more; '' for none")
        p.add_argument("--nvdimms", type=int, default=None,
                       help="how many NVDIMMs: the first --pmem image and "
                            "more named after it (default: one per --pmem)")
        p.add_argument("--pmem-size", default="128M",
                       help="size of newly created images (default 128M)")
        p.add_argument("--nvme", default="",
                       help="NVMe disk image (raw); '' or none: no disk")
        p.add_argument("--nvme-size", default="64M",
                       help="size of a newly created NVMe image (64M)")
        p.add_argument("--smp", type=int, default=1)
        p.add_argument("--machine", choices=MACHINES, default="q35")
        p.add_argument("--memory", default=DEFAULT_MEMORY)
        p.add_argument("--accel", default="",
                       help="'' or auto (probe KVM), kvm, tcg")
        p.add_argument("--iommu", action="store_true",
                       help="add the VT-d IOMMU (-device intel-iommu, q35 "
                            "only)")
        p.add_argument("--no-edu", action="store_true",
                       help="leave out the edu DMA engine")
        p.add_argument("--edu-default-mask", action="store_true",
                       help="keep edu's 28-bit default DMA mask")
        p.add_argument("--nbd-port", default=None,
                       help="add virtio-net (user net, restrict=on) and "
                            "forward 127.0.0.1:PORT to the guest's NBD "
                            "port; 'none' or '' for no network card")
        p.add_argument("--debug-exit", action="store_true",
                       help="add isa-debug-exit (automatic with test=)")
        p.add_argument("--qemu", help="QEMU binary (default $QEMU or "
                                      "qemu-system-x86_64)")
        p.add_argument("--build-dir",
                       help="where holdfast.elf, tools/ and gdbinit are "
                            "(default: the ISO's folder, else build)")
        p.add_argument("-v", "--verbose", action="store_true",
                       default=os.environ.get("V") == "1",
                       help="print the QEMU command line (also V=1)")
    args = parser.parse_args(argv)
    args.extra = extra
    if args.nvdimms is not None:
        first = next((p for p in args.pmem or [] if p), None)
        if args.nvdimms > 1 and not first:
            parser.error("--nvdimms needs a --pmem image to name the others "
                         "after")
        if not first:
            args.nvdimms = 0        # PMEM='': no NVDIMM
        try:
            args.pmem = nvdimm_images(first, args.nvdimms) or [""]
        except ValueError as e:
            parser.error(str(e))
    if args.build_dir is None:
        args.build_dir = os.path.dirname(args.iso or "") or "build"
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    handlers = {"run": cmd_run, "debug": cmd_debug, "probe": cmd_probe,
                "cmd": cmd_print}
    try:
        parse_size(args.pmem_size)
        return handlers[args.command](args) or 0
    except QemuError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_ERROR
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE



# ------------------------------------------------------------ serial ----

def clean_output(text):
    """Drop carriage returns, terminal escapes and NULs from raw output."""
    return ANSI_RE.sub("", text).replace("\r", "").replace("\0", "")


class SerialLog:
    """Reads one of QEMU's output pipes in a thread: keeps the bytes, mirrors
    them to @log_path, hands each complete line to @on_line (if given) and
    notes when output last came.  One reader for the test runner, make
    bench and make demo.

    data, done and last_output change under cond; wait_until() and text()
    take it."""

    def __init__(self, stream, log_path, on_line=None):
        self.data = bytearray()
        self.done = False
        self.last_output = time.monotonic()
        self.on_line = on_line
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._pump,
                                       args=(stream, log_path), daemon=True)
        self.thread.start()

    def _pump(self, stream, log_path):
        pending = b""
        with open(log_path, "wb") as log:
            while True:
                try:
                    chunk = os.read(stream.fileno(), SERIAL_READ_CHUNK)
                except OSError:
                    chunk = b""
                if not chunk:
                    break
                log.write(chunk)
                log.flush()
                if self.on_line:
                    pending += chunk
                    *lines, pending = pending.split(b"\n")
                    for line in lines:
                        self._hand_on(line)
                with self.cond:
                    self.data += chunk
                    self.last_output = time.monotonic()
                    self.cond.notify_all()
        if pending:
            self._hand_on(pending)
        stream.close()
        with self.cond:
            self.done = True
            self.cond.notify_all()

    def _hand_on(self, line):
        """A closed stdout (`make bench | head`) must not stop the reading,
        or QEMU would block on a full pipe."""
        if not self.on_line:
            return
        try:
            self.on_line(line.decode("utf-8", "replace"))
        except (OSError, ValueError):
            self.on_line = None

    def text(self):
        with self.cond:
            return bytes(self.data).decode("utf-8", "replace")

    def wait_until(self, predicate, deadline):
        """Wait until predicate(text so far) is true: then return what it
        returned.  "eof" when QEMU closed the pipe first, "timeout" at
        @deadline (time.monotonic())."""
        with self.cond:
            while True:
                result = predicate(bytes(self.data).decode("utf-8",
                                                           "replace"))
                if result:
                    return result
                if self.done:
                    return "eof"
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return "timeout"
                self.cond.wait(remaining)

if __name__ == "__main__":
    sys.exit(main())
