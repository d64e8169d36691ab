/* SPDX-License-Identifier: MIT */
/*
 * Map files: the layout of a new map's file (header, the family's state, writer slots, redo
 * stage), creating it, and adopting a file some fd names: the one place a process decides to
 * trust a file's shape.
 *
 * A map is a memory file whose fd is the map fd, so dup, fork, SCM_RIGHTS, close and exit keep
 * the kernel's lifetime rules without any bookkeeping of ours.
 *
 * A map file is untrusted input: any process that shares the map can write any byte of it, and a
 * pinned file can be copied, changed and handed back. Adoption (emu_map_view_init) reads the
 * header's shape once, checks every field against the file's size and the type's rules (the
 * layout a map of that shape has is computed and must be the file's, to the byte), asks the
 * family to check its own state's geometry the same way, and copies it all into the process's
 * view, from which alone the shape is read afterwards. A file that fails is refused with EINVAL
 * and one diagnostic naming the field. What the file holds beyond its shape is checked where it
 * is used (see struct emu_map); damage found there is emu_map_corrupt()'s EUCLEAN.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "../btf/btf.h"
#include "../cmd/cmds.h"
#include "../frontend.h" /* EMU_MAP_OWN */
#include "../util/diag.h"
#include "cpus.h"
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

/* Where everything of a map of this shape lies in its file: the header, the family's state, then
 * from the end the BTF copy, the redo stage and the in-place slots. */
struct layout {
	uint64_t priv_off, priv_end; /* the family's state: what the kernel would allocate */
	uint64_t inplace_off, redo_off, btf_off, file_size;
	uint32_t inplace_stage, redo_cap;
};

static int map_layout(const struct emu_create *c, const struct emu_map_ops *ops, struct layout *l)
{
	uint64_t priv_size = 0, end;
	int err = ops->layout(c, &priv_size);

	if (err)
		return err;
	if (priv_size > (uint64_t)SSIZE_MAX)
		return -ENOMEM;
	l->priv_off = emu_round_up64(sizeof(struct emu_map_hdr), 64);
	l->priv_end = l->priv_off + priv_size;
	l->inplace_stage = inplace_stage(c, ops);
	l->redo_cap = (uint32_t)redo_bytes(c);
	end = emu_round_up64(l->priv_end, 64);
	l->inplace_off = l->inplace_stage ? end : 0;
	end += emu_inplace_area(l->inplace_stage);
	l->redo_off = l->redo_cap ? end : 0;
	end += l->redo_cap;
	l->btf_off = btf_bytes(c) ? end : 0;
	l->file_size = end + btf_bytes(c);
	return l->file_size > (uint64_t)SSIZE_MAX ? -ENOMEM : 0;
}

int emu_map_file_size(const struct emu_create *c, const struct emu_map_ops *ops, uint64_t *size)
{
	struct layout l;
	int err = map_layout(c, ops, &l);

	if (err)
		return err;
	/* The kernel allocates all of it up front and fails with ENOMEM where memory runs out;
	 * our pages are only touched when used, so refuse what could never be backed. The staging
	 * areas are touched only while a write is open, and the kernel has none; the kernel's BTF is
	 * an object of its own: they are left out of the test so the limits stay the kernel's. */
	if (l.priv_end > total_ram())
		return -ENOMEM;
	*size = l.file_size;
	return 0;
}

/* Emulators map their files MAP_SHARED_VALIDATE (EMU_MAP_OWN, frontend.h), falling back. */
void *emu_mmap_own(void *addr, size_t len, int prot, int extra, int fd, off_t off)
{
	void *p = mmap(addr, len, prot, EMU_MAP_OWN | extra, fd, off);

	if (p == MAP_FAILED && errno == EINVAL)
		p = mmap(addr, len, prot, MAP_SHARED | extra, fd, off);
	return p;
}

/*
 * A view of a map file: the whole file, and where the family has one, a part of it mapped again
 * right after the end (the alias op). *len is the length to unmap. NULL on failure.
 */
static void *map_view(int fd, uint64_t size, const struct emu_map_ops *ops, const struct emu_map_hdr *h,
		      size_t *len)
{
	uint64_t src = 0, alias = ops && ops->alias ? ops->alias(h, &src) : 0;
	char *base;

	/* a header that asks for pages outside the file gets none: its view is then refused */
	if (src > size || alias > size - src)
		alias = 0;
	*len = (size_t)(size + alias);
	if (!alias)
		return emu_mmap_own(NULL, size, PROT_READ | PROT_WRITE, 0, fd, 0);
	base = mmap(NULL, *len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return MAP_FAILED;
	if (emu_mmap_own(base, size, PROT_READ | PROT_WRITE, MAP_FIXED, fd, 0) == MAP_FAILED ||
	    emu_mmap_own(base + size, alias, PROT_READ | PROT_WRITE, MAP_FIXED, fd, (off_t)src) == MAP_FAILED) {
		munmap(base, *len);
		return MAP_FAILED;
	}
	return base;
}

/* The bytes a view of the checked map m maps: its file, and the alias op's pages after it. */
static size_t alias_end(const struct emu_map *m)
{
	struct emu_map_hdr shape = { .map_type = m->map_type, .max_entries = m->max_entries };
	uint64_t src = 0;

	return m->size + (size_t)(m->ops->alias ? m->ops->alias(&shape, &src) : 0);
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

/* Every byte after the first NUL of a name is zero: create clears them, so a file whose name is
 * otherwise was changed. */
static bool name_ok(const char *name)
{
	size_t n = strnlen(name, EMU_OBJ_NAME_LEN);

	if (n == EMU_OBJ_NAME_LEN || !emu_obj_name_ok(name))
		return false;
	for (size_t i = n; i < EMU_OBJ_NAME_LEN; i++)
		if (name[i])
			return false;
	return true;
}

#define NUMA_NO_NODE 0xffffffffu

/* The value's special fields as create records them (cmd/btf.c): each one known field type,
 * inside the value, in offset order without overlap; the unused entries zero; the counts, mask
 * and spin lock offset what the fields say. They bound copies into private buffers and the lock
 * words writes go around: NULL, or the name of what is wrong. */
static const char *fields_wrong(const struct emu_map_hdr *h)
{
	static const struct emu_map_field none;
	uint32_t locks = 0, mask = 0;
	uint64_t end = 0;
	bool spin_lock_found = h->spin_lock_off < 0;

	if (h->nr_fields > EMU_MAP_FIELDS_MAX)
		return "nr_fields";
	for (uint32_t i = 0; i < EMU_MAP_FIELDS_MAX; i++) {
		const struct emu_map_field *f = &h->fields[i];

		if (i >= h->nr_fields) {
			if (memcmp(f, &none, sizeof(none)))
				return "fields";
			continue;
		}
		if (!f->type || (f->type & (f->type - 1)) || f->type > EMU_BTF_F_TASK_WORK || !f->size ||
		    f->offset < end || (uint64_t)f->offset + f->size > h->value_size ||
		    f->is_lock != !!(f->type & (EMU_BTF_F_SPIN_LOCK | EMU_BTF_F_RES_SPIN_LOCK)))
			return "fields";
		end = (uint64_t)f->offset + f->size;
		locks += f->is_lock;
		mask |= f->type;
		spin_lock_found |= f->type == EMU_BTF_F_SPIN_LOCK && (int64_t)f->offset == h->spin_lock_off;
	}
	if (locks != h->nr_locks)
		return "nr_locks";
	if (mask != h->field_mask)
		return "field_mask";
	if (!spin_lock_found || h->spin_lock_off < -1)
		return "spin_lock_off";
	/* only BTF gives a value fields; only HASH and ARRAY values hold locks (map_check_btf) */
	if (h->nr_fields && !h->btf_id)
		return "nr_fields";
	if (h->nr_locks && h->map_type != EMU_MAP_HASH && h->map_type != EMU_MAP_ARRAY)
		return "nr_locks";
	return NULL;
}

/* The type's create checks on a file's shape (cmd/map_create.c's order, without the token and
 * the device, which a file has none of): the flags a family declared, then its own checks. */
static int shape_checks(const struct emu_map_ops *ops, struct emu_create *c)
{
	const uint32_t both = EMU_F_RDONLY_PROG | EMU_F_WRONLY_PROG;

	if (ops->create_flags &&
	    ((c->map_flags & ~ops->create_flags) || (c->map_flags & both) == both || !c->max_entries))
		return -EINVAL;
	if (ops->alloc_check && ops->alloc_check(c))
		return -EINVAL;
	if (ops->alloc_shape && ops->alloc_shape(c))
		return -EINVAL;
	return 0;
}

/*
 * The process's view of the map file at base (size bytes): the header's shape read once, checked
 * field by field, then the family's geometry (its validate op). 0, or -EINVAL with the first field
 * that is wrong in *field. The view is filled only from what was checked.
 */
static int view_init(struct emu_map *v, void *base, size_t size, const char **field)
{
	struct emu_map_hdr h; /* the part nothing writes after creation but FREEZE and open modes */
	struct emu_map_hdr *fh = base;
	const struct emu_map_ops *ops;
	struct emu_create c;
	struct layout l;

#define REFUSE(f)                                                                                   \
	do {                                                                                        \
		*field = f;                                                                         \
		return -EINVAL;                                                                     \
	} while (0)
	if (size < sizeof(h))
		REFUSE("file_size");
	memcpy(&h, base, offsetof(struct emu_map_hdr, lock));
	if (h.magic != EMU_MAGIC)
		REFUSE("magic");
	if (h.layout_version != EMU_LAYOUT_VERSION)
		REFUSE("layout_version");
	if (h.hdr_size != sizeof(h))
		REFUSE("hdr_size");
	if (h.file_size != size)
		REFUSE("file_size");
	ops = emu_ops_for_type(h.map_type);
	if (!ops || !ops->validate)
		REFUSE("map_type");
	if (!h.nr_cpus || h.nr_cpus > EMU_MAX_CPUS)
		REFUSE("nr_cpus");
	if (h.map_flags & (EMU_F_RDONLY | EMU_F_WRONLY)) /* a property of fds, never stored */
		REFUSE("map_flags");
	if (h.map_extra && h.map_type != EMU_MAP_BLOOM_FILTER) /* the one emulated type that takes one */
		REFUSE("map_extra");
	/* the type's own create checks: a shape the kernel would not create is no map of ours */
	memset(&c, 0, sizeof(c));
	c.map_type = h.map_type;
	c.key_size = h.key_size;
	c.value_size = h.value_size;
	c.max_entries = h.max_entries;
	c.map_flags = h.map_flags;
	c.map_extra = h.map_extra;
	c.nr_cpus = h.nr_cpus;
	c.numa_node = NUMA_NO_NODE;
	c.btf_id = h.btf_id;
	c.btf_size = h.btf_size;
	c.nr_locks = h.nr_locks;
	c.inner_fd = -1;
	c.adopt = true;
	if (shape_checks(ops, &c))
		REFUSE("key_size, value_size, max_entries or map_flags");
	if (c.max_entries != h.max_entries) /* stored as the check adjusts it */
		REFUSE("max_entries");
	/* the file of that shape, to the byte */
	if (map_layout(&c, ops, &l))
		REFUSE("max_entries");
	if (l.file_size != h.file_size)
		REFUSE("file_size");
	if (h.priv_off != l.priv_off)
		REFUSE("priv_off");
	if (h.redo_off != l.redo_off)
		REFUSE("redo_off");
	if (h.inplace_off != l.inplace_off)
		REFUSE("inplace_off");
	if (h.inplace_stage != l.inplace_stage)
		REFUSE("inplace_stage");
	if (h.btf_off != l.btf_off)
		REFUSE("btf_off");
	if (!h.btf_id && (h.btf_size || h.btf_key_type_id || h.btf_value_type_id))
		REFUSE("btf_id");
	if (h.btf_vmlinux_value_type_id) /* struct_ops only, which is not emulated */
		REFUSE("btf_vmlinux_value_type_id");
	if ((*field = fields_wrong(&h)))
		return -EINVAL;
	if (!name_ok(h.name))
		REFUSE("name");
	if (!h.id)
		REFUSE("id");
	if ((h.map_flags & EMU_F_ZERO_SEED) && h.hash_seed)
		REFUSE("hash_seed");
	if (h.memlock) /* unused: always zero */
		REFUSE("memlock");
	if (h.frozen > 1)
		REFUSE("frozen");
	if (h.restricted_fds > 1)
		REFUSE("restricted_fds");
	if (__atomic_load_n(&fh->inplace_used, __ATOMIC_RELAXED) > 1)
		REFUSE("inplace_used");
	if (!emu_mutex_kind_ok(&fh->lock))
		REFUSE("lock");

	memset(v, 0, sizeof(*v));
	v->hdr = fh;
	v->base = base;
	v->size = size;
	v->ops = ops;
	v->map_type = h.map_type;
	v->key_size = h.key_size;
	v->value_size = h.value_size;
	v->max_entries = h.max_entries;
	v->map_flags = h.map_flags;
	v->nr_cpus = h.nr_cpus;
	v->map_extra = h.map_extra;
	v->id = h.id;
	v->hash_seed = h.hash_seed;
	memcpy(v->name, h.name, EMU_OBJ_NAME_LEN);
	v->priv = (char *)base + l.priv_off;
	v->redo_off = l.redo_off;
	v->redo_cap = l.redo_cap;
	v->inplace_off = l.inplace_off;
	v->inplace_stage = l.inplace_stage;
	v->value_bytes = emu_is_percpu_type(h.map_type) ? emu_round_up(h.value_size, 8) * h.nr_cpus : h.value_size;
	v->nr_fields = h.nr_fields;
	v->nr_locks = h.nr_locks;
	v->field_mask = h.field_mask;
	v->spin_lock_off = h.spin_lock_off;
	memcpy(v->fields, h.fields, sizeof(v->fields));
	v->btf_id = h.btf_id;
	v->btf_key_type_id = h.btf_key_type_id;
	v->btf_value_type_id = h.btf_value_type_id;
	v->btf_vmlinux_value_type_id = h.btf_vmlinux_value_type_id;
	v->btf_size = h.btf_size;
	v->btf_off = h.btf_off;
	if (v->inplace_off && !emu_inplace_kinds_ok(v))
		REFUSE("writer slot lock");
#undef REFUSE
	return ops->validate(v, field);
}

/* The shape of a new map, from what create wrote (the family's init needs it). */
static void view_shape(struct emu_map *v, const struct emu_create *c, void *base, size_t size, const struct layout *l,
		       const struct emu_map_ops *ops)
{
	memset(v, 0, sizeof(*v));
	v->hdr = base;
	v->base = base;
	v->size = size;
	v->ops = ops;
	v->map_type = c->map_type;
	v->key_size = c->key_size;
	v->value_size = c->value_size;
	v->max_entries = c->max_entries;
	v->map_flags = c->map_flags & ~(EMU_F_RDONLY | EMU_F_WRONLY);
	v->nr_cpus = c->nr_cpus;
	v->priv = (char *)base + l->priv_off;
	v->redo_off = l->redo_off;
	v->redo_cap = l->redo_cap;
	v->inplace_off = l->inplace_off;
	v->inplace_stage = l->inplace_stage;
	v->value_bytes = emu_is_percpu_type(c->map_type) ? emu_round_up(c->value_size, 8) * c->nr_cpus : c->value_size;
	v->nr_fields = c->nr_fields;
	v->nr_locks = c->nr_locks;
	v->spin_lock_off = c->btf_id ? c->spin_lock_off : -1;
}

int emu_map_create_file(const struct emu_create *c, const struct emu_map_ops *ops, const char *name,
			int *fd_out)
{
	struct emu_map_hdr *h;
	struct emu_map *m, view;
	const char *field = NULL;
	struct layout l;
	struct stat st;
	uint64_t size;
	size_t view_len;
	bool reserve;
	void *base;
	int fd, err;

	err = emu_map_file_size(c, ops, &size);
	if (!err)
		err = map_layout(c, ops, &l);
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
	{
		struct emu_map_hdr shape = { .map_type = c->map_type, .max_entries = c->max_entries };

		base = map_view(fd, size, ops, &shape, &view_len);
	}
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
	h->priv_off = l.priv_off;
	h->redo_off = l.redo_off;
	h->inplace_stage = l.inplace_stage;
	h->inplace_off = l.inplace_off;
	h->btf_off = l.btf_off;
	h->spin_lock_off = -1;
	if (c->btf_id) {
		h->btf_id = c->btf_id;
		h->btf_key_type_id = c->btf_key_type_id;
		h->btf_value_type_id = c->btf_value_type_id;
		h->btf_vmlinux_value_type_id = c->btf_vmlinux_value_type_id;
		h->btf_size = c->btf_size;
		memcpy((char *)base + h->btf_off, c->btf_data, c->btf_size);
		h->nr_fields = c->nr_fields;
		h->nr_locks = c->nr_locks;
		h->field_mask = c->field_mask;
		h->spin_lock_off = c->spin_lock_off;
		memcpy(h->fields, c->fields, sizeof(h->fields));
	}
	err = emu_robust_init(&h->lock);
	if (!err && h->inplace_off)
		err = emu_inplace_init(h, base);
	if (!err) {
		view_shape(&view, c, base, size, &l, ops);
		if (ops->init_create)
			ops->init_create(&view, c);
		else
			ops->init(&view);
		/* the file just written, adopted as any other process adopts it */
		err = view_init(&view, base, size, &field);
		if (!err && view_len != alias_end(&view))
			err = -EINVAL, field = "max_entries (the aliased pages)";
		if (err)
			emu_diag("a new %s map's file fails its own check (%s): a bug in bpfemu", ops->family, field);
	}
	if (!err) {
		view.view_len = view_len;
		err = emu_registry_add(st.st_dev, st.st_ino, &view, &m);
	}
	if (err) {
		munmap(base, view_len);
		close(fd);
		return err;
	}

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

/* A refused file is named once, not on every call that meets its fd. */
static void refused(const struct stat *st, const void *base, const char *field)
{
	const struct emu_map_hdr *h = base;

	if (emu_diag_file_new(st->st_dev, st->st_ino))
		emu_diag("map file (inode %lu, map id %u) refused: its %s is not what a map of its shape has: EINVAL",
			 (unsigned long)st->st_ino, base ? h->id : 0, field);
}

/* Whether the file fd names is a map file of ours, its header consistent with its size and its
 * type; mapped writable whatever the fd's mode (every user of a map writes its lock), and the
 * view filled. */
int emu_map_file_open(int fd, const struct stat *st, struct emu_map *view)
{
	struct emu_map_hdr h;
	const char *field = NULL;
	char path[64];
	int rfd = fd, fl = fcntl(fd, F_GETFL), err;
	size_t len;
	void *p;

	/* An O_RDWR fd serves as it is; any other is reopened, which needs a free fd for a moment
	 * (a process at its fd limit then gets EMFILE rather than being told it holds no map). */
	if (fl < 0 || (fl & O_ACCMODE) != O_RDWR) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		rfd = open(path, O_RDWR | O_CLOEXEC);
		if (rfd < 0)
			return errno == EMFILE || errno == ENFILE ? -errno : -EINVAL;
	}
	/* Before mapping: a file without our magic is no map (no diagnostic), and one whose size is
	 * not its header's is not mapped at all. */
	if (pread(rfd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) || h.magic != EMU_MAGIC) {
		err = -EINVAL;
		goto out;
	}
	if (h.file_size != (uint64_t)st->st_size || h.file_size > (uint64_t)SSIZE_MAX) {
		refused(st, NULL, "file_size");
		err = -EINVAL;
		goto out;
	}
	/* the alias (ring buffers' data mapped twice) as the unchecked header asks, inside the file;
	 * after the checks it must be what the checked shape asks */
	p = map_view(rfd, h.file_size, emu_ops_for_type(h.map_type), &h, &len);
	if (p == MAP_FAILED) {
		err = -ENOMEM;
		goto out;
	}
	err = view_init(view, p, h.file_size, &field);
	if (!err && len != alias_end(view))
		err = -EINVAL, field = "max_entries (the aliased pages)";
	if (err) {
		refused(st, p, field);
		munmap(p, len);
	} else {
		view->view_len = len;
	}
out:
	if (rfd != fd)
		close(rfd);
	return err;
}

int emu_map_corrupt(struct emu_map *m, const char *field)
{
	emu_diag_once(&m->damage_said, "map %u (%s): %s is damaged: its file was changed outside bpfemu: EUCLEAN",
		      m->id, m->name, field);
	return -EUCLEAN;
}

bool emu_map_value_range_ok(const struct emu_map *m, uint64_t off, uint64_t len)
{
	uint64_t rel = off - m->data_off;

	return m->data_stride && off >= m->data_off && off < m->data_end && len <= m->value_bytes &&
	       len <= m->data_end - off && rel % m->data_stride == m->data_voff;
}

bool emu_map_word_ok(const struct emu_map *m, uint64_t off)
{
	uint64_t rel = off - m->data_off;

	return m->data_stride && m->data_woff != EMU_NO_WORD && off >= m->data_off && off < m->data_end &&
	       m->data_end - off >= 4 && rel % m->data_stride == m->data_woff;
}

/*
 * bpfemu_map_check's generic part: the header still holds the shape this process adopted (a
 * process that shares the map may have changed it since), the flags are flags, the locks are
 * robust shared mutexes, and the family's geometry in the file is still its shape's.
 */
int emu_map_check_file(struct emu_map *m)
{
	/* Read in place: the fields compared are written at creation only (a difference is damage);
	 * the flags other threads write are read as they write them, atomically. */
	const struct emu_map_hdr *h = m->hdr;
	struct emu_map v;
	const char *field = NULL;

	if (h->magic != EMU_MAGIC || h->layout_version != EMU_LAYOUT_VERSION || h->hdr_size != sizeof(*h))
		return emu_map_corrupt(m, "header (magic, layout_version or hdr_size)");
	if (h->file_size != m->size)
		return emu_map_corrupt(m, "file_size");
	if (h->map_type != m->map_type || h->key_size != m->key_size || h->value_size != m->value_size ||
	    h->max_entries != m->max_entries || h->map_flags != m->map_flags || h->nr_cpus != m->nr_cpus ||
	    h->map_extra != m->map_extra)
		return emu_map_corrupt(m, "header shape (map_type, key_size, value_size, max_entries, map_flags, nr_cpus or map_extra)");
	if (memcmp(h->name, m->name, EMU_OBJ_NAME_LEN))
		return emu_map_corrupt(m, "name");
	if (h->id != m->id)
		return emu_map_corrupt(m, "id");
	if (h->hash_seed != m->hash_seed)
		return emu_map_corrupt(m, "hash_seed");
	if (h->priv_off != (uint64_t)(m->priv - m->base) || h->redo_off != m->redo_off ||
	    h->inplace_off != m->inplace_off || h->inplace_stage != m->inplace_stage || h->memlock)
		return emu_map_corrupt(m, "header offsets (priv_off, redo_off, inplace_off, inplace_stage or memlock)");
	if (h->nr_fields != m->nr_fields || h->nr_locks != m->nr_locks || h->field_mask != m->field_mask ||
	    h->spin_lock_off != m->spin_lock_off || memcmp(h->fields, m->fields, sizeof(h->fields)))
		return emu_map_corrupt(m, "value fields (nr_fields, fields, nr_locks, field_mask or spin_lock_off)");
	if (h->btf_id != m->btf_id || h->btf_key_type_id != m->btf_key_type_id ||
	    h->btf_value_type_id != m->btf_value_type_id || h->btf_vmlinux_value_type_id != m->btf_vmlinux_value_type_id ||
	    h->btf_size != m->btf_size || h->btf_off != m->btf_off)
		return emu_map_corrupt(m, "BTF (btf_id, its type ids, btf_size or btf_off)");
	if (__atomic_load_n(&h->frozen, __ATOMIC_RELAXED) > 1 || __atomic_load_n(&h->restricted_fds, __ATOMIC_RELAXED) > 1 ||
	    __atomic_load_n(&h->inplace_used, __ATOMIC_RELAXED) > 1)
		return emu_map_corrupt(m, "header flags (frozen, restricted_fds or inplace_used)");
	if (!emu_mutex_kind_ok(&m->hdr->lock))
		return emu_map_corrupt(m, "lock");
	if (m->inplace_off && (!emu_inplace_kinds_ok(m) || emu_inplace_check(m)))
		return emu_map_corrupt(m, "writer slot lock");
	/* the family's geometry in the file, against a fresh computation from the shape, in a copy
	 * of the view's shape (its counters and flags other threads write are left alone) */
	memset(&v, 0, sizeof(v));
	v.hdr = m->hdr;
	v.base = m->base;
	v.size = m->size;
	v.ops = m->ops;
	v.priv = m->priv;
	v.map_type = m->map_type;
	v.key_size = m->key_size;
	v.value_size = m->value_size;
	v.max_entries = m->max_entries;
	v.map_flags = m->map_flags;
	v.nr_cpus = m->nr_cpus;
	v.value_bytes = m->value_bytes;
	v.map_extra = m->map_extra;
	v.hash_seed = m->hash_seed;
	v.id = m->id;
	v.view_len = m->view_len;
	if (m->ops->validate(&v, &field))
		return emu_map_corrupt(m, field);
	return 0;
}
