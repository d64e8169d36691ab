/* SPDX-License-Identifier: MIT */
/* Whole-buffer pread/pwrite: see fileio.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <unistd.h>

#include "fileio.h"

int emu_pwrite_all(int fd, const void *buf, size_t n, off_t off)
{
	const char *c = buf;

	while (n) {
		ssize_t w = pwrite(fd, c, n, off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		c += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

int emu_pread_all(int fd, void *buf, size_t n, off_t off)
{
	char *c = buf;

	while (n) {
		ssize_t r = pread(fd, c, n, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		c += r;
		n -= (size_t)r;
		off += r;
	}
	return 0;
}
