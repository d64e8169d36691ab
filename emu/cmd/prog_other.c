/* SPDX-License-Identifier: MIT */
/*
 * BPF_PROG_LOAD for the program types the load-time checks (emu/prog/check.h) do not model:
 * cgroup, socket-level, LWT, flow dissector, sk_lookup, netfilter, tracing, struct_ops. None of
 * them can run or attach here; what a loader does with them is probe: libbpf's expected_attach_type
 * probe loads `r0 = 0; exit` as a CGROUP_SOCK program, bpftool's feature probe tries every type.
 *
 * So a program of one of these types is answered as 6.18 answers it when it is `r0 = imm; exit`
 * (BPF_MOV64 or BPF_MOV32 of a constant): accepted when the constant is in the type's return range
 * (check_return_code, measured per type and attach type), refused with the verifier's lines
 * otherwise. TRACING without an attach BTF id and STRUCT_OPS get the kernel's answers for them.
 * Anything else of these types is refused with EOPNOTSUPP and a diagnostic.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../prog/check.h"
#include "../uapi/bpf_uapi.h"
#include "../util/diag.h"
#include "prog_load.h"

/* The return range check_return_code demands of the type, false when it checks none. */
static bool ret_range(uint32_t type, uint32_t eat, int32_t *lo, int32_t *hi)
{
	*lo = 0;
	*hi = 1;
	switch (type) {
	case EMU_PROG_CGROUP_SOCK_ADDR:
		switch (eat) {
		case EMU_ATTACH_CGROUP_INET4_BIND:
		case EMU_ATTACH_CGROUP_INET6_BIND:
			*hi = 3;
			break;
		case EMU_ATTACH_CGROUP_UDP4_RECVMSG:
		case EMU_ATTACH_CGROUP_UDP6_RECVMSG:
		case EMU_ATTACH_CGROUP_UNIX_RECVMSG:
		case EMU_ATTACH_CGROUP_INET4_GETPEERNAME:
		case EMU_ATTACH_CGROUP_INET6_GETPEERNAME:
		case EMU_ATTACH_CGROUP_UNIX_GETPEERNAME:
		case EMU_ATTACH_CGROUP_INET4_GETSOCKNAME:
		case EMU_ATTACH_CGROUP_INET6_GETSOCKNAME:
		case EMU_ATTACH_CGROUP_UNIX_GETSOCKNAME:
			*lo = 1;
			break;
		}
		return true;
	case EMU_PROG_CGROUP_SOCK:
	case EMU_PROG_SOCK_OPS:
	case EMU_PROG_CGROUP_DEVICE:
	case EMU_PROG_CGROUP_SYSCTL:
	case EMU_PROG_CGROUP_SOCKOPT:
	case EMU_PROG_SK_LOOKUP:
	case EMU_PROG_NETFILTER:
		return true;
	default:
		return false;
	}
}

/* A scalar as the verifier log prints a register's constant value. */
static void scalar_str(char *buf, size_t n, int64_t v)
{
	if (v >= -32768 && v <= 32767)
		snprintf(buf, n, "%lld", (long long)v);
	else
		snprintf(buf, n, "%#llx", (unsigned long long)v);
}

/* The verifier's walk of `r0 = imm; exit` as it logs it. */
static void log_walk(struct emu_vlog *log, const struct emu_insn *in, int64_t r0, bool precise)
{
	char ins[48], val[32];
	int len;

	len = snprintf(ins, sizeof(ins), "0: (%02x) %s = %d", in->code, in->code == 0xb7 ? "r0" : "w0", in->imm);
	scalar_str(val, sizeof(val), r0);
	emu_vlog(log, "0: R1=ctx() R10=fp0\n");
	emu_vlog(log, "%s%*s; R0=%s\n", ins, len < 38 ? 38 - len : 1, "", val);
	emu_vlog(log, "1: (95) exit\n");
	if (precise) {
		emu_vlog(log, "mark_precise: frame0: last_idx 1 first_idx 0 subseq_idx -1 \n");
		emu_vlog(log, "mark_precise: frame0: regs=r0 stack= before 0: (%02x) %s = %d\n", in->code,
			 in->code == 0xb7 ? "r0" : "w0", in->imm);
	}
}

static void log_stats(struct emu_vlog *log, uint32_t processed)
{
	if (log->level & EMU_LOG_STATS)
		emu_vlog(log, "verification time 0 usec\nstack depth %s\n", processed ? "0" : "");
	emu_vlog(log, "processed %u insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 "
		 "mark_read 0\n", processed);
}

static bool is_trivial(const struct emu_insn *in, uint32_t cnt)
{
	return cnt == 2 && (in[0].code == 0xb7 || in[0].code == 0xb4) && !in[0].dst_reg && !in[0].src_reg &&
	       !in[0].off && in[1].code == 0x95 && !in[1].dst_reg && !in[1].src_reg && !in[1].off && !in[1].imm;
}

int emu_prog_load_other(const struct emu_load_other *o, struct emu_vlog *log, struct emu_prog_check_out *out)
{
	const struct emu_insn *in = o->insns;
	bool lvl2 = log->level & EMU_LOG_LEVEL2;
	int32_t lo, hi;
	int64_t r0;

	memset(out, 0, sizeof(*out));
	if (!is_trivial(in, o->cnt) || (o->prog_type == EMU_PROG_TRACING && o->attach_btf_id) ||
	    (o->prog_type == EMU_PROG_STRUCT_OPS && o->attach_btf_id && o->gpl)) {
		static bool said[EMU_NR_PROG_TYPES];

		emu_diag_once(&said[o->prog_type < EMU_NR_PROG_TYPES ? o->prog_type : 0],
			      "programs of type %s are loaded only as `r0 = imm; exit` (libbpf's probes): "
			      "they cannot run or attach here (EOPNOTSUPP)",
			      emu_prog_type_name(o->prog_type) ? emu_prog_type_name(o->prog_type) : "?");
		return -EOPNOTSUPP;
	}
	if (lvl2)
		emu_vlog(log, "func#0 @0\n");
	if (o->prog_type == EMU_PROG_TRACING) {
		/* check_attach_btf_id, before the walk */
		emu_vlog(log, "Tracing programs must provide btf_id\n");
		log_stats(log, 0);
		return -EINVAL;
	}
	if (o->prog_type == EMU_PROG_STRUCT_OPS) {
		if (!o->gpl) {
			emu_vlog(log, "struct ops programs must have a GPL compatible license\n");
			log_stats(log, 0);
			return -EINVAL;
		}
		log_stats(log, 0);
		return -EMU_ENOTSUPP;
	}
	if (lvl2) {
		emu_vlog(log, "Live regs before insn:\n");
		emu_vlog(log, "      0: .......... (%02x) %s = %d\n", in->code, in->code == 0xb7 ? "r0" : "w0", in->imm);
		emu_vlog(log, "      1: 0......... (95) exit\n");
	}
	r0 = in->code == 0xb7 ? (int64_t)in->imm : (int64_t)(uint32_t)in->imm;
	if (ret_range(o->prog_type, o->expected_attach_type, &lo, &hi) && (r0 < lo || r0 > hi)) {
		if (log->level)
			log_walk(log, in, r0, lvl2);
		emu_vlog(log, "At program exit the register R0 has smin=%lld smax=%lld should have been in [%d, %d]\n",
			 (long long)r0, (long long)r0, lo, hi);
		log_stats(log, 2);
		return -EINVAL;
	}
	if (lvl2)
		log_walk(log, in, r0, ret_range(o->prog_type, o->expected_attach_type, &lo, &hi));
	log_stats(log, 2);
	out->nr_subprogs = 1;
	out->verified_insns = 2;
	emu_prog_calc_tag(in, o->cnt, out->tag);
	return 0;
}
