/* SPDX-License-Identifier: MIT */
/*
 * Whether memory for a new map can be had without waking an OOM killer. The kernel allocates a
 * map's memory at create with __GFP_RETRY_MAYFAIL and charges it to the caller's memory cgroup:
 * where it cannot have the memory, the create is ENOMEM. The emulator takes its map's pages at
 * create too (core/map_file.c: fallocate), but a memory file's pages are taken as a user process's
 * are: past what the system has available, or past the memory cgroup's limit, the OOM killer
 * picks a victim (probed: a 256 MiB map in a 128 MiB cgroup kills the caller's whole cgroup, where
 * the kernel's create says ENOMEM). So the headroom is asked first: MemAvailable, and the limit
 * minus the usage of the caller's memory cgroup and each of its ancestors (cgroup v1 or v2).
 * The kernel could still reclaim some page cache where this says no: the emulator says ENOMEM a
 * little earlier, never later (README).
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memavail.h"

static uint64_t read_u64(const char *dir, const char *file)
{
	char path[PATH_MAX], buf[64];
	unsigned long long v;
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path) || !(f = fopen(path, "re")))
		return UINT64_MAX;
	if (!fgets(buf, sizeof(buf), f) || sscanf(buf, "%llu", &v) != 1)
		v = UINT64_MAX; /* "max" (v2): no limit */
	fclose(f);
	return (uint64_t)v;
}

static uint64_t meminfo_available(void)
{
	char line[128];
	unsigned long long kb;
	uint64_t avail = UINT64_MAX;
	FILE *f = fopen("/proc/meminfo", "re");

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) {
			avail = (uint64_t)kb * 1024;
			break;
		}
	}
	if (f)
		fclose(f);
	return avail;
}

/* The caller's memory cgroup: its path under the hierarchy (from /proc/self/cgroup) and where
 * that hierarchy is mounted (/proc/self/mountinfo). v1's memory controller if mounted, else v2. */
static bool memcg_dir(char *dir, size_t len, bool *v2, size_t *mnt_len)
{
	char line[1024], path1[PATH_MAX] = "", path2[PATH_MAX] = "", mnt1[PATH_MAX] = "", mnt2[PATH_MAX] = "";
	FILE *f = fopen("/proc/self/cgroup", "re");

	while (f && fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (!c2)
			continue;
		line[strcspn(line, "\n")] = 0;
		*c2 = 0;
		if (!strcmp(c1 + 1, "") && !strncmp(line, "0:", 2))
			snprintf(path2, sizeof(path2), "%s", c2 + 1);
		else if (strstr(c1 + 1, "memory"))
			snprintf(path1, sizeof(path1), "%s", c2 + 1);
	}
	if (f)
		fclose(f);
	f = fopen("/proc/self/mountinfo", "re");
	while (f && fgets(line, sizeof(line), f)) {
		/* "id parent maj:min root mountpoint opts ... - fstype source superopts" */
		char mp[PATH_MAX], fstype[32], super[256], *dash = strstr(line, " - ");

		if (!dash || sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1 ||
		    sscanf(dash + 3, "%31s %*s %255s", fstype, super) != 2)
			continue;
		if (!strcmp(fstype, "cgroup") && strstr(super, "memory"))
			snprintf(mnt1, sizeof(mnt1), "%s", mp);
		else if (!strcmp(fstype, "cgroup2"))
			snprintf(mnt2, sizeof(mnt2), "%s", mp);
	}
	if (f)
		fclose(f);
	*v2 = !(*mnt1 && *path1);
	*mnt_len = strlen(*v2 ? mnt2 : mnt1);
	if (!*v2)
		return snprintf(dir, len, "%s%s", mnt1, path1) < (int)len;
	return *mnt2 && *path2 && snprintf(dir, len, "%s%s", mnt2, path2) < (int)len;
}

/* The least headroom (limit - usage) of the cgroup and its ancestors, up to the hierarchy's root
 * (whose limit files are absent or unlimited). */
static uint64_t memcg_headroom(void)
{
	char dir[PATH_MAX];
	uint64_t best = UINT64_MAX;
	size_t mnt_len;
	bool v2;

	if (!memcg_dir(dir, sizeof(dir), &v2, &mnt_len))
		return UINT64_MAX;
	for (;;) {
		uint64_t lim = read_u64(dir, v2 ? "memory.max" : "memory.limit_in_bytes");
		uint64_t use = read_u64(dir, v2 ? "memory.current" : "memory.usage_in_bytes");
		char *slash = strrchr(dir, '/');

		if (lim != UINT64_MAX && use != UINT64_MAX) {
			uint64_t room = lim > use ? lim - use : 0;

			if (room < best)
				best = room;
		}
		if (!slash || (size_t)(slash - dir) < mnt_len)
			break;
		*slash = 0;
	}
	return best;
}

bool emu_memory_for(uint64_t bytes)
{
	return bytes <= meminfo_available() && bytes <= memcg_headroom();
}
