/* SPDX-License-Identifier: MIT */
/*
 * The ring buffers (maps/ringbuf.c): RINGBUF, which programs produce into and user space consumes
 * from, and USER_RINGBUF, the other way round. What the program-side helpers
 * (bpf_ringbuf_output/reserve/submit/discard/query, bpf_user_ringbuf_drain), the in-process test
 * API (include/bpfemu/bpfemu.h) and the poll emulation of the shim use.
 *
 * A map view of a ring maps its data pages twice, one copy right after the other (as the kernel's
 * vmap of the ring does), so a record that wraps past the end of the ring is contiguous: a reserved
 * sample of n bytes is n contiguous bytes of this process's memory.
 */
#ifndef BPFEMU_MAPS_RINGBUF_H
#define BPFEMU_MAPS_RINGBUF_H

#include <stdbool.h>
#include <stdint.h>

#include "../uapi/bpf_uapi.h"

struct emu_map;

#define EMU_MAX_USER_RINGBUF_SAMPLES (128 * 1024)

bool emu_is_ringbuf(const struct emu_map *m);      /* RINGBUF */
bool emu_is_user_ringbuf(const struct emu_map *m); /* USER_RINGBUF */

/* RINGBUF, the producer's side (the kernel's __bpf_ringbuf_reserve and bpf_ringbuf_commit): a
 * sample of size bytes in the ring, its header busy, or NULL when it does not fit. */
void *emu_ringbuf_reserve(struct emu_map *m, uint64_t size);
/* The sample submitted (or discarded) and consumers woken as flags say; -EINVAL if sample is not
 * a reserved sample of m's ring (the kernel's verifier makes that impossible for programs). */
int emu_ringbuf_commit(struct emu_map *m, void *sample, uint64_t flags, bool discard);
/* bpf_ringbuf_output: 0, -EINVAL (flags), -EAGAIN (no room) */
int emu_ringbuf_output(struct emu_map *m, const void *data, uint64_t size, uint64_t flags);
/* bpf_ringbuf_query */
uint64_t emu_ringbuf_query(struct emu_map *m, uint64_t flags);

/*
 * USER_RINGBUF, the consumer's side (bpf_user_ringbuf_drain): callback(ctx, sample, size) for each
 * committed sample, in order, until it returns non-zero or the ring is empty; discarded samples
 * are skipped. Returns the samples passed to the callback, or -EINVAL (flags, a sample the
 * producer wrote wrong), -E2BIG (a sample larger than the ring), -EBUSY (another drain in
 * progress).
 */
long emu_user_ringbuf_drain(struct emu_map *m, long (*callback)(void *ctx, void *sample, uint32_t size),
			    void *ctx, uint64_t flags);

/*
 * Waiting for a ring (the shim's poll emulation, shim/poll.c). A waiter announces itself before
 * it looks at the ring's state a last time and blocks, and withdraws after; producers look for
 * waiters after they publish, so one of the two sees the other. A wakeup is an inotify event on
 * the map file (opening it by its registry name): anyone may watch it.
 */
void emu_ring_wait_begin(struct emu_map *m);
void emu_ring_wait_end(struct emu_map *m);
void emu_ring_wake(struct emu_map *m);

#endif
