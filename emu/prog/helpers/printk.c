/* SPDX-License-Identifier: MIT */
/*
 * bpf_trace_printk and bpf_snprintf: the kernel's bpf_bprintf_prepare (kernel/bpf/helpers.c)
 * then bstr_printf (lib/vsprintf.c), as one pass here.
 *
 * The format rules (prepare): the format must end (NUL) within its size; every byte before is
 * printable ASCII or space; a conversion is %% or % [0+- ]* [1-9][0-9]* then one of
 *   d i u x X with l or ll before it,  c,  s,  p followed by end/space/punctuation/K/x/s/S (a
 *   pointer), pks / pus (a kernel / user string), pB, pI4 pi4 pI6 pi6;
 * no precision, no '#', no other length. More conversions than arguments (3 for trace_printk,
 * data_len / 8 for snprintf) is -EINVAL. The arguments are packed into a 512-byte buffer as the
 * kernel packs them (ints 4-aligned, strings and formatted IPs inline), and running out of it is
 * -ENOSPC with the kernel's accounting. Strings are read up to their NUL where the kernel could:
 * "%s"/"%pks" from the program's memory (its stack, map values, packet: the kernel's memory),
 * "%pus" from the process's own (user) memory; an unreadable string prints as "".
 *
 * Output (bstr_printf): field widths, '-', '0', '+', ' ' as the kernel's number()/string();
 * "%px" as 16 hex digits, zero-padded (or the width given), other pointers as 0x and hex (the
 * kernel hashes "%p" and "%pK" with a boot-time key no process can know: the one known
 * divergence), a NULL "%p" as "(null)".
 * trace_printk writes the line to the run's trace sink (trace_pipe.c) and returns the formatted
 * length; snprintf writes at most size bytes, NUL-terminated, and returns the length plus one.
 */
#include <inttypes.h>
#include <stdio.h>

#include "../../uaccess/uaccess.h"
#include "helpers.h"
#include "trace_pipe.h"

#define MAX_BPRINTF_BIN_ARGS 512
#define MAX_BPRINTF_BUF 1024
#define MAX_TRACE_PRINTK_VARARGS 3
#define MAX_BPRINTF_VARARGS 12
#define FIELD_WIDTH_MAX ((1 << 23) - 1)

enum { F_LEFT = 1, F_PLUS = 2, F_SPACE = 4, F_ZERO = 8 };

struct out {
	char *buf;
	size_t cap, len; /* len: what the full output has, past cap too */
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->cap)
		o->buf[o->len] = c;
	o->len++;
}

static void put_pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

static void put_str(struct out *o, const char *s, size_t n, int width, int flags)
{
	if (!(flags & F_LEFT))
		put_pad(o, ' ', width - (int)n);
	for (size_t i = 0; i < n; i++)
		put(o, s[i]);
	if (flags & F_LEFT)
		put_pad(o, ' ', width - (int)n);
}

/* the kernel's number() for base 10 and 16, no precision */
static void put_num(struct out *o, uint64_t v, bool is_signed, bool neg, int base, bool upper, int width, int flags)
{
	char digits[24], sign = 0;
	int n = 0;

	if (is_signed) {
		if (neg)
			sign = '-';
		else if (flags & F_PLUS)
			sign = '+';
		else if (flags & F_SPACE)
			sign = ' ';
	}
	do {
		unsigned d = (unsigned)(v % (uint64_t)base);

		digits[n++] = (char)(d < 10 ? '0' + d : (upper ? 'A' : 'a') + d - 10);
		v /= (uint64_t)base;
	} while (v);
	width -= n + (sign ? 1 : 0);
	if (!(flags & (F_LEFT | F_ZERO)))
		put_pad(o, ' ', width);
	if (sign)
		put(o, sign);
	if (!(flags & F_LEFT) && (flags & F_ZERO))
		put_pad(o, '0', width);
	while (n)
		put(o, digits[--n]);
	if (flags & F_LEFT)
		put_pad(o, ' ', width);
}

static bool is_print(int c) { return c >= 0x20 && c < 0x7f; }
static bool is_space(int c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
static bool is_punct(int c) { return is_print(c) && c != ' ' && !((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')); }

/* A string argument into sbuf (at most room bytes, NUL included), as strncpy_from_*_nofault
 * would: the bytes the packed buffer takes (room when cut), or -1 when unreadable. */
static int copy_string(struct emu_run *run, uint64_t p, char type, char *sbuf, uint32_t room)
{
	uint32_t i;

	for (i = 0; i < room; i++) {
		const void *a = (const void *)(uintptr_t)(p + i);
		char c;

		if (type == 'u') {
			/* user memory: never the program's regions (the kernel's own memory there) */
			if (emu_run_check(run, a, 1, EMU_MEM_READ) || emu_copy_from_user(&c, a, 1))
				return -1;
		} else {
			if (!emu_run_check(run, a, 1, EMU_MEM_READ))
				return -1;
			c = *(const char *)a;
		}
		sbuf[i] = c;
		if (!c)
			return (int)i + 1;
	}
	sbuf[room - 1] = 0;
	return (int)room;
}

static void format_ip(struct emu_run *run, uint64_t p, char kind, char ver, char *s, size_t n)
{
	uint8_t ip[16] = { 0 };
	uint32_t len = ver == '4' ? 4 : 16;

	if (emu_run_check(run, (const void *)(uintptr_t)p, len, EMU_MEM_READ))
		memcpy(ip, (const void *)(uintptr_t)p, len);
	if (ver == '4')
		snprintf(s, n, kind == 'I' ? "%u.%u.%u.%u" : "%03u.%03u.%03u.%03u", ip[0], ip[1], ip[2], ip[3]);
	else if (kind == 'I')
		snprintf(s, n, "%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x", ip[0], ip[1],
			 ip[2], ip[3], ip[4], ip[5], ip[6], ip[7], ip[8], ip[9], ip[10], ip[11], ip[12], ip[13], ip[14],
			 ip[15]);
	else
		snprintf(s, n, "%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x", ip[0], ip[1], ip[2],
			 ip[3], ip[4], ip[5], ip[6], ip[7], ip[8], ip[9], ip[10], ip[11], ip[12], ip[13], ip[14], ip[15]);
}

/*
 * Validates fmt (fmt_size bytes hold its NUL) against nargs arguments and formats it into o.
 * 0 with o->len the full length, or the kernel's negative errno (nothing formatted then).
 * Two passes over the format: the first is the kernel's prepare (errors only), the second its
 * bstr_printf, so an error is found before anything is written.
 */
static int bprintf(struct emu_run *run, const char *fmt, uint32_t fmt_size, const uint64_t *args, uint32_t nargs,
		   struct out *o)
{
	char strs[MAX_BPRINTF_BIN_ARGS];
	uint32_t fmt_len, used = 0, nspec;
	bool track = nargs != 0; /* the kernel packs (and counts space) only when there are arguments */
	struct {
		char kind; /* 'i' integer, 'c', 's' string (in strs), 'p' pointer */
		int flags, width;
		uint32_t size;
		bool is_signed, upper;
		int base;
		uint32_t soff;
	} spec[MAX_BPRINTF_VARARGS];

	{
		const char *nul = memchr(fmt, 0, fmt_size);

		if (!nul)
			return -EINVAL;
		fmt_len = (uint32_t)(nul - fmt);
	}
	nspec = 0;
	for (uint32_t i = 0; i < fmt_len; i++) {
		int flags = 0, width = 0;
		unsigned char c = (unsigned char)fmt[i];
		char ptype = 's';

		if ((!is_print(c) && !is_space(c)) || c > 0x7f)
			return -EINVAL;
		if (c != '%')
			continue;
		if (fmt[i + 1] == '%') {
			i++;
			continue;
		}
		if (nspec >= nargs)
			return -EINVAL;
		i++;
		for (;; i++) {
			if (fmt[i] == '0')
				flags |= F_ZERO;
			else if (fmt[i] == '+')
				flags |= F_PLUS;
			else if (fmt[i] == '-')
				flags |= F_LEFT;
			else if (fmt[i] == ' ')
				flags |= F_SPACE;
			else
				break;
		}
		if (fmt[i] >= '1' && fmt[i] <= '9') {
			while (fmt[i] >= '0' && fmt[i] <= '9') {
				if (width <= FIELD_WIDTH_MAX)
					width = width * 10 + (fmt[i] - '0');
				i++;
			}
			if (width > FIELD_WIDTH_MAX)
				width = FIELD_WIDTH_MAX;
		}
		spec[nspec].flags = flags;
		spec[nspec].width = width;
		if (fmt[i] == 'p') {
			char n1 = fmt[i + 1];

			if ((n1 == 'k' || n1 == 'u') && fmt[i + 2] == 's') {
				char n3 = fmt[i + 3];

				ptype = n1;
				i += 2;
				if (n3 != 0 && !is_space(n3) && !is_punct(n3))
					return -EINVAL;
				goto string_arg;
			}
			if (n1 == 0 || is_space(n1) || is_punct(n1) || n1 == 'K' || n1 == 'x' || n1 == 's' || n1 == 'S') {
				spec[nspec].kind = 'p';
				spec[nspec].size = 8;
				spec[nspec].soff = (uint32_t)(unsigned char)n1; /* the pointer's variant */
				i++; /* the kernel steps over the character after 'p' whatever it is */
				goto packed_int;
			}
			if (n1 == 'B') {
				char s[24];
				int n = snprintf(s, sizeof(s), "0x%" PRIx64, args[nspec]);

				spec[nspec].kind = 's';
				spec[nspec].soff = used;
				if (used < sizeof(strs))
					snprintf(strs + used, sizeof(strs) - used, "%s", s);
				used += (uint32_t)n + 1;
				i++;
				nspec++;
				continue;
			}
			if ((n1 != 'i' && n1 != 'I') || (fmt[i + 2] != '4' && fmt[i + 2] != '6'))
				return -EINVAL;
			i += 2;
			if (track) {
				char s[48];
				uint32_t need = fmt[i] == '4' ? 4 : 16;
				int n;

				if (used > sizeof(strs) || sizeof(strs) - used < need)
					return -ENOSPC;
				format_ip(run, args[nspec], n1, fmt[i], s, sizeof(s));
				n = (int)strlen(s);
				spec[nspec].kind = 's';
				spec[nspec].soff = used;
				snprintf(strs + used, sizeof(strs) - used, "%s", s);
				used += (uint32_t)n + 1;
			}
			nspec++;
			continue;
		} else if (fmt[i] == 's') {
			char n1;

			ptype = 's';
string_arg:
			n1 = fmt[i + 1];
			if (n1 != 0 && !is_space(n1) && !is_punct(n1))
				return -EINVAL;
			if (track) {
				int n;

				if (used >= sizeof(strs))
					return -ENOSPC;
				n = copy_string(run, args[nspec], ptype, strs + used, (uint32_t)(sizeof(strs) - used));
				if (n < 0) {
					strs[used] = 0;
					n = 1;
				}
				spec[nspec].kind = 's';
				spec[nspec].soff = used;
				used += (uint32_t)n;
			}
			nspec++;
			continue;
		} else if (fmt[i] == 'c') {
			if (track && used >= sizeof(strs))
				return -ENOSPC;
			spec[nspec].kind = 'c';
			used++;
			nspec++;
			continue;
		}
		spec[nspec].size = 4;
		if (fmt[i] == 'l') {
			spec[nspec].size = 8;
			i++;
		}
		if (fmt[i] == 'l')
			i++;
		if (fmt[i] != 'i' && fmt[i] != 'd' && fmt[i] != 'u' && fmt[i] != 'x' && fmt[i] != 'X')
			return -EINVAL;
		spec[nspec].kind = 'i';
		spec[nspec].is_signed = fmt[i] == 'i' || fmt[i] == 'd';
		spec[nspec].base = fmt[i] == 'x' || fmt[i] == 'X' ? 16 : 10;
		spec[nspec].upper = fmt[i] == 'X';
packed_int:
		if (track) {
			used = (used + 3) & ~3u;
			if (used > sizeof(strs) || sizeof(strs) - used < spec[nspec].size)
				return -ENOSPC;
			used += spec[nspec].size;
		}
		nspec++;
	}

	/* bstr_printf */
	nspec = 0;
	for (uint32_t i = 0; i < fmt_len; i++) {
		uint64_t a;

		if (fmt[i] != '%') {
			put(o, fmt[i]);
			continue;
		}
		if (fmt[i + 1] == '%') {
			put(o, '%');
			i++;
			continue;
		}
		/* skip what the first pass read */
		i++;
		while (fmt[i] == '0' || fmt[i] == '+' || fmt[i] == '-' || fmt[i] == ' ')
			i++;
		while (fmt[i] >= '0' && fmt[i] <= '9')
			i++;
		a = args[nspec];
		switch (spec[nspec].kind) {
		case 'c': {
			char c = (char)a;

			put_str(o, &c, 1, spec[nspec].width, spec[nspec].flags);
			break;
		}
		case 's': {
			const char *s = spec[nspec].soff < sizeof(strs) ? strs + spec[nspec].soff : "";

			put_str(o, s, strnlen(s, sizeof(strs) - (spec[nspec].soff < sizeof(strs) ? spec[nspec].soff : 0)),
				spec[nspec].width, spec[nspec].flags);
			/* step over the conversion's letters */
			if (fmt[i] == 'p')
				i += fmt[i + 1] == 'B' ? 1 : 2;
			break;
		}
		case 'p': {
			char s[24];
			int n;

			if (spec[nspec].soff == 'x') { /* pointer_string: hex, 16 digits zero-padded unless a width was given */
				if (!spec[nspec].width) {
					put_num(o, a, false, false, 16, false, 16, F_ZERO);
				} else {
					put_num(o, a, false, false, 16, false, spec[nspec].width, spec[nspec].flags);
				}
				if (fmt[i + 1] == 'x')
					i++;
				break;
			}
			if (!a && spec[nspec].soff != 'K')
				n = snprintf(s, sizeof(s), "(null)");
			else
				n = snprintf(s, sizeof(s), "0x%" PRIx64, a);
			put_str(o, s, (size_t)n, spec[nspec].width, spec[nspec].flags);
			if (fmt[i + 1] == 'K' || fmt[i + 1] == 'x' || fmt[i + 1] == 's' || fmt[i + 1] == 'S')
				i++;
			break;
		}
		default: {
			bool neg = false;
			uint64_t v;

			if (fmt[i] == 'l')
				i++;
			if (fmt[i] == 'l')
				i++;
			if (spec[nspec].size == 4) {
				uint32_t w = (uint32_t)a;

				neg = spec[nspec].is_signed && (int32_t)w < 0;
				v = neg ? (uint64_t)(-(int64_t)(int32_t)w) : w;
			} else {
				neg = spec[nspec].is_signed && (int64_t)a < 0;
				v = neg ? (uint64_t)0 - a : a;
			}
			put_num(o, v, spec[nspec].is_signed, neg, spec[nspec].base, spec[nspec].upper, spec[nspec].width,
				spec[nspec].flags);
			break;
		}
		}
		nspec++;
	}
	if (o->cap)
		o->buf[o->len < o->cap ? o->len : o->cap - 1] = 0;
	return 0;
}

HELPER(trace_printk)
{
	uint64_t args[MAX_TRACE_PRINTK_VARARGS] = { r3, r4, r5 };
	char buf[MAX_BPRINTF_BUF];
	struct out o = { buf, sizeof(buf), 0 };
	int err;

	if (!emu_helper_mem(run, r1, (uint32_t)r2, EMU_MEM_READ, "bpf_trace_printk", "fmt"))
		return 0;
	err = bprintf(run, (const char *)(uintptr_t)r1, (uint32_t)r2, args, MAX_TRACE_PRINTK_VARARGS, &o);
	if (err)
		return (uint64_t)(int64_t)err;
	emu_trace_emit(run, buf);
	return (uint64_t)(uint32_t)o.len; /* an int: the length bstr_printf gave */
}

HELPER(snprintf)
{
	uint64_t args[MAX_BPRINTF_VARARGS] = { 0 };
	uint32_t size = (uint32_t)r2, data_len = (uint32_t)r5;
	struct out o = { (char *)(uintptr_t)r1, size, 0 };
	uint32_t flen;
	int err;

	if (!emu_helper_mem(run, r1, size, EMU_MEM_WRITE, "bpf_snprintf", "str"))
		return 0;
	if (data_len % 8 || data_len > MAX_BPRINTF_VARARGS * 8 || (data_len && !r4))
		return (uint64_t)(int64_t)-EINVAL;
	if (!emu_helper_mem(run, r4, data_len, EMU_MEM_READ, "bpf_snprintf", "data"))
		return 0;
	flen = emu_helper_strlen(run, r3, 1u << 20);
	if (!flen)
		return emu_helper_fail(run, -EFAULT, "bpf_snprintf: the format is not a readable string");
	memcpy(args, (const void *)(uintptr_t)r4, data_len);
	err = bprintf(run, (const char *)(uintptr_t)r3, flen, args, data_len / 8, &o);
	if (err)
		return (uint64_t)(int64_t)err;
	return (uint64_t)(int64_t)((int32_t)o.len + 1);
}
