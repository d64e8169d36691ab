/* SPDX-License-Identifier: MIT */
/*
 * superv-bench: what a bpf() call costs under the seccomp supervisor, beside the kernel and the
 * preload, and what bounds it.
 *
 * Targets (each runs the same workload; the driver starts the other two as copies of itself):
 *   kernel      syscall(__NR_bpf) in this process (root, or whoever may call bpf()).
 *   preload     a copy of this program under LD_PRELOAD=libbpfemu-preload.so: the same call,
 *               answered in the calling process.
 *   seccomp     a copy under `bpfemu-run --seccomp`: the call traps, the supervisor receives it,
 *               copies the attr and buffers over with process_vm_readv/writev, runs the command and
 *               answers.
 * And the floor of the last one, measured alone:
 *   notify      a system call trapped with SECCOMP_RET_USER_NOTIF and answered at once by a
 *               supervisor that does nothing else (RECV, SEND): the round trip, two context
 *               switches and the listener's wakeups; beside the same call untrapped.
 * Both the notify round trip and the seccomp target are measured twice: the two processes free to
 * run on different CPUs, and pinned to one.
 *
 * Workload: a HASH map of 64 entries, 8-byte keys and values, libbpf's attr sizes; lookup (hit),
 * update of an existing key, GET_NEXT_KEY, and LOOKUP_BATCH of the 64 elements (ns per element);
 * mmap of an mmapable array's values and of a ring's data pages; epoll_ctl ADD/DEL of a pipe
 * (what every event loop pays under the supervisor, which traps epoll_ctl for map fds) and of a
 * ring fd.
 * Each figure is the median of 7 rounds of `iters` calls (CLOCK_MONOTONIC).
 *
 * Usage: superv-bench [--iters N] [--bpfemu-run PATH] [--preload PATH]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

#ifndef SUPERV_BENCH_RUN
#define SUPERV_BENCH_RUN "bpfemu-run"
#endif
#ifndef SUPERV_BENCH_PRELOAD
#define SUPERV_BENCH_PRELOAD "libbpfemu-preload.so"
#endif

#define ROUNDS 7
#define ENTRIES 64
#define ELEM_SZ (offsetof(union bpf_attr, flags) + sizeof(__u64))
#define BATCH_SZ (offsetof(union bpf_attr, batch.flags) + sizeof(__u64))

enum { OP_LOOKUP, OP_UPDATE, OP_NEXT, OP_BATCH, OP_MMAP, OP_RING_MMAP, OP_EPOLL_PIPE, OP_EPOLL_RING, NR_OPS };
static const char *const op_names[NR_OPS] = { "lookup (hit)", "update (existing)", "get_next_key",
					       "lookup_batch (per element)",
					       "mmap+munmap of an mmapable array's values",
					       "mmap+munmap of a 16 KiB ring's data pages (twice)",
					       "epoll_ctl ADD or DEL of a pipe (per call)",
					       "epoll_ctl ADD or DEL of a ring fd (per call)" };
static int mmap_fd; /* an mmapable ARRAY, for OP_MMAP */
static int ring_fd; /* a RINGBUF of 16 KiB, for OP_RING_MMAP and OP_EPOLL_RING */
static int ep_fd, pipe_fd; /* for OP_EPOLL_* */

static long iters = 20000;

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static long sys_bpf(int cmd, union bpf_attr *a, size_t size)
{
	return syscall(__NR_bpf, cmd, a, size);
}

/* ns per call (per element for the batch) of one op, the median of ROUNDS */
static double measure(int fd, int op)
{
	double r[ROUNDS];
	__u64 keys[ENTRIES], vals[ENTRIES], key = 7, val = 0, out;
	union bpf_attr a;
	long n = op == OP_BATCH ? iters / ENTRIES + 1 : op == OP_MMAP || op == OP_RING_MMAP ? iters / 100 + 1
		 : op == OP_EPOLL_RING ? iters / 10 + 1 : iters;
	struct epoll_event ev = { .events = EPOLLIN };
	void *p;

	for (int round = 0; round < ROUNDS; round++) {
		double t0 = now_ns();

		for (long i = 0; i < n; i++) {
			long ret;

			memset(&a, 0, sizeof(a));
			switch (op) {
			case OP_LOOKUP:
				a.map_fd = (__u32)fd, a.key = (uintptr_t)&key, a.value = (uintptr_t)&val;
				ret = sys_bpf(BPF_MAP_LOOKUP_ELEM, &a, ELEM_SZ);
				break;
			case OP_UPDATE:
				a.map_fd = (__u32)fd, a.key = (uintptr_t)&key, a.value = (uintptr_t)&val;
				a.flags = BPF_EXIST;
				ret = sys_bpf(BPF_MAP_UPDATE_ELEM, &a, ELEM_SZ);
				break;
			case OP_NEXT:
				a.map_fd = (__u32)fd, a.key = (uintptr_t)&key, a.next_key = (uintptr_t)&out;
				ret = sys_bpf(BPF_MAP_GET_NEXT_KEY, &a, ELEM_SZ);
				ret = ret && errno == ENOENT ? 0 : ret;
				break;
			case OP_MMAP:
				/* the supervisor makes this mapping again under ptrace (shim/supervisor/mapvals.c) */
				p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mmap_fd, 0);
				ret = p == MAP_FAILED ? -1 : munmap(p, 4096);
				break;
			case OP_RING_MMAP:
				/* a ring's: several parts of the map file, a chain of calls in the supervisor */
				p = mmap(NULL, 4096 + 2 * 16384, PROT_READ, MAP_SHARED, ring_fd, 4096);
				ret = p == MAP_FAILED ? -1 : munmap(p, 4096 + 2 * 16384);
				break;
			case OP_EPOLL_PIPE:
			case OP_EPOLL_RING:
				/* trapped under the supervisor: a map fd's answered there, others continued */
				ret = epoll_ctl(ep_fd, EPOLL_CTL_ADD, op == OP_EPOLL_PIPE ? pipe_fd : ring_fd, &ev);
				ret = ret ? ret : epoll_ctl(ep_fd, EPOLL_CTL_DEL, op == OP_EPOLL_PIPE ? pipe_fd : ring_fd, NULL);
				break;
			default:
				a.batch.map_fd = (__u32)fd, a.batch.keys = (uintptr_t)keys, a.batch.values = (uintptr_t)vals;
				a.batch.count = ENTRIES, a.batch.out_batch = (uintptr_t)&out;
				ret = sys_bpf(BPF_MAP_LOOKUP_BATCH, &a, BATCH_SZ);
				ret = ret && errno == ENOENT ? 0 : ret;
				break;
			}
			if (ret) {
				fprintf(stderr, "superv-bench: %s: %s\n", op_names[op], strerror(errno));
				exit(1);
			}
		}
		r[round] = (now_ns() - t0) / (op == OP_BATCH ? (double)n * ENTRIES
					      : op == OP_EPOLL_PIPE || op == OP_EPOLL_RING ? 2.0 * n : (double)n);
	}
	qsort(r, ROUNDS, sizeof(r[0]), cmp_double);
	return r[ROUNDS / 2];
}

/* The workload in this process: "op ns" lines. */
static int worker(void)
{
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_HASH, a.key_size = 8, a.value_size = 8, a.max_entries = ENTRIES;
	fd = (int)sys_bpf(BPF_MAP_CREATE, &a, offsetof(union bpf_attr, map_extra) + 8);
	if (fd < 0) {
		fprintf(stderr, "superv-bench: map create: %s\n", strerror(errno));
		return 1;
	}
	for (__u64 k = 0; k < ENTRIES; k++) {
		memset(&a, 0, sizeof(a));
		a.map_fd = (__u32)fd, a.key = (uintptr_t)&k, a.value = (uintptr_t)&k;
		sys_bpf(BPF_MAP_UPDATE_ELEM, &a, ELEM_SZ);
	}
	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY, a.key_size = 4, a.value_size = 8, a.max_entries = 512;
	a.map_flags = BPF_F_MMAPABLE;
	mmap_fd = (int)sys_bpf(BPF_MAP_CREATE, &a, offsetof(union bpf_attr, map_extra) + 8);
	if (mmap_fd < 0) {
		fprintf(stderr, "superv-bench: mmapable array create: %s\n", strerror(errno));
		return 1;
	}
	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_RINGBUF, a.max_entries = 16384;
	ring_fd = (int)sys_bpf(BPF_MAP_CREATE, &a, offsetof(union bpf_attr, map_extra) + 8);
	{
		int pp[2];

		ep_fd = epoll_create1(EPOLL_CLOEXEC);
		if (ring_fd < 0 || ep_fd < 0 || pipe(pp)) {
			fprintf(stderr, "superv-bench: ring buffer or epoll create: %s\n", strerror(errno));
			return 1;
		}
		pipe_fd = pp[0];
	}
	for (int op = 0; op < NR_OPS; op++)
		printf("%d %.1f\n", op, measure(fd, op));
	fflush(stdout);
	return 0;
}

/* Runs argv, reads its "op ns" lines into ns[]; false if it failed. */
static bool run_worker(char *const argv[], const char *preload, int cpu, double ns[NR_OPS])
{
	int p[2];
	pid_t pid;
	FILE *f;
	int op, st;
	double v;

	for (int i = 0; i < NR_OPS; i++)
		ns[i] = -1;
	if (pipe(p))
		return false;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		if (preload)
			setenv("LD_PRELOAD", preload, 1);
		if (cpu >= 0) {
			cpu_set_t s;

			CPU_ZERO(&s);
			CPU_SET(cpu, &s);
			sched_setaffinity(0, sizeof(s), &s); /* inherited by the supervised copy too */
		}
		execv(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	close(p[1]);
	f = fdopen(p[0], "r");
	while (f && fscanf(f, "%d %lf", &op, &v) == 2)
		if (op >= 0 && op < NR_OPS)
			ns[op] = v;
	if (f)
		fclose(f);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) && !WEXITSTATUS(st) && ns[NR_OPS - 1] >= 0;
}

/* ---- the bare notification round trip ---- */

static double bare_call(void)
{
	double r[ROUNDS];

	for (int round = 0; round < ROUNDS; round++) {
		double t0 = now_ns();

		for (long i = 0; i < iters; i++)
			syscall(SYS_getppid);
		r[round] = (now_ns() - t0) / (double)iters;
	}
	qsort(r, ROUNDS, sizeof(r[0]), cmp_double);
	return r[ROUNDS / 2];
}

/* getppid() trapped and answered at once: the child times it, the parent answers. */
static double notify_round_trip(int cpu, bool sync)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };
	int sv[2], listener = -1, st;
	double result = -1;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv))
		return -1;
	if (cpu >= 0) {
		cpu_set_t s;

		CPU_ZERO(&s);
		CPU_SET(cpu, &s);
		sched_setaffinity(0, sizeof(s), &s);
	}
	pid = fork();
	if (pid == 0) {
		char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
		struct iovec iov = { "l", 1 };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
		int lfd;

		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		lfd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
		if (lfd < 0)
			_exit(1);
		cm->cmsg_level = SOL_SOCKET, cm->cmsg_type = SCM_RIGHTS, cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &lfd, sizeof(int));
		sendmsg(sv[1], &m, 0);
		close(lfd);
		result = bare_call();
		(void)!write(sv[1], &result, sizeof(result));
		_exit(0);
	}
	{
		char cbuf[CMSG_SPACE(sizeof(int))], c;
		struct iovec iov = { &c, 1 };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };

		if (recvmsg(sv[0], &m, 0) == 1 && CMSG_FIRSTHDR(&m))
			memcpy(&listener, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof(int));
	}
	if (listener >= 0 && sync && ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP))
		fprintf(stderr, "superv-bench: SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP: %s\n", strerror(errno));
	if (listener >= 0) {
		struct seccomp_notif n;
		struct seccomp_notif_resp resp;

		for (;;) {
			memset(&n, 0, sizeof(n));
			if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &n))
				break; /* the child is gone */
			memset(&resp, 0, sizeof(resp));
			resp.id = n.id;
			resp.val = 1;
			ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
		}
		close(listener);
	}
	if (read(sv[0], &result, sizeof(result)) != sizeof(result))
		result = -1;
	waitpid(pid, &st, 0);
	close(sv[0]);
	close(sv[1]);
	if (cpu >= 0) {
		cpu_set_t s;

		CPU_ZERO(&s);
		for (int i = 0; i < CPU_SETSIZE; i++)
			CPU_SET(i, &s);
		sched_setaffinity(0, sizeof(s), &s);
	}
	return result;
}

static void row(const char *name, const double k[NR_OPS], const double p[NR_OPS], const double s[NR_OPS],
		const double s1[NR_OPS], int op)
{
	(void)name;
	printf("| %s | %.0f | %.1f | %.0f | %.0f | %.1fx | %.0fx |\n", op_names[op], k[op], p[op], s[op], s1[op],
	       s[op] / k[op], s[op] / p[op]);
}

int main(int argc, char **argv)
{
	const char *run = SUPERV_BENCH_RUN, *preload = SUPERV_BENCH_PRELOAD;
	double k[NR_OPS], p[NR_OPS], s[NR_OPS], s1[NR_OPS], bare, rt, rt1, rts, rts1;
	char self[4096];
	ssize_t n;

	if (getenv("SUPERV_BENCH_ITERS"))
		iters = atol(getenv("SUPERV_BENCH_ITERS"));
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--worker"))
			return worker();
		if (!strcmp(argv[i], "--iters") && i + 1 < argc)
			iters = atol(argv[++i]);
		else if (!strcmp(argv[i], "--bpfemu-run") && i + 1 < argc)
			run = argv[++i];
		else if (!strcmp(argv[i], "--preload") && i + 1 < argc)
			preload = argv[++i];
		else {
			fprintf(stderr, "usage: superv-bench [--iters N] [--bpfemu-run PATH] [--preload PATH]\n");
			return 2;
		}
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 1;
	self[n] = 0;
	{
		char *kernel_argv[] = { self, "--worker", NULL };
		char *sup_argv[] = { (char *)run, "--seccomp", self, "--worker", NULL };
		char it[32];

		snprintf(it, sizeof(it), "%ld", iters);
		setenv("SUPERV_BENCH_ITERS", it, 1);
		if (!run_worker(kernel_argv, NULL, -1, k))
			fprintf(stderr, "superv-bench: the kernel target failed (bpf() needs root here)\n");
		if (!run_worker(kernel_argv, preload, -1, p))
			fprintf(stderr, "superv-bench: the preload target failed (%s)\n", preload);
		if (!run_worker(sup_argv, NULL, -1, s))
			fprintf(stderr, "superv-bench: the seccomp target failed (%s)\n", run);
		if (!run_worker(sup_argv, NULL, 0, s1))
			fprintf(stderr, "superv-bench: the seccomp target on one CPU failed\n");
	}
	bare = bare_call();
	rt = notify_round_trip(-1, false);
	rt1 = notify_round_trip(0, false);
	rts = notify_round_trip(-1, true);
	rts1 = notify_round_trip(0, true);
	printf("ns per call, median of %d rounds of %ld calls\n\n", ROUNDS, iters);
	printf("| operation | kernel | preload | seccomp | seccomp, one CPU | seccomp/kernel | seccomp/preload |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|\n");
	for (int op = 0; op < NR_OPS; op++)
		row(op_names[op], k, p, s, s1, op);
	printf("\n| getppid() | ns |\n|---|---:|\n");
	printf("| untrapped | %.0f |\n| trapped, answered at once (RECV + SEND) | %.0f |\n", bare, rt);
	printf("| the same, both processes on one CPU | %.0f |\n", rt1);
	printf("| trapped, with SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP | %.0f |\n", rts);
	printf("| the same, both processes on one CPU | %.0f |\n", rts1);
	return 0;
}
