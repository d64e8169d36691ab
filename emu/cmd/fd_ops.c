/* SPDX-License-Identifier: MIT */
/*
 * File operations on a map fd, as the kernel's bpf_map_fops answer them: mmap() (bpf_map_mmap and
 * the mm layer before it; only a family with an mmap_range op, ARRAY with BPF_F_MMAPABLE, or an
 * mmap_page op, the ring buffers, can be mapped), poll (emu_map_poll), and what the kernel's
 * writable-mapping count (map->writecnt) is for: FREEZE refuses with EBUSY while any process maps
 * the map's pages writable (a RINGBUF's consumer page, a USER_RINGBUF's producer and data pages,
 * an array's values).
 *
 * The kernel clears VM_MAYWRITE on a mapping made without PROT_WRITE, so mprotect() can never
 * make it writable (EACCES); a mapping we make without PROT_WRITE comes from a read-only open of
 * the map's file, which gives the same guarantee from the system itself, for every later caller.
 * A ring's mapping is made of several parts of the file (its data pages twice, so records are
 * contiguous across the wrap): the address range is reserved, then each part mapped over it.
 * A writable mapping sets the map's wmapped mark; FREEZE of a marked map looks through /proc for
 * writable mappings of the map's pages, in every process it may read. The in-process API's
 * bpfemu_mmap() makes the same mappings; a caller's own mmap() of the file maps the file itself,
 * header first, and is not looked for.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../core/map.h"
#include "../core/sync.h"
#include "../frontend.h" /* EMU_MAP_OWN */
#include "../maps/ringbuf.h"
#include "../util/compiler.h"
#include "bpfemu/bpfemu.h"
#include "bpf.h"
#include "cmds.h"

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/*
 * The ring buffers' own rules (ringbuf_map_mmap_kern / _user): a RINGBUF is writable at its
 * consumer page alone, a USER_RINGBUF everywhere but there (EPERM); then remap_vmalloc_range's
 * bounds (EINVAL): the consumer page, the producer page and the data pages twice.
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

/* A ring's pages, coalesced into runs that are contiguous in the file. */
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
 * The checks, in the kernel's order: the system call's (offset alignment, MAP_HUGETLB), do_mmap's
 * (length, offset overflow, the mapping type and the fd's access mode, the anonymous inode's
 * noexec mount), then bpf_map_mmap's (the map can be mapped at all, shared, not writable when
 * frozen or BPF_F_RDONLY_PROG), then the type's (the range inside an array's values; a ring's
 * rules). mode is the fd's access mode. On success the plan says which parts of the map file make
 * the mapping.
 */
static int mmap_checks(struct emu_map *m, int mode, size_t len, int prot, int flags, off_t off,
		       struct emu_mmap_plan *plan)
{
	uint64_t data_off, data_len, pages, ps = (uint64_t)sysconf(_SC_PAGESIZE);
	bool shared = false;
	int err;

	if ((off & (EMU_PAGE_SIZE - 1)) || (m->ops->mmap_page && (off & (ps - 1))))
		return -EINVAL;
	if (flags & MAP_HUGETLB)
		return -EINVAL;
	if (!len)
		return -EINVAL;
	if (emu_round_up64(len, EMU_PAGE_SIZE) < len)
		return -ENOMEM;
	pages = emu_round_up64(len, EMU_PAGE_SIZE) / EMU_PAGE_SIZE;
	if ((uint64_t)off / EMU_PAGE_SIZE + pages < (uint64_t)off / EMU_PAGE_SIZE)
		return -EOVERFLOW;
	switch (flags & MAP_TYPE) {
	case MAP_SHARED_VALIDATE:
		if (flags & ~EMU_LEGACY_MAP_MASK)
			return -EOPNOTSUPP;
		/* fallthrough */
	case MAP_SHARED:
		if ((prot & PROT_WRITE) && mode != O_RDWR && mode != O_WRONLY)
			return -EACCES;
		/* the mm layer makes a shared mapping of a file not open for writing a private one */
		shared = mode == O_RDWR || mode == O_WRONLY;
		/* fallthrough */
	case MAP_PRIVATE:
		if (mode == O_WRONLY)
			return -EACCES;
		if (prot & PROT_EXEC)
			return -EPERM; /* the anonymous inodes' mount is noexec */
		if (flags & MAP_GROWSDOWN)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	/* bpf_map_mmap: no mmap op, or a value with special fields (BTF), is ENOTSUPP first */
	if ((!m->ops->mmap_range && !m->ops->mmap_page) || m->nr_fields)
		return -EMU_ENOTSUPP;
	if (!shared)
		return -EINVAL;
	if (prot & PROT_WRITE) {
		if (__atomic_load_n(&m->hdr->frozen, __ATOMIC_ACQUIRE))
			return -EPERM;
		if (m->map_flags & EMU_F_RDONLY_PROG)
			return -EACCES;
	}
	plan->read_only = !(prot & PROT_WRITE);
	if (m->ops->mmap_page) {
		pages = emu_round_up64(len, ps) / ps;
		err = ring_rules(m, (uint64_t)off / ps, pages, prot, ps);
		return err ? err : ring_plan(m, (uint64_t)off / ps, pages, ps, plan);
	}
	err = m->ops->mmap_range(m, &data_off, &data_len);
	if (err)
		return err;
	if ((uint64_t)off + pages * EMU_PAGE_SIZE > data_len)
		return -EINVAL;
	plan->nseg = 1;
	plan->seg[0].addr_off = 0;
	plan->seg[0].file_off = data_off + (uint64_t)off;
	plan->seg[0].len = len;
	return 0;
}

int emu_map_mmap_plan(int fd, size_t len, int prot, int flags, off_t off, struct emu_mmap_plan *plan)
{
	struct emu_map *m;
	int mode, err;

	if (emu_map_get(fd, &m, &mode))
		return 1;
	err = mmap_checks(m, mode, len, prot, flags, off, plan);
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
 * The mapping itself, with the flags the kernel honours for the caller's (checked by mmap_checks).
 * It is made MAP_SHARED_VALIDATE (EMU_MAP_OWN: a seccomp supervisor lets an emulator's own
 * mappings through), which refuses flags MAP_SHARED ignores or honours outside EMU_LEGACY_MAP_MASK:
 * those are dropped, but MAP_FIXED_NOREPLACE, made here as the kernel makes it (the address as a
 * hint; EEXIST when the mapping could not be put there). A mapping of several parts reserves its
 * range first (where the caller asked, as asked) and maps each part over it.
 */
static void *map_values(void *addr, size_t len, int prot, int flags, int fd, const struct emu_mmap_plan *plan)
{
	bool noreplace = flags & MAP_FIXED_NOREPLACE; /* with or without MAP_FIXED */
	int extra = flags & ~MAP_TYPE & EMU_LEGACY_MAP_MASK & ~(noreplace ? MAP_FIXED : 0);
	size_t total = 0;
	char *p;

	if (plan->nseg == 1) {
		p = emu_mmap_own(addr, len, prot, extra, fd, (off_t)plan->seg[0].file_off);
	} else {
		for (unsigned i = 0; i < plan->nseg; i++)
			if (plan->seg[i].addr_off + plan->seg[i].len > total)
				total = (size_t)(plan->seg[i].addr_off + plan->seg[i].len);
		p = mmap(addr, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | (extra & MAP_FIXED), -1,
			 0);
		for (unsigned i = 0; p != MAP_FAILED && i < plan->nseg; i++)
			if (emu_mmap_own(p + plan->seg[i].addr_off, (size_t)plan->seg[i].len, prot, extra | MAP_FIXED, fd,
					 (off_t)plan->seg[i].file_off) == MAP_FAILED) {
				int err = errno;

				munmap(p, total);
				errno = err;
				p = MAP_FAILED;
			}
		len = total;
	}
	if (noreplace && p != MAP_FAILED && p != addr) {
		munmap(p, len);
		errno = EEXIST;
		return MAP_FAILED;
	}
	return p;
}

int emu_map_mmap(int fd, void *addr, size_t len, int prot, int flags, off_t off, void **out, bool *maywrite)
{
	struct emu_mmap_plan plan;
	struct emu_map *m;
	void *p = MAP_FAILED;
	int mode, err;

	if (emu_map_get(fd, &m, &mode))
		return 1;
	/* the check and the mapping under the map lock, which FREEZE takes too: a map is never
	 * frozen between a writable mapping's check and its existence */
	err = emu_map_lock(m);
	if (err)
		goto out;
	err = mmap_checks(m, mode, len, prot, flags, off, &plan);
	if (!err && plan.read_only) {
		char path[64];
		int rfd;

		/* mapped from a read-only open: the system refuses to make it writable later */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		rfd = open(path, O_RDONLY | O_CLOEXEC);
		*maywrite = rfd < 0; /* no fd left for it: the caller's, and the front end refuses */
		p = map_values(addr, len, prot, flags, rfd < 0 ? fd : rfd, &plan);
		if (rfd >= 0) {
			int e = errno;

			close(rfd);
			errno = e;
		}
	} else if (!err) {
		*maywrite = true;
		p = map_values(addr, len, prot, flags, fd, &plan);
	}
	if (!err && p == MAP_FAILED)
		err = -errno;
	if (!err && *maywrite)
		__atomic_store_n(&m->hdr->wmapped, 1, __ATOMIC_RELEASE);
	emu_map_unlock(m);
out:
	emu_map_put(m);
	if (!err)
		*out = p;
	return err;
}

/* The in-process API's mmap(): a map fd's pages as the front ends map them, anything else as is. */
static void *api_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	bool maywrite;
	void *p = MAP_FAILED; /* set by emu_map_mmap on success (gcc -O2 cannot see it) */
	int r = (flags & MAP_ANONYMOUS) || fd < 0 ? 1 : emu_map_mmap(fd, addr, len, prot, flags, off, &p, &maywrite);

	if (r == 1)
		return mmap(addr, len, prot, flags, fd, off);
	if (r < 0) {
		errno = -r;
		return MAP_FAILED;
	}
	return p;
}

EMU_API void *bpfemu_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	EMU_API_GUARDED(void *, api_mmap(addr, len, prot, flags, fd, off));
}

/* A front end that lets a program make a writable mapping itself (the seccomp supervisor) marks
 * the map before the mapping exists, as emu_map_mmap() does for its own: FREEZE looks for it. */
int emu_map_mark_wmapped(int fd)
{
	struct emu_map *m;
	int mode;

	if (emu_map_get(fd, &m, &mode))
		return -EBADF;
	__atomic_store_n(&m->hdr->wmapped, 1, __ATOMIC_RELEASE);
	emu_map_put(m);
	return 0;
}

/* ---- writable mappings, for FREEZE ---- */

/* One /proc/PID/maps line: a shared mapping of the map file (dev, ino), where it lies, its offset in
 * the file, and whether it is writable now. */
static bool file_mapping(const char *line, unsigned maj, unsigned min, unsigned long ino, bool *writable,
			 unsigned long *start, unsigned long *end, unsigned long *offset)
{
	char perms[8];
	unsigned long lino;
	unsigned lmaj, lmin;

	if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu", start, end, perms, offset, &lmaj, &lmin, &lino) != 7)
		return false;
	if (lmaj != maj || lmin != min || lino != ino || perms[3] != 's')
		return false;
	*writable = perms[1] == 'w';
	return true;
}

/* Whether the mapping at start in pid may become writable (VmFlags "mw" in smaps). A mapping's
 * lines there start with its range in lower-case hex; its fields with a capital letter. */
static bool smaps_maywrite(const char *pid, unsigned long start)
{
	char path[64], line[512];
	bool in = false, mw = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/smaps", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e;

		if (((line[0] >= '0' && line[0] <= '9') || (line[0] >= 'a' && line[0] <= 'f')) &&
		    sscanf(line, "%lx-%lx ", &s, &e) == 2) {
			if (in)
				break;
			in = s == start;
		} else if (in && !strncmp(line, "VmFlags:", 8)) {
			mw = strstr(line, " mw") != NULL;
			break;
		}
	}
	fclose(f);
	return mw;
}

static bool pid_maps_writable(const char *pid, unsigned maj, unsigned min, unsigned long ino, bool alias)
{
	char path[64], line[512];
	unsigned long ro_start[8], view_end = 0;
	int nro = 0;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return false; /* gone, or not ours to read */
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long start, end, offset;
		bool w;

		if (!file_mapping(line, maj, min, ino, &w, &start, &end, &offset))
			continue;
		/* the emulator's own views: the file from offset 0, and a ring's data mapped again
		 * right after such a view (core/map_file.c, the alias op) */
		if (!offset || (alias && start == view_end)) {
			view_end = offset ? 0 : end;
			continue;
		}
		view_end = 0;
		if (w)
			found = true;
		else if (nro < 8)
			ro_start[nro++] = start;
	}
	fclose(f);
	/* a read-only mapping that once was writable is still counted (mprotect may restore it) */
	for (int i = 0; !found && i < nro; i++)
		found = smaps_maywrite(pid, ro_start[i]);
	return found;
}

/* Whether any process maps m's values so that it may write them: the kernel's writecnt. */
static bool mapped_writable(struct emu_map *m)
{
	unsigned maj = major(m->dev), min = minor(m->dev);
	struct dirent *de;
	bool found = false;
	DIR *d;

	if (!m->ops->mmap_page && (!m->ops->mmap_range || !(m->map_flags & EMU_F_MMAPABLE)))
		return false;
	/* only a map some front end mapped writable (the /proc walk reads every process's maps:
	 * ~18 ms as root among 145 processes here) */
	if (!__atomic_load_n(&m->hdr->wmapped, __ATOMIC_ACQUIRE))
		return false;
	d = opendir("/proc");
	if (!d)
		return false;
	while (!found && (de = readdir(d)))
		if (de->d_name[0] >= '1' && de->d_name[0] <= '9')
			found = pid_maps_writable(de->d_name, maj, min, (unsigned long)m->ino, m->ops->alias != NULL);
	closedir(d);
	return found;
}

int emu_map_writably_mapped(int fd)
{
	struct emu_map *m;
	int mode;
	bool w;

	if (emu_map_get(fd, &m, &mode))
		return -EBADF;
	w = mapped_writable(m);
	emu_map_put(m);
	return w;
}

/*
 * BPF_MAP_FREEZE (the kernel's map_freeze): a map with special fields cannot be frozen; the fd must
 * be able to write (a frozen map's cannot, so a second freeze is EPERM); then no writable mapping
 * may exist (EBUSY). Under the map lock, which emu_map_mmap() holds while it maps.
 */
int emu_cmd_map_freeze(struct emu_attr *a, union bpf_attr *uattr)
{
	struct emu_map *m;
	int err, mode;

	(void)uattr;
	err = emu_map_get((int)attr_u32(a, 0), &m, &mode);
	if (err)
		return err;
	if (m->nr_fields) {
		err = -EMU_ENOTSUPP;
	} else if (!emu_can_write(m, mode)) {
		err = -EPERM;
	} else {
		err = emu_map_lock(m);
		if (!err) {
			if (mapped_writable(m))
				err = -EBUSY;
			else
				__atomic_store_n(&m->hdr->frozen, 1, __ATOMIC_RELEASE);
			emu_map_unlock(m);
		}
	}
	emu_map_put(m);
	return err;
}
