/* SPDX-License-Identifier: MIT */
/*
 * The BTF module on hand-built blobs: one valid blob and one blob per class of fault, each with
 * the errno and the last log line the kernel gives (BPF_BTF_LOAD, log level 1), the query
 * functions, the special-field scan, and the map key/value BTF check of map_create.
 *
 * With BPFEMU_UNIT_KERNEL=1 the load and map cases go to the kernel instead (bpf(18) and
 * BPF_MAP_CREATE with the loaded BTF), proving the expectations are the kernel's; the cases of
 * the module's own query API are left out there.
 */
#include "unit.h"

#include "../../emu/btf/btf.h"


static bool kernel_mode(void)
{
	const char *e = getenv("BPFEMU_UNIT_KERNEL");

	return e && !strcmp(e, "1");
}

/* ---- blobs ---- */

struct builder {
	unsigned char types[2048];
	uint32_t tlen;
	char strs[512];
	uint32_t slen;
};

static void b_init(struct builder *b)
{
	memset(b, 0, sizeof(*b));
	b->slen = 1;
}

static uint32_t b_str(struct builder *b, const char *s)
{
	uint32_t off = b->slen;

	memcpy(b->strs + b->slen, s, strlen(s) + 1);
	b->slen += (uint32_t)strlen(s) + 1;
	return off;
}

static void b_u32(struct builder *b, uint32_t v)
{
	memcpy(b->types + b->tlen, &v, 4);
	b->tlen += 4;
}

static void b_type(struct builder *b, const char *name, uint32_t kind, uint32_t kflag, uint32_t vlen, uint32_t st)
{
	b_u32(b, name ? b_str(b, name) : 0);
	b_u32(b, EMU_BTF_INFO(kind, kflag, vlen));
	b_u32(b, st);
}

static void b_int(struct builder *b, const char *name, uint32_t size, uint32_t enc_bits)
{
	b_type(b, name, EMU_BTF_KIND_INT, 0, 0, size);
	b_u32(b, enc_bits);
}

static void b_member(struct builder *b, const char *name, uint32_t type, uint32_t off)
{
	b_u32(b, name ? b_str(b, name) : 0);
	b_u32(b, type);
	b_u32(b, off);
}

static uint32_t b_finish(struct builder *b, unsigned char *out)
{
	struct emu_btf_header h = { EMU_BTF_MAGIC, 1, 0, 24, 0, b->tlen, b->tlen, b->slen };

	memcpy(out, &h, 24);
	memcpy(out + 24, b->types, b->tlen);
	memcpy(out + 24 + b->tlen, b->strs, b->slen);
	return 24 + b->tlen + b->slen;
}

/* ---- loading, on either side ---- */

struct loaded {
	int err;      /* 0 or the errno */
	int fd;       /* kernel mode */
	struct emu_btf *btf; /* emulator mode */
	char log[16384];
	uint32_t true_size;
};

static void load(const unsigned char *blob, uint32_t n, uint32_t level, struct loaded *l)
{
	unsigned char attr[48];
	uint64_t p = (uint64_t)(uintptr_t)blob, lp = (uint64_t)(uintptr_t)l->log;
	uint32_t ls = sizeof(l->log);

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	memset(attr, 0, sizeof(attr));
	memcpy(attr, &p, 8);
	memcpy(attr + 16, &n, 4);
	if (level) {
		memcpy(attr + 8, &lp, 8);
		memcpy(attr + 20, &ls, 4);
		memcpy(attr + 24, &level, 4);
	}
	if (kernel_mode()) {
		long r = syscall(__NR_bpf, 18, attr, sizeof(attr));

		l->err = r < 0 ? errno : 0;
		l->fd = (int)r;
	} else {
		unsigned char k[48];

		memcpy(k, attr, sizeof(k));
		l->err = -emu_btf_load_attr(k, attr, sizeof(attr), &l->btf);
	}
	memcpy(&l->true_size, attr + 28, 4);
}

static void unload(struct loaded *l)
{
	if (l->fd >= 0)
		close(l->fd);
	emu_btf_free(l->btf);
	l->btf = NULL;
	l->fd = -1;
}

static const char *last_line(const char *log)
{
	static char line[256];
	size_t n = strlen(log), s;

	while (n && log[n - 1] == '\n')
		n--;
	s = n;
	while (s && log[s - 1] != '\n')
		s--;
	snprintf(line, sizeof(line), "%.*s", (int)(n - s), log + s);
	return line;
}

/* ---- a valid blob ---- */

/* [1] int [2] struct s {int a; int *p; char c[3];} [3] ptr [4] array [5] char */
static uint32_t valid_blob(unsigned char *out)
{
	struct builder b;

	b_init(&b);
	b_int(&b, "int", 4, (EMU_BTF_INT_SIGNED << 24) | 32);
	b_type(&b, "s", EMU_BTF_KIND_STRUCT, 0, 3, 24);
	b_member(&b, "a", 1, 0);
	b_member(&b, "p", 3, 64);
	b_member(&b, "c", 4, 128);
	b_type(&b, NULL, EMU_BTF_KIND_PTR, 0, 0, 1);
	b_type(&b, NULL, EMU_BTF_KIND_ARRAY, 0, 0, 0);
	b_u32(&b, 5);
	b_u32(&b, 1);
	b_u32(&b, 3);
	b_int(&b, "char", 1, (EMU_BTF_INT_CHAR << 24) | 8);
	return b_finish(&b, out);
}

START_TEST(valid_loads_with_log)
{
	unsigned char blob[1024];
	uint32_t n = valid_blob(blob);
	struct loaded l;
	const char *want =
		"magic: 0xeb9f\nversion: 1\nflags: 0x0\nhdr_len: 24\ntype_off: 0\ntype_len: 116\nstr_off: 116\n"
		"str_len: 18\nbtf_total_size: 158\n"
		"[1] INT int size=4 bits_offset=0 nr_bits=32 encoding=SIGNED\n"
		"[2] STRUCT s size=24 vlen=3\n\ta type_id=1 bits_offset=0\n\tp type_id=3 bits_offset=64\n"
		"\tc type_id=4 bits_offset=128\n"
		"[3] PTR (anon) type_id=1\n[4] ARRAY (anon) type_id=5 index_type_id=1 nr_elems=3\n"
		"[5] INT char size=1 bits_offset=0 nr_bits=8 encoding=CHAR\n";

	load(blob, n, 1, &l);
	ck_assert_int_eq(l.err, 0);
	ck_assert_str_eq(l.log, want);
	ck_assert_uint_eq(l.true_size, strlen(want) + 1);
	unload(&l);
}
END_TEST

/* ---- one blob per fault class ---- */

struct fault_case {
	const char *name;
	void (*build)(struct builder *b);
	void (*patch)(unsigned char *blob, uint32_t *n); /* after b_finish, or NULL */
	int err;
	const char *last; /* the log's last line */
};

static void one_int(struct builder *b) { b_int(b, "int", 4, 32); }
static void p_magic(unsigned char *p, uint32_t *n) { (void)n; p[0] = 0xeb; p[1] = 0x9f; }
static void p_version(unsigned char *p, uint32_t *n) { (void)n; p[2] = 2; }
static void p_flags(unsigned char *p, uint32_t *n) { (void)n; p[3] = 1; }
static void p_long_hdr(unsigned char *p, uint32_t *n)
{
	/* a 32-byte header whose tail is not zero */
	memmove(p + 32, p + 24, *n - 24);
	memset(p + 24, 0, 8);
	p[30] = 1;
	p[4] = 32;
	*n += 8;
}
static void p_long_hdr_ok(unsigned char *p, uint32_t *n)
{
	memmove(p + 32, p + 24, *n - 24);
	memset(p + 24, 0, 8);
	p[4] = 32;
	*n += 8;
}
static void p_str_first(unsigned char *p, uint32_t *n)
{
	uint32_t tl, sl;

	memcpy(&tl, p + 12, 4);
	memcpy(&sl, p + 20, 4);
	p[24 + tl] = 'x'; /* the string section must start with a NUL */
	(void)n;
	(void)sl;
}
static void p_gap(unsigned char *p, uint32_t *n)
{
	uint32_t so;

	memcpy(&so, p + 16, 4);
	so += 4;
	memcpy(p + 16, &so, 4);
	*n += 4;
}
static void int_vlen(struct builder *b) { b_type(b, "int", EMU_BTF_KIND_INT, 0, 1, 4); b_u32(b, 32); }
static void int_bits(struct builder *b) { b_int(b, "int", 4, 33); }
static void int_enc(struct builder *b) { b_int(b, "int", 4, (3u << 24) | 32); }
static void struct_loop(struct builder *b)
{
	b_type(b, "a", EMU_BTF_KIND_STRUCT, 0, 1, 4);
	b_member(b, "b", 2, 0);
	b_type(b, "b", EMU_BTF_KIND_STRUCT, 0, 1, 4);
	b_member(b, "a", 1, 0);
}
static void ptr_loop(struct builder *b)
{
	b_type(b, NULL, EMU_BTF_KIND_PTR, 0, 0, 2);
	b_type(b, NULL, EMU_BTF_KIND_CONST, 0, 0, 1);
}
static void array_void(struct builder *b)
{
	b_int(b, "int", 4, 32);
	b_type(b, NULL, EMU_BTF_KIND_ARRAY, 0, 0, 0);
	b_u32(b, 0);
	b_u32(b, 1);
	b_u32(b, 2);
}
static void member_offset(struct builder *b)
{
	b_int(b, "int", 4, 32);
	b_type(b, "s", EMU_BTF_KIND_STRUCT, 0, 2, 8);
	b_member(b, "a", 1, 32);
	b_member(b, "b", 1, 0);
}
static void member_size(struct builder *b)
{
	b_int(b, "int", 4, 32);
	b_type(b, "s", EMU_BTF_KIND_STRUCT, 0, 1, 6);
	b_member(b, "a", 1, 32);
}
static void bad_name(struct builder *b)
{
	b_int(b, "in-t", 4, 32); /* not checked for an INT */
	b_type(b, "my-int", EMU_BTF_KIND_TYPEDEF, 0, 0, 1);
}
static void func_extern(struct builder *b)
{
	b_type(b, NULL, EMU_BTF_KIND_FUNC_PROTO, 0, 0, 0);
	b_type(b, "f", EMU_BTF_KIND_FUNC, 0, EMU_BTF_FUNC_EXTERN, 1);
}
static void var_extern(struct builder *b)
{
	b_int(b, "int", 4, 32);
	b_type(b, "v", EMU_BTF_KIND_VAR, 0, 0, 1);
	b_u32(b, EMU_BTF_VAR_GLOBAL_EXTERN);
}
static void datasec_zero(struct builder *b)
{
	b_int(b, "int", 4, 32);
	b_type(b, "v", EMU_BTF_KIND_VAR, 0, 0, 1);
	b_u32(b, 1);
	b_type(b, ".bss", EMU_BTF_KIND_DATASEC, 0, 1, 0);
	b_u32(b, 2);
	b_u32(b, 0);
	b_u32(b, 4);
}
static void decl_tag_idx(struct builder *b)
{
	b_int(b, "int", 4, 32);
	b_type(b, "s", EMU_BTF_KIND_STRUCT, 0, 1, 4);
	b_member(b, "a", 1, 0);
	b_type(b, "tag", EMU_BTF_KIND_DECL_TAG, 0, 0, 2);
	b_u32(b, 1);
}
static void tag_after_const(struct builder *b)
{
	b_int(b, "int", 4, 32);
	b_type(b, NULL, EMU_BTF_KIND_CONST, 0, 0, 3);
	b_type(b, "t", EMU_BTF_KIND_TYPE_TAG, 0, 0, 1);
}
static void float_size(struct builder *b) { b_type(b, "f", EMU_BTF_KIND_FLOAT, 0, 0, 3); }
static void enum_size(struct builder *b) { b_type(b, "e", EMU_BTF_KIND_ENUM, 0, 0, 3); }
static void two_locks(struct builder *b)
{
	b_int(b, "int", 4, 32);
	b_type(b, "bpf_spin_lock", EMU_BTF_KIND_STRUCT, 0, 1, 4);
	b_member(b, "val", 1, 0);
	b_type(b, "v", EMU_BTF_KIND_STRUCT, 0, 2, 8);
	b_member(b, "a", 2, 0);
	b_member(b, "b", 2, 32);
}
static void meta_short(struct builder *b) { b_type(b, "int", EMU_BTF_KIND_INT, 0, 0, 4); }

static const struct fault_case faults[] = {
	{ "valid, longer header with zero tail", one_int, p_long_hdr_ok, 0, "[1] INT int size=4 bits_offset=0 nr_bits=32 encoding=(none)" },
	{ "magic", one_int, p_magic, EINVAL, "Invalid magic" },
	{ "version", one_int, p_version, EMU_ENOTSUPP, "Unsupported version" },
	{ "flags", one_int, p_flags, EMU_ENOTSUPP, "Unsupported flags" },
	{ "header tail not zero", one_int, p_long_hdr, E2BIG, "Unsupported btf_header" },
	{ "string section first byte", one_int, p_str_first, EINVAL, "Invalid string section" },
	{ "gap before strings", one_int, p_gap, EINVAL, "Unsupported section found" },
	{ "int vlen", int_vlen, NULL, EINVAL, "[1] INT int size=4 bits_offset=0 nr_bits=32 encoding=(none) vlen != 0" },
	{ "int bits", int_bits, NULL, EINVAL, "[1] INT int size=4 bits_offset=0 nr_bits=33 encoding=(none) nr_bits exceeds type_size" },
	{ "int encoding", int_enc, NULL, EMU_ENOTSUPP, "[1] INT int size=4 bits_offset=0 nr_bits=32 encoding=UNKN Unsupported encoding" },
	{ "meta short", meta_short, NULL, EINVAL, "[1] INT int meta_left:0 meta_needed:4" },
	{ "struct loop", struct_loop, NULL, EEXIST, "[1] STRUCT a size=4 vlen=1 Loop detected" },
	{ "ptr loop", ptr_loop, NULL, EEXIST, "[1] PTR (anon) type_id=2 Loop detected" },
	{ "array of void", array_void, NULL, EINVAL, "[2] ARRAY (anon) type_id=0 index_type_id=1 nr_elems=2 Invalid elem" },
	{ "member offsets decrease", member_offset, NULL, EINVAL, "\tb type_id=1 bits_offset=0 Invalid member bits_offset" },
	{ "member past the end", member_size, NULL, EINVAL, "\ta type_id=1 bits_offset=32 Member exceeds struct_size" },
	{ "name", bad_name, NULL, EINVAL, "[2] TYPEDEF my-int type_id=1 Invalid name" },
	{ "func extern", func_extern, NULL, EINVAL, "[2] FUNC f type_id=1 Invalid func linkage" },
	{ "var extern", var_extern, NULL, EINVAL, "[2] VAR v type_id=1 linkage=2 Linkage not supported" },
	{ "datasec size 0", datasec_zero, NULL, EINVAL, "[3] DATASEC .bss size=0 vlen=1 size == 0" },
	{ "decl tag index", decl_tag_idx, NULL, EINVAL, "[3] DECL_TAG tag type=2 component_idx=1 Invalid component_idx" },
	{ "type tag after const", tag_after_const, NULL, EINVAL, "Type tags don't precede modifiers" },
	{ "float size", float_size, NULL, EINVAL, "[1] FLOAT f size=3 Invalid type_size" },
	{ "enum size", enum_size, NULL, EINVAL, "[1] ENUM e size=3 vlen=0 Unexpected size" },
	{ "two spin locks in a struct", two_locks, NULL, E2BIG, "\tb type_id=2 bits_offset=32" },
};

START_TEST(fault_classes)
{
	const struct fault_case *f = &faults[_i];
	unsigned char blob[4096];
	struct builder b;
	struct loaded l;
	uint32_t n;

	b_init(&b);
	f->build(&b);
	n = b_finish(&b, blob);
	if (f->patch)
		f->patch(blob, &n);
	load(blob, n, 1, &l);
	if (l.err != f->err || strcmp(last_line(l.log), f->last))
		printf("%s: errno %d (want %d), last line \"%s\" (want \"%s\")\n", f->name, l.err, f->err,
		       last_line(l.log), f->last);
	ck_assert_int_eq(l.err, f->err);
	ck_assert_str_eq(last_line(l.log), f->last);
	unload(&l);
}
END_TEST

/* ---- the query API (emulator only) ---- */

/* [1] int [2] typedef t -> 3 [3] const -> 4 [4] struct s {int a; int b[4];} [5] array int[4]
 * [6] struct bpf_spin_lock [7] struct v {lock; int x; struct o kptr *p} [8] struct o [9] tag
 * kptr -> 8 [10] ptr -> 9 [11] struct v2 { struct bpf_timer t; } [12] struct bpf_timer */
static uint32_t query_blob(unsigned char *out)
{
	struct builder b;

	b_init(&b);
	b_int(&b, "int", 4, (EMU_BTF_INT_SIGNED << 24) | 32);     /* 1 */
	b_type(&b, "t", EMU_BTF_KIND_TYPEDEF, 0, 0, 3);           /* 2 */
	b_type(&b, NULL, EMU_BTF_KIND_CONST, 0, 0, 4);            /* 3 */
	b_type(&b, "s", EMU_BTF_KIND_STRUCT, 0, 2, 20);           /* 4 */
	b_member(&b, "a", 1, 0);
	b_member(&b, "b", 5, 32);
	b_type(&b, NULL, EMU_BTF_KIND_ARRAY, 0, 0, 0);            /* 5 */
	b_u32(&b, 1);
	b_u32(&b, 1);
	b_u32(&b, 4);
	b_type(&b, "bpf_spin_lock", EMU_BTF_KIND_STRUCT, 0, 1, 4); /* 6 */
	b_member(&b, "val", 1, 0);
	b_type(&b, "v", EMU_BTF_KIND_STRUCT, 0, 3, 16);           /* 7 */
	b_member(&b, "lock", 6, 0);
	b_member(&b, "x", 1, 32);
	b_member(&b, "p", 10, 64);
	b_type(&b, "o", EMU_BTF_KIND_STRUCT, 0, 1, 4);            /* 8 */
	b_member(&b, "y", 1, 0);
	b_type(&b, "kptr", EMU_BTF_KIND_TYPE_TAG, 0, 0, 8);       /* 9 */
	b_type(&b, NULL, EMU_BTF_KIND_PTR, 0, 0, 9);              /* 10 */
	b_type(&b, "v2", EMU_BTF_KIND_STRUCT, 0, 1, 16);          /* 11 */
	b_member(&b, "t", 12, 0);
	b_type(&b, "bpf_timer", EMU_BTF_KIND_STRUCT, 0, 2, 16);   /* 12 */
	b_member(&b, "a", 13, 0);
	b_member(&b, "b", 13, 64);
	b_int(&b, "long", 8, 64);                                 /* 13 */
	return b_finish(&b, out);
}

START_TEST(queries)
{
	unsigned char blob[2048];
	uint32_t n = query_blob(blob), id, size, dn;
	struct emu_btf *btf;
	const struct emu_btf_type *t;
	struct emu_btf_value_fields f;

	if (kernel_mode())
		return;
	ck_assert_int_eq(emu_btf_parse(blob, n, NULL, &btf), 0);
	ck_assert_uint_eq(emu_btf_nr_types(btf), 14);
	ck_assert(emu_btf_type_is_void(emu_btf_type_by_id(btf, 0)));
	ck_assert_ptr_null(emu_btf_type_by_id(btf, 14));
	ck_assert(memcmp(emu_btf_data(btf, &dn), blob, n) == 0);
	ck_assert_uint_eq(dn, n);

	id = 2; /* typedef -> const -> struct s */
	t = emu_btf_type_id_size(btf, &id, &size);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(id, 4);
	ck_assert_uint_eq(size, 20);
	ck_assert_uint_eq(emu_btf_kind(t), EMU_BTF_KIND_STRUCT);
	ck_assert_str_eq(emu_btf_name_by_offset(btf, t->name_off), "s");
	ck_assert_uint_eq(emu_btf_vlen(t), 2);
	ck_assert_uint_eq(emu_btf_member_bit_offset(t, &emu_btf_members(t)[1]), 32);
	id = 5;
	ck_assert_ptr_nonnull(emu_btf_type_id_size(btf, &id, &size));
	ck_assert_uint_eq(size, 16);
	id = 0;
	ck_assert_ptr_null(emu_btf_type_id_size(btf, &id, &size));
	ck_assert_ptr_eq(emu_btf_skip_modifiers(btf, 2, &id), emu_btf_type_by_id(btf, 4));
	ck_assert_uint_eq(id, 4);
	ck_assert_int_eq(emu_btf_find_by_name_kind(btf, "v", EMU_BTF_KIND_STRUCT), 7);
	ck_assert_int_eq(emu_btf_find_by_name_kind(btf, "v", EMU_BTF_KIND_UNION), -ENOENT);
	ck_assert_str_eq(emu_btf_name_or_anon(btf, 0), "(anon)");
	ck_assert_str_eq(emu_btf_name_or_anon(btf, 100000), "(invalid-name-offset)");
	ck_assert_ptr_null(emu_btf_name_by_offset(btf, 100000));

	ck_assert_int_eq(emu_btf_parse_fields(btf, emu_btf_type_by_id(btf, 7), EMU_BTF_F_SPIN_LOCK | EMU_BTF_F_KPTR, 16, &f), 0);
	ck_assert_uint_eq(f.cnt, 2);
	ck_assert_int_eq(f.spin_lock_off, 0);
	ck_assert_uint_eq(f.fields[1].type, EMU_BTF_F_KPTR_REF);
	ck_assert_uint_eq(f.fields[1].offset, 8);
	ck_assert_uint_eq(f.fields[1].kptr_type_id, 8);
	ck_assert_int_eq(emu_btf_parse_fields(btf, emu_btf_type_by_id(btf, 11), EMU_BTF_F_TIMER, 16, &f), 0);
	ck_assert_int_eq(f.timer_off, 0);
	ck_assert_int_eq(emu_btf_parse_fields(btf, emu_btf_type_by_id(btf, 1), EMU_BTF_F_TIMER, 4, &f), -EINVAL);
	emu_btf_free(btf);
}
END_TEST

/* ---- map_create's BTF check, on either side ---- */

struct map_case {
	const char *name;
	uint32_t type, key_size, value_size, max_entries, flags, key_id, value_id;
	int err;
};

/* ids in map_blob */
enum { M_INT = 1, M_LOCK, M_TIMER, M_LONG, M_VLOCK, M_VTIMER, M_VTWO, M_K4, M_KEYT, M_OBJ, M_TAG, M_PTR, M_VKPTR,
       M_VAR, M_SEC, M_UNION };

static uint32_t map_blob(unsigned char *out)
{
	struct builder b;

	b_init(&b);
	b_int(&b, "int", 4, (EMU_BTF_INT_SIGNED << 24) | 32);      /* 1 */
	b_type(&b, "bpf_spin_lock", EMU_BTF_KIND_STRUCT, 0, 1, 4); /* 2 */
	b_member(&b, "val", M_INT, 0);
	b_type(&b, "bpf_timer", EMU_BTF_KIND_STRUCT, 0, 2, 16);    /* 3 */
	b_member(&b, "a", M_LONG, 0);
	b_member(&b, "b", M_LONG, 64);
	b_int(&b, "long", 8, (EMU_BTF_INT_SIGNED << 24) | 64);     /* 4 */
	b_type(&b, "v_lock", EMU_BTF_KIND_STRUCT, 0, 2, 8);        /* 5 */
	b_member(&b, "l", M_LOCK, 0);
	b_member(&b, "x", M_INT, 32);
	b_type(&b, "v_timer", EMU_BTF_KIND_STRUCT, 0, 2, 24);      /* 6 */
	b_member(&b, "t", M_TIMER, 0);
	b_member(&b, "d", M_LONG, 128);
	b_type(&b, "v_two", EMU_BTF_KIND_STRUCT, 0, 2, 24);        /* 7: a lock and a timer */
	b_member(&b, "a", M_LOCK, 0);
	b_member(&b, "b", M_TIMER, 64);
	b_type(&b, "k4", EMU_BTF_KIND_STRUCT, 0, 1, 4);            /* 8 */
	b_member(&b, "a", M_INT, 0);
	b_type(&b, "key_t", EMU_BTF_KIND_TYPEDEF, 0, 0, M_INT);    /* 9 */
	b_type(&b, "obj", EMU_BTF_KIND_STRUCT, 0, 1, 4);           /* 10 */
	b_member(&b, "v", M_INT, 0);
	b_type(&b, "kptr", EMU_BTF_KIND_TYPE_TAG, 0, 0, M_OBJ);    /* 11 */
	b_type(&b, NULL, EMU_BTF_KIND_PTR, 0, 0, M_TAG);           /* 12 */
	b_type(&b, "v_kptr", EMU_BTF_KIND_STRUCT, 0, 1, 8);        /* 13 */
	b_member(&b, "p", M_PTR, 0);
	b_type(&b, "x", EMU_BTF_KIND_VAR, 0, 0, M_INT);            /* 14 */
	b_u32(&b, 1);
	b_type(&b, ".data", EMU_BTF_KIND_DATASEC, 0, 1, 4);        /* 15 */
	b_u32(&b, M_VAR);
	b_u32(&b, 0);
	b_u32(&b, 4);
	b_type(&b, "u", EMU_BTF_KIND_UNION, 0, 1, 4);              /* 16 */
	b_member(&b, "a", M_INT, 0);
	return b_finish(&b, out);
}

#define RDONLY_PROG (1u << 7)
static const struct map_case map_cases[] = {
	{ "hash, spin lock", EMU_MAP_HASH, 4, 8, 4, 0, M_INT, M_VLOCK, 0 },
	{ "hash, typedef key", EMU_MAP_HASH, 4, 8, 4, 0, M_KEYT, M_VLOCK, 0 },
	{ "percpu hash, spin lock", EMU_MAP_PERCPU_HASH, 4, 8, 4, 0, M_INT, M_VLOCK, EOPNOTSUPP },
	{ "lru hash, spin lock", EMU_MAP_LRU_HASH, 4, 8, 4, 0, M_INT, M_VLOCK, EOPNOTSUPP },
	{ "array, spin lock", EMU_MAP_ARRAY, 4, 8, 4, 0, M_INT, M_VLOCK, 0 },
	{ "percpu array, spin lock", EMU_MAP_PERCPU_ARRAY, 4, 8, 4, 0, M_INT, M_VLOCK, EOPNOTSUPP },
	{ "array, timer", EMU_MAP_ARRAY, 4, 24, 4, 0, M_INT, M_VTIMER, 0 },
	{ "lru hash, timer", EMU_MAP_LRU_HASH, 4, 24, 4, 0, M_INT, M_VTIMER, 0 },
	{ "percpu hash, timer", EMU_MAP_PERCPU_HASH, 4, 24, 4, 0, M_INT, M_VTIMER, EOPNOTSUPP },
	{ "percpu array, kptr", EMU_MAP_PERCPU_ARRAY, 4, 8, 4, 0, M_INT, M_VKPTR, 0 },
	{ "hash, lock and timer", EMU_MAP_HASH, 4, 24, 4, 0, M_INT, M_VTWO, 0 },
	{ "array, lock and timer", EMU_MAP_ARRAY, 4, 24, 4, 0, M_INT, M_VTWO, 0 },
	{ "lru hash, lock and timer", EMU_MAP_LRU_HASH, 4, 24, 4, 0, M_INT, M_VTWO, EOPNOTSUPP },
	{ "hash, spin lock, rdonly prog", EMU_MAP_HASH, 4, 8, 4, RDONLY_PROG, M_INT, M_VLOCK, EACCES },
	{ "hash, key size mismatch", EMU_MAP_HASH, 8, 8, 4, 0, M_INT, M_VLOCK, EINVAL },
	{ "hash, value size mismatch", EMU_MAP_HASH, 4, 16, 4, 0, M_INT, M_VLOCK, EINVAL },
	{ "hash, key void", EMU_MAP_HASH, 4, 8, 4, 0, 0, M_VLOCK, EINVAL },
	{ "hash, value a var (its type counts)", EMU_MAP_HASH, 4, 4, 4, 0, M_INT, M_VAR, 0 },
	{ "hash, union value", EMU_MAP_HASH, 4, 4, 4, 0, M_INT, M_UNION, 0 },
	{ "array, struct key", EMU_MAP_ARRAY, 4, 8, 4, 0, M_K4, M_VLOCK, EINVAL },
	{ "array, void key, datasec, 1 entry", EMU_MAP_ARRAY, 4, 4, 1, 0, 0, M_SEC, 0 },
	{ "array, void key, datasec, 2 entries", EMU_MAP_ARRAY, 4, 4, 2, 0, 0, M_SEC, EINVAL },
	{ "array, void key, struct value", EMU_MAP_ARRAY, 4, 8, 1, 0, 0, M_VLOCK, EINVAL },
	{ "percpu array, void key, datasec", EMU_MAP_PERCPU_ARRAY, 4, 4, 1, 0, 0, M_SEC, EINVAL },
	{ "lru hash, void key, int", EMU_MAP_LRU_HASH, 4, 4, 4, 0, 0, M_INT, EINVAL },
	{ "lru hash, void key, timer", EMU_MAP_LRU_HASH, 4, 24, 4, 0, 0, M_VTIMER, EINVAL },
	{ "lru hash, void key, lock (fields first)", EMU_MAP_LRU_HASH, 4, 8, 4, 0, 0, M_VLOCK, EOPNOTSUPP },
	{ "hash, void key, int", EMU_MAP_HASH, 4, 4, 4, 0, 0, M_INT, EINVAL },
	{ "percpu hash, void key, lock (fields first)", EMU_MAP_PERCPU_HASH, 4, 8, 4, 0, 0, M_VLOCK, EOPNOTSUPP },
	{ "queue, void key", EMU_MAP_QUEUE, 0, 8, 4, 0, 0, M_VLOCK, EINVAL },
	{ "stack, void key", EMU_MAP_STACK, 0, 8, 4, 0, 0, M_VLOCK, EINVAL },
};

START_TEST(map_check)
{
	const struct map_case *m = &map_cases[_i];
	unsigned char blob[2048];
	uint32_t n = map_blob(blob);
	int err;

	if (kernel_mode()) {
		unsigned char attr[EMU_ATTR_SIZE];
		struct loaded l;
		int fd;
		long r;

		load(blob, n, 0, &l);
		ck_assert_int_eq(l.err, 0);
		fd = l.fd;
		memset(attr, 0, sizeof(attr));
		memcpy(attr + 0, &m->type, 4);
		memcpy(attr + 4, &m->key_size, 4);
		memcpy(attr + 8, &m->value_size, 4);
		memcpy(attr + 12, &m->max_entries, 4);
		memcpy(attr + 16, &m->flags, 4);
		memcpy(attr + 48, &fd, 4);
		memcpy(attr + 52, &m->key_id, 4);
		memcpy(attr + 56, &m->value_id, 4);
		r = syscall(__NR_bpf, 0, attr, sizeof(attr));
		err = r < 0 ? errno : 0;
		if (r >= 0)
			close((int)r);
		unload(&l);
	} else {
		struct emu_btf *btf;
		struct emu_btf_value_fields f;

		ck_assert_int_eq(emu_btf_parse(blob, n, NULL, &btf), 0);
		err = -emu_btf_check_map(btf, m->key_id, m->value_id, m->key_size, m->value_size, m->max_entries,
					 m->type, m->flags, &f);
		emu_btf_free(btf);
	}
	if (err != m->err)
		printf("map check %s: errno %d, want %d\n", m->name, err, m->err);
	ck_assert_int_eq(err, m->err);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("btf");
	TCase *tc = tcase_create("btf");

	tcase_add_test(tc, valid_loads_with_log);
	tcase_add_loop_test(tc, fault_classes, 0, sizeof(faults) / sizeof(faults[0]));
	tcase_add_test(tc, queries);
	tcase_add_loop_test(tc, map_check, 0, sizeof(map_cases) / sizeof(map_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *r;
	int failed;

	if (kernel_mode()) {
		unsigned char attr[48] = { 0 };

		if (syscall(__NR_bpf, 18, attr, sizeof(attr)) < 0 && (errno == EPERM || errno == ENOSYS))
			unit_skip("bpf(BPF_BTF_LOAD) not permitted here");
	}
	r = srunner_create(suite());
	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
