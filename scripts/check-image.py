#!/usr/bin/env python3
"""check-image.py - check that build/holdfast.elf can be booted both ways.

Multiboot 1 with address fields (QEMU -kernel) copies the file linearly from
the multiboot1 header to load_end_addr, so every loadable byte's file offset
minus its physical address must be one constant, and the header must lie in
the first 8 KiB.  GRUB's multiboot2 wants its header in the first 32 KiB.
Fails the build with a message naming what is off.
"""
import struct
import sys

MB1_MAGIC = 0x1BADB002
MB2_MAGIC = 0xE85250D6
MB1_SEARCH = 8192
MB2_SEARCH = 32768
PT_LOAD = 1


def find_magic(data, magic, limit, align):
    for off in range(0, min(limit, len(data)) - 4, align):
        if struct.unpack_from("<I", data, off)[0] == magic:
            return off
    return None


def main(path):
    data = open(path, "rb").read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        return "not an ELF64 file"
    mb1 = find_magic(data, MB1_MAGIC, MB1_SEARCH, 4)
    if mb1 is None:
        return "multiboot1 header not in the first %d bytes" % MB1_SEARCH
    if find_magic(data, MB2_MAGIC, MB2_SEARCH, 8) is None:
        return "multiboot2 header not in the first %d bytes" % MB2_SEARCH
    header_addr, load_addr, load_end, bss_end, entry = struct.unpack_from("<5I", data, mb1 + 12)
    if header_addr != load_addr:
        return "multiboot1 header_addr 0x%x != load_addr 0x%x" % (header_addr, load_addr)
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    delta = mb1 - header_addr
    for i in range(phnum):
        p_type, _flags, p_off, _vaddr, p_paddr, p_filesz, p_memsz, _al = \
            struct.unpack_from("<IIQQQQQQ", data, phoff + i * phentsize)
        if p_type != PT_LOAD or p_filesz == 0:
            continue
        if p_off - p_paddr != delta:
            return ("segment %d: file offset 0x%x - paddr 0x%x differs from the "
                    "multiboot1 header's (%d); -kernel would load it wrongly"
                    % (i, p_off, p_paddr, delta))
        if p_paddr + p_filesz > load_end:
            return "segment %d ends past load_end_addr 0x%x" % (i, load_end)
    if not load_addr <= entry < load_end:
        return "entry 0x%x outside the loaded image" % entry
    if bss_end < load_end:
        return "bss_end_addr below load_end_addr"
    return None


if __name__ == "__main__":
    err = main(sys.argv[1])
    if err:
        sys.stderr.write("check-image: %s: %s\n" % (sys.argv[1], err))
        sys.exit(1)
