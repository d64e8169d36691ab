/* SPDX-License-Identifier: MIT */
/* The map families' ops tables (one per map type, as the kernel's), and the type table's lookup. */
#ifndef BPFEMU_MAPS_FAMILIES_H
#define BPFEMU_MAPS_FAMILIES_H

#include "../core/map.h"

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

#endif
