/* SPDX-License-Identifier: MIT */
/* FREEZE and the access modes of map fds (BPF_F_RDONLY / BPF_F_WRONLY), on every map type
 * (kernel-semantics.md §3, §3.6 and the Appendix A tables). */
#include "unit.h"

static const uint32_t types[] = { EMU_MAP_HASH, EMU_MAP_PERCPU_HASH, EMU_MAP_LRU_HASH, EMU_MAP_LRU_PERCPU_HASH,
				  EMU_MAP_ARRAY, EMU_MAP_PERCPU_ARRAY, EMU_MAP_QUEUE, EMU_MAP_STACK };
#define NTYPES ((int)(sizeof(types) / sizeof(types[0])))

static bool keyless(uint32_t t) { return t == EMU_MAP_QUEUE || t == EMU_MAP_STACK; }
static bool is_array(uint32_t t) { return t == EMU_MAP_ARRAY || t == EMU_MAP_PERCPU_ARRAY; }

static unsigned char val[8 * 512], out[8 * 512];

struct m {
	uint32_t t;
	int fd;
	uint32_t key;
	const void *k;
};

/* m.k points into *m: fill the caller's struct, never a copy */
static void mk(struct m *m, int i, uint32_t flags)
{
	m->t = types[i];
	m->fd = mkmap(m->t, keyless(m->t) ? 0 : 4, 8, 8, flags);
	m->key = 1;
	m->k = keyless(m->t) ? NULL : &m->key;
}

START_TEST(freeze_once_then_eperm)
{
	struct m m;

	mk(&m, _i, 0);
	OK(update(m.fd, m.k, val, 0));
	OK(freeze(m.fd));
	ERR(freeze(m.fd), EPERM);
	ERR(freeze(m.fd), EPERM);
	close(m.fd);
}
END_TEST

START_TEST(frozen_refuses_writes_allows_reads)
{
	struct m m;
	uint32_t nk;

	mk(&m, _i, 0);
	memset(val, 0x31, sizeof(val));
	OK(update(m.fd, m.k, val, 0));
	OK(freeze(m.fd));
	ERR(update(m.fd, m.k, val, 0), EPERM);
	ERR(update(m.fd, m.k, val, 3), EPERM);             /* before the flags */
	ERR(update(m.fd, m.k, NULL, 0), EPERM);            /* before the value */
	ERR(delete(m.fd, m.k), EPERM);                     /* before the type's EINVAL */
	ERR(lookup_del(m.fd, m.k, out, 0), EPERM);         /* before the type's ENOTSUPP */
	memset(out, 0, sizeof(out));
	OK(lookup(m.fd, m.k, out, 0));
	ck_assert_uint_eq(out[0], 0x31);
	if (!keyless(m.t)) {
		uint32_t miss = 77;

		OK(next_key(m.fd, NULL, &nk));
		ERR(lookup(m.fd, &miss, out, 0), ENOENT);
		ERR(delete(m.fd, &miss), EPERM);
	}
	/* every fd of the map: it is the map that is frozen */
	{
		int d = dup(m.fd);

		ERR(update(d, m.k, val, 0), EPERM);
		OK(lookup(d, m.k, out, 0));
		close(d);
	}
	close(m.fd);
}
END_TEST

START_TEST(freeze_rules)
{
	struct m m;
	struct attr a;

	mk(&m, _i, 0);

	/* only map_fd; anything after it is EINVAL */
	memset(&a, 0, sizeof(a));
	put32(a.b, 0, (uint32_t)m.fd);
	put64(a.b, 8, 1);
	ERR(ubpf(EMU_BPF_MAP_FREEZE, a.b, EMU_ATTR_SIZE), EINVAL);
	/* the map is not frozen by that */
	OK(update(m.fd, m.k, val, 0));
	close(m.fd);
}
END_TEST

START_TEST(rdonly_fd)
{
	struct m m;
	uint32_t nk;

	mk(&m, _i, EMU_F_RDONLY);
	ck_assert_int_eq(fcntl(m.fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	ERR(update(m.fd, m.k, val, 0), EPERM);
	ERR(update(m.fd, m.k, val, 3), EPERM);
	ERR(update(m.fd, m.k, val, EMU_F_LOCK), EPERM); /* permission before F_LOCK */
	ERR(delete(m.fd, m.k), EPERM);
	ERR(lookup_del(m.fd, m.k, out, 0), EPERM);
	ERR(freeze(m.fd), EPERM);
	if (is_array(m.t)) {
		OK(lookup(m.fd, m.k, out, 0));
		OK(next_key(m.fd, NULL, &nk));
		ck_assert_uint_eq(nk, 0);
	} else {
		ERR(lookup(m.fd, m.k, out, 0), ENOENT);
		if (!keyless(m.t))
			ERR(next_key(m.fd, NULL, &nk), ENOENT);
	}
	/* the mode is the fd's, and survives dup */
	{
		int d = fcntl(m.fd, F_DUPFD_CLOEXEC, 10);

		ck_assert_int_ge(d, 10);
		ERR(update(d, m.k, val, 0), EPERM);
		close(d);
	}
	close(m.fd);
}
END_TEST

START_TEST(wronly_fd)
{
	struct m m;
	uint32_t nk;

	mk(&m, _i, EMU_F_WRONLY);
	ck_assert_int_eq(fcntl(m.fd, F_GETFL) & O_ACCMODE, O_WRONLY);
	OK(update(m.fd, m.k, val, 0));
	ERR(lookup(m.fd, m.k, out, 0), EPERM);
	ERR(lookup(m.fd, m.k, out, EMU_F_LOCK), EPERM); /* permission before F_LOCK */
	ERR(lookup(m.fd, m.k, out, EMU_EXIST), EINVAL); /* but the flags before the fd */
	ERR(lookup_del(m.fd, m.k, out, 0), EPERM);
	if (!keyless(m.t)) {
		ERR(next_key(m.fd, NULL, &nk), EPERM);
		ERR(next_key(m.fd, m.k, &nk), EPERM);
	}
	if (is_array(m.t))
		ERR(delete(m.fd, m.k), EINVAL);
	else if (keyless(m.t))
		ERR(delete(m.fd, NULL), EINVAL);
	else
		OK(delete(m.fd, m.k));
	/* freezing needs write permission only */
	OK(freeze(m.fd));
	ERR(update(m.fd, m.k, val, 0), EPERM);
	close(m.fd);
}
END_TEST

START_TEST(prog_flags_do_not_restrict_syscalls)
{
	static const uint32_t flags[] = { EMU_F_RDONLY_PROG, EMU_F_WRONLY_PROG };

	for (int f = 0; f < 2; f++) {
		struct m m;

		mk(&m, _i, flags[f]);
		OK(update(m.fd, m.k, val, 0));
		OK(lookup(m.fd, m.k, out, 0));
		if (!is_array(m.t))
			OK(lookup_del(m.fd, m.k, out, 0));
		OK(freeze(m.fd));
		close(m.fd);
	}
}
END_TEST

START_TEST(info_on_restricted_fds)
{
	/* RDONLY/WRONLY are the fd's, not the map's: info shows neither */
	static const uint32_t flags[] = { EMU_F_RDONLY, EMU_F_WRONLY, EMU_F_RDONLY | EMU_F_RDONLY_PROG };

	for (int f = 0; f < 3; f++) {
		struct m m;
		unsigned char info[MI_SIZE];
		uint32_t len = sizeof(info);

		mk(&m, _i, flags[f]);
		memset(info, 0, sizeof(info));
		OK(get_info(m.fd, info, &len));
		ck_assert_uint_eq(get32(info, MI_MAP_FLAGS), flags[f] & ~(EMU_F_RDONLY | EMU_F_WRONLY));
		close(m.fd);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("perm");
	TCase *tc = tcase_create("perm");

	unit_init("2");
	tcase_add_loop_test(tc, freeze_once_then_eperm, 0, NTYPES);
	tcase_add_loop_test(tc, frozen_refuses_writes_allows_reads, 0, NTYPES);
	tcase_add_loop_test(tc, freeze_rules, 0, NTYPES);
	tcase_add_loop_test(tc, rdonly_fd, 0, NTYPES);
	tcase_add_loop_test(tc, wronly_fd, 0, NTYPES);
	tcase_add_loop_test(tc, prog_flags_do_not_restrict_syscalls, 0, NTYPES);
	tcase_add_loop_test(tc, info_on_restricted_fds, 0, NTYPES);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
