/* SPDX-License-Identifier: MIT */
/*
 * kernel-semantics.md §12 and its Appendix A rows: BPF_OBJ_GET_INFO_BY_FD for every emulated type
 * (and NO_COMMON_LRU, RDONLY/WRONLY, named maps): short and long info_len, zero and non-zero bytes
 * past the filled part, the caller's bytes echoed in fields the kernel does not fill, the
 * map-content hash of frozen arrays, bad fds and pointers. The id field is not compared (kernel and
 * emulator number maps independently) but must be non-zero on both sides.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

struct cfg {
	uint32_t type, ks, vs, max, flags;
	const char *name;
};

static const struct cfg cfgs[] = {
	{ EMU_MAP_HASH, 4, 8, 16, 0, "h" },
	{ EMU_MAP_HASH, 7, 3, 5, EMU_F_NO_PREALLOC | EMU_F_RDONLY_PROG, "hash.np" },
	{ EMU_MAP_PERCPU_HASH, 4, 12, 4, EMU_F_WRONLY_PROG, "pcpu_hash" },
	{ EMU_MAP_LRU_HASH, 4, 8, 5, EMU_F_NO_COMMON_LRU, "lru_nc" },
	{ EMU_MAP_LRU_PERCPU_HASH, 4, 8, 7, EMU_F_NO_COMMON_LRU | EMU_F_RDONLY_PROG, "lrupc" },
	{ EMU_MAP_ARRAY, 4, 12, 3, 0, "arr" },
	{ EMU_MAP_ARRAY, 4, 5, 2, EMU_F_MMAPABLE | EMU_F_INNER_MAP, "arr_mmap" },
	{ EMU_MAP_PERCPU_ARRAY, 4, 4, 3, 0, "" },
	{ EMU_MAP_ARRAY, 4, 4, 3, EMU_F_NUMA_NODE | EMU_F_WRONLY_PROG, "numa" },
	{ EMU_MAP_QUEUE, 0, 8, 4, 0, "q" },
	{ EMU_MAP_STACK, 0, 3, 4, EMU_F_WRONLY, "stack123456789a" },
	{ EMU_MAP_HASH, 4, 8, 16, EMU_F_RDONLY, "ro" },
};
#define NCFGS (sizeof(cfgs) / sizeof(cfgs[0]))

static bool create_named(struct hx_pair *p, const struct cfg *c)
{
	struct hx_op op;
	uint32_t flags = c->flags;

	if (hx_is_hash(c->type) && hx_have_sys_admin)
		flags |= EMU_F_ZERO_SEED;
	hx_create_op(&op, c->type, c->ks, c->vs, c->max, flags);
	strncpy((char *)op.attr + MC_NAME, c->name, 16);
	hx_ctx("create %s %s", hx_type_name(c->type), c->name);
	if (hx_create_from(p, &op) < 0) {
		printf("FAIL: %s\n", hx_ctx_get());
		hx_nexpect_bad++;
		return false;
	}
	return true;
}

/* One info call: `in` is what the caller's buffer holds before, len its info_len. */
static struct hx_res info_call(const struct hx_pair *p, uint32_t len, const unsigned char *in, size_t buflen,
			       bool page_end)
{
	struct hx_op op;
	struct hx_res r;
	struct hx_buf *b;

	hx_op_init(&op, EMU_BPF_OBJ_GET_INFO_BY_FD);
	hx_op_fd(&op, INFO_FD, p);
	hx_op_u32(&op, INFO_LEN, len);
	b = hx_op_buf(&op, INFO_PTR, buflen, in, NULL);
	b->page_end = page_end;
	b->mask_off = 4;
	b->mask_len = 4;
	hx_run(&op, &r);
	return r;
}

static void lengths(const struct hx_pair *p)
{
	static const uint32_t lens[] = { 0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 16, 20, 24, 28, 39, 40, 44, 48, 56, 64, 68,
					 72, 76, 79, 80, 84, 88, 96, 99, 100, 101, 103, 104, 105, 108, 112, 120,
					 128, 256, 1000, 4095, 4096, 4097, 8192, 0xffffffffu };
	unsigned char in[8192];

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		uint32_t len = lens[i];
		size_t buflen = len < sizeof(in) ? len : sizeof(in);
		struct hx_res r;

		/* zeroed input */
		memset(in, 0, sizeof(in));
		hx_ctx("%s: info_len %u, zeroed buffer", hx_type_name(p->type), len);
		r = info_call(p, len, in, buflen, false);
		if (len == 512 || len == 8)
			hx_expect(hx_kret(&r), 0, "info_len 8 / 512 zero tail");
		/* the caller's bytes in every field below the hash request: echoed where not filled */
		memset(in, 0xaa, 88);
		hx_ctx("%s: info_len %u, 0xaa in bytes 0..87", hx_type_name(p->type), len);
		info_call(p, len, in, buflen, false);
		/* a non-zero byte at each checked offset */
		for (uint32_t off = 100; off < 110 && off < len && off < sizeof(in); off++) {
			memset(in, 0, sizeof(in));
			in[off] = 1;
			hx_ctx("%s: info_len %u, byte %u non-zero", hx_type_name(p->type), len, off);
			info_call(p, len, in, buflen, false);
		}
		if (len > 110 && len <= sizeof(in)) {
			memset(in, 0, sizeof(in));
			in[len - 1] = 0x80;
			hx_ctx("%s: info_len %u, last byte non-zero", hx_type_name(p->type), len);
			r = info_call(p, len, in, buflen, false);
			hx_expect(hx_kret(&r), -E2BIG, "non-zero byte past the struct");
		}
		/* a buffer that ends before info_len */
		if (len > 0 && len <= sizeof(in)) {
			memset(in, 0, sizeof(in));
			hx_ctx("%s: info_len %u, buffer one byte short", hx_type_name(p->type), len);
			info_call(p, len, in, len - 1, true);
			hx_ctx("%s: info_len %u, buffer ends at a guard page", hx_type_name(p->type), len);
			info_call(p, len, in, len, true);
		}
	}
}

/* hash / hash_size (offsets 88 and 96): only frozen ARRAYs answer. */
static void hash_requests(const struct hx_pair *p, bool frozen)
{
	static const uint32_t sizes[] = { 0, 1, 31, 32, 33, 64 };
	unsigned char in[MI_SIZE];

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (int ptr = 0; ptr < 5; ptr++) {
			struct hx_op op;
			struct hx_buf *b;
			uint64_t hp = 0;

			memset(in, 0, sizeof(in));
			memcpy(in + 96, &sizes[i], 4);
			hx_ctx("%s: hash request size %u, pointer kind %d", hx_type_name(p->type), sizes[i], ptr);
			hx_op_init(&op, EMU_BPF_OBJ_GET_INFO_BY_FD);
			hx_op_fd(&op, INFO_FD, p);
			hx_op_u32(&op, INFO_LEN, MI_SIZE);
			b = hx_op_buf(&op, INFO_PTR, sizeof(in), NULL, NULL);
			b->mask_off = 4;
			b->mask_len = 4;
			/* The hash pointer lives inside the info buffer, so it is the same raw address on
			 * both sides: point it at memory each side can write identically (a guard-page end
			 * shared buffer would be written twice, so only faulting kinds and NULL go there). */
			if (ptr == 1)
				hp = (uint64_t)(uintptr_t)hx_bad_ptr();
			else if (ptr == 2)
				hp = 0x10;
			else if (ptr == 3)
				hp = 0xffff888000000000ull;
			else if (ptr == 4)
				hp = (uint64_t)(uintptr_t)hx_page_end_ptr(16, NULL);
			memcpy(in + 88, &hp, 8);
			b->in = in;
			hx_run(&op, NULL);
		}
	/* a writable hash buffer: each side gets its own, compared like any output */
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned char hk[64], he[64];
		int done = 0;

		for (int s = 0; s < 2; s++) {
			unsigned char info[MI_SIZE], attr[EMU_ATTR_SIZE];
			uint64_t ip = (uint64_t)(uintptr_t)info, hp = (uint64_t)(uintptr_t)(s ? he : hk);
			uint32_t fd = (uint32_t)p->fd[s], len = sizeof(info);
			long r;

			memset(s ? he : hk, 0x5c, 64);
			memset(info, 0, sizeof(info));
			memcpy(info + 88, &hp, 8);
			memcpy(info + 96, &sizes[i], 4);
			memset(attr, 0, sizeof(attr));
			memcpy(attr, &fd, 4);
			memcpy(attr + 4, &len, 4);
			memcpy(attr + 8, &ip, 8);
			r = hx_raw(s, EMU_BPF_OBJ_GET_INFO_BY_FD, attr, sizeof(attr));
			done |= (r == 0) << s;
			if (s == HX_K && p->type == EMU_MAP_ARRAY && sizes[i] == 32) {
				hx_ctx("%s: hash request into a writable buffer, %sfrozen", hx_type_name(p->type),
				       frozen ? "" : "not ");
				hx_expect(r, frozen ? 0 : -EPERM, "map-content hash of an ARRAY");
			}
			if (s == 1) {
				hx_nops++;
				hx_ctx("%s: hash request size %u into a writable buffer", hx_type_name(p->type), sizes[i]);
				if (done != 0 && done != 3) {
					hx_ndiv++;
					printf("DIVERGENCE #%lu [%s]: kernel %s, emulator %s\n", hx_ndiv, hx_ctx_get(),
					       done & 1 ? "ok" : "failed", done & 2 ? "ok" : "failed");
				} else if (memcmp(hk, he, sizeof(hk))) {
					hx_ndiv++;
					printf("DIVERGENCE #%lu [%s]: hash bytes differ\n", hx_ndiv, hx_ctx_get());
				}
			}
		}
	}
}

static void bad_inputs(const struct hx_pair *p)
{
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	struct {
		const char *what;
		int fd;
	} fds[] = { { "closed fd 999", 999 }, { "fd -1", -1 }, { "/dev/null", devnull }, { "stdin", 0 } };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		for (uint32_t len = 0; len <= 104; len += 52) {
			struct hx_op op;
			struct hx_res r;

			hx_ctx("OBJ_GET_INFO on %s, info_len %u", fds[i].what, len);
			hx_op_init(&op, EMU_BPF_OBJ_GET_INFO_BY_FD);
			hx_op_u32(&op, INFO_FD, (uint32_t)fds[i].fd);
			hx_op_u32(&op, INFO_LEN, len);
			hx_op_buf(&op, INFO_PTR, 104, NULL, NULL);
			hx_run(&op, &r);
			if (i == 0)
				hx_expect(hx_kret(&r), -EBADFD, "bad fd gives EBADFD");
		}
	close(devnull);

	for (uint32_t len = 0; len <= 4096; len = len ? len * 4 : 1) {
		static const uint64_t ptrs[] = { 0, 0x10, 0xffff888000000000ull };

		for (size_t i = 0; i < 3; i++) {
			struct hx_op op;

			hx_ctx("OBJ_GET_INFO info %#llx, info_len %u", (unsigned long long)ptrs[i], len);
			hx_op_init(&op, EMU_BPF_OBJ_GET_INFO_BY_FD);
			hx_op_fd(&op, INFO_FD, p);
			hx_op_u32(&op, INFO_LEN, len);
			hx_op_u64(&op, INFO_PTR, ptrs[i]);
			hx_run(&op, NULL);
		}
		{
			struct hx_op op;

			hx_ctx("OBJ_GET_INFO info unmapped, info_len %u", len);
			hx_op_init(&op, EMU_BPF_OBJ_GET_INFO_BY_FD);
			hx_op_fd(&op, INFO_FD, p);
			hx_op_u32(&op, INFO_LEN, len);
			hx_op_ptr(&op, INFO_PTR, hx_bad_ptr());
			hx_run(&op, NULL);
		}
	}
}

static void check_ids(const struct hx_pair *p)
{
	for (int s = 0; s < 2; s++) {
		unsigned char info[MI_SIZE], attr[EMU_ATTR_SIZE];
		uint64_t ip = (uint64_t)(uintptr_t)info;
		uint32_t fd = (uint32_t)p->fd[s], len = sizeof(info), id = 0;

		memset(info, 0, sizeof(info));
		memset(attr, 0, sizeof(attr));
		memcpy(attr, &fd, 4);
		memcpy(attr + 4, &len, 4);
		memcpy(attr + 8, &ip, 8);
		if (hx_raw(s, EMU_BPF_OBJ_GET_INFO_BY_FD, attr, sizeof(attr)) == 0)
			memcpy(&id, info + 4, 4);
		if (!id) {
			hx_nexpect_bad++;
			printf("FAIL [%s]: %s side reports map id 0\n", hx_ctx_get(), s ? "emulator" : "kernel");
		}
	}
}

int main(void)
{
	hx_init("diff_info");
	for (size_t i = 0; i < NCFGS; i++) {
		struct hx_pair p;
		unsigned char v[64], k[8] = { 1 };

		if (!create_named(&p, &cfgs[i]))
			continue;
		memset(v, 0x3e, sizeof(v));
		if (!(cfgs[i].flags & EMU_F_RDONLY))
			hx_update(&p, hx_is_qs(p.type) ? NULL : k, v, 0);
		check_ids(&p);
		lengths(&p);
		hash_requests(&p, false);
		hx_ctx("%s: FREEZE", hx_type_name(p.type));
		hx_freeze(&p);
		hash_requests(&p, !(cfgs[i].flags & EMU_F_RDONLY));
		lengths(&p);
		if (i == 0)
			bad_inputs(&p);
		hx_close(&p);
	}
	return hx_finish();
}
