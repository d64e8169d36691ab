/* SPDX-License-Identifier: MIT */
/*
 * Where a user's emulated objects live (core/state.c): the state directory (id counter) and the
 * bpffs root that stands in for /sys/fs/bpf; and the object ids, one counter for all of the user's
 * processes.
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

/* Ids start at 1 and grow, as the kernel's cyclic allocator does until it wraps at INT_MAX. */
uint32_t emu_alloc_id(void);
void emu_ids_init(void); /* opens the id counter now, while an fd may still be free */

/* ftruncate() that never lets RLIMIT_FSIZE's SIGXFSZ reach the caller (EFBIG still returned) */
int emu_ftruncate_quiet(int fd, off_t size);

#endif
