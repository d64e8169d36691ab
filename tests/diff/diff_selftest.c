/* SPDX-License-Identifier: MIT */
/*
 * The harness must notice what it claims to compare: divergences are injected on purpose (one
 * side's map changed behind the harness's back) and each must be reported; identical maps must
 * not be. Without this, a harness that fed both sides the same broken attr would pass everything.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static unsigned failures;

static void raw_update(const struct hx_pair *p, int side, const void *key, const void *val)
{
	unsigned char a[EMU_ATTR_SIZE];
	uint32_t fd = (uint32_t)p->fd[side];
	uint64_t kp = (uint64_t)(uintptr_t)key, vp = (uint64_t)(uintptr_t)val;

	memset(a, 0, sizeof(a));
	memcpy(a + EL_FD, &fd, 4);
	memcpy(a + EL_KEY, &kp, 8);
	memcpy(a + EL_VALUE, &vp, 8);
	if (hx_raw(side, EMU_BPF_MAP_UPDATE_ELEM, a, sizeof(a)))
		printf("selftest: raw update failed on the %s side\n", side ? "emulator" : "kernel");
}

/* Runs fn and checks whether the harness counted a divergence. */
static void expect_divergence(const char *what, bool want, void (*fn)(const struct hx_pair *), const struct hx_pair *p)
{
	unsigned long before = hx_ndiv;
	bool got;

	fn(p);
	got = hx_ndiv != before;
	hx_ndiv = before;
	if (got != want) {
		failures++;
		printf("FAIL: selftest %s: harness %s a divergence\n", what, got ? "reported" : "missed");
	} else {
		printf("ok: selftest %s: %s\n", what, want ? "divergence reported" : "no divergence");
	}
}

static void t_lookup_same(const struct hx_pair *p)
{
	uint32_t k = 1;
	uint64_t v;

	hx_lookup(p, &k, &v);
}

static void t_lookup_value(const struct hx_pair *p)
{
	uint32_t k = 1;
	uint64_t vk = 0x1111, ve = 0x1112, out;

	raw_update(p, HX_K, &k, &vk);
	raw_update(p, HX_E, &k, &ve);
	hx_lookup(p, &k, &out);
}

static void t_lookup_result(const struct hx_pair *p)
{
	uint32_t k = 2;
	uint64_t v = 7, out;

	raw_update(p, HX_E, &k, &v); /* only the emulator has key 2 */
	hx_lookup(p, &k, &out);
}

static void t_walk(const struct hx_pair *p)
{
	uint32_t k = 3;
	uint64_t v = 9;

	raw_update(p, HX_K, &k, &v); /* only the kernel has key 3 */
	hx_compare_contents(p);
}

static void t_info_same(const struct hx_pair *p) { hx_compare_info(p); }

int main(void)
{
	struct hx_pair p;
	unsigned max_reports;

	hx_init("diff_selftest");
	max_reports = hx_max_reports;
	hx_max_reports = 0; /* the injected divergences are expected: keep the log readable */
	hx_ctx("selftest");
	if (hx_create(&p, EMU_MAP_HASH, 4, 8, 8, hx_have_sys_admin ? EMU_F_ZERO_SEED : 0) < 0) {
		printf("FAIL: selftest setup\n");
		return 1;
	}
	{
		uint32_t k = 1;
		uint64_t v = 5;

		hx_update(&p, &k, &v, 0);
	}
	expect_divergence("identical maps, lookup", false, t_lookup_same, &p);
	expect_divergence("identical maps, info", false, t_info_same, &p);
	expect_divergence("value bytes differ", true, t_lookup_value, &p);
	expect_divergence("result differs", true, t_lookup_result, &p);
	expect_divergence("whole-map walk differs", true, t_walk, &p);
	hx_close(&p);
	hx_max_reports = max_reports;
	if (failures) {
		printf("diff_selftest: %u harness self-checks failed\n", failures);
		return 1;
	}
	return hx_finish();
}
