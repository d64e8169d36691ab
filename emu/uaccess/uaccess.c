/* SPDX-License-Identifier: MIT */
/*
 * User memory with the kernel's fault rules (see uaccess.h). Two ways to reach it:
 *
 *  - this process (the preload, bpfemu_bpf()): plain loads and stores that a SIGSEGV handler turns
 *    into -EFAULT (sigfault.c) — on x86-64, assembly routines whose faults are fixed up by moving
 *    the instruction pointer (arch/x86_64/uaccess_fixup.S: a sigsetjmp per copy was a third of a
 *    lookup's instructions); elsewhere, and under ASan, copies under sigsetjmp;
 *  - another process (the seccomp supervisor): a backend this thread installs with
 *    emu_uaccess_set_remote(), whose reads and writes go to that process's memory.
 *
 * The rules are kept here, once, for both: a range is checked whole first, as access_ok() does
 * (nothing at or above the top of user space, nothing wrapping), then copied; copy_to_user leaves
 * every byte before a fault written and none after it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../arch/arch.h"
#include "../core/map.h" /* struct emu_bucket_run */
#include "sigfault.h"
#include "uaccess.h"

static __thread const struct emu_uaccess_remote *cur_remote __attribute__((tls_model("initial-exec")));

void emu_uaccess_set_remote(const struct emu_uaccess_remote *r)
{
	cur_remote = r;
}

static inline const struct emu_uaccess_remote *remote(void)
{
	return cur_remote;
}

const char *emu_caller_fd_dir(void)
{
	return remote() && remote()->fd_dir ? remote()->fd_dir : "/proc/self/fd";
}

bool emu_caller_is_remote(void)
{
	return remote() != NULL;
}

int emu_caller_cpu(void)
{
	return remote() && remote()->cpu ? remote()->cpu(remote()->ctx) : -1;
}

int emu_caller_fd_dup(int fd)
{
	int r;

	if (fd < 0)
		return -EBADF;
	if (remote())
		return remote()->getfd ? remote()->getfd(remote()->ctx, fd) : -EBADF;
	r = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	return r < 0 ? -errno : r;
}

/* The lowest page is never mapped for user space (the kernel's copy faults there as well), and
 * nothing at or above the top of user space is the caller's: good is PAGE <= a && a + n <= top,
 * compared so that nothing can wrap. */
static inline bool bad_range(const void *p, size_t n, uintptr_t top)
{
	const uintptr_t a = (uintptr_t)p;

	return n > top - EMU_PAGE_SIZE || a - EMU_PAGE_SIZE > top - EMU_PAGE_SIZE - n;
}

static inline bool obviously_bad(const void *p, size_t n)
{
	return bad_range(p, n, remote() ? remote()->top : emu_user_top);
}

/* A whole copy from src to dst in the current address space: 0 or -EFAULT (bytes before a
 * faulting store may be written). */
#ifdef EMU_ARCH_FIXUP
__attribute__((noinline, cold)) static int first_copy(void *dst, const void *src, size_t n)
{
	emu_sigfault_install();
	return emu_fixup_copy(dst, src, n);
}

/* No frame of its own to return to: inlined into the entry points, where both calls are tail
 * calls (the installation's call out of line, or its saving of the arguments across it was a
 * frame on every copy). */
static inline int local_copy(void *dst, const void *src, size_t n)
{
	if (__builtin_expect(!__atomic_load_n(&emu_sigfault_ready, __ATOMIC_ACQUIRE), 0))
		return first_copy(dst, src, n);
	return emu_fixup_copy(dst, src, n);
}
#else
static inline int local_copy(void *dst, const void *src, size_t n)
{
	return emu_sigjmp_copy(dst, src, n);
}
#endif

/* The other process's memory, out of line: the local path pays one test of the backend. */
__attribute__((noinline)) static int remote_read(void *dst, const void *src, size_t n)
{
	const struct emu_uaccess_remote *r = remote();

	if (bad_range(src, n, r->top))
		return -EFAULT;
	return r->read(r->ctx, dst, (uint64_t)(uintptr_t)src, n);
}

__attribute__((noinline)) static int remote_write(void *dst, const void *src, size_t n)
{
	const struct emu_uaccess_remote *r = remote();

	if (bad_range(dst, n, r->top))
		return -EFAULT;
	return r->write(r->ctx, (uint64_t)(uintptr_t)dst, src, n);
}

int emu_copy_from_user(void *dst, const void *src, size_t n)
{
	if (!n)
		return 0;
	if (__builtin_expect(remote() != NULL, 0))
		return remote_read(dst, src, n);
	if (bad_range(src, n, emu_user_top))
		return -EFAULT;
	return local_copy(dst, src, n);
}

/* Exactly the bytes before a fault written: the copy again, byte by byte (a remote backend's
 * write already stops exactly there). */
__attribute__((noinline)) static int copy_bytes(void *dst, const void *src, size_t n)
{
	if (remote())
		return remote_write(dst, src, n);
	return emu_sigjmp_copy_bytes(dst, src, n);
}

/* Out of line, so emu_copy_to_user stays small enough to inline into the batch loops below. */
__attribute__((noinline)) static int copy_bytes_after_fault(void *dst, const void *src, size_t n)
{
	copy_bytes(dst, src, n);
	return -EFAULT;
}

int emu_copy_to_user(void *dst, const void *src, size_t n)
{
	if (!n)
		return 0;
	if (__builtin_expect(remote() != NULL, 0))
		return remote_write(dst, src, n);
	if (bad_range(dst, n, emu_user_top))
		return -EFAULT;
	if (!local_copy(dst, src, n))
		return 0;
	return copy_bytes_after_fault(dst, src, n);
}

int emu_copy_list_to_user(const struct emu_ucopy *c, unsigned n)
{
	if (__builtin_expect(remote() != NULL, 0)) {
		for (unsigned i = 0; i < n; i++)
			if (c[i].n && remote_write(c[i].dst, c[i].src, c[i].n))
				return -EFAULT;
		return 0;
	}
	for (unsigned i = 0; i < n; i++) {
		if (!c[i].n)
			continue;
		if (bad_range(c[i].dst, c[i].n, emu_user_top))
			return -EFAULT;
		if (local_copy(c[i].dst, c[i].src, c[i].n))
			return copy_bytes_after_fault(c[i].dst, c[i].src, c[i].n);
	}
	return 0;
}

/* Piece by piece, so that a fault leaves exactly the bytes before it written. */
__attribute__((noinline)) static int gather_exact(char *d, const void *const *src, uint32_t left,
						   uint32_t size)
{
	for (uint32_t i = 0; left; i++) {
		uint32_t c = size < left ? size : left;

		if (remote() ? remote_write(d, src[i], c) : local_copy(d, src[i], c)) {
			copy_bytes(d, src[i], c);
			return -EFAULT;
		}
		d += c;
		left -= c;
	}
	return 0;
}

/*
 * One copy_to_user of a block that lies in the map as n pieces of `size` bytes: the range is
 * checked whole first, as the kernel's access_ok does, so a block running past the top of user
 * space writes nothing, and a fault leaves every byte before it written. The length is the
 * kernel's u32 product.
 */
static inline int gather(char *dst, const void *const *src, uint32_t n, uint32_t size)
{
	uint32_t left = n * size;

	if (!left)
		return 0;
	if (obviously_bad(dst, left))
		return -EFAULT;
#ifdef EMU_ARCH_FIXUP
	/* One pass in the fixup region, not a call per piece; after a fault the pieces are copied
	 * again one by one, rewriting the same bytes, to find the exact point of the fault. */
	if (!remote() && (uint64_t)n * size == left && !emu_fixup_gather(dst, src, n, size))
		return 0;
#endif
	return gather_exact(dst, src, left, size);
}

#ifdef EMU_ARCH_FIXUP
/* Elements [at, at + n) of `size` bytes lie at consecutive addresses: the kernel's u32 offsets
 * do not wrap within them. */
static bool no_wrap(uint32_t at, uint32_t n, uint32_t size)
{
	return (uint64_t)(at + (uint64_t)n - 1) * size <= UINT32_MAX;
}

/* Both buffers' elements [at, at + n) lie at consecutive addresses and pass the range check
 * whole: then each element's (or bucket's) block passes it too, and only a fault can stop one. */
static bool blocks_ok(uint64_t ukeys, uint64_t uvalues, uint32_t at, uint32_t n, uint32_t ks, uint32_t vs)
{
	return n && ks && vs && no_wrap(at, n, ks) && no_wrap(at, n, vs) &&
	       !obviously_bad(emu_uelem(ukeys, at, ks), (size_t)n * ks) &&
	       !obviously_bad(emu_uelem(uvalues, at, vs), (size_t)n * vs);
}

static bool fixup_run_size(uint32_t size) { return size == 4 || size == 8 || size == 16; }

/* The run in the fixup region, block after block; false at the first fault. The common sizes
 * in one call for the whole run: a call per block, two per bucket, was a third of a drain. */
static bool run_fast(char *kd, char *vd, const struct emu_bucket_run *r, uint32_t ks, uint32_t vs)
{
	uint32_t start = 0;

	if (fixup_run_size(ks) && fixup_run_size(vs)) {
		struct fixup_run p = { kd, r->keys, vd, r->values, r->end, r->end + r->nr, ks, vs,
				       (int64_t)((uintptr_t)r->values - (uintptr_t)r->keys) };

		return !emu_fixup_run(&p);
	}

	for (uint32_t s = 0; s < r->nr; start = r->end[s++]) {
		uint32_t n = r->end[s] - start;

		if (emu_fixup_gather(kd + (size_t)start * ks, r->keys + start, n, ks) ||
		    emu_fixup_gather(vd + (size_t)start * vs, r->values + start, n, vs))
			return false;
	}
	return true;
}
#endif

/*
 * The batch copy-outs for a remote backend that writes spans (another process's memory, where each
 * write is a system call): the blocks the kernel would copy one by one, in its order, gathered into
 * one buffer and written in one call that stops where the first fault stops the kernel's copies.
 * A block whose range fails the check ends the list there, as the kernel's copy of it would fail
 * without writing. Returns the number of units (buckets, elements) written whole, or -1 when the
 * buffers could not be had (the caller then copies block by block).
 */
struct spans {
	struct emu_uspan *v;
	char *buf;
	size_t n, used, cap_v, cap_buf;
	bool stopped;
};

static bool spans_add(struct spans *sp, uint64_t dst, const void *const *src, uint32_t pieces, uint32_t size)
{
	uint32_t len = pieces * size; /* the kernel's u32 length, as gather() has it */

	if (sp->stopped || !len)
		return !sp->stopped;
	if (bad_range((void *)(uintptr_t)dst, len, remote()->top)) {
		sp->stopped = true;
		return false;
	}
	if (sp->n == sp->cap_v || sp->used + len > sp->cap_buf) {
		size_t cv = sp->cap_v * 2 + 16, cb = (sp->used + len) * 2 + 4096;
		struct emu_uspan *nv = sp->n == sp->cap_v ? realloc(sp->v, cv * sizeof(*nv)) : sp->v;
		char *nb;

		if (!nv)
			return false;
		sp->v = nv;
		if (sp->n == sp->cap_v)
			sp->cap_v = cv;
		if (sp->used + len > sp->cap_buf) {
			nb = realloc(sp->buf, cb);
			if (!nb)
				return false;
			sp->buf = nb;
			sp->cap_buf = cb;
		}
	}
	for (uint32_t i = 0, left = len; left; i++) {
		uint32_t c = size < left ? size : left;

		memcpy(sp->buf + sp->used + (size_t)i * size, src[i], c);
		left -= c;
	}
	sp->v[sp->n].addr = dst;
	sp->v[sp->n].len = len;
	sp->n++;
	sp->used += len;
	return true;
}

/* Write the spans; the units whole after it (unit u ends at span unit_end[u]). */
static uint32_t spans_write(struct spans *sp, const size_t *unit_end, uint32_t units)
{
	size_t done = sp->n ? remote()->write_spans(remote()->ctx, sp->buf, sp->used, sp->v, sp->n) : 0, at = 0;
	uint32_t u = 0;

	for (size_t i = 0; u < units; u++) {
		for (; i < unit_end[u]; i++)
			at += sp->v[i].len;
		if (at > done)
			break;
	}
	return u;
}

static int64_t remote_run(uint64_t ukeys, uint64_t uvalues, uint32_t at, const struct emu_bucket_run *r, uint32_t ks,
			  uint32_t vs, const char *keys, const void *const *values, uint32_t n)
{
	struct spans sp = { 0 };
	uint32_t units = r ? r->nr : n, added = 0, whole;
	size_t *unit_end = malloc(((size_t)units + 1) * sizeof(*unit_end));
	const void **kp = NULL;
	int64_t ret = -1;

	if (!unit_end)
		return -1;
	if (!r) {
		kp = malloc(((size_t)n + 1) * sizeof(*kp));
		if (!kp)
			goto out;
		for (uint32_t i = 0; i < n; i++)
			kp[i] = keys + (size_t)i * ks;
	}
	for (uint32_t u = 0, start = 0; u < units; u++) {
		uint32_t cnt = r ? r->end[u] - start : 1;
		const void *const *ksrc = r ? (const void *const *)r->keys + start : kp + u;
		const void *const *vsrc = r ? (const void *const *)r->values + start : values + u;
		uint32_t idx = at + (r ? start : u);
		bool ok = spans_add(&sp, (uint64_t)(uintptr_t)emu_uelem(ukeys, idx, ks), ksrc, cnt, ks) &&
			  spans_add(&sp, (uint64_t)(uintptr_t)emu_uelem(uvalues, idx, vs), vsrc, cnt, vs);

		if (!ok && !sp.stopped)
			goto out; /* no memory: the caller copies block by block */
		unit_end[u] = sp.n;
		if (!ok)
			break; /* a range the kernel's check refuses: nothing from here on */
		added = u + 1;
		if (r)
			start = r->end[u];
	}
	whole = spans_write(&sp, unit_end, added);
	ret = whole;
out:
	free(sp.v);
	free(sp.buf);
	free(unit_end);
	free(kp);
	return ret;
}

uint32_t emu_copy_run_to_user(uint64_t ukeys, uint64_t uvalues, uint32_t at, const struct emu_bucket_run *r,
			      uint32_t ks, uint32_t vs)
{
	uint32_t s, start = 0, total = r->nr ? r->end[r->nr - 1] : 0;

	emu_sigfault_ensure();
	if (remote() && remote()->write_spans) {
		int64_t whole = remote_run(ukeys, uvalues, at, r, ks, vs, NULL, NULL, 0);

		if (whole >= 0)
			return (uint32_t)whole;
	}
#ifdef EMU_ARCH_FIXUP
	/* After a fault the run is copied again block by block below, rewriting the same bytes in
	 * the same order, to stop exactly where the kernel does. */
	if (!remote() && blocks_ok(ukeys, uvalues, at, total, ks, vs) &&
	    run_fast(emu_uelem(ukeys, at, ks), emu_uelem(uvalues, at, vs), r, ks, vs))
		return r->nr;
#else
	(void)total;
#endif
	for (s = 0; s < r->nr; start = r->end[s++]) {
		uint32_t n = r->end[s] - start;

		if (gather(emu_uelem(ukeys, at + start, ks), r->keys + start, n, ks) ||
		    gather(emu_uelem(uvalues, at + start, vs), r->values + start, n, vs))
			break;
	}
	return s;
}

uint32_t emu_copy_pairs_to_user(uint64_t ukeys, uint64_t uvalues, uint32_t at, const char *keys,
				const void *const *values, uint32_t n, uint32_t ks, uint32_t vs)
{
	uint32_t i;

	emu_sigfault_ensure();
	if (remote() && remote()->write_spans) {
		int64_t whole = remote_run(ukeys, uvalues, at, NULL, ks, vs, keys, values, n);

		if (whole >= 0)
			return (uint32_t)whole;
	}
#ifdef EMU_ARCH_FIXUP
	/* One pass in the fixup region; after a fault the elements are copied again one by one,
	 * rewriting the same bytes in the same order, to stop exactly where the kernel's copies stop. */
	if (!remote() && blocks_ok(ukeys, uvalues, at, n, ks, vs)) {
		struct fixup_pairs p = { emu_uelem(ukeys, at, ks), keys, emu_uelem(uvalues, at, vs), values, n, ks, vs };

		if (!emu_fixup_pairs(&p))
			return n;
	}
#endif
	for (i = 0; i < n; i++)
		if (emu_copy_to_user(emu_uelem(ukeys, at + i, ks), keys + (size_t)i * ks, ks) ||
		    emu_copy_to_user(emu_uelem(uvalues, at + i, vs), values[i], vs))
			break;
	return i;
}

/* The field's address is formed as an integer: uattr may be NULL (a call with size 0 is valid),
 * and pointer arithmetic on NULL is undefined. */
int emu_put_user_u32(void *uattr, unsigned off, uint32_t v)
{
	return emu_copy_to_user((void *)((uintptr_t)uattr + off), &v, sizeof(v));
}

bool emu_user_writable(void *p)
{
	if (obviously_bad(p, 1))
		return false;
	if (remote())
		return remote()->writable(remote()->ctx, (uint64_t)(uintptr_t)p);
	return emu_sigjmp_writable(p);
}
