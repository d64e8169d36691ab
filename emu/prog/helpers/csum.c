/* SPDX-License-Identifier: MIT */
/*
 * Checksum helpers (net/core/filter.c): bpf_l3_csum_replace, bpf_l4_csum_replace, bpf_csum_diff,
 * and the arithmetic under them (csum.h): csum_partial as arch/x86/lib/csum-partial_64.c sums
 * (64-bit words with carry, two accumulators over 64-byte blocks, the tail zero-padded, folded
 * to 32 bits by adding the halves with the carry), csum_fold, csum_replace{2,4,_by_diff} and
 * inet_proto_csum_replace{2,4,_by_diff} (net/core/utils.c). A skb with CHECKSUM_COMPLETE
 * (BPF_F_TEST_SKB_CHECKSUM_COMPLETE) gets skb->csum updated as the kernel's do.
 */
#include "../../util/diag.h"
#include "csum.h"
#include "helpers.h"

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

uint32_t emu_csum_partial(const void *buf, uint32_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t t = sum;
	unsigned c;

	if (len == 40) { /* the IPv6-header case: one chain of five words, then the carry */
		c = 0;
		for (uint32_t w = 0; w < 40; w += 8) {
			uint64_t x = le64(p + w), s1 = t + x, s2 = s1 + c;

			c = (s1 < x) + (s2 < s1);
			t = s2;
		}
		t += c;
		len = 0;
	}
	if (len >= 64) {
		uint64_t acc = 0, carries = 0;
		int64_t l = (int64_t)len - 64;

		/* the loop, literally: res gets words 0..3 of each block with carry, tmp_accum words
		 * 4..7, each chain's last carry counted in tmp_carries */
		for (; l >= 0; l -= 64, p += 64) {
			unsigned cy = 0;
			uint64_t r = t;

			for (int w = 0; w < 4; w++) {
				uint64_t x = le64(p + 8 * w), s1 = r + x, s2 = s1 + cy;

				cy = (s1 < x) + (s2 < s1);
				r = s2;
			}
			carries += cy;
			t = r;
			cy = 0;
			r = acc;
			for (int w = 4; w < 8; w++) {
				uint64_t x = le64(p + 8 * w), s1 = r + x, s2 = s1 + cy;

				cy = (s1 < x) + (s2 < s1);
				r = s2;
			}
			carries += cy;
			acc = r;
		}
		len = (uint32_t)(l + 64);
		/* addq tmp_accum, res; adcq tmp_carries, res; adcq $0, res */
		{
			uint64_t s1 = t + acc, s2;
			unsigned cy = s1 < acc;

			s2 = s1 + carries + cy;
			t = s2 + (s2 < s1);
		}
	}
	c = 0;
	for (uint32_t blk = 32; blk >= 8; blk /= 2) {
		if (!(len & blk))
			continue;
		for (uint32_t w = 0; w < blk; w += 8) {
			uint64_t x = le64(p + w), s1 = t + x, s2 = s1 + c;

			c = (s1 < x) + (s2 < s1);
			t = s2;
		}
		t += c; /* adcq $0 */
		c = 0;
		p += blk;
	}
	if (len & 7) {
		uint8_t tail[8] = { 0 };
		uint64_t x;

		memcpy(tail, p, len & 7);
		x = le64(tail);
		t += x;
		t += t < x;
	}
	/* csum_finalize_sum: (t + ror64(t, 32)) >> 32 */
	{
		uint64_t r = t >> 32 | t << 32;

		return (uint32_t)((t + r) >> 32);
	}
}

uint16_t emu_csum_fold(uint32_t sum)
{
	/* x86: addl (sum << 16), (sum & 0xffff0000); adcl $0xffff; then ~ >> 16 */
	uint32_t a = sum & 0xffff0000u, b = sum << 16, r = a + b;

	r += 0xffff + (r < b);
	return (uint16_t)(~r >> 16);
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); } /* host-order view of __sum16 */
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }

/* csum16_add / csum16_sub on the 16-bit value as stored (native order: x86 little-endian) */
static uint16_t csum16_add(uint16_t csum, uint16_t addend)
{
	uint16_t res = (uint16_t)(csum + addend);

	return (uint16_t)(res + (res < addend));
}

static uint32_t le32v(uint32_t v) { return v; }

static void st32le(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* the __be32 values a program passes are the register's low 32 bits, as the kernel's u64 -> __be32 */
static void csum_replace4(uint8_t *sum, uint32_t from, uint32_t to)
{
	uint32_t tmp = emu_csum_sub(~(uint32_t)rd16(sum), le32v(from));

	wr16(sum, emu_csum_fold(emu_csum_add(tmp, le32v(to))));
}

static void csum_replace2(uint8_t *sum, uint16_t from, uint16_t to)
{
	wr16(sum, (uint16_t)~csum16_add(csum16_add((uint16_t)~rd16(sum), (uint16_t)~from), to));
}

static void csum_replace_by_diff(uint8_t *sum, uint32_t diff)
{
	wr16(sum, emu_csum_fold(emu_csum_add(diff, ~(uint32_t)rd16(sum))));
}

/* inet_proto_csum_replace4: a test_run skb is CHECKSUM_NONE or CHECKSUM_COMPLETE, never PARTIAL */
static void proto_replace4(struct emu_skb *skb, uint8_t *sum, uint32_t from, uint32_t to, bool pseudo)
{
	uint8_t d[8];

	st32le(d, ~from);
	st32le(d + 4, to);
	wr16(sum, emu_csum_fold(emu_csum_partial(d, 8, ~(uint32_t)rd16(sum))));
	if (skb->csum_complete && pseudo)
		skb->csum = ~emu_csum_partial(d, 8, ~skb->csum);
}

static void proto_replace_by_diff(struct emu_skb *skb, uint8_t *sum, uint32_t diff, bool pseudo, bool ipv6)
{
	wr16(sum, emu_csum_fold(emu_csum_add(diff, ~(uint32_t)rd16(sum))));
	if (skb->csum_complete && pseudo && !ipv6)
		skb->csum = ~emu_csum_add(diff, ~skb->csum);
}

#define BPF_F_HDR_FIELD_MASK 0xfull
#define BPF_F_PSEUDO_HDR (1ull << 4)
#define BPF_F_MARK_MANGLED_0 (1ull << 5)
#define BPF_F_MARK_ENFORCE (1ull << 6)
#define BPF_F_IPV6 (1ull << 7)
#define CSUM_MANGLED_0 0xffff

/* the skb of the run and the 2 bytes at offset, as bpf_try_make_writable finds them */
static uint8_t *csum_field(struct emu_run *run, uint64_t ctx, uint64_t offset, struct emu_skb **skbp,
			   const char *name, int *err)
{
	struct emu_prog_env *env = emu_prog_env_of(run);
	struct emu_skb *skb = env ? env->skb : NULL;

	*err = 0;
	if (!skb || ctx != (uint64_t)(uintptr_t)emu_run_ctx(run)) {
		emu_helper_fail(run, -EINVAL, "%s: r1 is not the program's skb", name);
		*err = 1;
		return NULL;
	}
	*skbp = skb;
	if ((uint32_t)offset > 0xffff || (offset & 1) || (uint32_t)offset + 2 > skb->len)
		return NULL;
	return skb->data + (uint32_t)offset;
}

HELPER(l3_csum_replace)
{
	struct emu_skb *skb;
	uint8_t *p;
	int bad;

	if (r5 & ~BPF_F_HDR_FIELD_MASK)
		return (uint64_t)(int64_t)-EINVAL;
	p = csum_field(run, r1, r2, &skb, "bpf_l3_csum_replace", &bad);
	if (bad)
		return 0;
	if (!p)
		return (uint64_t)(int64_t)-EFAULT;
	switch (r5 & BPF_F_HDR_FIELD_MASK) {
	case 0:
		if (r3)
			return (uint64_t)(int64_t)-EINVAL;
		csum_replace_by_diff(p, (uint32_t)r4);
		break;
	case 2:
		csum_replace2(p, (uint16_t)r3, (uint16_t)r4);
		break;
	case 4:
		csum_replace4(p, (uint32_t)r3, (uint32_t)r4);
		break;
	default:
		return (uint64_t)(int64_t)-EINVAL;
	}
	return 0;
}

HELPER(l4_csum_replace)
{
	bool pseudo = r5 & BPF_F_PSEUDO_HDR, mmzero = r5 & BPF_F_MARK_MANGLED_0, mforce = r5 & BPF_F_MARK_ENFORCE;
	bool ipv6 = r5 & BPF_F_IPV6;
	struct emu_skb *skb;
	uint8_t *p;
	int bad;

	if (r5 & ~(BPF_F_MARK_MANGLED_0 | BPF_F_MARK_ENFORCE | BPF_F_PSEUDO_HDR | BPF_F_HDR_FIELD_MASK | BPF_F_IPV6))
		return (uint64_t)(int64_t)-EINVAL;
	p = csum_field(run, r1, r2, &skb, "bpf_l4_csum_replace", &bad);
	if (bad)
		return 0;
	if (!p)
		return (uint64_t)(int64_t)-EFAULT;
	if (mmzero && !mforce && !rd16(p))
		return 0;
	switch (r5 & BPF_F_HDR_FIELD_MASK) {
	case 0:
		if (r3)
			return (uint64_t)(int64_t)-EINVAL;
		proto_replace_by_diff(skb, p, (uint32_t)r4, pseudo, ipv6);
		break;
	case 2:
		proto_replace4(skb, p, (uint16_t)r3, (uint16_t)r4, pseudo);
		break;
	case 4:
		proto_replace4(skb, p, (uint32_t)r3, (uint32_t)r4, pseudo);
		break;
	default:
		return (uint64_t)(int64_t)-EINVAL;
	}
	if (mmzero && !rd16(p))
		wr16(p, CSUM_MANGLED_0);
	return 0;
}

/* csum_from32to16 */
static uint16_t from32to16(uint32_t sum)
{
	sum += (sum >> 16) | (sum << 16);
	return (uint16_t)(sum >> 16);
}

HELPER(csum_diff)
{
	uint32_t from_size = (uint32_t)r2, to_size = (uint32_t)r4, seed = (uint32_t)r5, ret = seed;

	if (!emu_helper_mem(run, r1, from_size, EMU_MEM_READ, "bpf_csum_diff", "from") ||
	    !emu_helper_mem(run, r3, to_size, EMU_MEM_READ, "bpf_csum_diff", "to"))
		return 0;
	if (from_size && to_size)
		ret = emu_csum_sub(emu_csum_partial((const void *)(uintptr_t)r3, to_size, ret),
				   emu_csum_partial((const void *)(uintptr_t)r1, from_size, 0));
	else if (to_size)
		ret = emu_csum_partial((const void *)(uintptr_t)r3, to_size, ret);
	else if (from_size)
		ret = ~emu_csum_partial((const void *)(uintptr_t)r1, from_size, ~ret);
	if (EMU_FAULT("helper-csum")) /* test builds: a checksum off by one bit */
		ret ^= 0x100;
	return from32to16(ret);
}
