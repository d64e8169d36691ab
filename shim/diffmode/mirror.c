/* SPDX-License-Identifier: MIT */
/* Differential mode, the kernel side: mirror maps and twins for emulated objects, found by the
 * emulated fd (in process) or by what an fd names (under the supervisor), and their mirror pins. */
#include "diffmode.h"

/* ---- the kernel side ---- */

long dm_kbpf(int cmd, void *attr, unsigned size)
{
	long r;

	errno = 0;
	r = dm_real_syscall(SYS_bpf, (long)cmd, (long)attr, (long)size);
	return r < 0 ? -errno : r;
}

long dm_ksys(long nr, long a, long b, long c, long d)
{
	long r = dm_real_syscall(nr, a, b, c, d, 0L, 0L);

	return r < 0 ? -errno : r;
}


long dm_kcreate_probe(uint32_t type, uint32_t flags)
{
	struct emu_attr a;

	memset(&a, 0, sizeof(a));
	attr_set_u32(&a, MC_TYPE, type);
	attr_set_u32(&a, MC_KEY_SIZE, 4);
	attr_set_u32(&a, MC_VALUE_SIZE, 4);
	attr_set_u32(&a, MC_MAX_ENTRIES, 1);
	attr_set_u32(&a, MC_FLAGS, flags);
	return dm_kbpf(EMU_BPF_MAP_CREATE, a.b, EMU_ATTR_SIZE);
}
/* ---- mirrors: emulated fd -> kernel fd ---- */


struct mirror **dm_mirrors; /* indexed by the emulated fd */
size_t dm_mirrors_cap;
static unsigned char *ours;     /* indexed by fd: 1 for the kernel fds we hold */
static size_t ours_cap;

bool dm_grow(void *pp, size_t *cap, size_t need, size_t elem)
{
	void **p = pp;
	size_t n = *cap ? *cap : 64;
	void *np;

	if (need < *cap)
		return true;
	while (n <= need)
		n *= 2;
	np = realloc(*p, n * elem);
	if (!np)
		return false;
	memset((char *)np + *cap * elem, 0, (n - *cap) * elem);
	*p = np;
	*cap = n;
	return true;
}

void dm_set_ours(int fd, bool v)
{
	if (fd < 0)
		return;
	if (dm_grow(&ours, &ours_cap, (size_t)fd, 1))
		ours[fd] = v;
}

static bool is_ours(int fd) { return fd >= 0 && (size_t)fd < ours_cap && ours[fd]; }

static void close_kfd(int kfd)
{
	if (kfd < 0)
		return;
	dm_set_ours(kfd, false);
	close(kfd);
}

/* Our kernel fds live high, so the program's fds are numbered as they would be without us. */
int dm_move_high(int fd)
{
	int h;

	if (fd < 0 || dm_cfg.fd_base <= 3)
		return fd;
	h = fcntl(fd, F_DUPFD_CLOEXEC, dm_cfg.fd_base);
	if (h < 0)
		return fd;
	close(fd);
	return h;
}

/*
 * Which entry an emulated fd has. In process, the tables are indexed by the emulated fd, the
 * program's own number, checked against what it names (a number closed behind our back and
 * reused gets a new entry). Under the seccomp supervisor (dm_cfg.remote) the emulated fds dm is
 * handed are the supervisor's, made for one call (pidfd_getfd of the program's), so an entry is
 * found by what its fd names instead: device, inode, access mode and the emulated object's id (an
 * inode number can come back), in a slot of its own; it goes when the emulated object is gone
 * (gc), as the program's fds are not ours to watch.
 */
static void drop(int efd)
{
	struct mirror *m;

	if (efd < 0 || (size_t)efd >= dm_mirrors_cap || !(m = dm_mirrors[efd]))
		return;
	dm_mapping_release(m);
	close_kfd(m->kfd);
	free(m);
	dm_mirrors[efd] = NULL;
}

/* The first free slot of a table of pointers (growing it), -1 if it cannot grow. */
static long free_slot(void *tbl, size_t *cap, size_t elem)
{
	void ***t = tbl;
	size_t i = 0;

	while (i < *cap && (*t)[i])
		i++;
	return dm_grow(tbl, cap, i, elem) ? (long)i : -1;
}

bool dm_identity(int fd, dev_t *dev, ino_t *ino, int *accmode)
{
	struct stat s;
	int fl;

	if (fd < 0 || fstat(fd, &s))
		return false;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return false;
	*dev = s.st_dev;
	*ino = s.st_ino;
	*accmode = fl & O_ACCMODE;
	return true;
}

/* The supervisor's way: the slot whose map efd names, -1 if none. */
static long remote_slot(int efd)
{
	struct emu_map_desc d;
	dev_t dev;
	ino_t ino;
	int mode;

	if (!dm_identity(efd, &dev, &ino, &mode) || emu_map_describe(efd, &d))
		return -1;
	for (size_t i = 0; i < dm_mirrors_cap; i++) {
		struct mirror *m = dm_mirrors[i];

		if (!m || m->dev != dev || m->ino != ino || m->accmode != mode)
			continue;
		if (m->eid == d.id)
			return (long)i;
		drop((int)i); /* an older map's file, its inode number reused */
	}
	return -1;
}

/* The entry of an emulated fd, if it still names the map it was made for. */
static struct mirror *lookup(int efd)
{
	struct mirror *m;
	dev_t dev;
	ino_t ino;
	int mode;

	if (dm_cfg.remote) {
		long i = remote_slot(efd);

		return i < 0 ? NULL : dm_mirrors[i];
	}
	if (efd < 0 || (size_t)efd >= dm_mirrors_cap || !(m = dm_mirrors[efd]))
		return NULL;
	if (dm_identity(efd, &dev, &ino, &mode) && dev == m->dev && ino == m->ino && mode == m->accmode)
		return m;
	drop(efd); /* closed behind our back, and the number reused */
	return NULL;
}

/* BTF objects and programs: the kernel's twin (the BTF loaded from the same blob, the program
 * loaded from the same instructions with the twins' fds in them), by emulated fd. */
struct obj_mirror {
	int kind; /* OBJ_BTF, OBJ_PROG */
	int kfd;
	uint32_t eid; /* the emulated object's id */
	dev_t dev;
	ino_t ino;
	uint32_t insn_cnt; /* a program's, as loaded */
	bool rewritten;    /* the kernel's xlated program is not the loaded one (length differs) */
	bool pinned;       /* has a mirror pin */
};

static struct obj_mirror **obj_mirrors; /* indexed by the emulated fd */
static size_t obj_mirrors_cap;

static void obj_drop(int efd)
{
	struct obj_mirror *b;

	if (efd < 0 || (size_t)efd >= obj_mirrors_cap || !(b = obj_mirrors[efd]))
		return;
	close_kfd(b->kfd);
	free(b);
	obj_mirrors[efd] = NULL;
}

/* The supervisor's way (see remote_slot): the slot of the object efd names, -1 if none. */
static long obj_remote_slot(int efd)
{
	uint32_t eid = 0;
	dev_t dev;
	ino_t ino;
	int mode;

	if (!dm_identity(efd, &dev, &ino, &mode))
		return -1;
	for (size_t i = 0; i < obj_mirrors_cap; i++) {
		struct obj_mirror *b = obj_mirrors[i];

		if (!b || b->dev != dev || b->ino != ino)
			continue;
		if (!eid)
			eid = dm_obj_id(false, efd, b->kind);
		if (b->eid == eid)
			return (long)i;
		obj_drop((int)i);
	}
	return -1;
}

static struct obj_mirror *obj_lookup(int efd, int kind)
{
	struct obj_mirror *b;
	dev_t dev;
	ino_t ino;
	int mode;

	if (dm_cfg.remote) {
		long i = obj_remote_slot(efd);

		return i < 0 || obj_mirrors[i]->kind != kind ? NULL : obj_mirrors[i];
	}
	if (efd < 0 || (size_t)efd >= obj_mirrors_cap || !(b = obj_mirrors[efd]))
		return NULL;
	if (dm_identity(efd, &dev, &ino, &mode) && dev == b->dev && ino == b->ino)
		return b->kind == kind ? b : NULL;
	obj_drop(efd); /* closed behind our back, and the number reused */
	return NULL;
}

int dm_obj_kfd(int efd, int kind)
{
	struct obj_mirror *b = obj_lookup(efd, kind);

	return b ? b->kfd : -1;
}

bool dm_prog_twin(int efd, int *kfd, uint32_t *insn_cnt, bool *rewritten)
{
	struct obj_mirror *b = obj_lookup(efd, OBJ_PROG);

	if (!b)
		return false;
	*kfd = b->kfd;
	if (insn_cnt)
		*insn_cnt = b->insn_cnt;
	if (rewritten)
		*rewritten = b->rewritten;
	return true;
}

void dm_prog_set_shape(int efd, uint32_t insn_cnt, bool rewritten)
{
	struct obj_mirror *b = obj_lookup(efd, OBJ_PROG);

	if (b) {
		b->insn_cnt = insn_cnt;
		b->rewritten = rewritten;
	}
}

/* Record kfd, the kernel's twin of the object efd (a BTF object or a program); takes kfd. */
void dm_obj_adopt(int efd, int kfd, int kind)
{
	struct obj_mirror *b;
	long slot = efd;
	int mode;

	if (dm_cfg.remote) {
		dm_gc();
		if ((slot = obj_remote_slot(efd)) >= 0)
			obj_drop((int)slot);
		else
			slot = free_slot(&obj_mirrors, &obj_mirrors_cap, sizeof(*obj_mirrors));
	} else {
		obj_drop(efd);
	}
	if (efd < 0 || slot < 0 || !dm_grow(&obj_mirrors, &obj_mirrors_cap, (size_t)slot, sizeof(*obj_mirrors)) ||
	    !(b = calloc(1, sizeof(*b)))) {
		close(kfd);
		return;
	}
	if (!dm_identity(efd, &b->dev, &b->ino, &mode)) {
		free(b);
		close(kfd);
		return;
	}
	b->kind = kind;
	b->kfd = dm_move_high(kfd);
	b->eid = dm_obj_id(false, efd, kind);
	dm_set_ours(b->kfd, true);
	obj_mirrors[slot] = b;
	dm_id_pair(kind, b->eid, dm_obj_id(true, b->kfd, kind));
}

/* Whether the emulated object with this id still exists (the supervisor's entries go with it). */
static bool emu_alive(int kind, uint32_t eid)
{
	struct emu_attr a;
	long fd;

	memset(&a, 0, sizeof(a));
	attr_set_u32(&a, ID_START, eid);
	a.len = ID_GET_FD_END;
	fd = dm_emu_private(kind == OBJ_MAP ? EMU_BPF_MAP_GET_FD_BY_ID : kind == OBJ_PROG ? EMU_BPF_PROG_GET_FD_BY_ID :
			    EMU_BPF_BTF_GET_FD_BY_ID, &a, (union bpf_attr *)(void *)a.b);
	if (fd >= 0)
		close((int)fd);
	return fd != -ENOENT;
}

/* Under the supervisor: entries whose emulated object is gone go, with their kernel twins (as
 * the program's last fd of it closed, the kernel's would). Run when the tables have doubled. */
void dm_gc(void)
{
	static size_t at = 64;
	size_t live = 0;

	for (size_t i = 0; i < dm_mirrors_cap; i++)
		live += dm_mirrors[i] != NULL;
	for (size_t i = 0; i < obj_mirrors_cap; i++)
		live += obj_mirrors[i] != NULL;
	if (!dm_cfg.remote || live < at)
		return;
	live = 0;
	for (size_t i = 0; i < dm_mirrors_cap; i++)
		if (dm_mirrors[i] && !emu_alive(OBJ_MAP, dm_mirrors[i]->eid))
			drop((int)i);
		else
			live += dm_mirrors[i] != NULL;
	for (size_t i = 0; i < obj_mirrors_cap; i++)
		if (obj_mirrors[i] && !emu_alive(obj_mirrors[i]->kind, obj_mirrors[i]->eid))
			obj_drop((int)i);
		else
			live += obj_mirrors[i] != NULL;
	at = live * 2 > 64 ? live * 2 : 64;
}

void dm_btf_adopt(int efd, int kfd) { dm_obj_adopt(efd, kfd, OBJ_BTF); }

static uint32_t kernel_id(int kfd) { return dm_obj_id(true, kfd, OBJ_MAP); }

static uint32_t kernel_flags(int kfd)
{
	unsigned char info[MI_SIZE];
	uint32_t f;

	if (dm_info(true, kfd, info, sizeof(info)))
		return 0;
	memcpy(&f, info + MI_MAP_FLAGS, 4);
	return f;
}

/* The kernel map's type and sizes agree with the emulated one's: a mirror found by name is the
 * right one. */
static bool kernel_matches(int kfd, const struct emu_map_desc *d)
{
	unsigned char info[MI_SIZE];
	uint32_t v[4];

	if (dm_info(true, kfd, info, sizeof(info)))
		return false;
	memcpy(&v[0], info + MI_TYPE, 4);
	memcpy(&v[1], info + MI_KEY_SIZE, 4);
	memcpy(&v[2], info + MI_VALUE_SIZE, 4);
	memcpy(&v[3], info + MI_MAX_ENTRIES, 4);
	return v[0] == d->type && v[1] == d->key_size && v[2] == d->value_size && v[3] == d->max_entries;
}

bool dm_is_hash(uint32_t t)
{
	return t == EMU_MAP_HASH || t == EMU_MAP_PERCPU_HASH || t == EMU_MAP_LRU_HASH || t == EMU_MAP_LRU_PERCPU_HASH ||
	       t == EMU_MAP_HASH_OF_MAPS;
}
bool dm_is_lru(uint32_t t) { return t == EMU_MAP_LRU_HASH || t == EMU_MAP_LRU_PERCPU_HASH; }

/* Record kfd as the mirror of efd (both open on one map each); takes kfd. */
struct mirror *dm_adopt(int efd, int kfd)
{
	struct mirror *m;
	struct emu_map_desc d;
	long slot = efd;

	if (dm_cfg.remote) {
		dm_gc();
		if ((slot = remote_slot(efd)) >= 0)
			drop((int)slot);
		else
			slot = free_slot(&dm_mirrors, &dm_mirrors_cap, sizeof(*dm_mirrors));
	} else {
		drop(efd);
	}
	if (efd < 0 || slot < 0 || emu_map_describe(efd, &d) ||
	    !dm_grow(&dm_mirrors, &dm_mirrors_cap, (size_t)slot, sizeof(*dm_mirrors)) || !(m = calloc(1, sizeof(*m)))) {
		close(kfd);
		return NULL;
	}
	m->type = d.type;
	m->key_size = d.key_size;
	m->value_size = d.value_size;
	m->max_entries = d.max_entries;
	m->map_flags = d.map_flags;
	m->value_bytes = d.value_bytes;
	m->btf = d.btf_id != 0;
	m->order = !dm_is_hash(m->type) || (m->map_flags & EMU_F_ZERO_SEED);
	if (!dm_identity(efd, &m->dev, &m->ino, &m->accmode)) {
		free(m);
		close(kfd);
		return NULL;
	}
	m->kfd = dm_move_high(kfd);
	m->kid = kernel_id(m->kfd);
	/* a twin another --diff process made (found by id or pin) has the seed it was given */
	if (dm_mt_zero_seed(m->type) && !(m->map_flags & EMU_F_ZERO_SEED) && (kernel_flags(m->kfd) & EMU_F_ZERO_SEED))
		m->order = m->seed_added = true;
	m->eid = d.id;
	dm_id_pair(OBJ_MAP, m->eid, m->kid);
	dm_set_ours(m->kfd, true);
	dm_mirrors[slot] = m;
	return m;
}

static uint32_t open_flags_for(int accmode)
{
	return accmode == O_RDONLY ? EMU_F_RDONLY : accmode == O_WRONLY ? EMU_F_WRONLY : 0;
}

static long kget_fd_by_id(uint32_t id, uint32_t open_flags)
{
	struct emu_attr a;

	memset(&a, 0, sizeof(a));
	attr_set_u32(&a, ID_START, id);
	attr_set_u32(&a, ID_OPEN_FLAGS, open_flags);
	return dm_kbpf(EMU_BPF_MAP_GET_FD_BY_ID, a.b, EMU_ATTR_SIZE);
}

static void pin_name(char *out, size_t len, dev_t dev, ino_t ino)
{
	snprintf(out, len, "%s/%llx-%llx", dm_cfg.pin_dir, (unsigned long long)dev, (unsigned long long)ino);
}

static long kobj_get(const char *path, uint32_t file_flags)
{
	struct emu_attr a;

	memset(&a, 0, sizeof(a));
	memcpy(a.b + PIN_PATH, &(uint64_t){ (uintptr_t)path }, 8);
	attr_set_u32(&a, PIN_FILE_FLAGS, file_flags);
	return dm_kbpf(EMU_BPF_OBJ_GET, a.b, EMU_ATTR_SIZE);
}

/* A kernel map for an emulated map this process has no entry for: another fd of the same map we
 * know (by the kernel id), else the mirror pin some process left when it pinned the map. */
struct mirror *dm_attach(int efd)
{
	struct emu_map_desc d;
	dev_t dev;
	ino_t ino;
	int mode;
	long kfd = -ENOENT;

	if (!dm_identity(efd, &dev, &ino, &mode) || emu_map_describe(efd, &d))
		return NULL;
	for (size_t i = 0; i < dm_mirrors_cap && kfd < 0; i++) {
		struct mirror *m = dm_mirrors[i];

		if (m && m->dev == dev && m->ino == ino && (int)i != efd && m->kid)
			kfd = kget_fd_by_id(m->kid, open_flags_for(mode));
	}
	if (kfd < 0 && dm_cfg.pin_dir[0]) {
		char path[PATH_MAX + 64];

		pin_name(path, sizeof(path), dev, ino);
		kfd = kobj_get(path, open_flags_for(mode));
		if (kfd >= 0 && !kernel_matches((int)kfd, &d)) {
			close((int)kfd);
			kfd = -ESTALE;
		}
		if (kfd >= 0)
			dm_st.touched_pins = true;
	}
	if (kfd < 0)
		return NULL;
	return dm_adopt(efd, (int)kfd);
}


/* A program's twin through the mirror pin its pinning process left: the kernel program of the
 * same type. Its load-time shape is unknown here: its xlated length is not compared. */
static bool prog_from_pin(int efd)
{
	unsigned char ei[PI_SIZE], ki[PI_SIZE];
	char path[PATH_MAX + 64];
	dev_t dev;
	ino_t ino;
	int mode;
	long kfd;

	if (!dm_cfg.pin_dir[0] || !dm_identity(efd, &dev, &ino, &mode) || dm_info(false, efd, ei, sizeof(ei)))
		return false;
	pin_name(path, sizeof(path), dev, ino);
	kfd = kobj_get(path, 0);
	if (kfd < 0)
		return false;
	if (dm_info(true, (int)kfd, ki, sizeof(ki)) || memcmp(ki + PI_TYPE, ei + PI_TYPE, 4) ||
	    memcmp(ki + PI_TAG, ei + PI_TAG, 8)) {
		close((int)kfd);
		return false;
	}
	dm_st.touched_pins = true;
	dm_obj_adopt(efd, (int)kfd, OBJ_PROG);
	dm_prog_set_shape(efd, 0, true);
	if (dm_obj_kfd(efd, OBJ_PROG) >= 0)
		dm_prog_pair_ids(efd, dm_obj_kfd(efd, OBJ_PROG));
	return true;
}

/* What an fd in an attr is, and for the kernel, what to put there instead (*out for a map,
 * *kbtf for a BTF object, when either is mirrored). */
enum fdclass dm_classify_btf(int fd, struct mirror **out, int *kbtf)
{
	struct mirror *m;
	struct obj_mirror *b;

	*out = NULL;
	if (kbtf)
		*kbtf = -1;
	if (fd < 0)
		return FD_RAW;
	if (is_ours(fd))
		return FD_OURS;
	if ((m = lookup(fd))) {
		*out = m;
		return FD_MIRRORED;
	}
	if ((b = obj_lookup(fd, OBJ_BTF))) {
		if (kbtf)
			*kbtf = b->kfd;
		return FD_BTF_MIRRORED;
	}
	if ((b = obj_lookup(fd, OBJ_PROG))) {
		if (kbtf)
			*kbtf = b->kfd;
		return FD_PROG_MIRRORED;
	}
	if (emu_is_btf_fd(fd))
		return FD_UNMIRRORED; /* e.g. one BTF_GET_FD_BY_ID made */
	if (!emu_is_object_fd(fd))
		return FD_RAW;
	if (!bpfemu_is_map_fd(fd)) {
		/* a program with no twin here: the mirror pin of another process's twin, if any */
		if (emu_is_prog_fd(fd) && prog_from_pin(fd) && (b = obj_lookup(fd, OBJ_PROG))) {
			if (kbtf)
				*kbtf = b->kfd;
			return FD_PROG_MIRRORED;
		}
		return FD_UNMIRRORED;
	}
	if ((m = dm_attach(fd))) {
		*out = m;
		return FD_MIRRORED;
	}
	return FD_UNMIRRORED;
}

enum fdclass dm_classify(int fd, struct mirror **out)
{
	return dm_classify_btf(fd, out, NULL);
}
/* ---- mirror pins on a real bpffs (the directory and its sweep: pins.c) ---- */

void dm_mirror_pin(int efd)
{
	struct mirror *m = lookup(efd);
	struct obj_mirror *pm = m ? NULL : obj_lookup(efd, OBJ_PROG);
	bool *pinned = m ? &m->pinned : pm ? &pm->pinned : NULL;
	char path[PATH_MAX + 64];
	struct emu_attr a;

	if (!pinned || !dm_cfg.pin_dir[0])
		return;
	pin_name(path, sizeof(path), m ? m->dev : pm->dev, m ? m->ino : pm->ino);
	memset(&a, 0, sizeof(a));
	memcpy(a.b + PIN_PATH, &(uint64_t){ (uintptr_t)path }, 8);
	attr_set_u32(&a, PIN_FD, (uint32_t)(m ? m->kfd : pm->kfd));
	/* twice: another process's sweep may remove the directory between our mkdir and pin */
	for (int tries = 0; tries < 2 && !*pinned; tries++) {
		long r = dm_ksys(SYS_mkdirat, AT_FDCWD, (long)dm_cfg.pin_dir, 0700, 0);

		if (r && r != -EEXIST)
			break;
		dm_ksys(SYS_unlinkat, AT_FDCWD, (long)path, 0, 0);
		r = dm_kbpf(EMU_BPF_OBJ_PIN, a.b, EMU_ATTR_SIZE);
		if (!r)
			*pinned = true;
		else if (r != -ENOENT)
			break;
	}
	dm_st.touched_pins = true;
}

/* An fd the caller named in its memory, for the kernel's copy of that memory: in process, what
 * kfd_of makes of it; under the supervisor the caller's number comes to us as an fd of ours first,
 * and one that names no BPF object (or nothing) must name the same on the kernel side: where a
 * log may quote its number (quoted: instructions, fd_array) that number is made ours for the
 * call, or it cannot be compared (false, as for an emulated object without a twin); elsewhere our
 * fd of the same file, or -1 for none, will do. */
bool dm_user_kfd(int fd, uint32_t *out, bool (*kfd_of)(int fd, uint32_t *out), bool quoted)
{
	struct mirror *m;
	int local, k;

	if (!dm_cfg.remote)
		return kfd_of(fd, out);
	local = dm_user_fd(fd);
	if (local >= 0 && dm_classify_btf(local, &m, &k) != FD_RAW)
		return kfd_of(local, out);
	if (!quoted) {
		*out = (uint32_t)local; /* the same file, or none (-1) */
		return true;
	}
	*out = (uint32_t)fd;
	return dm_same_number(fd, local) >= 0 || fd < 0;
}
