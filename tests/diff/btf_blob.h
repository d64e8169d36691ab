/* SPDX-License-Identifier: MIT */
/*
 * A small hand-built BTF blob for the BTF object and BPF_F_LOCK tests (tests/diff/diff_btfobj.c,
 * tests/unit/test_btfobj.c): integers, bpf_spin_lock, bpf_timer and map values holding them at
 * various offsets. The type ids below are the blob's; values and their special fields:
 *
 *   BB_INT     int                                            4 bytes
 *   BB_VAL     struct val { int a; bpf_spin_lock l; int b; }  12, lock at 4
 *   BB_TV      struct tv { int a, pad; bpf_timer t; bpf_spin_lock l; int z; }  32: timer 8, lock 24
 *   BB_TONLY   struct tonly { bpf_timer t; u64 z; }           24, timer at 0, no lock
 *   BB_LOCK8   struct lock8 { bpf_spin_lock l; int v; }       8, lock at 0 (one aligned store)
 *   BB_LOCK4   struct lock4 { bpf_spin_lock l; }              4, nothing but the lock
 *   BB_BIG     struct big { char c[40]; bpf_spin_lock l; u64 t; }  56, lock at 40
 *   BB_U64     unsigned long long                             8
 */
#ifndef BPFEMU_TESTS_BTF_BLOB_H
#define BPFEMU_TESTS_BTF_BLOB_H

#include <stdint.h>
#include <string.h>

enum {
	BB_INT = 1, BB_SPIN = 2, BB_VAL = 3, BB_TIMER = 4, BB_U64 = 5, BB_U64X2 = 6, BB_TV = 7, BB_TONLY = 8,
	BB_LOCK8 = 9, BB_LOCK4 = 10, BB_CHAR = 11, BB_CHAR40 = 12, BB_BIG = 13, BB_NR_TYPES = 14,
};

struct bb_builder {
	unsigned char t[2048];
	uint32_t tl;
	char s[512];
	uint32_t sl;
};

static inline uint32_t bb_str(struct bb_builder *b, const char *s)
{
	uint32_t off;

	if (!s)
		return 0;
	off = b->sl;
	memcpy(b->s + off, s, strlen(s) + 1);
	b->sl += (uint32_t)strlen(s) + 1;
	return off;
}

static inline void bb_u32(struct bb_builder *b, uint32_t v)
{
	memcpy(b->t + b->tl, &v, 4);
	b->tl += 4;
}

static inline void bb_type(struct bb_builder *b, const char *name, uint32_t kind, uint32_t vlen, uint32_t size_type)
{
	bb_u32(b, bb_str(b, name));
	bb_u32(b, (kind << 24) | vlen);
	bb_u32(b, size_type);
}

static inline void bb_int(struct bb_builder *b, const char *name, uint32_t size, uint32_t encoding)
{
	bb_type(b, name, 1 /* INT */, 0, size);
	bb_u32(b, (encoding << 24) | (size * 8));
}

static inline void bb_member(struct bb_builder *b, const char *name, uint32_t type, uint32_t bit_off)
{
	bb_u32(b, bb_str(b, name));
	bb_u32(b, type);
	bb_u32(b, bit_off);
}

static inline void bb_array(struct bb_builder *b, uint32_t elem, uint32_t n)
{
	bb_type(b, NULL, 3 /* ARRAY */, 0, 0);
	bb_u32(b, elem);
	bb_u32(b, BB_INT); /* index type */
	bb_u32(b, n);
}

/* Writes the blob to out (room for 4096 bytes); returns its size. */
static inline uint32_t bb_blob(unsigned char *out)
{
	struct bb_builder b;
	uint32_t hdr[6] = { 0xeb9f | (1u << 16), 24, 0, 0, 0, 0 };

	memset(&b, 0, sizeof(b));
	b.sl = 1;
	bb_int(&b, "int", 4, 1 /* signed */);                                  /* 1 */
	bb_type(&b, "bpf_spin_lock", 4 /* STRUCT */, 1, 4);                     /* 2 */
	bb_member(&b, "val", BB_INT, 0);
	bb_type(&b, "val", 4, 3, 12);                                           /* 3 */
	bb_member(&b, "a", BB_INT, 0);
	bb_member(&b, "l", BB_SPIN, 32);
	bb_member(&b, "b", BB_INT, 64);
	bb_type(&b, "bpf_timer", 4, 1, 16);                                     /* 4 */
	bb_member(&b, "x", BB_U64X2, 0);
	bb_int(&b, "long long unsigned int", 8, 0);                             /* 5 */
	bb_array(&b, BB_U64, 2);                                                /* 6 */
	bb_type(&b, "tv", 4, 5, 32);                                            /* 7 */
	bb_member(&b, "a", BB_INT, 0);
	bb_member(&b, "pad", BB_INT, 32);
	bb_member(&b, "t", BB_TIMER, 64);
	bb_member(&b, "l", BB_SPIN, 192);
	bb_member(&b, "z", BB_INT, 224);
	bb_type(&b, "tonly", 4, 2, 24);                                         /* 8 */
	bb_member(&b, "t", BB_TIMER, 0);
	bb_member(&b, "z", BB_U64, 128);
	bb_type(&b, "lock8", 4, 2, 8);                                          /* 9 */
	bb_member(&b, "l", BB_SPIN, 0);
	bb_member(&b, "v", BB_INT, 32);
	bb_type(&b, "lock4", 4, 1, 4);                                          /* 10 */
	bb_member(&b, "l", BB_SPIN, 0);
	bb_int(&b, "char", 1, 0);                                               /* 11 */
	bb_array(&b, BB_CHAR, 40);                                              /* 12 */
	bb_type(&b, "big", 4, 3, 56);                                           /* 13 */
	bb_member(&b, "c", BB_CHAR40, 0);
	bb_member(&b, "l", BB_SPIN, 320);
	bb_member(&b, "t", BB_U64, 384);
	hdr[2] = 0;      /* type_off */
	hdr[3] = b.tl;   /* type_len */
	hdr[4] = b.tl;   /* str_off */
	hdr[5] = b.sl;   /* str_len */
	memcpy(out, hdr, 24);
	memcpy(out + 24, b.t, b.tl);
	memcpy(out + 24 + b.tl, b.s, b.sl);
	return 24 + b.tl + b.sl;
}

#endif
