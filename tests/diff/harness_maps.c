/* SPDX-License-Identifier: MIT */
/* The differential harness's map helpers: a kernel/emulator pair of maps made, used and compared
 * with one call each (create, element commands, FREEZE, info, BTF objects, whole-map contents,
 * batches). Every call goes through hx_run (harness.c), which places buffers, runs both sides and
 * compares their answers and the bytes they wrote. */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- maps ---- */

void hx_create_op(struct hx_op *op, uint32_t type, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags)
{
	hx_op_init(op, EMU_BPF_MAP_CREATE);
	hx_op_u32(op, MC_TYPE, type);
	hx_op_u32(op, MC_KEY_SIZE, ks);
	hx_op_u32(op, MC_VALUE_SIZE, vs);
	hx_op_u32(op, MC_MAX_ENTRIES, max);
	hx_op_u32(op, MC_FLAGS, flags);
}

static uint32_t attr_field(const struct hx_op *op, unsigned off)
{
	uint32_t v = 0;

	if (op->attr_mode == HX_ATTR_NORMAL && off + 4 <= op->size)
		memcpy(&v, op->attr + off, 4);
	return v;
}

long hx_create_from(struct hx_pair *p, struct hx_op *op)
{
	struct hx_res r;
	unsigned char info[MI_SIZE];

	memset(p, 0, sizeof(*p));
	p->fd[0] = p->fd[1] = -1;
	op->ret_fd = true;
	op->keep_fds = true;
	if (hx_run(op, &r))
		return -ENOTRECOVERABLE;
	if (r.ret[0] < 0)
		return -r.err[0];
	p->fd[HX_K] = (int)r.ret[HX_K];
	p->fd[HX_E] = (int)r.ret[HX_E];
	p->type = attr_field(op, MC_TYPE);
	p->key_size = attr_field(op, MC_KEY_SIZE);
	p->value_size = attr_field(op, MC_VALUE_SIZE);
	p->max_entries = attr_field(op, MC_MAX_ENTRIES);
	p->flags = attr_field(op, MC_FLAGS);
	p->vbytes = hx_value_bytes(p->type, p->value_size);
	p->zero_seed = p->flags & EMU_F_ZERO_SEED;
	if (attr_field(op, MC_BTF_KEY) || attr_field(op, MC_BTF_VALUE))
		for (int k = 0; k < op->nfd; k++)
			if (op->fds[k].off == MC_BTF_FD)
				for (int s = 0; s < 2; s++)
					p->btf_id[s] = hx_btf_id(s, op->fds[k].fd[s]);
	/* The kernel may adjust max_entries (NO_COMMON_LRU rounding); the info says what it kept,
	 * and comparing it is part of every creation. */
	if (hx_compare_info(p)) {
		hx_close(p);
		return -ENOTRECOVERABLE;
	}
	if (hx_info(p, info, sizeof(info)) == 0)
		memcpy(&p->max_entries, info + 16, 4);
	return r.ret[0];
}

long hx_create(struct hx_pair *p, uint32_t type, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags)
{
	struct hx_op op;

	hx_create_op(&op, type, ks, vs, max, flags);
	return hx_create_from(p, &op);
}

void hx_close(struct hx_pair *p)
{
	for (int s = 0; s < 2; s++) {
		if (p->fd[s] >= 0)
			close(p->fd[s]);
		p->fd[s] = -1;
	}
}

long hx_elem(const struct hx_pair *p, int cmd, const void *key, const void *val_in, void *val_out, uint64_t flags)
{
	struct hx_op op;
	struct hx_res r;
	uint32_t klen = p->key_size ? p->key_size : 4;
	uint32_t vlen = cmd == EMU_BPF_MAP_GET_NEXT_KEY ? klen : (p->vbytes ? p->vbytes : 4);

	hx_op_init(&op, cmd);
	hx_op_fd(&op, EL_FD, p);
	if (hx_raw_ptr(key))
		hx_op_ptr(&op, EL_KEY, key);
	else
		hx_op_buf(&op, EL_KEY, klen, key, NULL);
	if (cmd != EMU_BPF_MAP_DELETE_ELEM) {
		const void *v = val_in ? val_in : val_out;

		if (hx_raw_ptr(v))
			hx_op_ptr(&op, EL_VALUE, v);
		else
			hx_op_buf(&op, EL_VALUE, vlen, val_in, val_out);
	}
	if (cmd != EMU_BPF_MAP_DELETE_ELEM && cmd != EMU_BPF_MAP_GET_NEXT_KEY)
		hx_op_u64(&op, EL_FLAGS, flags);
	/* Hash maps with a random seed iterate in different orders: the next key is not comparable
	 * (callers pass only NULL or absent keys there, so the result still is). */
	op.relaxed_out = cmd == EMU_BPF_MAP_GET_NEXT_KEY && hx_is_hash(p->type) && !p->zero_seed;
	hx_run(&op, &r);
	return hx_kret(&r);
}

long hx_update(const struct hx_pair *p, const void *key, const void *val, uint64_t flags)
{
	return hx_elem(p, EMU_BPF_MAP_UPDATE_ELEM, key, val, NULL, flags);
}
long hx_lookup(const struct hx_pair *p, const void *key, void *val) { return hx_elem(p, EMU_BPF_MAP_LOOKUP_ELEM, key, NULL, val, 0); }
long hx_delete(const struct hx_pair *p, const void *key) { return hx_elem(p, EMU_BPF_MAP_DELETE_ELEM, key, NULL, NULL, 0); }
long hx_next(const struct hx_pair *p, const void *key, void *next) { return hx_elem(p, EMU_BPF_MAP_GET_NEXT_KEY, key, NULL, next, 0); }
long hx_lookup_del(const struct hx_pair *p, const void *key, void *val, uint64_t flags)
{
	return hx_elem(p, EMU_BPF_MAP_LOOKUP_AND_DELETE_ELEM, key, NULL, val, flags);
}

long hx_freeze(const struct hx_pair *p)
{
	struct hx_op op;
	struct hx_res r;

	hx_op_init(&op, EMU_BPF_MAP_FREEZE);
	hx_op_fd(&op, 0, p);
	hx_run(&op, &r);
	return hx_kret(&r);
}

long hx_info(const struct hx_pair *p, void *info, uint32_t len)
{
	struct hx_op op;
	struct hx_res r;
	struct hx_buf *b;

	hx_op_init(&op, EMU_BPF_OBJ_GET_INFO_BY_FD);
	hx_op_fd(&op, INFO_FD, p);
	hx_op_u32(&op, INFO_LEN, len);
	b = hx_op_buf(&op, INFO_PTR, len, NULL, info);
	b->mask_off = 4; /* the map id: kernel and emulator number their maps independently */
	b->mask_len = 4;
	hx_run(&op, &r);
	return hx_kret(&r);
}

/* A map with BTF: info's btf_id on each side is that side's id of the BTF it was created with. */
static void check_map_btf_id(const struct hx_pair *p)
{
	for (int s = 0; s < 2; s++) {
		unsigned char a[EMU_ATTR_SIZE], info[MI_SIZE];
		uint64_t ip = (uint64_t)(uintptr_t)info;
		uint32_t len = sizeof(info), got;

		memset(a, 0, sizeof(a));
		memset(info, 0, sizeof(info));
		memcpy(a + INFO_FD, &p->fd[s], 4);
		memcpy(a + INFO_LEN, &len, 4);
		memcpy(a + INFO_PTR, &ip, 8);
		if (hx_raw(s, EMU_BPF_OBJ_GET_INFO_BY_FD, a, sizeof(a)))
			continue; /* the compared call reported it */
		memcpy(&got, info + MI_BTF_ID, 4);
		if (got != p->btf_id[s]) {
			hx_ndiv++;
			printf("DIVERGENCE #%lu [%s]\n    %s: map info says btf_id %u, the BTF it was created with is id %u\n",
			       hx_ndiv, hx_ctx_get(), s == HX_K ? "kernel" : "emulator", got, p->btf_id[s]);
		}
	}
}

int hx_compare_info(const struct hx_pair *p)
{
	unsigned long before = hx_ndiv;
	unsigned char info[MI_SIZE];
	unsigned char zero[MI_SIZE];

	/* Zeroed input: the fields the kernel fills must match, and the ones it echoes stay 0. */
	memset(zero, 0, sizeof(zero));
	{
		struct hx_op op;
		struct hx_buf *b;

		hx_op_init(&op, EMU_BPF_OBJ_GET_INFO_BY_FD);
		hx_op_fd(&op, INFO_FD, p);
		hx_op_u32(&op, INFO_LEN, sizeof(info));
		b = hx_op_buf(&op, INFO_PTR, sizeof(info), zero, info);
		b->mask_off = 4;
		b->mask_len = 4;
		if (p->btf_id[HX_K] || p->btf_id[HX_E]) {
			b->mask2_off = MI_BTF_ID;
			b->mask2_len = 4;
		}
		hx_run(&op, NULL);
	}
	if (p->btf_id[HX_K] || p->btf_id[HX_E])
		check_map_btf_id(p);
	return hx_ndiv != before;
}

/* ---- BTF ---- */

uint32_t hx_btf_id(int side, int fd)
{
	unsigned char a[EMU_ATTR_SIZE], info[BI_SIZE];
	uint64_t ip = (uint64_t)(uintptr_t)info;
	uint32_t len = sizeof(info), id;

	if (fd < 0)
		return 0;
	memset(a, 0, sizeof(a));
	memset(info, 0, sizeof(info));
	memcpy(a + INFO_FD, &fd, 4);
	memcpy(a + INFO_LEN, &len, 4);
	memcpy(a + INFO_PTR, &ip, 8);
	if (hx_raw(side, EMU_BPF_OBJ_GET_INFO_BY_FD, a, sizeof(a)))
		return 0;
	memcpy(&id, info + BI_ID, 4);
	return id;
}

long hx_btf_load(struct hx_btf *b, const void *blob, uint32_t size)
{
	struct hx_op op;
	struct hx_res r;

	b->fd[0] = b->fd[1] = -1;
	b->id[0] = b->id[1] = 0;
	hx_op_init(&op, EMU_BPF_BTF_LOAD);
	hx_op_buf(&op, BTF_BLOB, size ? size : 1, blob, NULL);
	hx_op_u32(&op, BTF_SIZE, size);
	op.ret_fd = true;
	op.keep_fds = true;
	if (hx_run(&op, &r))
		return -ENOTRECOVERABLE; /* (hx_run closed the fds) */
	if (r.ret[HX_K] < 0)
		return -r.err[HX_K];
	for (int s = 0; s < 2; s++) {
		b->fd[s] = (int)r.ret[s];
		b->id[s] = hx_btf_id(s, b->fd[s]);
	}
	return 0;
}

void hx_btf_close(struct hx_btf *b)
{
	for (int s = 0; s < 2; s++) {
		if (b->fd[s] >= 0)
			close(b->fd[s]);
		b->fd[s] = -1;
	}
}

void hx_key_of(uint32_t i, void *key, uint32_t ks)
{
	unsigned char *k = key;
	uint32_t x = i * 0x9e3779b1u + 0x7f4a7c15u;

	/* Index bytes first (distinctness), then a mix so keys do not all look alike. */
	for (uint32_t j = 0; j < ks; j++) {
		if (j < 4)
			k[j] = (unsigned char)(i >> (8 * j));
		else {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			k[j] = (unsigned char)x;
		}
	}
}

/* ---- whole-map comparisons ---- */

static int cmp_keys_ks;
static int cmp_keys(const void *a, const void *b) { return memcmp(a, b, (size_t)cmp_keys_ks); }

/* One side alone: keys in its own order. */
static long walk_side(const struct hx_pair *p, int side, unsigned char *keys, long cap)
{
	unsigned char attr[EMU_ATTR_SIZE];
	long n = 0;

	for (;;) {
		uint64_t kp = n ? (uint64_t)(uintptr_t)(keys + (size_t)(n - 1) * p->key_size) : 0;
		uint64_t np = (uint64_t)(uintptr_t)(keys + (size_t)n * p->key_size);
		uint32_t fd = (uint32_t)p->fd[side];
		long r;

		if (n >= cap)
			return -1;
		memset(attr, 0, sizeof(attr));
		memcpy(attr + EL_FD, &fd, 4);
		memcpy(attr + EL_KEY, &kp, 8);
		memcpy(attr + EL_VALUE, &np, 8);
		r = hx_raw(side, EMU_BPF_MAP_GET_NEXT_KEY, attr, sizeof(attr));
		if (r == -ENOENT)
			return n;
		if (r)
			return r;
		n++;
	}
}

long hx_compare_contents(const struct hx_pair *p)
{
	unsigned long before = hx_ndiv;
	uint32_t ks = p->key_size;
	unsigned char *vk = malloc(p->vbytes + 8), *ve = malloc(p->vbytes + 8);
	long n = 0;

	if (hx_is_qs(p->type)) {
		hx_lookup(p, NULL, vk);
		n = 0;
	} else if (!hx_is_hash(p->type) && p->type != EMU_MAP_LPM_TRIE) {
		uint32_t step = p->max_entries > 4096 ? p->max_entries / 1024 : 1;

		for (uint32_t i = 0; i < p->max_entries && hx_ndiv == before; i += step, n++)
			hx_lookup(p, &i, vk);
	} else {
		long cap = (long)p->max_entries * 2 + 16;
		unsigned char *keys = malloc((size_t)cap * ks + ks), *keys_e = malloc((size_t)cap * ks + ks);

		if (p->zero_seed || p->type == EMU_MAP_LPM_TRIE) {
			for (;;) {
				long r;

				if (n >= cap) {
					if (++hx_ndiv <= hx_max_reports)
						printf("DIVERGENCE #%lu [%s] GET_NEXT_KEY walk did not end after %ld keys\n",
						       hx_ndiv, hx_ctx_get(), n);
					break;
				}
				r = hx_next(p, n ? keys + (size_t)(n - 1) * ks : NULL, keys + (size_t)n * ks);
				if (r || hx_ndiv != before)
					break;
				n++;
			}
		} else {
			long nk = walk_side(p, HX_K, keys, cap), ne = walk_side(p, HX_E, keys_e, cap);

			if (nk != ne) {
				if (++hx_ndiv <= hx_max_reports)
					printf("DIVERGENCE #%lu [%s] key walks (random seed, compared as sets): kernel %ld "
					       "keys, emulator %ld keys\n", hx_ndiv, hx_ctx_get(), nk, ne);
			} else if (nk > 0) {
				cmp_keys_ks = (int)ks;
				qsort(keys, (size_t)nk, ks, cmp_keys);
				qsort(keys_e, (size_t)ne, ks, cmp_keys);
				for (long i = 0; i < nk; i++)
					if (memcmp(keys + i * ks, keys_e + i * ks, ks)) {
						if (++hx_ndiv <= hx_max_reports) {
							printf("DIVERGENCE #%lu [%s] key sets differ (random seed; sorted "
							       "position %ld)\n", hx_ndiv, hx_ctx_get(), i);
							hx_dump_bytes("      kernel   ", keys + i * ks, ks, 0);
							hx_dump_bytes("      emulator ", keys_e + i * ks, ks, 0);
						}
						break;
					}
			}
			n = nk;
		}
		for (long i = 0; i < n && hx_ndiv == before; i++)
			hx_lookup(p, keys + (size_t)i * ks, vk);
		free(keys);
		free(keys_e);
	}
	free(vk);
	free(ve);
	return hx_ndiv == before ? n : -1;
}

long hx_batch(const struct hx_pair *p, int cmd, const void *in, void *out, uint32_t ks_tok, void *keys,
	      void *values, uint32_t count, uint32_t buf_elems, uint64_t elem_flags, uint32_t *count_out)
{
	struct hx_op op;
	struct hx_res r;
	uint32_t vs = p->vbytes ? p->vbytes : 4, ks = p->key_size ? p->key_size : 4;

	hx_op_init(&op, cmd);
	hx_op_u32(&op, BA_FD, (uint32_t)p->fd[HX_E]);
	op.nfd = 1;
	op.fds[0].off = BA_FD;
	op.fds[0].fd[HX_K] = p->fd[HX_K];
	op.fds[0].fd[HX_E] = p->fd[HX_E];
	if (in)
		hx_op_buf(&op, BA_IN, ks_tok, in, NULL);
	if (out)
		hx_op_buf(&op, BA_OUT, ks_tok, NULL, out);
	if (keys)
		hx_op_buf(&op, BA_KEYS, (size_t)buf_elems * ks, cmd == EMU_BPF_MAP_UPDATE_BATCH ||
			  cmd == EMU_BPF_MAP_DELETE_BATCH ? keys : NULL, cmd == EMU_BPF_MAP_UPDATE_BATCH ||
			  cmd == EMU_BPF_MAP_DELETE_BATCH ? NULL : keys);
	if (values)
		hx_op_buf(&op, BA_VALUES, (size_t)buf_elems * vs, cmd == EMU_BPF_MAP_UPDATE_BATCH ? values : NULL,
			  cmd == EMU_BPF_MAP_UPDATE_BATCH ? NULL : values);
	hx_op_u32(&op, BA_COUNT, count);
	hx_op_u64(&op, BA_ELEM_FLAGS, elem_flags);
	hx_run(&op, &r);
	if (count_out) {
		uint32_t c = 0;

		/* the count the kernel wrote back into its copy of the attr */
		memcpy(&c, hx_last_attr(HX_K) + BA_COUNT, 4);
		*count_out = c;
	}
	return hx_kret(&r);
}
