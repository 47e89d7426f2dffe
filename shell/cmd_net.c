/*
 * cmd_net.c - `net`: the network interface, its address and its counters
 * (include/net/net.h, include/drivers/netdev.h).
 */
#include <net/net.h>
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

	if (argc != 1)
		return shell_usage_error(argv[0], "takes no arguments");
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
	shell_printf("  tx: %lu packets, %lu bytes, %lu drops, %lu errors\n", nd->stats.tx_packets,
		     nd->stats.tx_bytes, nd->stats.tx_drops, nd->stats.tx_errors);
	return 0;
}
SHELL_CMD("net", "net", "the network interface: address, link, packets, drops, errors", cmd_net);
