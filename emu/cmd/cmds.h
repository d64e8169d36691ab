/* SPDX-License-Identifier: MIT */
/*
 * The commands, each in the file named for it. cmd/syscall.c's table maps a command number to
 * its function and to the end of its last attr field (CHECK_ATTR, applied before the call); a
 * command then makes the rest of the kernel's checks in the kernel's order and answers with a
 * result (a new fd, 0) or -errno. Map families see only calls that passed.
 */
#ifndef BPFEMU_CMD_CMDS_H
#define BPFEMU_CMD_CMDS_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "attr.h"

union bpf_attr;
struct emu_map;

/* The access an fd's mode gives (the map's frozen state included): the kernel's FMODE_CAN_READ /
 * FMODE_CAN_WRITE and map->frozen checks, whose failure is EPERM. */
static inline bool emu_can_read(int accmode) { return accmode == 0 /* O_RDONLY */ || accmode == 2 /* O_RDWR */; }
bool emu_can_write(const struct emu_map *m, int accmode);
/* A name of an object as the kernel's bpf_obj_name_cpy takes it (syscall.c). */
bool emu_obj_name_ok(const char *name);

typedef int emu_cmd_fn(struct emu_attr *a, union bpf_attr *uattr);

/* map_create.c */
emu_cmd_fn emu_cmd_map_create;
/* map_elem.c */
emu_cmd_fn emu_cmd_map_lookup, emu_cmd_map_update, emu_cmd_map_delete, emu_cmd_map_get_next_key,
	emu_cmd_map_lookup_and_delete, emu_cmd_map_freeze;
/* map_batch.c */
emu_cmd_fn emu_cmd_map_lookup_batch, emu_cmd_map_lookup_and_delete_batch, emu_cmd_map_update_batch,
	emu_cmd_map_delete_batch;
/* info.c */
emu_cmd_fn emu_cmd_obj_get_info;
/* pin.c */
emu_cmd_fn emu_cmd_obj_pin, emu_cmd_obj_get;
/* ids.c */
emu_cmd_fn emu_cmd_map_get_next_id, emu_cmd_map_get_fd_by_id, emu_cmd_prog_get_next_id, emu_cmd_prog_get_fd_by_id;
/* btf.c */
emu_cmd_fn emu_cmd_btf_load, emu_cmd_btf_get_fd_by_id, emu_cmd_btf_get_next_id;
/* prog_load.c (prog_other.c: the types the load-time checks do not model) */
emu_cmd_fn emu_cmd_prog_load;
/* prog_test_run.c: the command's half of emu/prog/test_run.h */
emu_cmd_fn emu_cmd_prog_test_run;
/* prog_misc.c */
emu_cmd_fn emu_cmd_prog_bind_map, emu_cmd_enable_stats;
/* attach.c: attaching cannot reach the kernel's hooks; no link exists */
emu_cmd_fn emu_cmd_prog_attach, emu_cmd_prog_detach, emu_cmd_link_create, emu_cmd_raw_tracepoint_open,
	emu_cmd_link_update, emu_cmd_link_detach, emu_cmd_iter_create, emu_cmd_link_get_fd_by_id,
	emu_cmd_link_get_next_id;
/* The program type an attach type attaches (the kernel's attach_type_to_prog_type), UNSPEC for
 * none; prog_load.c's expected-attach-type check for the cgroup and sk_lookup types uses it too. */
uint32_t emu_attach_prog_type(uint32_t attach_type);
/* prog_info.c: BPF_OBJ_GET_INFO_BY_FD for a program (struct bpf_prog_info) and its fdinfo lines;
 * 1 when fd is no program */
int emu_prog_get_info(int fd, const struct emu_attr *a, union bpf_attr *uattr);
int emu_prog_fdinfo(int fd, char *buf, size_t len);

/* The generic batch loops (map_batch.c) that families point their batch ops at. */
int emu_batch_lookup_generic(struct emu_map *m, const struct emu_attr *a, union bpf_attr *uattr);
int emu_batch_update_generic(struct emu_map *m, const struct emu_attr *a, union bpf_attr *uattr);
int emu_batch_delete_generic(struct emu_map *m, const struct emu_attr *a, union bpf_attr *uattr);
/* The bucket-token batches of the hash family (batch_buckets / batch_buckets_delete ops). */
int emu_batch_lookup_buckets(struct emu_map *m, const struct emu_attr *a, union bpf_attr *uattr);
int emu_batch_lookup_and_delete_buckets(struct emu_map *m, const struct emu_attr *a, union bpf_attr *uattr);

/* ids.c: fn(arg, fd, path) for every regular file this process holds an fd to (path NULL), then
 * for every file pinned on the emulated bpffs (fd opened read-only for the call, path its pin),
 * until fn returns false. What is visible to the id commands; fn tells the objects apart. */
void emu_visit_objects(bool (*fn)(void *arg, int fd, const char *path), void *arg);

/* btf.c: the BTF side of MAP_CREATE (map_create.c calls it where the kernel takes btf_fd): the
 * BTF object btf_fd names, then map_check_btf, in the kernel's order (EBADF, EINVAL, EACCES for
 * the kernel's own BTF, the check's errno). On success c holds the BTF id, the type ids, the
 * value's special fields and the blob, in *blob (the caller frees it after the create). */
struct emu_create;
int emu_map_create_btf(const struct emu_attr *a, struct emu_create *c, void **blob);
/* btf.c: BPF_OBJ_GET_INFO_BY_FD for a BTF fd (struct bpf_btf_info); 1 when fd is no BTF object */
int emu_btf_get_info(int fd, const struct emu_attr *a, union bpf_attr *uattr);
/* btf.c: the BTF lines of /proc/self/fdinfo/N; -errno if fd is no BTF object */
int emu_btf_fdinfo(int fd, char *buf, size_t len);

/* info.c: bpf_check_uarg_tail_zero() of an info buffer: E2BIG past a page, or for a non-zero
 * byte from `from` (the end of the info struct) to len; EFAULT where those bytes cannot be read. */
int emu_info_tail_zero(const unsigned char *uinfo, uint32_t len, uint32_t from);
/* info.c: the object lines of /proc/self/fdinfo/N as the kernel prints them (maps, BTF objects);
 * -errno if fd is none */
int emu_fdinfo(int fd, char *buf, size_t len);
/* fd_ops.c: mmap() of a map fd, in the kernel's order. 0 (*file_off: where the caller's offset lies
 * in the map file), -errno, or 1 when fd is not an emulated map. */
int emu_map_mmap_check(int fd, size_t len, int prot, int flags, off_t off, off_t *file_off);
/* fd_ops.c: the mapping too, as the kernel makes it (see there): 0 and *out, -errno, or 1 when fd
 * is not a map; *maywrite: whether the mapping may ever be made writable */
int emu_map_mmap(int fd, void *addr, size_t len, int prot, int flags, off_t off, void **out, bool *maywrite);
#include "fd_ops.h"

#endif
