/* SPDX-License-Identifier: MIT */
/*
 * What the seccomp supervisor must get right beyond what e2e_helper checks: linked -static, so
 * under bpfemu-run it is always supervised. Each mode prints what it sees; tests/e2e/superv.sh runs
 * it on the kernel as root and as nobody under bpfemu-run and compares the outputs.
 *
 *   threads   threads share maps and create their own, concurrently (one listener serves all)
 *   faults    the kernel's copy rules: EFAULT at a read-only or unmapped page, the bytes before
 *             it written; attr tails (E2BIG), short attrs, a NULL attr
 *   fdargs    fd fields: closed, negative, past INT_MAX, a regular file, stdin, a read-only fd
 *   paths     statfs, mkdir, rename, readlink, fdinfo, open and stat of a pin under /sys/fs/bpf
 *   mmap      mmap() of map fds: an mmapable array's values (which the supervisor maps by making
 *             the call again, ptrace'd, at their offset in the map's file), the registers the
 *             call leaves alone kept, a read-only mapping that mprotect cannot make writable,
 *             mappings made while signals land, FREEZE refused while a writable mapping exists
 *   signals   bpf() calls under a storm of signals with SA_RESTART handlers, as Go's runtime
 *             preempts: no call is lost or made twice (queue pushes and pops counted)
 *   outlive   a grandchild creates a map after the program has exited (the supervisor serves it
 *             from the background); prints nothing itself, writes its result to argv[2]
 *   prog      programs whose map fds are in their instructions and in fd_array (user memory, so
 *             numbers in the program's fd table, not the supervisor's), loaded and run with
 *             BPF_PROG_TEST_RUN; the map they add to, read back
 *
 * Usage: e2e_superv MODE [ARG]
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define ELEM_SZ (offsetof(union bpf_attr, flags) + sizeof(__u64))

static long sys_bpf(int cmd, void *attr, size_t size)
{
	return syscall(__NR_bpf, cmd, attr, size);
}

/* "= N" or "= -1 ENAME" */
static const char *r(long ret)
{
	static char buf[64];

	if (ret >= 0)
		snprintf(buf, sizeof(buf), "= %ld", ret);
	else
		snprintf(buf, sizeof(buf), "= -1 %s", strerrorname_np(errno) ? strerrorname_np(errno) : "E?");
	return buf;
}

static int create(__u32 type, __u32 ks, __u32 vs, __u32 max, __u32 flags)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_type = type, a.key_size = ks, a.value_size = vs, a.max_entries = max, a.map_flags = flags;
	return (int)sys_bpf(BPF_MAP_CREATE, &a, sizeof(a));
}

static long elem(int cmd, int fd, const void *key, void *value, __u64 flags)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = (__u32)fd, a.key = (uintptr_t)key, a.value = (uintptr_t)value, a.flags = flags;
	return sys_bpf(cmd, &a, ELEM_SZ);
}

static void die(const char *what)
{
	printf("FAILED: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* ---- threads ---- */

#define THREADS 4
#define PER_THREAD 300
static int shared_fd;

static void *worker(void *arg)
{
	long t = (long)arg;
	int own = create(BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0);
	long bad = own < 0;

	for (__u32 i = 0; i < PER_THREAD; i++) {
		__u32 k = (__u32)t * PER_THREAD + i, z = 0;
		__u64 v = k * 2ull, back = 0;

		bad += elem(BPF_MAP_UPDATE_ELEM, shared_fd, &k, &v, BPF_NOEXIST) != 0;
		bad += elem(BPF_MAP_LOOKUP_ELEM, shared_fd, &k, &back, 0) != 0 || back != v;
		bad += elem(BPF_MAP_UPDATE_ELEM, own, &z, &v, BPF_ANY) != 0;
	}
	if (own >= 0)
		close(own);
	return (void *)bad;
}

static int do_threads(void)
{
	pthread_t th[THREADS];
	long bad = 0;
	__u32 k, n = 0;
	union bpf_attr a;

	shared_fd = create(BPF_MAP_TYPE_HASH, 4, 8, THREADS * PER_THREAD, 0);
	if (shared_fd < 0)
		die("create");
	for (long t = 0; t < THREADS; t++)
		if (pthread_create(&th[t], NULL, worker, (void *)t))
			die("pthread_create");
	for (int t = 0; t < THREADS; t++) {
		void *ret;

		pthread_join(th[t], &ret);
		bad += (long)ret;
	}
	memset(&a, 0, sizeof(a));
	a.map_fd = (__u32)shared_fd, a.key = 0, a.next_key = (uintptr_t)&k;
	while (!sys_bpf(BPF_MAP_GET_NEXT_KEY, &a, sizeof(a))) {
		a.key = (uintptr_t)&k;
		n++;
	}
	printf("threads: %d threads, %u elements, %ld failed calls\n", THREADS, n, bad);
	return 0;
}

/* ---- faults ---- */

/* Three fresh pages filled with `fill`, the second with protection prot1, the third prot2. */
static unsigned char *pages(int fill, int prot1, int prot2)
{
	unsigned char *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	memset(p, fill, 3 * 4096);
	if (mprotect(p + 4096, 4096, prot1) || mprotect(p + 2 * 4096, 4096, prot2))
		die("mprotect");
	return p;
}

static void show_bytes(const char *what, const unsigned char *p, size_t n)
{
	printf("%s:", what);
	for (size_t i = 0; i < n; i++)
		printf(" %02x", p[i]);
	printf("\n");
}

#define RW (PROT_READ | PROT_WRITE)

static int do_faults(void)
{
	int fd = create(BPF_MAP_TYPE_HASH, 4, 16, 8, 0), afd = create(BPF_MAP_TYPE_ARRAY, 4, 16, 4, 0);
	unsigned char val[16], *p;
	__u32 k = 1, keys[8];
	union bpf_attr *a;
	long ret;
	char *tail;

	if (fd < 0 || afd < 0)
		die("create");
	for (int i = 0; i < 16; i++)
		val[i] = (unsigned char)(0xa0 + i);
	elem(BPF_MAP_UPDATE_ELEM, fd, &k, val, 0);
	for (__u32 i = 0; i < 4; i++)
		elem(BPF_MAP_UPDATE_ELEM, afd, &i, val, 0);

	/* the value buffer runs 6 bytes into a read-only page: EFAULT, the first 10 bytes written */
	p = pages(0x11, PROT_READ, RW);
	ret = elem(BPF_MAP_LOOKUP_ELEM, fd, &k, p + 4096 - 10, 0);
	printf("lookup into a read-only page %s\n", r(ret));
	show_bytes("  bytes before the page", p + 4096 - 10, 10);
	show_bytes("  bytes in the page", p + 4096, 6);

	/* a key or value that runs into an unmapped page */
	p = pages(0, RW, PROT_NONE);
	memcpy(p + 2 * 4096 - 2, &k, 2);
	printf("key into an unmapped page %s\n", r(elem(BPF_MAP_LOOKUP_ELEM, fd, p + 2 * 4096 - 2, val, 0)));
	printf("value from an unmapped page %s\n", r(elem(BPF_MAP_UPDATE_ELEM, fd, &k, p + 2 * 4096 - 8, 0)));
	printf("key NULL %s\n", r(elem(BPF_MAP_LOOKUP_ELEM, fd, NULL, val, 0)));
	printf("key at page 0 %s\n", r(elem(BPF_MAP_LOOKUP_ELEM, fd, (void *)16, val, 0)));
	printf("key past user space %s\n", r(elem(BPF_MAP_LOOKUP_ELEM, fd, (void *)-4096L, val, 0)));

	/* a batch whose values buffer turns read-only after two elements and a half */
	{
		union bpf_attr b;
		__u32 out = 0;
		unsigned char *vals;

		p = pages(0x22, PROT_READ, RW);
		vals = p + 4096 - 40;
		memset(&b, 0, sizeof(b));
		memset(keys, 0xee, sizeof(keys));
		b.batch.map_fd = (__u32)afd, b.batch.keys = (uintptr_t)keys, b.batch.values = (uintptr_t)vals;
		b.batch.count = 4, b.batch.out_batch = (uintptr_t)&out;
		ret = sys_bpf(BPF_MAP_LOOKUP_BATCH, &b, sizeof(b));
		printf("batch lookup into a read-only page %s, count %u\n", r(ret), b.batch.count);
		show_bytes("  keys", (unsigned char *)keys, 16);
		show_bytes("  values before the page", vals, 40);
	}

	/* the hash's batch copies bucket after bucket, keys then values (a zero seed fixes the order) */
	{
		int h = create(BPF_MAP_TYPE_HASH, 4, 16, 16, BPF_F_ZERO_SEED);
		union bpf_attr b;
		__u32 out = 0;
		unsigned char *vals;

		for (__u32 i = 0; i < 6; i++)
			elem(BPF_MAP_UPDATE_ELEM, h, &i, val, 0);
		p = pages(0x44, PROT_READ, RW);
		vals = p + 4096 - 56;
		memset(&b, 0, sizeof(b));
		memset(keys, 0xee, sizeof(keys));
		b.batch.map_fd = (__u32)h, b.batch.keys = (uintptr_t)keys, b.batch.values = (uintptr_t)vals;
		b.batch.count = 6, b.batch.out_batch = (uintptr_t)&out;
		ret = sys_bpf(BPF_MAP_LOOKUP_BATCH, &b, sizeof(b));
		printf("hash batch lookup into a read-only page %s, count %u\n", r(ret), b.batch.count);
		show_bytes("  keys", (unsigned char *)keys, 24);
		show_bytes("  values before the page", vals, 56);
		b.batch.values = (uintptr_t)keys, b.batch.keys = (uintptr_t)(p + 4096 - 8), b.batch.count = 6;
		ret = sys_bpf(BPF_MAP_LOOKUP_AND_DELETE_BATCH, &b, sizeof(b));
		printf("hash drain with keys into a read-only page %s, count %u\n", r(ret), b.batch.count);
		show_bytes("  keys before the page", p + 4096 - 8, 8);
		b.batch.keys = (uintptr_t)keys, b.batch.values = (uintptr_t)(p + 4096 - 200), b.batch.count = 6;
		ret = sys_bpf(BPF_MAP_LOOKUP_AND_DELETE_BATCH, &b, sizeof(b));
		printf("then what is left %s, count %u\n", r(ret), b.batch.count);
		close(h);
	}

	/* the attr itself: readable across a read-only page, not into an unmapped one */
	p = pages(0, PROT_READ, PROT_NONE);
	a = (union bpf_attr *)(p + 4096 - 16);
	a->map_fd = (__u32)fd;
	a->key = (uintptr_t)&k;
	printf("attr of 32 bytes across into a read-only page %s\n", r(sys_bpf(BPF_MAP_LOOKUP_ELEM, a, 32)));
	a = (union bpf_attr *)(p + 2 * 4096 - 16);
	printf("attr running into an unmapped page %s\n", r(sys_bpf(BPF_MAP_LOOKUP_ELEM, a, 32)));
	printf("attr NULL, size 32 %s\n", r(sys_bpf(BPF_MAP_LOOKUP_ELEM, NULL, 32)));
	printf("attr NULL, size 0 %s\n", r(sys_bpf(BPF_MAP_GET_NEXT_ID, NULL, 0)));
	tail = calloc(1, 4096 + 8);
	if (!tail)
		die("calloc");
	memcpy(tail, &(union bpf_attr){ .map_fd = (__u32)fd, .key = (uintptr_t)&k, .value = (uintptr_t)val },
	       sizeof(union bpf_attr));
	printf("attr of 4096 zero bytes %s\n", r(sys_bpf(BPF_MAP_LOOKUP_ELEM, tail, 4096)));
	tail[300] = 1;
	printf("attr with a non-zero byte past the union %s\n", r(sys_bpf(BPF_MAP_LOOKUP_ELEM, tail, 4096)));
	printf("attr of 4097 bytes %s\n", r(sys_bpf(BPF_MAP_LOOKUP_ELEM, tail, 4097)));

	/* info into a buffer that turns read-only after 24 bytes */
	{
		union bpf_attr i;

		p = pages(0x33, RW, PROT_READ);
		memset(&i, 0, sizeof(i));
		i.info.bpf_fd = (__u32)fd, i.info.info_len = 80, i.info.info = (uintptr_t)(p + 2 * 4096 - 24);
		ret = sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &i, sizeof(i));
		printf("info into a read-only page %s, info_len %u\n", r(ret), i.info.info_len);
		memset(p + 2 * 4096 - 20, 0, 4); /* the map's id */
		show_bytes("  bytes before the page (id zeroed)", p + 2 * 4096 - 24, 24);
	}
	return 0;
}

/* ---- fdargs ---- */

static int do_fdargs(void)
{
	int fd = create(BPF_MAP_TYPE_HASH, 4, 4, 4, 0), file = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	__u32 k = 1, v = 2;
	union bpf_attr a;
	char pin[64];

	if (fd < 0 || file < 0)
		die("setup");
	printf("new map fd close-on-exec: %s\n", fcntl(fd, F_GETFD) == FD_CLOEXEC ? "yes" : "no");
	printf("update fd %s\n", r(elem(BPF_MAP_UPDATE_ELEM, fd, &k, &v, 0)));
	printf("closed fd 77 %s\n", r(elem(BPF_MAP_LOOKUP_ELEM, 77, &k, &v, 0)));
	printf("fd -1 %s\n", r(elem(BPF_MAP_LOOKUP_ELEM, -1, &k, &v, 0)));
	printf("fd 0x80000000 %s\n", r(elem(BPF_MAP_LOOKUP_ELEM, (int)0x80000000u, &k, &v, 0)));
	printf("a regular file %s\n", r(elem(BPF_MAP_LOOKUP_ELEM, file, &k, &v, 0)));
	printf("fd 0 %s\n", r(elem(BPF_MAP_LOOKUP_ELEM, 0, &k, &v, 0)));
	printf("freeze a regular file %s\n", r(sys_bpf(BPF_MAP_FREEZE, &(__u32){ (__u32)file }, 4)));
	memset(&a, 0, sizeof(a));
	a.info.bpf_fd = 77;
	printf("info of a closed fd %s\n", r(sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a, sizeof(a))));
	memset(&a, 0, sizeof(a));
	a.pathname = (uintptr_t)"/sys/fs/bpf/e2e_superv_fdargs", a.bpf_fd = 77;
	printf("pin a closed fd %s\n", r(sys_bpf(BPF_OBJ_PIN, &a, sizeof(a))));
	a.bpf_fd = (__u32)file;
	printf("pin a regular file %s\n", r(sys_bpf(BPF_OBJ_PIN, &a, sizeof(a))));
	a.bpf_fd = (__u32)fd;
	printf("pin %s\n", r(sys_bpf(BPF_OBJ_PIN, &a, sizeof(a))));
	memset(&a, 0, sizeof(a));
	a.pathname = (uintptr_t)"/sys/fs/bpf/e2e_superv_fdargs", a.file_flags = BPF_F_RDONLY;
	snprintf(pin, sizeof(pin), "%ld", sys_bpf(BPF_OBJ_GET, &a, sizeof(a)));
	printf("read-only fd %s\n", atoi(pin) > 0 ? "opened" : pin);
	printf("update through it %s\n", r(elem(BPF_MAP_UPDATE_ELEM, atoi(pin), &k, &v, 0)));
	printf("lookup through it %s, value %u\n", r(elem(BPF_MAP_LOOKUP_ELEM, atoi(pin), &k, &v, 0)), v);
	printf("flags of the read-only fd: %#o\n", fcntl(atoi(pin), F_GETFL) & O_ACCMODE);
	unlink("/sys/fs/bpf/e2e_superv_fdargs");
	/* an inner map fd is read by the map-in-map types only */
	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_HASH, a.key_size = 4, a.value_size = 4, a.max_entries = 1, a.inner_map_fd = 77;
	k = (__u32)sys_bpf(BPF_MAP_CREATE, &a, sizeof(a));
	printf("hash with a closed inner_map_fd %s\n", (int)k >= 0 ? "= fd" : r(-1));
	/* the lowest free number, as the kernel's fd allocation */
	close(fd);
	fd = create(BPF_MAP_TYPE_ARRAY, 4, 4, 1, 0);
	printf("after closing fd 3, a new map gets fd %d\n", fd);
	return 0;
}

/* ---- paths ---- */

static int do_paths(void)
{
	const char *dir = "/sys/fs/bpf/e2e_superv_paths";
	char path[256], link[64], buf[256], line[128];
	int fd = create(BPF_MAP_TYPE_ARRAY, 4, 8, 2, 0), pfd;
	struct statfs sf;
	struct stat st;
	union bpf_attr a;
	ssize_t n;
	FILE *f;

	printf("statfs /sys/fs/bpf %s", r(statfs("/sys/fs/bpf", &sf)));
	printf(", bpffs: %s\n", sf.f_type == 0xcafe4a11 ? "yes" : "no");
	printf("mkdir %s\n", r(mkdir(dir, 0750)));
	printf("mkdir again %s\n", r(mkdir(dir, 0750)));
	memset(&st, 0, sizeof(st));
	printf("stat dir %s", r(stat(dir, &st)));
	printf(", mode %o\n", st.st_mode & 07777);
	printf("access W_OK %s\n", r(access(dir, W_OK)));
	snprintf(path, sizeof(path), "%s/one", dir);
	memset(&a, 0, sizeof(a));
	a.pathname = (uintptr_t)path, a.bpf_fd = (__u32)fd;
	printf("pin %s\n", r(sys_bpf(BPF_OBJ_PIN, &a, sizeof(a))));
	{
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		DIR *d = fdopendir(dfd);
		struct dirent *de;

		printf("open dir: %s\n", dfd >= 0 ? "ok" : strerror(errno));
		printf("fstatfs dir %s", r(fstatfs(dfd, &sf)));
		printf(", bpffs: %s\n", sf.f_type == 0xcafe4a11 ? "yes" : "no");
		while (d && (de = readdir(d)))
			if (de->d_name[0] != '.')
				printf("dir entry: %s\n", de->d_name);
		if (d)
			closedir(d);
	}
	printf("stat pin %s", r(lstat(path, &st)));
	printf(", regular: %s\n", S_ISREG(st.st_mode) ? "yes" : "no");
	printf("open pin %s\n", r(open(path, O_RDONLY)));
	snprintf(buf, sizeof(buf), "%s/two", dir);
	printf("rename %s\n", r(rename(path, buf)));
	printf("stat old name %s\n", r(stat(path, &st)));
	memset(&a, 0, sizeof(a));
	a.pathname = (uintptr_t)buf;
	pfd = (int)sys_bpf(BPF_OBJ_GET, &a, sizeof(a));
	printf("get renamed pin: %s\n", pfd > fd ? "a new fd" : r(pfd));
	snprintf(link, sizeof(link), "/proc/self/fd/%d", pfd);
	n = readlink(link, path, sizeof(path) - 1);
	path[n > 0 ? n : 0] = 0;
	printf("readlink %s \"%s\"\n", r(n), path);
	n = readlink(link, path, 5);
	path[n > 0 ? n : 0] = 0;
	printf("readlink into 5 bytes %s \"%s\"\n", r(n), path);
	snprintf(link, sizeof(link), "/proc/self/fdinfo/%d", pfd);
	f = fopen(link, "r");
	if (!f)
		die("fopen fdinfo");
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "mnt_id:", 7) && strncmp(line, "ino:", 4) && strncmp(line, "map_id:", 7))
			printf("fdinfo %s", line);
	fclose(f);
	printf("unlink pin %s\n", r(unlink(buf)));
	printf("rmdir %s\n", r(rmdir(dir)));
	printf("rmdir again %s\n", r(rmdir(dir)));
	return 0;
}

/* ---- mmap ---- */

#if defined(__x86_64__)
/* mmap() as a raw system call, and whether the registers the call does not return in (the ABI
 * keeps all but rax, rcx, r11) are as they were: the supervisor makes this call again with other
 * flags and offset registers, and must give the program its own back. */
static void *raw_mmap(size_t len, int prot, int flags, int fd, off_t off, bool *kept)
{
	register long r10 __asm__("r10") = flags;
	register long r8 __asm__("r8") = fd;
	register long r9 __asm__("r9") = off;
	long ret, r10_after, r9_after, r8_after;

	__asm__ volatile("syscall\n\tmov %%r10, %1\n\tmov %%r9, %2\n\tmov %%r8, %3"
			 : "=a"(ret), "=r"(r10_after), "=r"(r9_after), "=r"(r8_after)
			 : "0"((long)SYS_mmap), "D"(0L), "S"((long)len), "d"((long)prot), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	*kept = r10_after == flags && r9_after == off && r8_after == fd;
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return MAP_FAILED;
	}
	return (void *)ret;
}
#endif

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static volatile sig_atomic_t mmap_sigs;
static void on_mmap_sig(int sig)
{
	(void)sig;
	mmap_sigs++;
}

static void *mmap_storm(void *arg)
{
	pthread_t main_thread = *(pthread_t *)arg;

	for (int i = 0; i < 4000; i++) {
		pthread_kill(main_thread, SIGUSR1);
		usleep(50);
	}
	return NULL;
}

static int do_mmap(void)
{
	int hash = create(BPF_MAP_TYPE_HASH, 4, 8, 4, 0), arr = create(BPF_MAP_TYPE_ARRAY, 4, 8, 1024, BPF_F_MMAPABLE);
	__u64 *v, got = 0, val;
	__u32 k;
	void *p;
	int bad = 0, n;
	pthread_t self = pthread_self(), th;
	struct sigaction sa;

	if (hash < 0 || arr < 0)
		die("create");
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, hash, 0);
	printf("mmap of a hash map %s\n", p == MAP_FAILED ? r(-1) : "= mapped");
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, arr, 0);
	printf("private mmap of an mmapable array %s\n", p == MAP_FAILED ? r(-1) : "= mapped");
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, arr, 1);
	printf("mmap at an unaligned offset %s\n", p == MAP_FAILED ? r(-1) : "= mapped");
	p = mmap(NULL, 3 * 4096, PROT_READ, MAP_SHARED, arr, 0);
	printf("mmap past the values %s\n", p == MAP_FAILED ? r(-1) : "= mapped");
	k = 700, val = 7000;
	elem(BPF_MAP_UPDATE_ELEM, arr, &k, &val, 0);
	v = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, arr, 0);
	printf("mmap of an mmapable array's values %s\n", v == MAP_FAILED ? r(-1) : "= mapped");
	if (v == MAP_FAILED)
		return 0;
	printf("value 700 through the mapping = %llu\n", (unsigned long long)v[700]);
	v[5] = 55;
	k = 5;
	n = (int)elem(BPF_MAP_LOOKUP_ELEM, arr, &k, &got, 0);
	printf("lookup 5 %s, value %llu\n", r(n), (unsigned long long)got);
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, arr, 4096);
	printf("mmap of the second page %s", p == MAP_FAILED ? r(-1) : "= mapped");
	if (p != MAP_FAILED)
		printf(", value 700 = %llu", (unsigned long long)((__u64 *)p)[700 - 512]);
	printf("\n");
	printf("freeze while mapped writable %s\n",
	       r(sys_bpf(BPF_MAP_FREEZE, &(union bpf_attr){ .map_fd = (__u32)arr }, 4)));
	/* flags MAP_SHARED ignores (an unknown bit), and MAP_FIXED_NOREPLACE at a free address */
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED | 0x800000, arr, 0);
	printf("mmap with an unknown flag %s\n", p == MAP_FAILED ? r(-1) : "= mapped");
	if (p != MAP_FAILED)
		munmap(p, 4096);
	{
		void *hint = (void *)(uintptr_t)0x7e0000000000ull;

		p = mmap(hint, 4096, PROT_READ, MAP_SHARED | MAP_FIXED_NOREPLACE, arr, 0);
		printf("mmap MAP_FIXED_NOREPLACE at a free address %s\n",
		       p == MAP_FAILED ? r(-1) : p == hint ? "= mapped there" : "= mapped elsewhere");
		if (p != MAP_FAILED)
			munmap(p, 4096);
	}
	/* a read-only mapping can never become writable; nothing is left open by making it */
	n = count_fds();
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, arr, 0);
	printf("read-only mmap %s", p == MAP_FAILED ? r(-1) : "= mapped");
	if (p != MAP_FAILED) {
		printf(", value 5 = %llu, mprotect writable %s", (unsigned long long)((__u64 *)p)[5],
		       r(mprotect(p, 4096, PROT_READ | PROT_WRITE)));
		munmap(p, 4096);
	}
	printf(", fds open after it: %s\n", count_fds() == n ? "as before" : "more");
#if defined(__x86_64__)
	{
		bool kept = false;
		__u64 *w = raw_mmap(4096, PROT_READ, MAP_SHARED, arr, 0, &kept);

		printf("raw mmap %s, registers kept: %s, value 5 = %llu\n", w == MAP_FAILED ? r(-1) : "= mapped",
		       kept ? "yes" : "no", w == MAP_FAILED ? 0ull : (unsigned long long)w[5]);
		if (w != MAP_FAILED)
			munmap(w, 4096);
	}
#else
	printf("raw mmap = mapped, registers kept: yes, value 5 = 55\n"); /* x86-64 only */
#endif
	/* mappings made while signals land (as Go's runtime preempts): each one the values */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_mmap_sig;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	if (pthread_create(&th, NULL, mmap_storm, &self))
		die("pthread_create");
	for (n = 0; n < 300; n++) {
		__u64 *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, arr, 0);

		if (w == MAP_FAILED || w[5] != 55 + (__u64)n)
			bad++;
		if (w != MAP_FAILED) {
			w[5]++;
			munmap(w, 4096);
		}
	}
	pthread_join(th, NULL);
	printf("%d mappings under signals, %d wrong\n", n, bad);
	fprintf(stderr, "signals handled: %d\n", (int)mmap_sigs);
	munmap(v, 2 * 4096);
	printf("freeze after munmap of the writable mapping %s\n",
	       r(sys_bpf(BPF_MAP_FREEZE, &(union bpf_attr){ .map_fd = (__u32)arr }, 4)));
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, arr, 0);
	printf("writable mmap of the frozen map %s\n", p == MAP_FAILED ? r(-1) : "= mapped");
	return 0;
}

/* ---- signals ---- */

#define PUSHES 3000
static volatile sig_atomic_t handled;
static void on_sig(int sig)
{
	(void)sig;
	handled++;
}

static void *storm(void *arg)
{
	pthread_t main_thread = *(pthread_t *)arg;

	for (;;) {
		pthread_kill(main_thread, SIGUSR1);
		usleep(50);
	}
	return NULL;
}

static int do_signals(void)
{
	struct sigaction sa = { .sa_handler = on_sig, .sa_flags = SA_RESTART };
	int q = create(BPF_MAP_TYPE_QUEUE, 0, 4, PUSHES, 0);
	pthread_t self = pthread_self(), th;
	unsigned pushed = 0, popped = 0, in_order = 1;

	if (q < 0)
		die("create");
	sigaction(SIGUSR1, &sa, NULL);
	pthread_create(&th, NULL, storm, &self);
	for (__u32 v = 0; v < PUSHES; v++)
		pushed += elem(BPF_MAP_UPDATE_ELEM, q, NULL, &v, 0) == 0;
	for (__u32 v, want = 0;; want++) {
		if (elem(BPF_MAP_LOOKUP_AND_DELETE_ELEM, q, NULL, &v, 0))
			break;
		popped++;
		in_order &= v == want;
	}
	printf("signals: %u pushed, %u popped, in order: %s\n", pushed, popped, in_order ? "yes" : "no");
	/* how many landed depends on how long the calls took: not compared, but checked by superv.sh */
	fprintf(stderr, "signals handled: %d\n", (int)handled);
	return 0;
}

/* ---- outlive ---- */

static int do_outlive(const char *out)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		int fd, res;
		__u32 k = 0;
		__u64 v = 42;
		FILE *f;

		setsid();
		sleep(1); /* the program (our parent) has exited by now */
		fd = create(BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0);
		res = fd >= 0 && !elem(BPF_MAP_UPDATE_ELEM, fd, &k, &v, 0) && !elem(BPF_MAP_LOOKUP_ELEM, fd, &k, &v, 0);
		f = fopen(out, "w");
		if (f) {
			fprintf(f, "grandchild: %s\n", res && v == 42 ? "served" : strerror(errno));
			fclose(f);
		}
		_exit(0);
	}
	return 0;
}

/* ---- prog ---- */

/* key 1 of the array += 5 (atomically), return 7; the map by fd (ld_imm64 src 1) or by its index
 * in fd_array (src 5, BPF_PSEUDO_MAP_IDX) */
static long load_prog(int map_ref, bool by_idx, const int *fd_array)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ST | BPF_MEM | BPF_W, .dst_reg = 10, .off = -4, .imm = 1 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 2, .src_reg = 10 },
		{ .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 2, .imm = -4 },
		{ .code = BPF_LD | BPF_IMM | BPF_DW, .dst_reg = 1, .src_reg = by_idx ? 5 : 1, .imm = map_ref },
		{ 0 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_map_lookup_elem },
		{ .code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = 0, .off = 2, .imm = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 1, .imm = 5 },
		{ .code = BPF_STX | BPF_ATOMIC | BPF_DW, .dst_reg = 0, .src_reg = 1, .imm = BPF_ADD },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 7 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insns = (uintptr_t)insns;
	a.insn_cnt = sizeof(insns) / sizeof(insns[0]);
	a.license = (uintptr_t) "GPL";
	a.fd_array = (uintptr_t)fd_array;
	return sys_bpf(BPF_PROG_LOAD, &a, sizeof(a));
}

static void run_prog(const char *what, long pfd)
{
	unsigned char pkt[64] = { 0 };
	union bpf_attr a;
	long ret;

	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (__u32)pfd;
	a.test.data_in = (uintptr_t)pkt;
	a.test.data_size_in = sizeof(pkt);
	a.test.repeat = 1;
	ret = sys_bpf(BPF_PROG_TEST_RUN, &a, sizeof(a));
	printf("%s: test_run %s retval %u\n", what, r(ret), a.test.retval);
}

static int do_prog(void)
{
	int map = create(BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0), fds[1];
	__u32 k = 1;
	__u64 v = 0;
	long p1, p2;

	if (map < 0)
		die("map");
	/* a number the supervisor's own fd table is unlikely to have: a map resolved there would be
	 * EBADF (or the wrong object) */
	if (dup2(map, 77) != 77)
		die("dup2");
	close(map);
	map = 77;
	fds[0] = map;
	p1 = load_prog(map, false, NULL);
	printf("load, map fd in the instructions %s\n", p1 >= 0 ? "= ok" : r(p1));
	p2 = load_prog(0, true, fds);
	printf("load, map in fd_array %s\n", p2 >= 0 ? "= ok" : r(p2));
	printf("load, a closed fd in the instructions %s\n", r(load_prog(76, false, NULL)));
	if (p1 >= 0)
		run_prog("by fd", p1);
	if (p2 >= 0)
		run_prog("by index", p2);
	printf("lookup %s value %llu\n", r(elem(BPF_MAP_LOOKUP_ELEM, map, &k, &v, 0)), (unsigned long long)v);
	return 0;
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(m, "threads"))
		return do_threads();
	if (!strcmp(m, "faults"))
		return do_faults();
	if (!strcmp(m, "fdargs"))
		return do_fdargs();
	if (!strcmp(m, "paths"))
		return do_paths();
	if (!strcmp(m, "mmap"))
		return do_mmap();
	if (!strcmp(m, "signals"))
		return do_signals();
	if (!strcmp(m, "prog"))
		return do_prog();
	if (!strcmp(m, "outlive") && argc > 2)
		return do_outlive(argv[2]);
	fprintf(stderr, "usage: e2e_superv threads|faults|fdargs|paths|mmap|signals|prog|outlive FILE\n");
	return 2;
}
