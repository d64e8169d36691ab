/* SPDX-License-Identifier: MIT */
/*
 * emu_btf_parse(): the kernel's btf_parse() for a user BTF after the blob is in kernel memory,
 * step by step in its order: the header (hdr_len, a longer header's tail all zero, the header
 * logged, magic, version, flags, "No data", the two sections exactly tiling the rest), the
 * string section (last, NUL-first and NUL-terminated), every type's meta data (first pass,
 * each type logged as it passes), then resolution and function prototypes (second pass), type
 * tag chains, and the special-field records of structs. The copy is laid out so that the part
 * after the header is 8-byte aligned whatever hdr_len is (types are then 4-byte aligned, as
 * type_off must be a multiple of 4).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "btf_internal.h"

static int add_type(struct emu_btf *btf, const struct emu_btf_type *t)
{
	if (btf->nr_types == btf->types_cap) {
		uint32_t cap = btf->types_cap + (btf->types_cap >> 2 > 16 ? btf->types_cap >> 2 : 16);
		const struct emu_btf_type **n;

		if (cap > EMU_BTF_MAX_TYPE)
			cap = EMU_BTF_MAX_TYPE;
		n = realloc(btf->types, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		btf->types = n;
		btf->types_cap = cap;
	}
	btf->types[btf->nr_types++] = t;
	return 0;
}

static int check_sec_info(struct btf_env *env, uint32_t data_size)
{
	const struct emu_btf_header *h = &env->btf->hdr;
	struct { uint32_t off, len; } secs[2] = { { h->type_off, h->type_len }, { h->str_off, h->str_len } }, tmp;
	uint32_t total = 0, expected = data_size - h->hdr_len;
	int cmp;

	/* the kernel sorts with (int)(a.off - b.off), then (int)(a.len - b.len): signed differences */
	cmp = (int)(secs[0].off - secs[1].off);
	if (!cmp)
		cmp = (int)(secs[0].len - secs[1].len);
	if (cmp > 0) {
		tmp = secs[0];
		secs[0] = secs[1];
		secs[1] = tmp;
	}
	for (int i = 0; i < 2; i++) {
		if (expected < secs[i].off) {
			btf_log(env, "Invalid section offset");
			return -EINVAL;
		}
		if (total < secs[i].off) {
			btf_log(env, "Unsupported section found");
			return -EINVAL;
		}
		if (total > secs[i].off) {
			btf_log(env, "Section overlap found");
			return -EINVAL;
		}
		if (expected - total < secs[i].len) {
			btf_log(env, "Total section length too long");
			return -EINVAL;
		}
		total += secs[i].len;
	}
	if (expected != total) {
		btf_log(env, "Unsupported section found");
		return -EINVAL;
	}
	return 0;
}

static int parse_hdr(struct btf_env *env)
{
	struct emu_btf *btf = env->btf;
	uint32_t size = btf->data_size, hdr_len;
	struct emu_btf_header *h = &btf->hdr;

	if (size < 8) {
		btf_log(env, "hdr_len not found");
		return -EINVAL;
	}
	memcpy(&hdr_len, btf->data + 4, 4);
	if (size < hdr_len) {
		btf_log(env, "btf_header not found");
		return -EINVAL;
	}
	if (hdr_len > sizeof(*h)) {
		for (uint32_t i = sizeof(*h); i < hdr_len; i++) {
			if (btf->data[i]) {
				btf_log(env, "Unsupported btf_header");
				return -E2BIG;
			}
		}
	}
	memset(h, 0, sizeof(*h));
	memcpy(h, btf->data, hdr_len < sizeof(*h) ? hdr_len : sizeof(*h));
	btf_log_hdr(env, size);
	if (h->magic != EMU_BTF_MAGIC) {
		btf_log(env, "Invalid magic");
		return -EINVAL;
	}
	if (h->version != EMU_BTF_VERSION) {
		btf_log(env, "Unsupported version");
		return -EMU_ENOTSUPP;
	}
	if (h->flags) {
		btf_log(env, "Unsupported flags");
		return -EMU_ENOTSUPP;
	}
	if (size == h->hdr_len) {
		btf_log(env, "No data");
		return -EINVAL;
	}
	return check_sec_info(env, size);
}

static int parse_str_sec(struct btf_env *env)
{
	struct emu_btf *btf = env->btf;
	const struct emu_btf_header *h = &btf->hdr;
	const char *start = (const char *)btf->nohdr + h->str_off;

	/* the sections tile the blob: the string section ends where the blob ends iff it comes last */
	if ((uint64_t)h->hdr_len + h->str_off + h->str_len != btf->data_size) {
		btf_log(env, "String section is not at the end");
		return -EINVAL;
	}
	btf->strings = start;
	if (!h->str_len || h->str_len - 1 > EMU_BTF_MAX_NAME_OFFSET || start[h->str_len - 1]) {
		btf_log(env, "Invalid string section");
		return -EINVAL;
	}
	if (start[0]) {
		btf_log(env, "Invalid string section");
		return -EINVAL;
	}
	return 0;
}

static int32_t check_meta(struct btf_env *env, const struct emu_btf_type *t, uint32_t meta_left)
{
	uint32_t kind;
	int32_t n;

	if (meta_left < sizeof(*t)) {
		btf_log(env, "[%u] meta_left:%u meta_needed:%zu", env->log_type_id, meta_left, sizeof(*t));
		return -EINVAL;
	}
	meta_left -= sizeof(*t);
	if (t->info & ~EMU_BTF_INFO_MASK) {
		btf_log(env, "[%u] Invalid btf_info:%x", env->log_type_id, t->info);
		return -EINVAL;
	}
	kind = emu_btf_kind(t);
	if (kind > EMU_BTF_KIND_MAX || kind == EMU_BTF_KIND_UNKN) {
		btf_log(env, "[%u] Invalid kind:%u", env->log_type_id, kind);
		return -EINVAL;
	}
	if (!emu_btf_name_offset_valid(env->btf, t->name_off)) {
		btf_log(env, "[%u] Invalid name_offset:%u", env->log_type_id, t->name_off);
		return -EINVAL;
	}
	n = btf_ops(t)->check_meta(env, t, meta_left);
	if (n < 0)
		return n;
	return (int32_t)sizeof(*t) + n;
}

static int check_all_metas(struct btf_env *env)
{
	struct emu_btf *btf = env->btf;
	const unsigned char *cur = btf->nohdr + btf->hdr.type_off, *end = cur + btf->hdr.type_len;

	env->log_type_id = 1;
	while (cur < end) {
		const struct emu_btf_type *t = (const struct emu_btf_type *)cur;
		int32_t n = check_meta(env, t, (uint32_t)(end - cur));
		int err;

		if (n < 0)
			return n;
		/* the kernel logs a type past the last id and goes on without it */
		if (btf->nr_types == btf->types_cap && btf->types_cap == EMU_BTF_MAX_TYPE) {
			btf_log(env, "Exceeded max num of types");
		} else {
			err = add_type(btf, t);
			if (err)
				return err;
		}
		cur += n;
		env->log_type_id++;
	}
	return 0;
}

static int parse_type_sec(struct btf_env *env)
{
	const struct emu_btf_header *h = &env->btf->hdr;
	int err;

	if (h->type_off & 3) {
		btf_log(env, "Unaligned type_off");
		return -EINVAL;
	}
	if (!h->type_len) {
		btf_log(env, "No type found");
		return -EINVAL;
	}
	err = check_all_metas(env);
	if (err)
		return err;
	return btf_check_all_types(env);
}

void emu_btf_free(struct emu_btf *btf)
{
	if (!btf)
		return;
	free(btf->types);
	free(btf->resolved_ids);
	free(btf->resolved_sizes);
	free(btf->metas);
	free(btf->alloc);
	free(btf);
}

int emu_btf_parse(const void *blob, uint32_t size, struct emu_vlog *log, struct emu_btf **out)
{
	struct btf_env env;
	struct emu_btf *btf;
	uint32_t hdr_len = 0, pad;
	int err;

	*out = NULL;
	btf = calloc(1, sizeof(*btf));
	if (!btf)
		return -ENOMEM;
	memset(&env, 0, sizeof(env));
	env.btf = btf;
	env.log = log;

	/* place the copy so that data + hdr_len is 8-byte aligned */
	if (size >= 8)
		memcpy(&hdr_len, (const unsigned char *)blob + 4, 4);
	pad = (8 - (hdr_len & 7)) & 7;
	btf->alloc = malloc((size_t)size + pad + 8);
	if (!btf->alloc) {
		emu_btf_free(btf);
		return -ENOMEM;
	}
	memcpy(btf->alloc + pad, blob, size);
	btf->data = btf->alloc + pad;
	btf->data_size = size;
	err = add_type(btf, &emu_btf_void);
	if (err)
		goto fail;

	err = parse_hdr(&env);
	if (err)
		goto fail;
	btf->nohdr = btf->data + btf->hdr.hdr_len;
	err = parse_str_sec(&env);
	if (err)
		goto fail;
	err = parse_type_sec(&env);
	if (err)
		goto fail;
	err = btf_check_type_tags(&env);
	if (err)
		goto fail;
	err = btf_parse_struct_metas(btf);
	if (err)
		goto fail;
	for (uint32_t i = 0; i < btf->nr_metas; i++) {
		err = btf_check_and_fixup_fields(btf, &btf->metas[i].rec);
		if (err)
			goto fail;
	}
	free(env.visit);
	*out = btf;
	return 0;
fail:
	free(env.visit);
	emu_btf_free(btf);
	return err;
}
