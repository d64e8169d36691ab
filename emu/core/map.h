/* SPDX-License-Identifier: MIT */
/*
 * A map: its file's layout (the header every map file starts with), a process's view of it, and
 * the ops table each map family implements (maps/). Everything here is position-independent: a
 * map file is shared by processes that map it at different addresses.
 */
#ifndef BPFEMU_CORE_MAP_H
#define BPFEMU_CORE_MAP_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../uapi/bpf_uapi.h"

#define EMU_MAGIC 0x3170616d75656670ULL /* "pfeuamp1": a bpfemu map file */
#define EMU_LAYOUT_VERSION 5u /* 2: the redo record of in-place value writes; 3: the write sequence;
				* 4: in-place writer slots; 5: BTF and the value's special fields */
#define EMU_MAP_FIELDS_MAX 11u /* the kernel's BTF_FIELDS_MAX */

/* One special field of a map value (the kernel's btf_field): bytes a caller's copies skip. */
struct emu_map_field {
	uint32_t offset, size;
	uint32_t type; /* one EMU_BTF_F_* bit (btf/btf.h) */
	uint32_t is_lock; /* a spin lock or resilient spin lock: never stored over once the map exists */
};

/*
 * The head of every map file. Everything a process needs to use the map is in the file, at
 * offsets from its start, so processes that map it at different addresses share one map.
 * Cache lines are kept apart by who writes them: every call reads the first two, which nothing writes after creation but FREEZE and the first RDONLY/WRONLY open;
 * every lock holder writes the third; in-place writers the fourth. Mixed, two threads working on
 * one map moved the lines every call reads back and forth between their CPUs.
 */
struct emu_map_hdr {
	uint64_t magic;
	uint32_t layout_version;
	uint32_t hdr_size;
	uint64_t file_size;
	uint32_t map_type;
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
	uint32_t map_flags; /* as info/fdinfo show them: RDONLY/WRONLY are a property of the fd */
	uint32_t nr_cpus;
	uint64_t map_extra;
	char name[EMU_OBJ_NAME_LEN];
	uint32_t id;
	uint32_t frozen;
	/* Set once any fd of this map was opened read-only or write-only: until then every fd is
	 * O_RDWR and the per-call access-mode syscall can be skipped. */
	uint32_t restricted_fds;
	uint32_t hash_seed;
	uint64_t memlock;
	uint64_t priv_off;    /* family's own state */
	uint64_t redo_off;    /* see redo_dst */
	uint64_t inplace_off; /* in-place writer slots (inplace.c), 0 if the family has none */
	uint32_t inplace_stage; /* bytes of one slot's staging area, a multiple of 64 */
	/* The value's special fields (core/value.h): 0 for almost every map, and then the fields
	 * below are never read on the element paths. */
	uint32_t nr_fields;

	/*
	 * BTF, read by info and the value paths of maps with special fields. A map created with BTF
	 * keeps a copy of the BTF's blob (btf_off, btf_size) and its id, as the kernel's map holds a
	 * reference on its BTF: as long as the map file lives the BTF is findable by that id
	 * (BPF_BTF_GET_FD_BY_ID makes a BTF object from the copy), in every process that sees the map.
	 */
	uint32_t btf_id; /* 0: created without BTF */
	uint32_t btf_key_type_id, btf_value_type_id, btf_vmlinux_value_type_id;
	uint32_t btf_size;
	uint64_t btf_off;
	int32_t spin_lock_off; /* the bpf_spin_lock BPF_F_LOCK takes, -1 if none */
	uint32_t nr_locks;     /* fields with is_lock set */
	uint32_t field_mask;   /* EMU_BTF_F_* of the fields */
	struct emu_map_field fields[EMU_MAP_FIELDS_MAX]; /* sorted by offset */
	/*
	 * A map lock holder that took a value's spin lock for a BPF_F_LOCK copy (core/value.c) says
	 * where (an offset in the file) until it lets go: one killed in between leaves the lock word
	 * taken, and the next lock holder's repair releases it.
	 */
	uint64_t spin_held;

	_Alignas(64) pthread_mutex_t lock; /* process-shared, robust */
	/*
	 * Odd while a lock holder may be changing the map, even otherwise: lookups read without the
	 * lock and keep their result only if it was even and unchanged across the read (the kernel's
	 * lookups take no lock either). A holder that dies leaves it odd, so readers fall back to the
	 * lock, whose owner-died path repairs the map first.
	 */
	uint32_t write_seq;
	/*
	 * Set by an in-place writer (inplace.c) that found it clear, cleared by the lock holder that
	 * then waited the slots out: while it is clear no slot holder can be writing, so a lock
	 * holder need not look at the slots (one line each) at all.
	 */
	uint32_t inplace_used;

	/*
	 * A value overwritten in place (arrays, per-CPU hash elements) is first copied to redo_off
	 * whole, then redo_dst is set, then the target is written and redo_dst cleared: a writer
	 * killed halfway leaves a record the next lock holder replays, so no reader ever sees a value
	 * torn between two updates. redo_dst is an offset in the file, 0 when no write is open.
	 */
	_Alignas(64) uint64_t redo_dst;
	uint32_t redo_len;
	uint32_t recoveries; /* times a lock or slot holder died and the map was repaired (tests read
			      * it; atomic: slot repairs run without the lock) */
	/* Set (never cleared) once a front end mapped the values writable (cmd/fd_ops.c): FREEZE then
	 * looks for writable mappings. In the padding of this line: files made before it read 0. */
	uint32_t wmapped;
};

struct emu_map_ops;
struct emu_attr;
union bpf_attr;

/*
 * A run of hash buckets as batch_buckets hands it to cmd/map_batch.c: pointers into the map, valid while
 * the lock is held and the buckets are not changed.
 */
struct emu_bucket_run {
	/* in: room for cap elements and cap buckets */
	const void **keys, **values; /* out: the elements taken, bucket after bucket, list order */
	uint32_t *bucket, *end;      /* out: per non-empty bucket taken, its index, and the index in
				      * keys[] after its last element */
	uint32_t cap;
	uint32_t room; /* in: elements the caller may still return */
	uint32_t nr;   /* out: non-empty buckets taken */
	uint32_t next; /* out: the bucket to go on from */
	uint32_t need; /* out: if not 0, bucket `next` was not taken: it holds `need` elements, more
			* than room or than the capacity left */
	bool done;     /* out: the last bucket was taken, the table is done */
};

/*
 * A process's view of one map file. The file is shared with every process that maps it, any of
 * which can write any byte of it (a bug, a raw mmap() of the fd, a copy of the file changed on
 * disk): nothing in it is trusted. Everything the map's shape decides is copied from the header
 * when this process first maps the file, checked against the file's size and the type's rules
 * (emu_map_view_init) and never read from the file again: a field read twice may differ. What
 * the file holds beyond that (links, list heads, counts, ring indices, redo and slot records) is
 * checked where it is used, and every walk is bounded; damage found so answers EUCLEAN
 * (emu_map_corrupt), never an access outside the file or a loop without end.
 */
#define EMU_FAM_SIZE 64
#define EMU_MAX_LOCK_SLOTS 8 /* EMU_INPLACE_SLOTS (core/inplace.h) */
struct emu_map {
	/* what every call reads first, on one line: the file, the ops and the shape */
	struct emu_map_hdr *hdr;
	char *base;
	const struct emu_map_ops *ops; /* by the header's type, from the type table: never the file's */
	char *priv;                    /* the family's state: base + priv_off */
	uint32_t value_bytes;          /* V: what user buffers hold for one value */
	uint32_t key_size, max_entries, hash_seed;
	uint32_t map_type, map_flags, nr_cpus, value_size;
	/* the family's own geometry (its validate op computes it from the shape) */
	_Alignas(8) unsigned char fam[EMU_FAM_SIZE];

	size_t size;
	size_t view_len; /* bytes mapped at base: size, and the alias op's second mapping after it */
	dev_t dev;
	ino_t ino;
	int refs;       /* calls in progress */
	int cache_refs; /* fd-cache slots naming this map */
	uint32_t id;
	uint64_t map_extra;
	char name[EMU_OBJ_NAME_LEN];
	uint64_t redo_off;  /* 0: no redo record */
	uint32_t redo_cap;  /* bytes of its staging area */
	uint32_t inplace_stage;
	uint64_t inplace_off; /* 0: no writer slots */
	/* Where values lie, set by the family's validate op: value k starts at
	 * data_off + k * data_stride + data_voff, before data_end, and its write word (inplace.h),
	 * if the family has them, at data_off + k * data_stride + data_woff. A redo or slot record
	 * that names anything else is not replayed. */
	uint64_t data_off, data_end;
	uint32_t data_stride, data_voff, data_woff;
	/* the value's special fields and the map's BTF (core/value.h), as checked at adoption */
	uint32_t nr_fields, nr_locks, field_mask;
	int32_t spin_lock_off;
	uint32_t btf_id, btf_key_type_id, btf_value_type_id, btf_vmlinux_value_type_id, btf_size;
	uint64_t btf_off;
	struct emu_map_field fields[EMU_MAP_FIELDS_MAX];
	bool damage_said; /* the one diagnostic of this map's damage was printed */
	/* lock words found held by no possible owner (emu_robust_lock_wait): the map lock's, then
	 * one per writer slot */
	uint32_t lock_gone[1 + EMU_MAX_LOCK_SLOTS];
};

/* value_ptr's answer for a damaged map (no value of the map is there) */
#define EMU_VALUE_DAMAGED ((void *)(uintptr_t)-1)

/* The family's geometry in m->fam; each family asserts its struct fits EMU_FAM_SIZE. */
static inline void *emu_fam(const struct emu_map *m) { return (void *)m->fam; }

static inline void *emu_priv(const struct emu_map *m) { return m->priv; }

/* Attributes of a map being created, after the generic checks. */
struct emu_create {
	uint32_t map_type, key_size, value_size, max_entries, map_flags, nr_cpus;
	uint32_t numa_node; /* NUMA_NO_NODE (-1) unless BPF_F_NUMA_NODE */
	uint64_t map_extra;
	/* BTF, when MAP_CREATE named one: its id and blob (copied into the map file), the type ids,
	 * and the value's special fields (emu_btf_check_map's record, nr_fields 0 if none) */
	uint32_t btf_id, btf_size, btf_key_type_id, btf_value_type_id, btf_vmlinux_value_type_id;
	const void *btf_data;
	uint32_t nr_fields, nr_locks, field_mask;
	int32_t spin_lock_off;
	struct emu_map_field fields[EMU_MAP_FIELDS_MAX];
	/* MAP_CREATE's inner_map_fd (an fd of this process), for the map-in-map types' checks */
	int inner_fd;
	/* set when a file's shape is checked at adoption (core/map_file.c), not a caller's: checks
	 * that need the caller's objects (inner_map_fd) are skipped, and the family's validate op
	 * checks what they wrote into the file instead */
	bool adopt;
	/* what a family's checks found that its init writes into the file (maps/map_in_map.c: the
	 * inner map template) */
	unsigned char fam[256];
};

/*
 * One table per map family. Entries return 0 or -errno. A NULL entry means the family does not
 * implement the command, and the dispatcher gives the kernel's answer for that case.
 * Keys and values passed in and out are bounce buffers the dispatcher owns: implementations
 * never touch user memory.
 */
struct emu_map_ops {
	const char *family;
	/*
	 * The map_flags the type takes (the kernel's *_CREATE_FLAG_MASK, the access flags among them),
	 * for the families whose flags the command layer checks (cmd/map_create.c): with them, a zero
	 * max_entries and RDONLY_PROG with WRONLY_PROG are refused (EINVAL) right before the family's
	 * own checks. 0: the family checks its flags itself.
	 */
	uint32_t create_flags;
	/* the kernel checks them in map_alloc (after the token and the device), else in
	 * map_alloc_check (before them) */
	bool create_flags_late;
	/* type-specific create checks the kernel makes in map_alloc_check, before the token and the
	 * device (ifindex) are looked at; may adjust max_entries as the kernel does. May be NULL. */
	int (*alloc_check)(struct emu_create *c);
	/* the checks the kernel makes in map_alloc, after those (NULL: none) */
	int (*alloc_shape)(struct emu_create *c);
	/* bytes of family state after the header, or the kernel's allocation errno */
	int (*layout)(const struct emu_create *c, uint64_t *priv_size);
	/* the family's state in a new file (m's shape is set; its geometry, m->fam, is not yet) */
	void (*init)(struct emu_map *m);
	/* instead of init, for a family that keeps what its create checks found (c->fam) */
	void (*init_create)(struct emu_map *m, const struct emu_create *c);
	/*
	 * Adoption of a file (core/map_file.c), for a new map and for every file a process maps:
	 * compute the family's geometry from m's shape (checked already), never from the file, into
	 * m->fam; set m->data_*; and check that the file's copy of that geometry agrees. 0, or
	 * -EINVAL with the name of the first field that does not in *field.
	 */
	int (*validate)(struct emu_map *m, const char **field);
	/* the kernel's own estimate of the map's memory, as fdinfo and bpftool show it */
	uint64_t (*memlock)(const struct emu_map *m);
	int (*lookup)(struct emu_map *m, const void *key, void *value);
	int (*update)(struct emu_map *m, const void *key, const void *value, uint64_t flags);
	int (*delete)(struct emu_map *m, const void *key);
	int (*get_next_key)(struct emu_map *m, const void *key, void *next_key);
	int (*lookup_and_delete)(struct emu_map *m, const void *key, void *value, uint64_t flags);
	/* queue/stack */
	int (*push)(struct emu_map *m, const void *value, uint64_t flags);
	int (*pop)(struct emu_map *m, void *value);
	int (*peek)(struct emu_map *m, void *value);
	/* one CPU's slot of a per-CPU element (test API) */
	int (*lookup_percpu)(struct emu_map *m, const void *key, void *value, int cpu);
	/* the byte range of the file mmap() of the fd maps (ARRAY with BPF_F_MMAPABLE), or -EINVAL;
	 * no entry: the map cannot be mapped */
	int (*mmap_range)(struct emu_map *m, uint64_t *off, uint64_t *len);
	/* mmap() of the fd for a map whose mapping is made of pages from several places of the file
	 * (the ring buffers, whose data pages are mapped twice): the file offset of page pgoff of the
	 * kernel's mmap space, -EINVAL past it. cmd/fd_ops.c owns the rules. */
	int (*mmap_page)(struct emu_map *m, uint64_t pgoff, uint64_t *file_off);
	/* A part of the file every view maps a second time right after the file's end (the ring
	 * buffers' data, so a record that wraps is contiguous): its length (0: none) and, in
	 * *src_off, where it starts in the file. Reads max_entries of h only. */
	uint64_t (*alias)(const struct emu_map_hdr *h, uint64_t *src_off);
	/* poll/epoll/select on the fd: the EPOLL* events ready now (the kernel's map_poll). NULL: the
	 * map has none, and answers EPOLLERR as the kernel's does. */
	uint32_t (*poll)(struct emu_map *m);
	/* extra lines of /proc/self/fdinfo/N after the common ones (a program array's owner) */
	int (*fdinfo)(struct emu_map *m, char *buf, size_t len);
	/* the values whose SHA-256 OBJ_GET_INFO_BY_FD reports for a frozen map (ARRAY) */
	int (*content)(struct emu_map *m, const void **data, size_t *len);
	/*
	 * The value of key inside the map, with the map lock held: what a BPF_F_LOCK copy takes the
	 * value's spin lock in and copies from or to (core/value.c). NULL if the key is absent
	 * (arrays: an index past the end), EMU_VALUE_DAMAGED (named by emu_map_corrupt) if the walk to
	 * it found damage. Families whose values may hold a spin lock (HASH, ARRAY).
	 */
	void *(*value_ptr)(struct emu_map *m, const void *key);
	/* consistency check of the whole structure, bounded: 0, or -EUCLEAN (emu_map_corrupt names
	 * the first damage found) */
	int (*check)(struct emu_map *m);
	/*
	 * Called with the lock held when its previous holder died inside a critical section:
	 * restore structural consistency from whatever prefix of its writes reached the file.
	 * Must be idempotent (the recovering process may be killed too; the next one runs it
	 * again) and must not fail.
	 */
	void (*recover)(struct emu_map *m);
	/* Bytes of the largest value a writer may overwrite in place without the map lock (see
	 * core/inplace.c); 0, or no entry, if every write takes the lock. */
	uint32_t (*inplace_bytes)(const struct emu_create *c);
	/*
	 * Hash batch lookups go bucket by bucket (the token is a bucket index); cmd/map_batch.c runs the
	 * loop and every user copy, and calls these with the map lock held. batch_buckets takes
	 * buckets from `from` on into r, each whole, the kernel's way: empty buckets are skipped
	 * except the last one, which is taken empty; it stops before a bucket that does not fit
	 * (r->need), after the last bucket (r->done), or anywhere in between to keep one lock hold
	 * short. -ENOENT if `from` is past the last bucket.
	 */
	int (*batch_buckets)(struct emu_map *m, uint32_t from, struct emu_bucket_run *r);
	/* LOOKUP_AND_DELETE_BATCH, after buckets were copied out (the last maybe with a fault):
	 * remove all of their elements, bucket after bucket, freeing them in the kernel's order.
	 * Lock held. */
	void (*batch_buckets_delete)(struct emu_map *m, const uint32_t *bucket, uint32_t nr);
	/*
	 * LOOKUP_BATCH with key tokens (arrays), many elements per call, lock held by cmd/map_batch.c: the
	 * elements after prev (NULL: from the first), up to cap of them, as get_next_key and lookup
	 * would find them one by one; their keys into keys (key_size apart), where their values lie
	 * in the map into values. Returns how many; fewer than cap when the end was reached.
	 * Not used for MMAPABLE maps: their values can be the user's own buffers, and the kernel
	 * reads a value whole before it writes the key, so those go through batch_next.
	 */
	uint32_t (*batch_next_run)(struct emu_map *m, const void *prev, void *keys, const void **values,
				   uint32_t cap);
	/*
	 * The same one element at a time, its value copied: the key after prev into key and its
	 * value into value; -ENOENT past the end. Lock held by cmd/map_batch.c, which takes it once for
	 * many elements.
	 */
	int (*batch_next)(struct emu_map *m, const void *prev, void *key, void *value);
	/* update and delete exactly as those ops, called with the map lock held: the batches take
	 * it once for many elements */
	int (*update_locked)(struct emu_map *m, const void *key, const void *value, uint64_t flags);
	int (*delete_locked)(struct emu_map *m, const void *key);
	/*
	 * The batch commands, after the command layer's checks (fd, access, frozen). A family points
	 * them at the generic loops of cmd/map_batch.c, as the kernel's tables point at
	 * generic_map_*_batch, or at its own; NULL answers ENOTSUPP, as the kernel's missing op does.
	 */
	int (*lookup_batch)(struct emu_map *m, const struct emu_attr *a, union bpf_attr *uattr);
	int (*lookup_and_delete_batch)(struct emu_map *m, const struct emu_attr *a, union bpf_attr *uattr);
	int (*update_batch)(struct emu_map *m, const struct emu_attr *a, union bpf_attr *uattr);
	int (*delete_batch)(struct emu_map *m, const struct emu_attr *a, union bpf_attr *uattr);

	/*
	 * Programs (emu/prog/helpers/map.c calls these): the kernel's map ops as a running program
	 * reaches them through its helpers, with the kernel's program-side flags and errnos. cpu is
	 * the CPU the program runs on (per-CPU slots, LRU lists). Keys and values are the program's
	 * memory, checked by the helper; a value is value_size bytes (one CPU's slot of a per-CPU
	 * map), its special fields already zeroed. Nothing here takes the command layer's checks
	 * (fd, access mode, frozen): a program's rights were settled when it was loaded.
	 * push, pop, peek and delete are the entries above (the kernel's helpers call the same ops
	 * as the commands).
	 */
	/* the value of key inside the map (per-CPU maps: the running CPU's slot), NULL if absent;
	 * the pointer stays valid memory for as long as the map is mapped */
	void *(*prog_lookup)(struct emu_map *m, const void *key, uint32_t cpu);
	int (*prog_update)(struct emu_map *m, const void *key, const void *value, uint64_t flags, uint32_t cpu);
	/* the kernel's map_gen_lookup: a family whose prog_lookup is index arithmetic says how, for
	 * a translator to inline it (emu/prog/inline_lookup.h). The key is a u32 index; below
	 * max_entries its value is at values + index * stride, per-CPU (cpu_stride != 0) plus
	 * cpu * cpu_stride for cpu < nr_cpus; [values, values + bytes) holds them all. false: no. */
	bool (*prog_gen_lookup)(struct emu_map *m, uint8_t **values, uint64_t *stride, uint64_t *bytes,
				uint32_t *cpu_stride);
	/* bpf_for_each_map_elem: each(arg, key, value) on every element in the kernel's order, the
	 * running CPU's slot of per-CPU values; each returns 0 to go on, 1 to stop, < 0 to stop the
	 * run. Returns the number of elements each was called for, or its negative answer. */
	long (*prog_for_each)(struct emu_map *m, int (*each)(void *arg, const void *key, void *value), void *arg,
			      uint32_t cpu);
	/* XDP redirect targets (DEVMAP, CPUMAP, XSKMAP, not emulated yet): the entry at key, NULL if
	 * none; bpf_redirect_map's bookkeeping is emu/prog/helpers/pkt.c's */
	void *(*redirect_lookup)(struct emu_map *m, uint32_t key);
	/* RINGBUF (not emulated yet): bpf_ringbuf_reserve (a record of size bytes inside the map,
	 * NULL when full), submit/discard of such a record (flags BPF_RB_*), bpf_ringbuf_output (0
	 * or -errno), bpf_ringbuf_query (flags' BPF_RB_* value) */
	void *(*rb_reserve)(struct emu_map *m, uint64_t size);
	void (*rb_commit)(struct emu_map *m, void *rec, bool discard, uint64_t flags);
	long (*rb_output)(struct emu_map *m, const void *data, uint64_t size, uint64_t flags);
	uint64_t (*rb_query)(struct emu_map *m, uint64_t flags);
};

/* maps/map_types.c: which family's table serves a map type (NULL: not emulated) */
const struct emu_map_ops *emu_ops_for_type(uint32_t map_type);
bool emu_is_percpu_type(uint32_t map_type);

/* core/map_file.c: a map's file, created or adopted, and the process's view of it */
/*
 * Damage found in a map file where it is used (a link, a list head, a count, a ring index out of
 * range, a walk longer than the map): -EUCLEAN for the caller to answer, and one diagnostic per
 * map naming it and the field. Out of line and cold: the checks that call it are a compare each
 * on the fast paths.
 */
int emu_map_corrupt(struct emu_map *m, const char *field) __attribute__((cold, noinline));
/* bpfemu_map_check()'s generic part: the header and the locks still as adoption found them. 0 or
 * -EUCLEAN. */
int emu_map_check_file(struct emu_map *m);
/* Whether [off, off + len) is one value of the map, where a redo or slot record may write; whether
 * off is a value's write word. */
bool emu_map_value_range_ok(const struct emu_map *m, uint64_t off, uint64_t len);
bool emu_map_word_ok(const struct emu_map *m, uint64_t off);
#define EMU_NO_WORD UINT32_MAX /* data_woff of a family without write words */
/* the file a map needs, or the kernel's allocation errno (E2BIG, ENOMEM) for it */
int emu_map_file_size(const struct emu_create *c, const struct emu_map_ops *ops, uint64_t *size);
int emu_map_create_file(const struct emu_create *c, const struct emu_map_ops *ops, const char *name,
			int *fd_out);

/* core/registry.c: fd -> this process's view of the map (-EBADF / -EINVAL when fd is none), held
 * until emu_map_put(); accmode is the fd's O_RDONLY/O_WRONLY/O_RDWR. An fd-cache entry is checked
 * (one fstat: the number still names that file) before it is used. */
int emu_map_get(int fd, struct emu_map **out, int *accmode);
/* The same for the element and batch commands, the hot path: an fd-cache entry is trusted (the
 * preload forgets a number at every close and every new fd it sees; README) unless
 * BPFEMU_FDCACHE_VALIDATE=1 asked for the check on every call (bench/RESULTS.md: its cost). */
int emu_map_get_fast(int fd, struct emu_map **out, int *accmode);
void emu_map_put(struct emu_map *m);
int emu_map_fd_id(int fd, uint32_t *id);
/* an fd of this map was opened read-only or write-only: from now on every call reads its mode */
void emu_mark_restricted(int fd);

#endif
