/* SPDX-License-Identifier: MIT */
/* e2e_fdops's modes on an fd's own operations: fileops, mmap, fdcache, emfile (items 1-8); the
 * other objects' fds take the same file operations (fdops_objs.c). */
#include "fdops_client.h"

/* ---- fileops: items 1, 2, 7 ---- */

/* a vector the compiler cannot see the size of (the wild cases are meant) */
static const struct iovec *opaque_iov(const void *p)
{
	__asm__("" : "+r"(p));
	return p;
}

/* The map is whole after fileops_on: it answers as before. */
static void map_after(const char *what, int check_fd)
{
	char name[96];

	snprintf(name, sizeof(name), "%s.after-lookup", what);
	lookup_res(name, check_fd, 1);
	snprintf(name, sizeof(name), "%s.after-update", what);
	R(name, update(check_fd, 2, 22));
	snprintf(name, sizeof(name), "%s.after-lookup2", what);
	lookup_res(name, check_fd, 2);
	snprintf(name, sizeof(name), "%s.after-info", what);
	R(name, info_res(check_fd));
}

/* Every file operation on one object fd (`what`: the object and access mode), then after(what,
 * check_fd): the object must be whole. */
void fileops_on(const char *what, int fd, void (*after)(const char *what, int check_fd), int check_fd)
{
	char name[96], buf[64] = { 0 }, path[64];
	struct iovec iov = { buf, 8 };
	struct stat st;
	struct statx stx;
	struct statfs sfs;
	struct pollfd pfd;
	int pipefd[2], devnull = open("/dev/null", O_RDWR | O_CLOEXEC), n;
	loff_t off = 0;

#define C(label, expr)                                                                              \
	do {                                                                                        \
		snprintf(name, sizeof(name), "%s.%s", what, label);                                 \
		R(name, expr);                                                                      \
	} while (0)
	memset(buf, 0xee, sizeof(buf));
	C("read", read(fd, buf, 8));
	C("read0", read(fd, buf, 0));
	C("write", write(fd, buf, 8));
	C("write0", write(fd, buf, 0));
	C("pread", pread(fd, buf, 8, 0));
	C("pread-neg", pread(fd, buf, 8, -1));
	C("pwrite", pwrite(fd, buf, 64, 0));
	C("pwrite-neg", pwrite(fd, buf, 8, -1));
	C("readv", readv(fd, &iov, 1));
	C("readv0", readv(fd, &iov, 0));
	C("readv-bad", readv(fd, opaque_iov((void *)8), 1));
	C("readv-many", readv(fd, opaque_iov(&iov), 2000));
	C("writev", writev(fd, &iov, 1));
	C("writev0", writev(fd, &iov, 0));
	C("preadv", preadv(fd, &iov, 1, 0));
	C("pwritev", pwritev(fd, &iov, 1, 0));
	C("preadv2-cur", preadv2(fd, &iov, 1, -1, 0));
	C("pwritev2-cur", pwritev2(fd, &iov, 1, -1, 0));
	C("lseek-set", lseek(fd, 0, SEEK_SET));
	C("lseek-end", lseek(fd, 0, SEEK_END));
	C("lseek-bad", lseek(fd, 0, 7));
	C("ftruncate0", ftruncate(fd, 0));
	C("ftruncate4096", ftruncate(fd, 4096));
	C("ftruncate-neg", ftruncate(fd, -1));
	C("fallocate", fallocate(fd, 0, 0, 4096));
	C("fallocate-punch", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096));
	C("fallocate-badmode", fallocate(fd, 0x4000, 0, 4096));
	C("fallocate-neg", fallocate(fd, 0, -1, 4096));
	C("posix_fallocate", posix_fallocate(fd, 0, 4096));
	C("fsync", fsync(fd));
	C("fdatasync", fdatasync(fd));
	C("fchmod", fchmod(fd, 0644));
	C("fchown", fchown(fd, getuid(), getgid()));
	C("futimens", futimens(fd, NULL));
	C("fchownat-empty", fchownat(fd, "", getuid(), getgid(), AT_EMPTY_PATH));
	C("readahead", readahead(fd, 0, 4096));
	C("sync_file_range", sync_file_range(fd, 0, 0, 0));
	C("ioctl-fionread", ioctl(fd, FIONREAD, &n));
	C("ioctl-tcgets", ioctl(fd, TCGETS, buf));
	C("ioctl-fionbio", ioctl(fd, FIONBIO, &(int){ 0 }));
	C("ioctl-fioclex", ioctl(fd, FIOCLEX));
	C("ioctl-fibmap", ioctl(fd, FIBMAP, &(int){ 0 }));
	C("fsetxattr-user", fsetxattr(fd, "user.x", "a", 1, 0));
	C("fsetxattr-trusted", fsetxattr(fd, "trusted.x", "a", 1, 0));
	C("fgetxattr-user", fgetxattr(fd, "user.x", buf, sizeof(buf)));
	C("flistxattr", flistxattr(fd, buf, sizeof(buf)));
	C("fremovexattr-user", fremovexattr(fd, "user.x"));
	C("sendfile-in", sendfile(devnull, fd, NULL, 8));
	C("sendfile-in-off", sendfile(devnull, fd, &(off_t){ 0 }, 8));
	C("sendfile-out", sendfile(fd, devnull, NULL, 8));
	C("copy_file_range-in", copy_file_range(fd, &off, devnull, NULL, 8, 0));
	C("copy_file_range-out", copy_file_range(devnull, NULL, fd, &off, 8, 0));
	if (pipe2(pipefd, O_CLOEXEC))
		die("pipe");
	C("splice-in", splice(fd, NULL, pipefd[1], NULL, 8, 0));
	if (write(pipefd[1], buf, 8) != 8)
		die("pipe write");
	C("splice-out", splice(pipefd[0], NULL, fd, NULL, 8, 0));
	close(pipefd[0]);
	close(pipefd[1]);
	pfd = (struct pollfd){ fd, POLLIN | POLLOUT, 0 };
	C("poll", poll(&pfd, 1, 0));
	snprintf(name, sizeof(name), "%s.poll-revents", what);
	out(name, "%#x", pfd.revents);
	pfd = (struct pollfd){ fd, 0, 0 };
	C("poll-noevents", poll(&pfd, 1, 0));
	snprintf(name, sizeof(name), "%s.poll-noevents-revents", what);
	out(name, "%#x", pfd.revents);
	C("F_GETFL", fcntl(fd, F_GETFL));
	C("F_SETFL", fcntl(fd, F_SETFL, O_NONBLOCK | O_APPEND));
	C("F_GETFL-after", fcntl(fd, F_GETFL));
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	snprintf(name, sizeof(name), "%s.fdinfo", what);
	print_proc_file(name, path);
	C("F_SETFL-back", fcntl(fd, F_SETFL, 0));
	C("F_SETFL-direct", fcntl(fd, F_SETFL, O_DIRECT));
	C("F_GET_SEALS", fcntl(fd, F_GET_SEALS));
	C("F_ADD_SEALS", fcntl(fd, F_ADD_SEALS, F_SEAL_GROW));
	C("F_SETLEASE", fcntl(fd, F_SETLEASE, F_RDLCK));
	C("F_GETLEASE", fcntl(fd, F_GETLEASE));
	C("flock", flock(fd, LOCK_SH));
	snprintf(name, sizeof(name), "%s.fdinfo-locked", what);
	print_proc_file(name, path);
	C("flock-un", flock(fd, LOCK_UN));
	C("fstat", fstat(fd, &st));
	snprintf(name, sizeof(name), "%s.fstat-fields", what);
	stat_res(name, &st);
	C("fstatat-empty", fstatat(fd, "", &st, AT_EMPTY_PATH));
	snprintf(name, sizeof(name), "%s.fstatat-fields", what);
	stat_res(name, &st);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	C("stat-link", stat(path, &st));
	snprintf(name, sizeof(name), "%s.stat-link-fields", what);
	stat_res(name, &st);
	C("statx-empty", statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx));
	snprintf(name, sizeof(name), "%s.statx-fields", what);
	out(name, "mode %o nlink %u size %llu blocks %llu", stx.stx_mode, stx.stx_nlink,
	    (unsigned long long)stx.stx_size, (unsigned long long)stx.stx_blocks);
	C("fstatfs", fstatfs(fd, &sfs));
	snprintf(name, sizeof(name), "%s.fstatfs-type", what);
	out(name, "%#lx", (unsigned long)sfs.f_type);
	C("open-link", open(path, O_RDONLY | O_CLOEXEC));
	C("open-link-rw", open(path, O_RDWR | O_CLOEXEC));
	C("truncate-link", truncate(path, 0));
	C("chmod-link", chmod(path, 0644));
	snprintf(name, sizeof(name), "%s.readlink", what);
	link_res(name, path);
	/* the same through syscall(): what bypasses the C library's wrappers */
	C("sys-write", syscall(SYS_write, fd, buf, 8));
	C("sys-pwrite64", syscall(SYS_pwrite64, fd, buf, 64, 0));
	C("sys-ftruncate", syscall(SYS_ftruncate, fd, 0));
	C("sys-fallocate", syscall(SYS_fallocate, fd, 0, 0, 4096));
	C("sys-read", syscall(SYS_read, fd, buf, 8));
	C("sys-lseek", syscall(SYS_lseek, fd, 0, SEEK_SET));
	C("sys-writev", syscall(SYS_writev, fd, &iov, 1));
#undef C
	close(devnull);
	/* nothing reached the object */
	after(what, check_fd);
}

void mode_fileops(void)
{
	int rw = map_create(BPF_MAP_TYPE_HASH, 4, 8, 16, 0);
	int ro, wo;
	uint32_t id;

	if (rw < 0)
		die("map create");
	update(rw, 1, 11);
	id = map_id(rw);
	ro = fd_by_id(id, BPF_F_RDONLY);
	R("fd-by-id-rdonly", ro < 0 ? ro : 0);
	wo = fd_by_id(id, BPF_F_WRONLY);
	R("fd-by-id-wronly", wo < 0 ? wo : 0);
	fileops_on("rw", rw, map_after, rw);
	fileops_on("ro", ro, map_after, rw);
	fileops_on("wo", wo, map_after, rw);
	/* an fd bpf() never saw: received by dup of the process's own (the inherited case is the
	 * same, checked by the fdinfo mode's child) */
	{
		int d = fcntl(rw, F_DUPFD_CLOEXEC, 100);

		R("dupfd-read", read(d, &id, 4));
		R("dupfd-write", write(d, &id, 4));
		close(d);
	}
	close(rw);
	close(ro);
	close(wo);
}

/* ---- mmap: items 3, 4, 6 ---- */

static int mmapable(uint32_t extra)
{
	/* 512 values of 8 bytes: exactly one page */
	int fd = map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 512, BPF_F_MMAPABLE | extra);

	if (fd < 0)
		die("mmapable array");
	return fd;
}

void mode_mmap(void)
{
	int a = mmapable(0), b, c, d, r, w, h, pp[2];
	uint64_t *p, *q;
	pid_t pid;
	char x;

	update(a, 3, 33);
	p = mres("read-shared", mmap(NULL, PAGE, PROT_READ, MAP_SHARED, a, 0));
	if (p != MAP_FAILED) {
		out("read-shared-value", "%llu", (unsigned long long)p[3]);
		R("read-shared-mprotect-rw", mprotect(p, PAGE, PROT_READ | PROT_WRITE));
		R("read-shared-mprotect-rx", mprotect(p, PAGE, PROT_READ | PROT_EXEC));
		R("read-shared-mremap-same", (q = mremap(p, PAGE, PAGE, MREMAP_MAYMOVE)) == MAP_FAILED ? -1 : 0);
		if (q != MAP_FAILED)
			p = q;
		munmap(p, PAGE);
	}
	p = mres("rw-shared", mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, a, 0));
	if (p != MAP_FAILED) {
		p[4] = 44; /* the map sees it */
		lookup_res("rw-shared-write-seen", a, 4);
		R("rw-mprotect-r", mprotect(p, PAGE, PROT_READ));
		R("rw-freeze-while-readonly-now", freeze(a));
		R("rw-mprotect-rw", mprotect(p, PAGE, PROT_READ | PROT_WRITE));
		R("rw-mprotect-rx", mprotect(p, PAGE, PROT_READ | PROT_EXEC));
		R("rw-mremap-grow", mremap(p, PAGE, 2 * PAGE, MREMAP_MAYMOVE) == MAP_FAILED ? -1 : 0);
		R("rw-freeze-busy", freeze(a));
		R("rw-munmap", munmap(p, PAGE));
	}
	mres("exec", mmap(NULL, PAGE, PROT_READ | PROT_EXEC, MAP_SHARED, a, 0));
	q = mres("shared-validate", mmap(NULL, PAGE, PROT_READ, MAP_SHARED_VALIDATE, a, 0));
	if (q != MAP_FAILED)
		munmap(q, PAGE);
	mres("shared-validate-sync", mmap(NULL, PAGE, PROT_READ, MAP_SHARED_VALIDATE | MAP_SYNC, a, 0));
	/* in the kernel's LEGACY_MAP_MASK, though glibc has no name for it (the emulator once refused it) */
	q = mres("shared-validate-uninitialized", mmap(NULL, PAGE, PROT_READ, MAP_SHARED_VALIDATE | 0x4000000, a, 0));
	if (q != MAP_FAILED)
		munmap(q, PAGE);
	mres("private", mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, a, 0));
	mres("too-long", mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, a, 0));
	mres("offset-page", mmap(NULL, PAGE, PROT_READ, MAP_SHARED, a, PAGE));
	mres("offset-odd", mmap(NULL, PAGE, PROT_READ, MAP_SHARED, a, 100));
	mres("len0", mmap(NULL, 0, PROT_READ, MAP_SHARED, a, 0));
	mres("hugetlb", mmap(NULL, PAGE, PROT_READ, MAP_SHARED | MAP_HUGETLB, a, 0));
	q = mres("none", mmap(NULL, PAGE, PROT_NONE, MAP_SHARED, a, 0));
	if (q != MAP_FAILED) {
		R("none-mprotect-r", mprotect(q, PAGE, PROT_READ));
		R("none-mprotect-rw", mprotect(q, PAGE, PROT_READ | PROT_WRITE));
		munmap(q, PAGE);
	}
	q = mres("write-only-prot", mmap(NULL, PAGE, PROT_WRITE, MAP_SHARED, a, 0));
	if (q != MAP_FAILED)
		munmap(q, PAGE);
	R("freeze", freeze(a));
	R("freeze-again", freeze(a));
	mres("frozen-rw", mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, a, 0));
	q = mres("frozen-r", mmap(NULL, PAGE, PROT_READ, MAP_SHARED, a, 0));
	if (q != MAP_FAILED) {
		R("frozen-r-mprotect-rw", mprotect(q, PAGE, PROT_READ | PROT_WRITE));
		R("frozen-r-mprotect-w-only", mprotect(q, PAGE, PROT_WRITE));
		out("frozen-r-value", "%llu", (unsigned long long)q[4]);
		munmap(q, PAGE);
	}
	lookup_res("frozen-value", a, 4);
	R("frozen-update", update(a, 4, 99));

	/* a writable mapping a child holds after the parent let go of its own */
	b = mmapable(0);
	p = mres("fork-rw", mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, b, 0));
	if (pipe(pp))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		close(pp[1]);
		if (read(pp[0], &x, 1) < 0)
			_exit(1);
		p[5] = 55; /* after the parent's freeze failed: still allowed */
		_exit(0);
	}
	close(pp[0]);
	R("fork-parent-munmap", munmap(p, PAGE));
	R("fork-freeze-child-maps", freeze(b));
	if (write(pp[1], "x", 1) != 1)
		die("pipe write");
	close(pp[1]);
	waitpid(pid, NULL, 0);
	lookup_res("fork-child-wrote", b, 5);
	R("fork-freeze-child-gone", freeze(b));

	/* MADV_DONTFORK: the child has no mapping */
	c = mmapable(0);
	p = mres("dontfork-rw", mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, c, 0));
	if (p != MAP_FAILED) {
		R("dontfork-madvise", madvise(p, PAGE, MADV_DONTFORK));
		pid = fork();
		if (!pid) {
			usleep(300000);
			_exit(0);
		}
		munmap(p, PAGE);
		R("dontfork-freeze", freeze(c));
		waitpid(pid, NULL, 0);
	}

	/* BPF_F_RDONLY_PROG: never writable from user space either */
	d = mmapable(BPF_F_RDONLY_PROG);
	mres("rdonly-prog-rw", mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, d, 0));
	q = mres("rdonly-prog-r", mmap(NULL, PAGE, PROT_READ, MAP_SHARED, d, 0));
	if (q != MAP_FAILED) {
		R("rdonly-prog-mprotect-rw", mprotect(q, PAGE, PROT_READ | PROT_WRITE));
		munmap(q, PAGE);
	}

	/* fds opened read-only or write-only */
	r = fd_by_id(map_id(d), BPF_F_RDONLY);
	w = fd_by_id(map_id(d), BPF_F_WRONLY);
	mres("rdonly-fd-r-shared", mmap(NULL, PAGE, PROT_READ, MAP_SHARED, r, 0));
	mres("rdonly-fd-r-validate", mmap(NULL, PAGE, PROT_READ, MAP_SHARED_VALIDATE, r, 0));
	mres("rdonly-fd-rw-shared", mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, r, 0));
	mres("rdonly-fd-r-private", mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, r, 0));
	mres("wronly-fd-r-shared", mmap(NULL, PAGE, PROT_READ, MAP_SHARED, w, 0));
	mres("wronly-fd-w-shared", mmap(NULL, PAGE, PROT_WRITE, MAP_SHARED, w, 0));

	/* maps that cannot be mapped */
	h = map_create(BPF_MAP_TYPE_HASH, 4, 8, 16, 0);
	mres("hash", mmap(NULL, PAGE, PROT_READ, MAP_SHARED, h, 0));
	h = map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 512, 0);
	mres("array-not-mmapable", mmap(NULL, PAGE, PROT_READ, MAP_SHARED, h, 0));
}

/* ---- fdcache: item 5 ---- */

/* close(2) without the C library's close(): an instruction the preload cannot see */
static long raw_close(int fd)
{
#if defined(__x86_64__)
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "0"((long)__NR_close), "D"((long)fd) : "rcx", "r11", "memory");
	return ret;
#elif defined(__aarch64__)
	register long x8 __asm__("x8") = __NR_close;
	register long x0 __asm__("x0") = fd;

	__asm__ volatile("svc 0" : "+r"(x0) : "r"(x8) : "memory");
	return x0;
#else
	return syscall(SYS_close, fd); /* no raw form here: the preload sees this one */
#endif
}

/* a map whose number is then closed one way and reused (or not) another */
static int cached_map(void)
{
	int fd = map_create(BPF_MAP_TYPE_HASH, 4, 8, 16, 0);

	if (fd < 0)
		die("map create");
	update(fd, 1, 7);
	return fd;
}

static void reuse_res(const char *name, int fd, int reused)
{
	char n[96];

	snprintf(n, sizeof(n), "%s.same-number", name);
	out(n, "%s", reused == fd ? "yes" : "no");
	snprintf(n, sizeof(n), "%s.lookup", name);
	lookup_res(n, fd, 1);
	snprintf(n, sizeof(n), "%s.info", name);
	R(n, info_res(fd));
	snprintf(n, sizeof(n), "%s.freeze", name);
	R(n, freeze(fd));
}

void mode_fdcache(void)
{
	int fd, r;
	FILE *f;

	fd = cached_map();
	lookup_res("fclose-fdopen.before", fd, 1);
	f = fdopen(fd, "r");
	R("fclose-fdopen.fclose", f ? fclose(f) : -1);
	r = open("/dev/null", O_RDONLY | O_CLOEXEC);
	reuse_res("fclose-fdopen", fd, r);
	close(r);

	fd = cached_map();
	lookup_res("sys-close.before", fd, 1);
	R("sys-close.close", syscall(SYS_close, fd));
	r = open("/dev/null", O_RDONLY | O_CLOEXEC);
	reuse_res("sys-close", fd, r);
	close(r);

	fd = cached_map();
	lookup_res("close_range.before", fd, 1);
	R("close_range.close", close_range((unsigned)fd, (unsigned)fd, 0));
	r = open("/dev/null", O_RDONLY | O_CLOEXEC);
	reuse_res("close_range", fd, r);
	close(r);

	fd = cached_map();
	lookup_res("sys-close_range.before", fd, 1);
	R("sys-close_range.close", syscall(SYS_close_range, fd, fd, 0));
	r = open("/dev/null", O_RDONLY | O_CLOEXEC);
	reuse_res("sys-close_range", fd, r);
	close(r);

	/* the close unseen, the reuse seen: open, socket, pipe, eventfd, dup */
	fd = cached_map();
	lookup_res("raw-close-open.before", fd, 1);
	R("raw-close-open.close", raw_close(fd));
	r = open("/dev/null", O_RDONLY | O_CLOEXEC);
	reuse_res("raw-close-open", fd, r);
	close(r);

	fd = cached_map();
	lookup_res("raw-close-socket.before", fd, 1);
	R("raw-close-socket.close", raw_close(fd));
	r = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	reuse_res("raw-close-socket", fd, r);
	close(r);

	fd = cached_map();
	lookup_res("raw-close-eventfd.before", fd, 1);
	R("raw-close-eventfd.close", raw_close(fd));
	r = eventfd(0, EFD_CLOEXEC);
	reuse_res("raw-close-eventfd", fd, r);
	close(r);

	fd = cached_map();
	lookup_res("raw-close-dup.before", fd, 1);
	R("raw-close-dup.close", raw_close(fd));
	{
		int n = open("/dev/null", O_RDONLY | O_CLOEXEC); /* takes fd's number */

		r = dup(n); /* the next number */
		close(n);
		r = dup(r); /* fd's number again, by dup */
		reuse_res("raw-close-dup", fd, r);
		close(r);
	}

	/* dup2 over a cached number */
	fd = cached_map();
	lookup_res("dup2-over.before", fd, 1);
	r = open("/dev/null", O_RDONLY | O_CLOEXEC);
	R("dup2-over.dup2", dup2(r, fd) == fd ? 0 : -1);
	reuse_res("dup2-over", fd, fd);
	close(r);
	close(fd);

	/* closed and left closed */
	fd = cached_map();
	lookup_res("fclose-unused.before", fd, 1);
	f = fdopen(fd, "r");
	R("fclose-unused.fclose", f ? fclose(f) : -1);
	reuse_res("fclose-unused", fd, -1);
}

/* A reuse the preload cannot see either (a raw close, then a raw dup3): only the element commands'
 * trust in the cache is left, which BPFEMU_FDCACHE_VALIDATE=1 turns into a check. */
static long raw_dup3(int old, int new)
{
#if defined(__x86_64__)
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"((long)__NR_dup3), "D"((long)old), "S"((long)new), "d"((long)O_CLOEXEC)
			 : "rcx", "r11", "memory");
	return ret;
#else
	return dup3(old, new, O_CLOEXEC);
#endif
}

void mode_fdcache_raw(void)
{
	int fd = cached_map(), n = open("/dev/null", O_RDONLY | O_CLOEXEC);

	lookup_res("raw.before", fd, 1);
	R("raw.close", raw_close(fd));
	R("raw.dup3", raw_dup3(n, fd) == fd ? 0 : -1);
	reuse_res("raw", fd, fd);
	/* a program's number: TEST_RUN trusts the cache as element calls do */
	fd = prog_load();
	if (fd < 0)
		die("prog load");
	test_run_res("raw-prog.before", fd);
	R("raw-prog.close", raw_close(fd));
	R("raw-prog.dup3", raw_dup3(n, fd) == fd ? 0 : -1);
	test_run_res("raw-prog.test-run", fd);
	close(n);
}

/* ---- emfile: item 8 ---- */

void mode_emfile(bool hard)
{
	struct rlimit rl;
	int base = map_create(BPF_MAP_TYPE_HASH, 4, 8, 4, 0), fds[64], nfd = 0, last = -1, r, a, b, c;
	uint32_t id = map_id(base);

	if (base < 0 || !id)
		die("base map");
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = 64;
	if (hard)
		rl.rlim_max = 64;
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
	R("full.create", map_create(BPF_MAP_TYPE_HASH, 4, 8, 4, 0));
	R("full.fd-by-id", fd_by_id(id, 0));
	close(last);
	out("one-free", "%d", last);
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
	ONE("create", map_create(BPF_MAP_TYPE_HASH, 4, 8, 4, 0));
	ONE("create-rdonly", map_create(BPF_MAP_TYPE_HASH, 4, 8, 4, BPF_F_RDONLY));
	ONE("create-wronly", map_create(BPF_MAP_TYPE_HASH, 4, 8, 4, BPF_F_WRONLY));
	ONE("create-array-rdonly", map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 4, BPF_F_RDONLY));
	ONE("fd-by-id", fd_by_id(id, 0));
	ONE("fd-by-id-rdonly", fd_by_id(id, BPF_F_RDONLY));
	ONE("fd-by-id-wronly", fd_by_id(id, BPF_F_WRONLY));
	r = fd_by_id(id, BPF_F_RDONLY);
	if (r >= 0) {
		uint32_t k = 1;
		uint64_t v;

		errno = 0;
		res("rdonly-lookup", elem(BPF_MAP_LOOKUP_ELEM, r, &k, &v, 0));
		res("rdonly-update", update(r, 1, 1));
		close(r);
	}
#undef ONE
	/* three free numbers: the kernel hands out the lowest each time */
	close(fds[10]);
	close(fds[11]);
	close(fds[12]);
	a = map_create(BPF_MAP_TYPE_HASH, 4, 8, 4, BPF_F_RDONLY);
	b = map_create(BPF_MAP_TYPE_HASH, 4, 8, 4, BPF_F_WRONLY);
	c = fd_by_id(id, BPF_F_RDONLY);
	out("order", "%d %d %d", a - fds[10], b - fds[10], c - fds[10]);
}

