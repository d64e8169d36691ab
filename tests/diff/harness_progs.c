/* SPDX-License-Identifier: MIT */
/* The differential harness's program helpers (harness.h): a program loaded on one side with its
 * verifier log kept, a TEST_RUN on a packet, and the error line of a log — what the program
 * suites (diff_fdprogs, diff_arrlookup, diff_urdrain, diff_check) compare. */
#define _GNU_SOURCE
#include "harness.h"

#include <stdio.h>
#include <string.h>

long hx_prog_load(int side, uint32_t type, const struct emu_insn *insns, uint32_t cnt, char *log, uint32_t log_size)
{
	unsigned char a[EMU_ATTR_SIZE] = { 0 };

	hx_put32(a, PL_TYPE, type);
	hx_put32(a, PL_INSN_CNT, cnt);
	hx_putp(a, PL_INSNS, insns);
	hx_putp(a, PL_LICENSE, "GPL");
	if (log) {
		hx_put32(a, PL_LOG_LEVEL, 1);
		hx_put32(a, PL_LOG_SIZE, log_size);
		hx_putp(a, PL_LOG_BUF, log);
		log[0] = 0;
	}
	return hx_raw(side, EMU_BPF_PROG_LOAD, a, sizeof(a));
}

long hx_prog_run_pkt(int side, int fd, const void *pkt, uint32_t len)
{
	unsigned char a[EMU_ATTR_SIZE] = { 0 };
	long r;

	hx_put32(a, TR_PROG_FD, (uint32_t)fd);
	hx_put32(a, TR_DATA_SIZE_IN, len);
	hx_putp(a, TR_DATA_IN, pkt);
	r = hx_raw(side, EMU_BPF_PROG_TEST_RUN, a, sizeof(a));
	return r ? r : (long)hx_get32(a, TR_RETVAL);
}

void hx_log_error_line(const char *log, char *out, size_t n)
{
	const char *end = strstr(log, "processed "), *s;

	if (!end)
		end = log + strlen(log);
	while (end > log && end[-1] == '\n')
		end--;
	s = end;
	while (s > log && s[-1] != '\n')
		s--;
	snprintf(out, n, "%.*s", (int)(end - s), s);
}
