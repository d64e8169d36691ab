/* SPDX-License-Identifier: MIT */
/*
 * Bob Jenkins' lookup3 (public domain), in the two forms the kernel's hash maps use: over 32-bit
 * words when the key size is a multiple of 4, over bytes otherwise. Bucket order, and with it
 * BPF_F_ZERO_SEED iteration order, depends on matching it bit for bit.
 */
#include <stdbool.h>
#include <string.h>
#include <sys/random.h>
#include <sys/types.h>
#include <time.h>

#include "../uapi/bpf_uapi.h" /* EMU_F_ZERO_SEED */
#include "../frontend.h"        /* emu_force_zero_seed */
#include "hash.h"

static inline uint32_t rol32(uint32_t x, unsigned k) { return (x << k) | (x >> (32 - k)); }

#define LOOKUP3_MIX(a, b, c)                                                                       \
	do {                                                                                       \
		a -= c; a ^= rol32(c, 4); c += b;                                                  \
		b -= a; b ^= rol32(a, 6); a += c;                                                  \
		c -= b; c ^= rol32(b, 8); b += a;                                                  \
		a -= c; a ^= rol32(c, 16); c += b;                                                 \
		b -= a; b ^= rol32(a, 19); a += c;                                                 \
		c -= b; c ^= rol32(b, 4); b += a;                                                  \
	} while (0)

#define LOOKUP3_FINAL(a, b, c)                                                                     \
	do {                                                                                       \
		c ^= b; c -= rol32(b, 14);                                                         \
		a ^= c; a -= rol32(c, 11);                                                         \
		b ^= a; b -= rol32(a, 25);                                                         \
		c ^= b; c -= rol32(b, 16);                                                         \
		a ^= c; a -= rol32(c, 4);                                                          \
		b ^= a; b -= rol32(a, 14);                                                         \
		c ^= b; c -= rol32(b, 24);                                                         \
	} while (0)

static inline uint32_t load32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4); /* keys are not aligned in user buffers */
	return v;
}

static uint32_t hash_words(const unsigned char *k, uint32_t nwords, uint32_t seed)
{
	uint32_t a, b, c;

	a = b = c = 0xdeadbeefu + (nwords << 2) + seed;
	while (nwords > 3) {
		a += load32(k);
		b += load32(k + 4);
		c += load32(k + 8);
		LOOKUP3_MIX(a, b, c);
		nwords -= 3;
		k += 12;
	}
	switch (nwords) {
	case 3: c += load32(k + 8); /* fall through */
	case 2: b += load32(k + 4); /* fall through */
	case 1:
		a += load32(k);
		LOOKUP3_FINAL(a, b, c);
		break;
	default:
		break;
	}
	return c;
}

static uint32_t hash_bytes(const unsigned char *k, uint32_t len, uint32_t seed)
{
	uint32_t a, b, c, tail[3] = { 0, 0, 0 };

	a = b = c = 0xdeadbeefu + len + seed;
	while (len > 12) {
		a += (uint32_t)k[0] | (uint32_t)k[1] << 8 | (uint32_t)k[2] << 16 | (uint32_t)k[3] << 24;
		b += (uint32_t)k[4] | (uint32_t)k[5] << 8 | (uint32_t)k[6] << 16 | (uint32_t)k[7] << 24;
		c += (uint32_t)k[8] | (uint32_t)k[9] << 8 | (uint32_t)k[10] << 16 | (uint32_t)k[11] << 24;
		LOOKUP3_MIX(a, b, c);
		len -= 12;
		k += 12;
	}
	if (!len)
		return c;
	for (uint32_t i = 0; i < len; i++)
		tail[i / 4] |= (uint32_t)k[i] << (8 * (i % 4));
	a += tail[0];
	b += tail[1];
	c += tail[2];
	LOOKUP3_FINAL(a, b, c);
	return c;
}

uint32_t emu_jhash_key(const void *key, uint32_t key_size, uint32_t seed)
{
	if (key_size % 4 == 0)
		return hash_words(key, key_size / 4, seed);
	return hash_bytes(key, key_size, seed);
}

static __thread bool zero_seed_forced;

void emu_force_zero_seed(bool on)
{
	zero_seed_forced = on;
}

uint32_t emu_new_hash_seed(uint32_t map_flags, uint32_t salt)
{
	uint32_t s;

	if ((map_flags & EMU_F_ZERO_SEED) || zero_seed_forced)
		return 0;
	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) == (ssize_t)sizeof(s))
		return s;
	return (uint32_t)time(NULL) ^ (uint32_t)(uintptr_t)&s ^ salt * 0x9e3779b9u;
}
