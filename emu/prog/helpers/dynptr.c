/* SPDX-License-Identifier: MIT */
/*
 * The dynptr helpers of kernel/bpf/helpers.c: bpf_dynptr_from_mem (a local dynptr over memory the
 * program has), bpf_dynptr_read, bpf_dynptr_write and bpf_dynptr_data on any dynptr (local or
 * ringbuf; skb/xdp dynptrs come from kfuncs, which the emulator does not have). Their answers
 * are the kernel's: -EINVAL for a NULL dynptr or flags, -E2BIG when offset/len leave the dynptr
 * (bpf_dynptr_check_off_len), NULL from bpf_dynptr_data for any of those or a read-only dynptr.
 * The dynptr's 16 bytes and the data they point at are checked against the run's regions before
 * they are touched (emu_helper_mem): a run never goes outside what its program may access.
 */
#include "dynptr.h"
#include "helpers.h"

/* The dynptr at p (its 16 bytes readable), or NULL with the run stopped */
static const struct emu_dynptr *dynptr_at(struct emu_run *run, uint64_t p, const char *helper)
{
	if (!emu_helper_mem(run, p, EMU_DYNPTR_SIZE, EMU_MEM_READ, helper, "dynptr"))
		return NULL;
	return (const struct emu_dynptr *)(uintptr_t)p;
}

/* bpf_dynptr_check_off_len */
static int check_off_len(const struct emu_dynptr *d, uint32_t off, uint32_t len)
{
	uint32_t size = emu_dynptr_len(d);

	return len > size || off > size - len ? -E2BIG : 0;
}

/* the dynptr's bytes [off, off + len), checked against the run's regions */
static void *dynptr_bytes(struct emu_run *run, const struct emu_dynptr *d, uint32_t off, uint32_t len, uint32_t access,
			  const char *helper)
{
	uint64_t p = (uint64_t)(uintptr_t)d->data + d->offset + off;

	if (!emu_helper_mem(run, p, len, access, helper, "dynptr data"))
		return NULL;
	return (void *)(uintptr_t)p;
}

HELPER(dynptr_from_mem)
{
	struct emu_dynptr *d;
	uint32_t size = (uint32_t)r2;

	(void)r5;
	if (!emu_helper_mem(run, r4, EMU_DYNPTR_SIZE, EMU_MEM_WRITE, "bpf_dynptr_from_mem", "dynptr"))
		return 0;
	d = (struct emu_dynptr *)(uintptr_t)r4;
	memset(d, 0, sizeof(*d));
	if (size > EMU_DYNPTR_MAX_SIZE)
		return (uint64_t)(int64_t)-E2BIG;
	if (r3)
		return (uint64_t)(int64_t)-EINVAL;
	emu_dynptr_init(d, (void *)(uintptr_t)r1, EMU_DYNPTR_LOCAL, size);
	return 0;
}

HELPER(dynptr_read)
{
	const struct emu_dynptr *d = dynptr_at(run, r3, "bpf_dynptr_read");
	uint32_t len = (uint32_t)r2, off = (uint32_t)r4;
	void *src;
	int err;

	if (!d)
		return 0;
	if (!d->data || r5)
		return (uint64_t)(int64_t)-EINVAL;
	if ((err = check_off_len(d, off, len)))
		return (uint64_t)(int64_t)err;
	if (!emu_helper_mem(run, r1, len, EMU_MEM_WRITE, "bpf_dynptr_read", "dst"))
		return 0;
	src = dynptr_bytes(run, d, off, len, EMU_MEM_READ, "bpf_dynptr_read");
	if (!src)
		return 0;
	memmove((void *)(uintptr_t)r1, src, len);
	return 0;
}

HELPER(dynptr_write)
{
	const struct emu_dynptr *d = dynptr_at(run, r1, "bpf_dynptr_write");
	uint32_t off = (uint32_t)r2, len = (uint32_t)r4;
	void *dst;
	int err;

	if (!d)
		return 0;
	if (!d->data || (d->size & EMU_DYNPTR_RDONLY))
		return (uint64_t)(int64_t)-EINVAL;
	if ((err = check_off_len(d, off, len)))
		return (uint64_t)(int64_t)err;
	if (r5)
		return (uint64_t)(int64_t)-EINVAL; /* local and ringbuf dynptrs take no flags */
	if (!emu_helper_mem(run, r3, len, EMU_MEM_READ, "bpf_dynptr_write", "src"))
		return 0;
	dst = dynptr_bytes(run, d, off, len, EMU_MEM_WRITE, "bpf_dynptr_write");
	if (!dst)
		return 0;
	memmove(dst, (const void *)(uintptr_t)r3, len);
	return 0;
}

HELPER(dynptr_data)
{
	const struct emu_dynptr *d = dynptr_at(run, r1, "bpf_dynptr_data");
	uint32_t off = (uint32_t)r2, len = (uint32_t)r3;

	(void)r4, (void)r5;
	if (!d || !d->data || check_off_len(d, off, len) || (d->size & EMU_DYNPTR_RDONLY))
		return 0;
	if (emu_dynptr_type(d) != EMU_DYNPTR_LOCAL && emu_dynptr_type(d) != EMU_DYNPTR_RINGBUF)
		return 0;
	/* the program will access the slice itself: it must be memory it may access */
	return (uint64_t)(uintptr_t)dynptr_bytes(run, d, off, len, EMU_MEM_READ, "bpf_dynptr_data");
}
