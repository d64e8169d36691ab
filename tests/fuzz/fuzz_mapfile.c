/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the input is a map file (issue 24: a map file is untrusted input). The seed
 * corpus is real map files of every type and layout after a workload (mapfile_corpus, from
 * tests/mapfile/mapfile.c's shapes); libFuzzer mutates their bytes. Each input is written to a
 * file and opened as a process meets a map file, by BPF_OBJ_GET of a pin (one input in eight,
 * chosen by its bytes) or by being handed its fd, then put through the fixed command sequence of
 * mapfile.c: lookups, updates, deletes, a GET_NEXT_KEY walk, lookup_and_delete, the batches,
 * queue/stack push, peek and pop, bpfemu_map_check before and after.
 *
 * Nothing is compared: any answer is allowed but a crash, a sanitizer report or a hang (the
 * emulator must answer EINVAL or EUCLEAN for a damaged file, never read or write outside it).
 * No kernel is needed. The emulator's diagnostics (one per damaged map) are silenced unless
 * FUZZ_MAPFILE_VERBOSE=1; sanitizer reports and libFuzzer's own output are not affected.
 *
 * Each input starts from a fresh file, so it replays alone:  ./fuzz_mapfile crash-file
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mapfile.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* the emulator's files live where no other run's do */
	if (!mf_private_state()) {
		perror("fuzz_mapfile: state directory");
		exit(2);
	}
	if (getenv("BPFEMU_FAULT"))
		fprintf(stderr, "fuzz_mapfile: BPFEMU_FAULT=%s: a check is deliberately missing\n", getenv("BPFEMU_FAULT"));
	if (!getenv("FUZZ_MAPFILE_VERBOSE")) {
		/* the emulator's own lines only: the sanitizers and libFuzzer keep the real stderr */
		FILE *null = fopen("/dev/null", "w");

		if (null)
			stderr = null;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mf_result r;
	uint32_t sum = 0;
	int fd;

	/* the way in, from the input's bytes, so a replay takes the same one */
	for (size_t i = 0; i < size && i < 64; i++)
		sum = sum * 31 + data[i];
	fd = mf_open(data, size, sum % 8 == 0, "fuzz");
	if (fd < 0)
		return 0;
	mf_exercise(fd, &r);
	close(fd);
	return 0;
}
