/* SPDX-License-Identifier: MIT */
/*
 * Differential mode: the directory of mirror pins on a real bpffs. A map or program pinned by
 * one process and opened by another finds its kernel twin through the mirror pin its pinning
 * process left (mirror.c: dm_mirror_pin, dm_attach), named after the emulated object's file
 * (device and inode). The directory is found (a mounted bpffs, or BPFEMU_DIFF_BPFFS) once, made
 * with the first mirror pin, and swept: a mirror pin goes when its emulated pin is gone, and the
 * directory with the last of them. Raw system calls throughout: the preload's path interposers
 * must not redirect the kernel's bpffs.
 */
#include "diffmode.h"

static bool is_bpffs(const char *dir)
{
	struct statfs s;

	return !dm_ksys(SYS_statfs, (long)dir, (long)&s, 0, 0) && s.f_type == BPF_FS_MAGIC;
}

void dm_find_pin_dir(void)
{
	const char *want = secure_getenv("BPFEMU_DIFF_BPFFS");
	char mnt[PATH_MAX] = "", line[4096];
	FILE *f;

	if (want && *want) {
		snprintf(mnt, sizeof(mnt), "%s", want);
	} else if ((f = fopen("/proc/self/mountinfo", "re"))) {
		/* "id parent maj:min root mountpoint options [optional...] - fstype source superopts" */
		while (!mnt[0] && fgets(line, sizeof(line), f)) {
			char *dash = strstr(line, " - "), point[PATH_MAX];

			if (dash && !strncmp(dash + 3, "bpf ", 4) &&
			    sscanf(line, "%*s %*s %*s %*s %4095s", point) == 1)
				snprintf(mnt, sizeof(mnt), "%s", point);
		}
		fclose(f);
	}
	if (!mnt[0] || !is_bpffs(mnt))
		return;
	/* created with the first mirror pin, removed when the last one goes (dm_sweep_pins): a run
	 * that pins nothing leaves nothing in the real bpffs */
	if (snprintf(dm_cfg.pin_dir, sizeof(dm_cfg.pin_dir), "%.*s/bpfemu-diff-%u", PATH_MAX - 32, mnt,
		     (unsigned)getuid()) >= (int)sizeof(dm_cfg.pin_dir))
		dm_cfg.pin_dir[0] = 0;
}

struct ident {
	dev_t dev;
	ino_t ino;
};

/* Identities of the files under the emulated bpffs: the maps that are still pinned. */
static void pinned_identities(struct ident **out, size_t *n, size_t *cap)
{
	char stack[16][PATH_MAX];
	int sp = 0;

	snprintf(stack[sp++], PATH_MAX, "%s", emu_bpffs_root());
	while (sp) {
		char dir[PATH_MAX];
		struct dirent *de;
		DIR *d;

		memcpy(dir, stack[--sp], PATH_MAX);
		if (!(d = opendir(dir)))
			continue;
		while ((de = readdir(d))) {
			struct stat s;

			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			/* the registry of live objects (core/objstore.h) links every object, pinned or not */
			if (!strcmp(de->d_name, ".bpfemu-objects") && !strcmp(dir, emu_bpffs_root()))
				continue;
			if (fstatat(dirfd(d), de->d_name, &s, AT_SYMLINK_NOFOLLOW))
				continue;
			if (S_ISDIR(s.st_mode) && sp < 16) {
				if (snprintf(stack[sp], PATH_MAX, "%s/%s", dir, de->d_name) < PATH_MAX)
					sp++;
			} else if (S_ISREG(s.st_mode) && dm_grow(out, cap, *n, sizeof(**out))) {
				(*out)[*n].dev = s.st_dev;
				(*out)[*n].ino = s.st_ino;
				(*n)++;
			}
		}
		closedir(d);
	}
}

/* Mirror pins whose emulated map is no longer pinned anywhere go too, as the kernel's would, and
 * the directory with the last of them. Raw system calls: the preload's path interposers must not
 * redirect the kernel's bpffs. */
void dm_sweep_pins(void)
{
	struct ident *ids = NULL;
	size_t n = 0, cap = 0;
	char buf[4096];
	long dfd, got;

	if (!dm_cfg.pin_dir[0])
		return;
	pinned_identities(&ids, &n, &cap);
	dfd = dm_ksys(SYS_openat, AT_FDCWD, (long)dm_cfg.pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (dfd < 0) {
		free(ids);
		return;
	}
	while ((got = dm_ksys(SYS_getdents64, dfd, (long)buf, sizeof(buf), 0)) > 0) {
		for (long off = 0; off < got;) {
			struct {
				uint64_t ino;
				int64_t off;
				unsigned short reclen;
				unsigned char type;
				char name[];
			} *de = (void *)(buf + off);
			unsigned long long dev, ino;
			bool live = false;

			off += de->reclen;
			if (sscanf(de->name, "%llx-%llx", &dev, &ino) != 2)
				continue;
			for (size_t i = 0; i < n && !live; i++)
				live = (unsigned long long)ids[i].dev == dev && (unsigned long long)ids[i].ino == ino;
			if (!live)
				dm_ksys(SYS_unlinkat, dfd, (long)de->name, 0, 0);
		}
	}
	dm_ksys(SYS_close, dfd, 0, 0, 0);
	free(ids);
	/* empty now: gone (another process pinning meanwhile recreates it; rmdir of a directory
	 * with entries fails and changes nothing) */
	dm_ksys(SYS_unlinkat, AT_FDCWD, (long)dm_cfg.pin_dir, AT_REMOVEDIR, 0);
}
