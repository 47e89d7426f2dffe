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
 * Locking: output is serialised by the console lock in kernel/console.c;
 * the input ring is single-producer (the IRQ handler) single-consumer (the
 * shell thread) and protected by rx_lock.
 */
#include <drivers/uart16550.h>
#include <arch/x86_64/io.h>
#include <arch/x86_64/irq.h>
#include <kernel/sync.h>
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

#define IER_RDI		0x01		/* received data available interrupt */
#define LCR_8N1		0x03		/* 8 data bits, no parity, 1 stop bit */
#define LCR_DLAB	0x80		/* divisor latch access */
#define MCR_DTR		0x01
#define MCR_RTS		0x02
#define MCR_OUT2	0x08		/* gates the IRQ line on PCs */
#define LSR_DR		0x01		/* data ready */
#define LSR_THRE	0x20		/* transmit holding register empty */

#define UART_CLOCK_DIV_115200	1	/* 1.8432 MHz / (16 * 115200) */
#define RX_RING_SIZE	4096		/* power of two */

static struct {
	spinlock_t lock;
	unsigned head, tail;		/* head: next write, tail: next read */
	char buf[RX_RING_SIZE];
	struct wait_queue wq;
} rx = { .lock = SPINLOCK_INIT("uart_rx") };

static inline uint8_t reg_read(unsigned r) { return inb(COM1_BASE + r); }
static inline void reg_write(unsigned r, uint8_t v) { outb(COM1_BASE + r, v); }

/**
 * uart_init - program COM1 for 115200 8N1, polled output, no interrupts.
 * Safe to call before anything else is up.
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

/* Move every byte the UART holds into the ring.  Caller holds rx.lock. */
static void rx_drain_locked(void)
{
	while (reg_read(UART_LSR) & LSR_DR) {
		char c = (char)reg_read(UART_RBR);
		if (rx.head - rx.tail < RX_RING_SIZE)
			rx.buf[rx.head++ & (RX_RING_SIZE - 1)] = c;
		/* else: the ring is full and the byte is dropped, as a UART would */
	}
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
	if (vec < 0)
		return;
	ioapic_route_isa_irq(COM1_IRQ, vec);
	reg_write(UART_IER, IER_RDI);
	/* Bytes that arrived before the interrupt was enabled raised no IRQ. */
	unsigned long flags = spin_lock_irqsave(&rx.lock);
	rx_drain_locked();
	spin_unlock_irqrestore(&rx.lock, flags);
}

int uart_trygetc(void)
{
	int c = -1;
	unsigned long flags = spin_lock_irqsave(&rx.lock);
	rx_drain_locked();
	if (rx.head != rx.tail)
		c = (unsigned char)rx.buf[rx.tail++ & (RX_RING_SIZE - 1)];
	spin_unlock_irqrestore(&rx.lock, flags);
	return c;
}

char uart_getc(void)
{
	int c;
	wait_event(&rx.wq, (c = uart_trygetc()) >= 0);
	return (char)c;
}
