/* SPDX-License-Identifier: MIT */
/* Which family's ops table serves which map type. */
#include "../core/map.h"
#include "../frontend.h"
#include "families.h"

static const struct emu_map_ops *const ops_by_type[EMU_NR_MAP_TYPES] = {
	[EMU_MAP_HASH] = &emu_htab_ops,
	[EMU_MAP_PERCPU_HASH] = &emu_htab_percpu_ops,
	[EMU_MAP_LRU_HASH] = &emu_htab_lru_ops,
	[EMU_MAP_LRU_PERCPU_HASH] = &emu_htab_lru_percpu_ops,
	[EMU_MAP_ARRAY] = &emu_array_ops,
	[EMU_MAP_PERCPU_ARRAY] = &emu_percpu_array_ops,
	[EMU_MAP_QUEUE] = &emu_queue_ops,
	[EMU_MAP_STACK] = &emu_stack_ops,
	[EMU_MAP_LPM_TRIE] = &emu_lpm_trie_ops,
	[EMU_MAP_BLOOM_FILTER] = &emu_bloom_filter_ops,
	[EMU_MAP_RINGBUF] = &emu_ringbuf_ops,
	[EMU_MAP_USER_RINGBUF] = &emu_user_ringbuf_ops,
	[EMU_MAP_ARRAY_OF_MAPS] = &emu_array_of_maps_ops,
	[EMU_MAP_HASH_OF_MAPS] = &emu_hash_of_maps_ops,
	[EMU_MAP_PROG_ARRAY] = &emu_prog_array_ops,
	[EMU_MAP_PERF_EVENT_ARRAY] = &emu_perf_event_array_ops,
};

const struct emu_map_ops *emu_ops_for_type(uint32_t map_type)
{
	return map_type < EMU_NR_MAP_TYPES ? ops_by_type[map_type] : NULL;
}

bool emu_is_percpu_type(uint32_t map_type)
{
	return map_type == EMU_MAP_PERCPU_HASH || map_type == EMU_MAP_LRU_PERCPU_HASH ||
	       map_type == EMU_MAP_PERCPU_ARRAY;
}


bool emu_map_type_emulated(uint32_t type)
{
	return emu_ops_for_type(type) != NULL;
}
