/* SPDX-License-Identifier: MIT */
/*
 * What an fd is: the magic at the start of every emulated object's file (see object.h), and the
 * cheap form of the question the front ends ask before every file operation they interpose
 * (emu_fd_object_kind): most fds are not regular files, and most regular files are not on a file
 * system object files can live on, so only the rest cost a read of their first bytes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "object.h"
#include "registry.h"
#include "state.h"

/* The magic of the file fd names, read through fd itself when it can be read (no new fd: a
 * process at its fd limit can still ask), else through a fresh open file description, so fds
 * opened write-only or with O_PATH can be asked too. 0 if none. */
static uint64_t magic_of(int fd)
{
	char path[64];
	uint64_t magic = 0;
	int rfd;

	if (pread(fd, &magic, sizeof(magic), 0) == (ssize_t)sizeof(magic))
		return magic;
	if (errno != EBADF && errno != EINVAL)
		return 0; /* a short file, or one that cannot be read at all */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	rfd = open(path, O_RDONLY | O_CLOEXEC);
	if (rfd < 0)
		return 0;
	if (pread(rfd, &magic, sizeof(magic), 0) != (ssize_t)sizeof(magic))
		magic = 0;
	close(rfd);
	return magic;
}

uint64_t emu_fd_magic(int fd)
{
	struct stat st;

	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(uint64_t))
		return 0;
	return magic_of(fd);
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

bool emu_is_stats_fd(int fd)
{
	return emu_fd_magic(fd) == EMU_STATS_MAGIC;
}

/* ---- the cheap question ---- */

/* The file systems object files are made on: the bpffs root's, the state directory's (the stats
 * file of BPF_ENABLE_STATS fds), and the one memory files (memfd_create) live on, the fallback when
 * the root is unusable. 0: not known (yet). */
static dev_t root_dev, state_dev, memfd_dev;
static pthread_once_t memfd_once = PTHREAD_ONCE_INIT;

static void memfd_dev_init(void)
{
	int fd = memfd_create("bpfemu-probe", MFD_CLOEXEC);
	struct stat st;

	if (fd >= 0 && !fstat(fd, &st))
		memfd_dev = st.st_dev;
	if (fd >= 0)
		close(fd);
}

/* dev is the device of directory path (*known: its cache, asked again until the directory exists:
 * it may be made after the first question) */
static bool dir_dev(dev_t *known, const char *path, dev_t dev)
{
	dev_t d = __atomic_load_n(known, __ATOMIC_RELAXED);
	struct stat st;

	if (d)
		return dev == d;
	if (!*path || stat(path, &st))
		return false;
	__atomic_store_n(known, st.st_dev, __ATOMIC_RELAXED);
	return dev == st.st_dev;
}

static bool object_dev(dev_t dev)
{
	pthread_once(&memfd_once, memfd_dev_init);
	return dev == memfd_dev || dir_dev(&root_dev, emu_bpffs_root(), dev) ||
	       dir_dev(&state_dev, emu_state_dir(), dev);
}

int emu_fd_object_kind(int fd, const struct stat *st)
{
	uint64_t magic;

	if (!S_ISREG(st->st_mode) || st->st_size < (off_t)sizeof(uint64_t))
		return EMU_OBJ_NONE;
	/* a map this process has mapped: its file cannot have been freed and its inode reused */
	if (emu_registry_known(st->st_dev, st->st_ino))
		return EMU_OBJ_MAP;
	if (!object_dev(st->st_dev))
		return EMU_OBJ_NONE;
	magic = magic_of(fd);
	if (magic == EMU_MAGIC)
		return EMU_OBJ_MAP;
	if (magic == EMU_PROG_MAGIC)
		return EMU_OBJ_PROG;
	if (magic == EMU_BTFOBJ_MAGIC)
		return EMU_OBJ_BTF;
	if (magic == EMU_STATS_MAGIC)
		return EMU_OBJ_STATS;
	return EMU_OBJ_NONE;
}
