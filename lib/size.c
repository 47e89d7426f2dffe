/*
 * size.c - exact human-readable sizes (size.h).  A value in a binary unit
 * 2^k has an exact decimal expansion of at most k digits, so printing the
 * remainder digit by digit (times ten, divide by 2^k) never rounds.
 */
#include <lib/size.h>
#include <lib/printf.h>
#include <lib/string.h>

static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
#define NUNITS		(sizeof(units) / sizeof(units[0]))
#define UNIT_SHIFT	10		/* each unit is 1024 of the one before */
#define CUT		"..."

char *size_str(char *buf, size_t size, uint64_t bytes)
{
	char num[SIZE_STR_MAX];		/* at most 8 + 1 + 40 digits */
	unsigned u = 0, shift;
	uint64_t rem, mask;
	size_t n, room;

	while (u + 1 < NUNITS && bytes >> ((u + 1) * UNIT_SHIFT))
		u++;
	shift = u * UNIT_SHIFT;
	mask = shift ? (1ULL << shift) - 1 : 0;
	rem = bytes & mask;
	n = (size_t)snprintf(num, sizeof(num), "%lu", (unsigned long)(bytes >> shift));
	if (rem)
		num[n++] = '.';
	while (rem && n + 1 < sizeof(num)) {	/* rem < 2^40: rem * 10 fits */
		rem *= 10;
		num[n++] = (char)('0' + (rem >> shift));
		rem &= mask;
	}
	num[n] = '\0';
	/* Too long for @buf: cut the decimals and say so; never round. */
	room = size > 2 + strlen(units[u]) ? size - 2 - strlen(units[u]) : 0;
	if (n > room && room > sizeof(CUT) - 1) {
		n = room - (sizeof(CUT) - 1);
		memcpy(num + n, CUT, sizeof(CUT));
	}
	if (size)
		snprintf(buf, size, "%s %s", num, units[u]);
	return buf;
}
