/* SPDX-License-Identifier: MIT */
/* CPUs as the kernel counts them for BPF (see cpus.h), the caller's CPU, and the one CPU-list parser. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/compiler.h"
#include "../uaccess/uaccess.h" /* emu_caller_cpu */
#include "../util/diag.h"
#include "cpus.h"

/* Walk a list "a-b,c,...": calls fn for each range; false if the text is malformed. */
static bool cpulist_walk(const char *p, bool (*fn)(void *arg, unsigned long lo, unsigned long hi), void *arg)
{
	while (*p && *p != '\n') {
		char *end;
		unsigned long lo = strtoul(p, &end, 10), hi = lo;

		if (end == p)
			return false;
		p = end;
		if (*p == '-') {
			hi = strtoul(p + 1, &end, 10);
			if (end == p + 1)
				return false;
			p = end;
		}
		if (hi < lo)
			return false;
		if (!fn(arg, lo, hi))
			return true;
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			return false;
	}
	return true;
}

static bool count_range(void *arg, unsigned long lo, unsigned long hi)
{
	*(unsigned long *)arg += hi - lo + 1;
	return true;
}

int emu_cpulist_count(const char *list)
{
	unsigned long n = 0;

	if (!cpulist_walk(list, count_range, &n) || n > 1u << 20)
		return -1;
	return (int)n;
}

struct has_arg {
	unsigned n;
	bool found;
};

static bool has_range(void *arg, unsigned long lo, unsigned long hi)
{
	struct has_arg *h = arg;

	h->found = h->n >= lo && h->n <= hi;
	return !h->found;
}

bool emu_cpulist_has(const char *list, unsigned n)
{
	struct has_arg h = { n, false };

	return cpulist_walk(list, has_range, &h) && h.found;
}

int emu_cpulist_read(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int err = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		err = -EIO;
	fclose(f);
	return err;
}

int emu_sysfs_possible_cpus(void)
{
	char list[256];

	if (emu_cpulist_read("/sys/devices/system/cpu/possible", list, sizeof(list)))
		return -1;
	return emu_cpulist_count(list);
}

static uint32_t nr_cpus_cached;

static void nr_cpus_init(void)
{
	const char *env = secure_getenv("BPFEMU_NR_CPUS");
	uint32_t n = 0;

	if (env && *env) {
		char *end;
		unsigned long v = strtoul(env, &end, 10);

		if (!*end && v >= 1 && v <= EMU_MAX_CPUS)
			n = (uint32_t)v;
		else
			emu_diag("BPFEMU_NR_CPUS=%s ignored: want a number from 1 to 4096", env);
	}
	if (!n) {
		int c = emu_sysfs_possible_cpus();

		n = c > 0 ? (uint32_t)c : 0;
	}
	if (!n) {
		long c = sysconf(_SC_NPROCESSORS_CONF);

		n = c > 0 ? (uint32_t)c : 1;
	}
	nr_cpus_cached = n;
}

uint32_t emu_nr_cpus(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, nr_cpus_init);
	return nr_cpus_cached;
}

uint32_t emu_this_cpu(void)
{
	/* a supervised program's call is the program's thread's, not the supervisor's */
	int c = emu_caller_is_remote() ? emu_caller_cpu() : sched_getcpu(); /* vDSO or rseq: a few ns */

	return c < 0 ? 0 : (uint32_t)c;
}
