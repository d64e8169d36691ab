/* SPDX-License-Identifier: MIT */
/*
 * Where bpf_trace_printk's lines go, in the format of the kernel's
 * /sys/kernel/tracing/trace_pipe (trace_pipe.c). A sink is a file descriptor or a callback; the
 * default sink is the file $BPFEMU_TRACE_PIPE ("-" for stderr) when set, else
 * <state dir>/trace_pipe, appended to with one write() per line.
 */
#ifndef BPFEMU_PROG_HELPERS_TRACE_PIPE_H
#define BPFEMU_PROG_HELPERS_TRACE_PIPE_H

#include <stddef.h>
#include <stdint.h>

struct emu_run;

struct emu_trace_sink {
	int fd; /* lines are written here (-1: dropped) unless line is set */
	void (*line)(void *ctx, const char *line, size_t len);
	void *ctx;
};

/* The process's default sink (opened at first use). */
struct emu_trace_sink *emu_trace_default(void);

/*
 * One trace_pipe line for a bpf_trace_printk message, as the kernel's default trace output
 * prints the event (comm right-aligned in 16, '-', pid left-aligned in 7, the CPU in three
 * digits, the five latency flags, the timestamp in seconds and microseconds, the event name),
 * then the message and the newline the event format adds (a message ending in "\n" leaves an
 * empty line, as on the kernel). Returns the line's length (snprintf's: may exceed cap).
 */
int emu_trace_format(char *buf, size_t cap, const char *comm, int pid, uint32_t cpu, const char *flags,
		     uint64_t ns, const char *msg);

/* The latency flags the kernel shows for a program of this type run by BPF_PROG_TEST_RUN
 * (observed on 6.18: "b..11" for packet programs, softirqs off, preempt and migrate counts 1;
 * "...2." for raw tracepoints; "...11" for SYSCALL programs). */
const char *emu_trace_flags(uint32_t prog_type);

/* bpf_trace_printk's output: the line for msg from the running thread and run's CPU, to the
 * run's sink. */
void emu_trace_emit(struct emu_run *run, const char *msg);

#endif
