/* SPDX-License-Identifier: MIT */
/*
 * The serving loop: receive a notification, make sure its caller is still waiting, hand it to the
 * answerer of its system call (filter.c's table) with the program's memory as the emulator's user
 * memory, and see that it is answered exactly once.
 *
 * The replies: a value, an errno, CONTINUE (the kernel runs the call as made; only ever meaning
 * "not ours"), or a new fd installed with SECCOMP_IOCTL_NOTIF_ADDFD and SECCOMP_ADDFD_FLAG_SEND,
 * which installs the fd and answers the call with its number in one step, so a program that is
 * interrupted in between neither leaks the fd nor misses it. Each reply names the notification's
 * id: the kernel refuses it (ENOENT) if the caller is gone, which is then not an error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "supervisor.h"

static void send_resp(struct sv_call *c, int64_t val, int32_t error, uint32_t flags)
{
	struct seccomp_notif_resp r;

	memset(&r, 0, sizeof(r));
	r.id = c->n->id;
	r.val = val;
	r.error = error;
	r.flags = flags;
	if (ioctl(c->listener, SECCOMP_IOCTL_NOTIF_SEND, &r) && errno != ENOENT && sv_debug)
		sv_log("answering %s call of thread %d: %s", c->n->data.nr == SYS_bpf ? "a bpf()" : "a",
		       (int)c->tid, strerror(errno));
	c->answered = true;
}

void sv_reply(struct sv_call *c, int64_t val)
{
	send_resp(c, val, 0, 0);
}

void sv_fail(struct sv_call *c, int err)
{
	send_resp(c, 0, -err, 0);
}

void sv_continue(struct sv_call *c)
{
	send_resp(c, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
}

int sv_reply_fd(struct sv_call *c, int local_fd, bool cloexec)
{
	struct seccomp_notif_addfd a;
	int r;

	memset(&a, 0, sizeof(a));
	a.id = c->n->id;
	a.flags = SECCOMP_ADDFD_FLAG_SEND;
	a.srcfd = (uint32_t)local_fd;
	a.newfd_flags = cloexec ? O_CLOEXEC : 0;
	r = ioctl(c->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &a);
	if (r >= 0) {
		c->answered = true;
		return r;
	}
	r = errno;
	if (r == ENOENT) {
		c->answered = true; /* the caller is gone */
		return -ENOENT;
	}
	/* the program's fd table refused it (EMFILE at its limit): the call fails as the kernel's
	 * would when it cannot allocate the fd */
	sv_fail(c, r);
	return -r;
}

static bool notif_alive(int listener, uint64_t id)
{
	return ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

static void answer(int listener, const struct seccomp_notif *n)
{
	struct sv_call c;
	sv_answer_fn *fn = sv_answerer(n->data.arch, n->data.nr);

	memset(&c, 0, sizeof(c));
	c.listener = listener;
	c.n = n;
	c.tid = (pid_t)n->pid;
	c.pidfd = -1;
	if (!fn) {
		sv_continue(&c);
		return;
	}
	/* Its caller may have been killed since it trapped: nothing to act on then, and its id may
	 * already name another thread. */
	if (!notif_alive(listener, n->id))
		return;
	if (!c.tid) {
		/* a thread we cannot see (another pid namespace's): we cannot reach its memory */
		sv_fail(&c, ENOSYS);
		return;
	}
	sv_mem_init(&c);
	emu_uaccess_set_remote(&c.mem);
	fn(&c);
	emu_uaccess_set_remote(NULL);
	sv_call_done(&c);
	if (!c.answered) {
		/* an answerer that forgot would leave the program blocked forever */
		sv_log("internal error: system call %d left unanswered; failing it with ENOSYS", n->data.nr);
		sv_fail(&c, ENOSYS);
	}
}

int sv_serve(int listener, int stop_fd, int (*on_stop)(void *), void *arg)
{
	struct seccomp_notif_sizes sizes;
	struct seccomp_notif *n;
	int err = 0;

	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes))
		return -errno;
	/* the kernel's struct may be larger than the one we were built with */
	if (sizes.seccomp_notif < sizeof(*n))
		sizes.seccomp_notif = sizeof(*n);
	n = malloc(sizes.seccomp_notif);
	if (!n)
		return -ENOMEM;
	for (;;) {
		/* the rings' wakeups (epoll.c) are passed on between two notifications */
		struct pollfd p[3] = { { listener, POLLIN, 0 }, { stop_fd, POLLIN, 0 }, { sv_epoll_watch_fd(), POLLIN, 0 } };

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (p[2].revents & POLLIN)
			sv_epoll_wakeups();
		if (p[0].revents & POLLIN) {
			memset(n, 0, sizes.seccomp_notif);
			if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, n) == 0)
				answer(listener, n);
			else if (errno != EINTR && errno != ENOENT) {
				err = -errno;
				break;
			}
		} else if (p[0].revents & (POLLHUP | POLLERR | POLLNVAL)) {
			break; /* no task uses the filter any more */
		}
		if (stop_fd >= 0 && (p[1].revents & POLLIN) && on_stop(arg))
			break;
	}
	free(n);
	return err;
}
