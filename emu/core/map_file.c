/* SPDX-License-Identifier: MIT */
/*
 * Map files: the layout of a new map's file (header, the family's state, writer slots, redo
 * stage), creating it, and checking a file some fd names before it is mapped.
 *
 * A map is a memory file whose fd is the map fd, so dup, fork, SCM_RIGHTS, close and exit keep
 * the kernel's lifetime rules without any bookkeeping of ours.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "../frontend.h" /* EMU_MAP_OWN */
#include "../util/diag.h"
#include "inplace.h"
#include "memavail.h"
#include "objstore.h"
#include "registry.h"
#include "state.h"
#include "sync.h"

static uint64_t total_ram(void)
{
	struct sysinfo si;

	if (sysinfo(&si))
		return UINT64_MAX;
	return (uint64_t)si.totalram * si.mem_unit;
}

/* The redo record's staging area: one user value, for the types that overwrite values in place
 * (and hash maps whose values hold a spin lock: BPF_F_LOCK updates write them in place). */
static uint64_t redo_bytes(const struct emu_create *c)
{
	if (emu_is_percpu_type(c->map_type))
		return emu_round_up64(emu_round_up64(c->value_size, 8) * c->nr_cpus, 64);
	return c->map_type == EMU_MAP_ARRAY || c->nr_locks ? emu_round_up64(c->value_size, 64) : 0;
}

/* One slot's staging area (inplace.c), whole lines so that slots share none. Values holding a
 * lock word take no lock-free in-place writes (core/value.h). */
static uint32_t inplace_stage(const struct emu_create *c, const struct emu_map_ops *ops)
{
	return ops->inplace_bytes && !c->nr_locks ? emu_round_up(ops->inplace_bytes(c), 64) : 0;
}

/* The BTF blob a map keeps a copy of, at the end of its file (core/map.h). */
static uint64_t btf_bytes(const struct emu_create *c)
{
	return c->btf_id ? emu_round_up64(c->btf_size, 64) : 0;
}

int emu_map_file_size(const struct emu_create *c, const struct emu_map_ops *ops, uint64_t *size)
{
	uint64_t priv_size = 0;
	int err = ops->layout(c, &priv_size);

	if (err)
		return err;
	*size = emu_round_up64(sizeof(struct emu_map_hdr), 64) + priv_size;
	/* The kernel allocates all of it up front and fails with ENOMEM where memory runs out;
	 * our pages are only touched when used, so refuse what could never be backed. */
	if (*size > total_ram() || *size > (uint64_t)SSIZE_MAX)
		return -ENOMEM;
	/* The staging areas are touched only while a write is open, and the kernel has none; the
	 * kernel's BTF is an object of its own: they are left out of the test above so the limits
	 * stay the kernel's. */
	*size = emu_round_up64(*size, 64) + emu_inplace_area(inplace_stage(c, ops)) + redo_bytes(c) + btf_bytes(c);
	return 0;
}

/*
 * Size the file and take its memory now. The kernel allocates a map's memory at create and fails
 * it with ENOMEM there; a file's pages are otherwise allocated when first touched, and a page a
 * full file system (or the memory controller) cannot supply is a SIGBUS in whichever call touches
 * it first. fallocate() takes them at once, so a map that was created can always be used.
 * File systems without fallocate keep the old lazy way (-EOPNOTSUPP is not an error). Maps the
 * kernel fills lazily (BPF_F_NO_PREALLOC) are only sized, as the kernel allocates their elements
 * at update time.
 */
static int size_file(int fd, uint64_t size, bool reserve)
{
	if (emu_ftruncate_quiet(fd, (off_t)size))
		return errno == EFBIG || errno == EINVAL ? -ENOMEM : -errno;
	if (reserve && fallocate(fd, 0, 0, (off_t)size)) {
		if (errno == EOPNOTSUPP)
			return 0;
		return errno == ENOSPC || errno == EFBIG || errno == EDQUOT ? -ENOSPC : -ENOMEM;
	}
	return 0;
}

/*
 * The map file: an unnamed file in the bpffs root, so it can be pinned by a link, else a memfd,
 * sized and its memory taken (size_file). A root without room for the whole map is passed over
 * for a memfd (which shares the machine's memory, as the kernel's maps do): the map then works as
 * usual but cannot be pinned. Memory a memfd cannot have is the kernel's ENOMEM. State
 * directories that were refused (emu_open_object_file's -errno) are never passed over for a
 * memfd: the create fails with their errno.
 */
static int open_map_file(uint64_t size, bool reserve)
{
	int fd = emu_open_object_file("bpf-map"), err;
	struct statfs sf;

	if (fd < 0)
		return fd; /* the state directories were refused, or no fd was left */
	if (!fstatfs(fd, &sf) && sf.f_blocks && (uint64_t)sf.f_bavail * (uint64_t)sf.f_bsize < size)
		err = -ENOSPC;
	else
		err = size_file(fd, size, reserve);
	if (!err)
		return fd;
	{
		static bool said;

		if (!__atomic_exchange_n(&said, true, __ATOMIC_RELAXED))
			emu_diag("bpffs root %s has no room for a %llu-byte map: using unpinnable memory files",
				 emu_bpffs_root(), (unsigned long long)size);
	}
	close(fd);
	fd = memfd_create("bpf-map", MFD_CLOEXEC);
	if (fd < 0)
		return errno == EMFILE || errno == ENFILE ? -errno : -ENOMEM;
	err = size_file(fd, size, reserve);
	if (err) {
		close(fd);
		return err == -ENOSPC ? -ENOMEM : err;
	}
	return fd;
}

/*
 * With no second fd for the access-mode reopen (a process at its fd limit), the new map's file is
 * given a name in the bpffs root for a moment, its first fd closed and the name opened in the mode
 * asked, at the same (lowest free) number. The process's view keeps the file alive meanwhile. A
 * memory file (no usable root) has no name to give: EMFILE, as before. 0 and *fd; -EMFILE with *fd
 * still open; any other -errno with *fd closed.
 */
static int reopen_by_name(int *fd, uint32_t id, int mode)
{
	char proc[64], tmp[PATH_MAX];
	int rfd;

	if (snprintf(tmp, sizeof(tmp), "%s/.bpfemu-reopen-%d-%u", emu_bpffs_root(), (int)getpid(), id) >=
	    (int)sizeof(tmp))
		return -EMFILE;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", *fd);
	if (linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW))
		return -EMFILE;
	close(*fd);
	rfd = open(tmp, mode | O_CLOEXEC | O_NOFOLLOW);
	unlink(tmp);
	if (rfd < 0)
		return -errno;
	*fd = rfd;
	return 0;
}

int emu_map_create_file(const struct emu_create *c, const struct emu_map_ops *ops, const char *name,
			int *fd_out)
{
	uint64_t size;
	struct emu_map_hdr *h;
	struct emu_map *m;
	struct stat st;
	bool reserve;
	void *base;
	int fd, err;

	err = emu_map_file_size(c, ops, &size);
	if (err)
		return err;
	/* Taking more than the system or the memory cgroup can give would wake an OOM killer, where
	 * the kernel's allocation (__GFP_RETRY_MAYFAIL) fails instead: ENOMEM first (a question of a
	 * few files, asked for maps of a megabyte or more). */
	reserve = !(c->map_flags & EMU_F_NO_PREALLOC);
	if (reserve && size >= (1u << 20) && !emu_memory_for(size))
		return -ENOMEM;
	err = emu_ids_init();
	if (err)
		return err;
	fd = open_map_file(size, reserve);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st)) {
		err = -errno;
		close(fd);
		return err;
	}
	base = mmap(NULL, size, PROT_READ | PROT_WRITE, EMU_MAP_OWN, fd, 0);
	if (base == MAP_FAILED) {
		close(fd);
		return -ENOMEM;
	}
	h = base;
	h->magic = EMU_MAGIC;
	h->layout_version = EMU_LAYOUT_VERSION;
	h->hdr_size = sizeof(*h);
	h->file_size = size;
	h->map_type = c->map_type;
	h->key_size = c->key_size;
	h->value_size = c->value_size;
	h->max_entries = c->max_entries;
	h->map_flags = c->map_flags & ~(EMU_F_RDONLY | EMU_F_WRONLY);
	h->nr_cpus = c->nr_cpus;
	h->map_extra = c->map_extra;
	memcpy(h->name, name, EMU_OBJ_NAME_LEN);
	/* bytes after the first NUL are not part of the name */
	for (size_t i = strnlen(h->name, EMU_OBJ_NAME_LEN); i < EMU_OBJ_NAME_LEN; i++)
		h->name[i] = 0;
	h->id = emu_alloc_id(EMU_ID_MAP);
	h->restricted_fds = !!(c->map_flags & (EMU_F_RDONLY | EMU_F_WRONLY));
	h->priv_off = emu_round_up64(sizeof(struct emu_map_hdr), 64);
	/* from the end: the BTF copy, the redo stage, the in-place slots */
	h->btf_off = btf_bytes(c) ? size - btf_bytes(c) : 0;
	h->redo_off = redo_bytes(c) ? size - btf_bytes(c) - redo_bytes(c) : 0;
	h->inplace_stage = inplace_stage(c, ops);
	h->inplace_off = h->inplace_stage ? size - btf_bytes(c) - redo_bytes(c) - emu_inplace_area(h->inplace_stage) : 0;
	h->spin_lock_off = -1;
	if (c->btf_id) {
		h->btf_id = c->btf_id;
		h->btf_key_type_id = c->btf_key_type_id;
		h->btf_value_type_id = c->btf_value_type_id;
		h->btf_vmlinux_value_type_id = c->btf_vmlinux_value_type_id;
		h->btf_size = c->btf_size;
		memcpy(base + h->btf_off, c->btf_data, c->btf_size);
		h->nr_fields = c->nr_fields;
		h->nr_locks = c->nr_locks;
		h->field_mask = c->field_mask;
		h->spin_lock_off = c->spin_lock_off;
		memcpy(h->fields, c->fields, sizeof(h->fields));
	}
	err = emu_robust_init(&h->lock);
	if (!err && h->inplace_off)
		err = emu_inplace_init(h, base);
	if (err) {
		munmap(base, size);
		close(fd);
		return err;
	}

	err = emu_registry_add(st.st_dev, st.st_ino, base, size, &m);
	if (err) {
		munmap(base, size);
		close(fd);
		return err;
	}
	ops->init(m);
	/* registered before any access-mode reopen: every process of the user can now find it by
	 * id (a memory file cannot be: it stays this process's, as before) */
	emu_objstore_register(fd, EMU_ID_MAP, h->id);

	if (c->map_flags & (EMU_F_RDONLY | EMU_F_WRONLY)) {
		/* The kernel's fd carries the access mode; reopening the file gives ours one, put in
		 * place of the first (dup3) so the caller gets the lowest free number, as from the
		 * kernel. */
		char path[64];
		int rfd;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		rfd = open(path, ((c->map_flags & EMU_F_RDONLY) ? O_RDONLY : O_WRONLY) | O_CLOEXEC);
		if (rfd < 0 && errno == EMFILE) {
			/* no fd to spare: reopened through a name for a moment instead */
			err = reopen_by_name(&fd, h->id, c->map_flags & EMU_F_RDONLY ? O_RDONLY : O_WRONLY);
			if (err == -EMFILE) {
				errno = EMFILE; /* not reopened; fd still open: fails below */
			} else if (err) {
				emu_registry_remove(m); /* fd already closed */
				return err;
			} else {
				*fd_out = fd;
				return 0;
			}
		}
		if (rfd < 0 || dup3(rfd, fd, O_CLOEXEC) < 0) {
			err = rfd < 0 && (errno == EMFILE || errno == ENFILE) ? -errno : -ENOMEM;
			if (rfd >= 0)
				close(rfd);
			emu_registry_remove(m);
			close(fd);
			return err;
		}
		close(rfd);
	}
	*fd_out = fd;
	return 0;
}

/* The special fields lie inside the value (they bound copies into private buffers). */
static bool fields_ok(const struct emu_map_hdr *h)
{
	if (h->nr_fields > EMU_MAP_FIELDS_MAX || (h->spin_lock_off >= 0 && (uint64_t)h->spin_lock_off + 4 > h->value_size))
		return false;
	for (uint32_t i = 0; i < h->nr_fields; i++)
		if ((uint64_t)h->fields[i].offset + h->fields[i].size > h->value_size)
			return false;
	return true;
}

/* Whether the file fd names is a map file of ours, its header consistent with its size; mapped
 * writable whatever the fd's mode (every user of a map writes its lock). */
int emu_map_file_open(int fd, const struct stat *st, void **base, size_t *size)
{
	struct emu_map_hdr h;
	char path[64];
	int rfd = fd, fl = fcntl(fd, F_GETFL);
	void *p;

	/* An O_RDWR fd serves as it is; any other is reopened, which needs a free fd for a moment
	 * (a process at its fd limit then gets EMFILE rather than being told it holds no map). */
	if (fl < 0 || (fl & O_ACCMODE) != O_RDWR) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		rfd = open(path, O_RDWR | O_CLOEXEC);
		if (rfd < 0)
			return errno == EMFILE || errno == ENFILE ? -errno : -EINVAL;
	}
	if (pread(rfd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) || h.magic != EMU_MAGIC ||
	    h.layout_version != EMU_LAYOUT_VERSION || h.hdr_size != sizeof(h) ||
	    h.file_size != (uint64_t)st->st_size || !emu_ops_for_type(h.map_type) || !fields_ok(&h) ||
	    (h.btf_id && (h.btf_off < sizeof(h) || h.btf_off + h.btf_size > h.file_size))) {
		if (rfd != fd)
			close(rfd);
		return -EINVAL;
	}
	p = mmap(NULL, h.file_size, PROT_READ | PROT_WRITE, EMU_MAP_OWN, rfd, 0);
	if (rfd != fd)
		close(rfd);
	if (p == MAP_FAILED)
		return -ENOMEM;
	*base = p;
	*size = h.file_size;
	return 0;
}
