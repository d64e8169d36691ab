/* SPDX-License-Identifier: MIT */
/*
 * bpfemu: Linux BPF maps emulated in user space, with the kernel's semantics.
 *
 * bpfemu_bpf() has the contract of the bpf(2) system call: same arguments,
 * same return value (a new fd, or 0), -1 with errno on failure, and the same
 * errno for every invalid input as the kernel this was measured on (6.18).
 */
#ifndef BPFEMU_BPFEMU_H
#define BPFEMU_BPFEMU_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/bpf.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BPFEMU_VERSION_MAJOR 0
#define BPFEMU_VERSION_MINOR 1
#define BPFEMU_VERSION_PATCH 0
#define BPFEMU_VERSION_STRING "0.1.0"

/* The kernel-internal ENOTSUPP leaks to user space through bpf(); <errno.h> has no name for it. */
#define BPFEMU_ENOTSUPP 524

/* The emulated bpf(2). `attr` is read as the kernel reads it: `size` bytes, zero-extended to the
 * kernel's union (168 bytes on 6.18), so attrs built against older or newer headers both work. */
int bpfemu_bpf(int cmd, union bpf_attr *attr, unsigned int size);

/* Library version as "MAJOR.MINOR.PATCH". */
const char *bpfemu_version(void);

/* 1 if fd refers to an emulated map, 0 if not (closed fds included). */
int bpfemu_is_map_fd(int fd);

/* Number of CPUs per-CPU maps are laid out for: the possible CPUs, as libbpf counts them
 * (/sys/devices/system/cpu/possible), or BPFEMU_NR_CPUS when set. */
int bpfemu_num_possible_cpus(void);

/* Structural consistency check of a map: its file's header still the shape this process adopted,
 * the locks and writer slots sound, every list, count and free pool walked (bounded). 0 when
 * consistent; -1 with errno EUCLEAN when not (one line on stderr names the map and the damaged
 * field, once per map), EINVAL for a file refused as no sound map file (also named), or the
 * usual fd errnos. A map file is shared memory any process sharing it can write: see
 * docs/SECURITY.md. */
int bpfemu_map_check(int fd);

/*
 * Fast path for the in-process API, opt-in. Each bpfemu_bpf() call on a map fd normally
 * identifies the map with an fstat() (a system call, most of the call's cost), because an fd
 * number closed with close() may name another file by the next call. A program that closes its
 * map fds only with bpfemu_close() can turn on the fd cache the preload library always keeps:
 * the map an fd named stays known until bpfemu_close(fd). Closing a cached map fd any other way
 * (close(), dup2() or dup3() onto it, close_range()) breaks that promise: a later call on the
 * number may reach the old map. Fds bpfemu_bpf() returns (new maps, BPF_OBJ_GET, ids) are
 * always looked up afresh. Under the preload library the cache is already on and this is a
 * no-op. 0, or -1 with errno.
 */
int bpfemu_fdcache_enable(void);

/* close(fd), first forgetting what the fd cache knows of it. Same return as close(). */
int bpfemu_close(int fd);

/*
 * Test API: what a BPF program would see, which user space cannot reach through bpf().
 * Options structs follow libbpf's convention: set .sz = sizeof(struct ...) so the library
 * can grow the struct without breaking callers; unknown trailing bytes must be zero.
 */
struct bpfemu_elem_opts {
	size_t sz;
	int cpu;          /* which CPU's slot of a per-CPU map; ignored otherwise */
	size_t :0;
};

/* Read one CPU's value_size bytes of a per-CPU map element (as bpf_map_lookup_elem in a program
 * running on `opts->cpu`). 0 or -1 with errno. */
int bpfemu_map_lookup_percpu(int fd, const void *key, void *value, const struct bpfemu_elem_opts *opts);

/* mmap() of a map fd as the kernel answers it: an BPF_F_MMAPABLE array's values, a ring buffer's
 * pages (its data mapped twice), the kernel's errno for anything else; any other fd is mmap()ed
 * as it is. Under the preload library mmap() itself does this. MAP_FAILED and errno on failure. */
void *bpfemu_mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset);

/*
 * Ring buffers (test API): what a BPF program's ring buffer helpers do, for a test that feeds a
 * RINGBUF, or drains a USER_RINGBUF, without a program. Consumers in any process (libbpf's
 * ring_buffer__poll on the map fd, epoll, poll) see the records and are woken as they would be by
 * a program's. flags are the helpers' BPF_RB_NO_WAKEUP / BPF_RB_FORCE_WAKEUP.
 */
/* bpf_ringbuf_output: 0, or -1 with errno EINVAL (flags, not a RINGBUF fd), EAGAIN (no room). */
int bpfemu_ringbuf_output(int map_fd, const void *data, uint64_t size, uint64_t flags);
/* bpf_ringbuf_reserve: size bytes of the ring to fill in this process, or NULL with errno (EAGAIN:
 * no room). The sample must then be submitted or discarded with the same fd; until then
 * consumers stop at it, as at a program's record not yet submitted. */
void *bpfemu_ringbuf_reserve(int map_fd, uint64_t size);
/* bpf_ringbuf_submit / bpf_ringbuf_discard: 0, or -1 with errno EINVAL (not a reserved sample) */
int bpfemu_ringbuf_submit(int map_fd, void *sample, uint64_t flags);
int bpfemu_ringbuf_discard(int map_fd, void *sample, uint64_t flags);
/* bpf_ringbuf_query: BPF_RB_AVAIL_DATA, _RING_SIZE, _CONS_POS or _PROD_POS; 0 for other flags
 * and fds */
uint64_t bpfemu_ringbuf_query(int map_fd, uint64_t flags);
/* bpf_user_ringbuf_drain: cb(ctx, data, size) for each sample user space committed to the
 * USER_RINGBUF, until it returns non-zero; the samples drained, or -1 with errno (EINVAL: flags,
 * or a sample the producer wrote wrong; E2BIG; EBUSY: another drain in progress). */
long bpfemu_user_ringbuf_drain(int map_fd, long (*cb)(void *ctx, const void *data, uint32_t size), void *ctx,
			       uint64_t flags);

#ifdef __cplusplus
}
#endif
#endif
