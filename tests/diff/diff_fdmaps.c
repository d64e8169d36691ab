/* SPDX-License-Identifier: MIT */
/*
 * The maps whose values are objects, against the kernel: ARRAY_OF_MAPS and HASH_OF_MAPS (the
 * inner map template's rules at create, which maps an update takes, lookups answering the inner
 * map's id, GET_NEXT_KEY, the batches, and the inner maps' lifetimes: alive while an element names
 * them after their last fd closed, found by id from another process, gone when the element goes),
 * PROG_ARRAY (program fds, ids, the owner program type; tail calls are in diff_fdprogs) and PERF_EVENT_ARRAY (perf event fds, the
 * kernel's errno for any other fd). Ids differ between the kernel and the emulator by design: an
 * id answered is compared as which object it names.
 *
 *   diff_fdmaps [--seconds N] [--seed S]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpfemu/bpfemu.h"
#include "frontend.h"
#include "harness.h"

static uint64_t rng = 0xa4093822299f31d0ull;
static unsigned long ids_compared, updates_ok, updates_refused;

#define NCAND 8
/* inner map candidates, on both sides: their fds and ids */
static struct cand {
	uint32_t type, ks, vs, max, flags;
	int fd[2];
	uint32_t id[2];
} cands[NCAND] = {
	{ EMU_MAP_ARRAY, 4, 8, 4, 0 , { -1, -1 }, { 0, 0 } },             /* the template of the arrays of maps */
	{ EMU_MAP_ARRAY, 4, 8, 4, 0 , { -1, -1 }, { 0, 0 } },             /* a twin */
	{ EMU_MAP_ARRAY, 4, 8, 8, 0 , { -1, -1 }, { 0, 0 } },             /* other max_entries */
	{ EMU_MAP_ARRAY, 4, 8, 8, EMU_F_INNER_MAP , { -1, -1 }, { 0, 0 } }, /* the template of a dynamic-size array */
	{ EMU_MAP_HASH, 4, 8, 4, 0 , { -1, -1 }, { 0, 0 } },              /* other type */
	{ EMU_MAP_HASH, 4, 8, 16, 0 , { -1, -1 }, { 0, 0 } },             /* hash: max_entries not compared */
	{ EMU_MAP_ARRAY, 4, 4, 4, 0 , { -1, -1 }, { 0, 0 } },             /* other value size */
	{ EMU_MAP_ARRAY, 4, 8, 4, EMU_F_RDONLY_PROG , { -1, -1 }, { 0, 0 } }, /* other flags */
};

static uint32_t map_id(int side, int fd)
{
	unsigned char info[MI_SIZE] = { 0 }, a[EMU_ATTR_SIZE] = { 0 };
	uint32_t f = (uint32_t)fd, len = sizeof(info), id = 0;
	uint64_t p = (uint64_t)(uintptr_t)info;

	memcpy(a + INFO_FD, &f, 4);
	memcpy(a + INFO_LEN, &len, 4);
	memcpy(a + INFO_PTR, &p, 8);
	if (!hx_raw(side, EMU_BPF_OBJ_GET_INFO_BY_FD, a, sizeof(a)))
		memcpy(&id, info + MI_ID, 4);
	return id;
}

static long raw_create(int side, uint32_t type, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags, int inner)
{
	unsigned char a[EMU_ATTR_SIZE] = { 0 };

	memcpy(a + MC_TYPE, &type, 4);
	memcpy(a + MC_KEY_SIZE, &ks, 4);
	memcpy(a + MC_VALUE_SIZE, &vs, 4);
	memcpy(a + MC_MAX_ENTRIES, &max, 4);
	memcpy(a + MC_FLAGS, &flags, 4);
	memcpy(a + MC_INNER_FD, &inner, 4);
	return hx_raw(side, EMU_BPF_MAP_CREATE, a, sizeof(a));
}

static void make_cands(void)
{
	for (int i = 0; i < NCAND; i++)
		for (int s = 0; s < 2; s++) {
			struct cand *c = &cands[i];

			c->fd[s] = (int)raw_create(s, c->type, c->ks, c->vs, c->max, c->flags, 0);
			c->id[s] = c->fd[s] >= 0 ? map_id(s, c->fd[s]) : 0;
		}
}

/* Which candidate an id names on a side: its index, -1 for none (0), -2 for an unknown id. */
static int cand_of(int side, uint32_t id)
{
	if (!id)
		return -1;
	for (int i = 0; i < NCAND; i++)
		if (cands[i].id[side] == id)
			return i;
	return -2;
}

static void compare_ids(const char *what, uint32_t k, uint32_t e, int (*of)(int, uint32_t))
{
	int ck = of(HX_K, k), ce = of(HX_E, e);

	hx_nops++;
	ids_compared++;
	if (ck != ce || ck == -2) {
		hx_ndiv++;
		if (hx_ndiv <= hx_max_reports)
			printf("DIVERGENCE #%lu [%s] %s: kernel id %u (object %d), emulator id %u (object %d)\n", hx_ndiv,
			       hx_ctx_get(), what, k, ck, e, ce);
	}
}

/* A lookup of an object map: the answer compared, the id compared as the object it names. */
static long lookup_id(const struct hx_pair *p, const void *key, int (*of)(int, uint32_t))
{
	struct hx_op op;
	struct hx_res r;
	uint32_t got[2] = { 0, 0 };
	struct hx_buf *b;

	hx_op_init(&op, EMU_BPF_MAP_LOOKUP_ELEM);
	hx_op_fd(&op, EL_FD, p);
	hx_op_buf(&op, EL_KEY, p->key_size, key, NULL);
	b = hx_op_buf(&op, EL_VALUE, 4, NULL, NULL);
	b->mask_off = 0;
	b->mask_len = 4;
	hx_run(&op, &r);
	if (r.ret[0] == 0 && r.ret[1] == 0) {
		/* the ids each side wrote, from its own attr's value pointer */
		for (int s = 0; s < 2; s++) {
			uint64_t vp;

			memcpy(&vp, hx_last_attr(s) + EL_VALUE, 8);
			memcpy(&got[s], (void *)(uintptr_t)vp, 4);
		}
		compare_ids("lookup", got[0], got[1], of);
	}
	return hx_kret(&r);
}

/* An update whose value is an fd: each side gets its own fd in the value buffer. */
static long update_fd(const struct hx_pair *p, const void *key, int kfd, int efd, uint64_t flags)
{
	unsigned char a[2][EMU_ATTR_SIZE];
	int32_t v[2] = { kfd, efd };
	long r[2];

	for (int s = 0; s < 2; s++) {
		uint32_t fd = (uint32_t)p->fd[s];
		uint64_t kp = (uint64_t)(uintptr_t)key, vp = (uint64_t)(uintptr_t)&v[s];

		memset(a[s], 0, EMU_ATTR_SIZE);
		memcpy(a[s] + EL_FD, &fd, 4);
		memcpy(a[s] + EL_KEY, &kp, 8);
		memcpy(a[s] + EL_VALUE, &vp, 8);
		memcpy(a[s] + EL_FLAGS, &flags, 8);
		r[s] = hx_raw(s, EMU_BPF_MAP_UPDATE_ELEM, a[s], EMU_ATTR_SIZE);
	}
	hx_nops++;
	if (r[0])
		updates_refused++;
	else
		updates_ok++;
	if (r[0] != r[1]) {
		hx_ndiv++;
		if (hx_ndiv <= hx_max_reports)
			printf("DIVERGENCE #%lu [%s] update with fds %d/%d flags %llu: kernel %s, emulator %s\n", hx_ndiv,
			       hx_ctx_get(), kfd, efd, (unsigned long long)flags, r[0] ? hx_errname((int)-r[0]) : "0",
			       r[1] ? hx_errname((int)-r[1]) : "0");
	}
	return r[0];
}

/* A lookup batch on both sides, raw: answers, counts, keys and tokens compared, the values (ids)
 * as the objects they name. */
static void batch_ids(const struct hx_pair *p, int cmd, uint32_t count, bool from_token)
{
	uint32_t keys[2][64], vals[2][64], tok_in = 0, tok[2] = { 0, 0 }, cnt[2];
	long r[2];

	if (count > 64)
		count = 64;
	for (int s = 0; s < 2; s++) {
		unsigned char a[EMU_ATTR_SIZE] = { 0 };
		uint64_t kp = (uint64_t)(uintptr_t)keys[s], vp = (uint64_t)(uintptr_t)vals[s];
		uint64_t ip = from_token ? (uint64_t)(uintptr_t)&tok_in : 0, op = (uint64_t)(uintptr_t)&tok[s];
		uint32_t fd = (uint32_t)p->fd[s];

		memset(keys[s], 0xa5, sizeof(keys[s]));
		memset(vals[s], 0, sizeof(vals[s]));
		memcpy(a + BA_IN, &ip, 8);
		memcpy(a + BA_OUT, &op, 8);
		memcpy(a + BA_KEYS, &kp, 8);
		memcpy(a + BA_VALUES, &vp, 8);
		memcpy(a + BA_COUNT, &count, 4);
		memcpy(a + BA_FD, &fd, 4);
		r[s] = hx_raw(s, cmd, a, sizeof(a));
		memcpy(&cnt[s], a + BA_COUNT, 4);
	}
	hx_ctx("batch %s count %u%s", hx_cmd_name(cmd), count, from_token ? " from token 0" : "");
	hx_nops++;
	if (r[0] != r[1] || cnt[0] != cnt[1] || memcmp(keys[0], keys[1], sizeof(keys[0])) ||
	    (cnt[0] && tok[0] != tok[1])) {
		hx_ndiv++;
		printf("DIVERGENCE #%lu [%s] kernel %ld count %u, emulator %ld count %u (or keys, tokens differ)\n", hx_ndiv,
		       hx_ctx_get(), r[0], cnt[0], r[1], cnt[1]);
		return;
	}
	for (uint32_t i = 0; i < cnt[0] && i < 64; i++)
		compare_ids("batch value", vals[0][i], vals[1][i], cand_of);
}

static void create_rules(void)
{
	static const uint32_t types[] = { EMU_MAP_ARRAY_OF_MAPS, EMU_MAP_HASH_OF_MAPS, EMU_MAP_PROG_ARRAY,
					  EMU_MAP_PERF_EVENT_ARRAY };
	int efd = eventfd(0, EFD_CLOEXEC);
	long pa[2], oom[2];

	for (int s = 0; s < 2; s++) {
		pa[s] = raw_create(s, EMU_MAP_PROG_ARRAY, 4, 4, 4, 0, 0);
		oom[s] = raw_create(s, EMU_MAP_ARRAY_OF_MAPS, 4, 4, 4, 0, cands[0].fd[s]);
	}
	for (size_t t = 0; t < 4; t++) {
		for (int ks = 0; ks <= 8; ks += 4)
			for (int vs = 0; vs <= 8; vs += 4) {
				struct hx_op op;
				struct hx_pair p;

				hx_ctx("create %s key %d value %d", hx_type_name(types[t]), ks, vs);
				hx_create_op(&op, types[t], (uint32_t)ks, (uint32_t)vs, 4, 0);
				hx_op_fd2(&op, MC_INNER_FD, cands[0].fd[HX_K], cands[0].fd[HX_E]);
				if (hx_create_from(&p, &op) >= 0)
					hx_close(&p);
			}
		for (uint32_t bit = 0; bit < 32; bit++) {
			struct hx_op op;
			struct hx_pair p;

			if (bit == 16)
				continue;
			hx_ctx("create %s flag bit %u", hx_type_name(types[t]), bit);
			hx_create_op(&op, types[t], 4, 4, 4, 1u << bit);
			hx_op_fd2(&op, MC_INNER_FD, cands[0].fd[HX_K], cands[0].fd[HX_E]);
			if (hx_create_from(&p, &op) >= 0)
				hx_close(&p);
		}
		for (int m = 0; m < 2; m++) {
			struct hx_op op;
			struct hx_pair p;

			hx_ctx("create %s max_entries %d", hx_type_name(types[t]), m);
			hx_create_op(&op, types[t], 4, 4, (uint32_t)m, 0);
			hx_op_fd2(&op, MC_INNER_FD, cands[0].fd[HX_K], cands[0].fd[HX_E]);
			if (hx_create_from(&p, &op) >= 0)
				hx_close(&p);
		}
	}
	/* the inner map fd of the map-in-map types */
	for (int t = 0; t < 2; t++) {
		uint32_t type = t ? EMU_MAP_HASH_OF_MAPS : EMU_MAP_ARRAY_OF_MAPS;
		struct {
			const char *what;
			int fd[2];
		} inners[] = {
			{ "no inner fd (0)", { 0, 0 } },
			{ "a closed fd", { 999, 999 } },
			{ "an eventfd", { efd, efd } },
			{ "a program array", { (int)pa[0], (int)pa[1] } },
			{ "an array of maps", { (int)oom[0], (int)oom[1] } },
			{ "a hash", { cands[4].fd[0], cands[4].fd[1] } },
			{ "an array with BPF_F_INNER_MAP", { cands[3].fd[0], cands[3].fd[1] } },
		};

		for (size_t i = 0; i < sizeof(inners) / sizeof(inners[0]); i++) {
			struct hx_op op;
			struct hx_pair p;

			hx_ctx("create %s, inner map %s", hx_type_name(type), inners[i].what);
			hx_create_op(&op, type, 4, 4, 4, 0);
			hx_op_fd2(&op, MC_INNER_FD, inners[i].fd[HX_K], inners[i].fd[HX_E]);
			if (hx_create_from(&p, &op) >= 0)
				hx_close(&p);
			hx_ctx("create %s, inner map %s, token fd not open", hx_type_name(type), inners[i].what);
			hx_create_op(&op, type, 4, 4, 4, EMU_F_TOKEN_FD);
			hx_op_u32(&op, MC_TOKEN_FD, 998);
			hx_op_fd2(&op, MC_INNER_FD, inners[i].fd[HX_K], inners[i].fd[HX_E]);
			if (hx_create_from(&p, &op) >= 0)
				hx_close(&p);
		}
	}
	for (int s = 0; s < 2; s++) {
		close((int)pa[s]);
		close((int)oom[s]);
	}
	close(efd);
}

/* Updates with every candidate, deletes, lookups, walks, on one map of maps. */
static void of_maps(uint32_t type, uint32_t tmpl, uint32_t max, uint32_t flags, int nops)
{
	struct hx_pair p;
	struct hx_op op;

	hx_ctx("%s, template %d", hx_type_name(type), tmpl);
	hx_create_op(&op, type, 4, 4, max, flags);
	hx_op_fd2(&op, MC_INNER_FD, cands[tmpl].fd[HX_K], cands[tmpl].fd[HX_E]);
	if (hx_create_from(&p, &op) < 0)
		return;
	for (int i = 0; i < nops; i++) {
		uint32_t key = hx_rand_below(&rng, max + 2), c = hx_rand_below(&rng, NCAND + 2);

		/* mostly maps the template takes: the template itself, its twin, a dynamic-size array's */
		if (hx_rand_below(&rng, 5) < 3)
			c = tmpl == 0 || tmpl == 1 ? hx_rand_below(&rng, 2) : tmpl == 3 ? 2 + hx_rand_below(&rng, 2) : tmpl;
		unsigned r = hx_rand_below(&rng, 10);

		if (r < 4) {
			uint64_t flags_u = hx_rand_below(&rng, 6) ? 0 : hx_rand_below(&rng, 5);
			int kfd = c < NCAND ? cands[c].fd[HX_K] : c == NCAND ? 999 : p.fd[HX_K];
			int efd = c < NCAND ? cands[c].fd[HX_E] : c == NCAND ? 999 : p.fd[HX_E];

			hx_ctx("%s template %d: update key %u with object %u flags %llu (op %d)", hx_type_name(type), tmpl, key,
			       c, (unsigned long long)flags_u, i);
			update_fd(&p, &key, kfd, efd, flags_u);
		} else if (r < 6) {
			hx_ctx("%s template %d: delete key %u (op %d)", hx_type_name(type), tmpl, key, i);
			hx_delete(&p, &key);
		} else if (r < 9) {
			hx_ctx("%s template %d: lookup key %u (op %d)", hx_type_name(type), tmpl, key, i);
			lookup_id(&p, &key, cand_of);
		} else {
			uint32_t nk;

			hx_ctx("%s template %d: next key after %u (op %d)", hx_type_name(type), tmpl, key, i);
			hx_next(&p, hx_rand_below(&rng, 4) ? &key : NULL, &nk);
		}
	}
	for (int k = 0; k < 4; k++)
		batch_ids(&p, k == 3 ? EMU_BPF_MAP_LOOKUP_AND_DELETE_BATCH : EMU_BPF_MAP_LOOKUP_BATCH,
			  1 + hx_rand_below(&rng, max + 1), k == 1);
	hx_ctx("%s template %d: whole map", hx_type_name(type), tmpl);
	for (uint32_t k = 0; k <= max && k < 64; k++)
		lookup_id(&p, &k, cand_of);
	hx_close(&p);
}

/* An inner map kept alive by its outer map: found by id after its fds closed (in another
 * process too), gone after the element is deleted. */
static void lifetimes(uint32_t type)
{
	struct hx_pair outer;
	struct hx_op op;
	int in[2];
	uint32_t id[2], key = 1;

	hx_ctx("%s: inner map lifetime", hx_type_name(type));
	hx_create_op(&op, type, 4, 4, 4, 0);
	hx_op_fd2(&op, MC_INNER_FD, cands[0].fd[HX_K], cands[0].fd[HX_E]);
	if (hx_create_from(&outer, &op) < 0)
		return;
	for (int s = 0; s < 2; s++) {
		in[s] = (int)raw_create(s, EMU_MAP_ARRAY, 4, 8, 4, 0, 0);
		id[s] = map_id(s, in[s]);
	}
	update_fd(&outer, &key, in[0], in[1], 0);
	for (int s = 0; s < 2; s++)
		close(in[s]);
	for (int step = 0; step < 3; step++) {
		long got[2];

		if (step == 2) {
			hx_delete(&outer, &key);
			usleep(200000); /* the kernel lets the inner map go after an RCU grace period */
		}
		for (int s = 0; s < 2; s++) {
			pid_t pid = step == 1 ? fork() : 0;

			if (pid == 0) {
				unsigned char a[EMU_ATTR_SIZE] = { 0 };
				long r;

				memcpy(a, &id[s], 4);
				r = hx_raw(s, EMU_BPF_MAP_GET_FD_BY_ID, a, sizeof(a));
				if (r >= 0)
					close((int)r);
				if (step == 1)
					_exit(r >= 0 ? 0 : (int)-r);
				got[s] = r >= 0 ? 0 : r;
			} else {
				int st;

				waitpid(pid, &st, 0);
				got[s] = WEXITSTATUS(st) ? -WEXITSTATUS(st) : 0;
			}
		}
		hx_nops++;
		if (got[0] != got[1]) {
			hx_ndiv++;
			printf("DIVERGENCE #%lu [%s] GET_FD_BY_ID of the inner map %s: kernel %s, emulator %s\n", hx_ndiv,
			       hx_ctx_get(), step == 0 ? "after its fds closed" : step == 1 ? "from another process" :
			       "after the element was deleted", got[0] ? hx_errname((int)-got[0]) : "found",
			       got[1] ? hx_errname((int)-got[1]) : "found");
		}
	}
	hx_close(&outer);
}

/* ---- PROG_ARRAY ---- */

static int progs[3][2]; /* socket filter, socket filter, XDP */
static uint32_t prog_ids[3][2];

static int prog_of(int side, uint32_t id)
{
	if (!id)
		return -1;
	for (int i = 0; i < 3; i++)
		if (prog_ids[i][side] == id)
			return i;
	return -2;
}

static void load_progs(void)
{
	static const unsigned char insns[16] = { 0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0 };

	for (int i = 0; i < 3; i++)
		for (int s = 0; s < 2; s++) {
			unsigned char a[EMU_ATTR_SIZE] = { 0 }, info[256] = { 0 }, ia[EMU_ATTR_SIZE] = { 0 };
			uint32_t type = i == 2 ? 6 /* XDP */ : 1, cnt = 2, len = sizeof(info), f;
			uint64_t ip = (uint64_t)(uintptr_t)insns, lic = (uint64_t)(uintptr_t)"GPL", p;

			memcpy(a + PL_TYPE, &type, 4);
			memcpy(a + PL_INSN_CNT, &cnt, 4);
			memcpy(a + PL_INSNS, &ip, 8);
			memcpy(a + PL_LICENSE, &lic, 8);
			progs[i][s] = (int)hx_raw(s, EMU_BPF_PROG_LOAD, a, sizeof(a));
			f = (uint32_t)progs[i][s];
			p = (uint64_t)(uintptr_t)info;
			memcpy(ia + INFO_FD, &f, 4);
			memcpy(ia + INFO_LEN, &len, 4);
			memcpy(ia + INFO_PTR, &p, 8);
			if (progs[i][s] >= 0 && !hx_raw(s, EMU_BPF_OBJ_GET_INFO_BY_FD, ia, sizeof(ia)))
				memcpy(&prog_ids[i][s], info + 4, 4);
		}
}

static void compare_owner(const struct hx_pair *p)
{
	char kt[1024], et[1024], path[64], *ko, *eo;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", p->fd[HX_K]);
	f = fopen(path, "r");
	n = f ? fread(kt, 1, sizeof(kt) - 1, f) : 0;
	kt[n] = 0;
	if (f)
		fclose(f);
	if (emu_fdinfo(p->fd[HX_E], et, sizeof(et)) < 0)
		et[0] = 0;
	ko = strstr(kt, "owner_prog_type:");
	eo = strstr(et, "owner_prog_type:");
	hx_nops++;
	if (!ko != !eo || (ko && strncmp(ko, eo, strcspn(ko, "\n") + 1))) {
		hx_ndiv++;
		printf("DIVERGENCE #%lu [%s] fdinfo owner: kernel \"%.30s\", emulator \"%.30s\"\n", hx_ndiv, hx_ctx_get(),
		       ko ? ko : "(none)", eo ? eo : "(none)");
	}
}

static void prog_array(void)
{
	struct hx_pair p;
	uint32_t key, nk;

	load_progs();
	hx_ctx("PROG_ARRAY");
	if (hx_create(&p, EMU_MAP_PROG_ARRAY, 4, 4, 4, 0) < 0)
		return;
	compare_owner(&p);
	key = 0;
	hx_ctx("PROG_ARRAY: update with a map fd");
	update_fd(&p, &key, cands[0].fd[HX_K], cands[0].fd[HX_E], 0);
	hx_ctx("PROG_ARRAY: update with a closed fd");
	update_fd(&p, &key, 999, 999, 0);
	hx_ctx("PROG_ARRAY: update with flags");
	update_fd(&p, &key, progs[0][HX_K], progs[0][HX_E], 1);
	update_fd(&p, &key, progs[0][HX_K], progs[0][HX_E], 2);
	key = 4;
	hx_ctx("PROG_ARRAY: update past the end");
	update_fd(&p, &key, progs[0][HX_K], progs[0][HX_E], 0);
	key = 1;
	hx_ctx("PROG_ARRAY: update with a socket filter");
	update_fd(&p, &key, progs[0][HX_K], progs[0][HX_E], 0);
	compare_owner(&p);
	lookup_id(&p, &key, prog_of);
	hx_ctx("PROG_ARRAY: update with an XDP program (another owner type)");
	key = 2;
	update_fd(&p, &key, progs[2][HX_K], progs[2][HX_E], 0);
	hx_ctx("PROG_ARRAY: replace with the other socket filter");
	key = 1;
	update_fd(&p, &key, progs[1][HX_K], progs[1][HX_E], 0);
	lookup_id(&p, &key, prog_of);
	for (key = 0; key < 6; key++) {
		hx_ctx("PROG_ARRAY: lookup, next, delete key %u", key);
		lookup_id(&p, &key, prog_of);
		hx_next(&p, &key, &nk);
		hx_delete(&p, &key);
	}
	{
		uint32_t keys[4], vals[4], tok, cnt;

		hx_ctx("PROG_ARRAY: batches");
		hx_batch(&p, EMU_BPF_MAP_LOOKUP_BATCH, NULL, &tok, 4, keys, vals, 2, 4, 0, &cnt);
		hx_batch(&p, EMU_BPF_MAP_DELETE_BATCH, NULL, NULL, 0, keys, NULL, 1, 4, 0, &cnt);
	}
	hx_close(&p);
}

static void perf_event_array(void)
{
	struct perf_event_attr pa;
	struct hx_pair p;
	uint32_t key = 0, v;
	int pfd;

	memset(&pa, 0, sizeof(pa));
	pa.type = PERF_TYPE_SOFTWARE;
	pa.size = sizeof(pa);
	pa.config = PERF_COUNT_SW_BPF_OUTPUT;
	pa.sample_type = PERF_SAMPLE_RAW;
	pa.sample_period = 1;
	pa.wakeup_events = 1;
	pfd = (int)syscall(SYS_perf_event_open, &pa, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	hx_ctx("PERF_EVENT_ARRAY");
	if (hx_create(&p, EMU_MAP_PERF_EVENT_ARRAY, 4, 4, 4, 0) < 0)
		return;
	hx_ctx("PERF_EVENT_ARRAY: update with a map fd");
	update_fd(&p, &key, cands[0].fd[HX_K], cands[0].fd[HX_E], 0);
	hx_ctx("PERF_EVENT_ARRAY: update with a closed fd");
	update_fd(&p, &key, 999, 999, 0);
	hx_ctx("PERF_EVENT_ARRAY: update with flags");
	update_fd(&p, &key, pfd, pfd, 1);
	if (pfd >= 0) {
		hx_ctx("PERF_EVENT_ARRAY: update with a perf event");
		update_fd(&p, &key, pfd, pfd, 0);
	} else {
		printf("NOTE: perf_event_open: %s: no perf event fd stored\n", strerror(errno));
	}
	key = 7;
	hx_ctx("PERF_EVENT_ARRAY: update past the end");
	update_fd(&p, &key, pfd, pfd, 0);
	for (key = 0; key < 5; key++) {
		hx_ctx("PERF_EVENT_ARRAY: lookup, next, delete key %u", key);
		hx_lookup(&p, &key, &v);
		hx_next(&p, &key, &v);
		hx_delete(&p, &key);
	}
	hx_compare_info(&p);
	hx_close(&p);
	if (pfd >= 0)
		close(pfd);
}

int main(int argc, char **argv)
{
	double seconds = 4;
	uint64_t seed = (uint64_t)time(NULL);
	struct timespec t0, t;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
	}
	hx_init("diff_fdmaps");
	hx_quiet_ok = true;
	rng ^= seed * 0x2545f4914f6cdd1dull;
	printf("diff_fdmaps: seed %llu\n", (unsigned long long)seed);
	make_cands();
	create_rules();
	lifetimes(EMU_MAP_ARRAY_OF_MAPS);
	lifetimes(EMU_MAP_HASH_OF_MAPS);
	prog_array();
	perf_event_array();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		uint32_t tmpl = hx_rand_below(&rng, 2) ? 0 : hx_rand_below(&rng, NCAND);
		uint32_t type = hx_rand_below(&rng, 2) ? EMU_MAP_HASH_OF_MAPS : EMU_MAP_ARRAY_OF_MAPS;
		uint32_t flags = type == EMU_MAP_HASH_OF_MAPS && hx_have_sys_admin ? EMU_F_ZERO_SEED : 0;

		if (type == EMU_MAP_HASH_OF_MAPS && hx_rand_below(&rng, 3) == 0)
			flags |= EMU_F_NO_PREALLOC;
		of_maps(type, tmpl, 1 + hx_rand_below(&rng, 8), flags, 120);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 < seconds);
	printf("diff_fdmaps: %lu updates made, %lu refused, %lu ids compared as objects\n", updates_ok, updates_refused,
	       ids_compared);
	return hx_finish();
}
