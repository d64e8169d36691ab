/* SPDX-License-Identifier: MIT */
/*
 * The small program commands: BPF_PROG_BIND_MAP (a map the program keeps alive without naming it
 * in an instruction, as libbpf binds .rodata) and BPF_ENABLE_STATS (run time and count recorded
 * while the returned fd is open), in 6.18's order of checks.
 */
#include <errno.h>

#include "../core/map.h"
#include "../core/prog_obj.h"
#include "cmds.h"

#define BPF_STATS_RUN_TIME 0u

int emu_cmd_prog_bind_map(struct emu_attr *a, union bpf_attr *uattr)
{
	struct emu_prog *p;
	struct emu_map *m;
	int mode, err;

	(void)uattr;
	if (attr_u32(a, BM_FLAGS))
		return -EINVAL;
	err = emu_prog_get((int)attr_u32(a, BM_PROG_FD), &p);
	if (err)
		return err;
	err = emu_map_get((int)attr_u32(a, BM_MAP_FD), &m, &mode);
	if (!err) {
		err = emu_prog_bind_map(p, m);
		emu_map_put(m);
	}
	emu_prog_put(p);
	return err;
}

int emu_cmd_enable_stats(struct emu_attr *a, union bpf_attr *uattr)
{
	(void)uattr;
	if (attr_u32(a, ES_TYPE) != BPF_STATS_RUN_TIME)
		return -EINVAL;
	return emu_prog_stats_fd();
}
