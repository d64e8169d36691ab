/* SPDX-License-Identifier: MIT */
/* BPF_MAP_CREATE: per-type rules, size limits, names, the order of the generic checks, and the
 * fd it returns (kernel-semantics.md §2). */
#include "unit.h"

static const uint32_t all_types[] = { EMU_MAP_HASH, EMU_MAP_PERCPU_HASH, EMU_MAP_LRU_HASH, EMU_MAP_LRU_PERCPU_HASH,
				      EMU_MAP_ARRAY, EMU_MAP_PERCPU_ARRAY, EMU_MAP_QUEUE, EMU_MAP_STACK };
#define NTYPES ((int)(sizeof(all_types) / sizeof(all_types[0])))

static bool keyless(uint32_t t) { return t == EMU_MAP_QUEUE || t == EMU_MAP_STACK; }
static uint32_t good_ks(uint32_t t) { return keyless(t) ? 0 : 4; }

/* A valid attr for type t (8 entries of 8 bytes). */
static void good_attr(struct attr *a, uint32_t t, uint32_t flags)
{
	mc_attr(a, t, good_ks(t), 8, 8, flags);
}

static int try_flags(uint32_t t, uint32_t flags)
{
	struct attr a;
	int fd;

	good_attr(&a, t, flags);
	fd = map_create_attr(&a);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return -errno;
}

/* The single-bit flag matrix, bits 0..31: allowed bits per type, everything else EINVAL, except
 * NO_PREALLOC on the LRU types, which is ENOTSUPP. */
START_TEST(single_bit_flag_matrix)
{
	static const struct {
		uint32_t type, allowed;
	} m[] = {
		{ EMU_MAP_HASH, 1u << 0 | 1u << 2 | 1u << 3 | 1u << 4 | 1u << 6 | 1u << 7 | 1u << 8 },
		{ EMU_MAP_PERCPU_HASH, 1u << 0 | 1u << 3 | 1u << 4 | 1u << 6 | 1u << 7 | 1u << 8 },
		{ EMU_MAP_LRU_HASH, 1u << 1 | 1u << 2 | 1u << 3 | 1u << 4 | 1u << 6 | 1u << 7 | 1u << 8 },
		{ EMU_MAP_LRU_PERCPU_HASH, 1u << 1 | 1u << 3 | 1u << 4 | 1u << 6 | 1u << 7 | 1u << 8 },
		{ EMU_MAP_ARRAY, 1u << 2 | 1u << 3 | 1u << 4 | 1u << 7 | 1u << 8 | 1u << 10 | 1u << 12 },
		{ EMU_MAP_PERCPU_ARRAY, 1u << 3 | 1u << 4 | 1u << 7 | 1u << 8 },
		{ EMU_MAP_QUEUE, 1u << 2 | 1u << 3 | 1u << 4 | 1u << 7 | 1u << 8 },
		{ EMU_MAP_STACK, 1u << 2 | 1u << 3 | 1u << 4 | 1u << 7 | 1u << 8 },
	};
	int i = _i;

	for (unsigned bit = 0; bit < 32; bit++) {
		uint32_t t = m[i].type, f = 1u << bit;
		int want, got;

		if (m[i].allowed & f)
			want = 0;
		else if (bit == 0 && (t == EMU_MAP_LRU_HASH || t == EMU_MAP_LRU_PERCPU_HASH))
			want = -EMU_ENOTSUPP;
		else
			want = -EINVAL;
		got = try_flags(t, f);
		ck_assert_msg(got == want, "type %u bit %u: got %s, want %s", t, bit, errname(-got), errname(-want));
	}
}
END_TEST

START_TEST(flag_pairs)
{
	uint32_t t = all_types[_i];

	ck_assert_int_eq(try_flags(t, EMU_F_RDONLY | EMU_F_WRONLY), -EINVAL);
	ck_assert_int_eq(try_flags(t, EMU_F_RDONLY_PROG | EMU_F_WRONLY_PROG), -EINVAL);
	ck_assert_int_eq(try_flags(t, EMU_F_RDONLY_PROG | EMU_F_RDONLY), 0);
}
END_TEST

START_TEST(hash_flag_rules)
{
	ck_assert_int_eq(try_flags(EMU_MAP_LRU_HASH, EMU_F_NO_COMMON_LRU | EMU_F_NUMA_NODE), -EINVAL);
	ck_assert_int_eq(try_flags(EMU_MAP_LRU_PERCPU_HASH, EMU_F_NO_COMMON_LRU | EMU_F_ZERO_SEED | EMU_F_RDONLY_PROG), 0);
	ck_assert_int_eq(try_flags(EMU_MAP_HASH, EMU_F_NO_PREALLOC | EMU_F_ZERO_SEED | EMU_F_RDONLY_PROG), 0);
	ck_assert_int_eq(try_flags(EMU_MAP_PERCPU_HASH, EMU_F_NO_PREALLOC | EMU_F_NUMA_NODE), -EINVAL);
	ck_assert_int_eq(try_flags(EMU_MAP_HASH, EMU_F_MMAPABLE), -EINVAL);
	ck_assert_int_eq(try_flags(EMU_MAP_HASH, EMU_F_NO_COMMON_LRU), -EINVAL);
	ck_assert_int_eq(try_flags(EMU_MAP_HASH, 1u << 20), -EINVAL);
	/* checked before the sizes: NO_PREALLOC on LRU with key_size 0 is still ENOTSUPP */
	{
		struct attr a;

		mc_attr(&a, EMU_MAP_LRU_HASH, 0, 8, 8, EMU_F_NO_PREALLOC);
		ERR(map_create_attr(&a), EMU_ENOTSUPP);
		mc_attr(&a, EMU_MAP_LRU_HASH, 4, 8, 0, EMU_F_NO_PREALLOC | EMU_F_NO_COMMON_LRU);
		ERR(map_create_attr(&a), EMU_ENOTSUPP);
	}
}
END_TEST

START_TEST(array_flag_rules)
{
	ck_assert_int_eq(try_flags(EMU_MAP_ARRAY, EMU_F_MMAPABLE | EMU_F_INNER_MAP | EMU_F_NUMA_NODE), 0);
	ck_assert_int_eq(try_flags(EMU_MAP_PERCPU_ARRAY, EMU_F_MMAPABLE), -EINVAL);
	ck_assert_int_eq(try_flags(EMU_MAP_PERCPU_ARRAY, EMU_F_INNER_MAP), -EINVAL);
	ck_assert_int_eq(try_flags(EMU_MAP_PERCPU_ARRAY, EMU_F_NUMA_NODE), -EINVAL);
	ck_assert_int_eq(try_flags(EMU_MAP_ARRAY, EMU_F_ZERO_SEED), -EINVAL);
	ck_assert_int_eq(try_flags(EMU_MAP_ARRAY, EMU_F_NO_PREALLOC), -EINVAL);
	ck_assert_int_eq(try_flags(EMU_MAP_ARRAY, 1u << 11), -EINVAL); /* PRESERVE_ELEMS: perf arrays only */
}
END_TEST

START_TEST(numa_node)
{
	struct attr a;
	int fd;

	/* node 0 is always online */
	good_attr(&a, EMU_MAP_HASH, EMU_F_NUMA_NODE);
	put32(a.b, MC_NUMA, 0);
	fd = map_create_attr(&a);
	ck_assert_int_ge(fd, 0);
	close(fd);
	/* no machine has this many nodes */
	put32(a.b, MC_NUMA, 0x7ff0);
	ERR(map_create_attr(&a), EINVAL);
	/* NUMA_NO_NODE with the flag means no node */
	put32(a.b, MC_NUMA, 0xffffffffu);
	fd = map_create_attr(&a);
	ck_assert_int_ge(fd, 0);
	close(fd);
	put32(a.b, MC_NUMA, 0xfffffffeu);
	ERR(map_create_attr(&a), EINVAL);
	/* without the flag the field is ignored */
	good_attr(&a, EMU_MAP_ARRAY, 0);
	put32(a.b, MC_NUMA, 0x7ff0);
	fd = map_create_attr(&a);
	ck_assert_int_ge(fd, 0);
	close(fd);
	/* per-CPU types refuse a node, but NUMA_NO_NODE is none */
	good_attr(&a, EMU_MAP_PERCPU_HASH, EMU_F_NUMA_NODE);
	put32(a.b, MC_NUMA, 0xffffffffu);
	fd = map_create_attr(&a);
	ck_assert_int_ge(fd, 0);
	close(fd);
	good_attr(&a, EMU_MAP_PERCPU_ARRAY, EMU_F_NUMA_NODE);
	put32(a.b, MC_NUMA, 0xffffffffu);
	fd = map_create_attr(&a);
	ck_assert_int_ge(fd, 0);
	close(fd);
	put32(a.b, MC_NUMA, 0);
	ERR(map_create_attr(&a), EINVAL);
	/* a bad node beats the type check's ENOTSUPP */
	mc_attr(&a, EMU_MAP_LRU_HASH, 4, 8, 8, EMU_F_NUMA_NODE | EMU_F_NO_PREALLOC);
	put32(a.b, MC_NUMA, 0x7ff0);
	ERR(map_create_attr(&a), EINVAL);
}
END_TEST

START_TEST(zero_sizes_einval)
{
	uint32_t t = all_types[_i];
	uint32_t ks = good_ks(t);

	ERR(create(t, ks, 8, 0, 0), EINVAL);
	ERR(create(t, ks, 0, 8, 0), EINVAL);
	if (!keyless(t))
		ERR(create(t, 0, 8, 8, 0), EINVAL);
}
END_TEST

START_TEST(key_size_rules)
{
	int fd;

	ERR(create(EMU_MAP_ARRAY, 8, 8, 8, 0), EINVAL);
	ERR(create(EMU_MAP_ARRAY, 3, 8, 8, 0), EINVAL);
	ERR(create(EMU_MAP_PERCPU_ARRAY, 2, 8, 8, 0), EINVAL);
	ERR(create(EMU_MAP_QUEUE, 4, 8, 8, 0), EINVAL);
	ERR(create(EMU_MAP_STACK, 1, 8, 8, 0), EINVAL);
	fd = mkmap(EMU_MAP_HASH, 512, 8, 8, 0);
	close(fd);
	fd = mkmap(EMU_MAP_HASH, 513, 8, 8, 0);
	close(fd);
	fd = mkmap(EMU_MAP_HASH, 1, 1, 1, 0);
	close(fd);
}
END_TEST

START_TEST(hash_size_limits)
{
	int fd;

	/* key_size + value_size must stay below 4 MiB - 48 */
	fd = mkmap(EMU_MAP_HASH, 4, 4194251, 1, 0);
	close(fd);
	ERR(create(EMU_MAP_HASH, 4, 4194252, 1, 0), E2BIG);
	ERR(create(EMU_MAP_HASH, 4194252, 4, 1, 0), E2BIG);
	ERR(create(EMU_MAP_LRU_HASH, 4, 1u << 26, 1, 0), E2BIG);
	fd = mkmap(EMU_MAP_HASH, 4, 1u << 20, 1, 0);
	close(fd);
	/* per-CPU slots are at most 32 KiB */
	fd = mkmap(EMU_MAP_PERCPU_HASH, 4, 32768, 1, 0);
	close(fd);
	ERR(create(EMU_MAP_PERCPU_HASH, 4, 32769, 1, 0), E2BIG);
	ERR(create(EMU_MAP_LRU_PERCPU_HASH, 4, 32769, 1, 0), E2BIG);
	fd = mkmap(EMU_MAP_LRU_PERCPU_HASH, 4, 32767, 1, 0); /* rounds up to exactly 32 KiB */
	close(fd);
	/* n_buckets * 16 must fit in u32 */
	ERR(create(EMU_MAP_HASH, 4, 8, (1u << 28) + 1, 0), E2BIG);
	ERR(create(EMU_MAP_HASH, 4, 8, 0x80000001u, 0), E2BIG);
	ERR(create(EMU_MAP_HASH, 4, 8, 0xffffffffu, 0), E2BIG);
	ERR(create(EMU_MAP_LRU_HASH, 4, 8, (1u << 28) + 1, 0), E2BIG);
	ERR(create(EMU_MAP_PERCPU_HASH, 4, 8, 0xffffffffu, EMU_F_NO_PREALLOC), E2BIG);
	fd = mkmap(EMU_MAP_HASH, 4, 8, 1u << 20, 0);
	close(fd);
	fd = mkmap(EMU_MAP_HASH, 4, 8, 1u << 24, EMU_F_NO_PREALLOC);
	close(fd);
}
END_TEST

START_TEST(array_size_limits)
{
	int fd;

	fd = mkmap(EMU_MAP_ARRAY, 4, 8u << 20, 1, 0);
	close(fd);
	ERR(create(EMU_MAP_ARRAY, 4, 0x80000000u, 1, 0), E2BIG);
	ERR(create(EMU_MAP_ARRAY, 4, 0xffffffffu, 1, 0), E2BIG);
	fd = mkmap(EMU_MAP_PERCPU_ARRAY, 4, 32768, 1, 0);
	close(fd);
	ERR(create(EMU_MAP_PERCPU_ARRAY, 4, 32769, 1, 0), E2BIG);
	/* what cannot be allocated */
	ERR(create(EMU_MAP_ARRAY, 4, 1u << 20, 0xffffffffu, 0), ENOMEM);
	ERR(create(EMU_MAP_PERCPU_ARRAY, 4, 32768, 0xffffffffu, 0), ENOMEM);
}
END_TEST

START_TEST(queue_size_limits)
{
	int fd;

	fd = mkmap(EMU_MAP_QUEUE, 0, 4u << 20, 1, 0);
	close(fd);
	ERR(create(EMU_MAP_QUEUE, 0, (4u << 20) + 1, 1, 0), E2BIG);
	ERR(create(EMU_MAP_STACK, 0, (4u << 20) + 1, 1, 0), E2BIG);
	ERR(create(EMU_MAP_STACK, 0, 4096, 0xffffffffu, 0), ENOMEM);
}
END_TEST

START_TEST(map_extra_einval_every_type)
{
	struct attr a;

	good_attr(&a, all_types[_i], 0);
	put64(a.b, MC_EXTRA, 1);
	ERR(map_create_attr(&a), EINVAL);
	put64(a.b, MC_EXTRA, 1ull << 63);
	ERR(map_create_attr(&a), EINVAL);
	/* beats the type check's ENOTSUPP */
	mc_attr(&a, EMU_MAP_LRU_HASH, 4, 8, 8, EMU_F_NO_PREALLOC);
	put64(a.b, MC_EXTRA, 5);
	ERR(map_create_attr(&a), EINVAL);
}
END_TEST

START_TEST(ignored_fields)
{
	struct attr a;
	int fd;

	good_attr(&a, all_types[_i], 0);
	put32(a.b, MC_INNER_FD, 12345);
	put32(a.b, MC_NUMA, 77);
	put32(a.b, MC_BTF_FD, 999);
	put32(a.b, MC_VTYPE_BTF_OBJ_FD, 999);
	put32(a.b, MC_TOKEN_FD, 999);
	fd = map_create_attr(&a);
	ck_assert_msg(fd >= 0, "errno %s", errname(errno));
	close(fd);
}
END_TEST

START_TEST(btf_ids)
{
	struct attr a;
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int map = mkmap(EMU_MAP_ARRAY, 4, 4, 1, 0);

	/* key type without value type */
	good_attr(&a, EMU_MAP_HASH, 0);
	put32(a.b, MC_BTF_KEY, 1);
	ERR(map_create_attr(&a), EINVAL);
	/* vmlinux value type on a type that is not struct_ops */
	good_attr(&a, EMU_MAP_HASH, 0);
	put32(a.b, MC_BTF_VMLINUX, 1);
	ERR(map_create_attr(&a), EINVAL);
	/* both ids: now btf_fd is used */
	good_attr(&a, EMU_MAP_HASH, 0);
	put32(a.b, MC_BTF_KEY, 1);
	put32(a.b, MC_BTF_VALUE, 2);
	put32(a.b, MC_BTF_FD, 999);
	ERR(map_create_attr(&a), EBADF);
	put32(a.b, MC_BTF_FD, 0xffffffffu);
	ERR(map_create_attr(&a), EBADF);
	put32(a.b, MC_BTF_FD, (uint32_t)devnull);
	ERR(map_create_attr(&a), EINVAL);
	put32(a.b, MC_BTF_FD, (uint32_t)map);
	ERR(map_create_attr(&a), EINVAL);
	/* value type alone also needs a BTF fd */
	good_attr(&a, EMU_MAP_ARRAY, 0);
	put32(a.b, MC_BTF_VALUE, 2);
	put32(a.b, MC_BTF_FD, 999);
	ERR(map_create_attr(&a), EBADF);
	close(devnull);
	close(map);
}
END_TEST

START_TEST(token_fd)
{
	struct attr a;
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

	good_attr(&a, EMU_MAP_HASH, EMU_F_TOKEN_FD);
	put32(a.b, MC_TOKEN_FD, 999);
	ERR(map_create_attr(&a), EBADF);
	put32(a.b, MC_TOKEN_FD, (uint32_t)devnull);
	ERR(map_create_attr(&a), EINVAL);
	/* the type check comes first */
	mc_attr(&a, EMU_MAP_HASH, 0, 8, 8, EMU_F_TOKEN_FD);
	put32(a.b, MC_TOKEN_FD, 999);
	ERR(map_create_attr(&a), EINVAL);
	close(devnull);
}
END_TEST

START_TEST(excl_prog_hash)
{
	static const unsigned char h[32] = { 1, 2, 3 };
	struct attr a;
	int fd;

	good_attr(&a, EMU_MAP_HASH, 0);
	putp(a.b, MC_EXCL_HASH, h);
	put32(a.b, MC_EXCL_HASH_SIZE, 16);
	ERR(map_create_attr(&a), EINVAL);
	put32(a.b, MC_EXCL_HASH_SIZE, 0);
	ERR(map_create_attr(&a), EINVAL);
	put32(a.b, MC_EXCL_HASH_SIZE, 32);
	fd = map_create_attr(&a);
	ck_assert_msg(fd >= 0, "errno %s", errname(errno));
	close(fd);
	putp(a.b, MC_EXCL_HASH, (void *)(uintptr_t)16);
	ERR(map_create_attr(&a), EFAULT);
	/* a size without a pointer */
	putp(a.b, MC_EXCL_HASH, NULL);
	ERR(map_create_attr(&a), EINVAL);
	/* BTF is judged first */
	put32(a.b, MC_BTF_KEY, 1);
	put32(a.b, MC_BTF_VALUE, 1);
	put32(a.b, MC_BTF_FD, 999);
	ERR(map_create_attr(&a), EBADF);
}
END_TEST

static int create_named(uint32_t t, const void *name16)
{
	struct attr a;

	good_attr(&a, t, 0);
	memcpy(a.b + MC_NAME, name16, 16);
	return map_create_attr(&a);
}

START_TEST(names)
{
	static const char *const ok[] = { "", "a", "a.b_c", "ABCxyz_09.", "123456789012345", "_" };
	static const char *const bad[] = { "a-b", "a b", "a/b", "\xc3\xa9", "x:", "tab\t" };
	char n[16];
	int fd;

	for (unsigned i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		memset(n, 0, sizeof(n));
		memcpy(n, ok[i], strlen(ok[i]));
		fd = create_named(EMU_MAP_ARRAY, n);
		ck_assert_msg(fd >= 0, "name '%s': %s", ok[i], errname(errno));
		close(fd);
	}
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(n, 0, sizeof(n));
		memcpy(n, bad[i], strlen(bad[i]));
		ERR(create_named(EMU_MAP_ARRAY, n), EINVAL);
	}
	/* 16 characters leave no room for the NUL */
	memcpy(n, "0123456789abcdef", 16);
	ERR(create_named(EMU_MAP_HASH, n), EINVAL);
	/* anything after the first NUL is ignored */
	memset(n, '-', sizeof(n));
	memcpy(n, "ab", 3);
	fd = create_named(EMU_MAP_HASH, n);
	ck_assert_int_ge(fd, 0);
	close(fd);
}
END_TEST

START_TEST(name_checked_after_allocation)
{
	struct attr a;

	/* a size that fails allocation wins over a bad name */
	mc_attr(&a, EMU_MAP_HASH, 4, 4194252, 1, 0);
	memcpy(a.b + MC_NAME, "bad-name", 8);
	ERR(map_create_attr(&a), E2BIG);
	mc_attr(&a, EMU_MAP_HASH, 4, 8, (1u << 28) + 1, 0);
	memcpy(a.b + MC_NAME, "bad-name", 8);
	ERR(map_create_attr(&a), E2BIG);
	mc_attr(&a, EMU_MAP_ARRAY, 4, 1u << 20, 0xffffffffu, 0);
	memcpy(a.b + MC_NAME, "bad-name", 8);
	ERR(map_create_attr(&a), ENOMEM);
	/* and the type check's ENOTSUPP too */
	mc_attr(&a, EMU_MAP_LRU_HASH, 4, 8, 8, EMU_F_NO_PREALLOC);
	memcpy(a.b + MC_NAME, "bad-name", 8);
	ERR(map_create_attr(&a), EMU_ENOTSUPP);
	/* the name is judged before BTF */
	mc_attr(&a, EMU_MAP_HASH, 4, 8, 8, 0);
	memcpy(a.b + MC_NAME, "bad-name", 8);
	put32(a.b, MC_BTF_KEY, 1);
	put32(a.b, MC_BTF_VALUE, 1);
	put32(a.b, MC_BTF_FD, 999);
	ERR(map_create_attr(&a), EINVAL);
}
END_TEST

START_TEST(generic_checks_beat_type_check)
{
	struct attr a;

	/* each of these would be ENOTSUPP from the LRU type check */
	mc_attr(&a, EMU_MAP_LRU_HASH, 4, 8, 8, EMU_F_NO_PREALLOC | EMU_F_RDONLY | EMU_F_WRONLY);
	ERR(map_create_attr(&a), EINVAL);
	mc_attr(&a, EMU_MAP_LRU_HASH, 4, 8, 8, EMU_F_NO_PREALLOC);
	put32(a.b, MC_BTF_KEY, 1);
	ERR(map_create_attr(&a), EINVAL);
	mc_attr(&a, EMU_MAP_LRU_HASH, 4, 8, 8, EMU_F_NO_PREALLOC);
	a.b[MC_END] = 1;
	ERR(map_create_attr(&a), EINVAL);
}
END_TEST

START_TEST(fd_is_cloexec_with_access_mode)
{
	uint32_t t = all_types[_i];
	static const struct {
		uint32_t flags;
		int mode;
	} m[] = { { 0, O_RDWR }, { EMU_F_RDONLY, O_RDONLY }, { EMU_F_WRONLY, O_WRONLY } };

	for (unsigned i = 0; i < 3; i++) {
		struct attr a;
		int fd;

		good_attr(&a, t, m[i].flags);
		fd = map_create_attr(&a);
		ck_assert_int_gt(fd, 2);
		ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
		ck_assert_int_eq(fcntl(fd, F_GETFL) & O_ACCMODE, m[i].mode);
		close(fd);
	}
}
END_TEST

START_TEST(ids_increase_and_are_not_reused)
{
	int a = mkmap(EMU_MAP_HASH, 4, 4, 4, 0);
	int b = mkmap(EMU_MAP_ARRAY, 4, 4, 4, 0);
	uint32_t ia = map_id(a), ib = map_id(b), ic;
	int c;

	ck_assert_uint_gt(ia, 0);
	ck_assert_uint_gt(ib, ia);
	close(b);
	c = mkmap(EMU_MAP_QUEUE, 0, 4, 4, 0);
	ic = map_id(c);
	ck_assert_uint_gt(ic, ib);
	/* a dup is the same map */
	{
		int d = dup(c);

		ck_assert_uint_eq(map_id(d), ic);
		close(d);
	}
	close(a);
	close(c);
}
END_TEST

START_TEST(many_maps)
{
	/* creation and close in a loop must not leak mappings or ids */
	uint32_t last = 0;

	for (int i = 0; i < 300; i++) {
		int fd = mkmap(all_types[i % NTYPES], good_ks(all_types[i % NTYPES]), 8, 16, 0);
		uint32_t id = map_id(fd);

		ck_assert_uint_gt(id, last);
		last = id;
		close(fd);
	}
}
END_TEST

START_TEST(big_empty_maps_are_cheap)
{
	/* preallocated like the kernel's, yet only touched pages cost: 256K entries of 4 KiB, a 1 GiB
	 * file of which a few pages are ever written */
	int fd = mkmap(EMU_MAP_HASH, 8, 4096, 1u << 18, 0);
	uint64_t k = 42;
	unsigned char *v = calloc(1, 4096), *out = calloc(1, 4096);

	memset(v, 0x5a, 4096);
	OK(update(fd, &k, v, 0));
	OK(lookup(fd, &k, out, 0));
	ck_assert_mem_eq(v, out, 4096);
	free(v);
	free(out);
	close(fd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("create");
	TCase *tc = tcase_create("create");
	TCase *emu = emu_tcase(s);

	unit_init("2");
	tcase_add_loop_test(tc, single_bit_flag_matrix, 0, NTYPES);
	tcase_add_loop_test(tc, flag_pairs, 0, NTYPES);
	tcase_add_test(tc, hash_flag_rules);
	tcase_add_test(tc, array_flag_rules);
	tcase_add_test(tc, numa_node);
	tcase_add_loop_test(tc, zero_sizes_einval, 0, NTYPES);
	tcase_add_test(tc, key_size_rules);
	tcase_add_test(tc, hash_size_limits);
	tcase_add_test(tc, array_size_limits);
	tcase_add_test(tc, queue_size_limits);
	tcase_add_loop_test(tc, map_extra_einval_every_type, 0, NTYPES);
	tcase_add_loop_test(tc, ignored_fields, 0, NTYPES);
	tcase_add_test(tc, btf_ids);
	tcase_add_test(tc, token_fd);
	tcase_add_test(tc, excl_prog_hash);
	tcase_add_test(tc, names);
	tcase_add_test(tc, name_checked_after_allocation);
	tcase_add_test(tc, generic_checks_beat_type_check);
	tcase_add_loop_test(tc, fd_is_cloexec_with_access_mode, 0, NTYPES);
	tcase_add_test(tc, ids_increase_and_are_not_reused);
	tcase_add_test(tc, many_maps);
	suite_add_tcase(s, tc);
	/* the kernel would really allocate 1 GiB here */
	opt_add_test(emu, big_empty_maps_are_cheap);
	return unit_run(s);
}
