/* SPDX-License-Identifier: MIT */
/*
 * Resource errors as the kernel gives them, and nothing left behind when they happen.
 *
 *  sizes    huge max_entries or value sizes: E2BIG where the kernel's size checks refuse, ENOMEM
 *           where its allocation would fail; no fd, mapping or file stays behind. Compared with
 *           the kernel where bpf() is permitted, but only for sizes the kernel refuses before
 *           allocating anything or that exceed twice the machine's memory (which vmalloc refuses
 *           at once): a size merely larger than free memory would make the kernel allocate it.
 *  emfile   MAP_CREATE with no fd left gives EMFILE (as the kernel's) and leaks nothing; with
 *           one fd left it succeeds; a process at its fd limit can still use a map it inherited.
 *  fsize    RLIMIT_FSIZE below a map's size: the map file cannot grow, the call fails with ENOMEM
 *           (the kernel has no such limit and would succeed; ENOMEM is its answer for memory it
 *           cannot get) and the SIGXFSZ the kernel sends for the file never kills the caller.
 *  bpffs    an unusable BPFEMU_BPFFS root (one that cannot be created) is refused: MAP_CREATE
 *           fails with the check's errno and nothing is left behind; a root too full for the map
 *           (a 64 KiB tmpfs, in a private mount namespace where that is permitted): maps fall
 *           back to memory files and work, and a map touching every page never meets SIGBUS.
 *
 * Parts that change process-wide state run in a child: this program re-executes itself with a
 * part's name as argv[1].
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>

#include "stress.h"

struct stress_report *report;

static int kernel_ok = -1; /* bpf() permitted here */

static int kernel_create(uint32_t type, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags)
{
	union bpf_attr a;
	long fd;

	memset(&a, 0, sizeof(a));
	a.map_type = type;
	a.key_size = ks;
	a.value_size = vs;
	a.max_entries = max;
	a.map_flags = flags;
	fd = syscall(__NR_bpf, BPF_MAP_CREATE, &a, sizeof(a));
	return fd < 0 ? -errno : (int)fd;
}

static bool have_kernel(void)
{
	if (kernel_ok < 0) {
		int fd = kernel_create(EMU_MAP_ARRAY, 4, 4, 1, 0);

		kernel_ok = fd >= 0;
		if (fd >= 0)
			close(fd);
		if (!kernel_ok && getenv("BPFEMU_REQUIRE_KERNEL") && !strcmp(getenv("BPFEMU_REQUIRE_KERNEL"), "1")) {
			printf("FAIL: bpf() not permitted here (%s) and BPFEMU_REQUIRE_KERNEL=1: the kernel comparison "
			       "must run\n", strerror(-fd));
			exit(1);
		}
		if (!kernel_ok)
			printf("  (bpf() not permitted here: %s; no kernel comparison)\n", strerror(-fd));
	}
	return kernel_ok;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the directory's own fd */
}

static long vm_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmSize:", 7))
			kb = atol(line + 7);
	fclose(f);
	return kb;
}

static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

struct footprint {
	int fds;
	long vm_kb;
	int files;
};

static struct footprint footprint(void)
{
	const char *root = getenv("BPFEMU_BPFFS");

	return (struct footprint){ count_fds(), vm_kb(), root ? count_dir(root) : 0 };
}

/* a leaked map of the sizes used here would be far larger than the slack */
static void check_nothing_left(struct footprint before, const char *what)
{
	struct footprint after = footprint();

	CHECK(after.fds == before.fds, "%s: %d fds before, %d after", what, before.fds, after.fds);
	CHECK(after.vm_kb <= before.vm_kb + 1024, "%s: address space grew by %ld KiB", what, after.vm_kb - before.vm_kb);
	CHECK(after.files == before.files, "%s: %d files in the bpffs root before, %d after", what, before.files,
	      after.files);
}

static uint64_t ram(void)
{
	struct sysinfo si;

	sysinfo(&si);
	return (uint64_t)si.totalram * si.mem_unit;
}

/* ---- sizes ---- */

struct size_case {
	const char *what;
	uint32_t type, ks, vs, max;
	int want;           /* errno */
	uint64_t kern_size; /* the kernel's first big allocation, 0 if refused before any */
};

static void part_sizes(void)
{
	uint64_t r = ram();
	uint32_t big_max_1m = (uint32_t)((2 * r >> 20) + 1), big_max_4m = (uint32_t)((2 * r >> 22) + 1);
	const struct size_case cases[] = {
		{ "hash key+value at 4 MiB - 48", EMU_MAP_HASH, 4, 4194252, 1, E2BIG, 0 },
		{ "hash max_entries 2^28 + 1", EMU_MAP_HASH, 4, 8, (1u << 28) + 1, E2BIG, 0 },
		{ "hash max_entries 2^32 - 1", EMU_MAP_HASH, 4, 8, 0xffffffffu, E2BIG, 0 },
		{ "lru_hash max_entries 2^31 + 1", EMU_MAP_LRU_HASH, 4, 8, 0x80000001u, E2BIG, 0 },
		{ "percpu_hash value 32769", EMU_MAP_PERCPU_HASH, 4, 32769, 1, E2BIG, 0 },
		{ "lru_percpu_hash value 32769", EMU_MAP_LRU_PERCPU_HASH, 4, 32769, 1, E2BIG, 0 },
		{ "array value 2^31", EMU_MAP_ARRAY, 4, 0x80000000u, 1, E2BIG, 0 },
		{ "percpu_array value 32769", EMU_MAP_PERCPU_ARRAY, 4, 32769, 1, E2BIG, 0 },
		{ "queue value 4 MiB + 1", EMU_MAP_QUEUE, 0, (4u << 20) + 1, 1, E2BIG, 0 },
		{ "stack value 4 MiB + 1", EMU_MAP_STACK, 0, (4u << 20) + 1, 1, E2BIG, 0 },
		{ "hash of 2x RAM (1 MiB values)", EMU_MAP_HASH, 8, 1u << 20, big_max_1m, ENOMEM,
		  (uint64_t)big_max_1m << 20 },
		{ "lru_hash of 2x RAM (1 MiB values)", EMU_MAP_LRU_HASH, 8, 1u << 20, big_max_1m, ENOMEM,
		  (uint64_t)big_max_1m << 20 },
		{ "array of 2x RAM (1 MiB values)", EMU_MAP_ARRAY, 4, 1u << 20, big_max_1m, ENOMEM,
		  (uint64_t)big_max_1m << 20 },
		{ "array max_entries 2^32 - 1 of 4 KiB", EMU_MAP_ARRAY, 4, 4096, 0xffffffffu, ENOMEM,
		  (uint64_t)0xffffffffu * 4096 },
		{ "queue of 2x RAM (4 MiB values)", EMU_MAP_QUEUE, 0, 4u << 20, big_max_4m, ENOMEM,
		  (uint64_t)big_max_4m << 22 },
		{ "stack of 2x RAM (4 MiB values)", EMU_MAP_STACK, 0, 4u << 20, big_max_4m, ENOMEM,
		  (uint64_t)big_max_4m << 22 },
		/* the kernel's first allocation here is the pointer per element; per-CPU values follow */
		{ "percpu_array max_entries 2^32 - 1", EMU_MAP_PERCPU_ARRAY, 4, 32768, 0xffffffffu, ENOMEM,
		  (uint64_t)0xffffffffu * 8 },
	};
	struct footprint fp;
	int fd, compared = 0;

	/* the first create opens the id counter and the bpffs root: not a leak */
	fd = map_create(EMU_MAP_HASH, 4, 4, 4, 0);
	CHECK(fd >= 0, "warm-up create: %s", strerror(-fd));
	if (fd >= 0)
		close(fd);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct size_case *c = &cases[i];

		fp = footprint();
		fd = map_create(c->type, c->ks, c->vs, c->max, 0);
		CHECK(fd == -c->want, "%s: emulator gives %s, want %s", c->what, fd >= 0 ? "a map" : strerror(-fd),
		      strerror(c->want));
		if (fd >= 0)
			close(fd);
		check_nothing_left(fp, c->what);
		/* the kernel only where it answers without allocating (see the top of the file) */
		if (have_kernel() && (!c->kern_size || c->kern_size > 2 * ram())) {
			int kfd = kernel_create(c->type, c->ks, c->vs, c->max, 0);

			CHECK(kfd == -c->want, "%s: kernel gives %s, emulator expects %s", c->what,
			      kfd >= 0 ? "a map" : strerror(-kfd), strerror(c->want));
			if (kfd >= 0)
				close(kfd);
			compared++;
		}
	}
	printf("  sizes: %zu cases, %d compared with the kernel\n", sizeof(cases) / sizeof(cases[0]), compared);
}

/* ---- fd exhaustion (in a child: it lowers RLIMIT_NOFILE) ---- */

static void part_emfile(void)
{
	struct rlimit rl;
	struct footprint fp;
	int fd, kfd, held[256], nheld = 0, inherited, err;
	uint32_t key = 0;
	uint64_t v = 7;

	fd = map_create(EMU_MAP_HASH, 4, 4, 4, 0); /* warm up: id counter, bpffs root */
	if (fd >= 0)
		close(fd);
	inherited = map_create(EMU_MAP_ARRAY, 4, 8, 4, 0);
	CHECK(inherited >= 0, "emfile: create: %s", strerror(-inherited));
	have_kernel();
	/* use up every fd below a low limit */
	rl.rlim_cur = rl.rlim_max = (rlim_t)count_fds() + 8;
	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		fail("setrlimit: %s", strerror(errno));
		return;
	}
	while (nheld < 256 && (held[nheld] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
		nheld++;
	CHECK(errno == EMFILE, "emfile: filling the fd table stopped with %s", strerror(errno));

	fp = footprint();
	fd = map_create(EMU_MAP_HASH, 8, 1024, 4096, 0); /* a 4 MiB map: a leaked mapping would show */
	CHECK(fd == -EMFILE, "emfile: emulator gives %s, want EMFILE", fd >= 0 ? "a map" : strerror(-fd));
	if (fd >= 0)
		close(fd);
	fd = map_create(EMU_MAP_QUEUE, 0, 8, 4, EMU_F_RDONLY);
	CHECK(fd == -EMFILE, "emfile: read-only create gives %s, want EMFILE", fd >= 0 ? "a map" : strerror(-fd));
	if (fd >= 0)
		close(fd);
	if (kernel_ok) {
		kfd = kernel_create(EMU_MAP_HASH, 8, 1024, 4096, 0);
		CHECK(kfd == -EMFILE, "emfile: kernel gives %s", kfd >= 0 ? "a map" : strerror(-kfd));
		if (kfd >= 0)
			close(kfd);
	}
	/* a map the process holds still works at the limit */
	err = m_update(inherited, &key, &v, EMU_ANY);
	CHECK(!err, "emfile: update of a held map at the fd limit: %s", strerror(-err));
	check_nothing_left(fp, "emfile");

	/* one fd free: enough for a map, as for the kernel's */
	close(held[--nheld]);
	fd = map_create(EMU_MAP_HASH, 8, 1024, 4096, 0);
	CHECK(fd >= 0, "emfile: with one fd free the emulator gives %s", strerror(-fd));
	if (fd >= 0)
		close(fd);
	if (kernel_ok) {
		kfd = kernel_create(EMU_MAP_HASH, 8, 1024, 4096, 0);
		CHECK(kfd >= 0, "emfile: with one fd free the kernel gives %s", strerror(-kfd));
		if (kfd >= 0)
			close(kfd);
	}
	/* A read-only map is reopened with that mode, which needs a second fd for a moment: the
	 * command makes room for it (core/fdroom.c), so with one fd left it is a map, at that fd,
	 * as the kernel's. No fd may be left behind; the process's view of the map stays mapped
	 * until the registry's sweep, as for any map it made, so only fds are counted here. */
	fp = footprint();
	fd = map_create(EMU_MAP_QUEUE, 0, 1024, 4096, EMU_F_RDONLY);
	CHECK(fd >= 0, "emfile: read-only create with one fd free gives %s (the kernel: a map)", strerror(-fd));
	if (fd >= 0)
		close(fd);
	{
		struct footprint after = footprint();

		CHECK(after.fds == fp.fds, "emfile, read-only create: %d fds before, %d after", fp.fds, after.fds);
	}
	while (nheld)
		close(held[--nheld]);
	printf("  emfile: EMFILE with no fd left%s, nothing leaked, a map with one fd left, a read-only one too\n",
	       kernel_ok ? " (as the kernel)" : "");
}

/* A process at its fd limit first using a map fd it inherited across exec: mapping it must not
 * need a spare fd. argv: adopt <fd> */
static void part_adopt(int fd)
{
	struct rlimit rl;
	int held[256], nheld = 0, err;
	uint32_t key = 1;
	uint64_t v = 42, got = 0;

	rl.rlim_cur = rl.rlim_max = (rlim_t)count_fds() + 4;
	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		fail("setrlimit: %s", strerror(errno));
		return;
	}
	while (nheld < 256 && (held[nheld] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
		nheld++;
	err = m_update(fd, &key, &v, EMU_ANY);
	CHECK(!err, "adopt at the fd limit: update: %s", strerror(-err));
	err = m_lookup(fd, &key, &got);
	CHECK(!err && got == 42, "adopt at the fd limit: lookup: %s", strerror(-err));
	while (nheld)
		close(held[--nheld]);
	printf("  adopt: an inherited map used first at the fd limit works\n");
}

/* ---- RLIMIT_FSIZE (in a child) ---- */

static void part_fsize(void)
{
	/* below the id counter's page too (a fresh state directory: its file is created here) */
	struct rlimit rl = { 2048, 2048 };
	struct footprint fp;
	sigset_t pend;
	int fd, kfd;

	if (setrlimit(RLIMIT_FSIZE, &rl)) {
		fail("setrlimit(RLIMIT_FSIZE): %s", strerror(errno));
		return;
	}
	fp = footprint();
	fd = map_create(EMU_MAP_HASH, 8, 1024, 4096, 0);
	CHECK(fd == -ENOMEM, "fsize: a map beyond RLIMIT_FSIZE gives %s, want ENOMEM",
	      fd >= 0 ? "a map" : strerror(-fd));
	if (fd >= 0)
		close(fd);
	check_nothing_left(fp, "fsize");
	CHECK(!sigpending(&pend) && !sigismember(&pend, SIGXFSZ), "fsize: SIGXFSZ left pending");
	fd = map_create(EMU_MAP_HASH, 4, 4, 4, 0); /* small enough for the limit */
	CHECK(fd >= 0, "fsize: a small map under the limit: %s", strerror(-fd));
	if (fd >= 0) {
		uint32_t k = 1, v = 2;

		CHECK(!m_update(fd, &k, &v, EMU_ANY), "fsize: small map update");
		close(fd);
	}
	if (have_kernel()) {
		kfd = kernel_create(EMU_MAP_HASH, 8, 1024, 4096, 0);
		printf("  fsize: ENOMEM beyond RLIMIT_FSIZE, no SIGXFSZ death (the kernel, which has no such limit: %s)\n",
		       kfd >= 0 ? "a map" : strerror(-kfd));
		if (kfd >= 0)
			close(kfd);
	} else {
		printf("  fsize: ENOMEM beyond RLIMIT_FSIZE, no SIGXFSZ death\n");
	}
}

/* ---- bpffs root unusable or full (in a child: BPFEMU_BPFFS is read once per process) ---- */

static void use_map(int fd, uint32_t max, const char *what)
{
	unsigned char val[1024];

	/* touch every element: on a full filesystem a file-backed page would be a SIGBUS here */
	for (uint64_t i = 0; i < max; i++) {
		int err;

		pat_fill(val, sizeof(val), 1, (uint32_t)i);
		err = m_update(fd, &i, val, EMU_NOEXIST);
		CHECK(!err, "%s: insert %llu: %s", what, (unsigned long long)i, strerror(-err));
		if (err)
			break;
	}
	for (uint64_t i = 0; i < max; i += 97) {
		uint32_t s;

		CHECK(!m_lookup(fd, &i, val) && pat_ok(val, sizeof(val), NULL, &s) && s == i, "%s: lookup %llu", what,
		      (unsigned long long)i);
	}
	CHECK(!map_check(fd), "%s: bpfemu_map_check", what);
}

static bool fd_in_dir(int fd, const char *dir)
{
	char p[64], target[4096];
	ssize_t n;

	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	n = readlink(p, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = 0;
	return !strncmp(target, dir, strlen(dir));
}

static void part_bpffs_unusable(void)
{
	int fds = count_fds(), fd = map_create(EMU_MAP_HASH, 8, 1024, 2048, 0);

	/* a root below a regular file: refused by the state directory checks (core/statedir.c) */
	CHECK(fd == -ENOTDIR, "unusable bpffs root: create gives %s, want ENOTDIR", fd >= 0 ? "a map" : strerror(-fd));
	if (fd >= 0)
		close(fd);
	fd = map_create(EMU_MAP_ARRAY, 4, 4, 1, 0);
	CHECK(fd == -ENOTDIR, "unusable bpffs root, second create: %s, want ENOTDIR", fd >= 0 ? "a map" : strerror(-fd));
	if (fd >= 0)
		close(fd);
	CHECK(count_fds() == fds, "unusable bpffs root: %d fds before, %d after", fds, count_fds());
	printf("  bpffs: an unusable root (%s) is refused: ENOTDIR\n", getenv("BPFEMU_BPFFS"));
}

static void part_bpffs_full(const char *dir)
{
	int fd, small, filler;
	char path[4096];
	struct footprint fp;

	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("bpfemu-test", dir, "tmpfs", 0, "size=64k,mode=0700")) {
		printf("  bpffs: full root not tested (no private tmpfs here: %s)\n", strerror(errno));
		return;
	}
	fp = footprint();
	/* a 2 MiB map on a 64 KiB filesystem: the map goes to a memory file and works all through */
	fd = map_create(EMU_MAP_HASH, 8, 1024, 2048, 0);
	CHECK(fd >= 0, "full bpffs root: create gives %s", strerror(-fd));
	if (fd >= 0) {
		CHECK(!fd_in_dir(fd, dir), "full bpffs root: a 2 MiB map was put on a 64 KiB filesystem");
		use_map(fd, 2048, "full bpffs root");
		close(fd);
	}
	/* a small one fits, and lands there (so it can be pinned) */
	small = map_create(EMU_MAP_HASH, 4, 4, 4, 0);
	CHECK(small >= 0 && fd_in_dir(small, dir), "full bpffs root: a small map should fit there (%d)", small);
	/* now fill the filesystem to the last block: even a small map goes elsewhere */
	snprintf(path, sizeof(path), "%s/filler", dir);
	filler = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	if (filler >= 0) {
		char block[4096] = { 1 };

		while (write(filler, block, sizeof(block)) > 0)
			;
		close(filler);
		fd = map_create(EMU_MAP_HASH, 8, 1024, 16, 0);
		CHECK(fd >= 0 && !fd_in_dir(fd, dir), "filled bpffs root: create gives %d", fd);
		if (fd >= 0) {
			use_map(fd, 16, "filled bpffs root");
			close(fd);
		}
		unlink(path);
	}
	if (small >= 0)
		close(small);
	/* maps made and closed here stay mapped until the registry's next sweep: count fds only */
	CHECK(count_fds() == fp.fds, "full bpffs root: %d fds before, %d after", fp.fds, count_fds());
	printf("  bpffs: a root too small for a map falls back to memory files; no SIGBUS\n");
}

/* ---- driver ---- */

static int run_child(const char *self, const char *part, char *const extra_env[], int pass_fd)
{
	pid_t p = fork();
	int st;

	if (p == 0) {
		char fdarg[16];

		for (int i = 0; extra_env && extra_env[i]; i += 2)
			setenv(extra_env[i], extra_env[i + 1], 1);
		snprintf(fdarg, sizeof(fdarg), "%d", pass_fd);
		execl(self, self, part, fdarg, (char *)NULL);
		_exit(127);
	}
	while (waitpid(p, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		fail("part %s: %s %d", part, WIFSIGNALED(st) ? "killed by signal" : "exit status",
		     WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	char tmp[1024], sub[4096], state[4096], notdir[4096];
	const char *self = "/proc/self/exe", *tmpdir = getenv("TMPDIR");
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(tmp, sizeof(tmp), "%s/bpfemu-res-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	report_init();
	alarm(300);
	if (argc > 1) { /* a part, in its own process */
		if (!strcmp(argv[1], "sizes"))
			part_sizes();
		else if (!strcmp(argv[1], "emfile"))
			part_emfile();
		else if (!strcmp(argv[1], "adopt"))
			part_adopt(atoi(argv[2]));
		else if (!strcmp(argv[1], "fsize"))
			part_fsize();
		else if (!strcmp(argv[1], "bpffs-unusable"))
			part_bpffs_unusable();
		else if (!strcmp(argv[1], "bpffs-full"))
			part_bpffs_full(getenv("BPFEMU_BPFFS"));
		else
			return 2;
		return report->failures ? 1 : 0;
	}

	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(sub, sizeof(sub), "%s/bpffs", tmp);
	snprintf(state, sizeof(state), "%s/state", tmp);
	mkdir(sub, 0700);
	{
		char *env[] = { "BPFEMU_BPFFS", sub, "BPFEMU_STATE_DIR", state, NULL };

		run_child(self, "sizes", env, -1);
		run_child(self, "emfile", env, -1);
	}
	{
		/* a fresh state directory: the id counter is created under RLIMIT_FSIZE as well */
		char fstate[4096], *env[] = { "BPFEMU_BPFFS", sub, "BPFEMU_STATE_DIR", fstate, NULL };

		snprintf(fstate, sizeof(fstate), "%s/fsize-state", tmp);
		run_child(self, "fsize", env, -1);
	}
	{
		char *env[] = { "BPFEMU_BPFFS", sub, "BPFEMU_STATE_DIR", state, NULL };

		setenv("BPFEMU_BPFFS", sub, 1);
		setenv("BPFEMU_STATE_DIR", state, 1);
		fd = map_create(EMU_MAP_HASH, 4, 8, 4, 0);
		CHECK(fd >= 0, "create for adopt: %s", strerror(-fd));
		if (fd >= 0) {
			fcntl(fd, F_SETFD, 0); /* inherited across exec, as a program handing a map to another */
			run_child(self, "adopt", env, fd);
			close(fd);
		}
	}
	{
		/* a root below a regular file can never be created */
		char *env[] = { "BPFEMU_BPFFS", notdir, "BPFEMU_STATE_DIR", state, NULL };
		int f;

		snprintf(notdir, sizeof(notdir), "%s/file/bpffs", tmp);
		snprintf(sub, sizeof(sub), "%s/file", tmp);
		f = open(sub, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
		if (f >= 0)
			close(f);
		run_child(self, "bpffs-unusable", env, -1);
		unlink(sub);
	}
	{
		char full[4096], *env[] = { "BPFEMU_BPFFS", full, "BPFEMU_STATE_DIR", state, NULL };

		snprintf(full, sizeof(full), "%s/full", tmp);
		mkdir(full, 0700);
		run_child(self, "bpffs-full", env, -1);
		rmdir(full);
	}
	{
		char cmd[4200];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
		if (system(cmd))
			fprintf(stderr, "could not remove %s\n", tmp);
	}
	printf("stress_resource: %d failures\n", report->failures);
	return finish("stress_resource");
}
