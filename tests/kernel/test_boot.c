/*
 * test_boot.c - what boot left behind: the parsed boot information, the
 * command line, the symbol table, the CPU's descriptor tables.
 */
#include <tests/ktest_kernel.h>
#include <kernel/bootinfo.h>
#include <kernel/kernel.h>
#include <kernel/ksyms.h>
#include <kernel/mm.h>
#include <kernel/panic.h>
#include <arch/x86_64/percpu.h>
#include <init/main.h>
#include <lib/string.h>

KTEST(boot, memory_map_sane)
{
	uint64_t ram = 0;

	ASSERT_GT(t, boot_info.nmmap, 0);
	EXPECT_TRUE(t, boot_info.protocol == 1 || boot_info.protocol == 2);
	for (unsigned i = 0; i < boot_info.nmmap; i++) {
		const struct boot_mem_region *r = &boot_info.mmap[i];
		EXPECT_GT(t, r->len, 0);
		if (i > 0)	/* sorted and disjoint after sanitising */
			EXPECT_LE(t, boot_info.mmap[i - 1].base + boot_info.mmap[i - 1].len, r->base);
		if (r->type == MEM_AVAILABLE)
			ram += r->len;
	}
	/* the test machines have 512 MiB */
	EXPECT_GT(t, ram, 256ULL << 20);
	EXPECT_LE(t, ram, 512ULL << 20);
	EXPECT_EQ(t, pmm_total_count() * PAGE_SIZE <= ram, true);
}

KTEST(boot, command_line_parsed)
{
	EXPECT_NOT_NULL(t, strstr(boot_info.cmdline, "test="));
	EXPECT_NE(t, kopts.test[0], 0);
	EXPECT_TRUE(t, kernel_test_mode());
}

/* A panic during a test run must end it with the failure code, not halt
 * until the harness's timeout: the runner registers the hook that does. */
KTEST(boot, a_panic_ends_the_test_run)
{
	void (*hook)(void) = panic_get_hook();
	uint64_t off = 99;

	ASSERT_TRUE(t, hook != NULL);
	EXPECT_STREQ(t, ksyms_lookup((uint64_t)hook, &off), "test_panic");
	EXPECT_EQ(t, off, 0);
}

KTEST(boot, symbol_table_lookup)
{
	uint64_t off = 99;
	const char *name = ksyms_lookup((uint64_t)kmain + 3, &off);

	ASSERT_NOT_NULL(t, name);
	EXPECT_STREQ(t, name, "kmain");
	EXPECT_EQ(t, off, 3);
	EXPECT_NULL(t, ksyms_lookup(0x1234, &off));
}

KTEST(boot, per_cpu_and_gs)
{
	struct cpu *c = this_cpu();

	EXPECT_EQ(t, c, &cpus[c->id]);
	EXPECT_EQ(t, c->self, c);
	EXPECT_TRUE(t, c->online);
}
