#!/bin/bash
# peer_labels.sh - do Holdfast's namespace labels interoperate with Linux's?
# Boots Debian's Linux 6.1 (with Debian's ndctl) and Holdfast, one after
# the other, on the same QEMU NVDIMM image with a 128 KiB label area, and
# compares what each side reads with what the other wrote:
#
#   A  Linux creates an fsdax and a raw namespace; Holdfast lists them
#      (uuid, name, size, offset, mode, device names in /dev).
#   B  Holdfast creates an fsdax and a raw namespace; Linux lists them.
#   C  round trip: Linux destroys the Holdfast-made raw one and Holdfast
#      sees only the other; Holdfast destroys the Linux-made raw one and
#      Linux sees only its fsdax one, still enabled.
#   D  the fix-up for a Holdfast fsdax namespace on Linux (no pfn info
#      block): ndctl create-namespace -f -e NS -m fsdax, then both sides.
#   V  ndctl's default labels (init-labels without -V: v1.1, 128 bytes):
#      Holdfast lists Linux's namespace, then makes one (raw) and destroys
#      Linux's, and Linux lists what Holdfast left.
#
# It owns build/peer-labels/ (initramfs, images, serial logs, results).
# The Debian kernel and busybox come from the peer harness
# (PEER/run-linux-dax.sh build, into build/peer); ndctl and its libraries
# from `apt-get download`.  The guest's /init is scripts/peer_labels_init.sh.
#
# Usage: scripts/peer_labels.sh [all|build]   (make peer-labels; build: the
#   initramfs only)
# Environment: PEER=DIR (or PEER_DIR; default: bench_linux.py's PEER_DIR_DEFAULT)  KERNEL=build/holdfast.elf
#   MKFS=build/tools/mkfs.holdfs
#   LINUX_TIMEOUT=600 HF_TIMEOUT=120 (seconds per boot)  DYNDBG=1 (Linux
#   nvdimm debug messages into the dmesg section of the logs)
# Output: "PASS name" / "FAIL name: expected X, got Y" / "INFO ..." lines,
# then "N passed, N failed"; exit status 1 when anything failed.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
# The one place that names the harness's folder is scripts/bench_linux.py.
PEER=${PEER:-${PEER_DIR:-$(cd "$ROOT" && python3 -c 'import sys; sys.path.insert(0, "scripts"); import bench_linux; print(bench_linux.default_peer_dir())')}}
PEER_BUILD=$ROOT/build/peer
OUT=$ROOT/build/peer-labels
KERNEL=${KERNEL:-$ROOT/build/holdfast.elf}
MKFS=${MKFS:-$ROOT/build/tools/mkfs.holdfs}
LINUX_TIMEOUT=${LINUX_TIMEOUT:-600}
HF_TIMEOUT=${HF_TIMEOUT:-120}
DYNDBG=${DYNDBG:-1}
ACTION=${1:-all}

MIB=$((1 << 20))
LABEL_AREA=$((128 << 10))		# label-size=128K: the file's last 128 KiB
IMG_SIZE=$((256 * MIB + LABEL_AREA))	# a 256 MiB region
ROOT_IMG_SIZE=$((32 * MIB))		# Holdfast's root holdfs (second NVDIMM)
NDCTL_PKGS="ndctl libndctl6 libdaxctl1 libiniparser1"
MODULES="libnvdimm nfit nd_pmem"

mkdir -p "$OUT"
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
die() { log "error: $*"; exit 2; }

# ------------------------------------------------------------------ build

# The Linux side: Debian's kernel and busybox (peer harness), ndctl from
# Debian's packages with the shared libraries ldd names, the nvdimm modules
# in load order, and /init.
build_linux() {
	if [ ! -f "$PEER_BUILD/vmlinuz" ] || [ ! -d "$PEER_BUILD/kpkg" ] || [ ! -d "$PEER_BUILD/bbpkg" ]; then
		[ -f "$PEER/run-linux-dax.sh" ] || die "no peer harness at $PEER (PEER=DIR)"
		log "building the peer harness's kernel and busybox (build/peer)"
		BUILD=$PEER_BUILD bash "$PEER/run-linux-dax.sh" build >"$OUT/peer-build.log" 2>&1 ||
			die "peer harness build failed: $OUT/peer-build.log"
	fi
	local kv
	kv=$(ls "$PEER_BUILD/kpkg/lib/modules" | sort -V | tail -1)
	[ -n "$kv" ] || die "no modules in $PEER_BUILD/kpkg"

	mkdir -p "$OUT/debs"
	local missing=0 p
	for p in $NDCTL_PKGS; do ls "$OUT/debs/${p}_"*.deb >/dev/null 2>&1 || missing=1; done
	if [ $missing = 1 ]; then
		log "apt-get download $NDCTL_PKGS"
		(cd "$OUT/debs" && apt-get download $NDCTL_PKGS) >"$OUT/apt-download.log" 2>&1 ||
			die "apt-get download failed: $OUT/apt-download.log"
	fi
	rm -rf "$OUT/pkg" "$OUT/root"
	for p in "$OUT"/debs/*.deb; do dpkg-deb -x "$p" "$OUT/pkg" || die "dpkg-deb -x $p"; done

	local r=$OUT/root
	mkdir -p "$r/bin" "$r/sbin" "$r/lib/modules" "$r/lib64" "$r/etc" "$r/usr/bin"
	cp "$PEER_BUILD/bbpkg/bin/busybox" "$r/bin/busybox"
	cp "$ROOT/scripts/peer_labels_init.sh" "$r/init" && chmod 755 "$r/init"
	cp "$OUT/pkg/usr/bin/ndctl" "$r/usr/bin/ndctl"
	# libraries: the extracted packages' first, the host's for the rest
	local libpath=$OUT/pkg/usr/lib/x86_64-linux-gnu:$OUT/pkg/lib/x86_64-linux-gnu
	LD_LIBRARY_PATH=$libpath ldd "$OUT/pkg/usr/bin/ndctl" >"$OUT/ldd.txt" 2>&1
	if grep -q 'not found' "$OUT/ldd.txt"; then
		die "ndctl needs libraries no package here gives: $(grep 'not found' "$OUT/ldd.txt" | tr '\n' ' ')"
	fi
	awk '/=>/ && $3 ~ /^\// {print $3} /^\t\/lib64/ {print $1}' "$OUT/ldd.txt" | while read -r lib; do
		local dest=/lib/x86_64-linux-gnu/$(basename "$lib")
		case "$lib" in /lib64/*) dest=$lib ;; esac
		mkdir -p "$r$(dirname "$dest")"
		cp -L "$lib" "$r$dest"
	done
	# modules in dependency order; -C /dev/null: ignore the host's modprobe.d
	: >"$r/modules.list"
	for m in $MODULES; do
		modprobe -C /dev/null -d "$PEER_BUILD/kpkg" -S "$kv" --show-depends "$m" |
			awk '$1=="insmod"{print $2}'
	done | awk '!seen[$0]++' | while read -r ko; do
		cp "$ko" "$r/lib/modules/"
		basename "$ko" >>"$r/modules.list"
	done
	(cd "$r" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$OUT/initrd.gz"
	cp "$PEER_BUILD/vmlinuz" "$OUT/vmlinuz"
	echo "$kv" >"$OUT/kernel-version.txt"
	log "initramfs $OUT/initrd.gz: kernel $kv, modules $(tr '\n' ' ' <"$r/modules.list")"
}

build_holdfast() {
	[ -f "$KERNEL" ] || die "no $KERNEL: run make first"
	[ -x "$MKFS" ] || die "no $MKFS: run make first"
}

# ------------------------------------------------------------------ boots

# The one QEMU machine both kernels boot on: Holdfast's label tests' line
# (tests/boots.py label_nvdimm, q35), the labelled NVDIMM first, then a
# small label-less one that holds Holdfast's root holdfs (so that /dev
# exists; Linux sees it as a second, raw region).
machine_args() {	# IMG ROOTIMG
	echo -machine q35,nvdimm=on -accel tcg -cpu max -smp 1 -m 512M,slots=2,maxmem=4G \
		-object "memory-backend-file,id=pmL,share=on,mem-path=$1,size=$IMG_SIZE" \
		-device nvdimm,id=nvL,memdev=pmL,label-size=128K \
		-object "memory-backend-file,id=pmR,share=on,mem-path=$2,size=$ROOT_IMG_SIZE" \
		-device nvdimm,id=nvR,memdev=pmR \
		-display none -serial stdio -monitor none -no-reboot
}

# fresh_images TAG: a zero label image (all labels blank) and a root holdfs.
fresh_images() {
	rm -f "$OUT/$1.img" "$OUT/$1-root.img"
	truncate -s "$IMG_SIZE" "$OUT/$1.img"
	truncate -s "$ROOT_IMG_SIZE" "$OUT/$1-root.img"
	"$MKFS" "$OUT/$1-root.img" >"$OUT/$1-mkfs.log" 2>&1 ||
		die "mkfs.holdfs failed: $OUT/$1-mkfs.log"
}

# linux_boot STEP TAG SCRIPT: boot Linux on TAG's images, run SCRIPT (sh)
# in the guest; the serial log is $OUT/STEP.log, its @@BEGIN/@@END
# sections $OUT/STEP.<section>.
linux_boot() {
	local step=$1 tag=$2 script=$3 logf=$OUT/$1.log
	printf '%s\n' "$script" >"$OUT/$step.script"
	local append="console=ttyS0 loglevel=3 panic=-1 log_buf_len=4M"
	[ "$DYNDBG" = 1 ] && append="$append peer.dyndbg=1"
	append="$append peer.script=$(base64 -w0 <"$OUT/$step.script")"
	# shellcheck disable=SC2046
	local cmd=(qemu-system-x86_64 $(machine_args "$OUT/$tag.img" "$OUT/$tag-root.img")
		-kernel "$OUT/vmlinuz" -initrd "$OUT/initrd.gz" -append "$append")
	log "linux $step: $(printf '%s; ' "$script" | tr '\n' ' ')"
	echo "# ${cmd[*]}" >"$logf"
	timeout "$LINUX_TIMEOUT" "${cmd[@]}" </dev/null >>"$logf" 2>&1
	local rc=$?
	tr -d '\r' <"$logf" >"$logf.tmp" && mv "$logf.tmp" "$logf"
	grep -q '^@@DONE' "$logf" || log "linux $step: no @@DONE (qemu status $rc): see $logf"
	for s in script ndctl labels sysfs dmesg; do
		awk -v s="$s" '$0 == "@@BEGIN " s {on=1; next} $0 == "@@END " s {on=0} on' "$logf" >"$OUT/$step.$s"
	done
}

# hf_boot STEP TAG COMMANDS: boot Holdfast on TAG's images and type
# COMMANDS (one a line) at its shell; poweroff is added.  Log $OUT/STEP.log.
hf_boot() {
	local step=$1 tag=$2 logf=$OUT/$1.log
	# shellcheck disable=SC2046
	local cmd=(qemu-system-x86_64 $(machine_args "$OUT/$tag.img" "$OUT/$tag-root.img")
		-kernel "$KERNEL" -append "root=/dev/pmem1")
	log "holdfast $step: $(printf '%s; ' "$3" | tr '\n' ' ')"
	echo "# ${cmd[*]}" >"$logf"
	printf '%s\npoweroff\n' "$3" | timeout "$HF_TIMEOUT" "${cmd[@]}" >>"$logf" 2>&1
	local rc=$?
	tr -d '\r' <"$logf" >"$logf.tmp" && mv "$logf.tmp" "$logf"
	[ $rc = 0 ] || log "holdfast $step: qemu status $rc (expected 0 from poweroff): see $logf"
}

# ---------------------------------------------------------------- parsing

# Holdfast's last `namespace list` in LOG, the labelled DIMM's (region 0)
# namespaces, one a line:
#   ns dev offset size_bytes mode uuid name
hf_list() {
	python3 - "$1" <<'PY'
import re, sys
UNITS = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}
rows, on = [], False
for line in open(sys.argv[1], errors="replace"):
    line = line.rstrip("\n")
    if line == "holdfast> namespace list":
        rows, on = [], True
        continue
    if line.startswith("holdfast> "):
        on = False
    f = line.split()
    if on and f and re.fullmatch(r"namespace0\.\d+", f[0]) and len(f) >= 9:
        size = int(float(f[4]) * UNITS[f[5]])
        rows.append(f"{f[0]} {f[1]} {int(f[3], 0)} {size} {f[6]} {f[7]} {'_'.join(f[8:])}")
print("\n".join(rows))
PY
}

# Linux's namespaces of region0 with a size, from STEP.sysfs, one a line:
#   ns uuid size mode name offset blockdev holder
linux_list() {
	python3 - "$OUT/$1.sysfs" <<'PY'
import sys
for line in open(sys.argv[1]):
    f = line.split()
    if not f or f[0] != "ns" or not f[1].startswith("namespace0."):
        continue
    v = dict(x.split("=", 1) for x in f[2:] if "=" in x)
    if int(v.get("size") or 0) == 0:
        continue
    off = int(v["resource"], 0) - int(v["region_resource"], 0)
    print(f[1], v["uuid"], v["size"], v["mode"], v["name"], off, v["blockdev"], v["holder"])
PY
}

# field N of the line of LIST (text) whose field K is V
pick() { printf '%s\n' "$1" | awk -v k="$2" -v v="$3" -v n="$4" '$k == v {print $n; exit}'; }

# ndctl JSON (STEP.ndctl): namespace DEV's scalar fields, "key=value" lines.
ndctl_ns() {
	python3 - "$OUT/$1.ndctl" "$2" <<'PY'
import json, sys
try:
    doc = json.loads(open(sys.argv[1]).read())
except ValueError:
    sys.exit(0)
def walk(o):
    if isinstance(o, dict):
        if o.get("dev") == sys.argv[2]:
            yield o
        for v in o.values():
            yield from walk(v)
    elif isinstance(o, list):
        for v in o:
            yield from walk(v)
for ns in walk(doc):
    for k, v in ns.items():
        if not isinstance(v, (dict, list)):
            print(f"{k}={v}")
    break
PY
}

# ----------------------------------------------------------------- checks

PASSED=0
FAILED=0
check() {	# NAME EXPECTED GOT
	if [ "$2" = "$3" ]; then
		echo "PASS $1"
		PASSED=$((PASSED + 1))
	else
		echo "FAIL $1: expected ${2:-(nothing)}, got ${3:-(nothing)}"
		FAILED=$((FAILED + 1))
	fi
}
info() { echo "INFO $*"; }

# --------------------------------------------------------------- scenarios

# What Holdfast should call a namespace whose label Linux reads with
# holder_class C (the label's abstraction GUID): pfn fsdax, none raw.
hf_mode_of_class() {
	case "$1" in pfn) echo fsdax ;; dax) echo devdax ;; btt) echo sector ;; *) echo raw ;; esac
}
# and back: the holder_class Linux should read from a Holdfast mode
class_of_hf_mode() {
	case "$1" in fsdax) echo pfn ;; devdax) echo dax ;; sector) echo btt ;; *) echo "" ;; esac
}

# Holdfast's device names in the `ls -l /dev` of LOG, one a line
hf_dev_names() {
	awk '/^holdfast> ls -l \/dev$/ {on = 1; next} /^holdfast> / {on = 0} on {print $NF}' "$1"
}

# The region0 DIMM's label area in v1.2 format (ndctl's init-labels
# writes v1.1 unless told -V 1.2), then the two namespaces.
LINUX_INIT_V12='dimm=$(cut -d, -f1 /sys/bus/nd/devices/region0/mapping0)
ndctl disable-region region0
ndctl init-labels -V 1.2 "$dimm"
ndctl enable-region region0'

# compare_hf_with_linux TAG HFROWS LXROWS: every Linux namespace is on
# Holdfast's list with the same uuid, name, size, offset, mode and device.
compare_hf_with_linux() {
	local tag=$1 hf=$2 lx=$3 ns uuid size mode name off blk holder class
	check "$tag: Holdfast lists as many namespaces as Linux" \
		"$(printf '%s\n' "$lx" | grep -c .)" "$(printf '%s\n' "$hf" | grep -c .)"
	while read -r ns uuid size mode name off blk holder; do
		[ -n "$ns" ] || continue
		class=$(grep "^ns $ns " "$OUT/$4.sysfs" | sed -n 's/.*holder_class=\([^ ]*\).*/\1/p')
		check "$tag: $name ($uuid) on Holdfast's list" "$uuid" "$(pick "$hf" 6 "$uuid" 6)"
		check "$tag: $name name" "$name" "$(pick "$hf" 6 "$uuid" 7)"
		check "$tag: $name size (the label's rawsize)" "$size" "$(pick "$hf" 6 "$uuid" 4)"
		check "$tag: $name offset in the region" "$off" "$(pick "$hf" 6 "$uuid" 3)"
		check "$tag: $name mode (Linux holder_class '$class')" "$(hf_mode_of_class "$class")" \
			"$(pick "$hf" 6 "$uuid" 5)"
		check "$tag: $name device name" "$blk" "$(pick "$hf" 6 "$uuid" 2)"
	done <<<"$lx"
}

# compare_linux_with_hf TAG HFROWS LXROWS STEP: every Holdfast namespace
# is on Linux's list with the same uuid, name, size, offset and abstraction.
compare_linux_with_hf() {
	local tag=$1 hf=$2 lx=$3 step=$4 ns dev off size mode uuid name class
	check "$tag: Linux lists as many namespaces as Holdfast" \
		"$(printf '%s\n' "$hf" | grep -c .)" "$(printf '%s\n' "$lx" | grep -c .)"
	while read -r ns dev off size mode uuid name; do
		[ -n "$ns" ] || continue
		local lns
		lns=$(pick "$lx" 2 "$uuid" 1)
		class=$(grep "^ns ${lns:-none} " "$OUT/$step.sysfs" | sed -n 's/.*holder_class=\([^ ]*\).*/\1/p')
		check "$tag: $name ($uuid) on Linux's list" "$uuid" "$(pick "$lx" 2 "$uuid" 2)"
		check "$tag: $name name" "$name" "$(pick "$lx" 2 "$uuid" 5)"
		check "$tag: $name size" "$size" "$(pick "$lx" 2 "$uuid" 3)"
		check "$tag: $name offset in the region" "$off" "$(pick "$lx" 2 "$uuid" 6)"
		check "$tag: $name abstraction (Linux holder_class)" "$(class_of_hf_mode "$mode")" "$class"
		[ -n "$lns" ] && info "$tag: $name: Linux $lns: $(ndctl_ns "$step" "$lns" | tr '\n' ' ')"
	done <<<"$hf"
}

scenario_a() {
	fresh_images a
	linux_boot a1-linux a "$LINUX_INIT_V12
ndctl create-namespace -r region0 -m fsdax -s 64M -n linux-fsdax
ndctl create-namespace -r region0 -m raw -s 32M -n linux-raw"
	hf_boot a2-holdfast a 'namespace list
ls -l /dev'
	A_LX=$(linux_list a1-linux)
	A_HF=$(hf_list "$OUT/a2-holdfast.log")
	printf '%s\n' "$A_LX" | sed 's/^/INFO A linux: /'
	printf '%s\n' "$A_HF" | sed 's/^/INFO A holdfast: /'
	check "A: Linux made linux-fsdax and linux-raw" "linux-fsdax linux-raw" \
		"$(printf '%s\n' "$A_LX" | awk '{print $5}' | sort | tr '\n' ' ' | sed 's/ $//')"
	compare_hf_with_linux A "$A_HF" "$A_LX" a1-linux
	local devs d
	devs=$(hf_dev_names "$OUT/a2-holdfast.log")
	for d in $(printf '%s\n' "$A_HF" | awk '{print $2}'); do
		check "A: Holdfast's /dev has $d" "$d" "$(printf '%s\n' "$devs" | grep -x -m1 "$d")"
	done
}

scenario_b() {
	fresh_images b
	hf_boot b1-holdfast b 'namespace create -s 64M -n hf-fsdax pmem0
namespace create -s 32M -m raw -n hf-raw pmem0
namespace list'
	linux_boot b2-linux b ''
	B_HF=$(hf_list "$OUT/b1-holdfast.log")
	B_LX=$(linux_list b2-linux)
	printf '%s\n' "$B_HF" | sed 's/^/INFO B holdfast: /'
	printf '%s\n' "$B_LX" | sed 's/^/INFO B linux: /'
	check "B: Holdfast made hf-fsdax and hf-raw" "hf-fsdax hf-raw" \
		"$(printf '%s\n' "$B_HF" | awk '{print $7}' | sort | tr '\n' ' ' | sed 's/ $//')"
	compare_linux_with_hf B "$B_HF" "$B_LX" b2-linux
	grep -E 'nd_pmem|pfn|namespace0\.|btt|dax' "$OUT/b2-linux.dmesg" | grep -v 'Command line' |
		sed 's/^/INFO B linux dmesg: /' | head -40
}

# C: each side destroys a namespace the other made.
scenario_c() {
	local raw fsd
	raw=$(printf '%s\n' "$B_HF" | awk '$7 == "hf-raw" {print $6}')
	fsd=$(printf '%s\n' "$B_HF" | awk '$7 == "hf-fsdax" {print $6}')
	linux_boot c1-linux b "ndctl destroy-namespace -f \$(ns_by_uuid ${raw:-none})"
	local lx hf
	lx=$(linux_list c1-linux)
	check "C: after Linux destroyed hf-raw, Linux lists only hf-fsdax" "${fsd:-?}" \
		"$(printf '%s\n' "$lx" | awk '{print $2}' | tr '\n' ' ' | sed 's/ $//')"
	hf_boot c2-holdfast b 'namespace list'
	hf=$(hf_list "$OUT/c2-holdfast.log")
	printf '%s\n' "$hf" | sed 's/^/INFO C holdfast after Linux destroyed hf-raw: /'
	check "C: Holdfast then lists only hf-fsdax" "${fsd:-?} hf-fsdax 67108864" \
		"$(printf '%s\n' "$hf" | awk '{print $6, $7, $4}' | tr '\n' ' ' | sed 's/ $//')"

	local lraw lfsd lfsd_size
	lraw=$(printf '%s\n' "$A_LX" | awk '$5 == "linux-raw" {print $2}')
	lfsd=$(printf '%s\n' "$A_LX" | awk '$5 == "linux-fsdax" {print $2}')
	lfsd_size=$(ndctl_ns a1-linux "$(pick "$A_LX" 2 "${lfsd:-none}" 1)" | sed -n 's/^size=//p')
	hf_boot c3-holdfast a "namespace destroy ${lraw:-none}
namespace list"
	hf=$(hf_list "$OUT/c3-holdfast.log")
	check "C: after Holdfast destroyed linux-raw, Holdfast lists only linux-fsdax" "${lfsd:-?}" \
		"$(printf '%s\n' "$hf" | awk '{print $6}' | tr '\n' ' ' | sed 's/ $//')"
	linux_boot c4-linux a ''
	lx=$(linux_list c4-linux)
	printf '%s\n' "$lx" | sed 's/^/INFO C linux after Holdfast destroyed linux-raw: /'
	check "C: Linux then lists only linux-fsdax" "${lfsd:-?} linux-fsdax 67108864" \
		"$(printf '%s\n' "$lx" | awk '{print $2, $5, $3}' | tr '\n' ' ' | sed 's/ $//')"
	local ns
	ns=$(pick "$lx" 2 "${lfsd:-none}" 1)
	check "C: linux-fsdax is still fsdax on Linux, same usable size" "fsdax ${lfsd_size:-?}" \
		"$(ndctl_ns c4-linux "${ns:-none}" | sed -n 's/^mode=//p') $(ndctl_ns c4-linux "${ns:-none}" | sed -n 's/^size=//p')"
}

# D: a Holdfast fsdax namespace has no pfn info block; Linux's fix-up
# (reconfigure it as fsdax) and what Holdfast sees after it.
scenario_d() {
	local fsd lx hf ns
	fsd=$(printf '%s\n' "$B_HF" | awk '$7 == "hf-fsdax" {print $6}')
	linux_boot d1-linux b "ndctl create-namespace -f -e \$(ns_by_uuid ${fsd:-none}) -m fsdax"
	lx=$(linux_list d1-linux)
	printf '%s\n' "$lx" | sed 's/^/INFO D linux after create-namespace -f -e: /'
	ns=$(printf '%s\n' "$lx" | awk '$5 == "hf-fsdax" {print $1}')
	check "D: Linux's fix-up makes hf-fsdax an fsdax namespace" "fsdax" \
		"$(ndctl_ns d1-linux "${ns:-none}" | sed -n 's/^mode=//p')"
	info "D: hf-fsdax on Linux after the fix-up: $(ndctl_ns d1-linux "${ns:-none}" | tr '\n' ' ')"
	hf_boot d2-holdfast b 'namespace list'
	hf=$(hf_list "$OUT/d2-holdfast.log")
	check "D: Holdfast lists the reconfigured namespace (uuid name size mode)" \
		"$(printf '%s\n' "$lx" | awk '$5 == "hf-fsdax" {print $2, $5, $3, "fsdax"}')" \
		"$(printf '%s\n' "$hf" | awk '{print $6, $7, $4, $5}' | tr '\n' ' ' | sed 's/ $//')"
}

# V: labels as ndctl writes them by default (init-labels: v1.1, 128-byte).
scenario_v11() {
	fresh_images v
	linux_boot v1-linux v 'dimm=$(cut -d, -f1 /sys/bus/nd/devices/region0/mapping0)
ndctl disable-region region0
ndctl init-labels "$dimm"
ndctl enable-region region0
ndctl create-namespace -r region0 -m raw -s 32M -n v11-raw'
	hf_boot v2-holdfast v 'namespace list'
	local lx hf
	lx=$(linux_list v1-linux)
	hf=$(hf_list "$OUT/v2-holdfast.log")
	info "V: index version Linux wrote: $(grep -m1 '"minor"' "$OUT/v1-linux.labels" | tr -d ' ,')"
	grep -E '^pmem0: ' "$OUT/v2-holdfast.log" | sed 's/^/INFO V holdfast: /'
	check "V: Holdfast lists the namespace on a v1.1 (ndctl default) label area (uuid name size)" \
		"$(printf '%s\n' "$lx" | awk '{print $2, $5, $3}')" \
		"$(printf '%s\n' "$hf" | awk '{print $6, $7, $4}' | tr '\n' ' ' | sed 's/ $//')"
	# Holdfast updates a v1.1 area in v1.1 (raw only: v1.1 records no mode)
	hf_boot v3-holdfast v "namespace create -s 16M -n hf-v11-fsdax pmem0
namespace create -s 16M -m raw -n hf-v11 pmem0
namespace destroy $(printf '%s\n' "$lx" | awk '{print $2}')
namespace list"
	hf=$(hf_list "$OUT/v3-holdfast.log")
	check "V: Holdfast refuses an fsdax namespace on v1.1 labels" 1 \
		"$(grep -c "^namespace create: pmem0's labels are v1.1" "$OUT/v3-holdfast.log")"
	linux_boot v4-linux v ''
	lx=$(linux_list v4-linux)
	printf '%s\n' "$lx" | sed 's/^/INFO V linux after Holdfast made hf-v11 and destroyed v11-raw: /'
	check "V: Linux lists only Holdfast's v1.1 namespace (uuid name size offset)" \
		"$(printf '%s\n' "$hf" | awk '{print $6, $7, $4, $3}' | tr '\n' ' ' | sed 's/ $//')" \
		"$(printf '%s\n' "$lx" | awk '{print $2, $5, $3, $6}' | tr '\n' ' ' | sed 's/ $//')"
	info "V: Linux's labels after Holdfast's update: $(tr -d ' \n' <"$OUT/v4-linux.labels" | head -c 600)"
}

main() {
	case "$ACTION" in
	build) build_linux; exit 0 ;;
	all) build_linux ;;	# downloads are kept; the initramfs is rebuilt (2 s)
	*) echo "usage: $0 [all|build]" >&2; exit 2 ;;
	esac
	build_holdfast
	log "kernel $(cat "$OUT/kernel-version.txt"), ndctl $(ls "$OUT"/debs/ndctl_*.deb | sed 's/.*ndctl_\(.*\)_amd64.deb/\1/')"
	scenario_a
	scenario_b
	scenario_c
	scenario_d
	scenario_v11
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" = 0 ]
}

# sourced (for trying one step by hand): define only
[ "${BASH_SOURCE[0]}" = "$0" ] && main
