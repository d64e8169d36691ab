/* SPDX-License-Identifier: MIT */
/* Whole-buffer positioned I/O on the object files (program and BTF objects are written once at
 * load and read back by other processes): short transfers continue, EINTR retries, and a
 * transfer that makes no progress (end of file) is -EIO. Return 0 or a negative errno. */
#ifndef BPFEMU_UTIL_FILEIO_H
#define BPFEMU_UTIL_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

int emu_pwrite_all(int fd, const void *buf, size_t n, off_t off);
int emu_pread_all(int fd, void *buf, size_t n, off_t off);

#endif
