/* SPDX-License-Identifier: MIT */
/*
 * What the preload library's files share (shim/): preload.c (bpf() through syscall(), mmap of map
 * fds, fd numbers that change meaning), procfs.c (what an fd is: /proc/self/fd links, fdinfo, the
 * possible-CPU file), bpffs.c (paths on /sys/fs/bpf, redirected to the emulated bpffs).
 *
 * Real functions are resolved lazily with dlsym(RTLD_NEXT). A per-thread depth counter keeps our
 * own calls (the emulator opens and stats files too) from being intercepted again.
 */
#ifndef BPFEMU_SHIM_PRELOAD_H
#define BPFEMU_SHIM_PRELOAD_H

#include <dlfcn.h>
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <stdio.h>

#include "shim.h"

#define EXPORT __attribute__((visibility("default")))
#define BPF_FS_MAGIC 0xcafe4a11

/* The recursion guard (preload.c). Hidden, not static: syscall()'s assembly entry reads it too. */
extern __thread int shim_depth __attribute__((tls_model("initial-exec")));
#define depth shim_depth

/* Look the next definition up once; a NULL result is fatal only if the program calls it. */
#define REAL(ret, name, ...)                                                                        \
	static ret (*real_##name)(__VA_ARGS__);                                                     \
	static inline ret (*get_##name(void))(__VA_ARGS__)                                          \
	{                                                                                           \
		if (!__atomic_load_n(&real_##name, __ATOMIC_ACQUIRE))                              \
			__atomic_store_n(&real_##name, (ret(*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name), \
					 __ATOMIC_RELEASE);                                         \
		return real_##name;                                                                 \
	}

/* glibc declares path arguments nonnull, but a program may still pass NULL and expect EFAULT
 * from the kernel; hide the pointer from the optimizer so our NULL checks survive. */
static inline const char *opaque(const char *p)
{
	__asm__("" : "+r"(p));
	return p;
}

/* procfs.c: the files the preload fakes for a path (fdinfo of an emulated object, the possible
 * CPUs under BPFEMU_NR_CPUS) and the fd links it refuses to open (ENXIO): an fd or FILE of the
 * text, or -1/NULL and errno, with *handled set; *handled false when the path is none of them.
 * shim_fake_open takes a path relative to dirfd too (openat). */
int shim_fake_open(int dirfd, const char *path, int flags, bool *handled);
FILE *shim_fake_fopen(const char *path, bool *handled);
/* procfs.c: the fd one of this process's fd links names ("/proc/self/fd/3": 3), or -1 */
int shim_proc_own_fd(const char *path);
/* procfs.c: "maj:min:ino" of the anonymous inode, as lock lines name it */
void shim_anon_lock_id(char *buf, size_t len);

/* fdops.c, fdstat.c: file operations on object fds. Hints: fd numbers worth asking about (a hint is
 * checked before it is acted on; see there). */
void shim_fdops_init(void);
void shim_hint_set(int fd);
void shim_hint_clear(int fd);
void shim_hint_clear_range(unsigned lo, unsigned hi);
void shim_hint_copy(int oldfd, int newfd);
bool shim_hinted(int fd);
/* syscall(nr, ...) of a file operation on a hinted fd: the answer, *handled set */
long shim_fdop_syscall(long nr, long a0, long a1, long a2, long a3, long a4, long a5, bool *handled);
/* what fstat()/statx()/fstatfs() of an object fd show (st holds the real answer); true if changed */
struct stat;
struct stat64;
struct statx;
struct statfs;
bool shim_fix_stat(int fd, struct stat *st);
bool shim_fix_stat64(int fd, struct stat64 *st);
bool shim_fix_statx(int fd, struct statx *stx);
bool shim_fix_statfs(int fd, struct statfs *sfs);
/* the kernel's F_GETFL of an object fd from our file's flags */
int shim_visible_flags(int fl);
/* fdops.c: whether a hinted fd names an object (its kind, stat and real F_GETFL flags; O_PATH fds
 * too), and whether file operations answer for it (an object, not O_PATH) */
int shim_object_fd(int fd, struct stat *st, int *fl);
int shim_op_fd(int fd, int *fl); /* its kind (EMU_OBJ_*), 0 if none */
/* fdops.c: the program's own flock of a stats fd (0 none, 1 LOCK_SH, 2 LOCK_EX) */
int shim_stats_flock(int fd);
/* the anonymous inode's stat, statx, statfs, mount id and inode number (fdinfo's mnt_id, ino);
 * false if unknown */
bool shim_anon_stat(struct stat *st);
bool shim_anon_statx(struct statx *stx);
bool shim_anon_statfs(struct statfs *sfs);
bool shim_anon_ids(unsigned long long *mnt_id, unsigned long long *ino);

/* bpffs.c: what stat() of a pinned object shows (bpffs: size 0, one link) */
void shim_pin_stat(struct stat *st);
/* bpffs.c: a path on /sys/fs/bpf rewritten to the emulated root (buf), *on set when it is there;
 * NULL with *on set (and errno) when it is there but the emulated root was refused; the _at form
 * leaves a path relative to a directory fd alone (*on false) */
const char *shim_bpffs_path(const char *path, char *buf, size_t len, bool *on);
const char *shim_bpffs_path_at(int dirfd, const char *path, char *buf, size_t len, bool *on);

/* poll.c: an fd number closed or reused: its epoll registrations (as a map fd or an epoll fd) go */
void shim_poll_forget(int fd);
/* poll.c: poll()/ppoll() of fds among which a ring buffer's (fdstat.c's poll hands them over) */
int shim_map_ppoll(struct pollfd *fds, nfds_t n, int timeout_ms, const struct timespec *t, bool use_ts,
		   const sigset_t *sigmask);

#endif
