/* SPDX-License-Identifier: MIT */
/*
 * Test hooks (cmake -DBPFEMU_TEST_HOOKS=ON, never in a release build): crash points inside
 * critical sections, where the kill tests make a process die (see EMU_CRASH_POINT in sync.h).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "sync.h"

#ifdef BPFEMU_TEST_HOOKS
static struct {
	int read;        /* BPFEMU_TEST_CRASH read in this process */
	unsigned one_in; /* 0: off */
	char prefix[64];
} crash_cfg;
static pthread_mutex_t crash_cfg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t crash_atfork_once = PTHREAD_ONCE_INIT;
static __thread uint64_t crash_rng;

/* A forked child sets its own BPFEMU_TEST_CRASH before its first call: read it afresh. */
static void crash_atfork_child(void)
{
	__atomic_store_n(&crash_cfg.read, 0, __ATOMIC_RELAXED);
	crash_rng = 0;
}
static void crash_atfork_init(void) { pthread_atfork(NULL, NULL, crash_atfork_child); }

void emu_test_crash_point(const char *where)
{
	uint64_t x;

	if (!__atomic_load_n(&crash_cfg.read, __ATOMIC_ACQUIRE)) {
		const char *env = getenv("BPFEMU_TEST_CRASH"), *colon;

		pthread_once(&crash_atfork_once, crash_atfork_init);
		pthread_mutex_lock(&crash_cfg_lock);
		crash_cfg.one_in = env ? (unsigned)strtoul(env, NULL, 10) : 0;
		colon = env ? strchr(env, ':') : NULL;
		snprintf(crash_cfg.prefix, sizeof(crash_cfg.prefix), "%s", colon ? colon + 1 : "");
		__atomic_store_n(&crash_cfg.read, 1, __ATOMIC_RELEASE);
		pthread_mutex_unlock(&crash_cfg_lock);
	}
	if (!crash_cfg.one_in || strncmp(where, crash_cfg.prefix, strlen(crash_cfg.prefix)))
		return;
	if (!crash_rng) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		crash_rng = ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec ^ (uintptr_t)&crash_rng;
		crash_rng |= 1;
	}
	x = crash_rng; /* xorshift64 */
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	crash_rng = x;
	if (x % crash_cfg.one_in == 0)
		raise(SIGKILL);
}
#endif
