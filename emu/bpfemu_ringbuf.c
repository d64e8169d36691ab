/* SPDX-License-Identifier: MIT */
/*
 * The public ring buffer test API (include/bpfemu/bpfemu.h): what a BPF program's bpf_ringbuf_*
 * helpers and bpf_user_ringbuf_drain do, for a test that produces into a RINGBUF, or consumes a
 * USER_RINGBUF, without a program. Thin: maps/ringbuf.c does the work, as it does for programs.
 * Each entry point runs under the front end's API guard (cmd/bpf.h: the preload passes the
 * emulator's own file operations through meanwhile); a drain's callback, the caller's code, runs
 * outside it.
 */
#include <errno.h>

#include "bpfemu/bpfemu.h"
#include "cmd/bpf.h"
#include "core/map.h"
#include "maps/ringbuf.h"
#include "util/compiler.h"

static int ret_errno(int err)
{
	if (err < 0) {
		errno = -err;
		return -1;
	}
	return err;
}

/* The ring fd names, held; -errno if it is no map, -EINVAL if no ring of the wanted kind. */
static int get_ring(int fd, bool user, struct emu_map **m)
{
	int mode, err = emu_map_get(fd, m, &mode);

	if (err)
		return err;
	if (user ? !emu_is_user_ringbuf(*m) : !emu_is_ringbuf(*m)) {
		emu_map_put(*m);
		return -EINVAL;
	}
	return 0;
}

static int api_ringbuf_output(int map_fd, const void *data, uint64_t size, uint64_t flags)
{
	struct emu_map *m;
	int err = get_ring(map_fd, false, &m);

	if (err)
		return ret_errno(err);
	err = emu_ringbuf_output(m, data, size, flags);
	emu_map_put(m);
	return ret_errno(err);
}

static void *api_ringbuf_reserve(int map_fd, uint64_t size)
{
	struct emu_map *m;
	void *p;
	int err = get_ring(map_fd, false, &m);

	if (err) {
		errno = -err;
		return NULL;
	}
	p = emu_ringbuf_reserve(m, size);
	emu_map_put(m);
	if (!p)
		errno = EAGAIN;
	return p;
}

static int commit(int map_fd, void *sample, uint64_t flags, bool discard)
{
	struct emu_map *m;
	int err = get_ring(map_fd, false, &m);

	if (err)
		return ret_errno(err);
	err = emu_ringbuf_commit(m, sample, flags, discard);
	emu_map_put(m);
	return ret_errno(err);
}

static int api_ringbuf_submit(int map_fd, void *sample, uint64_t flags)
{
	return commit(map_fd, sample, flags, false);
}

static int api_ringbuf_discard(int map_fd, void *sample, uint64_t flags)
{
	return commit(map_fd, sample, flags, true);
}

static uint64_t api_ringbuf_query(int map_fd, uint64_t flags)
{
	struct emu_map *m;
	uint64_t v;

	if (get_ring(map_fd, false, &m))
		return 0;
	v = emu_ringbuf_query(m, flags);
	emu_map_put(m);
	return v;
}

struct drain_ctx {
	long (*cb)(void *ctx, const void *data, uint32_t size);
	void *ctx;
};

static long drain_cb(void *ctx, void *sample, uint32_t size)
{
	struct drain_ctx *d = ctx;
	long r;

	if (!emu_api_guard)
		return d->cb(d->ctx, sample, size);
	emu_api_guard(-1); /* the caller's own code */
	r = d->cb(d->ctx, sample, size);
	emu_api_guard(1);
	return r;
}

static long api_user_ringbuf_drain(int map_fd, long (*cb)(void *ctx, const void *data, uint32_t size), void *ctx,
				   uint64_t flags)
{
	struct drain_ctx d = { cb, ctx };
	struct emu_map *m;
	long r;
	int err = get_ring(map_fd, true, &m);

	if (err)
		return ret_errno(err);
	if (!cb) {
		emu_map_put(m);
		return ret_errno(-EINVAL);
	}
	r = emu_user_ringbuf_drain(m, drain_cb, &d, flags);
	emu_map_put(m);
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

/* ---- the entry points ---- */

EMU_API int bpfemu_ringbuf_output(int map_fd, const void *data, uint64_t size, uint64_t flags)
{
	EMU_API_GUARDED(int, api_ringbuf_output(map_fd, data, size, flags));
}

EMU_API void *bpfemu_ringbuf_reserve(int map_fd, uint64_t size)
{
	EMU_API_GUARDED(void *, api_ringbuf_reserve(map_fd, size));
}

EMU_API int bpfemu_ringbuf_submit(int map_fd, void *sample, uint64_t flags)
{
	EMU_API_GUARDED(int, api_ringbuf_submit(map_fd, sample, flags));
}

EMU_API int bpfemu_ringbuf_discard(int map_fd, void *sample, uint64_t flags)
{
	EMU_API_GUARDED(int, api_ringbuf_discard(map_fd, sample, flags));
}

EMU_API uint64_t bpfemu_ringbuf_query(int map_fd, uint64_t flags)
{
	EMU_API_GUARDED(uint64_t, api_ringbuf_query(map_fd, flags));
}

EMU_API long bpfemu_user_ringbuf_drain(int map_fd, long (*cb)(void *ctx, const void *data, uint32_t size),
				       void *ctx, uint64_t flags)
{
	EMU_API_GUARDED(long, api_user_ringbuf_drain(map_fd, cb, ctx, flags));
}
