/* SPDX-License-Identifier: MIT */
/*
 * bpf_loop (kernel/bpf/bpf_iter.c): the callback nr_loops times with the index and the context,
 * stopping early when it returns non-zero. The verifier often inlines the loop; the inlined form
 * has the same results (the same limit, flags check and return value).
 */
#include "helpers.h"

#define BPF_MAX_LOOPS (8u * 1024 * 1024)

HELPER(loop)
{
	uint32_t nr_loops = (uint32_t)r1, i;

	(void)r5;
	if (r4)
		return (uint64_t)(int64_t)-EINVAL;
	if (nr_loops > BPF_MAX_LOOPS)
		return (uint64_t)(int64_t)-E2BIG;
	for (i = 0; i < nr_loops; i++) {
		uint64_t ret = 0;

		if (emu_run_callback(run, r2, i, r3, 0, 0, 0, &ret))
			return 0; /* the run stops with the callback's error */
		if (ret)
			return (uint64_t)i + 1;
	}
	return i;
}
