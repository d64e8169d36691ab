/* SPDX-License-Identifier: MIT */
/* What tests/e2e/e2e_fdops.c's modes share: the transcript ("case: answer" lines), bpf() calls,
 * and what an fd is (the anonymous inode every bpf object shares). */
#ifndef BPFEMU_E2E_FDOPS_CLIENT_H
#define BPFEMU_E2E_FDOPS_CLIENT_H

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/bpf.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <termios.h>
#include <unistd.h>

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif
#ifndef BPF_F_MMAPABLE
#define BPF_F_MMAPABLE (1U << 10)
#endif
#define PAGE 4096

extern const char *mode;
extern struct stat anon_st;
extern unsigned long long anon_mnt, anon_ino;
extern const char *test_dir;

void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void out(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *ename(int e);
void res(const char *name, long r);
void *mres(const char *name, void *p);
long sys_bpf(int cmd, union bpf_attr *a, size_t size);
int map_create(uint32_t type, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags);
int elem(int cmd, int fd, const void *key, void *value, uint64_t flags);
int update(int fd, uint32_t k, uint64_t v);
uint32_t map_id(int fd);
void lookup_res(const char *name, int fd, uint32_t k);
int freeze(int fd);
int info_res(int fd);
int fd_by_id(uint32_t id, uint32_t flags);
int obj_pin(int fd, const char *path);
int obj_get(const char *path, uint32_t flags);
void fdinfo_ids(int fd, unsigned long long *mnt, unsigned long long *ino);
void anon_init(void);
void print_proc_text(const char *name, int fd);
void print_proc_file(const char *name, const char *path);
void stat_res(const char *name, const struct stat *st);
void path_res(const char *name, const char *p);
void link_res(const char *name, const char *path);

/* A call's answer, or an earlier call's kept in a variable (errno is read right after expr: a
 * failed call's errno is still there) */
#define R(name, expr)                                                                               \
	do {                                                                                        \
		long r_ = (long)(expr);                                                             \
		res(name, r_);                                                                      \
	} while (0)

/* programs and BTF objects (fdops_objs.c) */
int prog_load(void);
int btf_load(void);
void test_run_res(const char *name, int fd);
/* every file operation on an object fd, then after(what, check_fd) (fdops_files.c) */
void fileops_on(const char *what, int fd, void (*after)(const char *what, int check_fd), int check_fd);

/* the modes (fdops_files.c, fdops_paths.c, fdops_objs.c) */
void mode_fileops(void);
void mode_mmap(void);
void mode_fdcache(void);
void mode_fdcache_raw(void);
void mode_emfile(bool hard);
void mode_fdinfo(void);
void peek(pid_t pid, int fd);
void inherited(int fd);
void mode_pins(void);
void mode_huge(void);
void mode_fill(unsigned mb);
void mode_memcg(void);
void mode_objects(void);
void inherited_prog(int fd);
void prog_pins(const char *dir);

#endif
