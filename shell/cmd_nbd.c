/*
 * cmd_nbd.c - `nbd`: export files to NBD clients and look at them
 * (include/net/nbd.h).
 *
 *	nbd export PATH [NAME] [ro]	nbd list	nbd unexport NAME	nbd clients
 *	nbd zerocopy [on|off]		READ replies from pinned pmem pages, or copied
 */
#include <net/nbd.h>
#include <net/net.h>
#include <kernel/timer.h>
#include <lib/errno.h>
#include <lib/string.h>
#include <shell/shell.h>

static int nbd_do_export(int argc, char **argv)
{
	const char *name = NULL;
	bool ro = false;
	char why[160];
	int err;

	if (argc < 3 || argc > 5)
		return shell_usage_error(argv[0], "export PATH [NAME] [ro]");
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "ro") && i == argc - 1)
			ro = true;
		else if (i == 3)
			name = argv[i];
		else
			return shell_usage_error(argv[0], "export PATH [NAME] [ro]");
	}
	err = nbd_export(argv[2], name, ro, why, sizeof(why));
	if (err) {
		shell_printf("nbd: %s\n", why);
		return err;
	}
	if (!nbd_running())
		shell_printf("nbd: exported, but no server listens (no network device)\n");
	return 0;
}

static int nbd_do_list(void)
{
	struct nbd_export_info e;

	for (unsigned i = 0; nbd_export_at(i, &e); i++)
		shell_printf("%-16s %-24s %12lu bytes  %s  %u client%s\n", e.name, e.path, e.size,
			     e.ro ? "ro" : "rw", e.clients, e.clients == 1 ? "" : "s");
	return 0;
}

static int nbd_do_clients(void)
{
	struct nbd_client_info c;
	struct nbd_write_stats w;
	uint64_t now = time_ns();

	for (unsigned i = 0; nbd_client_at(i, &c); i++)
		shell_printf("#%u %-21s %-16s %lu requests, %lu bytes read (%lu READs zero-copy, "
			     "%u pinned), %lu written (%lu from lent rx buffers), %lu s; READ "
			     "data to the NIC: %lu bytes by reference, %lu copied\n",
			     c.id, c.peer, c.export[0] ? c.export : "(negotiating)", c.requests,
			     c.bytes_read, c.reads_zero_copy, c.pinned, c.bytes_written,
			     c.bytes_written_lent, (now - c.connected_ns) / 1000000000ul,
			     c.zc_bytes_ref, c.zc_bytes_copied);
	nbd_write_stats(&w);
	shell_printf("WRITE data since boot: %lu payload bytes; %lu written in place from lwIP's "
		     "pbufs (%lu vfs_pwritev calls, %lu ms), %lu of them from lent receive "
		     "buffers (one copy), %lu from copied frames (two)\n", w.payload, w.gathered,
		     w.writev_calls, w.file_ns / 1000000ul, w.lent, w.gathered - w.lent);
	return 0;
}

static int cmd_nbd(int argc, char **argv)
{
	int err;

	if (argc >= 2 && !strcmp(argv[1], "export"))
		return nbd_do_export(argc, argv);
	if (argc == 2 && !strcmp(argv[1], "list"))
		return nbd_do_list();
	if (argc == 2 && !strcmp(argv[1], "clients"))
		return nbd_do_clients();
	if (argc == 2 && !strcmp(argv[1], "zerocopy")) {
		uint64_t pinned, copied;
		bool on = nbd_zero_copy_on(&pinned, &copied);

		shell_printf("nbd zerocopy: %s (%lu READs sent from pinned pages, %lu copied)\n",
			     on ? "on" : "off", pinned, copied);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "zerocopy")) {
		if (strcmp(argv[2], "on") && strcmp(argv[2], "off"))
			return shell_usage_error(argv[0], "zerocopy [on|off]");
		nbd_set_zero_copy(!strcmp(argv[2], "on"));
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "unexport")) {
		err = nbd_unexport(argv[2]);
		if (err == -ENOENT)
			shell_printf("nbd: no export named '%s'\n", argv[2]);
		else if (err == -EBUSY)
			shell_printf("nbd: '%s' has clients (nbd clients); try again when they leave\n",
				     argv[2]);
		return err;
	}
	return shell_usage_error(argv[0], "export PATH [NAME] [ro] | list | unexport NAME | "
				 "clients | zerocopy [on|off]");
}
SHELL_CMD("nbd", "nbd export PATH [NAME] [ro] | list | unexport NAME | clients | zerocopy [on|off]",
	  "export files to NBD clients (nbdinfo, nbdcopy, qemu-img) on port 10809", cmd_nbd);
