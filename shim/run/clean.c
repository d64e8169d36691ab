/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
/*
 * bpfemu-run --clean: remove everything in this user's emulated bpffs (every pin and directory
 * under the root the rules name, core/statedir.c), and nothing anywhere else. The root is checked
 * first as every run checks it: a directory that is not this user's own is refused, never emptied.
 * The walk goes by directory fds and never follows a link, so nothing outside the root is touched.
 * A map still open in a running program lives on until closed, as after rm of a kernel pin. The
 * registry of live objects (core/objstore.h) is not a pin and stays; a collection pass then drops
 * the objects only the removed pins kept.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/objstore.h"
#include "core/state.h"
#include "run.h"

struct tally {
	unsigned long files, dirs, failed;
};

static void empty_dir(int dfd, const char *path, struct tally *t, int depth)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;

	if (!d) {
		close(dfd);
		t->failed++;
		return;
	}
	while ((de = readdir(d))) {
		struct stat st;
		char sub[PATH_MAX];

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    (!depth && !strcmp(de->d_name, EMU_OBJSTORE_DIR)))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (S_ISDIR(st.st_mode) && depth < 64) {
			int cfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (cfd >= 0)
				empty_dir(cfd, sub, t, depth + 1);
			if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR)) {
				fprintf(stderr, "%s: --clean: %s: %s\n", prog_name, sub, strerror(errno));
				t->failed++;
			} else {
				t->dirs++;
			}
		} else if (unlinkat(dirfd(d), de->d_name, 0)) {
			fprintf(stderr, "%s: --clean: %s: %s\n", prog_name, sub, strerror(errno));
			t->failed++;
		} else {
			t->files++;
		}
	}
	closedir(d);
}

int run_clean(bool debug)
{
	char why[PATH_MAX + 256];
	const char *root = emu_state_path(EMU_STATE_BPFFS);
	struct tally t = { 0, 0, 0 };
	int err = emu_state_check(EMU_STATE_BPFFS, why, sizeof(why)), fd;

	if (err) {
		fprintf(stderr, "%s: --clean: %s: not touched\n", prog_name, why);
		return EXIT_RUN_FAILED;
	}
	fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: --clean: %s: %s\n", prog_name, root, strerror(errno));
		return EXIT_RUN_FAILED;
	}
	if (debug)
		fprintf(stderr, "%s: --clean: emptying %s (%s)\n", prog_name, root, emu_state_source(EMU_STATE_BPFFS));
	empty_dir(fd, root, &t, 0);
	emu_objstore_collect();
	printf("%s: removed %lu pinned file%s and %lu director%s from %s\n", prog_name, t.files, t.files == 1 ? "" : "s",
	       t.dirs, t.dirs == 1 ? "y" : "ies", root);
	return t.failed ? EXIT_RUN_FAILED : 0;
}
