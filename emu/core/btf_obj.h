/* SPDX-License-Identifier: MIT */
/*
 * BTF objects as files (core/btf_obj.c): what BPF_BTF_LOAD and BPF_BTF_GET_FD_BY_ID hand out.
 *
 * As every emulated object, a BTF object is a file whose fd is the object's fd (dup, fork,
 * SCM_RIGHTS and close need nothing of ours): an unnamed file in the bpffs root, or a memfd,
 * opened read-only and close-on-exec as the kernel's anon_inode:btf fd is. The file starts with
 * struct emu_btf_obj_hdr; a user BTF's blob follows it. The kernel's own BTF (vmlinux) is a header
 * only, with kernel_btf set: its blob is /sys/kernel/btf/<name>, read when asked for.
 *
 * Invariants: a BTF object is immutable once its fd is handed out; its id names that blob and
 * no other for as long as the id counter does not wrap (a map holding the BTF keeps a copy of
 * the blob and the id, see core/map.h, and may make a new file with the same id and bytes:
 * id and bytes are all a caller can observe of a BTF object). BTF objects cannot be pinned
 * (the kernel's BPF_OBJ_PIN knows maps, programs and links only).
 */
#ifndef BPFEMU_CORE_BTF_OBJ_H
#define BPFEMU_CORE_BTF_OBJ_H

#include <stdbool.h>
#include <stdint.h>

#define EMU_BTFOBJ_MAGIC 0x3166746275656670ULL /* "pfeubtf1" */
#define EMU_BTFOBJ_VERSION 1u
#define EMU_BTF_NAME_MAX 64u /* a module name (the kernel's MODULE_NAME_LEN, 56) fits */
#define EMU_BTF_VMLINUX_PATH "/sys/kernel/btf/vmlinux"

struct emu_btf_obj_hdr {
	uint64_t magic;
	uint32_t layout_version;
	uint32_t hdr_size;
	uint64_t file_size;
	uint32_t id;
	uint32_t data_size;  /* the blob's bytes (info's btf_size) */
	uint32_t kernel_btf; /* 1: the kernel's BTF, its blob in /sys/kernel/btf/<name> */
	uint32_t name_len;   /* strlen(name): "" for a user BTF */
	uint64_t data_off;   /* user BTF: where the blob starts in this file */
	char name[EMU_BTF_NAME_MAX];
};

struct emu_btf;

/*
 * A new user BTF object holding size bytes of data (already parsed and accepted), id 0 for a
 * new id from the BTF counter, else that id (a copy of a BTF a map holds). Its fd (read-only,
 * close-on-exec), or -errno (EMFILE, ENOMEM).
 */
int emu_btf_obj_new(const void *data, uint32_t size, uint32_t id);
/* A new fd of the kernel's vmlinux BTF, id 1: -ENOENT where /sys/kernel/btf/vmlinux is not readable. */
int emu_btf_obj_new_vmlinux(void);
/* Whether the kernel's vmlinux BTF can be listed here. */
bool emu_btf_vmlinux_available(void);

/*
 * btf_get_by_fd(): the header of the BTF object fd names. 0, -EBADF (no such fd, or an O_PATH fd,
 * which the kernel's fdget does not see), -EINVAL (not a BTF object).
 */
int emu_btf_obj_get(int fd, struct emu_btf_obj_hdr *h);
/* Bytes [0, n) of the object's blob to user memory at udst, as copy_to_user: the bytes before a
 * fault written, 0 or -EFAULT (-EIO if the file cannot be read). */
int emu_btf_obj_copy_to_user(int fd, const struct emu_btf_obj_hdr *h, void *udst, uint32_t n);
/* The object's blob in private memory (malloc'd, the caller frees): 0 or -errno. */
int emu_btf_obj_read(int fd, const struct emu_btf_obj_hdr *h, void **data);
/* The object parsed (emu_btf_parse, no log): 0 and *out, or -errno. */
int emu_btf_obj_parse(int fd, const struct emu_btf_obj_hdr *h, struct emu_btf **out);

#endif
