# Holdfast build.  `make help` lists the targets.
#
# One build for the kernel (freestanding, kernel code model) and one for the
# host (unit tests and tools, with ASan/UBSan).  CROSS_COMPILE=x86_64-elf-
# selects a cross toolchain; the host gcc with freestanding flags is the
# default.  Every object has a .d file, so header edits rebuild what uses them.

CROSS_COMPILE ?=
CC      := $(CROSS_COMPILE)gcc
LD      := $(CROSS_COMPILE)ld
NM      := $(CROSS_COMPILE)nm
OBJCOPY := $(CROSS_COMPILE)objcopy
HOSTCC  ?= cc
PYTHON  ?= python3

B := build

# `make` alone builds everything (included makefiles define rules earlier)
.DEFAULT_GOAL := all

# V=1 shows the full commands
ifeq ($(V),1)
Q :=
say := @true
else
Q := @
say := @printf '  %-7s %s\n'
endif

# ---------------------------------------------------------------- kernel ----

KCFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	-ffreestanding -fno-builtin -fno-stack-protector -fno-pic -fno-pie \
	-fno-common -fno-strict-aliasing -fno-omit-frame-pointer \
	-mcmodel=kernel -mno-red-zone -mgeneral-regs-only \
	-mno-mmx -mno-sse -mno-sse2 -mno-avx \
	-Iinclude -DKERNEL $(EXTRA_CFLAGS)
ifeq ($(DEBUG),1)
KCFLAGS += -DKDEBUG -O1
endif
KASFLAGS := -Iinclude -DKERNEL -D__ASSEMBLY__ -g
KLDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack \
	--no-warn-rwx-segments -T linker.ld

# Every .c/.S under these folders is kernel code, except host-only files
# (named *_host.c) and anything under a host/ folder.
KDIRS := arch kernel drivers fs lib net init shell syscall bench tests/kernel
KSRCS := $(shell find $(KDIRS) \( -name '*.c' -o -name '*.S' \) \
	-not -name '*_host.c' -not -path '*/host/*' 2>/dev/null | sort)
KOBJS := $(patsubst %,$(B)/k/%.o,$(basename $(KSRCS)))

# lwIP 2.1.3, from Debian's `lwip` source package: scripts/fetch-lwip.sh
# (run by `make deps` and .ci/run) unpacks it into build/lwip/src, never
# into the tree.  The same unpacked source serves every build folder (the
# debug kernel's too).  Our port (lwipopts.h, arch/, the libc stand-ins)
# is in net/lwip/; lwIP's own sources build with the kernel's flags.
LWIP_SRC ?= build/lwip/src
LWIP_DIR := $(LWIP_SRC)/src
LWIP_FILES := core/init.c core/def.c core/inet_chksum.c core/ip.c core/mem.c \
	core/memp.c core/netif.c core/pbuf.c core/stats.c core/sys.c core/tcp.c \
	core/tcp_in.c core/tcp_out.c core/timeouts.c core/udp.c \
	core/ipv4/dhcp.c core/ipv4/etharp.c core/ipv4/icmp.c core/ipv4/ip4.c \
	core/ipv4/ip4_addr.c core/ipv4/ip4_frag.c \
	api/api_lib.c api/api_msg.c api/netbuf.c api/tcpip.c \
	netif/ethernet.c
LWIP_OBJS := $(patsubst %.c,$(B)/k/lwip/%.o,$(LWIP_FILES))
LWIP_INC := -Inet/lwip/include -Inet/lwip/libc -I$(LWIP_DIR)/include
KOBJS += $(LWIP_OBJS)

$(LWIP_DIR)/include/lwip/opt.h:
	@echo "error: lwIP's source is missing ($(LWIP_SRC)): run 'make deps'" \
	      "(it fetches Debian's lwip source package with scripts/fetch-lwip.sh)" >&2
	@exit 1

$(B)/k/lwip/%.o: $(LWIP_DIR)/%.c | $(LWIP_DIR)/include/lwip/opt.h
	@mkdir -p $(@D)
	$(say) CC lwip/$*.c
	$(Q)$(CC) $(KCFLAGS) $(LWIP_INC) -MMD -MP -c $< -o $@

$(B)/k/net/%.o: KCFLAGS += $(LWIP_INC)
$(B)/k/tests/kernel/test_net.o: KCFLAGS += $(LWIP_INC)
$(patsubst %.c,$(B)/k/%.o,$(filter net/%,$(KSRCS))): | $(LWIP_DIR)/include/lwip/opt.h

all: $(B)/holdfast.elf host-tests tools user

# ---------------------------------------------------------------- user ------

# Programs in user/ are static Linux x86-64 executables built against musl
# (musl-gcc -static); `make run` and the tests install them into /bin on
# the image with scripts/install_user.py (build/tools/holdfs put).
MUSL_GCC ?= musl-gcc
USER_CFLAGS := -static -O2 -Wall -Wextra -Werror -Wno-unused-parameter -Iinclude/uapi
USER_SRCS := $(sort $(wildcard user/*.c))
USER_BINS := $(patsubst user/%.c,$(B)/user/%,$(USER_SRCS))

user: $(USER_BINS)

$(B)/user/%: user/%.c $(wildcard user/*.h) $(wildcard include/uapi/holdfast/*.h)
	@mkdir -p $(@D)
	$(say) MUSLCC $<
	$(Q)$(MUSL_GCC) $(USER_CFLAGS) -o $@ $<

$(B)/k/%.o: %.c
	@mkdir -p $(@D)
	$(say) CC $<
	$(Q)$(CC) $(KCFLAGS) -MMD -MP -c $< -o $@

$(B)/k/%.o: %.S
	@mkdir -p $(@D)
	$(say) AS $<
	$(Q)$(CC) $(KASFLAGS) -MMD -MP -c $< -o $@

# The kernel carries its own symbol table for backtraces.  Link once with an
# empty table, generate the table from that image, link again.  The table
# sits after .data, so text addresses do not move between the two links;
# scripts/ksyms.py checks that they did not.
$(B)/ksyms0.S:
	@mkdir -p $(@D)
	$(Q)$(PYTHON) scripts/ksyms.py --empty > $@

$(B)/ksyms0.o: $(B)/ksyms0.S
	$(Q)$(CC) $(KASFLAGS) -c $< -o $@

# The list of objects, rewritten only when it changes, so that removing a
# source file relinks the kernel.
$(B)/kobjs.list: FORCE
	@mkdir -p $(@D)
	@echo '$(KOBJS)' | cmp -s - $@ || echo '$(KOBJS)' > $@

$(B)/holdfast.pass1.elf: $(KOBJS) $(B)/ksyms0.o linker.ld $(B)/kobjs.list
	$(Q)$(LD) $(KLDFLAGS) -o $@ $(KOBJS) $(B)/ksyms0.o

$(B)/ksyms.S: $(B)/holdfast.pass1.elf scripts/ksyms.py
	$(Q)$(NM) -n $< | $(PYTHON) scripts/ksyms.py > $@

$(B)/ksyms.o: $(B)/ksyms.S
	$(Q)$(CC) $(KASFLAGS) -c $< -o $@

$(B)/holdfast.elf: $(KOBJS) $(B)/ksyms.o linker.ld scripts/check-image.py $(B)/kobjs.list
	$(say) LD $@
	$(Q)$(LD) $(KLDFLAGS) -o $@ $(KOBJS) $(B)/ksyms.o
	$(Q)$(NM) -n $@ | $(PYTHON) scripts/ksyms.py --compare $(B)/holdfast.pass1.elf
	$(Q)$(PYTHON) scripts/check-image.py $@

# ---------------------------------------------------------- debug kernel ----

# The same kernel built as DEBUG=1 (lock assertions on, freed heap
# poisoned, -O1) in a folder of its own, so that its objects never mix with
# build/holdfast.elf's.  `make test` boots it once with every suite
# (ktest-q35-debug in tests/boots.py).
$(B)/debug/holdfast.elf: FORCE
	+$(Q)$(MAKE) --no-print-directory B=$(B)/debug DEBUG=1 $(B)/debug/holdfast.elf

# ------------------------------------------------------------------- iso ----

GRUB_MKRESCUE ?= grub-mkrescue

# $(call mkiso,iso-path,kernel-cmdline)
define mkiso
	@mkdir -p $(B)/isoroot-$(notdir $(1))/boot/grub
	$(say) ISO $(1)
	$(Q)cp $(B)/holdfast.elf $(B)/isoroot-$(notdir $(1))/boot/holdfast.elf
	$(Q)printf 'set timeout=0\nset default=0\nmenuentry "Holdfast" {\n  multiboot2 /boot/holdfast.elf %s\n  boot\n}\n' '$(2)' \
		> $(B)/isoroot-$(notdir $(1))/boot/grub/grub.cfg
	$(Q)$(GRUB_MKRESCUE) -o $(1) $(B)/isoroot-$(notdir $(1)) >$(B)/grub-mkrescue.log 2>&1 || \
		{ cat $(B)/grub-mkrescue.log; exit 1; }
endef

iso: $(B)/holdfast.iso
$(B)/holdfast.iso: $(B)/holdfast.elf | check-deps
	$(call mkiso,$@,)

# The test ISO boots the same kernel through GRUB with test=all.
$(B)/holdfast-test.iso: $(B)/holdfast.elf | check-deps
	$(call mkiso,$@,test=all)

# ------------------------------------------------------------------ host ----

# LOCK_ASSERTS: the host tests check holdfs's lock rules (include/fs/holdfs_platform.h).
HOST_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter \
	-fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -Iinclude -DHOST_BUILD -DLOCK_ASSERTS

# Each tests/host/NAME.mk adds NAME to HOST_TESTS and lists the sources of
# build/host/test_NAME in HOST_TEST_NAME_SRCS.  tests/host/main.c and
# lib/ktest.c are linked into every host test binary.
HOST_TESTS :=
-include $(wildcard tests/host/*.mk)

# Host tools built from the same filesystem sources: build/tools/
include tools/tools.mk

HOST_COMMON := tests/host/main.c lib/ktest.c lib/printf.c
host_objs = $(patsubst %.c,$(B)/h/%.o,$(sort $(HOST_COMMON) $(HOST_TEST_$(1)_SRCS)))

$(B)/h/%.o: %.c
	@mkdir -p $(@D)
	$(say) HOSTCC $<
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $(HOST_CFLAGS_$(subst /,_,$*)) -MMD -MP -c $< -o $@

define host_test_rule
$(B)/host/test_$(1): $(call host_objs,$(1))
	@mkdir -p $$(@D)
	$$(say) HOSTLD $$@
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -o $$@ $$^ $(HOST_TEST_$(1)_LIBS)
endef
$(foreach t,$(HOST_TESTS),$(eval $(call host_test_rule,$(t))))

host-tests: $(foreach t,$(HOST_TESTS),$(B)/host/test_$(t)) $(B)/host/test_fuse

# holdfs-fuse under a real FUSE mount (tests/fuse_roundtrip.py, KTAP): a
# wrapper in build/host so that tests/run.py runs it with the binaries.
$(B)/host/test_fuse: tests/fuse_roundtrip.py
	@mkdir -p $(@D)
	$(say) GEN $@
	$(Q)printf '#!/bin/sh\nexec %s %s --build-dir %s "$$@"\n' '$(PYTHON)' \
		'$(abspath tests/fuse_roundtrip.py)' '$(abspath $(B))' > $@
	$(Q)chmod +x $@

# ----------------------------------------------------------------- run ------

# The machine `make run` and `make debug` boot (`make help` lists these).
PMEM      ?= $(B)/pmem.img
PMEM_SIZE ?= 128M
NVDIMMS   ?= 1
NVME      ?= $(B)/nvme.img
NVME_SIZE ?= 64M
SMP       ?= 1
MEMORY    ?= 512M
MACHINE   ?= q35
ACCEL     ?=
QEMU      ?= qemu-system-x86_64
NBD_PORT  ?= 10809
IOMMU     ?= 0

QEMU_PY_MACHINE = --pmem '$(PMEM)' --nvdimms $(NVDIMMS) --pmem-size $(PMEM_SIZE) \
	--smp $(SMP) --memory $(MEMORY) --machine $(MACHINE) --nbd-port '$(NBD_PORT)' \
	--nvme '$(NVME)' --nvme-size $(NVME_SIZE) $(if $(filter 1 yes on,$(IOMMU)),--iommu)

run: $(B)/holdfast.iso tools user | check-deps
	@$(PYTHON) scripts/install_user.py --build-dir $(B) --image '$(PMEM)' --size $(PMEM_SIZE)
	@$(PYTHON) scripts/qemu.py run --iso $(B)/holdfast.iso $(QEMU_PY_MACHINE) --accel '$(ACCEL)'

debug: $(B)/holdfast.iso | check-deps
	@$(PYTHON) scripts/qemu.py debug --iso $(B)/holdfast.iso $(QEMU_PY_MACHINE)

test: $(B)/holdfast.elf $(B)/debug/holdfast.elf $(B)/holdfast-test.iso $(B)/holdfast.iso host-tests tools user | check-deps
	@sh scripts/check-deps.sh --tests
	@$(PYTHON) -m unittest -q tests/test_runner_selftest.py 2>&1 | tail -n 1 | grep -qx OK || \
		{ echo "error: the test runner's own tests fail: python3 -m unittest tests/test_runner_selftest.py"; exit 1; }
	@$(PYTHON) -m unittest -q tests/test_newcomer.py 2>&1 | tail -n 1 | grep -q '^OK' || \
		{ echo "error: the newcomer's error messages are wrong: python3 -m unittest tests/test_newcomer.py"; exit 1; }
	@$(PYTHON) -m unittest -q tests/test_layers.py 2>&1 | tail -n 1 | grep -q '^OK' || \
		{ $(PYTHON) scripts/layers.py --objects $(B)/k; \
		  echo "error: the tree does not stack in layer order: python3 -m unittest tests/test_layers.py"; exit 1; }
	@$(PYTHON) tests/run.py --accel '$(if $(ACCEL),$(ACCEL),tcg)' --build-dir $(B) $(if $(ONLY),--only '$(ONLY)')

# The system-call fuzzer's soak (user/fuzz.c, tests/boots.py: user-fuzz):
# FUZZ_SEEDS rounds of FUZZ_CALLS calls each (twice per seed, for the leak
# check); the first failing seed stops it and says how to replay it.
FUZZ_CALLS ?= 1000000
FUZZ_SEEDS ?= 1 2 3 4 5
fuzz-syscalls: $(B)/holdfast.elf tools user | check-deps
	@for s in $(FUZZ_SEEDS); do \
		echo "fuzz: seed $$s, $(FUZZ_CALLS) calls"; \
		FUZZ_CALLS=$(FUZZ_CALLS) FUZZ_SEED=$$s FUZZ_TIMEOUT=3600 \
			$(PYTHON) tests/run.py --build-dir $(B) --only user-fuzz || \
		{ echo "fuzz: seed $$s failed; replay: make fuzz-syscalls FUZZ_SEEDS=$$s FUZZ_CALLS=$(FUZZ_CALLS)"; exit 1; }; \
	done

# The seed's story at the shell, with the protection and without; TCG
# unless ACCEL says otherwise.  Scratch image: build/demo/pmem.img.
demo: $(B)/holdfast.iso tools | check-deps
	@$(PYTHON) scripts/demo.py --build-dir $(B) --accel '$(if $(ACCEL),$(ACCEL),tcg)'

bench: $(B)/holdfast.elf $(B)/holdfast.iso tools user | check-deps
	@sh scripts/check-deps.sh --bench
	@$(PYTHON) scripts/bench.py --build-dir $(B) --accel '$(ACCEL)'

# The Linux peer harness is not part of this repository: PEER=DIR names
# its folder (default: PEER_DIR_DEFAULT in scripts/bench_linux.py).
bench-linux:
	@$(PYTHON) scripts/bench_linux.py --build-dir $(B) $(if $(PEER),--peer-dir '$(PEER)')

# Namespace labels against Linux's ndctl, both ways, on one QEMU NVDIMM
# image (drivers/nvdimm/LABELS.md).  Not part of make test: it downloads
# Debian's kernel (through the peer harness, PEER=DIR) and ndctl.
peer-labels: $(B)/holdfast.elf tools | check-deps
	@$(if $(PEER),PEER='$(PEER)') KERNEL=$(B)/holdfast.elf MKFS=$(B)/tools/mkfs.holdfs \
	  bash scripts/peer_labels.sh

# --------------------------------------------------------------- set-up -----

DEPS_DEBIAN := gcc make binutils python3 qemu-system-x86 grub-pc-bin grub-common \
	xorriso mtools libc6-dev pkg-config libfuse3-dev fuse3 rsync musl-tools musl-dev \
	dpkg-dev libnbd-bin qemu-utils fio

check-deps:
	@sh scripts/fetch-lwip.sh $(B)
	@$(PYTHON) --version >/dev/null 2>&1 || { echo "error: python3 is missing: run 'make deps' (or: sudo apt-get install python3)"; exit 1; }
	@sh scripts/check-deps.sh

deps:
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	 set -x; $$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive \
	   apt-get install -y --no-install-recommends $(DEPS_DEBIAN)

clean:
	rm -rf $(B)

help:
	@echo "make            build build/holdfast.elf and the host tests"
	@echo "make iso        build build/holdfast.iso (GRUB, multiboot2)"
	@echo "make user       build the programs in user/ (musl-gcc -static) into $(B)/user/;"
	@echo "                make run installs them into /bin on the image"
	@echo "make run        boot the ISO in QEMU with an NVDIMM, an NVMe disk and edu; serial on stdio"
	@echo "  options (also for make debug; defaults shown):"
	@echo "    PMEM=$(B)/pmem.img  the NVDIMM's image; created and formatted when missing,"
	@echo "                     kept between runs (PMEM= with nothing: no NVDIMM)"
	@echo "    PMEM_SIZE=128M   size of a newly created image (K, M, G suffixes)"
	@echo "    NVDIMMS=1        how many NVDIMMs; the others are PMEM's name + 1, 2 ..."
	@echo "                     (NVDIMMS=2: $(B)/pmem.img and $(B)/pmem1.img)"
	@echo "    NVME=$(B)/nvme.img  the NVMe disk's image (raw; created, all zero, when"
	@echo "                     missing; kept between runs): /dev/nvme0n1; NVME=none: no disk"
	@echo "    NVME_SIZE=64M    size of a newly created NVMe image"
	@echo "    SMP=1            number of CPUs"
	@echo "    MEMORY=512M      RAM"
	@echo "    MACHINE=q35      machine type: q35 or pc (i440fx)"
	@echo "    ACCEL=           accelerator: empty = KVM if a probe boot works, else TCG;"
	@echo "                     ACCEL=tcg or ACCEL=kvm to choose"
	@echo "    NBD_PORT=10809   host port (on 127.0.0.1) forwarded to the guest's NBD server;"
	@echo "                     the card is virtio-net on QEMU's user net, restrict=on"
	@echo "                     (NBD_PORT=none: no network card)"
	@echo "    IOMMU=0          IOMMU=1: add QEMU's VT-d unit (-device intel-iommu, q35 only):"
	@echo "                     DMA remapping on, devices reach only pages mapped for them"
	@echo "  e.g. make run NVDIMMS=2 SMP=2 PMEM=/tmp/mine.img PMEM_SIZE=1G"
	@echo "make test       build everything and run every test suite (TCG; ACCEL=kvm opts in)"
	@echo "                ONLY=name runs just the boots/host tests whose name contains it"
	@echo "make demo       play the seed's race at the shell: a truncate waits for DMA into"
	@echo "                the file; then, unprotected, a new file is corrupted; then a revoke"
	@echo "                lease and the IOMMU keep it intact (~20 s)"
	@echo "make debug      boot paused with a gdb stub; prints the gdb command to type"
	@echo "make fuzz-syscalls  soak the system-call fuzzer (user/fuzz.c): FUZZ_SEEDS='1 2 3 4 5' FUZZ_CALLS=1000000"
	@echo "make bench      run the benchmarks in QEMU: table, build/bench/results.csv and .png"
	@echo "make bench-linux  measure Linux DAX (ext4/xfs) for comparison: build/bench/linux.csv (downloads Debian's kernel)"
	@echo "                PEER=DIR: the Linux peer harness's folder (not part of this repository)"
	@echo "make peer-labels  namespace labels against Linux 6.1's ndctl on one NVDIMM image, both ways"
	@echo "                (downloads Debian's kernel and ndctl; PEER=DIR as for bench-linux)"
	@echo "make deps       install the Debian packages the build, QEMU and the tests need,"
	@echo "                and fetch lwIP's source package into build/lwip (scripts/fetch-lwip.sh)"
	@echo "make clean      remove build/"
	@echo "DEBUG=1         debug kernel build (lock assertions, freed heap poisoned); make test"
	@echo "                also builds one in $(B)/debug/ and boots it"

.PHONY: user all iso run demo debug test fuzz-syscalls bench bench-linux peer-labels deps check-deps clean help host-tests FORCE
FORCE:

-include $(KOBJS:.o=.d)
-include $(wildcard $(B)/h/*/*.d $(B)/h/*/*/*.d $(B)/h/*/*/*/*.d)
