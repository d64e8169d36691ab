/* SPDX-License-Identifier: MIT */
/*
 * The four batch commands (kernel-semantics.md §4): the hash family's bucket walker with its
 * bucket tokens, ENOSPC and ENOENT rules; the generic batches of arrays (key tokens) and of
 * UPDATE/DELETE (partial counts); which types have which batch (524); attr, fd and permission
 * order; where `count` and `out_batch` are written when a copy faults. Then the same commands
 * through libbpf's batch API: this program defines syscall() itself and hands __NR_bpf to the
 * emulator (everything else goes to the real syscall()), so libbpf talks to emulated maps
 * in-process without the preload library.
 *
 * Expected values are the kernel's (ZERO_SEED makes the hash order fixed); BPFEMU_UNIT_KERNEL=1
 * runs every case, libbpf's included, against the real bpf(2).
 */
#include "unit.h"

#include <dlfcn.h>
#include <stdarg.h>

#ifdef UNIT_HAVE_LIBBPF
#include <bpf/bpf.h>
#endif

static const int batch_cmds[4] = { EMU_BPF_MAP_LOOKUP_BATCH, EMU_BPF_MAP_LOOKUP_AND_DELETE_BATCH, EMU_BPF_MAP_UPDATE_BATCH, EMU_BPF_MAP_DELETE_BATCH };

#define POISON32 0xdeadbeefu

/* ---- syscall() interposition for libbpf ---- */

static unsigned long routed_bpf_calls;

/* libbpf calls syscall(__NR_bpf, ...) through the PLT, which binds to this definition (exported
 * from the executable despite the project's hidden-visibility default). Every argument is read
 * as a long and all six are passed on, so other syscalls keep their arguments and errno. */
__attribute__((visibility("default"))) long syscall(long nr, ...)
{
	static long (*real)(long, ...);
	long a[6];
	va_list ap;

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (nr == __NR_bpf && !unit_kernel()) {
		__atomic_add_fetch(&routed_bpf_calls, 1, __ATOMIC_RELAXED);
		return bpfemu_bpf((int)a[0], (union bpf_attr *)a[1], (unsigned)a[2]);
	}
	if (!real)
		real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* ---- helpers ---- */

/* One batch call with a 168-byte attr; *count in and out as the attr's count field. */
static int batch(int cmd, int fd, const void *in, void *out, void *keys, void *values, uint32_t *count,
		 uint64_t elem_flags, uint64_t flags)
{
	struct attr a;
	int r;

	memset(&a, 0, sizeof(a));
	putp(a.b, BA_IN, in);
	putp(a.b, BA_OUT, out);
	putp(a.b, BA_KEYS, keys);
	putp(a.b, BA_VALUES, values);
	put32(a.b, BA_COUNT, *count);
	put32(a.b, BA_FD, (uint32_t)fd);
	put64(a.b, BA_ELEM_FLAGS, elem_flags);
	put64(a.b, BA_FLAGS, flags);
	r = ubpf(cmd, a.b, EMU_ATTR_SIZE);
	*count = get32(a.b, BA_COUNT);
	return r;
}

static uint64_t val_of(uint32_t k) { return (uint64_t)k * 10 + 1; }

/* HASH, 4-byte keys, 8-byte values, max 8, ZERO_SEED, keys 0..7. Its buckets, as the kernel
 * (6.18) fills them: 0 = (0), 1 = (4), 2 = (7 2), 3 = (1), 4 and 5 empty, 6 = (6 5), 7 = (3). */
static int hash8(uint32_t type)
{
	int fd = mkmap(type, 4, 8, 8, EMU_F_ZERO_SEED);

	for (uint32_t k = 0; k < 8; k++) {
		uint64_t v[64];

		for (int c = 0; c < 64; c++) /* every CPU's slot of a per-CPU value */
			v[c] = val_of(k);
		OK(update(fd, &k, v, 0));
	}
	return fd;
}

/* keys[0..n) as "a b c", and each value (first 8 bytes of each of `stride`) k*10+1 */
static const char *check_vals(const uint32_t *keys, const uint64_t *vals, uint32_t n, size_t stride)
{
	for (uint32_t i = 0; i < n; i++)
		ck_assert_msg(vals[i * stride / 8] == val_of(keys[i]), "value of key %u: %llu", keys[i],
			      (unsigned long long)vals[i * stride / 8]);
	return u32s(keys, (int)n);
}

/* ---- hash: the bucket walker ---- */

static const uint32_t hash_types[] = { EMU_MAP_HASH, EMU_MAP_PERCPU_HASH, EMU_MAP_LRU_HASH, EMU_MAP_LRU_PERCPU_HASH };

START_TEST(hash_pages_whole_buckets)
{
	uint32_t type = hash_types[_i], keys[16], in, out, count;
	size_t stride = (type == EMU_MAP_PERCPU_HASH || type == EMU_MAP_LRU_PERCPU_HASH) ? 8u * unit_ncpus() : 8u;
	uint64_t vals[16 * 64];
	int fd = hash8(type);

	/* count 3: the first bucket holds 2, the next 3 would not fit: stop at 2, token 2 */
	count = 3;
	out = POISON32;
	OK(batch(EMU_BPF_MAP_LOOKUP_BATCH, fd, NULL, &out, keys, vals, &count, 0, 0));
	ck_assert_uint_eq(count, 2);
	ck_assert_uint_eq(out, 2);
	ck_assert_str_eq(check_vals(keys, vals, count, stride), "0 4");

	in = out;
	count = 3;
	OK(batch(EMU_BPF_MAP_LOOKUP_BATCH, fd, &in, &out, keys, vals, &count, 0, 0));
	ck_assert_uint_eq(count, 3);
	ck_assert_uint_eq(out, 6); /* empty buckets 3-5 skipped: the token is the next non-empty one */
	ck_assert_str_eq(check_vals(keys, vals, count, stride), "7 2 1");

	in = out;
	count = 3;
	ERR(batch(EMU_BPF_MAP_LOOKUP_BATCH, fd, &in, &out, keys, vals, &count, 0, 0), ENOENT);
	ck_assert_uint_eq(count, 3); /* the last page carries elements and ENOENT */
	ck_assert_uint_eq(out, 8);   /* n_buckets */
	ck_assert_str_eq(check_vals(keys, vals, count, stride), "6 5 3");

	/* a full count stops at the next bucket that holds anything: empty ones are skipped */
	in = 3;
	count = 1;
	OK(batch(EMU_BPF_MAP_LOOKUP_BATCH, fd, &in, &out, keys, vals, &count, 0, 0));
	ck_assert_uint_eq(out, 6);
	ck_assert_str_eq(u32s(keys, (int)count), "1");

	/* an empty bucket as the token: the walk starts at the next non-empty one */
	in = 4;
	count = 2;
	OK(batch(EMU_BPF_MAP_LOOKUP_BATCH, fd, &in, &out, keys, vals, &count, 0, 0));
	ck_assert_uint_eq(out, 7);
	ck_assert_str_eq(check_vals(keys, vals, count, stride), "6 5");

	/* everything at once */
	count = 100;
	ERR(batch(EMU_BPF_MAP_LOOKUP_BATCH, fd, NULL, &out, keys, vals, &count, 0, 0), ENOENT);
	ck_assert_uint_eq(out, 8);
	ck_assert_str_eq(check_vals(keys, vals, count, stride), "0 4 7 2 1 6 5 3");
	close(fd);
}
END_TEST

START_TEST(hash_bucket_too_big_enospc)
{
	uint32_t keys[16], in, out, count;
	uint64_t vals[16];
	int fd = hash8(EMU_MAP_HASH);

	/* the first bucket does not fit: ENOSPC, count 0, out_batch names that bucket */
	in = 2;
	count = 1;
	out = POISON32;
	keys[0] = POISON32;
	ERR(batch(EMU_BPF_MAP_LOOKUP_BATCH, fd, &in, &out, keys, vals, &count, 0, 0), ENOSPC);
	ck_assert_uint_eq(count, 0);
	ck_assert_uint_eq(out, 2);
	ck_assert_uint_eq(keys[0], POISON32);

	/* a later bucket that does not fit just ends the batch */
	in = 1;
	count = 2;
	OK(batch(EMU_BPF_MAP_LOOKUP_BATCH, fd, &in, &out, keys, vals, &count, 0, 0));
	ck_assert_uint_eq(count, 1);
	ck_assert_uint_eq(out, 2);

	/* from an empty bucket the ENOSPC token is the bucket that did not fit */
	in = 4;
	count = 1;
	ERR(batch(EMU_BPF_MAP_LOOKUP_AND_DELETE_BATCH, fd, &in, &out, keys, vals, &count, 0, 0), ENOSPC);
	ck_assert_uint_eq(out, 6);
	ck_assert_int_eq(count_keys(fd, 4), 8); /* nothing deleted */
	close(fd);
}
END_TEST

START_TEST(hash_token_past_end_enoent)
{
	uint32_t keys[16], in, out, count;
	uint64_t vals[16];
	int fd = hash8(EMU_MAP_HASH), empty = mkmap(EMU_MAP_HASH, 4, 8, 8, EMU_F_ZERO_SEED);

	/* a token at or past n_buckets: ENOENT, count 0, out_batch not written */
	for (in = 8; in < 10; in++) {
		count = 5;
		out = POISON32;
		ERR(batch(EMU_BPF_MAP_LOOKUP_BATCH, fd, &in, &out, keys, vals, &count, 0, 0), ENOENT);
		ck_assert_uint_eq(count, 0);
		ck_assert_uint_eq(out, POISON32);
	}
	in = 0xffffffffu;
	count = 5;
	ERR(batch(EMU_BPF_MAP_LOOKUP_AND_DELETE_BATCH, fd, &in, &out, keys, vals, &count, 0, 0), ENOENT);
	ck_assert_uint_eq(out, POISON32);

	/* an empty map walks to the end: ENOENT, count 0, out_batch = n_buckets */
	count = 5;
	ERR(batch(EMU_BPF_MAP_LOOKUP_BATCH, empty, NULL, &out, keys, vals, &count, 0, 0), ENOENT);
	ck_assert_uint_eq(count, 0);
	ck_assert_uint_eq(out, 8);
	close(fd);
	close(empty);
}
END_TEST

START_TEST(hash_flags_and_count_zero)
{
	uint32_t keys[16], out = POISON32, count;
	uint64_t vals[16];
	int fd = hash8(EMU_MAP_HASH);

	for (int i = 0; i < 2; i++) {
		int cmd = i ? EMU_BPF_MAP_LOOKUP_AND_DELETE_BATCH : EMU_BPF_MAP_LOOKUP_BATCH;

		/* flag errors leave count as it was */
		count = 5;
		ERR(batch(cmd, fd, NULL, &out, keys, vals, &count, 0, 1), EINVAL);
		ck_assert_uint_eq(count, 5);
		for (uint64_t ef = 1; ef <= 8; ef <<= 1) {
			ERR(batch(cmd, fd, NULL, &out, keys, vals, &count, ef, 0), EINVAL);
			ck_assert_uint_eq(count, 5);
		}
		/* count 0: nothing read, nothing written, not even through NULL buffers */
		count = 0;
		OK(batch(cmd, fd, NULL, NULL, NULL, NULL, &count, 0, 0));
		ck_assert_uint_eq(count, 0);
	}
	ck_assert_uint_eq(out, POISON32);
	ck_assert_int_eq(count_keys(fd, 4), 8);
	close(fd);
}
END_TEST

START_TEST(hash_lookup_and_delete_removes_what_it_returns)
{
	uint32_t type = hash_types[_i], keys[16], in, out, count;
	uint64_t vals[16 * 64];
	int fd = hash8(type);

	count = 3;
	OK(batch(EMU_BPF_MAP_LOOKUP_AND_DELETE_BATCH, fd, NULL, &out, keys, vals, &count, 0, 0));
	ck_assert_str_eq(u32s(keys, (int)count), "0 4");
	ASSERT_ORDER(fd, "7 2 1 6 5 3");
	in = out;
	count = 3;
	OK(batch(EMU_BPF_MAP_LOOKUP_AND_DELETE_BATCH, fd, &in, &out, keys, vals, &count, 0, 0));
	ck_assert_str_eq(u32s(keys, (int)count), "7 2 1");
	ASSERT_ORDER(fd, "6 5 3");
	in = out;
	count = 3;
	ERR(batch(EMU_BPF_MAP_LOOKUP_AND_DELETE_BATCH, fd, &in, &out, keys, vals, &count, 0, 0), ENOENT);
	ck_assert_str_eq(u32s(keys, (int)count), "6 5 3");
	ck_assert_int_eq(count_keys(fd, 4), 0);
	ck_assert_int_eq(bpfemu_map_check(fd) == 0 || unit_kernel(), 1);
	close(fd);
}
END_TEST

/* Elements removed by a batch are freed as an element delete frees them: a full LRU map that
 * was drained takes max_entries new keys without evicting any. */
START_TEST(lru_drain_returns_nodes)
{
	uint32_t type = _i ? EMU_MAP_LRU_PERCPU_HASH : EMU_MAP_LRU_HASH, keys[32], out, count;
	uint64_t vals[32 * 64] = { 0 }, v[64] = { 0 };
	int fd = mkmap(type, 4, 8, 16, 0);

	for (uint32_t k = 0; k < 16; k++)
		OK(update(fd, &k, v, 0));
	ck_assert_int_eq(count_keys(fd, 4), 16);
	count = 32;
	ERR(batch(EMU_BPF_MAP_LOOKUP_AND_DELETE_BATCH, fd, NULL, &out, keys, vals, &count, 0, 0), ENOENT);
	ck_assert_uint_eq(count, 16);
	ck_assert_int_eq(count_keys(fd, 4), 0);
	for (uint32_t k = 100; k < 116; k++)
		OK(update(fd, &k, v, 0));
	ck_assert_int_eq(count_keys(fd, 4), 16);
	close(fd);
}
END_TEST

/* ---- generic UPDATE_BATCH / DELETE_BATCH ---- */

START_TEST(update_and_delete_stop_at_first_failure)
{
	uint32_t keys[6] = { 1, 2, 3, 4, 5, 6 }, dkeys[4] = { 1, 2, 99, 3 }, count;
	uint64_t vals[6] = { 10, 20, 30, 40, 50, 60 }, v;
	int fd = mkmap(EMU_MAP_HASH, 4, 8, 4, EMU_F_ZERO_SEED);

	count = 6;
	ERR(batch(EMU_BPF_MAP_UPDATE_BATCH, fd, NULL, NULL, keys, vals, &count, 0, 0), E2BIG);
	ck_assert_uint_eq(count, 4);
	OK(lookup(fd, &keys[3], &v, 0));
	ck_assert_uint_eq(v, 40);

	count = 4;
	ERR(batch(EMU_BPF_MAP_DELETE_BATCH, fd, NULL, NULL, dkeys, NULL, &count, 0, 0), ENOENT);
	ck_assert_uint_eq(count, 2);
	ASSERT_ORDER(fd, "4 3");

	/* an existing key updated again through a batch: fine, and `flags` is not looked at */
	count = 1;
	OK(batch(EMU_BPF_MAP_UPDATE_BATCH, fd, NULL, NULL, &keys[2], &vals[5], &count, 0, 0xff));
	ck_assert_uint_eq(count, 1);
	OK(lookup(fd, &keys[2], &v, 0));
	ck_assert_uint_eq(v, 60);
	count = 2;
	OK(batch(EMU_BPF_MAP_DELETE_BATCH, fd, NULL, NULL, &keys[2], NULL, &count, 0, 7));
	ck_assert_int_eq(count_keys(fd, 4), 0);
	close(fd);
}
END_TEST

START_TEST(update_and_delete_elem_flags)
{
	uint32_t keys[2] = { 1, 2 }, count;
	uint64_t vals[2] = { 1, 2 };
	int fd = mkmap(_i ? EMU_MAP_ARRAY : EMU_MAP_HASH, 4, 8, 4, 0);

	/* only 0 passes: NOEXIST and EXIST are refused on 6.18, F_LOCK needs a spin lock */
	for (uint64_t ef = 1; ef <= 8; ef <<= 1) {
		count = 2;
		ERR(batch(EMU_BPF_MAP_UPDATE_BATCH, fd, NULL, NULL, keys, vals, &count, ef, 0), EINVAL);
		ck_assert_uint_eq(count, 2);
		if (!_i) {
			ERR(batch(EMU_BPF_MAP_DELETE_BATCH, fd, NULL, NULL, keys, NULL, &count, ef, 0), EINVAL);
			ck_assert_uint_eq(count, 2);
		}
	}
	count = 2;
	OK(batch(EMU_BPF_MAP_UPDATE_BATCH, fd, NULL, NULL, keys, vals, &count, 0, 0));
	ck_assert_uint_eq(count, 2);
	close(fd);
}
END_TEST

/* ---- arrays: the generic lookup batch ---- */

START_TEST(array_pages_by_last_key)
{
	uint32_t keys[16], in, out, count;
	uint64_t vals[16];
	int fd = mkmap(EMU_MAP_ARRAY, 4, 8, 5, 0);

	for (uint32_t k = 0; k < 5; k++)
		OK(update(fd, &k, &(uint64_t){ val_of(k) }, 0));

	count = 2;
	OK(batch(EMU_BPF_MAP_LOOKUP_BATCH, fd, NULL, &out, keys, vals, &count, 0, 0));
	ck_assert_uint_eq(out, 1); /* the token is the last key returned */
	ck_assert_str_eq(check_vals(keys, vals, count, 8), "0 1");
	in = out;
	OK(batch(EMU_BPF_MAP_LOOKUP_BATCH, fd, &in, &out, keys, vals, &count, 0, 0));
	ck_assert_str_eq(check_vals(keys, vals, count, 8), "2 3");
	in = out;
	ERR(batch(EMU_BPF_MAP_LOOKUP_BATCH, fd, &in, &out, keys, vals, &count, 0, 0), ENOENT);
	ck_assert_uint_eq(count, 1);
	ck_assert_uint_eq(out, 4);
	ck_assert_str_eq(check_vals(keys, vals, count, 8), "4");

	/* filling count exactly is success even at the very end */
	count = 5;
	OK(batch(EMU_BPF_MAP_LOOKUP_BATCH, fd, NULL, &out, keys, vals, &count, 0, 0));
	ck_assert_uint_eq(out, 4);
	count = 10;
	ERR(batch(EMU_BPF_MAP_LOOKUP_BATCH, fd, NULL, &out, keys, vals, &count, 0, 0), ENOENT);
	ck_assert_uint_eq(count, 5);

	/* nothing after the last key: out_batch is left alone */
	in = 4;
	out = POISON32;
	ERR(batch(EMU_BPF_MAP_LOOKUP_BATCH, fd, &in, &out, keys, vals, &count, 0, 0), ENOENT);
	ck_assert_uint_eq(count, 0);
	ck_assert_uint_eq(out, POISON32);

	/* a token out of range restarts at 0; `flags` is not looked at */
	in = 77;
	count = 2;
	OK(batch(EMU_BPF_MAP_LOOKUP_BATCH, fd, &in, &out, keys, vals, &count, 0, 9));
	ck_assert_str_eq(u32s(keys, (int)count), "0 1");

	/* UPDATE_BATCH: an index past the end stops the batch with E2BIG */
	{
		uint32_t uk[3] = { 0, 9, 1 };
		uint64_t uv[3] = { 7, 8, 9 }, v;

		count = 3;
		ERR(batch(EMU_BPF_MAP_UPDATE_BATCH, fd, NULL, NULL, uk, uv, &count, 0, 0), E2BIG);
		ck_assert_uint_eq(count, 1);
		OK(lookup(fd, &uk[0], &v, 0));
		ck_assert_uint_eq(v, 7);
		OK(lookup(fd, &uk[2], &v, 0));
		ck_assert_uint_eq(v, val_of(1));
	}
	close(fd);
}
END_TEST

/* Per-CPU values: one round_up(value_size, 8) slot per possible CPU, padding kept. */
START_TEST(percpu_value_layout)
{
	uint32_t type = _i ? EMU_MAP_PERCPU_HASH : EMU_MAP_PERCPU_ARRAY, ncpu = (uint32_t)unit_ncpus(), slot = 8;
	unsigned char in_vals[2 * 64 * 8], out_vals[3 * 64 * 8];
	uint32_t keys[2] = { 1, 2 }, okeys[3], out, count = 2;
	int fd = mkmap(type, 4, 4, 3, _i ? EMU_F_ZERO_SEED : 0);

	for (size_t i = 0; i < sizeof(in_vals); i++)
		in_vals[i] = (unsigned char)(i * 7 + 1);
	OK(batch(EMU_BPF_MAP_UPDATE_BATCH, fd, NULL, NULL, keys, in_vals, &count, 0, 0));
	count = 3;
	memset(out_vals, 0xee, sizeof(out_vals));
	if (_i)
		ERR(batch(EMU_BPF_MAP_LOOKUP_BATCH, fd, NULL, &out, okeys, out_vals, &count, 0, 0), ENOENT);
	else
		OK(batch(EMU_BPF_MAP_LOOKUP_BATCH, fd, NULL, &out, okeys, out_vals, &count, 0, 0));
	ck_assert_uint_eq(count, _i ? 2 : 3);
	for (uint32_t e = 0; e < count; e++) {
		const unsigned char *got = out_vals + (size_t)e * slot * ncpu;

		if (okeys[e] == 0) {
			for (uint32_t b = 0; b < slot * ncpu; b++)
				ck_assert_uint_eq(got[b], 0);
		} else {
			ck_assert_mem_eq(got, in_vals + (size_t)(okeys[e] - 1) * slot * ncpu, slot * ncpu);
		}
	}
	/* nothing past the last value */
	ck_assert_uint_eq(out_vals[(size_t)count * slot * ncpu], 0xee);
	close(fd);
}
END_TEST

/* ---- which types have which batch ---- */

START_TEST(missing_batch_ops_enotsupp)
{
	static const uint32_t types[] = { EMU_MAP_ARRAY, EMU_MAP_PERCPU_ARRAY, EMU_MAP_QUEUE, EMU_MAP_STACK };
	uint32_t type = types[_i], keys[4] = { 0 }, out, count;
	uint64_t vals[4 * 64] = { 0 };
	bool qs = type == EMU_MAP_QUEUE || type == EMU_MAP_STACK;
	int fd = mkmap(type, qs ? 0 : 4, 8, 4, 0);

	for (int c = 0; c < 4; c++) {
		int cmd = batch_cmds[c];

		if (!qs && (cmd == EMU_BPF_MAP_LOOKUP_BATCH || cmd == EMU_BPF_MAP_UPDATE_BATCH))
			continue;
		/* the missing op is found before flags or count are looked at */
		count = 0;
		ERR(batch(cmd, fd, NULL, &out, keys, vals, &count, 0, 0), EMU_ENOTSUPP);
		count = 1;
		ERR(batch(cmd, fd, NULL, &out, keys, vals, &count, 3, 1), EMU_ENOTSUPP);
		ck_assert_uint_eq(count, 1);
	}
	close(fd);
}
END_TEST

/* ---- attr, fd, permission order ---- */

START_TEST(attr_and_fd_checks)
{
	int cmd = batch_cmds[_i], fd = hash8(EMU_MAP_HASH), devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	uint32_t keys[8], count = 2;
	uint64_t vals[8];
	struct attr a;

	memset(&a, 0, sizeof(a));
	putp(a.b, BA_KEYS, keys);
	putp(a.b, BA_VALUES, vals);
	put32(a.b, BA_COUNT, count);
	/* bytes after `flags` must be zero: checked before the fd */
	put32(a.b, BA_FD, 9999);
	a.b[BA_END] = 1;
	ERR(ubpf(cmd, a.b, EMU_ATTR_SIZE), EINVAL);
	a.b[BA_END] = 0;
	a.b[EMU_ATTR_SIZE - 1] = 1;
	ERR(ubpf(cmd, a.b, EMU_ATTR_SIZE), EINVAL);
	a.b[EMU_ATTR_SIZE - 1] = 0;
	ERR(ubpf(cmd, a.b, EMU_ATTR_SIZE), EBADF);
	put32(a.b, BA_FD, (uint32_t)devnull);
	ERR(ubpf(cmd, a.b, EMU_ATTR_SIZE), EINVAL);
	/* past the kernel's attr: non-zero is E2BIG */
	put32(a.b, BA_FD, (uint32_t)fd);
	a.b[200] = 1;
	ERR(ubpf(cmd, a.b, 256), E2BIG);
	a.b[200] = 0;
	/* libbpf's size (56) is enough */
	count = 0;
	put32(a.b, BA_COUNT, 0);
	OK(ubpf(cmd, a.b, BA_END));
	close(devnull);
	close(fd);
}
END_TEST

START_TEST(access_modes_and_frozen)
{
	uint32_t keys[8] = { 1, 2 }, out, count;
	uint64_t vals[8] = { 0 };
	int ro = mkmap(EMU_MAP_HASH, 4, 8, 4, EMU_F_RDONLY), wo = mkmap(EMU_MAP_HASH, 4, 8, 4, EMU_F_WRONLY);
	int rq = mkmap(EMU_MAP_QUEUE, 0, 8, 4, EMU_F_RDONLY), fr = hash8(EMU_MAP_HASH);

	for (int c = 0; c < 4; c++) {
		int cmd = batch_cmds[c];

		count = 2;
		if (cmd == EMU_BPF_MAP_LOOKUP_BATCH)
			ERR(batch(cmd, ro, NULL, &out, keys, vals, &count, 0, 0), ENOENT);
		else
			ERR(batch(cmd, ro, NULL, &out, keys, vals, &count, 0, 0), EPERM);
		count = 2;
		if (cmd == EMU_BPF_MAP_LOOKUP_BATCH || cmd == EMU_BPF_MAP_LOOKUP_AND_DELETE_BATCH)
			ERR(batch(cmd, wo, NULL, &out, keys, vals, &count, 0, 0), EPERM);
		else
			OK(batch(cmd, wo, NULL, &out, keys, vals, &count, 0, 0));
	}
	/* permission comes before "this type has no such batch" */
	count = 1;
	ERR(batch(EMU_BPF_MAP_UPDATE_BATCH, rq, NULL, NULL, keys, vals, &count, 0, 0), EPERM);
	ERR(batch(EMU_BPF_MAP_LOOKUP_BATCH, rq, NULL, &out, keys, vals, &count, 0, 0), EMU_ENOTSUPP);

	OK(freeze(fr));
	for (int c = 0; c < 4; c++) {
		count = 2;
		if (batch_cmds[c] == EMU_BPF_MAP_LOOKUP_BATCH)
			OK(batch(batch_cmds[c], fr, NULL, &out, keys, vals, &count, 0, 0));
		else
			ERR(batch(batch_cmds[c], fr, NULL, &out, keys, vals, &count, 0, 0), EPERM);
	}
	ck_assert_int_eq(count_keys(fr, 4), 8);
	close(ro);
	close(wo);
	close(rq);
	close(fr);
}
END_TEST

/* ---- faults: what is written before the EFAULT ---- */

START_TEST(null_buffers)
{
	uint32_t keys[16], count, out;
	uint64_t vals[16];
	int fd = hash8(EMU_MAP_HASH), arr = mkmap(EMU_MAP_ARRAY, 4, 8, 4, 0);

	/* out_batch is written last, before count: a NULL one leaves count at the 0 written first */
	count = 100;
	ERR(batch(EMU_BPF_MAP_LOOKUP_BATCH, fd, NULL, NULL, keys, vals, &count, 0, 0), EFAULT);
	ck_assert_uint_eq(count, 0);
	/* keys NULL on LOOKUP_AND_DELETE: the first bucket is gone all the same, and the copy of
	 * its keys ends the batch */
	count = 2;
	ERR(batch(EMU_BPF_MAP_LOOKUP_AND_DELETE_BATCH, fd, NULL, &out, NULL, vals, &count, 0, 0), EFAULT);
	ck_assert_uint_eq(count, 0);
	ASSERT_ORDER(fd, "4 7 2 1 6 5 3");
	/* arrays: count is written before out_batch */
	count = 2;
	ERR(batch(EMU_BPF_MAP_LOOKUP_BATCH, arr, NULL, NULL, keys, vals, &count, 0, 0), EFAULT);
	ck_assert_uint_eq(count, 2);
	/* UPDATE_BATCH / DELETE_BATCH: NULL keys fault at element 0 */
	count = 2;
	ERR(batch(EMU_BPF_MAP_UPDATE_BATCH, fd, NULL, NULL, NULL, vals, &count, 0, 0), EFAULT);
	ck_assert_uint_eq(count, 0);
	count = 2;
	ERR(batch(EMU_BPF_MAP_DELETE_BATCH, fd, NULL, NULL, NULL, NULL, &count, 0, 0), EFAULT);
	ck_assert_uint_eq(count, 0);
	close(fd);
	close(arr);
}
END_TEST

START_TEST(writes_stop_at_the_fault)
{
	unsigned char *end = guarded_end();
	uint32_t keys[16], vals32[32], count;
	uint64_t vals[16];
	int fd = hash8(EMU_MAP_HASH), arr = mkmap(EMU_MAP_ARRAY, 4, 8, 4, 0);
	struct attr a;

	/* out_batch with 2 writable bytes: they get the token's low bytes, then EFAULT */
	memset(end - 2, 0xaa, 2);
	count = 3;
	ERR(batch(EMU_BPF_MAP_LOOKUP_BATCH, fd, NULL, end - 2, keys, vals, &count, 0, 0), EFAULT);
	ck_assert_uint_eq(end[-2], 2);
	ck_assert_uint_eq(end[-1], 0);
	ck_assert_uint_eq(count, 0);

	/* keys: 6 bytes fit: bucket 0's key 0 and its value, then half of bucket 1's key 4 and
	 * not its value */
	memset(end - 6, 0xaa, 6);
	memset(vals, 0xaa, sizeof(vals));
	count = 3;
	ERR(batch(EMU_BPF_MAP_LOOKUP_BATCH, fd, NULL, keys, end - 6, vals, &count, 0, 0), EFAULT);
	ck_assert_uint_eq(get32(end - 6, 0), 0);
	ck_assert_uint_eq(end[-2], 4);
	ck_assert_uint_eq(end[-1], 0);
	ck_assert_uint_eq(vals[0], val_of(0));
	ck_assert_uint_eq(vals[1], 0xaaaaaaaaaaaaaaaaull);

	/* UPDATE_BATCH reading keys into the guard page: EFAULT with the count done so far */
	memset(vals32, 0, sizeof(vals32));
	put32(end - 8, 0, 1);
	put32(end - 8, 4, 2);
	count = 3;
	ERR(batch(EMU_BPF_MAP_UPDATE_BATCH, arr, NULL, NULL, end - 8, vals32, &count, 0, 0), EFAULT);
	ck_assert_uint_eq(count, 2);

	/* attr on a read-only page: the first write of count faults */
	memset(&a, 0, sizeof(a));
	put32(a.b, BA_FD, (uint32_t)fd);
	put32(a.b, BA_COUNT, 2);
	putp(a.b, BA_KEYS, keys);
	putp(a.b, BA_VALUES, vals);
	{
		unsigned char *rw = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		ck_assert_ptr_ne(rw, MAP_FAILED);
		memcpy(rw, a.b, EMU_ATTR_SIZE);
		ck_assert_int_eq(mprotect(rw, PAGE, PROT_READ), 0);
		for (int c = 0; c < 4; c++)
			ERR(ubpf(batch_cmds[c], rw, EMU_ATTR_SIZE), EFAULT);
		munmap(rw, PAGE);
	}
	ck_assert_int_eq(count_keys(fd, 4), 8);
	guarded_free(end);
	close(fd);
	close(arr);
}
END_TEST

/* ---- libbpf ---- */

#ifdef UNIT_HAVE_LIBBPF
START_TEST(libbpf_batch_api)
{
	uint32_t keys[8] = { 0, 1, 2, 3, 4, 5, 6, 7 }, okeys[16], in, out, count, total = 0;
	uint64_t vals[8], ovals[16];
	unsigned long before = routed_bpf_calls;
	int fd = mkmap(EMU_MAP_HASH, 4, 8, 8, EMU_F_ZERO_SEED), r;
	LIBBPF_OPTS(bpf_map_batch_opts, opts);

	for (uint32_t k = 0; k < 8; k++)
		vals[k] = val_of(k);
	count = 8;
	ck_assert_int_eq(bpf_map_update_batch(fd, keys, vals, &count, NULL), 0);
	ck_assert_uint_eq(count, 8);

	/* the usual libbpf loop: pass out_batch back until -ENOENT */
	char got[128] = "";
	void *inp = NULL;

	for (int guard = 0; guard < 10; guard++) {
		count = 3;
		r = bpf_map_lookup_batch(fd, inp, &out, okeys, ovals, &count, NULL);
		ck_assert_msg(r == 0 || r == -ENOENT, "bpf_map_lookup_batch = %d", r);
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", *got ? " | " : "",
			 check_vals(okeys, ovals, count, 8));
		total += count;
		if (r)
			break;
		in = out;
		inp = &in;
	}
	ck_assert_str_eq(got, "0 4 | 7 2 1 | 6 5 3");
	ck_assert_uint_eq(total, 8);

	in = 2;
	count = 1;
	ck_assert_int_eq(bpf_map_lookup_batch(fd, &in, &out, okeys, ovals, &count, NULL), -ENOSPC);
	ck_assert_int_eq(errno, ENOSPC);

	/* elem_flags through opts: EXIST is refused on 6.18 */
	opts.elem_flags = BPF_EXIST;
	count = 8;
	ck_assert_int_eq(bpf_map_update_batch(fd, keys, vals, &count, &opts), -EINVAL);
	opts.elem_flags = 0;

	count = 3;
	ck_assert_int_eq(bpf_map_delete_batch(fd, &keys[1], &count, NULL), 0);
	ck_assert_uint_eq(count, 3);
	ASSERT_ORDER(fd, "0 4 7 6 5");
	count = 16;
	ck_assert_int_eq(bpf_map_lookup_and_delete_batch(fd, NULL, &out, okeys, ovals, &count, NULL), -ENOENT);
	ck_assert_str_eq(check_vals(okeys, ovals, count, 8), "0 4 7 6 5");
	ck_assert_uint_eq(out, 8);
	ck_assert_int_eq(count_keys(fd, 4), 0);
	count = 1;
	ck_assert_int_eq(bpf_map_delete_batch(fd, keys, &count, NULL), -ENOENT);
	ck_assert_uint_eq(count, 0);

	/* the calls did reach the emulator (in kernel mode they went to the kernel) */
	if (!unit_kernel())
		ck_assert_uint_ge(routed_bpf_calls - before, 8);

	/* other syscalls still go through */
	ck_assert_int_eq(syscall(__NR_getpid), getpid());
	errno = 0;
	ck_assert_int_eq(syscall(__NR_close, -1), -1);
	ck_assert_int_eq(errno, EBADF);
	close(fd);
}
END_TEST

START_TEST(libbpf_arrays_and_percpu)
{
	uint32_t ncpu = (uint32_t)unit_ncpus(), keys[4] = { 0, 1, 2, 3 }, okeys[8], out, count;
	uint64_t vals[4 * 64], ovals[8 * 64];
	int fd = mkmap(EMU_MAP_PERCPU_ARRAY, 4, 8, 4, 0);

	for (uint32_t i = 0; i < 4 * ncpu; i++)
		vals[i] = 1000 + i;
	count = 4;
	ck_assert_int_eq(bpf_map_update_batch(fd, keys, vals, &count, NULL), 0);
	count = 8;
	ck_assert_int_eq(bpf_map_lookup_batch(fd, NULL, &out, okeys, ovals, &count, NULL), -ENOENT);
	ck_assert_uint_eq(count, 4);
	ck_assert_uint_eq(out, 3);
	ck_assert_mem_eq(ovals, vals, 4 * ncpu * 8);
	count = 4;
	ck_assert_int_eq(bpf_map_lookup_and_delete_batch(fd, NULL, &out, okeys, ovals, &count, NULL), -EMU_ENOTSUPP);
	ck_assert_int_eq(bpf_map_delete_batch(fd, keys, &count, NULL), -EMU_ENOTSUPP);
	close(fd);
}
END_TEST
#endif

int main(void)
{
	Suite *s = suite_create("batch");
	TCase *tc = tcase_create("batch");
	TCase *wild = tcase_create("wild");

	unit_init("2");
	tcase_add_loop_test(tc, hash_pages_whole_buckets, 0, 4);
	tcase_add_test(tc, hash_bucket_too_big_enospc);
	tcase_add_test(tc, hash_token_past_end_enoent);
	tcase_add_test(tc, hash_flags_and_count_zero);
	tcase_add_loop_test(tc, hash_lookup_and_delete_removes_what_it_returns, 0, 4);
	tcase_add_loop_test(tc, lru_drain_returns_nodes, 0, 2);
	tcase_add_test(tc, update_and_delete_stop_at_first_failure);
	tcase_add_loop_test(tc, update_and_delete_elem_flags, 0, 2);
	tcase_add_test(tc, array_pages_by_last_key);
	tcase_add_loop_test(tc, percpu_value_layout, 0, 2);
	tcase_add_loop_test(tc, missing_batch_ops_enotsupp, 0, 4);
	tcase_add_loop_test(tc, attr_and_fd_checks, 0, 4);
	tcase_add_test(tc, access_modes_and_frozen);
	tcase_add_test(tc, null_buffers);
#ifdef UNIT_HAVE_LIBBPF
	tcase_add_test(tc, libbpf_batch_api);
	tcase_add_test(tc, libbpf_arrays_and_percpu);
#endif
	suite_add_tcase(s, tc);
	tcase_add_test(wild, writes_stop_at_the_fault);
	add_wild_tcase(s, wild);
	return unit_run(s);
}
