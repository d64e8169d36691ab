/* SPDX-License-Identifier: MIT */
/*
 * Differential mode: writes through an mmapable array's mapping. A program that stores into the
 * mapping of a BPF_F_MMAPABLE array changes the emulated map without any bpf() call, so the
 * kernel's mirror never sees the store and the next lookup would show a divergence that is not
 * one. So, before each compared call on such a map, every value that changed since the end of the
 * last compared call on it (a change no compared call made: a store through a mapping, in this
 * process or another) is copied into the mirror through a mapping of the kernel's map made for the
 * copy, and counted in the summary; after the call, the emulated values are taken again as the
 * reference. Neither side's mapping of ours counts as a writable mapping for FREEZE: ours of the
 * emulated values comes from a read-only open, the kernel's is gone before the call is made.
 *
 * A value changed by a compared call is in the reference, so a wrong write by the emulator's own
 * update still shows as a divergence at the next lookup. The reference of a mirror found after the
 * fact (another process's map) is the kernel's values when it was found. A store made through a
 * mapping while a call runs, in another thread, is taken into the reference uncopied: two threads
 * racing on one map are outside what --diff compares (README).
 */
#include "diffmode.h"

/* A shared mapping made with the real mmap() (the preload interposes it), NULL on failure. */
void *dm_raw_mmap(size_t len, int prot, int fd, off_t off)
{
	long r = dm_real_syscall(SYS_mmap, 0L, (long)len, (long)prot, (long)MAP_SHARED, (long)fd, (long)off);

	return r == -1 ? NULL : (void *)r;
}

/* Our view of the emulated values: through a read-only open of the map's file, so that it can
 * never become writable, and FREEZE (which refuses while any mapping may write the values) does
 * not take it for one of the program's. */
static void *read_only_view(int efd, size_t len, off_t off)
{
	char path[64];
	long fd;
	void *p;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", efd);
	fd = dm_real_syscall(SYS_openat, (long)AT_FDCWD, (long)path, (long)(O_RDONLY | O_CLOEXEC), 0L);
	if (fd < 0)
		return NULL;
	p = dm_raw_mmap(len, PROT_READ, (int)fd, off);
	dm_real_syscall(SYS_close, fd);
	return p;
}

/* Both sides' values mapped, and the reference taken: false if this map has no mapping to follow. */
static bool setup(struct mirror *m, int efd)
{
	uint64_t len = (uint64_t)m->max_entries * emu_round_up(m->value_size, 8);
	unsigned char *kv;
	off_t foff;

	if (m->mapping_tried)
		return m->snap != NULL;
	m->mapping_tried = true;
	if (m->type != EMU_MAP_ARRAY || !(m->map_flags & EMU_F_MMAPABLE) || !len)
		return false;
	len = emu_round_up64(len, PAGE);
	if (len > SHADOW_MAX) {
		dm_note("an mmapable array of %llu bytes: stores through its mapping are not carried to the kernel "
			"(larger than %u MiB)", (unsigned long long)len, SHADOW_MAX >> 20);
		return false;
	}
	m->vlen = (size_t)len;
	if (emu_map_mmap_check(efd, m->vlen, PROT_READ, MAP_SHARED, 0, &foff) || !(m->ev = read_only_view(efd, m->vlen, foff)) ||
	    !(m->snap = malloc(m->vlen)) || !(kv = dm_raw_mmap(m->vlen, PROT_READ, m->kfd, 0))) {
		dm_mapping_release(m);
		m->mapping_tried = true;
		return false;
	}
	memcpy(m->snap, kv, m->vlen);
	munmap(kv, m->vlen);
	return true;
}

void dm_mapping_sync(struct mirror *m, int efd)
{
	unsigned char *kv = NULL;
	size_t stride;

	dm_mt_sync(m, efd);
	if (!m || !setup(m, efd))
		return;
	stride = emu_round_up(m->value_size, 8);
	for (size_t off = 0; off + stride <= m->vlen; off += stride) {
		if (!memcmp(m->ev + off, m->snap + off, stride))
			continue;
		/* the kernel's mapping is made for the copy only: a mapping that may write counts
		 * against FREEZE there as the program's do here */
		if (!kv && !(kv = dm_raw_mmap(m->vlen, PROT_READ | PROT_WRITE, m->kfd, 0)))
			return;
		memcpy(kv + off, m->ev + off, stride);
		dm_st.mapping_writes++;
	}
	if (kv)
		munmap(kv, m->vlen);
}

void dm_mapping_snapshot(struct mirror *m)
{
	dm_mt_snapshot(m);
	if (m && m->snap)
		memcpy(m->snap, m->ev, m->vlen);
}

void dm_mapping_release(struct mirror *m)
{
	dm_mt_release(m);
	if (m->ev)
		munmap(m->ev, m->vlen);
	free(m->snap);
	m->ev = m->snap = NULL;
	m->mapping_tried = false;
}

void *dm_mapping_for_freeze(const struct mirror *m, int efd)
{
	void *p;

	if (emu_map_writably_mapped(efd) != 1)
		return NULL;
	/* the first page that may be mapped writable: an array's, a RINGBUF's consumer page, a
	 * USER_RINGBUF's producer page */
	if (!(p = dm_raw_mmap(PAGE, PROT_READ | PROT_WRITE, m->kfd, 0)))
		p = dm_raw_mmap(PAGE, PROT_READ | PROT_WRITE, m->kfd, PAGE);
	return p;
}
