/* SPDX-License-Identifier: MIT */
/*
 * Room for the emulator's own fds while a command makes a new fd (core/fdroom.c): a process at
 * its fd limit with one fd free gets its object at that fd, as from the kernel.
 */
#ifndef BPFEMU_CORE_FDROOM_H
#define BPFEMU_CORE_FDROOM_H

#include <stdbool.h>
#include <sys/resource.h>

struct emu_fd_room {
	rlim_t old; /* the caller's soft limit */
	bool raised;
};

/* Raise the soft fd limit by a few, if the hard limit allows. */
void emu_fd_room_open(struct emu_fd_room *r);
/* Put the limit back; fd (a command's result, or -errno) comes back moved below the caller's
 * limit (the lowest free number), or -EMFILE if no number below it is free. */
int emu_fd_room_close(struct emu_fd_room *r, int fd);

#endif
