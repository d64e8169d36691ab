/* SPDX-License-Identifier: MIT */
/*
 * What the emulator offers its front ends — the preload library and bpfemu-run (shim/), and the
 * seccomp supervisor (shim/supervisor/): the bpf() entry, and the few other questions a front end must answer for
 * programs (what an fd is, its fdinfo text, mmap of a map fd, paths on the emulated bpffs, the
 * CPU count). A front end includes this header and nothing else of emu/.
 */
#ifndef BPFEMU_FRONTEND_H
#define BPFEMU_FRONTEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cmd/attr.h"
#include "cmd/bpf.h"
#include "uaccess/uaccess.h" /* the seccomp supervisor's remote backend: another process's memory and fds */
#include "uapi/bpf_uapi.h"
#include "util/compiler.h"
#include "util/diag.h" /* EMU_FAULT: front ends plant their test faults the same way */

/* fd numbers that stop naming what they named leave the fd cache (core/fdcache.c) */
int emu_fdcache_enable(void);
void emu_fdcache_forget(int fd);
void emu_fdcache_forget_range(unsigned lo, unsigned hi);
/* fd is known to the fd cache as a map fd (a bpf() call on it was seen, and no close since) */
bool emu_fdcache_knows(int fd);
bool emu_fdcache_has(int fd); /* fd is cached as a map: a hint, not checked */
/* fn(fd) for every fd a command hands out (cmd/syscall.c): an object's */
void emu_set_new_fd_hook(void (*fn)(int fd));
/* fn(1) before and fn(-1) after each call of the public API (bpfemu_bpf, ...; cmd/bpf.h) */
void emu_set_api_guard(void (*fn)(int delta));

/* What an fd is (core/object.c, core/registry.c) */
bool emu_is_object_fd(int fd); /* a map or a program */
bool emu_is_prog_fd(int fd);
bool emu_is_btf_fd(int fd);    /* a BTF object (anon_inode:btf) */
bool emu_is_stats_fd(int fd);  /* a BPF_ENABLE_STATS fd (anon_inode:bpf-stats) */
int bpfemu_is_map_fd(int fd);
#ifndef EMU_OBJ_KIND_DEFINED
#define EMU_OBJ_KIND_DEFINED
enum emu_obj_kind { EMU_OBJ_NONE = 0, EMU_OBJ_MAP, EMU_OBJ_PROG, EMU_OBJ_BTF, EMU_OBJ_STATS };
#endif
struct stat;
/* The kind of object the file fd names (st: the caller's fstat of it), cheaply (core/object.h) */
int emu_fd_object_kind(int fd, const struct stat *st);

/* A map's shape as info and the trace show it, without holding it: 0 or -errno (not a map). */
struct emu_map_desc {
	uint32_t type, key_size, value_size, max_entries, map_flags, id, nr_cpus;
	uint32_t btf_id; /* 0: created without BTF */
	uint32_t value_bytes; /* what user buffers hold for one value (per-CPU: every CPU's slot) */
};
int emu_map_describe(int fd, struct emu_map_desc *d);

/* The object lines of /proc/self/fdinfo/N (cmd/info.c: maps; cmd/btf.c: "btf_id:"); -errno if fd
 * is not ours */
int emu_fdinfo(int fd, char *buf, size_t len);
/* mmap() of a map fd (cmd/fd_ops.c): 0 and where to map, -errno, or 1 when fd is not a map */
int emu_map_mmap_check(int fd, size_t len, int prot, int flags, off_t off, off_t *file_off);
/* ... and the mapping itself, made as the kernel makes it: 0 and *out, -errno, or 1 when fd is not a
 * map; *maywrite: whether the mapping may become writable (mprotect) */
int emu_map_mmap(int fd, void *addr, size_t len, int prot, int flags, off_t off, void **out, bool *maywrite);
/* A program is about to map fd's map writable by itself (the seccomp supervisor): FREEZE will look
 * for its mapping in /proc. 0, or -EBADF when fd is not a map. */
int emu_map_mark_wmapped(int fd);
#include "cmd/fd_ops.h"

/* How an emulator maps object files itself (core/map_file.c; the preload's mmap of an mmapable
 * array's values): MAP_SHARED_VALIDATE, which for the flags we pass is MAP_SHARED, and which bpf()
 * clients do not pass for a map fd. The seccomp supervisor lets such mappings through, so an
 * emulator inside a supervised process (a preloaded child, libbpfemu linked in) maps its files,
 * and checks every other mapping of a map fd as the kernel would. */
#define EMU_MAP_OWN 0x03

/* mmap(addr, len, prot, EMU_MAP_OWN | extra, fd, off), or MAP_SHARED where MAP_SHARED_VALIDATE is
 * refused with EINVAL: kernels before 4.15 and qemu-user (which runs the arm64 suite in CI) know
 * only MAP_SHARED and MAP_PRIVATE. Where the supervisor runs (5.0+), VALIDATE is always known. */
void *emu_mmap_own(void *addr, size_t len, int prot, int extra, int fd, off_t off);

/* Differential mode (shim/diffmode/): the hash maps this thread creates until it says false get the
 * hash seed BPF_F_ZERO_SEED gives them (0), without the flag, so their walks come out in the order
 * of a kernel twin created with the flag while the program sees its map as it made it
 * (maps/hashtab.c). */
void emu_force_zero_seed(bool on);

/* Whether a map type is emulated (maps/map_types.c) */
bool emu_map_type_emulated(uint32_t type);

/* Where the user's state lives (core/state.c): the state directory and the emulated bpffs. Paths
 * translate to the root only once it passed its checks: -errno (and one diagnostic) otherwise. */
const char *emu_state_dir(void);
const char *emu_bpffs_root(void);
int emu_bpffs_translate(const char *path, char *out, size_t outlen);

/* CPUs (core/cpus.c) */
uint32_t emu_nr_cpus(void);
int emu_cpulist_count(const char *list);
int emu_cpulist_read(const char *path, char *buf, size_t len);
int emu_sysfs_possible_cpus(void);

/* User memory (uaccess/): the fault-safe copies, and whether a write to p would fault */
int emu_copy_from_user(void *dst, const void *src, size_t n);
bool emu_user_writable(void *p);

/* The names of uapi/bpf_uapi.h come with it: emu_cmd_name(), emu_map_type_name(), ... */

#endif
