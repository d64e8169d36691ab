/* SPDX-License-Identifier: MIT */
/*
 * trace_printk's output (see trace_pipe.h): the kernel's line format and the sinks.
 *
 * The state directory's trace_pipe is a plain file many processes append to: each line is one
 * write() with O_APPEND, so lines from concurrent programs never interleave. Its reader
 * (bpfemu-run --trace-pipe) follows the file as `tail -f` would.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../../core/state.h"
#include "../../uapi/bpf_uapi.h"
#include "../env.h"
#include "trace_pipe.h"

int emu_trace_format(char *buf, size_t cap, const char *comm, int pid, uint32_t cpu, const char *flags,
		     uint64_t ns, const char *msg)
{
	return snprintf(buf, cap, "%16s-%-7d [%03u] %s %5llu.%06llu: bpf_trace_printk: %s\n", comm, pid, cpu, flags,
			(unsigned long long)(ns / 1000000000ull), (unsigned long long)(ns % 1000000000ull / 1000), msg);
}

const char *emu_trace_flags(uint32_t prog_type)
{
	switch (prog_type) {
	case EMU_PROG_RAW_TRACEPOINT:
		return "...2.";
	case EMU_PROG_SYSCALL:
		return "...11";
	default:
		return "b..11";
	}
}

static struct emu_trace_sink default_sink = { .fd = -1 };
static pthread_once_t default_once = PTHREAD_ONCE_INIT;

static void default_open(void)
{
	const char *p = getenv("BPFEMU_TRACE_PIPE");
	char path[4096];

	if (p && !strcmp(p, "-")) {
		default_sink.fd = STDERR_FILENO;
		return;
	}
	if (!p || !*p) {
		snprintf(path, sizeof(path), "%s/trace_pipe", emu_state_dir());
		p = path;
	}
	default_sink.fd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
}

struct emu_trace_sink *emu_trace_default(void)
{
	pthread_once(&default_once, default_open);
	return &default_sink;
}

void emu_trace_emit(struct emu_run *run, const char *msg)
{
	const struct emu_prog_env *env = emu_prog_env_of(run);
	struct emu_trace_sink *s = env && env->trace ? env->trace : emu_trace_default();
	char comm[17] = { 0 }, line[1300];
	struct timespec t;
	int n;

	prctl(PR_GET_NAME, comm, 0, 0, 0);
	clock_gettime(CLOCK_MONOTONIC, &t);
	n = emu_trace_format(line, sizeof(line), comm, (int)syscall(SYS_gettid), emu_run_cpu(run),
			     emu_trace_flags(env ? env->prog_type : 0),
			     (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec, msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (s->line)
		s->line(s->ctx, line, (size_t)n);
	else if (s->fd >= 0 && write(s->fd, line, (size_t)n) < 0)
		return;
}
