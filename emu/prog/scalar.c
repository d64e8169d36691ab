/* SPDX-License-Identifier: MIT */
/*
 * Abstract scalars for the walk (scalar.h): tnum arithmetic (known bits), range arithmetic, and
 * the two kept consistent by sv_sync(). Soundness is the invariant; precision is what the
 * verifier's common bounds checks need (constants, masks, shifts, compares against constants).
 */
#include "scalar.h"
#include "../uapi/bpf_insn.h"

#define U32MAX 0xffffffffull
#define SIGN64 (1ull << 63)

static uint64_t max_u(uint64_t a, uint64_t b) { return a > b ? a : b; }
static uint64_t min_u(uint64_t a, uint64_t b) { return a < b ? a : b; }
static int64_t max_s(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t min_s(int64_t a, int64_t b) { return a < b ? a : b; }

void sv_const(struct sval *s, uint64_t c)
{
	s->v = c;
	s->m = 0;
	s->umin = s->umax = c;
	s->smin = s->smax = (int64_t)c;
	s->u32min = s->u32max = (uint32_t)c;
	s->s32min = s->s32max = (int32_t)c;
}

static void unknown32(struct sval *s)
{
	s->u32min = 0;
	s->u32max = UINT32_MAX;
	s->s32min = INT32_MIN;
	s->s32max = INT32_MAX;
}

void sv_unknown(struct sval *s)
{
	s->v = 0;
	s->m = ~0ull;
	s->umin = 0;
	s->umax = ~0ull;
	s->smin = INT64_MIN;
	s->smax = INT64_MAX;
	unknown32(s);
}

bool sv_is_const(const struct sval *s) { return s->m == 0; }

/* the tnum of all values in [lo, hi] */
static void tn_range(uint64_t lo, uint64_t hi, uint64_t *v, uint64_t *m)
{
	uint64_t chi = lo ^ hi;
	int bits = chi ? 64 - __builtin_clzll(chi) : 0;

	if (bits > 63) {
		*v = 0;
		*m = ~0ull;
		return;
	}
	*m = (1ull << bits) - 1;
	*v = lo & ~*m;
}

static uint32_t max_u32(uint32_t a, uint32_t b) { return a > b ? a : b; }
static uint32_t min_u32(uint32_t a, uint32_t b) { return a < b ? a : b; }
static int32_t max_s32(int32_t a, int32_t b) { return a > b ? a : b; }
static int32_t min_s32(int32_t a, int32_t b) { return a < b ? a : b; }

/* the 32-bit ranges against the low half of the tnum, each other, and the 64-bit ranges */
static void sync32(struct sval *s)
{
	uint32_t lv = (uint32_t)s->v, lm = (uint32_t)s->m, hv = (uint32_t)(s->v >> 32), hm = (uint32_t)(s->m >> 32);

	s->u32min = max_u32(s->u32min, lv);
	s->u32max = min_u32(s->u32max, lv | lm);
	if (!(lm & 0x80000000u)) {
		s->s32min = max_s32(s->s32min, (int32_t)lv);
		s->s32max = min_s32(s->s32max, (int32_t)(lv | lm));
	} else {
		s->s32min = max_s32(s->s32min, (int32_t)(lv | 0x80000000u));
		s->s32max = min_s32(s->s32max, (int32_t)((lv | lm) & 0x7fffffffu));
	}
	if (!((s->u32min ^ s->u32max) & 0x80000000u)) {
		s->s32min = max_s32(s->s32min, (int32_t)s->u32min);
		s->s32max = min_s32(s->s32max, (int32_t)s->u32max);
	}
	if ((s->s32min >= 0) == (s->s32max >= 0)) {
		s->u32min = max_u32(s->u32min, (uint32_t)s->s32min);
		s->u32max = min_u32(s->u32max, (uint32_t)s->s32max);
	}
	/* a 64-bit range within one 4 GiB block bounds the low half */
	if ((s->umin >> 32) == (s->umax >> 32) && s->umin <= s->umax) {
		s->u32min = max_u32(s->u32min, (uint32_t)s->umin);
		s->u32max = min_u32(s->u32max, (uint32_t)s->umax);
	}
	if ((s->smin >> 32) == (s->smax >> 32) && s->smin <= s->smax) {
		s->u32min = max_u32(s->u32min, (uint32_t)s->smin);
		s->u32max = min_u32(s->u32max, (uint32_t)s->smax);
	}
	if (s->smin >= INT32_MIN && s->smax <= INT32_MAX && s->smin <= s->smax) {
		/* the value is its own low half, sign-extended: each range bounds the other */
		s->s32min = max_s32(s->s32min, (int32_t)s->smin);
		s->s32max = min_s32(s->s32max, (int32_t)s->smax);
		s->smin = max_s(s->smin, s->s32min);
		s->smax = min_s(s->smax, s->s32max);
	}
	if (s->umax <= 0xffffffffull && s->umin <= s->umax) {
		/* likewise zero-extended */
		s->umin = max_u(s->umin, s->u32min);
		s->umax = min_u(s->umax, s->u32max);
	}
	/* known upper half: the 64-bit range follows the low half's */
	if (!hm && s->u32min <= s->u32max) {
		uint64_t hi = (uint64_t)hv << 32;

		s->umin = max_u(s->umin, hi | s->u32min);
		s->umax = min_u(s->umax, hi | s->u32max);
		if (hv == 0) {
			s->smin = max_s(s->smin, (int64_t)s->u32min);
			s->smax = min_s(s->smax, (int64_t)s->u32max);
		}
	}
	/* known bits from the unsigned 32-bit range */
	if (s->u32min <= s->u32max) {
		uint64_t tv, tm;

		tn_range(s->u32min, s->u32max, &tv, &tm);
		tm |= ~0xffffffffull;
		if (!((tv ^ s->v) & ~(tm | s->m) & 0xffffffffull)) {
			s->v |= tv & 0xffffffffull;
			s->m &= tm;
			s->v &= ~s->m;
		}
	}
}

void sv_sync(struct sval *s)
{
	for (int round = 0; round < 2; round++) {
		uint64_t tv, tm;

		sync32(s);

		/* ranges from known bits */
		s->umin = max_u(s->umin, s->v);
		s->umax = min_u(s->umax, s->v | s->m);
		if (!(s->m & SIGN64)) {
			/* the sign bit is known: the tnum's extremes are ordered as signed too */
			s->smin = max_s(s->smin, (int64_t)s->v);
			s->smax = min_s(s->smax, (int64_t)(s->v | s->m));
		} else {
			s->smin = max_s(s->smin, (int64_t)(s->v | SIGN64));
			s->smax = min_s(s->smax, (int64_t)((s->v | s->m) & ~SIGN64));
		}
		/* signed and unsigned ranges, where neither crosses the other's wrap point */
		if (!((s->umin ^ s->umax) & SIGN64)) {
			s->smin = max_s(s->smin, (int64_t)s->umin);
			s->smax = min_s(s->smax, (int64_t)s->umax);
		}
		if ((s->smin >= 0) == (s->smax >= 0)) {
			s->umin = max_u(s->umin, (uint64_t)s->smin);
			s->umax = min_u(s->umax, (uint64_t)s->smax);
		}
		/* known bits from the unsigned range */
		if (s->umin <= s->umax) {
			tn_range(s->umin, s->umax, &tv, &tm);
			if (!((tv ^ s->v) & ~(tm | s->m))) {
				s->v |= tv;
				s->m &= tm;
				s->v &= ~s->m;
			}
		}
	}
}

static bool sv_ok(const struct sval *s)
{
	return s->umin <= s->umax && s->smin <= s->smax && s->u32min <= s->u32max && s->s32min <= s->s32max;
}

/* the low 32 bits of s, zero-extended */
static void lo32(struct sval *s)
{
	uint32_t a = s->u32min, b = s->u32max;

	s->v &= 0xffffffffull;
	s->m &= 0xffffffffull;
	s->umin = a;
	s->umax = b;
	s->smin = a;
	s->smax = b;
	sv_sync(s);
}

void sv_zext32(struct sval *s) { lo32(s); }

void sv_trunc(struct sval *s, int bytes)
{
	uint64_t mask = bytes >= 8 ? ~0ull : (1ull << (bytes * 8)) - 1;

	if (s->umax <= mask && s->umin <= s->umax)
		return;
	s->v &= mask;
	s->m &= mask;
	s->umin = 0;
	s->umax = mask;
	s->smin = 0;
	s->smax = (int64_t)mask;
	sv_sync(s);
}

static void from_tnum(struct sval *s, uint64_t v, uint64_t m)
{
	s->v = v & ~m;
	s->m = m;
	s->umin = 0;
	s->umax = ~0ull;
	s->smin = INT64_MIN;
	s->smax = INT64_MAX;
	unknown32(s);
	sv_sync(s);
}

static void alu64(struct sval *d, const struct sval *s, uint8_t op)
{
	struct sval a = *d;
	uint64_t sum, mu, dv;

	if (sv_is_const(&a) && sv_is_const(s)) {
		uint64_t x = a.v, y = s->v, r;

		switch (op) {
		case EMU_ADD: r = x + y; break;
		case EMU_SUB: r = x - y; break;
		case EMU_MUL: r = x * y; break;
		case EMU_DIV: r = y ? x / y : 0; break;
		case EMU_MOD: r = y ? x % y : x; break;
		case EMU_OR: r = x | y; break;
		case EMU_AND: r = x & y; break;
		case EMU_XOR: r = x ^ y; break;
		case EMU_LSH: r = x << (y & 63); break;
		case EMU_RSH: r = x >> (y & 63); break;
		case EMU_ARSH: r = (uint64_t)((int64_t)x >> (y & 63)); break;
		case EMU_NEG: r = -x; break;
		case EMU_MOV: r = y; break;
		default: sv_unknown(d); return;
		}
		sv_const(d, r);
		return;
	}
	switch (op) {
	case EMU_MOV:
		*d = *s;
		return;
	case EMU_ADD:
		sum = a.m + s->m;
		dv = a.v + s->v;
		mu = ((sum + dv) ^ dv) | a.m | s->m;
		from_tnum(d, dv, mu);
		if (!__builtin_add_overflow(a.umin, s->umin, &d->umin) &&
		    !__builtin_add_overflow(a.umax, s->umax, &d->umax)) {
		} else {
			d->umin = 0;
			d->umax = ~0ull;
		}
		if (__builtin_add_overflow(a.smin, s->smin, &d->smin) || __builtin_add_overflow(a.smax, s->smax, &d->smax)) {
			d->smin = INT64_MIN;
			d->smax = INT64_MAX;
		}
		if ((uint64_t)a.u32max + s->u32max <= U32MAX) {
			d->u32min = max_u32(d->u32min, a.u32min + s->u32min);
			d->u32max = min_u32(d->u32max, a.u32max + s->u32max);
		}
		if ((int64_t)a.s32min + s->s32min >= INT32_MIN && (int64_t)a.s32max + s->s32max <= INT32_MAX) {
			d->s32min = max_s32(d->s32min, a.s32min + s->s32min);
			d->s32max = min_s32(d->s32max, a.s32max + s->s32max);
		}
		break;
	case EMU_SUB: {
		uint64_t alpha, beta;

		dv = a.v - s->v;
		alpha = dv + a.m;
		beta = dv - s->m;
		mu = (alpha ^ beta) | a.m | s->m;
		from_tnum(d, dv, mu);
		if (a.umin >= s->umax) {
			d->umin = a.umin - s->umax;
			d->umax = a.umax - s->umin;
		} else {
			d->umin = 0;
			d->umax = ~0ull;
		}
		if (__builtin_sub_overflow(a.smin, s->smax, &d->smin) || __builtin_sub_overflow(a.smax, s->smin, &d->smax)) {
			d->smin = INT64_MIN;
			d->smax = INT64_MAX;
		}
		if (a.u32min >= s->u32max) {
			d->u32min = max_u32(d->u32min, a.u32min - s->u32max);
			d->u32max = min_u32(d->u32max, a.u32max - s->u32min);
		}
		if ((int64_t)a.s32min - s->s32max >= INT32_MIN && (int64_t)a.s32max - s->s32min <= INT32_MAX) {
			d->s32min = max_s32(d->s32min, a.s32min - s->s32max);
			d->s32max = min_s32(d->s32max, a.s32max - s->s32min);
		}
		break;
	}
	case EMU_AND: {
		uint64_t v = a.v & s->v;

		from_tnum(d, v, (a.v | a.m) & (s->v | s->m) & ~v);
		break;
	}
	case EMU_OR: {
		uint64_t v = a.v | s->v;

		from_tnum(d, v, (a.m | s->m) & ~v);
		break;
	}
	case EMU_XOR:
		from_tnum(d, a.v ^ s->v, a.m | s->m);
		break;
	case EMU_MUL: {
		uint64_t hi;

		sv_unknown(d);
		if (!__builtin_mul_overflow(a.umax, s->umax, &hi)) {
			d->umin = a.umin * s->umin;
			d->umax = hi;
		}
		break;
	}
	case EMU_LSH:
		if (sv_is_const(s) && s->v < 64) {
			from_tnum(d, a.v << s->v, a.m << s->v);
			if (s->v == 0 || a.umax <= (~0ull >> s->v)) {
				d->umin = a.umin << s->v;
				d->umax = a.umax << s->v;
			}
		} else {
			sv_unknown(d);
		}
		break;
	case EMU_RSH:
		if (sv_is_const(s) && s->v < 64) {
			from_tnum(d, a.v >> s->v, a.m >> s->v);
			d->umin = a.umin >> s->v;
			d->umax = a.umax >> s->v;
		} else {
			sv_unknown(d);
			d->umax = a.umax;
		}
		break;
	case EMU_ARSH:
		if (sv_is_const(s) && s->v < 64) {
			from_tnum(d, (uint64_t)((int64_t)a.v >> s->v), (uint64_t)((int64_t)a.m >> s->v));
			d->smin = a.smin >> s->v;
			d->smax = a.smax >> s->v;
		} else {
			sv_unknown(d);
		}
		break;
	case EMU_DIV:
		sv_unknown(d);
		d->umax = a.umax;
		break;
	case EMU_MOD:
		sv_unknown(d);
		d->umax = s->umin ? min_u(a.umax, s->umax - 1) : max_u(a.umax, s->umax);
		break;
	default:
		sv_unknown(d);
		break;
	}
	sv_sync(d);
	if (!sv_ok(d))
		sv_unknown(d);
}

void sv_movsx(struct sval *dst, const struct sval *src, int bits, bool alu32)
{
	uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1, sign = 1ull << (bits - 1);
	struct sval s = *src, r;

	if (sv_is_const(&s)) {
		uint64_t x = s.v & mask;

		if (x & sign)
			x |= ~mask;
		sv_const(dst, x);
		if (alu32)
			lo32(dst);
		return;
	}
	/* the low bits' tnum, its sign bit copied upwards */
	sv_unknown(&r);
	r.v = s.v & mask;
	r.m = s.m & mask;
	if (r.m & sign)
		r.m |= ~mask;
	else if (r.v & sign)
		r.v |= ~mask;
	r.smin = -(int64_t)sign;
	r.smax = (int64_t)(sign - 1);
	if (bits == 32) {
		r.smin = max_s(r.smin, s.s32min);
		r.smax = min_s(r.smax, s.s32max);
	} else if (s.umax < sign) {
		r.smin = max_s(r.smin, (int64_t)s.umin);
		r.smax = min_s(r.smax, (int64_t)s.umax);
	}
	sv_sync(&r);
	if (alu32)
		lo32(&r);
	*dst = r;
}

void sv_alu(struct sval *dst, const struct sval *src, uint8_t op, bool alu32)
{
	struct sval a = *dst, b = *src;

	if (!alu32) {
		alu64(dst, src, op);
		return;
	}
	lo32(&a);
	lo32(&b);
	if (op == EMU_ARSH) {
		sv_movsx(&a, &a, 32, false);
		alu64(&a, &b, op);
	} else if ((op == EMU_LSH || op == EMU_RSH) && !sv_is_const(&b)) {
		sv_unknown(&a);
	} else if ((op == EMU_LSH || op == EMU_RSH) && b.v >= 32) {
		sv_unknown(&a);
	} else {
		alu64(&a, &b, op);
	}
	lo32(&a);
	*dst = a;
}

void sv_end(struct sval *s, int bits, bool swap)
{
	uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;

	if (sv_is_const(s)) {
		uint64_t x = s->v & mask;

		if (swap)
			x = bits == 16 ? __builtin_bswap16((uint16_t)x)
			    : bits == 32 ? __builtin_bswap32((uint32_t)x) : __builtin_bswap64(x);
		sv_const(s, x);
		return;
	}
	if (swap) {
		/* a byte swap moves known bits with their bytes */
		uint64_t v = s->v & mask, m = s->m & mask;

		if (bits == 16) {
			v = __builtin_bswap16((uint16_t)v);
			m = __builtin_bswap16((uint16_t)m);
		} else if (bits == 32) {
			v = __builtin_bswap32((uint32_t)v);
			m = __builtin_bswap32((uint32_t)m);
		} else {
			v = __builtin_bswap64(v);
			m = __builtin_bswap64(m);
		}
		from_tnum(s, v, m);
	} else {
		from_tnum(s, s->v & mask, s->m & mask);
	}
}

/* 32-bit views: the low half as a 64-bit value, zero-extended (unsigned compares) or
 * sign-extended (signed compares), so that the 64-bit logic decides and narrows JMP32 */
static void view32(const struct sval *s, struct sval *r, bool sign)
{
	sv_unknown(r);
	r->v = s->v & U32MAX;
	r->m = s->m & U32MAX;
	if (!sign) {
		r->umin = s->u32min;
		r->umax = s->u32max;
	} else {
		if (r->m & 0x80000000u)
			r->m |= ~U32MAX;
		else if (r->v & 0x80000000u)
			r->v |= ~U32MAX;
		r->smin = s->s32min;
		r->smax = s->s32max;
	}
	r->u32min = s->u32min;
	r->u32max = s->u32max;
	r->s32min = s->s32min;
	r->s32max = s->s32max;
	sv_sync(r);
}

/* what a view learnt goes back to the low half of s */
static void unview32(struct sval *s, const struct sval *r, bool sign)
{
	uint64_t lv = (s->v | r->v) & U32MAX, lm = s->m & r->m & U32MAX;

	s->v = (s->v & ~U32MAX) | (lv & ~lm);
	s->m = (s->m & ~U32MAX) | lm;
	if (!sign) {
		s->u32min = max_u32(s->u32min, (uint32_t)min_u(r->umin, U32MAX));
		s->u32max = min_u32(s->u32max, (uint32_t)min_u(r->umax, U32MAX));
	} else {
		s->s32min = max_s32(s->s32min, (int32_t)max_s(r->smin, INT32_MIN));
		s->s32max = min_s32(s->s32max, (int32_t)min_s(r->smax, INT32_MAX));
	}
	s->u32min = max_u32(s->u32min, r->u32min);
	s->u32max = min_u32(s->u32max, r->u32max);
	s->s32min = max_s32(s->s32min, r->s32min);
	s->s32max = min_s32(s->s32max, r->s32max);
	if (sv_ok(s))
		sv_sync(s);
}

static bool is_signed_op(uint8_t op) { return op == EMU_JSGT || op == EMU_JSGE || op == EMU_JSLT || op == EMU_JSLE; }

int sv_branch(const struct sval *pa, const struct sval *pb, uint8_t op, bool is32)
{
	struct sval a = *pa, b = *pb;

	if (is32) {
		view32(pa, &a, is_signed_op(op));
		view32(pb, &b, is_signed_op(op));
	}
	switch (op) {
	case EMU_JEQ:
	case EMU_JNE: {
		int eq = -1;

		if (sv_is_const(&a) && sv_is_const(&b))
			eq = a.v == b.v;
		else if (((a.v ^ b.v) & ~(a.m | b.m)) || a.umin > b.umax || a.umax < b.umin || a.smin > b.smax ||
			 a.smax < b.smin)
			eq = 0;
		if (eq < 0)
			return -1;
		return op == EMU_JEQ ? eq : !eq;
	}
	case EMU_JSET:
		if (a.v & b.v)
			return 1;
		if (!((a.v | a.m) & (b.v | b.m)))
			return 0;
		return -1;
	case EMU_JGT: return a.umin > b.umax ? 1 : a.umax <= b.umin ? 0 : -1;
	case EMU_JGE: return a.umin >= b.umax ? 1 : a.umax < b.umin ? 0 : -1;
	case EMU_JLT: return a.umax < b.umin ? 1 : a.umin >= b.umax ? 0 : -1;
	case EMU_JLE: return a.umax <= b.umin ? 1 : a.umin > b.umax ? 0 : -1;
	case EMU_JSGT: return a.smin > b.smax ? 1 : a.smax <= b.smin ? 0 : -1;
	case EMU_JSGE: return a.smin >= b.smax ? 1 : a.smax < b.smin ? 0 : -1;
	case EMU_JSLT: return a.smax < b.smin ? 1 : a.smin >= b.smax ? 0 : -1;
	case EMU_JSLE: return a.smax <= b.smin ? 1 : a.smin > b.smax ? 0 : -1;
	}
	return -1;
}

static uint8_t negate(uint8_t op)
{
	switch (op) {
	case EMU_JEQ: return EMU_JNE;
	case EMU_JNE: return EMU_JEQ;
	case EMU_JGT: return EMU_JLE;
	case EMU_JLE: return EMU_JGT;
	case EMU_JGE: return EMU_JLT;
	case EMU_JLT: return EMU_JGE;
	case EMU_JSGT: return EMU_JSLE;
	case EMU_JSLE: return EMU_JSGT;
	case EMU_JSGE: return EMU_JSLT;
	case EMU_JSLT: return EMU_JSGE;
	}
	return 0xff;
}

bool sv_refine(struct sval *a, struct sval *b, uint8_t op, bool taken, bool is32)
{
	if (op == EMU_JSET) {
		if (!taken && sv_is_const(b)) {
			a->v &= ~b->v;
			a->m &= ~b->v;
			sv_sync(a);
		}
		return sv_ok(a);
	}
	if (!taken)
		op = negate(op);
	if (is32) {
		bool sg = is_signed_op(op);
		struct sval va, vb;

		view32(a, &va, sg);
		view32(b, &vb, sg);
		if (!sv_refine(&va, &vb, op, true, false))
			return false;
		unview32(a, &va, sg);
		unview32(b, &vb, sg);
		return sv_ok(a) && sv_ok(b);
	}
	switch (op) {
	case EMU_JEQ:
		if ((a->v ^ b->v) & ~(a->m | b->m))
			return false;
		a->v |= b->v;
		a->m &= b->m;
		a->v &= ~a->m;
		a->umin = max_u(a->umin, b->umin);
		a->umax = min_u(a->umax, b->umax);
		a->smin = max_s(a->smin, b->smin);
		a->smax = min_s(a->smax, b->smax);
		sv_sync(a);
		*b = *a;
		break;
	case EMU_JNE:
		if (sv_is_const(b)) {
			if (a->umin == b->v && a->umin < a->umax)
				a->umin++;
			if (a->umax == b->v && a->umin < a->umax)
				a->umax--;
			if (a->smin == (int64_t)b->v && a->smin < a->smax)
				a->smin++;
			if (a->smax == (int64_t)b->v && a->smin < a->smax)
				a->smax--;
		} else if (sv_is_const(a)) {
			return sv_refine(b, a, EMU_JNE, true, false);
		}
		break;
	case EMU_JGT:
		if (b->umin == ~0ull || a->umax == 0)
			return false;
		a->umin = max_u(a->umin, b->umin + 1);
		b->umax = min_u(b->umax, a->umax - 1);
		break;
	case EMU_JGE:
		a->umin = max_u(a->umin, b->umin);
		b->umax = min_u(b->umax, a->umax);
		break;
	case EMU_JLT:
		return sv_refine(b, a, EMU_JGT, true, false);
	case EMU_JLE:
		return sv_refine(b, a, EMU_JGE, true, false);
	case EMU_JSGT:
		if (b->smin == INT64_MAX || a->smax == INT64_MIN)
			return false;
		a->smin = max_s(a->smin, b->smin + 1);
		b->smax = min_s(b->smax, a->smax - 1);
		break;
	case EMU_JSGE:
		a->smin = max_s(a->smin, b->smin);
		b->smax = min_s(b->smax, a->smax);
		break;
	case EMU_JSLT:
		return sv_refine(b, a, EMU_JSGT, true, false);
	case EMU_JSLE:
		return sv_refine(b, a, EMU_JSGE, true, false);
	default:
		return true;
	}
	if (!sv_ok(a) || !sv_ok(b))
		return false;
	sv_sync(a);
	sv_sync(b);
	return sv_ok(a) && sv_ok(b);
}

bool sv_within(const struct sval *o, const struct sval *c)
{
	return o->umin <= c->umin && c->umax <= o->umax && o->smin <= c->smin && c->smax <= o->smax &&
	       o->u32min <= c->u32min && c->u32max <= o->u32max && o->s32min <= c->s32min && c->s32max <= o->s32max &&
	       !(c->m & ~o->m) && (c->v & ~o->m) == o->v;
}

bool sv_equal(const struct sval *a, const struct sval *b)
{
	return a->v == b->v && a->m == b->m && a->umin == b->umin && a->umax == b->umax && a->smin == b->smin &&
	       a->smax == b->smax && a->u32min == b->u32min && a->u32max == b->u32max && a->s32min == b->s32min &&
	       a->s32max == b->s32max;
}
