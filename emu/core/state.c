/* SPDX-License-Identifier: MIT */
/*
 * Where a user's emulated objects live, and their ids.
 *
 * The state directory holds the id counter; the bpffs root stands in for /sys/fs/bpf (the rules
 * that name them, and the checks a directory must pass, are in statedir.c). Each is checked, and
 * created if missing, once per process before its first use; a directory that fails is never used:
 * every call that needs it fails with the check's errno, after one diagnostic line. Object files
 * are created unnamed inside the bpffs root (O_TMPFILE), so pinning is a hard link and a pinned
 * object outlives its creator exactly as long as the link exists.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../util/compiler.h"
#include "../util/diag.h"
#include "map.h"
#include "object.h"
#include "prog_obj.h" /* EMU_PROG_LAYOUT_VERSION */
#include "state.h"

#define BPFFS_MOUNT "/sys/fs/bpf"

const char *emu_bpffs_root(void) { return emu_state_path(EMU_STATE_BPFFS); }
const char *emu_state_dir(void) { return emu_state_path(EMU_STATE_DIR); }

static int ready_err[2];
static pthread_once_t ready_once[2] = { PTHREAD_ONCE_INIT, PTHREAD_ONCE_INIT };

static void ready_check(enum emu_state_kind k)
{
	char why[PATH_MAX + 256];

	ready_err[k] = emu_state_check(k, why, sizeof(why));
	if (ready_err[k])
		emu_diag("%s: refused, not used (%s); set %s to a directory of your own", why, strerror(-ready_err[k]),
			 k == EMU_STATE_BPFFS ? "BPFEMU_BPFFS or BPFEMU_STATE_DIR" : "BPFEMU_STATE_DIR");
}

static void ready_dir(void) { ready_check(EMU_STATE_DIR); }
static void ready_bpffs(void) { ready_check(EMU_STATE_BPFFS); }

int emu_state_ready(enum emu_state_kind k)
{
	pthread_once(&ready_once[k], k == EMU_STATE_BPFFS ? ready_bpffs : ready_dir);
	return ready_err[k];
}

/* An unnamed file in the bpffs root; a memfd where the root cannot hold one; -errno if refused. */
int emu_open_object_file(const char *memfd_name)
{
	const char *root = emu_bpffs_root();
	int fd, err = emu_state_ready(EMU_STATE_BPFFS);

	if (err)
		return err;
	fd = open(root, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 && errno == ENOENT) {
		/* removed since it was checked: checked again as it is created again */
		err = emu_state_check(EMU_STATE_BPFFS, NULL, 0);
		if (err)
			return err;
		fd = open(root, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	}
	if (fd < 0) /* a file system without O_TMPFILE, out of space or inodes: unpinnable memory */
		fd = memfd_create(memfd_name, MFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Files under the bpffs root: ours by construction, unless root (or another bpfemu) put them there. */
int emu_object_file_trusted(int fd, const char *path)
{
	struct stat st;
	uint64_t hdr[2] = { 0, 0 };
	const char *bad = NULL;
	char rpath[64];
	int rfd;

	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EACCES;
	if (st.st_uid != geteuid()) {
		emu_diag("%s is owned by uid %u, not by you (uid %u): not opened", path, (unsigned)st.st_uid,
			 (unsigned)geteuid());
		return -EACCES;
	}
	/* the header through a fresh open file description: fd may be write-only */
	snprintf(rpath, sizeof(rpath), "/proc/self/fd/%d", fd);
	rfd = open(rpath, O_RDONLY | O_CLOEXEC);
	if (rfd < 0)
		return errno == EMFILE || errno == ENFILE ? -errno : -EACCES;
	if (pread(rfd, hdr, sizeof(hdr), 0) < (ssize_t)sizeof(hdr[0]))
		hdr[0] = 0;
	close(rfd);
	if (hdr[0] == EMU_MAGIC && (uint32_t)hdr[1] != EMU_LAYOUT_VERSION)
		bad = "a map file of another bpfemu version (layout)";
	else if (hdr[0] == EMU_PROG_MAGIC && (uint32_t)hdr[1] != EMU_PROG_LAYOUT_VERSION)
		bad = "a program file of another bpfemu version (layout)";
	else if (hdr[0] != EMU_MAGIC && hdr[0] != EMU_PROG_MAGIC)
		bad = "not a bpfemu object";
	if (bad) {
		emu_diag("%s is %s: not opened", path, bad);
		return -EACCES;
	}
	return 0;
}

/* ---- ids: one counter per kind of object for all of this user's processes ---- */

/* The counters share one page of the state directory's "ids" file, each on its own cache line;
 * maps keep offset 0, where the single counter of earlier versions was. */
#define ID_COUNTER_STRIDE 64u
static char *id_page;
static pthread_once_t id_once = PTHREAD_ONCE_INIT;
static uint32_t local_next_id[EMU_NR_ID_KINDS];
static const uint32_t first_id[EMU_NR_ID_KINDS] = {
	[EMU_ID_MAP] = 1, [EMU_ID_PROG] = 1, [EMU_ID_BTF] = EMU_BTF_VMLINUX_ID + 1, [EMU_ID_LINK] = 1,
};

static int id_err;

static void id_init(void)
{
	char path[PATH_MAX];
	struct stat st;
	int fd;
	void *p;

	id_err = emu_state_ready(EMU_STATE_DIR);
	if (id_err)
		return;
	if (snprintf(path, sizeof(path), "%s/ids", emu_state_dir()) >= (int)sizeof(path))
		return;
	/* without the file (no fd or no space left) ids are this process's own */
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd < 0 && errno == ELOOP)
		goto refuse;
	if (fd < 0)
		return;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		close(fd);
		goto refuse;
	}
	if (st.st_size < EMU_PAGE_SIZE && emu_ftruncate_quiet(fd, EMU_PAGE_SIZE)) {
		close(fd);
		return;
	}
	p = mmap(NULL, EMU_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p != MAP_FAILED)
		id_page = p;
	return;
refuse:
	emu_diag("%s is not a regular file of yours: refused, not used", path);
	id_err = -EACCES;
}

/* Map creation calls this before it opens the map file: opening the counter takes an fd for a
 * moment, and a process with one fd left must still get a map with a shared id. */
int emu_ids_init(void)
{
	pthread_once(&id_once, id_init);
	return id_err;
}

/* A counter holds the next id to hand out (0: none handed out yet). */
uint32_t emu_alloc_id(enum emu_id_kind kind)
{
	uint32_t *ctr, id, first = first_id[kind];

	pthread_once(&id_once, id_init);
	ctr = id_page ? (uint32_t *)(id_page + kind * ID_COUNTER_STRIDE) : &local_next_id[kind];
	for (;;) {
		uint32_t cur = __atomic_load_n(ctr, __ATOMIC_RELAXED), next;

		id = cur < first || cur >= INT_MAX ? first : cur; /* unused yet, or wrapped */
		next = id + 1;
		if (__atomic_compare_exchange_n(ctr, &cur, next, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			return id;
	}
}

/* ---- paths on the emulated bpffs ---- */

int emu_bpffs_translate(const char *path, char *out, size_t outlen)
{
	const char *root = emu_bpffs_root(), *rest = NULL;
	char abs[PATH_MAX];
	size_t ml = strlen(BPFFS_MOUNT), rl = strlen(root);
	int err;

	if (path[0] != '/') {
		/* what cannot be made absolute is left to the kernel, which resolves it from the
		 * working directory it holds */
		if (!getcwd(abs, sizeof(abs)) || strlen(abs) + 1 + strlen(path) + 1 > sizeof(abs)) {
			if (snprintf(out, outlen, "%s", path) >= (int)outlen)
				return -ENAMETOOLONG;
			return 0;
		}
		strcat(abs, "/");
		strcat(abs, path);
		path = abs;
	}
	if (!strncmp(path, BPFFS_MOUNT, ml) && (path[ml] == '/' || !path[ml]))
		rest = path + ml;
	else if (rl && !strncmp(path, root, rl) && (path[rl] == '/' || !path[rl]))
		rest = path + rl;
	if (!rest) {
		if (snprintf(out, outlen, "%s", path) >= (int)outlen)
			return -ENAMETOOLONG;
		return 0;
	}
	if (!*root || snprintf(out, outlen, "%s%s", root, rest) >= (int)outlen)
		return -ENAMETOOLONG;
	err = emu_state_ready(EMU_STATE_BPFFS);
	return err ? err : 1;
}


/*
 * Growing a file past RLIMIT_FSIZE fails with EFBIG and also raises SIGXFSZ, whose default action
 * kills the process. bpf() knows no such limit, so the signal is not the caller's business: it is
 * blocked around the call and the one the call raised is taken back.
 */
int emu_ftruncate_quiet(int fd, off_t size)
{
	sigset_t xfsz, old, pending;
	bool was_pending;
	int r, saved;

	sigemptyset(&xfsz);
	sigaddset(&xfsz, SIGXFSZ);
	pthread_sigmask(SIG_BLOCK, &xfsz, &old);
	was_pending = !sigpending(&pending) && sigismember(&pending, SIGXFSZ);
	r = ftruncate(fd, size);
	saved = errno;
	if (r && saved == EFBIG && !was_pending) {
		struct timespec zero = { 0, 0 };

		sigtimedwait(&xfsz, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return r;
}
