/* SPDX-License-Identifier: MIT */
/*
 * The checks of bpf_check() that need no walk, in the kernel's order (check.h lists it), the
 * driver that runs them and the walk, and what an accepted program leaves behind (used maps,
 * ld_imm64 targets, xlated instructions, tag). Every refusal logs the kernel's line and returns
 * its errno; the stats line ends the log as print_verification_stats() ends it.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check_internal.h"

/* the program types whose ctx, helpers and return rules this module knows */
static bool type_supported(uint32_t t)
{
	return t < 64 && (EMU_HELPER_PROG_TYPES & EMU_PROG_BIT(t));
}

uint32_t chk_subprog_of(const struct chk *c, uint32_t insn)
{
	uint32_t lo = 0, hi = c->nsub;

	while (hi - lo > 1) {
		uint32_t mid = (lo + hi) / 2;

		if (c->sub_start[mid] <= insn)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* bpf_opcode_in_insntable(): the kernel's list of opcodes it knows, built by class. */
bool chk_opcode_valid(uint8_t code)
{
	uint8_t op = EMU_OP(code);

	switch (EMU_CLASS(code)) {
	case EMU_ALU:
	case EMU_ALU64:
		if (op == EMU_NEG)
			return EMU_SRC(code) == EMU_K;
		if (op == EMU_END)
			return EMU_CLASS(code) == EMU_ALU || EMU_SRC(code) == EMU_K;
		return op <= EMU_ARSH;
	case EMU_JMP:
		if (op == EMU_JA || op == EMU_CALL || op == EMU_EXIT || op == EMU_JCOND)
			return EMU_SRC(code) == EMU_K;
		return op <= EMU_JSLE;
	case EMU_JMP32:
		if (op == EMU_JA)
			return EMU_SRC(code) == EMU_K;
		return op <= EMU_JSLE && op != EMU_CALL && op != EMU_EXIT;
	case EMU_LD:
		if (code == EMU_LD_IMM64)
			return true;
		return (EMU_MODE(code) == EMU_ABS || EMU_MODE(code) == EMU_IND) && EMU_SIZE(code) != EMU_DW;
	case EMU_LDX:
		if (EMU_MODE(code) == EMU_MEM)
			return true;
		return EMU_MODE(code) == EMU_MEMSX && EMU_SIZE(code) != EMU_DW;
	case EMU_ST:
		return EMU_MODE(code) == EMU_MEM;
	case EMU_STX:
		return EMU_MODE(code) == EMU_MEM || EMU_MODE(code) == EMU_ATOMIC;
	}
	return false;
}

/* add_subprog_and_kfunc */
static int add_subprog(struct chk *c, int64_t off)
{
	uint32_t i;

	if (off >= c->cnt || off < 0) {
		vlog(c, "call to invalid destination\n");
		return -EINVAL;
	}
	for (i = 0; i < c->nsub; i++)
		if (c->sub_start[i] == off)
			return 0;
	if (c->nsub >= EMU_MAX_SUBPROGS) {
		vlog(c, "too many subprograms\n");
		return -E2BIG;
	}
	/* keep them sorted */
	for (i = c->nsub; i > 0 && c->sub_start[i - 1] > off; i--)
		c->sub_start[i] = c->sub_start[i - 1];
	c->sub_start[i] = (uint32_t)off;
	c->nsub++;
	return 0;
}

static int add_subprogs(struct chk *c)
{
	int err = add_subprog(c, 0);

	for (uint32_t i = 0; !err && i < c->cnt; i++) {
		const struct emu_insn *in = &c->insn[i];

		if (in->code == EMU_LD_IMM64 && in->src_reg == EMU_PSEUDO_FUNC)
			err = add_subprog(c, (int64_t)i + in->imm + 1);
		else if (in->code == (EMU_JMP | EMU_CALL) && in->src_reg == EMU_PSEUDO_CALL)
			err = add_subprog(c, (int64_t)i + in->imm + 1);
		else if (in->code == (EMU_JMP | EMU_CALL) && in->src_reg == EMU_PSEUDO_KFUNC_CALL &&
			 (in->imm || in->off)) {
			/* kfuncs are found through vmlinux BTF, which the emulator does not have: what
			 * a kernel built without CONFIG_DEBUG_INFO_BTF answers. (imm 0 and off 0 is how
			 * libbpf leaves an unresolved weak kfunc: accepted where the verifier finds it
			 * dead, refused after the walk where it does not, as the kernel's fixup does.) */
			vlog(c, "calling kernel function is not supported without CONFIG_DEBUG_INFO_BTF\n");
			return -EMU_ENOTSUPP;
		}
	}
	if (err)
		return err;
	c->sub_start[c->nsub] = c->cnt;
	if (c->log->level & EMU_LOG_LEVEL2)
		for (uint32_t i = 0; i < c->nsub; i++)
			vlog(c, "func#%u @%u\n", i, c->sub_start[i]);
	return 0;
}

/* check_subprogs: jumps within their subprogram; each one ends with exit or ja */
static int check_subprogs(struct chk *c)
{
	uint32_t cur = 0, start = 0, end = c->sub_start[1];

	for (uint32_t i = 0; i < c->cnt; i++) {
		const struct emu_insn *in = &c->insn[i];
		uint8_t code = in->code, cls = EMU_CLASS(code);

		if ((cls == EMU_JMP || cls == EMU_JMP32) && EMU_OP(code) != EMU_EXIT && EMU_OP(code) != EMU_CALL) {
			int64_t to = code == (EMU_JMP32 | EMU_JA) ? (int64_t)i + in->imm + 1 : (int64_t)i + in->off + 1;

			if (to < start || to >= end) {
				vlog(c, "jump out of range from insn %u to %lld\n", i, (long long)to);
				return -EINVAL;
			}
		}
		if (i == end - 1) {
			if (code != (EMU_JMP | EMU_EXIT) && code != (EMU_JMP32 | EMU_JA) && code != (EMU_JMP | EMU_JA)) {
				vlog(c, "last insn is not an exit or jmp\n");
				return -EINVAL;
			}
			start = end;
			cur++;
			if (cur < c->nsub)
				end = c->sub_start[cur + 1];
		}
	}
	return 0;
}

static uint32_t rd32(const void *base, uint32_t rec, uint32_t i, uint32_t field)
{
	uint32_t v;

	memcpy(&v, (const uint8_t *)base + (size_t)rec * i + field, 4);
	return v;
}

/*
 * check_btf_info_early: the func_info records on their own, before the subprograms are known:
 * record size, offsets starting at 0 and increasing, type ids naming FUNCs (through the BTF
 * hook). The kernel's messages here have no newline.
 */
static int check_btf_info_early(struct chk *c)
{
	const struct emu_prog_check_in *in = c->in;
	uint32_t rs = in->func_info_rec_size, prev = 0;

	if (!in->func_info_cnt)
		return 0;
	if (rs < 8 || rs > 252 || (rs & 3)) {
		vlog(c, "invalid func info rec size %u\n", rs);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < in->func_info_cnt; i++) {
		uint32_t off = rd32(in->func_info, rs, i, 0), tid = rd32(in->func_info, rs, i, 4);

		if (i == 0 && off) {
			vlog(c, "nonzero insn_off %u for the first func info record", off);
			return -EINVAL;
		}
		if (i && off <= prev) {
			vlog(c, "same or smaller insn offset (%u) than previous func info record (%u)", off, prev);
			return -EINVAL;
		}
		if (in->btf && in->btf_ops && in->btf_ops->type_is_func && !in->btf_ops->type_is_func(in->btf, tid)) {
			vlog(c, "invalid type id %u in func info", tid);
			return -EINVAL;
		}
		prev = off;
	}
	return 0;
}

/*
 * check_btf_info: func_info and line_info against the subprogram layout. What needs the BTF
 * itself goes through in->btf_ops; the caller resolves prog_btf_fd (no BTF with records given is
 * its answer to make).
 */
static int check_btf_info(struct chk *c)
{
	const struct emu_prog_check_in *in = c->in;

	if (in->func_info_cnt) {
		uint32_t rs = in->func_info_rec_size;

		if (in->func_info_cnt != c->nsub) {
			vlog(c, "number of funcs in func_info doesn't match number of subprogs\n");
			return -EINVAL;
		}
		for (uint32_t i = 0; i < in->func_info_cnt; i++) {
			if (rd32(in->func_info, rs, i, 0) != c->sub_start[i]) {
				vlog(c, "func_info BTF section doesn't match subprog layout in BPF program\n");
				return -EINVAL;
			}
		}
	}
	if (in->line_info_cnt) {
		uint32_t rs = in->line_info_rec_size, prev = 0, s = 0;

		if (rs < 16 || rs > 252 || (rs & 3)) {
			vlog(c, "invalid line_info rec size %u\n", rs);
			return -EINVAL;
		}
		for (uint32_t i = 0; i < in->line_info_cnt; i++) {
			uint32_t off = rd32(in->line_info, rs, i, 0), name = rd32(in->line_info, rs, i, 8);

			if ((i && off <= prev) || off >= c->cnt) {
				vlog(c, "Invalid line_info[%u].insn_off:%u (prev_offset:%u prog->len:%u)\n", i, off,
				     prev, c->cnt);
				return -EINVAL;
			}
			if (c->insn[off].code == 0 && off && c->insn[off - 1].code == EMU_LD_IMM64) {
				vlog(c, "Invalid insn code at line_info[%u].insn_off\n", i);
				return -EINVAL;
			}
			if (in->btf && in->btf_ops && in->btf_ops->str_ok && !in->btf_ops->str_ok(in->btf, name)) {
				vlog(c, "Invalid line_info[%u].line_off or .file_name_off\n", i);
				return -EINVAL;
			}
			while (s < c->nsub && c->sub_start[s] <= off) {
				if (c->sub_start[s] != off) {
					vlog(c, "missing bpf_line_info for func#%u\n", s);
					return -EINVAL;
				}
				s++;
			}
			prev = off;
		}
		if (s < c->nsub) {
			vlog(c, "missing bpf_line_info for %u funcs starting from func#%u\n", c->nsub - s, s);
			return -EINVAL;
		}
	}
	return 0;
}

static int add_used_map(struct chk *c, int fd, uint32_t *idx)
{
	struct emu_map_desc d;
	struct emu_prog_check_out *o = c->out;
	int err;

	memset(&d, 0, sizeof(d));
	err = c->in->resolve_map ? c->in->resolve_map(c->in->resolve_ctx, fd, &d) : -EBADF;
	if (err) {
		vlog(c, "fd %d is not pointing to valid bpf_map\n", fd);
		return err;
	}
	for (uint32_t i = 0; i < o->nr_maps; i++)
		if (o->maps[i].handle == d.handle) {
			*idx = i;
			return 0;
		}
	if (o->nr_maps >= EMU_MAX_USED_MAPS) {
		vlog(c, "BPF program has too many maps\n");
		return -E2BIG;
	}
	o->maps[o->nr_maps] = d;
	memset(&o->inner[o->nr_maps], 0, sizeof(o->inner[0]));
	if (d.has_inner) {
		struct emu_map_desc *in = &o->inner[o->nr_maps];

		in->type = d.inner_type;
		in->key_size = d.inner_key_size;
		in->value_size = d.inner_value_size;
		in->max_entries = d.inner_max_entries;
		in->map_flags = d.inner_map_flags;
	}
	*idx = o->nr_maps++;
	return 0;
}

/* check_map_prog_compatibility, the parts a map description decides */
static int map_prog_compatible(struct chk *c, const struct emu_map_desc *m)
{
	if (m->type == EMU_MAP_STRUCT_OPS) {
		vlog(c, "bpf_struct_ops map cannot be used in prog\n");
		return -EINVAL;
	}
	if ((c->in->prog_flags & EMU_F_SLEEPABLE)) {
		switch (m->type) {
		case EMU_MAP_HASH: case EMU_MAP_LRU_HASH: case EMU_MAP_ARRAY: case EMU_MAP_PERCPU_HASH:
		case EMU_MAP_PERCPU_ARRAY: case EMU_MAP_LRU_PERCPU_HASH: case EMU_MAP_ARRAY_OF_MAPS:
		case EMU_MAP_HASH_OF_MAPS: case EMU_MAP_RINGBUF: case EMU_MAP_USER_RINGBUF:
		case EMU_MAP_INODE_STORAGE: case EMU_MAP_SK_STORAGE: case EMU_MAP_TASK_STORAGE:
		case EMU_MAP_CGRP_STORAGE: case EMU_MAP_QUEUE: case EMU_MAP_STACK: case EMU_MAP_ARENA:
			break;
		default:
			vlog(c, "Sleepable programs can only use array, hash, ringbuf and local storage maps\n");
			return -EINVAL;
		}
	}
	if (c->in->prog_type == EMU_PROG_PERF_EVENT &&
	    (m->type == EMU_MAP_HASH || m->type == EMU_MAP_PERCPU_HASH || m->type == EMU_MAP_HASH_OF_MAPS) &&
	    (m->map_flags & EMU_F_NO_PREALLOC)) {
		vlog(c, "perf_event programs can only use preallocated hash map\n");
		return -EINVAL;
	}
	return 0;
}

/* resolve_pseudo_ldimm64 and the opcode sanity pass that shares its loop */
static int resolve_ldimm64(struct chk *c)
{
	for (uint32_t i = 0; i < c->cnt; i++) {
		const struct emu_insn *in = &c->insn[i];
		struct emu_ld_target *t = &c->out->ld[i];
		uint32_t idx;
		int32_t fd;
		int err;

		if (EMU_CLASS(in->code) == EMU_LDX &&
		    ((EMU_MODE(in->code) != EMU_MEM && EMU_MODE(in->code) != EMU_MEMSX) || in->imm != 0)) {
			vlog(c, "BPF_LDX uses reserved fields\n");
			return -EINVAL;
		}
		if (in->code != EMU_LD_IMM64) {
			if (!chk_opcode_valid(in->code)) {
				vlog(c, "unknown opcode %02x\n", in->code);
				return -EINVAL;
			}
			continue;
		}
		if (i == c->cnt - 1 || in[1].code || in[1].dst_reg || in[1].src_reg || in[1].off) {
			vlog(c, "invalid bpf_ld_imm64 insn\n");
			return -EINVAL;
		}
		c->flags[i + 1] |= IF_LDIMM2;
		switch (in->src_reg) {
		case 0:
			goto next;
		case EMU_PSEUDO_BTF_ID:
			/* needs vmlinux BTF: a kernel without it answers this */
			vlog(c, "kernel is missing BTF, make sure CONFIG_DEBUG_INFO_BTF=y is specified in Kconfig.\n");
			return -EINVAL;
		case EMU_PSEUDO_FUNC:
			t->kind = EMU_LDK_FUNC;
			t->off = (uint32_t)((int64_t)i + in->imm + 1);
			goto next;
		case EMU_PSEUDO_MAP_VALUE:
		case EMU_PSEUDO_MAP_IDX_VALUE:
			break;
		case EMU_PSEUDO_MAP_FD:
		case EMU_PSEUDO_MAP_IDX:
			if (in[1].imm == 0)
				break;
			/* fallthrough */
		default:
			vlog(c, "unrecognized bpf_ld_imm64 insn\n");
			return -EINVAL;
		}
		if (in->src_reg == EMU_PSEUDO_MAP_IDX || in->src_reg == EMU_PSEUDO_MAP_IDX_VALUE) {
			if (!c->in->fd_array) {
				vlog(c, "fd_idx without fd_array is invalid\n");
				return -EPROTO;
			}
			if ((uint32_t)in->imm >= c->in->fd_array_len)
				return -EFAULT;
			fd = c->in->fd_array[(uint32_t)in->imm];
		} else {
			fd = in->imm;
		}
		err = add_used_map(c, fd, &idx);
		if (err)
			return err;
		err = map_prog_compatible(c, &c->out->maps[idx]);
		if (err)
			return err;
		t->kind = EMU_LDK_MAP;
		t->map = idx;
		if (in->src_reg == EMU_PSEUDO_MAP_VALUE || in->src_reg == EMU_PSEUDO_MAP_IDX_VALUE) {
			const struct emu_map_desc *m = &c->out->maps[idx];
			uint32_t off = (uint32_t)in[1].imm;

			if (off >= EMU_MAX_VAR_OFF) {
				vlog(c, "direct value offset of %u is not allowed\n", off);
				return -EINVAL;
			}
			/* map_direct_value_addr: arrays (one element), and arena/insn arrays the
			 * emulator does not have */
			if (m->type != EMU_MAP_ARRAY) {
				vlog(c, "no direct value access support for this map type\n");
				return -EINVAL;
			}
			if (m->max_entries != 1 || off >= m->value_size) {
				vlog(c, "invalid access to map value pointer, value_size=%u off=%u\n", m->value_size, off);
				return m->max_entries != 1 ? -EMU_ENOTSUPP : -EINVAL;
			}
			t->kind = EMU_LDK_MAP_VALUE;
			t->off = off;
		}
next:
		i++;
	}
	return 0;
}

/* check_cfg: a depth-first walk of the control flow; every insn must be reached */
static int check_cfg(struct chk *c)
{
	uint8_t *seen = calloc(c->cnt + 1, 1);
	uint32_t *stack = malloc(sizeof(uint32_t) * (c->cnt + 1));
	uint32_t sp = 0;
	int err = 0;

	if (!seen || !stack) {
		free(seen);
		free(stack);
		return -ENOMEM;
	}
	/* every subprogram entry is a root: a subprogram only reached through a callback
	 * (ld_imm64 PSEUDO_FUNC) is walked from its ld_imm64 as the kernel does */
	stack[sp++] = 0;
	seen[0] = 1;
	while (sp && !err) {
		uint32_t t = stack[--sp];
		const struct emu_insn *in = &c->insn[t];
		uint8_t cls = EMU_CLASS(in->code), op = EMU_OP(in->code);
		int64_t succ[2];
		int ns = 0;

		if (cls != EMU_JMP && cls != EMU_JMP32) {
			succ[ns++] = t + (in->code == EMU_LD_IMM64 ? 2 : 1);
			if (in->code == EMU_LD_IMM64 && in->src_reg == EMU_PSEUDO_FUNC) {
				succ[ns++] = (int64_t)t + in->imm + 1;
				c->flags[t] |= IF_PRUNE;
			}
		} else if (op == EMU_EXIT) {
			continue;
		} else if (op == EMU_CALL) {
			succ[ns++] = t + 1;
			c->flags[t + 1 < c->cnt ? t + 1 : t] |= IF_PRUNE;
			if (in->src_reg == EMU_PSEUDO_CALL) {
				c->flags[t] |= IF_PRUNE;
				succ[ns++] = (int64_t)t + in->imm + 1;
			}
		} else if (op == EMU_JA) {
			succ[ns++] = (int64_t)t + (cls == EMU_JMP32 ? in->imm : in->off) + 1;
			if (succ[0] >= 0 && succ[0] < c->cnt)
				c->flags[succ[0]] |= IF_PRUNE;
		} else {
			c->flags[t] |= IF_PRUNE;
			succ[ns++] = t + 1;
			succ[ns++] = (int64_t)t + in->off + 1;
			if (succ[1] >= 0 && succ[1] < c->cnt)
				c->flags[succ[1]] |= IF_PRUNE;
		}
		for (int k = 0; k < ns; k++) {
			int64_t w = succ[k];

			if (w < 0 || w >= c->cnt) {
				vlog(c, "jump out of range from insn %u to %lld\n", t, (long long)w);
				err = -EINVAL;
				break;
			}
			if (!seen[w]) {
				seen[w] = 1;
				stack[sp++] = (uint32_t)w;
			}
		}
	}
	for (uint32_t i = 0; !err && i < c->cnt; i++) {
		if (!seen[i]) {
			vlog(c, "unreachable insn %u\n", i);
			err = -EINVAL;
		} else if (c->insn[i].code == EMU_LD_IMM64) {
			if (seen[i + 1]) {
				vlog(c, "jump into the middle of ldimm64 insn %u\n", i);
				err = -EINVAL;
			}
			i++;
		}
	}
	free(seen);
	free(stack);
	return err;
}

/*
 * check_max_stack_depth: along every chain of bpf-to-bpf calls from the main program, the sum of
 * the frames' stack (each rounded up to 16 bytes, as for a JITed program) stays within 512 and
 * the chain within 8 frames.
 */
static int stack_chain(struct chk *c, uint32_t sub, int depth, int frames)
{
	int me = c->sub_depth[sub] ? ((c->sub_depth[sub] + 15) & ~15) : 0;

	if (frames > EMU_MAX_CALL_FRAMES) {
		vlog(c, "the call stack of %d frames is too deep !\n", frames);
		return -E2BIG;
	}
	depth += me;
	if (depth > EMU_STACK_SIZE) {
		vlog(c, "combined stack size of %d calls is %d. Too large\n", frames, depth);
		return -EACCES;
	}
	for (uint32_t i = c->sub_start[sub]; i < c->sub_start[sub + 1]; i++) {
		const struct emu_insn *in = &c->insn[i];

		if (in->code == (EMU_JMP | EMU_CALL) && in->src_reg == EMU_PSEUDO_CALL) {
			int err = stack_chain(c, chk_subprog_of(c, i + in->imm + 1), depth, frames + 1);

			if (err)
				return err;
		}
	}
	return 0;
}

static void make_xlated(struct chk *c)
{
	struct emu_prog_check_out *o = c->out;

	o->xlated = malloc(sizeof(struct emu_insn) * c->cnt);
	if (!o->xlated)
		return;
	memcpy(o->xlated, c->insn, sizeof(struct emu_insn) * c->cnt);
	o->xlated_cnt = c->cnt;
	/* what bpftool shows of ld_imm64 of maps: the kernel stores the map's address, and
	 * bpf_insn_prepare_dump() turns it back into the map id (imm) and, for the value forms,
	 * the offset (next imm), with src_reg PSEUDO_MAP_FD / PSEUDO_MAP_VALUE */
	for (uint32_t i = 0; i < c->cnt; i++) {
		const struct emu_ld_target *t = &o->ld[i];

		if (t->kind == EMU_LDK_MAP || t->kind == EMU_LDK_MAP_VALUE) {
			o->xlated[i].imm = (int32_t)o->maps[t->map].id;
			o->xlated[i].src_reg = t->kind == EMU_LDK_MAP ? EMU_PSEUDO_MAP_FD : EMU_PSEUDO_MAP_VALUE;
			o->xlated[i + 1].imm = t->kind == EMU_LDK_MAP ? 0 : (int32_t)t->off;
		}
	}
}

static void print_stats(struct chk *c)
{
	if (c->log->level & EMU_LOG_STATS) {
		vlog(c, "verification time %llu usec\n", (unsigned long long)c->usec);
		vlog(c, "stack depth ");
		for (uint32_t i = 0; i < c->nsub; i++)
			vlog(c, i + 1 < c->nsub ? "%d+" : "%d", c->sub_depth[i]);
		vlog(c, "\n");
	}
	vlog(c, "processed %u insns (limit %u) max_states_per_insn %u total_states %u peak_states %u mark_read 0\n",
	     c->processed, EMU_COMPLEXITY_LIMIT, c->max_states_per_insn, c->total_states, c->peak_states);
}

int emu_prog_check(const struct emu_prog_check_in *in, struct emu_vlog *log, struct emu_prog_check_out *out)
{
	struct emu_vlog nolog = {0};
	struct timespec t0, t1;
	struct chk c;
	int err;

	memset(out, 0, sizeof(*out));
	if (!log)
		log = &nolog;
	if (!type_supported(in->prog_type))
		return -EINVAL;
	if (in->cnt == 0 || in->cnt > EMU_MAX_INSNS)
		return -E2BIG;
	if (in->prog_type == EMU_PROG_SYSCALL && !(in->prog_flags & EMU_F_SLEEPABLE)) {
		/* check_attach_btf_id runs after check_cfg; see below */
	}
	memset(&c, 0, sizeof(c));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	c.in = in;
	c.log = log;
	c.out = out;
	c.insn = in->insns;
	c.cnt = in->cnt;
	c.flags = calloc(in->cnt + 1, 1);
	c.live = calloc(in->cnt + 1, sizeof(uint16_t));
	out->ld = calloc(in->cnt, sizeof(*out->ld));
	out->lookup_map = calloc(in->cnt, sizeof(*out->lookup_map));
	if (!c.flags || !c.live || !out->ld || !out->lookup_map) {
		err = -ENOMEM;
		goto done;
	}
	err = check_btf_info_early(&c);
	if (!err)
		err = add_subprogs(&c);
	if (!err)
		err = check_subprogs(&c);
	if (!err)
		err = check_btf_info(&c);
	if (!err)
		err = resolve_ldimm64(&c);
	if (!err)
		err = check_cfg(&c);
	if (!err && in->prog_type == EMU_PROG_SYSCALL && !(in->prog_flags & EMU_F_SLEEPABLE)) {
		vlog(&c, "Syscall programs can only be sleepable\n");
		err = -EINVAL;
	}
	if (!err && (in->prog_flags & EMU_F_SLEEPABLE) && in->prog_type != EMU_PROG_SYSCALL &&
	    in->prog_type != EMU_PROG_KPROBE) {
		vlog(&c, "Only fentry/fexit/fmod_ret, lsm, iter, uprobe, and struct_ops programs can be sleepable\n");
		err = -EINVAL;
	}
	if (!err)
		err = chk_walk(&c);
	if (!err)
		err = stack_chain(&c, 0, 0, 1);
	/* the kernel drops the instructions its walk never reached, then fixes kfunc calls up */
	if (!err && c.unresolved_kfunc_seen) {
		vlog(&c, "invalid kernel function call not eliminated in verifier pass\n");
		err = -EINVAL;
	}
	out->nr_subprogs = c.nsub;
	for (uint32_t i = 0; i < c.nsub; i++) {
		out->subprog_start[i] = c.sub_start[i];
		out->stack_depth[i] = (uint16_t)c.sub_depth[i];
	}
	out->verified_insns = c.processed;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	c.usec = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000u + (uint64_t)(t1.tv_nsec - t0.tv_nsec) / 1000u;
	print_stats(&c);
	if (!err) {
		emu_prog_calc_tag(in->insns, in->cnt, out->tag);
		make_xlated(&c);
		if (!out->xlated)
			err = -ENOMEM;
	}
done:
	free(c.flags);
	free(c.live);
	return err;
}

void emu_prog_check_out_free(struct emu_prog_check_out *out)
{
	free(out->ld);
	free(out->lookup_map);
	free(out->xlated);
	out->ld = NULL;
	out->lookup_map = NULL;
	out->xlated = NULL;
}
