/* SPDX-License-Identifier: MIT */
/*
 * The map-file fuzzer's seed corpus: real map files of every shape of mapfile.c, each after a
 * workload drawn from a few seeds, written to DIR as <shape>-<seed>.map.
 *
 * Usage: mapfile_corpus DIR [SEEDS]   (SEEDS per shape, default 3)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mapfile.h"

int main(int argc, char **argv)
{
	unsigned seeds = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 3, n = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR [SEEDS]\n", argv[0]);
		return 2;
	}
	if (mkdir(argv[1], 0755) && errno != EEXIST) {
		perror(argv[1]);
		return 1;
	}
	if (!mf_private_state()) {
		perror("mapfile_corpus: state directory");
		return 1;
	}
	for (unsigned i = 0; i < mf_nr_shapes; i++) {
		for (unsigned seed = 1; seed <= seeds; seed++) {
			char path[4096];
			unsigned char *buf;
			size_t len;
			FILE *f;
			int fd = mf_make(&mf_shapes[i], seed);

			if (fd < 0 || mf_read_file(fd, &buf, &len)) {
				fprintf(stderr, "mapfile_corpus: %s: %s\n", mf_shapes[i].name, strerror(fd < 0 ? -fd : EIO));
				return 1;
			}
			close(fd);
			snprintf(path, sizeof(path), "%s/%s-%u.map", argv[1], mf_shapes[i].name, seed);
			f = fopen(path, "w");
			if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
				perror(path);
				return 1;
			}
			free(buf);
			n++;
		}
	}
	printf("mapfile_corpus: %u map files of %u shapes in %s\n", n, mf_nr_shapes, argv[1]);
	return 0;
}
