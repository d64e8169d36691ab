/* SPDX-License-Identifier: MIT */
/* Hash functions whose results the kernel shows: bucket placement, map content hashes. */
#ifndef BPFEMU_UTIL_HASH_H
#define BPFEMU_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>

/* jhash.c: the kernel's hash-table hash (lookup3) over a key, as htab_map_hash() computes it */
uint32_t emu_jhash_key(const void *key, uint32_t key_size, uint32_t seed);

/* jhash.c: a new map's hash seed (hash tables, bloom filters): 0 with BPF_F_ZERO_SEED in map_flags
 * or while this thread forces it (emu_force_zero_seed, frontend.h), else a random one; salt varies
 * the fallback where no random bytes can be had. */
uint32_t emu_new_hash_seed(uint32_t map_flags, uint32_t salt);

/* sha256.c */
void emu_sha256(const void *data, size_t len, unsigned char out[32]);

#endif
