/* SPDX-License-Identifier: MIT */
/* The error paths that every element command shares, on every map type: fds that are not maps,
 * bad pointers, flags, and the order in which they are judged (kernel-semantics.md §3). */
#include "unit.h"

#include <sys/eventfd.h>
#include <sys/socket.h>

static const uint32_t types[] = { EMU_MAP_HASH, EMU_MAP_PERCPU_HASH, EMU_MAP_LRU_HASH, EMU_MAP_LRU_PERCPU_HASH,
				  EMU_MAP_ARRAY, EMU_MAP_PERCPU_ARRAY, EMU_MAP_QUEUE, EMU_MAP_STACK };
#define NTYPES ((int)(sizeof(types) / sizeof(types[0])))

static bool keyless(uint32_t t) { return t == EMU_MAP_QUEUE || t == EMU_MAP_STACK; }
static bool percpu(uint32_t t) { return t == EMU_MAP_PERCPU_HASH || t == EMU_MAP_LRU_PERCPU_HASH || t == EMU_MAP_PERCPU_ARRAY; }
static bool is_array(uint32_t t) { return t == EMU_MAP_ARRAY || t == EMU_MAP_PERCPU_ARRAY; }

/* value bytes user buffers hold for a value_size of 8 */
static size_t vbytes(uint32_t t) { return percpu(t) ? 8u * (unsigned)unit_ncpus() : 8u; }

struct m {
	uint32_t type;
	int fd;
	uint32_t key;      /* a key that exists */
	const void *k;     /* what to pass as that key: &key, or NULL for queue/stack */
	unsigned char v[8 * 64];
};

/* A map of the type with one element in it. */
static void setup(struct m *m, uint32_t t)
{
	memset(m, 0, sizeof(*m));
	m->type = t;
	m->fd = mkmap(t, keyless(t) ? 0 : 4, 8, 8, 0);
	m->key = 1;
	m->k = keyless(t) ? NULL : &m->key;
	memset(m->v, 0x11, sizeof(m->v));
	OK(update(m->fd, m->k, m->v, 0));
}

/* Every command against an fd, expecting `want` from each. */
static void all_cmds(int fd, int want)
{
	uint32_t k = 1;
	uint64_t v[64] = { 0 };

	ERR(lookup(fd, &k, v, 0), want);
	ERR(update(fd, &k, v, 0), want);
	ERR(delete(fd, &k), want);
	ERR(next_key(fd, &k, v), want);
	ERR(lookup_del(fd, &k, v, 0), want);
	ERR(freeze(fd), want);
	ERR(lookup(fd, NULL, NULL, 0), want);
}

START_TEST(closed_and_negative_fds_ebadf)
{
	int fd = mkmap(EMU_MAP_HASH, 4, 8, 4, 0);

	close(fd);
	all_cmds(fd, EBADF);
	all_cmds(-1, EBADF);
	all_cmds(999, EBADF);
	all_cmds(1 << 20, EBADF);
	all_cmds(0x7fffffff, EBADF);
	/* the kernel does not see O_PATH fds at all */
	{
		int p1 = open("/dev/null", O_PATH | O_CLOEXEC);
		int p2 = open("/etc/hostname", O_PATH | O_CLOEXEC);

		if (p2 < 0)
			p2 = open("/", O_PATH | O_CLOEXEC);
		all_cmds(p1, EBADF);
		all_cmds(p2, EBADF);
		close(p1);
		close(p2);
	}
}
END_TEST

START_TEST(fds_that_are_not_maps_einval)
{
	int p[2], sv[2];
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	int dir = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int mfd = memfd_create("not-a-map", MFD_CLOEXEC);
	int efd = eventfd(0, EFD_CLOEXEC);
	char tmpl[] = "/tmp/bpfemu-unit-XXXXXX";
	int reg = mkstemp(tmpl);
	unsigned char junk[8192];

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_int_ge(reg, 0);
	unlink(tmpl);
	memset(junk, 0x5a, sizeof(junk));
	ck_assert_int_eq(write(reg, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	/* a memory file of the emulator's favourite kind, but no map in it */
	ck_assert_int_eq(ftruncate(mfd, 65536), 0);

	all_cmds(devnull, EINVAL);
	all_cmds(p[0], EINVAL);
	all_cmds(p[1], EINVAL);
	all_cmds(sv[0], EINVAL);
	all_cmds(dir, EINVAL);
	all_cmds(mfd, EINVAL);
	all_cmds(efd, EINVAL);
	all_cmds(reg, EINVAL);
	/* an empty regular file too */
	ck_assert_int_eq(ftruncate(reg, 0), 0);
	all_cmds(reg, EINVAL);
	/* the standard streams, whatever they are here, are not maps */
	if (fcntl(0, F_GETFD) >= 0)
		all_cmds(0, EINVAL);
	close(devnull);
	close(dir);
	close(mfd);
	close(efd);
	close(reg);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(lookup_flags_checked_before_fd)
{
	static const uint64_t bad[] = { EMU_NOEXIST, EMU_EXIST, 3, 8, 16, 1ull << 32, ~0ull };
	uint32_t k = 1;
	uint64_t v;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ERR(lookup(999, &k, &v, bad[i]), EINVAL);
		ERR(lookup(-1, NULL, NULL, bad[i]), EINVAL);
		ERR(lookup_del(999, &k, &v, bad[i]), EINVAL);
	}
	/* F_LOCK alone passes that check and meets the bad fd */
	ERR(lookup(999, &k, &v, EMU_F_LOCK), EBADF);
	ERR(lookup_del(999, &k, &v, EMU_F_LOCK), EBADF);
	/* UPDATE's flags are the map's business: the fd comes first */
	ERR(update(999, &k, &v, 3), EBADF);
	ERR(update(999, &k, &v, EMU_F_LOCK), EBADF);
}
END_TEST

START_TEST(lookup_flag_rules)
{
	struct m m;

	setup(&m, types[_i]);
	ERR(lookup(m.fd, m.k, m.v, EMU_NOEXIST), EINVAL);
	ERR(lookup(m.fd, m.k, m.v, 8), EINVAL);  /* BPF_F_CPU is newer than 6.18 */
	ERR(lookup(m.fd, m.k, m.v, 16), EINVAL); /* BPF_F_ALL_CPUS too */
	/* no emulated value has a bpf_spin_lock */
	ERR(lookup(m.fd, m.k, m.v, EMU_F_LOCK), EINVAL);
	/* judged before the key is read */
	ERR(lookup(m.fd, keyless(m.type) ? (void *)&m.key : NULL, m.v, EMU_F_LOCK), EINVAL);
	close(m.fd);
}
END_TEST

START_TEST(update_flag_rules)
{
	struct m m;

	setup(&m, types[_i]);
	/* F_LOCK: refused before the key is read */
	ERR(update(m.fd, m.k, m.v, EMU_F_LOCK), EINVAL);
	ERR(update(m.fd, keyless(m.type) ? (void *)&m.key : NULL, NULL, EMU_F_LOCK), EINVAL);
	ERR(update(m.fd, m.k, m.v, EMU_F_LOCK | EMU_EXIST), EINVAL);
	/* the map type judges the others, after key and value were read */
	ERR(update(m.fd, m.k, m.v, 3), EINVAL);
	ERR(update(m.fd, m.k, m.v, 8), EINVAL);
	ERR(update(m.fd, m.k, m.v, 16), EINVAL);
	ERR(update(m.fd, m.k, m.v, 1ull << 32), EINVAL);
	ERR(update(m.fd, m.k, (void *)(uintptr_t)16, 3), EFAULT);
	ERR(update(m.fd, m.k, NULL, 3), EFAULT);
	if (!keyless(m.type))
		ERR(update(m.fd, NULL, m.v, 3), EFAULT);
	close(m.fd);
}
END_TEST

START_TEST(key_pointer_rules)
{
	struct m m;
	uint64_t out[64];

	setup(&m, types[_i]);
	if (keyless(m.type)) {
		/* keyless maps want NULL and nothing else */
		uint32_t k = 0;

		ERR(lookup(m.fd, &k, out, 0), EINVAL);
		ERR(update(m.fd, &k, m.v, 0), EINVAL);
		ERR(delete(m.fd, &k), EINVAL);
		ERR(lookup_del(m.fd, &k, out, 0), EINVAL);
		ERR(next_key(m.fd, &k, out), EINVAL);
		ERR(lookup(m.fd, (void *)(uintptr_t)16, out, 0), EINVAL);
	} else {
		ERR(lookup(m.fd, NULL, out, 0), EFAULT);
		ERR(update(m.fd, NULL, m.v, 0), EFAULT);
		ERR(delete(m.fd, NULL), EFAULT);
		ERR(lookup_del(m.fd, NULL, out, 0), EFAULT);
		ERR(lookup(m.fd, (void *)(uintptr_t)16, out, 0), EFAULT);
		ERR(update(m.fd, (void *)(uintptr_t)4095, m.v, 0), EFAULT);
		ERR(delete(m.fd, (void *)(uintptr_t)1), EFAULT);
		ERR(next_key(m.fd, (void *)(uintptr_t)8, out), EFAULT);
		/* addresses past the user half */
		ERR(lookup(m.fd, (void *)(uintptr_t)0xffff800000000000ull, out, 0), EFAULT);
		ERR(lookup(m.fd, (void *)(uintptr_t)~0ull, out, 0), EFAULT);
	}
	close(m.fd);
}
END_TEST

START_TEST(value_pointer_rules)
{
	struct m m;

	setup(&m, types[_i]);
	/* a hit with nowhere to put it */
	ERR(lookup(m.fd, m.k, NULL, 0), EFAULT);
	ERR(lookup(m.fd, m.k, (void *)(uintptr_t)64, 0), EFAULT);
	ERR(update(m.fd, m.k, NULL, 0), EFAULT);
	ERR(update(m.fd, m.k, (void *)(uintptr_t)~0ull, 0), EFAULT);
	if (!is_array(m.type) && !keyless(m.type)) {
		/* a miss never touches the value */
		uint32_t miss = 77;

		ERR(lookup(m.fd, &miss, NULL, 0), ENOENT);
		ERR(lookup_del(m.fd, &miss, NULL, 0), ENOENT);
	}
	close(m.fd);
}
END_TEST

START_TEST(delete_and_next_key_attr_fields)
{
	struct m m;
	struct attr a;
	uint32_t nk;

	setup(&m, types[_i]);
	/* DELETE takes no value and no flags */
	memset(&a, 0, sizeof(a));
	put32(a.b, EL_FD, (uint32_t)m.fd);
	putp(a.b, EL_KEY, m.k);
	putp(a.b, EL_VALUE, m.v);
	ERR(ubpf(EMU_BPF_MAP_DELETE_ELEM, a.b, EMU_ATTR_SIZE), EINVAL);
	put64(a.b, EL_VALUE, 0);
	put64(a.b, EL_FLAGS, EMU_ANY + 1);
	ERR(ubpf(EMU_BPF_MAP_DELETE_ELEM, a.b, EMU_ATTR_SIZE), EINVAL);
	/* GET_NEXT_KEY takes no flags */
	memset(&a, 0, sizeof(a));
	put32(a.b, EL_FD, (uint32_t)m.fd);
	putp(a.b, EL_VALUE, &nk);
	put64(a.b, EL_FLAGS, 1);
	ERR(ubpf(EMU_BPF_MAP_GET_NEXT_KEY, a.b, EMU_ATTR_SIZE), EINVAL);
	/* a step with nowhere to put the key */
	if (!keyless(m.type)) {
		ERR(next_key(m.fd, NULL, NULL), EFAULT);
		ERR(next_key(m.fd, NULL, (void *)(uintptr_t)32), EFAULT);
	} else {
		ERR(next_key(m.fd, NULL, NULL), EINVAL);
		ERR(next_key(m.fd, NULL, &nk), EINVAL);
	}
	close(m.fd);
}
END_TEST

START_TEST(lookup_and_delete_value_fault_still_deletes)
{
	struct m m;
	unsigned char out[8 * 64];

	setup(&m, types[_i]);
	if (is_array(m.type)) {
		ERR(lookup_del(m.fd, m.k, out, 0), EMU_ENOTSUPP);
		ERR(lookup_del(m.fd, NULL, out, 0), EFAULT); /* the key is read first */
		close(m.fd);
		return;
	}
	ERR(lookup_del(m.fd, m.k, NULL, 0), EFAULT);
	/* gone, although the caller never saw it */
	ERR(lookup(m.fd, m.k, out, 0), ENOENT);
	ERR(lookup_del(m.fd, m.k, out, 0), ENOENT);
	close(m.fd);
}
END_TEST

/* ---- memory that faults (left out under valgrind) ---- */

START_TEST(key_read_stops_at_fault)
{
	struct m m;
	unsigned char *end = guarded_end();
	uint64_t out[64];

	setup(&m, types[_i]);
	if (keyless(m.type)) {
		/* not read at all: any non-NULL key is refused as such */
		ERR(lookup(m.fd, end, out, 0), EINVAL);
		ERR(update(m.fd, end, m.v, 0), EINVAL);
	} else {
		/* exactly key_size bytes are read */
		memcpy(end - 4, &m.key, 4);
		OK(lookup(m.fd, end - 4, out, 0));
		ERR(lookup(m.fd, end - 3, out, 0), EFAULT);
		ERR(lookup(m.fd, end, out, 0), EFAULT);
		ERR(update(m.fd, end - 2, m.v, 0), EFAULT);
		ERR(delete(m.fd, end - 1), EFAULT);
		ERR(next_key(m.fd, end - 3, out), EFAULT);
		ERR(lookup_del(m.fd, end - 3, out, 0), EFAULT);
		ERR(lookup(m.fd, unmapped_addr(), out, 0), EFAULT);
		/* nothing was deleted on the way */
		OK(lookup(m.fd, &m.key, out, 0));
	}
	guarded_free(end);
	close(m.fd);
}
END_TEST

START_TEST(value_read_stops_at_fault)
{
	struct m m;
	unsigned char *end = guarded_end();
	size_t vb = vbytes(types[_i]);

	setup(&m, types[_i]);
	memset(end - vb, 0x22, vb);
	/* exactly V bytes are read; one more is a fault */
	OK(update(m.fd, m.k, end - vb, 0));
	ERR(update(m.fd, m.k, end - vb + 1, 0), EFAULT);
	ERR(update(m.fd, m.k, end, 0), EFAULT);
	ERR(update(m.fd, m.k, unmapped_addr(), 0), EFAULT);
	/* the value is read before the map judges the flags */
	ERR(update(m.fd, m.k, end - vb + 1, 3), EFAULT);
	guarded_free(end);
	close(m.fd);
}
END_TEST

START_TEST(value_write_stops_at_fault)
{
	struct m m;
	unsigned char *end = guarded_end();
	size_t vb = vbytes(types[_i]);

	setup(&m, types[_i]);
	memset(end - vb, 0, vb);
	OK(lookup(m.fd, m.k, end - vb, 0));
	for (size_t i = 0; i < vb; i++)
		ck_assert_uint_eq(end[-(long)vb + (long)i], 0x11);
	ERR(lookup(m.fd, m.k, end - vb + 1, 0), EFAULT);
	ERR(lookup(m.fd, m.k, unmapped_addr(), 0), EFAULT);
	guarded_free(end);
	close(m.fd);
}
END_TEST

/* Every size band of the emulator's copy routine (1-3, 4-7, 8-16, 17-32, 33-511, 512 and up
 * bytes): a value read or written across the end of the buffer faults having written exactly
 * the bytes before the fault, and a key one byte short faults. HASH, so key and value sizes
 * are free. */
START_TEST(copy_sizes_fault_exactly)
{
	static const uint32_t sizes[] = { 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 40, 63, 64, 65,
					  100, 511, 512, 513, 700 };
	uint32_t vs = sizes[_i], ks = vs < 512 ? vs : 512; /* a hash key holds at most 512 bytes */
	unsigned char *end = guarded_end(), val[700], key[700];
	/* bytes of the buffer that lie before the guard page: none, one, half, all but one */
	uint32_t fits[] = { 0, 1, vs / 2, vs - 1 };
	int fd;

	for (uint32_t i = 0; i < vs; i++) {
		val[i] = (unsigned char)(0x41 + i * 13);
		key[i] = (unsigned char)(0x07 + i * 5);
	}
	fd = mkmap(EMU_MAP_HASH, ks, vs, 4, 0);
	OK(update(fd, key, val, 0));
	for (unsigned f = 0; f < sizeof(fits) / sizeof(fits[0]); f++) {
		uint32_t n = fits[f];

		if (n >= vs)
			continue;
		memset(end - PAGE, 0x5c, PAGE);
		ERR(lookup(fd, key, end - n, 0), EFAULT);
		for (uint32_t i = 0; i < n; i++)
			ck_assert_msg(end[-(long)n + (long)i] == val[i], "value %u, %u bytes fit: byte %u not written",
				      vs, n, i);
		ck_assert_uint_eq(end[-(long)n - 1], 0x5c);
		/* reads: the value, and the key of each command that reads one */
		memcpy(end - n, val, n);
		ERR(update(fd, key, end - n, 0), EFAULT);
		if (n < ks) {
			memcpy(end - n, key, n);
			ERR(lookup(fd, end - n, val, 0), EFAULT);
			ERR(delete(fd, end - n), EFAULT);
		}
	}
	/* A buffer that starts in a page it cannot use and runs into one it can: the kernel faults
	 * on the first byte and writes nothing, so no later byte may be written first. */
	{
		unsigned char *lo = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		unsigned char *start = lo + PAGE;

		ck_assert_ptr_ne(lo, MAP_FAILED);
		ck_assert_int_eq(mprotect(lo, PAGE, PROT_NONE), 0);
		memset(start, 0x5c, PAGE);
		for (uint32_t before = 1; before < vs && before <= 9; before += 4) {
			ERR(lookup(fd, key, start - before, 0), EFAULT);
			for (uint32_t i = 0; i < vs - before; i++)
				ck_assert_msg(start[i] == 0x5c, "value %u starting %u bytes early: byte %u written", vs,
					      before, i);
		}
		munmap(lo, 2 * PAGE);
	}
	/* all of it fits: whole copies both ways, and nothing was changed by the faults above */
	memset(end - PAGE, 0, PAGE);
	OK(lookup(fd, key, end - vs, 0));
	ck_assert_int_eq(memcmp(end - vs, val, vs), 0);
	memcpy(end - ks, key, ks);
	OK(lookup(fd, end - ks, end - PAGE, 0));
	ck_assert_int_eq(memcmp(end - PAGE, val, vs), 0);
	guarded_free(end);
	close(fd);
}
END_TEST

START_TEST(read_only_output_buffers)
{
	struct m m;
	unsigned char *ro = ro_page(0x33);

	setup(&m, types[_i]);
	ERR(lookup(m.fd, m.k, ro, 0), EFAULT);
	if (!keyless(m.type))
		ERR(next_key(m.fd, NULL, ro), EFAULT);
	for (unsigned i = 0; i < PAGE; i++)
		ck_assert_uint_eq(ro[i], 0x33);
	/* read-only input is fine */
	if (!keyless(m.type)) {
		unsigned char *rok = ro_page(0);

		OK(update(m.fd, rok, ro, 0));
		munmap(rok, PAGE);
	}
	if (is_array(m.type)) {
		ERR(lookup_del(m.fd, m.k, ro, 0), EMU_ENOTSUPP);
	} else {
		unsigned char out[8 * 64];

		/* deleted (popped) although the copy-out failed */
		ERR(lookup_del(m.fd, m.k, ro, 0), EFAULT);
		ERR(lookup(m.fd, m.k, out, 0), ENOENT);
	}
	munmap(ro, PAGE);
	close(m.fd);
}
END_TEST

START_TEST(info_output_faults)
{
	int fd = mkmap(types[_i], keyless(types[_i]) ? 0 : 4, 8, 8, 0);
	unsigned char *ro = ro_page(0);
	unsigned char *end = guarded_end();
	uint32_t len = MI_SIZE;

	ERR(get_info(fd, ro, &len), EFAULT);
	len = MI_SIZE;
	ERR(get_info(fd, end - 8, &len), EFAULT);
	len = 8;
	memset(end - 8, 0, 8);
	OK(get_info(fd, end - 8, &len));
	ck_assert_uint_eq(get32(end - 8, MI_TYPE), types[_i]);
	/* the attr itself, read-only: info is written, info_len cannot be */
	{
		unsigned char *ra = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		unsigned char info[MI_SIZE];

		ck_assert_ptr_ne(ra, MAP_FAILED);
		memset(ra, 0, EMU_ATTR_SIZE);
		memset(info, 0, sizeof(info));
		put32(ra, INFO_FD, (uint32_t)fd);
		put32(ra, INFO_LEN, sizeof(info));
		putp(ra, INFO_PTR, info);
		ck_assert_int_eq(mprotect(ra, PAGE, PROT_READ), 0);
		ERR(ubpf(EMU_BPF_OBJ_GET_INFO_BY_FD, ra, EMU_ATTR_SIZE), EFAULT);
		munmap(ra, PAGE);
	}
	munmap(ro, PAGE);
	guarded_free(end);
	close(fd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("elem");
	TCase *tc = tcase_create("errors");
	TCase *wild = wild_tcase(s);

	unit_init("2");
	tcase_add_test(tc, closed_and_negative_fds_ebadf);
	tcase_add_test(tc, fds_that_are_not_maps_einval);
	tcase_add_test(tc, lookup_flags_checked_before_fd);
	tcase_add_loop_test(tc, lookup_flag_rules, 0, NTYPES);
	tcase_add_loop_test(tc, update_flag_rules, 0, NTYPES);
	tcase_add_loop_test(tc, key_pointer_rules, 0, NTYPES);
	tcase_add_loop_test(tc, value_pointer_rules, 0, NTYPES);
	tcase_add_loop_test(tc, delete_and_next_key_attr_fields, 0, NTYPES);
	tcase_add_loop_test(tc, lookup_and_delete_value_fault_still_deletes, 0, NTYPES);
	suite_add_tcase(s, tc);
	opt_add_loop_test(wild, key_read_stops_at_fault, 0, NTYPES);
	opt_add_loop_test(wild, value_read_stops_at_fault, 0, NTYPES);
	opt_add_loop_test(wild, value_write_stops_at_fault, 0, NTYPES);
	opt_add_loop_test(wild, copy_sizes_fault_exactly, 0, 24);
	opt_add_loop_test(wild, read_only_output_buffers, 0, NTYPES);
	opt_add_loop_test(wild, info_output_faults, 0, NTYPES);
	return unit_run(s);
}
