/* SPDX-License-Identifier: MIT */
/* Hazard slots: the per-thread holds of the fd cache's fast path (see hazard.h). */
#include <pthread.h>
#include <stdlib.h>

#include "hazard.h"

static struct emu_hazard *hazards; /* push-only, never freed: slots are reused by new threads */
__thread struct emu_hazard *emu_my_hazard __attribute__((tls_model("initial-exec")));
__thread bool emu_my_hazard_tried __attribute__((tls_model("initial-exec")));
static pthread_key_t hazard_key;
static pthread_once_t hazard_once = PTHREAD_ONCE_INIT;

static void hazard_release(void *p)
{
	struct emu_hazard *h = p;

	__atomic_store_n(&h->map, NULL, __ATOMIC_RELEASE);
	__atomic_store_n(&h->taken, 0, __ATOMIC_RELEASE);
}

static void hazard_init(void)
{
	if (pthread_key_create(&hazard_key, hazard_release))
		hazard_key = (pthread_key_t)-1;
}

__attribute__((noinline)) struct emu_hazard *emu_hazard_get_slow(void)
{
	struct emu_hazard *h;

	emu_my_hazard_tried = true;
	pthread_once(&hazard_once, hazard_init);
	if (hazard_key == (pthread_key_t)-1)
		return NULL;
	for (h = __atomic_load_n(&hazards, __ATOMIC_ACQUIRE); h; h = h->next) {
		int free_slot = 0;

		if (__atomic_compare_exchange_n(&h->taken, &free_slot, 1, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			break;
	}
	if (!h) {
		h = calloc(1, sizeof(*h));
		if (!h)
			return NULL;
		h->taken = 1;
		h->next = __atomic_load_n(&hazards, __ATOMIC_RELAXED);
		while (!__atomic_compare_exchange_n(&hazards, &h->next, h, true, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
			;
	}
	if (pthread_setspecific(hazard_key, h)) {
		hazard_release(h);
		return NULL;
	}
	emu_my_hazard = h;
	return h;
}

bool emu_hazard_names(const struct emu_map *m)
{
	for (struct emu_hazard *h = __atomic_load_n(&hazards, __ATOMIC_ACQUIRE); h; h = h->next)
		if (__atomic_load_n(&h->map, __ATOMIC_ACQUIRE) == m)
			return true;
	return false;
}

void emu_hazards_after_fork(void)
{
	for (struct emu_hazard *h = hazards; h; h = h->next)
		if (h != emu_my_hazard)
			hazard_release(h);
}
