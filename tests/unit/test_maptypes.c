/* SPDX-License-Identifier: MIT */
/*
 * The map types of issue 21, the answers written down from 6.18 (BPFEMU_UNIT_KERNEL=1 checks them
 * against the kernel): LPM_TRIE's longest match and postorder walk, BLOOM_FILTER's push and peek,
 * the ring buffers' size rules and element answers, maps of maps (template rules, ids, the inner
 * map alive while held), program and perf event arrays' update rules. Emulator-only cases (the
 * ring buffer test API with a consumer mapping, a crash in the middle of an LPM update) are left
 * out on the kernel.
 */
#include "unit.h"

struct cidr4 {
	uint32_t plen;
	uint8_t a[4];
};

static int lpm4(uint32_t max)
{
	return mkmap(EMU_MAP_LPM_TRIE, 8, 4, max, EMU_F_NO_PREALLOC);
}

static void add(int fd, uint32_t plen, uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint32_t v)
{
	struct cidr4 k = { plen, { a, b, c, d } };

	OK(update(fd, &k, &v, 0));
}

static uint32_t match(int fd, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct cidr4 k = { 32, { a, b, c, d } };
	uint32_t v = 0;

	if (lookup(fd, &k, &v, 0))
		return 0;
	return v;
}

START_TEST(lpm_longest_match)
{
	int fd = lpm4(16);

	add(fd, 16, 192, 168, 0, 0, 1);
	add(fd, 24, 192, 168, 0, 0, 2);
	add(fd, 24, 192, 168, 128, 0, 3);
	add(fd, 24, 192, 168, 1, 0, 5); /* makes an intermediate 192.168.0.0/23 */
	add(fd, 0, 0, 0, 0, 0, 9);      /* the default route */
	ck_assert_uint_eq(match(fd, 192, 168, 0, 7), 2);
	ck_assert_uint_eq(match(fd, 192, 168, 1, 7), 5);
	ck_assert_uint_eq(match(fd, 192, 168, 128, 1), 3);
	ck_assert_uint_eq(match(fd, 192, 168, 2, 1), 1); /* under the /23 IM node: its parent /16 */
	ck_assert_uint_eq(match(fd, 10, 0, 0, 1), 9);
	close(fd);
}
END_TEST

START_TEST(lpm_postorder_walk)
{
	/* the kernel's comment's example: more specific prefixes first */
	int fd = lpm4(16);
	struct cidr4 k, want[] = {
		{ 24, { 192, 168, 0, 0 } }, { 24, { 192, 168, 1, 0 } }, { 24, { 192, 168, 128, 0 } }, { 16, { 192, 168, 0, 0 } },
	};

	add(fd, 16, 192, 168, 0, 0, 1);
	add(fd, 24, 192, 168, 0, 0, 2);
	add(fd, 24, 192, 168, 128, 0, 3);
	add(fd, 24, 192, 168, 1, 0, 5);
	OK(next_key(fd, NULL, &k));
	for (size_t i = 0; i < 4; i++) {
		ck_assert_msg(!memcmp(&k, &want[i], sizeof(k)), "walk step %zu: /%u %u.%u.%u.%u", i, k.plen, k.a[0],
			      k.a[1], k.a[2], k.a[3]);
		if (i < 3)
			OK(next_key(fd, &k, &k));
	}
	ERR(next_key(fd, &k, &k), ENOENT);
	close(fd);
}
END_TEST

START_TEST(lpm_rules)
{
	struct cidr4 k = { 33, { 1, 2, 3, 4 } };
	uint32_t v = 1;
	int fd;

	ERR(create(EMU_MAP_LPM_TRIE, 8, 4, 4, 0), EINVAL);                 /* BPF_F_NO_PREALLOC required */
	ERR(create(EMU_MAP_LPM_TRIE, 4, 4, 4, EMU_F_NO_PREALLOC), EINVAL); /* no data byte */
	ERR(create(EMU_MAP_LPM_TRIE, 4 + 257, 4, 4, EMU_F_NO_PREALLOC), EINVAL);
	fd = lpm4(2);
	ERR(update(fd, &k, &v, 0), EINVAL);
	ERR(delete(fd, &k), EINVAL);
	ERR(lookup(fd, &k, &v, 0), ENOENT);
	k.plen = 8;
	ERR(update(fd, &k, &v, 3), EINVAL);
	ERR(update(fd, &k, &v, EMU_EXIST), ENOENT);
	OK(update(fd, &k, &v, EMU_NOEXIST));
	ERR(update(fd, &k, &v, EMU_NOEXIST), EEXIST);
	k.plen = 16;
	OK(update(fd, &k, &v, 0));
	k.plen = 24;
	ERR(update(fd, &k, &v, 0), ENOSPC);
	k.plen = 16;
	OK(update(fd, &k, &v, EMU_EXIST)); /* a replace fits a full trie */
	ERR(lookup_del(fd, &k, &v, 0), EMU_ENOTSUPP);
	close(fd);
}
END_TEST

START_TEST(bloom_push_and_peek)
{
	struct attr a;
	uint32_t v = 7, w = 8;
	int fd;

	mc_attr(&a, EMU_MAP_BLOOM_FILTER, 0, 4, 100, EMU_F_ZERO_SEED);
	put64(a.b, MC_EXTRA, 16);
	ERR(map_create_attr(&a), EINVAL); /* at most 15 hash functions */
	put64(a.b, MC_EXTRA, 3);
	fd = map_create_attr(&a);
	ck_assert_int_ge(fd, 0);
	ERR(lookup(fd, NULL, &v, 0), ENOENT);
	OK(update(fd, NULL, &v, 0));
	ERR(update(fd, NULL, &v, EMU_NOEXIST), EINVAL);
	ERR(update(fd, &w, &v, 0), EINVAL); /* keyless */
	OK(lookup(fd, NULL, &v, 0));
	ck_assert_uint_eq(v, 7); /* the value is the question: not written */
	ERR(lookup(fd, NULL, &w, 0), ENOENT);
	ERR(delete(fd, NULL), EOPNOTSUPP);
	ERR(next_key(fd, NULL, &w), EOPNOTSUPP);
	ERR(lookup_del(fd, NULL, &w, 0), EMU_ENOTSUPP);
	close(fd);
}
END_TEST

START_TEST(ringbuf_rules)
{
	uint32_t v;
	int fd;

	for (int t = 0; t < 2; t++) {
		uint32_t type = t ? EMU_MAP_USER_RINGBUF : EMU_MAP_RINGBUF;

		ERR(create(type, 0, 0, 4096 * 3, 0), EINVAL); /* not a power of two */
		ERR(create(type, 0, 0, 2048, 0), EINVAL);     /* not a page multiple */
		ERR(create(type, 4, 0, 4096, 0), EINVAL);
		ERR(create(type, 0, 0, 4096, EMU_F_RDONLY), EINVAL);
		fd = mkmap(type, 0, 0, 4096, 0);
		ERR(lookup(fd, NULL, &v, 0), EMU_ENOTSUPP);
		ERR(update(fd, NULL, &v, 0), EMU_ENOTSUPP);
		ERR(delete(fd, NULL), EMU_ENOTSUPP);
		ERR(next_key(fd, NULL, &v), EMU_ENOTSUPP);
		ERR(lookup(fd, &v, &v, 0), EINVAL);
		close(fd);
	}
}
END_TEST

/* The test API and a consumer's mapping: records as libbpf reads them (emulator only). */
START_TEST(ringbuf_api_records)
{
	int fd;
	unsigned long *cons, *prod;
	unsigned char *data;
	uint32_t hdr[2];
	void *s;

	if (unit_kernel())
		return;
	fd = mkmap(EMU_MAP_RINGBUF, 0, 0, 4096, 0);
	cons = bpfemu_mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	prod = bpfemu_mmap(NULL, 4096 * 3, PROT_READ, MAP_SHARED, fd, 4096);
	ck_assert_ptr_ne(cons, MAP_FAILED);
	ck_assert_ptr_ne(prod, MAP_FAILED);
	data = (unsigned char *)prod + 4096;
	OK(bpfemu_ringbuf_output(fd, "hello", 5, 0));
	ck_assert_uint_eq(*prod, 16);
	memcpy(hdr, data, 8);
	ck_assert_uint_eq(hdr[0], 5);
	ck_assert_uint_eq(hdr[1], 3); /* pg_off: the kernel's three meta pages */
	ck_assert(!memcmp(data + 8, "hello", 5));
	s = bpfemu_ringbuf_reserve(fd, 4000);
	ck_assert_ptr_nonnull(s);
	memcpy(hdr, data + 16, 8);
	ck_assert_uint_eq(hdr[0], 4000 | EMU_RINGBUF_BUSY_BIT);
	ck_assert_ptr_null(bpfemu_ringbuf_reserve(fd, 100)); /* the ring holds size - 1 at most */
	ck_assert_int_eq(errno, EAGAIN);
	OK(bpfemu_ringbuf_discard(fd, s, 0));
	memcpy(hdr, data + 16, 8);
	ck_assert_uint_eq(hdr[0], 4000 | EMU_RINGBUF_DISCARD_BIT);
	ERR(bpfemu_ringbuf_submit(fd, s, 0), EINVAL); /* no longer reserved */
	ck_assert_uint_eq(bpfemu_ringbuf_query(fd, EMU_RB_AVAIL_DATA), 16 + 4008);
	*cons = 16 + 4008;
	/* wraps past the end: contiguous through the second mapping of the data */
	OK(bpfemu_ringbuf_output(fd, "0123456789abcdef0123456789abcdef", 32, 0));
	ck_assert(!memcmp(data + ((16 + 4008) & 4095) + 8, "0123456789abcdef0123456789abcdef", 32));
	ERR(bpfemu_ringbuf_output(fd, "x", 1, 4), EINVAL);
	munmap(cons, 4096);
	munmap(prod, 4096 * 3);
	close(fd);
}
END_TEST

START_TEST(maps_of_maps)
{
	struct attr a;
	int inner = mkmap(EMU_MAP_ARRAY, 4, 8, 4, 0), other = mkmap(EMU_MAP_ARRAY, 4, 8, 5, 0);
	int hash = mkmap(EMU_MAP_HASH, 4, 8, 4, 0), pa = mkmap(EMU_MAP_PROG_ARRAY, 4, 4, 4, 0), outer;
	uint32_t k = 0, id = 0;

	mc_attr(&a, EMU_MAP_ARRAY_OF_MAPS, 4, 4, 4, 0);
	put32(a.b, MC_INNER_FD, 999);
	ERR(map_create_attr(&a), EBADF);
	put32(a.b, MC_INNER_FD, (uint32_t)pa);
	ERR(map_create_attr(&a), EMU_ENOTSUPP);
	put32(a.b, MC_INNER_FD, (uint32_t)inner);
	outer = map_create_attr(&a);
	ck_assert_int_ge(outer, 0);
	put32(a.b, MC_INNER_FD, (uint32_t)outer);
	ERR(map_create_attr(&a), EINVAL); /* one level only */
	ERR(update(outer, &k, &hash, 0), EINVAL);  /* another type */
	ERR(update(outer, &k, &other, 0), EINVAL); /* another max_entries (array) */
	ERR(update(outer, &k, &inner, EMU_NOEXIST), EINVAL);
	k = 4;
	ERR(update(outer, &k, &inner, 0), E2BIG);
	k = 1;
	OK(update(outer, &k, &inner, 0));
	OK(lookup(outer, &k, &id, 0));
	ck_assert_uint_eq(id, map_id(inner));
	k = 2;
	ERR(lookup(outer, &k, &id, 0), ENOENT);
	ERR(delete(outer, &k), ENOENT);
	k = 1;
	OK(delete(outer, &k));
	ERR(lookup_del(outer, &k, &id, 0), EMU_ENOTSUPP);
	close(outer);
	close(inner);
	close(other);
	close(hash);
	close(pa);
}
END_TEST

START_TEST(prog_and_perf_arrays)
{
	int pa = mkmap(EMU_MAP_PROG_ARRAY, 4, 4, 4, 0), pe = mkmap(EMU_MAP_PERF_EVENT_ARRAY, 4, 4, 4, 0);
	int m = mkmap(EMU_MAP_ARRAY, 4, 4, 1, 0);
	uint32_t k = 0, v;

	ERR(create(EMU_MAP_PROG_ARRAY, 4, 8, 4, 0), EINVAL);
	ERR(create(EMU_MAP_PROG_ARRAY, 4, 4, 4, EMU_F_RDONLY_PROG), EINVAL);
	ERR(create(EMU_MAP_PROG_ARRAY, 4, 4, 4, EMU_F_PRESERVE_ELEMS), EINVAL);
	close(mkmap(EMU_MAP_PERF_EVENT_ARRAY, 4, 4, 4, EMU_F_PRESERVE_ELEMS));
	ERR(update(pa, &k, &m, 0), EINVAL); /* a map is no program */
	ERR(update(pa, &k, &(int){ 999 }, 0), EBADF);
	ERR(update(pa, &k, &m, EMU_ANY + 1), EINVAL);
	ERR(lookup(pa, &k, &v, 0), ENOENT);
	ERR(update(pe, &k, &m, 0), EBADF); /* a map is no perf event */
	ERR(lookup(pe, &k, &v, 0), EMU_ENOTSUPP);
	ERR(delete(pe, &k), ENOENT);
	k = 9;
	ERR(delete(pe, &k), E2BIG);
	close(pa);
	close(pe);
	close(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("maptypes");
	TCase *tc = tcase_create("maptypes");

	unit_init(NULL);
	tcase_add_test(tc, lpm_longest_match);
	tcase_add_test(tc, lpm_postorder_walk);
	tcase_add_test(tc, lpm_rules);
	tcase_add_test(tc, bloom_push_and_peek);
	tcase_add_test(tc, ringbuf_rules);
	tcase_add_test(tc, ringbuf_api_records);
	tcase_add_test(tc, maps_of_maps);
	tcase_add_test(tc, prog_and_perf_arrays);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
