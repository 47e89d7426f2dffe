"""boots.py - the table of QEMU boots that `make test` runs (tests/run.py).

Adding a boot is adding one entry to BOOTS.  Two kinds:

  ktap(...)      the kernel runs the in-kernel suites its command line
                 selects (test=all or test=SUITE[,SUITE]), prints flat KTAP
                 on the serial port and leaves QEMU through isa-debug-exit:
                 status 33 for pass, 35 for fail.  Every case is counted.
  scenario(...)  the runner types `stdin` on the serial port and checks
                 QEMU's exit status and the serial output against regexes.
                 It counts as one test.

Fields (see Boot):
  name      what --only matches and what the logs are called
            (build/test/logs/NAME.serial.log)
  machine   "q35" or "pc"
  iso       an ISO in the build directory (booted through GRUB), or
  kernel    an ELF in the build directory, booted with QEMU's -kernel
            (multiboot1), with `append` as its command line
  smp       CPU count
  pmem      sizes of NVDIMMs ("16M"); each gets a fresh all-zero image
            build/test/NAME.pmemN.img; pmem_format=True runs mkfs.holdfs
            on them first (the boot fails if it is not built)
  prepare   a function called with the image paths after they are made
            (and formatted), before QEMU starts, to damage them on
            purpose; it returns None or what went wrong
  edu       add the edu DMA engine (with the full 64-bit DMA mask unless
            edu_default_mask=True)
  timeout   (scenario) seconds before QEMU is killed and the boot fails;
            (ktap) seconds of serial silence that count as a hang: a run
            that keeps reporting may go on up to run.KTAP_CAP_S (or four
            times this), so a loaded machine is slow, not failed
  stdin     (scenario) text typed on the serial port
  feed      (scenario) "prompt": send each line after the next prompt
            appears (a typist); "all": send it all at once at start (like
            `printf ... | make run`)
  prompt    (scenario) regex of the shell prompt, for feed="prompt"
  then      (scenario) (regex, text) pairs, in order, after stdin: wait
            until the regex matches output that came after the previous
            pair's match (the first: anywhere), then type the text at once.
            The text may hold control bytes ("\\x03" is Ctrl-C); stdin is
            closed after the last pair
  status    (scenario) QEMU exit status expected (0 = ACPI poweroff)
  expect    (scenario) regexes (re.MULTILINE) that must match the output
  reject    regexes that must not match (every boot also fails on PANIC,
            "Kernel panic" and a second boot banner)
  reboots   (scenario) how many times the machine is meant to reboot: 0
            (the default) runs QEMU with -no-reboot and fails on a second
            boot banner; N lets the guest reset and expects exactly N + 1
            banners
  check     (scenario) a function of the output (cleaned as for the
            regexes) returning None or what is wrong with it: for verdicts a
            regex cannot give (every one of 3000 commands ran once, in order)
  extra     more QEMU arguments
  iommu     add QEMU's VT-d unit (-device intel-iommu,intremap=off, first
            of the -device options; q35 only): DMA remapping on
  nvme      NVMe namespaces, each (size, block_size or None) on one
            controller (scripts/qemu.py nvme_args); each gets a fresh image
            build/test/NAME.nvmeK.img filled with nvme_pattern(size, K)

sequence(name, steps) runs boots and host checks (functions of the list of
image paths, returning None or what went wrong) in order, sharing images;
a sequence of host checks alone is a check that boots QEMU itself (the
demo).

Regexes see the serial output with "\\r" and terminal escape sequences
removed.
"""

import os
import random
import re
from dataclasses import dataclass, replace

KTAP = "ktap"
SCENARIO = "scenario"

DEFAULT_TIMEOUT_S = 120
SHELL_PROMPT = r"holdfast> "
STATUS_POWEROFF = 0             # the shell's poweroff (ACPI S5)
LONG_LINE_CHARS = 5000          # longer than the shell's line buffer


@dataclass(frozen=True)
class Boot:
    name: str
    kind: str
    machine: str = "q35"
    iso: str | None = None
    kernel: str | None = None
    append: str | None = None
    smp: int = 1
    pmem: tuple = ()
    pmem_format: bool = False
    prepare: object = None          # callable(image paths) -> None | problem
    edu: bool = True
    edu_default_mask: bool = False
    timeout: float = DEFAULT_TIMEOUT_S
    stdin: str = ""
    feed: str = "prompt"
    prompt: str = SHELL_PROMPT
    status: int | None = None
    expect: tuple = ()
    reject: tuple = ()
    then: tuple = ()                # ((regex, text), ...) after stdin
    check: object = None            # callable(output) -> None | problem
    extra: tuple = ()
    reboots: int = 0
    images_as: str | None = None    # set by sequence(): share images
    keep_images: bool = False       # set by sequence(): reuse, don't recreate
    nvme: tuple = ()                # ((size, block_size), ...) namespaces
    iommu: bool = False             # -device intel-iommu (q35)


@dataclass(frozen=True)
class Sequence:
    name: str
    steps: tuple
    kind: str = "sequence"


def sequence(name, steps):
    out = []
    for i, step in enumerate(steps):
        if isinstance(step, Boot):
            step = replace(step, name=f"{name}/{step.name}", images_as=name,
                           keep_images=any(isinstance(s, Boot) for s in steps[:i]))
        out.append(step)
    return Sequence(name=name, steps=tuple(out))


def ktap(name, **fields):
    return Boot(name=name, kind=KTAP, **fields)


def scenario(name, **fields):
    return Boot(name=name, kind=SCENARIO, **fields)


BOOTS = [
    # In-kernel suites, booted by QEMU's multiboot1 loader.
    ktap("ktest-q35-kernel", machine="q35", kernel="holdfast.elf",
         append="test=all", pmem=("16M",)),
    ktap("ktest-pc-kernel", machine="pc", kernel="holdfast.elf",
         append="test=all", pmem=("16M",)),
    # The same through GRUB and multiboot2 (test=all is in the ISO's grub.cfg).
    ktap("ktest-q35-iso", machine="q35", iso="holdfast-test.iso",
         pmem=("16M",)),
    ktap("ktest-q35-smp2", machine="q35", kernel="holdfast.elf",
         append="test=all", smp=2, pmem=("16M",)),
    # The debug kernel (DEBUG=1: lock assertions on, freed heap poisoned):
    # every suite, so every "caller holds" on their paths is checked.
    ktap("ktest-q35-debug", machine="q35", kernel="debug/holdfast.elf",
         append="test=all", smp=2, pmem=("16M",)),
    # Every suite on four CPUs (multi-threaded TCG), and on two on pc.
    ktap("ktest-q35-smp4", machine="q35", kernel="holdfast.elf",
         append="test=all", smp=4, pmem=("16M",)),
    ktap("ktest-pc-smp2", machine="pc", kernel="holdfast.elf",
         append="test=all", smp=2, pmem=("16M",)),
    # maxcpus= limits the CPUs started.
    scenario("smp-maxcpus", machine="q35", kernel="holdfast.elf",
             append="maxcpus=2", smp=4, pmem=(), stdin="cpus\npoweroff\n",
             status=STATUS_POWEROFF,
             expect=(r"smp: 2 CPUs online", r"^  1\s+1\s+yes"),
             reject=(r"^  2\s+2\s+yes",)),

    # The shell on the serial port.
    scenario("shell-help-poweroff", machine="q35", iso="holdfast.iso",
             pmem=("16M",), stdin="help\nuptime\npoweroff\n",
             status=STATUS_POWEROFF,
             expect=(SHELL_PROMPT,
                     r"poweroff",
                     r"\bup \d+")),
    # Everything typed before the prompt appears, as `printf | make run`.
    scenario("shell-pc-poweroff", machine="pc", iso="holdfast.iso",
             pmem=("16M",), stdin="poweroff\n", feed="all",
             status=STATUS_POWEROFF,
             expect=(SHELL_PROMPT,)),
    scenario("shell-bad-input", machine="q35", iso="holdfast.iso",
             pmem=("16M",),
             stdin="frobnicate\n" + "x" * LONG_LINE_CHARS + "\npoweroff\n",
             status=STATUS_POWEROFF,
             expect=(r"unknown command", r"line too long")),
]


# ---------------------------------------------------- persistent memory ----

# A token unique to this run, so a pass cannot come from an old image.
PERSIST_TOKEN = "HOLDFAST-PERSIST-%08x" % random.getrandbits(32)
PERSIST_OFFSET = 0x123000       # byte offset in region 0


def persist_token_on_host(images):
    """The token written in the first boot is in the backing file, at the
    offset it was written to (the region is the file, byte for byte)."""
    with open(images[0], "rb") as f:
        f.seek(PERSIST_OFFSET)
        got = f.read(len(PERSIST_TOKEN))
    if got != PERSIST_TOKEN.encode():
        return (f"expected {PERSIST_TOKEN!r} at offset {PERSIST_OFFSET:#x} "
                f"of {images[0]}, found {got!r}")
    return None



# ------------------------------------------------------ namespace labels

# One image per boot that uses one: boots run in parallel.
LABEL_IMG = "build/test/namespace-labels.img"
DAMAGED_LABEL_IMG = "build/test/namespace-labels-damaged.img"
BAD_INPUT_IMG = "build/test/namespace-bad-input.img"
NS_MOUNT_IMG = "build/test/namespace-mount.img"
LABEL_IMG_SIZE = 256 << 20
LABEL_AREA = 128 << 10          # label-size=128K: the last 128 KiB of the file
LABEL_INDEX = 256               # each index block of a 128 KiB area


def label_nvdimm(path):
    """QEMU arguments for one NVDIMM backed by @path with a 128 KiB label
    area (QEMU keeps the area in the last label-size bytes of the file)."""
    return ("-object", f"memory-backend-file,id=pmL,share=on,mem-path={path},"
                       f"size={LABEL_IMG_SIZE}",
            "-device", "nvdimm,id=nvL,memdev=pmL,label-size=128K")


def new_image(path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.exists(path):
        os.unlink(path)
    with open(path, "wb") as f:
        f.truncate(LABEL_IMG_SIZE)


def fresh_label_image(_images):
    new_image(LABEL_IMG)
    return None


def fresh_ns_mount_image(_images):
    new_image(NS_MOUNT_IMG)
    return None


def fresh_bad_input_image(_images):
    new_image(BAD_INPUT_IMG)
    return None


def damaged_label_bytes():
    """Two index blocks with the signature: block 0 with a wrong checksum
    (1), block 1 with sequence number 0 (invalid) and checksum 0."""
    area = bytearray(2 * LABEL_INDEX)
    for i in range(2):
        o = i * LABEL_INDEX
        area[o:o + 16] = b"NAMESPACE_INDEX\0"
        area[o + 19] = 1
        area[o + 60:o + 64] = (1).to_bytes(2, "little") + (2).to_bytes(2, "little")
    area[20:24] = (1).to_bytes(4, "little")
    area[64:72] = (1).to_bytes(8, "little")
    area[LABEL_INDEX + 64:LABEL_INDEX + 72] = fletcher64(
        area[LABEL_INDEX:2 * LABEL_INDEX]).to_bytes(8, "little")
    return bytes(area)


def fletcher64(data):
    """The label format's checksum (UEFI 2.7): little-endian 32-bit words
    summed into lo, lo summed into hi."""
    lo = hi = 0
    for i in range(0, len(data), 4):
        lo = (lo + int.from_bytes(data[i:i + 4], "little")) & 0xffffffff
        hi = (hi + lo) & 0xffffffff
    return hi << 32 | lo


def damaged_label_image(_images):
    new_image(DAMAGED_LABEL_IMG)
    with open(DAMAGED_LABEL_IMG, "r+b") as f:
        f.seek(LABEL_IMG_SIZE - LABEL_AREA)
        f.write(damaged_label_bytes())
    return None


def label_area_unchanged(_images):
    with open(DAMAGED_LABEL_IMG, "rb") as f:
        f.seek(LABEL_IMG_SIZE - LABEL_AREA)
        area = f.read(LABEL_AREA)
    want = damaged_label_bytes()
    if area[:len(want)] != want or any(area[len(want):]):
        return "the damaged label area was written to"
    return None


UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def namespaces_survive_reboots(out):
    """Boot 1 creates two namespaces; boot 2 lists both with the same uuid,
    offset, size and mode, and destroys the first; boot 3 lists only the
    second, now namespace0.0."""
    boots = re.split(r"^Holdfast \S+ booting$", out, flags=re.M)
    if len(boots) != 4:
        return f"expected 3 boots, saw {len(boots) - 1}"
    made = re.findall(r"^created (namespace0\.\d) \((pmem0(?:\.\d)?)\): (.+?) at offset "
                      r"(0x[0-9a-f]+|0) of pmem0, (\w+), uuid (" + UUID_RE + r")$",
                      boots[1], re.M)
    want = [("namespace0.0", "pmem0", "32 MiB", "0", "fsdax"),
            ("namespace0.1", "pmem0.1", "208 MiB", "0x2000000", "raw")]
    if [m[:5] for m in made] != want:
        return f"boot 1 created {made}, expected {want}"
    u1, u2 = made[0][5], made[1][5]

    def listed(text):
        return re.findall(r"^(namespace0\.\d)\s+(\S+)\s+pmem0\s+(\S+)\s+(.+?)\s{2,}"
                          r"(\w+)\s+(" + UUID_RE + r")\s+(\S+)$", text, re.M)
    second = listed(boots[2])
    if second != [("namespace0.0", "pmem0", "0", "32 MiB", "fsdax", u1, "first"),
                  ("namespace0.1", "pmem0.1", "0x2000000", "208 MiB", "raw", u2, "second")]:
        return f"after the first reboot the list is {second}"
    if not re.search(r"^destroyed namespace0\.0 \(32 MiB at offset 0 of pmem0, uuid "
                     + u1 + r"\)$", boots[2], re.M):
        return "namespace0.0 was not destroyed"
    third = listed(boots[3])
    if third != [("namespace0.0", "pmem0", "0x2000000", "208 MiB", "raw", u2, "second")]:
        return f"after the second reboot the list is {third}"
    return None


BOOTS += [
    # Two NVDIMMs, one a 4 GiB sparse file: both regions found and mapped.
    ktap("ktest-two-nvdimms", machine="q35", kernel="holdfast.elf",
         append="test=pmem,boot", pmem=("128M", "4G")),
    # The mount table and the walk across mounts (tests/kernel/test_vfs.c):
    # the second NVDIMM holds the filesystems it mounts.  The debug kernel,
    # on two CPUs: lock rules asserted.
    ktap("ktest-vfs", machine="q35", kernel="debug/holdfast.elf", smp=2,
         append="test=vfs", pmem=("16M", "16M")),
    scenario("nvdimm-two-regions", machine="q35", iso="holdfast.iso",
             pmem=("128M", "4G"), stdin="nvdimm\npoweroff\n",
             status=STATUS_POWEROFF,
             expect=(r"^pmem0\s+0x0000000100000000\s+128 MiB",
                     r"^pmem1\s+0x[0-9a-f]+\s+4 GiB")),
    # A label area (QEMU's label-size=) takes 128 KiB off the region:
    # its size is shown exactly, not rounded down to "255 MiB".
    scenario("nvdimm-label-area-size", machine="q35", kernel="holdfast.elf",
             pmem=(), stdin="nvdimm\npoweroff\n", status=STATUS_POWEROFF,
             extra=("-object", "memory-backend-file,id=pmL,share=on,"
                    "mem-path=build/test/nvdimm-label.img,size=256M",
                    "-device", "nvdimm,id=nvL,memdev=pmL,label-size=128K"),
             expect=(r"^pmem0: 255\.875 MiB at 0x100000000",
                     r"^pmem0\s+0x0000000100000000\s+255\.875 MiB\s+0x1\s")),
    # Namespace labels (drivers/nvdimm/namespace.c): created, kept across
    # a reboot with the same uuid and size, destroyed, gone after the next.
    scenario("namespace-labels-reboot", machine="q35", kernel="holdfast.elf",
             pmem=(), prepare=fresh_label_image, reboots=2,
             extra=label_nvdimm(LABEL_IMG),
             stdin="namespace list\n"
                   "namespace create -s 32M -n first pmem0\n"
                   "namespace create -m raw -n second 0\n"
                   "reboot\n"
                   "namespace list\n"
                   "namespace destroy namespace0.0\n"
                   "reboot\n"
                   "namespace list\n"
                   "poweroff\n",
             status=STATUS_POWEROFF, check=namespaces_survive_reboots,
             expect=(r"^pmem0: 128 KiB label area, blank: the region is one namespace",
                     r"^namespace0\.0\s+pmem0\s+pmem0\s+0\s+255\.875 MiB\s+raw\s+-\s+"
                     r"\(whole region, no labels\)",
                     r"^pmem0: 128 KiB label area: 2 namespaces$",
                     r"^pmem0: 128 KiB label area: 1 namespace$")),
    # Namespaces are block devices: pmem1 (namespace1.0) and pmem1.1 appear
    # in /dev when they are made, a holdfs on pmem1.1 mounts, its namespace
    # cannot be destroyed while mounted, and both survive a reboot.
    scenario("namespace-mount", machine="q35", kernel="holdfast.elf",
             pmem=("16M",), pmem_format=True, reboots=1,
             prepare=fresh_ns_mount_image, extra=label_nvdimm(NS_MOUNT_IMG),
             stdin="mkdir /mnt\nmkdir /mnt/b\nls -l /dev\n"
                   "namespace create -s 32M -n alpha pmem1\n"
                   "namespace create -s 48M -n beta pmem1\n"
                   "ls -l /dev\nmkfs /dev/pmem1.1\nmount /dev/pmem1.1 /mnt/b\n"
                   "write /mnt/b/f.txt on-beta\nnamespace destroy namespace1.1\n"
                   "namespace create -m raw -s 160M pmem1\numount /mnt/b\nreboot\n"
                   "ls -l /dev\nmount /dev/pmem1.1 /mnt/b\ncat /mnt/b/f.txt\n"
                   "namespace destroy namespace1.1\numount /mnt/b\n"
                   "namespace destroy namespace1.1\nls /dev\npoweroff\n",
             status=STATUS_POWEROFF,
             expect=(r"^b0600 +1 +0 +0 +268304384 +0  .*  pmem1\n",
                     r"^b0600 +1 +0 +0 +33554432 +0  .*  pmem1\nb0600 +1 +0 +0 +50331648 +0  .*  pmem1\.1\n",
                     r"^namespace destroy: pmem1\+0x2000000\+0x3000000 is in use "
                     r"\(pmem1\.1 is mounted at /mnt/b\)$",
                     r"^holdfast> cat /mnt/b/f\.txt\non-beta$",
                     r"^holdfast> ls -l /dev\n(?:.*\n){3}b0600 +1 +0 +0 +33554432 +0  .*  pmem1\n"
                     r"b0600 +1 +0 +0 +50331648 +0  .*  pmem1\.1\nb0600 +1 +0 +0 +167772160 +0  .*  pmem1\.2\n",
                     r"^holdfast> ls /dev\n\./\n\.\./\npmem0\npmem1\npmem1\.2\nholdfast> poweroff"),
             reject=(r"^destroyed namespace1\.1 .*\n(?:.*\n)*holdfast> umount /mnt/b\n",)),
    # Bad namespace commands: each refused with the reason, nothing made.
    scenario("namespace-bad-input", machine="q35", kernel="holdfast.elf",
             pmem=(), prepare=fresh_bad_input_image, extra=label_nvdimm(BAD_INPUT_IMG),
             stdin="namespace create -s 10M pmem0\n"
                   "namespace create -s 1G pmem0\n"
                   "namespace create -m btt pmem0\n"
                   "namespace create -n " + "x" * 65 + " pmem0\n"
                   "namespace create pmem3\n"
                   "namespace create -s 16M\n"
                   "namespace destroy namespace0.0\n"
                   "namespace destroy 00000000-0000-0000-0000-000000000000\n"
                   "namespace frob\n"
                   "namespace create -s 16M -n one pmem0\n"
                   "namespace create -s 240M pmem0\n"
                   "namespace list\n"
                   "poweroff\n",
             status=STATUS_POWEROFF,
             expect=(r"^namespace create: 10 MiB is not a multiple of pmem0's alignment, 16 MiB$",
                     r"^namespace create: 1 GiB is larger than pmem0$",
                     r"^namespace: mode 'btt': expected fsdax or raw$",
                     r"^namespace create: name 'x{65}' is 65 bytes long \(at most 64\)$",
                     r"^namespace create: no region pmem3 \(there is 1: pmem0\)$",
                     r"^namespace: create takes one REGION after its options$",
                     r"^namespace destroy: namespace0\.0 is all of pmem0, which has no "
                     r"labels: there is no label to remove$",
                     r"^namespace destroy: no namespace '00000000-0000-0000-0000-000000000000'",
                     r"^namespace: expected list, create",
                     r"^created namespace0\.0 \(pmem0\): 16 MiB at offset 0 of pmem0",
                     r"^namespace create: pmem0 has no free aligned extent that large$",
                     r"^namespace0\.0\s+pmem0\s+pmem0\s+0\s+16 MiB\s+fsdax\s+\S+\s+one$"),
             reject=(r"^created namespace0\.1",)),
    # Both index blocks of the label area damaged: said at boot, no
    # namespace trusted, create refused, and the area left as it was.
    sequence("namespace-labels-damaged", (
        scenario("boot", machine="q35", kernel="holdfast.elf", pmem=(),
                 prepare=damaged_label_image, extra=label_nvdimm(DAMAGED_LABEL_IMG),
                 stdin="namespace list\nnamespace create pmem0\nuptime\npoweroff\n",
                 status=STATUS_POWEROFF,
                 expect=(r"^pmem0: labels: both index blocks are bad \(index 0: checksum "
                         r"0x1, computed 0x[0-9a-f]+; index 1: sequence number 0 ",
                         r"^pmem0: label area damaged: no namespace; create refuses",
                         r"^pmem0: label area damaged: no namespace \(see the boot",
                         r"^namespace create: pmem0's label area is damaged \(both "
                         r"index blocks bad\); nothing is written to it$",
                         r"^up \d"),
                 reject=(r"^namespace0\.0 ", r"^created ")),
        label_area_unchanged,
    )),
    # No label area (no label-size=): said, one whole-region namespace,
    # create refused with the reason.
    scenario("namespace-no-label-area", machine="q35", kernel="holdfast.elf",
             pmem=("16M",), stdin="namespace list\nnamespace create pmem0\npoweroff\n",
             status=STATUS_POWEROFF,
             expect=(r"^pmem0: no label area: the region is one namespace$",
                     r"^namespace0\.0\s+pmem0\s+pmem0\s+0\s+16 MiB\s+raw\s+-\s+"
                     r"\(whole region, no labels\)",
                     r"^namespace create: pmem0 has no label area \(QEMU: "),
             reject=(r"^created ",)),
    scenario("nvdimm-none", machine="q35", iso="holdfast.iso", pmem=(),
             stdin="nvdimm\npoweroff\n", status=STATUS_POWEROFF,
             expect=(r"no persistent memory found",)),
    # Each cache-flush instruction: CPU models without the newer ones.
    ktap("ktest-flush-clflushopt", machine="q35", kernel="holdfast.elf",
         append="test=pmem", pmem=("16M",), extra=("-cpu", "max,clwb=off")),
    ktap("ktest-flush-clflush", machine="pc", kernel="holdfast.elf",
         append="test=pmem", pmem=("16M",),
         extra=("-cpu", "max,clwb=off,clflushopt=off")),
    # Data written and persisted in one boot is in the backing file and is
    # read back by the next boot.
    sequence("pmem-persists", (
        scenario("write", machine="q35", iso="holdfast.iso", pmem=("64M",),
                 stdin=f"pmem write 0 {PERSIST_OFFSET:#x} {PERSIST_TOKEN}\npoweroff\n",
                 status=STATUS_POWEROFF,
                 expect=(r"wrote %d bytes to pmem0 .*persisted" % len(PERSIST_TOKEN),)),
        persist_token_on_host,
        scenario("read", machine="pc", kernel="holdfast.elf", pmem=("64M",),
                 stdin=f"pmem read 0 {PERSIST_OFFSET:#x} 32\npoweroff\n",
                 status=STATUS_POWEROFF,
                 # the dump shows 16 characters a row: the run's own
                 # random part is on the second row
                 expect=(r"\|" + PERSIST_TOKEN[:16] + r"\|",
                         r"\|" + PERSIST_TOKEN[16:] + r"\.{7}\|")),
    )),
]

# `pmem` names regions as every message does (pmem0, or 0), and will not
# store into the mounted root filesystem without -w.
PMEM_FREE_OFF = 0x800000        # a data block nothing uses on a fresh 16M fs

BOOTS += [
    scenario("shell-pmem-region-guard", machine="q35", kernel="holdfast.elf",
             pmem=("16M",), pmem_format=True,
             stdin=(f"pmem write 0 {PMEM_FREE_OFF:#x} NOT-WRITTEN\n"
                    f"pmem fill pmem0 {PMEM_FREE_OFF:#x} 16 0x41\n"
                    f"pmem write -w pmem0 {PMEM_FREE_OFF:#x} FORCED-WRITE\n"
                    f"pmem read pmem0 {PMEM_FREE_OFF:#x} 16\n"
                    "pmem crc 0 0 4096\npmem read pmem7 0 16\n"
                    "pmem read disk0 0 16\npmem read pmem 0 16\n"
                    "pmem read -w pmem0 0 16\npoweroff\n"),
             status=STATUS_POWEROFF,
             expect=(r"^pmem write: pmem0\+0x800000 holds the mounted root "
                     r"filesystem; storing there bypasses holdfs and may "
                     r"destroy it: pass -w to do it anyway \(pmem write -w "
                     r"\.\.\.\)$",
                     r"^pmem fill: pmem0\+0x800000 holds the mounted root "
                     r"filesystem; .*\(pmem fill -w \.\.\.\)$",
                     r"^wrote 12 bytes to pmem0 at 0x800000 \(persisted\)$",
                     r"^00800000  46 4f 52 43 45 44 2d 57 52 49 54 45 00 00 00 00"
                     r"  \|FORCED-WRITE\.\.\.\.\|$",
                     r"^crc32 [0-9a-f]{8} size 4096$",
                     r"^pmem: no region pmem7 \(there is 1: pmem0\)$",
                     r"^pmem: 'disk0' is not a region: expected a name as "
                     r"nvdimm lists them \(pmem0\), or its number \(0\)$",
                     r"^pmem: 'pmem' is not a region",
                     r"^pmem: -w is for write and fill only$"),
             reject=(r"^wrote 11 bytes", r"^filled ")),
    # reboot resets the machine and it boots again, as under `make run`
    # (no -no-reboot here): back to the prompt, and the file written
    # before the reboot is still there.
    scenario("shell-reboot", machine="q35", kernel="holdfast.elf",
             pmem=("16M",), pmem_format=True, reboots=1,
             stdin="write /kept survived-the-reboot\nreboot\ncat /kept\n"
                   "poweroff\n",
             status=STATUS_POWEROFF,
             expect=(r"^rebooting\n(.|\n)*^Holdfast \S+ booting(.|\n)*"
                     r"^survived-the-reboot$",)),
    # Owner, permissions and times set at the shell survive a reboot
    # (holdfs format v2); renameat2's flags; bad arguments are refused
    # with the reason and change nothing.
    scenario("shell-attrs-reboot", machine="q35", kernel="holdfast.elf",
             pmem=("16M",), pmem_format=True, reboots=1,
             stdin="write /f hello\nmkdir /d\nwrite /x x-content\n"
                   "write /y y-content\n"
                   "chown 1000:2000 /f\nchmod 4750 /f\nchown :77 /d\n"
                   "chmod g+ws,o-rx /d\n"
                   "touch -d 2001-09-09T01:46:40.5 /f\n"
                   "touch -m -t 202001020304.05 /d\n"
                   "mv --exchange /x /y\nmv -n /x /y\n"
                   "chmod 8755 /f\nchown -1 /f\ntouch -d 2001-13-01 /f\n"
                   "touch -c /absent\nreboot\n"
                   "stat /f\nstat /d\ncat /x\nls -l /\nls /\npoweroff\n",
             status=STATUS_POWEROFF,
             expect=(r"^mv: /x: File exists$",
                     r"^chmod: invalid mode '8755'$",
                     r"^chown: invalid owner '-1' \(numeric UID\[:GID\] or :GID\)$",
                     r"^touch: invalid date '2001-13-01'$",
                     r"^rebooting\n(.|\n)*^Holdfast \S+ booting(.|\n)*"
                     r"^  file: /f\n  inode: \d+  type: file  mode: 4750  links: 1\n"
                     r"  uid: 1000  gid: 2000\n  size: 6  blocks: \d+ \(4 KiB\)\n"
                     r"  access: 2001-09-09 01:46:40\.500000000 \+0000\n"
                     r"  modify: 2001-09-09 01:46:40\.500000000 \+0000\n"
                     r"  change: \d{4}-",
                     r"^  file: /d\n  inode: \d+  type: directory  mode: 2770  links: 2\n"
                     r"  uid: 0  gid: 77\n.*\n  access: \d{4}-.*\n"
                     r"  modify: 2020-01-02 03:04:05\.000000000 \+0000$",
                     r"^y-content$",
                     r"^-4750   1  1000  2000          6 +\d+  2001-09-09 01:46  f$"),
             reject=(r"^absent$", r"^x-content$")),
    scenario("shell-acpi-lspci", machine="q35", kernel="holdfast.elf",
             pmem=("16M",), stdin="acpi\nlspci\npoweroff\n",
             status=STATUS_POWEROFF,
             expect=(r"^FACP\s+0x[0-9a-f]+\s+\d+", r"^NFIT\s", r"^MCFG\s",
                     r"^00:0\d\.0 1234:11e8 .*\n\s+BAR0 mem32 0x[0-9a-f]+ size 1M",
                     r"config access through ECAM")),
    # The benchmarks still run (quick mode); their figures are not judged.
    scenario("bench-smoke", machine="q35", kernel="holdfast.elf",
             pmem=("64M",), pmem_format=True, smp=2, nvme=(("16M", None),),
             stdin="bench -q -w\nwrite /after bench-left-a-working-fs\n"
                   "cat /after\npoweroff\n",
             status=STATUS_POWEROFF,
             expect=(r"^bench dram_memcpy \d+ MB/s$",
                     r"^bench pmem_write_nt \d+ MB/s$",
                     r"^bench pmem_read \d+ MB/s$",
                     r"^bench ipi_roundtrip \d+ ns$",
                     r"^bench tlb_shootdown \d+ ns$",
                     r"^bench pin_unpin_fast \d+ ns$",
                     r"^bench pin_unpin_slow \d+ ns$",
                     r"^bench iommu_map_unmap \d+ ns$",
                     r"^bench layout_wake_latency \d+ us$",
                     r"^bench layout_wake_latency_max \d+ us$",
                     r"^bench dax_map_write_4k \d+ MB/s$",
                     r"^bench dax_map_write_2m \d+ MB/s$",
                     r"^bench fs_seq_write_4k \d+ MB/s$",
                     r"^bench fs_seq_write_2m \d+ MB/s$",
                     r"^bench fs_seq_read_4k \d+ MB/s$",
                     r"^bench fs_seq_read_2m \d+ MB/s$",
                     r"^bench fs_rand_write_4k \d+ ops/s$",
                     r"^bench fs_mmap_write \d+ MB/s$",
                     r"^bench fs_create_4k \d+ ops/s$",
                     r"^bench fs_unlink \d+ ops/s$",
                     r"^bench fs_truncate_cycle \d+ ops/s$",
                     r"^bench mount_100k \d+ ms$",
                     r"^bench dram_per_pmem_gib \d+ KiB$",
                     r"^bench nvme_to_file \d+ MB/s$",
                     r"^bench file_to_nvme \d+ MB/s$",
                     r"^bench nvme_bounce \d+ MB/s$",
                     r"^bench nvme_qd1_read_lat \d+ us$",
                     # the filesystem survives the benchmarks that
                     # overwrite pmem0 (formatted again) and mount_100k
                     r"^bench-left-a-working-fs$"),
             # revoke_latency needs the IOMMU: the next boot runs it
             reject=(r"skipped(?! \(revoke needs the IOMMU \(make run IOMMU=1\)\)$)",
                     r"could not format", r"holdfs: .*(bad|corrupt)")),
    # make bench's second boot, quick: remapping on
    scenario("bench-smoke-iommu", machine="q35", kernel="holdfast.elf",
             pmem=("64M",), pmem_format=True, smp=2, nvme=(("16M", None),), iommu=True,
             stdin="bench -q -w nvme_to_file iommu_map_unmap revoke_latency\npins\npoweroff\n",
             status=STATUS_POWEROFF,
             expect=(r"^bench nvme_to_file \d+ MB/s$",
                     r"^bench iommu_map_unmap \d+ ns$",
                     r"^bench revoke_latency \d+ us$",
                     r"^no pinned pages$"),
             reject=(r"skipped", r"blocked \(")),
]

# The sampling profiler: `prof COMMAND` runs it and names the functions
# where the time went (the benchmark's own loop among them).
BOOTS += [
    scenario("shell-prof", machine="q35", kernel="holdfast.elf",
             pmem=("64M",), pmem_format=True, smp=2,
             stdin=("prof\nprof prof ls\nprof bench -q fs_seq_write_4k fs_seq_write_2m "
                    "fs_rand_write_4k fs_truncate_cycle\n"
                    "prof -c bench -q fs_seq_write_2m fs_rand_write_4k\npoweroff\n"),
             status=STATUS_POWEROFF,
             expect=(r"prof: which command should it profile\?",
                     r"prof: prof cannot profile itself",
                     r"^bench fs_seq_write_2m \d+ MB/s$",
                     r"^prof: [1-9]\d* samples \(\d+ in the idle loop, not shown\)",
                     r"^\s+\d+\.\d\s+[1-9]\d*\s+(memcpy_to_pmem|copy_nt|hfs_write|"
                     r"seq_write|write_file|memcpy)$",
                     # -c: a caller found through the interrupted frame
                     r"^\s+\d+\.\d% from [a-z_]\w*$")),
]

# Progress lines of long commands: never in a script (nobody answers the
# cursor-position query, and what the script typed ahead still runs), on a
# terminal (which answers ESC[row;colR), and when forced.
BOOTS += [
    scenario("shell-progress-script", machine="q35", kernel="holdfast.elf",
             pmem=("64M",), pmem_format=True, feed="all",
             stdin=("fallocate /big 0 4194304\ncp /big /c\nprogress\n"
                    "write /after typed-ahead-survived\ncat /after\npoweroff\n"),
             status=STATUS_POWEROFF,
             expect=(r"copied 4194304 bytes",
                     r"^progress: auto \(no terminal answered: quiet\)$",
                     r"^typed-ahead-survived$"),
             reject=(r"cp: +\d+%",)),
    scenario("shell-progress-terminal", machine="q35", kernel="holdfast.elf",
             pmem=("64M",), pmem_format=True, feed="all",
             stdin=("fallocate /big 0 4194304\ncp /big /c\n\x1b[24;80R\n"
                    "progress\nprogress off\ncp /big /d\nprogress on\n"
                    "cp /big /e\nfallocate /s 0 8192\ndma cp /s /t\n"
                    "progress sideways\npoweroff\n"),
             status=STATUS_POWEROFF,
             expect=(r"cp: 100% 4/4 MiB, \d+ MB/s\n(.|\n)*copied 4194304 bytes",
                     r"^progress: auto \(a terminal answered: shown\)$",
                     # off: no progress line before that cp's result
                     r"^progress: off$\n(?:(?!cp: ).*\n)*?copied 4194304 bytes(.|\n)*"
                     r"^progress: on$(.|\n)*cp: 100% 4/4 MiB",
                     r"dma cp: 100% 0/0 MiB(.|\n)*dma job \d+: copied 8192 bytes|"
                     r"dma job \d+: copied 8192 bytes(.|\n)*dma cp: 100% 0/0 MiB",
                     r"expected on, off or auto, not 'sideways'")),
]

# ------------------------------------------------------------------ DMA ----

# include/drivers/dma.h DMA_HOW_TO_ADD, and dma.c's message for no device.
DMA_HOW_TO_ADD_RE = (r"start QEMU with -device edu,dma_mask=0xffffffffffffffff "
                     r"\(make run adds it\)")
DMA_NO_DEVICE_RE = (r"no DMA device found \(QEMU's edu, PCI 1234:11e8\): "
                    + DMA_HOW_TO_ADD_RE)

# DMA remapping (VT-d, drivers/iommu/): every suite with QEMU's intel-iommu
# on q35 and edu's default 28-bit mask (the IOMMU hands out I/O addresses
# below 256 MiB), an NVMe disk so the NVMe cases run through it too.
BOOTS += [
    ktap("ktest-q35-iommu", machine="q35", kernel="holdfast.elf",
         append="test=all", pmem=("16M",), iommu=True, edu_default_mask=True,
         nvme=(("4M", None),)),
    # The suites that do DMA (and the leases), on the debug kernel (every "caller holds
    # iommu_lock" asserted) and two CPUs (maps from either CPU's interrupts).
    ktap("ktest-iommu-debug", machine="q35", kernel="debug/holdfast.elf",
         append="test=iommu,dma,nvme,dma_files,lease", smp=2, pmem=("16M",), iommu=True,
         edu_default_mask=True, nvme=(("4M", None),)),
]

BOOTS += [
    # The DMA suite alone, on two CPUs (the interrupt goes to one of them).
    ktap("ktest-dma", machine="q35", kernel="holdfast.elf", append="test=dma",
         smp=2, pmem=("16M",)),
    # QEMU's default edu mask (28 bits) cannot reach pmem above 4 GiB: the
    # driver's read-only self-test refuses the device, naming dma_mask, and
    # the kernel still comes up with no DMA engine.
    scenario("dma-edu-default-mask", machine="q35", kernel="holdfast.elf",
             pmem=("16M",), edu_default_mask=True,
             stdin="dma status\npoweroff\n", status=STATUS_POWEROFF,
             expect=(r"dma: edu [0-9a-f:.]+ cannot reach memory above 4 GiB "
                     r"\(QEMU's default dma_mask is 28 bits\): start QEMU with "
                     r"-device edu,dma_mask=0xffffffffffffffff",
                     r"^dma: no DMA engine: edu [0-9a-f:.]+ was refused: it "
                     r"cannot reach memory above 4 GiB \(QEMU's default "
                     r"dma_mask is 28 bits\); " + DMA_HOW_TO_ADD_RE + "$",
                     r"^no DMA engine: edu [0-9a-f:.]+ was refused: it cannot "
                     r"reach memory above 4 GiB .*; " + DMA_HOW_TO_ADD_RE + "$"),
             reject=(r"dma: edu0:",)),
    # No edu at all: the boot log and the dma command say how to add it.
    scenario("dma-no-edu", machine="q35", kernel="holdfast.elf",
             pmem=("16M",), pmem_format=True, edu=False,
             stdin="dma status\ndma copy 0x100001000 0x100300000 18\n"
                   "write /a x\ndma cp /a /b\npoweroff\n",
             status=STATUS_POWEROFF,
             expect=(r"^dma: no DMA engine: " + DMA_NO_DEVICE_RE + "$",
                     r"^no DMA engine: " + DMA_NO_DEVICE_RE + "$",
                     r"^dma copy: no DMA engine: " + DMA_NO_DEVICE_RE + "$",
                     r"^dma cp: no DMA engine: " + DMA_NO_DEVICE_RE + "$")),
    # With the full mask: dma status, a raw pmem-to-pmem copy and its
    # refusals.
    scenario("dma-shell", machine="q35", kernel="holdfast.elf",
             pmem=("16M",),
             stdin="pmem write 0 0x1000 HOLDFAST-DMA-SHELL\n"
                   "dma copy 0x100001000 0x100300000 18\n"
                   "pmem read 0 0x300000 18\n"
                   "dma copy 0x100001000 0x1000 18\n"
                   "dma status\ndma stauts\ndma frob\npoweroff\n",
             status=STATUS_POWEROFF,
             expect=(r"^dma: edu0: edu [0-9a-f:.]+, MSI, reaches memory above 4 GiB",
                     r"dma: no subcommand 'stauts' \(did you mean 'status'\?\)",
                     r"dma: no subcommand 'frob'$",
                     r"^copied 18 bytes from 0x100001000 to 0x100300000 with edu0",
                     r"\|HOLDFAST-DMA-SHE\|",
                     r"must both lie inside one pmem region",
                     r"^edu0: [0-9a-f:.]+, 4095-byte steps, completions by msi",
                     r"^  transfers 2, bytes 4113, errors 0"),
             # the unpin rule (include/drivers/dma.h): no unpin too early
             reject=(r"dma: BUG",)),
]


# ------------------------------------------------------------------ holdfs ----

import subprocess
import zlib

FS_TOKEN = "holdfs-%08x" % random.getrandbits(32)
HOST_FILE_BYTES = bytes(random.getrandbits(8) for _ in range(70000))
TOOLS = os.path.join("build", "tools")


def _tool(name, *args):
    return subprocess.run([os.path.join(TOOLS, name), *args], capture_output=True,
                          text=False, timeout=60)


def fs_host_side(images):
    """After the first boot: fsck is clean, the kernel's files read back on
    the host with the right bytes, and a file is put for the kernel."""
    fsck = _tool("fsck.holdfs", "-n", images[0])
    if fsck.returncode != 0:
        return f"fsck.holdfs -n exited {fsck.returncode}: {fsck.stdout.decode()[-300:]}"
    got = _tool("holdfs", images[0], "cat", "/notes/a.txt")
    if got.returncode or got.stdout != (FS_TOKEN + "\nsecond line\n").encode():
        return f"holdfs cat /notes/a.txt gave {got.stdout[:80]!r} (exit {got.returncode})"
    copy = _tool("holdfs", images[0], "cat", "/notes/b.txt")
    if copy.stdout != got.stdout:
        return "the kernel's cp made /notes/b.txt differ from /notes/a.txt"
    path = os.path.join("build", "test", "fs-host-file.bin")
    with open(path, "wb") as f:
        f.write(HOST_FILE_BYTES)
    put = _tool("holdfs", images[0], "put", path, "/from-host.bin")
    if put.returncode:
        return f"holdfs put failed: {put.stderr.decode()[-200:]}"
    return None


def fs_host_fsck_after(images):
    fsck = _tool("fsck.holdfs", "-n", images[0])
    if fsck.returncode != 0:
        return f"fsck.holdfs -n after the second boot exited {fsck.returncode}"
    return None


BOOTS += [
    sequence("holdfs-persists", (
        scenario("write", machine="q35", iso="holdfast.iso", pmem=("64M",),
                 pmem_format=True,
                 stdin=(f"mkdir /notes\nwrite /notes/a.txt {FS_TOKEN}\n"
                        "append /notes/a.txt 'second line'\n"
                        "cp /notes/a.txt /notes/b.txt\nls -l /notes\nsync\npoweroff\n"),
                 status=STATUS_POWEROFF,
                 expect=(r"vfs: holdfs on pmem0 mounted at /", r"copied \d+ bytes",
                         r"a\.txt", r"b\.txt")),
        fs_host_side,
        scenario("read", machine="pc", kernel="holdfast.elf", pmem=("64M",),
                 stdin="cat /notes/a.txt\ncrc32 /from-host.bin\nfsck\nrm /notes/b.txt\npoweroff\n",
                 status=STATUS_POWEROFF,
                 expect=(FS_TOKEN, r"second line",
                         r"^%08x %d /from-host\.bin" % (zlib.crc32(HOST_FILE_BYTES),
                                                       len(HOST_FILE_BYTES)),
                         r"fsck: clean")),
        fs_host_fsck_after,
    )),
    # The seed's scenario at the shell: a DMA into /b is in flight, and a
    # truncate of /b visibly waits for it and says who holds the pages.
    scenario("dma-truncate-waits", machine="q35", kernel="holdfast.elf",
             pmem=("64M",), pmem_format=True, smp=2,
             stdin=("fallocate /big 0 16384\ndma cp /big /b &\npins /b\n"
                    "truncate /b 0\ndma jobs\npoweroff\n"),
             status=STATUS_POWEROFF,
             expect=(r"\[1\] dma cp /big /b running in the background",
                     r"^dma-cp\s+inode \d+\s+offset 0\s+4 pages",
                     r"dax: layout change of inode \d+ waits \d+ ms",
                     r"held by dma-cp: DMA channel edu0",
                     r"dma job 1: copied 16384 bytes",
                     r"truncated /b to 0 bytes in [1-9]\d{2,}\.\d+ ms"),
             # the unpin rule (include/drivers/dma.h): no unpin too early
             reject=(r"dma: BUG",)),
    # Pin leases (include/fs/dax.h): the lease suite (its revoke cases
    # skip without the IOMMU), and at the shell a copy with --lease=fail:
    # `pins` shows the mode, truncate and rm of the destination fail at
    # once saying why, and the copy completes; revoke is refused while
    # remapping is off, an unknown mode named.
    ktap("ktest-lease", machine="q35", kernel="holdfast.elf", append="test=lease",
         smp=2, pmem=("16M",)),
    scenario("dma-lease-fail", machine="q35", kernel="holdfast.elf",
             pmem=("64M",), pmem_format=True, smp=2,
             stdin=("fallocate /big 0 16384\ndma cp --lease=fail /big /b &\npins /b\n"
                    "truncate /b 0\nrm /b\nsleep 3000\ndma jobs\n"
                    "dma cp --lease=revoke /big /c\ndma cp --lease=sometimes /big /c\n"
                    "stat /b\npoweroff\n"),
             status=STATUS_POWEROFF,
             expect=(r"\[1\] dma cp /big /b running in the background, lease=fail",
                     r"^dma-cp\s+inode \d+\s+offset 0\s+4 pages\s+\d+ ms\s+lease=fail\s+DMA channel edu0",
                     r"^truncate: /b: pinned for DMA with lease=fail \(Text file busy\)$",
                     r"^rm: /b: pinned for DMA with lease=fail \(Text file busy\)$",
                     r"dma job 1: copied 16384 bytes",
                     r"^dma cp: --lease=revoke: revoke needs the IOMMU \(make run IOMMU=1\)$",
                     r"^dma cp: no lease 'sometimes': expected wait, fail or revoke$",
                     r"^  size: 16384 "),
             reject=(r"dma: BUG", r"dax: layout change of inode \d+ waits",
                     r"^truncated /b")),
]


# ln -s: an empty target is ENOENT (it used to become "/"), and a
# relative target is stored as typed, so it resolves from the link's
# directory.
BOOTS += [
    scenario("shell-ln-symlink", machine="q35", kernel="holdfast.elf",
             pmem=("16M",), pmem_format=True,
             stdin=('ln -s "" /e\nstat /e\nmkdir /d\nwrite /d/a.txt in-d\n'
                    "ln -s a.txt /d/l\ncat /d/l\nstat /d/l\npoweroff\n"),
             status=STATUS_POWEROFF,
             expect=(r"^ln: /e: No such file or directory \(the target is "
                     r"empty\)$",
                     r"^stat: /e: No such file or directory$",
                     r"^in-d$",
                     r"^  target: a\.txt$")),
]

# Out of inodes with blocks to spare: the error says it was the inode
# table, and df shows inodes in use.  mkfs -i 16: 15 usable, the root one.
TINY_INODES = 16


def mkfs_tiny_inode_table(images):
    r = _tool("mkfs.holdfs", "-i", str(TINY_INODES), images[0])
    if r.returncode:
        return f"mkfs.holdfs -i {TINY_INODES} exited {r.returncode}: " \
               f"{r.stderr.decode()[-200:]}"
    return None


BOOTS += [
    scenario("holdfs-out-of-inodes", machine="q35", kernel="holdfast.elf",
             pmem=("16M",), prepare=mkfs_tiny_inode_table,
             # the root, /lost+found and /dev (made at boot) take three
             # of the 15 inodes
             stdin=("".join(f"write /f{i} x\n" for i in range(TINY_INODES - 3))
                    + "mkdir /d\ndf\nrm /f3\nwrite /again x\ncat /again\n"
                    "poweroff\n"),
             status=STATUS_POWEROFF,
             expect=(r"^write: /f12: No space left on device \(no free "
                     r"inodes: 15 of 15 in use; see df\)$",
                     r"^mkdir: /d: No space left on device \(no free inodes: "
                     r"15 of 15 in use; see df\)$",
                     r"^filesystem\s+size\(KiB\)\s+used\(KiB\)\s+free\(KiB\)"
                     r"\s+inodes\s+iused\s+ifree$",
                     # blocks to spare, every inode in use
                     r"^pmem0\s+\d+\s+\d+\s+[1-9]\d{3,}\s+15\s+15\s+0$",
                     r"^x$"),
             reject=(r"^write: /f(\d|1[01]): ", r"^write: /again")),
]

# A dma cp whose destination is truncated under it: the truncate waits for
# the chunk in flight, then the copy stops (its next chunk would lie past
# the new end of file) instead of allocating blocks there.
BOOTS += [
    scenario("dma-destination-truncated", machine="q35", kernel="holdfast.elf",
             pmem=("64M",), pmem_format=True, smp=2,
             stdin=("fallocate /big 0 69632\ndma cp /big /b &\nsleep 100\n"
                    "truncate /b 0\nsleep 600\ndma jobs\nstat /b\n"
                    "sleep 0x\npoweroff\n"),
             status=STATUS_POWEROFF,
             expect=(r"dax: layout change of inode \d+ waits \d+ ms",
                     r"truncated /b to 0 bytes in [1-9]\d{3,}\.\d+ ms",
                     # When the last unpin of the first chunk wakes both, the
                     # truncate may run first (the copy then stops) or the
                     # copy may pin its last chunk first (the truncate waits
                     # for it too).  Either way nothing is left past EOF.
                     r"dma job 1: failed after 65536 bytes /big -> /b in \d+ ms: "
                     r"the destination was truncated under the copy|"
                     r"dma job 1: copied 69632 bytes /big -> /b",
                     r"^\s+1\s+(failed\s+65536/69632 .*/big -> /b: Stale file handle|"
                     r"done\s+69632/69632)",
                     r"^  size: 0  blocks: 0 \(4 KiB\)$",
                     r"milliseconds: '0x' is not a number"),
             timeout=180),
]

# ------------------------------------------------------------ real time ----

# QEMU's RTC starts at the host's time in UTC (-rtc base=utc, the default),
# so a file made in the kernel is dated today, give or take a day for a run
# across midnight or a host clock that is a little off: a value check with a
# generous margin, not a timing assertion.
RTC_MARGIN_DAYS = 1


def host_dates_re(margin_days=RTC_MARGIN_DAYS):
    """Regex of the host's UTC dates from margin_days before to after now."""
    import datetime
    today = datetime.datetime.now(datetime.timezone.utc).date()
    days = (today + datetime.timedelta(days=d)
            for d in range(-margin_days, margin_days + 1))
    return "(?:" + "|".join(str(d) for d in days) + ")"


HOST_DATES = host_dates_re()
STAT_TIME = r" \d\d:\d\d:\d\d\.\d{9} \+0000$"

BOOTS += [
    scenario("rtc-file-dates", machine="q35", kernel="holdfast.elf",
             pmem=("16M",), pmem_format=True,
             stdin="write /dated x\nstat /dated\nls -l /\ndate\npoweroff\n",
             status=STATUS_POWEROFF,
             expect=(r"^time: " + HOST_DATES + r" \d\d:\d\d:\d\d\.000000000 "
                     r"\+0000 from the CMOS RTC$",
                     r"^  access: " + HOST_DATES + STAT_TIME,
                     r"^  modify: " + HOST_DATES + STAT_TIME,
                     r"^  change: " + HOST_DATES + STAT_TIME,
                     r"^-0644\s+1\s+0\s+0\s+2\s+1  " + HOST_DATES + r" \d\d:\d\d  dated$",
                     r"^" + HOST_DATES + r" \d\d:\d\d:\d\d\.\d{9} \+0000\n"
                     r"\(from the CMOS RTC at boot, plus the TSC since\)$"),
             reject=(r"^rtc: ", r"1970-01-01")),
    # An RTC date before the Unix epoch is refused with the reason, and the
    # wall clock falls back to the documented epoch-at-boot.
    scenario("rtc-out-of-range", machine="pc", kernel="holdfast.elf",
             pmem=("16M",), pmem_format=True,
             extra=("-rtc", "base=1960-01-01T00:00:00"),
             stdin="write /old x\nstat /old\ndate\npoweroff\n",
             status=STATUS_POWEROFF,
             expect=(r"^rtc: the year 1960 is outside 1970-2554 \(from the "
                     r"century register\)$",
                     r"^time: no date from the RTC \(above\); dates count "
                     r"from 1970-01-01 00:00:00 UTC at boot$",
                     r"^  modify: 1970-01-01 00:00:\d\d\.\d{9} \+0000$",
                     r"^\(no usable CMOS RTC: counted from the Unix epoch at "
                     r"boot\)$")),
]

# ------------------------------------------------ images the kernel refuses ----

SB_VERSION_OFFSET = 8           # struct hfs_dsuper: magic (8 bytes), version
NEWER_VERSION = 3               # include/fs/holdfs.h HFS_VERSION is 2


def make_version_newer(images):
    """Stamp a format version this build does not read into both
    superblocks (the version is checked before the checksum)."""
    with open(images[0], "r+b") as f:
        size = f.seek(0, os.SEEK_END)
        for block in (0, size // 4096 - 1):
            f.seek(block * 4096 + SB_VERSION_OFFSET)
            f.write(NEWER_VERSION.to_bytes(4, "little"))
    return None


BOOTS += [
    # An image that is not holdfs: the boot log says so and what to do.
    scenario("holdfs-not-holdfs", machine="q35", kernel="holdfast.elf",
             pmem=("16M",), stdin="poweroff\n", status=STATUS_POWEROFF,
             expect=(r"^holdfs: not a holdfs filesystem \(no holdfs magic in the "
                     r"superblock or in its backup in the last block\): format "
                     r"it with mkfs\.holdfs \(this erases the image\)$",
                     r"^vfs: pmem0 not mounted: it holds no usable holdfs; format "
                     r"it here with: mkfs pmem0 \(this erases it\); or, with the "
                     r"machine off, on the host with build/tools/mkfs\.holdfs "
                     r"IMAGE, or boot with a new image \(make run PMEM=new\.img\)$"),
             reject=(r"mounted at /",)),
    # A newer format version: named, with the version this build reads.
    scenario("holdfs-newer-version", machine="q35", kernel="holdfast.elf",
             pmem=("16M",), pmem_format=True, prepare=make_version_newer,
             stdin="poweroff\n", status=STATUS_POWEROFF,
             expect=(r"^holdfs: this filesystem is format version %d; this "
                     r"build reads versions 1 to 2 only" % NEWER_VERSION,
                     r"^vfs: pmem0 not mounted: its holdfs format is not one "
                     r"this kernel reads"),
             reject=(r"mounted at /",)),
]

# ------------------------------------------------- mkfs on the target ----

MKFS_TOKEN = "mkfs-%08x" % random.getrandbits(32)
MKFS_LABEL = "fresh-%04x" % random.getrandbits(16)


def mkfs_host_agrees(images):
    """After the kernel's mkfs: the host's fsck finds both regions clean,
    and reads back the file the kernel wrote on the new root."""
    for img in images:
        fsck = _tool("fsck.holdfs", "-n", img)
        if fsck.returncode != 0:
            return f"fsck.holdfs -n {img} exited {fsck.returncode}: " \
                   f"{fsck.stdout.decode()[-300:]}"
    got = _tool("holdfs", images[0], "cat", "/hello.txt")
    if got.returncode or got.stdout != (MKFS_TOKEN + "\n").encode():
        return f"holdfs cat /hello.txt gave {got.stdout[:80]!r} (exit {got.returncode})"
    old = _tool("holdfs", images[0], "cat", "/old.txt")
    if old.returncode == 0:
        return "/old.txt survived mkfs -f"
    return None


BOOTS += [
    # A blank NVDIMM: the boot names the one command that formats it; the
    # shell's mkfs (hfs_mkfs, as mkfs.holdfs) formats and mounts it; the
    # refusals change nothing; fsck takes a region; the host agrees.
    sequence("mkfs-on-target", (
        scenario("format", machine="q35", kernel="holdfast.elf",
                 pmem=("16M", "16M"),
                 stdin=("ls /\nmkfs\nmkfs pmem7\nmkfs -i 3 pmem0\nmkfs -q pmem0\n"
                        "mkfs pmem0 pmem1\nprogress on\n"
                        f"mkfs -L {MKFS_LABEL} pmem0\nprogress off\nls /\n"
                        "write /old.txt kept\nmkfs pmem0\ncat /old.txt\n"
                        "pmem write 1 0 not-holdfs\nmkfs pmem1\nmkfs pmem1\nprogress on\nfsck pmem1\nprogress off\n"
                        "fsck\nfsck pmem0\nfsck -y pmem0\nfsck -n 0\nfsck pmem7\n"
                        "fsck -x\ncat /old.txt\n"
                        "mkfs -f -L second pmem0\ncat /old.txt\n"
                        f"write /hello.txt {MKFS_TOKEN}\nfsck\ndf\npoweroff\n"),
                 status=STATUS_POWEROFF,
                 expect=(r"^vfs: pmem0 not mounted: it holds no usable holdfs; "
                         r"format it here with: mkfs pmem0 ",
                         r"^holdfast> ls /\nls: no filesystem mounted \(pmem0 is "
                         r"missing or not holdfs; format it with: mkfs pmem0\)$",
                         r"^mkfs: which device\? \(ls /dev lists them\)$",
                         r"^mkfs: no device 'pmem7' \(ls /dev lists them\)$",
                         r"^mkfs: -i 3: at least 16 inodes$",
                         r"^mkfs: unknown option '-q'",
                         r"^mkfs: one device only, not 'pmem1' too$",
                         r"^mkfs: 100% (\d+)/\1 metadata blocks$",
                         r"^mkfs: pmem0: holdfs, 16 MiB, \d+ data blocks of 4096 "
                         r"bytes, \d+ inodes; mounted at /$",
                         r"lost\+found",
                         # the root, /lost+found, /dev (made at mount) and /old.txt
                         r"^mkfs: pmem0 holds a holdfs \(label '%s', 4 of \d+ inodes "
                         r"in use, .* used\), mounted at /: not erased; `mkfs -f "
                         r"pmem0` unmounts it and erases every file on it\n"
                         r"holdfast> cat /old.txt\nkept$" % MKFS_LABEL,
                         r"^holdfast> mkfs pmem1\nholdfs: not a holdfs filesystem "
                         r"(.*\n)*?"
                         r"mkfs: pmem1: holdfs, 16 MiB; not mounted \(mount /dev/pmem1 "
                         r"DIR mounts it\)\nholdfast> mkfs pmem1\n"
                         r"mkfs: pmem1 holds a holdfs \(no label, 2 of \d+ inodes "
                         r"in use, .*\)\nmkfs: not erased: `mkfs -f pmem1` erases it$",
                         r"^holdfast> fsck pmem1\n(.*\n)*?fsck: 100% (\d+)/\2 "
                         r"inodes\n(.*\n)*?fsck: clean$",
                         r"^holdfast> fsck\n(.*\n)*?fsck: clean\n"
                         r"(.*\n)*?holdfast> fsck pmem0\n(.*\n)*?fsck: clean\n"
                         r"(.*\n)*?holdfast> fsck -y pmem0\n(.*\n)*?fsck: clean\n"
                         r"(.*\n)*?holdfast> fsck -n 0\n(.*\n)*?fsck: clean\n",
                         r"^fsck: no device 'pmem7' \(ls /dev lists them\)$",
                         r"^fsck: takes -n \(check only, the default\) or -y "
                         r"\(repair\), not '-x'$",
                         r"^holdfast> cat /old.txt\nkept\n(.|\n)*"
                         r"^mkfs: pmem0: holdfs, 16 MiB, .*; mounted at /\n"
                         r"holdfast> cat /old.txt\ncat: /old.txt: ")),
        mkfs_host_agrees,
    )),
]

# ------------------------------------------------------------ mounts ----
# Two NVDIMMs: the second formatted in the kernel, mounted on /mnt/pmem1,
# a file written on each; the refusals at the shell; after a reboot the
# second is mounted by hand again and both files read back.
BOOTS += [
    scenario("mount-second-nvdimm", machine="q35", kernel="holdfast.elf",
             pmem=("16M", "16M"), pmem_format=False, reboots=1,
             stdin=("mkfs pmem0\nmkdir /mnt\nmkdir /mnt/pmem1\n"
                    "mount /dev/pmem1 /mnt/pmem1\nmkfs /dev/pmem1\n"
                    "mount /dev/pmem1 /mnt/pmem1\nwrite /mnt/pmem1/two.txt on-pmem1\n"
                    "write /one.txt on-pmem0\ndma cp /one.txt /mnt/pmem1/dma.txt\n"
                    "cat /mnt/pmem1/dma.txt\ndma cp /one.txt /dev/pmem1\n"
                    "chown 1000:2000 /one.txt\nchmod 4750 /one.txt\n"
                    "touch -d 2001-09-09T01:46:40.5 /one.txt\n"
                    "cp -p /one.txt /mnt/pmem1/kept.txt\ncp -x /one.txt /k\n"
                    "mount\nls -l /dev\n"
                    "mount /dev/pmem9 /mnt\nmount /dev/pmem1 /mnt\nmount /dev/pmem0 /mnt\n"
                    "mount /dev/pmem0\nmkfs -f pmem1\nfsck /dev/pmem1\n"
                    "umount /mnt\numount /\nrmdir /mnt/pmem1\nmv /mnt/pmem1/two.txt /two\n"
                    "umount /mnt/pmem1\nfsck /dev/pmem1\nreboot\n"
                    "ls /mnt/pmem1\nmount /dev/pmem1 /mnt/pmem1\ncat /mnt/pmem1/two.txt\n"
                    "cat /one.txt\nls /mnt/pmem1/..\nstat /mnt/pmem1/kept.txt\npoweroff\n"),
             status=STATUS_POWEROFF,
             expect=(r"^mount: /dev/pmem1 on /mnt/pmem1: not holdfs: it is blank "
                     r"\(its first 4 KiB are zeros\)$",
                     r"^mkfs: pmem1: holdfs, 16 MiB; not mounted \(mount /dev/pmem1 DIR",
                     r"^holdfast> mount\n/dev/pmem0 / holdfs rw\ndevfs /dev devfs rw\n"
                     r"/dev/pmem1 /mnt/pmem1 holdfs rw\n",
                     r"^holdfast> cat /mnt/pmem1/dma\.txt\non-pmem0$",
                     r"^dma cp: /one\.txt -> /dev/pmem1: Read-only file system$",
                     r"^cp: the only option is -p \(keep mode, owner and times\)",
                     r"^  file: /mnt/pmem1/kept\.txt\n  inode: \d+  type: file  mode: 4750  "
                     r"links: 1\n  uid: 1000  gid: 2000\n  size: 9  blocks: \d+ \(4 KiB\)\n"
                     r"  access: 2001-09-09 01:46:40\.500000000 \+0000\n"
                     r"  modify: 2001-09-09 01:46:40\.500000000 \+0000\n",
                     r"^b0600 +1 +0 +0 +16777216 +0  .*  pmem0\nb0600 +1 +0 +0 +16777216 +0  .*  pmem1$",
                     r"^mount: /dev/pmem9 on /mnt: no such device \(ls /dev lists them\)$",
                     r"^mount: /dev/pmem1 on /mnt: pmem1 is already mounted, at /mnt/pmem1$",
                     r"^mount: /dev/pmem0 on /mnt: pmem0 is already mounted, at /$",
                     r"^mount: needs a device and a directory",
                     r"^mkfs: pmem1 is mounted at /mnt/pmem1: not erased; umount "
                     r"/mnt/pmem1 first$",
                     r"^fsck: pmem1 is mounted at /mnt/pmem1: not checked; umount "
                     r"/mnt/pmem1 first$",
                     r"^umount: /mnt: not a mount point$",
                     r"^umount: /: it is the root",
                     r"^rmdir: /mnt/pmem1: Device or resource busy$",
                     r"^mv: /mnt/pmem1/two.txt: Cross-device link$",
                     r"^holdfast> umount /mnt/pmem1\nholdfast> fsck /dev/pmem1\n"
                     r"(.*\n)*?fsck: clean$",
                     r"^rebooting\n(.|\n)*^Holdfast \S+ booting(.|\n)*"
                     r"^holdfast> ls /mnt/pmem1\n\./\n\.\./\nholdfast> mount /dev/pmem1 /mnt/pmem1\n"
                     r"holdfast> cat /mnt/pmem1/two.txt\non-pmem1\n"
                     r"holdfast> cat /one.txt\non-pmem0\n"
                     r"holdfast> ls /mnt/pmem1/..\n(.*\n)*?pmem1/$"),
             reject=(r"^two.txt$",)),
    # root= picks the root device; a bad one mounts nothing and says so.
    scenario("root-cmdline-pmem1", machine="q35", kernel="holdfast.elf",
             append="root=/dev/pmem1", pmem=("16M", "16M"), pmem_format=True,
             stdin="mount\nwrite /on-root x\numount /mnt\npoweroff\n",
             status=STATUS_POWEROFF,
             expect=(r"^vfs: holdfs on pmem1 mounted at /$",
                     r"^holdfast> mount\n/dev/pmem1 / holdfs rw\ndevfs /dev devfs rw\n")),
    scenario("root-cmdline-bad", machine="q35", kernel="holdfast.elf",
             append="root=pmem7", pmem=("16M",), pmem_format=True,
             stdin="ls /\nmount\npoweroff\n",
             status=STATUS_POWEROFF,
             expect=(r"^vfs: root=pmem7: no such block device \(devices: pmem0\); "
                     r"no root filesystem mounted$",
                     r"^holdfast> ls /\nls: no filesystem mounted"),
             reject=(r"^vfs: holdfs on pmem0 mounted",)),
]

# ------------------------------------------------------------ the demo ----

# `pattern` writes TEXT and a newline, repeated, cut at SIZE.
PATTERN_TEXT = "abc-%04x" % random.getrandbits(16)
PATTERN_BYTES = ((PATTERN_TEXT + "\n").encode() * 1000)[:1000]

BOOTS += [
    # The unsafe demo switch: off at boot and saying so, loud when turned
    # on, refusing anything but on/off; and `pattern`, which the demo
    # writes its files with, including its refusals.
    scenario("shell-unsafe-demo-pattern", machine="q35",
             kernel="holdfast.elf", pmem=("16M",), pmem_format=True,
             stdin=("unsafe-demo\nunsafe-demo maybe\nunsafe-demo on off\n"
                    "unsafe-demo on\nunsafe-demo\nunsafe-demo off\n"
                    f"pattern /p 1000 {PATTERN_TEXT}\ncrc32 /p\n"
                    "pattern /p 10\npattern /p 1x0 abc\npattern /p 100 ''\n"
                    "poweroff\n"),
             status=STATUS_POWEROFF,
             expect=(r"^unsafe-demo: off \(the default\): layout changes wait "
                     r"for DMA(.|\n)*unsafe-demo: expected on or off, not "
                     r"'maybe'",
                     r"^unsafe-demo: takes at most one argument",
                     r"WARNING: UNSAFE DEMO MODE\.(.|\n)*"
                     r"^unsafe-demo: ON: the protection is OFF(.|\n)*"
                     r"^unsafe-demo: ON: (.|\n)*"
                     r"^unsafe-demo: off \(the default\)",
                     r"^%08x 1000 /p$" % zlib.crc32(PATTERN_BYTES),
                     r"^pattern: needs a path, a size and the text",
                     r"size: '1x0' is not a size",
                     r"^pattern: the text is empty"),
             reject=(r"^unsafe-demo: ON(.|\n)*unsafe-demo: ON(.|\n)*"
                     r"unsafe-demo: ON",)),
]


def demo_story(images):
    """`make demo`'s driver (scripts/demo.py), which boots its own QEMU on
    a scratch image in build/test/demo/: protected, the truncate waits for
    the DMA channel and the new file is intact; unprotected, the new file
    is corrupted; the unsafe switch is off by default."""
    import demo     # scripts/demo.py (run.py puts scripts/ on the path)
    build = os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), "build")
    result = demo.run_demo(build, "tcg", narrator=demo.Narrator(quiet=True),
                           out_dir=os.path.join(build, "test", "demo"))
    return "; ".join(demo.judge(result)) or None


BOOTS += [
    # A sequence of one host check: the demo's driver is the test.
    sequence("demo", (demo_story,)),
]

# ------------------------------------------------------------ network ----

def _nbd_check(check_name, **machine):
    """A host check from tests/nbd_net.py: it boots its own QEMU with
    virtio-net (user net, restrict=on, a free port forwarded to NBD);
    @machine: name=, smp=, kernel=, machine= for that QEMU."""
    def check(images):
        import nbd_net  # tests/nbd_net.py
        return getattr(nbd_net, check_name)(images, **machine)
    check.__name__ = check_name
    return check


BOOTS += [
    # Without a network card: net and nbd say so, exports are still kept,
    # and bad nbd arguments are refused with the reason.
    scenario("net-no-card", machine="q35", kernel="holdfast.elf",
             pmem=("16M",), pmem_format=True,
             stdin=("net\nwrite /x hello\nnbd export /x\nnbd list\n"
                    "nbd export /x x\nnbd export /nope\nnbd export /x 'a b'\n"
                    "nbd unexport nope\nnbd frob\nnbd zerocopy maybe\n"
                    "nbd unexport x\nnbd list\npoweroff\n"),
             status=STATUS_POWEROFF,
             expect=(r"^net: no network device \(QEMU: -device virtio-net-pci\)$",
                     r"^nbd: exported, but no server listens \(no network device\)$",
                     r"^x +/x +6 bytes +rw +0 clients$",
                     r"^nbd: export 'x' exists$",
                     r"^nbd: /nope: No such file or directory$",
                     r"^nbd: bad export name 'a b'",
                     r"^nbd: no export named 'nope'$",
                     r"^nbd: export PATH \[NAME\] \[ro\] \| list \| unexport NAME",
                     r"holdfast> nbd zerocopy maybe\nnbd: zerocopy \[on\|off\]$",
                     r"holdfast> nbd unexport x\nholdfast> nbd list\nholdfast> poweroff"),
             reject=(r"^net: eth0", r"^nbd: listening")),
    # The DHCP lease on the console, and the host reaching the forwarded port.
    sequence("net-dhcp-lease", (_nbd_check("net_dhcp_lease"),)),
    # nbdinfo, nbdcopy out and in (cmp), qemu-io at odd offsets, discard and
    # write-zeroes; the file read by the host tool after poweroff.
    sequence("nbd-clients", (_nbd_check("nbd_clients"),)),
    # Every bad input of issue 20 from raw sockets, 64 clients at once.
    sequence("nbd-bad-input", (_nbd_check("nbd_bad_input"),)),
    # READ replies go out from pinned pmem pages: a truncate waits until
    # the client has the data, and the client gets the data from before.
    sequence("nbd-zero-copy-pins", (_nbd_check("nbd_zero_copy_pins"),)),
    # WRITE payloads go from the lent receive buffers into pmem (one copy):
    # the data and the counters; with `net rxloan 0` frames are copied.
    sequence("nbd-write-one-copy", (_nbd_check("nbd_write_one_copy"),)),
    # TRIM (a punch-hole) of pages a DMA copy has pinned waits for the copy.
    sequence("nbd-trim-waits-for-dma", (_nbd_check("nbd_trim_waits_for_dma"),)),
    # The debug kernel (lock rules asserted) on two CPUs, and the pc machine.
    sequence("nbd-bad-input-debug-smp2", (_nbd_check(
        "nbd_bad_input", name="nbd-bad-input-debug-smp2",
        kernel="debug/holdfast.elf", smp=2),)),
    sequence("nbd-write-one-copy-debug-smp2", (_nbd_check(
        "nbd_write_one_copy", name="nbd-write-one-copy-debug-smp2",
        kernel="debug/holdfast.elf", smp=2),)),
    sequence("nbd-clients-pc-smp2", (_nbd_check(
        "nbd_clients", name="nbd-clients-pc-smp2", machine="pc", smp=2,
        size=16 << 20),)),
]

# ------------------------------------------------------- nothing lost ----

SAME_TEXT = "same-%08x" % random.getrandbits(32)
SAME_CRC = zlib.crc32((SAME_TEXT + "\n").encode())

BOOTS += [
    # cp, mv and dma cp onto the same file (by path, hard link or symlink)
    # refuse and change nothing; cp of a directory names the source and
    # leaves no destination behind.
    scenario("shell-cp-same-file", machine="q35", kernel="holdfast.elf",
             pmem=("16M",), pmem_format=True,
             stdin=(f"write /x {SAME_TEXT}\nln /x /y\nln -s /x /s\n"
                    "cp /x /x\ncp /x /y\ncp /s /x\nmv /x /y\ndma cp /x /y\n"
                    "cp / /z\nls /z\ncrc32 /x\ncrc32 /y\npoweroff\n"),
             status=STATUS_POWEROFF,
             expect=(r"^cp: /x and /x are the same file$",
                     r"^cp: /x and /y are the same file$",
                     r"^cp: /s and /x are the same file$",
                     r"^mv: /x and /y are the same file$",
                     r"^dma cp: /x and /y are the same file$",
                     r"^cp: /: Is a directory$",
                     r"^ls: /z: No such file or directory$",
                     r"^%08x %d /x$" % (SAME_CRC, len(SAME_TEXT) + 1),
                     r"^%08x %d /y$" % (SAME_CRC, len(SAME_TEXT) + 1)),
             reject=(r"^copied ",)),
]

# The file fsck must save: its directory entry is damaged on the host.
LOST_TEXT = ("lost-%08x\n" % random.getrandbits(32)).encode() * 300
SB_ITABLE_START = 8 + 4 + 4 + 12 + 4 + 8 * 8    # struct hfs_dsuper
DIRENT_SLOT = 32                                 # FORMAT.md, Directories
DIRENT_NAME = 20                                 # the entry header's size


def _find_entry(img, dir_ino, name):
    """Device offset of the entry @name in directory @dir_ino (depth-0
    extent root only: small test directories), or None."""
    import struct
    itable = struct.unpack_from("<Q", img, SB_ITABLE_START)[0]
    dino = itable * 4096 + dir_ino * 256
    size = struct.unpack_from("<Q", img, dino)[0]
    nroot = struct.unpack_from("<H", img, dino + 90)[0]
    for e in range(nroot):
        lblk, length, pblk = struct.unpack_from("<IIQ", img, dino + 128 + 16 * e)
        for k in range(length):
            if (lblk + k) * 4096 >= size:
                break
            blk = (pblk + k) * 4096
            for s in range(1, 128):
                off = blk + s * DIRENT_SLOT
                n = img[off + 16]
                if struct.unpack_from("<Q", img, off)[0] and \
                        img[off + DIRENT_NAME:off + DIRENT_NAME + n] == name:
                    return off
    return None


def damage_an_entry(images):
    """Put /keep/lost.txt with the host tool, then flip two bytes of its
    name in /keep: the file's inode and data stay intact."""
    path = os.path.join("build", "test", "lost.txt")
    with open(path, "wb") as f:
        f.write(LOST_TEXT)
    for args in (("mkdir", "/keep"), ("put", path, "/keep/lost.txt")):
        r = _tool("holdfs", images[0], *args)
        if r.returncode:
            return f"holdfs {' '.join(args)}: {r.stderr.decode()[-200:]}"
    with open(images[0], "r+b") as f:
        img = bytearray(f.read())
        root_entry = _find_entry(img, 1, b"keep")
        if root_entry is None:
            return "no /keep entry in the root directory"
        keep = int.from_bytes(img[root_entry:root_entry + 8], "little")
        off = _find_entry(img, keep, b"lost.txt")
        if off is None:
            return "no lost.txt entry in /keep"
        img[off + DIRENT_NAME] ^= 0x21
        img[off + DIRENT_NAME + 1] ^= 0x40
        f.seek(off + DIRENT_NAME)
        f.write(img[off + DIRENT_NAME:off + DIRENT_NAME + 2])
    return None


def fsck_saved_it(images):
    r = _tool("fsck.holdfs", "-n", images[0])
    if r.returncode != 0:
        return f"fsck.holdfs -n after the kernel's fsck -y exited {r.returncode}"
    return None


BOOTS += [
    # The kernel's fsck (the same code as fsck.holdfs) reconnects a file
    # whose directory entry is damaged under /lost+found, with its bytes.
    sequence("fsck-reconnects", (
        scenario("kernel", machine="q35", kernel="holdfast.elf",
                 pmem=("16M",), pmem_format=True, prepare=damage_an_entry,
                 stdin=("fsck\nfsck -y\nfsck\nls /lost+found\nls /keep\n"
                        "crc32 /lost+found/#4\npoweroff\n"),
                 status=STATUS_POWEROFF,
                 expect=(r"^/keep: directory block 0: 1 slot holds no valid entry \(bad entry "
                         r"checksum\); clearing it$",
                         r"inode 4 \(file, %d bytes\) is in no directory; "
                         r"reconnecting it as /lost\+found/#4" % len(LOST_TEXT),
                         r"^fsck: errors remain$(.|\n)*^fsck: errors repaired$"
                         r"(.|\n)*^fsck: clean$",
                         r"^%08x %d /lost\+found/#4$" % (zlib.crc32(LOST_TEXT),
                                                         len(LOST_TEXT)))),
        fsck_saved_it,
    )),
]

# ------------------------------------------------------------ the console ----

# `printf ... | make run` with more input than the kernel buffers: the
# receive path stops draining the UART while its ring is full, so QEMU
# keeps the rest in the pipe and nothing is dropped or merged.  Each
# command names a path of its own, so a lost, merged or repeated line shows.
CONSOLE_BURST_COMMANDS = 3000
CONSOLE_BURST_RE = re.compile(r"^stat: /burst-(\d+): No such file or directory$",
                              re.MULTILINE)


def console_burst_input(count=CONSOLE_BURST_COMMANDS):
    return "".join(f"stat /burst-{i:04d}\n" for i in range(count)) + "poweroff\n"


def every_burst_command_ran_once_in_order(text, count=CONSOLE_BURST_COMMANDS):
    """Each of the piped commands answered exactly once, in order: a line
    lost, cut or merged into its neighbour would be missing (or turn into
    a usage error), a repeated one would show twice."""
    got = [int(n) for n in CONSOLE_BURST_RE.findall(text)]
    if got == list(range(count)):
        return None
    ran = set(got)
    missing = [i for i in range(count) if i not in ran]
    for pos, n in enumerate(got):
        if n != pos:
            break
    else:
        pos = len(got)
    first = f"; the first difference at answer {pos}: expected /burst-{pos:04d}, " + \
        (f"got /burst-{got[pos]:04d}" if pos < len(got) else "got nothing")
    return (f"{len(got)} answers for {count} commands; never answered: "
            f"{len(missing)} (the first: {missing[:5]}); answered twice: "
            f"{len(got) - len(ran)}{first}")


BOOTS += [
    scenario("console-burst-lossless", machine="q35", kernel="holdfast.elf",
             pmem=("16M",), pmem_format=True, feed="all",
             stdin=console_burst_input(), status=STATUS_POWEROFF,
             check=every_burst_command_ran_once_in_order,
             reject=(r"unknown command", r"^usage:", r"line too long"),
             timeout=240),
]

# Ctrl-C (the byte 0x03 on the serial line) interrupts the shell's command
# where it waits: a truncate held by DMA pins gives up with EINTR and leaves
# the file as it was, while the background copies (threads of their own)
# go on and finish correctly; then a foreground sleep and a foreground
# dma cp are interrupted too, and the shell goes on.
CTRL_C_TEXT = "ctrl-c-%08x" % random.getrandbits(32)
CTRL_C_BYTES = 16384            # 4 pages: ~1.6 s of edu time per copy
CTRL_C_COPIES = 6               # the last one waits ~8 s behind the others
CTRL_C_LAST = f"/c{CTRL_C_COPIES}"
CTRL_C_BIG2 = 65536 + 4096      # one page more than a chunk (16 pages)
CTRL_C_FG_JOB = CTRL_C_COPIES + 1


def _pattern_bytes(size, text=CTRL_C_TEXT):
    unit = (text + "\n").encode()
    return (unit * (size // len(unit) + 1))[:size]


CTRL_C_CRC_RE = re.compile(r"^([0-9a-f]{8}) (\d+) /(big|c\d+)$", re.MULTILINE)
CTRL_C_NAMES = ["big"] + [f"c{i}" for i in range(1, CTRL_C_COPIES + 1)]


def ctrl_c_copies_intact(text):
    """Every background copy finished, and each is byte for byte the
    source: the interrupted truncate changed nothing under them."""
    # (a job's line may follow a prompt: it is printed when the job ends)
    copied = {int(n) for n in re.findall(
        r"\bdma job (\d+): copied %d bytes /big -> /c\1 " % CTRL_C_BYTES, text)}
    if copied != set(range(1, CTRL_C_COPIES + 1)):
        return f"background jobs that copied all {CTRL_C_BYTES} bytes: " \
               f"{sorted(copied)}, expected 1-{CTRL_C_COPIES}"
    want = ("%08x" % zlib.crc32(_pattern_bytes(CTRL_C_BYTES)), CTRL_C_BYTES)
    crcs = {name: (crc, int(size)) for crc, size, name in CTRL_C_CRC_RE.findall(text)}
    for name in CTRL_C_NAMES:
        if crcs.get(name) != want:
            return f"crc32 /{name} gave {crcs.get(name)}, expected {want}"
    return None


BOOTS += [
    scenario("console-ctrl-c", machine="q35", kernel="holdfast.elf",
             pmem=("64M",), pmem_format=True, smp=2,
             stdin=(f"pattern /big {CTRL_C_BYTES} {CTRL_C_TEXT}\n"
                    f"pattern /big2 {CTRL_C_BIG2} {CTRL_C_TEXT}\n"
                    + "".join(f"dma cp /big /c{i} &\n"
                              for i in range(1, CTRL_C_COPIES + 1))
                    + f"truncate {CTRL_C_LAST} 0\n"),
             then=(
                 # the truncate waits for the copy into the last file
                 # (behind the others on the one engine): interrupt it
                 (r"dax: layout change of inode \d+ waits \d+ ms", "\x03"),
                 (r"^truncate: %s: Interrupted system call$" % CTRL_C_LAST,
                  f"stat {CTRL_C_LAST}\nsleep 60000\n"),
                 (r"^holdfast> sleep 60000$", "\x03"),
                 (r"^sleep: Interrupted system call$", "dma jobs\n"),
                 (r"\bdma job %d: copied" % CTRL_C_COPIES,
                  "".join(f"crc32 /{n}\n" for n in CTRL_C_NAMES)
                  + "dma cp /big2 /fg\n"),
                 # a foreground copy stops after its chunk in flight
                 (r"^holdfast> dma cp /big2 /fg$", "\x03"),
                 (r"\bdma job %d: " % CTRL_C_FG_JOB,
                  f"stat {CTRL_C_LAST}\ndma jobs\npoweroff\n"),
             ),
             status=STATUS_POWEROFF,
             check=ctrl_c_copies_intact,
             expect=(r"\[%d\] dma cp /big %s running in the background"
                     % (CTRL_C_COPIES, CTRL_C_LAST),
                     # the Ctrl-C the shell reads after the interrupted
                     # command goes silently: no "^C", no empty prompt
                     r"^truncate: %s: Interrupted system call\nholdfast> stat %s$"
                     % (CTRL_C_LAST, CTRL_C_LAST),
                     r"^  file: %s\n(?:.*\n){1,3}  size: %d " % (CTRL_C_LAST, CTRL_C_BYTES),
                     r"\bdma job %d: failed after 65536 bytes /big2 -> /fg in \d+ ms: "
                     r"Interrupted system call$" % CTRL_C_FG_JOB,
                     r"^\s+%d\s+failed\s+65536/%d\s" % (CTRL_C_FG_JOB, CTRL_C_BIG2)),
             reject=(r"^truncated /c", r"dma job \d+: failed after \d+ bytes /big -> "),
             timeout=180),
]


# ------------------------------------------------------------ user space ----
# Programs from user/ (build/user/, musl-gcc -static) are put into /bin on
# the image before the boot, as `make run` does (scripts/install_user.py).

USER_BUILD = os.path.join("build", "user")


def _install_user(images, extra=()):
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "install_user", os.path.join("scripts", "install_user.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    progs = sorted(os.path.join(USER_BUILD, p) for p in os.listdir(USER_BUILD))
    return mod.install("build", images[0], progs + list(extra))


def user_programs(images):
    if not os.path.isdir(USER_BUILD):
        return "build/user is missing: make user"
    return _install_user(images)


def usertests_ktap(text):
    """Every usertests case passed, as many as the plan says."""
    plan = re.search(r"^1\.\.(\d+)$", text, re.M)
    if not plan:
        return "no KTAP plan from /bin/usertests"
    oks = re.findall(r"^ok \d+ (\S+)$", text, re.M)
    bad = re.findall(r"^not ok \d+ (\S+)$", text, re.M)
    if bad:
        return "usertests failed: " + ", ".join(bad)
    if len(oks) != int(plan.group(1)):
        return f"usertests: {len(oks)} of {plan.group(1)} cases reported"
    return None


def no_leak(text):
    """The two `mem` reports after the warm-up and the second round agree:
    free frames plus heap slab frames, heap objects, user memory."""
    mems = re.findall(r"physical memory: \d+ KiB total, (\d+) KiB free.*\n"
                      r"kernel heap: (\d+) objects, (\d+) KiB in size classes\n"
                      r"user memory: (\d+) KiB in (\d+) processes, (\d+) KiB of page tables",
                      text)
    if len(mems) != 2:
        return f"expected two mem reports, got {len(mems)}"
    (f1, o1, s1, u1, p1, t1), (f2, o2, s2, u2, p2, t2) = [tuple(map(int, m)) for m in mems]
    if f1 + s1 != f2 + s2:
        return f"frames leaked: {f1 + s1 - f2 - s2} KiB (free+slab {f1 + s1} -> {f2 + s2})"
    if o1 != o2:
        return f"heap objects leaked: {o1} -> {o2}"
    if u2 or p2 or t1 != t2:
        return f"user memory left: {u2} KiB in {p2} processes, page tables {t1} -> {t2} KiB"
    return None


HOST_C = r'''
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <sys/stat.h>
int main(int argc, char **argv)
{
	struct stat sb;
	unsigned long h = 5381;
	char buf[64];
	int p[2], st, fd;
	for (int i = 0; i < argc; i++)
		printf("arg %d: %s\n", i, argv[i]);
	for (int i = 0; i < 100000; i++)
		h = h * 33 + (unsigned)i;
	printf("hash %lu, %.3f\n", h, 2.0 / 3.0);
	pipe(p);
	if (fork() == 0) {
		write(p[1], "child says hi", 13);
		_exit(7);
	}
	wait(&st);
	buf[read(p[0], buf, sizeof(buf))] = 0;
	printf("%s, exit %d\n", buf, WEXITSTATUS(st));
	umask(022);
	fd = open("/tmp-compare.txt", O_CREAT | O_RDWR | O_TRUNC, 0666);
	write(fd, "0123456789", 10);
	fstat(fd, &sb);
	printf("mode %o, size %ld, umask %o\n", (unsigned)sb.st_mode, (long)sb.st_size, (unsigned)umask(077));
	printf("lseek %ld, unlink %d\n", (long)lseek(fd, -4, SEEK_END), unlink("/tmp-compare.txt"));
	return 0;
}
'''
HOST_BIN = os.path.join("build", "test", "hostcmp")
HOST_EXPECTED = {}


def build_host_program(images):
    """Write a C file now, build it with musl-gcc -static, run it on the
    host (Linux) for the expected output, and put it on the image."""
    os.makedirs(os.path.dirname(HOST_BIN), exist_ok=True)
    src = HOST_BIN + ".c"
    with open(src, "w") as f:
        f.write(HOST_C)
    r = subprocess.run(["musl-gcc", "-static", "-O2", "-o", HOST_BIN, src],
                       capture_output=True, text=True)
    if r.returncode:
        return "musl-gcc failed: " + r.stderr[-300:]
    r = subprocess.run([os.path.abspath(HOST_BIN), "x", "y z"], capture_output=True, text=True, timeout=30,
                       cwd="/tmp")
    if r.returncode:
        return f"{HOST_BIN} exits {r.returncode} on the host"
    HOST_EXPECTED["out"] = r.stdout.replace("/tmp-compare.txt", "")
    return _install_user(images, [HOST_BIN])


def host_output_matches(text):
    want = HOST_EXPECTED.get("out")
    if want is None:
        return "the host run did not happen"
    got = text.split('holdfast> /bin/hostcmp x "y z"\n', 1)
    if len(got) != 2:
        return "the program's command line is not in the output"
    got = got[1].split("holdfast> ", 1)[0].replace("/bin/hostcmp", os.path.abspath(HOST_BIN))
    if got != want:
        return f"output differs from Linux's:\n--- Linux\n{want}--- Holdfast\n{got}"
    return None


def bad_elfs(images):
    """A truncated ELF and one for another machine, beside the programs."""
    hello = os.path.join(USER_BUILD, "hello")
    if not os.path.exists(hello):
        return "build/user/hello is missing: make user"
    data = open(hello, "rb").read()
    os.makedirs(os.path.join("build", "test"), exist_ok=True)
    trunc = os.path.join("build", "test", "truncated")
    with open(trunc, "wb") as f:
        f.write(data[:100])
    arm = os.path.join("build", "test", "wrongmachine")
    with open(arm, "wb") as f:
        f.write(data[:18] + (183).to_bytes(2, "little") + data[20:])   # EM_AARCH64
    noexec = os.path.join("build", "test", "noexec")
    with open(noexec, "wb") as f:
        f.write(data)
    os.chmod(trunc, 0o755)
    os.chmod(arm, 0o755)
    os.chmod(noexec, 0o644)
    return _install_user(images, [trunc, arm, noexec])


BOOTS += [
    scenario("user-usertests", machine="q35", kernel="holdfast.elf",
             pmem=("64M",), pmem_format=True, prepare=user_programs, timeout=300,
             stdin="/bin/usertests\npoweroff\n", status=STATUS_POWEROFF,
             expect=(r"^ok 1 fork_exec_wait$", r"# usertests: \d+ passed, 0 failed",
                     r"^\[pid \d+ /bin/usertests: unimplemented system call 999 \(\?\)\]$",
                     r"^\[pid \d+ /bin/usertests: unimplemented system call 163 \(acct\)\]$"),
             reject=(r"system call 163 \(acct\)\][\s\S]*system call 163 \(acct\)\]",),
             check=usertests_ktap),
    scenario("user-usertests-smp2", machine="q35", kernel="holdfast.elf", smp=2,
             pmem=("64M",), pmem_format=True, prepare=user_programs, timeout=300,
             stdin="/bin/usertests\npoweroff\n", status=STATUS_POWEROFF,
             expect=(r"# usertests: \d+ passed, 0 failed",), check=usertests_ktap),
    # The debug kernel: every "caller holds" on the process paths asserted.
    scenario("user-usertests-debug", machine="q35", kernel="debug/holdfast.elf", smp=2,
             pmem=("64M",), pmem_format=True, prepare=user_programs, timeout=400,
             stdin="/bin/usertests\npoweroff\n", status=STATUS_POWEROFF,
             expect=(r"# usertests: \d+ passed, 0 failed",), check=usertests_ktap),
    scenario("user-segv", machine="q35", kernel="holdfast.elf",
             pmem=("16M",), pmem_format=True, prepare=user_programs,
             stdin="/bin/segv\n/bin/hello again\n/bin/exit3\npoweroff\n",
             status=STATUS_POWEROFF,
             expect=(r"^\[pid \d+ /bin/segv: SIGSEGV at 0x0, rip 0x40[0-9a-f]+\]$",
                     r"^hello from user space!\nargv\[1\] = again$",
                     r"^\[pid \d+ /bin/exit3: exit 3\]$")),
    scenario("user-host-compare", machine="q35", kernel="holdfast.elf",
             pmem=("16M",), pmem_format=True, prepare=build_host_program,
             stdin='/bin/hostcmp x "y z"\npoweroff\n', status=STATUS_POWEROFF,
             check=host_output_matches),
    scenario("user-no-leak", machine="q35", kernel="holdfast.elf",
             pmem=("64M",), pmem_format=True, prepare=user_programs, timeout=400,
             stdin=("/bin/usertests\n/bin/ls /bin\n/bin/segv\n/bin/cat /bin/nothing\n"
                    "mem\n/bin/usertests\n/bin/ls /bin\n/bin/segv\n/bin/cat /bin/nothing\n"
                    "mem\npoweroff\n"),
             status=STATUS_POWEROFF, check=no_leak),
    scenario("user-bad-elf", machine="q35", kernel="holdfast.elf",
             pmem=("16M",), pmem_format=True, prepare=bad_elfs,
             stdin="/bin/truncated\n/bin/wrongmachine\n/bin/noexec\n/bin/hello\npoweroff\n",
             status=STATUS_POWEROFF,
             expect=(r"^exec: /bin/truncated: .*truncated",
                     r"^/bin/truncated: Exec format error$",
                     r"^exec: /bin/wrongmachine: not an x86-64 program \(wrong machine\)$",
                     r"^/bin/wrongmachine: Exec format error$",
                     r"^/bin/noexec: Permission denied$",
                     r"^hello from user space!$")),
]

def no_process_left(text):
    """The last `ps` lists no process (the killed job is gone)."""
    tail = text.rsplit("PID  PPID STATE", 1)
    if len(tail) != 2:
        return "no ps output"
    rows = [l for l in tail[1].split("\n")[1:] if re.match(r"^\s+\d+\s+\d+ ", l)]
    return f"processes left after kill: {rows}" if rows else None


# Ctrl-C kills the foreground program (busy in user mode, or reading the
# console) and the prompt comes back; & runs one in the background, ps
# lists it, kill ends it and the kernel reports how.
BOOTS += [
    scenario("user-ctrl-c-jobs", machine="q35", kernel="holdfast.elf",
             pmem=("16M",), pmem_format=True, prepare=user_programs,
             stdin="/bin/spin busy\n",
             then=((r"spin: busy", "\x03"),
                   (r"SIGINT\]\n", "/bin/cat\n"),
                   (r"/bin/cat\n", "\x03"),
                   (r"holdfast> ", "/bin/spin sleep &\n"),
                   (r"spin: sleeping", "ps\n"),
                   (r"COMMAND", "kill 3\n"),
                   (r"SIGTERM\]", "ps\npoweroff\n")),
             status=STATUS_POWEROFF,
             expect=(r"^\[pid 1 /bin/spin: SIGINT\]$",
                     r"^\[pid 2 /bin/cat: SIGINT\]$",
                     r"^\[pid 3\] /bin/spin running in the background$",
                     r"^\s+3\s+0 (running|runnable|blocked)\s+\S+\s+\d+\s+0  /bin/spin$",
                     r"\[pid 3 /bin/spin: SIGTERM\]$"),
             check=no_process_left),
]

# /bin/ubench still runs (its figures are read by people: docs/performance.md).
BOOTS += [
    scenario("user-ubench-smoke", machine="q35", kernel="holdfast.elf",
             pmem=("16M",), pmem_format=True, prepare=user_programs,
             stdin="/bin/ubench 2000 5\npoweroff\n", status=STATUS_POWEROFF,
             expect=(r"^ubench syscall_getpid: \d+ ns per call$",
                     r"^ubench fork_exec_wait: \d+ per second")),
]


# ------------------------------------------------------------------ NVMe ----
# QEMU's nvme with images the runner fills with nvme_pattern(): copies
# between /dev/nvme0n1 and holdfs files (dma cp, zero copy) are checked by
# CRC against what the host wrote, and the image after poweroff against
# what the kernel wrote (nvme_host_sees_writes).

MIB = 1 << 20


def nvme_pattern(size, index=0):
    """The bytes of NVMe test image @index: random, the same every run."""
    return random.Random(0x4E564D45 + index).randbytes(size)


def _crc_line(data, path):
    return r"^%08x %d %s$" % (zlib.crc32(data), len(data), re.escape(path))


NVME_SIZE = 16 * MIB
NVME_P = nvme_pattern(NVME_SIZE)
# (device offset, file offset, length) of the file -> device copies below,
# from /all (a copy of the whole device): what the host must then read.
NVME_WRITES = ((8 * MIB, 0, MIB), (12 * MIB, 4096, 8192), (13 * MIB, 7680, 1536))
NVME_CP_B = (0, 512, 512)       # `cp /b /dev/nvme0n1`: /b is bytes 512..1023


def nvme_expected_image():
    img = bytearray(NVME_P)
    for dev, off, n in NVME_WRITES:
        img[dev:dev + n] = NVME_P[off:off + n]
    dev, off, n = NVME_CP_B
    img[dev:dev + n] = NVME_P[off:off + n]
    return bytes(img)


def nvme_host_sees_writes(images):
    path = images[0].replace(".pmem0.img", ".nvme0.img")
    with open(path, "rb") as f:
        got = f.read()
    want = nvme_expected_image()
    if len(got) != len(want):
        return f"{path} is {len(got)} bytes, not {len(want)}"
    if got != want:
        first = next(i for i in range(len(want)) if got[i] != want[i])
        return (f"{path} differs from what the kernel wrote first at byte "
                f"{first} ({got[first]:#04x}, expected {want[first]:#04x})")
    return None


NVME_READS = ((0, 4096, "/a"), (512, 512, "/b"), (MIB, 3 * MIB, "/c"),
              (4608, 70144, "/d"))

BOOTS += [
    sequence("nvme-integrity", (
        scenario("copies", machine="q35", kernel="holdfast.elf", smp=2,
                 pmem=("64M",), pmem_format=True, nvme=(("16M", None),),
                 stdin=("nvme\n"
                        + "".join(f"dma cp -d {d} -n {n} /dev/nvme0n1 {p}\ncrc32 {p}\n"
                                  for d, n, p in NVME_READS)
                        # the doorbells held 2 s: the window of 32
                        # commands is all on the queues when they ring
                        + "nvme fault hold 2000\ndma cp /dev/nvme0n1 /all\ncrc32 /all\n"
                        "crc32 /dev/nvme0n1\nnvme\n"
                        + "".join(f"dma cp -d {d} -f {o} -n {n} /all /dev/nvme0n1\n"
                                  for d, o, n in NVME_WRITES)
                        + "cp /b /dev/nvme0n1\n"
                        "dma cp -d 100 /all /dev/nvme0n1\n"
                        "dma cp -d 16M -n 512 /all /dev/nvme0n1\n"
                        "dma cp -d 16773120 -n 8192 /dev/nvme0n1 /e\n"
                        "stat /dev/nvme0n1\npins\npoweroff\n"),
                 status=STATUS_POWEROFF, timeout=300,
                 expect=(r"^nvme0: 0000:00:0\d\.0, NVMe 1\.\d+, \"QEMU NVMe Ctrl\" serial "
                         r"\"holdfast0\", 1 namespace\(s\), 2 I/O queue\(s\) of 64, MSI-X",
                         r"^  namespace 1: /dev/nvme0n1, 32768 blocks of 512 bytes",
                         *(_crc_line(NVME_P[d:d + n], p) for d, n, p in NVME_READS),
                         _crc_line(NVME_P, "/all"),
                         _crc_line(NVME_P, "/dev/nvme0n1"),
                         # queue depth above 1, counted by the driver
                         r"^  commands in flight 0 \(most 32\);",
                         r"device offset 100, file offset 0 and length \d+ must be whole "
                         r"512-byte blocks",
                         r"byte 16777216\+512 is past the end of the device \(16777216 bytes\)",
                         r"byte 16773120\+8192 is past the end of the device",
                         r"^  size: 16777216 "),
                 reject=(r"^dma-cp \((?:from|to) NVMe\)", r"failed after",
                         r"nvme0: .*(?:Error|Invalid|Out of Range)")),
        nvme_host_sees_writes,
    )),
    scenario("nvme-4k-pc", machine="pc", kernel="holdfast.elf",
             pmem=("32M",), pmem_format=True, nvme=(("8M", 4096),),
             stdin=("nvme\ndma cp -d 8K -n 8K /dev/nvme0n1 /a\ncrc32 /a\n"
                    "dma cp -d 512 -n 4K /dev/nvme0n1 /x\n"
                    "dma cp -d 1M /a /dev/nvme0n1\n"
                    "dma cp -d 1M -n 8K /dev/nvme0n1 /a2\ncrc32 /a2\n"
                    "hexdump /dev/nvme0n1 8192 16\npoweroff\n"),
             status=STATUS_POWEROFF, timeout=180,
             expect=(r"^  namespace 1: /dev/nvme0n1, 2048 blocks of 4096 bytes",
                     _crc_line(nvme_pattern(8 * MIB)[8192:16384], "/a"),
                     _crc_line(nvme_pattern(8 * MIB)[8192:16384], "/a2"),
                     r"must be whole 4096-byte blocks",
                     r"^00002000  %02x %02x" % tuple(nvme_pattern(8 * MIB)[8192:8194])),
             reject=(r"failed after",)),
    scenario("nvme-two-namespaces", machine="q35", kernel="holdfast.elf",
             pmem=("32M",), pmem_format=True, nvme=(("4M", None), ("8M", 4096)),
             stdin=("nvme\nls /dev\ncrc32 /dev/nvme0n1\ncrc32 /dev/nvme0n2\n"
                    "dma cp -n 64K /dev/nvme0n2 /two\ncrc32 /two\npoweroff\n"),
             status=STATUS_POWEROFF, timeout=180,
             expect=(r"2 namespace\(s\)",
                     r"^  namespace 1: /dev/nvme0n1, 8192 blocks of 512 bytes",
                     r"^  namespace 2: /dev/nvme0n2, 2048 blocks of 4096 bytes",
                     _crc_line(nvme_pattern(4 * MIB, 0), "/dev/nvme0n1"),
                     _crc_line(nvme_pattern(8 * MIB, 1), "/dev/nvme0n2"),
                     _crc_line(nvme_pattern(8 * MIB, 1)[:65536], "/two"))),
    scenario("nvme-none", machine="q35", kernel="holdfast.elf",
             pmem=("16M",), pmem_format=True,
             stdin="nvme\nls /dev\ndma cp /dev/nvme0n1 /x\npoweroff\n",
             status=STATUS_POWEROFF,
             expect=(r"^nvme: no NVMe controller \(QEMU: -device nvme",
                     r"^no NVMe controller \(make run attaches one",
                     r"dma cp: /dev/nvme0n1 -> /x: "),
             reject=(r"nvme0n1\n",)),
]

# The bring-up on fake registers: the states QEMU's nvme cannot be put in
# (never ready, gone, fatal, bad CAP), on the debug kernel.
BOOTS += [
    ktap("ktest-nvme", machine="q35", kernel="debug/holdfast.elf",
         append="test=nvme", pmem=("16M",)),
]

# The seed's race with a real device: the next command's doorbell is held
# 2 s (nvme fault hold), so its DMA into /t comes after the truncate.
# Protected, the truncate waits for it (and only it); unprotected, the
# freed blocks go to /victim and the late DMA overwrites them.
NVME_RACE = ("nvme fault hold 2000\n"
             "dma cp -n 64K /dev/nvme0n1 /t &\n"
             "truncate /t 0\n"
             "fallocate /victim 0 65536\ncrc32 /victim\n"
             "sleep 3000\ncrc32 /victim\npins\n")
ZERO_64K = bytes(65536)

BOOTS += [
    # The fail lease on both NVMe paths (a pin per command): device -> file
    # and file -> device, each command held 2 s on the device; truncate
    # fails at once saying why, the copies complete, the file keeps its size.
    scenario("nvme-lease-fail", machine="q35", kernel="holdfast.elf",
             pmem=("32M",), pmem_format=True, nvme=(("4M", None),),
             stdin=("nvme fault hold 2000\n"
                    "dma cp --lease=fail -n 64K /dev/nvme0n1 /t &\npins /t\ntruncate /t 0\n"
                    "sleep 3000\nstat /t\n"
                    "nvme fault hold 2000\n"
                    "dma cp --lease=fail -d 1M /t /dev/nvme0n1 &\ntruncate /t 4096\n"
                    "sleep 3000\nstat /t\ndma jobs\npoweroff\n"),
             status=STATUS_POWEROFF, timeout=180,
             expect=(r"\[1\] dma cp /dev/nvme0n1 /t running in the background, lease=fail",
                     r"^dma-cp \(from NVMe\)\s+inode \d+\s+offset 0\s+16 pages\s+\d+ ms\s+lease=fail\s+nvme0n1 queue",
                     r"^holdfast> truncate /t 0\ntruncate: /t: pinned for DMA with lease=fail \(Text file busy\)$",
                     r"dma job 1: copied 65536 bytes /dev/nvme0n1 -> /t",
                     r"^holdfast> truncate /t 4096\ntruncate: /t: pinned for DMA with lease=fail \(Text file busy\)$",
                     r"dma job 2: copied 65536 bytes /t -> /dev/nvme0n1",
                     r"^  size: 65536 (.|\n)*^  size: 65536 "),
             reject=(r"dma: BUG", r"dax: layout change of inode \d+ waits", r"^truncated /t")),
    scenario("nvme-truncate-waits", machine="q35", kernel="holdfast.elf",
             pmem=("32M",), pmem_format=True, nvme=(("4M", None),),
             stdin=NVME_RACE + "poweroff\n",
             status=STATUS_POWEROFF, timeout=180,
             expect=(r"dax: layout change of inode \d+ waits \d+ ms(.|\n)*nvme0n1 queue 1, command 0",
                     r"^truncated /t to 0 bytes in (?:1[5-9]\d\d|[2-9]\d\d\d)\.\d+ ms",
                     r"^holdfast> sleep 3000\n(?:.*\n)*?holdfast> crc32 /victim\n%s"
                     % _crc_line(ZERO_64K, "/victim")[1:]),
             reject=(_crc_line(nvme_pattern(4 * MIB)[:65536], "/victim"),
                     r"^dma-cp \(from NVMe\)")),
    scenario("nvme-truncate-unprotected", machine="q35", kernel="holdfast.elf",
             pmem=("32M",), pmem_format=True, nvme=(("4M", None),),
             stdin="unsafe-demo on\n" + NVME_RACE + "unsafe-demo off\npoweroff\n",
             status=STATUS_POWEROFF, timeout=180,
             expect=(r"^truncated /t to 0 bytes in \d{1,3}\.\d+ ms",
                     # before the late DMA: zeros; after it: the device's bytes
                     r"^holdfast> crc32 /victim\n%s" % _crc_line(ZERO_64K, "/victim")[1:],
                     r"^holdfast> sleep 3000\n(?:.*\n)*?holdfast> crc32 /victim\n%s"
                     % _crc_line(nvme_pattern(4 * MIB)[:65536], "/victim")[1:])),
    # Faults: a device error in the middle of a copy ends it with that
    # error, no pin is left and the truncate goes on; a lost completion
    # times out, Abort, then a controller reset fails it (and its pins go).
    # The debug kernel on two CPUs: the driver's lock rules are asserted.
    scenario("nvme-faults", machine="q35", kernel="debug/holdfast.elf", smp=2,
             pmem=("32M",), pmem_format=True, nvme=(("4M", None),),
             stdin=("nvme fault bad-lba 3\n"
                    "dma cp -n 3M /dev/nvme0n1 /m\n"
                    "pins\ntruncate /m 0\n"
                    "nvme timeout 1000\nnvme fault lose-completion 1\n"
                    "dma cp -n 64K /dev/nvme0n1 /l &\n"
                    "truncate /l 0\npins\n"
                    "dma cp -n 64K /dev/nvme0n1 /after\ncrc32 /after\nnvme\npoweroff\n"),
             status=STATUS_POWEROFF, timeout=180,
             expect=(r"test fault: queue \d command \d+ sent with LBA 8192, past the end",
                     r"nvme0: read byte 1048576\+524288 \(queue \d, command \d+\): LBA Out of Range \(0x80\)",
                     r"dma job 1: failed after \d+ bytes /dev/nvme0n1 -> /m in \d+ ms: ",
                     r"^truncated /m to 0 bytes in \d{1,3}\.\d+ ms",
                     r"queue \d command \d+: no completion in 1000 ms; sending Abort",
                     r"nvme0: resetting the controller",
                     r"nvme0: read byte 0\+65536 \(queue \d, command \d+\): failed by controller reset",
                     r"dma job 2: failed after 0 bytes /dev/nvme0n1 -> /l in \d+ ms: I/O error",
                     r"^truncated /l to 0 bytes in \d+\.\d+ ms",
                     r"nvme0: reset done",
                     _crc_line(nvme_pattern(4 * MIB)[:65536], "/after"),
                     r"errors \d+, timeouts 1, aborts 1, resets 1$"),
             reject=(r"^dma-cp \(from NVMe\)", r"dma: BUG")),
]

# DAX mappings in processes and /dev/dma0 (docs/11-user-space.md, "DAX
# mmap, pins and /dev/dma0"): the seed's scenario as two processes.  One
# maps /dmatest.data and starts a DMA into it; the other truncates the file
# and must wait; a file written afterwards gets the freed blocks and must
# be intact.  With the unsafe switch the test must see the corruption.
DMATEST_OK = (r"^dmatest: truncate returned after \d+ ms$",
              r"^dmatest: DMA of 8 pages done in \d+ ms, result 0$",
              r"^dmatest: /dmatest.victim intact$")
BOOTS += [
    scenario("user-dmatest", machine="q35", kernel="holdfast.elf",
             pmem=("16M",), pmem_format=True, prepare=user_programs, timeout=300,
             stdin="/bin/dmatest\npins\npoweroff\n", status=STATUS_POWEROFF,
             expect=DMATEST_OK + (
                 r"^dax:   held by pid \d+ /bin/dmatest: /dev/dma0: \d+ descriptors, 32768 bytes "
                 r"\(inode 0, offset 0, 8 pages\) for \d+ ms$",
                 r"^no pinned pages$"),
             reject=(r"CORRUPTED", r"/bin/dmatest: exit", r"did not wait")),
    scenario("user-dmatest-smp2", machine="q35", kernel="holdfast.elf", smp=2,
             pmem=("16M",), pmem_format=True, prepare=user_programs, timeout=300,
             stdin="/bin/dmatest\npoweroff\n", status=STATUS_POWEROFF,
             expect=DMATEST_OK, reject=(r"CORRUPTED", r"/bin/dmatest: exit", r"did not wait")),
    scenario("user-dmatest-debug", machine="q35", kernel="debug/holdfast.elf", smp=2,
             pmem=("16M",), pmem_format=True, prepare=user_programs, timeout=300,
             stdin="/bin/dmatest\npoweroff\n", status=STATUS_POWEROFF,
             expect=DMATEST_OK, reject=(r"CORRUPTED", r"/bin/dmatest: exit", r"did not wait")),
    scenario("user-dmatest-unsafe", machine="q35", kernel="holdfast.elf", smp=2,
             pmem=("16M",), pmem_format=True, prepare=user_programs, timeout=300,
             stdin="unsafe-demo on\n/bin/dmatest --expect-corrupt\nunsafe-demo off\npoweroff\n",
             status=STATUS_POWEROFF,
             expect=(r"^dmatest: /dmatest.victim CORRUPTED: \d+ of 32768 bytes are not ours$",),
             reject=(r"/bin/dmatest: exit",)),
    # /dev/dma0 with the fail lease: truncate(2) and unlink(2) get ETXTBSY
    # at once, the file is unchanged and holds the DMA's bytes; bad lease
    # values are EINVAL.  revoke: skipped (said) while the IOMMU is off.
    scenario("user-dmatest-fail", machine="q35", kernel="holdfast.elf", smp=2,
             pmem=("16M",), pmem_format=True, prepare=user_programs, timeout=300,
             stdin="/bin/dmatest fail\n/bin/dmatest revoke\npoweroff\n",
             status=STATUS_POWEROFF,
             expect=(r"^dmatest: lease 3: Invalid argument as expected$",
                     r"^dmatest: flag 0x100: Invalid argument as expected$",
                     r"^dmatest: truncate with lease=fail: Text file busy after \d+ ms$",
                     r"^dmatest: unlink with lease=fail: Text file busy$",
                     r"^dmatest: DMA of 8 pages done in \d+ ms, result 0$",
                     r"^dmatest: /dmatest.data unchanged by the truncate",
                     r"^dmatest: lease=fail OK$",
                     r"^dmatest: revoke: the kernel has no IOMMU on \(Not supported\): skipped$"),
             reject=(r"/bin/dmatest: exit", r"WRONG", r"dma: BUG",
                     r"dax: layout change of inode \d+ waits")),
    # The revoke lease from user space, with the IOMMU: protected, and with
    # the protection off (revoke does not depend on it).
    scenario("user-dmatest-revoke", machine="q35", kernel="holdfast.elf", smp=2,
             pmem=("16M",), pmem_format=True, prepare=user_programs, timeout=300,
             iommu=True, edu_default_mask=True,
             stdin=("/bin/dmatest revoke\nunsafe-demo on\n/bin/dmatest revoke\n"
                    "unsafe-demo off\npins\npoweroff\n"),
             status=STATUS_POWEROFF,
             expect=((r"revoked the pin of pid \d+ /bin/dmatest: /dev/dma0: \d+ descriptors"
                      r"(.|\n)*^dmatest: truncate returned after \d{1,3} ms$"
                      r"\n^dmatest: DMA of 8 pages done in \d+ ms, result -125: Operation canceled$"
                      r"\n^dmatest: /dmatest.victim intact$") + r"(.|\n)*" + "unsafe-demo: ON"
                     + r"(.|\n)*^dmatest: truncate returned after \d{1,3} ms$"
                     r"\n^dmatest: DMA of 8 pages done in \d+ ms, result -125: Operation canceled$"
                     r"\n^dmatest: /dmatest.victim intact$",
                     r"^no pinned pages$"),
             reject=(r"/bin/dmatest: exit", r"WRONG", r"dma: BUG", r"skipped",
                     r"dax: layout change of inode \d+ waits")),
]

def mmap_no_leak(text):
    """no_leak, and the filesystem's used blocks and inodes agree too: every
    mapping dropped its file reference (an unlinked, mapped file is freed at
    its last munmap)."""
    problem = no_leak(text)
    if problem:
        return problem
    dfs = re.findall(r"^pmem0\s+\d+\s+(\d+)\s+\d+\s+\d+\s+(\d+)", text, re.M)
    if len(dfs) != 2:
        return f"expected two df reports, got {len(dfs)}"
    if dfs[0] != dfs[1]:
        return f"filesystem space or inodes leaked: used KiB, inodes {dfs[0]} -> {dfs[1]}"
    return None


# The mmap cases (Pintos's mmap-* with Linux's answers, SIGBUS, MAP_PRIVATE,
# msync) and /dev/dma0's, in KTAP; the debug kernel asserts the locks on
# those paths; and two rounds of them leak nothing (frames, heap, pins).
BOOTS += [
    scenario("user-mmaptests", machine="q35", kernel="holdfast.elf",
             pmem=("64M",), pmem_format=True, prepare=user_programs, timeout=300,
             stdin="/bin/mmaptests\npoweroff\n", status=STATUS_POWEROFF,
             expect=(r"# mmaptests: \d+ passed, 0 failed",
                     r"^\[pid \d+ /bin/mmaptests: SIGBUS at 0x7e[0-9a-f]+, rip 0x40[0-9a-f]+\]$"),
             check=usertests_ktap),
    scenario("user-mmaptests-debug", machine="q35", kernel="debug/holdfast.elf", smp=2,
             pmem=("64M",), pmem_format=True, prepare=user_programs, timeout=400,
             stdin="/bin/mmaptests\npoweroff\n", status=STATUS_POWEROFF,
             expect=(r"# mmaptests: \d+ passed, 0 failed",), check=usertests_ktap),
    scenario("user-mmap-no-leak", machine="q35", kernel="holdfast.elf", smp=2,
             pmem=("64M",), pmem_format=True, prepare=user_programs, timeout=400,
             stdin=("/bin/mmaptests\n/bin/dmatest -n 2\nmem\ndf\n"
                    "/bin/mmaptests\n/bin/dmatest -n 2\nmem\ndf\npins\npoweroff\n"),
             status=STATUS_POWEROFF, check=mmap_no_leak,
             expect=(r"^no pinned pages$",)),
]

# The in-kernel side of DAX mappings in processes, on the debug kernel
# (every "caller holds" asserted) with two CPUs (shootdowns).
BOOTS += [
    ktap("ktest-dax-user-debug", machine="q35", kernel="debug/holdfast.elf",
         append="test=dax_user", smp=2, pmem=("16M",)),
]

# O_DIRECT from user space (docs/13-nvme.md, "From user space: O_DIRECT"):
# pread(2) with O_DIRECT from /dev/nvme0n1 into a MAP_SHARED DAX mapping of
# a holdfs file.  The command is held 2 s on the device (`nvme fault
# hold`); a second process's truncate of the file must wait for it and a
# file written afterwards stays intact; unprotected, the late DMA lands in
# it.  Then the data: an O_DIRECT read into a mapping equals a buffered
# read of the device, and an O_DIRECT write from anonymous memory reads
# back.  Bad input: misaligned buffer/length/offset are EINVAL with the
# value on the console, the ends of the device, and no pin is left.
BOOTS += [
    scenario("user-dmatest-nvme", machine="q35", kernel="holdfast.elf", smp=2,
             pmem=("16M",), pmem_format=True, prepare=user_programs, timeout=300,
             nvme=(("4M", None),),
             stdin="nvme fault hold 2000\n/bin/dmatest nvme -n 16\npins\npoweroff\n",
             status=STATUS_POWEROFF,
             expect=(r"dax: layout change of inode \d+ waits \d+ ms",
                     r"held by pid \d+ /bin/dmatest: nvme0n1 read 0\+65536 O_DIRECT: queue \d, command \d+ "
                     r"\(inode \d+, offset 0, 16 pages\)",
                     r"^dmatest: truncate returned after (?:1\d\d\d|2\d\d\d) ms$",
                     r"^dmatest: O_DIRECT read of 65536 bytes from /dev/nvme0n1 done in \d+ ms$",
                     r"^dmatest: /dmatest.victim intact$",
                     r"^dmatest: O_DIRECT read into the mapping of /dmatest.check: equals the device's "
                     r"bytes \(crc32 %08x of 1048576 bytes at 12288\)$"
                     % zlib.crc32(nvme_pattern(4 * MIB)[12288:12288 + MIB]),
                     r"^dmatest: O_DIRECT write from anonymous memory: reads back$",
                     r"^no pinned pages$"),
             reject=(r"CORRUPTED", r"/bin/dmatest: exit", r"did not wait", r"dma: BUG",
                     r"DIFFERS", r"failed")),
    # the same on the debug kernel: the lock rules on the O_DIRECT path
    # ps counts the pages a process's DMA holds pinned: the O_DIRECT read
    # of dmatest's DMA process is held on the disk, its 16 pages pinned;
    # after it, nobody holds any.
    scenario("user-ps-pins", machine="q35", kernel="holdfast.elf", smp=2,
             pmem=("16M",), pmem_format=True, prepare=user_programs, timeout=300,
             nvme=(("4M", None),),
             stdin=("nvme fault hold 5000\n/bin/dmatest nvme -n 16 &\nsleep 2000\nps\n"
                    "sleep 8000\nps\npins\npoweroff\n"),
             status=STATUS_POWEROFF,
             expect=(r"^  PID  PPID STATE     CPU   PAGES   PINS  COMMAND$",
                     r"^\s+\d+\s+\d+ \S+\s+\S+\s+\d+\s+16  /bin/dmatest$"
                     r"(.|\n)*^dmatest: /dmatest.victim intact$"
                     r"(.|\n)*^holdfast> ps\n^  PID  PPID STATE     CPU   PAGES   PINS  COMMAND\n"
                     r"^holdfast> pins\n^no pinned pages$"),
             reject=(r"CORRUPTED", r"/bin/dmatest: exit", r"dma: BUG")),
    scenario("user-dmatest-nvme-debug", machine="q35", kernel="debug/holdfast.elf", smp=2,
             pmem=("16M",), pmem_format=True, prepare=user_programs, timeout=300,
             nvme=(("4M", None),),
             stdin="nvme fault hold 2000\n/bin/dmatest nvme -n 16\npins\nnvme\npoweroff\n",
             status=STATUS_POWEROFF,
             expect=(r"^dmatest: /dmatest.victim intact$",
                     r"^dmatest: O_DIRECT write from anonymous memory: reads back$",
                     r"^no pinned pages$"),
             reject=(r"CORRUPTED", r"/bin/dmatest: exit", r"did not wait", r"dma: BUG",
                     r"DIFFERS", r"failed", r"BUG", r"assert")),
    scenario("user-dmatest-nvme-unsafe", machine="q35", kernel="holdfast.elf", smp=2,
             pmem=("16M",), pmem_format=True, prepare=user_programs, timeout=300,
             nvme=(("4M", None),),
             stdin=("unsafe-demo on\nnvme fault hold 2000\n"
                    "/bin/dmatest nvme -n 16 --expect-corrupt\nunsafe-demo off\npoweroff\n"),
             status=STATUS_POWEROFF,
             expect=(r"^dmatest: truncate returned after \d{1,3} ms$",
                     r"^dmatest: /dmatest.victim CORRUPTED: \d+ of 65536 bytes are not ours$"),
             reject=(r"/bin/dmatest: exit",)),
    scenario("user-dmatest-nvme-bad", machine="q35", kernel="holdfast.elf",
             pmem=("16M",), pmem_format=True, prepare=user_programs, timeout=300,
             nvme=(("12M", None),),
             stdin="/bin/dmatest nvme-bad\npins\nnvme\npoweroff\n",
             status=STATUS_POWEROFF,
             expect=(r"nvme0n1: O_DIRECT buffer 0x[0-9a-f]+ is not a multiple of the block size 512 "
                     r"\(pid \d+\): EINVAL",
                     r"nvme0n1: O_DIRECT length 0x64 is not a multiple of the block size 512",
                     r"nvme0n1: O_DIRECT offset 0x7 is not a multiple of the block size 512",
                     r"^dmatest: misaligned buffer: -1 \(Invalid argument\) as expected$",
                     r"^dmatest: past the end: -1 \(Invalid argument\) as expected$",
                     r"^dmatest: at the end: 0 \(ok\) as expected$",
                     r"^dmatest: over the end: 4096 \(ok\) as expected$",
                     r"^dmatest: aligned: 16384 \(ok\) as expected$",
                     r"^dmatest: unmapped buffer: -1 \(Bad address\) as expected$",
                     r"^dmatest: whole device: 12582912 \(ok\) as expected$",
                     r"^dmatest: whole device: equals a buffered read$",
                     r"^no pinned pages$"),
             reject=(r"WRONG", r"/bin/dmatest: exit", r"dma: BUG")),
]

# Signals with handlers (user/sigtests.c): every case passes on one CPU and
# on two; a program with a SIGINT handler catches Ctrl-C at the console
# twice and goes on each time, then ends normally.
BOOTS += [
    scenario("user-sigtests", machine="q35", kernel="holdfast.elf", smp=2,
             pmem=("16M",), pmem_format=True, prepare=user_programs, timeout=300,
             stdin="/bin/sigtests\npoweroff\n", status=STATUS_POWEROFF,
             expect=(r"# sigtests: \d+ passed, 0 failed",
                     r"^\[pid \d+ /bin/sigtests: SIGSEGV: bad signal frame at 0x1\]$"),
             check=usertests_ktap),
    scenario("user-sigint-handler", machine="q35", kernel="holdfast.elf",
             pmem=("16M",), pmem_format=True, prepare=user_programs,
             stdin="/bin/sigtests ctrlc\n",
             then=((r"waiting for Ctrl-C", "\x03"),
                   (r"caught SIGINT 1, going on", "\x03"),
                   (r"sigtests: done", "/bin/hello\npoweroff\n")),
             status=STATUS_POWEROFF,
             expect=(r"^sigtests: caught SIGINT 1, going on$",
                     r"^sigtests: caught SIGINT 2, going on$",
                     r"^sigtests: done$", r"^hello from user space!$"),
             reject=(r"/bin/sigtests: SIGINT\]",)),
]

# Threads (user/threadtests.c): musl's pthreads on clone(CLONE_THREAD) and
# futex, on two CPUs, and with the debug kernel (lock assertions on).
BOOTS += [
    scenario("user-threadtests", machine="q35", kernel="holdfast.elf", smp=2,
             pmem=("16M",), pmem_format=True, prepare=user_programs, timeout=300,
             stdin="/bin/threadtests 2\npoweroff\n", status=STATUS_POWEROFF,
             expect=(r"# threadtests: \d+ passed, 0 failed",),
             check=usertests_ktap),
    scenario("user-threadtests-debug", machine="q35", kernel="debug/holdfast.elf", smp=2,
             pmem=("16M",), pmem_format=True, prepare=user_programs, timeout=400,
             stdin="/bin/threadtests 2\n/bin/sigtests\npoweroff\n", status=STATUS_POWEROFF,
             expect=(r"# threadtests: \d+ passed, 0 failed", r"# sigtests: \d+ passed, 0 failed")),
]

# The system-call fuzzer (user/fuzz.c): 100,000 seeded random calls with
# bad pointers, kernel addresses and huge lengths, twice, on two CPUs; no
# panic, no hang, no page pinned after it, and no memory kept.  The first round warms the caches; the second (the next seed)
# must not leave less memory free or more heap objects than the first.
# `make fuzz-syscalls` runs a longer soak with other seeds.
FUZZ_CALLS = int(os.environ.get("FUZZ_CALLS", "100000"))
FUZZ_SEED = int(os.environ.get("FUZZ_SEED", "1"))


def fuzz_clean(text):
    """The fuzzer finished every call, memory is as before, no pins."""
    done = re.findall(r"^fuzz: done, (\d+) calls", text, re.M)
    if len(done) != 2 or int(done[0]) != FUZZ_CALLS or int(done[1]) != FUZZ_CALLS:
        return f"fuzz did not finish: {done}"
    if not re.search(r"^no pinned pages$", text, re.M):
        return "pages still pinned after the fuzzer"
    mems = re.findall(r"physical memory: \d+ KiB total, (\d+) KiB free.*\n"
                      r"kernel heap: (\d+) objects, (\d+) KiB in size classes\n"
                      r"user memory: (\d+) KiB in (\d+) processes, (\d+) KiB of page tables",
                      text)
    if len(mems) != 2:
        return f"expected two mem reports, got {len(mems)}"
    (f1, o1, s1, u1, p1, t1), (f2, o2, s2, u2, p2, t2) = [tuple(map(int, m)) for m in mems]
    # The same calls again keep nothing more; caches may hold a little less.
    if f2 + s2 < f1 + s1:
        return f"frames leaked: {f1 + s1 - f2 - s2} KiB (free+slab {f1 + s1} -> {f2 + s2})"
    if o2 > o1:
        return f"heap objects leaked: {o1} -> {o2}"
    if u2 or p2 or t2 != t1:
        return f"user memory left: {u2} KiB in {p2} processes, page tables {t1} -> {t2} KiB"
    return None


BOOTS += [
    scenario("user-fuzz", machine="q35", kernel="holdfast.elf", smp=2,
             pmem=("64M",), pmem_format=True, prepare=user_programs,
             timeout=int(os.environ.get("FUZZ_TIMEOUT", "600")),
             stdin=(f"/bin/fuzz {FUZZ_CALLS} {FUZZ_SEED}\nmem\n"
                    f"/bin/fuzz {FUZZ_CALLS} {FUZZ_SEED}\nmem\npins\npoweroff\n"),
             status=STATUS_POWEROFF,
             expect=(r"^fuzz: done, \d+ calls",),
             check=fuzz_clean),
]

# parallel_create (user/pcreate.c, reported by make bench) still runs: one
# process, then two at once, each creating files in its own directory.
BOOTS += [
    scenario("user-pcreate-smoke", machine="q35", kernel="holdfast.elf", smp=2,
             pmem=("64M",), pmem_format=True, prepare=user_programs,
             stdin="/bin/pcreate 500\nls /\npoweroff\n", status=STATUS_POWEROFF,
             expect=(r"^bench parallel_create_1p \d+ ops/s$",
                     r"^bench parallel_create_2p \d+ ops/s$",
                     r"^bench parallel_create_speedup \d+\.\d+ x$"),
             reject=(r"pcreate/",)),
]


# ------------------------------------------------- DMA remapping (VT-d) ----

# The shell's `iommu` with remapping on: the unit, a domain per device that
# did DMA (edu after a copy, nvme with its rings and a read), pages mapped,
# the fault counter.
BOOTS += [
    scenario("iommu-shell", machine="q35", kernel="holdfast.elf",
             pmem=("16M",), iommu=True, edu_default_mask=True,
             nvme=(("4M", None),),
             stdin=("dma copy 0x100000000 0x100800000 4096\n"
                    "crc32 /dev/nvme0n1\niommu\npoweroff\n"),
             status=STATUS_POWEROFF,
             expect=(r"iommu: DMA remapping on: 1 unit, every device denied",
                     r"dma: edu0: edu \S+, MSI, through the IOMMU",
                     r"copied 4096 bytes from 0x100000000 to 0x100800000",
                     r"^iommu: DMA remapping on: 1 unit, 2 domains, [1-9]\d* pages "
                     r"mapped, 0 faults$",
                     r"^  unit 0 at 0xfed90000: VT-d \d\.\d, 3-level tables, "
                     r"fault event MSI",
                     r"^  domain \d+: edu 00:03\.0, 0 pages mapped",
                     r"^  domain \d+: nvme 00:04\.0, [1-9]\d* pages mapped",
                     r"^  maps [1-9]\d*, unmaps [1-9]\d*, revoked 0, faults 0$"),
             reject=(r"blocked \(",)),
]

# Issue 19's "done when", at the shell with remapping on: a long copy from
# the NVMe disk into /big under a revoke lease, its doorbells held 2 s so
# the device is still to write when the truncate comes.  The truncate
# returns at once, the copy ends revoked, the device's late writes are
# blocked and reported with the file and offset they used to reach, the
# blocks /victim reuses stay zero, and no pin is left.  Then --lease=fail
# on the same path: the truncate fails saying why.
# The machine of both revoke stories: q35 with VT-d, a formatted 32 MiB
# NVDIMM, a 4 MiB NVMe disk, powered off at the end.
IOMMU_NVME = dict(machine="q35", kernel="holdfast.elf", pmem=("32M",), pmem_format=True,
                  iommu=True, edu_default_mask=True, nvme=(("4M", None),),
                  status=STATUS_POWEROFF, timeout=180)

BOOTS += [
    scenario("iommu-nvme-revoke", **IOMMU_NVME,
             stdin=("nvme fault hold 2000\n"
                    "dma cp --lease=revoke -n 64K /dev/nvme0n1 /big &\n"
                    "pins /big\ntruncate /big 0\n"
                    "fallocate /victim 0 65536\n"
                    "sleep 3000\ncrc32 /victim\ndma jobs\npins\niommu\n"
                    "nvme fault hold 2000\n"
                    "dma cp --lease=fail -n 64K /dev/nvme0n1 /f &\ntruncate /f 0\n"
                    "sleep 3000\nstat /f\npoweroff\n"),
             expect=(r"\[1\] dma cp /dev/nvme0n1 /big running in the background, lease=revoke",
                     r"^dma-cp \(from NVMe\)\s+inode \d+\s+offset 0\s+16 pages\s+\d+ ms\s+lease=revoke\s+nvme0n1 queue",
                     r"^truncated /big to 0 bytes in (?:\d{1,3})\.\d+ ms",
                     r"iommu: nvme 00:04\.0 write to iova 0x[0-9a-f]+ blocked \(not mapped\) - "
                     r"was /big offset (?:0|0x[0-9a-f]+), revoked \d+ ms ago",
                     r"^dma cp: /big: revoked by a layout change after 0 bytes \(Operation canceled\)$",
                     r"^\s+1\s+failed\s+0/65536\s+\d+\s+/dev/nvme0n1 -> /big: Operation canceled$",
                     r"^holdfast> crc32 /victim\n%s" % _crc_line(bytes(65536), "/victim")[1:],
                     r"^  maps [1-9]\d*, unmaps [1-9]\d*, revoked [1-9]\d*, faults [1-9]\d*$",
                     r"^holdfast> truncate /f 0\ntruncate: /f: pinned for DMA with lease=fail \(Text file busy\)$",
                     r"dma job 2: copied 65536 bytes /dev/nvme0n1 -> /f",
                     r"^  size: 65536 "),
             reject=(r"dma: BUG", r"dax: layout change of inode \d+ waits", r"^truncated /f",
                     r"panic")),
]

# The same through 2 MiB windows: a copy of the whole 4 MiB disk pins each
# 2 MiB block of /big as a whole and the controller reaches it through one
# 2 MiB IOMMU page.  The revoke takes those too: the truncate returns at
# once, the late writes are blocked and reported, the 4 MiB /victim that
# reuses the blocks stays zero, no pin is left.
BOOTS += [
    scenario("iommu-nvme-revoke-window", **IOMMU_NVME,
             stdin=("nvme fault hold 2000\n"
                    "dma cp --lease=revoke /dev/nvme0n1 /big &\n"
                    "pins /big\ntruncate /big 0\n"
                    "fallocate /victim 0 4194304\n"
                    "sleep 3000\ncrc32 /victim\ndma jobs\npins\niommu\npoweroff\n"),
             expect=(r"\[1\] dma cp /dev/nvme0n1 /big running in the background, lease=revoke",
                     r"^dma-cp \(from NVMe\)\s+inode \d+\s+offset 0\s+512 pages\s+\d+ ms\s+lease=revoke\s+"
                     r"nvme0n1 queue \d+, command \d+ and the rest of a 2 MiB IOMMU window",
                     r"^truncated /big to 0 bytes in (?:\d{1,3})\.\d+ ms",
                     r"iommu: nvme 00:04\.0 write to iova 0x[0-9a-f]+ blocked \(not mapped\) - "
                     r"was /big offset (?:0|0x[0-9a-f]+), revoked \d+ ms ago",
                     r"^dma cp: /big: revoked by a layout change after 0 bytes \(Operation canceled\)$",
                     r"^holdfast> crc32 /victim\n%s" % _crc_line(bytes(4 << 20), "/victim")[1:],
                     r"^  of the maps, [1-9]\d* were one 2 MiB page \(a 2 MiB window\)$",
                     r"^holdfast> pins\nno pinned pages$"),
             reject=(r"dma: BUG", r"dax: layout change of inode \d+ waits", r"panic")),
]

# A DMAR table QEMU's pc machine does not have, made here byte by byte
# ([VTD] 8.1 header, 8.3 DRHD), with a good checksum so that the kernel's
# ACPI layer keeps it and the DMAR parser (or the unit probe) must find
# what is wrong.
DMAR_BAD_LEN_FILE = "build/test/dmar-bad-length.bin"
DMAR_NOWHERE_FILE = "build/test/dmar-nowhere.bin"
DMAR_NOWHERE_BASE = 0xD0000000      # nothing decodes this on pc with 512M


def dmar_drhd(base, length=16, include_all=True):
    """One DRHD: type 0, length, flags, size, segment 0, register base."""
    import struct
    return struct.pack("<HHBBHQ", 0, length, 1 if include_all else 0, 0, 0,
                       base)


def dmar_table(structures, haw_field=38):
    """The whole DMAR: ACPI header, host address width, flags, reserved,
    then the remapping structures; checksum over all bytes is zero."""
    import struct
    body = bytes([haw_field, 0]) + bytes(10) + b"".join(structures)
    hdr = (b"DMAR" + struct.pack("<IBB", 36 + len(body), 1, 0) + b"HOLDFT"
           + b"HOLDFAST" + struct.pack("<I", 1) + b"HFTS"
           + struct.pack("<I", 1))
    table = bytearray(hdr + body)
    table[9] = (-sum(table)) & 0xFF
    return bytes(table)


def write_dmar(path, structures):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(dmar_table(structures))
    return None


def dmar_bad_length(_images):
    # the DRHD says 10 bytes: shorter than its own fixed part (16)
    return write_dmar(DMAR_BAD_LEN_FILE, [dmar_drhd(0xFED90000, length=10)])


def dmar_nowhere(_images):
    return write_dmar(DMAR_NOWHERE_FILE, [dmar_drhd(DMAR_NOWHERE_BASE)])


# Each boots on with remapping off, says why, and DMA still works.
DMAR_DMA_TEST = "dma copy 0x100000000 0x100800000 4096\niommu\npoweroff\n"
BOOTS += [
    scenario("iommu-dmar-bad-length", machine="pc", kernel="holdfast.elf",
             pmem=("16M",), prepare=dmar_bad_length,
             extra=("-acpitable", f"sig=DMAR,file={DMAR_BAD_LEN_FILE}"),
             stdin=DMAR_DMA_TEST, status=STATUS_POWEROFF,
             expect=(r"iommu: error: DMAR: DRHD at 0x30 has length 10",
                     r"iommu: DMA remapping off: the DMAR table is malformed",
                     r"copied 4096 bytes from 0x100000000 to 0x100800000",
                     r"^iommu: DMA remapping is off: the DMAR table is malformed"),
             reject=(r"DMA remapping on",)),
    scenario("iommu-dmar-unit-nowhere", machine="pc", kernel="holdfast.elf",
             pmem=("16M",), prepare=dmar_nowhere,
             extra=("-acpitable", f"sig=DMAR,file={DMAR_NOWHERE_FILE}"),
             stdin=DMAR_DMA_TEST, status=STATUS_POWEROFF,
             expect=(r"iommu: DMA remapping off: unit 0 at 0xd0000000: registers "
                     r"read (all-ones|zero)[^:]*: nothing there",
                     r"copied 4096 bytes from 0x100000000 to 0x100800000",
                     r"^iommu: DMA remapping is off: unit 0 at 0xd0000000"),
             reject=(r"DMA remapping on",)),
]
