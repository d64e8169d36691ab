/* SPDX-License-Identifier: MIT */
/*
 * The kernel's Internet checksum arithmetic as x86-64 Linux computes it (csum.c):
 * csum_partial's 32-bit partial sums differ between architectures in representation, and
 * programs see them (bpf_csum_diff), so the oracle's (this project's reference machine's) are
 * reproduced, portably, from little-endian loads.
 */
#ifndef BPFEMU_PROG_HELPERS_CSUM_H
#define BPFEMU_PROG_HELPERS_CSUM_H

#include <stdint.h>

uint32_t emu_csum_partial(const void *buf, uint32_t len, uint32_t sum);
uint16_t emu_csum_fold(uint32_t sum);
static inline uint32_t emu_csum_add(uint32_t a, uint32_t b)
{
	uint32_t r = a + b;

	return r + (r < b);
}
static inline uint32_t emu_csum_sub(uint32_t a, uint32_t b) { return emu_csum_add(a, ~b); }

#endif
