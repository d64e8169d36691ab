/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the input is a little program of map commands on the eight first emulated map
 * types and LPM tries (keys whose prefixes nest and split), hostile ones included (bad pointers,
 * buffers ending at an unmapped page, junk in the attr, odd attr sizes, bad and foreign fds,
 * unknown commands). Every command runs on the kernel and on
 * the emulator through the differential harness (tests/diff/harness.c), which compares the
 * answers, errno and every byte either side wrote (buffers with red zones, and the attr). The
 * first divergence aborts with the harness's report; so does any crash or sanitizer finding. At
 * the end of each input every map is compared whole and checked for internal consistency.
 *
 * Each input starts from no maps, so it replays alone:  ./fuzz_maps crash-file
 * Commands that are documented as not emulated, and those whose answers differ by design (ids,
 * pin paths), are not generated. The process is pinned to CPU 0: the kernel's LRU lists are per
 * CPU, and the emulator models system calls as running on CPU 0.
 *
 * Programs and BTF (opcode 19, fuzz_progs.c): BTF blobs, programs valid and with the faults the
 * verifier catches, loaded on both sides, and BPF_PROG_TEST_RUN of the accepted ones.
 *
 * Input format (all reads past the end give zeros, so every input is valid): a sequence of
 * operations, each one opcode byte followed by its operands; see run_op().
 */
#define _GNU_SOURCE
#include <ftw.h>
#include <limits.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfemu/bpfemu.h"
#include "fuzz_maps.h"
#include "harness.h"

#define NSLOTS 4
#define MAX_OPS 160
#define MAX_BATCH 40
#define MAX_VALUE 512

#define NTYPES 9
static const uint32_t types[NTYPES] = { EMU_MAP_HASH, EMU_MAP_PERCPU_HASH, EMU_MAP_LRU_HASH, EMU_MAP_LRU_PERCPU_HASH,
					EMU_MAP_ARRAY, EMU_MAP_PERCPU_ARRAY, EMU_MAP_QUEUE, EMU_MAP_STACK,
					EMU_MAP_LPM_TRIE };

struct slot {
	struct hx_pair p;
	bool live;
	bool ordered;  /* GET_NEXT_KEY and batch outputs comparable (not a random-seed hash) */
	uint32_t nkeys; /* key indices are drawn from [0, nkeys) */
	unsigned char tok[64]; /* the last out_batch, as the kernel wrote it */
	uint32_t toklen;
};

static struct slot slots[NSLOTS];
static int devnull = -1, closed_fd = -1;

/* ---- input ---- */

static const uint8_t *in_p;
static size_t in_n;

static uint8_t u8(void)
{
	if (!in_n)
		return 0;
	in_n--;
	return *in_p++;
}

static uint32_t u32(void)
{
	uint32_t v = u8();

	v |= (uint32_t)u8() << 8;
	v |= (uint32_t)u8() << 16;
	return v | (uint32_t)u8() << 24;
}

static uint64_t u64(void) { return u32() | (uint64_t)u32() << 32; }

static uint32_t pick(const uint32_t *tab, size_t n) { return tab[u8() % n]; }
#define PICK(tab) pick(tab, sizeof(tab) / sizeof(tab[0]))

/* ---- divergence: stop here ---- */

static const char *op_name = "";
struct slot;
static void label(const char *what, const struct slot *s);

static void check(void)
{
	if (!hx_ndiv && !hx_nexpect_bad)
		return;
	fprintf(stderr,
		"fuzz_maps: DIVERGENCE between the kernel and the emulator in %s (report above).\n"
		"Replay this input alone with:  ./fuzz_maps <crash-file>\n",
		op_name);
	fflush(NULL);
	abort();
}

static bool tracing; /* FUZZ_MAPS_TRACE=1: every operation and its answer, to read a replay */

static void trace(const struct hx_op *op, const struct hx_res *r)
{
	if (!tracing)
		return;
	fprintf(stderr, "[%s] size %u", hx_ctx_get(), op->size);
	for (int i = 0; i < op->nbuf; i++) {
		const unsigned char *in = op->buf[i].in;

		fprintf(stderr, " buf@%u(%zu)", op->buf[i].off, op->buf[i].len);
		for (size_t j = 0; in && j < op->buf[i].len && j < 16; j++)
			fprintf(stderr, "%s%02x", j ? "" : "=", in[j]);
	}
	if (r->ret[HX_K] < 0)
		fprintf(stderr, " -> %s\n", hx_errname(r->err[HX_K]));
	else
		fprintf(stderr, " -> %ld\n", r->ret[HX_K]);
}

static void run(struct hx_op *op)
{
	struct hx_res r;

	hx_run(op, &r);
	trace(op, &r);
	check();
}

/* ---- operands ---- */

/* An LPM trie's key: a prefix length (now and then past the data's bits: EINVAL) and data drawn
 * around four bases with a few bits flipped, so that prefixes nest, share and split nodes. */
static void lpm_key_of(const struct slot *s, unsigned char *key, uint8_t k)
{
	static const unsigned char bases[4][4] = { { 10, 0, 0, 0 }, { 10, 1, 2, 0 }, { 192, 168, 0, 0 }, { 0, 0, 0, 0 } };
	uint32_t dl = s->p.key_size - 4, bits = dl * 8, plen = u8() % (bits + 1 + (k % 16 == 0));
	uint8_t flips = u8();

	memcpy(key, &plen, 4);
	for (uint32_t i = 0; i < dl; i++)
		key[4 + i] = bases[k % 4][i % 4];
	for (int f = 0; f < 2; f++) { /* up to two bits flipped, where the input says */
		uint32_t bit = (uint32_t)(flips >> (f * 4)) % (bits ? bits : 1) + (uint32_t)(k >> 4) % 3 * 4;

		if (flips & (1u << (f + 6)) && bit < bits)
			key[4 + bit / 8] ^= (unsigned char)(0x80u >> (bit % 8));
	}
}

static void key_of(const struct slot *s, void *key)
{
	uint8_t k = u8();

	if (k >= 0xf0) { /* raw key bytes from the input */
		for (uint32_t i = 0; i < s->p.key_size; i++)
			((unsigned char *)key)[i] = u8();
	} else if (s->p.type == EMU_MAP_LPM_TRIE && s->p.key_size > 4) {
		lpm_key_of(s, key, k);
	} else if (s->p.type == EMU_MAP_ARRAY || s->p.type == EMU_MAP_PERCPU_ARRAY) {
		uint32_t idx = k % s->nkeys;

		memset(key, 0, s->p.key_size);
		memcpy(key, &idx, s->p.key_size < 4 ? s->p.key_size : 4);
	} else {
		hx_key_of(k % s->nkeys, key, s->p.key_size);
	}
}

static void value_of(const struct slot *s, unsigned char *v, uint32_t n)
{
	uint8_t a = u8(), b = u8();

	(void)s;
	for (uint32_t i = 0; i < n; i++)
		v[i] = (unsigned char)(a + i * (b | 1));
}

static uint64_t elem_flags(void)
{
	static const uint64_t common[] = { 0, 0, 0, 1, 1, 2, 2, 3, 4, 8, 16, 1ull << 32, ~0ull };
	uint8_t c = u8();

	return c < 0xf8 ? common[c % (sizeof(common) / sizeof(common[0]))] : u64();
}

/* A pointer that is not a buffer: NULL, unmapped, page zero, a kernel address. */
static uint64_t bad_ptr(void)
{
	switch (u8() % 4) {
	case 0: return 0;
	case 1: return (uintptr_t)hx_bad_ptr();
	case 2: return 0x10 + u8();
	default: return 0xffff888000000000ull;
	}
}

/* Maybe something else than a well-formed buffer at off: returns true if it set the field. */
static bool hostile_buf(struct hx_op *op, unsigned off, size_t len, const void *in, uint8_t how)
{
	switch (how) {
	case 0:
		hx_op_u64(op, off, bad_ptr());
		return true;
	case 1: /* one byte short of what the command needs, then an unmapped page */
		if (op->cmd == EMU_BPF_MAP_UPDATE_ELEM || !in) {
			struct hx_buf *b = hx_op_buf(op, off, len ? len - 1 : 0, in, NULL);

			b->page_end = true;
		} else {
			hx_op_ptr(op, off, hx_page_end_ptr(len ? len - 1 : 0, in));
		}
		return true;
	default:
		return false;
	}
}

/* The fd for an element op: the slot's, or now and then one that is not a map of this kind. */
static void op_fd(struct hx_op *op, unsigned off, const struct slot *s)
{
	uint8_t c = u8();

	if (c < 0xf0) {
		hx_op_fd(op, off, &s->p);
		return;
	}
	switch (c & 7) {
	case 0: hx_op_u32(op, off, (uint32_t)-1); break;
	case 1: hx_op_u32(op, off, (uint32_t)devnull); break;
	case 2: hx_op_u32(op, off, (uint32_t)closed_fd); break;
	case 3: hx_op_u32(op, off, 0x7fffffffu); break;
	default: {
		const struct slot *o = &slots[c % NSLOTS];

		/* another map (of another shape, maybe): one whose walks compare */
		if (o->live && o->ordered)
			hx_op_fd(op, off, &o->p);
		else
			hx_op_u32(op, off, (uint32_t)closed_fd);
	}
	}
}

/* Attr-level hostility: junk past the command's fields, odd sizes, NULL or truncated attrs. */
static void hostile_attr(struct hx_op *op, unsigned end)
{
	static const uint32_t sizes[] = { 0, 1, 4, 8, 12, 16, 20, 24, 31, 32, 33, 40, 56, 100, 167, 169, 200,
					  1024, 4096, 4097, 8192 };
	uint8_t c = u8();

	switch (c % 8) {
	case 0: /* a non-zero byte where the command's fields have ended */
		if (end < EMU_ATTR_SIZE)
			op->attr[end + u8() % (EMU_ATTR_SIZE - end)] = (unsigned char)(u8() | 1);
		break;
	case 1:
	case 2:
		op->size = PICK(sizes);
		if (op->size > EMU_ATTR_SIZE && op->size <= HX_ATTR_MAX && (u8() & 1))
			op->attr[EMU_ATTR_SIZE + u8() % (op->size - EMU_ATTR_SIZE)] = 1; /* non-zero tail: E2BIG */
		break;
	case 3:
		op->attr_mode = HX_ATTR_NULL;
		op->size = u8() % 2 ? 0 : PICK(sizes);
		break;
	case 4:
		op->attr_mode = HX_ATTR_PAGE_END;
		op->attr_avail = u8() % (EMU_ATTR_SIZE + 1);
		break;
	case 5: /* bytes the kernel does not check: padding inside the used part */
		op->attr[4 + u8() % 4] = u8();
		break;
	default:
		break;
	}
}

/* ---- operations ---- */

static void op_create(void)
{
	static const uint32_t ksz[] = { 1, 2, 3, 4, 4, 4, 5, 6, 7, 8, 8, 12, 16, 20, 33, 64 };
	static const uint32_t vsz[] = { 1, 2, 3, 4, 4, 5, 8, 8, 12, 16, 24, 32, 64, 100, 256, 512 };
	static const uint32_t maxes[] = { 1, 2, 3, 4, 5, 7, 8, 9, 16, 16, 31, 32, 64, 100, 200, 1000 };
	struct slot *s = &slots[u8() % NSLOTS];
	uint32_t t = types[u8() % NTYPES], ks, vs, max, flags = 0;
	uint8_t shape = u8();
	struct hx_op op;
	long r;

	op_name = "MAP_CREATE";
	label("MAP_CREATE", NULL);
	if (s->live)
		hx_close(&s->p);
	s->live = false;
	static const uint32_t lpm_data[] = { 1, 2, 3, 4, 4, 4, 5, 8, 8, 16 };

	ks = hx_is_qs(t) ? 0 : (t == EMU_MAP_ARRAY || t == EMU_MAP_PERCPU_ARRAY) ? 4 : t == EMU_MAP_LPM_TRIE ? 4 + PICK(lpm_data) : PICK(ksz);
	vs = PICK(vsz);
	max = PICK(maxes);
	if (hx_is_hash(t)) {
		if (hx_have_sys_admin && u8() % 8)
			flags |= EMU_F_ZERO_SEED;
		if (!hx_is_lru(t) && !(u8() % 4))
			flags |= EMU_F_NO_PREALLOC;
		if (hx_is_lru(t) && !(u8() % 4))
			flags |= EMU_F_NO_COMMON_LRU;
	} else if (t == EMU_MAP_ARRAY && !(u8() % 8)) {
		flags |= EMU_F_MMAPABLE;
	} else if (t == EMU_MAP_LPM_TRIE && u8() % 16) {
		flags |= EMU_F_NO_PREALLOC; /* required: without it, EINVAL */
	}
	switch (shape % 16) {
	case 0: flags |= EMU_F_RDONLY; break;
	case 1: flags |= EMU_F_WRONLY; break;
	case 2: flags |= EMU_F_RDONLY_PROG; break;
	case 3: flags |= 1u << (u8() % 20); break;        /* any flag, allowed or not */
	case 4: ks = u8(); break;                         /* any key size */
	case 5: vs = u32() % 40000; break;                /* any value size, per-CPU limit included */
	case 6: max = u8() == 0xff && hx_is_hash(t) ? 0xffffffffu : u8(); break;
	case 7: t = u8(); break;                          /* any map type: most are not emulated */
	default: break;
	}
	/* the other types need fds or programs as values, or cannot be walked: they have their own
	 * differential tests (tests/diff: diff_fdmaps, diff_ringbuf, diff_bloom) */
	if (t == 0 || t >= 34 || (!hx_is_hash(t) && !hx_is_qs(t) && t != EMU_MAP_ARRAY && t != EMU_MAP_PERCPU_ARRAY &&
				  t != EMU_MAP_LPM_TRIE))
		t = types[t % NTYPES];
	/* big maps make slow runs, and the kernel's allocator is not what is under test */
	if (max != 0xffffffffu && (uint64_t)max * vs > (2u << 20))
		max = 1 + max % 4;
	hx_create_op(&op, t, ks, vs, max, flags);
	if (shape % 16 == 8)
		hostile_attr(&op, MC_END);
	if (shape % 16 == 9) {
		static const char *const names[] = { "ok_name", "bad-name", "0123456789abcde", "0123456789abcdef",
						     "a.b_c", "\xe9t\xe9", "" };
		const char *n = names[u8() % 7];

		memcpy(op.attr + MC_NAME, n, strlen(n));
	}
	r = hx_create_from(&s->p, &op);
	if (tracing)
		fprintf(stderr, "[%s] slot %d: type %u key %u value %u max %u flags %#x -> %ld\n", hx_ctx_get(),
			(int)(s - slots), t, ks, vs, max, flags, r);
	check();
	if (r < 0)
		return;
	if (s->p.key_size > 256 || s->p.vbytes > 65536) {
		hx_close(&s->p); /* sizes a hostile attr made: the create was compared, buffers stay small */
		return;
	}
	s->live = true;
	s->ordered = !hx_is_hash(t) || (flags & EMU_F_ZERO_SEED);
	s->nkeys = hx_is_hash(t) ? 2 * s->p.max_entries + 3 : s->p.max_entries + 2;
	if (s->nkeys > 250)
		s->nkeys = 250;
	s->toklen = 0;
}

static unsigned op_no;

/* The harness prints this in its report: which operation, on which map. */
static void label(const char *what, const struct slot *s)
{
	if (s)
		hx_ctx("operation %u: %s on map slot %d: %s key_size %u value_size %u max_entries %u flags %#x", op_no,
		       what, (int)(s - slots), hx_type_name(s->p.type), s->p.key_size, s->p.value_size,
		       s->p.max_entries, s->p.flags);
	else
		hx_ctx("operation %u: %s", op_no, what);
}

static struct slot *live_slot(void)
{
	struct slot *s = &slots[u8() % NSLOTS];

	return s->live ? s : NULL;
}

/* LOOKUP, UPDATE, DELETE, GET_NEXT_KEY, LOOKUP_AND_DELETE */
static void op_elem(int cmd)
{
	struct slot *s = live_slot();
	unsigned char key[256], val[MAX_VALUE * 64];
	uint32_t klen, vlen;
	uint8_t how;
	struct hx_op op;

	/* a random seed orders the two sides differently: where a walk is, results differ */
	if (!s || (cmd == EMU_BPF_MAP_GET_NEXT_KEY && !s->ordered))
		return;
	op_name = hx_cmd_name(cmd);
	label(op_name, s);
	klen = s->p.key_size;
	vlen = cmd == EMU_BPF_MAP_GET_NEXT_KEY ? klen : s->p.vbytes;
	if (klen > sizeof(key) || vlen > sizeof(val))
		return; /* sizes a hostile create attr made: the create was compared, that is enough */
	hx_op_init(&op, cmd);
	op_fd(&op, EL_FD, s);
	how = u8();

	/* the key: queue and stack want none, others a key, or NULL for GET_NEXT_KEY's first */
	if (how % 8 == 0 && hostile_buf(&op, EL_KEY, klen, NULL, u8() % 3)) {
		/* done */
	} else if (!klen || (cmd == EMU_BPF_MAP_GET_NEXT_KEY && !(how & 0x10))) {
		hx_op_ptr(&op, EL_KEY, NULL);
	} else {
		key_of(s, key);
		hx_op_buf(&op, EL_KEY, klen, key, NULL);
	}
	if (cmd != EMU_BPF_MAP_DELETE_ELEM) {
		bool in = cmd == EMU_BPF_MAP_UPDATE_ELEM;

		if (in)
			value_of(s, val, vlen);
		if (how % 8 != 1 || !hostile_buf(&op, EL_VALUE, vlen, in ? val : NULL, u8() % 3))
			hx_op_buf(&op, EL_VALUE, vlen, in ? val : NULL, NULL);
	}
	if (cmd == EMU_BPF_MAP_LOOKUP_ELEM || cmd == EMU_BPF_MAP_UPDATE_ELEM || cmd == EMU_BPF_MAP_LOOKUP_AND_DELETE_ELEM)
		hx_op_u64(&op, EL_FLAGS, how % 8 == 3 ? elem_flags() : cmd == EMU_BPF_MAP_UPDATE_ELEM ? u8() % 3 : 0);
	if (how % 8 == 4)
		hostile_attr(&op, cmd == EMU_BPF_MAP_DELETE_ELEM ? 16 : cmd == EMU_BPF_MAP_GET_NEXT_KEY ? 24 : EL_END);
	run(&op);
}

static void op_freeze(void)
{
	struct slot *s = live_slot();
	struct hx_op op;

	if (!s || u8() % 4)
		return; /* rare: a frozen map refuses most of what follows */
	op_name = "MAP_FREEZE";
	label(op_name, s);
	hx_op_init(&op, EMU_BPF_MAP_FREEZE);
	op_fd(&op, 0, s);
	if (!(u8() % 4))
		hostile_attr(&op, 4);
	run(&op);
}

static void op_info(void)
{
	static const uint32_t lens[] = { 0, 1, 4, 8, 16, 24, 40, 44, 80, 88, 96, 100, 104, 104, 104, 112, 256, 4096, 4097 };
	struct slot *s = live_slot();
	unsigned char info[8192];
	uint32_t len = PICK(lens);
	uint8_t how = u8();
	struct hx_op op;
	struct hx_buf *b;

	if (!s)
		return;
	op_name = "OBJ_GET_INFO_BY_FD";
	label(op_name, s);
	memset(info, 0, sizeof(info));
	if (how & 1) /* caller bytes in the fields the kernel echoes back */
		for (uint32_t i = 0; i < 88 && i < len; i++)
			info[i] = u8();
	if (how & 2 && len > 104) /* junk past the kernel's struct: E2BIG */
		info[104 + u8() % (len - 104)] = 1;
	if (how & 4 && len >= 100) { /* the content hash: bad pointers only, the sides share them */
		uint64_t p = bad_ptr();
		uint32_t hs = u8() % 2 ? 32 : u8();

		memcpy(info + 88, &p, 8);
		memcpy(info + 96, &hs, 4);
	}
	hx_op_init(&op, EMU_BPF_OBJ_GET_INFO_BY_FD);
	op_fd(&op, INFO_FD, s);
	hx_op_u32(&op, INFO_LEN, len);
	if (!(how & 8) || !hostile_buf(&op, INFO_PTR, len, NULL, u8() % 3))
		hx_op_buf(&op, INFO_PTR, len > sizeof(info) ? sizeof(info) : len, info, NULL);
	if (op.nbuf) {
		b = &op.buf[op.nbuf - 1];
		b->mask_off = 4; /* the map id: each side numbers its own maps */
		b->mask_len = 4;
	}
	if (how & 16)
		hostile_attr(&op, INFO_END);
	run(&op);
}

static void op_batch(int cmd)
{
	static unsigned char keys[MAX_BATCH * 64], vals[MAX_BATCH * MAX_VALUE * 2];
	struct slot *s = live_slot();
	uint32_t count, n, ks, vb, toklen;
	uint8_t how = u8();
	struct hx_op op;
	bool lookup = cmd == 24 || cmd == 25;

	if (!s || (lookup && !s->ordered))
		return; /* bucket walks: which elements come (or go) first depends on the seed */
	op_name = hx_cmd_name(cmd);
	label(op_name, s);
	ks = s->p.key_size ? s->p.key_size : 4;
	vb = s->p.vbytes;
	if ((size_t)MAX_BATCH * vb > sizeof(vals) || ks > 64)
		return;
	n = u8() % (MAX_BATCH + 1);
	count = how % 16 == 0 ? u32() : n;
	toklen = hx_is_hash(s->p.type) || hx_is_qs(s->p.type) ? 4 : ks;

	hx_op_init(&op, cmd);
	hx_op_u32(&op, BA_COUNT, count);
	op_fd(&op, BA_FD, s);
	hx_op_u64(&op, BA_ELEM_FLAGS, how % 16 == 1 ? elem_flags() : 0);
	hx_op_u64(&op, BA_FLAGS, how % 16 == 2 ? elem_flags() : 0);
	if (lookup) {
		/* resume from the last token, or start over */
		if (s->toklen && (how & 0x20))
			hx_op_buf(&op, BA_IN, s->toklen, s->tok, NULL);
		else if (how % 16 == 3)
			hostile_buf(&op, BA_IN, toklen, NULL, 0);
		else
			hx_op_ptr(&op, BA_IN, NULL);
		if (how % 16 == 4)
			hostile_buf(&op, BA_OUT, toklen, NULL, u8() % 2);
		else
			hx_op_buf(&op, BA_OUT, toklen, NULL, s->tok);
		if (how % 16 == 5)
			hostile_buf(&op, BA_KEYS, (size_t)n * ks, NULL, u8() % 2);
		else
			hx_op_buf(&op, BA_KEYS, (size_t)n * ks, NULL, NULL);
		if (how % 16 == 6)
			hostile_buf(&op, BA_VALUES, (size_t)n * vb, NULL, u8() % 2);
		else
			hx_op_buf(&op, BA_VALUES, (size_t)n * vb, NULL, NULL);
	} else {
		for (uint32_t i = 0; i < n; i++)
			key_of(s, keys + (size_t)i * ks);
		if (cmd == 26)
			for (uint32_t i = 0; i < n; i++)
				value_of(s, vals + (size_t)i * vb, vb);
		/* A count past the buffers reads on: into the harness's red zone and then bytes each
		 * side's buffer slot kept from earlier calls, which differ by design (ids). Buffers that
		 * end at an unmapped page make both sides fault at the same element instead. */
		bool over = count > n;

		if (how % 16 == 5) {
			hostile_buf(&op, BA_KEYS, (size_t)n * ks, keys, u8() % 3);
		} else {
			hx_op_buf(&op, BA_KEYS, (size_t)n * ks, keys, NULL)->page_end = over;
		}
		if (cmd == 26) {
			if (how % 16 == 6)
				hostile_buf(&op, BA_VALUES, (size_t)n * vb, vals, u8() % 3);
			else
				hx_op_buf(&op, BA_VALUES, (size_t)n * vb, vals, NULL)->page_end = over;
		}
	}
	if (how % 16 == 7)
		hostile_attr(&op, BA_END);
	run(&op);
	if (lookup)
		s->toklen = toklen;
}

/* Commands the kernel does not know (documented ones that are not emulated are left out). */
static void op_unknown(void)
{
	static const uint32_t cmds[] = { 38, 39, 40, 64, 100, 255, 1000, 0x7fffffff, 0x80000000u, 0xffffffffu };
	struct hx_op op;

	op_name = "an unknown command";
	label(op_name, NULL);
	hx_op_init(&op, (int)PICK(cmds));
	for (int i = 0; i < 4; i++)
		op.attr[u8() % EMU_ATTR_SIZE] = u8();
	hostile_attr(&op, 0);
	run(&op);
}

static void op_compare(void)
{
	struct slot *s = live_slot();

	if (!s)
		return;
	op_name = "a whole-map comparison";
	label(op_name, s);
	hx_compare_contents(&s->p);
	check();
}

/* ---- for fuzz_progs.c ---- */

uint8_t fz_u8(void) { return u8(); }
uint32_t fz_u32(void) { return u32(); }
const struct hx_pair *fz_map(int slot) { return slot >= 0 && slot < NSLOTS && slots[slot].live ? &slots[slot].p : NULL; }
int fz_devnull(void) { return devnull; }
void fz_set_op(const char *name)
{
	op_name = name;
	label(name, NULL);
}
const char *fz_op(void) { return op_name; }
void fz_run(struct hx_op *op) { run(op); }
void fz_check(void) { check(); }

static void run_op(uint8_t opc)
{
	switch (opc % 20) {
	case 0:
	case 1: op_create(); break;
	case 2:
	case 3:
	case 4: op_elem(EMU_BPF_MAP_UPDATE_ELEM); break;
	case 5:
	case 6: op_elem(EMU_BPF_MAP_LOOKUP_ELEM); break;
	case 7: op_elem(EMU_BPF_MAP_DELETE_ELEM); break;
	case 8:
	case 9: op_elem(EMU_BPF_MAP_GET_NEXT_KEY); break;
	case 10: op_elem(EMU_BPF_MAP_LOOKUP_AND_DELETE_ELEM); break;
	case 11: op_freeze(); break;
	case 12: op_info(); break;
	case 13: op_batch(24); break; /* LOOKUP_BATCH */
	case 14: op_batch(25); break; /* LOOKUP_AND_DELETE_BATCH */
	case 15: op_batch(26); break; /* UPDATE_BATCH */
	case 16: op_batch(27); break; /* DELETE_BATCH */
	case 17: op_unknown(); break;
	case 18: op_compare(); break;
	case 19: fz_prog_op(); break; /* fuzz_progs.c */
	default: break;
	}
}

/* The emulator's files live where no other run's do: in FUZZ_MAPS_DIR (tests/fuzz/run.sh makes it
 * and removes it, also when killed), else in a directory of our own removed at exit. */
static char own_dir[PATH_MAX];

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	remove(p);
	return 0;
}

static void remove_own_dir(void)
{
	if (own_dir[0])
		nftw(own_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *given = getenv("FUZZ_MAPS_DIR"), *tmp = getenv("TMPDIR");
	char dir[PATH_MAX], sub[PATH_MAX + 16];

	(void)argc;
	(void)argv;
	if (given && *given) {
		snprintf(dir, sizeof(dir), "%s/state.%d", given, (int)getpid());
		if (mkdir(dir, 0700)) {
			perror(dir);
			exit(2);
		}
	} else {
		snprintf(dir, sizeof(dir), "%s/bpfemu-fuzz.XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(dir)) {
			perror("mkdtemp");
			exit(2);
		}
		snprintf(own_dir, sizeof(own_dir), "%s", dir);
		atexit(remove_own_dir);
	}
	setenv("BPFEMU_STATE_DIR", dir, 1);
	snprintf(sub, sizeof(sub), "%s/bpffs", dir);
	setenv("BPFEMU_BPFFS", sub, 1);
	hx_init("fuzz_maps"); /* exits 77 with the reason when bpf() is not permitted */
	if (!hx_pinned) {
		fprintf(stderr, "fuzz_maps: cannot pin to CPU 0: LRU eviction would not compare\n");
		exit(2);
	}
	hx_max_reports = 1;
	tracing = getenv("FUZZ_MAPS_TRACE") != NULL;
	hx_quiet_ok = true;
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	/* a number far above any fd this process holds, so no new map fd ever takes it */
	closed_fd = 999;
	close(closed_fd);
	if (getenv("BPFEMU_FAULT"))
		fprintf(stderr, "fuzz_maps: BPFEMU_FAULT=%s: the emulator is deliberately wrong\n", getenv("BPFEMU_FAULT"));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	in_p = data;
	in_n = size;
	memset(slots, 0, sizeof(slots));
	for (int i = 0; i < NSLOTS; i++)
		slots[i].p.fd[0] = slots[i].p.fd[1] = -1;
	for (op_no = 0; op_no < MAX_OPS && in_n; op_no++)
		run_op(u8());
	fz_progs_reset();
	for (int i = 0; i < NSLOTS; i++) {
		struct slot *s = &slots[i];

		if (!s->live)
			continue;
		op_name = "the final whole-map comparison";
		label(op_name, s);
		hx_compare_contents(&s->p);
		check();
		if (bpfemu_map_check(s->p.fd[HX_E])) {
			fprintf(stderr, "fuzz_maps: the emulated %s map is inconsistent (%s)\n", hx_type_name(s->p.type),
				strerror(errno));
			abort();
		}
		hx_close(&s->p);
	}
	return 0;
}
