/* SPDX-License-Identifier: MIT */
/*
 * e2e_fdops's mode on the fds of the other objects: a program, a BTF object, a BPF_ENABLE_STATS fd.
 * They are anonymous-inode files on the kernel as maps are (anon_inode:bpf-prog, btf, bpf-stats),
 * with no file operations of their own and no mmap: every file operation answers as on a map fd
 * (fileops_on, fdops_files.c), mmap is the mm layer's checks then ENODEV, and the object is whole
 * afterwards. Also: their fd links and fdinfo by every route, fd numbers of programs closed behind
 * the preload's back and reused, programs and BTF objects made with one fd free, a pinned
 * program opened read-only, through a symlink and O_PATH, and a program fd inherited across exec.
 */
#include <linux/btf.h>

#include "fdops_client.h"

/* ---- the objects ---- */

/* A socket filter that returns 7 */
int prog_load(void)
{
	struct bpf_insn insns[2];
	union bpf_attr a;

	memset(insns, 0, sizeof(insns));
	insns[0].code = BPF_ALU64 | BPF_MOV | BPF_K;
	insns[0].dst_reg = BPF_REG_0;
	insns[0].imm = 7;
	insns[1].code = BPF_JMP | BPF_EXIT;
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insns = (uintptr_t)insns;
	a.insn_cnt = 2;
	a.license = (uintptr_t) "GPL";
	return (int)sys_bpf(BPF_PROG_LOAD, &a, sizeof(a));
}

/* A BTF object of one type: int */
int btf_load(void)
{
	struct {
		struct btf_header h;
		struct btf_type t;
		uint32_t enc;
		char str[5];
	} __attribute__((packed)) b;
	union bpf_attr a;

	memset(&b, 0, sizeof(b));
	b.h.magic = BTF_MAGIC;
	b.h.version = BTF_VERSION;
	b.h.hdr_len = sizeof(b.h);
	b.h.type_off = 0;
	b.h.type_len = sizeof(b.t) + sizeof(b.enc);
	b.h.str_off = b.h.type_len;
	b.h.str_len = sizeof(b.str);
	b.t.name_off = 1;
	b.t.info = BTF_KIND_INT << 24;
	b.t.size = 4;
	b.enc = 32; /* BTF_INT_ENC(0, 0, 32) */
	memcpy(b.str, "\0int", 5);
	memset(&a, 0, sizeof(a));
	a.btf = (uintptr_t)&b;
	a.btf_size = sizeof(b);
	return (int)sys_bpf(BPF_BTF_LOAD, &a, sizeof(a));
}

static int stats_fd(void)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.enable_stats.type = BPF_STATS_RUN_TIME;
	return (int)sys_bpf(BPF_ENABLE_STATS, &a, sizeof(a));
}

/* BPF_PROG_TEST_RUN of fd on 64 bytes: "retval N", or "-1 ENAME" */
void test_run_res(const char *name, int fd)
{
	unsigned char data[64];
	union bpf_attr a;

	memset(data, 0, sizeof(data));
	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (uint32_t)fd;
	a.test.data_in = (uintptr_t)data;
	a.test.data_size_in = sizeof(data);
	errno = 0;
	if (sys_bpf(BPF_PROG_TEST_RUN, &a, sizeof(a)))
		out(name, "-1 %s", ename(errno));
	else
		out(name, "retval %u", a.test.retval);
}

/* OBJ_GET_INFO_BY_FD of a program: "type T", or "-1 ENAME"; its id in *id */
static void prog_info_res(const char *name, int fd, uint32_t *id)
{
	struct bpf_prog_info info;
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	memset(&info, 0, sizeof(info));
	a.info.bpf_fd = (uint32_t)fd;
	a.info.info_len = sizeof(info);
	a.info.info = (uintptr_t)&info;
	errno = 0;
	if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a, sizeof(a))) {
		out(name, "-1 %s", ename(errno));
		return;
	}
	out(name, "type %u", info.type);
	if (id)
		*id = info.id;
}

static void btf_info_res(const char *name, int fd, uint32_t *id)
{
	struct bpf_btf_info info;
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	memset(&info, 0, sizeof(info));
	a.info.bpf_fd = (uint32_t)fd;
	a.info.info_len = sizeof(info);
	a.info.info = (uintptr_t)&info;
	errno = 0;
	if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a, sizeof(a))) {
		out(name, "-1 %s", ename(errno));
		return;
	}
	out(name, "btf_size %u", info.btf_size);
	if (id)
		*id = info.id;
}

static int get_fd_by_id(int cmd, uint32_t id, uint32_t flags)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	if (cmd == BPF_PROG_GET_FD_BY_ID)
		a.prog_id = id;
	else
		a.btf_id = id;
	a.open_flags = flags;
	return (int)sys_bpf(cmd, &a, sizeof(a));
}

/* what fileops_on checks afterwards: the object still answers as before */
static void prog_after(const char *what, int fd)
{
	char n[96];

	snprintf(n, sizeof(n), "%s.after-test-run", what);
	test_run_res(n, fd);
	snprintf(n, sizeof(n), "%s.after-info", what);
	prog_info_res(n, fd, NULL);
}

static void btf_after(const char *what, int fd)
{
	char n[96];

	snprintf(n, sizeof(n), "%s.after-info", what);
	btf_info_res(n, fd, NULL);
}

/* the program the stats fd's cases run (mode_objects) */
static int stats_prog = -1;

/* run_cnt of a program, 0 if it cannot be had */
static unsigned long long run_cnt_of(int fd)
{
	struct bpf_prog_info info;
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	memset(&info, 0, sizeof(info));
	a.info.bpf_fd = (uint32_t)fd;
	a.info.info_len = sizeof(info);
	a.info.info = (uintptr_t)&info;
	return sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a, sizeof(a)) ? 0 : info.run_cnt;
}

/* whether runs of the program are counted now (a stats fd is held) */
static const char *counted(const char *tag)
{
	unsigned long long before = run_cnt_of(stats_prog);
	char n[96];

	snprintf(n, sizeof(n), "stats.%s.test-run", tag);
	test_run_res(n, stats_prog);
	return run_cnt_of(stats_prog) > before ? "yes" : "no";
}

/* The program's own flock of a stats fd is its own: an exclusive one shows as WRITE, and
 * unlocking it leaves stats on (the emulator's fd holds a lock of its own on the file). */
static void stats_after(const char *what, int fd)
{
	char n[96], path[64];

	snprintf(n, sizeof(n), "%s.after-fdinfo", what);
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	print_proc_file(n, path);
	if (stats_prog < 0)
		return;
	out("stats.counting", "%s", counted("counting"));
	R("stats.flock-ex", flock(fd, LOCK_EX | LOCK_NB));
	print_proc_file("stats.fdinfo-ex", path);
	R("stats.flock-ex-un", flock(fd, LOCK_UN));
	out("stats.counting-after-flock-un", "%s", counted("after-flock-un"));
	R("stats.flock-bad", flock(fd, 77));
	R("stats.flock-sh-raw", (int)syscall(SYS_flock, fd, LOCK_SH));
	print_proc_file("stats.fdinfo-sh-raw", path);
	R("stats.flock-un-raw", (int)syscall(SYS_flock, fd, LOCK_UN));
	print_proc_file("stats.fdinfo-un-raw", path);
	out("stats.counting-after-raw-un", "%s", counted("after-raw-un"));
}

/* ---- mmap and procfs routes of an object fd ---- */

static void mmap_on(const char *what, int fd)
{
	char n[96];

#define M(label, prot, flags)                                                                       \
	do {                                                                                        \
		void *p_;                                                                           \
		snprintf(n, sizeof(n), "%s.mmap-%s", what, label);                                  \
		p_ = mres(n, mmap(NULL, PAGE, prot, flags, fd, 0));                                 \
		if (p_ != MAP_FAILED)                                                               \
			munmap(p_, PAGE);                                                           \
	} while (0)
	M("r-shared", PROT_READ, MAP_SHARED);
	M("rw-shared", PROT_READ | PROT_WRITE, MAP_SHARED);
	M("r-private", PROT_READ, MAP_PRIVATE);
	M("rw-private", PROT_READ | PROT_WRITE, MAP_PRIVATE);
	M("r-validate", PROT_READ, MAP_SHARED_VALIDATE);
	M("rx-shared", PROT_READ | PROT_EXEC, MAP_SHARED);
	M("w-shared", PROT_WRITE, MAP_SHARED);
#undef M
}

static void routes_on(const char *what, int fd)
{
	char n[96], path[96], num[16];
	int d, f;

	snprintf(num, sizeof(num), "%d", fd);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	snprintf(n, sizeof(n), "%s.link-self", what);
	link_res(n, path);
	snprintf(path, sizeof(path), "/proc/%d/task/%d/fd/%d", (int)getpid(), (int)getpid(), fd);
	snprintf(n, sizeof(n), "%s.link-task", what);
	link_res(n, path);
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)getpid(), fd);
	snprintf(n, sizeof(n), "%s.fdinfo-pid", what);
	print_proc_file(n, path);
	snprintf(path, sizeof(path), "/proc/self/task/%d/fdinfo/%d", (int)getpid(), fd);
	snprintf(n, sizeof(n), "%s.fdinfo-task", what);
	print_proc_file(n, path);
	snprintf(n, sizeof(n), "%s.fdinfo-openat", what);
	d = open("/proc/self/fdinfo", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	f = d >= 0 ? openat(d, num, O_RDONLY | O_CLOEXEC) : -1;
	if (f < 0)
		out(n, "-1 %s", ename(errno));
	else
		print_proc_text(n, f);
	if (f >= 0)
		close(f);
	if (d >= 0)
		close(d);
}

/* ---- fd numbers of programs closed behind the preload's back ---- */

static void prog_reuse_res(const char *name, int fd, int reused)
{
	char n[96];

	snprintf(n, sizeof(n), "%s.same-number", name);
	out(n, "%s", reused == fd ? "yes" : "no");
	snprintf(n, sizeof(n), "%s.test-run", name);
	test_run_res(n, fd);
	snprintf(n, sizeof(n), "%s.info", name);
	prog_info_res(n, fd, NULL);
}

static int cached_prog(const char *name)
{
	char n[96];
	int fd = prog_load();

	if (fd < 0)
		die("prog load");
	snprintf(n, sizeof(n), "%s.before", name);
	test_run_res(n, fd); /* the number enters the fd cache */
	return fd;
}

static void prog_fdcache(void)
{
	int fd, r;
	FILE *f;

	fd = cached_prog("prog-fclose-fdopen");
	f = fdopen(fd, "r");
	R("prog-fclose-fdopen.fclose", f ? fclose(f) : -1);
	r = open("/dev/null", O_RDONLY | O_CLOEXEC);
	prog_reuse_res("prog-fclose-fdopen", fd, r);
	close(r);

	fd = cached_prog("prog-sys-close");
	R("prog-sys-close.close", syscall(SYS_close, fd));
	r = open("/dev/null", O_RDONLY | O_CLOEXEC);
	prog_reuse_res("prog-sys-close", fd, r);
	close(r);

	fd = cached_prog("prog-close_range");
	R("prog-close_range.close", close_range((unsigned)fd, (unsigned)fd, 0));
	r = open("/dev/null", O_RDONLY | O_CLOEXEC);
	prog_reuse_res("prog-close_range", fd, r);
	close(r);

	fd = cached_prog("prog-dup2-over");
	r = open("/dev/null", O_RDONLY | O_CLOEXEC);
	R("prog-dup2-over.dup2", dup2(r, fd) == fd ? 0 : -1);
	prog_reuse_res("prog-dup2-over", fd, fd);
	close(r);
	close(fd);

	/* a map's number reused by a program and a program's by a map */
	fd = cached_prog("prog-then-map");
	close(fd);
	r = map_create(BPF_MAP_TYPE_HASH, 4, 8, 4, 0);
	prog_reuse_res("prog-then-map", fd, r);
	lookup_res("prog-then-map.lookup", r, 1);
	r = (close(r), prog_load());
	out("map-then-prog.same-number", "%s", r == fd ? "yes" : "no");
	lookup_res("map-then-prog.lookup", r, 1);
	test_run_res("map-then-prog.test-run", r);
	close(r);
}

/* ---- the mode ---- */

void mode_objects(void)
{
	int p = prog_load(), b = btf_load(), s, q, fds[64], nfd = 0, last = -1, r;
	uint32_t pid_ = 0, bid = 0;
	struct rlimit rl;
	pid_t child;

	if (p < 0)
		die("prog load");
	if (b < 0)
		die("btf load");
	prog_info_res("prog.info", p, &pid_);
	btf_info_res("btf.info", b, &bid);
	routes_on("prog", p);
	routes_on("btf", b);
	mmap_on("prog", p);
	mmap_on("btf", b);
	fileops_on("prog", p, prog_after, p);
	fileops_on("btf", b, btf_after, b);
	stats_prog = p;
	s = stats_fd();
	R("stats.enable", s < 0 ? s : 0);
	if (s >= 0) {
		routes_on("stats", s);
		mmap_on("stats", s);
		fileops_on("stats", s, stats_after, s);
		close(s);
	}
	/* by id: a program's fd is read-write whatever was asked */
	q = get_fd_by_id(BPF_PROG_GET_FD_BY_ID, pid_, 0);
	R("prog-by-id.F_GETFL", fcntl(q, F_GETFL));
	R("prog-by-id.read", read(q, &r, 4));
	close(q);
	q = get_fd_by_id(BPF_BTF_GET_FD_BY_ID, bid, 0);
	R("btf-by-id.F_GETFL", fcntl(q, F_GETFL));
	R("btf-by-id.write", write(q, &r, 4));
	close(q);
	prog_fdcache();

	/* an fd inherited across exec: the child never got it from bpf() */
	fflush(stdout);
	child = fork();
	if (child < 0)
		die("fork");
	if (!child) {
		char f[16];

		fcntl(p, F_SETFD, 0);
		snprintf(f, sizeof(f), "%d", p);
		execl("/proc/self/exe", "e2e_fdops", "inherited-prog", f, (char *)NULL);
		_exit(127);
	}
	waitpid(child, NULL, 0);

	/* made with one fd free: the kernel hands out exactly that one */
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = 64;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit");
	for (;;) {
		int f = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (f < 0)
			break;
		if (nfd < 64)
			fds[nfd++] = f;
		last = f;
	}
	R("full.prog-load", prog_load());
	R("full.btf-load", btf_load());
	close(last);
#define ONE(label, expr)                                                                            \
	do {                                                                                        \
		r = (expr);                                                                         \
		if (r >= 0) {                                                                       \
			out(label, "%s", r == last ? "the free fd" : "another fd");                 \
			close(r);                                                                   \
		} else {                                                                            \
			out(label, "-1 %s", ename(errno));                                          \
		}                                                                                   \
	} while (0)
	ONE("one-free.prog-load", prog_load());
	ONE("one-free.btf-load", btf_load());
	ONE("one-free.prog-by-id", get_fd_by_id(BPF_PROG_GET_FD_BY_ID, pid_, 0));
	ONE("one-free.btf-by-id", get_fd_by_id(BPF_BTF_GET_FD_BY_ID, bid, 0));
#undef ONE
	for (int i = 0; i < nfd; i++)
		if (fds[i] != last)
			close(fds[i]);
	close(p);
	close(b);
}

/* The exec'd child: file operations on a program fd it inherited. */
void inherited_prog(int fd)
{
	char path[64], buf[8];
	struct stat st;

	anon_init();
	R("inherited-prog.read", read(fd, buf, 8));
	R("inherited-prog.write", write(fd, buf, 8));
	R("inherited-prog.ftruncate", ftruncate(fd, 0));
	R("inherited-prog.lseek", lseek(fd, 0, SEEK_SET));
	R("inherited-prog.F_GETFL", fcntl(fd, F_GETFL));
	R("inherited-prog.fstat", fstat(fd, &st));
	stat_res("inherited-prog.fstat-fields", &st);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	link_res("inherited-prog.readlink", path);
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	print_proc_file("inherited-prog.fdinfo", path);
	test_run_res("inherited-prog.test-run", fd);
}

/* Pins of a program: read-only and write-only gets (the kernel's program fd is read-write
 * whatever was asked), through a symlink, O_PATH, open. */
void prog_pins(const char *dir)
{
	char P[160], L[160], path[64];
	int p = prog_load(), o;

	if (p < 0)
		die("prog load");
	snprintf(P, sizeof(P), "%s/P", dir);
	snprintf(L, sizeof(L), "%s/PL", dir);
	R("prog-pin", obj_pin(p, P));
	o = obj_get(P, BPF_F_RDONLY);
	R("prog-get-rdonly.F_GETFL", fcntl(o, F_GETFL));
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", o);
	print_proc_file("prog-get-rdonly.fdinfo", path);
	test_run_res("prog-get-rdonly.test-run", o);
	close(o);
	o = obj_get(P, BPF_F_WRONLY);
	R("prog-get-wronly.F_GETFL", fcntl(o, F_GETFL));
	close(o);
	o = obj_get(P, 0);
	R("prog-get.F_GETFL", fcntl(o, F_GETFL));
	R("prog-get.read", read(o, path, 8));
	close(o);
	R("prog-symlink", symlink(P, L));
	o = obj_get(L, BPF_F_RDONLY);
	R("prog-get-symlink.F_GETFL", fcntl(o, F_GETFL));
	test_run_res("prog-get-symlink.test-run", o);
	close(o);
	R("prog-open", open(P, O_RDONLY | O_CLOEXEC));
	o = open(P, O_PATH | O_CLOEXEC);
	R("prog-open-path", o >= 0 ? 0 : -1);
	if (o >= 0) {
		test_run_res("prog-opath.test-run", o);
		close(o);
	}
	R("prog-unlink-L", unlink(L));
	R("prog-unlink", unlink(P));
	close(p);
}
