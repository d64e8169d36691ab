/* SPDX-License-Identifier: MIT */
/*
 * File operations on an emulated object's fd (a map, a program, a BTF object), answered as the
 * kernel's anonymous-inode files answer them. An object is a regular file to the system, so left
 * alone a write() or pwrite() would land on its header, ftruncate() would take its pages away (the
 * next access SIGBUS), and read(), lseek(), fstat(), fcntl(F_GETFL), poll() would all tell the
 * program it holds a file. Here every such call on an object fd gets the kernel's answer and the
 * file is never touched; on any other fd the call goes on unchanged.
 *
 * Which fds to ask about. A question costs an fstat() (~400 ns here, three times a write() to
 * /dev/null), so it is asked only of fd numbers hinted to be objects: every fd bpf() hands out,
 * every fd a bpf() call found to be a map (the fd cache), dups of hinted fds, fds received with
 * SCM_RIGHTS that are objects, and at start-up the inherited fds that are. A hint only says "ask":
 * a hinted number is checked (its file's identity) before it is answered for, so a hint left
 * behind by a close we did not see costs a question, never a wrong answer. An object fd that
 * reached the process by a way the preload cannot see (a raw system call) is not hinted, and its
 * file operations go to the file (README, differences from the kernel).
 *
 * The kernel's answers (probed on 6.18, checked by tests/e2e/fdops.sh): read EINVAL (EBADF on a
 * write-only fd), write EINVAL (EBADF read-only), pread/pwrite/preadv/pwritev/lseek ESPIPE,
 * ftruncate EINVAL, fallocate ENODEV (EBADF read-only), fsync EINVAL, fchmod/fchown EOPNOTSUPP,
 * ioctl ENOTTY (but the generic close-on-exec and non-blocking ones), poll POLLERR (a map's;
 * other objects' files are readable and writable), F_GETFL the
 * access mode and the flags F_SETFL may set, fstat/fstatfs those of the anonymous inode every such
 * file shares (taken from an eventfd, which shares it).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/falloc.h>
#include <poll.h>
#include <sys/file.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <linux/fs.h>
#include <unistd.h>

#include "preload.h"

REAL(ssize_t, read, int, void *, size_t)
REAL(int, flock, int, int)
REAL(ssize_t, write, int, const void *, size_t)
REAL(ssize_t, pread, int, void *, size_t, off_t)
REAL(ssize_t, pread64, int, void *, size_t, off64_t)
REAL(ssize_t, pwrite, int, const void *, size_t, off_t)
REAL(ssize_t, pwrite64, int, const void *, size_t, off64_t)
REAL(ssize_t, readv, int, const struct iovec *, int)
REAL(ssize_t, writev, int, const struct iovec *, int)
REAL(ssize_t, preadv, int, const struct iovec *, int, off_t)
REAL(ssize_t, preadv64, int, const struct iovec *, int, off64_t)
REAL(ssize_t, pwritev, int, const struct iovec *, int, off_t)
REAL(ssize_t, pwritev64, int, const struct iovec *, int, off64_t)
REAL(ssize_t, preadv2, int, const struct iovec *, int, off_t, int)
REAL(ssize_t, pwritev2, int, const struct iovec *, int, off_t, int)
REAL(off_t, lseek, int, off_t, int)
REAL(off64_t, lseek64, int, off64_t, int)
REAL(int, ftruncate, int, off_t)
REAL(int, ftruncate64, int, off64_t)
REAL(int, fallocate, int, int, off_t, off_t)
REAL(int, fallocate64, int, int, off64_t, off64_t)
REAL(int, posix_fallocate, int, off_t, off_t)
REAL(int, posix_fallocate64, int, off64_t, off64_t)
REAL(int, fsync, int)
REAL(ssize_t, readahead, int, off64_t, size_t)
REAL(int, sync_file_range, int, off64_t, off64_t, unsigned)
REAL(int, futimens, int, const struct timespec[2])
REAL(int, fsetxattr, int, const char *, const void *, size_t, int)
REAL(ssize_t, fgetxattr, int, const char *, void *, size_t)
REAL(ssize_t, flistxattr, int, char *, size_t)
REAL(int, fremovexattr, int, const char *)
REAL(int, fdatasync, int)
REAL(int, fchmod, int, mode_t)
REAL(int, fchown, int, uid_t, gid_t)
REAL(int, ioctl, int, unsigned long, ...)
REAL(int, fcntl, int, int, ...)
REAL(int, fstat, int, struct stat *)
REAL(int, fstatfs, int, struct statfs *)
REAL(ssize_t, sendfile, int, int, off_t *, size_t)
REAL(ssize_t, sendfile64, int, int, off64_t *, size_t)
REAL(ssize_t, copy_file_range, int, off64_t *, int, off64_t *, size_t, unsigned)
REAL(ssize_t, splice, int, off64_t *, int, off64_t *, size_t, unsigned)

/* ---- hints: the fd numbers worth asking about ---- */

#define HINT_SLOTS (1u << 20)
static unsigned char *hint;

void shim_hint_set(int fd)
{
	if (hint && fd >= 0 && (unsigned)fd < HINT_SLOTS)
		__atomic_store_n(&hint[fd], 1, __ATOMIC_RELAXED);
}

void shim_hint_clear(int fd)
{
	if (hint && fd >= 0 && (unsigned)fd < HINT_SLOTS && __atomic_load_n(&hint[fd], __ATOMIC_RELAXED))
		__atomic_store_n(&hint[fd], 0, __ATOMIC_RELAXED);
}

void shim_hint_clear_range(unsigned lo, unsigned hi)
{
	if (!hint || lo >= HINT_SLOTS)
		return;
	if (hi >= HINT_SLOTS)
		hi = HINT_SLOTS - 1;
	for (unsigned fd = lo; fd <= hi; fd++)
		shim_hint_clear((int)fd);
}

/* newfd now names what oldfd names (dup2, F_DUPFD, ...) */
void shim_hint_copy(int oldfd, int newfd)
{
	if (shim_hinted(oldfd))
		shim_hint_set(newfd);
	else
		shim_hint_clear(newfd);
}

bool shim_hinted(int fd)
{
	if (fd < 0)
		return false;
	if (hint && (unsigned)fd < HINT_SLOTS && __atomic_load_n(&hint[fd], __ATOMIC_RELAXED))
		return true;
	return emu_fdcache_has(fd);
}

/* At start-up: the objects this process inherited (across exec the hints are lost). */
static void hint_inherited(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	struct stat st;

	if (!d)
		return;
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name);

		if (de->d_name[0] < '0' || de->d_name[0] > '9' || fd == dirfd(d))
			continue;
		if (!get_fstat()(fd, &st) && emu_fd_object_kind(fd, &st))
			shim_hint_set(fd);
	}
	closedir(d);
}

void shim_fdops_init(void)
{
	void *p = mmap(NULL, HINT_SLOTS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return;
	hint = p;
	depth++;
	hint_inherited();
	depth--;
}

/* ---- the anonymous inode every bpf object's file is ---- */

static struct {
	struct stat st;
	struct statx stx;
	struct statfs sfs;
	unsigned long long mnt_id, ino;
	bool ok;
} anon;
static pthread_once_t anon_once = PTHREAD_ONCE_INIT;

/* An eventfd's file shares the kernel's anonymous inode with bpf maps, programs and BTF objects:
 * its stat, statfs and fdinfo ids are exactly what theirs would be. */
static void anon_init(void)
{
	char path[64], line[128];
	FILE *f;
	int efd;

	depth++;
	efd = eventfd(0, EFD_CLOEXEC);
	if (efd >= 0) {
		anon.ok = !get_fstat()(efd, &anon.st) && !get_fstatfs()(efd, &anon.sfs) &&
			  !statx(efd, "", AT_EMPTY_PATH, STATX_BASIC_STATS | STATX_MNT_ID, &anon.stx);
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", efd);
		f = fopen(path, "re");
		while (f && fgets(line, sizeof(line), f)) {
			if (sscanf(line, "mnt_id: %llu", &anon.mnt_id) == 1 || sscanf(line, "ino: %llu", &anon.ino) == 1)
				continue;
		}
		if (f)
			fclose(f);
		close(efd);
	}
	depth--;
}

bool shim_anon_stat(struct stat *st)
{
	pthread_once(&anon_once, anon_init);
	*st = anon.st;
	return anon.ok;
}

bool shim_anon_statx(struct statx *stx)
{
	pthread_once(&anon_once, anon_init);
	*stx = anon.stx;
	return anon.ok;
}

bool shim_anon_statfs(struct statfs *sfs)
{
	pthread_once(&anon_once, anon_init);
	*sfs = anon.sfs;
	return anon.ok;
}

bool shim_anon_ids(unsigned long long *mnt_id, unsigned long long *ino)
{
	pthread_once(&anon_once, anon_init);
	*mnt_id = anon.mnt_id;
	*ino = anon.ino;
	return anon.ok;
}

/* ---- which fds are objects ---- */

/* The kernel's F_GETFL of an object fd: its access mode and what F_SETFL may have set there
 * (O_APPEND, O_NONBLOCK, O_NOATIME; not O_ASYNC, which files without fasync drop), never the
 * O_LARGEFILE or O_TMPFILE of our file. */
int shim_visible_flags(int fl)
{
	return fl & (O_ACCMODE | O_APPEND | O_NONBLOCK | O_NOATIME);
}

/*
 * The kind of object fd names (EMU_OBJ_*, 0 if none) and its real F_GETFL flags in *fl, for a hinted
 * fd; 0 for any other, and for an fd the call should find bad on its own. O_PATH fds are
 * reported too (*fl says so): the kernel's O_PATH fd of a pin fails most calls with EBADF, as
 * ours does, so most callers pass them on.
 */
static int object_fd_if(int fd, struct stat *st, int *fl, bool always)
{
	int kind;

	if (depth || fd < 0 || (!always && !shim_hinted(fd)))
		return 0;
	depth++;
	kind = get_fstat()(fd, st) ? 0 : emu_fd_object_kind(fd, st);
	*fl = kind ? get_fcntl()(fd, F_GETFL) : -1;
	depth--;
	if (!kind || *fl < 0) {
		if (!kind)
			shim_hint_clear(fd); /* asked once, not again until something hints it */
		return 0;
	}
	return kind;
}

static int object_fd(int fd, struct stat *st, int *fl)
{
	return object_fd_if(fd, st, fl, false);
}

int shim_object_fd(int fd, struct stat *st, int *fl)
{
	return object_fd(fd, st, fl);
}

/* An object fd that file operations answer for (not O_PATH); fl its real flags. The hot calls
 * (read, write, ...) ask only about hinted fds; the rare ones that could change a file
 * (ftruncate, fallocate, the splices) about every fd. */
static int op_fd(int fd, int *fl)
{
	struct stat st;
	int kind = object_fd(fd, &st, fl);

	return kind && !(*fl & O_PATH) ? kind : 0;
}

int shim_op_fd(int fd, int *fl)
{
	return op_fd(fd, fl);
}

static bool op_fd_always(int fd, int *fl)
{
	struct stat st;

	return object_fd_if(fd, &st, fl, true) && !(*fl & O_PATH);
}

static long fail(long err)
{
	errno = (int)-err;
	return -1;
}

#define ACC(fl) ((fl) & O_ACCMODE)

/* vfs_read/vfs_write: the mode, then the dummy op's EINVAL */
static long read_answer(int fl)
{
	if (EMU_FAULT("fdops-errno"))
		return -EBADF; /* planted: tests/e2e/fdops.sh must catch it */
	return ACC(fl) == O_WRONLY ? -EBADF : -EINVAL;
}
static long write_answer(int fl) { return ACC(fl) == O_RDONLY ? -EBADF : -EINVAL; }

/* vfs_readv/vfs_writev: the mode; then a file without read and write ops (BTF objects' and stats
 * fds' btf_fops, bpf_stats_fops) is EINVAL before the vector is looked at; maps' and programs'
 * files have the dummy ops: the vector (too many entries, unreadable, a length past SSIZE_MAX),
 * then nothing to do for an empty one, else the dummy op's EINVAL */
static long vec_answer(int kind, int fl, const struct iovec *iov, int cnt, bool write)
{
	long err = write ? write_answer(fl) : read_answer(fl);
	size_t total = 0;

	if (err == -EBADF)
		return err;
	if (kind != EMU_OBJ_MAP && kind != EMU_OBJ_PROG)
		return -EINVAL;
	if (cnt < 0 || cnt > IOV_MAX)
		return -EINVAL;
	for (int i = 0; i < cnt; i++) {
		struct iovec v;

		if (emu_copy_from_user(&v, &iov[i], sizeof(v)))
			return -EFAULT;
		if (v.iov_len > SSIZE_MAX)
			return -EINVAL;
		total += v.iov_len;
	}
	return total ? -EINVAL : 0;
}

/* ---- read and write ---- */

extern void __chk_fail(void) __attribute__((noreturn));

#define RW_BODY(real_call, answer)                                                                  \
	int fl;                                                                                     \
	if (op_fd(fd, &fl)) {                                                                       \
		long ans_ = (answer);                                                               \
		return ans_ < 0 ? fail(ans_) : ans_;                                                \
	}                                                                                           \
	return real_call;

EXPORT ssize_t read(int fd, void *buf, size_t n) { RW_BODY(get_read()(fd, buf, n), read_answer(fl)) }
EXPORT ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
	if (n > buflen)
		__chk_fail(); /* glibc's answer to a buffer overflow the program asked for */
	return read(fd, buf, n);
}
EXPORT ssize_t write(int fd, const void *buf, size_t n) { RW_BODY(get_write()(fd, buf, n), write_answer(fl)) }

/* pread and friends: a negative offset is EINVAL before the fd is looked at; then no object file
 * can be read or written at an offset (ESPIPE) */
#define PRW_BODY(real_call)                                                                         \
	int fl;                                                                                     \
	if (off >= 0 && op_fd(fd, &fl))                                                             \
		return fail(-ESPIPE);                                                               \
	return real_call;

EXPORT ssize_t pread(int fd, void *buf, size_t n, off_t off) { PRW_BODY(get_pread()(fd, buf, n, off)) }
EXPORT ssize_t pread64(int fd, void *buf, size_t n, off64_t off) { PRW_BODY(get_pread64()(fd, buf, n, off)) }
EXPORT ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen)
{
	if (n > buflen)
		__chk_fail();
	return pread(fd, buf, n, off);
}
EXPORT ssize_t __pread64_chk(int fd, void *buf, size_t n, off64_t off, size_t buflen)
{
	if (n > buflen)
		__chk_fail();
	return pread64(fd, buf, n, off);
}
EXPORT ssize_t pwrite(int fd, const void *buf, size_t n, off_t off) { PRW_BODY(get_pwrite()(fd, buf, n, off)) }
EXPORT ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off) { PRW_BODY(get_pwrite64()(fd, buf, n, off)) }

EXPORT ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
	int fl, kind;

	if ((kind = op_fd(fd, &fl))) {
		long r = vec_answer(kind, fl, iov, cnt, false);

		return r < 0 ? fail(r) : r;
	}
	return get_readv()(fd, iov, cnt);
}

EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	int fl, kind;

	if ((kind = op_fd(fd, &fl))) {
		long r = vec_answer(kind, fl, iov, cnt, true);

		return r < 0 ? fail(r) : r;
	}
	return get_writev()(fd, iov, cnt);
}

EXPORT ssize_t preadv(int fd, const struct iovec *iov, int cnt, off_t off) { PRW_BODY(get_preadv()(fd, iov, cnt, off)) }
EXPORT ssize_t preadv64(int fd, const struct iovec *iov, int cnt, off64_t off) { PRW_BODY(get_preadv64()(fd, iov, cnt, off)) }
EXPORT ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off) { PRW_BODY(get_pwritev()(fd, iov, cnt, off)) }
EXPORT ssize_t pwritev64(int fd, const struct iovec *iov, int cnt, off64_t off) { PRW_BODY(get_pwritev64()(fd, iov, cnt, off)) }

/* preadv2/pwritev2 at offset -1 use the file position, as readv/writev do */
EXPORT ssize_t preadv2(int fd, const struct iovec *iov, int cnt, off_t off, int flags)
{
	if (off == -1) {
		int fl, kind;

		if ((kind = op_fd(fd, &fl))) {
			long r = vec_answer(kind, fl, iov, cnt, false);

			return r < 0 ? fail(r) : r;
		}
		return get_preadv2()(fd, iov, cnt, off, flags);
	}
	PRW_BODY(get_preadv2()(fd, iov, cnt, off, flags))
}

EXPORT ssize_t pwritev2(int fd, const struct iovec *iov, int cnt, off_t off, int flags)
{
	if (off == -1) {
		int fl, kind;

		if ((kind = op_fd(fd, &fl))) {
			long r = vec_answer(kind, fl, iov, cnt, true);

			return r < 0 ? fail(r) : r;
		}
		return get_pwritev2()(fd, iov, cnt, off, flags);
	}
	PRW_BODY(get_pwritev2()(fd, iov, cnt, off, flags))
}

/* lseek: an unknown whence is EINVAL before the file is asked; no object file seeks */
#define LSEEK_BODY(real_call)                                                                       \
	int fl;                                                                                     \
	if (whence >= SEEK_SET && whence <= SEEK_HOLE && op_fd(fd, &fl))                            \
		return fail(-ESPIPE);                                                               \
	return real_call;

EXPORT off_t lseek(int fd, off_t off, int whence) { LSEEK_BODY(get_lseek()(fd, off, whence)) }
EXPORT off64_t lseek64(int fd, off64_t off, int whence) { LSEEK_BODY(get_lseek64()(fd, off, whence)) }

/* ---- what would change the file: ftruncate, fallocate ---- */

/* do_sys_ftruncate: a negative length first, then no object file can be truncated */
#define FTRUNCATE_BODY(real_call)                                                                   \
	int fl;                                                                                     \
	if (len >= 0 && op_fd_always(fd, &fl))                                                      \
		return fail(-EINVAL);                                                               \
	return real_call;

EXPORT int ftruncate(int fd, off_t len) { FTRUNCATE_BODY(get_ftruncate()(fd, len)) }
EXPORT int ftruncate64(int fd, off64_t len) { FTRUNCATE_BODY(get_ftruncate64()(fd, len)) }

#define FALLOC_KNOWN                                                                                \
	(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_ZERO_RANGE | \
	 FALLOC_FL_INSERT_RANGE | FALLOC_FL_UNSHARE_RANGE)

/* vfs_fallocate: the arguments (as for any file), the write mode, then ENODEV: not a regular file */
static long fallocate_answer(int fl, int mode, long long off, long long len)
{
	if (off < 0 || len <= 0)
		return -EINVAL;
	if (mode & ~FALLOC_KNOWN)
		return -EOPNOTSUPP;
	if ((mode & FALLOC_FL_PUNCH_HOLE) && !(mode & FALLOC_FL_KEEP_SIZE))
		return -EOPNOTSUPP;
	return ACC(fl) == O_RDONLY ? -EBADF : -ENODEV;
}

EXPORT int fallocate(int fd, int mode, off_t off, off_t len)
{
	int fl;

	if (op_fd_always(fd, &fl))
		return (int)fail(fallocate_answer(fl, mode, off, len));
	return get_fallocate()(fd, mode, off, len);
}

EXPORT int fallocate64(int fd, int mode, off64_t off, off64_t len)
{
	int fl;

	if (op_fd_always(fd, &fl))
		return (int)fail(fallocate_answer(fl, mode, off, len));
	return get_fallocate64()(fd, mode, off, len);
}

/* posix_fallocate returns the error (glibc passes the system call's on, but EOPNOTSUPP) */
EXPORT int posix_fallocate(int fd, off_t off, off_t len)
{
	int fl;

	if (op_fd_always(fd, &fl))
		return (int)-fallocate_answer(fl, 0, off, len);
	return get_posix_fallocate()(fd, off, len);
}

EXPORT int posix_fallocate64(int fd, off64_t off, off64_t len)
{
	int fl;

	if (op_fd_always(fd, &fl))
		return (int)-fallocate_answer(fl, 0, off, len);
	return get_posix_fallocate64()(fd, off, len);
}

/* ---- the rest of a file's operations ---- */

EXPORT int fsync(int fd) { RW_BODY(get_fsync()(fd), -EINVAL) }
EXPORT int fdatasync(int fd) { RW_BODY(get_fdatasync()(fd), -EINVAL) }
/* the anonymous inode refuses attribute changes outright */
EXPORT int fchmod(int fd, mode_t mode) { RW_BODY(get_fchmod()(fd, mode), -EOPNOTSUPP) }
EXPORT int fchown(int fd, uid_t uid, gid_t gid) { RW_BODY(get_fchown()(fd, uid, gid), -EOPNOTSUPP) }

EXPORT int futimens(int fd, const struct timespec ts[2]) { RW_BODY(get_futimens()(fd, ts), -EOPNOTSUPP) }

/* readahead: the read mode, then no page cache to read ahead into */
EXPORT ssize_t readahead(int fd, off64_t off, size_t n)
{
	RW_BODY(get_readahead()(fd, off, n), ACC(fl) == O_WRONLY ? -EBADF : -EINVAL)
}

/* sync_file_range: its arguments (as for any file), then ESPIPE: not a regular file */
EXPORT int sync_file_range(int fd, off64_t off, off64_t n, unsigned flags)
{
	int fl;

	if (off >= 0 && n >= 0 && off + n >= off &&
	    !(flags & ~(SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER)) &&
	    op_fd(fd, &fl))
		return (int)fail(-ESPIPE);
	return get_sync_file_range()(fd, off, n, flags);
}

/* Extended attributes: the anonymous inode has no handlers; user.* names are refused first
 * (EPERM to change, none to read) as on any file that is not regular or a directory. */
static bool user_xattr(const char *name)
{
	return opaque(name) && !strncmp(name, "user.", 5);
}

EXPORT int fsetxattr(int fd, const char *name, const void *v, size_t n, int flags)
{
	RW_BODY(get_fsetxattr()(fd, name, v, n, flags), user_xattr(name) ? -EPERM : -EOPNOTSUPP)
}
EXPORT ssize_t fgetxattr(int fd, const char *name, void *v, size_t n)
{
	RW_BODY(get_fgetxattr()(fd, name, v, n), user_xattr(name) ? -ENODATA : -EOPNOTSUPP)
}
EXPORT ssize_t flistxattr(int fd, char *list, size_t n)
{
	RW_BODY(get_flistxattr()(fd, list, n), 0)
}
EXPORT int fremovexattr(int fd, const char *name)
{
	RW_BODY(get_fremovexattr()(fd, name), user_xattr(name) ? -EPERM : -EOPNOTSUPP)
}

/* do_vfs_ioctl's own requests that apply to any file (close-on-exec, non-blocking, async, the
 * block size); everything else reaches the file, which has no ioctl op: ENOTTY */
static bool generic_ioctl(unsigned long req)
{
	return req == FIOCLEX || req == FIONCLEX || req == FIONBIO || req == FIOASYNC || req == FIGETBSZ;
}

EXPORT int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	int fl;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!generic_ioctl(req) && op_fd(fd, &fl))
		return (int)fail(-ENOTTY);
	return get_ioctl()(fd, req, arg);
}

/* ---- copies between files: an object file has neither splice op ---- */

/* do_sendfile: in needs read mode (and an offset needs pread); out needs write mode; then the
 * splice finds no op: EINVAL */
static bool sendfile_answer(int out, int in, bool has_off, long *err)
{
	int ifl = -1, ofl = -1;
	bool in_obj = op_fd_always(in, &ifl), out_obj = op_fd_always(out, &ofl);

	if (!in_obj && !out_obj)
		return false;
	if (in_obj && ACC(ifl) == O_WRONLY)
		*err = -EBADF;
	else if (in_obj && has_off)
		*err = -ESPIPE;
	else if (out_obj && ACC(ofl) == O_RDONLY)
		*err = -EBADF;
	else
		*err = -EINVAL;
	return true;
}

EXPORT ssize_t sendfile(int out, int in, off_t *off, size_t n)
{
	long err;

	if (sendfile_answer(out, in, off != NULL, &err))
		return fail(err);
	return get_sendfile()(out, in, off, n);
}

EXPORT ssize_t sendfile64(int out, int in, off64_t *off, size_t n)
{
	long err;

	if (sendfile_answer(out, in, off != NULL, &err))
		return fail(err);
	return get_sendfile64()(out, in, off, n);
}

EXPORT ssize_t copy_file_range(int in, off64_t *in_off, int out, off64_t *out_off, size_t n, unsigned flags)
{
	int ifl = -1, ofl = -1;
	bool in_obj = op_fd_always(in, &ifl), out_obj = op_fd_always(out, &ofl);

	(void)ifl;
	(void)ofl;
	/* generic_copy_file_checks: both files must be regular before their modes are asked */
	if (in_obj || out_obj)
		return fail(-EINVAL);
	return get_copy_file_range()(in, in_off, out, out_off, n, flags);
}

EXPORT ssize_t splice(int in, off64_t *in_off, int out, off64_t *out_off, size_t n, unsigned flags)
{
	int ifl = -1, ofl = -1;
	bool in_obj = op_fd_always(in, &ifl), out_obj = op_fd_always(out, &ofl);

	if (in_obj || out_obj) {
		if ((in_obj && ACC(ifl) == O_WRONLY) || (out_obj && ACC(ofl) == O_RDONLY))
			return fail(-EBADF);
		if ((in_obj && in_off) || (out_obj && out_off))
			return fail(-ESPIPE);
		return fail(-EINVAL);
	}
	return get_splice()(in, in_off, out, out_off, n, flags);
}

/* ---- flock of a stats fd ---- */

/*
 * A BPF_ENABLE_STATS fd is a description of the state directory's stats file holding a shared
 * flock, which is how the emulator knows stats are on (core/prog_obj.c). The program's own flock
 * of such an fd is kept apart from it, or LOCK_UN would turn stats off: the program's lock is
 * recorded in the fd's hint byte (bits 1-2: none, LOCK_SH, LOCK_EX) and shown by its fdinfo
 * (procfs.c), and the file's lock is left as it is. Every lock on the kernel's stats files would
 * succeed at once (no other process locks the file itself), as the recorded one does. Kept per fd
 * number: a dup does not carry it (README).
 */
int shim_stats_flock(int fd)
{
	if (!hint || fd < 0 || (unsigned)fd >= HINT_SLOTS)
		return 0;
	return (__atomic_load_n(&hint[fd], __ATOMIC_RELAXED) >> 1) & 3;
}

EXPORT int flock(int fd, int op)
{
	int fl, base = op & ~LOCK_NB;

	if ((base == LOCK_SH || base == LOCK_EX || base == LOCK_UN) && op_fd(fd, &fl) == EMU_OBJ_STATS &&
	    (unsigned)fd < HINT_SLOTS) {
		unsigned char v = (unsigned char)(1 | (base == LOCK_UN ? 0 : base == LOCK_SH ? 2 : 4));

		__atomic_store_n(&hint[fd], v, __ATOMIC_RELAXED);
		return 0;
	}
	return get_flock()(fd, op);
}

/* ---- the same calls made through syscall() ---- */

/*
 * syscall(SYS_write, ...) and the like reach the file as surely as write() does: the calls that
 * could change an object file, and those whose answer differs, are routed through the functions
 * above when their fd is hinted. *handled is false when the call is not one of them.
 */
long shim_fdop_syscall(long nr, long a0, long a1, long a2, long a3, long a4, long a5, bool *handled)
{
	*handled = false;
	if (depth)
		return 0;
	switch (nr) {
	case SYS_read:
	case SYS_write:
	case SYS_pread64:
	case SYS_pwrite64:
	case SYS_readv:
	case SYS_writev:
	case SYS_preadv:
	case SYS_pwritev:
	case SYS_preadv2:
	case SYS_pwritev2:
	case SYS_lseek:
	case SYS_ftruncate:
	case SYS_fallocate:
	case SYS_fsync:
	case SYS_fdatasync:
	case SYS_fchmod:
	case SYS_fchown:
	case SYS_ioctl:
	case SYS_flock:
		if (!shim_hinted((int)a0))
			return 0;
		break;
	case SYS_copy_file_range:
	case SYS_splice:
		if (!shim_hinted((int)a0) && !shim_hinted((int)a2))
			return 0;
		break;
	default:
		return 0;
	}
	*handled = true;
	switch (nr) {
	case SYS_read: return read((int)a0, (void *)a1, (size_t)a2);
	case SYS_write: return write((int)a0, (const void *)a1, (size_t)a2);
	case SYS_pread64: return pread64((int)a0, (void *)a1, (size_t)a2, (off64_t)a3);
	case SYS_pwrite64: return pwrite64((int)a0, (const void *)a1, (size_t)a2, (off64_t)a3);
	case SYS_readv: return readv((int)a0, (const struct iovec *)a1, (int)a2);
	case SYS_writev: return writev((int)a0, (const struct iovec *)a1, (int)a2);
	/* the vectored calls at an offset: the offset's low half is enough to tell -1 and < 0 */
	case SYS_preadv: return preadv64((int)a0, (const struct iovec *)a1, (int)a2, (off64_t)a3);
	case SYS_pwritev: return pwritev64((int)a0, (const struct iovec *)a1, (int)a2, (off64_t)a3);
	case SYS_preadv2: return preadv2((int)a0, (const struct iovec *)a1, (int)a2, (off_t)a3, (int)a5);
	case SYS_pwritev2: return pwritev2((int)a0, (const struct iovec *)a1, (int)a2, (off_t)a3, (int)a5);
	case SYS_lseek: return lseek64((int)a0, (off64_t)a1, (int)a2);
	case SYS_ftruncate: return ftruncate64((int)a0, (off64_t)a1);
	case SYS_fallocate: return fallocate64((int)a0, (int)a1, (off64_t)a2, (off64_t)a3);
	case SYS_fsync: return fsync((int)a0);
	case SYS_flock: return flock((int)a0, (int)a1);
	case SYS_fdatasync: return fdatasync((int)a0);
	case SYS_fchmod: return fchmod((int)a0, (mode_t)a1);
	case SYS_fchown: return fchown((int)a0, (uid_t)a1, (gid_t)a2);
	case SYS_ioctl: return ioctl((int)a0, (unsigned long)a1, (void *)a2);
	case SYS_copy_file_range:
		return copy_file_range((int)a0, (off64_t *)a1, (int)a2, (off64_t *)a3, (size_t)a4, (unsigned)a5);
	case SYS_splice: return splice((int)a0, (off64_t *)a1, (int)a2, (off64_t *)a3, (size_t)a4, (unsigned)a5);
	default: break;
	}
	*handled = false;
	return 0;
}
