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

#ifdef __cplusplus
}
#endif
#endif
