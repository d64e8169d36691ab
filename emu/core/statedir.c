/* SPDX-License-Identifier: MIT */
/*
 * Where a user's state lives, and whether a directory may hold it. No globals but the two paths,
 * no diagnostics: bpfemu-run links this file alone to check the same directories at start that the
 * emulator (core/state.c) checks before first use.
 *
 * The rules (the README and bpfemu-run --help say them in these words):
 *   state dir  = $BPFEMU_STATE_DIR, else $XDG_RUNTIME_DIR/bpfemu, else /dev/shm/bpfemu-<euid>;
 *                it holds the id counter (<state dir>/ids)
 *   bpffs root = $BPFEMU_BPFFS, else <state dir>/bpffs; it stands in for /sys/fs/bpf
 *
 * A directory bpfemu keeps state in must be trustworthy, the way sshd's StrictModes and the XDG
 * base directory spec's runtime directory are: every directory on the way to it (symbolic links
 * resolved) owned by root or by the user and not writable by others unless sticky (no other user
 * can rename it away); the directory itself and every directory bpfemu creates on the way owned by
 * the user, a directory and not a symbolic link, not group- or world-writable, writable by the
 * user. What bpfemu creates it creates 0700. Paths must be absolute. Everything is opened with
 * O_NOFOLLOW one component at a time, so a link swapped in during the check is refused too.
 *
 * Invariant: once a directory passed, no other user (root aside) can change what its path names,
 * so the rest of the emulator may keep using paths.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "state.h"

static char state_dir[PATH_MAX], bpffs_root[PATH_MAX];
static const char *state_src, *bpffs_src;
static pthread_once_t paths_once = PTHREAD_ONCE_INIT;

static void strip_slashes(char *p)
{
	for (size_t n = strlen(p); n > 1 && p[n - 1] == '/'; n--)
		p[n - 1] = 0;
}

static void paths_init(void)
{
	const char *s = secure_getenv("BPFEMU_STATE_DIR");
	const char *b = secure_getenv("BPFEMU_BPFFS");
	const char *xdg = secure_getenv("XDG_RUNTIME_DIR");
	int n;

	if (s && *s) {
		n = snprintf(state_dir, sizeof(state_dir), "%s", s);
		state_src = "BPFEMU_STATE_DIR";
	} else if (xdg && *xdg) {
		n = snprintf(state_dir, sizeof(state_dir), "%s/bpfemu", xdg);
		state_src = "$XDG_RUNTIME_DIR/bpfemu";
	} else {
		n = snprintf(state_dir, sizeof(state_dir), "/dev/shm/bpfemu-%u", (unsigned)geteuid());
		state_src = "the default /dev/shm/bpfemu-UID";
	}
	if (n >= (int)sizeof(state_dir))
		state_dir[0] = 0;
	strip_slashes(state_dir);
	if (b && *b) {
		n = snprintf(bpffs_root, sizeof(bpffs_root), "%s", b);
		bpffs_src = "BPFEMU_BPFFS";
	} else {
		n = snprintf(bpffs_root, sizeof(bpffs_root), "%s/bpffs", state_dir);
		bpffs_src = "the state directory's bpffs";
	}
	if (n >= (int)sizeof(bpffs_root) || !state_dir[0])
		bpffs_root[0] = 0;
	/* no trailing slashes, so prefix tests are simple */
	strip_slashes(bpffs_root);
}

const char *emu_state_path(enum emu_state_kind k)
{
	pthread_once(&paths_once, paths_init);
	return k == EMU_STATE_BPFFS ? bpffs_root : state_dir;
}

const char *emu_state_source(enum emu_state_kind k)
{
	pthread_once(&paths_once, paths_init);
	return k == EMU_STATE_BPFFS ? bpffs_src : state_src;
}

__attribute__((format(printf, 4, 5))) static int refuse(int err, char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (why && len) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return -err;
}

/* A directory on the way: owned by root or us, and nobody else may rename entries in it. */
static int check_ancestor(const char *dir, const struct stat *st, char *why, size_t len)
{
	uid_t me = geteuid();

	if (st->st_uid != 0 && st->st_uid != me)
		return refuse(EACCES, why, len, "%s, a directory on its way, is owned by uid %u (not root, not you: uid %u)",
			      dir, (unsigned)st->st_uid, (unsigned)me);
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(st->st_mode & S_ISVTX))
		return refuse(EACCES, why, len, "%s, a directory on its way, is %s-writable and not sticky (mode %04o): "
			      "another user could replace what is in it", dir, st->st_mode & S_IWOTH ? "world" : "group",
			      (unsigned)(st->st_mode & 07777));
	return 0;
}

/* The directory itself, or one we created: ours alone. */
static int check_own(const char *dir, const struct stat *st, char *why, size_t len)
{
	uid_t me = geteuid();

	if (!S_ISDIR(st->st_mode))
		return refuse(ENOTDIR, why, len, "%s is not a directory", dir);
	if (st->st_uid != me)
		return refuse(EACCES, why, len, "%s is owned by uid %u, not by you (uid %u)", dir, (unsigned)st->st_uid,
			      (unsigned)me);
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return refuse(EACCES, why, len, "%s is %s-writable (mode %04o): another user could replace what is in it",
			      dir, st->st_mode & S_IWOTH ? "world" : "group", (unsigned)(st->st_mode & 07777));
	if ((st->st_mode & (S_IWUSR | S_IXUSR)) != (S_IWUSR | S_IXUSR))
		return refuse(EACCES, why, len, "%s is not writable by you (mode %04o)", dir,
			      (unsigned)(st->st_mode & 07777));
	return 0;
}

/* The next component of *rem (skipping slashes) into name; false at the end. */
static bool next_name(const char **rem, char *name, bool *toolong)
{
	const char *p = *rem, *e;

	while (*p == '/')
		p++;
	if (!*p)
		return false;
	e = strchrnul(p, '/');
	*toolong = (size_t)(e - p) > NAME_MAX;
	if (!*toolong) {
		memcpy(name, p, (size_t)(e - p));
		name[e - p] = 0;
	}
	*rem = e;
	return true;
}

static bool only_slashes(const char *p)
{
	return !p[strspn(p, "/")];
}

int emu_dir_check(const char *path, bool create, char *why, size_t len)
{
	char rembuf[2][PATH_MAX], walked[PATH_MAX], name[NAME_MAX + 1];
	const char *rem;
	bool made = false, toolong;
	struct stat st;
	int fd, err = 0, hops = 0, cur = 0;
	size_t wl = 1;

	if (why && len)
		why[0] = 0;
	if (!path || !*path)
		return refuse(EINVAL, why, len, "the path is empty");
	if (path[0] != '/')
		return refuse(EINVAL, why, len, "%s is not an absolute path", path);
	if (strlen(path) >= PATH_MAX)
		return refuse(ENAMETOOLONG, why, len, "%.64s... is too long", path);
	strcpy(rembuf[cur], path);
	rem = rembuf[cur];

	/* Walk from "/" one component at a time, never letting the kernel follow a link: a link is
	 * read and its target walked the same way, so every directory the path passes through is
	 * checked, and so is every directory holding a link on the way (who can write it could
	 * re-point the link). */
	fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return refuse(errno, why, len, "/: %s", strerror(errno));
	strcpy(walked, "/");
	while (!err && next_name(&rem, name, &toolong)) {
		bool last = only_slashes(rem);
		size_t keep = wl;
		int nfd;

		if (toolong) {
			err = refuse(ENAMETOOLONG, why, len, "%s: a component is too long", path);
			break;
		}
		if (!strcmp(name, ".") || !strcmp(name, "..")) {
			if (made) {
				err = refuse(EINVAL, why, len, "%s: '.' and '..' cannot name a directory to create", path);
				break;
			}
			if (!strcmp(name, "."))
				continue;
		}
		/* the directory we are in holds what comes next: it must be safe */
		if (fstat(fd, &st)) {
			err = refuse(errno, why, len, "%s: %s", walked, strerror(errno));
			break;
		}
		if (!made && (err = check_ancestor(walked, &st, why, len)))
			break;
		if (!strcmp(name, "..")) {
			char *slash = strrchr(walked, '/');

			wl = slash == walked ? 1 : (size_t)(slash - walked);
			walked[wl] = 0;
		} else {
			if (wl + strlen(name) + 2 > sizeof(walked)) {
				err = refuse(ENAMETOOLONG, why, len, "%s is too long", path);
				break;
			}
			wl += (size_t)snprintf(walked + wl, sizeof(walked) - wl, "%s%s", wl > 1 ? "/" : "", name);
		}
		if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW)) {
			if (errno != ENOENT) {
				err = refuse(errno, why, len, "%s: %s", walked, strerror(errno));
				break;
			}
			if (!create) {
				err = refuse(ENOENT, why, len, "%s does not exist", walked);
				break;
			}
			if (mkdirat(fd, name, 0700) && errno != EEXIST) {
				err = refuse(errno, why, len, "cannot create %s: %s", walked, strerror(errno));
				break;
			}
			made = true;
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n;

			if (last) {
				err = refuse(EACCES, why, len, "%s is a symbolic link", walked);
				break;
			}
			if (++hops > 40) {
				err = refuse(ELOOP, why, len, "%s: too many symbolic links", path);
				break;
			}
			n = readlinkat(fd, name, target, sizeof(target) - 1);
			if (n <= 0 || (size_t)n + strlen(rem) + 2 > sizeof(target)) {
				err = refuse(n < 0 ? errno : ENAMETOOLONG, why, len, "%s: cannot read the link", walked);
				break;
			}
			target[n] = 0;
			/* the link's target, then what followed it */
			{
				size_t tl = (size_t)n, rl = strlen(rem);

				memcpy(rembuf[!cur], target, tl);
				rembuf[!cur][tl] = '/';
				memcpy(rembuf[!cur] + tl + 1, rem, rl + 1);
			}
			cur = !cur;
			rem = rembuf[cur];
			walked[keep] = 0;
			wl = keep;
			if (target[0] == '/') {
				nfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
				if (nfd < 0) {
					err = refuse(errno, why, len, "/: %s", strerror(errno));
					break;
				}
				close(fd);
				fd = nfd;
				strcpy(walked, "/");
				wl = 1;
			}
			continue;
		}
		nfd = openat(fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0) {
			err = errno == ELOOP ? refuse(EACCES, why, len, "%s changed while it was checked", walked)
			      : errno == ENOTDIR ? refuse(ENOTDIR, why, len, "%s is not a directory", walked)
					       : refuse(errno, why, len, "%s: %s", walked, strerror(errno));
			break;
		}
		close(fd);
		fd = nfd;
		if (made || last) {
			if (fstat(fd, &st))
				err = refuse(errno, why, len, "%s: %s", walked, strerror(errno));
			else
				err = check_own(walked, &st, why, len);
		}
	}
	if (!err && !strcmp(walked, "/")) { /* the path named the root directory itself */
		if (fstat(fd, &st))
			err = refuse(errno, why, len, "/: %s", strerror(errno));
		else
			err = check_own("/", &st, why, len);
	}
	if (!err) {
		struct statvfs sv;

		if (!fstatvfs(fd, &sv) && (sv.f_flag & ST_RDONLY))
			err = refuse(EROFS, why, len, "%s is on a read-only file system", walked);
	}
	close(fd);
	return err;
}

int emu_state_check(enum emu_state_kind k, char *why, size_t len)
{
	const char *p = emu_state_path(k);
	char sub[PATH_MAX];
	int err;

	if (!*p)
		return refuse(ENAMETOOLONG, why, len, "the %s path (%s) is too long",
			      k == EMU_STATE_BPFFS ? "bpffs root" : "state directory", emu_state_source(k));
	err = emu_dir_check(p, true, sub, sizeof(sub));
	if (err)
		refuse(-err, why, len, "%s (%s): %s", k == EMU_STATE_BPFFS ? "emulated bpffs" : "state directory",
		       emu_state_source(k), sub);
	return err;
}
