/* SPDX-License-Identifier: MIT */
/*
 * kernel-semantics.md §3 (element commands, their error order, RDONLY/WRONLY/frozen), §10 (arrays),
 * §8 (queue/stack) and the element rows of Appendix A: every emulated type × command × fd kind ×
 * key pointer kind × value pointer kind × flags, compared byte for byte (outputs poisoned, output
 * buffers that end one byte short of what the kernel writes included).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

struct cfg {
	uint32_t type, ks, vs, max, flags;
};

static const struct cfg cfgs[] = {
	{ EMU_MAP_HASH, 4, 12, 8, 0 },	      { EMU_MAP_HASH, 6, 5, 8, EMU_F_NO_PREALLOC },
	{ EMU_MAP_PERCPU_HASH, 4, 12, 8, 0 },      { EMU_MAP_PERCPU_HASH, 3, 1, 8, EMU_F_NO_PREALLOC },
	{ EMU_MAP_LRU_HASH, 4, 12, 8, 0 },	      { EMU_MAP_LRU_HASH, 5, 9, 8, EMU_F_NO_COMMON_LRU },
	{ EMU_MAP_LRU_PERCPU_HASH, 4, 12, 8, 0 }, { EMU_MAP_LRU_PERCPU_HASH, 8, 20, 8, EMU_F_NO_COMMON_LRU },
	{ EMU_MAP_ARRAY, 4, 12, 8, 0 },	      { EMU_MAP_ARRAY, 4, 3, 1, EMU_F_MMAPABLE },
	{ EMU_MAP_PERCPU_ARRAY, 4, 12, 8, 0 },     { EMU_MAP_PERCPU_ARRAY, 4, 8, 3, 0 },
	{ EMU_MAP_QUEUE, 0, 12, 4, 0 },	      { EMU_MAP_QUEUE, 0, 1, 1, 0 },
	{ EMU_MAP_STACK, 0, 12, 4, 0 },	      { EMU_MAP_STACK, 0, 7, 2, 0 },
};
#define NCFGS (sizeof(cfgs) / sizeof(cfgs[0]))

static const uint64_t flag_list[] = { 0, 1, 2, 3, 4, 5, 6, 8, 16, 1ull << 32, (1ull << 32) | 2, ~0ull };
#define NFLAGS (sizeof(flag_list) / sizeof(flag_list[0]))

enum keykind { K_PRESENT, K_ABSENT, K_NULL, K_BAD, K_LOW, K_SHORT, K_KERNEL, K_N };
enum valkind { V_GOOD, V_NULL, V_BAD, V_SHORT, V_EXACT_END, V_N };
static const char *const key_names[] = { "present", "absent", "NULL", "unmapped", "0x10", "one byte short",
					 "kernel address" };
static const char *const val_names[] = { "good", "NULL", "unmapped", "one byte short", "ending at a guard page" };

static unsigned value_seq;

static bool create_cfg(struct hx_pair *p, const struct cfg *c, uint32_t extra_flags)
{
	uint32_t flags = c->flags | extra_flags;

	if (hx_is_hash(c->type) && hx_have_sys_admin)
		flags |= EMU_F_ZERO_SEED;
	hx_ctx("create %s key %u value %u max %u flags %#x", hx_type_name(c->type), c->ks, c->vs, c->max, flags);
	if (hx_create(p, c->type, c->ks, c->vs, c->max, flags) < 0) {
		printf("FAIL: %s: could not create the pair\n", hx_ctx_get());
		hx_nexpect_bad++;
		return false;
	}
	return true;
}

static void fill_value(unsigned char *v, uint32_t n)
{
	value_seq++;
	for (uint32_t i = 0; i < n; i++)
		v[i] = (unsigned char)(value_seq * 31 + i * 7 + 1);
}

/* The present key (index 1) exists; a queue/stack holds something. */
static void ensure_present(const struct hx_pair *p)
{
	unsigned char key[64], val[65536];

	hx_key_of(1, key, p->key_size);
	fill_value(val, p->vbytes);
	if (hx_is_qs(p->type))
		hx_update(p, NULL, val, 2);
	else if (!(p->flags & EMU_F_RDONLY))
		hx_update(p, key, val, 0);
}

static void set_key(struct hx_op *op, const struct hx_pair *p, enum keykind k)
{
	static unsigned char key[2][64];
	uint32_t ks = p->key_size;

	hx_key_of(1, key[0], ks ? ks : 4);
	hx_key_of(1000, key[1], ks ? ks : 4);
	if (!ks && k == K_PRESENT) {
		hx_op_ptr(op, EL_KEY, NULL); /* keyless maps: the only good key is none */
		return;
	}
	switch (k) {
	case K_PRESENT: hx_op_buf(op, EL_KEY, ks, key[0], NULL); break;
	case K_ABSENT: hx_op_buf(op, EL_KEY, ks ? ks : 4, key[1], NULL); break;
	case K_NULL: hx_op_ptr(op, EL_KEY, NULL); break;
	case K_BAD: hx_op_ptr(op, EL_KEY, hx_bad_ptr()); break;
	case K_LOW: hx_op_u64(op, EL_KEY, 0x10); break;
	case K_SHORT: hx_op_ptr(op, EL_KEY, hx_page_end_ptr(ks ? ks - 1 : 0, key[0])); break;
	case K_KERNEL: hx_op_u64(op, EL_KEY, 0xffff888000000000ull); break;
	default: abort();
	}
}

static void set_value(struct hx_op *op, const struct hx_pair *p, int cmd, enum valkind v)
{
	static unsigned char val[65536];
	uint32_t n = cmd == EMU_BPF_MAP_GET_NEXT_KEY ? p->key_size : p->vbytes;
	const void *in = cmd == EMU_BPF_MAP_UPDATE_ELEM ? val : NULL;
	struct hx_buf *b;

	fill_value(val, n);
	switch (v) {
	case V_GOOD: hx_op_buf(op, EL_VALUE, n ? n : 4, in, NULL); break;
	case V_NULL: hx_op_ptr(op, EL_VALUE, NULL); break;
	case V_BAD: hx_op_ptr(op, EL_VALUE, hx_bad_ptr()); break;
	case V_SHORT:
		if (cmd == EMU_BPF_MAP_UPDATE_ELEM) {
			hx_op_ptr(op, EL_VALUE, hx_page_end_ptr(n ? n - 1 : 0, val));
		} else {
			b = hx_op_buf(op, EL_VALUE, n ? n - 1 : 0, NULL, NULL);
			b->page_end = true;
		}
		break;
	case V_EXACT_END:
		b = hx_op_buf(op, EL_VALUE, n, in, NULL);
		b->page_end = true;
		break;
	default: abort();
	}
}

static struct hx_res elem_case(const struct hx_pair *p, int cmd, enum keykind k, enum valkind v, uint64_t flags)
{
	struct hx_op op;
	struct hx_res r;

	hx_op_init(&op, cmd);
	hx_op_fd(&op, EL_FD, p);
	if (cmd == EMU_BPF_MAP_GET_NEXT_KEY && hx_is_hash(p->type) && !p->zero_seed && (k == K_PRESENT || k == K_ABSENT)) {
		/* random seed: orders differ, so only a key never inserted (restart) compares, and
		 * only the result, not the key that comes back */
		static unsigned char never[64];

		hx_key_of(5000, never, p->key_size);
		hx_op_buf(&op, EL_KEY, p->key_size, never, NULL);
		op.relaxed_out = true;
	} else {
		set_key(&op, p, k);
	}
	if (cmd != EMU_BPF_MAP_DELETE_ELEM)
		set_value(&op, p, cmd, v);
	if (cmd != EMU_BPF_MAP_DELETE_ELEM && cmd != EMU_BPF_MAP_GET_NEXT_KEY)
		hx_op_u64(&op, EL_FLAGS, flags);
	hx_run(&op, &r);
	return r;
}

static const int elem_cmds[] = { EMU_BPF_MAP_LOOKUP_ELEM, EMU_BPF_MAP_UPDATE_ELEM, EMU_BPF_MAP_DELETE_ELEM, EMU_BPF_MAP_GET_NEXT_KEY, EMU_BPF_MAP_LOOKUP_AND_DELETE_ELEM };
#define NCMDS (sizeof(elem_cmds) / sizeof(elem_cmds[0]))

/* key × value × flags on a live fd */
static void pointer_matrix(const struct hx_pair *p, const char *what)
{
	for (size_t c = 0; c < NCMDS; c++) {
		int cmd = elem_cmds[c];
		int nv = cmd == EMU_BPF_MAP_DELETE_ELEM ? 1 : V_N;
		size_t nf = cmd == EMU_BPF_MAP_DELETE_ELEM || cmd == EMU_BPF_MAP_GET_NEXT_KEY ? 1 : NFLAGS;

		for (int k = 0; k < K_N; k++)
			for (int v = 0; v < nv; v++)
				for (size_t f = 0; f < nf; f++) {
					ensure_present(p);
					hx_ctx("%s: %s key %s, value %s, flags %#llx", what, hx_cmd_name(cmd), key_names[k],
					       val_names[v], (unsigned long long)flag_list[f]);
					elem_case(p, cmd, (enum keykind)k, (enum valkind)v, flag_list[f]);
				}
		hx_ctx("%s: contents after %s", what, hx_cmd_name(cmd));
		hx_compare_contents(p);
	}
	hx_ctx("%s: FREEZE with key field set", what);
	{
		struct hx_op op;

		hx_op_init(&op, EMU_BPF_MAP_FREEZE);
		hx_op_fd(&op, 0, p);
		hx_op_u64(&op, 8, 1);
		hx_run(&op, NULL);
	}
}

/* fd kinds × flags: which comes first, the flags or the fd */
static void fd_matrix(const struct hx_pair *p)
{
	int sv[2] = { -1, -1 }, pipes[2] = { -1, -1 };
	char tmpl[] = "/tmp/bpfemu-diff-XXXXXX";
	struct {
		const char *name;
		int fd;
	} fds[] = {
		{ "closed fd 999", 999 }, { "fd -1", -1 },	   { "fd 0x7fffffff", 0x7fffffff },
		{ "/dev/null", -1 },	  { "a directory", -1 }, { "a regular file", -1 },
		{ "an eventfd", -1 },	  { "an epoll fd", -1 }, { "a socket", -1 },
		{ "a pipe", -1 },	  { "an empty memfd", -1 },
	};

	fds[3].fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	fds[4].fd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fds[5].fd = mkstemp(tmpl);
	if (fds[5].fd >= 0) {
		unlink(tmpl);
		if (write(fds[5].fd, "0123456789abcdef0123456789abcdef", 32) != 32)
			perror("write");
	}
	fds[6].fd = eventfd(0, EFD_CLOEXEC);
	fds[7].fd = epoll_create1(EPOLL_CLOEXEC);
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	fds[8].fd = sv[0];
	if (pipe(pipes) == 0)
		fds[9].fd = pipes[0];
	fds[10].fd = memfd_create("not-a-map", MFD_CLOEXEC);

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		for (size_t c = 0; c < NCMDS; c++)
			for (size_t f = 0; f < NFLAGS; f++) {
				int cmd = elem_cmds[c];
				struct hx_op op;
				struct hx_res r;

				if ((cmd == EMU_BPF_MAP_DELETE_ELEM || cmd == EMU_BPF_MAP_GET_NEXT_KEY) && f)
					break;
				hx_ctx("%s on %s, flags %#llx", hx_cmd_name(cmd), fds[i].name, (unsigned long long)flag_list[f]);
				hx_op_init(&op, cmd);
				hx_op_u32(&op, EL_FD, (uint32_t)fds[i].fd);
				set_key(&op, p, K_PRESENT);
				if (cmd != EMU_BPF_MAP_DELETE_ELEM)
					set_value(&op, p, cmd, V_GOOD);
				if (cmd != EMU_BPF_MAP_DELETE_ELEM && cmd != EMU_BPF_MAP_GET_NEXT_KEY)
					hx_op_u64(&op, EL_FLAGS, flag_list[f]);
				hx_run(&op, &r);
				if (i == 0 && cmd == EMU_BPF_MAP_LOOKUP_ELEM && f == 0)
					hx_expect(hx_kret(&r), -EBADF, "LOOKUP on a closed fd");
				if (i == 3 && cmd == EMU_BPF_MAP_LOOKUP_ELEM && f == 0)
					hx_expect(hx_kret(&r), -EINVAL, "LOOKUP on /dev/null");
				if (i == 0 && cmd == EMU_BPF_MAP_LOOKUP_ELEM && flag_list[f] == 2)
					hx_expect(hx_kret(&r), -EINVAL, "LOOKUP flags before the fd");
			}
		{
			struct hx_op op;

			hx_ctx("FREEZE on %s", fds[i].name);
			hx_op_init(&op, EMU_BPF_MAP_FREEZE);
			hx_op_u32(&op, 0, (uint32_t)fds[i].fd);
			hx_run(&op, NULL);
		}
	}
	for (size_t i = 3; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i].fd >= 0)
			close(fds[i].fd);
	if (sv[1] >= 0)
		close(sv[1]);
	if (pipes[1] >= 0)
		close(pipes[1]);
}

/* A second fd of the same map with a restricted mode: MAP_GET_FD_BY_ID on each side. */
static bool fd_by_id(const struct hx_pair *p, uint32_t open_flags, struct hx_pair *q)
{
	*q = *p;
	for (int s = 0; s < 2; s++) {
		unsigned char info[MI_SIZE], attr[EMU_ATTR_SIZE];
		uint32_t len = sizeof(info), fd = (uint32_t)p->fd[s], id;
		uint64_t ip = (uint64_t)(uintptr_t)info;
		long r;

		memset(info, 0, sizeof(info));
		memset(attr, 0, sizeof(attr));
		memcpy(attr + INFO_FD, &fd, 4);
		memcpy(attr + INFO_LEN, &len, 4);
		memcpy(attr + INFO_PTR, &ip, 8);
		if (hx_raw(s, EMU_BPF_OBJ_GET_INFO_BY_FD, attr, sizeof(attr)))
			return false;
		memcpy(&id, info + 4, 4);
		memset(attr, 0, sizeof(attr));
		memcpy(attr, &id, 4);
		memcpy(attr + 8, &open_flags, 4);
		r = hx_raw(s, 14 /* MAP_GET_FD_BY_ID */, attr, sizeof(attr));
		if (r < 0) {
			if (s == HX_E && q->fd[HX_K] >= 0)
				close(q->fd[HX_K]);
			return false;
		}
		q->fd[s] = (int)r;
	}
	return true;
}

static void permissions(const struct cfg *c)
{
	struct hx_pair p, ro, wo;
	char what[128];

	if (!create_cfg(&p, c, 0))
		return;
	ensure_present(&p);
	if (fd_by_id(&p, EMU_F_RDONLY, &ro)) {
		snprintf(what, sizeof(what), "%s via a read-only fd", hx_type_name(c->type));
		pointer_matrix(&ro, what);
		hx_ctx("%s: FREEZE", what);
		hx_expect(hx_freeze(&ro), -EPERM, "FREEZE on a read-only fd");
		hx_close(&ro);
	} else {
		printf("NOTE: MAP_GET_FD_BY_ID not usable on both sides; read-only fds of populated maps skipped\n");
	}
	if (fd_by_id(&p, EMU_F_WRONLY, &wo)) {
		snprintf(what, sizeof(what), "%s via a write-only fd", hx_type_name(c->type));
		pointer_matrix(&wo, what);
		hx_close(&wo);
	}
	hx_close(&p);

	/* maps created read-only / write-only (the creating fd carries the mode) */
	for (int m = 0; m < 2; m++) {
		if (!create_cfg(&p, c, m ? EMU_F_WRONLY : EMU_F_RDONLY))
			continue;
		snprintf(what, sizeof(what), "%s created %s", hx_type_name(c->type), m ? "WRONLY" : "RDONLY");
		pointer_matrix(&p, what);
		hx_ctx("%s: FREEZE twice", what);
		hx_freeze(&p);
		hx_freeze(&p);
		pointer_matrix(&p, what);
		hx_close(&p);
	}

	/* frozen: writes refused for every fd, reads still work; a second FREEZE is EPERM */
	if (create_cfg(&p, c, 0)) {
		ensure_present(&p);
		hx_ctx("%s: FREEZE", hx_type_name(c->type));
		hx_expect(hx_freeze(&p), 0, "FREEZE");
		hx_ctx("%s: FREEZE again", hx_type_name(c->type));
		hx_expect(hx_freeze(&p), -EPERM, "second FREEZE");
		snprintf(what, sizeof(what), "%s frozen", hx_type_name(c->type));
		pointer_matrix(&p, what);
		if (fd_by_id(&p, EMU_F_WRONLY, &wo)) {
			snprintf(what, sizeof(what), "%s frozen, write-only fd", hx_type_name(c->type));
			pointer_matrix(&wo, what);
			hx_close(&wo);
		}
		hx_close(&p);
	}
}

/* The element rows of Appendix A, with the kernel's documented answers. */
static void appendix(void)
{
	struct hx_pair h, a, q;
	uint32_t k = 1, missing = 77, idx;
	uint64_t v = 0x55, out;
	unsigned char buf[64];

	hx_ctx("appendix setup");
	if (hx_create(&h, EMU_MAP_HASH, 4, 8, 4, 0) < 0 || hx_create(&a, EMU_MAP_ARRAY, 4, 8, 4, 0) < 0 ||
	    hx_create(&q, EMU_MAP_QUEUE, 0, 8, 4, 0) < 0) {
		printf("FAIL: appendix setup\n");
		hx_nexpect_bad++;
		return;
	}
	hx_update(&h, &k, &v, 0);
	hx_ctx("LOOKUP key NULL (hash)");
	hx_expect(hx_lookup(&h, NULL, &out), -EFAULT, hx_ctx_get());
	hx_ctx("LOOKUP missing key, value NULL");
	hx_expect(hx_lookup(&h, &missing, NULL), -ENOENT, hx_ctx_get());
	hx_ctx("LOOKUP flags 1");
	hx_expect(hx_elem(&h, EMU_BPF_MAP_LOOKUP_ELEM, &k, NULL, &out, 1), -EINVAL, hx_ctx_get());
	hx_ctx("LOOKUP flags BPF_F_LOCK without a spin lock");
	hx_expect(hx_elem(&h, EMU_BPF_MAP_LOOKUP_ELEM, &k, NULL, &out, 4), -EINVAL, hx_ctx_get());
	hx_ctx("UPDATE flags 3");
	hx_expect(hx_update(&h, &k, &v, 3), -EINVAL, hx_ctx_get());
	hx_ctx("UPDATE flags 8");
	hx_expect(hx_update(&h, &k, &v, 8), -EINVAL, hx_ctx_get());
	hx_ctx("UPDATE value NULL");
	hx_expect(hx_update(&h, &k, NULL, 0), -EFAULT, hx_ctx_get());
	hx_ctx("UPDATE value 0x10");
	hx_expect(hx_update(&h, &k, (void *)0x10, 0), -EFAULT, hx_ctx_get());
	hx_ctx("UPDATE bad value + flags 3: value copy first");
	hx_expect(hx_update(&h, &k, NULL, 3), -EFAULT, hx_ctx_get());
	hx_ctx("LOOKUP hit, value NULL");
	hx_expect(hx_lookup(&h, &k, NULL), -EFAULT, hx_ctx_get());
	hx_ctx("GET_NEXT_KEY next_key NULL");
	hx_expect(hx_next(&h, NULL, NULL), -EFAULT, hx_ctx_get());
	hx_ctx("LOOKUP_AND_DELETE flags 1");
	hx_expect(hx_lookup_del(&h, &k, &out, 1), -EINVAL, hx_ctx_get());
	hx_ctx("LOOKUP_AND_DELETE value NULL (hit)");
	hx_expect(hx_lookup_del(&h, &k, NULL, 0), -EFAULT, hx_ctx_get());
	hx_ctx("... then LOOKUP: deleted");
	hx_expect(hx_lookup(&h, &k, &out), -ENOENT, hx_ctx_get());

	idx = 9;
	hx_ctx("ARRAY LOOKUP index 9 (max 4)");
	hx_expect(hx_lookup(&a, &idx, &out), -ENOENT, hx_ctx_get());
	hx_ctx("ARRAY UPDATE index 9");
	hx_expect(hx_update(&a, &idx, &v, 0), -E2BIG, hx_ctx_get());
	idx = 1;
	hx_ctx("ARRAY UPDATE NOEXIST");
	hx_expect(hx_update(&a, &idx, &v, 1), -EEXIST, hx_ctx_get());
	hx_ctx("ARRAY UPDATE EXIST");
	hx_expect(hx_update(&a, &idx, &v, 2), 0, hx_ctx_get());
	hx_ctx("ARRAY DELETE");
	hx_expect(hx_delete(&a, &idx), -EINVAL, hx_ctx_get());
	hx_ctx("ARRAY LOOKUP_AND_DELETE");
	hx_expect(hx_lookup_del(&a, &idx, &out, 0), -EMU_ENOTSUPP, hx_ctx_get());
	idx = 9;
	hx_ctx("ARRAY GET_NEXT_KEY of index 9");
	hx_expect(hx_next(&a, &idx, buf), 0, hx_ctx_get());
	idx = 3;
	hx_ctx("ARRAY GET_NEXT_KEY of the last index");
	hx_expect(hx_next(&a, &idx, buf), -ENOENT, hx_ctx_get());
	idx = 0xffffffffu;
	hx_ctx("ARRAY GET_NEXT_KEY of index 0xffffffff");
	hx_next(&a, &idx, buf);
	hx_ctx("ARRAY GET_NEXT_KEY NULL");
	hx_next(&a, NULL, buf);

	hx_ctx("QUEUE LOOKUP (peek) empty");
	hx_expect(hx_lookup(&q, NULL, &out), -ENOENT, hx_ctx_get());
	hx_ctx("QUEUE LOOKUP with a key");
	hx_expect(hx_lookup(&q, &k, &out), -EINVAL, hx_ctx_get());
	hx_ctx("QUEUE UPDATE with a key");
	hx_expect(hx_update(&q, &k, &v, 0), -EINVAL, hx_ctx_get());
	hx_ctx("QUEUE UPDATE NOEXIST");
	hx_expect(hx_update(&q, NULL, &v, 1), -EINVAL, hx_ctx_get());
	hx_ctx("QUEUE UPDATE F_LOCK");
	hx_expect(hx_update(&q, NULL, &v, 4), -EINVAL, hx_ctx_get());
	hx_ctx("QUEUE UPDATE EXIST, not full");
	hx_expect(hx_update(&q, NULL, &v, 2), 0, hx_ctx_get());
	hx_ctx("QUEUE LOOKUP flags 4");
	hx_expect(hx_elem(&q, EMU_BPF_MAP_LOOKUP_ELEM, NULL, NULL, &out, 4), -EINVAL, hx_ctx_get());
	hx_ctx("QUEUE pop value NULL");
	hx_expect(hx_lookup_del(&q, NULL, NULL, 0), -EFAULT, hx_ctx_get());
	hx_ctx("QUEUE pop empty (the failed pop took the element)");
	hx_expect(hx_lookup_del(&q, NULL, &out, 0), -ENOENT, hx_ctx_get());
	hx_ctx("QUEUE DELETE key NULL");
	hx_expect(hx_delete(&q, NULL), -EINVAL, hx_ctx_get());
	hx_ctx("QUEUE GET_NEXT_KEY");
	hx_expect(hx_next(&q, NULL, buf), -EINVAL, hx_ctx_get());
	hx_close(&h);
	hx_close(&a);
	hx_close(&q);
}

/* §8: capacity, overwrite with BPF_EXIST, pop order. */
static void queue_stack(void)
{
	for (uint32_t t = EMU_MAP_QUEUE; t <= EMU_MAP_STACK; t++) {
		static const uint32_t vsizes[] = { 1, 4, 7, 8, 13, 4096 };

		for (size_t vi = 0; vi < sizeof(vsizes) / sizeof(vsizes[0]); vi++)
			for (uint32_t max = 1; max <= 5; max++) {
				struct hx_pair p;
				unsigned char v[4096], out[4096];

				hx_ctx("%s value %u max %u", hx_type_name(t), vsizes[vi], max);
				if (hx_create(&p, t, 0, vsizes[vi], max, 0) < 0)
					continue;
				/* fill past capacity, some with BPF_EXIST */
				for (uint32_t i = 0; i < max + 3; i++) {
					memset(v, (int)(i + 1), sizeof(v));
					hx_ctx("%s value %u max %u: push %u", hx_type_name(t), vsizes[vi], max, i);
					hx_update(&p, NULL, v, 0);
					hx_update(&p, NULL, v, i & 1 ? 2 : 0);
					hx_lookup(&p, NULL, out);
				}
				/* interleaved pops and pushes wrap the ring several times */
				for (uint32_t i = 0; i < 4 * max + 6; i++) {
					memset(v, (int)(0x40 + i), sizeof(v));
					hx_ctx("%s value %u max %u: round %u", hx_type_name(t), vsizes[vi], max, i);
					if (i % 3 == 0)
						hx_lookup_del(&p, NULL, out, 0);
					hx_update(&p, NULL, v, i % 4 == 1 ? 2 : 0);
					hx_lookup(&p, NULL, out);
				}
				for (uint32_t i = 0; i < max + 2; i++) {
					hx_ctx("%s value %u max %u: drain %u", hx_type_name(t), vsizes[vi], max, i);
					hx_lookup_del(&p, NULL, out, 0);
				}
				hx_close(&p);
			}
	}
	/* the documented example: capacity 3, push 1,2,3, 4 (E2BIG), 5 with BPF_EXIST */
	for (uint32_t t = EMU_MAP_QUEUE; t <= EMU_MAP_STACK; t++) {
		struct hx_pair p;
		uint32_t v, out;
		static const uint32_t want[2][3] = { { 2, 3, 5 }, { 5, 3, 2 } };

		hx_ctx("%s example of §8", hx_type_name(t));
		if (hx_create(&p, t, 0, 4, 3, 0) < 0)
			continue;
		for (v = 1; v <= 3; v++)
			hx_update(&p, NULL, &v, 0);
		v = 4;
		hx_expect(hx_update(&p, NULL, &v, 0), -E2BIG, "push on a full map");
		v = 5;
		hx_expect(hx_update(&p, NULL, &v, 2), 0, "push with BPF_EXIST on a full map");
		for (int i = 0; i < 3; i++) {
			out = 0;
			hx_lookup_del(&p, NULL, &out, 0);
			hx_expect(out, want[t - EMU_MAP_QUEUE][i], "pop order");
		}
		hx_close(&p);
	}
}

/* §10: arrays at every index and boundary, values with padding. */
static void arrays(void)
{
	static const uint32_t vsizes[] = { 1, 3, 4, 8, 12, 13, 64 };

	for (uint32_t t = EMU_MAP_ARRAY; t <= EMU_MAP_PERCPU_ARRAY; t += EMU_MAP_PERCPU_ARRAY - EMU_MAP_ARRAY)
		for (size_t vi = 0; vi < sizeof(vsizes) / sizeof(vsizes[0]); vi++) {
			struct hx_pair p;
			unsigned char v[4096], out[4096];
			const uint32_t idx_list[] = { 0, 1, 4, 5, 6, 7, 0x7fffffff, 0x80000000u, 0xffffffffu };

			hx_ctx("%s value %u", hx_type_name(t), vsizes[vi]);
			if (hx_create(&p, t, 4, vsizes[vi], 6, 0) < 0)
				continue;
			for (size_t i = 0; i < sizeof(idx_list) / sizeof(idx_list[0]); i++) {
				uint32_t idx = idx_list[i];

				for (uint64_t f = 0; f < 6; f++) {
					fill_value(v, p.vbytes);
					hx_ctx("%s value %u: index %u flags %llu", hx_type_name(t), vsizes[vi], idx,
					       (unsigned long long)f);
					hx_update(&p, &idx, v, f);
					hx_lookup(&p, &idx, out);
					hx_next(&p, &idx, out);
					hx_delete(&p, &idx);
					hx_lookup_del(&p, &idx, out, 0);
				}
			}
			hx_ctx("%s value %u: contents", hx_type_name(t), vsizes[vi]);
			hx_compare_contents(&p);
			hx_close(&p);
		}
}

/* §7: per-CPU slots of round_up(value_size, 8), padding stored and returned. */
static void percpu(void)
{
	static const uint32_t types[] = { EMU_MAP_PERCPU_HASH, EMU_MAP_LRU_PERCPU_HASH, EMU_MAP_PERCPU_ARRAY };
	static const uint32_t vsizes[] = { 1, 4, 7, 8, 12, 13, 16, 100, 4095, 32768 };

	for (size_t ti = 0; ti < 3; ti++)
		for (size_t vi = 0; vi < sizeof(vsizes) / sizeof(vsizes[0]); vi++) {
			struct hx_pair p;
			uint32_t t = types[ti];
			unsigned char *v, *out;

			hx_ctx("%s value %u", hx_type_name(t), vsizes[vi]);
			if (hx_create(&p, t, 4, vsizes[vi], 4, hx_is_hash(t) && hx_have_sys_admin ? EMU_F_ZERO_SEED : 0) < 0)
				continue;
			v = malloc(p.vbytes);
			out = malloc(p.vbytes);
			for (uint32_t k = 0; k < 6; k++) {
				fill_value(v, p.vbytes);
				hx_ctx("%s value %u: key %u", hx_type_name(t), vsizes[vi], k);
				hx_update(&p, &k, v, 0);
				if (hx_lookup(&p, &k, out) == 0 && memcmp(v, out, p.vbytes) && !hx_is_lru(t) && k < 4)
					hx_expect(1, 0, "per-CPU value round trip incl. padding");
				hx_elem(&p, EMU_BPF_MAP_UPDATE_ELEM, &k, v, NULL, 8);  /* BPF_F_CPU: not in 6.18 */
				hx_elem(&p, EMU_BPF_MAP_UPDATE_ELEM, &k, v, NULL, 16); /* BPF_F_ALL_CPUS */
				hx_elem(&p, EMU_BPF_MAP_LOOKUP_ELEM, &k, NULL, out, 8);
				hx_elem(&p, EMU_BPF_MAP_UPDATE_ELEM, &k, v, NULL, 4); /* F_LOCK */
				hx_elem(&p, EMU_BPF_MAP_UPDATE_ELEM, &k, v, NULL, (1ull << 32) | 8);
			}
			/* PERCPU_HASH replaces in place: order and values unchanged otherwise */
			hx_ctx("%s value %u: contents", hx_type_name(t), vsizes[vi]);
			hx_compare_contents(&p);
			free(v);
			free(out);
			hx_close(&p);
		}
}

/* Keys and values far past the emulator's on-stack bounce buffers, up to the documented limits. */
static void big_sizes(void)
{
	static const struct cfg big[] = {
		{ EMU_MAP_HASH, 65536, 8, 2, 0 },	      { EMU_MAP_HASH, 513, 1u << 20, 2, 0 },
		{ EMU_MAP_HASH, 4, 4194251, 1, 0 },	      { EMU_MAP_PERCPU_HASH, 1000, 32768, 2, 0 },
		{ EMU_MAP_LRU_HASH, 4097, 4097, 4, 0 },    { EMU_MAP_LRU_PERCPU_HASH, 600, 32767, 3, 0 },
		{ EMU_MAP_ARRAY, 4, 1u << 20, 2, 0 },      { EMU_MAP_PERCPU_ARRAY, 4, 32768, 2, 0 },
		{ EMU_MAP_QUEUE, 0, 4u << 20, 2, 0 },      { EMU_MAP_STACK, 0, 100000, 3, 0 },
	};

	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		const struct cfg *c = &big[i];
		uint32_t klen = c->ks ? c->ks : 4;
		unsigned char *key = calloc(1, klen), *v, *out;
		struct hx_pair p;

		if (!create_cfg(&p, c, 0)) {
			free(key);
			continue;
		}
		v = malloc(p.vbytes);
		out = malloc(p.vbytes > klen ? p.vbytes : klen); /* GET_NEXT_KEY writes a key there */
		for (uint32_t n = 0; n < 4; n++) {
			hx_key_of(n, key, klen);
			if (hx_is_qs(c->type) || !c->ks)
				memset(key, 0, klen);
			fill_value(v, p.vbytes);
			hx_ctx("big %s key %u value %u: round %u", hx_type_name(c->type), c->ks, c->vs, n);
			hx_update(&p, c->ks ? key : NULL, v, 0);
			hx_lookup(&p, c->ks ? key : NULL, out);
			if (!hx_is_hash(c->type) || p.zero_seed) /* else the orders differ */
				hx_next(&p, c->ks ? key : NULL, out);
			if (n & 1)
				hx_lookup_del(&p, c->ks ? key : NULL, out, 0);
		}
		hx_ctx("big %s key %u value %u: contents", hx_type_name(c->type), c->ks, c->vs);
		hx_compare_contents(&p);
		free(v);
		free(out);
		free(key);
		hx_close(&p);
	}
}

int main(void)
{
	hx_init("diff_elem");
	big_sizes();
	for (size_t i = 0; i < NCFGS; i++) {
		struct hx_pair p;
		char what[128];

		if (!create_cfg(&p, &cfgs[i], 0))
			continue;
		snprintf(what, sizeof(what), "%s key %u value %u max %u flags %#x", hx_type_name(cfgs[i].type), cfgs[i].ks,
			 cfgs[i].vs, cfgs[i].max, cfgs[i].flags);
		pointer_matrix(&p, what);
		fd_matrix(&p);
		hx_close(&p);
		permissions(&cfgs[i]);
	}
	appendix();
	queue_stack();
	arrays();
	percpu();
	return hx_finish();
}
