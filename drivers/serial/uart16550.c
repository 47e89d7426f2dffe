/*
 * uart16550.c - driver for the COM1 16550 UART: console output and
 * interrupt-driven input.
 *
 * Registers (offsets from the base port), from the National Semiconductor
 * PC16550D datasheet, table 2:
 *   0 RBR (read) / THR (write) / DLL (with LCR.DLAB)
 *   1 IER / DLM (with LCR.DLAB)
 *   2 IIR (read) / FCR (write)
 *   3 LCR   4 MCR   5 LSR   6 MSR   7 SCR
 *
 * The FIFO control register is deliberately never written: QEMU (and a real
 * 16550) clears both FIFOs when the FIFO-enable bit changes, which would
 * drop input that was already queued before the kernel started (commands
 * piped into `make run`).  Reading "while LSR.DR" works with the FIFO on or
 * off, so whatever the firmware chose is kept.
 *
 * Input is never dropped.  Received bytes go into a ring (rx) that the
 * shell drains; while the ring is full the driver stops reading RBR and
 * masks the received-data interrupt (IER.ERBFI), so the bytes stay in the
 * UART and, behind it, in whatever feeds the line: QEMU's serial device
 * accepts no new byte from its chardev (stdin, a pipe) while its receive
 * FIFO, or RBR without a FIFO, is full (hw/char/serial.c,
 * serial_can_receive), and a real line would be held by flow control.
 * Once the shell has taken half of the ring, the interrupt is unmasked and
 * the UART drained again.  Masking also matters for the interrupt line:
 * with data left in the UART and ERBFI set, the (edge-triggered) line
 * would stay raised and never interrupt again.
 *
 * Ctrl-C is acted on as it is received: for every CONSOLE_INTR_CHAR,
 * rx_drain_locked() tells the console (console_interrupt(), which
 * interrupts the shell's command) before it puts the byte in the ring, in
 * order, for the shell.  Before, so that the shell, which clears the
 * interrupt when it reads the byte, cannot read it first.  So the
 * shell sees Ctrl-C while it is busy, and while its line is full: a
 * person's type-ahead sits in the 4 KiB ring and the Ctrl-C right behind
 * it.  Only a Ctrl-C sent behind more than 4 KiB of unread input waits in
 * the UART with the rest, to be seen when the shell has read its way to
 * it; without dropping input, no receiver can look past bytes it has no
 * room for.  (Input from a pipe cannot hit this by accident: there, a
 * Ctrl-C at the terminal goes to the host, not to the serial line.)
 *
 * Locking: output is serialised by the console lock in kernel/console.c;
 * the input ring is filled by the IRQ handler and by the reader itself
 * (polling before the interrupt is on, draining when it unthrottles) and
 * emptied by one reader (the shell thread); rx.lock
 * guards the ring, rx.throttled and the writes of IER.  Lock order:
 * rx.lock, then the scheduler's (console_interrupt() wakes a thread).
 */
#include <drivers/uart16550.h>
#include <arch/x86_64/io.h>
#include <arch/x86_64/irq.h>
#include <kernel/sync.h>
#include <kernel/printk.h>
#include <lib/compiler.h>

#define COM1_BASE	0x3F8
#define COM1_IRQ	4		/* ISA IRQ line */

#define UART_RBR	0
#define UART_THR	0
#define UART_DLL	0
#define UART_IER	1
#define UART_DLM	1
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5

#define IER_RDI		0x01		/* ERBFI: received data available interrupt */
#define LCR_8N1		0x03		/* 8 data bits, no parity, 1 stop bit */
#define LCR_DLAB	0x80		/* divisor latch access */
#define MCR_DTR		0x01
#define MCR_RTS		0x02
#define MCR_OUT2	0x08		/* gates the IRQ line on PCs */
#define LSR_DR		0x01		/* data ready */
#define LSR_THRE	0x20		/* transmit holding register empty */

#define UART_CLOCK_DIV_115200	1	/* 1.8432 MHz / (16 * 115200) */
#define RX_RING_SIZE	4096		/* power of two */
#define RX_RESUME_FREE	(RX_RING_SIZE / 2) /* unthrottle with this much room */

static struct {
	spinlock_t lock;
	unsigned head, tail;		/* head: next write, tail: next read */
	bool irq_on;			/* uart_enable_rx_irq() has run */
	bool throttled;			/* the ring filled: ERBFI masked, RBR unread */
	char buf[RX_RING_SIZE];
	struct wait_queue wq;
} rx = { .lock = SPINLOCK_INIT("uart_rx") };

static inline uint8_t reg_read(unsigned r) { return inb(COM1_BASE + r); }
static inline void reg_write(unsigned r, uint8_t v) { outb(COM1_BASE + r, v); }

/**
 * uart_init - program COM1 for 115200 8N1, polled output, no interrupts,
 * and register it as the console (console_register()).  Safe to call
 * before anything else is up.
 */
void uart_init(void)
{
	reg_write(UART_IER, 0);
	reg_write(UART_LCR, LCR_DLAB);
	reg_write(UART_DLL, UART_CLOCK_DIV_115200);
	reg_write(UART_DLM, 0);
	reg_write(UART_LCR, LCR_8N1);
	reg_write(UART_MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
	wait_queue_init(&rx.wq);
	console_register(uart_write);
}

void uart_putc(char c)
{
	while (!(reg_read(UART_LSR) & LSR_THRE))
		cpu_relax();
	reg_write(UART_THR, (uint8_t)c);
}

void uart_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			uart_putc('\r');
		uart_putc(s[i]);
	}
}

static unsigned rx_used(void) { return rx.head - rx.tail; }

/* ERBFI on when the interrupt is wanted and the ring has room.  Caller
 * holds rx.lock. */
static void rx_update_ier_locked(void)
{
	assert_held(&rx.lock);
	reg_write(UART_IER, rx.irq_on && !rx.throttled ? IER_RDI : 0);
}

/*
 * Move the bytes the UART holds into the ring while it has room.  When the
 * ring fills, throttle: leave the rest in the UART and mask its receive
 * interrupt until rx_take_locked() has made room.  Caller holds rx.lock.
 */
static void rx_drain_locked(void)
{
	assert_held(&rx.lock);
	if (rx.throttled)
		return;
	while (rx_used() < RX_RING_SIZE && (reg_read(UART_LSR) & LSR_DR)) {
		char c = (char)reg_read(UART_RBR);

		if (c == CONSOLE_INTR_CHAR)
			console_interrupt();
		rx.buf[rx.head++ & (RX_RING_SIZE - 1)] = c;
	}
	if (rx_used() == RX_RING_SIZE) {
		rx.throttled = true;
		rx_update_ier_locked();
	}
}

/* The next byte of the ring, or -1; unthrottles once half the ring is
 * free.  Caller holds rx.lock. */
static int rx_take_locked(void)
{
	int c;

	assert_held(&rx.lock);
	if (rx.head == rx.tail)
		rx_drain_locked();	/* polling, before the interrupt is on */
	if (rx.head == rx.tail)
		return -1;
	c = (unsigned char)rx.buf[rx.tail++ & (RX_RING_SIZE - 1)];
	if (rx.throttled && RX_RING_SIZE - rx_used() >= RX_RESUME_FREE) {
		rx.throttled = false;
		rx_update_ier_locked();
		rx_drain_locked();
	}
	return c;
}

bool uart_rx_pending(void)
{
	unsigned long flags = spin_lock_irqsave(&rx.lock);
	bool r;

	if (rx.head == rx.tail)
		rx_drain_locked();
	r = rx.head != rx.tail;
	spin_unlock_irqrestore(&rx.lock, flags);
	return r;
}

struct wait_queue *uart_rx_waitqueue(void)
{
	return &rx.wq;
}

static void uart_irq(struct trap_frame *tf, void *ctx)
{
	unsigned long flags = spin_lock_irqsave(&rx.lock);
	rx_drain_locked();
	spin_unlock_irqrestore(&rx.lock, flags);
	wake_up_all(&rx.wq);
}

void uart_enable_rx_irq(void)
{
	int vec = irq_alloc_vector(uart_irq, NULL, "com1");
	unsigned long flags;

	if (vec < 0)
		return;
	ioapic_route_isa_irq(COM1_IRQ, vec);
	flags = spin_lock_irqsave(&rx.lock);
	rx.irq_on = true;
	rx_update_ier_locked();
	/* Bytes that arrived before the interrupt was enabled raised no IRQ. */
	rx_drain_locked();
	spin_unlock_irqrestore(&rx.lock, flags);
}

int uart_trygetc(void)
{
	unsigned long flags = spin_lock_irqsave(&rx.lock);
	int c = rx_take_locked();

	spin_unlock_irqrestore(&rx.lock, flags);
	return c;
}

char uart_getc(void)
{
	int c;
	wait_event(&rx.wq, (c = uart_trygetc()) >= 0);
	return (char)c;
}

int uart_getc_interruptible(void)
{
	int c = -1, err;

	err = wait_event_interruptible(&rx.wq, (c = uart_trygetc()) >= 0);
	return err ? err : c;
}
