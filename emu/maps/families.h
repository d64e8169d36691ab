/* SPDX-License-Identifier: MIT */
/* The map families' ops tables (one per map type, as the kernel's), and the type table's lookup. */
#ifndef BPFEMU_MAPS_FAMILIES_H
#define BPFEMU_MAPS_FAMILIES_H

#include "../core/map.h"

struct emu_inner_tmpl;

extern const struct emu_map_ops emu_htab_ops;             /* hashtab.c */
extern const struct emu_map_ops emu_htab_percpu_ops;
extern const struct emu_map_ops emu_htab_lru_ops;         /* hashtab_lru.c */
extern const struct emu_map_ops emu_htab_lru_percpu_ops;
extern const struct emu_map_ops emu_array_ops;            /* arraymap.c */
extern const struct emu_map_ops emu_percpu_array_ops;
extern const struct emu_map_ops emu_queue_ops;            /* queue_stack.c */
extern const struct emu_map_ops emu_stack_ops;
extern const struct emu_map_ops emu_lpm_trie_ops;         /* lpm_trie.c */
extern const struct emu_map_ops emu_bloom_filter_ops;     /* bloom_filter.c */
extern const struct emu_map_ops emu_ringbuf_ops;          /* ringbuf.c */
extern const struct emu_map_ops emu_user_ringbuf_ops;
extern const struct emu_map_ops emu_array_of_maps_ops;    /* fd_array.c */
extern const struct emu_map_ops emu_prog_array_ops;
extern const struct emu_map_ops emu_perf_event_array_ops;
extern const struct emu_map_ops emu_hash_of_maps_ops;     /* map_in_map.c */
/* fd_array.c: a PROG_ARRAY's slot for a tail call: 0 and the program's id (0: empty), -E2BIG past
 * the end, -EINVAL for another map */
int emu_prog_array_slot(struct emu_map *m, uint32_t index, uint32_t *prog_id);

/* map_in_map.c: an ARRAY_OF_MAPS / HASH_OF_MAPS map's inner map template (the kernel's
 * inner_map_meta), which the program checker gives the register of a lookup's result: false for
 * any other map. A copy: the file's template is read once. */
struct emu_inner_meta {
	uint32_t map_type, key_size, value_size, max_entries, map_flags;
};
bool emu_inner_meta_of(struct emu_map *m, struct emu_inner_meta *out);
/* fd_array.c: an ARRAY_OF_MAPS map's template (NULL for any other map) */
const struct emu_inner_tmpl *emu_aom_tmpl(struct emu_map *m);

#endif
