/* SPDX-License-Identifier: MIT */
/*
 * The run-time permissions of a context (struct emu_ctx_desc.perm) from the load-time rules of
 * emu/prog/ctx.c (chk_ctx_access, the kernel's *_is_valid_access): a byte may be read (written)
 * at run time when some access the verifier accepts covers it. The verifier has already refused
 * every access it does not accept; these permissions are the run-time backstop behind it, and
 * every permitted byte goes through the context hooks (the kernel rewrites every context access
 * into an access to its own structures: convert_ctx_access).
 */
#include "check_internal.h"
#include "test_run_impl.h"

void emu_tr_ctx_perm(uint32_t prog_type, uint32_t expected_attach_type, uint8_t *perm, uint32_t size)
{
	struct emu_prog_check_in in = { .prog_type = prog_type, .expected_attach_type = expected_attach_type };
	struct chk c = { .in = &in };
	static const int sizes[4] = { 1, 2, 4, 8 };

	memset(perm, 0, size);
	for (uint32_t off = 0; off < size; off++) {
		for (int s = 0; s < 4; s++) {
			struct chk_ctx_access acc;

			if (off % (uint32_t)sizes[s] || off + (uint32_t)sizes[s] > size)
				continue;
			for (int w = 0; w < 2; w++) {
				if (chk_ctx_access(&c, (int32_t)off, sizes[s], w, &acc))
					continue;
				for (int i = 0; i < sizes[s]; i++)
					perm[off + (uint32_t)i] |= (w ? EMU_CTX_W : EMU_CTX_R) | EMU_CTX_HOOK;
			}
		}
	}
}
