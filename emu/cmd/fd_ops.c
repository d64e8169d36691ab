/* SPDX-License-Identifier: MIT */
/*
 * mmap() of a map fd, as the kernel's bpf_map_mmap and the mm layer before it answer it, and what
 * the kernel's writable-mapping count (map->writecnt) is for: FREEZE refuses with EBUSY while
 * any process maps the map's values writable.
 *
 * The kernel clears VM_MAYWRITE on a mapping made without PROT_WRITE, so mprotect() can never
 * make it writable (EACCES); a mapping we make without PROT_WRITE comes from a read-only open of
 * the map's file, which gives the same guarantee from the system itself, for every later caller.
 * A writable mapping sets the map's wmapped mark; FREEZE of a marked map looks through /proc for
 * writable mappings of the map's values, in every process it may read. The in-process API has no
 * mmap of map fds (mmap() of the fd maps the file itself, header first): a caller's own mapping
 * of the file is not looked for.
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
#include "../util/compiler.h"
#include "cmds.h"

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_UNINITIALIZED
#define MAP_UNINITIALIZED 0
#endif
#ifndef MAP_32BIT
#define MAP_32BIT 0
#endif
#ifndef MAP_DENYWRITE
#define MAP_DENYWRITE 0
#endif
#ifndef MAP_EXECUTABLE
#define MAP_EXECUTABLE 0
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
/* The flags MAP_SHARED_VALIDATE accepts for a file without MAP_SYNC support (the kernel's
 * LEGACY_MAP_MASK). */
#define LEGACY_MAP_MASK                                                                             \
	(MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_DENYWRITE | MAP_EXECUTABLE |    \
	 MAP_UNINITIALIZED | MAP_GROWSDOWN | MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK | \
	 MAP_STACK | MAP_HUGETLB | MAP_32BIT)

/*
 * The checks, in the kernel's order: the system call's (offset alignment, MAP_HUGETLB), do_mmap's
 * (length, offset overflow, the mapping type and the fd's access mode, the anonymous inode's
 * noexec mount), then bpf_map_mmap's (the map can be mapped at all, shared, not writable when
 * frozen or BPF_F_RDONLY_PROG, the range inside the values). mode is the fd's access mode.
 */
static int mmap_checks(struct emu_map *m, int mode, size_t len, int prot, int flags, off_t off, off_t *file_off)
{
	uint64_t data_off, data_len, pages;
	bool shared = false;
	int err;

	if (off & (EMU_PAGE_SIZE - 1))
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
		if (flags & ~LEGACY_MAP_MASK)
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
	if (!m->ops->mmap_range || m->nr_fields)
		return -EMU_ENOTSUPP;
	if (!shared)
		return -EINVAL;
	if (prot & PROT_WRITE) {
		if (__atomic_load_n(&m->hdr->frozen, __ATOMIC_ACQUIRE))
			return -EPERM;
		if (m->map_flags & EMU_F_RDONLY_PROG)
			return -EACCES;
	}
	err = m->ops->mmap_range(m, &data_off, &data_len);
	if (err)
		return err;
	if ((uint64_t)off + pages * EMU_PAGE_SIZE > data_len)
		return -EINVAL;
	*file_off = (off_t)(data_off + (uint64_t)off);
	return 0;
}

int emu_map_mmap_check(int fd, size_t len, int prot, int flags, off_t off, off_t *file_off)
{
	struct emu_map *m;
	int mode, err;

	if (emu_map_get(fd, &m, &mode))
		return 1;
	err = mmap_checks(m, mode, len, prot, flags, off, file_off);
	emu_map_put(m);
	return err;
}

/*
 * The mapping itself, with the flags the kernel honours for the caller's (checked by mmap_checks).
 * It is made MAP_SHARED_VALIDATE (EMU_MAP_OWN: a seccomp supervisor lets an emulator's own
 * mappings through), which refuses flags MAP_SHARED ignores or honours outside LEGACY_MAP_MASK:
 * those are dropped, but MAP_FIXED_NOREPLACE, made here as the kernel makes it (the address as a
 * hint; EEXIST when the mapping could not be put there).
 */
static void *map_values(void *addr, size_t len, int prot, int flags, int fd, off_t file_off)
{
	bool noreplace = flags & MAP_FIXED_NOREPLACE; /* with or without MAP_FIXED */
	int type = EMU_MAP_OWN | (flags & ~MAP_TYPE & LEGACY_MAP_MASK & ~(noreplace ? MAP_FIXED : 0));
	void *p = mmap(addr, len, prot, type, fd, file_off);

	if (noreplace && p != MAP_FAILED && p != addr) {
		munmap(p, len);
		errno = EEXIST;
		return MAP_FAILED;
	}
	return p;
}

int emu_map_mmap(int fd, void *addr, size_t len, int prot, int flags, off_t off, void **out, bool *maywrite)
{
	struct emu_map *m;
	off_t file_off;
	void *p = MAP_FAILED;
	int mode, err;

	if (emu_map_get(fd, &m, &mode))
		return 1;
	/* the check and the mapping under the map lock, which FREEZE takes too: a map is never
	 * frozen between a writable mapping's check and its existence */
	err = emu_map_lock(m);
	if (err)
		goto out;
	err = mmap_checks(m, mode, len, prot, flags, off, &file_off);
	if (!err && !(prot & PROT_WRITE)) {
		char path[64];
		int rfd;

		/* mapped from a read-only open: the system refuses to make it writable later */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		rfd = open(path, O_RDONLY | O_CLOEXEC);
		*maywrite = rfd < 0; /* no fd left for it: the caller's, and the front end refuses */
		p = map_values(addr, len, prot, flags, rfd < 0 ? fd : rfd, file_off);
		if (rfd >= 0)
			close(rfd);
	} else if (!err) {
		*maywrite = true;
		p = map_values(addr, len, prot, flags, fd, file_off);
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

/* ---- writable mappings, for FREEZE ---- */

/* One /proc/PID/maps line: a mapping of the map file (dev, ino) past its header, and whether it
 * is writable now. The emulator's own views start at offset 0. */
static bool user_mapping(const char *line, unsigned maj, unsigned min, unsigned long ino, bool *writable,
			 unsigned long *start)
{
	char perms[8];
	unsigned long end, offset, lino;
	unsigned lmaj, lmin;

	if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu", start, &end, perms, &offset, &lmaj, &lmin, &lino) != 7)
		return false;
	if (lmaj != maj || lmin != min || lino != ino || !offset || perms[3] != 's')
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

static bool pid_maps_writable(const char *pid, unsigned maj, unsigned min, unsigned long ino)
{
	char path[64], line[512];
	unsigned long ro_start[8];
	int nro = 0;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return false; /* gone, or not ours to read */
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long start;
		bool w;

		if (!user_mapping(line, maj, min, ino, &w, &start))
			continue;
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

	if (!m->ops->mmap_range || !(m->map_flags & EMU_F_MMAPABLE))
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
			found = pid_maps_writable(de->d_name, maj, min, (unsigned long)m->ino);
	closedir(d);
	return found;
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
