/* SPDX-License-Identifier: MIT */
/* e2e_fdops's modes on paths and memory: fdinfo, pins, huge, fill (items 9, 10, 14). */
#include "fdops_client.h"

/* ---- fdinfo: item 9 ---- */

static pid_t tid_of_thread;
static pthread_mutex_t thread_lock = PTHREAD_MUTEX_INITIALIZER;

static void *thread_main(void *arg)
{
	(void)arg;
	tid_of_thread = (pid_t)syscall(SYS_gettid);
	pthread_mutex_lock(&thread_lock); /* until the parent lets go */
	pthread_mutex_unlock(&thread_lock);
	return NULL;
}

static void read_at(const char *name, const char *dir, const char *file)
{
	int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd;

	if (d < 0) {
		out(name, "opendir -1 %s", ename(errno));
		return;
	}
	fd = openat(d, file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		out(name, "openat -1 %s", ename(errno));
	else
		print_proc_text(name, fd);
	if (fd >= 0)
		close(fd);
	close(d);
}

/* What another process of the same user reads in this one's procfs (e2e_fdops peek PID FD). */
void peek(pid_t pid, int fd)
{
	char path[64];
	FILE *f;

	anon_init();
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);
	print_proc_file("other-process.fdinfo", path);
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);
	f = fopen(path, "re");
	if (f) {
		char line[256];

		out("other-process.fopen", "%s", fgets(line, sizeof(line), f) ? "read" : "empty");
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fd);
	link_res("other-process.readlink", path);
	R("other-process.open-link", open(path, O_RDONLY | O_CLOEXEC));
}

void mode_fdinfo(void)
{
	char path[128], dir[128], name[32];
	pthread_t t;
	int fd = map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0), d;
	pid_t pid = getpid(), child;

	if (fd < 0)
		die("map create");
	snprintf(name, sizeof(name), "%d", fd);
	pthread_mutex_lock(&thread_lock);
	if (pthread_create(&t, NULL, thread_main, NULL))
		die("pthread_create");
	while (!__atomic_load_n(&tid_of_thread, __ATOMIC_ACQUIRE))
		usleep(1000);
	R("F_SETFL-nonblock", fcntl(fd, F_SETFL, O_NONBLOCK));

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	print_proc_file("self", path);
	snprintf(path, sizeof(path), "/proc/thread-self/fdinfo/%d", fd);
	print_proc_file("thread-self", path);
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);
	print_proc_file("pid", path);
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)tid_of_thread, fd);
	print_proc_file("tid", path);
	snprintf(path, sizeof(path), "/proc/self/task/%d/fdinfo/%d", (int)tid_of_thread, fd);
	print_proc_file("self-task-tid", path);
	snprintf(path, sizeof(path), "/proc/%d/task/%d/fdinfo/%d", (int)pid, (int)pid, fd);
	print_proc_file("pid-task-pid", path);
	read_at("openat-self-fdinfo", "/proc/self/fdinfo", name);
	snprintf(dir, sizeof(dir), "/proc/%d/task/%d/fdinfo", (int)pid, (int)tid_of_thread);
	read_at("openat-task-fdinfo", dir, name);
	d = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!chdir("/proc/self/fdinfo")) {
		int f = open(name, O_RDONLY | O_CLOEXEC);

		if (f < 0)
			out("cwd-relative", "-1 %s", ename(errno));
		else
			print_proc_text("cwd-relative", f);
		if (f >= 0)
			close(f);
		R("fchdir-back", fchdir(d));
	}
	close(d);
	{
		FILE *f;
		char line[256];

		snprintf(path, sizeof(path), "/proc/self/task/%d/fdinfo/%d", (int)tid_of_thread, fd);
		f = fopen(path, "re");
		out("fopen-task", "%s", f && fgets(line, sizeof(line), f) ? line : "none\n");
		if (f)
			fclose(f);
	}

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	link_res("link-self", path);
	snprintf(path, sizeof(path), "/proc/self/task/%d/fd/%d", (int)tid_of_thread, fd);
	link_res("link-self-task", path);
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)tid_of_thread, fd);
	link_res("link-tid", path);
	{
		char buf[PATH_MAX];
		ssize_t n;

		d = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		n = readlinkat(d, name, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = 0;
		out("readlinkat-dirfd", "%s", n < 0 ? ename(errno) : buf);
		close(d);
	}
	snprintf(path, sizeof(path), "/proc/self/task/%d/fd/%d", (int)tid_of_thread, fd);
	R("open-task-link", open(path, O_RDONLY | O_CLOEXEC));

	/* another process of the same user: a child that execs this program again */
	fflush(stdout);
	child = fork();
	if (child < 0)
		die("fork");
	if (!child) {
		char p[16], f[16];

		snprintf(p, sizeof(p), "%d", (int)pid);
		snprintf(f, sizeof(f), "%d", fd);
		execl("/proc/self/exe", "e2e_fdops", "peek", p, f, (char *)NULL);
		_exit(127);
	}
	waitpid(child, NULL, 0);
	pthread_mutex_unlock(&thread_lock);
	pthread_join(t, NULL);
	/* an fd inherited across exec: the child sees a map whose fd it never got from bpf() */
	fflush(stdout);
	child = fork();
	if (!child) {
		char f[16];

		fcntl(fd, F_SETFD, 0);
		snprintf(f, sizeof(f), "%d", fd);
		execl("/proc/self/exe", "e2e_fdops", "inherited", f, (char *)NULL);
		_exit(127);
	}
	waitpid(child, NULL, 0);
}

/* The exec'd child of mode_fdinfo: file operations on an fd it inherited. */
void inherited(int fd)
{
	char path[64], buf[8];
	struct stat st;

	anon_init();
	R("inherited.read", read(fd, buf, 8));
	R("inherited.write", write(fd, buf, 8));
	R("inherited.ftruncate", ftruncate(fd, 0));
	R("inherited.fstat", fstat(fd, &st));
	stat_res("inherited.fstat-fields", &st);
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	print_proc_file("inherited.fdinfo", path);
	lookup_res("inherited.lookup", fd, 0);
}

/* ---- pins: item 10 ---- */

static void lstat_res(const char *name, const char *path)
{
	struct stat st;

	if (lstat(path, &st)) {
		out(name, "-1 %s", ename(errno));
		return;
	}
	out(name, "mode %o nlink %lu size %lld blocks %lld", st.st_mode, (unsigned long)st.st_nlink,
	    (long long)st.st_size, (long long)st.st_blocks);
}

static void get_res(const char *name, const char *path, uint32_t want_id)
{
	int fd = obj_get(path, 0);

	if (fd < 0) {
		out(name, "-1 %s", ename(errno));
		return;
	}
	out(name, "%s", map_id(fd) == want_id ? "the map" : "another object");
	close(fd);
}

void mode_pins(void)
{
	char dir[128], A[160], B[160], C[160], L[160], F[160], N[160], S[160], M[160], buf[PATH_MAX];
	struct stat sa, sb;
	struct statfs sfs;
	int m = map_create(BPF_MAP_TYPE_HASH, 4, 8, 4, 0), o;
	uint32_t id = map_id(m);

	if (m < 0)
		die("map create");
	umask(022);
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/e2e-fdops-%d", (int)getpid());
	test_dir = dir;
	snprintf(A, sizeof(A), "%s/A", dir);
	snprintf(B, sizeof(B), "%s/B", dir);
	snprintf(C, sizeof(C), "%s/C", dir);
	snprintf(L, sizeof(L), "%s/L", dir);
	snprintf(F, sizeof(F), "%s/F", dir);
	snprintf(N, sizeof(N), "%s/N", dir);
	snprintf(S, sizeof(S), "%s/sub", dir);
	snprintf(M, sizeof(M), "%s/missing/x", dir);
	R("mkdir", mkdir(dir, 0700));
	R("statfs", statfs(dir, &sfs));
	out("statfs-type", "%#lx", (unsigned long)sfs.f_type);
	R("pin-A", obj_pin(m, A));
	R("pin-B", obj_pin(m, B));
	R("pin-A-again", obj_pin(m, A));
	R("pin-empty", obj_pin(m, ""));
	R("pin-missing-dir", obj_pin(m, M));
	R("get-empty", obj_get("", 0));
	lstat_res("stat-A", A);
	lstat_res("stat-B", B);
	if (!stat(A, &sa) && !stat(B, &sb))
		out("known.same-inode", "%s", sa.st_ino == sb.st_ino ? "yes" : "no");
	R("chmod-A", chmod(A, 0400));
	lstat_res("stat-A-chmod", A);
	lstat_res("known.stat-B-after-chmod-A", B);
	R("chmod-A-back", chmod(A, 0600));
	R("truncate-A", truncate(A, 4096));
	R("truncate-A-neg", truncate(A, -1));
	lstat_res("known.stat-A-truncated", A);
	get_res("get-A-truncated", A, id);
	R("truncate-A-back", truncate(A, 0));
	lstat_res("stat-A-truncated-back", A);
	R("symlink", symlink(A, L));
	lstat_res("lstat-L", L);
	link_res("readlink-L", L);
	get_res("get-L", L, id);
	R("link-A-C", link(A, C));
	lstat_res("known.stat-A-linked", A);
	get_res("get-C", C, id);
	R("unlink-C", unlink(C));
	R("mkfifo", mkfifo(F, 0600));
	R("mknod-reg", mknod(N, S_IFREG | 0600, 0));
	R("mknod-chr", mknod(N, S_IFCHR | 0600, makedev(1, 3)));
	R("mknod-existing", mknod(A, S_IFREG | 0600, 0));
	R("open-creat", open(N, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
	R("creat", creat(N, 0600));
	R("fopen-w", fopen(N, "w") ? 0 : -1);
	R("open-tmpfile", open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
	R("open-A", open(A, O_RDONLY | O_CLOEXEC));
	R("open-A-wr", open(A, O_WRONLY | O_CLOEXEC));
	R("open-A-creat", open(A, O_CREAT | O_RDONLY | O_CLOEXEC, 0600));
	R("open-A-excl", open(A, O_CREAT | O_EXCL | O_RDONLY | O_CLOEXEC, 0600));
	R("fopen-A", fopen(A, "r") ? 0 : -1);
	o = open(A, O_PATH | O_CLOEXEC);
	R("open-A-path", o >= 0 ? 0 : -1);
	if (o >= 0) {
		char path[64];
		struct stat st;

		R("opath-fstat", fstat(o, &st));
		out("opath-fstat-fields", "mode %o size %lld nlink %lu", st.st_mode, (long long)st.st_size,
		    (unsigned long)st.st_nlink);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", o);
		link_res("opath-link", path);
		lookup_res("opath-lookup", o, 1);
		R("opath-read", read(o, buf, 8));
		close(o);
	}
	o = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	R("open-dir", o >= 0 ? 0 : -1);
	if (o >= 0) {
		R("fstatfs-dir", fstatfs(o, &sfs));
		out("fstatfs-dir-type", "%#lx", (unsigned long)sfs.f_type);
		close(o);
	}
	R("rename-A-B", rename(A, B));
	lstat_res("after-rename-A", A);
	get_res("after-rename-get-B", B, id);
	R("pin-A-2", obj_pin(m, A));
	R("renameat2-noreplace", renameat2(AT_FDCWD, A, AT_FDCWD, B, RENAME_NOREPLACE));
	R("renameat2-exchange", renameat2(AT_FDCWD, A, AT_FDCWD, B, RENAME_EXCHANGE));
	get_res("after-exchange-get-A", A, id);
	R("mkdir-sub", mkdir(S, 0700));
	R("rename-A-sub", rename(A, S));
	R("rmdir-sub", rmdir(S));
	R("rmdir-nonempty", rmdir(dir));
	R("unlink-L", unlink(L));
	R("unlink-A", unlink(A));
	R("unlink-B", unlink(B));
	R("unlink-B-again", unlink(B));
	prog_pins(dir);
	R("rmdir", rmdir(dir));
}

/* ---- huge: item 14 ---- */

static uint64_t mem_total(void)
{
	char line[128];
	unsigned long long kb = 0;
	FILE *f = fopen("/proc/meminfo", "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return (uint64_t)kb * 1024;
}

static void huge_case(const char *name, uint32_t type, uint32_t ks, uint32_t vs, uint64_t bytes, uint32_t flags)
{
	uint64_t max = bytes / vs;
	int fd;

	if (max > UINT32_MAX)
		max = UINT32_MAX;
	fd = map_create(type, ks, vs, (uint32_t)max, flags);
	R(name, fd < 0 ? fd : 0);
	if (fd >= 0)
		close(fd);
}

/* the last element of a large map can be written and read back */
static void large_usable(const char *name, uint32_t type, uint32_t max)
{
	char n[96];
	uint64_t v = 0xabcdef;
	uint32_t k = max - 1;
	int fd = map_create(type, type == BPF_MAP_TYPE_ARRAY ? 4 : 0, 8, max, 0);

	snprintf(n, sizeof(n), "%s.create", name);
	R(n, fd < 0 ? fd : 0);
	if (fd < 0)
		return;
	snprintf(n, sizeof(n), "%s.update-last", name);
	if (type == BPF_MAP_TYPE_ARRAY) {
		R(n, elem(BPF_MAP_UPDATE_ELEM, fd, &k, &v, 0));
		snprintf(n, sizeof(n), "%s.lookup-last", name);
		lookup_res(n, fd, k);
	} else {
		for (uint32_t i = 0; i + 1 < max; i += 4096)
			elem(BPF_MAP_UPDATE_ELEM, fd, NULL, &v, 0);
		R(n, elem(BPF_MAP_UPDATE_ELEM, fd, NULL, &v, 0));
	}
	close(fd);
}

void mode_huge(void)
{
	uint64_t over = mem_total() + (1ull << 30);

	if (!mem_total())
		die("/proc/meminfo");
	huge_case("array-over-ram", BPF_MAP_TYPE_ARRAY, 4, 8, over, 0);
	huge_case("array-mmapable-over-ram", BPF_MAP_TYPE_ARRAY, 4, 8, over, BPF_F_MMAPABLE);
	huge_case("array-big-value-over-ram", BPF_MAP_TYPE_ARRAY, 4, 1 << 20, over, 0);
	huge_case("queue-over-ram", BPF_MAP_TYPE_QUEUE, 0, 8, over, 0);
	huge_case("stack-over-ram", BPF_MAP_TYPE_STACK, 0, 4096, over, 0);
	huge_case("array-max-u32", BPF_MAP_TYPE_ARRAY, 4, 8, UINT64_MAX, 0);
	huge_case("queue-value-kmalloc-max", BPF_MAP_TYPE_QUEUE, 0, (4u << 20) + 1, 4u << 20, 0);
	large_usable("array-32m", BPF_MAP_TYPE_ARRAY, 4u << 20);
	large_usable("queue-16m", BPF_MAP_TYPE_QUEUE, 2u << 20);
	large_usable("stack-16m", BPF_MAP_TYPE_STACK, 2u << 20);
}

/* ARRAY maps of 4 MiB until `mb` MiB are taken, every page written: none may fault. */
void mode_fill(unsigned mb)
{
	unsigned n = mb / 4 + 1;
	int fds[64];

	for (unsigned i = 0; i < n && i < 64; i++) {
		char name[32];

		fds[i] = map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 512 * 1024, 0);
		snprintf(name, sizeof(name), "fill-%u", i);
		R(name, fds[i] < 0 ? fds[i] : 0);
	}
	for (unsigned i = 0; i < n && i < 64; i++) {
		uint64_t v = i;
		bool ok = fds[i] >= 0;

		for (uint32_t k = 0; ok && k < 512 * 1024; k += 512)
			ok = !elem(BPF_MAP_UPDATE_ELEM, fds[i], &k, &v, 0);
		out("fill-written", "%u %s", i, ok ? "every page" : "failed");
	}
}

/* In a memory cgroup limited to 128 MiB (fdops.sh memcg): the kernel charges a map's memory to it
 * and says ENOMEM past the limit; the emulator must too, not wake the cgroup's OOM killer. */
void mode_memcg(void)
{
	large_usable("memcg-array-32m", BPF_MAP_TYPE_ARRAY, 4u << 20);
	huge_case("memcg-array-256m", BPF_MAP_TYPE_ARRAY, 4, 8, 256u << 20, 0);
	huge_case("memcg-queue-256m", BPF_MAP_TYPE_QUEUE, 0, 8, 256u << 20, 0);
	huge_case("memcg-array-mmapable-256m", BPF_MAP_TYPE_ARRAY, 4, 8, 256u << 20, BPF_F_MMAPABLE);
	large_usable("memcg-array-32m-after", BPF_MAP_TYPE_ARRAY, 4u << 20);
}

