#!/usr/bin/env python3
"""layers.py - check that the tree stacks in layer order.

docs/design.md ("Layers: who may call whom") orders the tree:

    1 lib  <  2 arch, kernel  <  3 drivers  <  4 DAX  <  5 holdfs
      <  6 VFS, DMA on files  <  7 the top (init, shell, bench, the
                                    in-kernel test runner and suites)

A file may use what sits in its own layer or below, never above: a lower
layer reaches a higher one only through something the higher one
registers (an ops table, a hook, a command table).  Each product source
(.c, .S and .h under the folders in PRODUCT_DIRS; tests/kernel/ counts,
the kernel links it) belongs to one *unit* of UNITS; a public header in
include/X/ belongs to the unit of folder X.

Two graphs are drawn between units and checked the same way:

  - includes: every #include line, resolved (the file's own folder
    first, then include/);
  - calls: with --objects build/k, every global symbol an object file
    uses and which object defines it (nm), which also sees a function
    declared by hand instead of through its header.

The check fails on:

  - an include or a call that goes up the layer order;
  - a circle between units, other than arch <-> kernel (arch code takes
    the core's locks and prints through its console, and the core
    switches threads and maps pages through arch: every kernel is built
    that way);
  - a weak reference from one unit to a symbol another defines (two
    halves of one thing linked by the linker's choice: use a normal call
    or a registration);
  - a product source with a relative include that leaves its folder
    (#include "../..."): a module's face is its header in include/;
  - a product file that no unit claims (a new folder or public header is
    placed in UNITS first);
  - an exception that no longer matches anything (EXCEPTIONS only
    shrinks; checked when both graphs are drawn).

    python3 scripts/layers.py                       includes only
    python3 scripts/layers.py --objects build/k     includes and calls
    python3 scripts/layers.py --graph ...           also print the graph

Exit status 0 when the tree is clean, 1 otherwise.  tests/test_layers.py
runs it in make test.
"""
import argparse
import os
import re
import subprocess
import sys

# (unit, layer, path prefixes).  The longest matching prefix wins, so
# fs/dax.c and include/fs/dax.h land in "dax" although fs/ is elsewhere.
UNITS = [
    ("lib", 1, ["lib/", "include/lib/"]),
    ("arch", 2, ["arch/", "include/arch/"]),
    ("kernel", 2, ["kernel/", "include/kernel/"]),
    ("drivers", 3, ["drivers/", "include/drivers/"]),
    ("dax", 4, ["fs/dax.c", "fs/dax_", "include/fs/dax"]),
    # What user programs include (struct layouts of ioctls): no code.
    ("uapi", 1, ["include/uapi/"]),
    ("holdfs", 5, ["fs/holdfs/", "include/fs/holdfs"]),
    ("vfs", 6, ["fs/vfs", "fs/devfs.c", "include/fs/vfs.h"]),
    ("dmafile", 6, ["fs/dmafile.c", "include/fs/dmafile.h"]),
    # lwIP's port and netif glue, and the servers on it (NBD).
    ("net", 6, ["net/", "include/net/"]),
    ("bench", 7, ["bench/", "include/bench/"]),
    ("shell", 7, ["shell/", "include/shell/"]),
    # The system-call table and what only it uses (exec, pipes, the tty).
    ("syscall", 7, ["syscall/", "include/syscall/"]),
    # The in-kernel test runner, which init starts instead of the shell...
    ("ktest", 7, ["tests/kernel/ktest_kernel.c", "include/tests/"]),
    ("init", 7, ["init/", "include/init/"]),
    # ...and the suites it runs, which register themselves (KTEST) and may
    # test anything, init included.
    ("tests", 7, ["tests/"]),
]

# The folders whose files are product sources (and must all be claimed).
PRODUCT_DIRS = ["lib", "arch", "kernel", "drivers", "fs", "net", "bench", "shell",
                "syscall", "init", "include", "tests/kernel"]
SOURCE_EXT = (".c", ".S", ".h")

# Units that may use each other (the only circle allowed).
MUTUAL = {frozenset(("arch", "kernel"))}

# Known upward uses, by (using file, unit used), each with its reason.
EXCEPTIONS = {
    ("arch/x86_64/boot.S", "init"):
        "the 32->64-bit entry jumps to kmain(), the C entry; every kernel's "
        "arch entry calls init by name (Linux: head_64.S -> start_kernel())",
}

INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def unit_of(path):
    """The (unit, layer) that claims @path (relative to the root), or None."""
    best = None
    for name, layer, prefixes in UNITS:
        for p in prefixes:
            if path.startswith(p) and (best is None or len(p) > best[0]):
                best = (len(p), name, layer)
    return (best[1], best[2]) if best else None


def product_files(root):
    """Every product source file, as a path relative to @root, sorted."""
    out = []
    for d in PRODUCT_DIRS:
        for dirpath, dirs, files in os.walk(os.path.join(root, d)):
            dirs.sort()
            for f in files:
                if f.endswith(SOURCE_EXT):
                    out.append(os.path.relpath(os.path.join(dirpath, f), root))
    return sorted(set(out))


def resolve(root, src, kind, name):
    """The file an #include names, relative to @root, or None (a system
    header such as <stdint.h>)."""
    candidates = [os.path.join(os.path.dirname(src), name)] if kind == '"' else []
    candidates.append(os.path.join("include", name))
    for c in candidates:
        c = os.path.normpath(c)
        if os.path.isfile(os.path.join(root, c)):
            return c
    return None


def includes(root, src):
    """(line number, text, resolved path or None) for each #include."""
    with open(os.path.join(root, src), encoding="utf-8", errors="replace") as f:
        text = f.read()
    for m in INCLUDE_RE.finditer(text):
        kind, name = m.group(1), m.group(2)
        shown = f"#include {kind}{name}{'>' if kind == '<' else kind}"
        yield (text.count("\n", 0, m.start()) + 1, shown,
               kind == '"' and name.startswith("../"), resolve(root, src, kind, name))


def symbols(root, srcs, objdir, nm):
    """{source: (defined globals, undefined globals, weak undefined)} for
    each of @srcs (.c/.S) whose object file exists under @objdir."""
    objs = {}
    for s in srcs:
        if s.endswith((".c", ".S")):
            o = os.path.join(objdir, os.path.splitext(s)[0] + ".o")
            if os.path.isfile(o):
                objs[o] = s
    out = {s: (set(), set(), set()) for s in objs.values()}
    if not objs:
        return out
    text = subprocess.run([nm, "-A"] + sorted(objs), check=True, text=True,
                          stdout=subprocess.PIPE).stdout
    for line in text.splitlines():
        path, _, rest = line.partition(":")
        fields = rest.split()
        if path not in objs or len(fields) < 2:
            continue
        d, u, w = out[objs[path]]
        kind, name = fields[-2], fields[-1]
        if kind == "U":
            u.add(name)
        elif kind == "w":
            w.add(name)
        elif kind.isupper():
            d.add(name)
    return out


def find_cycles(edges):
    """Strongly connected components of more than one unit (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    nodes = sorted({a for a, _ in edges} | {b for _, b in edges})
    succ = {n: sorted({b for a, b in edges if a == n}) for n in nodes}

    def visit(n):
        index[n] = low[n] = len(index)
        stack.append(n)
        on.add(n)
        for m in succ[n]:
            if m not in index:
                visit(m)
                low[n] = min(low[n], low[m])
            elif m in on:
                low[n] = min(low[n], index[m])
        if low[n] == index[n]:
            comp = []
            while True:
                m = stack.pop()
                on.discard(m)
                comp.append(m)
                if m == n:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for n in nodes:
        if n not in index:
            visit(n)
    return out


class Checker:
    def __init__(self, root, exceptions):
        self.root = root
        self.exceptions = exceptions
        self.problems = []
        self.edges = {}		# (unit, unit) -> [(where, what)]
        self.excused = set()	# edges made of excepted uses only
        self.used = set()	# exceptions that matched

    def use(self, src, u, target_unit, where, what):
        """@src (unit @u) uses @target_unit; record it, complain if upward."""
        t = target_unit
        if t[0] == u[0]:
            return
        key = (u[0], t[0])
        excused = (src, t[0]) in self.exceptions
        if excused:
            self.used.add((src, t[0]))
        if key not in self.edges:
            self.excused.add(key)
        if not excused:
            self.excused.discard(key)
        self.edges.setdefault(key, []).append((where, what))
        if t[1] > u[1] and not excused:
            self.problems.append(f"{where}: {u[0]} (layer {u[1]}) uses {t[0]} "
                                 f"(layer {t[1]}), which sits above it: {what}")

    def check_includes(self, srcs):
        for src in srcs:
            u = unit_of(src)
            if u is None:
                self.problems.append(f"{src}: no layer claims this file: add its folder "
                                     f"to UNITS in scripts/layers.py")
                continue
            for line, shown, relative, target in includes(self.root, src):
                where = f"{src}:{line}"
                if relative and not src.startswith("tests/"):
                    self.problems.append(
                        f"{where}: {shown}: a relative include leaves "
                        f"{os.path.dirname(src)}/: reach another module through "
                        f"its header in include/")
                if target is None:
                    continue
                t = unit_of(target)
                if t is None:
                    self.problems.append(f"{where}: {shown}: {target} belongs to no layer")
                    continue
                self.use(src, u, t, where, shown)

    def check_calls(self, srcs, objdir, nm):
        syms = symbols(self.root, srcs, objdir, nm)
        owner = {}
        for src, (defined, _, _) in syms.items():
            for s in defined:
                owner.setdefault(s, src)
        for src, (_, undefined, weak) in sorted(syms.items()):
            u = unit_of(src)
            if u is None:
                continue
            for s in sorted(undefined | weak):
                if s not in owner:
                    continue	# linker-script or generated (ksyms) symbols
                t = unit_of(owner[s])
                if s in weak and t[0] != u[0]:
                    self.problems.append(
                        f"{src}: a weak reference to {s} ({owner[s]}): link the two "
                        f"through a normal call or a registration")
                self.use(src, u, t, src, f"{s}() in {owner[s]}")
        return len(syms)

    def check_circles(self):
        counted = set(self.edges) - self.excused
        for comp in find_cycles(counted):
            if frozenset(comp) in MUTUAL:
                continue
            links = [f"{a} -> {b} ({self.edges[(a, b)][0][0]}: {self.edges[(a, b)][0][1]})"
                     for (a, b) in sorted(counted) if a in comp and b in comp]
            self.problems.append("circle between " + ", ".join(comp) + ": " +
                                 "; ".join(links))

    def check_stale(self):
        for src, unit in sorted(set(self.exceptions) - self.used):
            self.problems.append(f"{src} no longer uses {unit}: remove its exception "
                                 f"from EXCEPTIONS in scripts/layers.py")


def check(root, objdir=None, exceptions=None, nm="nm"):
    """Returns (problems, edges, excused edges, objects read).  @objdir: where the kernel's
    object files are (build/k), or None to check the includes only."""
    c = Checker(root, EXCEPTIONS if exceptions is None else exceptions)
    srcs = product_files(root)
    c.check_includes(srcs)
    nobj = c.check_calls(srcs, objdir, nm) if objdir else 0
    c.check_circles()
    if nobj:
        c.check_stale()
    return c.problems, c.edges, c.excused, nobj


def print_graph(edges, excused, out):
    layer = {name: lay for name, lay, _ in UNITS}
    print("unit graph (user -> used: uses), lowest layer first:", file=out)
    for (a, b), v in sorted(edges.items(), key=lambda e: (layer[e[0][0]], e[0][0],
                                                          layer[e[0][1]], e[0][1])):
        mark = ""
        if layer[b] > layer[a]:
            mark = "  UP (an exception)" if (a, b) in excused else "  UP"
        print(f"  {layer[a]} {a:8} -> {layer[b]} {b:8} {len(v):4}{mark}", file=out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.join(os.path.dirname(__file__), ".."),
                    help="the tree to check (default: this repository)")
    ap.add_argument("--objects", metavar="DIR",
                    help="the kernel's object files (build/k): check calls too")
    ap.add_argument("--graph", action="store_true", help="print the unit graph")
    args = ap.parse_args(argv)
    root = os.path.normpath(args.root)
    objdir = os.path.join(root, args.objects) if args.objects and \
        not os.path.isabs(args.objects) else args.objects
    problems, edges, excused, nobj = check(root, objdir, nm=os.environ.get("NM", "nm"))
    if args.graph:
        print_graph(edges, excused, sys.stdout)
    for p in problems:
        print(p)
    what = "includes and calls" if nobj else "includes"
    if objdir and not nobj:
        print(f"layers: no object files under {objdir}: checked the includes only")
    if problems:
        print(f"layers: {len(problems)} violation{'s' if len(problems) != 1 else ''} "
              f"(docs/design.md, \"Layers\")")
        return 1
    print(f"layers: the {what} stack in layer order")
    return 0


if __name__ == "__main__":
    sys.exit(main())
