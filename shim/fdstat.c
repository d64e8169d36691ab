/* SPDX-License-Identifier: MIT */
/*
 * What an emulated object's fd says about itself, as the kernel's anonymous-inode file says it
 * (shim/fdops.c has the file operations and the hints these share): fcntl's flags, fstat() and
 * fstatfs() of the anonymous inode (and of the pin, for an O_PATH fd of one), poll's answer; and
 * the ways fd numbers change meaning that close() does not see (dup, F_DUPFD, SCM_RIGHTS,
 * fclose of a stream made with fdopen, freopen).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "preload.h"

REAL(int, fcntl, int, int, ...)
REAL(int, fcntl64, int, int, ...)
REAL(int, fstat, int, struct stat *)
REAL(int, fstat64, int, struct stat64 *)
REAL(int, __fxstat, int, int, struct stat *)
REAL(int, __fxstat64, int, int, struct stat64 *)
REAL(int, poll, struct pollfd *, nfds_t, int)
REAL(int, ppoll, struct pollfd *, nfds_t, const struct timespec *, const sigset_t *)
REAL(int, dup, int)
REAL(ssize_t, recvmsg, int, struct msghdr *, int)
REAL(int, fclose, FILE *)
REAL(int, socket, int, int, int)
REAL(int, socketpair, int, int, int, int *)
REAL(int, accept, int, struct sockaddr *, socklen_t *)
REAL(int, accept4, int, struct sockaddr *, socklen_t *, int)
REAL(int, pipe, int *)
REAL(int, pipe2, int *, int)
REAL(int, eventfd, unsigned, int)
REAL(int, memfd_create, const char *, unsigned)
REAL(int, epoll_create1, int)
REAL(FILE *, freopen, const char *, const char *, FILE *)
REAL(FILE *, freopen64, const char *, const char *, FILE *)

extern void __chk_fail(void) __attribute__((noreturn));

#define ACC(fl) ((fl) & O_ACCMODE)

static long fail(long err)
{
	errno = (int)-err;
	return -1;
}

/* ---- fcntl, dup ---- */

/* fcntl: the flags as the kernel's object file has them; O_DIRECT cannot be set on it; it has
 * no seals and takes no lease */
static bool fcntl_answer(int fd, int cmd, long arg, int *ret)
{
	int fl;

	switch (cmd) {
	case F_GETFL:
	case F_SETFL:
	case F_GET_SEALS:
	case F_ADD_SEALS:
	case F_SETLEASE:
		break;
	default:
		return false;
	}
	if (!shim_op_fd(fd, &fl))
		return false;
	if (cmd == F_GETFL) {
		*ret = shim_visible_flags(fl);
	} else if (cmd == F_SETFL && !(arg & O_DIRECT)) {
		return false;
	} else if (cmd == F_ADD_SEALS && ACC(fl) == O_RDONLY) {
		*ret = (int)fail(-EPERM); /* memfd_add_seals asks for write access first */
	} else {
		*ret = (int)fail(-EINVAL);
	}
	return true;
}

/* the new fd of F_DUPFD names what fd names */
static int fcntl_dup_result(int fd, int cmd, int r)
{
	if (r >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)) {
		emu_fdcache_forget(r);
		shim_hint_copy(fd, r);
		shim_poll_forget(r);
	}
	return r;
}

#define FCNTL_BODY(real)                                                                            \
	va_list ap;                                                                                 \
	long arg;                                                                                   \
	int r;                                                                                      \
	va_start(ap, cmd);                                                                          \
	arg = va_arg(ap, long);                                                                     \
	va_end(ap);                                                                                 \
	if (!depth && fcntl_answer(fd, cmd, arg, &r))                                               \
		return r;                                                                           \
	return fcntl_dup_result(fd, cmd, real()(fd, cmd, arg));

EXPORT int fcntl(int fd, int cmd, ...) { FCNTL_BODY(get_fcntl) }
EXPORT int fcntl64(int fd, int cmd, ...) { FCNTL_BODY(get_fcntl64) }

EXPORT int dup(int fd)
{
	int r = get_dup()(fd);

	if (r >= 0) {
		emu_fdcache_forget(r);
		shim_hint_copy(fd, r);
		shim_poll_forget(r);
	}
	return r;
}

/* ---- fstat, fstatfs ---- */

/*
 * What fstat() of fd shows when it names an object: the anonymous inode's stat; for an O_PATH fd
 * (the kernel's names the pin's own inode) the pin as bpffs shows it. Applied to st, which holds the
 * real stat of the fd. True when st was changed.
 */
bool shim_fix_stat(int fd, struct stat *st)
{
	int fl, kind;

	if (depth || !shim_hinted(fd))
		return false;
	depth++;
	kind = emu_fd_object_kind(fd, st);
	fl = kind ? get_fcntl()(fd, F_GETFL) : -1;
	depth--;
	if (!kind || fl < 0)
		return false;
	if (fl & O_PATH) {
		shim_pin_stat(st);
		return true;
	}
	return shim_anon_stat(st);
}

bool shim_fix_statx(int fd, struct statx *stx)
{
	struct stat st;
	int fl;

	if (!shim_object_fd(fd, &st, &fl))
		return false;
	if (fl & O_PATH) {
		stx->stx_size = 0;
		stx->stx_blocks = 0;
		stx->stx_nlink = 1;
		return true;
	}
	return shim_anon_statx(stx);
}

bool shim_fix_statfs(int fd, struct statfs *sfs)
{
	struct stat st;
	int fl;

	if (!shim_object_fd(fd, &st, &fl) || (fl & O_PATH))
		return false;
	return shim_anon_statfs(sfs);
}

static void stat_to_64(const struct stat *s, struct stat64 *d)
{
	d->st_dev = s->st_dev;
	d->st_ino = s->st_ino;
	d->st_mode = s->st_mode;
	d->st_nlink = s->st_nlink;
	d->st_uid = s->st_uid;
	d->st_gid = s->st_gid;
	d->st_rdev = s->st_rdev;
	d->st_size = s->st_size;
	d->st_blksize = s->st_blksize;
	d->st_blocks = s->st_blocks;
	d->st_atim = s->st_atim;
	d->st_mtim = s->st_mtim;
	d->st_ctim = s->st_ctim;
}

static void stat_from_64(const struct stat64 *s, struct stat *d)
{
	memset(d, 0, sizeof(*d));
	d->st_dev = s->st_dev;
	d->st_ino = (ino_t)s->st_ino;
	d->st_mode = s->st_mode;
	d->st_nlink = s->st_nlink;
	d->st_uid = s->st_uid;
	d->st_gid = s->st_gid;
	d->st_size = (off_t)s->st_size;
	d->st_blocks = (blkcnt_t)s->st_blocks;
}

bool shim_fix_stat64(int fd, struct stat64 *st)
{
	struct stat s;

	stat_from_64(st, &s);
	if (!shim_fix_stat(fd, &s))
		return false;
	stat_to_64(&s, st);
	return true;
}

EXPORT int fstat(int fd, struct stat *st)
{
	int r = get_fstat()(fd, st);

	if (!r)
		shim_fix_stat(fd, st);
	return r;
}

EXPORT int fstat64(int fd, struct stat64 *st)
{
	int r = get_fstat64()(fd, st);

	if (!r)
		shim_fix_stat64(fd, st);
	return r;
}

EXPORT int __fxstat(int ver, int fd, struct stat *st)
{
	int r = get___fxstat()(ver, fd, st);

	if (!r)
		shim_fix_stat(fd, st);
	return r;
}

EXPORT int __fxstat64(int ver, int fd, struct stat64 *st)
{
	int r = get___fxstat64()(ver, fd, st);

	if (!r)
		shim_fix_stat64(fd, st);
	return r;
}

/* ---- poll: what an object file reports, at once ---- */

/*
 * A map's file has bpf_map_poll: EPOLLERR for every map type but the ring buffers (whose answer
 * changes: a call with one among its fds is shim/poll.c's, shim_map_ppoll). A program's,
 * BTF object's or stats fd's file has no poll op, so the kernel reports DEFAULT_POLLMASK (readable
 * and writable) limited to the events asked for (and the errors always reported). Objects never
 * wait: their answer is known now. The rest are polled without waiting when an object is ready,
 * else with the caller's timeout; the objects' entries are hidden from the real call (a negative fd
 * is skipped).
 */
#define DEFAULT_POLLMASK (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)

static short object_revents(int kind, short events)
{
	if (kind == EMU_OBJ_MAP)
		return POLLERR;
	return (short)(DEFAULT_POLLMASK & ((unsigned short)events | POLLERR | POLLHUP));
}

/* kind[i]: the object fds[i] names (0: none); returns how many there are */
static int poll_objects(struct pollfd *fds, nfds_t n, int *kind, int *nobj)
{
	*nobj = 0;
	for (nfds_t i = 0; i < n && i < 4096; i++) {
		int fl;

		kind[i] = fds[i].fd >= 0 ? shim_op_fd(fds[i].fd, &fl) : 0;
		*nobj += !!kind[i];
	}
	return *nobj;
}

static int poll_with_objects(struct pollfd *fds, nfds_t n, const sigset_t *mask, bool use_ppoll, int timeout_ms,
			     const struct timespec *ts)
{
	int stack_kind[64], *kind = n <= 64 ? stack_kind : calloc(n, sizeof(int));
	struct timespec zero = { 0, 0 };
	int nobj = 0, ready = 0, r;

	if (!kind || n > 4096 || !poll_objects(fds, n, kind, &nobj)) {
		if (kind != stack_kind)
			free(kind);
		return use_ppoll ? get_ppoll()(fds, n, ts, mask) : get_poll()(fds, n, timeout_ms);
	}
	for (nfds_t i = 0; i < n; i++) {
		uint32_t rev;
		bool ring = false;

		if (kind[i] != EMU_OBJ_MAP)
			continue;
		depth++;
		if (emu_map_poll(fds[i].fd, &rev, &ring))
			ring = false;
		depth--;
		if (ring) { /* a ring buffer's readiness changes: shim/poll.c waits for it */
			if (kind != stack_kind)
				free(kind);
			return shim_map_ppoll(fds, n, timeout_ms, ts, use_ppoll, mask);
		}
	}
	for (nfds_t i = 0; i < n; i++) {
		if (kind[i]) {
			ready += object_revents(kind[i], fds[i].events) != 0;
			fds[i].fd = ~fds[i].fd; /* negative: skipped, and restored below */
		}
	}
	if (ready)
		r = use_ppoll ? get_ppoll()(fds, n, &zero, mask) : get_poll()(fds, n, 0);
	else
		r = use_ppoll ? get_ppoll()(fds, n, ts, mask) : get_poll()(fds, n, timeout_ms);
	for (nfds_t i = 0; i < n; i++) {
		if (kind[i]) {
			fds[i].fd = ~fds[i].fd;
			fds[i].revents = object_revents(kind[i], fds[i].events);
		}
	}
	if (kind != stack_kind)
		free(kind);
	return r < 0 ? r : r + ready;
}

EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	if (depth || !n)
		return get_poll()(fds, n, timeout);
	return poll_with_objects(fds, n, NULL, false, timeout, NULL);
}

EXPORT int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		__chk_fail();
	return poll(fds, n, timeout);
}

EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask)
{
	if (depth || !n)
		return get_ppoll()(fds, n, ts, mask);
	return poll_with_objects(fds, n, mask, true, 0, ts);
}

/* ---- fds that arrive or leave by ways close() does not see ---- */

/* SCM_RIGHTS: an object received is hinted */
EXPORT ssize_t recvmsg(int sock, struct msghdr *msg, int flags)
{
	ssize_t r = get_recvmsg()(sock, msg, flags);

	if (r >= 0 && !depth && msg && msg->msg_controllen) {
		for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
			size_t nfd;
			int fds[64];

			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
				continue;
			nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			if (nfd > 64)
				nfd = 64;
			memcpy(fds, CMSG_DATA(c), nfd * sizeof(int));
			for (size_t i = 0; i < nfd; i++) {
				struct stat st;

				emu_fdcache_forget(fds[i]);
				shim_hint_clear(fds[i]);
				depth++;
				if (!get_fstat()(fds[i], &st) && emu_fd_object_kind(fds[i], &st))
					shim_hint_set(fds[i]);
				depth--;
			}
		}
	}
	return r;
}

/*
 * New fds the program makes: a number the fd cache still holds for a map it closed without the
 * preload seeing it (a raw system call) is forgotten as soon as the number is handed out again.
 * open, openat and fopen do this in bpffs.c; here the other common ways to get an fd.
 */
static int fresh(int fd)
{
	if (fd >= 0) {
		emu_fdcache_forget(fd);
		shim_hint_clear(fd);
		shim_poll_forget(fd);
	}
	return fd;
}

static int fresh2(int r, const int *fds)
{
	if (!r) {
		fresh(fds[0]);
		fresh(fds[1]);
	}
	return r;
}

EXPORT int socket(int domain, int type, int proto) { return fresh(get_socket()(domain, type, proto)); }
EXPORT int socketpair(int domain, int type, int proto, int sv[2])
{
	return fresh2(get_socketpair()(domain, type, proto, sv), sv);
}
EXPORT int accept(int s, struct sockaddr *a, socklen_t *l) { return fresh(get_accept()(s, a, l)); }
EXPORT int accept4(int s, struct sockaddr *a, socklen_t *l, int fl) { return fresh(get_accept4()(s, a, l, fl)); }
EXPORT int pipe(int fds[2]) { return fresh2(get_pipe()(fds), fds); }
EXPORT int pipe2(int fds[2], int fl) { return fresh2(get_pipe2()(fds, fl), fds); }
EXPORT int eventfd(unsigned v, int fl) { return fresh(get_eventfd()(v, fl)); }
EXPORT int memfd_create(const char *name, unsigned fl) { return fresh(get_memfd_create()(name, fl)); }
EXPORT int epoll_create1(int fl) { return fresh(get_epoll_create1()(fl)); }

/* A stream's fd is closed inside the C library (fclose(fdopen(map_fd)), freopen), where the
 * interposed close() never sees it: the number is forgotten here. */
EXPORT int fclose(FILE *f)
{
	int fd = f ? fileno(f) : -1;

	if (fd >= 0) {
		emu_fdcache_forget(fd);
		shim_hint_clear(fd);
		shim_poll_forget(fd);
	}
	return get_fclose()(f);
}

#define FREOPEN_BODY(real)                                                                          \
	int fd = f ? fileno(f) : -1;                                                                \
	FILE *r;                                                                                    \
	if (fd >= 0) {                                                                              \
		emu_fdcache_forget(fd);                                                             \
		shim_hint_clear(fd);                                                                \
	}                                                                                           \
	r = real()(path, mode, f);                                                                  \
	if (r)                                                                                      \
		emu_fdcache_forget(fileno(r));                                                      \
	return r;

EXPORT FILE *freopen(const char *path, const char *mode, FILE *f) { FREOPEN_BODY(get_freopen) }
EXPORT FILE *freopen64(const char *path, const char *mode, FILE *f) { FREOPEN_BODY(get_freopen64) }

