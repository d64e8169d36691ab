/* SPDX-License-Identifier: MIT */
/* BPF_OBJ_GET_INFO_BY_FD on maps (kernel-semantics.md §12), including the 6.18 content hash of
 * frozen arrays. */
#include "unit.h"

static const uint32_t types[] = { EMU_MAP_HASH, EMU_MAP_PERCPU_HASH, EMU_MAP_LRU_HASH, EMU_MAP_LRU_PERCPU_HASH,
				  EMU_MAP_ARRAY, EMU_MAP_PERCPU_ARRAY, EMU_MAP_QUEUE, EMU_MAP_STACK };
#define NTYPES ((int)(sizeof(types) / sizeof(types[0])))

static bool keyless(uint32_t t) { return t == EMU_MAP_QUEUE || t == EMU_MAP_STACK; }

static int info_call(int fd, uint32_t len, void *info, uint32_t *len_out)
{
	*len_out = len;
	return get_info(fd, info, len_out);
}

static const char *hex(const unsigned char *b, size_t n)
{
	static char buf[129];

	for (size_t i = 0; i < n && i < 64; i++)
		snprintf(buf + 2 * i, 3, "%02x", b[i]);
	return buf;
}

START_TEST(fields)
{
	uint32_t t = types[_i];
	uint32_t ks = keyless(t) ? 0 : (t == EMU_MAP_ARRAY || t == EMU_MAP_PERCPU_ARRAY) ? 4 : 8;
	struct attr a;
	unsigned char info[MI_SIZE];
	uint32_t len;
	int fd;

	mc_attr(&a, t, ks, 24, 10, EMU_F_RDONLY_PROG);
	memcpy(a.b + MC_NAME, "info_test.1", 11);
	fd = map_create_attr(&a);
	ck_assert_int_ge(fd, 0);
	memset(info, 0, sizeof(info));
	OK(info_call(fd, sizeof(info), info, &len));
	ck_assert_uint_eq(len, MI_SIZE);
	ck_assert_uint_eq(get32(info, MI_TYPE), t);
	ck_assert_uint_gt(get32(info, MI_ID), 0);
	ck_assert_uint_eq(get32(info, MI_KEY_SIZE), ks);
	ck_assert_uint_eq(get32(info, MI_VALUE_SIZE), 24);
	ck_assert_uint_eq(get32(info, MI_MAX_ENTRIES), 10);
	ck_assert_uint_eq(get32(info, MI_MAP_FLAGS), EMU_F_RDONLY_PROG);
	ck_assert_str_eq((char *)info + MI_NAME, "info_test.1");
	ck_assert_uint_eq(get32(info, MI_BTF_VMLINUX_VALUE_TYPE_ID), 0);
	ck_assert_uint_eq(get64(info, MI_MAP_EXTRA), 0);
	ck_assert_uint_eq(get64(info, MI_HASH), 0);
	ck_assert_uint_eq(get32(info, MI_HASH_SIZE), 0);
	close(fd);
}
END_TEST

START_TEST(flags_as_stored)
{
	unsigned char info[MI_SIZE];
	uint32_t len;
	int fd;

	/* RDONLY/WRONLY are the fd's; the rest is kept (NO_COMMON_LRU|ZERO_SEED|RDONLY_PROG = 0xc2) */
	fd = mkmap(EMU_MAP_LRU_HASH, 4, 8, 8, EMU_F_NO_COMMON_LRU | EMU_F_ZERO_SEED | EMU_F_RDONLY_PROG | EMU_F_RDONLY);
	memset(info, 0, sizeof(info));
	OK(info_call(fd, sizeof(info), info, &len));
	ck_assert_uint_eq(get32(info, MI_MAP_FLAGS), 0xc2);
	close(fd);
	fd = mkmap(EMU_MAP_ARRAY, 4, 8, 8, EMU_F_MMAPABLE | EMU_F_INNER_MAP | EMU_F_WRONLY | EMU_F_WRONLY_PROG);
	memset(info, 0, sizeof(info));
	OK(info_call(fd, sizeof(info), info, &len));
	ck_assert_uint_eq(get32(info, MI_MAP_FLAGS), EMU_F_MMAPABLE | EMU_F_INNER_MAP | EMU_F_WRONLY_PROG);
	close(fd);
	fd = mkmap(EMU_MAP_HASH, 4, 8, 8, EMU_F_NO_PREALLOC | EMU_F_NUMA_NODE);
	memset(info, 0, sizeof(info));
	OK(info_call(fd, sizeof(info), info, &len));
	ck_assert_uint_eq(get32(info, MI_MAP_FLAGS), EMU_F_NO_PREALLOC | EMU_F_NUMA_NODE);
	close(fd);
	/* max_entries as adjusted: NO_COMMON_LRU rounds up to a multiple of the CPUs */
	fd = mkmap(EMU_MAP_LRU_PERCPU_HASH, 4, 8, 5, EMU_F_NO_COMMON_LRU);
	memset(info, 0, sizeof(info));
	OK(info_call(fd, sizeof(info), info, &len));
	ck_assert_uint_eq(get32(info, MI_MAX_ENTRIES), (5u + (unsigned)unit_ncpus() - 1) / (unsigned)unit_ncpus() * (unsigned)unit_ncpus());
	close(fd);
}
END_TEST

START_TEST(name_stops_at_first_nul)
{
	struct attr a;
	unsigned char info[MI_SIZE];
	uint32_t len;
	int fd;

	mc_attr(&a, EMU_MAP_HASH, 4, 8, 8, 0);
	memset(a.b + MC_NAME, '#', 16);
	memcpy(a.b + MC_NAME, "ab", 3);
	fd = map_create_attr(&a);
	ck_assert_int_ge(fd, 0);
	memset(info, 0x77, sizeof(info));
	memset(info + 88, 0, 16); /* hash request fields and the tail must be zero */
	OK(info_call(fd, sizeof(info), info, &len));
	ck_assert_mem_eq(info + MI_NAME, "ab\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	close(fd);
}
END_TEST

START_TEST(short_info_len)
{
	int fd = mkmap(types[_i], keyless(types[_i]) ? 0 : 4, 8, 8, 0);
	unsigned char info[MI_SIZE + 16], ref[MI_SIZE], full[MI_SIZE];
	uint32_t len;

	memset(full, 0, sizeof(full));
	OK(info_call(fd, MI_SIZE, full, &len));
	for (uint32_t n = 0; n <= MI_SIZE; n++) {
		memset(info, 0xaa, sizeof(info));
		memset(info + 88, 0, 16);
		memcpy(ref, info, MI_SIZE);
		OK(info_call(fd, n, info, &len));
		ck_assert_uint_eq(len, n);
		/* the first n bytes as the full answer has them (echoed fields aside), the rest as they were */
		for (uint32_t i = 0; i < MI_SIZE + 16; i++) {
			bool echoed = (i >= MI_IFINDEX && i < MI_IFINDEX + 4) || (i >= MI_NETNS_DEV && i < MI_MAP_EXTRA);

			if (i >= n || echoed)
				ck_assert_msg(info[i] == (i < MI_SIZE ? ref[i] : 0xaa), "len %u: byte %u changed", n, i);
			else
				ck_assert_msg(info[i] == full[i], "len %u: byte %u is %#x, want %#x", n, i, info[i], full[i]);
		}
	}
	/* nothing to copy, nothing read: NULL is fine */
	OK(info_call(fd, 0, NULL, &len));
	ck_assert_uint_eq(len, 0);
	close(fd);
}
END_TEST

START_TEST(long_info_len)
{
	int fd = mkmap(EMU_MAP_HASH, 4, 8, 8, 0);
	static unsigned char info[PAGE + 16];
	uint32_t len;

	memset(info, 0, sizeof(info));
	OK(info_call(fd, 512, info, &len));
	ck_assert_uint_eq(len, MI_SIZE);
	ck_assert_uint_eq(get32(info, MI_TYPE), EMU_MAP_HASH);
	for (unsigned i = MI_SIZE; i < 512; i++)
		ck_assert_uint_eq(info[i], 0);
	OK(info_call(fd, PAGE, info, &len));
	ck_assert_uint_eq(len, MI_SIZE);
	ERR(info_call(fd, PAGE + 1, info, &len), E2BIG);
	ERR(info_call(fd, 0xffffffffu, info, &len), E2BIG);
	/* every byte from 100 on, within info_len, must be zero */
	for (unsigned off = 100; off < 512; off += (off < 110 ? 1 : 37)) {
		memset(info, 0, sizeof(info));
		info[off] = 1;
		ERR(info_call(fd, 512, info, &len), E2BIG);
	}
	memset(info, 0, sizeof(info));
	info[100] = 1;
	ERR(info_call(fd, MI_SIZE, info, &len), E2BIG);
	ERR(info_call(fd, 101, info, &len), E2BIG);
	/* but beyond info_len nothing is read */
	OK(info_call(fd, 100, info, &len));
	ck_assert_uint_eq(len, 100);
	memset(info, 0, sizeof(info));
	info[600] = 1;
	OK(info_call(fd, 512, info, &len));
	close(fd);
}
END_TEST

START_TEST(caller_bytes_echoed)
{
	int fd = mkmap(types[_i], keyless(types[_i]) ? 0 : 4, 8, 8, 0);
	unsigned char info[MI_SIZE];
	uint32_t len;

	memset(info, 0xaa, sizeof(info));
	memset(info + MI_HASH, 0, MI_SIZE - MI_HASH);
	OK(info_call(fd, sizeof(info), info, &len));
	/* ifindex, netns_dev, netns_ino, btf_id, btf_key/value_type_id and bytes 76..79 */
	for (unsigned i = MI_IFINDEX; i < MI_IFINDEX + 4; i++)
		ck_assert_uint_eq(info[i], 0xaa);
	for (unsigned i = MI_NETNS_DEV; i < MI_MAP_EXTRA; i++)
		ck_assert_uint_eq(info[i], 0xaa);
	/* the fields it fills */
	ck_assert_uint_eq(get32(info, MI_BTF_VMLINUX_VALUE_TYPE_ID), 0);
	ck_assert_uint_eq(get64(info, MI_MAP_EXTRA), 0);
	ck_assert_uint_eq(get32(info, MI_TYPE), types[_i]);
	ck_assert_uint_eq(get32(info, MI_MAP_FLAGS), 0);
	for (unsigned i = MI_NAME; i < MI_NAME + 16; i++)
		ck_assert_uint_eq(info[i], 0);
	close(fd);
}
END_TEST

START_TEST(fd_errors)
{
	int fd = mkmap(EMU_MAP_HASH, 4, 8, 8, 0);
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	unsigned char info[MI_SIZE] = { 0 };
	uint32_t len;
	struct attr a;

	ERR(info_call(-1, sizeof(info), info, &len), EBADFD);
	ERR(info_call(999, sizeof(info), info, &len), EBADFD);
	/* the fd is judged before the length and the buffer */
	ERR(info_call(999, PAGE + 1, NULL, &len), EBADFD);
	ERR(info_call(devnull, sizeof(info), info, &len), EINVAL);
	ERR(info_call(devnull, PAGE + 1, info, &len), EINVAL);
	ERR(info_call(fd, sizeof(info), NULL, &len), EFAULT);
	ERR(info_call(fd, 8, (void *)(uintptr_t)16, &len), EFAULT);
	/* CHECK_ATTR from byte 16 */
	memset(&a, 0, sizeof(a));
	put32(a.b, INFO_FD, (uint32_t)fd);
	put32(a.b, INFO_LEN, sizeof(info));
	putp(a.b, INFO_PTR, info);
	a.b[INFO_END] = 1;
	ERR(ubpf(EMU_BPF_OBJ_GET_INFO_BY_FD, a.b, EMU_ATTR_SIZE), EINVAL);
	close(fd);
	ERR(info_call(fd, sizeof(info), info, &len), EBADFD);
	close(devnull);
}
END_TEST

/* ---- the content hash ---- */

static int hash_call(int fd, void *hash, uint32_t hash_size, unsigned char info[MI_SIZE])
{
	uint32_t len;

	memset(info, 0, MI_SIZE);
	putp(info, MI_HASH, hash);
	put32(info, MI_HASH_SIZE, hash_size);
	return info_call(fd, MI_SIZE, info, &len);
}

START_TEST(hash_request_rules)
{
	int fd = mkmap(EMU_MAP_ARRAY, 4, 8, 4, 0);
	unsigned char h[48], info[MI_SIZE];

	ERR(hash_call(fd, h, 32, info), EPERM); /* not frozen */
	ERR(hash_call(fd, h, 16, info), EINVAL);
	ERR(hash_call(fd, NULL, 32, info), EINVAL);
	OK(freeze(fd));
	ERR(hash_call(fd, h, 16, info), EINVAL);
	ERR(hash_call(fd, h, 0, info), EINVAL);
	ERR(hash_call(fd, h, 64, info), EINVAL);
	ERR(hash_call(fd, NULL, 32, info), EINVAL);
	ERR(hash_call(fd, (void *)(uintptr_t)16, 32, info), EFAULT);
	memset(h, 0xee, sizeof(h));
	OK(hash_call(fd, h, 32, info));
	/* 32 bytes and no more; the request fields come back as given */
	ck_assert_uint_eq(h[32], 0xee);
	ck_assert_uint_eq(get64(info, MI_HASH), (uint64_t)(uintptr_t)h);
	ck_assert_uint_eq(get32(info, MI_HASH_SIZE), 32);
	/* with an info_len that stops before the request, there is none */
	{
		uint32_t len;

		memset(h, 0xee, sizeof(h));
		memset(info, 0, sizeof(info));
		putp(info, MI_HASH, h);
		OK(info_call(fd, MI_HASH, info, &len));
		ck_assert_uint_eq(h[0], 0xee);
	}
	close(fd);
}
END_TEST

START_TEST(hash_only_for_arrays)
{
	static const uint32_t others[] = { EMU_MAP_HASH, EMU_MAP_PERCPU_HASH, EMU_MAP_LRU_HASH, EMU_MAP_LRU_PERCPU_HASH,
					   EMU_MAP_PERCPU_ARRAY, EMU_MAP_QUEUE, EMU_MAP_STACK };
	unsigned char h[32], info[MI_SIZE];

	for (unsigned i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		int fd = mkmap(others[i], keyless(others[i]) ? 0 : 4, 8, 4, 0);

		ERR(hash_call(fd, h, 32, info), EINVAL);
		OK(freeze(fd));
		ERR(hash_call(fd, h, 32, info), EINVAL);
		ERR(hash_call(fd, h, 16, info), EINVAL);
		close(fd);
	}
}
END_TEST

/* Expected digests computed outside this project (Python's hashlib) for the array contents
 * below: values_size rounded up to 8 per element, padding zero, all elements in index order. */
static void parse_hex(const char *s, unsigned char out[32])
{
	for (int i = 0; i < 32; i++) {
		unsigned v;

		sscanf(s + 2 * i, "%2x", &v);
		out[i] = (unsigned char)v;
	}
}

static void assert_frozen_digest(int fd, const char *want_hex)
{
	unsigned char h[32], want[32], info[MI_SIZE];

	OK(freeze(fd));
	OK(hash_call(fd, h, 32, info));
	parse_hex(want_hex, want);
	ck_assert_msg(!memcmp(h, want, 32), "digest %s, want %s", hex(h, 32), want_hex);
}

START_TEST(digest_one_block)
{
	int fd = mkmap(EMU_MAP_ARRAY, 4, 8, 1, 0);
	uint32_t i = 0;

	OK(update(fd, &i, "abcdefgh", 0));
	assert_frozen_digest(fd, "9c56cc51b374c3ba189210d5b6d4bf57790d351c96c47c02190ecf1e430635ab");
	close(fd);
}
END_TEST

START_TEST(digest_includes_zero_padding)
{
	int fd = mkmap(EMU_MAP_ARRAY, 4, 3, 2, 0);
	uint32_t i;

	i = 0;
	OK(update(fd, &i, "abc", 0));
	i = 1;
	OK(update(fd, &i, "def", 0));
	assert_frozen_digest(fd, "285c614092744940243817c80a65ef9ca777ccf439d42387ba29323b2a0f4880");
	close(fd);
}
END_TEST

START_TEST(digest_56_and_64_bytes)
{
	/* 56 bytes need a second padding block, 64 fill one exactly */
	static const char *const want[] = {
		"24826c414e4ed8fc2791d8b2b5995a98fca9e1bee2f01bafc84b3d4a5cdc8edf",
		"8c979abb04568b162d94adbe559af67ce5d3e6c2c2e3af97e525ba5484663763",
	};

	for (int n = 7; n <= 8; n++) {
		int fd = mkmap(EMU_MAP_ARRAY, 4, 8, (uint32_t)n, 0);

		for (uint32_t i = 0; i < (uint32_t)n; i++) {
			uint64_t v = i * 0x0101010101010101ull;

			OK(update(fd, &i, &v, 0));
		}
		assert_frozen_digest(fd, want[n - 7]);
		close(fd);
	}
}
END_TEST

START_TEST(digest_untouched_and_large)
{
	int fd = mkmap(EMU_MAP_ARRAY, 4, 4, 16, 0);
	unsigned char v[4096];

	/* 16 slots of 8 bytes, never written: 128 zero bytes */
	assert_frozen_digest(fd, "38723a2e5e8a17aa7950dc008209944e898f69a7bd10a23c839d341e935fd5ca");
	close(fd);
	fd = mkmap(EMU_MAP_ARRAY, 4, 1, 1000, 0);
	for (uint32_t i = 0; i < 1000; i++) {
		v[0] = (unsigned char)i;
		OK(update(fd, &i, v, 0));
	}
	assert_frozen_digest(fd, "95aab6974895adb00297ff50c5683aa37a81785beebf340274144b6d2b4875c8");
	close(fd);
	fd = mkmap(EMU_MAP_ARRAY, 4, 4096, 3, 0);
	for (uint32_t i = 0; i < 3; i++) {
		for (int j = 0; j < 4096; j++)
			v[j] = (unsigned char)(j * 7 + (int)i);
		OK(update(fd, &i, v, 0));
	}
	assert_frozen_digest(fd, "9d822706d7910491e27087e74f587796a9debb69b9c3ed3613b0c469691ec9ed");
	close(fd);
}
END_TEST

/* The library's SHA-256 on the FIPS 180-4 examples, including the empty message no array can
 * hold. An internal function, reached because the tests link the static library. */
void emu_sha256(const void *data, size_t len, unsigned char out[32]);

START_TEST(sha256_known_answers)
{
	static const struct {
		const char *msg;
		const char *hex;
	} v[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	};
	unsigned char h[32], want[32];
	char *a = malloc(1000000);

	for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		emu_sha256(v[i].msg, strlen(v[i].msg), h);
		parse_hex(v[i].hex, want);
		ck_assert_msg(!memcmp(h, want, 32), "sha256(\"%s\") = %s", v[i].msg, hex(h, 32));
	}
	memset(a, 'a', 1000000);
	emu_sha256(a, 1000000, h);
	parse_hex("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", want);
	ck_assert_msg(!memcmp(h, want, 32), "sha256(a x 1e6) = %s", hex(h, 32));
	free(a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("info");
	TCase *tc = tcase_create("info");
	TCase *hash = tcase_create("hash");
	TCase *emu = emu_tcase(s);

	unit_init("2");
	tcase_add_loop_test(tc, fields, 0, NTYPES);
	tcase_add_test(tc, flags_as_stored);
	tcase_add_test(tc, name_stops_at_first_nul);
	tcase_add_loop_test(tc, short_info_len, 0, NTYPES);
	tcase_add_test(tc, long_info_len);
	tcase_add_loop_test(tc, caller_bytes_echoed, 0, NTYPES);
	tcase_add_test(tc, fd_errors);
	suite_add_tcase(s, tc);
	tcase_add_test(hash, hash_request_rules);
	tcase_add_test(hash, hash_only_for_arrays);
	tcase_add_test(hash, digest_one_block);
	tcase_add_test(hash, digest_includes_zero_padding);
	tcase_add_test(hash, digest_56_and_64_bytes);
	tcase_add_test(hash, digest_untouched_and_large);
	suite_add_tcase(s, hash);
	opt_add_test(emu, sha256_known_answers);
	return unit_run(s);
}
