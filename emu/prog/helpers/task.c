/* SPDX-License-Identifier: MIT */
/*
 * What a program learns of where it runs (kernel/bpf/helpers.c): the CPU (run->cpu: the calling
 * thread's, or BPF_F_TEST_RUN_ON_CPU's), its NUMA node (sysfs), the calling thread's ids and
 * name (the kernel's `current` during BPF_PROG_TEST_RUN is the caller), and bpf_get_prandom_u32
 * (a per-run xorshift seeded from getrandom: the kernel's generator is not observable either).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../core/cpus.h"
#include "helpers.h"

uint32_t emu_current_cpu(void)
{
	return emu_this_cpu();
}

HELPER(get_smp_processor_id)
{
	UNUSED_ARGS5();
	return emu_run_cpu(run);
}

/* cpu -> node from /sys/devices/system/node/node<N>/cpulist, read once */
#define NODE_MAP_CPUS 4096
static int16_t node_of[NODE_MAP_CPUS];
static pthread_once_t node_once = PTHREAD_ONCE_INIT;

static void node_map_init(void)
{
	DIR *d = opendir("/sys/devices/system/node");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[300], list[4096];
		int node;

		if (sscanf(de->d_name, "node%d", &node) != 1 || node < 0 || node > INT16_MAX)
			continue;
		snprintf(path, sizeof(path), "/sys/devices/system/node/%s/cpulist", de->d_name);
		if (emu_cpulist_read(path, list, sizeof(list)))
			continue;
		for (unsigned c = 0; c < NODE_MAP_CPUS; c++)
			if (emu_cpulist_has(list, c))
				node_of[c] = (int16_t)node;
	}
	closedir(d);
}

HELPER(get_numa_node_id)
{
	uint32_t cpu = emu_run_cpu(run);

	UNUSED_ARGS5();
	pthread_once(&node_once, node_map_init);
	return cpu < NODE_MAP_CPUS ? (uint64_t)(uint32_t)node_of[cpu] : 0;
}

HELPER(get_current_pid_tgid)
{
	(void)run;
	UNUSED_ARGS5();
	return (uint64_t)(uint32_t)getpid() << 32 | (uint32_t)syscall(SYS_gettid);
}

HELPER(get_current_uid_gid)
{
	(void)run;
	UNUSED_ARGS5();
	return (uint64_t)(uint32_t)getgid() << 32 | (uint32_t)getuid();
}

/* strscpy_pad of the thread's comm into size bytes: at most size - 1 characters, the rest zero */
HELPER(get_current_comm)
{
	char comm[17] = { 0 };
	uint32_t size = (uint32_t)r2, n;

	(void)r3, (void)r4, (void)r5;
	if (!emu_helper_mem(run, r1, size, EMU_MEM_WRITE, "bpf_get_current_comm", "buf"))
		return 0;
	if (!size)
		return 0;
	prctl(PR_GET_NAME, comm, 0, 0, 0);
	n = (uint32_t)strnlen(comm, 16);
	if (n > size - 1)
		n = size - 1;
	memset((void *)(uintptr_t)r1, 0, size);
	memcpy((void *)(uintptr_t)r1, comm, n);
	return 0;
}

HELPER(get_prandom_u32)
{
	struct emu_prog_env *env = emu_prog_env_of(run);
	static __thread uint64_t own;
	uint64_t *s = env ? &env->rnd : &own, x;

	UNUSED_ARGS5();
	if (!*s) {
		if (getrandom(s, sizeof(*s), GRND_NONBLOCK) != (ssize_t)sizeof(*s) || !*s)
			*s = 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)s;
	}
	x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return (uint32_t)((x * 0x2545f4914f6cdd1dull) >> 32);
}
