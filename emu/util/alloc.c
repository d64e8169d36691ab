/* SPDX-License-Identifier: MIT */
/* Heap memory for over-aligned types (see EMU_ZALLOC in compiler.h): malloc aligns to 16 bytes
 * only, and a struct with a 64-byte-aligned member written through a misaligned pointer is
 * undefined behaviour (UBSan reports it). Freed with free(). */
#include <stdlib.h>
#include <string.h>

#include "compiler.h"

void *emu_zalloc_aligned(size_t size, size_t align)
{
	void *p;

	if (align < sizeof(void *))
		align = sizeof(void *);
	if (posix_memalign(&p, align, emu_round_up64(size, align)))
		return NULL;
	memset(p, 0, size);
	return p;
}
