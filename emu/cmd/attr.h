/* SPDX-License-Identifier: MIT */
/* A command's attr as the kernel sees it: EMU_ATTR_SIZE raw bytes, read by offset (uapi/bpf_uapi.h). */
#ifndef BPFEMU_CMD_ATTR_H
#define BPFEMU_CMD_ATTR_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "../uapi/bpf_uapi.h"

/* Raw attr access by byte offset: fields newer than our uapi header are reachable too. */
struct emu_attr {
	unsigned char b[EMU_ATTR_SIZE];
	/* Set by emu_bpf_copy_attr(): every byte from `len` on is zero, so the commands' checks of
	 * their unused tails skip them. Left false by a memset, for attrs built by hand; fields
	 * written after the copy go through attr_set_u32(), which keeps `len` true. */
	bool len_known;
	uint32_t len;
};
static inline uint32_t attr_u32(const struct emu_attr *a, unsigned off)
{
	uint32_t v;
	memcpy(&v, a->b + off, 4);
	return v;
}
static inline uint64_t attr_u64(const struct emu_attr *a, unsigned off)
{
	uint64_t v;
	memcpy(&v, a->b + off, 8);
	return v;
}
static inline void *attr_ptr(const struct emu_attr *a, unsigned off)
{
	return (void *)(uintptr_t)attr_u64(a, off);
}
static inline void attr_set_u32(struct emu_attr *a, unsigned off, uint32_t v)
{
	memcpy(a->b + off, &v, 4);
	if (a->len < off + 4)
		a->len = off + 4;
}

/*
 * CHECK_ATTR: every byte from `from` (the end of the command's last field) to EMU_ATTR_SIZE must
 * be zero. The command table (cmd/syscall.c) applies it to every command before the command runs,
 * as each of the kernel's commands does first.
 */
static inline __attribute__((always_inline)) bool emu_attr_tail_zero(const struct emu_attr *a, unsigned from)
{
	static const unsigned char zero[EMU_ATTR_SIZE];
	/* bytes the caller did not pass are known zero: the usual call compares nothing */
	unsigned end = a->len_known ? a->len : EMU_ATTR_SIZE;
	uint64_t w0, w1;

	if (from >= end)
		return true;
	/* Up to two words, as past delete's key in libbpf's 32-byte attr: two loads (from is a
	 * constant wherever this is inlined), where the memcmp call was 28 instructions of a
	 * delete's 650. Past `end` the buffer is zero (see struct emu_attr), so the words may run
	 * over it. */
	if (!(from & 7) && from <= EMU_ATTR_SIZE - 16 && end - from <= 16) {
		memcpy(&w0, a->b + from, 8);
		memcpy(&w1, a->b + from + 8, 8);
		return !(w0 | w1);
	}
	return !memcmp(a->b + from, zero, end - from);
}

#endif
