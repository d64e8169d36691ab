/* SPDX-License-Identifier: MIT */
/* What an fd is: the magic at the start of every emulated object's file (see object.h). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "object.h"

/* The magic at the start of the file fd names (0 if none): read through a fresh open file
 * description, so fds opened write-only or with O_PATH can be asked too. */
uint64_t emu_fd_magic(int fd)
{
	struct stat st;
	char path[64];
	uint64_t magic = 0;
	int rfd;

	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode))
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	rfd = open(path, O_RDONLY | O_CLOEXEC);
	if (rfd < 0)
		return 0;
	if (pread(rfd, &magic, sizeof(magic), 0) != (ssize_t)sizeof(magic))
		magic = 0;
	close(rfd);
	return magic;
}

bool emu_is_object_fd(int fd)
{
	uint64_t magic = emu_fd_magic(fd);

	return magic == EMU_MAGIC || magic == EMU_PROG_MAGIC;
}

bool emu_is_prog_fd(int fd)
{
	return emu_fd_magic(fd) == EMU_PROG_MAGIC;
}

bool emu_is_btf_fd(int fd)
{
	return emu_fd_magic(fd) == EMU_BTFOBJ_MAGIC;
}
