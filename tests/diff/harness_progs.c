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
	uint32_t level = log ? 1 : 0;
	uint64_t ip = (uint64_t)(uintptr_t)insns, lic = (uint64_t)(uintptr_t)"GPL", lp = (uint64_t)(uintptr_t)log;

	memcpy(a + PL_TYPE, &type, 4);
	memcpy(a + PL_INSN_CNT, &cnt, 4);
	memcpy(a + PL_INSNS, &ip, 8);
	memcpy(a + PL_LICENSE, &lic, 8);
	if (log) {
		memcpy(a + PL_LOG_LEVEL, &level, 4);
		memcpy(a + PL_LOG_SIZE, &log_size, 4);
		memcpy(a + PL_LOG_BUF, &lp, 8);
		log[0] = 0;
	}
	return hx_raw(side, EMU_BPF_PROG_LOAD, a, sizeof(a));
}

long hx_prog_run_pkt(int side, int fd, const void *pkt, uint32_t len)
{
	unsigned char a[EMU_ATTR_SIZE] = { 0 };
	uint32_t f = (uint32_t)fd, ret;
	uint64_t p = (uint64_t)(uintptr_t)pkt;
	long r;

	memcpy(a + TR_PROG_FD, &f, 4);
	memcpy(a + TR_DATA_SIZE_IN, &len, 4);
	memcpy(a + TR_DATA_IN, &p, 8);
	r = hx_raw(side, EMU_BPF_PROG_TEST_RUN, a, sizeof(a));
	if (r)
		return r;
	memcpy(&ret, a + TR_RETVAL, 4);
	return ret;
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
