# libFuzzer target for holdfs's mount and fsck (tests/host/fuzz_hfs_mount.c).
# Not part of `make test`.  Needs clang with libFuzzer (Debian: clang-14;
# libclang-rt-14-dev if -fsanitize=fuzzer does not link).
#
#	make fuzz                   fuzz for FUZZ_TIME seconds (default 60)
#	make fuzz FUZZ_TIME=3600 FUZZ_JOBS=4
#	make fuzz-build             just build build/fuzz/fuzz_hfs_mount
#
# Works on a copy of tests/host/fuzz_corpus in build/fuzz/corpus; a crash
# lands in build/fuzz/findings/.  Keep a finding as a regression test:
#	cp build/fuzz/findings/crash-<hash> tests/host/fuzz_corpus/regress-<what>
# (build/host/test_hfs_regress replays that folder in `make test`).
include tests/host/hfs_core.inc

FUZZ_CC ?= clang
FUZZ_TIME ?= 60
FUZZ_JOBS ?= 1
FUZZ_CFLAGS := -std=gnu11 -g -O1 -Iinclude -DHOST_BUILD -DLOCK_ASSERTS -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_SRCS = tests/host/fuzz_hfs_mount.c $(HFS_TEST_PLATFORM) lib/printf.c $(HFS_CORE_SRCS)

$(B)/fuzz/fuzz_hfs_mount: $(FUZZ_SRCS) $(wildcard fs/holdfs/*.h tests/host/*.h include/lib/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(FUZZ_SRCS)

fuzz-build: $(B)/fuzz/fuzz_hfs_mount

fuzz: $(B)/fuzz/fuzz_hfs_mount
	@mkdir -p $(B)/fuzz/corpus $(B)/fuzz/findings
	cp -n tests/host/fuzz_corpus/* $(B)/fuzz/corpus/ 2>/dev/null || true
	rm -f $(B)/fuzz/corpus/README
	cd $(B)/fuzz && ./fuzz_hfs_mount -max_len=4096 -max_total_time=$(FUZZ_TIME) \
		-jobs=$(FUZZ_JOBS) -workers=$(FUZZ_JOBS) -artifact_prefix=findings/ \
		-print_final_stats=1 corpus

.PHONY: fuzz fuzz-build
