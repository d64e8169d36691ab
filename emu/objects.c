/* SPDX-License-Identifier: MIT */
/*
 * What makes maps visible beyond one process: ids, the emulated bpffs (pins), and the minimal
 * program objects libbpf's feature probes load.
 *
 * Where things live: a per-user state directory (BPFEMU_STATE_DIR, else $XDG_RUNTIME_DIR/bpfemu,
 * else /dev/shm/bpfemu-<uid>) holds the id counter; the bpffs root (BPFEMU_BPFFS, else
 * <state>/bpffs) stands in for /sys/fs/bpf. Map files are created unnamed inside the bpffs root
 * (O_TMPFILE), so pinning is a hard link and a pinned map outlives its creator exactly as long
 * as the link exists.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define BPFFS_MOUNT "/sys/fs/bpf"
#define F_PATH_FD (1u << 14)
#define OBJ_GET_FLAGS (EMU_F_RDONLY | EMU_F_WRONLY | F_PATH_FD)

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
int emu_open_map_file(void)
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

/* ---- ids: one counter for all of this user's processes ---- */

static uint32_t *id_counter;
static pthread_once_t id_once = PTHREAD_ONCE_INIT;
static uint32_t local_next_id = 1;

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
		id_counter = p;
}

/* Map creation calls this before it opens the map file: opening the counter takes an fd for a
 * moment, and a process with one fd left must still get a map with a shared id. */
void emu_ids_init(void)
{
	pthread_once(&id_once, id_init);
}

/* Ids start at 1 and grow, as the kernel's cyclic allocator does until it wraps at INT_MAX. */
uint32_t emu_alloc_id(void)
{
	uint32_t *ctr, id;

	pthread_once(&id_once, id_init);
	ctr = id_counter ? id_counter : &local_next_id;
	id = __atomic_add_fetch(ctr, 1, __ATOMIC_RELAXED) - 1;
	if (id == 0 || id >= INT_MAX) {
		__atomic_store_n(ctr, 2, __ATOMIC_RELAXED);
		id = 1;
	}
	return id;
}

/* ---- paths on the emulated bpffs ---- */

/* Map a caller's path onto the bpffs root: "/sys/fs/bpf/x" and "<root>/x" both name "<root>/x".
 * Returns 1 when the path is on the emulated bpffs, 0 when not, -errno on a bad path. */
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

static int copy_path(const struct emu_attr *a, char *path, size_t len)
{
	const char *up = attr_ptr(a, PIN_PATH);
	size_t i;

	/* strncpy_from_user: byte by byte so a string ending just before unmapped memory is fine */
	for (i = 0; i < len; i++) {
		if (emu_copy_from_user(&path[i], up + i, 1))
			return -EFAULT;
		if (!path[i])
			return 0;
	}
	return -ENAMETOOLONG;
}

static bool tail_zero(const struct emu_attr *a, unsigned from)
{
	for (unsigned i = from; i < EMU_ATTR_SIZE; i++)
		if (a->b[i])
			return false;
	return true;
}

int emu_obj_pin(const struct emu_attr *a)
{
	char path[PATH_MAX], real[PATH_MAX], parent[PATH_MAX], proc[64];
	uint32_t flags = attr_u32(a, PIN_FILE_FLAGS);
	int fd = (int)attr_u32(a, PIN_FD), on, err;
	struct stat st;
	char *slash;

	if (!tail_zero(a, PIN_END) || (flags & ~F_PATH_FD))
		return -EINVAL;
	if (!(flags & F_PATH_FD) && attr_u32(a, PIN_PATH_FD))
		return -EINVAL;
	if (!emu_is_object_fd(fd))
		return -EINVAL;
	err = copy_path(a, path, sizeof(path));
	if (err)
		return err;
	if (flags & F_PATH_FD) {
		emu_diag("BPF_OBJ_PIN with BPF_F_PATH_FD is not emulated: EOPNOTSUPP");
		return -EOPNOTSUPP;
	}
	on = emu_bpffs_translate(path, real, sizeof(real));
	if (on < 0)
		return on;
	snprintf(parent, sizeof(parent), "%s", real);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = 0;
	else if (slash)
		slash[1] = 0;
	if (stat(parent, &st))
		return -ENOENT;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (!on)
		return -EPERM; /* not on a bpf filesystem */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (linkat(AT_FDCWD, proc, AT_FDCWD, real, AT_SYMLINK_FOLLOW))
		return errno == EXDEV ? -EPERM : -errno;
	return 0;
}

int emu_obj_get(const struct emu_attr *a)
{
	char path[PATH_MAX], real[PATH_MAX];
	uint32_t flags = attr_u32(a, PIN_FILE_FLAGS);
	int mode, fd, on, err;
	struct stat st;

	if (!tail_zero(a, PIN_END) || attr_u32(a, PIN_FD) || (flags & ~OBJ_GET_FLAGS))
		return -EINVAL;
	if ((flags & EMU_F_RDONLY) && (flags & EMU_F_WRONLY))
		return -EINVAL;
	err = copy_path(a, path, sizeof(path));
	if (err)
		return err;
	if (flags & F_PATH_FD) {
		emu_diag("BPF_OBJ_GET with BPF_F_PATH_FD is not emulated: EOPNOTSUPP");
		return -EOPNOTSUPP;
	}
	on = emu_bpffs_translate(path, real, sizeof(real));
	if (on < 0)
		return on;
	if (stat(real, &st))
		return -errno;
	if (!on || !S_ISREG(st.st_mode))
		return -EACCES;
	mode = (flags & EMU_F_RDONLY) ? O_RDONLY : (flags & EMU_F_WRONLY) ? O_WRONLY : O_RDWR;
	fd = open(real, mode | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (!emu_is_object_fd(fd)) {
		close(fd);
		return -EACCES;
	}
	if (mode != O_RDWR)
		emu_mark_restricted(fd);
	return fd;
}

/* ---- ids: which maps can this process see ---- */

/* Visit every map this process holds an fd to, and every pinned map. */
static void for_each_visible_map(bool (*fn)(void *arg, uint32_t id, int fd, const char *path), void *arg)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	char stackdirs[16][PATH_MAX];
	int sp = 0;

	if (d) {
		int self = dirfd(d);

		while ((de = readdir(d))) {
			int fd = atoi(de->d_name);
			uint32_t id;

			if (de->d_name[0] == '.' || fd == self)
				continue;
			if (!emu_map_fd_id(fd, &id) && !fn(arg, id, fd, NULL)) {
				closedir(d);
				return;
			}
		}
		closedir(d);
	}
	/* pinned maps: walk the bpffs tree, a bounded depth */
	snprintf(stackdirs[sp++], PATH_MAX, "%s", emu_bpffs_root());
	while (sp) {
		char dir[PATH_MAX];

		memcpy(dir, stackdirs[--sp], PATH_MAX);
		d = opendir(dir);
		if (!d)
			continue;
		while ((de = readdir(d))) {
			char p[PATH_MAX];
			struct stat st;
			uint32_t id;
			int fd;

			if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
				continue;
			if (snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) >= (int)sizeof(p) || lstat(p, &st))
				continue;
			if (S_ISDIR(st.st_mode)) {
				if (sp < 16)
					memcpy(stackdirs[sp++], p, PATH_MAX);
				continue;
			}
			if (!S_ISREG(st.st_mode))
				continue;
			fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
			if (fd < 0)
				continue;
			if (!emu_map_fd_id(fd, &id) && !fn(arg, id, -1, p)) {
				close(fd);
				closedir(d);
				return;
			}
			close(fd);
		}
		closedir(d);
	}
}

struct next_id_ctx {
	uint32_t start, best;
};

static bool next_id_cb(void *arg, uint32_t id, int fd, const char *path)
{
	struct next_id_ctx *c = arg;

	(void)fd;
	(void)path;
	if (id > c->start && (!c->best || id < c->best))
		c->best = id;
	return true;
}

int emu_map_get_next_id(const struct emu_attr *a, union bpf_attr *uattr)
{
	struct next_id_ctx c = { attr_u32(a, ID_START), 0 };

	if (!tail_zero(a, ID_GET_NEXT_END) || c.start >= INT_MAX)
		return -EINVAL;
	for_each_visible_map(next_id_cb, &c);
	if (!c.best)
		return -ENOENT;
	return emu_put_user_u32(uattr, ID_NEXT, c.best);
}

struct fd_by_id_ctx {
	uint32_t id;
	int mode;
	int fd; /* result or -errno */
};

static bool fd_by_id_cb(void *arg, uint32_t id, int fd, const char *path)
{
	struct fd_by_id_ctx *c = arg;
	char proc[64];

	if (id != c->id)
		return true;
	if (!path) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		path = proc;
	}
	c->fd = open(path, c->mode | O_CLOEXEC);
	if (c->fd < 0)
		c->fd = -errno;
	return false;
}

int emu_map_get_fd_by_id(const struct emu_attr *a)
{
	uint32_t flags = attr_u32(a, ID_OPEN_FLAGS);
	struct fd_by_id_ctx c = { attr_u32(a, ID_START), O_RDWR, -ENOENT };

	if (!tail_zero(a, ID_GET_FD_END) || (flags & ~(EMU_F_RDONLY | EMU_F_WRONLY)))
		return -EINVAL;
	if ((flags & EMU_F_RDONLY) && (flags & EMU_F_WRONLY))
		return -EINVAL;
	if (flags & EMU_F_RDONLY)
		c.mode = O_RDONLY;
	else if (flags & EMU_F_WRONLY)
		c.mode = O_WRONLY;
	if (!c.id)
		return -ENOENT;
	for_each_visible_map(fd_by_id_cb, &c);
	if (c.fd >= 0 && c.mode != O_RDWR)
		emu_mark_restricted(c.fd);
	return c.fd;
}
