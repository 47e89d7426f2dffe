/*
 * uart16550.h - the PC serial port (COM1), console output and line input.
 *
 * Output is polled (safe from any context, including panic).  Input is
 * interrupt driven once uart_enable_rx_irq() has run: bytes go into a ring
 * buffer that uart_getc() drains, sleeping while it is empty.  No input is
 * ever dropped: while the ring is full the driver leaves bytes in the UART
 * (and the sender waits), until the reader has made room.
 */
#ifndef DRIVERS_UART16550_H
#define DRIVERS_UART16550_H

#include <stdbool.h>
#include <stddef.h>

/* Boot CPU, first thing: 115200 8N1, the UART's interrupts off. */
void uart_init(void);
/* Polled output; any context, no lock (the console serialises callers). */
void uart_putc(char c);
void uart_write(const char *s, size_t n);
/* Route COM1's IRQ through the IOAPIC and enable the receive interrupt.
 * Boot, thread context, once; takes rx.lock.  Without a free vector the
 * input stays polled. */
void uart_enable_rx_irq(void);
/* Next input byte; sleeps until one arrives.  Thread context only, no
 * spinlock held. */
char uart_getc(void);
/* The same, giving up with -EINTR when the thread is interrupted: the
 * byte (0-255) or -EINTR.  Thread context only, no spinlock held. */
int uart_getc_interruptible(void);
/* Next input byte if one is buffered (or waiting in the UART), else -1.
 * Any context (rx.lock is taken with interrupts off). */
int uart_trygetc(void);
/* Is an input byte buffered (or waiting in the UART)?  Any context. */
bool uart_rx_pending(void);
/* The queue uart_getc() sleeps on, woken at every receive interrupt: for
 * poll(2) on the console (poll_wait).  Lives forever. */
struct wait_queue *uart_rx_waitqueue(void);

#endif
