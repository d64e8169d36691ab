/* SPDX-License-Identifier: MIT */
/*
 * Room for the emulator's own fds while a command makes a new one. The kernel's commands that
 * return an fd need exactly that fd; the emulator's open files too for a moment (the object's file
 * before its access-mode reopen, the registry directory, /proc while it looks for live objects).
 * A process with one fd left must still get its object, at the lowest free number, as from the
 * kernel: so the soft RLIMIT_NOFILE is raised by a few for the command (when the hard limit
 * allows), and a result that landed at or past the caller's limit is moved to the lowest free
 * number below it, or refused with EMFILE where the kernel would have refused it.
 *
 * The limit is the process's, so another thread opening files during the command may get an fd
 * past it too (the kernel would have said EMFILE): a window of a few system calls.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fdroom.h"

#define EMU_FD_ROOM 8

void emu_fd_room_open(struct emu_fd_room *r)
{
	struct rlimit rl;

	r->raised = false;
	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY)
		return;
	r->old = rl.rlim_cur;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur + EMU_FD_ROOM > rl.rlim_max)
		rl.rlim_cur = rl.rlim_max;
	else
		rl.rlim_cur += EMU_FD_ROOM;
	r->raised = rl.rlim_cur > r->old && !setrlimit(RLIMIT_NOFILE, &rl);
}

int emu_fd_room_close(struct emu_fd_room *r, int fd)
{
	struct rlimit rl;

	if (!r->raised)
		return fd;
	if (fd >= 0 && (rlim_t)fd >= r->old) {
		int low = fcntl(fd, F_DUPFD_CLOEXEC, 0);

		close(fd);
		if (low >= 0 && (rlim_t)low >= r->old) {
			close(low);
			low = -1;
		}
		fd = low >= 0 ? low : -EMFILE;
	}
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = r->old;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	return fd;
}
