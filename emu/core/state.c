/* SPDX-License-Identifier: MIT */
/*
 * Where a user's emulated objects live, and their ids.
 *
 * A per-user state directory (BPFEMU_STATE_DIR, else $XDG_RUNTIME_DIR/bpfemu, else
 * /dev/shm/bpfemu-<uid>) holds the id counter; the bpffs root (BPFEMU_BPFFS, else <state>/bpffs)
 * stands in for /sys/fs/bpf. Object files are created unnamed inside the bpffs root (O_TMPFILE),
 * so pinning is a hard link and a pinned object outlives its creator exactly as long as the link
 * exists.
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
#include "state.h"

#define BPFFS_MOUNT "/sys/fs/bpf"

static char state_dir[PATH_MAX];
static char bpffs_root[PATH_MAX];
static pthread_once_t paths_once = PTHREAD_ONCE_INIT;

static int mkdir_p(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

static void paths_init(void)
{
	const char *s = secure_getenv("BPFEMU_STATE_DIR");
	const char *b = secure_getenv("BPFEMU_BPFFS");
	const char *xdg = secure_getenv("XDG_RUNTIME_DIR");

	if (s && *s)
		snprintf(state_dir, sizeof(state_dir), "%s", s);
	else if (xdg && *xdg)
		snprintf(state_dir, sizeof(state_dir), "%s/bpfemu", xdg);
	else
		snprintf(state_dir, sizeof(state_dir), "/dev/shm/bpfemu-%u", (unsigned)getuid());
	if (b && *b)
		snprintf(bpffs_root, sizeof(bpffs_root), "%s", b);
	else if (snprintf(bpffs_root, sizeof(bpffs_root), "%s/bpffs", state_dir) >= (int)sizeof(bpffs_root))
		bpffs_root[0] = 0; /* an unusable root: map files fall back to memfds */
	/* strip trailing slashes so prefix tests are simple */
	for (size_t n = strlen(bpffs_root); n > 1 && bpffs_root[n - 1] == '/'; n--)
		bpffs_root[n - 1] = 0;
}

const char *emu_bpffs_root(void)
{
	pthread_once(&paths_once, paths_init);
	return bpffs_root;
}

const char *emu_state_dir(void)
{
	pthread_once(&paths_once, paths_init);
	return state_dir;
}

int emu_bpffs_ensure_root(void)
{
	static int done;

	if (__atomic_load_n(&done, __ATOMIC_ACQUIRE))
		return 0;
	if (!*emu_bpffs_root() || mkdir_p(emu_bpffs_root(), 0700))
		return -EACCES;
	__atomic_store_n(&done, 1, __ATOMIC_RELEASE);
	return 0;
}

/* An unnamed file in the bpffs root, or -errno; the caller falls back to a memfd. */
int emu_open_object_file(void)
{
	const char *root = emu_bpffs_root();
	int fd;

	if (!*root)
		return -ENAMETOOLONG;
	fd = open(root, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0 && errno == ENOENT && !mkdir_p(root, 0700))
		fd = open(root, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	return fd < 0 ? -errno : fd;
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

static void id_init(void)
{
	char path[PATH_MAX];
	int fd;
	void *p;

	if (mkdir_p(emu_state_dir(), 0700))
		return;
	if (snprintf(path, sizeof(path), "%s/ids", emu_state_dir()) >= (int)sizeof(path))
		return;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (emu_ftruncate_quiet(fd, EMU_PAGE_SIZE)) {
		close(fd);
		return;
	}
	p = mmap(NULL, EMU_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p != MAP_FAILED)
		id_page = p;
}

/* Map creation calls this before it opens the map file: opening the counter takes an fd for a
 * moment, and a process with one fd left must still get a map with a shared id. */
void emu_ids_init(void)
{
	pthread_once(&id_once, id_init);
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

	if (path[0] != '/') {
		if (!getcwd(abs, sizeof(abs)))
			return -errno;
		if (strlen(abs) + 1 + strlen(path) + 1 > sizeof(abs))
			return -ENAMETOOLONG;
		strcat(abs, "/");
		strcat(abs, path);
		path = abs;
	}
	if (!strncmp(path, BPFFS_MOUNT, ml) && (path[ml] == '/' || !path[ml]))
		rest = path + ml;
	else if (!strncmp(path, root, rl) && (path[rl] == '/' || !path[rl]))
		rest = path + rl;
	if (!rest) {
		if (snprintf(out, outlen, "%s", path) >= (int)outlen)
			return -ENAMETOOLONG;
		return 0;
	}
	if (snprintf(out, outlen, "%s%s", root, rest) >= (int)outlen)
		return -ENAMETOOLONG;
	return 1;
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
