/* SPDX-License-Identifier: MIT */
/* diff_prog's cases for the programs without packets: SYSCALL (sys_maps.c) and RAW_TRACEPOINT
 * (rawtp.c), trace_printk's lines included. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diff_prog.h"
#include "prog/helpers/trace_pipe.h"

struct args {
	uint32_t op, key;
	uint64_t val, flags;
	uint64_t uptr;
	uint32_t n, pad;
	uint64_t out[8];
	char str[32];
};

static char user_mem[64] = "user memory, 26 characters";

static void sys_case(struct tw_obj *o, const char *prog, struct args *x, int i)
{
	struct tw_case c = { .ctx_in = x, .ctx_size_in = sizeof(*x) };

	dp_run(o, prog, &c, "case %d: op %u key %u val %#llx flags %#llx n %u", i, x->op, x->key,
	       (unsigned long long)x->val, (unsigned long long)x->flags, x->n);
}

static uint64_t rnd64(void) { return (uint64_t)dp_rand(1u << 31) << 33 ^ dp_rand(1u << 31); }

void dp_sys_maps(struct tw_obj *o)
{
	static const uint64_t flags[] = { 0, 0, 0, 1, 2, 3, 4, 5, 8 };
	static const char *const words[] = { "hello world", "hello", "help", "", "hello worlds", "HELLO" };

	for (unsigned i = 0; i < dp_rounds * 20; i++) {
		struct args x = { 0 };

		x.op = dp_rand(6);
		x.n = dp_rand(8);
		x.key = dp_rand(5) ? dp_rand(10) : dp_rand(1u << 31);
		x.val = dp_rand(4) ? dp_rand(1000) : rnd64();
		x.flags = flags[dp_rand(sizeof(flags) / sizeof(flags[0]))];
		sys_case(o, "elem", &x, (int)i);
	}
	for (unsigned i = 0; i < dp_rounds * 2; i++) {
		struct args x = { 0 };

		x.n = dp_rand(8);
		x.key = dp_rand(10) ? dp_rand(20) : 8 * 1024 * 1024 + dp_rand(2);
		x.val = dp_rand(3) ? 0 : dp_rand(10);
		x.flags = dp_rand(6) ? 0 : dp_rand(4);
		sys_case(o, "iterate", &x, (int)i);
	}
	for (unsigned i = 0; i < dp_rounds * 2; i++) {
		struct args x = { 0 };

		x.key = dp_rand(2);
		x.val = dp_rand(2) ? dp_rand(100) : rnd64();
		sys_case(o, "atomics", &x, (int)i);
	}
	for (unsigned i = 0; i < dp_rounds * 4; i++) {
		struct args x = { 0 };

		x.op = dp_rand(8);
		x.n = dp_rand(40);
		x.key = dp_rand(100000);
		x.val = dp_rand(3) ? dp_rand(1u << 31) : rnd64();
		x.flags = rnd64();
		x.uptr = dp_rand(4) ? (uint64_t)(uintptr_t)(user_mem + dp_rand(30)) : dp_rand(2) ? 0 : 4096;
		snprintf(x.str, sizeof(x.str), "%s", words[dp_rand(6)]);
		sys_case(o, "strings", &x, (int)i);
	}
}

/* ---- raw tracepoints ---- */

static char emu_lines[8192];
static size_t emu_len;

static void capture(void *ctx, const char *line, size_t len)
{
	(void)ctx;
	if (emu_len + len < sizeof(emu_lines)) {
		memcpy(emu_lines + emu_len, line, len);
		emu_len += len;
	}
	emu_lines[emu_len] = 0;
}

/* The lines' text without the timestamp and the comm ("    comm-pid [cpu] flags TIME: msg"): the
 * kernel prints a pid's comm from its saved-cmdlines cache, "<...>" when the pid is not in it
 * at read time, which no caller controls. */
static void strip_times(char *s)
{
	char *out = s;

	for (char *l = s; *l;) {
		char *nl = strchr(l, '\n'), *colon;
		size_t n = nl ? (size_t)(nl - l + 1) : strlen(l);

		colon = strstr(l, ": bpf_trace_printk:");
		if (colon && colon < l + n) {
			char *t = colon;

			while (t > l && t[-1] != ' ')
				t--; /* the timestamp starts after the last space before ": " */
			if (t - l > 16) { /* the comm: the first 16 columns */
				memmove(out, l + 16, (size_t)(t - l - 16));
				out += t - l - 16;
			}
			memmove(out, colon, n - (size_t)(colon - l));
			out += n - (size_t)(colon - l);
		} else if (l[0] == '\n') {
			*out++ = '\n';
		}
		l += n;
	}
	*out = 0;
}

static void printk_case(struct tw_obj *o, uint64_t *args)
{
	static struct emu_trace_sink sink = { .fd = -1, .line = capture };
	struct tw_case c = { .ctx_in = args, .ctx_size_in = 24 };
	static char klines[8192];
	int fd = open("/sys/kernel/tracing/trace", O_RDWR | O_TRUNC);
	ssize_t n = 0;
	char *k;

	emu_len = 0;
	emu_lines[0] = 0;
	o->trace = &sink;
	dp_run(o, "rtp_printk", &c, "args %llu %llu %llu", (unsigned long long)args[0], (unsigned long long)args[1],
	       (unsigned long long)args[2]);
	o->trace = NULL;
	if (fd < 0)
		return; /* no tracefs: the return values were compared */
	n = read(fd, klines, sizeof(klines) - 1);
	close(fd);
	klines[n > 0 ? n : 0] = 0;
	/* the kernel's file starts with its header (# lines) */
	k = klines;
	while (*k == '#') {
		char *nl = strchr(k, '\n');

		k = nl ? nl + 1 : k + strlen(k);
	}
	strip_times(k);
	strip_times(emu_lines);
	hx_nops++;
	if (strcmp(k, emu_lines) && ++hx_ndiv <= hx_max_reports)
		printf("DIVERGENCE #%lu [%s: trace_printk lines]\n  kernel:\n%s  emulator:\n%s", hx_ndiv, o->label, k,
		       emu_lines);
}

void dp_rawtp(struct tw_obj *o)
{
	int ncpu = hx_ncpus > 0 ? hx_ncpus : 1;

	for (unsigned i = 0; i < dp_rounds * 3; i++) {
		uint64_t args[13];
		struct tw_case c = { .ctx_in = args };

		for (int k = 0; k < 13; k++)
			args[k] = dp_rand(3) ? dp_rand(100) : rnd64();
		c.ctx_size_in = dp_rand(6) ? 24 : 8 * dp_rand(14);
		if (dp_rand(2)) {
			c.flags = 1; /* BPF_F_TEST_RUN_ON_CPU */
			c.cpu = dp_rand(8) ? dp_rand((uint32_t)ncpu) : (uint32_t)ncpu + dp_rand(3);
		} else if (dp_rand(8) == 0) {
			c.cpu = 1;
		}
		if (dp_rand(20) == 0)
			c.repeat = 2;
		if (dp_rand(20) == 0)
			c.flags |= 2;
		dp_run(o, "rtp", &c, "case %u: ctx %u flags %u cpu %u", i, c.ctx_size_in, c.flags, c.cpu);
	}
	for (unsigned i = 0; i < 4; i++) {
		uint64_t args[3] = { rnd64(), dp_rand(1000), rnd64() };

		printk_case(o, args);
	}
}
