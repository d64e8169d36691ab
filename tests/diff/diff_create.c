/* SPDX-License-Identifier: MIT */
/*
 * kernel-semantics.md §2 and Appendix A (BPF_MAP_CREATE): every emulated type × every single flag
 * bit, size and E2BIG boundaries, names, map_extra, NUMA, BTF ids, inner_map_fd, ifindex, token
 * and exclusive-program-hash fields, and the order of checks (pairs of faults). Each successful
 * create also compares the new fds' access mode and close-on-exec flag and the map's info.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static const uint32_t types[] = { EMU_MAP_HASH, EMU_MAP_PERCPU_HASH, EMU_MAP_LRU_HASH, EMU_MAP_LRU_PERCPU_HASH,
				   EMU_MAP_ARRAY, EMU_MAP_PERCPU_ARRAY, EMU_MAP_QUEUE, EMU_MAP_STACK };
#define NTYPES (sizeof(types) / sizeof(types[0]))

static int devnull = -1;
static struct hx_pair other; /* a live map whose fds are passed where other fds belong */

static uint32_t default_key(uint32_t t) { return hx_is_qs(t) ? 0 : 4; }

static void base_op(struct hx_op *op, uint32_t t)
{
	hx_create_op(op, t, default_key(t), 8, 8, 0);
	op->ret_fd = true;
}

/* Without CAP_SYS_ADMIN the kernel refuses BPF_F_ZERO_SEED on hash maps and any device offload
 * (map_ifindex) with EPERM, while the emulator answers as a privileged caller: those creates are
 * not comparable. */
static unsigned long skipped_unpriv;

static bool not_comparable(const struct hx_op *op)
{
	uint32_t t, f, ifindex = 0;

	if (hx_have_sys_admin || op->size < MC_FLAGS + 4)
		return false;
	memcpy(&t, op->attr + MC_TYPE, 4);
	memcpy(&f, op->attr + MC_FLAGS, 4);
	if (op->size >= MC_IFINDEX + 4)
		memcpy(&ifindex, op->attr + MC_IFINDEX, 4);
	if ((hx_is_hash(t) && (f & EMU_F_ZERO_SEED)) || ifindex) {
		skipped_unpriv++;
		return true;
	}
	return false;
}

static long run(struct hx_op *op)
{
	struct hx_res r;

	if (not_comparable(op))
		return -EPERM;

	op->ret_fd = true;
	hx_run(op, &r);
	return hx_kret(&r) >= 0 ? 0 : hx_kret(&r);
}

/* Create, compare, and when both succeeded compare the maps too (info, a round trip). */
static long run_keep(struct hx_op *op)
{
	struct hx_pair p;
	long r;

	if (not_comparable(op))
		return -EPERM;
	r = hx_create_from(&p, op);

	if (r >= 0) {
		hx_close(&p);
		return 0;
	}
	return r;
}

static void flag_matrix(void)
{
	/* The single-bit table of §2.2: allowed bits per type (kernel-semantics.md). */
	static const struct {
		uint32_t type, allowed;
	} table[] = {
		{ EMU_MAP_HASH, 0x1dd }, { EMU_MAP_PERCPU_HASH, 0x1d9 }, { EMU_MAP_LRU_HASH, 0x1de }, { EMU_MAP_LRU_PERCPU_HASH, 0x1da },
		{ EMU_MAP_ARRAY, 0x159c }, { EMU_MAP_PERCPU_ARRAY, 0x198 }, { EMU_MAP_QUEUE, 0x19c }, { EMU_MAP_STACK, 0x19c },
	};

	for (size_t i = 0; i < NTYPES; i++) {
		for (int bit = 0; bit < 32; bit++) {
			struct hx_op op;
			long r;

			hx_ctx("MAP_CREATE %s flags 1<<%d", hx_type_name(types[i]), bit);
			base_op(&op, types[i]);
			hx_op_u32(&op, MC_FLAGS, 1u << bit);
			r = run_keep(&op);
			if (bit < 20 && table[i].type == types[i] && bit != 16) {
				long want = (table[i].allowed >> bit) & 1 ? 0 : -EINVAL;

				if (bit == 0 && hx_is_lru(types[i]))
					want = -EMU_ENOTSUPP;
				if (r != -ENOTRECOVERABLE && (hx_have_sys_admin || bit != 6))
					hx_expect(r, want, "single flag bit (§2.2 table)");
			}
		}
		/* every pair of the low 13 bits */
		for (int b1 = 0; b1 < 13; b1++)
			for (int b2 = b1 + 1; b2 < 13; b2++) {
				struct hx_op op;

				hx_ctx("MAP_CREATE %s flags 1<<%d|1<<%d", hx_type_name(types[i]), b1, b2);
				base_op(&op, types[i]);
				hx_op_u32(&op, MC_FLAGS, (1u << b1) | (1u << b2));
				run_keep(&op);
			}
		/* all flags a type accepts at once, and everything */
		{
			struct hx_op op;

			hx_ctx("MAP_CREATE %s all allowed flags", hx_type_name(types[i]));
			base_op(&op, types[i]);
			hx_op_u32(&op, MC_FLAGS, table[i].allowed & ~(EMU_F_RDONLY | EMU_F_WRONLY | EMU_F_WRONLY_PROG));
			run_keep(&op);
			hx_ctx("MAP_CREATE %s flags 0xffffffff", hx_type_name(types[i]));
			base_op(&op, types[i]);
			hx_op_u32(&op, MC_FLAGS, 0xffffffffu);
			run_keep(&op);
		}
	}
}

struct size_case {
	uint32_t ks, vs, max, flags;
};

static void sizes(void)
{
	static const struct size_case hash_cases[] = {
		{ 0, 8, 8, 0 }, { 4, 0, 8, 0 }, { 4, 8, 0, 0 }, { 1, 1, 1, 0 }, { 3, 5, 7, 0 },
		{ 512, 8, 4, 0 }, { 513, 8, 4, 0 }, { 4096, 8, 2, 0 }, { 65536, 8, 1, 0 },
		{ 4, 1u << 20, 1, 0 }, { 4, 1u << 26, 1, 0 }, { 4, 4194251, 1, 0 }, { 4, 4194252, 1, 0 },
		{ 4194199, 52, 1, 0 }, { 4194200, 52, 1, 0 }, { 0xffffffffu, 1, 1, 0 }, { 1, 0xffffffffu, 1, 0 },
		{ 0x80000000u, 0x80000000u, 1, 0 },
		{ 4, 8, (1u << 28) + 1, 0 }, { 4, 8, (1u << 28) + 1, EMU_F_NO_PREALLOC }, { 4, 8, 0x80000000u, 0 },
		{ 4, 8, 0x80000001u, 0 }, { 4, 8, 0xffffffffu, 0 }, { 4, 8, 0xffffffffu, EMU_F_NO_PREALLOC },
		{ 4, 8, 1u << 20, EMU_F_NO_PREALLOC }, { 4, 8, 1u << 22, EMU_F_NO_PREALLOC }, { 4, 8, 100000, 0 },
		{ 4, 32767, 1, 0 }, { 4, 32768, 1, 0 }, { 4, 32769, 1, 0 }, { 4, 32768, 2, EMU_F_NO_PREALLOC },
		{ 4, 32769, 2, EMU_F_NO_PREALLOC }, { 4, 1, 3, EMU_F_NO_COMMON_LRU }, { 4, 1, 1, EMU_F_NO_COMMON_LRU },
		{ 4, 1, 0xffffffffu, EMU_F_NO_COMMON_LRU }, { 4, 1, 0xfffffffeu, EMU_F_NO_COMMON_LRU },
		{ 4, 8, 5, EMU_F_NO_COMMON_LRU | EMU_F_ZERO_SEED | EMU_F_RDONLY_PROG },
		{ 0, 0, 0, 0 }, { 0, 0, 0, 0xffffffffu }, { 4, 8, 8, EMU_F_NUMA_NODE | EMU_F_NO_COMMON_LRU },
	};
	static const struct size_case array_cases[] = {
		{ 0, 8, 8, 0 }, { 3, 8, 8, 0 }, { 5, 8, 8, 0 }, { 8, 8, 8, 0 }, { 4, 0, 8, 0 }, { 4, 8, 0, 0 },
		{ 4, 1, 1, 0 }, { 4, 3, 3, 0 }, { 4, 8u << 20, 1, 0 }, { 4, 0x80000000u, 1, 0 },
		{ 4, 0xffffffffu, 1, 0 }, { 4, 8, 0xffffffffu, 0 }, { 4, 4096, 1u << 23, 0 }, { 4, 32767, 1, 0 },
		{ 4, 32768, 1, 0 }, { 4, 32769, 1, 0 }, { 4, 8, 1000, EMU_F_MMAPABLE }, { 4, 12, 5, EMU_F_MMAPABLE },
		{ 4, 8, 0xffffffffu, EMU_F_MMAPABLE }, { 4, 8, 3, EMU_F_INNER_MAP }, { 4, 8, 3, EMU_F_MMAPABLE | EMU_F_INNER_MAP },
	};
	static const struct size_case qs_cases[] = {
		{ 4, 8, 8, 0 }, { 1, 8, 8, 0 }, { 0, 0, 8, 0 }, { 0, 8, 0, 0 }, { 0, 1, 1, 0 }, { 0, 3, 7, 0 },
		{ 0, 4u << 20, 1, 0 }, { 0, (4u << 20) + 1, 1, 0 }, { 0, 0xffffffffu, 1, 0 }, { 0, 8, 0xffffffffu, 0 },
		{ 0, 4096, 1u << 23, 0 }, { 0, 8, 100000, 0 },
	};

	for (size_t i = 0; i < NTYPES; i++) {
		uint32_t t = types[i];
		const struct size_case *cs = hx_is_hash(t) ? hash_cases : hx_is_qs(t) ? qs_cases : array_cases;
		size_t n = hx_is_hash(t) ? sizeof(hash_cases) / sizeof(hash_cases[0])
			   : hx_is_qs(t) ? sizeof(qs_cases) / sizeof(qs_cases[0])
					  : sizeof(array_cases) / sizeof(array_cases[0]);

		for (size_t c = 0; c < n; c++) {
			struct hx_op op;
			long r;

			/* the kernel really allocates a prealloc hash: keep those to what this box holds */
			if (hx_is_hash(t) && !(cs[c].flags & EMU_F_NO_PREALLOC) && cs[c].max > (1u << 20) &&
			    cs[c].max <= (1u << 28))
				continue;
			if (t == EMU_MAP_PERCPU_ARRAY && (uint64_t)cs[c].max * cs[c].vs > (1ull << 30))
				continue; /* per-CPU allocations of that size take the box down before failing */
			hx_ctx("MAP_CREATE %s key %u value %u max %u flags %#x", hx_type_name(t), cs[c].ks, cs[c].vs,
			       cs[c].max, cs[c].flags);
			hx_create_op(&op, t, cs[c].ks, cs[c].vs, cs[c].max, cs[c].flags);
			r = run_keep(&op);
			/* data points of §2.2 and Appendix A */
			if (t == EMU_MAP_HASH && cs[c].ks == 4 && cs[c].max == 1 && cs[c].flags == 0) {
				if (cs[c].vs == 4194251)
					hx_expect(r, 0, "key+value one below the limit");
				if (cs[c].vs == 4194252 || cs[c].vs == (1u << 26))
					hx_expect(r, -E2BIG, "key+value at the limit");
			}
			if (t == EMU_MAP_PERCPU_HASH && cs[c].ks == 4 && cs[c].max == 1 && cs[c].flags == 0) {
				if (cs[c].vs == 32768)
					hx_expect(r, 0, "per-CPU value 32768");
				if (cs[c].vs == 32769)
					hx_expect(r, -E2BIG, "per-CPU value 32769");
			}
			if (t == EMU_MAP_HASH && cs[c].max == (1u << 28) + 1)
				hx_expect(r, -E2BIG, "max_entries 2^28+1");
			if (t == EMU_MAP_QUEUE && cs[c].vs == (4u << 20) + 1 && cs[c].max == 1)
				hx_expect(r, -E2BIG, "queue value > 4 MiB");
			if (t == EMU_MAP_ARRAY && cs[c].vs == 0x80000000u)
				hx_expect(r, -E2BIG, "array value_size > INT_MAX");
		}
	}
}

static void names(void)
{
	static const struct {
		const char *bytes;
		size_t len;
	} list[] = {
		{ "", 1 },
		{ "a", 2 },
		{ "a.b_c", 6 },
		{ "ABCxyz0189_.", 13 },
		{ "a-b", 4 },
		{ "a b", 4 },
		{ "a/b", 4 },
		{ "a:b", 4 },
		{ "\x80", 2 },
		{ "\xff", 2 },
		{ "123456789012345", 16 },
		{ "1234567890123456", 16 },
		{ "abc\0\xff\xff-!", 9 },
		{ "abc\0def", 8 },
		{ "\0\x01\x02", 4 },
		{ "x\ty", 4 },
	};

	for (size_t i = 0; i < NTYPES; i++)
		for (size_t n = 0; n < sizeof(list) / sizeof(list[0]); n++) {
			struct hx_op op;

			hx_ctx("MAP_CREATE %s name #%zu", hx_type_name(types[i]), n);
			base_op(&op, types[i]);
			memcpy(op.attr + MC_NAME, list[n].bytes, list[n].len);
			run_keep(&op);
			/* a bad name is found only after the sizes passed */
			hx_ctx("MAP_CREATE %s name #%zu with max_entries 0", hx_type_name(types[i]), n);
			base_op(&op, types[i]);
			hx_op_u32(&op, MC_MAX_ENTRIES, 0);
			memcpy(op.attr + MC_NAME, list[n].bytes, list[n].len);
			run(&op);
			hx_ctx("MAP_CREATE %s name #%zu with an E2BIG value size", hx_type_name(types[i]), n);
			base_op(&op, types[i]);
			hx_op_u32(&op, MC_VALUE_SIZE, hx_is_qs(types[i]) ? (4u << 20) + 1 : 0x80000000u);
			memcpy(op.attr + MC_NAME, list[n].bytes, list[n].len);
			run(&op);
		}
	/* every byte value as a one-character name */
	for (unsigned c = 1; c < 256; c++) {
		struct hx_op op;

		hx_ctx("MAP_CREATE name byte %#x", c);
		base_op(&op, EMU_MAP_HASH);
		op.attr[MC_NAME] = (unsigned char)c;
		run_keep(&op);
		hx_ctx("MAP_CREATE name \"ab\" + byte %#x at position 15 (unterminated)", c);
		base_op(&op, EMU_MAP_ARRAY);
		memset(op.attr + MC_NAME, 'a', 15);
		op.attr[MC_NAME + 15] = (unsigned char)c;
		run(&op);
	}
	{
		struct hx_op op;

		hx_ctx("MAP_CREATE name with '-'");
		base_op(&op, EMU_MAP_HASH);
		memcpy(op.attr + MC_NAME, "a-b", 4);
		hx_expect(run(&op), -EINVAL, "map_name with '-'");
		hx_ctx("MAP_CREATE name unterminated");
		base_op(&op, EMU_MAP_HASH);
		memcpy(op.attr + MC_NAME, "abcdefghijklmnop", 16);
		hx_expect(run(&op), -EINVAL, "map_name unterminated");
	}
}

/* Fields that are checked, ignored, or resolved as fds. */
static void other_fields(void)
{
	const int fd_values[] = { 0, 1, 2, 999, -1, devnull, other.fd[HX_K], other.fd[HX_E] };

	for (size_t i = 0; i < NTYPES; i++) {
		uint32_t t = types[i];
		struct hx_op op;

		static const uint64_t extras[] = { 1, 0xf, 0x10, 1ull << 32, 1ull << 63, ~0ull };

		for (size_t e = 0; e < sizeof(extras) / sizeof(extras[0]); e++) {
			hx_ctx("MAP_CREATE %s map_extra %#llx", hx_type_name(t), (unsigned long long)extras[e]);
			base_op(&op, t);
			hx_op_u64(&op, MC_EXTRA, extras[e]);
			if (e == 0)
				hx_expect(run(&op), -EINVAL, "map_extra non-zero");
			else
				run(&op);
		}

		static const uint32_t nodes[] = { 0, 1, 2, 63, 1000, 0xffffffffu, 0xfffffffeu };

		for (size_t n = 0; n < sizeof(nodes) / sizeof(nodes[0]); n++) {
			hx_ctx("MAP_CREATE %s NUMA_NODE node %u", hx_type_name(t), nodes[n]);
			base_op(&op, t);
			hx_op_u32(&op, MC_FLAGS, EMU_F_NUMA_NODE);
			hx_op_u32(&op, MC_NUMA, nodes[n]);
			run_keep(&op);
			hx_ctx("MAP_CREATE %s numa_node %u without the flag", hx_type_name(t), nodes[n]);
			base_op(&op, t);
			hx_op_u32(&op, MC_NUMA, nodes[n]);
			run_keep(&op);
		}

		for (size_t f = 0; f < sizeof(fd_values) / sizeof(fd_values[0]); f++) {
			int fd = fd_values[f];

			hx_ctx("MAP_CREATE %s inner_map_fd %d", hx_type_name(t), fd);
			base_op(&op, t);
			hx_op_u32(&op, MC_INNER_FD, (uint32_t)fd);
			run_keep(&op);
			hx_ctx("MAP_CREATE %s btf_fd %d, no type ids", hx_type_name(t), fd);
			base_op(&op, t);
			hx_op_u32(&op, MC_BTF_FD, (uint32_t)fd);
			run_keep(&op);
			hx_ctx("MAP_CREATE %s btf_fd %d, key/value type ids 1/2", hx_type_name(t), fd);
			base_op(&op, t);
			hx_op_u32(&op, MC_BTF_FD, (uint32_t)fd);
			hx_op_u32(&op, MC_BTF_KEY, 1);
			hx_op_u32(&op, MC_BTF_VALUE, 2);
			run(&op);
			hx_ctx("MAP_CREATE %s btf_fd %d, value type id only", hx_type_name(t), fd);
			base_op(&op, t);
			hx_op_u32(&op, MC_BTF_FD, (uint32_t)fd);
			hx_op_u32(&op, MC_BTF_VALUE, 2);
			run(&op);
			hx_ctx("MAP_CREATE %s TOKEN_FD with map_token_fd %d", hx_type_name(t), fd);
			base_op(&op, t);
			hx_op_u32(&op, MC_FLAGS, EMU_F_TOKEN_FD);
			hx_op_u32(&op, MC_TOKEN_FD, (uint32_t)fd);
			run(&op);
			hx_ctx("MAP_CREATE %s map_token_fd %d without the flag", hx_type_name(t), fd);
			base_op(&op, t);
			hx_op_u32(&op, MC_TOKEN_FD, (uint32_t)fd);
			run_keep(&op);
			hx_ctx("MAP_CREATE %s value_type_btf_obj_fd %d", hx_type_name(t), fd);
			base_op(&op, t);
			hx_op_u32(&op, MC_VTYPE_BTF_OBJ_FD, (uint32_t)fd);
			run_keep(&op);
		}
		/* the pair's own fds, substituted per side: a map is not a BTF object or a token */
		hx_ctx("MAP_CREATE %s btf_fd = a map fd, type ids set", hx_type_name(t));
		base_op(&op, t);
		hx_op_fd(&op, MC_BTF_FD, &other);
		hx_op_u32(&op, MC_BTF_KEY, 1);
		hx_op_u32(&op, MC_BTF_VALUE, 2);
		run(&op);
		hx_ctx("MAP_CREATE %s inner_map_fd = a map fd", hx_type_name(t));
		base_op(&op, t);
		hx_op_fd(&op, MC_INNER_FD, &other);
		run_keep(&op);
		hx_ctx("MAP_CREATE %s TOKEN_FD, map_token_fd = a map fd", hx_type_name(t));
		base_op(&op, t);
		hx_op_u32(&op, MC_FLAGS, EMU_F_TOKEN_FD);
		hx_op_fd(&op, MC_TOKEN_FD, &other);
		run(&op);

		hx_ctx("MAP_CREATE %s btf_key_type_id without value id", hx_type_name(t));
		base_op(&op, t);
		hx_op_u32(&op, MC_BTF_KEY, 1);
		hx_expect(run(&op), -EINVAL, "btf_key_type_id without btf_value_type_id");
		hx_ctx("MAP_CREATE %s btf_vmlinux_value_type_id", hx_type_name(t));
		base_op(&op, t);
		hx_op_u32(&op, MC_BTF_VMLINUX, 5);
		run(&op);
		hx_ctx("MAP_CREATE %s btf_vmlinux_value_type_id + key/value ids", hx_type_name(t));
		base_op(&op, t);
		hx_op_u32(&op, MC_BTF_VMLINUX, 5);
		hx_op_u32(&op, MC_BTF_KEY, 1);
		hx_op_u32(&op, MC_BTF_VALUE, 2);
		run(&op);

		/* 1 is the loopback device (no offload, no XDP hooks); the others do not exist. Other
		 * devices are left out: one with XDP hooks but no offload answers EINVAL, which user
		 * space cannot tell apart (a known approximation of the emulator). */
		static const uint32_t ifindexes[] = { 1, 999, 0xffffffffu };

		for (size_t k = 0; k < sizeof(ifindexes) / sizeof(ifindexes[0]); k++) {
			hx_ctx("MAP_CREATE %s map_ifindex %u", hx_type_name(t), ifindexes[k]);
			base_op(&op, t);
			hx_op_u32(&op, MC_IFINDEX, ifindexes[k]);
			run(&op);
		}

		/* exclusive program hash */
		{
			static const unsigned char hash[64] = { 1, 2, 3 };
			static const uint32_t hsizes[] = { 0, 1, 31, 32, 33, 64 };

			for (size_t k = 0; k < sizeof(hsizes) / sizeof(hsizes[0]); k++) {
				hx_ctx("MAP_CREATE %s excl_prog_hash size %u", hx_type_name(t), hsizes[k]);
				base_op(&op, t);
				hx_op_buf(&op, MC_EXCL_HASH, 32, hash, NULL);
				hx_op_u32(&op, MC_EXCL_HASH_SIZE, hsizes[k]);
				run_keep(&op);
				hx_ctx("MAP_CREATE %s excl_prog_hash NULL, size %u", hx_type_name(t), hsizes[k]);
				base_op(&op, t);
				hx_op_u32(&op, MC_EXCL_HASH_SIZE, hsizes[k]);
				run_keep(&op);
				hx_ctx("MAP_CREATE %s excl_prog_hash unreadable, size %u", hx_type_name(t), hsizes[k]);
				base_op(&op, t);
				hx_op_ptr(&op, MC_EXCL_HASH, hx_bad_ptr());
				hx_op_u32(&op, MC_EXCL_HASH_SIZE, hsizes[k]);
				run(&op);
				hx_ctx("MAP_CREATE %s excl_prog_hash 31 readable bytes, size %u", hx_type_name(t), hsizes[k]);
				base_op(&op, t);
				hx_op_ptr(&op, MC_EXCL_HASH, hx_page_end_ptr(31, hash));
				hx_op_u32(&op, MC_EXCL_HASH_SIZE, hsizes[k]);
				run(&op);
			}
		}
	}
}

/* Faults that each alone make a create fail; pairs of them show which check comes first. */
struct fault {
	const char *name;
	void (*apply)(struct hx_op *op, uint32_t t);
};

static void flags_or(struct hx_op *op, uint32_t f)
{
	uint32_t v;

	memcpy(&v, op->attr + MC_FLAGS, 4);
	hx_op_u32(op, MC_FLAGS, v | f);
}

static void f_tail(struct hx_op *op, uint32_t t) { (void)t; op->attr[120] = 1; }
static void f_vmlinux(struct hx_op *op, uint32_t t) { (void)t; hx_op_u32(op, MC_BTF_VMLINUX, 3); }
static void f_btf_key_only(struct hx_op *op, uint32_t t) { (void)t; hx_op_u32(op, MC_BTF_KEY, 3); }
static void f_extra(struct hx_op *op, uint32_t t) { (void)t; hx_op_u64(op, MC_EXTRA, 2); }
static void f_rdwr(struct hx_op *op, uint32_t t)
{
	(void)t;
	flags_or(op, EMU_F_RDONLY | EMU_F_WRONLY);
}
static void f_numa(struct hx_op *op, uint32_t t)
{
	(void)t;
	flags_or(op, EMU_F_NUMA_NODE);
	hx_op_u32(op, MC_NUMA, 1);
}
static void f_type(struct hx_op *op, uint32_t t) { (void)t; hx_op_u32(op, MC_TYPE, 200); }
static void f_type0(struct hx_op *op, uint32_t t) { (void)t; hx_op_u32(op, MC_TYPE, 0); }
static void f_key(struct hx_op *op, uint32_t t) { hx_op_u32(op, MC_KEY_SIZE, hx_is_qs(t) ? 4 : 0); }
static void f_value(struct hx_op *op, uint32_t t) { (void)t; hx_op_u32(op, MC_VALUE_SIZE, 0); }
static void f_max(struct hx_op *op, uint32_t t) { (void)t; hx_op_u32(op, MC_MAX_ENTRIES, 0); }
static void f_bit20(struct hx_op *op, uint32_t t)
{
	(void)t;
	flags_or(op, 1u << 20);
}
static void f_prog_both(struct hx_op *op, uint32_t t)
{
	(void)t;
	flags_or(op, EMU_F_RDONLY_PROG | EMU_F_WRONLY_PROG);
}
static void f_noprealloc(struct hx_op *op, uint32_t t)
{
	(void)t;
	flags_or(op, EMU_F_NO_PREALLOC);
}
static void f_big(struct hx_op *op, uint32_t t)
{
	hx_op_u32(op, MC_VALUE_SIZE, hx_is_qs(t) ? (4u << 20) + 1 : hx_is_hash(t) ? (1u << 26) : 0x80000000u);
}
static void f_bigmax(struct hx_op *op, uint32_t t)
{
	/* fails only at allocation: E2BIG for hashes, ENOMEM for the others */
	hx_op_u32(op, MC_MAX_ENTRIES, hx_is_hash(t) ? 0x80000001u : 0xffffffffu);
}
static void f_name(struct hx_op *op, uint32_t t) { (void)t; memcpy(op->attr + MC_NAME, "bad name", 9); }
static void f_btf_fd(struct hx_op *op, uint32_t t)
{
	(void)t;
	hx_op_u32(op, MC_BTF_KEY, 1);
	hx_op_u32(op, MC_BTF_VALUE, 1);
	hx_op_u32(op, MC_BTF_FD, 999);
}
static void f_excl(struct hx_op *op, uint32_t t) { (void)t; hx_op_u32(op, MC_EXCL_HASH_SIZE, 7); }
static void f_token(struct hx_op *op, uint32_t t)
{
	(void)t;
	flags_or(op, EMU_F_TOKEN_FD);
	hx_op_u32(op, MC_TOKEN_FD, 999);
}
static void f_ifindex(struct hx_op *op, uint32_t t) { (void)t; hx_op_u32(op, MC_IFINDEX, 999); }
static void f_ifindex_lo(struct hx_op *op, uint32_t t) { (void)t; hx_op_u32(op, MC_IFINDEX, 1); }
static void f_nocommon(struct hx_op *op, uint32_t t)
{
	(void)t;
	flags_or(op, EMU_F_NO_COMMON_LRU);
}
static void f_zero_seed(struct hx_op *op, uint32_t t)
{
	(void)t;
	flags_or(op, EMU_F_ZERO_SEED);
}

static const struct fault faults[] = {
	{ "tail byte 120", f_tail },	  { "btf_vmlinux id", f_vmlinux }, { "btf key id only", f_btf_key_only },
	{ "map_extra", f_extra },	  { "RDONLY|WRONLY", f_rdwr },     { "NUMA node 1", f_numa },
	{ "type 200", f_type },		  { "type 0", f_type0 },	   { "bad key_size", f_key },
	{ "value_size 0", f_value },	  { "max_entries 0", f_max },	   { "flag bit 20", f_bit20 },
	{ "both *_PROG", f_prog_both },	  { "NO_PREALLOC", f_noprealloc }, { "huge value", f_big },
	{ "huge max_entries", f_bigmax }, { "bad name", f_name },	   { "btf_fd 999", f_btf_fd },
	{ "excl hash size 7", f_excl },	  { "TOKEN_FD 999", f_token },	   { "ifindex 999", f_ifindex },
	{ "ifindex 1 (lo)", f_ifindex_lo },
	{ "NO_COMMON_LRU", f_nocommon },  { "ZERO_SEED", f_zero_seed },
};
#define NFAULTS (sizeof(faults) / sizeof(faults[0]))

static void check_order(void)
{
	for (size_t i = 0; i < NTYPES; i++)
		for (size_t a = 0; a < NFAULTS; a++)
			for (size_t b = a; b < NFAULTS; b++) {
				struct hx_op op;

				hx_ctx("MAP_CREATE %s faults: %s + %s", hx_type_name(types[i]), faults[a].name, faults[b].name);
				base_op(&op, types[i]);
				faults[a].apply(&op, types[i]);
				faults[b].apply(&op, types[i]);
				run_keep(&op);
			}
}

/* Short attr sizes cut MAP_CREATE's fields off (zero-filled). */
static void short_sizes(void)
{
	for (size_t i = 0; i < NTYPES; i++)
		for (unsigned sz = 0; sz <= 96; sz += 4) {
			struct hx_op op;

			hx_ctx("MAP_CREATE %s attr size %u, name and flags set", hx_type_name(types[i]), sz);
			base_op(&op, types[i]);
			hx_op_u32(&op, MC_FLAGS, EMU_F_RDONLY_PROG);
			memcpy(op.attr + MC_NAME, "bad-name", 9);
			op.size = sz;
			run_keep(&op);
		}
}

int main(void)
{
	hx_init("diff_create");
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	hx_ctx("setup");
	if (hx_create(&other, EMU_MAP_ARRAY, 4, 4, 1, 0) < 0) {
		printf("FAIL: setup\n");
		return 1;
	}
	flag_matrix();
	sizes();
	names();
	other_fields();
	check_order();
	short_sizes();
	hx_close(&other);
	close(devnull);
	if (skipped_unpriv)
		printf("NOTE: %lu creates with BPF_F_ZERO_SEED on hash maps or map_ifindex skipped (no CAP_SYS_ADMIN)\n",
		       skipped_unpriv);
	return hx_finish();
}
