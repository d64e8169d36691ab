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
	struct emu_prog_hdr *hdr; /* the file, mapped read-write (the stats are written) */
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
};

/* A view of the program file written through fd (which stays the caller's), with the caller's
 * map views (held again here) and, if img is not NULL, its image (owned by the view once this
 * succeeds; the caller's still on failure). Held once for the caller. */
int emu_prog_view_new(int fd, struct emu_map *const *maps, uint32_t nr_maps, struct emu_prog_image *img,
		      struct emu_prog **out);
/* BPF_PROG_BIND_MAP added m: a view that holds its maps holds this one too. */
void emu_prog_view_bound(struct emu_prog *p, struct emu_map *m);
/* fdcache.c: a cache slot names p (delta 1) or stopped naming it (-1). */
void emu_prog_cache_ref(struct emu_prog *p, int delta);

#endif
