/*
 * cmd_net.c - `net`: the network interface, its address and its counters
 * (include/net/net.h, include/drivers/netdev.h); `net bench` starts the
 * raw TCP services scripts/bench_nbd.py measures the ceiling with; `net
 * rxloan N` lets the driver lend at most N receive buffers at once (0:
 * every frame is copied), to test the copying fallback.
 */
#include <net/net.h>
#include <lib/errno.h>
#include <lib/string.h>
#include <shell/shell.h>

static void print_ip(const char *label, uint32_t a)
{
	shell_printf("%s%u.%u.%u.%u", label, a >> 24, (a >> 16) & 0xFF, (a >> 8) & 0xFF, a & 0xFF);
}

static int cmd_net(int argc, char **argv)
{
	struct net_info ni;
	struct netdev *nd;
	const uint8_t *m;
	uint64_t zref, zcopied;

	if (argc == 2 && !strcmp(argv[1], "bench")) {
		int err = net_get_info(&ni) ? tcpbench_start() : -ENODEV;

		if (err)
			shell_printf("net bench: %s\n", strerror(err));
		else
			shell_printf("net bench: discard on port %u, source on port %u\n",
				     TCPBENCH_DISCARD_PORT, TCPBENCH_SOURCE_PORT);
		return err;
	}
	if (argc == 3 && !strcmp(argv[1], "rxloan")) {
		uint64_t n;
		int err = parse_u64(argv[2], 10, &n) ? -EINVAL : net_set_rx_loan_limit(
			n > UINT32_MAX ? UINT32_MAX : (unsigned)n);

		if (err == -EINVAL)
			return shell_usage_error(argv[0], "rxloan N (a number)");
		if (err)
			shell_printf("net rxloan: %s\n", strerror(err));
		return err;
	}
	if (argc != 1)
		return shell_usage_error(argv[0], "takes no arguments, bench, or rxloan N");
	if (!net_get_info(&ni)) {
		nd = netdev_get(0);
		shell_printf(nd ? "net: %s is there but the stack did not start\n"
			        : "net: no network device (QEMU: -device virtio-net-pci)\n",
			     nd ? nd->name : "");
		return 0;
	}
	nd = ni.dev;
	m = nd->mac;
	shell_printf("%s: %s %s, MAC %02x:%02x:%02x:%02x:%02x:%02x, link %s, %s, %lu interrupts\n",
		     nd->name, nd->driver, nd->device, m[0], m[1], m[2], m[3], m[4], m[5],
		     ni.link ? "up" : "down", nd->irq_mode, nd->irqs);
	if (ni.addr) {
		print_ip("  inet ", ni.addr);
		shell_printf("/%u", net_prefix_len(ni.mask));
		print_ip(" gateway ", ni.gw);
		shell_printf(" (%s)\n", ni.how);
	} else {
		shell_printf("  no address (%s)\n", ni.how);
	}
	shell_printf("  rx: %lu packets, %lu bytes, %lu drops, %lu errors\n", nd->stats.rx_packets,
		     nd->stats.rx_bytes, nd->stats.rx_drops, nd->stats.rx_errors);
	shell_printf("  rx buffers: %lu frames by reference, %lu copied (%lu with no buffer to "
		     "spare); %u of %u on loan now, limit %u\n", ni.rx_by_ref, ni.rx_copied,
		     nd->stats.rx_loan_dry, __atomic_load_n(&nd->rx_on_loan, __ATOMIC_RELAXED),
		     ni.rx_lendable, __atomic_load_n(&nd->rx_loan_limit, __ATOMIC_RELAXED));
	shell_printf("  tx: %lu packets, %lu bytes, %lu drops, %lu errors\n", nd->stats.tx_packets,
		     nd->stats.tx_bytes, nd->stats.tx_drops, nd->stats.tx_errors);
	net_zc_totals(&zref, &zcopied);
	shell_printf("  zero-copy: %lu bytes of registered data (NBD READs, net bench) sent by "
		     "reference (%lu descriptors), %lu copied; %lu bytes copied into transmit "
		     "buffers in all\n", zref,
		     nd->stats.tx_ref_frags, zcopied, nd->stats.tx_copied_bytes);
	shell_printf("  doorbells: rx %lu rung, %lu left out; tx %lu rung, %lu left out "
		     "(the device said it was already at work)\n", nd->stats.rx_kicks.rung,
		     nd->stats.rx_kicks.left_out, nd->stats.tx_kicks.rung,
		     nd->stats.tx_kicks.left_out);
	return 0;
}
SHELL_CMD("net", "net [bench | rxloan N]", "the network interface: address, link, packets, "
	  "drops, errors, receive buffers lent to the stack; bench: start the raw TCP "
	  "discard/source services (ports 10810, 10811); rxloan N: lend at most N receive "
	  "buffers at once (0: copy every frame)", cmd_net);
