/* SPDX-License-Identifier: MIT */
/*
 * Where a user's emulated objects live: the state directory (the id counters) and the bpffs root
 * that stands in for /sys/fs/bpf (the rules are at the top of core/statedir.c, which also checks
 * that a directory may hold them); object files and pins there (core/state.c); object ids, one
 * counter per kind of object for all of the user's processes.
 */
#ifndef BPFEMU_CORE_STATE_H
#define BPFEMU_CORE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum emu_state_kind { EMU_STATE_DIR, EMU_STATE_BPFFS };

/* ---- statedir.c: the rules, and the checks (no diagnostics; bpfemu-run links it alone) ---- */

/* The directory's path by the rules ("" when too long), and where the path came from, for messages. */
const char *emu_state_path(enum emu_state_kind k);
const char *emu_state_source(enum emu_state_kind k);
/* Whether path may hold bpfemu's state, creating what is missing (0700) when create is set: 0, or
 * -errno with the reason in why (EINVAL relative, EACCES not safe, ENOTDIR, or creation's errno). */
int emu_dir_check(const char *path, bool create, char *why, size_t len);
/* emu_dir_check() of the state directory or bpffs root, creating it; why names which and why. */
int emu_state_check(enum emu_state_kind k, char *why, size_t len);

/* ---- state.c ---- */

const char *emu_state_dir(void);
const char *emu_bpffs_root(void);
/* The directory checked (and created) once per process: 0, or -errno after one diagnostic line. */
int emu_state_ready(enum emu_state_kind k);
/* Map a caller's path onto the bpffs root: "/sys/fs/bpf/x" and "<root>/x" both name "<root>/x".
 * Returns 1 when the path is on the emulated bpffs, 0 when not, -errno on a bad path or when the
 * bpffs root was refused (emu_state_ready). */
int emu_bpffs_translate(const char *path, char *out, size_t outlen);
/* A new object's file: an unnamed file in the bpffs root (pinnable by a link), else a memfd named
 * memfd_name when the root cannot hold it; -errno when the state directories were refused. */
int emu_open_object_file(const char *memfd_name);
/* A file opened from the bpffs root is one of this user's objects of the current layout: 0, or
 * -EACCES after a diagnostic naming path (a file another user, or another bpfemu, left there). */
int emu_object_file_trusted(int fd, const char *path);

/*
 * Each kind of object has its own ids, as the kernel has one IDR per kind (map_idr, prog_idr,
 * btf_idr, link_idr): a map and a BTF object can both be id 5. Ids start at the kind's first id
 * and grow, as the kernel's cyclic allocator does until it wraps at INT_MAX. BTF ids start at 2:
 * id 1 is the kernel's own BTF (vmlinux), as on a kernel without module BTF.
 */
enum emu_id_kind { EMU_ID_MAP, EMU_ID_PROG, EMU_ID_BTF, EMU_ID_LINK, EMU_NR_ID_KINDS };
#define EMU_BTF_VMLINUX_ID 1u
uint32_t emu_alloc_id(enum emu_id_kind kind);
/* Opens the id counters now, while an fd may still be free: 0, or -errno when the state directory
 * was refused (a map is not created then). */
int emu_ids_init(void);

/* ftruncate() that never lets RLIMIT_FSIZE's SIGXFSZ reach the caller (EFBIG still returned) */
int emu_ftruncate_quiet(int fd, off_t size);

#endif
