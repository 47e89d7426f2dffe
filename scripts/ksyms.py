#!/usr/bin/env python3
"""ksyms.py - build the kernel's built-in symbol table (for backtraces).

  nm -n holdfast.elf | ksyms.py            > ksyms.S   table of text symbols
  ksyms.py --empty                         > ksyms0.S  empty table (first link)
  nm -n final.elf | ksyms.py --compare pass1.elf       check text did not move

The table lands in section .ksyms, after .data (see linker.ld), so its size
does not move any code between the first and the second link.  Layout read
by kernel/ksyms.c:
  ksyms_count  u64
  ksyms_addrs  u64[count], sorted ascending
  ksyms_names  u32[count], offsets into ksyms_strtab
  ksyms_strtab NUL-terminated names
"""
import subprocess
import sys

TEXT_TYPES = set("tTwW")


def text_symbols(lines):
    syms = []
    for line in lines:
        parts = line.split()
        if len(parts) != 3 or parts[1] not in TEXT_TYPES:
            continue
        addr = int(parts[0], 16)
        if addr < 0xffffffff80000000:
            continue  # boot code runs at physical addresses; not symbolized
        syms.append((addr, parts[2]))
    syms.sort()
    return syms


def emit(syms):
    out = ['\t.section .ksyms, "a"', "\t.balign 8",
           "\t.globl ksyms_count, ksyms_addrs, ksyms_names, ksyms_strtab",
           "ksyms_count:", "\t.quad %d" % len(syms), "ksyms_addrs:"]
    out += ["\t.quad 0x%x" % a for a, _ in syms]
    out.append("ksyms_names:")
    offset = 0
    for _, name in syms:
        out.append("\t.long %d" % offset)
        offset += len(name) + 1
    out.append("ksyms_strtab:")
    out += ['\t.asciz "%s"' % name for _, name in syms]
    out.append("\t.byte 0")
    return "\n".join(out) + "\n"


def main():
    if "--empty" in sys.argv:
        sys.stdout.write(emit([]))
        return 0
    syms = text_symbols(sys.stdin)
    if "--compare" in sys.argv:
        first = sys.argv[sys.argv.index("--compare") + 1]
        nm = subprocess.run(["nm", "-n", first], capture_output=True, text=True, check=True)
        before = text_symbols(nm.stdout.splitlines())
        before = [s for s in before if not s[1].startswith("ksyms_")]
        after = [s for s in syms if not s[1].startswith("ksyms_")]
        if before != after:
            for b, a in zip(before, after):
                if b != a:
                    sys.stderr.write("ksyms: text moved between links: %s -> %s\n" % (b, a))
                    break
            sys.stderr.write("ksyms: the symbol table would be wrong; check linker.ld\n")
            return 1
        return 0
    sys.stdout.write(emit(syms))
    return 0


if __name__ == "__main__":
    sys.exit(main())
