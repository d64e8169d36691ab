/* SPDX-License-Identifier: MIT */
/*
 * A process's view of a program file (core/prog_view.c), private to core/ and the fd cache.
 */
#ifndef BPFEMU_CORE_PROG_VIEW_H
#define BPFEMU_CORE_PROG_VIEW_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "prog_obj.h"

struct emu_prog {
	/* the file, mapped read-write: only the stats, the bind lock and the used map list
	 * (nr_map_ids, clamped at each read; map_ids) are read or written through it */
	struct emu_prog_hdr *hdr;
	/* the header as it was checked when this process met the file (core/prog_file.c): every
	 * other field is read from here, never from the file again */
	struct emu_prog_hdr hc;
	size_t size;
	dev_t dev;
	ino_t ino;
	int refs;       /* holds of callers (emu_prog_get) */
	int cache_refs; /* fd-cache slots naming this view */

	/* made once, by the first caller that needs them (run_once) */
	pthread_mutex_t run_lock;
	int run_state;  /* 0: not made, 1: made, < 0: the errno making them gave */
	struct emu_map **maps; /* the used maps, each held by a reference of this view */
	uint32_t nr_maps, maps_cap;
	struct emu_region *regions;
	uint32_t nr_regions;
	struct emu_prog_image *img;
	/* the ld_imm64 records the image was translated with: the loader's, or those the
	 * re-check derived (never the file's as they are now) */
	struct emu_prog_ld *ld;
	uint32_t nr_ld;
	bool damage_said; /* the one diagnostic of this program's damage was printed */
};

/* A view of the program file written through fd (which stays the caller's), with the caller's
 * map views (held again here), its ld_imm64 records (copied) and, if img is not NULL, its image
 * (owned by the view once this succeeds; the caller's still on failure). Held once for the
 * caller. */
int emu_prog_view_new(int fd, struct emu_map *const *maps, uint32_t nr_maps, const struct emu_prog_ld *ld,
		      uint32_t nr_ld, struct emu_prog_image *img, struct emu_prog **out);
/* BPF_PROG_BIND_MAP added m: a view that holds its maps holds this one too. */
void emu_prog_view_bound(struct emu_prog *p, struct emu_map *m);
/* fdcache.c: a cache slot names p (delta 1) or stopped naming it (-1). */
void emu_prog_cache_ref(struct emu_prog *p, int delta);

/* ---- program files as untrusted input (core/prog_file.c) ---- */
struct stat;
/* The header h read from a file of st's size: 0, or -EINVAL with the field that is wrong in
 * *field (the diagnostic is the caller's: emu_prog_file_refused). */
int emu_prog_file_check_hdr(const struct emu_prog_hdr *h, uint64_t file_size, const char **field);
/* One diagnostic per refused file (by inode): "program file (inode N, prog id M) refused: ...". */
void emu_prog_file_refused(const struct stat *st, uint32_t id, const char *field);
/* Damage found in use: one diagnostic per view naming the program and the field; -EUCLEAN. */
int emu_prog_corrupt(struct emu_prog *p, const char *field);
/* The used map list's length as the file has it now, clamped to what the header can hold. */
uint32_t emu_prog_nr_map_ids(const struct emu_prog *p);
/*
 * The run state of a view made without the loader's image (another process's program, or this
 * one's after its view was swept): the instructions copied out of the file, run through the
 * loader's checks again (emu/prog/check.h) against the used maps this process resolved (p->maps,
 * in map_ids order) and the program's BTF, the ld_imm64 records derived from the checks (into
 * p->ld) and the image translated from the same private copy. 0, -EUCLEAN (the diagnostic
 * printed) or -ENOMEM.
 */
int emu_prog_file_recheck(struct emu_prog *p);

#endif
