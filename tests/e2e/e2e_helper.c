/* SPDX-License-Identifier: MIT */
/*
 * The end-to-end tests' own client: what a program does with map fds across processes, through
 * glibc's syscall() as most programs do, so under bpfemu-run the preload answers it and without it
 * the kernel does. Every mode must pass on the kernel as root and under the shim as nobody; the
 * first is what keeps the test itself honest.
 *
 *   e2e_helper probe    exit 0 if bpf() can create a map here, else print why and exit 1
 *   e2e_helper fork     children update a shared map, the parent sees every update (and back)
 *   e2e_helper socket   a map fd passed over a unix socket (both ways) is the same map
 *   e2e_helper fds      dup/dup2/dup3/F_DUPFD share the map; close gives EBADF; close-on-exec;
 *                       other syscalls keep all six arguments
 *   e2e_helper trace    a fixed call sequence for the trace test; prints "pid=P fd=F"
 *   e2e_helper hold FILE  creates hash map "e2e_held" with key 1 -> 7, prints "ready" and holds
 *                       it, unpinned, until FILE exists (at most 60 s): another process's view
 *
 * Exit 0 on success, 1 with "e2e_helper MODE: what failed" on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/bpf.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* libbpf's sizes for these commands: the preload must not assume sizeof(union bpf_attr). */
#define ELEM_ATTR_SZ (offsetof(union bpf_attr, flags) + sizeof(__u64))
#define CREATE_ATTR_SZ (offsetof(union bpf_attr, map_extra) + sizeof(__u64))
#define INFO_ATTR_SZ (offsetof(union bpf_attr, info.info) + sizeof(__u64))

static const char *mode = "?";

static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	fprintf(stderr, "e2e_helper %s [pid %d]: ", mode, (int)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (errno %d: %s)\n", e, strerror(e));
	exit(1);
}

static long sys_bpf(int cmd, union bpf_attr *attr, size_t size)
{
	return syscall(__NR_bpf, cmd, attr, size);
}

static int map_create(__u32 type, __u32 ksz, __u32 vsz, __u32 max, const char *name)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_type = type;
	a.key_size = ksz;
	a.value_size = vsz;
	a.max_entries = max;
	strncpy(a.map_name, name, sizeof(a.map_name) - 1);
	return (int)sys_bpf(BPF_MAP_CREATE, &a, CREATE_ATTR_SZ);
}

static int elem(int cmd, int fd, const void *key, void *value, __u64 flags)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = (__u32)fd;
	a.key = (uintptr_t)key;
	a.value = (uintptr_t)value;
	a.flags = flags;
	return (int)sys_bpf(cmd, &a, ELEM_ATTR_SZ);
}

static int update(int fd, const void *key, const void *value, __u64 flags)
{
	return elem(BPF_MAP_UPDATE_ELEM, fd, key, (void *)value, flags);
}

static int lookup(int fd, const void *key, void *value)
{
	return elem(BPF_MAP_LOOKUP_ELEM, fd, key, value, 0);
}

static int delete(int fd, const void *key)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = (__u32)fd;
	a.key = (uintptr_t)key;
	return (int)sys_bpf(BPF_MAP_DELETE_ELEM, &a, ELEM_ATTR_SZ);
}

static int next_key(int fd, const void *key, void *next)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = (__u32)fd;
	a.key = (uintptr_t)key;
	a.next_key = (uintptr_t)next;
	return (int)sys_bpf(BPF_MAP_GET_NEXT_KEY, &a, ELEM_ATTR_SZ);
}

static int map_info(int fd, struct bpf_map_info *info)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	memset(info, 0, sizeof(*info));
	a.info.bpf_fd = (__u32)fd;
	a.info.info_len = sizeof(*info);
	a.info.info = (uintptr_t)info;
	return (int)sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a, INFO_ATTR_SZ);
}

static void expect_errno(int ret, int want, const char *what)
{
	if (ret >= 0)
		fail("%s succeeded, expected errno %d (%s)", what, want, strerror(want));
	if (errno != want)
		fail("%s: expected errno %d (%s)", what, want, strerror(want));
}

static __u64 must_lookup(int fd, __u32 key, const char *what)
{
	__u64 v;

	if (lookup(fd, &key, &v))
		fail("%s: lookup of key %u", what, key);
	return v;
}

static void wait_ok(pid_t pid, const char *what)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		fail("waitpid(%s)", what);
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		errno = 0;
		fail("%s exited with status %#x", what, st);
	}
}

/* ---- probe ---- */

static int do_probe(void)
{
	int fd = map_create(BPF_MAP_TYPE_ARRAY, 4, 4, 1, "e2e_probe");

	if (fd < 0) {
		printf("bpf(BPF_MAP_CREATE) fails here: %s\n", strerror(errno));
		return 1;
	}
	close(fd);
	return 0;
}

/* ---- fork ---- */

#define NCHILD 4
#define PER_CHILD 32
#define SHARED_KEY 9999u
#define PRE_FORK_KEY 5000u
#define DOOMED_KEY 5001u /* the parent's, deleted by child 0 */
#define POST_FORK_KEY 6000u

static void child_updates(int fd, int i, int go)
{
	char c;

	for (__u32 j = 0; j < PER_CHILD; j++) {
		__u32 k = (__u32)i * PER_CHILD + j;
		__u64 v = (__u64)(i + 1) * 1000 + j;

		if (update(fd, &k, &v, BPF_NOEXIST))
			fail("child %d: update of key %u", i, k);
		/* every child hammers one key too: process-shared locking, not just disjoint buckets */
		v = (__u64)(i + 1) << 32 | j;
		if (update(fd, &(__u32){ SHARED_KEY }, &v, BPF_ANY))
			fail("child %d: update of the shared key", i);
	}
	if (must_lookup(fd, PRE_FORK_KEY, "child") != 1)
		fail("child %d: the parent's pre-fork value is wrong", i);
	if (i == 0 && delete(fd, &(__u32){ DOOMED_KEY }))
		fail("child 0: delete of the parent's key");
	/* then wait for the parent's post-fork update, and see it */
	if (read(go, &c, 1) != 1)
		fail("child %d: read of the go pipe", i);
	if (must_lookup(fd, POST_FORK_KEY, "child") != 77)
		fail("child %d: the parent's post-fork update is not visible", i);
	exit(0);
}

static int do_fork(void)
{
	int fd = map_create(BPF_MAP_TYPE_HASH, 4, 8, 1024, "e2e_fork");
	__u64 v = 1;
	pid_t pids[NCHILD];
	int go[2], count = 0;
	__u32 k, prev;
	const void *pk = NULL;

	if (fd < 0)
		fail("map create");
	if (update(fd, &(__u32){ PRE_FORK_KEY }, &v, BPF_ANY) || update(fd, &(__u32){ DOOMED_KEY }, &v, BPF_ANY))
		fail("pre-fork update");
	if (pipe(go))
		fail("pipe");
	for (int i = 0; i < NCHILD; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			fail("fork");
		if (pids[i] == 0) {
			close(go[1]);
			child_updates(fd, i, go[0]);
		}
	}
	close(go[0]);
	v = 77;
	if (update(fd, &(__u32){ POST_FORK_KEY }, &v, BPF_NOEXIST))
		fail("post-fork update");
	for (int i = 0; i < NCHILD; i++)
		if (write(go[1], "g", 1) != 1)
			fail("write to the go pipe");
	for (int i = 0; i < NCHILD; i++)
		wait_ok(pids[i], "a child");
	close(go[1]);

	for (int i = 0; i < NCHILD; i++)
		for (__u32 j = 0; j < PER_CHILD; j++) {
			k = (__u32)i * PER_CHILD + j;
			if (must_lookup(fd, k, "parent") != (__u64)(i + 1) * 1000 + j) {
				errno = 0;
				fail("parent: key %u has the wrong value", k);
			}
		}
	v = must_lookup(fd, SHARED_KEY, "parent");
	if ((v >> 32) < 1 || (v >> 32) > NCHILD || (v & 0xffffffff) != PER_CHILD - 1) {
		errno = 0;
		fail("parent: the shared key holds %#llx, not some child's last update", (unsigned long long)v);
	}
	expect_errno(lookup(fd, &(__u32){ DOOMED_KEY }, &v), ENOENT, "parent: lookup of the key child 0 deleted");
	while (next_key(fd, pk, &k) == 0) {
		count++;
		prev = k;
		pk = &prev;
	}
	if (errno != ENOENT)
		fail("parent: get_next_key walk");
	if (count != NCHILD * PER_CHILD + 3) {
		errno = 0;
		fail("parent: walk found %d keys, want %d", count, NCHILD * PER_CHILD + 3);
	}
	printf("fork: %d children, %d keys seen by the parent\n", NCHILD, count);
	close(fd);
	return 0;
}

/* ---- socket ---- */

static void send_fd(int sock, int fd, __u32 id)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &id, .iov_len = sizeof(id) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;

	memset(cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(sock, &msg, 0) != sizeof(id))
		fail("sendmsg");
}

static int recv_fd(int sock, __u32 *id)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = id, .iov_len = sizeof(*id) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != sizeof(*id))
		fail("recvmsg");
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS) {
		errno = 0;
		fail("recvmsg: no fd");
	}
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

static void check_same_map(int fd, __u32 id, const char *who)
{
	struct bpf_map_info info;

	if (map_info(fd, &info))
		fail("%s: info of the received fd", who);
	if (info.id != id || info.type != BPF_MAP_TYPE_ARRAY || strcmp(info.name, "e2e_sock")) {
		errno = 0;
		fail("%s: received map id %u type %u name %s, sent id %u", who, info.id, info.type, info.name, id);
	}
}

static int do_socket(void)
{
	struct bpf_map_info info;
	int sv[2], fd, back;
	__u64 v = 42;
	__u32 id;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		fail("socketpair");
	pid = fork();
	if (pid < 0)
		fail("fork");
	if (pid == 0) {
		/* the child was forked before the map existed: only the socket can give it the map */
		close(sv[0]);
		fd = recv_fd(sv[1], &id);
		check_same_map(fd, id, "child");
		if (must_lookup(fd, 0, "child") != 42) {
			errno = 0;
			fail("child: the parent's value is not in the received map");
		}
		v = 43;
		if (update(fd, &(__u32){ 1 }, &v, BPF_ANY))
			fail("child: update through the received fd");
		send_fd(sv[1], fd, id);
		close(fd);
		exit(0);
	}
	close(sv[1]);
	fd = map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 4, "e2e_sock");
	if (fd < 0)
		fail("map create");
	if (update(fd, &(__u32){ 0 }, &v, BPF_ANY))
		fail("update");
	if (map_info(fd, &info))
		fail("info");
	id = info.id;
	send_fd(sv[0], fd, id);
	/* the fd in flight and the child's copy keep the map alive without ours */
	close(fd);
	back = recv_fd(sv[0], &id);
	wait_ok(pid, "the child");
	check_same_map(back, id, "parent");
	if (must_lookup(back, 1, "parent") != 43) {
		errno = 0;
		fail("parent: the child's update is not in the map that came back");
	}
	if (must_lookup(back, 0, "parent") != 42) {
		errno = 0;
		fail("parent: the first value is gone");
	}
	close(back);
	expect_errno(lookup(back, &(__u32){ 0 }, &v), EBADF, "lookup after close");
	printf("socket: the map went to the child and back, id %s\n", id ? "kept" : "zero");
	return 0;
}

/* ---- fds ---- */

static int do_fds_exec_child(int fd, int cloexec_fd)
{
	__u64 v;

	mode = "fds (after exec)";
	expect_errno(lookup(cloexec_fd, &(__u32){ 0 }, &v), EBADF, "lookup of a close-on-exec fd after exec");
	if (must_lookup(fd, 0, "after exec") != 5) {
		errno = 0;
		fail("the inherited fd does not show the value");
	}
	v = 6;
	if (update(fd, &(__u32){ 0 }, &v, BPF_ANY))
		fail("update through the inherited fd");
	return 0;
}

/* syscall() with another number than bpf's passes all six arguments on: mmap's offset is the
 * seventh of syscall()'s own, the one the caller leaves on the stack. */
static void check_syscall_args(void)
{
	long page = sysconf(_SC_PAGESIZE);
	int mfd = memfd_create("e2e_args", MFD_CLOEXEC);
	char *p;

	if (mfd < 0 || ftruncate(mfd, 2 * page) || pwrite(mfd, "x", 1, page) != 1)
		fail("memfd");
	p = (char *)syscall(SYS_mmap, NULL, page, PROT_READ, MAP_SHARED, mfd, page);
	if (p == MAP_FAILED)
		fail("syscall(SYS_mmap) with an offset");
	if (p[0] != 'x') {
		errno = 0;
		fail("syscall(SYS_mmap) mapped another page than the one at its offset");
	}
	munmap(p, page);
	close(mfd);
}

static int do_fds(char **argv)
{
	int fd = map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 2, "e2e_fds");
	int d1, d2, d3, d4, null, flags;
	__u64 v = 5;
	char a1[16], a2[16];
	pid_t pid;

	if (fd < 0)
		fail("map create");
	flags = fcntl(fd, F_GETFD);
	if (flags < 0 || !(flags & FD_CLOEXEC)) {
		errno = 0;
		fail("a new map fd is not close-on-exec (F_GETFD %d)", flags);
	}
	if (update(fd, &(__u32){ 0 }, &v, BPF_ANY))
		fail("update");
	d1 = dup(fd);
	d2 = dup2(fd, 100);
	d3 = dup3(fd, 101, O_CLOEXEC);
	d4 = fcntl(fd, F_DUPFD_CLOEXEC, 200);
	if (d1 < 0 || d2 != 100 || d3 != 101 || d4 < 200)
		fail("dup");
	v = 9;
	if (update(d2, &(__u32){ 1 }, &v, BPF_ANY))
		fail("update through dup2");
	if (must_lookup(d4, 1, "F_DUPFD copy") != 9 || must_lookup(d1, 0, "dup copy") != 5) {
		errno = 0;
		fail("the copies do not share one map");
	}
	close(fd);
	expect_errno(lookup(fd, &(__u32){ 0 }, &v), EBADF, "lookup after close");
	expect_errno(update(fd, &(__u32){ 0 }, &v, BPF_ANY), EBADF, "update after close");
	if (must_lookup(d3, 1, "dup3 copy after close of the original") != 9) {
		errno = 0;
		fail("closing the original lost the map");
	}
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null < 0)
		fail("open /dev/null");
	expect_errno(lookup(null, &(__u32){ 0 }, &v), EINVAL, "lookup on /dev/null");
	close(null);

	/* exec: d1 is inheritable (dup clears close-on-exec), d3 is not */
	snprintf(a1, sizeof(a1), "%d", d1);
	snprintf(a2, sizeof(a2), "%d", d3);
	pid = fork();
	if (pid < 0)
		fail("fork");
	if (pid == 0) {
		execl("/proc/self/exe", argv[0], "fds-exec-child", a1, a2, (char *)NULL);
		fail("exec");
	}
	wait_ok(pid, "the exec'd child");
	if (must_lookup(d2, 0, "after the exec'd child") != 6) {
		errno = 0;
		fail("the exec'd child's update is not visible");
	}
	close(d1);
	close(d2);
	close(d3);
	close(d4);
	expect_errno(lookup(d4, &(__u32){ 0 }, &v), EBADF, "lookup after closing every copy");
	check_syscall_args();
	printf("fds: dup, dup2, dup3, F_DUPFD_CLOEXEC, close and exec behave; syscall() passes six arguments\n");
	return 0;
}

/* ---- trace ---- */

static int do_trace(void)
{
	int fd = map_create(BPF_MAP_TYPE_HASH, 4, 8, 4, "e2e_trace");
	__u32 k1 = 1, k2 = 2, nk;
	__u64 v = 10;

	if (fd < 0)
		fail("map create");
	printf("pid=%d fd=%d\n", (int)getpid(), fd);
	fflush(stdout);
	if (update(fd, &k1, &v, BPF_ANY))
		fail("update");
	if (lookup(fd, &k1, &v) || v != 10)
		fail("lookup");
	expect_errno(lookup(fd, &k2, &v), ENOENT, "lookup of a missing key");
	v = 11;
	expect_errno(update(fd, &k1, &v, BPF_NOEXIST), EEXIST, "update BPF_NOEXIST");
	v = 12;
	if (update(fd, &k1, &v, BPF_EXIST))
		fail("update BPF_EXIST");
	if (delete(fd, &k1))
		fail("delete");
	expect_errno(next_key(fd, NULL, &nk), ENOENT, "get_next_key of an empty map");
	close(fd);
	return 0;
}

static int do_hold(const char *release)
{
	__u32 key = 1;
	__u64 value = 7;
	int fd, i;

	fd = map_create(BPF_MAP_TYPE_HASH, sizeof(key), sizeof(value), 4, "e2e_held");
	if (fd < 0)
		fail("map_create");
	if (update(fd, &key, &value, BPF_ANY))
		fail("update");
	printf("ready\n");
	for (i = 0; i < 6000 && access(release, F_OK); i++)
		usleep(10000);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: e2e_helper probe|fork|socket|fds|trace|hold FILE\n");
		return 2;
	}
	mode = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(mode, "probe"))
		return do_probe();
	if (!strcmp(mode, "fork"))
		return do_fork();
	if (!strcmp(mode, "socket"))
		return do_socket();
	if (!strcmp(mode, "fds"))
		return do_fds(argv);
	if (!strcmp(mode, "fds-exec-child") && argc == 4)
		return do_fds_exec_child(atoi(argv[2]), atoi(argv[3]));
	if (!strcmp(mode, "trace"))
		return do_trace();
	if (!strcmp(mode, "hold") && argc == 3)
		return do_hold(argv[2]);
	fprintf(stderr, "e2e_helper: unknown mode %s\n", mode);
	return 2;
}
