/* SPDX-License-Identifier: MIT */
/*
 * The program tag (bpf_prog_calc_tag): the kernel names a program by the first 8 bytes of a
 * digest of its instructions, with map references zeroed so that the same program loaded against
 * different map fds has the same tag. Linux 6.18 digests with SHA-256 (older kernels used SHA-1;
 * observed: the tag of {r0 = 0; exit} is 59f4a931744dcdc6, the SHA-256 prefix).
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "../util/hash.h" /* emu_sha256 */

/* The kernel hashes the instructions as they are after the checks, with the immediates of map
 * ld_imm64 zeroed (both halves); everything else, PSEUDO_FUNC and BTF ids included, as given. */
void emu_prog_calc_tag(const struct emu_insn *insns, uint32_t cnt, uint8_t tag[8])
{
	uint8_t digest[32];
	struct emu_insn *copy = NULL;
	size_t bytes = (size_t)cnt * sizeof(*insns);

	copy = bytes ? malloc(bytes) : NULL;
	if (bytes && !copy) {
		memset(tag, 0, 8);
		return;
	}
	if (bytes)
		memcpy(copy, insns, bytes);
	for (uint32_t i = 0; i + 1 < cnt; i++) {
		if (copy[i].code != EMU_LD_IMM64)
			continue;
		switch (copy[i].src_reg) {
		case EMU_PSEUDO_MAP_FD:
		case EMU_PSEUDO_MAP_VALUE:
		case EMU_PSEUDO_MAP_IDX:
		case EMU_PSEUDO_MAP_IDX_VALUE:
			copy[i].imm = 0;
			copy[i + 1].imm = 0;
			break;
		default:
			break;
		}
		i++;
	}
	emu_sha256(copy, bytes, digest);
	memcpy(tag, digest, 8);
	free(copy);
}
