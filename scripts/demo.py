#!/usr/bin/env python3
"""demo.py - `make demo`: the seed's story, played at Holdfast's shell.

This file owns the demo: it boots Holdfast in QEMU (docs/design.md's machine,
built by scripts/qemu.py) on a fresh, formatted scratch image in
build/demo/, types the story's commands at the serial shell, prints a
line of narration before each step and the kernel's own replies, reads
the replies for the figures (how long the truncate waited, who held it,
whether the new file is intact) and ends with a summary and `poweroff`.

    scripts/demo.py [--build-dir build] [--accel tcg|kvm|auto]
                    [--iso PATH | --kernel ELF] [--timeout S] [--quiet]

The story (the seed, the Linux review thread in docs/design.md), played
three times:

  1. /src (the DMA source) and /b (the DMA target) are written; the rest
     of the device is filled, so that the next new file can only get
     blocks that somebody frees (as on a busy filesystem);
  2. `dma cp /src /b &` starts a DMA into /b in the background;
  3. `truncate /b 0` frees /b's blocks;
  4. the DMA completes;
  5. a new file /c is written (it gets /b's freed blocks) and verified.

First with the protection on (the default): the truncate waits for the
DMA and says who holds it, and /c is intact.  Then with `unsafe-demo on`:
the truncate returns at once, /c gets blocks the device is still
writing, and the DMA's data lands in /c.  The machine has QEMU's VT-d
unit (intel-iommu) and the edu engine reaches memory through it, but that
does not help: /b's pages are still pinned, so still mapped for the device.
Third act (issue 19): protection still off, but the copy holds its pins
with a revoke lease (`dma cp --lease=revoke`): the truncate returns at
once having taken the device's access to /b's pages away (IOMMU unmap and
IOTLB invalidation), the copy ends "revoked", the device's late write is
blocked by the IOMMU and reported with the file and offset it was aimed
at, and /c comes out intact.

Exit status 0 when the demo showed all three (protected: waited, /c
intact; unprotected: /c corrupted; revoked: returned at once, write
blocked, /c intact), 1 otherwise (the reason is printed), 2 on bad
arguments.  run_demo() is what tests/test_demo.py and the "demo" entry of
tests/boots.py call.
"""

import argparse
import os
import re
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass, field

SCRIPTS_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(SCRIPTS_DIR)
if SCRIPTS_DIR not in sys.path:
    sys.path.insert(0, SCRIPTS_DIR)

import qemu  # noqa: E402  (scripts/qemu.py)

# ------------------------------------------------------------- settings ----

DEMO_SUBDIR = "demo"
IMAGE_NAME = "pmem.img"
SERIAL_LOG_NAME = "serial.log"
STDERR_LOG_NAME = "qemu-stderr.log"
CMD_FILE_NAME = "qemu.cmd"
PMEM_SIZE = "16M"               # small: filling the device is quick
MACHINE = "q35"
SMP = 1
DEFAULT_TIMEOUT_S = 180         # the whole demo; it takes ~15 s under TCG
COMMAND_TIMEOUT_S = 60          # one command (a truncate waits for the DMA)
POWEROFF_GRACE_S = 15

SHELL_PROMPT = "holdfast> "
PAGE = 4096
PAGES = 8                       # the DMA: 8 pages, ~0.4 s each under TCG
NVME_IMAGE_NAME = "nvme.img"    # the third act's disk: /src's data at 0
NVME_SIZE = 1 << 20
NVME_HOLD_MS = 2000
FILE_SIZE = PAGES * PAGE
LINE = 64                       # pattern lines: 63 characters and "\n",
#                                 so each page starts with a whole line
SRC_TEXT = "DMA DATA from /src, written into /b by the edu DMA engine"
B_TEXT = "/b before the copy"
C_TEXT = "new file /c: its own data, written after the truncate"

PANIC_RE = qemu.PANIC_RE
DEFAULT_OFF_RE = re.compile(r"^unsafe-demo: off \(the default\)", re.M)
UNSAFE_ON_RE = re.compile(r"^unsafe-demo: ON\b", re.M)
DF_RE = re.compile(r"^pmem0\s+(\d+)\s+(\d+)\s+(\d+)\s", re.M)
JOB_STARTED_RE = re.compile(r"^\[(\d+)\] dma cp \S+ \S+ running in the "
                            r"background", re.M)
WAITS_RE = re.compile(r"dax: layout change of inode (\d+) waits (\d+) ms", re.M)
HELD_RE = re.compile(r"dax:\s+held by (.*?) \(inode \d+", re.M)
REVOKED_PIN_RE = re.compile(r"dax: layout change of inode \d+ revoked the pin "
                            r"of (.*?) \(\d+ pages, (\d+) IOMMU ranges\)", re.M)
# no ^ on the next two: they come whenever the device and the job get
# there, after a prompt too.  They end at a newline, not at $: with re.M,
# $ also matches at the end of the text, so a line still arriving would
# match cut short and not be recognised (and filtered) when it is whole.
BLOCKED_RE = re.compile(r"iommu: (\S+) \S+ (?:read|write) (?:from|to) iova "
                        r"\S+ blocked \(.*?\) - was (\S+) offset (\S+), "
                        r"revoked \d+ ms ago(?=\n)", re.M)
REVOKED_JOB_RE = re.compile(r"dma cp: (\S+): revoked by a layout change after "
                            r"(\d+) bytes.*(?=\n)", re.M)
IOMMU_ON_RE = re.compile(r"^iommu: DMA remapping on\b", re.M)
IOMMU_FAULTS_RE = re.compile(r"^  maps \d+, unmaps \d+, revoked (\d+), "
                             r"faults (\d+)$", re.M)
TRUNCATED_RE = re.compile(r"^truncated (\S+) to 0 bytes in (\d+\.\d+) ms", re.M)
CRC_RE = re.compile(r"^([0-9a-f]{8}) (\d+) (\S+)$", re.M)
HEX_ROW_RE = re.compile(r"^[0-9a-f]{8} ((?: [0-9a-f]{2}){1,16})", re.M)
FSCK_RE = re.compile(r"^fsck: (.*)$", re.M)
# A command that failed: "CMD: PATH: reason" (the file commands), "dma cp:
# SRC -> DST: reason", a usage error, an unknown command, no filesystem.
ERROR_RE = re.compile(r"^(?:[\w-]+: /\S*: .*|dma cp: .*|error: .*"
                      r"|unknown command.*|usage: .*|[\w-]+: no filesystem.*)$",
                      re.M)


class DemoError(Exception):
    """The demo could not be played; the message says why."""


def line_text(text):
    """@text padded with dots to LINE - 1 characters: one pattern line."""
    if len(text) >= LINE:
        raise ValueError(f"pattern text longer than {LINE - 1} characters")
    return text + "." * (LINE - 1 - len(text))


def pattern_bytes(text, size=FILE_SIZE):
    """What `pattern PATH SIZE TEXT` writes: TEXT and "\\n", repeated."""
    unit = (text + "\n").encode()
    return (unit * (size // len(unit) + 1))[:size]


clean_output = qemu.clean_output


# ------------------------------------------------------------- results ----

@dataclass
class Round:
    """What one telling of the story showed."""
    protected: bool
    lease: str = "wait"             # the copy's pin lease: wait or revoke
    truncate_ms: float = -1.0       # "truncated /b to 0 bytes in N ms"
    reported_wait_ms: int = -1      # "dax: layout change ... waits N ms"
    holder: str = ""                # "held by dma-cp: DMA channel edu0 ..."
    dma_done_before_truncate: bool = False
    free_after_c_kib: int = -1      # df after /c: 0 means /c took /b's blocks
    crc: str = ""
    expected_crc: str = ""
    pages_from_dma: list = field(default_factory=list)  # pages of /c with DMA data
    revoked_holder: str = ""        # "revoked the pin of ..." (revoke only)
    job_revoked: bool = False       # "dma cp: /b: revoked by a layout change"
    blocked: list = field(default_factory=list)  # the IOMMU's reports of late accesses
    iommu_faults: int = -1          # `iommu` after the act

    @property
    def intact(self):
        return bool(self.crc) and self.crc == self.expected_crc and \
            not self.pages_from_dma

    @property
    def waited(self):
        return self.reported_wait_ms > 0 or self.truncate_ms >= 1.0


@dataclass
class Result:
    default_off: bool = False       # `unsafe-demo` said off (the default)
    rounds: list = field(default_factory=list)
    fsck_after: str = ""            # fsck's verdict after the corruption
    problems: list = field(default_factory=list)

    iommu_on: bool = False          # the boot said DMA remapping is on

    def round(self, protected, lease="wait"):
        for r in self.rounds:
            if r.protected == protected and r.lease == lease:
                return r
        return None


def judge(result):
    """The problems with @result: what the demo should have shown and did not."""
    problems = list(result.problems)
    if not result.default_off:
        problems.append("`unsafe-demo` did not say it is off by default")
    p, u = result.round(True), result.round(False)
    if p is None or u is None:
        problems.append("the story was not played twice")
        return problems
    if not p.waited:
        problems.append(f"protected: the truncate did not wait "
                        f"({p.truncate_ms} ms)")
    if "DMA channel" not in p.holder:
        problems.append(f"protected: the waiting truncate did not name the "
                        f"DMA channel holding it (holder '{p.holder}')")
    if not p.intact:
        problems.append(f"protected: /c is not intact (crc32 {p.crc}, "
                        f"expected {p.expected_crc}, pages with DMA data "
                        f"{p.pages_from_dma})")
    if u.waited and u.reported_wait_ms > 0:
        problems.append(f"unprotected: the truncate still waited "
                        f"({u.reported_wait_ms} ms)")
    if u.intact:
        problems.append("unprotected: /c came out intact: the DMA finished "
                        "before /c was written (a very slow machine?)")
    v = result.round(False, "revoke")
    if v is None:
        problems.append("the third act (unprotected, revoke lease) was not "
                        "played" + ("" if result.iommu_on else
                                    ": DMA remapping was not on"))
        return problems
    if v.reported_wait_ms > 0 or v.truncate_ms >= 1000:
        problems.append(f"revoke: the truncate did not return at once "
                        f"({v.truncate_ms} ms)")
    if not v.revoked_holder:
        problems.append("revoke: the truncate did not say it revoked the "
                        "copy's pin")
    if not v.job_revoked:
        problems.append("revoke: the copy did not end revoked")
    if not v.blocked:
        problems.append("revoke: the IOMMU reported no blocked late write")
    if v.blocked and any(f != "/b" for _, f, _ in v.blocked):
        problems.append(f"revoke: a blocked write was not reported as "
                        f"aimed at /b: {v.blocked}")
    if not v.intact:
        problems.append(f"revoke: /c is not intact (crc32 {v.crc}, expected "
                        f"{v.expected_crc}, pages with DMA data "
                        f"{v.pages_from_dma})")
    return problems


# ------------------------------------------------------------- console ----

class Console:
    """QEMU with Holdfast's shell on its serial port: type a command, get
    what it printed up to the next prompt."""

    def __init__(self, cmd, out_dir, deadline):
        self.deadline = deadline
        self.consumed = 0           # clean text already handed out
        self.shown = set()          # kernel messages already reported
        with open(os.path.join(out_dir, CMD_FILE_NAME), "w") as f:
            f.write(qemu.shell_quote(cmd) + "\n")
        try:
            with open(os.path.join(out_dir, STDERR_LOG_NAME), "wb") as err:
                self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                                             stdout=subprocess.PIPE,
                                             stderr=err,
                                             start_new_session=True)
        except OSError as e:
            raise DemoError(f"cannot run {cmd[0]}: {e.strerror}") from None
        self.log_path = os.path.join(out_dir, SERIAL_LOG_NAME)
        self.serial = qemu.SerialLog(self.proc.stdout, self.log_path)

    def text(self):
        return clean_output(self.serial.text())

    def wait_for(self, regex, what, timeout=COMMAND_TIMEOUT_S, since=None):
        """Wait for @regex in the output not handed out yet; returns the
        text up to the end of the match and marks it handed out.  With
        @since (an earlier self.consumed), look from there and hand out
        nothing: for kernel messages that come between commands."""
        limit = min(self.deadline, time.monotonic() + timeout)
        start = self.consumed if since is None else since
        found = []

        def check(raw):
            text = clean_output(raw)
            m = regex.search(text, start)
            if m:
                found.append((text, m))
                return "match"
            return "panic" if PANIC_RE.search(text, self.consumed) else None

        state = self.serial.wait_until(check, limit)
        if state == "panic":
            raise DemoError(f"the kernel panicked while {what}; "
                            f"see {self.log_path}")
        if state == "eof":
            raise DemoError(f"QEMU exited while {what}; see {self.log_path}")
        if state == "timeout":
            raise DemoError(f"timed out while {what}; see {self.log_path}")
        text, m = found[0]
        if since is not None:
            return text[since:m.end()], m
        out = text[self.consumed:m.end()]
        self.consumed = m.end()
        return out, m

    def boot(self):
        self.wait_for(re.compile(re.escape(SHELL_PROMPT)),
                      "waiting for the first prompt")

    def type(self, line):
        try:
            self.proc.stdin.write((line + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise DemoError(f"QEMU closed its serial input before '{line}'"
                            f"; see {self.log_path}") from None

    def run(self, line, timeout=COMMAND_TIMEOUT_S):
        """Type @line; returns its output (the echo and prompt left out)."""
        self.type(line)
        out, _ = self.wait_for(re.compile(re.escape(SHELL_PROMPT)),
                               f"running '{line}'", timeout)
        lines = out[:-len(SHELL_PROMPT)].split("\n")
        # leave out the echoed command (a kernel message may come first)
        for i, l in enumerate(lines):
            if l.strip() == line.strip():
                del lines[i]
                break
        lines = [l for l in lines if l.strip() not in self.shown]
        return "\n".join(lines)

    def poweroff(self):
        self.type("poweroff")
        try:
            self.proc.wait(timeout=POWEROFF_GRACE_S)
        except subprocess.TimeoutExpired:
            pass
        self.close()
        return self.proc.returncode

    def close(self):
        if self.proc.poll() is None:
            qemu.kill_group(self.proc)
            self.proc.wait()
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        self.serial.thread.join()


# ----------------------------------------------------------- the story ----

class Narrator:
    """Prints the narration, the commands and their output (or nothing)."""

    def __init__(self, quiet=False, stream=None):
        self.quiet = quiet
        self.stream = stream or sys.stdout

    def _print(self, text=""):
        if not self.quiet:
            print(text, file=self.stream, flush=True)

    def title(self, text):
        self._print()
        self._print(f"=== {text} ===")

    def say(self, text):
        self._print()
        self._print(f"--> {text}")

    def command(self, line, output, show=True):
        """show: True (command and output), False (the command only) or
        None (nothing)."""
        if show is not None:
            self._print(f"    {SHELL_PROMPT}{line}")
        if show:
            for l in output.rstrip("\n").split("\n"):
                if l.strip():
                    self._print(f"    {l}")

    def note(self, text):
        self._print(f"    ({text})")


def do(console, narrator, line, show=True, timeout=COMMAND_TIMEOUT_S,
       check=True):
    out = console.run(line, timeout)
    narrator.command(line, out, show)
    if check:
        m = ERROR_RE.search(out)
        if m:
            raise DemoError(f"'{line}' failed: {m.group(0).strip()}")
    return out


def fill_device(console, narrator):
    """Fill the free space with /filler; returns the KiB it took."""
    out = do(console, narrator, "df", show=None)
    m = DF_RE.search(out)
    if not m:
        raise DemoError(f"cannot read the free space from df: {out!r}")
    free = int(m.group(3))
    if free:
        do(console, narrator, f"fallocate /filler 0 {free}K", show=False)
    out = do(console, narrator, "df")
    m = DF_RE.search(out)
    if not m or int(m.group(3)) != 0:
        raise DemoError(f"the device is not full after the filler: {out!r}")
    return free


def pages_from_dma(console, narrator):
    """Pages of /c whose first line is not /c's own (it is /src's when the
    DMA landed there)."""
    c_line = (line_text(C_TEXT) + "\n").encode()[:16]
    found = []
    for page in range(PAGES):
        out = do(console, narrator, f"hexdump /c {page * PAGE:#x} 16",
                 show=None)
        m = HEX_ROW_RE.search(out)
        got = bytes(int(x, 16) for x in m.group(1).split()) if m else b""
        if got != c_line:
            found.append(page)
    return found


def play_round(console, narrator, protected, result, lease="wait"):
    r = Round(protected, lease)
    result.rounds.append(r)
    revoke = lease == "revoke"
    how = "protected (the default)" if protected else \
        "UNPROTECTED (unsafe-demo on)" if not revoke else \
        "unprotected, but the copy's pins are a revoke lease (IOMMU on)"
    narrator.title(f"The story, {how}")

    narrator.say(f"1. The DMA target /b is written ({FILE_SIZE // 1024} KiB); "
                 "then the rest of the device is filled, so that the next "
                 "new file can only get blocks somebody frees.")
    do(console, narrator, f"pattern /b {FILE_SIZE} '{line_text(B_TEXT)}'",
       show=False)
    do(console, narrator, "ls -l /")
    fill_device(console, narrator)

    if revoke:
        narrator.say(f"2. A DMA copy from the NVMe disk (which holds /src's "
                     f"data) into /b starts in the background, {PAGES} pages "
                     "in one command. /b's pages are pinned for it and "
                     "mapped for the disk in the IOMMU only while they are; "
                     "with --lease=revoke a layout change may take them "
                     "away instead of waiting. The disk is made slow (a "
                     "test switch holds its doorbell 2 s), so that it is "
                     "sure to write after the truncate.")
        do(console, narrator, f"nvme fault hold {NVME_HOLD_MS}")
    else:
        narrator.say(f"2. A DMA copy /src -> /b starts in the background: "
                     f"{PAGES} pages, each written by the edu engine in turn. "
                     "Its pages of /b are pinned until it is done.")
    since = console.consumed
    out = do(console, narrator,
             f"dma cp --lease=revoke -n {FILE_SIZE} /dev/nvme0n1 /b &"
             if revoke else "dma cp /src /b &")
    m = JOB_STARTED_RE.search(out)
    if not m:
        raise DemoError(f"the DMA copy did not start: {out!r}")
    job = m.group(1)
    # no ^: the kernel prints it whenever the job ends, after a prompt too
    done_re = re.compile(rf"dma job {job}: (copied|failed after) (\d+) bytes"
                         rf".* in (\d+) ms(.*)(?=\n)", re.M)
    do(console, narrator, "pins /b")

    narrator.say("3. /b is truncated to 0 while the DMA is still writing "
                 "into its blocks." + (
                     " Watch: it waits, and the kernel says who holds it."
                     if protected else
                     " It returns at once, having revoked the copy's pins: "
                     "the IOMMU no longer lets the device reach /b's pages."
                     if revoke else
                     " Without the protection it returns at once."))
    out = do(console, narrator, "truncate /b 0")
    m = TRUNCATED_RE.search(out)
    if not m:
        raise DemoError(f"truncate /b 0 did not report: {out!r}")
    r.truncate_ms = float(m.group(2))
    m = WAITS_RE.search(out)
    if m:
        r.reported_wait_ms = int(m.group(2))
    m = HELD_RE.search(out)
    if m:
        r.holder = m.group(1)
    m = REVOKED_PIN_RE.search(out)
    if m:
        r.revoked_holder = m.group(1)
    done = done_re.search(out)
    r.dma_done_before_truncate = bool(done)
    if done:
        console.shown.add(done.group(0).strip())
    if protected:
        if not done:    # the job says so just after its last unpin
            _, done = console.wait_for(done_re, "waiting for the DMA to "
                                       "finish", since=since)
            narrator.note(done.group(0).strip())
            console.shown.add(done.group(0).strip())
        narrator.say(f"4. The DMA completed (the 'dma job {job}' line), and "
                     f"only then did the truncate finish: it waited "
                     f"{r.truncate_ms:.0f} ms.")
    elif revoke:
        narrator.say("4. The truncate has returned; the disk has the command "
                     "and writes its pages late, to I/O addresses that are "
                     "no longer mapped: the IOMMU blocks each write and "
                     "says what the address used to reach. The copy ends "
                     "revoked.")
        try:
            _, m = console.wait_for(REVOKED_JOB_RE, "waiting for the copy "
                                    "to end revoked", timeout=30, since=since)
            r.job_revoked = m.group(1) == "/b"
            narrator.note(m.group(0).strip())
            console.shown.add(m.group(0).strip())
            _, m = console.wait_for(BLOCKED_RE, "waiting for the IOMMU's "
                                    "report of the late write", timeout=10,
                                    since=since)
        except DemoError as e:
            result.problems.append(str(e))
        text = console.text()[since:]
        for m in BLOCKED_RE.finditer(text):
            r.blocked.append((m.group(1), m.group(2), m.group(3)))
            narrator.note(m.group(0).strip())
            console.shown.add(m.group(0).strip())
        do(console, narrator, "pins")
    else:
        narrator.say("4. The truncate has returned, but the device still "
                     "holds the pages (free blocks now) and keeps writing "
                     "them:")
        do(console, narrator, "pins")

    narrator.say("5. A new file /c is written: the only free blocks are "
                 "the ones /b just gave back, so /c gets them.")
    do(console, narrator, f"pattern /c {FILE_SIZE} '{line_text(C_TEXT)}'",
       show=False)
    out = do(console, narrator, "df")
    m = DF_RE.search(out)
    r.free_after_c_kib = int(m.group(3)) if m else -1
    if not protected and not revoke and not r.dma_done_before_truncate:
        narrator.say("... and the DMA, which nobody waited for, finishes:")
        _, m = console.wait_for(done_re, "waiting for the DMA to finish",
                                since=since)
        narrator.note(m.group(0).strip())
        console.shown.add(m.group(0).strip())
    narrator.say("Verify /c: its crc32 against the one of what was written "
                 "into it, and its last page.")
    r.expected_crc = "%08x" % zlib.crc32(pattern_bytes(line_text(C_TEXT)))
    out = do(console, narrator, "crc32 /c")
    m = CRC_RE.search(out)
    r.crc = m.group(1) if m else "?"
    do(console, narrator, f"hexdump /c {(PAGES - 1) * PAGE:#x} 64")
    r.pages_from_dma = pages_from_dma(console, narrator)
    narrator.note(f"read the first line of each of /c's {PAGES} pages "
                  "with hexdump")
    if r.intact:
        narrator.note(f"/c is intact: crc32 {r.crc} as expected; no page "
                      "holds DMA data")
    else:
        narrator.note(f"/c is CORRUPTED: crc32 {r.crc}, expected "
                      f"{r.expected_crc}; {len(r.pages_from_dma)} of "
                      f"{PAGES} pages hold the DMA's data from /src "
                      f"(pages {', '.join(map(str, r.pages_from_dma))})")

    if revoke:
        out = do(console, narrator, "iommu")
        m = IOMMU_FAULTS_RE.search(out)
        r.iommu_faults = int(m.group(2)) if m else -1

    for path in ("/c", "/b", "/filler"):
        do(console, narrator, f"rm {path}", show=None)
    return r


def play(console, narrator, result):
    narrator.title("Holdfast: DMA into a file's pages vs truncate "
                   "(the seed's race)")
    narrator.say("The unsafe switch exists for this demo only; it is off "
                 "unless turned on:")
    out = do(console, narrator, "unsafe-demo")
    result.default_off = bool(DEFAULT_OFF_RE.search(out))
    out = do(console, narrator, "iommu", show=None)
    result.iommu_on = bool(IOMMU_ON_RE.search(out))
    narrator.say(f"The DMA source /src is written: {FILE_SIZE // 1024} KiB "
                 "of a recognisable line.")
    do(console, narrator, f"pattern /src {FILE_SIZE} '{line_text(SRC_TEXT)}'",
       show=False)
    do(console, narrator, "hexdump /src 0 64")

    play_round(console, narrator, True, result)

    narrator.title("Now the protection is switched off")
    out = do(console, narrator, "unsafe-demo on")
    if not UNSAFE_ON_RE.search(out):
        raise DemoError(f"unsafe-demo on did not say it is on: {out!r}")
    try:
        play_round(console, narrator, False, result)
        if result.iommu_on:
            narrator.title("Third act: still unprotected, but the pins are "
                           "a revoke lease")
            play_round(console, narrator, False, result, lease="revoke")
        else:
            narrator.say("No third act: DMA remapping is off on this "
                         "machine (it needs QEMU's intel-iommu on q35).")
    finally:
        do(console, narrator, "unsafe-demo off", check=False)
    narrator.say("The filesystem's metadata is consistent: nothing would "
                 "have told the owner of the second act's /c that its data "
                 "was overwritten.")
    out = do(console, narrator, "fsck -n", check=False)
    verdicts = FSCK_RE.findall(out)
    result.fsck_after = verdicts[-1].strip() if verdicts else "?"


def summary_lines(result):
    lines = ["", "=== Summary ==="]
    p, u = result.round(True), result.round(False)
    lines.append(f"unsafe switch off by default: "
                 f"{'yes' if result.default_off else 'NO'}")
    if p:
        lines.append(
            f"protected:   truncate waited {p.truncate_ms:.0f} ms"
            + (f" (held by {p.holder})" if p.holder else "")
            + f"; new file {'intact' if p.intact else 'CORRUPTED'}"
            + f" (crc32 {p.crc}, expected {p.expected_crc})")
    if u:
        lines.append(
            f"unprotected: truncate returned in {u.truncate_ms:.3f} ms, "
            "with the DMA still in flight; "
            + (f"new file corrupted: {len(u.pages_from_dma)} of {PAGES} "
               f"pages hold DMA data (crc32 {u.crc}, expected "
               f"{u.expected_crc})" if not u.intact else
               "new file intact (the DMA was over before it was written)")
            + (f"; fsck says: {result.fsck_after}"
               if result.fsck_after else ""))
    v = result.round(False, "revoke")
    if v:
        lines.append(
            f"revoked:     truncate returned in {v.truncate_ms:.3f} ms"
            + (" having revoked the copy's pins" if v.revoked_holder else "")
            + f"; {len(v.blocked)} late write(s) blocked by the IOMMU"
            + f"; new file {'intact' if v.intact else 'CORRUPTED'}"
            + f" (crc32 {v.crc}, expected {v.expected_crc})")
    return lines


# ------------------------------------------------------------- machine ----

def prepare_image(out_dir, build_dir):
    path = os.path.join(out_dir, IMAGE_NAME)
    if os.path.exists(path):
        users = qemu.image_users(path)
        if users:
            raise DemoError(f"{path} is in use (pid {users[0]}: another "
                            "make demo?); stop it first")
        os.unlink(path)
    size = qemu.parse_size(PMEM_SIZE)
    qemu.create_image(path, size)
    try:
        if not qemu.format_image(path, build_dir):
            raise DemoError(f"{qemu.mkfs_path(build_dir)} is not built "
                            "(make tools)")
    except qemu.QemuError as e:
        raise DemoError(str(e)) from None
    return path, size


def run_demo(build_dir="build", accel="tcg", iso=None, kernel=None,
             timeout=DEFAULT_TIMEOUT_S, narrator=None, out_dir=None):
    """Boot, play the story twice, power off.  Returns a Result (its
    problems list says what went wrong, judge() what was not shown)."""
    narrator = narrator or Narrator()
    out_dir = out_dir or os.path.join(build_dir, DEMO_SUBDIR)
    os.makedirs(out_dir, exist_ok=True)
    if not iso and not kernel:
        iso = os.path.join(build_dir, "holdfast.iso")
    medium = iso or kernel
    if not os.path.isfile(medium):
        raise DemoError(f"{medium} not found (make iso)")
    binary = qemu.find_qemu()
    if not binary:
        raise DemoError(qemu.QEMU_MISSING)
    image, size = prepare_image(out_dir, build_dir)
    nvme_image = os.path.join(out_dir, NVME_IMAGE_NAME)
    with open(nvme_image, "wb") as f:
        f.write(pattern_bytes(line_text(SRC_TEXT), NVME_SIZE))
    # The VT-d unit for the third act; edu keeps its 28-bit DMA mask, which
    # remapping makes enough (I/O addresses below 256 MiB).
    cmd = qemu.build_cmd(qemu=binary, machine=MACHINE, accel=accel, smp=SMP,
                         iso=iso, kernel=kernel, pmem=[(image, size)],
                         serial="stdio", monitor="none", iommu=True,
                         edu_dma_mask=None, nvme=[nvme_image])
    result = Result()
    console = Console(cmd, out_dir, time.monotonic() + timeout)
    try:
        console.boot()
        play(console, narrator, result)
        for line in summary_lines(result):
            narrator._print(line)
        narrator.say("The end: poweroff.")
        status = console.poweroff()
        narrator.note(qemu.describe_status(status))
        if status != qemu.EXIT_POWEROFF:
            result.problems.append(qemu.describe_status(status)
                                   + " after poweroff")
    except DemoError as e:
        result.problems.append(str(e))
    finally:
        console.close()
    return result


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="demo.py",
        description="Play the seed's DMA-vs-truncate story at Holdfast's "
                    "shell, protected and unprotected.")
    p.add_argument("--build-dir", default="build")
    medium = p.add_mutually_exclusive_group()
    medium.add_argument("--iso", help="ISO to boot (default "
                                      "BUILD/holdfast.iso)")
    medium.add_argument("--kernel", help="ELF to boot with -kernel instead")
    p.add_argument("--accel", default="tcg",
                   help="tcg (default), kvm, or auto (KVM after a probe)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S,
                   help=f"seconds for the whole demo (default "
                        f"{DEFAULT_TIMEOUT_S})")
    p.add_argument("--quiet", action="store_true",
                   help="print only the summary")
    args = p.parse_args(argv)
    if args.timeout <= 0:
        p.error(f"bad --timeout {args.timeout}: must be more than 0")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        elf = args.kernel or os.path.join(args.build_dir, "holdfast.elf")
        accel, message = qemu.choose_accel(args.accel, elf)
        print(message, flush=True)
        narrator = Narrator(quiet=args.quiet)
        result = run_demo(args.build_dir, accel, args.iso, args.kernel,
                          args.timeout, narrator)
    except (DemoError, qemu.QemuError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; QEMU stopped", file=sys.stderr)
        return 1
    if args.quiet:
        for line in summary_lines(result):
            print(line)
    problems = judge(result)
    if problems:
        print("\nthe demo did not show what it should:", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
