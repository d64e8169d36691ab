/* SPDX-License-Identifier: MIT */
/*
 * Differential mode (BPFEMU_DIFF): every bpf() call the preload intercepts is answered by the
 * emulator and also made on the kernel, against a kernel "mirror" of each emulated map, and what
 * the two sides answered and wrote is compared. The program continues with the emulator's answer;
 * differences go to a report (text, or JSON lines), and each process that made bpf() calls writes
 * a summary line when it exits.
 *
 * How one call is mirrored:
 *  - fd fields are translated: an emulated map's fd becomes its mirror's fd. A mirror is a kernel
 *    map created with the same attr when the emulated one was (a BTF object's mirror: the kernel's
 *    BTF loaded from the same blob, so maps created with BTF are created with it on both sides);
 *    a map that came from elsewhere
 *    (another fd of the same map, a pin made by another process) gets one from the kernel by id or
 *    through a mirror pin on a real bpffs, where possible. Calls on maps without a mirror are not
 *    compared (and counted as such).
 *  - The kernel runs first, on shadow copies of everything the call may write: the attr (count,
 *    info_len, next_id land there) and the output buffers, with any input buffer that overlaps
 *    them. A shadow holds the user's bytes at the same page offsets with the same page protections,
 *    so the kernel faults at the very byte it would have faulted at. Then the emulator runs on the
 *    real memory, and every byte is compared.
 *  - Ids differ between the two worlds by design: the id fields of OBJ_GET_INFO_BY_FD (a map's id
 *    and btf_id, a BTF object's id) and the answers of MAP_GET_NEXT_ID are not compared, and
 *    MAP_GET_FD_BY_ID asks the kernel for the mirror's id; the BTF id commands are not compared.
 *  - Hash maps get BPF_F_ZERO_SEED on both sides, so walks and batches come out in the same order.
 *  - Calls on LRU maps run on the kernel pinned to CPU 0: the kernel's LRU lists are per CPU, and
 *    the emulator's system-call path is CPU 0.
 *  - Calls are serialized: two threads interleaving their kernel and emulator halves would let the
 *    two sides see different orders.
 *
 * Commands the emulator does not implement are not sent to the kernel (they could attach or load
 * real programs); they are counted as not compared, as are OBJ_PIN and OBJ_GET, whose paths live in
 * different file systems on the two sides.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

#define BPF_FS_MAGIC 0xcafe4a11
#define PAGE 4096u
#define NR_KERNEL_CMDS EMU_BPF_NR_CMDS /* others are EINVAL on both sides */
#define MAX_SPANS 6
#define MAX_GROUPS (MAX_SPANS + 2) /* the attr, and the info hash buffer */
#define MAX_DIFFS 8
#define SHADOW_MAX (64u << 20) /* a call that needs more shadow than this is not compared */
#define EXIT_DIFF_STRICT 3

/* Why a call was not compared. */
enum nc {
	NC_NOT_EMULATED, /* the emulator does not implement it: not sent to the kernel */
	NC_NO_MIRROR,    /* an emulated map with no kernel counterpart */
	NC_PATH,         /* OBJ_PIN / OBJ_GET: paths of two different file systems */
	NC_ORDER,        /* a hash map's walk order without BPF_F_ZERO_SEED */
	NC_TOO_BIG,      /* buffers too large to shadow */
	NC_BTF_IDS,      /* BTF_GET_NEXT_ID / BTF_GET_FD_BY_ID: which BTF ids exist differs by design */
	NC_MAX
};
static const char *const nc_names[NC_MAX] = {
	"not emulated", "map without a kernel mirror", "path commands", "random hash order",
	"buffers too large", "BTF id commands",
};
static const char *const nc_keys[NC_MAX] = {
	"not_emulated", "no_mirror", "path_commands", "random_order", "too_large", "btf_ids",
};

/* ---- configuration and counters ---- */

static struct {
	bool on, json, strict;
	int report_fd;
	unsigned long max_reports;
	bool zero_seed;       /* the kernel lets us set BPF_F_ZERO_SEED */
	bool cpu0;            /* we can run kernel calls on CPU 0 */
	char pin_dir[PATH_MAX]; /* kernel bpffs directory for mirror pins, "" if none */
	int null_fd;          /* stands in for our own kernel fds if the program names one */
	int fd_base;          /* where our kernel fds go, out of the program's way */
} cfg = { .report_fd = STDERR_FILENO, .max_reports = 1000, .null_fd = -1 };

static struct {
	unsigned long calls, compared, divergences, not_compared[NC_MAX];
	bool touched_pins;
	int exit_status;
	bool exit_known;
	bool said_cpu0, said_pins;
} st;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static void *guard_page; /* PROT_NONE */
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static long (*real_syscall)(long, ...);

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- the kernel side ---- */

static long kbpf(int cmd, void *attr, unsigned size)
{
	long r;

	errno = 0;
	r = real_syscall(SYS_bpf, (long)cmd, (long)attr, (long)size);
	return r < 0 ? -errno : r;
}

static long ksys(long nr, long a, long b, long c, long d)
{
	long r = real_syscall(nr, a, b, c, d, 0L, 0L);

	return r < 0 ? -errno : r;
}


static long kcreate_probe(uint32_t type, uint32_t flags)
{
	struct emu_attr a;

	memset(&a, 0, sizeof(a));
	attr_set_u32(&a, MC_TYPE, type);
	attr_set_u32(&a, MC_KEY_SIZE, 4);
	attr_set_u32(&a, MC_VALUE_SIZE, 4);
	attr_set_u32(&a, MC_MAX_ENTRIES, 1);
	attr_set_u32(&a, MC_FLAGS, flags);
	return kbpf(EMU_BPF_MAP_CREATE, a.b, EMU_ATTR_SIZE);
}

/* ---- output ---- */

struct sbuf {
	char *p;
	size_t n, cap;
};

__attribute__((format(printf, 2, 3))) static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	for (;;) {
		va_start(ap, fmt);
		r = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
		va_end(ap);
		if (r < 0)
			return;
		if (b->p && b->n + (size_t)r < b->cap) {
			b->n += (size_t)r;
			return;
		}
		size_t cap = (b->cap ? b->cap * 2 : 1024) + (size_t)r;
		char *np = realloc(b->p, cap);

		if (!np)
			return;
		b->p = np;
		b->cap = cap;
	}
}

static void sb_json_str(struct sbuf *b, const char *s)
{
	sb_printf(b, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			sb_printf(b, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			sb_printf(b, "\\u%04x", c);
		else
			sb_printf(b, "%c", c);
	}
	sb_printf(b, "\"");
}

static void emit(struct sbuf *b)
{
	/* one write per record: records of processes sharing a report stay whole */
	if (b->p && b->n)
		(void)!write(cfg.report_fd, b->p, b->n);
	free(b->p);
	b->p = NULL;
	b->n = b->cap = 0;
}

static void note(const char *fmt, ...)
{
	char line[600];
	struct sbuf b = { 0 };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (cfg.json) {
		sb_printf(&b, "{\"event\":\"note\",\"pid\":%d,\"text\":", (int)getpid());
		sb_json_str(&b, line);
		sb_printf(&b, "}\n");
	} else {
		sb_printf(&b, "bpfemu diff: note: %s\n", line);
	}
	emit(&b);
}

static const char *errname(int e)
{
	static __thread char buf[24];
	const char *n;

	if (e == EMU_ENOTSUPP)
		return "ENOTSUPP";
	n = strerrorname_np(e);
	if (n)
		return n;
	snprintf(buf, sizeof(buf), "errno %d", e);
	return buf;
}

static void answer_text(struct sbuf *b, long r)
{
	if (r >= 0)
		sb_printf(b, "%ld", r);
	else
		sb_printf(b, "-1 %s (%s)", errname((int)-r),
			  -r == EMU_ENOTSUPP ? "Unknown error 524" : strerror((int)-r));
}

static void answer_json(struct sbuf *b, long r)
{
	if (r >= 0)
		sb_printf(b, "{\"ret\":%ld,\"errno\":0}", r);
	else
		sb_printf(b, "{\"ret\":-1,\"errno\":%ld,\"errno_name\":\"%s\"}", -r, errname((int)-r));
}

/* ---- mirrors: emulated fd -> kernel fd ---- */

struct mirror {
	int kfd;
	dev_t dev;
	ino_t ino;
	int accmode;
	uint32_t kid; /* the kernel map's id */
	uint32_t type, key_size, value_size, max_entries, map_flags, value_bytes;
	bool btf;   /* created with BTF: info's btf_id differs by design */
	bool order; /* walks come out in the same order on both sides */
	bool pinned; /* has a mirror pin */
};

static struct mirror **mirrors; /* indexed by the emulated fd */
static size_t mirrors_cap;
static unsigned char *ours;     /* indexed by fd: 1 for the kernel fds we hold */
static size_t ours_cap;

static bool grow(void *pp, size_t *cap, size_t need, size_t elem)
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

static void set_ours(int fd, bool v)
{
	if (fd < 0)
		return;
	if (grow(&ours, &ours_cap, (size_t)fd, 1))
		ours[fd] = v;
}

static bool is_ours(int fd) { return fd >= 0 && (size_t)fd < ours_cap && ours[fd]; }

static void close_kfd(int kfd)
{
	if (kfd < 0)
		return;
	set_ours(kfd, false);
	close(kfd);
}

/* Our kernel fds live high, so the program's fds are numbered as they would be without us. */
static int move_high(int fd)
{
	int h;

	if (fd < 0 || cfg.fd_base <= 3)
		return fd;
	h = fcntl(fd, F_DUPFD_CLOEXEC, cfg.fd_base);
	if (h < 0)
		return fd;
	close(fd);
	return h;
}

static void drop(int efd)
{
	struct mirror *m;

	if (efd < 0 || (size_t)efd >= mirrors_cap || !(m = mirrors[efd]))
		return;
	close_kfd(m->kfd);
	free(m);
	mirrors[efd] = NULL;
}

static bool identity(int fd, dev_t *dev, ino_t *ino, int *accmode)
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

/* The entry of an emulated fd, if it still names the map it was made for. */
static struct mirror *lookup(int efd)
{
	struct mirror *m;
	dev_t dev;
	ino_t ino;
	int mode;

	if (efd < 0 || (size_t)efd >= mirrors_cap || !(m = mirrors[efd]))
		return NULL;
	if (identity(efd, &dev, &ino, &mode) && dev == m->dev && ino == m->ino && mode == m->accmode)
		return m;
	drop(efd); /* closed behind our back, and the number reused */
	return NULL;
}

/* BTF objects: the kernel's BTF loaded from the same blob, by emulated fd. */
struct btf_mirror {
	int kfd;
	dev_t dev;
	ino_t ino;
};

static struct btf_mirror **btf_mirrors; /* indexed by the emulated fd */
static size_t btf_mirrors_cap;

static void btf_drop(int efd)
{
	struct btf_mirror *b;

	if (efd < 0 || (size_t)efd >= btf_mirrors_cap || !(b = btf_mirrors[efd]))
		return;
	close_kfd(b->kfd);
	free(b);
	btf_mirrors[efd] = NULL;
}

static struct btf_mirror *btf_lookup(int efd)
{
	struct btf_mirror *b;
	dev_t dev;
	ino_t ino;
	int mode;

	if (efd < 0 || (size_t)efd >= btf_mirrors_cap || !(b = btf_mirrors[efd]))
		return NULL;
	if (identity(efd, &dev, &ino, &mode) && dev == b->dev && ino == b->ino)
		return b;
	btf_drop(efd); /* closed behind our back, and the number reused */
	return NULL;
}

/* Record kfd, the kernel's BTF loaded alongside, as the mirror of the BTF object efd; takes kfd. */
static void btf_adopt(int efd, int kfd)
{
	struct btf_mirror *b;
	int mode;

	btf_drop(efd);
	if (efd < 0 || !grow(&btf_mirrors, &btf_mirrors_cap, (size_t)efd, sizeof(*btf_mirrors)) ||
	    !(b = calloc(1, sizeof(*b)))) {
		close(kfd);
		return;
	}
	if (!identity(efd, &b->dev, &b->ino, &mode)) {
		free(b);
		close(kfd);
		return;
	}
	b->kfd = move_high(kfd);
	set_ours(b->kfd, true);
	btf_mirrors[efd] = b;
}

static uint32_t kernel_id(int kfd)
{
	unsigned char info[MI_SIZE];
	struct emu_attr a;
	uint32_t id;

	memset(&a, 0, sizeof(a));
	memset(info, 0, sizeof(info));
	attr_set_u32(&a, INFO_FD, (uint32_t)kfd);
	attr_set_u32(&a, INFO_LEN, sizeof(info));
	memcpy(a.b + INFO_PTR, &(uint64_t){ (uintptr_t)info }, 8);
	if (kbpf(EMU_BPF_OBJ_GET_INFO_BY_FD, a.b, EMU_ATTR_SIZE))
		return 0;
	memcpy(&id, info + MI_ID, 4);
	return id;
}

/* The kernel map's type and sizes agree with the emulated one's: a mirror found by name is the
 * right one. */
static bool kernel_matches(int kfd, const struct emu_map_desc *d)
{
	unsigned char info[MI_SIZE];
	struct emu_attr a;
	uint32_t v[4];

	memset(&a, 0, sizeof(a));
	memset(info, 0, sizeof(info));
	attr_set_u32(&a, INFO_FD, (uint32_t)kfd);
	attr_set_u32(&a, INFO_LEN, sizeof(info));
	memcpy(a.b + INFO_PTR, &(uint64_t){ (uintptr_t)info }, 8);
	if (kbpf(EMU_BPF_OBJ_GET_INFO_BY_FD, a.b, EMU_ATTR_SIZE))
		return false;
	memcpy(&v[0], info + 0, 4);
	memcpy(&v[1], info + 8, 4);
	memcpy(&v[2], info + 12, 4);
	memcpy(&v[3], info + 16, 4);
	return v[0] == d->type && v[1] == d->key_size && v[2] == d->value_size && v[3] == d->max_entries;
}

static bool is_hash(uint32_t t) { return t == EMU_MAP_HASH || t == EMU_MAP_PERCPU_HASH || t == EMU_MAP_LRU_HASH || t == EMU_MAP_LRU_PERCPU_HASH; }
static bool is_lru(uint32_t t) { return t == EMU_MAP_LRU_HASH || t == EMU_MAP_LRU_PERCPU_HASH; }

/* Record kfd as the mirror of efd (both open on one map each); takes kfd. */
static struct mirror *adopt(int efd, int kfd)
{
	struct mirror *m;
	struct emu_map_desc d;

	drop(efd);
	if (efd < 0 || emu_map_describe(efd, &d) || !grow(&mirrors, &mirrors_cap, (size_t)efd, sizeof(*mirrors)) ||
	    !(m = calloc(1, sizeof(*m)))) {
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
	m->order = !is_hash(m->type) || (m->map_flags & EMU_F_ZERO_SEED);
	if (!identity(efd, &m->dev, &m->ino, &m->accmode)) {
		free(m);
		close(kfd);
		return NULL;
	}
	m->kfd = move_high(kfd);
	m->kid = kernel_id(m->kfd);
	set_ours(m->kfd, true);
	mirrors[efd] = m;
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
	return kbpf(EMU_BPF_MAP_GET_FD_BY_ID, a.b, EMU_ATTR_SIZE);
}

static void pin_name(char *out, size_t len, dev_t dev, ino_t ino)
{
	snprintf(out, len, "%s/%llx-%llx", cfg.pin_dir, (unsigned long long)dev, (unsigned long long)ino);
}

static long kobj_get(const char *path, uint32_t file_flags)
{
	struct emu_attr a;

	memset(&a, 0, sizeof(a));
	memcpy(a.b + PIN_PATH, &(uint64_t){ (uintptr_t)path }, 8);
	attr_set_u32(&a, PIN_FILE_FLAGS, file_flags);
	return kbpf(EMU_BPF_OBJ_GET, a.b, EMU_ATTR_SIZE);
}

/* A kernel map for an emulated map this process has no entry for: another fd of the same map we
 * know (by the kernel id), else the mirror pin some process left when it pinned the map. */
static struct mirror *attach(int efd)
{
	struct emu_map_desc d;
	dev_t dev;
	ino_t ino;
	int mode;
	long kfd = -ENOENT;

	if (!identity(efd, &dev, &ino, &mode) || emu_map_describe(efd, &d))
		return NULL;
	for (size_t i = 0; i < mirrors_cap && kfd < 0; i++) {
		struct mirror *m = mirrors[i];

		if (m && m->dev == dev && m->ino == ino && (int)i != efd && m->kid)
			kfd = kget_fd_by_id(m->kid, open_flags_for(mode));
	}
	if (kfd < 0 && cfg.pin_dir[0]) {
		char path[PATH_MAX + 64];

		pin_name(path, sizeof(path), dev, ino);
		kfd = kobj_get(path, open_flags_for(mode));
		if (kfd >= 0 && !kernel_matches((int)kfd, &d)) {
			close((int)kfd);
			kfd = -ESTALE;
		}
		if (kfd >= 0)
			st.touched_pins = true;
	}
	if (kfd < 0)
		return NULL;
	return adopt(efd, (int)kfd);
}

enum fdclass { FD_RAW, FD_OURS, FD_MIRRORED, FD_BTF_MIRRORED, FD_UNMIRRORED };

/* What an fd in an attr is, and for the kernel, what to put there instead (*out for a map,
 * *kbtf for a BTF object, when either is mirrored). */
static enum fdclass classify_btf(int fd, struct mirror **out, int *kbtf)
{
	struct mirror *m;
	struct btf_mirror *b;

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
	if ((b = btf_lookup(fd))) {
		if (kbtf)
			*kbtf = b->kfd;
		return FD_BTF_MIRRORED;
	}
	if (emu_is_btf_fd(fd))
		return FD_UNMIRRORED; /* e.g. one BTF_GET_FD_BY_ID made */
	if (!emu_is_object_fd(fd))
		return FD_RAW;
	if (!bpfemu_is_map_fd(fd))
		return FD_UNMIRRORED; /* a program object: never mirrored */
	if ((m = attach(fd))) {
		*out = m;
		return FD_MIRRORED;
	}
	return FD_UNMIRRORED;
}

static enum fdclass classify(int fd, struct mirror **out)
{
	return classify_btf(fd, out, NULL);
}

/* ---- mirror pins on a real bpffs ---- */

static bool is_bpffs(const char *dir)
{
	struct statfs s;

	return !ksys(SYS_statfs, (long)dir, (long)&s, 0, 0) && s.f_type == BPF_FS_MAGIC;
}

static void find_pin_dir(void)
{
	const char *want = secure_getenv("BPFEMU_DIFF_BPFFS");
	char mnt[PATH_MAX] = "", line[4096];
	FILE *f;

	if (want && *want) {
		snprintf(mnt, sizeof(mnt), "%s", want);
	} else if ((f = fopen("/proc/self/mountinfo", "re"))) {
		/* "id parent maj:min root mountpoint options [optional...] - fstype source superopts" */
		while (!mnt[0] && fgets(line, sizeof(line), f)) {
			char *dash = strstr(line, " - "), point[PATH_MAX];

			if (dash && !strncmp(dash + 3, "bpf ", 4) &&
			    sscanf(line, "%*s %*s %*s %*s %4095s", point) == 1)
				snprintf(mnt, sizeof(mnt), "%s", point);
		}
		fclose(f);
	}
	if (!mnt[0] || !is_bpffs(mnt))
		return;
	if (snprintf(cfg.pin_dir, sizeof(cfg.pin_dir), "%.*s/bpfemu-diff-%u", PATH_MAX - 32, mnt,
		     (unsigned)getuid()) >= (int)sizeof(cfg.pin_dir)) {
		cfg.pin_dir[0] = 0;
		return;
	}
	if (ksys(SYS_mkdirat, AT_FDCWD, (long)cfg.pin_dir, 0700, 0) && errno != EEXIST)
		cfg.pin_dir[0] = 0;
}

static void mirror_pin(int efd)
{
	struct mirror *m = lookup(efd);
	char path[PATH_MAX + 64];
	struct emu_attr a;

	if (!m || !cfg.pin_dir[0])
		return;
	pin_name(path, sizeof(path), m->dev, m->ino);
	ksys(SYS_unlinkat, AT_FDCWD, (long)path, 0, 0);
	memset(&a, 0, sizeof(a));
	memcpy(a.b + PIN_PATH, &(uint64_t){ (uintptr_t)path }, 8);
	attr_set_u32(&a, PIN_FD, (uint32_t)m->kfd);
	if (!kbpf(EMU_BPF_OBJ_PIN, a.b, EMU_ATTR_SIZE))
		m->pinned = true;
	st.touched_pins = true;
}

struct ident {
	dev_t dev;
	ino_t ino;
};

/* Identities of the files under the emulated bpffs: the maps that are still pinned. */
static void pinned_identities(struct ident **out, size_t *n, size_t *cap)
{
	char stack[16][PATH_MAX];
	int sp = 0;

	snprintf(stack[sp++], PATH_MAX, "%s", emu_bpffs_root());
	while (sp) {
		char dir[PATH_MAX];
		struct dirent *de;
		DIR *d;

		memcpy(dir, stack[--sp], PATH_MAX);
		if (!(d = opendir(dir)))
			continue;
		while ((de = readdir(d))) {
			struct stat s;

			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			if (fstatat(dirfd(d), de->d_name, &s, AT_SYMLINK_NOFOLLOW))
				continue;
			if (S_ISDIR(s.st_mode) && sp < 16) {
				if (snprintf(stack[sp], PATH_MAX, "%s/%s", dir, de->d_name) < PATH_MAX)
					sp++;
			} else if (S_ISREG(s.st_mode) && grow(out, cap, *n, sizeof(**out))) {
				(*out)[*n].dev = s.st_dev;
				(*out)[*n].ino = s.st_ino;
				(*n)++;
			}
		}
		closedir(d);
	}
}

/* Mirror pins whose emulated map is no longer pinned anywhere go too, as the kernel's would. Raw
 * system calls: the preload's path interposers must not redirect the kernel's bpffs. */
static void sweep_pins(void)
{
	struct ident *ids = NULL;
	size_t n = 0, cap = 0;
	char buf[4096];
	long dfd, got;

	if (!cfg.pin_dir[0])
		return;
	pinned_identities(&ids, &n, &cap);
	dfd = ksys(SYS_openat, AT_FDCWD, (long)cfg.pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (dfd < 0) {
		free(ids);
		return;
	}
	while ((got = ksys(SYS_getdents64, dfd, (long)buf, sizeof(buf), 0)) > 0) {
		for (long off = 0; off < got;) {
			struct {
				uint64_t ino;
				int64_t off;
				unsigned short reclen;
				unsigned char type;
				char name[];
			} *de = (void *)(buf + off);
			unsigned long long dev, ino;
			bool live = false;

			off += de->reclen;
			if (sscanf(de->name, "%llx-%llx", &dev, &ino) != 2)
				continue;
			for (size_t i = 0; i < n && !live; i++)
				live = (unsigned long long)ids[i].dev == dev && (unsigned long long)ids[i].ino == ino;
			if (!live)
				ksys(SYS_unlinkat, dfd, (long)de->name, 0, 0);
		}
	}
	ksys(SYS_close, dfd, 0, 0, 0);
	free(ids);
}

/* ---- shadows ---- */

/* One user memory range the kernel may touch through one pointer. */
struct span {
	const char *name;
	unsigned attr_off;  /* where its pointer is in the attr */
	uint64_t uptr;
	size_t len;
	bool out;           /* the call may write it: shadowed and compared */
	bool compare;
	unsigned mask_off, mask_len; /* bytes not compared (an id) */
	unsigned mask2_off, mask2_len; /* and another range (a map's btf_id) */
	int group;
	unsigned char *kptr; /* what the kernel gets */
};

struct region {
	unsigned char *base;
	size_t cap;
	size_t npages; /* pages whose protection was changed, to restore */
	size_t *pages;
	size_t pages_cap;
};

static struct region arena[MAX_GROUPS];

struct group {
	uint64_t lo, hi;  /* user range */
	uint64_t plo;     /* its first page */
	unsigned char *shadow; /* the shadow of plo */
	int slot;
	bool out;
	unsigned char *prot; /* per page: PROT_* the user's memory has */
	size_t npages;
};

static int user_prot(uint64_t page, uint64_t lo, uint64_t hi)
{
	uint64_t a = page > lo ? page : lo;
	unsigned char c;

	(void)hi;
	if (emu_copy_from_user(&c, (const void *)(uintptr_t)a, 1))
		return PROT_NONE;
	return emu_user_writable((void *)(uintptr_t)a) ? PROT_READ | PROT_WRITE : PROT_READ;
}

/* A shadow of [lo, hi) with the user's bytes and page protections; NULL if it cannot be had. */
static bool shadow_group(struct group *g)
{
	struct region *r = &arena[g->slot];
	size_t n;

	g->plo = g->lo & ~(uint64_t)(PAGE - 1);
	n = (size_t)(emu_round_up64(g->hi, PAGE) - g->plo);
	g->npages = n / PAGE;
	if (n > SHADOW_MAX)
		return false;
	if (r->cap < n) {
		void *p;

		if (r->base)
			munmap(r->base, r->cap);
		r->base = NULL;
		r->cap = 0;
		p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			return false;
		r->base = p;
		r->cap = n;
	}
	g->prot = malloc(g->npages);
	if (!g->prot)
		return false;
	g->shadow = r->base;
	for (size_t i = 0; i < g->npages; i++) {
		uint64_t page = g->plo + (uint64_t)i * PAGE;
		uint64_t a = page > g->lo ? page : g->lo, b = page + PAGE < g->hi ? page + PAGE : g->hi;

		g->prot[i] = (unsigned char)user_prot(page, g->lo, g->hi);
		if (g->prot[i] == PROT_NONE ||
		    emu_copy_from_user(g->shadow + (a - g->plo), (const void *)(uintptr_t)a, (size_t)(b - a)))
			memset(g->shadow + (a - g->plo), 0, (size_t)(b - a));
	}
	return true;
}

static void protect_group(struct group *g)
{
	struct region *r = &arena[g->slot];

	for (size_t i = 0; i < g->npages; i++) {
		if (g->prot[i] == (PROT_READ | PROT_WRITE))
			continue;
		if (!grow(&r->pages, &r->pages_cap, r->npages, sizeof(*r->pages)))
			continue;
		if (!mprotect(g->shadow + i * PAGE, PAGE, g->prot[i]))
			r->pages[r->npages++] = i;
	}
}

static void unprotect_all(void)
{
	for (int s = 0; s < MAX_GROUPS; s++) {
		struct region *r = &arena[s];

		for (size_t i = 0; i < r->npages; i++)
			mprotect(r->base + r->pages[i] * PAGE, PAGE, PROT_READ | PROT_WRITE);
		r->npages = 0;
	}
}

/* ---- one call ---- */

struct difference {
	char what[200];
	char kernel[200], emulator[200];
};

struct call {
	int cmd;
	union bpf_attr *uattr;
	unsigned size;
	struct emu_attr a;   /* what the emulator reads */
	struct span sp[MAX_SPANS + 1];
	int nsp;
	struct group g[MAX_GROUPS];
	int ng;
	unsigned char *kattr; /* the kernel's attr (a shadow of the user's) */
	int attr_group;
	unsigned kmask[32];   /* attr bytes that differ by design: [off, off+len) pairs */
	int nkmask;
	struct mirror *map;
	bool btf;            /* the primary fd is a (mirrored) BTF object */
	long kret, eret;
	struct difference d[MAX_DIFFS];
	int nd;
};

static void mask_attr(struct call *c, unsigned off, unsigned len)
{
	if (c->nkmask < 16) {
		c->kmask[2 * c->nkmask] = off;
		c->kmask[2 * c->nkmask + 1] = len;
		c->nkmask++;
	}
}

static bool attr_masked(const struct call *c, unsigned off)
{
	for (int i = 0; i < c->nkmask; i++)
		if (off >= c->kmask[2 * i] && off < c->kmask[2 * i] + c->kmask[2 * i + 1])
			return true;
	return false;
}

__attribute__((format(printf, 2, 3))) static struct difference *differ(struct call *c, const char *fmt, ...)
{
	struct difference *d;
	va_list ap;

	if (c->nd >= MAX_DIFFS)
		return NULL;
	d = &c->d[c->nd++];
	memset(d, 0, sizeof(*d));
	va_start(ap, fmt);
	vsnprintf(d->what, sizeof(d->what), fmt, ap);
	va_end(ap);
	return d;
}

static void add_span(struct call *c, const char *name, unsigned off, size_t len, bool out)
{
	struct span *s;

	if (c->nsp >= MAX_SPANS)
		return;
	s = &c->sp[c->nsp++];
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->attr_off = off;
	s->uptr = attr_u64(&c->a, off);
	s->len = s->uptr ? len : 0;
	s->out = out;
	s->compare = out;
}

/* Buffers the call may write, and inputs that may share memory with them, per command. */
static void spans_for(struct call *c)
{
	const struct mirror *m = c->map;
	uint32_t count, n;

	switch (c->cmd) {
	case EMU_BPF_MAP_LOOKUP_ELEM:
	case EMU_BPF_MAP_LOOKUP_AND_DELETE_ELEM:
		if (!m)
			break;
		add_span(c, "value", EL_VALUE, m->value_bytes, true);
		add_span(c, "key", EL_KEY, m->key_size, false);
		break;
	case EMU_BPF_MAP_GET_NEXT_KEY:
		if (!m)
			break;
		add_span(c, "next_key", EL_VALUE, m->key_size, true);
		add_span(c, "key", EL_KEY, m->key_size, false);
		break;
	case EMU_BPF_MAP_LOOKUP_BATCH:
	case EMU_BPF_MAP_LOOKUP_AND_DELETE_BATCH: {
		uint32_t tok;

		if (!m)
			break;
		/* hash maps walk by bucket (a u32 token); arrays by key */
		tok = is_hash(m->type) ? 4 : m->type == EMU_MAP_QUEUE || m->type == EMU_MAP_STACK ? 0 : m->key_size;
		count = attr_u32(&c->a, BA_COUNT);
		n = count < m->max_entries ? count : m->max_entries;
		add_span(c, "out_batch", BA_OUT, tok, true);
		add_span(c, "keys", BA_KEYS, (size_t)n * m->key_size, true);
		add_span(c, "values", BA_VALUES, (size_t)n * m->value_bytes, true);
		add_span(c, "in_batch", BA_IN, tok, false);
		break;
	}
	case EMU_BPF_OBJ_GET_INFO_BY_FD: {
		uint32_t len = attr_u32(&c->a, INFO_LEN);

		if (len > PAGE)
			break; /* E2BIG before anything is read */
		add_span(c, "info", INFO_PTR, len, true);
		if (m) {
			c->sp[c->nsp - 1].mask_off = MI_ID;
			c->sp[c->nsp - 1].mask_len = 4;
			if (m->btf) {
				c->sp[c->nsp - 1].mask2_off = MI_BTF_ID;
				c->sp[c->nsp - 1].mask2_len = 4;
			}
		} else if (c->btf) {
			/* (the blob and name go where pointers inside the info say: not shadowed, so
			 * the kernel writes the program's memory first, the emulator the same after) */
			c->sp[c->nsp - 1].mask_off = BI_ID;
			c->sp[c->nsp - 1].mask_len = 4;
		}
		break;
	}
	case EMU_BPF_BTF_LOAD:
		if (attr_u32(&c->a, BTF_LOG_LEVEL) && attr_u32(&c->a, BTF_LOG_SIZE) <= SHADOW_MAX)
			add_span(c, "log_buf", BTF_LOG_BUF, attr_u32(&c->a, BTF_LOG_SIZE), true);
		break;
	case EMU_BPF_PROG_LOAD:
		if (attr_u32(&c->a, PL_LOG_LEVEL) && attr_u32(&c->a, PL_LOG_SIZE) <= SHADOW_MAX) {
			add_span(c, "log_buf", PL_LOG_BUF, attr_u32(&c->a, PL_LOG_SIZE), true);
			c->sp[c->nsp - 1].compare = false; /* the emulator has no verifier to log */
		}
		break;
	default:
		break;
	}
}

static bool overlaps(uint64_t a, uint64_t an, uint64_t b, uint64_t bn) { return a < b + bn && b < a + an; }

/* Shadows for the attr and every group of overlapping spans that holds an output; the kernel's
 * attr points into them. false: the call cannot be shadowed (too large). */
static bool build_shadows(struct call *c)
{
	int grp[MAX_SPANS + 1];

	c->ng = 0;
	/* the attr: the kernel writes count, info_len, next_id into it */
	c->attr_group = -1;
	c->kattr = NULL;
	if (c->uattr) {
		struct group *g = &c->g[c->ng];

		memset(g, 0, sizeof(*g));
		g->lo = (uintptr_t)c->uattr;
		g->hi = g->lo + EMU_ATTR_SIZE;
		g->slot = c->ng;
		g->out = true;
		if (!shadow_group(g))
			return false;
		c->attr_group = c->ng++;
		c->kattr = g->shadow + (g->lo - g->plo);
	}

	/* union of overlapping spans */
	for (int i = 0; i < c->nsp; i++)
		grp[i] = i;
	for (bool changed = true; changed;) {
		changed = false;
		for (int i = 0; i < c->nsp; i++)
			for (int j = i + 1; j < c->nsp; j++)
				if (c->sp[i].len && c->sp[j].len && grp[i] != grp[j] &&
				    overlaps(c->sp[i].uptr, c->sp[i].len, c->sp[j].uptr, c->sp[j].len)) {
					int from = grp[j], to = grp[i];

					for (int k = 0; k < c->nsp; k++)
						if (grp[k] == from)
							grp[k] = to;
					changed = true;
				}
	}
	for (int i = 0; i < c->nsp; i++) {
		struct span *s = &c->sp[i];
		struct group *g = NULL;

		s->group = -1;
		s->kptr = (unsigned char *)(uintptr_t)s->uptr;
		if (!s->len)
			continue;
		for (int k = 0; k < c->ng; k++)
			if (c->g[k].slot == grp[i] + 100)
				g = &c->g[k];
		if (!g) {
			if (c->ng >= MAX_GROUPS)
				return false;
			g = &c->g[c->ng++];
			memset(g, 0, sizeof(*g));
			g->slot = grp[i] + 100; /* a tag until the shadow is made */
			g->lo = s->uptr;
			g->hi = s->uptr + s->len;
		}
		if (s->uptr < g->lo)
			g->lo = s->uptr;
		if (s->uptr + s->len > g->hi)
			g->hi = s->uptr + s->len;
		g->out |= s->out;
		s->group = (int)(g - c->g);
	}
	for (int k = 0; k < c->ng; k++) {
		struct group *g = &c->g[k];

		if (k == c->attr_group)
			continue;
		if (g->hi < g->lo || g->hi - g->lo > SHADOW_MAX)
			return false;
		g->slot = k;
		/* inputs alone are read by the kernel where they are */
		if (g->out && !shadow_group(g))
			return false;
	}
	for (int i = 0; i < c->nsp; i++) {
		struct span *s = &c->sp[i];
		struct group *g;
		uint64_t v;

		if (s->group < 0 || !(g = &c->g[s->group])->shadow)
			continue;
		s->kptr = g->shadow + (s->uptr - g->plo);
		v = (uintptr_t)s->kptr;
		if (c->kattr)
			memcpy(c->kattr + s->attr_off, &v, 8);
		mask_attr(c, s->attr_off, 8);
	}
	return true;
}

/* The frozen-array content hash of OBJ_GET_INFO_BY_FD: a pointer inside the info buffer. */
static void shadow_info_hash(struct call *c)
{
	struct span *info = NULL;
	uint64_t hp;
	uint32_t hs;

	for (int i = 0; i < c->nsp; i++)
		if (!strcmp(c->sp[i].name, "info") && c->sp[i].group >= 0 && c->g[c->sp[i].group].shadow)
			info = &c->sp[i];
	if (!info || info->len < MI_HASH_SIZE + 4 || c->ng >= MAX_GROUPS || c->nsp > MAX_SPANS)
		return;
	memcpy(&hp, info->kptr + MI_HASH, 8);
	memcpy(&hs, info->kptr + MI_HASH_SIZE, 4);
	if (!hp || hs != 32)
		return;
	{
		struct group *g = &c->g[c->ng];
		struct span *s = &c->sp[c->nsp];

		memset(g, 0, sizeof(*g));
		g->lo = hp;
		g->hi = hp + hs;
		g->slot = c->ng;
		g->out = true;
		if (!shadow_group(g))
			return;
		memset(s, 0, sizeof(*s));
		s->name = "info.hash";
		s->uptr = hp;
		s->len = hs;
		s->out = s->compare = true;
		s->group = c->ng++;
		s->kptr = g->shadow + (hp - g->plo);
		c->nsp++;
		hp = (uintptr_t)s->kptr;
		memcpy(info->kptr + MI_HASH, &hp, 8);
		/* the kernel copies the info back with our pointer in it */
		info->mask_off = info->mask_off ? info->mask_off : MI_ID;
		info->mask_len = info->mask_len ? info->mask_len : 4;
	}
}

static void hexdump(char *out, size_t len, const unsigned char *p, size_t n)
{
	size_t o = 0;

	out[0] = 0;
	for (size_t i = 0; i < n && o + 4 < len; i++)
		o += (size_t)snprintf(out + o, len - o, i ? " %02x" : "%02x", p[i]);
}

static bool span_masked(const struct span *s, size_t i, bool info_hash_ptr)
{
	if (i >= s->mask_off && i < (size_t)s->mask_off + s->mask_len)
		return true;
	if (i >= s->mask2_off && i < (size_t)s->mask2_off + s->mask2_len)
		return true;
	return info_hash_ptr && i >= MI_HASH && i < MI_HASH + 8;
}

/* Compare what the kernel wrote into a shadow with what the emulator wrote into the user's memory. */
static void compare_span(struct call *c, const struct span *s, bool info_hash_ptr)
{
	const struct group *g;
	size_t first = SIZE_MAX, ndiff = 0;

	if (!s->compare || s->group < 0 || !(g = &c->g[s->group])->shadow)
		return;
	for (size_t off = 0; off < s->len;) {
		uint64_t ua = s->uptr + off;
		size_t page = (size_t)((ua - g->plo) / PAGE);
		size_t chunk = PAGE - (size_t)(ua % PAGE);
		unsigned char ub[PAGE];

		if (chunk > s->len - off)
			chunk = s->len - off;
		/* only pages both sides could write can differ */
		if (g->prot[page] == (PROT_READ | PROT_WRITE) &&
		    !emu_copy_from_user(ub, (const void *)(uintptr_t)ua, chunk)) {
			for (size_t i = 0; i < chunk; i++)
				if (ub[i] != s->kptr[off + i] && !span_masked(s, off + i, info_hash_ptr)) {
					if (first == SIZE_MAX)
						first = off + i;
					ndiff++;
				}
		}
		off += chunk;
	}
	if (first != SIZE_MAX) {
		size_t from = first & ~(size_t)15, n = s->len - from < 32 ? s->len - from : 32;
		unsigned char ub[32];
		struct difference *d;

		d = differ(c, "%s: %zu of %zu bytes differ, the first at byte %zu (bytes shown from %zu)", s->name,
			   ndiff, s->len, first, from);
		if (!d)
			return;
		hexdump(d->kernel, sizeof(d->kernel), s->kptr + from, n);
		if (!emu_copy_from_user(ub, (const void *)(uintptr_t)(s->uptr + from), n))
			hexdump(d->emulator, sizeof(d->emulator), ub, n);
	}
}

static void compare_attr(struct call *c)
{
	const struct group *g;
	unsigned char ub[EMU_ATTR_SIZE];

	if (c->attr_group < 0)
		return;
	g = &c->g[c->attr_group];
	for (unsigned off = 0; off < EMU_ATTR_SIZE;) {
		uint64_t ua = (uintptr_t)c->uattr + off;
		size_t page = (size_t)((ua - g->plo) / PAGE);
		unsigned chunk = PAGE - (unsigned)(ua % PAGE);

		if (chunk > EMU_ATTR_SIZE - off)
			chunk = EMU_ATTR_SIZE - off;
		if (g->prot[page] == (PROT_READ | PROT_WRITE) &&
		    !emu_copy_from_user(ub + off, (const void *)(uintptr_t)ua, chunk)) {
			for (unsigned i = off; i < off + chunk; i++) {
				uint32_t kv, ev;
				unsigned f;
				struct difference *d;

				if (ub[i] == c->kattr[i] || attr_masked(c, i))
					continue;
				/* report the 4-byte field around it: count, info_len, next_id */
				f = i & ~3u;
				memcpy(&kv, c->kattr + f, 4);
				memcpy(&ev, ub + f, 4);
				d = differ(c, "attr bytes %u..%u (%s) differ", f, f + 3,
					   c->cmd >= EMU_BPF_MAP_LOOKUP_BATCH && c->cmd <= EMU_BPF_MAP_DELETE_BATCH && f == BA_COUNT ? "count" :
					   c->cmd == EMU_BPF_OBJ_GET_INFO_BY_FD && f == INFO_LEN ? "info_len" : "written by the call");
				if (d) {
					snprintf(d->kernel, sizeof(d->kernel), "%u", kv);
					snprintf(d->emulator, sizeof(d->emulator), "%u", ev);
				}
				return;
			}
		}
		off += chunk;
	}
}

static bool returns_fd(int cmd)
{
	return cmd == EMU_BPF_MAP_CREATE || cmd == EMU_BPF_MAP_GET_FD_BY_ID || cmd == EMU_BPF_OBJ_GET || cmd == EMU_BPF_PROG_LOAD ||
	       cmd == EMU_BPF_BTF_LOAD || cmd == EMU_BPF_BTF_GET_FD_BY_ID || cmd == EMU_BPF_PROG_GET_FD_BY_ID;
}

static void compare_results(struct call *c)
{
	long k = c->kret, e = c->eret;
	struct difference *d;

	if (returns_fd(c->cmd) && k >= 0 && e >= 0) {
		int kfl = fcntl((int)k, F_GETFL), efl = fcntl((int)e, F_GETFL);
		int kfd = fcntl((int)k, F_GETFD), efd = fcntl((int)e, F_GETFD);

		if ((kfl & O_ACCMODE) != (efl & O_ACCMODE) && (d = differ(c, "the new fds' access modes differ"))) {
			snprintf(d->kernel, sizeof(d->kernel), "%#o", kfl & O_ACCMODE);
			snprintf(d->emulator, sizeof(d->emulator), "%#o", efl & O_ACCMODE);
		}
		if ((kfd & FD_CLOEXEC) != (efd & FD_CLOEXEC) && (d = differ(c, "the new fds' FD_CLOEXEC differ"))) {
			snprintf(d->kernel, sizeof(d->kernel), "%d", kfd & FD_CLOEXEC);
			snprintf(d->emulator, sizeof(d->emulator), "%d", efd & FD_CLOEXEC);
		}
		return;
	}
	if (c->cmd == EMU_BPF_MAP_GET_NEXT_ID && (k == 0 || k == -ENOENT) && (e == 0 || e == -ENOENT))
		return; /* which ids exist differs by design */
	if (k == e)
		return;
	d = differ(c, k < 0 && e < 0 ? "errno differs" : "return value differs");
	if (d) {
		struct sbuf b = { 0 };

		answer_text(&b, k);
		snprintf(d->kernel, sizeof(d->kernel), "%s", b.p ? b.p : "?");
		b.n = 0;
		answer_text(&b, e);
		snprintf(d->emulator, sizeof(d->emulator), "%s", b.p ? b.p : "?");
		free(b.p);
	}
}

/* ---- the report ---- */

static void describe_map(struct sbuf *b, const struct mirror *m, bool json)
{
	const char *tn = emu_map_type_name(m->type);

	if (json)
		sb_printf(b, "{\"type\":\"%s\",\"type_id\":%u,\"key_size\":%u,\"value_size\":%u,\"max_entries\":%u,"
			  "\"map_flags\":%u}", tn ? tn : "?", m->type, m->key_size, m->value_size, m->max_entries,
			  m->map_flags);
	else
		sb_printf(b, "%s (type %u), key_size %u, value_size %u, max_entries %u, map_flags %#x", tn ? tn : "?",
			  m->type, m->key_size, m->value_size, m->max_entries, m->map_flags);
}

static void report(struct call *c, const struct emu_attr *before)
{
	char decoded[2100];
	struct sbuf b = { 0 };

	st.divergences++;
	if (st.divergences > cfg.max_reports) {
		if (st.divergences == cfg.max_reports + 1)
			note("more than %lu divergences: further ones are counted, not reported", cfg.max_reports);
		return;
	}
	shim_trace_format(decoded, sizeof(decoded), c->cmd, c->uattr, c->size, before,
			  c->eret < 0 ? -1 : c->eret, c->eret < 0 ? (int)-c->eret : 0);
	if (cfg.json) {
		sb_printf(&b, "{\"event\":\"divergence\",\"n\":%lu,\"pid\":%d,\"call_no\":%lu,\"command\":", st.divergences,
			  (int)getpid(), st.calls);
		sb_json_str(&b, emu_cmd_name(c->cmd) ? emu_cmd_name(c->cmd) : "unknown");
		sb_printf(&b, ",\"call\":");
		sb_json_str(&b, decoded);
		sb_printf(&b, ",\"map\":");
		if (c->map)
			describe_map(&b, c->map, true);
		else
			sb_printf(&b, "null");
		sb_printf(&b, ",\"kernel\":");
		answer_json(&b, c->kret);
		sb_printf(&b, ",\"emulator\":");
		answer_json(&b, c->eret);
		sb_printf(&b, ",\"differences\":[");
		for (int i = 0; i < c->nd; i++) {
			sb_printf(&b, "%s{\"what\":", i ? "," : "");
			sb_json_str(&b, c->d[i].what);
			if (c->d[i].kernel[0] || c->d[i].emulator[0]) {
				sb_printf(&b, ",\"kernel\":");
				sb_json_str(&b, c->d[i].kernel);
				sb_printf(&b, ",\"emulator\":");
				sb_json_str(&b, c->d[i].emulator);
			}
			sb_printf(&b, "}");
		}
		sb_printf(&b, "]}\n");
	} else {
		sb_printf(&b, "bpfemu diff: DIVERGENCE #%lu (pid %d, bpf() call %lu)\n", st.divergences, (int)getpid(),
			  st.calls);
		sb_printf(&b, "  call:     %s\n", decoded);
		if (c->map) {
			sb_printf(&b, "  map:      ");
			describe_map(&b, c->map, false);
			sb_printf(&b, "\n");
		}
		sb_printf(&b, "  kernel:   ");
		answer_text(&b, c->kret);
		sb_printf(&b, "\n  emulator: ");
		answer_text(&b, c->eret);
		sb_printf(&b, "   (what the program got)\n");
		for (int i = 0; i < c->nd; i++) {
			sb_printf(&b, "  - %s\n", c->d[i].what);
			if (c->d[i].kernel[0] || c->d[i].emulator[0])
				sb_printf(&b, "      kernel:   %s\n      emulator: %s\n", c->d[i].kernel, c->d[i].emulator);
		}
	}
	emit(&b);
}

/* ---- commands ---- */

static void not_compared(enum nc why) { st.not_compared[why]++; }

static long emu_only(struct call *c, enum nc why)
{
	not_compared(why);
	return emu_bpf_dispatch(c->cmd, &c->a, c->uattr);
}

/* A fd field of the kernel's attr. false: an emulated map without a mirror (not comparable). */
static bool fix_fd(struct call *c, unsigned off, bool primary)
{
	int fd = (int)attr_u32(&c->a, off), kbtf;
	struct mirror *m;
	uint32_t kfd;

	if (off + 4 > c->size && !primary)
		return true; /* not passed: zero on both sides */
	switch (classify_btf(fd, &m, &kbtf)) {
	case FD_RAW:
		return true;
	case FD_OURS:
		kfd = (uint32_t)cfg.null_fd; /* not a map, as the emulator sees it */
		break;
	case FD_MIRRORED:
		kfd = (uint32_t)m->kfd;
		if (primary)
			c->map = m;
		break;
	case FD_BTF_MIRRORED:
		kfd = (uint32_t)kbtf;
		if (primary)
			c->btf = true;
		break;
	default:
		return !primary;
	}
	if (c->kattr)
		memcpy(c->kattr + off, &kfd, 4);
	mask_attr(c, off, 4);
	return true;
}

static bool pin_cpu0(cpu_set_t *saved)
{
	cpu_set_t one;

	if (!cfg.cpu0 || sched_getaffinity(0, sizeof(*saved), saved))
		return false;
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	return !sched_setaffinity(0, sizeof(one), &one);
}

static unsigned primary_fd_off(int cmd)
{
	switch (cmd) {
	case EMU_BPF_MAP_LOOKUP_BATCH:
	case EMU_BPF_MAP_LOOKUP_AND_DELETE_BATCH:
	case EMU_BPF_MAP_UPDATE_BATCH:
	case EMU_BPF_MAP_DELETE_BATCH:
		return BA_FD;
	case EMU_BPF_MAP_LOOKUP_ELEM:
	case EMU_BPF_MAP_UPDATE_ELEM:
	case EMU_BPF_MAP_DELETE_ELEM:
	case EMU_BPF_MAP_GET_NEXT_KEY:
	case EMU_BPF_MAP_LOOKUP_AND_DELETE_ELEM:
	case EMU_BPF_MAP_FREEZE:
	case EMU_BPF_OBJ_GET_INFO_BY_FD:
		return 0;
	default:
		return UINT_MAX;
	}
}

/* A call whose map the kernel does not know fails at the fd on both sides, before any buffer is
 * touched. Should the fd be a kernel object the program got past us, its outputs still must not
 * land in the program's memory: they point at a page that faults. */
static void guard_outputs(struct call *c)
{
	static const unsigned el[] = { EL_VALUE }, ba[] = { BA_OUT, BA_KEYS, BA_VALUES };
	const unsigned *offs = NULL;
	size_t n = 0;
	uint64_t bad = (uintptr_t)guard_page;

	if (c->cmd == EMU_BPF_MAP_LOOKUP_ELEM || c->cmd == EMU_BPF_MAP_LOOKUP_AND_DELETE_ELEM || c->cmd == EMU_BPF_MAP_GET_NEXT_KEY) {
		offs = el;
		n = 1;
	} else if (c->cmd == EMU_BPF_MAP_LOOKUP_BATCH || c->cmd == EMU_BPF_MAP_LOOKUP_AND_DELETE_BATCH) {
		offs = ba;
		n = 3;
	}
	for (size_t i = 0; i < n && guard_page; i++)
		if (offs[i] + 8 <= c->size && attr_u64(&c->a, offs[i])) {
			memcpy(c->kattr + offs[i], &bad, 8);
			mask_attr(c, offs[i], 8);
		}
}

static void finish_shadows(struct call *c)
{
	unprotect_all();
	for (int k = 0; k < c->ng; k++) {
		/* a big batch's shadow need not stay resident until the next one */
		if (c->g[k].shadow && c->g[k].npages > 256)
			madvise(c->g[k].shadow, c->g[k].npages * PAGE, MADV_DONTNEED);
		free(c->g[k].prot);
		c->g[k].prot = NULL;
	}
}

/* The general case: kernel first on shadows, then the emulator, then compare. */
static long run_both(struct call *c, const struct emu_attr *before)
{
	unsigned poff = primary_fd_off(c->cmd);
	bool pinned = false, zero_seed_added = false;
	cpu_set_t saved;
	unsigned ksize = c->size < EMU_ATTR_SIZE ? c->size : EMU_ATTR_SIZE;

	/* The primary map first: spans need its sizes. */
	if (poff != UINT_MAX) {
		struct mirror *m;
		enum fdclass fc = classify_btf((int)attr_u32(&c->a, poff), &m, NULL);

		if (fc == FD_UNMIRRORED)
			return emu_only(c, NC_NO_MIRROR);
		if (fc == FD_MIRRORED)
			c->map = m;
		c->btf = fc == FD_BTF_MIRRORED;
		if (m && !m->order &&
		    (c->cmd == EMU_BPF_MAP_GET_NEXT_KEY || c->cmd == EMU_BPF_MAP_LOOKUP_BATCH || c->cmd == EMU_BPF_MAP_LOOKUP_AND_DELETE_BATCH))
			return emu_only(c, NC_ORDER);
	}
	spans_for(c);
	if (!build_shadows(c)) {
		finish_shadows(c);
		return emu_only(c, NC_TOO_BIG);
	}
	if (c->cmd == EMU_BPF_OBJ_GET_INFO_BY_FD)
		shadow_info_hash(c);
	if (poff != UINT_MAX)
		fix_fd(c, poff, true);
	if (poff != UINT_MAX && !c->map && c->kattr)
		guard_outputs(c);

	if (c->cmd == EMU_BPF_MAP_CREATE) {
		static const unsigned fds[] = { MC_INNER_FD, MC_BTF_FD, MC_VTYPE_BTF_OBJ_FD, MC_TOKEN_FD };
		struct mirror *m;

		/* a BTF object with no kernel counterpart: the two sides would create different maps */
		if (attr_u32(&c->a, MC_BTF_FD) && c->size >= MC_BTF_FD + 4 &&
		    classify((int)attr_u32(&c->a, MC_BTF_FD), &m) == FD_UNMIRRORED) {
			finish_shadows(c);
			return emu_only(c, NC_NO_MIRROR);
		}
		for (unsigned i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
			if (attr_u32(&c->a, fds[i]))
				fix_fd(c, fds[i], false);
		/* Same seed on both sides: walks and batches compare. Only where the kernel reads the
		 * flags, or the two would create different maps. */
		if (cfg.zero_seed && is_hash(attr_u32(&c->a, MC_TYPE)) && c->size >= MC_FLAGS + 4 && c->kattr &&
		    !(attr_u32(&c->a, MC_FLAGS) & EMU_F_ZERO_SEED)) {
			uint32_t f = attr_u32(&c->a, MC_FLAGS) | EMU_F_ZERO_SEED;

			attr_set_u32(&c->a, MC_FLAGS, f);
			memcpy(c->kattr + MC_FLAGS, &f, 4);
			mask_attr(c, MC_FLAGS, 4);
			zero_seed_added = true;
		}
	}
	if (c->cmd == EMU_BPF_PROG_LOAD) {
		static const unsigned fds[] = { PL_BTF_FD, PL_ATTACH_PROG_FD, PL_TOKEN_FD };

		for (unsigned i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
			if (attr_u32(&c->a, fds[i]))
				fix_fd(c, fds[i], false);
	}
	if (c->cmd == EMU_BPF_MAP_GET_NEXT_ID)
		mask_attr(c, ID_NEXT, 4);
	for (int k = 0; k < c->ng; k++)
		if (c->g[k].shadow)
			protect_group(&c->g[k]);

	if (c->map && is_lru(c->map->type)) {
		pinned = pin_cpu0(&saved);
		if (!pinned && !st.said_cpu0) {
			st.said_cpu0 = true;
			note("cannot run kernel calls on CPU 0: LRU maps may diverge in which elements they evict");
		}
	}
	c->kret = kbpf(c->cmd, c->kattr ? (void *)c->kattr : (void *)c->uattr, c->kattr ? ksize : c->size);
	if (pinned)
		sched_setaffinity(0, sizeof(saved), &saved);
	c->eret = emu_bpf_dispatch(c->cmd, &c->a, c->uattr);

	st.compared++;
	compare_results(c);
	if (c->cmd != EMU_BPF_MAP_CREATE && c->cmd != EMU_BPF_PROG_LOAD) {
		for (int i = 0; i < c->nsp; i++)
			compare_span(c, &c->sp[i], c->cmd == EMU_BPF_OBJ_GET_INFO_BY_FD && !strcmp(c->sp[i].name, "info"));
		compare_attr(c);
	}
	finish_shadows(c);

	if (c->cmd == EMU_BPF_MAP_CREATE) {
		uint32_t type = attr_u32(&c->a, MC_TYPE);

		if (c->eret == -EOPNOTSUPP && type && type < EMU_NR_MAP_TYPES && !emu_map_type_emulated(type)) {
			/* a map type the emulator leaves out: documented, not a divergence */
			st.compared--;
			not_compared(NC_NOT_EMULATED);
			c->nd = 0;
		}
		if (c->kret >= 0 && c->eret >= 0) {
			struct mirror *m = adopt((int)c->eret, (int)c->kret);

			if (m && zero_seed_added)
				m->order = true;
		} else if (c->kret >= 0) {
			close((int)c->kret);
		}
	} else if (c->cmd == EMU_BPF_BTF_LOAD) {
		if (c->kret >= 0 && c->eret >= 0)
			btf_adopt((int)c->eret, (int)c->kret);
		else if (c->kret >= 0)
			close((int)c->kret);
	} else if (c->cmd == EMU_BPF_PROG_LOAD) {
		if (c->eret == -EOPNOTSUPP) {
			/* only libbpf's probe programs are emulated: anything else needs a verifier */
			st.compared--;
			not_compared(NC_NOT_EMULATED);
			c->nd = 0;
		}
		if (c->kret >= 0)
			close((int)c->kret); /* program objects are not mirrored */
	}
	if (c->nd)
		report(c, before);
	return c->eret;
}

/* MAP_GET_FD_BY_ID: the kernel is asked for the mirror of the map the emulator found. */
static long get_fd_by_id(struct call *c, const struct emu_attr *before)
{
	struct emu_attr ka = c->a;
	struct mirror *m = NULL;
	unsigned ksize = c->size < EMU_ATTR_SIZE ? c->size : EMU_ATTR_SIZE;

	c->eret = emu_bpf_dispatch(c->cmd, &c->a, c->uattr);
	if (c->eret >= 0) {
		dev_t dev;
		ino_t ino;
		int mode;
		uint32_t kid = 0;

		if (identity((int)c->eret, &dev, &ino, &mode)) {
			/* the kernel id of this map's mirror, opening one through a pin if need be */
			for (size_t i = 0; i < mirrors_cap && !kid; i++)
				if (mirrors[i] && mirrors[i]->dev == dev && mirrors[i]->ino == ino && (int)i != (int)c->eret)
					kid = mirrors[i]->kid;
			if (!kid && (m = attach((int)c->eret)))
				kid = m->kid;
		}
		if (!kid) {
			not_compared(NC_NO_MIRROR);
			return c->eret;
		}
		attr_set_u32(&ka, ID_START, kid);
	} else {
		attr_set_u32(&ka, ID_START, 0); /* no such map: the kernel's answer for an unknown id */
	}
	c->kret = kbpf(c->cmd, ka.b, ksize);
	st.compared++;
	compare_results(c);
	if (c->kret >= 0 && c->eret >= 0)
		adopt((int)c->eret, (int)c->kret); /* replaces what attach made */
	else if (c->kret >= 0)
		close((int)c->kret);
	if (c->nd)
		report(c, before);
	return c->eret;
}

static long obj_pin_get(struct call *c)
{
	int efd = (int)attr_u32(&c->a, PIN_FD);

	c->eret = emu_bpf_dispatch(c->cmd, &c->a, c->uattr);
	not_compared(NC_PATH);
	st.touched_pins = true;
	if (c->eret < 0)
		return c->eret;
	if (c->cmd == EMU_BPF_OBJ_PIN) {
		struct mirror *m;

		if (classify(efd, &m) == FD_MIRRORED) {
			sweep_pins();
			mirror_pin(efd);
		}
	} else {
		struct mirror *m;

		classify((int)c->eret, &m); /* finds the mirror by pin or by id */
	}
	return c->eret;
}

static bool emulated_cmd(int cmd)
{
	switch (cmd) {
	case EMU_BPF_MAP_CREATE:
	case EMU_BPF_MAP_LOOKUP_ELEM:
	case EMU_BPF_MAP_UPDATE_ELEM:
	case EMU_BPF_MAP_DELETE_ELEM:
	case EMU_BPF_MAP_GET_NEXT_KEY:
	case EMU_BPF_PROG_LOAD:
	case EMU_BPF_OBJ_PIN:
	case EMU_BPF_OBJ_GET:
	case EMU_BPF_MAP_GET_NEXT_ID:
	case EMU_BPF_MAP_GET_FD_BY_ID:
	case EMU_BPF_OBJ_GET_INFO_BY_FD:
	case EMU_BPF_MAP_LOOKUP_AND_DELETE_ELEM:
	case EMU_BPF_MAP_FREEZE:
	case EMU_BPF_MAP_LOOKUP_BATCH:
	case EMU_BPF_MAP_LOOKUP_AND_DELETE_BATCH:
	case EMU_BPF_MAP_UPDATE_BATCH:
	case EMU_BPF_MAP_DELETE_BATCH:
	case EMU_BPF_BTF_LOAD:
		return true;
	default:
		return false;
	}
}

static long diff_call(int cmd, union bpf_attr *uattr, unsigned size, struct emu_attr *before)
{
	struct call *c = calloc(1, sizeof(*c));
	long r;

	st.calls++;
	if (!c) {
		r = emu_bpf_copy_attr(before, uattr, size);
		return r ? r : emu_bpf_dispatch(cmd, before, uattr);
	}
	c->cmd = cmd;
	c->uattr = uattr;
	c->size = size;
	r = emu_bpf_copy_attr(&c->a, uattr, size);
	*before = c->a;
	if (r) {
		/* The syscall's own attr checks failed: the kernel fails them the same way, before
		 * reading any field or writing anything. */
		c->kret = kbpf(cmd, uattr, size);
		c->eret = r;
		st.compared++;
		compare_results(c);
		if (c->kret >= 0 && returns_fd(cmd))
			close((int)c->kret);
		if (c->nd)
			report(c, before);
	} else if (cmd == EMU_BPF_BTF_GET_NEXT_ID || cmd == EMU_BPF_BTF_GET_FD_BY_ID) {
		r = emu_only(c, NC_BTF_IDS);
	} else if (cmd >= 0 && cmd < NR_KERNEL_CMDS && !emulated_cmd(cmd)) {
		r = emu_only(c, NC_NOT_EMULATED);
	} else if (cmd == EMU_BPF_MAP_GET_FD_BY_ID) {
		r = get_fd_by_id(c, before);
	} else if (cmd == EMU_BPF_OBJ_PIN || cmd == EMU_BPF_OBJ_GET) {
		r = obj_pin_get(c);
	} else {
		r = run_both(c, before);
	}
	free(c);
	return r;
}

/* ---- setup, exit ---- */

static void summary(void)
{
	struct sbuf b = { 0 };
	unsigned long nc = 0;
	char comm[64] = "?";
	FILE *f = fopen("/proc/self/comm", "re");

	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = 0;
		fclose(f);
	}
	for (int i = 0; i < NC_MAX; i++)
		nc += st.not_compared[i];
	if (cfg.json) {
		sb_printf(&b, "{\"event\":\"summary\",\"pid\":%d,\"program\":", (int)getpid());
		sb_json_str(&b, comm);
		sb_printf(&b, ",\"calls\":%lu,\"compared\":%lu,\"divergences\":%lu,\"not_compared\":{", st.calls,
			  st.compared, st.divergences);
		for (int i = 0, first = 1; i < NC_MAX; i++)
			if (st.not_compared[i]) {
				sb_printf(&b, "%s\"%s\":%lu", first ? "" : ",", nc_keys[i], st.not_compared[i]);
				first = 0;
			}
		sb_printf(&b, "}}\n");
	} else {
		sb_printf(&b, "bpfemu diff: %lu calls compared, %lu divergence%s", st.compared, st.divergences,
			  st.divergences == 1 ? "" : "s");
		if (nc) {
			sb_printf(&b, "; %lu not compared (", nc);
			for (int i = 0, first = 1; i < NC_MAX; i++)
				if (st.not_compared[i]) {
					sb_printf(&b, "%s%s: %lu", first ? "" : ", ", nc_names[i], st.not_compared[i]);
					first = 0;
				}
			sb_printf(&b, ")");
		}
		sb_printf(&b, " [pid %d %s]\n", (int)getpid(), comm);
	}
	emit(&b);
}

static void on_exit_status(int status, void *arg)
{
	(void)arg;
	st.exit_status = status;
	st.exit_known = true;
}

/* After the program's atexit handlers and the other libraries' destructors, so their bpf()
 * calls are counted too. */
__attribute__((destructor)) static void diff_fini(void)
{
	if (!cfg.on || !st.calls)
		return;
	pthread_mutex_lock(&mu);
	sweep_pins(); /* a pin removed since (rm needs no bpf()) leaves its mirror behind otherwise */
	summary();
	if (cfg.strict && st.divergences && (!st.exit_known || st.exit_status == 0)) {
		fflush(NULL);
		_exit(EXIT_DIFF_STRICT);
	}
	pthread_mutex_unlock(&mu);
}

static void atfork_prepare(void) { pthread_mutex_lock(&mu); }
static void atfork_parent(void) { pthread_mutex_unlock(&mu); }
static void atfork_child(void)
{
	/* the child reports on its own calls only */
	memset(&st, 0, sizeof(st));
	pthread_mutex_init(&mu, NULL);
}

static bool env_flag(const char *name)
{
	const char *v = secure_getenv(name);

	return v && *v && strcmp(v, "0");
}

static void fail_setup(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail_setup(const char *fmt, ...)
{
	char line[600];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, "bpfemu diff: ", 13);
	(void)!write(STDERR_FILENO, line, (size_t)n);
	_exit(125);
}

/* What BPFEMU_DIFF needs from the kernel, checked once, at the first bpf() call. */
static void diff_init(void)
{
	const char *rep = secure_getenv("BPFEMU_DIFF_REPORT"), *max = secure_getenv("BPFEMU_DIFF_MAX_REPORTS");
	struct rlimit rl;
	long r;
	int kc;

	real_syscall = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	if (!real_syscall)
		fail_setup("cannot find the C library's syscall(): %s", dlerror());
	cfg.json = env_flag("BPFEMU_DIFF_JSON");
	cfg.strict = env_flag("BPFEMU_DIFF_STRICT");
	if (max && *max)
		cfg.max_reports = strtoul(max, NULL, 10);
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur >= 256)
		cfg.fd_base = rl.rlim_cur > 2048 ? 1024 : (int)(rl.rlim_cur / 2);
	if (rep && *rep && strcmp(rep, "-")) {
		int fd = open(rep, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		if (fd < 0)
			fail_setup("cannot open the report file %s: %s", rep, strerror(errno));
		cfg.report_fd = move_high(fd);
	}

	r = kcreate_probe(EMU_MAP_ARRAY, 0);
	if (r < 0)
		fail_setup("bpf() is not permitted here (%s: %s): differential mode runs every call on the "
			   "kernel too, so it needs root (CAP_BPF and CAP_SYS_ADMIN)", errname((int)-r), strerror((int)-r));
	close((int)r);
	kc = emu_sysfs_possible_cpus();
	if (kc != (int)emu_nr_cpus())
		fail_setup("the emulator lays per-CPU values out for %u CPUs, the kernel for %d: unset "
			   "BPFEMU_NR_CPUS (or --nr-cpus) for differential mode", emu_nr_cpus(), kc);
	r = kcreate_probe(EMU_MAP_HASH, EMU_F_ZERO_SEED);
	cfg.zero_seed = r >= 0;
	if (r >= 0)
		close((int)r);
	else
		note("BPF_F_ZERO_SEED refused by the kernel (%s, needs CAP_SYS_ADMIN): walks of hash maps are not "
		     "compared", errname((int)-r));
	{
		cpu_set_t set;

		cfg.cpu0 = !sched_getaffinity(0, sizeof(set), &set) && CPU_ISSET(0, &set);
	}
	guard_page = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guard_page == MAP_FAILED)
		guard_page = NULL;
	cfg.null_fd = move_high(open("/dev/null", O_RDONLY | O_CLOEXEC));
	set_ours(cfg.null_fd, true);
	find_pin_dir();
	on_exit(on_exit_status, NULL);
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

bool shim_diff_enabled(void)
{
	static int on = -1;

	if (__atomic_load_n(&on, __ATOMIC_RELAXED) < 0) {
		cfg.on = env_flag("BPFEMU_DIFF");
		__atomic_store_n(&on, cfg.on, __ATOMIC_RELAXED);
	}
	return on > 0;
}

long shim_diff_bpf(int cmd, union bpf_attr *uattr, unsigned size, struct emu_attr *before)
{
	long r;

	pthread_once(&init_once, diff_init);
	pthread_mutex_lock(&mu);
	if (!st.said_pins && !cfg.pin_dir[0] && (cmd == EMU_BPF_OBJ_PIN || cmd == EMU_BPF_OBJ_GET)) {
		st.said_pins = true;
		note("no bpffs is mounted for mirror pins (mount one and set BPFEMU_DIFF_BPFFS=DIR): maps pinned by "
		     "one process and opened by another are not compared there");
	}
	r = diff_call(cmd, uattr, size, before);
	pthread_mutex_unlock(&mu);
	return r;
}
