/* SPDX-License-Identifier: MIT */
/*
 * A dynptr as the helpers see it (the kernel's struct bpf_dynptr_kern, kernel/bpf/helpers.c):
 * 16 bytes in the program's stack (or, for bpf_user_ringbuf_drain's callback, in the helper's
 * frame): the data pointer, a word of size (low 24 bits), type (bits 28-30) and read-only (bit
 * 31), and an offset into the data. A NULL data pointer is a dynptr the helpers refuse (what a
 * failed bpf_ringbuf_reserve_dynptr or bpf_dynptr_from_mem leaves). The program cannot read
 * these bytes (the loader refuses it); the helpers still check every byte they touch through one
 * against the run's regions.
 */
#ifndef BPFEMU_PROG_HELPERS_DYNPTR_H
#define BPFEMU_PROG_HELPERS_DYNPTR_H

#include <stdint.h>

struct emu_dynptr {
	void *data;
	uint32_t size;   /* size | type << 28 | rdonly << 31 */
	uint32_t offset;
} __attribute__((aligned(8)));

#define EMU_DYNPTR_SIZE 16
#define EMU_DYNPTR_MAX_SIZE ((1u << 24) - 1)
#define EMU_DYNPTR_SIZE_MASK 0xffffffu
#define EMU_DYNPTR_TYPE_SHIFT 28
#define EMU_DYNPTR_RDONLY (1u << 31)
#define EMU_DYNPTR_LOCAL 1u
#define EMU_DYNPTR_RINGBUF 2u

static inline void emu_dynptr_init(struct emu_dynptr *d, void *data, uint32_t type, uint32_t size)
{
	d->data = data;
	d->offset = 0;
	d->size = size | type << EMU_DYNPTR_TYPE_SHIFT;
}

static inline uint32_t emu_dynptr_len(const struct emu_dynptr *d) { return d->size & EMU_DYNPTR_SIZE_MASK; }

static inline uint32_t emu_dynptr_type(const struct emu_dynptr *d)
{
	return (d->size & ~EMU_DYNPTR_RDONLY) >> EMU_DYNPTR_TYPE_SHIFT;
}

#endif
