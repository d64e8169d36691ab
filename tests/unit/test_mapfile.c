/* SPDX-License-Identifier: MIT */
/*
 * A map file is untrusted input (issue 24): each field of the file's layout corrupted on purpose,
 * one case per field — every header field, each family's own state, a link in each kind of list
 * (hash bucket lists, the free list, the LRU lists, the queue ring), the locks, the redo and
 * writer-slot records — then the file opened as a process meets it and used. Each case asserts
 * the errno of the next call, bpfemu_map_check's answer and the diagnostic naming the field:
 *
 *   a header or family geometry that is not its shape's    EINVAL at open, "refused", the field
 *   damage a call walks into                                EUCLEAN, "damaged", the field
 *   fields any value of which is sound (write_seq, ...)     the call works, the check passes
 *
 * The emulator's own layout is what is tested, so the program knows it: the header and the hash
 * family's structs from their headers, the states private to their files as mirrors below,
 * checked against a pristine file first. Emulator-only: under BPFEMU_UNIT_KERNEL=1 it skips.
 */
#include "unit.h"

#include <pthread.h>

#include "core/map.h"
#include "maps/hashtab.h"
#include "mapfile.h"

/* Mirrors of the states private to their files (maps/arraymap.c, maps/queue_stack.c, maps/lru.c,
 * core/inplace.c). check_mirrors() holds them against a pristine file of each family. */
struct m_array {
	uint32_t stride, pad;
	uint64_t values_off;
};
struct m_qs {
	uint32_t head, tail, size, pad;
	uint64_t data_off;
};
struct m_lru_list {
	uint32_t first, last;
};
struct m_lru_set {
	struct m_lru_list q[3]; /* active, inactive, free */
	uint32_t nr[2], cursor, pad;
};
struct m_lru {
	uint32_t magic, nr_cpus, nr_elems, percpu, target_free, nr_scans;
	struct m_lru_set shared;
	/* then per CPU: struct m_lru_set (BPF_F_NO_COMMON_LRU) or the local lists */
};
struct m_slot {
	pthread_mutex_t mu;
	uint64_t word_off, dst;
	uint32_t len;
};
#define M_SLOT_BYTES ((sizeof(struct m_slot) + 63) / 64 * 64)
#define M_LRU_CPU_AREA 64u /* sizeof(struct emu_lru) */

/* glibc's robust mutex words (the lock's first int; its kind and owner fields) */
#define LOCK_WAITERS 0x80000000u
#define LOCK_OWNER_DIED 0x40000000u
#define NO_SUCH_TID 0x3ffffff0u /* past any pid_max */

/* ---- a file to corrupt ---- */

struct file {
	unsigned char *b;
	size_t len;
	const struct mf_shape *s;
};

static struct emu_map_hdr *H_(struct file *f) { return (struct emu_map_hdr *)(void *)f->b; }
static void *at(struct file *f, uint64_t off) { return f->b + off; }
static struct htab_priv *HP(struct file *f) { return at(f, H_(f)->priv_off); }
static struct htab_elem *EL(struct file *f, uint32_t i)
{
	return at(f, HP(f)->elems_off + (uint64_t)i * HP(f)->elem_size);
}
static uint32_t *BK(struct file *f) { return at(f, HP(f)->buckets_off); }
static struct m_lru *LRU(struct file *f) { return at(f, HP(f)->lru_off); }
static struct m_array *AP(struct file *f) { return at(f, H_(f)->priv_off); }
static struct m_qs *QP(struct file *f) { return at(f, H_(f)->priv_off); }
static struct m_slot *SLOT(struct file *f, uint32_t j) { return at(f, H_(f)->inplace_off + j * M_SLOT_BYTES); }

static void make_file(struct file *f, const char *shape)
{
	unsigned char *raw;
	int fd;

	f->s = mf_shape_named(shape);
	ck_assert_msg(f->s, "no shape %s", shape);
	fd = mf_make(f->s, 7);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(mf_read_file(fd, &raw, &f->len), 0);
	close(fd);
	/* the header's lines are 64-byte aligned types: the copy is too */
	f->b = aligned_alloc(4096, (f->len + 4095) / 4096 * 4096);
	ck_assert_ptr_nonnull(f->b);
	memcpy(f->b, raw, f->len);
	free(raw);
}

/* ---- what a case does to the file ---- */

static bool is_hash(struct file *f)
{
	uint32_t t = H_(f)->map_type;

	return t == EMU_MAP_HASH || t == EMU_MAP_PERCPU_HASH || t == EMU_MAP_LRU_HASH || t == EMU_MAP_LRU_PERCPU_HASH;
}

/* the pristine file is what the mirrors and the emulator's headers say it is */
static void check_mirrors(struct file *f)
{
	struct emu_map_hdr *h = H_(f);

	ck_assert_uint_eq(h->magic, EMU_MAGIC);
	ck_assert_uint_eq(h->file_size, f->len);
	if (is_hash(f)) {
		ck_assert_uint_eq(HP(f)->n_buckets & (HP(f)->n_buckets - 1), 0);
		ck_assert_uint_le(HP(f)->elems_off + (uint64_t)HP(f)->nr_elems * HP(f)->elem_size, f->len);
		if (HP(f)->lru_off) {
			ck_assert_uint_eq(LRU(f)->magic, 0x6c727531u);
			ck_assert_uint_eq(LRU(f)->nr_elems, HP(f)->nr_elems);
		}
	} else if (h->map_type == EMU_MAP_QUEUE || h->map_type == EMU_MAP_STACK) {
		ck_assert_uint_eq(QP(f)->size, h->max_entries + 1);
		ck_assert_uint_eq(QP(f)->data_off, h->priv_off + 64);
	} else if (h->map_type == EMU_MAP_ARRAY || h->map_type == EMU_MAP_PERCPU_ARRAY) {
		ck_assert_uint_eq(AP(f)->stride % 8, 0);
		ck_assert_uint_ge(AP(f)->values_off, h->priv_off);
	}
	if (h->inplace_off)
		ck_assert_uint_eq(SLOT(f, 0)->mu.__data.__kind, h->lock.__data.__kind);
}

typedef void poke_fn(struct file *f);

/* header */
static void p_magic(struct file *f) { H_(f)->magic ^= 1; }
static void p_version(struct file *f) { H_(f)->layout_version = EMU_LAYOUT_VERSION - 1; }
static void p_hdr_size(struct file *f) { H_(f)->hdr_size += 8; }
static void p_file_size(struct file *f) { H_(f)->file_size += 64; }
static void p_type_none(struct file *f) { H_(f)->map_type = EMU_MAP_SOCKMAP; }
static void p_type_other(struct file *f) { H_(f)->map_type = EMU_MAP_ARRAY; }
static void p_key_size(struct file *f) { H_(f)->key_size = 16; }
static void p_key_size_0(struct file *f) { H_(f)->key_size = 0; }
static void p_value_size(struct file *f) { H_(f)->value_size = 4096; }
static void p_max_entries(struct file *f) { H_(f)->max_entries = 1000; }
static void p_map_flags(struct file *f) { H_(f)->map_flags |= EMU_F_MMAPABLE; }
static void p_map_flags_rdonly(struct file *f) { H_(f)->map_flags |= EMU_F_RDONLY; }
static void p_nr_cpus_0(struct file *f) { H_(f)->nr_cpus = 0; }
static void p_nr_cpus_big(struct file *f) { H_(f)->nr_cpus = 100000; }
static void p_map_extra(struct file *f) { H_(f)->map_extra = 1; }
static void p_name_tail(struct file *f) { H_(f)->name[EMU_OBJ_NAME_LEN - 1] = 'x'; }
static void p_name_char(struct file *f) { H_(f)->name[1] = '!'; }
static void p_id(struct file *f) { H_(f)->id = 0; }
static void p_frozen(struct file *f) { H_(f)->frozen = 2; }
static void p_restricted(struct file *f) { H_(f)->restricted_fds = 7; }
static void p_hash_seed(struct file *f) { H_(f)->hash_seed = 1; }
static void p_memlock(struct file *f) { H_(f)->memlock = 1; }
static void p_priv_off(struct file *f) { H_(f)->priv_off += 64; }
static void p_redo_off(struct file *f) { H_(f)->redo_off = 0; }
static void p_inplace_off(struct file *f) { H_(f)->inplace_off += 64; }
static void p_inplace_stage(struct file *f) { H_(f)->inplace_stage = 0; }
static void p_lock_kind(struct file *f) { H_(f)->lock.__data.__kind = 0; }
static void p_lock_no_tid(struct file *f) { H_(f)->lock.__data.__lock = NO_SUCH_TID; }
static void p_lock_waiters(struct file *f) { H_(f)->lock.__data.__lock = (int)LOCK_WAITERS; }
static void p_lock_self(struct file *f) { H_(f)->lock.__data.__lock = (int)gettid(); }
static void p_lock_unrecoverable(struct file *f) { H_(f)->lock.__data.__owner = 0x7fffffff; }
static void p_lock_owner_died(struct file *f) { H_(f)->lock.__data.__lock = (int)(LOCK_OWNER_DIED | NO_SUCH_TID); }
static void p_write_seq(struct file *f) { H_(f)->write_seq |= 1; }
static void p_inplace_used(struct file *f) { H_(f)->inplace_used = 2; }
static void p_recoveries(struct file *f) { H_(f)->recoveries = 12345; }
/* a redo record left open, as by a dead holder, naming a place that is no value */
static void p_redo_dst_bad(struct file *f)
{
	p_lock_owner_died(f);
	H_(f)->redo_dst = 8; /* inside the header */
	H_(f)->redo_len = 8;
}
static void p_redo_len_bad(struct file *f)
{
	p_lock_owner_died(f);
	H_(f)->redo_dst = AP(f)->values_off;
	H_(f)->redo_len = 100000;
}
/* a redo record open with no holder dead: nothing replays it, the check finds it */
static void p_redo_open(struct file *f)
{
	H_(f)->redo_dst = AP(f)->values_off;
	H_(f)->redo_len = 8;
}
/* writer slots */
static void p_slot_kind(struct file *f) { SLOT(f, 0)->mu.__data.__kind = 0; }
static void p_slot_no_tid(struct file *f)
{
	SLOT(f, 3)->mu.__data.__lock = NO_SUCH_TID;
	H_(f)->inplace_used = 1; /* so the next lock holder drains the slots */
}
static void p_slot_record(struct file *f)
{
	SLOT(f, 2)->mu.__data.__lock = (int)(LOCK_OWNER_DIED | NO_SUCH_TID);
	SLOT(f, 2)->word_off = 8; /* inside the header: no element's write word */
	SLOT(f, 2)->dst = 16;
	SLOT(f, 2)->len = 8;
	H_(f)->inplace_used = 1;
}
/* hash family: geometry */
static void p_n_buckets(struct file *f) { HP(f)->n_buckets *= 2; }
static void p_elem_size(struct file *f) { HP(f)->elem_size += 8; }
static void p_nr_elems(struct file *f) { HP(f)->nr_elems += 1; }
static void p_value_off(struct file *f) { HP(f)->value_off += 8; }
static void p_buckets_off(struct file *f) { HP(f)->buckets_off += 64; }
static void p_elems_off(struct file *f) { HP(f)->elems_off -= 64; }
static void p_lru_off(struct file *f) { HP(f)->lru_off = 64; }
/* hash family: state and lists */
static void p_count(struct file *f) { HP(f)->count = 1000; }
static void p_count_low(struct file *f) { HP(f)->count = 0; }
static void p_next_unused(struct file *f) { HP(f)->next_unused = HP(f)->nr_elems + 5; }
static void p_free_head(struct file *f) { HP(f)->free_head = HP(f)->nr_elems + 7; }
static void p_free_link(struct file *f)
{
	ck_assert_uint_ne(HP(f)->free_head, 0); /* the workload left a free list */
	EL(f, HP(f)->free_head - 1)->next = 0xfffffff0u;
}
static void p_free_linked(struct file *f)
{
	ck_assert_uint_ne(HP(f)->free_head, 0);
	EL(f, HP(f)->free_head - 1)->linked = 1;
}
static void p_bucket_heads(struct file *f)
{
	for (uint32_t b = 0; b < HP(f)->n_buckets; b++)
		BK(f)[b] = 0xfffffff0u;
}
/* fn on every element in a bucket (of the pristine lists) */
static void for_linked(struct file *f, void (*fn)(struct htab_elem *e, uint32_t self))
{
	uint32_t links[1024], n = 0;

	for (uint32_t b = 0; b < HP(f)->n_buckets; b++)
		for (uint32_t i = BK(f)[b], k = 0; i && k < HP(f)->nr_elems && n < 1024; i = EL(f, i - 1)->next, k++)
			links[n++] = i;
	ck_assert_uint_gt(n, 0);
	for (uint32_t k = 0; k < n; k++)
		fn(EL(f, links[k] - 1), links[k]);
}
static void bad_link(struct htab_elem *e, uint32_t self) { (void)self, e->next = 0xfffffff0u; }
static void self_link(struct htab_elem *e, uint32_t self) { e->next = self; }
static void bad_hash(struct htab_elem *e, uint32_t self) { (void)self, e->hash ^= 0x10000; }
static void p_bucket_links(struct file *f) { for_linked(f, bad_link); }
static void p_bucket_cycles(struct file *f) { for_linked(f, self_link); }
static void p_elem_hash(struct file *f) { for_linked(f, bad_hash); }
/* LRU lists */
static void p_lru_magic(struct file *f) { LRU(f)->magic ^= 1; }
static void p_lru_nr_elems(struct file *f) { LRU(f)->nr_elems += 1; }
static void p_lru_target(struct file *f) { LRU(f)->target_free += 1; }
static void p_lru_node_links(struct file *f)
{
	for (uint32_t i = 0; i < HP(f)->nr_elems; i++) {
		EL(f, i)->lru.next = 0x7ffffff0u;
		EL(f, i)->lru.prev = 0x7ffffff0u;
	}
}
static void p_lru_free_head(struct file *f)
{
	struct m_lru *l = LRU(f);

	if (l->percpu)
		for (uint32_t c = 0; c < l->nr_cpus; c++)
			((struct m_lru_set *)at(f, HP(f)->lru_off + M_LRU_CPU_AREA))[c].q[2].first = 0x7ffffff0u;
	else
		l->shared.q[2].first = l->shared.q[2].last = 0x7ffffff0u;
	/* and the local lists of the common layout, so the next pop goes to the shared list */
	if (!l->percpu)
		for (uint32_t c = 0; c < l->nr_cpus; c++) {
			uint32_t *loc = at(f, HP(f)->lru_off + M_LRU_CPU_AREA + c * 24u);

			loc[0] = loc[1] = 0x7ffffff0u; /* free_q first, last */
		}
}
static void p_lru_count(struct file *f) { LRU(f)->shared.nr[0] = 0x10000000u; }
/* the value's special fields and the BTF copy (maps created with BTF) */
static void p_nr_fields_0(struct file *f) { H_(f)->nr_fields = 0; }
static void p_nr_fields_big(struct file *f) { H_(f)->nr_fields = EMU_MAP_FIELDS_MAX + 1; }
static void p_field_offset(struct file *f) { H_(f)->fields[0].offset = 100; }
static void p_field_type(struct file *f) { H_(f)->fields[0].type = 3; }
static void p_fields_order(struct file *f)
{
	struct emu_map_field t = H_(f)->fields[0];

	H_(f)->fields[0] = H_(f)->fields[1];
	H_(f)->fields[1] = t;
}
static void p_nr_locks(struct file *f) { H_(f)->nr_locks = 0; }
static void p_field_mask(struct file *f) { H_(f)->field_mask |= 1u << 5; }
static void p_spin_lock_off(struct file *f) { H_(f)->spin_lock_off = 0; }
static void p_btf_id_0(struct file *f) { H_(f)->btf_id = 0; }
static void p_btf_size(struct file *f) { H_(f)->btf_size += 64; }
static void p_btf_off(struct file *f) { H_(f)->btf_off += 64; }
static void p_btf_type_no_btf(struct file *f) { H_(f)->btf_key_type_id = 1; }
static void p_btf_vmlinux(struct file *f) { H_(f)->btf_vmlinux_value_type_id = 1; }
/* a field that is sound in itself on a map created without BTF */
static void p_fields_no_btf(struct file *f)
{
	H_(f)->nr_fields = 1;
	H_(f)->fields[0] = (struct emu_map_field){ .offset = 0, .size = 4, .type = 1 /* spin lock */, .is_lock = 1 };
	H_(f)->nr_locks = 1;
	H_(f)->field_mask = 1;
	H_(f)->spin_lock_off = 0;
}
/* a dead BPF_F_LOCK copier's record naming no spin lock */
static void p_spin_held(struct file *f)
{
	p_lock_owner_died(f);
	H_(f)->spin_held = 8;
}
/* every value's spin lock word: a value no taker writes */
static struct file *cur;
static void bad_lock_word(struct htab_elem *e, uint32_t self)
{
	(void)self;
	memcpy((char *)e + HP(cur)->value_off + H_(cur)->spin_lock_off, &(uint32_t){ 7 }, 4);
}
static void p_hash_lock_words(struct file *f)
{
	cur = f;
	for_linked(f, bad_lock_word);
}
static void p_array_lock_words(struct file *f)
{
	for (uint32_t i = 0; i < H_(f)->max_entries; i++)
		memcpy(at(f, AP(f)->values_off + (uint64_t)i * AP(f)->stride + H_(f)->spin_lock_off), &(uint32_t){ 7 }, 4);
}
/* arrays */
static void p_stride(struct file *f) { AP(f)->stride += 8; }
static void p_values_off(struct file *f) { AP(f)->values_off += 64; }
/* queue/stack */
static void p_qs_size(struct file *f) { QP(f)->size += 1; }
static void p_qs_data_off(struct file *f) { QP(f)->data_off += 8; }
static void p_qs_head(struct file *f) { QP(f)->head = 1000; }
static void p_qs_tail(struct file *f) { QP(f)->tail = 0xffffffffu; }

/* ---- the next call ---- */

enum call {
	C_LOOKUP,   /* key 0 (hash, array) or a peek (queue/stack) */
	C_LOOKUPS,  /* keys 0-15: the first errno but ENOENT's, else 0 */
	C_UPDATE,   /* a new key (or index 1; a push) */
	C_INSERTS,  /* new keys until one fails (at most 64): that errno */
	C_WALK,     /* GET_NEXT_KEY from the first key to an error: that errno */
	C_MISSES,   /* 64 lookups of absent keys: EUCLEAN if any answered so, else their ENOENT */
	C_POP,
	C_LOCKED,   /* BPF_F_LOCK lookups of keys 0-15: the first errno but ENOENT's, else 0 */
};

static int call_errno(long r) { return r < 0 ? errno : 0; }

static int do_call(int fd, const struct mf_shape *s, enum call c)
{
	unsigned char key[64], next[64], val[4096];
	int err = 0;

	memset(val, 0x3c, sizeof(val));
	mf_key(key, s->key_size, 0);
	switch (c) {
	case C_LOOKUP:
		return call_errno(lookup(fd, s->key_size ? key : NULL, val, 0));
	case C_LOOKUPS:
		for (uint32_t i = 0; i < 16 && (!err || err == ENOENT); i++) {
			mf_key(key, s->key_size, i);
			err = call_errno(lookup(fd, key, val, 0));
		}
		return err == ENOENT ? 0 : err;
	case C_UPDATE:
		mf_key(key, s->key_size, s->type == EMU_MAP_ARRAY || s->type == EMU_MAP_PERCPU_ARRAY ? 1 : 5000);
		return call_errno(update(fd, s->key_size ? key : NULL, val, 0));
	case C_INSERTS:
		for (uint32_t i = 0; i < 64 && !err; i++) {
			mf_key(key, s->key_size, 6000 + i);
			err = call_errno(update(fd, key, val, 0));
		}
		return err;
	case C_WALK:
		err = call_errno(next_key(fd, NULL, next));
		for (uint32_t i = 0; i < 1000 && !err; i++) {
			memcpy(key, next, s->key_size);
			err = call_errno(next_key(fd, key, next));
		}
		return err;
	case C_MISSES:
		for (uint32_t i = 0; i < 64; i++) {
			int e;

			mf_key(key, s->key_size, 7000 + i);
			e = call_errno(lookup(fd, key, val, 0));
			if (e == EUCLEAN || !err)
				err = e;
		}
		return err;
	case C_POP:
		return call_errno(lookup_del(fd, NULL, val, 0));
	case C_LOCKED:
		for (uint32_t i = 0; i < 16 && (!err || err == ENOENT); i++) {
			mf_key(key, s->key_size, i);
			err = call_errno(lookup(fd, key, val, EMU_F_LOCK));
		}
		return err == ENOENT ? 0 : err;
	}
	return -1;
}

/* ---- the cases ---- */

struct fcase {
	const char *name;
	const char *shape;
	poke_fn *poke;
	enum call call;
	int call_err;      /* errno of the call, 0: it works */
	int check_err;     /* bpfemu_map_check's errno, 0: it passes */
	const char *diag;  /* what the diagnostic must name (NULL: none expected) */
};

#define REFUSED(name, shape, poke, field) { name, shape, poke, C_LOOKUP, EINVAL, EINVAL, field }

static const struct fcase cases[] = {
	/* header: every field */
	{ "magic", "hash", p_magic, C_LOOKUP, EINVAL, EINVAL, NULL }, /* no map file: not ours */
	REFUSED("layout_version", "hash", p_version, "layout_version"),
	REFUSED("hdr_size", "hash", p_hdr_size, "hdr_size"),
	REFUSED("file_size", "hash", p_file_size, "file_size"),
	REFUSED("map_type (not emulated)", "hash", p_type_none, "map_type"),
	REFUSED("map_type (another layout)", "hash", p_type_other, "key_size, value_size, max_entries or map_flags"),
	REFUSED("key_size", "hash", p_key_size, "file_size"),
	REFUSED("key_size 0", "hash", p_key_size_0, "key_size, value_size, max_entries or map_flags"),
	REFUSED("value_size", "hash", p_value_size, "file_size"),
	REFUSED("max_entries", "hash", p_max_entries, "file_size"),
	REFUSED("map_flags", "hash", p_map_flags, "map_flags"),
	REFUSED("map_flags (an fd's mode)", "array", p_map_flags_rdonly, "map_flags"),
	REFUSED("nr_cpus 0", "percpu_hash", p_nr_cpus_0, "nr_cpus"),
	REFUSED("nr_cpus", "percpu_array", p_nr_cpus_big, "nr_cpus"),
	REFUSED("map_extra", "hash", p_map_extra, "map_extra"),
	REFUSED("name (after its NUL)", "hash", p_name_tail, "name"),
	REFUSED("name (a character)", "queue", p_name_char, "name"),
	REFUSED("id", "hash", p_id, "id"),
	REFUSED("frozen", "array", p_frozen, "frozen"),
	REFUSED("restricted_fds", "hash", p_restricted, "restricted_fds"),
	REFUSED("hash_seed (BPF_F_ZERO_SEED)", "hash_zeroseed", p_hash_seed, "hash_seed"),
	REFUSED("memlock", "stack", p_memlock, "memlock"),
	REFUSED("priv_off", "hash", p_priv_off, "priv_off"),
	REFUSED("redo_off", "array_v24", p_redo_off, "redo_off"),
	REFUSED("inplace_off", "hash_v24", p_inplace_off, "inplace_off"),
	REFUSED("inplace_stage", "hash_v24", p_inplace_stage, "inplace_stage"),
	REFUSED("lock (kind)", "hash", p_lock_kind, "lock"),
	{ "lock (held by no thread)", "hash", p_lock_no_tid, C_UPDATE, EUCLEAN, EUCLEAN, "lock" },
	{ "lock (waiters, no owner)", "queue", p_lock_waiters, C_UPDATE, EUCLEAN, EUCLEAN, "lock" },
	{ "lock (held by this thread)", "array_v24", p_lock_self, C_UPDATE, EUCLEAN, EUCLEAN, "lock" },
	/* the owner field glibc writes anew at each lock: any value at rest is overwritten */
	{ "lock (owner field)", "lru_hash", p_lock_unrecoverable, C_UPDATE, 0, 0, NULL },
	/* a holder that died: the recovery path, which takes any prefix of a sound writer's work */
	{ "lock (owner died)", "hash", p_lock_owner_died, C_UPDATE, 0, 0, NULL },
	{ "write_seq (odd)", "hash", p_write_seq, C_LOOKUPS, 0, 0, NULL },
	REFUSED("inplace_used", "hash_v24", p_inplace_used, "inplace_used"),
	{ "recoveries", "array", p_recoveries, C_UPDATE, 0, 0, NULL },
	{ "redo_dst (no value)", "array_v24", p_redo_dst_bad, C_UPDATE, 0, 0, "redo record" },
	{ "redo_len", "array_v24", p_redo_len_bad, C_UPDATE, 0, 0, "redo record" },
	{ "redo_dst (open, no dead holder)", "array_v24", p_redo_open, C_LOOKUP, 0, EUCLEAN, "redo record" },
	/* writer slots */
	REFUSED("writer slot lock (kind)", "hash_v24", p_slot_kind, "writer slot lock"),
	{ "writer slot lock (held by no thread)", "hash_v24", p_slot_no_tid, C_UPDATE, 0, EUCLEAN, "writer slot lock" },
	{ "writer slot record", "percpu_hash", p_slot_record, C_UPDATE, 0, 0, "writer slot record" },
	/* hash family: geometry */
	REFUSED("hash n_buckets", "hash", p_n_buckets, "hash n_buckets"),
	REFUSED("hash elem_size", "percpu_hash", p_elem_size, "hash elem_size"),
	REFUSED("hash nr_elems", "hash_noprealloc", p_nr_elems, "hash nr_elems"),
	REFUSED("hash value_off", "hash", p_value_off, "hash value_off"),
	REFUSED("hash buckets_off", "lru_hash", p_buckets_off, "hash buckets_off"),
	REFUSED("hash elems_off", "hash", p_elems_off, "hash elems_off"),
	REFUSED("hash lru_off", "lru_percpu_hash", p_lru_off, "hash lru_off"),
	/* hash family: state and each kind of list */
	{ "hash count (too high)", "hash", p_count, C_UPDATE, EUCLEAN, EUCLEAN, "hash count" },
	{ "hash count (too low)", "hash", p_count_low, C_LOOKUPS, 0, EUCLEAN, "hash count" },
	{ "hash next_unused", "hash_light", p_next_unused, C_UPDATE, EUCLEAN, EUCLEAN, "hash next_unused" },
	{ "hash free_head", "hash", p_free_head, C_UPDATE, EUCLEAN, EUCLEAN, "hash free list" },
	{ "hash free list link", "hash", p_free_link, C_INSERTS, EUCLEAN, EUCLEAN, "hash free list" },
	{ "hash free element marked linked", "hash_noprealloc", p_free_linked, C_UPDATE, EUCLEAN, EUCLEAN,
	  "hash free list" },
	{ "hash bucket heads", "hash", p_bucket_heads, C_LOOKUP, EUCLEAN, EUCLEAN, "hash bucket list" },
	{ "hash bucket list links", "percpu_hash", p_bucket_links, C_WALK, EUCLEAN, EUCLEAN, "hash bucket list" },
	{ "hash bucket list cycles", "hash_zeroseed", p_bucket_cycles, C_MISSES, EUCLEAN, EUCLEAN, "hash bucket list" },
	{ "hash element hash", "hash", p_elem_hash, C_LOOKUP, ENOENT, EUCLEAN, "hash element hash" },
	{ "LRU bucket list links", "lru_hash", p_bucket_links, C_WALK, EUCLEAN, EUCLEAN, "hash bucket list" },
	/* LRU lists */
	REFUSED("LRU state magic", "lru_hash", p_lru_magic, "LRU state magic"),
	REFUSED("LRU state nr_elems", "lru_hash_nocommon", p_lru_nr_elems, "LRU state shape"),
	REFUSED("LRU state target_free", "lru_percpu_hash", p_lru_target, "LRU state batch"),
	{ "LRU node links", "lru_hash", p_lru_node_links, C_INSERTS, EUCLEAN, EUCLEAN, "LRU list" },
	{ "LRU node links (per-CPU lists)", "lru_hash_nocommon", p_lru_node_links, C_INSERTS, EUCLEAN, EUCLEAN,
	  "LRU list" },
	{ "LRU free list head", "lru_percpu_hash", p_lru_free_head, C_INSERTS, EUCLEAN, EUCLEAN, "LRU list" },
	{ "LRU free list head (per-CPU lists)", "lru_hash_nocommon", p_lru_free_head, C_INSERTS, EUCLEAN, EUCLEAN,
	  "LRU list" },
	{ "LRU count", "lru_hash", p_lru_count, C_UPDATE, 0, EUCLEAN, "LRU list" },
	/* the value's special fields and the map's BTF */
	REFUSED("nr_fields 0", "hash_spin_lock", p_nr_fields_0, "fields"),
	REFUSED("nr_fields", "hash_spin_lock", p_nr_fields_big, "nr_fields"),
	REFUSED("field offset", "hash_spin_lock", p_field_offset, "fields"),
	REFUSED("field type", "array_timer_lock", p_field_type, "fields"),
	REFUSED("fields out of order", "array_timer_lock", p_fields_order, "fields"),
	REFUSED("nr_locks", "array_timer_lock", p_nr_locks, "nr_locks"),
	REFUSED("nr_locks (a hash map's layout)", "hash_spin_lock", p_nr_locks, "file_size"),
	REFUSED("field_mask", "array_timer_lock", p_field_mask, "field_mask"),
	REFUSED("spin_lock_off", "hash_spin_lock", p_spin_lock_off, "spin_lock_off"),
	REFUSED("fields without BTF", "array", p_fields_no_btf, "nr_fields"),
	REFUSED("btf_id", "hash_spin_lock", p_btf_id_0, "file_size"),
	REFUSED("btf_size", "array_timer_lock", p_btf_size, "file_size"),
	REFUSED("btf_off", "hash_spin_lock", p_btf_off, "btf_off"),
	REFUSED("BTF type ids without BTF", "array", p_btf_type_no_btf, "btf_id"),
	REFUSED("btf_vmlinux_value_type_id", "hash_spin_lock", p_btf_vmlinux, "btf_vmlinux_value_type_id"),
	{ "spin_held", "hash_spin_lock", p_spin_held, C_UPDATE, 0, 0, "spin_held" },
	{ "value spin lock words (hash)", "hash_spin_lock", p_hash_lock_words, C_LOCKED, EUCLEAN, EUCLEAN,
	  "value spin lock" },
	{ "value spin lock words (array)", "array_timer_lock", p_array_lock_words, C_LOCKED, EUCLEAN, EUCLEAN,
	  "value spin lock" },
	/* arrays */
	REFUSED("array stride", "array", p_stride, "array stride"),
	REFUSED("array stride (per-CPU)", "percpu_array", p_stride, "array stride"),
	REFUSED("array values_off", "array_mmapable", p_values_off, "array values_off"),
	/* queue/stack: the ring */
	REFUSED("queue size", "queue", p_qs_size, "queue size"),
	REFUSED("queue data_off", "stack", p_qs_data_off, "queue data_off"),
	{ "queue head", "queue", p_qs_head, C_UPDATE, EUCLEAN, EUCLEAN, "queue head or tail" },
	{ "queue tail", "queue", p_qs_tail, C_POP, EUCLEAN, EUCLEAN, "queue head or tail" },
	{ "stack head", "stack", p_qs_head, C_POP, EUCLEAN, EUCLEAN, "queue head or tail" },
};
#define NR_CASES (int)(sizeof(cases) / sizeof(cases[0]))

/* stderr into a file while the case runs: the diagnostics it printed */
static int diag_begin(int *saved)
{
	int fd = memfd_create("diag", MFD_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	*saved = dup(2);
	dup2(fd, 2);
	return fd;
}

static char *diag_end(int fd, int saved)
{
	static char text[8192];
	ssize_t n;

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, text, sizeof(text) - 1, 0);
	text[n > 0 ? n : 0] = 0;
	close(fd);
	return text;
}

START_TEST(corrupted_field)
{
	const struct fcase *c = &cases[_i];
	struct file f;
	int fd, cap, saved, call_err, check_err, check_again;
	char *diag;

	make_file(&f, c->shape);
	check_mirrors(&f);
	c->poke(&f);
	cap = diag_begin(&saved);
	fd = mf_open(f.b, f.len, false, NULL);
	ck_assert_int_ge(fd, 0);
	call_err = do_call(fd, f.s, c->call);
	check_err = bpfemu_map_check(fd) ? errno : 0;
	check_again = bpfemu_map_check(fd) ? errno : 0;
	diag = diag_end(cap, saved);
	close(fd);
	fprintf(stderr, "%-40s call %-7s check %-7s | %s", c->name, call_err ? errname(call_err) : "0",
		check_err ? errname(check_err) : "0", *diag ? diag : "(no diagnostic)\n");
	ck_assert_msg(call_err == c->call_err, "%s: the call answered %s, want %s", c->name, errname(call_err),
		      errname(c->call_err));
	ck_assert_msg(check_err == c->check_err, "%s: bpfemu_map_check answered %s, want %s", c->name,
		      errname(check_err), errname(c->check_err));
	ck_assert_msg(check_again == c->check_err, "%s: a second check answered %s", c->name, errname(check_again));
	if (c->diag)
		ck_assert_msg(strstr(diag, c->diag) && strstr(diag, c->call_err == EINVAL ? "refused" : "damaged"),
			      "%s: the diagnostic does not name \"%s\": %s", c->name, c->diag, diag);
	else if (c->call_err == EINVAL)
		ck_assert_msg(!*diag, "%s: a file that is no map file gets no diagnostic: %s", c->name, diag);
	free(f.b);
}
END_TEST

/* The same files by BPF_OBJ_GET: a pin is refused or damaged alike. */
START_TEST(corrupted_pin)
{
	struct file f;
	int fd, cap, saved;
	char *diag;

	make_file(&f, "hash");
	p_n_buckets(&f);
	cap = diag_begin(&saved);
	fd = mf_open(f.b, f.len, true, "corrupt-pin");
	diag = diag_end(cap, saved);
	/* BPF_OBJ_GET opens any file of ours; the first use refuses it */
	if (fd >= 0) {
		unsigned char key[8] = { 0 }, val[8];

		cap = diag_begin(&saved);
		ERR(lookup(fd, key, val, 0), EINVAL);
		diag = diag_end(cap, saved);
		close(fd);
	} else {
		ck_assert_int_eq(-fd, EINVAL);
	}
	ck_assert_msg(strstr(diag, "hash n_buckets"), "diagnostic: %s", diag);
	free(f.b);
}
END_TEST

/* A pristine file of every shape, reopened from its bytes: adopted, used, and consistent. */
START_TEST(pristine_files_pass)
{
	const struct mf_shape *s = &mf_shapes[_i];
	struct mf_result r;
	struct file f;
	int fd;

	make_file(&f, s->name);
	check_mirrors(&f);
	fd = mf_open(f.b, f.len, _i % 2, "pristine");
	ck_assert_int_ge(fd, 0);
	mf_exercise(fd, &r);
	ck_assert_msg(!r.info_err && !r.check_first && !r.check_last && !r.euclean,
		      "%s: info %d, check %d/%d, %u EUCLEAN of %u calls", s->name, r.info_err, r.check_first,
		      r.check_last, r.euclean, r.calls);
	close(fd);
	free(f.b);
}
END_TEST

int main(void)
{
	Suite *s;
	TCase *tc;

	if (unit_kernel()) {
		printf("SKIP test_mapfile: map files are the emulator's own (emulator-only)\n");
		return 77;
	}
	s = suite_create("mapfile");
	unit_init("2");
	if (!mf_private_state()) {
		perror("test_mapfile: state directory");
		return 1;
	}
	tc = tcase_create("mapfile");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, pristine_files_pass, 0, (int)mf_nr_shapes);
	tcase_add_loop_test(tc, corrupted_field, 0, NR_CASES);
	tcase_add_test(tc, corrupted_pin);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
