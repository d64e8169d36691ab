/* SPDX-License-Identifier: MIT */
/*
 * The kernel's BPF LRU list (what LRU_HASH and LRU_PERCPU_HASH take their elements from),
 * reimplemented so that a workload evicts exactly the elements the kernel evicts.
 *
 * The state lives in the map's shared memory, which each process maps at its own address, so
 * nothing in it is a pointer: lists link elements by 32-bit index. The caller holds the map-wide
 * lock around every call.
 *
 * That memory is shared with processes that may write anything into it: the list state's shape
 * (element and CPU counts, batch and scan lengths) comes from the caller's context, computed from
 * the map's shape, and every index read from the lists is checked where it is used. A bad one
 * sets the context's `damaged` and is followed no further; every walk is bounded. The caller
 * answers EUCLEAN for the map.
 */
#ifndef BPFEMU_LRU_H
#define BPFEMU_LRU_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#define EMU_LRU_NIL UINT32_MAX
struct emu_lru_node {            /* embedded in every hash element */
	uint32_t next, prev;          /* element indices, EMU_LRU_NIL terminated */
	uint16_t cpu;                 /* owning CPU (per-CPU LRU) or CPU whose pending list holds it */
	uint8_t type;                 /* which list it is on */
	uint8_t ref;                  /* reference bit; the hash map sets it to 1 on a replacing update */
};
struct emu_lru;                   /* lives inside the map's shared memory, size from emu_lru_state_size() */
struct emu_lru_ctx {              /* per-call view, built by the caller from the mapping's base address */
	struct emu_lru *state;
	char *node_base;              /* address of element 0's struct emu_lru_node */
	size_t stride;                /* bytes between element i and i+1's nodes */
	/* the state's shape, from the map's (never read from the state) */
	uint32_t nr_elems, nr_cpus, target_free, nr_scans;
	bool percpu;
	bool damaged;                 /* out: a bad index or an endless list was met */
	struct emu_lru_node scratch;  /* what a bad index reads and writes instead of a node */
	/* remove element idx from the hash table if it is linked there; return true if it was */
	bool (*del_from_htab)(struct emu_lru_ctx *c, uint32_t idx);
	void *arg;
};
size_t emu_lru_state_size(uint32_t nr_cpus, bool percpu);
/* the refill batch and scan length of a map of nr_elems elements (what the context carries) */
void emu_lru_params(uint32_t nr_elems, uint32_t nr_cpus, bool percpu, uint32_t *target_free, uint32_t *nr_scans);
/* whether the state in the file has the context's shape: 0, or -1 with the field in *field */
int emu_lru_validate(const struct emu_lru_ctx *c, const char **field);
/* state memory is zero-filled on entry; nodes 0..nr_elems-1 become free */
void emu_lru_init(struct emu_lru_ctx *c);
/* a free node for an insert made on `cpu`, evicting as the kernel does; EMU_LRU_NIL if none */
uint32_t emu_lru_pop_free(struct emu_lru_ctx *c, uint32_t cpu);
/* give back a node (delete, replace, failed update) */
void emu_lru_push_free(struct emu_lru_ctx *c, uint32_t idx);
/* optional but wanted: structural self-check for a later consistency checker: walks every list,
   verifies prev/next agreement, node types, counts, no cycles; returns 0 or -1 */
int emu_lru_check(struct emu_lru_ctx *c);
/* whether node idx (< nr_elems) is handed out (its element should be in the hash table) */
bool emu_lru_node_in_use(const struct emu_lru_ctx *c, uint32_t idx);
/* crash recovery: rebuild every list from which nodes' elements are in the hash table */
void emu_lru_rebuild(struct emu_lru_ctx *c, bool (*in_table)(void *arg, uint32_t idx));
#endif
