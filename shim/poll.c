/* SPDX-License-Identifier: MIT */
/*
 * poll, select and epoll on map fds, as the kernel's bpf_map_poll answers them: a RINGBUF is
 * readable while it holds data, a USER_RINGBUF writable while it has room, every other map is
 * EPOLLERR. An emulated map fd is a regular file, which poll() reports always ready and
 * epoll_ctl() refuses (EPERM), so the preload answers for map fds itself.
 *
 * Why interposition, and not another kind of file as the map fd: the fd must stay the map file
 * (its identity is the map's everywhere: dup, fork, SCM_RIGHTS, pins, mmap of its pages), and no
 * file the kernel can poll says "ring has data" by itself — readiness is a comparison of two
 * positions in shared memory that user space moves with plain stores (libbpf's consumer writes
 * consumer_pos and never tells anyone). Any pollable stand-in (a FIFO, an eventfd) would have to
 * be drained by someone exactly when a consumer catches up, which nobody does. So readiness is
 * computed here, level-triggered, from the ring (emu_map_poll), and only the sleeping is left to
 * the kernel:
 *
 * - Wakeups cross processes as inotify events on the map file. A producer that commits a record
 *   the consumer waits for (the kernel's rule: the consumer caught up with it, or
 *   BPF_RB_FORCE_WAKEUP) opens the map file by its registry name, if a waiter announced itself in
 *   the ring's meta (emu/maps/ringbuf.h: a waiter announces, then looks, then sleeps; a producer
 *   publishes, then looks for waiters — one of them sees the other). Every waiter watches the file
 *   with an inotify fd of its own, so every one of them is woken, in any process.
 * - epoll_ctl(ADD) of a map fd registers it here: a ring's registration puts its inotify fd into
 *   the epoll set (tagged, so its events are told from the program's), another map's puts
 *   nothing in (it is always ready: EPOLLERR). epoll_wait reports the registrations that are
 *   ready before it sleeps, and after the kernel's epoll_wait returns; an inotify event is
 *   drained and stands for nothing by itself. EPOLLONESHOT and EPOLLET are kept per
 *   registration (an edge is a wakeup since the last report).
 * - poll/ppoll/select/pselect with a map fd among the fds answer the maps themselves and put a
 *   short-lived inotify fd in place of each ring while they sleep.
 *
 * Only fds the preload has seen as objects (shim_hinted: the fd cache, the new-fd hints) are
 * looked at in poll/select (poll and ppoll are shim/fdstat.c's, which hands a call with a ring
 * among its fds to shim_map_ppoll), so other programs' event loops pay one load per
 * fd; epoll_ctl looks only where the kernel said EPERM. A registration goes when its fd or its
 * epoll fd is closed here (close, dup2 onto it), where the kernel's goes when the last fd of the
 * file closes: a dup of a registered map fd does not keep the registration.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "preload.h"

REAL(int, epoll_ctl, int, int, int, struct epoll_event *)
REAL(int, epoll_wait, int, struct epoll_event *, int, int)
REAL(int, epoll_pwait, int, struct epoll_event *, int, int, const sigset_t *)
REAL(int, epoll_pwait2, int, struct epoll_event *, int, const struct timespec *, const sigset_t *)
REAL(int, ppoll, struct pollfd *, nfds_t, const struct timespec *, const sigset_t *)

#define TAG_MAGIC 0x6270666572696e67ull /* "bpfering": told apart from the program's data */

struct reg {
	int epfd, fd;
	uint32_t events;
	uint64_t data;
	int ifd; /* the ring's inotify fd in the epoll set, -1 for other maps */
	bool disabled; /* EPOLLONESHOT fired */
	bool edge_seen; /* EPOLLET: reported since the last wakeup */
	struct reg *next;
};

static struct reg *regs;
static int nregs;
static pthread_mutex_t regs_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t tag_of(const struct reg *r) { return ((uint64_t)(uintptr_t)r) ^ TAG_MAGIC; }

/* A fresh inotify fd watching the map file fd names for opens (the producers' wakeups). */
static int watch_fd(int fd)
{
	char path[64];
	int ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (ifd < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (inotify_add_watch(ifd, path, IN_OPEN) < 0) {
		close(ifd);
		return -1;
	}
	return ifd;
}

static void drain(int ifd)
{
	char buf[1024];

	while (read(ifd, buf, sizeof(buf)) > 0)
		;
}

static bool is_epoll_fd(int fd)
{
	char path[64], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = 0;
	return !strcmp(target, "anon_inode:[eventpoll]");
}

static struct reg *find_locked(int epfd, int fd)
{
	for (struct reg *r = regs; r; r = r->next)
		if (r->epfd == epfd && r->fd == fd)
			return r;
	return NULL;
}

/* Registrations are kept in the order they became ready in, as the kernel's ready list: a new one
 * and one just reported (level-triggered, so ready again) go to the end. */
static void append_locked(struct reg *r)
{
	struct reg **pp = &regs;

	while (*pp)
		pp = &(*pp)->next;
	r->next = NULL;
	*pp = r;
}

static void unlink_locked(struct reg *r)
{
	for (struct reg **pp = &regs; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			return;
		}
}

static void drop_locked(struct reg **pp)
{
	struct reg *r = *pp;

	*pp = r->next;
	if (r->ifd >= 0) {
		get_epoll_ctl()(r->epfd, EPOLL_CTL_DEL, r->ifd, NULL);
		depth++; /* our own fd: not the program's close (which would come back here) */
		close(r->ifd);
		depth--;
	}
	free(r);
	nregs--;
}

/* epoll_ctl for a map fd, after the kernel said EPERM (a regular file): the checks the kernel
 * makes after the one that failed, then the registration. */
static int map_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	uint32_t revents;
	bool ring;
	struct reg *r;
	int err = 0;

	depth++;
	if (emu_map_poll(fd, &revents, &ring)) {
		depth--;
		return -EPERM; /* not a map: the kernel's answer stands */
	}
	depth--;
	if (!is_epoll_fd(epfd))
		return -EINVAL;
	if ((op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD) && (ev->events & EPOLLEXCLUSIVE)) {
		if (op == EPOLL_CTL_MOD ||
		    (ev->events & ~(EPOLLEXCLUSIVE | EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET)))
			return -EINVAL;
	}
	pthread_mutex_lock(&regs_lock);
	r = find_locked(epfd, fd);
	switch (op) {
	case EPOLL_CTL_ADD:
		if (r) {
			err = -EEXIST;
			break;
		}
		r = calloc(1, sizeof(*r));
		if (!r) {
			err = -ENOMEM;
			break;
		}
		r->epfd = epfd;
		r->fd = fd;
		r->events = ev->events;
		r->data = ev->data.u64;
		r->ifd = -1;
		if (ring) {
			struct epoll_event iev = { .events = EPOLLIN };

			r->ifd = watch_fd(fd);
			iev.data.u64 = tag_of(r);
			if (r->ifd < 0 || get_epoll_ctl()(epfd, EPOLL_CTL_ADD, r->ifd, &iev)) {
				err = -errno;
				depth++;
				if (r->ifd >= 0)
					close(r->ifd);
				depth--;
				free(r);
				break;
			}
		}
		append_locked(r);
		nregs++;
		if (shim_debug)
			shim_log("epoll_ctl(%d, ADD, map fd %d): emulated (%s)", epfd, fd, ring ? "ring" : "EPOLLERR");
		break;
	case EPOLL_CTL_MOD:
		if (!r) {
			err = -ENOENT;
			break;
		}
		r->events = ev->events;
		r->data = ev->data.u64;
		r->disabled = false;
		r->edge_seen = false;
		break;
	case EPOLL_CTL_DEL:
		if (!r) {
			err = -ENOENT;
			break;
		}
		for (struct reg **pp = &regs; *pp; pp = &(*pp)->next)
			if (*pp == r) {
				drop_locked(pp);
				break;
			}
		break;
	default:
		err = -EINVAL;
	}
	pthread_mutex_unlock(&regs_lock);
	return err;
}

EXPORT int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	int r = get_epoll_ctl()(epfd, op, fd, ev), err = errno;

	if (depth || !(r < 0 && (err == EPERM || (op == EPOLL_CTL_DEL && err == ENOENT))))
		return r;
	if (op != EPOLL_CTL_DEL && !ev) {
		errno = EFAULT;
		return -1;
	}
	r = map_epoll_ctl(epfd, op, fd, ev);
	if (r < 0) {
		errno = r == -EPERM ? err : -r;
		return -1;
	}
	return 0;
}

/* Drop what the program's fd number fd named here: a registered map fd, or an epoll fd. */
void shim_poll_forget(int fd)
{
	if (depth || !__atomic_load_n(&nregs, __ATOMIC_RELAXED))
		return;
	pthread_mutex_lock(&regs_lock);
	for (struct reg **pp = &regs; *pp;) {
		if ((*pp)->fd == fd || (*pp)->epfd == fd)
			drop_locked(pp);
		else
			pp = &(*pp)->next;
	}
	pthread_mutex_unlock(&regs_lock);
}

/* The registrations of epfd that are ready now, into ev (room for max); the count. */
static int ready_locked(int epfd, struct epoll_event *ev, int max)
{
	struct reg *reported[64];
	int n = 0, nrep = 0;

	for (struct reg *r = regs; r && n < max; r = r->next) {
		uint32_t revents;
		bool ring;

		if (r->epfd != epfd || r->disabled)
			continue;
		depth++;
		if (emu_map_poll(r->fd, &revents, &ring))
			revents = 0; /* closed behind our back: nothing */
		depth--;
		revents &= r->events | EPOLLERR | EPOLLHUP;
		if (!revents)
			continue;
		if (r->events & EPOLLET) {
			if (r->edge_seen)
				continue;
			r->edge_seen = true;
		}
		if (r->events & EPOLLONESHOT)
			r->disabled = true;
		ev[n].events = revents;
		ev[n].data.u64 = r->data;
		n++;
		if (nrep < 64)
			reported[nrep++] = r;
	}
	for (int i = 0; i < nrep; i++) {
		unlink_locked(reported[i]);
		append_locked(reported[i]);
	}
	return n;
}

/* Events the kernel's epoll_wait returned: ours (a ring's inotify fd) drained and dropped, the
 * program's kept. Returns the count kept. */
static int filter_locked(struct epoll_event *ev, int n)
{
	int k = 0;

	for (int i = 0; i < n; i++) {
		struct reg *r;

		for (r = regs; r; r = r->next)
			if (r->ifd >= 0 && ev[i].data.u64 == tag_of(r))
				break;
		if (r) {
			drain(r->ifd);
			r->edge_seen = false; /* a wakeup: a new edge */
			continue;
		}
		ev[k++] = ev[i];
	}
	return k;
}

static void ring_waits(int epfd, bool begin)
{
	pthread_mutex_lock(&regs_lock);
	depth++;
	for (struct reg *r = regs; r; r = r->next)
		if (r->epfd == epfd && r->ifd >= 0)
			emu_map_poll_wait(r->fd, begin);
	depth--;
	pthread_mutex_unlock(&regs_lock);
}

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* The time left until deadline (-1: none) as the sleeping call's timeout: *tsp, or NULL. */
static const struct timespec *time_left(int64_t deadline, struct timespec *ts)
{
	int64_t left;

	if (deadline < 0)
		return NULL;
	left = deadline - now_ns();
	if (left < 0)
		left = 0;
	ts->tv_sec = left / 1000000000;
	ts->tv_nsec = left % 1000000000;
	return ts;
}

static bool has_regs(int epfd)
{
	bool found = false;

	if (!__atomic_load_n(&nregs, __ATOMIC_RELAXED))
		return false;
	pthread_mutex_lock(&regs_lock);
	for (struct reg *r = regs; r && !found; r = r->next)
		found = r->epfd == epfd;
	pthread_mutex_unlock(&regs_lock);
	return found;
}

/* epoll_wait for an epoll fd with map registrations; timeout_ns < 0: forever. */
static int map_epoll_wait(int epfd, struct epoll_event *ev, int max, int64_t timeout_ns, const sigset_t *sigmask)
{
	int64_t deadline = timeout_ns < 0 ? -1 : now_ns() + timeout_ns;
	bool announced = false;
	int ret;

	if (max <= 0) {
		errno = EINVAL;
		return -1;
	}
	if (!emu_user_writable(ev) || !emu_user_writable((char *)(ev + max) - 1)) {
		errno = EFAULT;
		return -1;
	}
	for (;;) {
		struct timespec ts;
		const struct timespec *tsp;
		int n, k;

		pthread_mutex_lock(&regs_lock);
		n = ready_locked(epfd, ev, max);
		pthread_mutex_unlock(&regs_lock);
		if (!n && !announced) {
			/* announce, then look once more before sleeping (see the top of the file) */
			ring_waits(epfd, true);
			announced = true;
			pthread_mutex_lock(&regs_lock);
			n = ready_locked(epfd, ev, max);
			pthread_mutex_unlock(&regs_lock);
		}
		if (n) {
			/* and what else is ready now, without waiting */
			k = get_epoll_pwait2()(epfd, ev + n, max - n, &(struct timespec){ 0, 0 }, NULL);
			if (k > 0) {
				pthread_mutex_lock(&regs_lock);
				k = filter_locked(ev + n, k);
				pthread_mutex_unlock(&regs_lock);
			}
			ret = n + (k > 0 ? k : 0);
			break;
		}
		tsp = time_left(deadline, &ts);
		k = get_epoll_pwait2()(epfd, ev, max, tsp, sigmask);
		if (k < 0) {
			ret = -1;
			break;
		}
		pthread_mutex_lock(&regs_lock);
		k = filter_locked(ev, k);
		n = ready_locked(epfd, ev + k, max - k);
		pthread_mutex_unlock(&regs_lock);
		if (k + n || (deadline >= 0 && now_ns() >= deadline)) {
			ret = k + n;
			break;
		}
	}
	if (announced) {
		int err = errno;

		ring_waits(epfd, false);
		errno = err;
	}
	return ret;
}

static int64_t ms_to_ns(int ms) { return ms < 0 ? -1 : (int64_t)ms * 1000000; }
static int64_t ts_to_ns(const struct timespec *t)
{
	return t ? (int64_t)t->tv_sec * 1000000000 + t->tv_nsec : -1;
}

EXPORT int epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout)
{
	if (depth || !has_regs(epfd))
		return get_epoll_wait()(epfd, ev, max, timeout);
	return map_epoll_wait(epfd, ev, max, ms_to_ns(timeout), NULL);
}

EXPORT int epoll_pwait(int epfd, struct epoll_event *ev, int max, int timeout, const sigset_t *sigmask)
{
	if (depth || !has_regs(epfd))
		return get_epoll_pwait()(epfd, ev, max, timeout, sigmask);
	return map_epoll_wait(epfd, ev, max, ms_to_ns(timeout), sigmask);
}

EXPORT int epoll_pwait2(int epfd, struct epoll_event *ev, int max, const struct timespec *t, const sigset_t *sigmask)
{
	if (depth || !has_regs(epfd))
		return get_epoll_pwait2()(epfd, ev, max, t, sigmask);
	return map_epoll_wait(epfd, ev, max, ts_to_ns(t), sigmask);
}

/* ---- poll, ppoll, select, pselect ---- */

/* poll() over fds some of which are maps. */
static int map_ppoll(struct pollfd *fds, nfds_t n, int64_t timeout_ns, const sigset_t *sigmask)
{
	int64_t deadline = timeout_ns < 0 ? -1 : now_ns() + timeout_ns;
	struct pollfd *tmp = calloc(n ? n : 1, sizeof(*tmp));
	uint32_t *kind = calloc(n ? n : 1, sizeof(*kind)); /* 0 not a map, 1 a map, 2 a ring */
	int ret;

	if (!tmp || !kind) {
		free(tmp);
		free(kind);
		errno = ENOMEM;
		return -1;
	}
	for (nfds_t i = 0; i < n; i++) {
		uint32_t rev;
		bool ring;

		depth++;
		if (shim_hinted(fds[i].fd) && !emu_map_poll(fds[i].fd, &rev, &ring))
			kind[i] = ring ? 2 : 1;
		depth--;
	}
	for (int round = 0;; round++) {
		struct timespec ts;
		const struct timespec *tsp;
		int ready = 0, k;

		for (nfds_t i = 0; i < n; i++) {
			uint32_t rev = 0;
			bool ring;

			tmp[i] = fds[i];
			tmp[i].revents = 0;
			if (!kind[i])
				continue;
			depth++;
			if (emu_map_poll(fds[i].fd, &rev, &ring))
				rev = POLLNVAL;
			depth--;
			fds[i].revents = (short)(rev & ((uint16_t)fds[i].events | POLLERR | POLLHUP | POLLNVAL));
			ready += fds[i].revents != 0;
			tmp[i].fd = -1; /* answered here */
		}
		if (ready || round > 0) {
			/* the rest as they are now (or, after a sleep, as they woke us) */
			k = get_ppoll()(tmp, n, &(struct timespec){ 0, 0 }, NULL);
			if (k < 0) {
				ret = -1;
				break;
			}
			for (nfds_t i = 0; i < n; i++)
				if (!kind[i]) {
					fds[i].revents = tmp[i].revents;
					ready += tmp[i].revents != 0;
				}
			if (ready || (deadline >= 0 && now_ns() >= deadline)) {
				ret = ready;
				break;
			}
		}
		/* sleep: each ring watched by an inotify fd of its own in its place */
		for (nfds_t i = 0; i < n; i++)
			if (kind[i] == 2) {
				depth++;
				emu_map_poll_wait(fds[i].fd, true);
				depth--;
				tmp[i].fd = watch_fd(fds[i].fd);
				tmp[i].events = POLLIN;
			}
		ready = 0;
		for (nfds_t i = 0; i < n; i++) {
			uint32_t rev = 0;
			bool ring;

			if (kind[i] != 2)
				continue;
			depth++;
			emu_map_poll(fds[i].fd, &rev, &ring);
			depth--;
			ready += (rev & (uint16_t)fds[i].events) != 0;
		}
		if (!ready) {
			tsp = time_left(deadline, &ts);
			k = get_ppoll()(tmp, n, tsp, sigmask);
		} else {
			k = 0;
		}
		for (nfds_t i = 0; i < n; i++)
			if (kind[i] == 2) {
				if (tmp[i].fd >= 0) {
					depth++;
					close(tmp[i].fd);
					depth--;
				}
				depth++;
				emu_map_poll_wait(fds[i].fd, false);
				depth--;
			}
		if (k < 0) {
			ret = -1;
			break;
		}
	}
	{
		int err = errno;

		free(tmp);
		free(kind);
		errno = err;
	}
	return ret;
}

/* glibc declares poll's and ppoll's fds write-only (access attributes for its fortify checks): GCC
 * at -O0 then calls our reads of the caller's entries uninitialized. They are the caller's input. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
/* poll()/ppoll() of fds among which a map's (shim/fdstat.c asks when a ring is among them): the maps
 * answered here, the ring fds slept on through inotify; the timeout as poll's (ms) or ppoll's */
int shim_map_ppoll(struct pollfd *fds, nfds_t n, int timeout_ms, const struct timespec *t, bool use_ts,
		   const sigset_t *sigmask)
{
	return map_ppoll(fds, n, use_ts ? ts_to_ns(t) : ms_to_ns(timeout_ms), sigmask);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

EXPORT int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *t, const sigset_t *sigmask,
		       size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		abort();
	return ppoll(fds, n, t, sigmask);
}

/* select over poll, when one of the fds is a map */
static int map_select(int nfds, fd_set *r, fd_set *w, fd_set *x, int64_t timeout_ns, const sigset_t *sigmask)
{
	struct pollfd *p = calloc((size_t)(nfds > 0 ? nfds : 1), sizeof(*p));
	nfds_t n = 0;
	int ret;

	if (!p) {
		errno = ENOMEM;
		return -1;
	}
	for (int fd = 0; fd < nfds; fd++) {
		short ev = (short)((r && FD_ISSET(fd, r) ? POLLIN : 0) | (w && FD_ISSET(fd, w) ? POLLOUT : 0) |
				   (x && FD_ISSET(fd, x) ? POLLPRI : 0));

		if (ev) {
			p[n].fd = fd;
			p[n].events = ev;
			n++;
		}
	}
	ret = map_ppoll(p, n, timeout_ns, sigmask);
	if (ret >= 0) {
		ret = 0;
		if (r)
			FD_ZERO(r);
		if (w)
			FD_ZERO(w);
		if (x)
			FD_ZERO(x);
		for (nfds_t i = 0; i < n; i++) {
			short rv = p[i].revents;

			if (rv & POLLNVAL) {
				errno = EBADF;
				ret = -1;
				break;
			}
			/* select counts a readable fd with an error as readable, as the kernel's does */
			if (r && (p[i].events & POLLIN) && (rv & (POLLIN | POLLHUP | POLLERR))) {
				FD_SET(p[i].fd, r);
				ret++;
			}
			if (w && (p[i].events & POLLOUT) && (rv & (POLLOUT | POLLERR))) {
				FD_SET(p[i].fd, w);
				ret++;
			}
			if (x && (p[i].events & POLLPRI) && (rv & POLLPRI)) {
				FD_SET(p[i].fd, x);
				ret++;
			}
		}
	}
	{
		int err = errno;

		free(p);
		errno = err;
	}
	return ret;
}

static bool select_has_map(int nfds, fd_set *r, fd_set *w, fd_set *x)
{
	if (nfds > FD_SETSIZE)
		nfds = FD_SETSIZE;
	for (int fd = 0; fd < nfds; fd++)
		if (((r && FD_ISSET(fd, r)) || (w && FD_ISSET(fd, w)) || (x && FD_ISSET(fd, x))) && shim_hinted(fd))
			return true;
	return false;
}

REAL(int, select, int, fd_set *, fd_set *, fd_set *, struct timeval *)
REAL(int, pselect, int, fd_set *, fd_set *, fd_set *, const struct timespec *, const sigset_t *)

EXPORT int select(int nfds, fd_set *r, fd_set *w, fd_set *x, struct timeval *tv)
{
	int64_t t0, ns;
	int ret;

	if (depth || nfds < 0 || !select_has_map(nfds, r, w, x))
		return get_select()(nfds, r, w, x, tv);
	ns = tv ? (int64_t)tv->tv_sec * 1000000000 + (int64_t)tv->tv_usec * 1000 : -1;
	t0 = now_ns();
	ret = map_select(nfds, r, w, x, ns, NULL);
	if (tv) { /* Linux's select leaves the time not slept */
		int64_t left = ns - (now_ns() - t0);

		if (left < 0)
			left = 0;
		tv->tv_sec = left / 1000000000;
		tv->tv_usec = (left % 1000000000) / 1000;
	}
	return ret;
}

EXPORT int pselect(int nfds, fd_set *r, fd_set *w, fd_set *x, const struct timespec *t, const sigset_t *sigmask)
{
	if (depth || nfds < 0 || !select_has_map(nfds, r, w, x))
		return get_pselect()(nfds, r, w, x, t, sigmask);
	return map_select(nfds, r, w, x, ts_to_ns(t), sigmask);
}
