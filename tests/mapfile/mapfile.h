/* SPDX-License-Identifier: MIT */
/*
 * Map files as untrusted input (issue 24): what the map-file fuzzer (tests/fuzz/fuzz_mapfile.c),
 * its corpus generator, the corruption run (mapfile_corrupt.c) and the unit test of each field
 * (tests/unit/test_mapfile.c) share.
 *
 *  - real map files of every type and layout (mf_shapes, mf_make): maps created through bpfemu_bpf
 *    and put through a workload, so free lists, LRU lists, queue rings, writer slots hold what use
 *    leaves in them, not only what creation does;
 *  - their bytes (mf_read_file), and a file holding given bytes, opened either way a process meets
 *    a map file: BPF_OBJ_GET of a pin in the emulated bpffs, or an fd it was handed (mf_open);
 *  - the fixed command sequence run on such a map (mf_exercise): every element command, a
 *    GET_NEXT_KEY walk, the batches, queue/stack push, peek and pop, bpfemu_map_check. Each call's
 *    answer is recorded; nothing about a corrupted map is asserted but that the calls return.
 *
 * Everything goes through the public API (bpfemu/bpfemu.h) and the uapi description.
 */
#ifndef BPFEMU_TESTS_MAPFILE_H
#define BPFEMU_TESTS_MAPFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct mf_shape {
	const char *name;
	uint32_t type, key_size, value_size, max_entries, flags;
	bool light; /* two inserts only: a table whose pool was never used past them */
	uint32_t btf_value; /* created with BTF (tests/diff/btf_blob.h): the value's type id, 0 if none */
};

extern const struct mf_shape mf_shapes[];
extern const unsigned mf_nr_shapes;

/* The shape called name, or NULL. */
const struct mf_shape *mf_shape_named(const char *name);

/* Key number i of a map with ks-byte keys, as the workload and the sequence write them: i in the
 * first bytes (little-endian), 0xa5 after. */
void mf_key(void *k, uint32_t ks, uint32_t i);

/* A map of shape s put through a workload drawn from seed: its fd, or -errno. */
int mf_make(const struct mf_shape *s, uint32_t seed);

/* The bytes of the file fd names, malloc'd: 0 or -errno. */
int mf_read_file(int fd, unsigned char **buf, size_t *len);

/* Point the emulator's state at a fresh private directory under $TMPDIR (before its first call):
 * pins go to <dir>/bpffs. It is removed when the process exits. Returns the directory (static
 * storage), or NULL. */
const char *mf_private_state(void);

/*
 * An fd for a map file holding buf: via_pin, the bytes are written to <bpffs>/<name> and opened
 * with BPF_OBJ_GET (the pin then removed); else a memfd with the bytes, handed over as it is.
 * Returns the fd, or -errno (BPF_OBJ_GET's refusal included).
 */
int mf_open(const void *buf, size_t len, bool via_pin, const char *name);

/* What the sequence saw. */
struct mf_result {
	int info_err;    /* OBJ_GET_INFO_BY_FD: 0 or errno (EINVAL: the file was refused) */
	int check_first; /* bpfemu_map_check before and after the commands: 0 or errno */
	int check_last;
	unsigned calls;  /* commands issued */
	unsigned euclean; /* of them answered EUCLEAN */
	unsigned einval;
	unsigned ok;
};

/* The fixed sequence on map fd (any type; buffers sized from the map's info). */
void mf_exercise(int fd, struct mf_result *r);

/* The corruption runs' shared steps (mapfile_corrupt, tests/progfile/progfile_corrupt):
 * trial t of seed gets 1-8 bit flips in buf, each in the first hdr_size bytes (header_only, or
 * half of them unless anywhere) or anywhere in len; the count is returned. The same seed and
 * trial always give the same file, so a failing trial can be replayed. */
unsigned mf_corrupt(unsigned char *buf, size_t len, size_t hdr_size, long seed, long t, bool header_only,
		    bool anywhere);
/* How a corruption run's child ended: it is waited for (killed past timeout + 5 s, in case its
 * alarm() was blocked), its result read from rfd into r (zeroed when short), rfd closed; a
 * SIGALRM is a hang, a sanitizer line in its log a sanitizer finding, any other signal or a
 * non-zero exit a crash. */
enum mf_end { MF_END_EXITED, MF_END_CRASH, MF_END_SANITIZER, MF_END_HANG };
enum mf_end mf_child_end(pid_t pid, int rfd, void *r, size_t rsize, unsigned timeout, const char *log);
/* Whether a line of the file at path contains needle (a child's log: sanitizer reports). */
bool mf_log_has(const char *path, const char *needle);
/* The file at from copied to to (a failing child's log kept, or shown on /dev/stderr). */
void mf_copy_file(const char *from, const char *to);
/* A failed trial of a corruption run: the first lines of its child's log shown (unless quiet),
 * and with save_dir the corrupted bytes and the log kept there as <what>-<trial>.<ext>/.log. */
void mf_report_failure(const char *what, long trial, const char *outcome, const char *log, bool quiet,
		       const char *save_dir, const void *buf, size_t len, const char *ext);

/* One bpf() call through the emulator: the result, -1 with errno set. */
long mf_bpf(int cmd, void *attr, unsigned size);

#endif
