# Host tools built from the holdfs sources (see docs/design.md, "Host tools"):
#   build/tools/mkfs.holdfs  build/tools/fsck.holdfs  build/tools/holdfs
#   build/tools/holdfs-fuse  (only when pkg-config finds fuse3)
# Included by the root Makefile (`include tools/tools.mk`, target `tools`);
# also usable alone: make -f tools/tools.mk tools
B       ?= build
HOSTCC  ?= cc

TOOLS_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	-Iinclude -DHOST_BUILD
TOOLS_CORE := $(filter-out fs/holdfs/kernel_platform.c,$(sort $(wildcard fs/holdfs/*.c))) \
	tools/hfs_host.c tools/hfs_services.c lib/string.c lib/crc.c lib/bitmap.c lib/errno.c lib/printf.c \
	lib/date.c
TOOLS_CORE_OBJS := $(patsubst %.c,$(B)/tools/obj/%.o,$(TOOLS_CORE))
FUSE_CFLAGS := $(shell pkg-config --cflags fuse3 2>/dev/null)
FUSE_LIBS := $(shell pkg-config --libs fuse3 2>/dev/null)

TOOLS := $(B)/tools/mkfs.holdfs $(B)/tools/fsck.holdfs $(B)/tools/holdfs
ifneq ($(FUSE_LIBS),)
TOOLS += $(B)/tools/holdfs-fuse
endif

tools: $(TOOLS)

$(B)/tools/obj/%.o: %.c
	@mkdir -p $(@D)
	@printf '  %-7s %s\n' HOSTCC $<
	@$(HOSTCC) $(TOOLS_CFLAGS) -MMD -MP -c $< -o $@

$(B)/tools/obj/tools/holdfs_fuse.o: tools/holdfs_fuse.c
	@mkdir -p $(@D)
	@printf '  %-7s %s\n' HOSTCC $<
	@$(HOSTCC) $(TOOLS_CFLAGS) $(FUSE_CFLAGS) -MMD -MP -c $< -o $@

$(B)/tools/mkfs.holdfs: $(B)/tools/obj/tools/mkfs_holdfs.o $(B)/tools/obj/tools/progress.o $(TOOLS_CORE_OBJS)
	@printf '  %-7s %s\n' HOSTLD $@
	@$(HOSTCC) -o $@ $^ -lpthread

$(B)/tools/fsck.holdfs: $(B)/tools/obj/tools/fsck_holdfs.o $(B)/tools/obj/tools/progress.o $(TOOLS_CORE_OBJS)
	@printf '  %-7s %s\n' HOSTLD $@
	@$(HOSTCC) -o $@ $^ -lpthread

$(B)/tools/holdfs: $(B)/tools/obj/tools/holdfs.o $(TOOLS_CORE_OBJS)
	@printf '  %-7s %s\n' HOSTLD $@
	@$(HOSTCC) -o $@ $^ -lpthread

$(B)/tools/holdfs-fuse: $(B)/tools/obj/tools/holdfs_fuse.o $(TOOLS_CORE_OBJS)
	@printf '  %-7s %s\n' HOSTLD $@
	@$(HOSTCC) -o $@ $^ $(FUSE_LIBS) -lpthread

-include $(wildcard $(B)/tools/obj/*/*.d $(B)/tools/obj/*/*/*.d $(B)/tools/obj/*/*/*/*.d)

.PHONY: tools
