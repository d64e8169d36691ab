/* SPDX-License-Identifier: MIT */
/*
 * Arithmetic in the walk: ALU instructions on scalars (scalar.h) and on pointers, with the
 * kernel's rules for what pointer arithmetic a program may do (adjust_ptr_min_max_vals,
 * check_reg_sane_offset), and ld_imm64, whose targets check.c resolved.
 */
#include <string.h>

#include "walk.h"

static const char *const alu_str[16] = {"+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=", "neg", "%=",
					"^=", "=", "s>>=", "endian", "?", "?"};

/* ---- ALU ---- */

/* check_reg_sane_offset: what may be added to a pointer, and a pointer's own offset */
static bool sane_offset(struct walk *w, const struct reg *r, const struct reg *ptr)
{
	const char *t = reg_type_str(ptr);

	if (sv_is_const(&r->s) && ((int64_t)r->s.v >= (int64_t)EMU_MAX_VAR_OFF || (int64_t)r->s.v <= -(int64_t)EMU_MAX_VAR_OFF)) {
		vlog(w->c, "math between %s pointer and %lld is not allowed\n", t, (long long)r->s.v);
		return false;
	}
	if (r->off >= (int32_t)EMU_MAX_VAR_OFF || r->off <= -(int32_t)EMU_MAX_VAR_OFF) {
		vlog(w->c, "%s pointer offset %d is not allowed\n", t, r->off);
		return false;
	}
	if (r->s.smin == INT64_MIN) {
		vlog(w->c, "math between %s pointer and register with unbounded min value is not allowed\n", t);
		return false;
	}
	if (r->s.smin >= (int64_t)EMU_MAX_VAR_OFF || r->s.smin <= -(int64_t)EMU_MAX_VAR_OFF) {
		vlog(w->c, "value %lld makes %s pointer be out of bounds\n", (long long)r->s.smin, t);
		return false;
	}
	return true;
}

static int ptr_arith(struct walk *w, const struct emu_insn *in, struct reg *dst, struct reg *ptr, const struct reg *off_reg,
		     uint8_t op)
{
	uint32_t d = in->dst_reg;
	struct reg res = *ptr;

	if (EMU_CLASS(in->code) != EMU_ALU64) {
		if (op == EMU_SUB) {
			mark_unknown(dst);
			return 0;
		}
		vlog(w->c, "R%u 32-bit pointer arithmetic prohibited\n", d);
		return -EACCES;
	}
	if (ptr->null) {
		vlog(w->c, "R%u pointer arithmetic on %s prohibited, null-check it first\n", d, reg_type_str(ptr));
		return -EACCES;
	}
	switch (ptr->type) {
	case R_CTX: case R_MAP_VALUE: case R_STACK: case R_PKT: case R_PKT_META: case R_MEM: case R_OPAQUE:
	case R_MAP_KEY: case R_DYNPTR:
		break;
	case R_MAP_PTR:
		if (sv_is_const(&off_reg->s) && off_reg->s.v == 0 && op == EMU_ADD)
			break;
		/* fallthrough */
	default:
		vlog(w->c, "R%u pointer arithmetic on %s prohibited\n", d, reg_type_str(ptr));
		return -EACCES;
	}
	if (!sane_offset(w, off_reg, ptr) || !sane_offset(w, ptr, ptr))
		return -EINVAL;
	switch (op) {
	case EMU_ADD:
	case EMU_SUB:
		if (op == EMU_SUB && dst == (struct reg *)off_reg) {
			vlog(w->c, "R%u tried to subtract pointer from scalar\n", d);
			return -EACCES;
		}
		if (op == EMU_SUB && ptr->type == R_STACK) {
			vlog(w->c, "R%u subtraction from stack pointer prohibited\n", d);
			return -EACCES;
		}
		if (sv_is_const(&off_reg->s)) {
			int64_t k = (int64_t)off_reg->s.v;
			int64_t noff = op == EMU_ADD ? (int64_t)ptr->off + k : (int64_t)ptr->off - k;

			res.off = (int32_t)noff;
		} else {
			sv_alu(&res.s, &off_reg->s, op, false);
			if (ptr->type == R_PKT || ptr->type == R_PKT_META) {
				res.id = ++w->id_gen;
				res.range = 0;
			}
		}
		*dst = res;
		return 0;
	case EMU_AND:
	case EMU_OR:
	case EMU_XOR:
		vlog(w->c, "R%u bitwise operator %s on pointer prohibited\n", d, alu_str[op >> 4]);
		return -EACCES;
	default:
		vlog(w->c, "R%u pointer arithmetic with %s operator prohibited\n", d, alu_str[op >> 4]);
		return -EACCES;
	}
}

int do_alu(struct walk *w, const struct emu_insn *in)
{
	uint8_t op = EMU_OP(in->code);
	bool is64 = EMU_CLASS(in->code) == EMU_ALU64, x = EMU_SRC(in->code) == EMU_X;
	struct reg *regs = cur_regs(w), *dst, srcv;
	int err;

	if (op == EMU_END || op == EMU_NEG) {
		if (op == EMU_NEG) {
			if (x || in->src_reg || in->off || in->imm) {
				vlog(w->c, "BPF_NEG uses reserved fields\n");
				return -EINVAL;
			}
		} else if (in->src_reg || in->off || (in->imm != 16 && in->imm != 32 && in->imm != 64) || (is64 && x)) {
			vlog(w->c, "BPF_END uses reserved fields\n");
			return -EINVAL;
		}
		if ((err = reg_src(w, in->dst_reg)) || (err = reg_dst(w, in->dst_reg)))
			return err;
		dst = &regs[in->dst_reg];
		if (dst->type == R_OPAQUE)
			return 0;
		if (dst->type != R_SCALAR) {
			mark_unknown(dst);
			return 0;
		}
		dst->id = 0;
		if (op == EMU_NEG) {
			struct sval z;

			sv_const(&z, 0);
			sv_alu(&z, &dst->s, EMU_SUB, !is64);
			dst->s = z;
		} else {
			/* to-LE on a little-endian host and 64-bit to-LE only truncate; the rest swap */
			bool swap = is64 || x;

			sv_end(&dst->s, in->imm, swap);
		}
		return 0;
	}
	if (op == EMU_MOV) {
		if (x) {
			if (!is64) {
				if ((in->off != 0 && in->off != 8 && in->off != 16) || in->imm) {
					vlog(w->c, "BPF_MOV uses reserved fields\n");
					return -EINVAL;
				}
			} else if (in->off == 1) {
				if (in->imm != 1 && in->imm != 1 << 16) {
					vlog(w->c, "addr_space_cast insn can only convert between address space 1 and 0\n");
					return -EINVAL;
				}
				vlog(w->c, "addr_space_cast insn can only be used in a program that has an associated arena\n");
				return -EINVAL;
			} else if ((in->off != 0 && in->off != 8 && in->off != 16 && in->off != 32) || in->imm) {
				vlog(w->c, "BPF_MOV uses reserved fields\n");
				return -EINVAL;
			}
			if ((err = reg_src(w, in->src_reg)))
				return err;
		} else if (in->src_reg || in->off) {
			vlog(w->c, "BPF_MOV uses reserved fields\n");
			return -EINVAL;
		}
		if ((err = reg_dst(w, in->dst_reg)))
			return err;
		dst = &regs[in->dst_reg];
		if (!x) {
			mark_const(dst, is64 ? (uint64_t)(int64_t)in->imm : (uint32_t)in->imm);
			return 0;
		}
		srcv = regs[in->src_reg];
		if (srcv.type == R_OPAQUE) {
			*dst = srcv;
			return 0;
		}
		if (srcv.type != R_SCALAR) {
			if (is64 && !in->off)
				*dst = srcv;
			else
				mark_unknown(dst);
			return 0;
		}
		if (in->off) {
			struct reg n;

			mark_unknown(&n);
			sv_movsx(&n.s, &srcv.s, in->off, !is64);
			*dst = n;
			return 0;
		}
		if (is64 || srcv.s.umax <= 0xffffffffull) {
			if (!srcv.id && !sv_is_const(&srcv.s))
				regs[in->src_reg].id = srcv.id = ++w->id_gen;
			*dst = srcv;
		} else {
			*dst = srcv;
			dst->id = 0;
			sv_zext32(&dst->s);
		}
		return 0;
	}
	if (op > EMU_END) {
		vlog(w->c, "invalid BPF_ALU opcode %x\n", op);
		return -EINVAL;
	}
	if (x) {
		if (in->imm || (in->off != 0 && in->off != 1) || (in->off == 1 && op != EMU_MOD && op != EMU_DIV)) {
			vlog(w->c, "BPF_ALU uses reserved fields\n");
			return -EINVAL;
		}
		if ((err = reg_src(w, in->src_reg)))
			return err;
	} else if (in->src_reg || (in->off != 0 && in->off != 1) || (in->off == 1 && op != EMU_MOD && op != EMU_DIV)) {
		vlog(w->c, "BPF_ALU uses reserved fields\n");
		return -EINVAL;
	}
	if ((err = reg_src(w, in->dst_reg)))
		return err;
	if ((op == EMU_MOD || op == EMU_DIV) && !x && in->imm == 0) {
		vlog(w->c, "div by zero\n");
		return -EINVAL;
	}
	if ((op == EMU_LSH || op == EMU_RSH || op == EMU_ARSH) && !x) {
		int size = is64 ? 64 : 32;

		if (in->imm < 0 || in->imm >= size) {
			vlog(w->c, "invalid shift %d\n", in->imm);
			return -EINVAL;
		}
	}
	if ((err = reg_dst(w, in->dst_reg)))
		return err;
	dst = &regs[in->dst_reg];
	if (x)
		srcv = regs[in->src_reg];
	else
		mark_const(&srcv, is64 ? (uint64_t)(int64_t)in->imm : (uint32_t)in->imm);
	if (dst->type == R_OPAQUE || srcv.type == R_OPAQUE) {
		/* a value of a helper this walk does not model: anything goes, and stays unknown */
		mark_opaque(dst);
		return 0;
	}
	if (srcv.type != R_SCALAR) {
		if (dst->type != R_SCALAR) {
			if (op == EMU_SUB) {
				mark_unknown(dst);
				return 0;
			}
			vlog(w->c, "R%u pointer %s pointer prohibited\n", in->dst_reg, alu_str[op >> 4]);
			return -EACCES;
		}
		{
			struct reg off_copy = *dst;

			if (EMU_CLASS(in->code) != EMU_ALU64 || srcv.null ||
			    !(op == EMU_ADD || op == EMU_SUB))
				return ptr_arith(w, in, dst, &srcv, &off_copy, op);
			if (op == EMU_SUB) {
				vlog(w->c, "R%u tried to subtract pointer from scalar\n", in->dst_reg);
				return -EACCES;
			}
			return ptr_arith(w, in, dst, &srcv, &off_copy, op);
		}
	}
	if (dst->type != R_SCALAR)
		return ptr_arith(w, in, dst, dst, &srcv, op);
	if (in->off == 1) {
		/* signed division and modulo: exact for constants, else unknown */
		if (sv_is_const(&dst->s) && sv_is_const(&srcv.s)) {
			int64_t a = is64 ? (int64_t)dst->s.v : (int32_t)dst->s.v;
			int64_t b = is64 ? (int64_t)srcv.s.v : (int32_t)srcv.s.v;
			int64_t r;

			if (op == EMU_DIV)
				r = b == 0 ? 0 : (b == -1 ? (int64_t)(0 - (uint64_t)a) : a / b);
			else
				r = b == 0 ? a : (b == -1 ? 0 : a % b);
			mark_const(dst, is64 ? (uint64_t)r : (uint32_t)r);
		} else {
			mark_unknown(dst);
			if (!is64)
				sv_zext32(&dst->s);
		}
		return 0;
	}
	dst->id = 0;
	sv_alu(&dst->s, &srcv.s, op, !is64);
	return 0;
}

int do_ld(struct walk *w, const struct emu_insn *in, uint32_t idx)
{
	struct reg *regs = cur_regs(w), *d;
	const struct emu_ld_target *t = &w->c->out->ld[idx];
	int err;

	if (in->code != EMU_LD_IMM64) {
		/* LD_ABS / LD_IND */
		uint32_t t2 = w->c->in->prog_type;

		if (!(t2 == EMU_PROG_SOCKET_FILTER || t2 == EMU_PROG_SCHED_CLS || t2 == EMU_PROG_SCHED_ACT ||
		      t2 == EMU_PROG_CGROUP_SKB)) {
			vlog(w->c, "BPF_LD_[ABS|IND] instructions not allowed for this program type\n");
			return -EINVAL;
		}
		if (in->dst_reg || in->off || EMU_SIZE(in->code) == EMU_DW ||
		    (EMU_MODE(in->code) == EMU_ABS && in->src_reg)) {
			vlog(w->c, "BPF_LD_[ABS|IND] uses reserved fields\n");
			return -EINVAL;
		}
		if ((err = reg_src(w, 6)))
			return err;
		if (regs[6].type != R_CTX) {
			vlog(w->c, "at the time of BPF_LD_ABS|IND R6 != pointer to skb\n");
			return -EINVAL;
		}
		if (EMU_MODE(in->code) == EMU_IND && (err = reg_src(w, in->src_reg)))
			return err;
		for (int r = 1; r <= 5; r++)
			memset(&regs[r], 0, sizeof(regs[r]));
		mark_unknown(&regs[0]);
		return 0;
	}
	if (in->off) {
		vlog(w->c, "BPF_LD_IMM64 uses reserved fields\n");
		return -EINVAL;
	}
	if ((err = reg_dst(w, in->dst_reg)))
		return err;
	d = &regs[in->dst_reg];
	switch (t->kind) {
	case EMU_LDK_MAP:
		mark_ptr(d, R_MAP_PTR);
		d->aux = t->map;
		break;
	case EMU_LDK_MAP_VALUE:
		mark_ptr(d, R_MAP_VALUE);
		d->aux = t->map;
		d->off = (int32_t)t->off;
		break;
	case EMU_LDK_FUNC: {
		uint32_t sub = chk_subprog_of(w->c, t->off);
		const struct emu_prog_check_in *ci = w->c->in;

		/* callbacks are known by their BTF: static functions only */
		if (!ci->func_info_cnt) {
			vlog(w->c, "missing btf func_info\n");
			return -EINVAL;
		}
		if (ci->btf && ci->btf_ops && ci->btf_ops->func_linkage) {
			uint32_t tid;

			memcpy(&tid, (const uint8_t *)ci->func_info + (size_t)ci->func_info_rec_size * sub + 4, 4);
			if (ci->btf_ops->func_linkage(ci->btf, tid) != 0) {
				vlog(w->c, "callback function not static\n");
				return -EINVAL;
			}
		}
	}
		mark_ptr(d, R_FUNC);
		d->aux = chk_subprog_of(w->c, t->off);
		break;
	default:
		mark_const(d, (uint32_t)in->imm | ((uint64_t)(uint32_t)in[1].imm << 32));
		break;
	}
	return 0;
}

