/* SPDX-License-Identifier: MIT */
/*
 * The directories bpfemu keeps state in (emu/core/statedir.c, state.c) and the files it opens
 * from them (BPF_OBJ_GET): a directory another user could have planted or could change is refused
 * with a reason, never used; a pinned file that is not this user's object of the current layout is
 * not opened.
 *
 *   test_statedir           the rules on directories of this user (modes, links, missing parts,
 *                           relative paths), a refused root through bpfemu_bpf(), OBJ_GET's checks
 *   test_statedir planted   the cases that need another user: directories and pins owned by other
 *                           uids (chown), and issue 24's attack as it happens — another user plants
 *                           /dev/shm/bpfemu-<victim uid>/bpffs mode 0777 before the victim's first
 *                           run. Needs root: skipped (77) without it, a failure under
 *                           BPFEMU_REQUIRE_KERNEL=1 (CI runs as root).
 *
 * Cases whose environment differs re-execute this program ("flow NAME"): the emulator reads its
 * directories' paths once per process.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <ftw.h>
#include <stdarg.h>
#include <grp.h>
#include <sys/stat.h>

#include "core/map.h"
#include "core/state.h"
#include "unit.h"

/* uids no account has: an attacker and a victim for the planted cases */
#define OTHER_UID 3000001u
#define VICTIM_UID 3000002u

static char base[1024];    /* this run's private directory, removed at exit */
static char casedir[1200]; /* the running case's own directory under it */

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	if (flag == FTW_DP || flag == FTW_D)
		chmod(p, 0700);
	return remove(p) && errno != ENOENT ? 0 : 0;
}

static void rm_rf(const char *p)
{
	/* modes first, so a 0500 directory's entries can go */
	nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static pid_t main_pid; /* Check's forked cases exit too: only the main process cleans up */

static void cleanup(void)
{
	if (base[0] && getpid() == main_pid)
		rm_rf(base);
}

/* a path in the running case's directory */
static const char *at(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *at(const char *fmt, ...)
{
	static char bufs[8][PATH_MAX];
	static int n;
	char *b = bufs[n++ % 8], rel[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	snprintf(b, PATH_MAX, "%s/%s", casedir, rel);
	return b;
}

static void case_setup(void)
{
	snprintf(casedir, sizeof(casedir), "%s/case.XXXXXX", base);
	ck_assert_msg(mkdtemp(casedir) != NULL, "mkdtemp: %s", strerror(errno));
}

/* a path in the emulated bpffs root of this process */
static const char *in_root(const char *name)
{
	static char b[PATH_MAX];

	snprintf(b, sizeof(b), "%s/%s", emu_bpffs_root(), name);
	return b;
}

static void mkdir_mode(const char *p, mode_t mode, uid_t uid)
{
	ck_assert_msg(!mkdir(p, 0700), "mkdir %s: %s", p, strerror(errno));
	ck_assert_msg(!chmod(p, mode), "chmod %s: %s", p, strerror(errno));
	if (uid != (uid_t)-1)
		ck_assert_msg(!chown(p, uid, (gid_t)-1), "chown %s: %s", p, strerror(errno));
}

/* emu_dir_check(path, create) gives want, and a reason containing `says` */
#define CHECK_DIR(path, create, want, says)                                                          \
	do {                                                                                         \
		char why_[PATH_MAX + 256];                                                           \
		int r_ = emu_dir_check(path, create, why_, sizeof(why_));                            \
		ck_assert_msg(r_ == (want), "%s: %s (%s), want %s", path, r_ ? errname(-r_) : "accepted", \
			      why_, (want) ? errname(-(want)) : "accepted");                         \
		if (says)                                                                            \
			ck_assert_msg(strstr(why_, says ? says : ""), "%s: reason \"%s\" lacks \"%s\"", \
				      path, why_, says ? says : "");                                 \
	} while (0)

static mode_t mode_of(const char *p)
{
	struct stat st;

	ck_assert_msg(!lstat(p, &st), "%s: %s", p, strerror(errno));
	return st.st_mode & 07777;
}

/* ---- the rules, on directories of this user ---- */

START_TEST(relative_and_empty)
{
	CHECK_DIR("relative/dir", true, -EINVAL, "absolute");
	CHECK_DIR("", true, -EINVAL, "empty");
}
END_TEST

START_TEST(created_0700_with_parents)
{
	const char *p = at("c1/c2/c3");

	CHECK_DIR(p, true, 0, NULL);
	ck_assert_uint_eq(mode_of(at("c1")), 0700);
	ck_assert_uint_eq(mode_of(at("c1/c2")), 0700);
	ck_assert_uint_eq(mode_of(p), 0700);
	CHECK_DIR(p, false, 0, NULL); /* and accepted as it is afterwards */
	CHECK_DIR(at("c1/c2/c3///"), false, 0, NULL);
}
END_TEST

START_TEST(missing_without_create)
{
	CHECK_DIR(at("absent"), false, -ENOENT, "does not exist");
	ck_assert_int_eq(access(at("absent"), F_OK), -1);
}
END_TEST

START_TEST(writable_by_others)
{
	mkdir_mode(at("w777"), 0777, -1);
	mkdir_mode(at("w770"), 0770, -1);
	mkdir_mode(at("w1777"), 01777, -1);
	mkdir_mode(at("w755"), 0755, -1);
	CHECK_DIR(at("w777"), true, -EACCES, "world-writable");
	CHECK_DIR(at("w770"), true, -EACCES, "group-writable");
	CHECK_DIR(at("w1777"), true, -EACCES, "world-writable"); /* sticky is no excuse for the dir itself */
	CHECK_DIR(at("w755"), true, 0, NULL);                    /* readable by others is fine */
	/* nothing was created in the refused ones */
	ck_assert_int_eq(access(at("w777/x"), F_OK), -1);
}
END_TEST

START_TEST(not_writable_by_me)
{
	char proc[64];

	mkdir_mode(at("r500"), 0500, -1);
	CHECK_DIR(at("r500"), true, -EACCES, "not writable");
	/* a directory under /proc: this process's own, which is read-only */
	snprintf(proc, sizeof(proc), "/proc/%d", (int)getpid());
	CHECK_DIR(proc, true, -EACCES, "not writable");
	/* /proc/self is a link (followed: not the last part), /proc/<pid> lets nobody create */
	ck_assert_int_lt(emu_dir_check("/proc/self/bpffs", true, NULL, 0), 0);
}
END_TEST

START_TEST(not_a_directory)
{
	int fd = open(at("file"), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);

	ck_assert_int_ge(fd, 0);
	close(fd);
	CHECK_DIR(at("file"), true, -ENOTDIR, "not a directory");
	CHECK_DIR(at("file/below"), true, -ENOTDIR, "not a directory");
}
END_TEST

START_TEST(symlinks)
{
	mkdir_mode(at("real"), 0700, -1);
	ck_assert_int_eq(symlink(at("real"), at("link")), 0);
	/* the directory itself may not be a link */
	CHECK_DIR(at("link"), true, -EACCES, "symbolic link");
	/* a link on the way, in a directory only I can write: followed, its target checked */
	CHECK_DIR(at("link/sub"), true, 0, NULL);
	ck_assert_uint_eq(mode_of(at("real/sub")), 0700);
	/* a relative link */
	ck_assert_int_eq(symlink("real", at("rlink")), 0);
	CHECK_DIR(at("rlink/sub"), false, 0, NULL);
	/* a link in a directory others can write: they could re-point it */
	mkdir_mode(at("open"), 0777, -1);
	ck_assert_int_eq(symlink(at("real"), at("open/link")), 0);
	CHECK_DIR(at("open/link/sub"), true, -EACCES, "world-writable and not sticky");
	/* a link to a directory that is not safe */
	mkdir_mode(at("w777"), 0777, -1);
	ck_assert_int_eq(symlink(at("w777"), at("tow777")), 0);
	CHECK_DIR(at("tow777/sub"), true, -EACCES, "world-writable");
	ck_assert_int_eq(access(at("w777/sub"), F_OK), -1);
	/* a loop */
	ck_assert_int_eq(symlink(at("loop2"), at("loop1")), 0);
	ck_assert_int_eq(symlink(at("loop1"), at("loop2")), 0);
	CHECK_DIR(at("loop1/x"), true, -ELOOP, "too many symbolic links");
}
END_TEST

START_TEST(ancestors)
{
	/* a directory of mine inside one others can write: refused */
	mkdir_mode(at("open"), 0777, -1);
	mkdir_mode(at("open/mine"), 0700, -1);
	CHECK_DIR(at("open/mine"), true, -EACCES, "a directory on its way, is world-writable");
	/* the same under a sticky one, as /tmp and /dev/shm are: accepted */
	mkdir_mode(at("sticky"), 01777, -1);
	mkdir_mode(at("sticky/mine"), 0700, -1);
	CHECK_DIR(at("sticky/mine"), true, 0, NULL);
	CHECK_DIR(at("sticky/new/deeper"), true, 0, NULL);
	/* '..' where the directories exist; refused in the part to create */
	CHECK_DIR(at("sticky/../sticky/mine"), false, 0, NULL);
	CHECK_DIR(at("sticky/absent/../x"), true, -EINVAL, "'..'");
}
END_TEST

/* ---- through bpfemu_bpf(), in a fresh process per environment ---- */

struct flow_result {
	int status;
	char err[4096];
};

/* Runs "flow NAME ARG" with env (NAME=value pairs, NULL-terminated; a NULL value unsets). */
static void run_flow(struct flow_result *res, const char *name, const char *arg, const char *const *env)
{
	int p[2];
	pid_t pid;
	ssize_t n, got = 0;

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char *argv[] = { (char *)"test_statedir", (char *)"flow", (char *)name, (char *)arg, NULL };

		dup2(p[1], 2);
		for (int i = 0; env[i]; i += 2) {
			if (env[i + 1])
				setenv(env[i], env[i + 1], 1);
			else
				unsetenv(env[i]);
		}
		unit_exec_self(argv);
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], res->err + got, sizeof(res->err) - 1 - (size_t)got)) > 0)
		got += n;
	res->err[got] = 0;
	close(p[0]);
	res->status = wait_child(pid);
}

static int flow_create(void)
{
	struct attr a;

	memset(&a, 0, sizeof(a));
	mc_attr(&a, EMU_MAP_ARRAY, 4, 4, 1, 0);
	return bpfemu_bpf(EMU_BPF_MAP_CREATE, (void *)a.b, EMU_ATTR_SIZE) < 0 ? -errno : 0;
}

static int flow_obj_get(const char *path)
{
	struct attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	putp(a.b, PIN_PATH, path);
	fd = bpfemu_bpf(EMU_BPF_OBJ_GET, (void *)a.b, EMU_ATTR_SIZE);
	if (fd >= 0)
		close(fd);
	return fd < 0 ? -errno : 0;
}

/* A refused directory: every call that needs it fails with `want`, said once per directory;
 * with pins, OBJ_GET too (it needs the bpffs root). */
static int flow_refused(int want, bool pins)
{
	int r1 = flow_create(), r2 = flow_create(), r3 = pins ? flow_obj_get("/sys/fs/bpf/victim") : want;

	if (r1 != want || r2 != want || r3 != want) {
		printf("create %s, again %s, OBJ_GET %s: want %s each\n", errname(-r1), errname(-r2), errname(-r3),
		       errname(-want));
		return 1;
	}
	return 0;
}

static int flow_main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[2], "victim")) {
		/* become the victim, then run as it would for the first time */
		uid_t v = (uid_t)strtoul(argv[3], NULL, 10);

		if (setgroups(0, NULL) || setresgid(v, v, v) || setresuid(v, v, v)) {
			perror("setresuid");
			return 2;
		}
		return flow_refused(-EACCES, true);
	}
	if (argc >= 4 && !strcmp(argv[2], "refused"))
		return flow_refused(-(int)strtol(argv[3], NULL, 10), true);
	if (argc >= 4 && !strcmp(argv[2], "refused-create"))
		return flow_refused(-(int)strtol(argv[3], NULL, 10), false);
	if (argc >= 3 && !strcmp(argv[2], "fine"))
		return flow_create() ? 1 : 0;
	return 2;
}

static int count_refusals(const char *err)
{
	int n = 0;

	for (const char *l = err; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l)) {
		ck_assert_msg(!strncmp(l, "bpfemu: ", 8), "an unexpected line on stderr: %.200s", l);
		ck_assert_msg(strstr(l, "refused") && strstr(l, "BPFEMU_"), "not a refusal: %.200s", l);
		n++;
	}
	return n;
}

START_TEST(refused_bpffs_through_the_api)
{
	struct flow_result r;
	const char *env[] = { "BPFEMU_STATE_DIR", at("st"), "BPFEMU_BPFFS", at("planted"), "XDG_RUNTIME_DIR", NULL, NULL };

	mkdir_mode(at("planted"), 0777, -1);
	run_flow(&r, "refused", "13", env);
	ck_assert_msg(r.status == 0, "status %d, stderr: %s", r.status, r.err);
	/* one line, naming the directory and why */
	ck_assert_int_eq(count_refusals(r.err), 1);
	ck_assert_msg(strstr(r.err, at("planted")) && strstr(r.err, "world-writable"), "%s", r.err);
	ck_assert_int_eq(access(at("planted/victim"), F_OK), -1);
	/* a relative path is refused, not taken relative to each process's working directory */
	env[3] = "relative/bpffs";
	run_flow(&r, "refused", "22", env);
	ck_assert_msg(r.status == 0 && strstr(r.err, "not an absolute path"), "status %d, stderr: %s", r.status, r.err);
	/* and a good one works, saying nothing */
	env[3] = at("good");
	run_flow(&r, "fine", NULL, env);
	ck_assert_msg(r.status == 0 && !r.err[0], "status %d, stderr: %s", r.status, r.err);
	ck_assert_uint_eq(mode_of(at("good")), 0700);
	ck_assert_uint_eq(mode_of(at("st")), 0700);
}
END_TEST

START_TEST(refused_state_dir_through_the_api)
{
	struct flow_result r;
	const char *env[] = { "BPFEMU_STATE_DIR", at("st777"), "BPFEMU_BPFFS", at("fs"), NULL };

	mkdir_mode(at("st777"), 0777, -1);
	run_flow(&r, "refused-create", "13", env);
	ck_assert_msg(r.status == 0, "status %d, stderr: %s", r.status, r.err);
	ck_assert_msg(count_refusals(r.err) == 1 && strstr(r.err, "state directory"), "%s", r.err);
	ck_assert_int_eq(access(at("st777/ids"), F_OK), -1); /* the id counter was not created there */
}
END_TEST

/* ---- BPF_OBJ_GET: what a pin must be ---- */

static int pin_new_map(const char *path)
{
	struct attr a;
	int fd, r;

	memset(&a, 0, sizeof(a));
	mc_attr(&a, EMU_MAP_HASH, 4, 4, 4, 0);
	fd = bpfemu_bpf(EMU_BPF_MAP_CREATE, (void *)a.b, EMU_ATTR_SIZE);
	ck_assert_msg(fd >= 0, "create: %s", strerror(errno));
	memset(&a, 0, sizeof(a));
	putp(a.b, PIN_PATH, path);
	put32(a.b, PIN_FD, (uint32_t)fd);
	r = bpfemu_bpf(EMU_BPF_OBJ_PIN, (void *)a.b, EMU_ATTR_SIZE);
	ck_assert_msg(r == 0, "pin %s: %s", path, strerror(errno));
	return fd;
}

static void copy_file(const char *from, const char *to, long patch_off, uint32_t patch)
{
	char buf[1 << 16];
	int in = open(from, O_RDONLY | O_CLOEXEC), out;
	ssize_t n;

	ck_assert_int_ge(in, 0);
	out = open(to, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(out, 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		ck_assert_int_eq(write(out, buf, (size_t)n), n);
	if (patch_off >= 0)
		ck_assert_int_eq(pwrite(out, &patch, 4, patch_off), 4);
	close(in);
	close(out);
}

START_TEST(obj_get_checks_the_file)
{
	struct capture c;
	char err[2048];
	int fd = pin_new_map("/sys/fs/bpf/good");
	char good[PATH_MAX];

	snprintf(good, sizeof(good), "%s", in_root("good"));
	ck_assert_int_eq(flow_obj_get("/sys/fs/bpf/good"), 0);
	/* a map file of another layout version */
	copy_file(good, in_root("old"), offsetof(struct emu_map_hdr, layout_version), EMU_LAYOUT_VERSION - 1);
	capture_start(&c);
	ck_assert_int_eq(flow_obj_get("/sys/fs/bpf/old"), -EACCES);
	capture_end(&c, err, sizeof(err));
	ck_assert_msg(strstr(err, "another bpfemu version"), "%s", err);
	/* not an object at all */
	copy_file("/proc/self/cmdline", in_root("junk"), -1, 0);
	capture_start(&c);
	ck_assert_int_eq(flow_obj_get("/sys/fs/bpf/junk"), -EACCES);
	capture_end(&c, err, sizeof(err));
	ck_assert_msg(strstr(err, "not a bpfemu object"), "%s", err);
	/* a link to a pin is followed, as the kernel's path walk follows it on a bpffs */
	ck_assert_int_eq(symlink(good, in_root("link")), 0);
	ck_assert_int_eq(flow_obj_get("/sys/fs/bpf/link"), 0);
	/* ... but never to a file elsewhere, even a map file of this user's (the kernel finds no bpf
	 * inode outside a bpffs: EACCES) */
	copy_file(good, at("outside"), -1, 0);
	ck_assert_int_eq(symlink(at("outside"), in_root("out")), 0);
	capture_start(&c);
	ck_assert_int_eq(flow_obj_get("/sys/fs/bpf/out"), -EACCES);
	capture_end(&c, err, sizeof(err));
	ck_assert_msg(strstr(err, "leads out of the bpffs root"), "%s", err);
	/* a link within the root to a link out of it */
	snprintf(good, sizeof(good), "%s", in_root("out"));
	ck_assert_int_eq(symlink(good, in_root("out2")), 0);
	ck_assert_int_eq(flow_obj_get("/sys/fs/bpf/out2"), -EACCES);
	close(fd);
}
END_TEST

/* ---- planted by another user (root only) ---- */

START_TEST(owned_by_another_user)
{
	mkdir_mode(at("theirs"), 0700, OTHER_UID);
	CHECK_DIR(at("theirs"), true, -EACCES, "owned by uid 3000001, not by you");
	/* a directory of mine in one of theirs: they could rename mine away */
	mkdir_mode(at("theirs2"), 0755, OTHER_UID);
	mkdir_mode(at("theirs2/mine"), 0700, -1);
	CHECK_DIR(at("theirs2/mine"), true, -EACCES, "a directory on its way, is owned by uid 3000001");
	/* a link of theirs on the way */
	mkdir_mode(at("real"), 0700, -1);
	ck_assert_int_eq(symlink(at("real"), at("theirs2/link")), 0);
	CHECK_DIR(at("theirs2/link/x"), true, -EACCES, "owned by uid 3000001");
}
END_TEST

START_TEST(obj_get_of_another_users_file)
{
	struct capture c;
	char err[2048], good[PATH_MAX];
	int fd = pin_new_map("/sys/fs/bpf/theirs");

	snprintf(good, sizeof(good), "%s", in_root("theirs"));
	ck_assert_int_eq(chown(good, OTHER_UID, (gid_t)-1), 0);
	capture_start(&c);
	ck_assert_int_eq(flow_obj_get("/sys/fs/bpf/theirs"), -EACCES);
	capture_end(&c, err, sizeof(err));
	ck_assert_msg(strstr(err, "owned by uid 3000001"), "%s", err);
	close(fd);
}
END_TEST

/* Issue 24's attack: before the victim's first run (no XDG_RUNTIME_DIR: the /dev/shm fallback),
 * another user creates /dev/shm/bpfemu-<victim>/bpffs mode 0777. */
START_TEST(planted_dev_shm)
{
	char state[64], bpffs[80];
	struct flow_result r;
	const char *env[] = { "BPFEMU_STATE_DIR", NULL, "BPFEMU_BPFFS", NULL, "XDG_RUNTIME_DIR", NULL, NULL };
	char victim[16];
	struct stat st;

	snprintf(state, sizeof(state), "/dev/shm/bpfemu-%u", VICTIM_UID);
	snprintf(bpffs, sizeof(bpffs), "%s/bpffs", state);
	snprintf(victim, sizeof(victim), "%u", VICTIM_UID);
	if (lstat("/dev/shm", &st) || !S_ISDIR(st.st_mode))
		ck_abort_msg("no /dev/shm here");
	ck_assert_msg(lstat(state, &st) && errno == ENOENT, "%s exists already: not touching it", state);
	/* the attacker's directories */
	ck_assert_int_eq(mkdir(state, 0777), 0);
	ck_assert_int_eq(mkdir(bpffs, 0777), 0);
	chmod(state, 0777);
	chmod(bpffs, 0777);
	ck_assert_int_eq(chown(state, OTHER_UID, OTHER_UID), 0);
	ck_assert_int_eq(chown(bpffs, OTHER_UID, OTHER_UID), 0);
	run_flow(&r, "victim", victim, env);
	{
		/* what the victim left there: nothing */
		char ids[96];
		DIR *d = opendir(bpffs);
		struct dirent *de;
		int entries = 0, have_ids;

		while (d && (de = readdir(d)))
			entries += de->d_name[0] != '.';
		if (d)
			closedir(d);
		snprintf(ids, sizeof(ids), "%s/ids", state);
		have_ids = !access(ids, F_OK);
		rm_rf(state);
		ck_assert_msg(r.status == 0, "victim: status %d, stderr: %s", r.status, r.err);
		ck_assert_msg(count_refusals(r.err) >= 1 && strstr(r.err, state) && strstr(r.err, "owned by uid 3000001"),
			      "%s", r.err);
		ck_assert_int_eq(entries, 0);
		ck_assert_int_eq(have_ids, 0);
	}
}
END_TEST

static void planted_cleanup(void)
{
	char state[64];

	snprintf(state, sizeof(state), "/dev/shm/bpfemu-%u", VICTIM_UID);
	if (getpid() == main_pid)
		rm_rf(state);
	cleanup();
}

int main(int argc, char **argv)
{
	bool planted = argc >= 2 && !strcmp(argv[1], "planted");
	char tmpl[1000], p[1100];
	Suite *s;
	TCase *tc;

	if (argc >= 3 && !strcmp(argv[1], "flow"))
		return flow_main(argc, argv);
	if (planted && geteuid() != 0)
		unit_skip("test_statedir planted: planting another user's directories (chown) needs root");
	s = suite_create("statedir");
	tc = tcase_create("statedir");
	umask(022);
	snprintf(tmpl, sizeof(tmpl), "%s/bpfemu-statedir.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpl)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(base, sizeof(base), "%s", tmpl);
	main_pid = getpid();
	atexit(planted ? planted_cleanup : cleanup);
	/* this process's own state, private to the run */
	snprintf(p, sizeof(p), "%s/state", base);
	setenv("BPFEMU_STATE_DIR", p, 1);
	snprintf(p, sizeof(p), "%s/fs", base);
	setenv("BPFEMU_BPFFS", p, 1);
	unsetenv("BPFEMU_NR_CPUS");
	/* every case in its own directory tree */
	tcase_add_checked_fixture(tc, case_setup, NULL);
	if (planted) {
		tcase_add_test(tc, owned_by_another_user);
		tcase_add_test(tc, obj_get_of_another_users_file);
		tcase_add_test(tc, planted_dev_shm);
	} else {
		tcase_add_test(tc, relative_and_empty);
		tcase_add_test(tc, created_0700_with_parents);
		tcase_add_test(tc, missing_without_create);
		tcase_add_test(tc, writable_by_others);
		tcase_add_test(tc, not_writable_by_me);
		tcase_add_test(tc, not_a_directory);
		tcase_add_test(tc, symlinks);
		tcase_add_test(tc, ancestors);
		tcase_add_test(tc, refused_bpffs_through_the_api);
		tcase_add_test(tc, refused_state_dir_through_the_api);
		tcase_add_test(tc, obj_get_checks_the_file);
	}
	suite_add_tcase(s, tc);
	return unit_run(s);
}
