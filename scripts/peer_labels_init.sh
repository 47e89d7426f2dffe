#!/bin/busybox sh
# peer_labels_init.sh - the guest /init of the Linux initramfs that
# scripts/peer_labels.sh builds: busybox as the userland, Debian's ndctl,
# the libnvdimm, nfit and nd_pmem modules.  It owns nothing but the guest
# side of one Linux boot:
#
#   1. mount /proc, /sys, /dev; insmod the modules listed in /modules.list;
#      wait for the NVDIMM regions;
#   2. run the command script the host passed on the kernel command line
#      (peer.script=BASE64, decoded with busybox base64 -d) with `sh -x`,
#      so that every command and its output lands on the console;
#   3. print the state Holdfast's side is compared with, each piece
#      between "@@BEGIN what" and "@@END what" lines:
#        ndctl    `ndctl list -N -R -i` (JSON)
#        labels   `ndctl read-labels -j` of every DIMM (JSON)
#        sysfs    one line per namespace from /sys/bus/nd: dev, uuid,
#                 size, mode, alt_name (the label's own uuid, name and
#                 size), holder, holder_class (the label's abstraction),
#                 resource, its region's resource, block device
#        dmesg    the kernel's nvdimm/nd/pfn/pmem lines
#   4. "@@DONE", then poweroff -f.
#
# Helper for scripts: ns_by_uuid UUID prints the namespace (namespaceN.M)
# whose label uuid is UUID, so the host can name a namespace by the uuid
# it saw on the other side.
/bin/busybox mkdir -p /proc /sys /dev /tmp /sbin /usr/bin /usr/sbin /run /etc
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

done_() { echo "@@DONE"; sync; poweroff -f; sleep 5; echo o >/proc/sysrq-trigger; }

# peer.dyndbg=1: the modules' pr_debug/dev_dbg messages on (the kernel
# command line's module.dyndbg reaches only modules that modprobe loads)
DYNDBG=
for a in $(cat /proc/cmdline); do
	case "$a" in peer.dyndbg=1) DYNDBG=dyndbg=+p ;; esac
done
while read -r m; do
	insmod "/lib/modules/$m" $DYNDBG 2>/dev/null || echo "@@ERROR insmod $m failed"
done </modules.list

i=0
while [ ! -e /sys/bus/nd/devices/region0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -e /sys/bus/nd/devices/region0 ] || echo "@@ERROR no region0 after 10 s"
i=0	# namespaces are probed asynchronously
while [ ! -e /sys/bus/nd/devices/namespace0.0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
sleep 1

ns_by_uuid() {
	for d in /sys/bus/nd/devices/namespace*; do
		[ "$(cat "$d/uuid" 2>/dev/null)" = "$1" ] && { basename "$d"; return 0; }
	done
	echo "no-namespace-with-uuid-$1"
	return 1
}

SCRIPT=
for a in $(cat /proc/cmdline); do
	case "$a" in peer.script=*) SCRIPT=${a#peer.script=} ;; esac
done
if [ -n "$SCRIPT" ]; then
	echo "$SCRIPT" | base64 -d >/tmp/script.sh
	echo "@@BEGIN script"
	set -x
	. /tmp/script.sh
	set +x
	echo "@@END script"
fi

echo "@@BEGIN ndctl"
ndctl list -N -R -i
echo "@@END ndctl"

echo "@@BEGIN labels"
for d in /sys/bus/nd/devices/nmem*; do
	[ -e "$d" ] && ndctl read-labels -j "$(basename "$d")"
done
echo "@@END labels"

echo "@@BEGIN sysfs"
for d in /sys/bus/nd/devices/namespace*; do
	[ -e "$d" ] || continue
	n=$(basename "$d")
	r=${n#namespace}
	r=region${r%%.*}
	blk=$(ls "$d/block" 2>/dev/null)
	# a namespace claimed by pfn/btt/dax: its block device hangs off the holder
	h=$(cat "$d/holder" 2>/dev/null)
	[ -z "$blk" ] && [ -n "$h" ] && blk=$(ls "/sys/bus/nd/devices/$h/block" 2>/dev/null)
	name=$(cat "$d/alt_name" 2>/dev/null | tr ' ' '_')
	echo "ns $n uuid=$(cat "$d/uuid" 2>/dev/null) size=$(cat "$d/size" 2>/dev/null)" \
		"mode=$(cat "$d/mode" 2>/dev/null) name=${name:--} holder=${h:--}" \
		"holder_class=$(cat "$d/holder_class" 2>/dev/null)" \
		"resource=$(cat "$d/resource" 2>/dev/null)" \
		"region_resource=$(cat "/sys/bus/nd/devices/$r/resource" 2>/dev/null)" \
		"blockdev=${blk:--}"
done
echo "@@END sysfs"

echo "@@BEGIN dmesg"
dmesg | grep -i -E 'nd_|nvdimm|nfit|pmem|pfn|namespace|region[0-9]|label|libnvdimm|dax'
echo "@@END dmesg"
done_
