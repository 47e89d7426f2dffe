/*
 * printf.c - the formatter behind kprintf, snprintf and ktest
 * (interface and supported conversions in include/lib/printf.h).
 *
 * One conversion specification is parsed into a struct fmt_spec, then one
 * emitter per kind of conversion (integer, character, string, pointer)
 * writes it through struct out, which counts what it hands to the callback.
 * Self-contained: this file uses no other part of lib, so any program that
 * links printf.c needs nothing else.
 */
#include <lib/printf.h>
#include <lib/compiler.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

/* Flag characters. */
#define FL_LEFT   (1u << 0)   /* '-': pad on the right */
#define FL_ZERO   (1u << 1)   /* '0': pad numbers with zeros */
#define FL_PLUS   (1u << 2)   /* '+': always print a sign */
#define FL_SPACE  (1u << 3)   /* ' ': space where a '+' would go */
#define FL_ALT    (1u << 4)   /* '#': 0x prefix, leading octal 0 */

#define NO_PREC      (-1)
/* Widths and precisions are clamped here, so arithmetic on them can't overflow. */
#define FIELD_MAX    (1 << 24)
/* Enough digits for any 64-bit value in base 8 (22) and then some. */
#define DIGITS_MAX   24
#define PTR_DIGITS   16
#define DECIMAL      10
#define OCTAL        8
#define HEX          16

enum len_mod { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_T, LEN_J };

struct fmt_spec {
	unsigned flags;         /* FL_* */
	int width;              /* minimum field width, 0 = none */
	int prec;               /* precision, NO_PREC = none */
	enum len_mod len;
};

struct out {
	printf_putc_fn fn;
	void *ctx;
	int count;              /* characters handed to fn so far */
};

static void put(struct out *o, char c)
{
	o->fn(o->ctx, c);
	o->count++;
}

static void put_repeat(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

static void put_chars(struct out *o, const char *s, int n)
{
	while (n-- > 0)
		put(o, *s++);
}

static int str_len_max(const char *s, int max)
{
	int n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

/* ---------------------------------------------------------- parsing ----- */

static const char *parse_flags(const char *f, struct fmt_spec *sp)
{
	for (;; f++) {
		switch (*f) {
		case '-': sp->flags |= FL_LEFT;  break;
		case '0': sp->flags |= FL_ZERO;  break;
		case '+': sp->flags |= FL_PLUS;  break;
		case ' ': sp->flags |= FL_SPACE; break;
		case '#': sp->flags |= FL_ALT;   break;
		default:  return f;
		}
	}
}

/* Decimal digits at @f, clamped to FIELD_MAX. */
static const char *parse_num(const char *f, int *val)
{
	int v = 0;

	for (; *f >= '0' && *f <= '9'; f++) {
		v = v * DECIMAL + (*f - '0');
		if (v > FIELD_MAX)
			v = FIELD_MAX;
	}
	*val = v;
	return f;
}

static int clamp_field(int v)
{
	return v > FIELD_MAX ? FIELD_MAX : v;
}

static const char *parse_width(const char *f, struct fmt_spec *sp, va_list *ap)
{
	int w;

	if (*f != '*')
		return parse_num(f, &sp->width);
	w = va_arg(*ap, int);
	if (w < 0) {
		/* A negative '*' width means '-' and its magnitude. */
		sp->flags |= FL_LEFT;
		w = w == INT_MIN ? FIELD_MAX : -w;
	}
	sp->width = clamp_field(w);
	return f + 1;
}

static const char *parse_prec(const char *f, struct fmt_spec *sp, va_list *ap)
{
	int p;

	if (*f != '.')
		return f;
	f++;
	if (*f != '*')
		return parse_num(f, &sp->prec);
	p = va_arg(*ap, int);
	/* A negative '*' precision counts as none. */
	sp->prec = p < 0 ? NO_PREC : clamp_field(p);
	return f + 1;
}

static const char *parse_len(const char *f, struct fmt_spec *sp)
{
	switch (*f) {
	case 'h':
		if (f[1] == 'h') {
			sp->len = LEN_HH;
			return f + 2;
		}
		sp->len = LEN_H;
		return f + 1;
	case 'l':
		if (f[1] == 'l') {
			sp->len = LEN_LL;
			return f + 2;
		}
		sp->len = LEN_L;
		return f + 1;
	case 'z': sp->len = LEN_Z; return f + 1;
	case 't': sp->len = LEN_T; return f + 1;
	case 'j': sp->len = LEN_J; return f + 1;
	default:  return f;
	}
}

/* ------------------------------------------------------- arguments ------ */

static int64_t arg_signed(enum len_mod len, va_list *ap)
{
	switch (len) {
	case LEN_HH: return (signed char)va_arg(*ap, int);
	case LEN_H:  return (short)va_arg(*ap, int);
	case LEN_L:  return va_arg(*ap, long);
	case LEN_LL: return va_arg(*ap, long long);
	case LEN_Z:  return va_arg(*ap, long);  /* signed size_t */
	case LEN_T:  return va_arg(*ap, ptrdiff_t);
	case LEN_J:  return va_arg(*ap, intmax_t);
	default:     return va_arg(*ap, int);
	}
}

static uint64_t arg_unsigned(enum len_mod len, va_list *ap)
{
	switch (len) {
	case LEN_HH: return (unsigned char)va_arg(*ap, unsigned int);
	case LEN_H:  return (unsigned short)va_arg(*ap, unsigned int);
	case LEN_L:  return va_arg(*ap, unsigned long);
	case LEN_LL: return va_arg(*ap, unsigned long long);
	case LEN_Z:  return va_arg(*ap, size_t);
	case LEN_T:  return (uint64_t)va_arg(*ap, ptrdiff_t);
	case LEN_J:  return va_arg(*ap, uintmax_t);
	default:     return va_arg(*ap, unsigned int);
	}
}

/* ---------------------------------------------------------- emitters ---- */

/* Digits of @v in @base, least significant first; returns how many. */
static int to_digits(char *buf, uint64_t v, unsigned base, bool upper)
{
	const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	int n = 0;

	do {
		buf[n++] = set[v % base];
		v /= base;
	} while (v);
	return n;
}

/*
 * Emit an integer: [pad] sign prefix [zeros] digits [pad].  @sign is 0 or
 * the sign character; @prefix is "" or "0x"/"0X".
 */
static void emit_number(struct out *o, const struct fmt_spec *sp, uint64_t mag,
			char sign, unsigned base, bool upper, const char *prefix)
{
	char digits[DIGITS_MAX];
	int prec = sp->prec;
	int plen = str_len_max(prefix, DIGITS_MAX);
	int n = 0, head, zeros, pad;

	/* C: a zero value with precision 0 has no digits at all. */
	if (mag || prec != 0)
		n = to_digits(digits, mag, base, upper);
	/* '#' with octal: the first digit must be a 0. */
	if (base == OCTAL && (sp->flags & FL_ALT) && (n == 0 || digits[n - 1] != '0'))
		prec = MAX(prec, n + 1);
	head = (sign ? 1 : 0) + plen;
	zeros = prec > n ? prec - n : 0;
	if ((sp->flags & (FL_ZERO | FL_LEFT)) == FL_ZERO && sp->prec == NO_PREC)
		zeros = MAX(zeros, sp->width - head - n);
	pad = sp->width - head - zeros - n;

	if (!(sp->flags & FL_LEFT))
		put_repeat(o, ' ', pad);
	if (sign)
		put(o, sign);
	put_chars(o, prefix, plen);
	put_repeat(o, '0', zeros);
	while (n > 0)
		put(o, digits[--n]);
	if (sp->flags & FL_LEFT)
		put_repeat(o, ' ', pad);
}

static void emit_signed(struct out *o, const struct fmt_spec *sp, va_list *ap)
{
	int64_t v = arg_signed(sp->len, ap);
	/* Negate as unsigned: -INT64_MIN does not fit in int64_t. */
	uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
	char sign = 0;

	if (v < 0)
		sign = '-';
	else if (sp->flags & FL_PLUS)
		sign = '+';
	else if (sp->flags & FL_SPACE)
		sign = ' ';
	emit_number(o, sp, mag, sign, DECIMAL, false, "");
}

static void emit_unsigned(struct out *o, const struct fmt_spec *sp, char conv,
			  va_list *ap)
{
	uint64_t v = arg_unsigned(sp->len, ap);
	bool alt_hex = (sp->flags & FL_ALT) && v;

	switch (conv) {
	case 'o':
		emit_number(o, sp, v, 0, OCTAL, false, "");
		break;
	case 'x':
		emit_number(o, sp, v, 0, HEX, false, alt_hex ? "0x" : "");
		break;
	case 'X':
		emit_number(o, sp, v, 0, HEX, true, alt_hex ? "0X" : "");
		break;
	default:
		emit_number(o, sp, v, 0, DECIMAL, false, "");
		break;
	}
}

/* Emit @n characters of @s padded to the field width. */
static void emit_padded(struct out *o, const struct fmt_spec *sp,
			const char *s, int n)
{
	int pad = sp->width - n;

	if (!(sp->flags & FL_LEFT))
		put_repeat(o, ' ', pad);
	put_chars(o, s, n);
	if (sp->flags & FL_LEFT)
		put_repeat(o, ' ', pad);
}

static void emit_string(struct out *o, const struct fmt_spec *sp, va_list *ap)
{
	const char *s = va_arg(*ap, const char *);
	int max = sp->prec == NO_PREC ? INT_MAX : sp->prec;

	if (!s)
		s = "(null)";
	emit_padded(o, sp, s, str_len_max(s, max));
}

static void emit_char(struct out *o, const struct fmt_spec *sp, va_list *ap)
{
	char c = (char)va_arg(*ap, int);

	emit_padded(o, sp, &c, 1);
}

static void emit_pointer(struct out *o, const struct fmt_spec *sp, va_list *ap)
{
	uintptr_t p = (uintptr_t)va_arg(*ap, void *);
	struct fmt_spec ps = {
		.flags = sp->flags & FL_LEFT,
		.width = sp->width,
		.prec = PTR_DIGITS,
	};

	emit_number(o, &ps, p, 0, HEX, false, "0x");
}

/*
 * Format the conversion that starts at @start (a '%').  Returns the position
 * after it.
 */
static const char *format_one(struct out *o, const char *start, va_list *ap)
{
	struct fmt_spec sp = { .prec = NO_PREC };
	const char *f = start + 1;

	f = parse_flags(f, &sp);
	f = parse_width(f, &sp, ap);
	f = parse_prec(f, &sp, ap);
	f = parse_len(f, &sp);

	switch (*f) {
	case 'd': case 'i':
		emit_signed(o, &sp, ap);
		break;
	case 'u': case 'x': case 'X': case 'o':
		emit_unsigned(o, &sp, *f, ap);
		break;
	case 'c':
		emit_char(o, &sp, ap);
		break;
	case 's':
		emit_string(o, &sp, ap);
		break;
	case 'p':
		emit_pointer(o, &sp, ap);
		break;
	case '%':
		put(o, '%');
		break;
	case 'n':
		/* Unsupported on purpose; skip its argument. */
		(void)va_arg(*ap, void *);
		break;
	case '\0':
		/* A lone '%' (and partial spec) at the end: copy it. */
		put_chars(o, start, (int)(f - start));
		return f;
	default:
		put_chars(o, start, (int)(f - start) + 1);
		break;
	}
	return f + 1;
}

int vcbprintf(printf_putc_fn out, void *ctx, const char *fmt, va_list ap)
{
	struct out o = { .fn = out, .ctx = ctx };
	va_list args;

	/* A copy we can pass by pointer (va_list is an array type on x86-64). */
	va_copy(args, ap);
	while (*fmt) {
		if (*fmt == '%')
			fmt = format_one(&o, fmt, &args);
		else
			put(&o, *fmt++);
	}
	va_end(args);
	return o.count;
}

/* ----------------------------------------------------------- buffers ---- */

struct buf_sink {
	char *buf;
	size_t size;            /* capacity including the NUL */
	size_t pos;             /* characters produced so far */
};

static void buf_putc(void *ctx, char c)
{
	struct buf_sink *b = ctx;

	if (b->pos + 1 < b->size)
		b->buf[b->pos] = c;
	b->pos++;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct buf_sink b = { .buf = buf, .size = size };
	int n = vcbprintf(buf_putc, &b, fmt, ap);

	if (size)
		buf[b.pos < size ? b.pos : size - 1] = '\0';
	return n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
