/* SPDX-License-Identifier: MIT */
/*
 * Where a user's emulated objects live (core/state.c): the state directory (id counter) and the
 * bpffs root that stands in for /sys/fs/bpf; and the object ids, one counter per kind of object for
 * all of the user's processes.
 */
#ifndef BPFEMU_CORE_STATE_H
#define BPFEMU_CORE_STATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

const char *emu_state_dir(void);
const char *emu_bpffs_root(void);
/* creates the bpffs root if missing: 0 or -EACCES */
int emu_bpffs_ensure_root(void);
/* Map a caller's path onto the bpffs root: "/sys/fs/bpf/x" and "<root>/x" both name "<root>/x".
 * Returns 1 when the path is on the emulated bpffs, 0 when not, -errno on a bad path. */
int emu_bpffs_translate(const char *path, char *out, size_t outlen);
/* An unnamed file in the bpffs root for a new object (pinnable by a link), or -errno. */
int emu_open_object_file(void);

/*
 * Each kind of object has its own ids, as the kernel has one IDR per kind (map_idr, prog_idr,
 * btf_idr, link_idr): a map and a BTF object can both be id 5. Ids start at the kind's first id
 * and grow, as the kernel's cyclic allocator does until it wraps at INT_MAX. BTF ids start at 2:
 * id 1 is the kernel's own BTF (vmlinux), as on a kernel without module BTF.
 */
enum emu_id_kind { EMU_ID_MAP, EMU_ID_PROG, EMU_ID_BTF, EMU_ID_LINK, EMU_NR_ID_KINDS };
#define EMU_BTF_VMLINUX_ID 1u
uint32_t emu_alloc_id(enum emu_id_kind kind);
void emu_ids_init(void); /* opens the id counters now, while an fd may still be free */

/* ftruncate() that never lets RLIMIT_FSIZE's SIGXFSZ reach the caller (EFBIG still returned) */
int emu_ftruncate_quiet(int fd, off_t size);

#endif
