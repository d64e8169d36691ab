/* SPDX-License-Identifier: MIT */
/*
 * What a program learns about the attachment it runs for: bpf_get_attach_cookie (kernel/trace/
 * bpf_trace.c), the u64 given at attach time (perf_event, kprobe, tracepoint, raw tracepoint
 * links), read from the run's environment (emu_prog_env.attach_cookie). A test run has no
 * attachment: the kernel's raw tracepoint test_run runs the program under a zeroed run context,
 * so the cookie is 0 there (observed on 6.18), and so it is in every run emu_test_run() makes.
 */
#include "helpers.h"

HELPER(get_attach_cookie)
{
	const struct emu_prog_env *env = emu_prog_env_of(run);

	(void)r2, (void)r3, (void)r4, (void)r5;
	/* the verifier passes only the program's own context (ARG_PTR_TO_CTX) */
	if (r1 != (uint64_t)(uintptr_t)emu_run_ctx(run))
		return emu_helper_fail(run, -EINVAL, "bpf_get_attach_cookie: r1 is not the program's context");
	return env ? env->attach_cookie : 0;
}
