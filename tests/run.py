#!/usr/bin/env python3
"""run.py - the test runner behind `make test`.

    python3 tests/run.py [--accel tcg|kvm] [--only SUBSTRING] [--list]
                         [--jobs N] [--build-dir DIR] [--verbose]

Runs every host test binary build/host/test_* and every QEMU boot in
tests/boots.py (in parallel, up to --jobs at once, default the CPU count),
counts the KTAP cases they report and ends with exactly one line
"N passed, N failed, N skipped" (README.md quotes it).  Exit status 1
when anything failed or nothing ran, 0 otherwise.

Output: a line per failed or skipped case (with the diagnostics and log
lines that came before it), then one PASS/FAIL line per binary or boot;
a binary or boot that failed as a whole (crash, timeout, panic, wrong QEMU
status, incomplete KTAP plan ...) says why and shows the end of its output.
Serial logs: build/test/logs/NAME.serial.log (NAME.cmd holds the QEMU
command line, NAME.stderr.log QEMU's own messages).

--accel kvm probes KVM first (scripts/qemu.py) and falls back to TCG,
saying why.  --only runs the binaries and boots whose name contains
SUBSTRING.  --list prints them without running anything.

The KTAP parsing (parse_ktap) and the verdicts (judge_*) are pure
functions so that tests/test_runner_selftest.py can test them.
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TESTS_DIR)
for _path in (TESTS_DIR, os.path.join(ROOT, "scripts")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import boots  # noqa: E402  (tests/boots.py)
import qemu   # noqa: E402  (scripts/qemu.py)

HOST_TEST_TIMEOUT_S = 300
KTAP_CAP_S = 900               # a KTAP boot's wall-clock limit
HOST_TEST_GLOB_PREFIX = "test_"
TAIL_LINES = 30                 # output shown when a binary or boot fails
DIAG_LINES_MAX = 40             # lines shown before a failed/skipped case
STDERR_LINES_MAX = 5            # QEMU stderr lines quoted in a reason

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130

PASS, FAIL, SKIP = "pass", "fail", "skip"

VERSION_RE = re.compile(r"\bK?TAP version \d+")
PLAN_RE = re.compile(r"^1\.\.(\d+)\s*$")
RESULT_RE = re.compile(r"^(not ok|ok)\s+(\d+)\b\s*(?:-\s*)?(.*?)\s*$")
DIRECTIVE_RE = re.compile(r"^(.*?)\s*(?<!\\)#\s*(SKIP|TODO)\b\s*(.*)$",
                          re.IGNORECASE)
DIAG_RE = re.compile(r"^#")
PANIC_RE = qemu.PANIC_RE
BANNER_RE = re.compile(r"^Holdfast\b")


# ------------------------------------------------------------ KTAP --------

@dataclass
class Case:
    number: int
    name: str
    status: str                 # PASS, FAIL or SKIP
    line: str                   # the result line as printed
    reason: str = ""            # SKIP/TODO reason
    diagnostics: list = field(default_factory=list)


@dataclass
class Ktap:
    """What one KTAP stream reported."""
    version_seen: bool = False
    plan: int | None = None
    cases: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    sequence_broken: bool = False   # reported once

    def count(self, status):
        return sum(1 for c in self.cases if c.status == status)

    @property
    def passed(self):
        return self.count(PASS)

    @property
    def failed(self):
        return self.count(FAIL)

    @property
    def skipped(self):
        return self.count(SKIP)

    @property
    def missing(self):
        """Planned results that never came (0 when there is no plan)."""
        if self.plan is None:
            return 0
        return max(0, self.plan - len(self.cases))


clean_output = qemu.clean_output


def parse_ktap(text):
    """Parse flat KTAP from @text (which may hold other log lines too).

    Counts "ok N name", "not ok N name" and "ok N name # SKIP reason"
    lines at the start of a line (indented lines belong to nested tests and
    are ignored).  The "# " diagnostics and other log lines since the
    previous result are kept with each case.  Numbering out of sequence,
    results beyond the plan and a second header or plan are problems.
    """
    kt = Ktap()
    pending = []
    for line in clean_output(text).split("\n"):
        if VERSION_RE.search(line):
            if kt.version_seen:
                kt.problems.append("a second KTAP header: the tests ran "
                                   "twice (did the machine reboot?)")
            kt.version_seen = True
            pending = []
            continue
        m = PLAN_RE.match(line)
        if m:
            if kt.plan is not None:
                kt.problems.append(f"a second KTAP plan '{line.strip()}'")
            else:
                kt.plan = int(m.group(1))
            pending = []
            continue
        m = RESULT_RE.match(line)
        if m:
            kt.cases.append(_make_case(kt, m, line, pending))
            pending = []
            continue
        if line.strip():
            pending.append(line.rstrip())
    return kt


def _make_case(kt, m, line, pending):
    number = int(m.group(2))
    name, status, reason = m.group(3), PASS if m.group(1) == "ok" else FAIL, ""
    d = DIRECTIVE_RE.match(name)
    if d:
        name, reason = d.group(1), d.group(3)
        if d.group(2).upper() == "SKIP":
            status = SKIP
    expected = len(kt.cases) + 1
    if number != expected and not kt.sequence_broken:
        kt.sequence_broken = True
        kt.problems.append(f"result '{line.strip()}' out of sequence "
                           f"(expected number {expected})")
    if kt.plan is not None and expected == kt.plan + 1:
        kt.problems.append(f"more results than the plan 1..{kt.plan}")
    diags = pending[-DIAG_LINES_MAX:]
    if len(pending) > DIAG_LINES_MAX:
        diags.insert(0, f"... ({len(pending) - DIAG_LINES_MAX} earlier "
                        "lines left out)")
    return Case(number, name, status, line.strip(), reason, diags)


# ---------------------------------------------------------- verdicts ------

@dataclass
class Outcome:
    """The verdict on one host binary or boot."""
    name: str
    cases: int = 0              # cases reported or planned
    passed: int = 0
    failed: int = 0             # failed cases + missing + 1 if problems
    skipped: int = 0
    seconds: float = 0.0
    shown: list = field(default_factory=list)   # failed/skipped Cases
    problems: list = field(default_factory=list)
    tail_title: str = ""
    tail: list = field(default_factory=list)

    def finish(self):
        """Count the binary or boot itself as one failure if it had any
        problem."""
        if self.problems:
            self.failed += 1
        return self


def plural(count, noun):
    return f"{count} {noun}{'' if count == 1 else 's'}"


def tail_lines(text, count=TAIL_LINES):
    lines = clean_output(text).rstrip("\n").split("\n")
    return lines[-count:] if lines != [""] else []


def _count_ktap(out, kt):
    out.passed, out.failed, out.skipped = kt.passed, kt.failed, kt.skipped
    out.cases = len(kt.cases) + kt.missing
    out.shown = [c for c in kt.cases if c.status != PASS]
    out.problems.extend(kt.problems)
    if kt.plan is None:
        out.problems.append("no KTAP plan line ('1..N') in the output")
    elif kt.missing:
        out.failed += kt.missing
        out.problems.append(f"{kt.missing} of {kt.plan} planned results "
                            "missing (counted as failed)")


def judge_host(name, stdout, stderr, returncode, timed_out,
               timeout=HOST_TEST_TIMEOUT_S, seconds=0.0):
    """Verdict on a host test binary from its output and exit status."""
    out = Outcome(name, seconds=seconds)
    kt = parse_ktap(stdout)
    if timed_out:
        out.problems.append(f"timed out after {timeout:g} s (killed)")
    elif returncode < 0:
        out.problems.append(f"crashed: killed by "
                            f"{qemu.signal_name(-returncode)}")
    elif returncode != 0 and kt.failed == 0:
        out.problems.append(f"exited with status {returncode} but reported "
                            "no failing case")
    elif returncode == 0 and kt.failed:
        out.problems.append(f"exited with status 0 although "
                            f"{plural(kt.failed, 'case')} failed")
    _count_ktap(out, kt)
    if out.problems:
        text = (stderr or "").strip() or stdout
        out.tail_title = "end of stderr" if (stderr or "").strip() \
            else "end of stdout"
        out.tail = tail_lines(text)
    return out.finish()


def serial_problems(text, reboots=0):
    """Panics and reboots in a serial log (every boot fails on these); a
    boot that is meant to reboot @reboots times must show exactly that many
    more banners."""
    problems = []
    lines = clean_output(text).split("\n")
    for i, line in enumerate(lines, 1):
        if PANIC_RE.search(line):
            problems.append(f"kernel panic at serial line {i}: "
                            f"{line.strip()}")
            break
    banners = [i for i, line in enumerate(lines, 1) if BANNER_RE.match(line)]
    if len(banners) > 1 + reboots:
        problems.append(f"the kernel booted {len(banners)} times (a "
                        f"'Holdfast' banner at serial line "
                        f"{banners[1 + reboots]}): it rebooted"
                        + (f" more than the {reboots} time(s) expected"
                           if reboots else ""))
    elif reboots and len(banners) < 1 + reboots:
        problems.append(f"the kernel booted {len(banners)} time(s), "
                        f"expected {1 + reboots} ({reboots} reboot(s))")
    return problems


def _stderr_excerpt(stderr):
    lines = [l for l in (stderr or "").strip().split("\n") if l.strip()]
    return "; ".join(lines[:STDERR_LINES_MAX])


def _status_problem(returncode, expected, meaning):
    why = qemu.describe_status(returncode)
    return f"{why}, expected {expected} ({meaning})"


def judge_ktap_boot(name, serial, stderr, returncode, timed_out, timeout,
                    seconds=0.0):
    """Verdict on a KTAP boot: its cases plus the checks on the boot itself."""
    out = Outcome(name, seconds=seconds)
    kt = parse_ktap(serial)
    if timed_out:
        out.problems.append(timed_out if isinstance(timed_out, str) else
                            f"timed out after {timeout:g} s (killed QEMU)")
    elif returncode not in (qemu.EXIT_PASS, qemu.EXIT_FAIL):
        problem = _status_problem(
            returncode, f"{qemu.EXIT_PASS} or {qemu.EXIT_FAIL}",
            "the kernel leaves a test run through isa-debug-exit")
        if returncode == qemu.EXIT_POWEROFF:
            problem += "; status 0 is a poweroff, reset or triple fault"
        excerpt = _stderr_excerpt(stderr)
        out.problems.append(problem + (f"; QEMU said: {excerpt}"
                                       if excerpt else ""))
    elif returncode == qemu.EXIT_PASS and (kt.failed or kt.missing):
        out.problems.append(f"QEMU status {qemu.EXIT_PASS} (kernel says "
                            f"pass) disagrees with the KTAP: {kt.failed} "
                            f"failed, {kt.missing} missing")
    elif returncode == qemu.EXIT_FAIL and not kt.failed and not kt.missing \
            and kt.plan is not None:
        out.problems.append(f"QEMU status {qemu.EXIT_FAIL} (kernel says "
                            "fail) disagrees with the KTAP: no case failed")
    _count_ktap(out, kt)
    out.problems.extend(serial_problems(serial))
    if out.problems:
        out.tail_title = f"last {TAIL_LINES} lines of the serial output"
        out.tail = tail_lines(serial)
    return out.finish()


def judge_scenario(boot, serial, stderr, returncode, timed_out,
                   waiting_for="", seconds=0.0):
    """Verdict on a scenario boot: one test, passed or failed."""
    out = Outcome(boot.name, cases=1, seconds=seconds)
    text = clean_output(serial)
    if timed_out:
        out.problems.append(f"timed out after {boot.timeout:g} s (killed "
                            f"QEMU){' ' + waiting_for if waiting_for else ''}")
    elif boot.status is not None and returncode != boot.status:
        excerpt = _stderr_excerpt(stderr)
        out.problems.append(
            _status_problem(returncode, boot.status, "from the table")
            + (f"; QEMU said: {excerpt}" if excerpt else ""))
    for pattern in boot.expect:
        if not re.search(pattern, text, re.MULTILINE):
            out.problems.append(f"expected output matching /{pattern}/ "
                                "not found")
    for pattern in boot.reject:
        m = re.search(pattern, text, re.MULTILINE)
        if m:
            out.problems.append(f"output matches the rejected /{pattern}/: "
                                f"'{m.group(0).strip()}'")
    if boot.check:
        problem = _run_check(boot.check, text)
        if problem:
            out.problems.append(problem)
    out.problems.extend(serial_problems(serial, boot.reboots))
    if out.problems:
        out.tail_title = f"last {TAIL_LINES} lines of the serial output"
        out.tail = tail_lines(serial)
        out.failed = 1
    else:
        out.passed = 1
    return out


def _run_check(check, text):
    """A scenario's check function on its output: None, or the problem
    named after the check (a check that raises has failed)."""
    name = getattr(check, "__name__", "check")
    try:
        problem = check(text)
    except Exception as e:      # a broken check is a failed boot
        problem = f"raised {type(e).__name__}: {e}"
    return f"{name}: {problem}" if problem else None


def render(out):
    """The lines printed for one binary or boot."""
    lines = []
    for case in out.shown:
        lines.append(f"  {out.name}: {case.line}")
        lines.extend(f"      {d}" for d in case.diagnostics)
    parts = [plural(out.cases, "case")]
    if out.failed:
        parts.append(f"{out.failed} failed")
    if out.skipped:
        parts.append(f"{out.skipped} skipped")
    parts.append(f"{out.seconds:.1f} s")
    verdict = "FAIL" if out.failed else "PASS"
    lines.append(f"{verdict} {out.name} ({', '.join(parts)})")
    lines.extend(f"    {p}" for p in out.problems)
    if out.problems and out.tail:
        lines.append(f"    {out.tail_title}:")
        lines.extend(f"    | {t}" for t in out.tail)
    return lines


def summary_line(passed, failed, skipped):
    """The last line of a run, always with all three counts, so that it
    reads the same as README.md says whether or not anything skipped."""
    return f"{passed} passed, {failed} failed, {skipped} skipped"


# ---------------------------------------------------------- running -------

class Live:
    """Processes still running, so that an interrupt can kill them all."""
    lock = threading.Lock()
    procs = set()
    stopping = False

    @classmethod
    def add(cls, proc):
        with cls.lock:
            if cls.stopping:
                qemu.kill_group(proc)
            cls.procs.add(proc)

    @classmethod
    def remove(cls, proc):
        with cls.lock:
            cls.procs.discard(proc)

    @classmethod
    def kill_all(cls):
        with cls.lock:
            cls.stopping = True
            for proc in cls.procs:
                qemu.kill_group(proc)


def _spawn(cmd, stdin):
    proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    Live.add(proc)
    return proc


def run_host_binary(path, timeout=HOST_TEST_TIMEOUT_S):
    name = os.path.basename(path)
    start = time.monotonic()
    timed_out = False
    try:
        proc = _spawn([path], subprocess.DEVNULL)
    except OSError as e:
        out = Outcome(name, problems=[f"cannot run {path}: {e.strerror}"])
        return out.finish()
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        qemu.kill_group(proc)
        stdout, stderr = proc.communicate()
    finally:
        Live.remove(proc)
    return judge_host(name, stdout.decode("utf-8", "replace"),
                      stderr.decode("utf-8", "replace"), proc.returncode,
                      timed_out, timeout, time.monotonic() - start)


@dataclass
class Context:
    build_dir: str
    accel: str
    qemu: str | None
    verbose: bool = False

    @property
    def test_dir(self):
        return os.path.join(self.build_dir, "test")

    @property
    def log_dir(self):
        return os.path.join(self.test_dir, "logs")


def boot_medium(boot, build_dir):
    return os.path.join(build_dir, boot.iso or boot.kernel)


def boot_images(boot, ctx):
    """Create fresh NVDIMM images for @boot (kept ones in a sequence),
    then let boot.prepare damage them; returns [(path, size)]."""
    images = []
    for i, size_text in enumerate(boot.pmem):
        stem = (boot.images_as or boot.name).replace("/", "-")
        path = os.path.join(ctx.test_dir, f"{stem}.pmem{i}.img")
        size = qemu.parse_size(size_text)
        if boot.keep_images and os.path.isfile(path):
            images.append((path, size))
            continue
        if os.path.exists(path):
            os.unlink(path)         # fresh: no data from an earlier run
        qemu.create_image(path, size)
        if boot.pmem_format and not qemu.format_image(path, ctx.build_dir):
            raise qemu.QemuError(f"{qemu.mkfs_path(ctx.build_dir)} is not "
                                 "built, and this boot needs a formatted "
                                 "image")
        images.append((path, size))
    if boot.prepare:
        problem = boot.prepare([p for p, _ in images])
        if problem:
            raise qemu.QemuError(f"{boot.prepare.__name__}: {problem}")
    return images


def nvme_images(boot, ctx):
    """Fresh NVMe images for @boot (kept ones in a sequence), filled with
    boots.nvme_pattern(); returns [(path, block_size)]."""
    out = []
    for k, (size_text, block) in enumerate(boot.nvme):
        stem = (boot.images_as or boot.name).replace("/", "-")
        path = os.path.join(ctx.test_dir, f"{stem}.nvme{k}.img")
        if not (boot.keep_images and os.path.isfile(path)):
            with open(path, "wb") as f:
                f.write(boots.nvme_pattern(qemu.parse_size(size_text), k))
        out.append((path, block))
    return out


def boot_cmd(boot, ctx, images):
    return qemu.build_cmd(
        qemu=ctx.qemu, machine=boot.machine, accel=ctx.accel, smp=boot.smp,
        iso=boot_medium(boot, ctx.build_dir) if boot.iso else None,
        kernel=boot_medium(boot, ctx.build_dir) if boot.kernel else None,
        append=boot.append, pmem=images, edu=boot.edu,
        edu_dma_mask=None if boot.edu_default_mask else qemu.EDU_FULL_DMA_MASK,
        debug_exit=True, serial="stdio", monitor="none",
        no_reboot=not boot.reboots, extra=boot.extra,
        nvme=nvme_images(boot, ctx), iommu=boot.iommu)


def _failed_boot(boot, problem):
    cases = 1 if boot.kind == boots.SCENARIO else 0
    return Outcome(boot.name, cases=cases, problems=[problem]).finish()


def _shown(text):
    """@text as a failure message quotes it: escaped, at most 40 characters."""
    shown = repr(text.rstrip("\n"))[1:-1]
    if len(shown) > 40:
        shown = shown[:40] + f"... ({len(shown)} characters)"
    return shown


def _type(proc, text):
    proc.stdin.write(text.encode())
    proc.stdin.flush()


def _feed_then(boot, proc, serial, deadline):
    """The boot.then pairs: wait for each regex in the output that came after
    the previous match, then type its text.  "" or what it waited for."""
    start = 0
    for pattern, text in boot.then:
        regex = re.compile(pattern, re.MULTILINE)

        def search(output, regex=regex, start=start):
            return regex.search(clean_output(output), start)
        m = serial.wait_until(search, deadline)
        if not isinstance(m, re.Match):     # "eof" or "timeout"
            return f"waiting for /{pattern}/ before typing '{_shown(text)}'"
        start = m.end()
        _type(proc, text)
    return ""


def _feed(boot, proc, serial, deadline):
    """Type boot.stdin, then boot.then; returns what it was waiting for if
    it gave up."""
    prompt = re.compile(boot.prompt)
    lines = boot.stdin.splitlines(keepends=True)
    waiting = ""
    try:
        if boot.feed == "all":
            _type(proc, boot.stdin)
        else:
            for i, line in enumerate(lines):
                def prompts(text, want=i + 1):
                    return len(prompt.findall(clean_output(text))) >= want
                if serial.wait_until(prompts, deadline) is not True:
                    return (f"waiting for prompt {i + 1} (/{boot.prompt}/) "
                            f"before typing '{_shown(line)}'")
                _type(proc, line)
        waiting = _feed_then(boot, proc, serial, deadline)
        proc.stdin.close()
    except (BrokenPipeError, OSError):
        pass                    # QEMU is gone; its status tells why
    return waiting


def run_boot(boot, ctx):
    medium = boot_medium(boot, ctx.build_dir)
    if not os.path.isfile(medium):
        return _failed_boot(boot, f"missing {medium} (make test builds it; "
                                  f"or: make {medium})")
    if not ctx.qemu:
        return _failed_boot(boot, qemu.QEMU_MISSING)
    try:
        images = boot_images(boot, ctx)
    except (qemu.QemuError, OSError, ValueError) as e:
        return _failed_boot(boot, f"cannot prepare the NVDIMM images: {e}")
    cmd = boot_cmd(boot, ctx, images)
    os.makedirs(ctx.log_dir, exist_ok=True)
    log = os.path.join(ctx.log_dir, boot.name.replace("/", "-"))
    with open(log + ".cmd", "w") as f:
        f.write(qemu.shell_quote(cmd) + "\n")
    if ctx.verbose:
        print(f"{boot.name}: {qemu.shell_quote(cmd)}", flush=True)

    start = time.monotonic()
    deadline = start + boot.timeout
    scenario = boot.kind == boots.SCENARIO
    try:
        proc = _spawn(cmd, subprocess.PIPE if scenario else subprocess.DEVNULL)
    except OSError as e:
        return _failed_boot(boot, f"cannot run {cmd[0]}: {e.strerror}")
    serial = qemu.SerialLog(proc.stdout, log + ".serial.log")
    errors = qemu.SerialLog(proc.stderr, log + ".stderr.log")
    waiting_for = _feed(boot, proc, serial, deadline) if scenario else ""
    timed_out = False
    try:
        if scenario:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        else:
            timed_out = _wait_while_talking(proc, serial, boot.timeout,
                                            start, ktap_cap(boot))
    except subprocess.TimeoutExpired:
        timed_out = True
    finally:
        if timed_out:
            qemu.kill_group(proc)
            proc.wait()
        Live.remove(proc)
    if proc.stdin:
        try:
            proc.stdin.close()
        except OSError:
            pass
    serial.thread.join()
    errors.thread.join()
    seconds = time.monotonic() - start
    if scenario:
        return judge_scenario(boot, serial.text(), errors.text(),
                              proc.returncode, timed_out,
                              waiting_for if timed_out else "", seconds)
    return judge_ktap_boot(boot.name, serial.text(), errors.text(),
                           proc.returncode, timed_out, boot.timeout, seconds)


def ktap_cap(boot):
    """Wall-clock limit of a KTAP boot, however much it prints."""
    return max(KTAP_CAP_S, 4 * boot.timeout)


def _wait_while_talking(proc, serial, silence, start, cap):
    """Wait for a KTAP boot to exit.  A run that keeps printing may take
    as long as a loaded machine needs, up to `cap` seconds in all; one whose
    serial port has been silent for `silence` seconds is hung.  False when
    QEMU exited, else the reason it must be killed."""
    while True:
        try:
            proc.wait(timeout=min(1.0, silence / 4))
            return False
        except subprocess.TimeoutExpired:
            pass
        now = time.monotonic()
        if now - start >= cap:
            return f"timed out after {cap:g} s in all (killed QEMU)"
        if now - serial.last_output >= silence:
            return (f"timed out: no serial output for {silence:g} s "
                    f"(killed QEMU)")


def run_sequence(seq, ctx):
    """Run the steps of a boots.Sequence in order; one case per step."""
    out = Outcome(seq.name, cases=len(seq.steps))
    images = []
    start = time.monotonic()
    for i, step in enumerate(seq.steps):
        if isinstance(step, boots.Boot):
            sub = run_boot(step, ctx)
            images = [os.path.join(ctx.test_dir, f"{seq.name}.pmem{k}.img")
                      for k in range(len(step.pmem))]
            problem = "; ".join(sub.problems) if sub.failed else ""
            if sub.failed and not problem:
                problem = f"{sub.failed} case(s) failed"
            if problem:
                out.tail_title, out.tail = sub.tail_title, sub.tail
        else:
            try:
                problem = step(images) or ""
            except Exception as e:      # a broken check is a failed step
                problem = f"check raised {type(e).__name__}: {e}"
            name = getattr(step, "__name__", "check")
            problem = f"{name}: {problem}" if problem else ""
        if problem:
            out.problems.append(f"step {i + 1}: {problem}")
            out.failed = len(seq.steps) - i
            break
        out.passed += 1
    out.seconds = time.monotonic() - start
    return out


# -------------------------------------------------------------- main ------

def host_binaries(build_dir):
    host_dir = os.path.join(build_dir, "host")
    try:
        names = sorted(os.listdir(host_dir))
    except FileNotFoundError:
        return []
    paths = [os.path.join(host_dir, n) for n in names
             if n.startswith(HOST_TEST_GLOB_PREFIX)]
    return [p for p in paths if os.path.isfile(p) and os.access(p, os.X_OK)]


def describe_boot(boot):
    if isinstance(boot, boots.Sequence):
        return f"{boot.name:24} sequence  " + "\n".join(
            (describe_boot(s) if isinstance(s, boots.Boot)
             else f"{'':24}   host check {s.__name__}") for s in boot.steps)
    medium = f"-cdrom {boot.iso}" if boot.iso else f"-kernel {boot.kernel}"
    if boot.append is not None:
        medium += f" -append '{boot.append}'"
    pmem = ",".join(boot.pmem) or "none"
    text = (f"{boot.name:24} {boot.kind:9} {boot.machine:4} smp {boot.smp}  "
            f"{medium}  pmem {pmem}  timeout {boot.timeout:g} s")
    if boot.kind == boots.SCENARIO:
        text += (f"\n{'':24} stdin {boot.stdin[:60]!r}"
                 f"{'...' if len(boot.stdin) > 60 else ''} (feed {boot.feed})"
                 f"  status {boot.status}  expect {list(boot.expect)}"
                 + (f"  reject {list(boot.reject)}" if boot.reject else "")
                 + (f"  then {[p for p, _ in boot.then]}" if boot.then else "")
                 + (f"  check {boot.check.__name__}" if boot.check else ""))
    return text


def list_tests(binaries, selected_boots, build_dir):
    print(f"host test binaries ({os.path.join(build_dir, 'host')}):")
    for path in binaries:
        print(f"  {os.path.basename(path)}")
    if not binaries:
        print("  (none built: make host-tests)")
    print("boots (tests/boots.py):")
    for boot in selected_boots:
        print("  " + describe_boot(boot))


def choose_accel(requested, build_dir, qemu_binary):
    """Accelerator for the boots: TCG, or KVM if asked for and it works."""
    if requested != "kvm":
        return "tcg", "accelerator: tcg"
    elf = os.path.join(build_dir, "holdfast.elf")
    return qemu.choose_accel("kvm", elf, qemu=qemu_binary,
                             probe_forced_kvm=True)


def parse_args(argv):
    p = argparse.ArgumentParser(prog="tests/run.py",
                                description="Run Holdfast's tests.")
    p.add_argument("--accel", default="tcg", choices=("tcg", "kvm", ""),
                   help="tcg (default) or kvm (probed; TCG if it fails)")
    p.add_argument("--only", default="",
                   help="run only binaries/boots whose name contains this")
    p.add_argument("--list", action="store_true",
                   help="list the host binaries and boots, run nothing")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                   help="binaries/boots run at once (default: CPU count)")
    p.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    p.add_argument("-v", "--verbose", action="store_true",
                   help="print each QEMU command line")
    return p.parse_args(argv)


def _on_sigterm(signum, frame):
    raise KeyboardInterrupt


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    build_dir = os.path.relpath(args.build_dir)
    if build_dir.startswith(".."):
        build_dir = os.path.abspath(args.build_dir)
    binaries = [b for b in host_binaries(build_dir)
                if args.only in os.path.basename(b)]
    selected = [b for b in boots.BOOTS if args.only in b.name]
    if args.list:
        list_tests(binaries, selected, build_dir)
        return EXIT_OK

    qemu_binary = qemu.find_qemu()
    accel = "tcg"
    if selected:
        accel, message = choose_accel(args.accel, build_dir, qemu_binary)
        print(message, flush=True)
        if not qemu_binary:
            print(f"error: {qemu.QEMU_MISSING}", flush=True)
    ctx = Context(build_dir, accel, qemu_binary, args.verbose)

    passed = failed = skipped = 0
    if not binaries and not selected:
        what = f" matches --only '{args.only}'" if args.only else " was found"
        print(f"error: no host test binary or boot{what}; nothing ran")
        failed = 1
    signal.signal(signal.SIGTERM, _on_sigterm)
    pool = ThreadPoolExecutor(max_workers=max(1, args.jobs))
    try:
        # The multi-CPU boots are the longest: start them first so they
        # do not end up alone on a loaded machine at the end of the run.
        heavy = sorted(selected, key=lambda b: -getattr(b, "smp", 1))
        futures = [pool.submit(run_sequence if isinstance(b, boots.Sequence)
                               else run_boot, b, ctx) for b in heavy]
        futures += [pool.submit(run_host_binary, b) for b in binaries]
        for future in as_completed(futures):
            out = future.result()
            print("\n".join(render(out)), flush=True)
            passed += out.passed
            failed += out.failed
            skipped += out.skipped
    except KeyboardInterrupt:
        Live.kill_all()
        pool.shutdown(wait=False, cancel_futures=True)
        print("interrupted: killed the running tests", flush=True)
        return EXIT_INTERRUPTED
    pool.shutdown()
    print(summary_line(passed, failed, skipped), flush=True)
    return EXIT_FAILED if failed else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
