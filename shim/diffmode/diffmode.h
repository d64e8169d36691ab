/* SPDX-License-Identifier: MIT */
/*
 * Differential mode's rooms share this header (shim/diffmode/): diffmode.c (configuration,
 * setup, the exit summary, the supervised caller), mirror.c (the kernel side: mirror maps and
 * twins, found by fd or by what an fd names), ids.c (pairs of ids), pins.c (the mirror pins'
 * directory), mapping.c (writes through an mmapable array's mapping, carried to its mirror),
 * shadow.c (shadow buffers and the comparison of one call), commands.c (how each command is run
 * on both sides), progs.c (programs: their twins, loads, runs, info, attaching), mapcmp.c (a
 * program's maps compared after a run), maptypes.c (map types whose values are objects, rings,
 * bloom filters), report.c (divergence reports, text and JSON). The design is written at the top
 * of diffmode.c.
 */
#ifndef BPFEMU_SHIM_DIFFMODE_H
#define BPFEMU_SHIM_DIFFMODE_H

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

#include "../shim.h"

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
	NC_KERNEL_ONLY,  /* the kernel run needs what the emulated one does not (a hook, a device) */
	NC_IDS,          /* PROG/LINK_GET_NEXT_ID: which ids exist differs by design */
	NC_MAX
};
extern const char *const dm_nc_names[NC_MAX], *const dm_nc_keys[NC_MAX];

struct dm_config {
	bool on, json, strict;
	int report_fd;
	unsigned long max_reports;
	bool zero_seed;       /* the kernel lets us set BPF_F_ZERO_SEED */
	char pin_dir[PATH_MAX]; /* kernel bpffs directory for mirror pins, "" if none */
	int null_fd;          /* stands in for our own kernel fds if the program names one */
	int fd_base;          /* where our kernel fds go, out of the program's way */
	/* Under the seccomp supervisor (shim_diff_supervised): the caller is another process, whose
	 * memory the emulator reaches through the uaccess layer's remote backend and whose fds come
	 * to us one call at a time (mirror.c keeps its tables by what an fd names, not its number) */
	bool remote;
	int summary_pid;      /* the summary names this process (the supervised program), 0: ours */
	char summary_comm[32];
};

struct dm_stats {
	unsigned long calls, compared, divergences, not_compared[NC_MAX];
	unsigned long mapping_writes; /* array values written through a mapping, copied to the kernel */
	unsigned long ring_writes;    /* ring positions moved through a mapping, carried to the kernel (maptypes.c) */
	bool touched_pins;
	int exit_status;
	bool exit_known;
	bool said_cpu0, said_pins; /* said_cpu0: that LRU calls could not be kept on one CPU */
};

extern struct dm_config dm_cfg;
extern struct dm_stats dm_st;
extern pthread_mutex_t dm_mu;  /* calls are serialized */
extern void *dm_guard_page;    /* PROT_NONE */
extern long (*dm_real_syscall)(long, ...);
/* The supervised caller of the call being compared (its memory and fds), NULL in process. */
extern const struct emu_uaccess_remote *dm_caller;
/* A call of dm's own to the emulator, on dm's own memory (under the supervisor the caller's
 * backend is set aside for it). */
long dm_emu_private(int cmd, struct emu_attr *a, union bpf_attr *uattr);
/* An fd the caller named inside its memory (instructions, fd_array): as an fd of ours for this
 * call (in process: fd itself); -1 when the caller has none. Closed when the call ends. */
int dm_user_fd(int fd);
/* Under the supervisor: an fd of ours numbered `fd` naming what the caller's fd `fd` names (local,
 * or nothing when local < 0), for the kernel side of a raw fd; -1 if that number is taken here. */
int dm_same_number(int fd, int local);
void dm_call_fds_release(void);

struct sbuf {
	char *p;
	size_t n, cap;
};

struct mirror {
	int kfd;
	dev_t dev;
	ino_t ino;
	int accmode;
	uint32_t kid; /* the kernel map's id */
	uint32_t eid; /* the emulated map's */
	uint32_t type, key_size, value_size, max_entries, map_flags, value_bytes;
	bool btf;   /* created with BTF: info's btf_id differs by design */
	bool order; /* walks come out in the same order on both sides */
	bool seed_added; /* the kernel's map has the BPF_F_ZERO_SEED we gave it, the emulated one not */
	bool out_of_step; /* a change made to the emulated map only: calls on it are not compared */
	bool pinned; /* has a mirror pin */
	/* mapping.c: an mmapable array's values (a read-only view), and the emulated ones as of the
	 * end of the last compared call */
	bool mapping_tried;
	unsigned char *ev, *snap;
	size_t vlen;
	struct dm_mtstate *mt; /* maptypes.c: a ring's mappings, a bloom filter's pushed values */
};

enum fdclass { FD_RAW, FD_OURS, FD_MIRRORED, FD_BTF_MIRRORED, FD_PROG_MIRRORED, FD_UNMIRRORED };

/* Kinds of mirrored objects (maps have struct mirror; BTF objects and programs a twin fd). */
enum { OBJ_MAP, OBJ_BTF, OBJ_PROG };

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

struct group {
	uint64_t lo, hi;  /* user range */
	uint64_t plo;     /* its first page */
	unsigned char *shadow; /* the shadow of plo */
	int slot;
	bool out;
	unsigned char *prot; /* per page: PROT_* the user's memory has */
	size_t npages;
};

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
	int prog_efd, prog_kfd; /* the primary fd is a program with a twin: both fds, else -1 */
	char obj[160];       /* the object the call is about, for the report ("program 'x' (xdp)") */
	void *kinsns, *kfds; /* PROG_LOAD: the kernel's copies of insns and fd_array */
	long kret, eret;
	struct difference d[MAX_DIFFS];
	int nd;
};

/* report.c */
void dm_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void dm_emit(struct sbuf *b);
const char *dm_errname(int e);
void dm_answer_text(struct sbuf *b, long r);
void dm_sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dm_sb_json_str(struct sbuf *b, const char *s);
void dm_report(struct call *c, const struct emu_attr *before);

/* mirror.c */
long dm_kbpf(int cmd, void *attr, unsigned size);
long dm_ksys(long nr, long a, long b, long c, long d); /* a raw system call: its result or -errno */
void dm_gc(void);
bool dm_user_kfd(int fd, uint32_t *out, bool (*kfd_of)(int fd, uint32_t *out), bool quoted);
long dm_kcreate_probe(uint32_t type, uint32_t flags);
bool dm_grow(void *pp, size_t *cap, size_t need, size_t elem);
void dm_set_ours(int fd, bool v);
int dm_move_high(int fd);
bool dm_identity(int fd, dev_t *dev, ino_t *ino, int *accmode);
bool dm_is_hash(uint32_t t);
bool dm_is_lru(uint32_t t);
extern struct mirror **dm_mirrors; /* indexed by the emulated fd */
extern size_t dm_mirrors_cap;
struct mirror *dm_adopt(int efd, int kfd);
struct mirror *dm_attach(int efd);
enum fdclass dm_classify(int fd, struct mirror **out);
/* the same, with *kbtf the kernel fd of a mirrored BTF object */
enum fdclass dm_classify_btf(int fd, struct mirror **out, int *kbtf);
/* record kfd, the kernel's BTF loaded alongside, as the mirror of the BTF object efd; takes kfd */
void dm_btf_adopt(int efd, int kfd);
/* the same for any kind of twin (OBJ_BTF, OBJ_PROG); records the pair of ids too */
void dm_obj_adopt(int efd, int kfd, int kind);
int dm_obj_kfd(int efd, int kind); /* the twin's kernel fd, -1 if none */
bool dm_prog_twin(int efd, int *kfd, uint32_t *insn_cnt, bool *rewritten);
void dm_prog_set_shape(int efd, uint32_t insn_cnt, bool rewritten);
/* OBJ_GET_INFO_BY_FD into a private buffer on either side: 0 or -errno; an object's id, 0 if none */
long dm_info(bool kernel, int fd, void *buf, uint32_t len);
/* the same into a buffer holding what the caller asks for (array pointers and their counts) */
long dm_info_asked(bool kernel, int fd, void *buf, uint32_t len);
uint32_t dm_obj_id(bool kernel, int fd, int kind);
/* emulated id <-> the twin's kernel id, for every object mirrored so far */
void dm_id_pair(int kind, uint32_t eid, uint32_t kid);
uint32_t dm_id_e2k(int kind, uint32_t eid);
uint32_t dm_id_k2e(int kind, uint32_t kid);
void dm_find_pin_dir(void);
void dm_mirror_pin(int efd);
void dm_sweep_pins(void);

/* mapping.c */
void *dm_raw_mmap(size_t len, int prot, int fd, off_t off);
void dm_mapping_sync(struct mirror *m, int efd);
void dm_mapping_snapshot(struct mirror *m);
void dm_mapping_release(struct mirror *m);
/* BPF_MAP_FREEZE refuses while a process maps the map writable: where one maps the emulated map so
 * (the program; as the emulator finds such mappings, emu_map_writably_mapped), a writable mapping
 * of the kernel's for the kernel's FREEZE (the caller unmaps PAGE bytes), else NULL. */
void *dm_mapping_for_freeze(const struct mirror *m, int efd);

/* shadow.c */
void dm_mask_attr(struct call *c, unsigned off, unsigned len);
struct difference *dm_differ(struct call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dm_spans_for(struct call *c);
void dm_spans_out(struct call *c);
void *dm_shadow_raw_attr(struct call *c);
bool dm_build_shadows(struct call *c);
void dm_shadow_info_hash(struct call *c);
void dm_protect_group(struct group *g);
void dm_unprotect_all(void);
void dm_compare_span(struct call *c, const struct span *s, bool info_hash_ptr);
void dm_compare_attr(struct call *c);
void dm_compare_results(struct call *c);
bool dm_returns_fd(int cmd);

/* progs.c: programs (PROG_LOAD, TEST_RUN, their info, attaching) */
bool dm_prog_load_prepare(struct call *c);
void dm_prog_load_finish(struct call *c);
void dm_test_run_prepare(struct call *c);
void dm_test_run_finish(struct call *c);
long dm_prog_info(struct call *c, const struct emu_attr *before);
long dm_attach_cmd(struct call *c, const struct emu_attr *before);
void dm_describe_prog(struct call *c, int efd);
void dm_prog_pair_ids(int efd, int kfd);
/* not compared, with the reason said once per reason (and counted) */
void dm_not_comparable(struct call *c, enum nc why, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* mapcmp.c: every map a program uses, both sides' contents compared after a run */
void dm_sync_prog_maps(int kprog);
void dm_compare_prog_maps(struct call *c, int kprog);

/* maptypes.c: maps of objects (values are fds in, ids out), rings, bloom filters */
bool dm_mt_zero_seed(uint32_t type); /* created with BPF_F_ZERO_SEED on both sides (hashes, bloom filters) */
bool dm_mt_prepare(struct call *c);  /* before the kernel's run: false = not comparable (said, counted) */
void dm_mt_compare(struct call *c);  /* after both runs, before the spans are compared */
bool dm_mt_values_agree(uint32_t type, const unsigned char *kv, const unsigned char *ev, size_t len, bool *unknown);
/* after a run: 1 if the type's own comparison was made here, 0 if mapcmp.c's walk applies */
int dm_mt_compare_map(struct call *c, struct mirror *m, int efd, int kfd, const struct emu_map_desc *d, const char *name);
void dm_mt_sync(struct mirror *m, int efd); /* a ring's writes through the program's mapping, to the mirror */
/* the same for a ring this process has no fd of (a program holds it): both sides' fds, lent */
void dm_mt_sync_fds(int efd, int kfd, const struct emu_map_desc *d);
void dm_mt_snapshot(struct mirror *m);
void dm_mt_release(struct mirror *m);

/* commands.c */
bool dm_fix_fd(struct call *c, unsigned off, bool primary);
void dm_not_compared(enum nc why);
long dm_diff_call(int cmd, union bpf_attr *uattr, unsigned size, struct emu_attr *before);
/* The same with the attr already copied into *a (copy_err: what the copy returned), as the
 * supervisor copies it (its fd fields already ours). */
long dm_diff_copied(int cmd, union bpf_attr *uattr, unsigned size, const struct emu_attr *a, long copy_err,
		    struct emu_attr *before);

#endif
