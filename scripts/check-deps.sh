#!/bin/sh
# check-deps.sh - behind `make check-deps`: are the programs and files the
# build, the ISO and QEMU need installed?  For each missing one it names the
# Debian package that provides it, then prints the one command that installs
# them all.  Silent with exit status 0 when nothing is missing, exit status 1
# otherwise.  With --tests it also checks the host clients make test uses
# (nbdinfo, nbdcopy, qemu-img, qemu-io); with --bench the ones make bench
# uses (nbdcopy, fio).  lwIP's source is not a package:
# `make deps` fetches it (scripts/fetch-lwip.sh), and the build says so
# when it is missing.  POSIX sh only.

GRUB_BIOS_DIR=/usr/lib/grub/i386-pc

missing_pkgs=""

# need WHAT PACKAGE: report WHAT as missing, provided by Debian PACKAGE.
need() {
	echo "missing: $1 (Debian package: $2)" >&2
	case " $missing_pkgs " in
	*" $2 "*) ;;
	*) missing_pkgs="${missing_pkgs:+$missing_pkgs }$2" ;;
	esac
}

# need_cmd COMMAND PACKAGE
need_cmd() {
	command -v "$1" >/dev/null 2>&1 || need "$1" "$2"
}

need_cmd gcc gcc
need_cmd ld binutils
need_cmd python3 python3
need_cmd qemu-system-x86_64 qemu-system-x86
need_cmd grub-mkrescue grub-common
need_cmd xorriso xorriso
need_cmd mformat mtools
# user/ programs are static musl binaries (musl-gcc -static)
need_cmd musl-gcc musl-tools
[ -f /usr/lib/x86_64-linux-musl/libc.a ] || need "musl's static C library (/usr/lib/x86_64-linux-musl/libc.a)" musl-dev
# grub-mkrescue builds a BIOS-bootable ISO only from GRUB's i386-pc files.
for f in cdboot.img multiboot2.mod; do
	if [ ! -f "$GRUB_BIOS_DIR/$f" ]; then
		need "GRUB's BIOS files ($GRUB_BIOS_DIR/$f)" grub-pc-bin
		break
	fi
done

# make test also drives the NBD server with Debian's clients
# (scripts/check-deps.sh --tests).
if [ "${1:-}" = "--tests" ]; then
	need_cmd nbdinfo libnbd-bin
	need_cmd nbdcopy libnbd-bin
	need_cmd qemu-img qemu-utils
	need_cmd qemu-io qemu-utils
fi
# make bench drives the NBD server with nbdcopy and fio's nbd engine
# (scripts/check-deps.sh --bench; nbd_4k_randread needs fio).
if [ "${1:-}" = "--bench" ]; then
	need_cmd nbdcopy libnbd-bin
	need_cmd fio fio
fi

[ -z "$missing_pkgs" ] && exit 0
echo "run 'make deps' or: sudo apt-get install $missing_pkgs" >&2
exit 1
