/* SPDX-License-Identifier: MIT */
/*
 * File operations on a map fd, as the kernel's bpf_map_fops answer them: mmap() (the preload
 * interposes it; only a family with an mmap_range op, ARRAY with BPF_F_MMAPABLE, or an mmap_page
 * op, the ring buffers, can be mapped) and poll (emu_map_poll).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../core/map.h"
#include "../frontend.h"
#include "../maps/ringbuf.h"
#include "../util/compiler.h"
#include "bpfemu/bpfemu.h"
#include "cmds.h"

/*
 * The ring buffers' own rules (ringbuf_map_mmap_kern / _user): a RINGBUF is writable at its
 * consumer page alone, a USER_RINGBUF everywhere but there; then remap_vmalloc_range's bounds:
 * the consumer page, the producer page and the data pages twice.
 */
static int ring_rules(struct emu_map *m, uint64_t pgoff, uint64_t pages, int prot, uint64_t ps)
{
	uint64_t file_off;

	if (prot & PROT_WRITE) {
		if (m->map_type == EMU_MAP_RINGBUF && (pgoff != 0 || pages * ps != ps))
			return -EPERM;
		if (m->map_type == EMU_MAP_USER_RINGBUF && pgoff == 0)
			return -EPERM;
	}
	if (pgoff + pages < pgoff || m->ops->mmap_page(m, pgoff + pages - 1, &file_off))
		return -EINVAL;
	return 0;
}

/* The pages of the mapping, coalesced into runs that are contiguous in the file. */
static int ring_plan(struct emu_map *m, uint64_t pgoff, uint64_t pages, uint64_t ps, struct emu_mmap_plan *plan)
{
	plan->nseg = 0;
	for (uint64_t i = 0; i < pages; i++) {
		uint64_t fo;
		int err = m->ops->mmap_page(m, pgoff + i, &fo);

		if (err)
			return err;
		if (plan->nseg && plan->seg[plan->nseg - 1].file_off + plan->seg[plan->nseg - 1].len == fo) {
			plan->seg[plan->nseg - 1].len += ps;
			continue;
		}
		if (plan->nseg == EMU_MMAP_MAX_SEGS)
			return -EINVAL;
		plan->seg[plan->nseg].addr_off = i * ps;
		plan->seg[plan->nseg].file_off = fo;
		plan->seg[plan->nseg].len = ps;
		plan->nseg++;
	}
	return 0;
}

/*
 * mmap() of a map fd, in the kernel's order: what the mm layer checks for any file, then the
 * map's own rules (bpf_map_mmap: only a map with an mmap op, ARRAY with BPF_F_MMAPABLE and the
 * ring buffers; a frozen map cannot be mapped writable), then the type's. On success the plan
 * says which parts of our file make the mapping. Returns 0, -errno, or 1 when fd is not an
 * emulated map.
 */
int emu_map_mmap_plan(int fd, size_t len, int prot, int flags, off_t off, struct emu_mmap_plan *plan)
{
	struct emu_map *m;
	uint64_t data_off, data_len, ps = (uint64_t)sysconf(_SC_PAGESIZE);
	int mode, err;

	if (emu_map_get(fd, &m, &mode))
		return 1;
	err = -EACCES;
	if (mode == O_WRONLY || ((flags & MAP_TYPE) == MAP_SHARED && (prot & PROT_WRITE) && mode != O_RDWR))
		goto out;
	err = -EINVAL;
	if (!len || (off & (EMU_PAGE_SIZE - 1)) || (m->ops->mmap_page && (off & (ps - 1))))
		goto out;
	/* bpf_map_mmap: no mmap op, or a value with special fields (BTF), is ENOTSUPP first */
	err = -EMU_ENOTSUPP;
	if ((!m->ops->mmap_range && !m->ops->mmap_page) || m->nr_fields)
		goto out;
	err = -EINVAL;
	if ((flags & MAP_TYPE) != MAP_SHARED)
		goto out;
	if (prot & PROT_WRITE) {
		err = -EPERM;
		if (__atomic_load_n(&m->hdr->frozen, __ATOMIC_ACQUIRE))
			goto out;
		err = -EACCES;
		if (m->map_flags & EMU_F_RDONLY_PROG)
			goto out;
	}
	plan->read_only = !(prot & PROT_WRITE);
	if (m->ops->mmap_page) {
		uint64_t pages = emu_round_up64(len, ps) / ps;

		err = ring_rules(m, (uint64_t)off / ps, pages, prot, ps);
		if (!err)
			err = ring_plan(m, (uint64_t)off / ps, pages, ps, plan);
		goto out;
	}
	err = m->ops->mmap_range(m, &data_off, &data_len);
	if (err)
		goto out;
	err = -EINVAL;
	if ((uint64_t)off + emu_round_up64(len, EMU_PAGE_SIZE) > data_len)
		goto out;
	plan->nseg = 1;
	plan->seg[0].addr_off = 0;
	plan->seg[0].file_off = data_off + (uint64_t)off;
	plan->seg[0].len = len;
	plan->read_only = false; /* the array's mapping keeps the fd's mode, as before */
	err = 0;
out:
	emu_map_put(m);
	return err;
}

int emu_map_mmap_check(int fd, size_t len, int prot, int flags, off_t off, off_t *file_off)
{
	struct emu_mmap_plan plan;
	int r = emu_map_mmap_plan(fd, len, prot, flags, off, &plan);

	if (!r)
		*file_off = (off_t)plan.seg[0].file_off;
	return r;
}

int emu_map_poll(int fd, uint32_t *revents, bool *is_ring)
{
	struct emu_map *m;
	int mode;

	if (emu_map_get(fd, &m, &mode))
		return 1;
	*is_ring = m->ops->poll != NULL;
	*revents = m->ops->poll ? m->ops->poll(m) : 0x008 /* EPOLLERR */;
	emu_map_put(m);
	return 0;
}

void emu_map_poll_wait(int fd, bool begin)
{
	struct emu_map *m;
	int mode;

	if (emu_map_get(fd, &m, &mode))
		return;
	if (m->ops->poll) {
		if (begin)
			emu_ring_wait_begin(m);
		else
			emu_ring_wait_end(m);
	}
	emu_map_put(m);
}

/*
 * The mapping a plan describes: one part where it is one (the fd's own mode, as the kernel maps a
 * map's pages), else the address range reserved first and each part mapped over it. A mapping the
 * kernel would never let become writable is made from a read-only open of the file. Marked as
 * the emulator's own (EMU_MAP_OWN) for a seccomp supervisor. MAP_FAILED and errno on failure.
 */
void *emu_map_mmap_plan_map(void *addr, size_t len, int prot, int flags, int fd, const struct emu_mmap_plan *plan)
{
	size_t total = 0;
	int mfd = fd;
	char *base;

	if (plan->nseg == 1 && !plan->read_only)
		return mmap(addr, len, prot, (flags & ~MAP_TYPE) | EMU_MAP_OWN, fd, (off_t)plan->seg[0].file_off);
	for (unsigned i = 0; i < plan->nseg; i++)
		if (plan->seg[i].addr_off + plan->seg[i].len > total)
			total = (size_t)(plan->seg[i].addr_off + plan->seg[i].len);
	if (plan->read_only) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		mfd = open(path, O_RDONLY | O_CLOEXEC);
		if (mfd < 0)
			return MAP_FAILED;
	}
	base = mmap(addr, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)), -1,
		    0);
	for (unsigned i = 0; base != MAP_FAILED && i < plan->nseg; i++)
		if (mmap(base + plan->seg[i].addr_off, (size_t)plan->seg[i].len, prot,
			 (flags & ~(MAP_TYPE | MAP_FIXED_NOREPLACE)) | MAP_FIXED | EMU_MAP_OWN, mfd,
			 (off_t)plan->seg[i].file_off) == MAP_FAILED) {
			int err = errno;

			munmap(base, total);
			errno = err;
			base = MAP_FAILED;
		}
	if (mfd != fd) {
		int err = errno;

		close(mfd);
		errno = err;
	}
	return base;
}

EMU_API void *bpfemu_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct emu_mmap_plan plan;
	int r = (flags & MAP_ANONYMOUS) || fd < 0 ? 1 : emu_map_mmap_plan(fd, len, prot, flags, off, &plan);

	if (r == 1)
		return mmap(addr, len, prot, flags, fd, off);
	if (r < 0) {
		errno = -r;
		return MAP_FAILED;
	}
	return emu_map_mmap_plan_map(addr, len, prot, flags, fd, &plan);
}
