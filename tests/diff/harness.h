/* SPDX-License-Identifier: MIT */
/*
 * Differential harness: one bpf() operation is applied to a kernel map (raw syscall) and to an
 * emulated map (bpfemu_bpf), and everything the caller can observe is compared: return value,
 * errno, every byte of every user buffer (poisoned identically beforehand, so "left untouched"
 * and "written" are told apart), the attr itself, and for new fds their access mode and
 * close-on-exec flag.
 *
 * Attrs are raw bytes by offset: the kernel's union bpf_attr (168 bytes on 6.18) is larger than
 * the installed uapi header's.
 */
#ifndef BPFEMU_DIFF_HARNESS_H
#define BPFEMU_DIFF_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "uapi/bpf_insn.h"
#include "uapi/bpf_uapi.h"

#define HX_K 0 /* the kernel side */
#define HX_E 1 /* the emulator side */

#define HX_SKIP 77
#define HX_PAGE 4096u
#define HX_ATTR_MAX 8192u
#define HX_MAX_BUFS 4
#define HX_MAX_FDS 4

/* Commands, map types, flags, attr offsets: emu/uapi/bpf_uapi.h, the project's one description. */

/* A map that exists twice: in the kernel and in the emulator, created with the same attr. */
struct hx_pair {
	int fd[2];
	uint32_t type, key_size, value_size, max_entries, flags; /* flags as requested */
	uint32_t vbytes;                                         /* user buffer bytes of one value */
	bool zero_seed;                                          /* iteration order comparable */
	uint32_t btf_id[2]; /* created with BTF: each side's id of that BTF object (ids differ by design:
			     * info's btf_id is checked against it on each side instead of compared) */
};

/* A BTF object loaded on both sides from the same blob (BPF_BTF_LOAD), and each side's id of it. */
struct hx_btf {
	int fd[2];
	uint32_t id[2];
};

/* One user buffer whose address goes into the attr. Each side gets its own copy. */
struct hx_buf {
	unsigned off;       /* attr offset of the pointer */
	size_t len;         /* accessible bytes */
	const void *in;     /* initial contents, or NULL for the poison pattern */
	void *out;          /* if set: receives the kernel side's bytes after the call */
	bool page_end;      /* the buffer ends right before an inaccessible page */
	unsigned mask_off;  /* bytes [mask_off, mask_off+mask_len) are not compared (ids) */
	unsigned mask_len;
	unsigned mask2_off, mask2_len; /* a second such range (a map's btf_id) */
};

struct hx_op {
	int cmd;
	unsigned size;                    /* the syscall's size argument */
	unsigned char attr[HX_ATTR_MAX];  /* both sides' attr, before fd and pointer substitution */
	enum { HX_ATTR_NORMAL, HX_ATTR_NULL, HX_ATTR_PAGE_END } attr_mode;
	unsigned attr_avail;              /* HX_ATTR_PAGE_END: readable bytes before the guard page */
	int nfd;
	struct { unsigned off; int fd[2]; } fds[HX_MAX_FDS];
	int nbuf;
	struct hx_buf buf[HX_MAX_BUFS];
	bool ret_fd;      /* success returns a new fd: compare as "both >= 0" */
	bool keep_fds;    /* ret_fd: the caller takes the fds (else the harness closes them) */
	bool relaxed_out; /* compare result only, not output bytes (random-seed hash order) */
	int nptr;         /* raw pointers placed with hx_op_ptr(), for the truncation check */
	unsigned ptr_offs[HX_MAX_BUFS];
};

struct hx_res {
	long ret[2];
	int err[2];
	bool diverged;
	bool skipped; /* not run: a short attr size cut a pointer into one that points at mapped memory */
};

/* ---- setup and bookkeeping ---- */

/* A differential test that cannot run what it is for: prints "SKIP: why" and exits 77 (ctest's
 * skip), or, with BPFEMU_REQUIRE_KERNEL=1 (CI, where the kernel is known to be there), prints
 * "FAIL: why" and exits 1. Every skip of every differential program goes through here. */
void hx_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* The same for a part of a test left out (hx_init's notes): a note, or a failure under
 * BPFEMU_REQUIRE_KERNEL=1. */
void hx_partial_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool hx_require_kernel(void);

/* Probes bpf() (exits 77 with a SKIP line when not permitted), checks the CPU counts agree and
 * pins the calling thread to CPU 0 (the kernel's LRU lists are per CPU, and both sides insert on
 * the CPU the caller runs on: diff_lru_cpu moves it between CPUs). */
void hx_init(const char *test_name);
extern bool hx_have_sys_admin; /* BPF_F_ZERO_SEED creates on the kernel side */
extern bool hx_pinned;
extern int hx_ncpus;
extern unsigned long hx_nops;        /* compared operations */
extern unsigned long hx_ndiv;        /* divergences */
extern unsigned long hx_nskipped;    /* operations not run (see struct hx_res.skipped) */
extern unsigned long hx_nexpect_bad; /* kernel answers that contradict kernel-semantics.md */
extern bool hx_quiet_ok;             /* true: no per-scenario chatter */
extern unsigned hx_max_reports;      /* full divergence reports printed */

/* Label for reports: the scenario being run. */
void hx_ctx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *hx_ctx_get(void);
int hx_finish(void); /* prints the summary; the exit code */
/* hx_finish for a test that may run as its planted fault's self-test (--expect-divergence, with
 * BPFEMU_FAULT set): then it passes only if divergences were reported. */
int hx_finish_planted(bool expect_divergence);

/* ---- operations ---- */

void hx_op_init(struct hx_op *op, int cmd);
void hx_op_u32(struct hx_op *op, unsigned off, uint32_t v);
void hx_op_u64(struct hx_op *op, unsigned off, uint64_t v);
void hx_op_ptr(struct hx_op *op, unsigned off, const void *p); /* same raw pointer on both sides */
void hx_op_fd(struct hx_op *op, unsigned off, const struct hx_pair *p);
void hx_op_fd2(struct hx_op *op, unsigned off, int kfd, int efd);
struct hx_buf *hx_op_buf(struct hx_op *op, unsigned off, size_t len, const void *in, void *out);

/* Runs op on both sides and compares; 0 if identical, 1 on a divergence (reported). */
int hx_run(struct hx_op *op, struct hx_res *res);
/* The kernel's answer as the syscall gives it: ret, or -errno. */
long hx_kret(const struct hx_res *r);

/* One raw call on one side (no comparison): ret or -errno. */
long hx_raw(int side, int cmd, void *attr, unsigned size);
/* A raw attr's fields by offset (emu/uapi/bpf_uapi.h's offsets), for hx_raw's callers. */
static inline void hx_put32(void *attr, unsigned off, uint32_t v) { memcpy((char *)attr + off, &v, 4); }
static inline void hx_put64(void *attr, unsigned off, uint64_t v) { memcpy((char *)attr + off, &v, 8); }
static inline void hx_putp(void *attr, unsigned off, const void *p) { hx_put64(attr, off, (uint64_t)(uintptr_t)p); }
static inline uint32_t hx_get32(const void *attr, unsigned off)
{
	uint32_t v;

	memcpy(&v, (const char *)attr + off, 4);
	return v;
}

/* Expectation from kernel-semantics.md about the kernel's own answer: guards the harness
 * against testing nothing (both sides fed the same broken attr agree trivially). */
bool hx_expect(long got, long want, const char *what);
#define HX_OK0 0L

/* ---- maps ---- */

void hx_create_op(struct hx_op *op, uint32_t type, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags);
/* Create on both sides; -errno (common answer) when refused or diverged. */
long hx_create_from(struct hx_pair *p, struct hx_op *op);
long hx_create(struct hx_pair *p, uint32_t type, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags);
void hx_close(struct hx_pair *p);
uint32_t hx_value_bytes(uint32_t type, uint32_t vs);
bool hx_is_percpu(uint32_t type);
bool hx_is_hash(uint32_t type);
bool hx_is_lru(uint32_t type);
bool hx_is_qs(uint32_t type);
const char *hx_type_name(uint32_t type);
const char *hx_cmd_name(int cmd);
const char *hx_errname(int e);

/* Element commands with well-formed attrs (size 168). Return the common answer (ret or -errno);
 * outputs get the kernel side's bytes (identical unless a divergence was reported). */
long hx_elem(const struct hx_pair *p, int cmd, const void *key, const void *val_in, void *val_out,
	     uint64_t flags);
long hx_update(const struct hx_pair *p, const void *key, const void *val, uint64_t flags);
long hx_lookup(const struct hx_pair *p, const void *key, void *val);
long hx_delete(const struct hx_pair *p, const void *key);
long hx_next(const struct hx_pair *p, const void *key, void *next);
long hx_lookup_del(const struct hx_pair *p, const void *key, void *val, uint64_t flags);
long hx_freeze(const struct hx_pair *p);
long hx_info(const struct hx_pair *p, void *info, uint32_t len);

/* A batch command on both sides with buffers of buf_elems elements (keys and values: what
 * UPDATE/DELETE send, what the lookups receive into, the kernel side's bytes), tokens of ks_tok
 * bytes (in: sent, out: received), count as the attr's. *count_out: the count the kernel wrote
 * back. Returns the common answer (ret or -errno). */
long hx_batch(const struct hx_pair *p, int cmd, const void *in, void *out, uint32_t ks_tok, void *keys,
	      void *values, uint32_t count, uint32_t buf_elems, uint64_t elem_flags, uint32_t *count_out);
/* The attr of the last hx_run() on one side, as the call left it. */
const unsigned char *hx_last_attr(int side);
/* True for a pointer hx_run passes as-is to both sides instead of a per-side copy (NULL, the
 * unmapped page of hx_bad_ptr, hx_page_end_ptr's shared input, the top of user space). */
bool hx_raw_ptr(const void *ptr);
/* n bytes as hex lines after indent, offsets from base_off (a divergence report's dump). */
void hx_dump_bytes(const char *indent, const unsigned char *p, size_t n, size_t base_off);

/* Programs (harness_progs.c). A program of type with the license "GPL" loaded on one side, its
 * verifier log (level 1) in log when given: the fd or -errno. */
long hx_prog_load(int side, uint32_t type, const struct emu_insn *insns, uint32_t cnt, char *log, uint32_t log_size);
/* TEST_RUN of fd on one side with len bytes of pkt as data_in: the retval or -errno. */
long hx_prog_run_pkt(int side, int fd, const void *pkt, uint32_t len);
/* The line a verifier log ends with before its statistics ("processed N insns"): its verdict. */
void hx_log_error_line(const char *log, char *out, size_t n);

/* Whole-map comparisons. Keys are walked with GET_NEXT_KEY (each step compared when the map's
 * order is deterministic, otherwise each side walked alone and the sets compared), then every
 * key's value is compared. Returns the number of keys, or -1 on a divergence. */
long hx_compare_contents(const struct hx_pair *p);
/* OBJ_GET_INFO_BY_FD on both sides, the id masked; a map with BTF also has its btf_id masked and
 * checked against each side's BTF id. */
int hx_compare_info(const struct hx_pair *p);

/* ---- BTF ---- */

/* BPF_BTF_LOAD of blob on both sides (compared, log-less): 0, or -errno as both answered (a
 * divergence is counted and reported, and gives -ENOTRECOVERABLE). */
long hx_btf_load(struct hx_btf *b, const void *blob, uint32_t size);
void hx_btf_close(struct hx_btf *b);
/* The id of the BTF object fd on one side (its bpf_btf_info), 0 if none. */
uint32_t hx_btf_id(int side, int fd);

/* Deterministic key bytes for index i: distinct for distinct i as far as key_size allows. */
void hx_key_of(uint32_t i, void *key, uint32_t key_size);

/* Guard memory: an address that faults, and an address n readable bytes before a fault. */
void *hx_bad_ptr(void);
void *hx_page_end_ptr(size_t n, const void *init);

/* xorshift64* PRNG: the random suite replays from its seed. */
uint64_t hx_rand(uint64_t *s);
uint32_t hx_rand_below(uint64_t *s, uint32_t n);

#endif
