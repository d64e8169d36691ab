/* SPDX-License-Identifier: MIT */
/*
 * Ring buffers across processes, through libbpf as real tools use them, on the kernel (as root,
 * `e2e_ringbuf kernel`) and under bpfemu-run (as nobody, `e2e_ringbuf emu`); ringbuf.sh compares
 * the transcripts.
 *
 * - A RINGBUF read by a child process with libbpf's ring_buffer__poll while its parent produces
 *   records, with XDP programs run with BPF_PROG_TEST_RUN (on both sides: the emulator's
 *   interpreter and its ringbuf helpers), then once more with the emulated side's producer the
 *   test API instead: every record must arrive with the same bytes, and no poll may time out
 *   waiting — the producer's wakeups must reach the consumer's epoll in another process,
 *   BPF_RB_NO_WAKEUP and BPF_RB_FORCE_WAKEUP included.
 * - A USER_RINGBUF that a child fills with user_ring_buffer__reserve_blocking (it blocks while the
 *   ring is full) and its parent drains with XDP programs calling bpf_user_ringbuf_drain (on both
 *   sides), then once more with the emulated side's drains the test API: the blocked producer
 *   must be woken by the drains.
 * - poll, select and epoll on ring fds and on another map's fd (EPOLLERR), and epoll_ctl's errors.
 *
 * `e2e_ringbuf superv` (built -static, run under the seccomp supervisor by ringbuf.sh static, and
 * on the kernel): epoll_ctl's answers and epoll_wait's reports for map fds as consumers use them,
 * records across the end of a ring read by ring_buffer__poll, and the across-process RINGBUF case
 * with TEST_RUN producers, the across-process USER_RINGBUF case with TEST_RUN drains (poll() and
 * select() are not the supervisor's: left out).
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <dlfcn.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


#define NREC 25 /* the last one forces the wakeup the one before it skipped */
#define NSAMPLES 64

static bool emulated;
/* emulated: the preload's test API (it exports bpfemu_*), found at run time */
static int (*rb_output)(int, const void *, uint64_t, uint64_t);
static long (*urb_drain)(int, long (*)(void *, const void *, uint32_t), void *, uint64_t);

struct insn {
	uint8_t code;
	uint8_t regs;
	int16_t off;
	int32_t imm;
};

#define INSN(c, d, s, o, i) ((struct insn){ (c), (uint8_t)((d) | ((s) << 4)), (o), (i) })

static int callback_btf(void)
{
	static const uint32_t types[] = {
		1, 1u << 24, 4, (1u << 24) | 32, 0, 13u << 24, 1, 5, 12u << 24, 2, 10, 12u << 24, 2,
	};
	static const char strs[] = "\0int\0main\0cb";
	unsigned char blob[256];
	uint32_t hdr[6] = { 0x0001eb9f, 24, 0, sizeof(types), sizeof(types), sizeof(strs) };

	memcpy(blob, hdr, 24);
	memcpy(blob + 24, types, sizeof(types));
	memcpy(blob + 24 + sizeof(types), strs, sizeof(strs));
	return bpf_btf_load(blob, 24 + sizeof(types) + sizeof(strs), NULL);
}

static int load_xdp(struct insn *p, int n, bool with_callback)
{
	LIBBPF_OPTS(bpf_prog_load_opts, o);
	uint32_t fi[4] = { 0, 3, 8, 4 };

	if (with_callback) {
		o.prog_btf_fd = callback_btf();
		o.func_info = fi;
		o.func_info_cnt = 2;
		o.func_info_rec_size = 8;
	}
	return bpf_prog_load(BPF_PROG_TYPE_XDP, "e2e_rb", "GPL", (void *)p, (size_t)n, &o);
}

static long run_xdp(int prog)
{
	unsigned char pkt[64] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = pkt, .data_size_in = sizeof(pkt), .repeat = 1);

	if (bpf_prog_test_run_opts(prog, &t))
		return -errno;
	return (int32_t)t.retval;
}

static void record_bytes(unsigned i, unsigned char *b, unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		b[k] = (unsigned char)(i * 31 + k);
}

/* Record i: (i * 13) % 200 + 1 bytes, made here and output with flags, by an XDP program run with
 * BPF_PROG_TEST_RUN (via_prog), else through the test API (emulated only). */
static int produce(int map, unsigned i, uint64_t flags, bool via_prog)
{
	unsigned n = (i * 13) % 200 + 1, room = (n + 7) & ~7u;
	unsigned char b[256];

	record_bytes(i, b, room);
	if (!via_prog)
		return rb_output(map, b, n, flags) ? -errno : 0;
	{
		struct insn p[64];
		int k = 0, prog;
		long r;

		for (unsigned off = 0; off < room; off += 8) {
			int64_t v;
			int32_t imm;

			memcpy(&v, b + off, 8);
			imm = (int32_t)v; /* the low half: the high half is rebuilt by a second store */
			p[k++] = INSN(0x62 /* ST W */, 10, 0, (int16_t)(off - room), imm);
			memcpy(&imm, b + off + 4, 4);
			p[k++] = INSN(0x62, 10, 0, (int16_t)(off - room + 4), imm);
		}
		p[k++] = INSN(0x18, 1, 1, 0, map);
		p[k++] = INSN(0, 0, 0, 0, 0);
		p[k++] = INSN(0xbf, 2, 10, 0, 0);
		p[k++] = INSN(0x07, 2, 0, 0, -(int32_t)room);
		p[k++] = INSN(0xb7, 3, 0, 0, (int32_t)n);
		p[k++] = INSN(0xb7, 4, 0, 0, (int32_t)flags);
		p[k++] = INSN(0x85, 0, 0, 0, 130);
		p[k++] = INSN(0x95, 0, 0, 0, 0);
		prog = load_xdp(p, k, false);
		if (prog < 0)
			return -errno;
		r = run_xdp(prog);
		close(prog);
		return (int)r;
	}
}

static long drain_cb(void *ctx, const void *data, uint32_t size)
{
	(void)ctx, (void)data, (void)size;
	return 0;
}

static long drain(int map, bool via_prog)
{
	if (!via_prog) {
		long r = urb_drain(map, drain_cb, NULL, 0);

		return r < 0 ? -errno : r;
	}
	{
		struct insn p[10] = {
			INSN(0x18, 1, 1, 0, map), INSN(0, 0, 0, 0, 0),
			INSN(0x18, 2, 4, 0, 5), INSN(0, 0, 0, 0, 0),
			INSN(0xb7, 3, 0, 0, 0), INSN(0xb7, 4, 0, 0, 0),
			INSN(0x85, 0, 0, 0, 209), INSN(0x95, 0, 0, 0, 0),
			INSN(0xb7, 0, 0, 0, 0), INSN(0x95, 0, 0, 0, 0),
		};
		int prog = load_xdp(p, 10, true);
		long r;

		if (prog < 0)
			return -errno;
		r = run_xdp(prog);
		close(prog);
		return r;
	}
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static unsigned got;

static int on_record(void *ctx, void *data, size_t size)
{
	unsigned char want[256];

	(void)ctx;
	record_bytes(got, want, (unsigned)size);
	printf("  record %u: %zu bytes%s\n", got, size,
	       size == (got * 13) % 200 + 1 && !memcmp(data, want, size) ? "" : " (WRONG BYTES)");
	got++;
	return 0;
}

static int ringbuf_across(bool via_prog)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "e2e_rb", 0, 0, 16384, NULL), sync[2];
	pid_t pid;

	got = 0;
	printf("ringbuf: create %s\n", fd < 0 ? strerror(errno) : "ok");
	if (fd < 0 || pipe(sync))
		return 1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct ring_buffer *rb = ring_buffer__new(fd, on_record, NULL, NULL);
		int timeouts = 0, polls = 0;
		double t0 = now();

		if (!rb) {
			printf("consumer: ring_buffer__new: %s\n", strerror(errno));
			_exit(1);
		}
		(void)!write(sync[1], "r", 1);
		while (got < NREC && now() - t0 < 20) {
			double t = now();
			int n = ring_buffer__poll(rb, 3000);

			polls++;
			if (n == 0 && now() - t >= 2.5) {
				timeouts++;
				if (getenv("E2E_RB_DEBUG"))
					fprintf(stderr, "timeout after record %u\n", got);
			}
			if (n < 0) {
				printf("consumer: ring_buffer__poll: %d\n", n);
				break;
			}
		}
		printf("consumer: %u records, %d polls timed out waiting\n", got, timeouts);
		ring_buffer__free(rb);
		fflush(stdout);
		_exit(got == NREC && !timeouts ? 0 : 1);
	}
	{
		char c;
		int st, r, bad = 0;

		(void)!read(sync[0], &c, 1);
		for (unsigned i = 0; i < NREC; i++) {
			/* every fifth record without a wakeup, the next one forcing it */
			uint64_t flags = i % 5 == 3 ? BPF_RB_NO_WAKEUP : i % 5 == 4 ? BPF_RB_FORCE_WAKEUP : 0;

			usleep(20000);
			r = produce(fd, i, flags, via_prog);
			bad += r != 0;
		}
		waitpid(pid, &st, 0);
		printf("producer: %u records, %d refused; consumer exit %d\n", NREC, bad, WEXITSTATUS(st));
	}
	close(fd);
	return 0;
}

/* via_prog: the drains are XDP programs under BPF_PROG_TEST_RUN (bpf_user_ringbuf_drain), else
 * the test API (emulated only) */
static int user_ringbuf_across(bool via_prog)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_USER_RINGBUF, "e2e_urb", 0, 0, 4096, NULL), sync[2];
	pid_t pid;

	printf("user_ringbuf: create %s\n", fd < 0 ? strerror(errno) : "ok");
	if (fd < 0 || pipe(sync))
		return 1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct user_ring_buffer *rb = user_ring_buffer__new(fd, NULL);
		int ok = 0, failed = 0;

		if (!rb) {
			printf("producer: user_ring_buffer__new: %s\n", strerror(errno));
			_exit(1);
		}
		for (int i = 0; i < NSAMPLES; i++) {
			void *s = user_ring_buffer__reserve_blocking(rb, 300, 5000);

			if (!s) {
				failed++;
				continue;
			}
			memset(s, i, 300);
			user_ring_buffer__submit(rb, s);
			ok++;
			if (i == 0)
				(void)!write(sync[1], "s", 1);
		}
		printf("producer: %d samples submitted, %d not (no room within 5 s)\n", ok, failed);
		user_ring_buffer__free(rb);
		fflush(stdout);
		_exit(failed ? 1 : 0);
	}
	{
		char c;
		long total = 0, r;
		int st;
		double t0;

		(void)!read(sync[0], &c, 1);
		t0 = now();
		while (total < NSAMPLES && now() - t0 < 20) {
			usleep(30000);
			r = drain(fd, via_prog);
			if (r < 0) {
				printf("drain: %s\n", strerror((int)-r));
				break;
			}
			total += r;
		}
		waitpid(pid, &st, 0);
		printf("drained %ld samples; producer exit %d\n", total, WEXITSTATUS(st));
	}
	close(fd);
	return 0;
}

static void poll_answers(void)
{
	int hash = bpf_map_create(BPF_MAP_TYPE_HASH, "e2e_h", 4, 4, 4, NULL);
	int rb = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "e2e_rb2", 0, 0, 4096, NULL);
	int urb = bpf_map_create(BPF_MAP_TYPE_USER_RINGBUF, "e2e_urb2", 0, 0, 4096, NULL);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 7 }, out[4];
	struct pollfd p[3] = { { hash, POLLIN | POLLOUT, 0 }, { rb, POLLIN | POLLOUT, 0 }, { urb, POLLIN | POLLOUT, 0 } };
	fd_set rs, ws;
	struct timeval tv = { 0, 0 };
	int r;

	/* libbpf's view first: the fd cache learns them as maps (as a real client's would) */
	for (int i = 0; i < 3; i++) {
		struct bpf_map_info info;
		__u32 len = sizeof(info);

		memset(&info, 0, sizeof(info));
		bpf_obj_get_info_by_fd(p[i].fd, &info, &len);
	}
	r = poll(p, 3, 0);
	printf("poll: %d ready; hash %#x, ringbuf %#x, user_ringbuf %#x\n", r, p[0].revents, p[1].revents, p[2].revents);
	FD_ZERO(&rs);
	FD_ZERO(&ws);
	FD_SET(hash, &rs);
	FD_SET(rb, &rs);
	FD_SET(urb, &ws);
	r = select((hash > rb ? (hash > urb ? hash : urb) : (rb > urb ? rb : urb)) + 1, &rs, &ws, NULL, &tv);
	printf("select: %d ready; hash readable %d, ringbuf readable %d, user_ringbuf writable %d\n", r,
	       FD_ISSET(hash, &rs), FD_ISSET(rb, &rs), FD_ISSET(urb, &ws));
	r = epoll_ctl(ep, EPOLL_CTL_ADD, hash, &ev);
	printf("epoll_ctl ADD hash: %s\n", r ? strerror(errno) : "0");
	r = epoll_ctl(ep, EPOLL_CTL_ADD, hash, &ev);
	printf("epoll_ctl ADD hash again: %s\n", r ? strerror(errno) : "0");
	r = epoll_ctl(ep, EPOLL_CTL_MOD, rb, &ev);
	printf("epoll_ctl MOD ringbuf (not added): %s\n", r ? strerror(errno) : "0");
	ev.data.u64 = 8;
	r = epoll_ctl(ep, EPOLL_CTL_ADD, rb, &ev);
	printf("epoll_ctl ADD ringbuf: %s\n", r ? strerror(errno) : "0");
	ev.events = EPOLLOUT;
	ev.data.u64 = 9;
	r = epoll_ctl(ep, EPOLL_CTL_ADD, urb, &ev);
	printf("epoll_ctl ADD user_ringbuf: %s\n", r ? strerror(errno) : "0");
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	r = epoll_ctl(ep, EPOLL_CTL_MOD, urb, &ev);
	printf("epoll_ctl MOD user_ringbuf EPOLLEXCLUSIVE: %s\n", r ? strerror(errno) : "0");
	r = epoll_ctl(hash, EPOLL_CTL_ADD, rb, &ev);
	printf("epoll_ctl on a map fd as the epoll fd: %s\n", r ? strerror(errno) : "0");
	r = epoll_wait(ep, out, 4, 0);
	printf("epoll_wait: %d\n", r);
	for (int i = 0; i < r; i++)
		printf("  data %llu events %#x\n", (unsigned long long)out[i].data.u64, out[i].events);
	r = epoll_ctl(ep, EPOLL_CTL_DEL, hash, NULL);
	printf("epoll_ctl DEL hash: %s\n", r ? strerror(errno) : "0");
	r = epoll_ctl(ep, EPOLL_CTL_DEL, hash, NULL);
	printf("epoll_ctl DEL hash again: %s\n", r ? strerror(errno) : "0");
	r = epoll_wait(ep, out, 4, 100);
	printf("epoll_wait (100 ms): %d\n", r);
	for (int i = 0; i < r; i++)
		printf("  data %llu events %#x\n", (unsigned long long)out[i].data.u64, out[i].events);
	close(ep);
	close(hash);
	close(rb);
	close(urb);
}

/* epoll_ctl's answers for map fds, and what epoll_wait reports for them as consumers use it (the
 * superv mode: the seccomp supervisor's registrations, shim/supervisor/epoll.c). Events of one wait
 * are printed in the order of their data. */
static void wait_print(const char *label, int ep, int ms)
{
	struct epoll_event out[8];
	double t0 = now();
	int r = epoll_wait(ep, out, 8, ms);

	for (int i = 1; i < r; i++)
		for (int j = i; j > 0 && out[j - 1].data.u64 > out[j].data.u64; j--) {
			struct epoll_event t = out[j];

			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	printf("epoll_wait %s (%d ms): %d%s", label, ms, r, r == 0 && ms > 0 && now() - t0 >= ms / 1000.0 * 0.9 ? " (timed out)" : "");
	for (int i = 0; i < r; i++)
		printf(" [data %llu events %#x]", (unsigned long long)out[i].data.u64, out[i].events);
	printf("\n");
}

static int count_cb(void *ctx, void *data, size_t size)
{
	(void)data, (void)size;
	(*(int *)ctx)++;
	return 0;
}

static void epoll_answers(void)
{
	int rb = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "e2e_rb3", 0, 0, 4096, NULL);
	int arr = bpf_map_create(BPF_MAP_TYPE_ARRAY, "e2e_a", 4, 8, 2, NULL);
	int urb = bpf_map_create(BPF_MAP_TYPE_USER_RINGBUF, "e2e_urb3", 0, 0, 4096, NULL);
	int ep = epoll_create1(EPOLL_CLOEXEC), ep2 = epoll_create1(EPOLL_CLOEXEC), pfd[2], n = 0;
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 1 };
	struct ring_buffer *rbuf;

	if (pipe(pfd))
		return;
#define CTL(label, e, op, fd, evp)                                                                  \
	printf("epoll_ctl %s: %s\n", label,                                                          \
	       epoll_ctl(e, op, fd, evp) ? strerrorname_np(errno) : "0")
	CTL("ADD ringbuf", ep, EPOLL_CTL_ADD, rb, &ev);
	CTL("ADD ringbuf again", ep, EPOLL_CTL_ADD, rb, &ev);
	CTL("ADD ringbuf to a second epoll", ep2, EPOLL_CTL_ADD, rb, &ev);
	CTL("MOD ringbuf", ep, EPOLL_CTL_MOD, rb, &ev);
	CTL("DEL ringbuf", ep, EPOLL_CTL_DEL, rb, NULL);
	CTL("DEL ringbuf again", ep, EPOLL_CTL_DEL, rb, NULL);
	CTL("MOD ringbuf (not added)", ep, EPOLL_CTL_MOD, rb, &ev);
	CTL("ADD ringbuf, event at a bad address", ep, EPOLL_CTL_ADD, rb, (struct epoll_event *)8);
	CTL("DEL ringbuf, event at a bad address", ep, EPOLL_CTL_DEL, rb, (struct epoll_event *)8);
	CTL("ADD ringbuf to fd -1", -1, EPOLL_CTL_ADD, rb, &ev);
	CTL("ADD ringbuf to fd 999", 999, EPOLL_CTL_ADD, rb, &ev);
	CTL("ADD ringbuf to an array's fd", arr, EPOLL_CTL_ADD, rb, &ev);
	CTL("ADD ringbuf to a pipe", pfd[0], EPOLL_CTL_ADD, rb, &ev);
	CTL("op 99 ringbuf", ep, 99, rb, &ev);
	CTL("op 99 ringbuf, event at a bad address", ep, 99, rb, (struct epoll_event *)8);
	ev.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT;
	CTL("ADD ringbuf EXCLUSIVE|ONESHOT", ep, EPOLL_CTL_ADD, rb, &ev);
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	CTL("ADD ringbuf EXCLUSIVE", ep, EPOLL_CTL_ADD, rb, &ev);
	CTL("MOD ringbuf EXCLUSIVE", ep, EPOLL_CTL_MOD, rb, &ev);
	ev.events = EPOLLIN;
	CTL("MOD ringbuf added EXCLUSIVE", ep, EPOLL_CTL_MOD, rb, &ev);
	CTL("DEL ringbuf", ep, EPOLL_CTL_DEL, rb, NULL);
	/* a registration goes with the fd (the kernel's: with the file's last fd) and with the epoll
	 * instance (its last fd): the same numbers again make new ones */
	{
		int r2 = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "e2e_rb4", 0, 0, 4096, NULL), r3, e3, e4;

		CTL("ADD a second ringbuf", ep, EPOLL_CTL_ADD, r2, &ev);
		close(r2);
		r3 = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "e2e_rb5", 0, 0, 4096, NULL);
		printf("a third ringbuf has the closed one's fd number: %s\n", r3 == r2 ? "yes" : "no");
		CTL("ADD the third ringbuf", ep, EPOLL_CTL_ADD, r3, &ev);
		CTL("DEL the third ringbuf", ep, EPOLL_CTL_DEL, r3, NULL);
		e3 = epoll_create1(EPOLL_CLOEXEC);
		CTL("ADD the third ringbuf to a new epoll", e3, EPOLL_CTL_ADD, r3, &ev);
		close(e3);
		e4 = epoll_create1(EPOLL_CLOEXEC);
		printf("another epoll has the closed one's fd number: %s\n", e4 == e3 ? "yes" : "no");
		CTL("ADD the third ringbuf to it", e4, EPOLL_CTL_ADD, r3, &ev);
		close(e4);
		close(r3);
	}
	/* readiness as consumers see it: wait, consume everything, wait again */
	rbuf = ring_buffer__new(rb, count_cb, &n, NULL);
	printf("ring_buffer__new: %s\n", rbuf ? "ok" : strerror(errno));
	if (!rbuf)
		return;
	ev.events = EPOLLIN;
	ev.data.u64 = 1;
	CTL("ADD ringbuf", ep, EPOLL_CTL_ADD, rb, &ev);
	wait_print("empty ringbuf", ep, 150);
	printf("produce: %d\n", produce(rb, 0, 0, true));
	wait_print("one record", ep, 1000);
	printf("consumed: %d\n", ring_buffer__consume(rbuf));
	wait_print("drained", ep, 150);
	printf("produce: %d %d\n", produce(rb, 1, 0, true), produce(rb, 2, 0, true));
	wait_print("two records", ep, 1000);
	printf("consumed: %d\n", ring_buffer__consume(rbuf));
	wait_print("drained", ep, 150);
	ev.events = EPOLLIN | EPOLLONESHOT;
	ev.data.u64 = 4;
	CTL("MOD ringbuf ONESHOT", ep, EPOLL_CTL_MOD, rb, &ev);
	printf("produce: %d\n", produce(rb, 3, 0, true));
	wait_print("ONESHOT, one record", ep, 1000);
	printf("consumed: %d\n", ring_buffer__consume(rbuf));
	printf("produce (forced wakeup): %d\n", produce(rb, 4, BPF_RB_FORCE_WAKEUP, true));
	wait_print("ONESHOT fired already", ep, 150);
	ev.events = EPOLLIN;
	ev.data.u64 = 5;
	CTL("MOD ringbuf re-armed, a record in it", ep, EPOLL_CTL_MOD, rb, &ev);
	wait_print("re-armed", ep, 1000);
	printf("consumed: %d\n", ring_buffer__consume(rbuf));
	CTL("DEL ringbuf", ep, EPOLL_CTL_DEL, rb, NULL);
	ring_buffer__free(rbuf);
	/* other maps: EPOLLERR, always */
	ev.events = EPOLLIN;
	ev.data.u64 = 2;
	CTL("ADD array", ep, EPOLL_CTL_ADD, arr, &ev);
	wait_print("array", ep, 0);
	wait_print("array again", ep, 0);
	ev.events = EPOLLIN | EPOLLET;
	CTL("MOD array EPOLLET", ep, EPOLL_CTL_MOD, arr, &ev);
	wait_print("array, EPOLLET", ep, 0);
	wait_print("array, EPOLLET again", ep, 0);
	CTL("DEL array", ep, EPOLL_CTL_DEL, arr, NULL);
	/* a user ring with room: writable */
	ev.events = EPOLLOUT;
	ev.data.u64 = 3;
	CTL("ADD user_ringbuf", ep, EPOLL_CTL_ADD, urb, &ev);
	wait_print("user_ringbuf", ep, 0);
	CTL("DEL user_ringbuf", ep, EPOLL_CTL_DEL, urb, NULL);
	wait_print("nothing registered", ep, 50);
#undef CTL
	close(pfd[0]);
	close(pfd[1]);
	close(ep);
	close(ep2);
	close(rb);
	close(arr);
	close(urb);
}

/* A user ring filled through libbpf's producer mappings (its data pages mapped twice, writable)
 * until it refuses, then epoll on it */
static void user_ringbuf_fill(void)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_USER_RINGBUF, "e2e_urbf", 0, 0, 4096, NULL), n = 0, err;
	struct user_ring_buffer *u = user_ring_buffer__new(fd, NULL);
	struct epoll_event ev = { .events = EPOLLOUT, .data.u64 = 6 };
	int ep = epoll_create1(EPOLL_CLOEXEC);
	void *smp;

	printf("user_ring_buffer__new: %s\n", u ? "ok" : strerror(errno));
	if (!u)
		return;
	while ((smp = user_ring_buffer__reserve(u, 300))) {
		memset(smp, n, 300);
		user_ring_buffer__submit(u, smp);
		n++;
	}
	err = errno;
	printf("user ring: %d samples of 300 bytes fit, then %s\n", n, strerrorname_np(err));
	printf("epoll_ctl ADD the user ring: %s\n", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) ? strerrorname_np(errno) : "0");
	wait_print("user ring with 40 bytes of room", ep, 0);
	printf("epoll_ctl DEL the user ring: %s\n", epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL) ? strerrorname_np(errno) : "0");
	/* the last 40 bytes (a 32-byte sample and its header): no room at all, not writable */
	smp = user_ring_buffer__reserve(u, 32);
	printf("a 32-byte sample: %s\n", smp ? "ok" : strerrorname_np(errno));
	if (smp)
		user_ring_buffer__submit(u, smp);
	printf("epoll_ctl ADD the full user ring: %s\n", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) ? strerrorname_np(errno) : "0");
	wait_print("full user ring", ep, 0);
	user_ring_buffer__free(u);
	close(ep);
	close(fd);
}

/* Records across the end of a 4096-byte ring, read by libbpf's ring_buffer__poll in rounds (the
 * data pages' second mapping makes them contiguous) */
static void ringbuf_wrap(void)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "e2e_rbw", 0, 0, 4096, NULL);
	struct ring_buffer *rb = ring_buffer__new(fd, on_record, NULL, NULL);

	got = 0;
	printf("ringbuf wrap: %s\n", rb ? "ok" : strerror(errno));
	if (!rb)
		return;
	for (unsigned round = 0, i = 0; round < 6; round++) {
		int n;

		for (unsigned k = 0; k < 7; k++, i++)
			if (produce(fd, i, 0, true))
				printf("produce %u failed\n", i);
		n = ring_buffer__poll(rb, 2000);
		printf("round %u: ring_buffer__poll: %d\n", round, n);
	}
	ring_buffer__free(rb);
	close(fd);
}

int main(int argc, char **argv)
{
	int bad = 0;

	if (argc < 2 || (strcmp(argv[1], "kernel") && strcmp(argv[1], "emu") && strcmp(argv[1], "superv"))) {
		fprintf(stderr, "usage: e2e_ringbuf kernel|emu|superv\n");
		return 2;
	}
	emulated = !strcmp(argv[1], "emu");
	if (!strcmp(argv[1], "superv")) {
		/* the seccomp supervisor (a static build: its poll() and select() are the kernel's,
		 * which the supervisor does not answer): epoll, mappings, producers run by TEST_RUN */
		setvbuf(stdout, NULL, _IOLBF, 0);
		epoll_answers();
		if (getenv("E2E_RB_EPOLL_ONLY"))
			return 0; /* (a planted fault's run: its waits time out) */
		ringbuf_wrap();
		user_ringbuf_fill();
		bad |= ringbuf_across(true);
		bad |= user_ringbuf_across(true);
		return bad;
	}
	if (emulated) {
		rb_output = (int (*)(int, const void *, uint64_t, uint64_t))dlsym(RTLD_DEFAULT, "bpfemu_ringbuf_output");
		urb_drain = (long (*)(int, long (*)(void *, const void *, uint32_t), void *, uint64_t))dlsym(
			RTLD_DEFAULT, "bpfemu_user_ringbuf_drain");
		if (!rb_output || !urb_drain) {
			fprintf(stderr, "e2e_ringbuf emu: not under the preload (no bpfemu_ringbuf_output)\n");
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	poll_answers();
	/* the producer a program run with TEST_RUN on both sides, then (emulated) the test API */
	printf("# produced by XDP programs under BPF_PROG_TEST_RUN\n");
	bad |= ringbuf_across(true);
	printf("# produced again (emulated: by the test API)\n");
	bad |= ringbuf_across(!emulated);
	printf("# user ring drained by XDP programs under BPF_PROG_TEST_RUN\n");
	bad |= user_ringbuf_across(true);
	printf("# drained again (emulated: by the test API)\n");
	bad |= user_ringbuf_across(!emulated);
	return bad;
}
