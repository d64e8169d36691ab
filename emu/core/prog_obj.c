/* SPDX-License-Identifier: MIT */
/*
 * Program files (see prog_obj.h): laying a new program out and writing it, the used map list
 * (BPF_PROG_BIND_MAP), the stats switch of BPF_ENABLE_STATS, and the id of a program fd. The
 * per-process views are prog_view.c's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../util/compiler.h"
#include "../util/diag.h"
#include "../util/fileio.h"
#include "map.h"
#include "object.h"
#include "objstore.h"
#include "prog_obj.h"
#include "prog_view.h"
#include "state.h"

/* max_ctx_offset went into the padding before the stats (aligned to 64): no field of layout 1
 * moved as long as it ends in the same 64-byte line as subprog_off did */
#define HDR_LINE_END(field, size) ((offsetof(struct emu_prog_hdr, field) + (size) + 63) / 64)
_Static_assert(HDR_LINE_END(max_ctx_offset, 4) == HDR_LINE_END(subprog_off, 8),
	       "the program file's header layout changed: bump EMU_PROG_LAYOUT_VERSION");

/* offsetof(struct bpf_prog, insns) on 6.18 x86-64: the kernel charges a program's struct and its
 * instructions, rounded up to pages (measured: 500 instructions fit one page, 501 do not) */
#define KERNEL_PROG_HEAD 96u

static uint64_t sect(uint64_t *at, uint64_t bytes)
{
	uint64_t off = *at;

	*at = emu_round_up64(off + bytes, 64);
	return off;
}

static uint64_t boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The program's file: one in the bpffs root (pinnable, findable by id), else a memfd. */
static int open_prog_file(void)
{
	int fd = emu_open_object_file("bpf-prog");

	if (fd < 0 && fd != -EMFILE && fd != -ENFILE && fd != -EACCES)
		fd = -ENOMEM;
	return fd;
}

static void fill_hdr(struct emu_prog_hdr *h, const struct emu_prog_new *n)
{
	uint64_t at = emu_round_up64(sizeof(*h), 64);
	uint32_t biggest = n->insn_cnt > n->xlated_cnt ? n->insn_cnt : n->xlated_cnt;

	memset(h, 0, sizeof(*h));
	h->magic = EMU_PROG_MAGIC;
	h->layout_version = EMU_PROG_LAYOUT_VERSION;
	h->hdr_size = sizeof(*h);
	h->prog_type = n->prog_type;
	h->expected_attach_type = n->expected_attach_type;
	h->prog_flags = n->prog_flags;
	memcpy(h->name, n->name, sizeof(h->name));
	memcpy(h->tag, n->tag, sizeof(h->tag));
	h->gpl_compatible = n->gpl_compatible;
	h->created_by_uid = (uint32_t)getuid();
	h->load_time = boottime_ns();
	h->memlock = emu_round_up64(KERNEL_PROG_HEAD + 8ull * biggest, EMU_PAGE_SIZE);
	h->verified_insns = n->verified_insns;
	h->btf_id = n->btf_id;
	h->nr_subprogs = n->nr_subprogs;
	h->flags = n->flags;
	h->max_ctx_offset = n->max_ctx_offset;
	h->insn_cnt = n->insn_cnt;
	h->xlated_cnt = n->xlated_cnt;
	h->nr_ld = n->nr_ld;
	h->nr_func_info = n->nr_func_info;
	h->nr_line_info = n->nr_line_info;
	h->nr_insn_maps = n->nr_maps;
	h->insns_off = sect(&at, 8ull * n->insn_cnt);
	h->xlated_off = sect(&at, 8ull * n->xlated_cnt);
	h->ld_off = sect(&at, sizeof(struct emu_prog_ld) * (uint64_t)n->nr_ld);
	h->func_info_off = sect(&at, (uint64_t)EMU_FUNC_INFO_SIZE * n->nr_func_info);
	h->line_info_off = sect(&at, (uint64_t)EMU_LINE_INFO_SIZE * n->nr_line_info);
	h->subprog_off = sect(&at, 4ull * n->nr_subprogs);
	h->file_size = at;
	h->nr_map_ids = n->nr_maps;
	for (uint32_t i = 0; i < n->nr_maps; i++)
		h->map_ids[i] = n->maps[i]->id;
}

static int write_sections(int fd, const struct emu_prog_hdr *h, const struct emu_prog_new *n)
{
	int err = emu_pwrite_all(fd, n->insns, 8ull * n->insn_cnt, (off_t)h->insns_off);

	if (!err)
		err = emu_pwrite_all(fd, n->xlated, 8ull * n->xlated_cnt, (off_t)h->xlated_off);
	if (!err && n->nr_ld)
		err = emu_pwrite_all(fd, n->ld, sizeof(*n->ld) * n->nr_ld, (off_t)h->ld_off);
	if (!err && n->nr_func_info)
		err = emu_pwrite_all(fd, n->func_info, (size_t)EMU_FUNC_INFO_SIZE * n->nr_func_info, (off_t)h->func_info_off);
	if (!err && n->nr_line_info)
		err = emu_pwrite_all(fd, n->line_info, (size_t)EMU_LINE_INFO_SIZE * n->nr_line_info, (off_t)h->line_info_off);
	if (!err && n->nr_subprogs)
		err = emu_pwrite_all(fd, n->subprog_start, 4ull * n->nr_subprogs, (off_t)h->subprog_off);
	if (!err && emu_ftruncate_quiet(fd, (off_t)h->file_size))
		err = -errno;
	/* the header last: a file with the magic is whole */
	if (!err)
		err = emu_pwrite_all(fd, h, sizeof(*h), 0);
	return err;
}

/* The holds a live program keeps: its maps, and its BTF (which it names by id in info). */
static void hold_objects(const struct emu_prog_hdr *h)
{
	for (uint32_t i = 0; i < h->nr_map_ids; i++)
		emu_objstore_hold(EMU_ID_PROG, h->id, EMU_ID_MAP, h->map_ids[i], 0);
	if (h->btf_id)
		emu_objstore_hold(EMU_ID_PROG, h->id, EMU_ID_BTF, h->btf_id, 0);
}

int emu_prog_create(const struct emu_prog_new *n, struct emu_prog **out)
{
	struct emu_prog_hdr *h;
	struct emu_prog *p;
	int fd, err;

	if (n->nr_maps > EMU_PROG_MAX_MAPS)
		return -E2BIG;
	h = EMU_ZALLOC(struct emu_prog_hdr);
	if (!h)
		return -ENOMEM;
	fill_hdr(h, n);
	fd = emu_ids_init(); /* its fd is taken now, not while ours are open */
	if (!fd)
		fd = open_prog_file();
	if (fd < 0) {
		free(h);
		return fd;
	}
	h->id = emu_alloc_id(EMU_ID_PROG);
	err = write_sections(fd, h, n);
	if (!err)
		err = emu_prog_view_new(fd, n->maps, n->nr_maps, n->ld, n->nr_ld, n->image, &p);
	if (err) {
		free(h);
		close(fd);
		return err == -EMFILE || err == -ENFILE ? err : -ENOMEM;
	}
	/* registered before its holds, so a collection never sees holds of an unknown holder */
	emu_objstore_register(fd, EMU_ID_PROG, h->id);
	hold_objects(h);
	free(h);
	if (out)
		*out = p;
	else
		emu_prog_put(p);
	return fd;
}

/* ---- what a program is ---- */

/* Everything but the stats and the used map list from the header as it was checked when this
 * process met the file (struct emu_prog.hc); the sections at the checked offsets, inside the
 * mapping (core/prog_file.c). */
const struct emu_prog_hdr *emu_prog_hdr(const struct emu_prog *p) { return &p->hc; }
uint32_t emu_prog_type(const struct emu_prog *p) { return p->hc.prog_type; }
uint32_t emu_prog_expected_attach_type(const struct emu_prog *p) { return p->hc.expected_attach_type; }
uint32_t emu_prog_id(const struct emu_prog *p) { return p->hc.id; }
const char *emu_prog_name(const struct emu_prog *p) { return p->hc.name; }
uint32_t emu_prog_max_ctx_offset(const struct emu_prog *p) { return p->hc.max_ctx_offset; }

const struct emu_insn *emu_prog_insns(const struct emu_prog *p, uint32_t *cnt)
{
	*cnt = p->hc.insn_cnt;
	return (const struct emu_insn *)((const char *)p->hdr + p->hc.insns_off);
}

const struct emu_insn *emu_prog_xlated(const struct emu_prog *p, uint32_t *cnt)
{
	*cnt = p->hc.xlated_cnt;
	return (const struct emu_insn *)((const char *)p->hdr + p->hc.xlated_off);
}

const void *emu_prog_func_info(const struct emu_prog *p, uint32_t *cnt)
{
	*cnt = p->hc.nr_func_info;
	return (const char *)p->hdr + p->hc.func_info_off;
}

const void *emu_prog_line_info(const struct emu_prog *p, uint32_t *cnt)
{
	*cnt = p->hc.nr_line_info;
	return (const char *)p->hdr + p->hc.line_info_off;
}

uint32_t emu_prog_map_ids(const struct emu_prog *p, uint32_t *ids, uint32_t cap)
{
	uint32_t n = emu_prog_nr_map_ids(p);

	for (uint32_t i = 0; i < n && i < cap; i++)
		ids[i] = __atomic_load_n(&p->hdr->map_ids[i], __ATOMIC_RELAXED);
	return n;
}

void emu_prog_stats(const struct emu_prog *p, uint64_t *run_time_ns, uint64_t *run_cnt, uint64_t *recursion_misses)
{
	*run_time_ns = __atomic_load_n(&p->hdr->run_time_ns, __ATOMIC_RELAXED);
	*run_cnt = __atomic_load_n(&p->hdr->run_cnt, __ATOMIC_RELAXED);
	*recursion_misses = __atomic_load_n(&p->hdr->recursion_misses, __ATOMIC_RELAXED);
}

/* ---- BPF_PROG_BIND_MAP ---- */

/* The bind lock: a spin word, held for a few stores. A holder killed inside leaves it taken; the
 * next binder takes it over after a second (bind is rare, and never on a run path). */
static void bind_lock(struct emu_prog_hdr *h)
{
	struct timespec t0, now;
	uint32_t free_word = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!__atomic_compare_exchange_n(&h->bind_lock, &free_word, 1, false, __ATOMIC_ACQUIRE,
					    __ATOMIC_RELAXED)) {
		free_word = 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec > 1)
			return; /* its holder died: ours now */
		sched_yield();
	}
}

static void bind_unlock(struct emu_prog_hdr *h)
{
	__atomic_store_n(&h->bind_lock, 0, __ATOMIC_RELEASE);
}

int emu_prog_bind_map(struct emu_prog *p, struct emu_map *m)
{
	struct emu_prog_hdr *h = p->hdr;
	uint32_t id = m->id, n;
	int err = 0;

	bind_lock(h);
	n = emu_prog_nr_map_ids(p);
	for (uint32_t i = 0; i < n; i++)
		if (h->map_ids[i] == id)
			goto out;
	if (n >= EMU_PROG_MAX_MAPS) {
		err = -ENOMEM;
		goto out;
	}
	/* held before the program names it (objstore.h) */
	emu_objstore_hold(EMU_ID_PROG, p->hc.id, EMU_ID_MAP, id, 0);
	h->map_ids[n] = id;
	__atomic_store_n(&h->nr_map_ids, n + 1, __ATOMIC_RELEASE);
	emu_prog_view_bound(p, m);
out:
	bind_unlock(h);
	return err;
}

/* ---- the id of an fd ---- */

int emu_prog_fd_id(int fd, uint32_t *id)
{
	struct emu_prog_hdr h;
	char path[64];
	int rfd;
	ssize_t n;

	if (!emu_is_prog_fd(fd))
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	rfd = open(path, O_RDONLY | O_CLOEXEC);
	if (rfd < 0)
		return -EINVAL;
	n = pread(rfd, &h, offsetof(struct emu_prog_hdr, run_time_ns), 0);
	close(rfd);
	if (n != (ssize_t)offsetof(struct emu_prog_hdr, run_time_ns) || h.magic != EMU_PROG_MAGIC ||
	    h.layout_version != EMU_PROG_LAYOUT_VERSION)
		return -EINVAL;
	*id = h.id;
	return 0;
}

/* ---- BPF_ENABLE_STATS ---- */

/*
 * The kernel counts run time while any fd BPF_ENABLE_STATS returned is open, in any process. Here
 * each such fd is an open file description of the state directory's "stats" file holding a shared
 * flock: a description inherited or passed on keeps it, the last close drops it, as the kernel's
 * file reference does. Whether any is held is asked with an exclusive non-blocking try; a word in
 * the file's first page, set by every enabler, lets runs skip that question while stats were never
 * on for this user; the first run that finds no fd held clears it again.
 */
struct stats_page {
	uint64_t magic;     /* EMU_STATS_MAGIC: what the shim's readlink and fdinfo go by */
	uint32_t seen;      /* set by every enabler, never cleared */
};
static int stats_probe_fd = -1;
static struct stats_page *stats_page;
static pthread_once_t stats_once = PTHREAD_ONCE_INIT;

static int stats_open(int flags)
{
	char path[4096];
	int fd = emu_state_ready(EMU_STATE_DIR);

	if (fd)
		return fd;
	if (snprintf(path, sizeof(path), "%s/stats", emu_state_dir()) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, flags | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	return fd;
}

static void stats_init(void)
{
	void *p;
	int fd = stats_open(O_RDWR);

	if (fd < 0)
		return;
	if (emu_ftruncate_quiet(fd, EMU_PAGE_SIZE) == 0 &&
	    (p = mmap(NULL, EMU_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) != MAP_FAILED) {
		stats_page = p;
		__atomic_store_n(&stats_page->magic, EMU_STATS_MAGIC, __ATOMIC_RELAXED);
	}
	stats_probe_fd = fd;
}

bool emu_prog_stats_enabled(void)
{
	bool held;

	pthread_once(&stats_once, stats_init);
	if (!stats_page || !__atomic_load_n(&stats_page->seen, __ATOMIC_RELAXED))
		return false;
	if (flock(stats_probe_fd, LOCK_EX | LOCK_NB) == 0) {
		/* nobody holds a stats fd: runs skip the question again until an enabler sets the
		 * word (after its shared lock, so never before this exclusive one is let go) */
		__atomic_store_n(&stats_page->seen, 0, __ATOMIC_RELAXED);
		flock(stats_probe_fd, LOCK_UN);
		held = false;
	} else {
		held = errno == EWOULDBLOCK;
	}
	return held;
}

void emu_prog_stats_add(struct emu_prog *p, uint64_t cnt, uint64_t ns)
{
	__atomic_add_fetch(&p->hdr->run_cnt, cnt, __ATOMIC_RELAXED);
	__atomic_add_fetch(&p->hdr->run_time_ns, ns, __ATOMIC_RELAXED);
}

int emu_prog_stats_fd(void)
{
	int fd;

	pthread_once(&stats_once, stats_init);
	if (!stats_page)
		return -ENOMEM;
	fd = stats_open(O_RDONLY);
	if (fd < 0)
		return fd == -EMFILE || fd == -ENFILE ? fd : -ENOMEM;
	if (flock(fd, LOCK_SH)) {
		close(fd);
		return -ENOMEM;
	}
	__atomic_store_n(&stats_page->seen, 1, __ATOMIC_RELAXED);
	return fd;
}
