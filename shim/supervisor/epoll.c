/* SPDX-License-Identifier: MIT */
/*
 * epoll_ctl() of an emulated map fd in the supervised program: the kernel refuses a regular file
 * (EPERM), and the supervisor cannot see the program's epoll_wait, nor its reads of a ring (plain
 * loads and stores in shared memory). So each registration of a map fd puts into the program's
 * own epoll instance (the same instance: pidfd_getfd of its epfd) a file of ours that the kernel
 * can poll, with the program's event data, and the supervisor makes that file ready when the map
 * becomes ready:
 *
 *   RINGBUF       an eventfd, registered EPOLLIN | EPOLLET. A producer that commits a record the
 *                 consumer waits for (it had caught up, or BPF_RB_FORCE_WAKEUP) opens the map file
 *                 when a waiter announced itself in the ring's meta (maps/ringbuf.h); the
 *                 supervisor is announced for as long as the registration lives, and watches the
 *                 file (IN_OPEN, one inotify fd for all rings); at each event, if the ring holds
 *                 data, it writes the eventfd: one edge, one report by epoll_wait. It also writes
 *                 it at ADD (and MOD) when data is there already.
 *   USER_RINGBUF  an eventfd registered EPOLLOUT | EPOLLET, whose count is kept at 0 (writable;
 *                 at the most it takes, not writable, when the ring is full at ADD); an edge is a
 *                 read of it (which wakes EPOLLOUT waiters): at each drain that left room (the
 *                 drains wake waiters as producers do), and at ADD when there is room. A MOD
 *                 reports it once, full or not.
 *   any other map the write end of a full pipe whose read end is closed: EPOLLERR and nothing
 *                 else, always, which is what the kernel's bpf_map_poll answers for a map without
 *                 a poll op; the program's flags as given (level-triggered unless it asked EPOLLET).
 *
 * The semantics a ring's reader sees: a report for each wakeup the kernel's producer would have
 * made (the first record after the consumer caught up, forced ones), not a level. The kernel's
 * level-triggered EPOLLIN on a ring differs only for a consumer that stops before the ring is empty
 * and waits again: the kernel reports at once, we only at the producer's next wakeup. libbpf's
 * ring_buffer__poll/consume and cilium/ebpf's ringbuf.Reader drain until empty before they wait,
 * so they see the same thing (a wakeup that finds the ring drained already is not reported: the
 * ring is looked at before each write). A program that asked EPOLLET gets what it asked; EPOLLONESHOT
 * is the kernel's own on the eventfd (disarmed after one report until MOD). The events reported
 * are EPOLLIN (EPOLLOUT for a USER_RINGBUF) where the kernel adds EPOLLRDNORM (EPOLLWRNORM) if the
 * program asked for it too.
 *
 * Errors are the kernel's in its order (EFAULT for the event, EBADF, EINVAL for an epfd that is not
 * an epoll fd or is the map fd, EPOLLEXCLUSIVE's EINVALs, EEXIST, ENOENT, EINVAL for an unknown op);
 * a registration is found as the kernel finds its item: the same epoll instance, the same map file
 * and the same fd number (kcmp(KCMP_FILE) compares the files).
 *
 * Lifetime: the program's close() is not trapped. A registration holds a copy of the map fd and of
 * the epoll fd (so the instance lives while we may write into it). At each wakeup, and at each
 * epoll_ctl the supervisor answers, it checks that the program's fd numbers still name those
 * files (kcmp); when one does not (the program closed it, or the process is gone), the registration
 * is dropped: its file taken out of the instance, our copies closed (the instance dies with the
 * program's last fd of it), the waiter withdrawn. Until that check a closed epoll instance lives on
 * (no events reach anyone). Where the kernel keeps an item while any fd of the map file stays open
 * (a dup), we keep it while the registered fd number does, as the preload does (shim/poll.c).
 * Other fds' epoll_ctl traps too and is continued: one round trip to the supervisor each.
 *
 * Everything here runs on the serving loop's thread (notify.c polls sv_epoll_watch_fd()), so the
 * registrations need no lock, and a wakeup waits for the notification being answered.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../emu/uapi/bpf_uapi.h"
#include "../../emu/util/diag.h"
#include "supervisor.h"

#ifndef KCMP_FILE
#define KCMP_FILE 0
#endif
#ifndef F_SETPIPE_SZ
#define F_SETPIPE_SZ 1031
#endif
/* the bits EPOLLEXCLUSIVE may come with (the kernel's EPOLLEXCLUSIVE_OK_BITS) */
#define SV_EXCLUSIVE_OK (EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE)

enum reg_kind { REG_OTHER, REG_RING, REG_URING };

struct reg {
	pid_t tgid;         /* the process that registered it (for the checks) */
	int prog_epfd;      /* the program's epfd and map fd numbers */
	int prog_fd;
	int ep_local;       /* our copies of them: the epoll instance, the map file */
	int map_local;
	enum reg_kind kind;
	int stand;          /* the file in the program's instance in the map's place */
	int wd;             /* rings: the watch of the map file in our inotify fd (-1: none) */
	uint32_t events;    /* the program's, as the kernel keeps them */
	uint64_t data;
	struct reg *next;
};

static struct reg *regs;
/* One inotify fd watches every registered ring's file (closing an inotify fd waits for an RCU
 * grace period: milliseconds; a watch is removed without waiting). Registrations of one file share
 * its watch (the kernel gives one per inode). */
static int ino = -1;

static bool no_kcmp; /* a kernel without kcmp (CONFIG_KCMP): epoll instances told by fd number */

static long kcmp_files(pid_t p1, pid_t p2, int fd1, int fd2)
{
	long r = syscall(SYS_kcmp, p1, p2, KCMP_FILE, fd1, fd2);

	if (r < 0 && errno == ENOSYS)
		no_kcmp = true;
	return r;
}

/* Whether our fds a and b are the same open file (kcmp; without it, the same inode, which every
 * epoll fd shares) */
static bool same_file(int a, int b)
{
	long r = kcmp_files(getpid(), getpid(), a, b);
	struct stat sa, sb;

	if (r >= 0)
		return r == 0;
	return !fstat(a, &sa) && !fstat(b, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Whether the program's fd number fd still names our file local: kcmp's answer, and when kcmp
 * cannot tell (no kcmp in this kernel, EPERM: a process that refuses our access), yes */
static bool still_names(pid_t tgid, int fd, int local)
{
	long r = kcmp_files(tgid, getpid(), fd, local);

	if (r < 0)
		return errno != EBADF && errno != ESRCH; /* closed, or the process is gone */
	return r == 0;
}

/* Whether the program's fd numbers still name the files the registration holds */
static bool reg_alive(const struct reg *r)
{
	return still_names(r->tgid, r->prog_fd, r->map_local) && still_names(r->tgid, r->prog_epfd, r->ep_local);
}

static bool is_epoll(int fd)
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

/* The events the stand-in is registered with, for the program's */
static uint32_t stand_events(enum reg_kind kind, uint32_t ev)
{
	uint32_t flags = ev & (EPOLLONESHOT | EPOLLEXCLUSIVE | EPOLLWAKEUP);

	switch (kind) {
	case REG_RING:
		return (ev & (EPOLLIN | EPOLLRDNORM) ? EPOLLIN : 0) | EPOLLET | flags;
	case REG_URING:
		return (ev & (EPOLLOUT | EPOLLWRNORM) ? EPOLLOUT : 0) | EPOLLET | flags;
	default:
		return ev;
	}
}

/* A file that is EPOLLERR and nothing else, forever: a full pipe's write end without readers */
static int error_file(void)
{
	static const char page[4096];
	int p[2];

	if (pipe2(p, O_NONBLOCK | O_CLOEXEC))
		return -errno;
	fcntl(p[1], F_SETPIPE_SZ, 4096);
	while (write(p[1], page, sizeof(page)) > 0)
		;
	close(p[0]);
	return p[1];
}

/* The map is ready for the registration now (the kernel's poll answer, masked as the kind wants) */
static bool map_ready(const struct reg *r)
{
	uint32_t rev = 0;
	bool ring;

	if (emu_map_poll(r->map_local, &rev, &ring))
		return false;
	return r->kind == REG_RING ? (rev & EPOLLIN) != 0 : (rev & EPOLLOUT) != 0;
}

/* One edge of the stand-in: an EPOLLIN wakeup (a write) for a RINGBUF, an EPOLLOUT one (a read,
 * after a write if its count was 0) for a USER_RINGBUF */
static void edge(struct reg *r)
{
	uint64_t one = 1, v;

	if (EMU_FAULT("superv-epoll-no-edge"))
		return;
	if (r->kind == REG_RING) {
		if (write(r->stand, &one, 8) != 8 && sv_debug)
			sv_log("ring wakeup: eventfd write: %s", strerror(errno));
	} else if (r->kind == REG_URING) {
		if (read(r->stand, &v, 8) != 8) {
			(void)!write(r->stand, &one, 8);
			(void)!read(r->stand, &v, 8);
		}
	}
}

/* The stand-in's count back to 0 (not readable), before a MOD re-polls it */
static void reset(struct reg *r)
{
	uint64_t v;

	if (r->kind != REG_OTHER)
		(void)!read(r->stand, &v, 8);
}

/* The ring's watch goes with its last registration (a file's watch is shared: inotify gives one
 * wd per file) */
static void unwatch(const struct reg *r)
{
	bool shared = false;

	if (r->wd < 0)
		return;
	for (struct reg *q = regs; q && !shared; q = q->next)
		shared = q != r && q->wd == r->wd;
	if (!shared)
		inotify_rm_watch(ino, r->wd);
}

static void drop(struct reg **pp)
{
	struct reg *r = *pp;

	*pp = r->next;
	epoll_ctl(r->ep_local, EPOLL_CTL_DEL, r->stand, NULL);
	unwatch(r);
	if (r->kind != REG_OTHER)
		emu_map_poll_wait(r->map_local, false);
	close(r->stand);
	close(r->map_local);
	close(r->ep_local);
	free(r);
}

/* Registrations whose program fds name other files now (closed, or the process gone): dropped */
static void sweep(void)
{
	for (struct reg **pp = &regs; *pp;) {
		if (!reg_alive(*pp)) {
			if (sv_debug)
				sv_log("[pid %d] epoll registration of map fd %d in epoll fd %d: gone (fd closed)",
				       (int)(*pp)->tgid, (*pp)->prog_fd, (*pp)->prog_epfd);
			drop(pp);
		} else {
			pp = &(*pp)->next;
		}
	}
}

static struct reg **find(int ep_local, int map_local, int epfd, int fd)
{
	for (struct reg **pp = &regs; *pp; pp = &(*pp)->next) {
		struct reg *r = *pp;

		if (r->prog_fd == fd && same_file(r->map_local, map_local) && same_file(r->ep_local, ep_local) &&
		    (!no_kcmp || r->prog_epfd == epfd))
			return pp;
	}
	return NULL;
}

/* A new registration: 0 or -errno (nothing left behind). Takes ep_local and map_local. */
static int add(struct sv_call *c, int ep_local, int map_local, int epfd, int fd, enum reg_kind kind,
	       const struct epoll_event *ev)
{
	struct reg *r = calloc(1, sizeof(*r));
	struct epoll_event sev;
	int err;

	if (!r)
		return -ENOMEM;
	r->tgid = sv_tgid(c);
	r->prog_epfd = epfd;
	r->prog_fd = fd;
	r->ep_local = ep_local;
	r->map_local = map_local;
	r->kind = kind;
	r->wd = -1;
	r->events = ev->events | EPOLLERR | EPOLLHUP;
	r->data = ev->data.u64;
	r->stand = kind == REG_OTHER ? error_file() : eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r->stand < 0) {
		err = r->stand == -1 ? -errno : r->stand;
		goto fail;
	}
	if (kind != REG_OTHER) {
		char path[64];

		if (ino < 0)
			ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", map_local);
		if (ino < 0 || (r->wd = inotify_add_watch(ino, path, IN_OPEN)) < 0) {
			err = -errno;
			r->wd = -1;
			goto fail;
		}
		/* a waiter from now on: producers wake us (announced before the first look) */
		emu_map_poll_wait(map_local, true);
	}
	if (kind == REG_URING && !map_ready(r)) {
		/* full: the eventfd made not writable either (its count at the most it takes), until
		 * an edge reads it */
		uint64_t most = 0xfffffffffffffffeull;

		(void)!write(r->stand, &most, 8);
	}
	sev.events = stand_events(kind, ev->events);
	sev.data.u64 = ev->data.u64;
	if (epoll_ctl(ep_local, EPOLL_CTL_ADD, r->stand, &sev)) {
		err = -errno;
		if (kind != REG_OTHER)
			emu_map_poll_wait(map_local, false);
		goto fail;
	}
	if (kind != REG_OTHER && map_ready(r))
		edge(r);
	r->next = regs;
	regs = r;
	return 0;
fail:
	unwatch(r);
	if (r->stand >= 0)
		close(r->stand);
	free(r);
	close(ep_local);
	close(map_local);
	return err;
}

void sv_epoll_ctl(struct sv_call *c)
{
	int epfd = (int)c->n->data.args[0], op = (int)c->n->data.args[1], fd = (int)c->n->data.args[2];
	uint64_t uev = c->n->data.args[3];
	struct epoll_event ev;
	int map_local, ep_local, err = 0;
	struct reg **pp;
	enum reg_kind kind;
	uint32_t rev;
	bool ring;

	map_local = sv_getfd(c, fd);
	if (map_local < 0) {
		sv_continue(c); /* not an fd of the program's: the kernel's EBADF (or EFAULT first) */
		return;
	}
	if (!emu_is_object_fd(map_local) || emu_map_poll(map_local, &rev, &ring)) {
		close(map_local);
		sv_continue(c); /* not a map: the kernel's business */
		return;
	}
	{
		struct emu_map_desc d;

		kind = !ring ? REG_OTHER
		       : !emu_map_describe(map_local, &d) && d.type == EMU_MAP_USER_RINGBUF ? REG_URING
											: REG_RING;
	}
	memset(&ev, 0, sizeof(ev));
	if (op != EPOLL_CTL_DEL && emu_copy_from_user(&ev, (const void *)(uintptr_t)uev, sizeof(ev))) {
		close(map_local);
		sv_fail(c, EFAULT);
		return;
	}
	ep_local = sv_getfd(c, epfd);
	if (ep_local < 0) {
		close(map_local);
		sv_fail(c, ep_local == -EBADF ? EBADF : -ep_local);
		return;
	}
	if (!is_epoll(ep_local) || same_file(ep_local, map_local)) {
		err = -EINVAL;
		goto out;
	}
	if (op != EPOLL_CTL_DEL && (ev.events & EPOLLEXCLUSIVE) &&
	    (op == EPOLL_CTL_MOD || (op == EPOLL_CTL_ADD && (ev.events & ~(uint32_t)SV_EXCLUSIVE_OK)))) {
		err = -EINVAL;
		goto out;
	}
	sweep();
	pp = find(ep_local, map_local, epfd, fd);
	switch (op) {
	case EPOLL_CTL_ADD:
		if (pp) {
			err = -EEXIST;
			break;
		}
		err = add(c, ep_local, map_local, epfd, fd, kind, &ev);
		ep_local = map_local = -1; /* taken */
		if (sv_debug)
			sv_log("[pid %d] epoll_ctl(%d, ADD, map fd %d): %s%s", (int)sv_tgid(c), epfd, fd,
			       kind == REG_RING ? "a ring: an eventfd in its place" : kind == REG_URING
				       ? "a user ring: an eventfd in its place" : "EPOLLERR: a dead pipe in its place",
			       err ? " (failed)" : "");
		break;
	case EPOLL_CTL_DEL:
		if (!pp) {
			err = -ENOENT;
			break;
		}
		drop(pp);
		break;
	case EPOLL_CTL_MOD: {
		struct epoll_event sev;
		struct reg *r;

		if (!pp) {
			err = -ENOENT;
			break;
		}
		r = *pp;
		if (r->events & EPOLLEXCLUSIVE) {
			err = -EINVAL;
			break;
		}
		reset(r);
		sev.events = stand_events(r->kind, ev.events);
		sev.data.u64 = ev.data.u64;
		if (epoll_ctl(r->ep_local, EPOLL_CTL_MOD, r->stand, &sev)) {
			err = -errno;
			break;
		}
		r->events = ev.events | EPOLLERR | EPOLLHUP;
		r->data = ev.data.u64;
		if (r->kind != REG_OTHER && map_ready(r))
			edge(r);
		break;
	}
	default:
		err = -EINVAL;
	}
out:
	if (ep_local >= 0)
		close(ep_local);
	if (map_local >= 0)
		close(map_local);
	if (err)
		sv_fail(c, -err);
	else
		sv_reply(c, 0);
}

int sv_epoll_watch_fd(void)
{
	return ino;
}

/* A wakeup of the registrations of watch wd (-1: all of them, the event queue overflowed) */
static void wake(int wd)
{
	bool swept = false;

	for (struct reg *r = regs, *next; r; r = next) {
		next = r->next;
		if (r->wd < 0 || (wd >= 0 && r->wd != wd))
			continue;
		if (!reg_alive(r)) {
			if (!swept) {
				sweep(); /* r and others may go: start again */
				swept = true;
				next = regs;
			}
			continue;
		}
		if (map_ready(r)) {
			edge(r);
			if (sv_debug >= 2)
				sv_log("[pid %d] map fd %d in epoll fd %d: a wakeup, passed on", (int)r->tgid, r->prog_fd,
				       r->prog_epfd);
		} else if (sv_debug >= 2) {
			sv_log("[pid %d] map fd %d in epoll fd %d: a wakeup, not ready (not passed on)", (int)r->tgid,
			       r->prog_fd, r->prog_epfd);
		}
	}
}

void sv_epoll_wakeups(void)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int wds[64], nwd = 0;
	bool all = false;
	ssize_t n;

	/* every event read first (each watch woken once however many opens it saw) */
	while ((n = read(ino, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *e = (const struct inotify_event *)p;
			bool seen = false;

			p += sizeof(*e) + e->len;
			if (e->mask & IN_Q_OVERFLOW)
				all = true;
			if (!(e->mask & IN_OPEN))
				continue;
			for (int i = 0; i < nwd && !seen; i++)
				seen = wds[i] == e->wd;
			if (!seen && nwd < 64)
				wds[nwd++] = e->wd;
			else if (!seen)
				all = true;
		}
	}
	if (all) {
		wake(-1);
		return;
	}
	for (int i = 0; i < nwd; i++)
		wake(wds[i]);
}
