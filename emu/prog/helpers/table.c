/* SPDX-License-Identifier: MIT */
/*
 * The interpreter side of the helper table: which function runs each helper id, combined with the
 * loader's records (emu/prog/helper_protos.c: kinds, gpl_only, program types, `emulated`) into
 * the records the translator binds calls with (emu_helper_lookup). The loader's file stays the
 * loader's: its records are copied here once and given their fn.
 *
 * Invariant (tests/unit/test_helpers.c checks it): a record is emulated exactly when it has a
 * function here, except bpf_tail_call, which the run loop executes itself (XOP_TAIL_CALL).
 * Also the argument checks every helper file shares.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include "../../core/value.h"
#include "../test_run.h"
#include "helpers.h"

static const emu_helper_fn fns[EMU_NR_HELPERS] = {
#define X(n) [EMU_FN_##n] = emu_helper_##n,
	EMU_HELPER_FNS(X)
#undef X
};

emu_helper_fn emu_helper_fn_of(uint32_t id);
emu_helper_fn emu_helper_fn_of(uint32_t id)
{
	return id < EMU_NR_HELPERS ? fns[id] : NULL;
}

static struct emu_func_proto records[EMU_NR_HELPERS];
static pthread_once_t records_once = PTHREAD_ONCE_INIT;

static void records_init(void)
{
	for (uint32_t id = 1; id < EMU_NR_HELPERS; id++) {
		const struct emu_func_proto *p = emu_helper_proto(id);

		if (!p)
			continue;
		records[id] = *p;
		records[id].fn = fns[id];
	}
}

const struct emu_func_proto *emu_helper_lookup(void *cb_ctx, int32_t id)
{
	(void)cb_ctx;
	if (id <= 0 || id >= (int32_t)EMU_NR_HELPERS)
		return NULL;
	pthread_once(&records_once, records_init);
	return records[id].fn ? &records[id] : NULL;
}

/* ---- argument checks ---- */

uint64_t emu_helper_fail(struct emu_run *run, int err, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	emu_run_abort(run, err, msg);
	return 0;
}

struct emu_map *emu_helper_map(struct emu_run *run, uint64_t arg, const char *helper)
{
	const struct emu_prog_env *env = emu_prog_env_of(run);

	if (env)
		for (uint32_t i = 0; i < env->nr_maps; i++)
			if ((uint64_t)(uintptr_t)env->maps[i] == arg)
				return env->maps[i];
	emu_helper_fail(run, -EINVAL, "%s: %#llx is not a map of this program", helper, (unsigned long long)arg);
	return NULL;
}

bool emu_helper_mem(struct emu_run *run, uint64_t p, uint64_t n, uint32_t access, const char *helper,
		    const char *what)
{
	if (!n || emu_run_check(run, (const void *)(uintptr_t)p, n, access))
		return true;
	emu_helper_fail(run, -EFAULT, "%s: %s [%#llx, +%llu) is not %s by the program", helper, what,
			(unsigned long long)p, (unsigned long long)n,
			access & EMU_MEM_WRITE ? "writable" : "readable");
	return false;
}

uint32_t emu_helper_strlen(struct emu_run *run, uint64_t p, uint32_t max)
{
	for (uint32_t i = 0; i < max; i++) {
		const char *c = (const char *)(uintptr_t)(p + i);

		if (!emu_run_check(run, c, 1, EMU_MEM_READ))
			return 0;
		if (!*c)
			return i + 1;
	}
	return 0;
}

uint32_t emu_helper_value_access(const struct emu_map *m)
{
	uint32_t f = m->map_flags, a = 0;

	if (!(f & EMU_F_WRONLY_PROG))
		a |= EMU_MEM_READ;
	if (!(f & EMU_F_RDONLY_PROG))
		a |= EMU_MEM_WRITE;
	return a;
}
