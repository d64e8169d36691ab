/* SPDX-License-Identifier: MIT */
/*
 * Differential test of program objects: the same programs loaded through bpf(BPF_PROG_LOAD) on the
 * kernel and through bpfemu_bpf() in the emulator, and everything a loader and bpftool read back
 * compared: the load's errno and first log line, and for a program both accept its struct
 * bpf_prog_info (type, name, tag, license, map ids, BTF, func_info, line_info, record sizes,
 * program tags, uid, load time, stats, the id found again by GET_FD_BY_ID) and its fdinfo lines.
 *
 * Corpus: the loader's hand-written cases (tests/diff/check_cases.c, those whose maps the
 * emulator has), the clang-built programs of tests/diff/check_src (CHECK_OBJ_DIR) and the e2e
 * skeleton (SKEL_OBJ), each program loaded by an unmodified libbpf (this program routes libbpf's
 * syscall(__NR_bpf) and its mmap of map fds to the emulator on the emulator's side).
 *
 * Each side runs in a child process of its own (libbpf caches its feature probes per process)
 * and writes a transcript; ids are numbered by first appearance, so the two compare. Lines marked
 * required must be equal; counted lines (xlated instructions, verified_insns, memlock: the
 * kernel's rewrites and its verifier's path count; the JIT, which the kernel has and the emulator
 * does not) are tallied. --expect-divergence (a planted fault on) inverts the exit code.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfemu/bpfemu.h"
#include "check_cases.h"
#include "uapi/bpf_uapi.h"

int emu_fdinfo(int fd, char *buf, size_t len);                                                   /* cmd/info.c */
int emu_map_mmap_check(int fd, size_t len, int prot, int flags, off_t off, off_t *file_off); /* cmd/fd_ops.c */

/* ---- one side: the kernel or the emulator ---- */

static int emu_side;
static __thread int in_emu; /* inside the emulator: its own mmap() calls are not libbpf's */

static long xbpf(int cmd, void *attr, unsigned size)
{
	long r;

	if (!emu_side)
		return syscall(__NR_bpf, cmd, attr, size);
	in_emu++;
	r = bpfemu_bpf(cmd, attr, size);
	in_emu--;
	return r;
}

/* libbpf's syscall(__NR_bpf, ...) binds here (this program exports the symbol) */
__attribute__((visibility("default"))) long syscall(long nr, ...)
{
	static long (*real)(long, ...);
	long a[6];
	va_list ap;

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (nr == __NR_bpf && emu_side && !in_emu)
		return xbpf((int)a[0], (void *)a[1], (unsigned)a[2]);
	if (!real)
		real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* libbpf maps .data/.rodata/.bss through their fds: on the emulator's side at the value's offset
 * in the map file, as the preload does */
__attribute__((visibility("default"))) void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	static void *(*real)(void *, size_t, int, int, int, off_t);
	off_t foff = off;

	if (!real)
		real = (void *(*)(void *, size_t, int, int, int, off_t))dlsym(RTLD_NEXT, "mmap");
	if (emu_side && !in_emu && fd >= 0) {
		int r;

		in_emu++;
		r = emu_map_mmap_check(fd, len, prot, flags, off, &foff);
		in_emu--;
		if (r < 0) {
			errno = -r;
			return MAP_FAILED;
		}
		if (r == 1)
			foff = off;
	}
	return real(addr, len, prot, flags, fd, foff);
}

/* ---- the transcript ---- */

static FILE *tr;
static uint32_t seen[4][4096], nseen[4]; /* ids by kind (0 map, 1 prog, 2 btf), numbered */

static unsigned ord(int kind, uint32_t id)
{
	for (unsigned i = 0; i < nseen[kind]; i++)
		if (seen[kind][i] == id)
			return i + 1;
	if (nseen[kind] < 4096)
		seen[kind][nseen[kind]++] = id;
	return nseen[kind];
}

/* One transcript line: kind, the program (what), the field, its value. Kinds: R required equal,
 * C counted, X required where the program's xlated instructions are equal (offsets into them),
 * N not emulated (the emulator says so; the program's other lines are not compared). */
static void line(char kind, const char *what, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void line(char kind, const char *what, const char *field, const char *fmt, ...)
{
	va_list ap;

	fprintf(tr, "%c\t%s\t%s\t", kind, what, field);
	va_start(ap, fmt);
	vfprintf(tr, fmt, ap);
	va_end(ap);
	fputc('\n', tr);
}

static void hex(char *out, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", ((const uint8_t *)p)[i]);
	out[2 * n] = 0;
}

static int info_of(int fd, uint8_t *info)
{
	uint8_t a[EMU_ATTR_SIZE] = { 0 };
	uint32_t len = PI_SIZE;
	uint64_t p = (uintptr_t)info;

	memcpy(a + INFO_FD, &fd, 4);
	memcpy(a + INFO_LEN, &len, 4);
	memcpy(a + INFO_PTR, &p, 8);
	return (int)xbpf(EMU_BPF_OBJ_GET_INFO_BY_FD, a, sizeof(a));
}

static uint32_t u32at(const uint8_t *b, unsigned off)
{
	uint32_t v;

	memcpy(&v, b + off, 4);
	return v;
}

static uint64_t u64at(const uint8_t *b, unsigned off)
{
	uint64_t v;

	memcpy(&v, b + off, 8);
	return v;
}

static void setp(uint8_t *b, unsigned off, const void *p)
{
	uint64_t v = (uintptr_t)p;

	memcpy(b + off, &v, 8);
}

static void set32(uint8_t *b, unsigned off, uint32_t v) { memcpy(b + off, &v, 4); }

/* The fdinfo lines of a program fd, without those that differ by design (prog_jited: the JIT;
 * prog_id: numbered; memlock: counted apart, it follows the rewritten length). */
static void fdinfo_lines(int fd, char *out, size_t len, char *memlock, size_t mlen)
{
	char buf[2048], *l, *save = NULL;
	size_t o = 0;

	buf[0] = 0;
	if (emu_side) {
		in_emu++;
		emu_fdinfo(fd, buf, sizeof(buf));
		in_emu--;
	} else {
		char path[64];
		FILE *f;
		size_t n;

		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
		f = fopen(path, "r");
		n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
		buf[n] = 0;
		if (f)
			fclose(f);
	}
	out[0] = memlock[0] = 0;
	for (l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(l, "memlock:", 8))
			snprintf(memlock, mlen, "%s", l);
		if (!strncmp(l, "prog_type:", 10) || !strncmp(l, "prog_tag:", 9) || !strncmp(l, "run_time_ns:", 12) ||
		    !strncmp(l, "run_cnt:", 8) || !strncmp(l, "recursion_misses:", 17))
			o += (size_t)snprintf(out + o, o < len ? len - o : 0, "%s;", l);
	}
}

/* Everything info tells of a loaded program. */
static void describe(const char *what, int fd)
{
	uint8_t info[PI_SIZE], tags[64][8];
	uint32_t map_ids[64], fi[2 * 256], li[4 * 512];
	static struct emu_insn xl[65536];
	char buf[8192], fdl[1024], ml[64];
	uint32_t n, nx, nfi, nli;
	size_t o;
	int fd2;

	/* ids are numbered per program: programs one side does not have shift no other's numbers */
	memset(nseen, 0, sizeof(nseen));
	memset(info, 0, sizeof(info));
	if (info_of(fd, info)) {
		line('R', what, "info", "errno %d", errno);
		return;
	}
	nx = u32at(info, PI_XLATED_PROG_LEN);
	n = u32at(info, PI_NR_MAP_IDS);
	nfi = u32at(info, PI_NR_FUNC_INFO);
	nli = u32at(info, PI_NR_LINE_INFO);
	line('R', what, "info", "type %u name '%.16s' tag %02x%02x%02x%02x%02x%02x%02x%02x gpl %u btf %s uid-ok %d loaded %d",
	     u32at(info, PI_TYPE), (char *)info + PI_NAME, info[PI_TAG], info[PI_TAG + 1], info[PI_TAG + 2],
	     info[PI_TAG + 3], info[PI_TAG + 4], info[PI_TAG + 5], info[PI_TAG + 6], info[PI_TAG + 7],
	     u32at(info, PI_GPL_COMPATIBLE) & 1, u32at(info, PI_BTF_ID) ? "yes" : "no",
	     u32at(info, PI_CREATED_BY_UID) == getuid(), u64at(info, PI_LOAD_TIME) != 0);
	line('R', what, "counts", "rec sizes %u %u %u, run_cnt %llu, run_time %llu, misses %llu, nr maps %u",
	     u32at(info, PI_FUNC_INFO_REC_SIZE), u32at(info, PI_LINE_INFO_REC_SIZE),
	     u32at(info, PI_JITED_LINE_INFO_REC_SIZE), (unsigned long long)u64at(info, PI_RUN_CNT),
	     (unsigned long long)u64at(info, PI_RUN_TIME_NS), (unsigned long long)u64at(info, PI_RECURSION_MISSES), n);
	/* one tag per function where the kernel JITs programs with subprograms (the emulator is a
	 * kernel without a JIT: one tag) */
	line('C', what, "nr_prog_tags", "%u", u32at(info, PI_NR_PROG_TAGS));
	/* the arrays */
	if (n > 64 || nx > sizeof(xl) || nfi > 256 || nli > 512) {
		line('R', what, "arrays", "too large (%u maps, %u xlated bytes)", n, nx);
		return;
	}
	memset(info, 0, sizeof(info));
	set32(info, PI_NR_MAP_IDS, n);
	setp(info, PI_MAP_IDS, map_ids);
	set32(info, PI_XLATED_PROG_LEN, nx);
	setp(info, PI_XLATED_PROG_INSNS, xl);
	set32(info, PI_NR_FUNC_INFO, nfi);
	set32(info, PI_FUNC_INFO_REC_SIZE, 8);
	setp(info, PI_FUNC_INFO, fi);
	set32(info, PI_NR_LINE_INFO, nli);
	set32(info, PI_LINE_INFO_REC_SIZE, 16);
	setp(info, PI_LINE_INFO, li);
	set32(info, PI_NR_PROG_TAGS, 1);
	setp(info, PI_PROG_TAGS, tags);
	if (info_of(fd, info)) {
		line('R', what, "info arrays", "errno %d", errno);
		return;
	}
	o = 0;
	buf[0] = 0;
	for (uint32_t i = 0; i < n; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, " m%u", ord(0, map_ids[i]));
	line('R', what, "maps", "%s", buf);
	hex(buf, tags[0], 8);
	line('C', what, "first prog tag", "%s", buf);
	/* xlated: the map ids in ld_imm64 numbered; then compared as the kernel shows it */
	for (uint32_t i = 0; i + 1 < nx / 8; i++)
		if (xl[i].code == 0x18 && (xl[i].src_reg == 1 || xl[i].src_reg == 2)) {
			xl[i].imm = (int32_t)ord(0, (uint32_t)xl[i].imm);
			i++;
		}
	{
		unsigned long long h = 1469598103934665603ull;

		for (uint32_t i = 0; i < nx; i++)
			h = (h ^ ((uint8_t *)xl)[i]) * 1099511628211ull;
		line('C', what, "xlated", "%u bytes, fnv %016llx", nx, h);
	}
	line('C', what, "verified_insns", "%u", u32at(info, PI_VERIFIED_INSNS));
	/* func_info/line_info: their insn_off follow the kernel's rewrites, so they are required where
	 * the rewritten lengths agree (the comparison pairs each with the xlated line above) */
	o = 0;
	buf[0] = 0;
	for (uint32_t i = 0; i < nfi; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, " %u:%u", fi[2 * i], fi[2 * i + 1]);
	line('X', what, "func_info", "%u%s", nfi, buf);
	{
		unsigned long long h = 1469598103934665603ull;

		for (uint32_t i = 0; i < 4 * nli; i++)
			h = (h ^ li[i]) * 1099511628211ull;
		line('X', what, "line_info", "%u fnv %016llx", nli, h);
	}
	fdinfo_lines(fd, fdl, sizeof(fdl), ml, sizeof(ml));
	line('R', what, "fdinfo", "%s", fdl);
	line('C', what, "memlock", "%s", ml);
	/* the id info reports finds the same program */
	{
		uint8_t a[EMU_ATTR_SIZE] = { 0 }, i2[PI_SIZE];

		memset(info, 0, sizeof(info));
		info_of(fd, info);
		memcpy(a + ID_START, info + PI_ID, 4);
		fd2 = (int)xbpf(EMU_BPF_PROG_GET_FD_BY_ID, a, sizeof(a));
		memset(i2, 0, sizeof(i2));
		line('R', what, "id", "found again: %s",
		     fd2 < 0 ? strerror(errno)
			     : info_of(fd2, i2) || memcmp(i2 + PI_TAG, info + PI_TAG, 8) ||
					       u32at(i2, PI_ID) != u32at(info, PI_ID) ? "another program" : "the same");
		if (fd2 >= 0)
			close(fd2);
	}
}

/* ---- the hand-written corpus ---- */

static int map_fds[M_COUNT];
static char logbuf[1 << 20];

static bool case_usable(const struct check_case *c)
{
	for (uint32_t i = 0; i < c->cnt; i++)
		if (c->insn[i].code == 0x18 && (c->insn[i].src_reg == 1 || c->insn[i].src_reg == 2) &&
		    IS_MAPREF(c->insn[i].imm) && map_fds[c->insn[i].imm - MAPREF(0)] < 0)
			return false;
	return true;
}

static void hand_cases(void)
{
	for (unsigned i = 0; i < check_ncases; i++) {
		struct check_case c = check_cases[i];
		uint8_t a[EMU_ATTR_SIZE] = { 0 };
		const char *lic = c.nongpl ? "MIT" : "GPL";
		uint32_t level = 1, size = sizeof(logbuf);
		char what[160], first[256];
		long fd;

		if (!case_usable(&c)) {
			line('S', "case", "skipped", "%u: a map type the emulator lacks", i);
			continue;
		}
		for (uint32_t k = 0; k + 1 < c.cnt; k++)
			if (c.insn[k].code == 0x18 && (c.insn[k].src_reg == 1 || c.insn[k].src_reg == 2) &&
			    IS_MAPREF(c.insn[k].imm))
				c.insn[k].imm = map_fds[c.insn[k].imm - MAPREF(0)];
		set32(a, PL_TYPE, c.type);
		set32(a, PL_INSN_CNT, c.cnt);
		setp(a, PL_INSNS, c.insn);
		setp(a, PL_LICENSE, lic);
		set32(a, PL_PROG_FLAGS, c.flags);
		set32(a, PL_EXPECTED_ATTACH, c.eat);
		set32(a, PL_LOG_LEVEL, level);
		set32(a, PL_LOG_SIZE, size);
		setp(a, PL_LOG_BUF, logbuf);
		logbuf[0] = 0;
		fd = xbpf(EMU_BPF_PROG_LOAD, a, sizeof(a));
		if (fd < 0 && errno == ENOSPC) {
			/* the kernel's trace outgrew the buffer: its own errno comes without a log */
			set32(a, PL_LOG_LEVEL, 0);
			set32(a, PL_LOG_SIZE, 0);
			setp(a, PL_LOG_BUF, NULL);
			logbuf[0] = 0;
			fd = xbpf(EMU_BPF_PROG_LOAD, a, sizeof(a));
		}
		snprintf(what, sizeof(what), "case %u [%s] %s", i, c.reason, c.name);
		{
			const char *nl = strchr(logbuf, '\n');

			snprintf(first, sizeof(first), "%.*s", nl ? (int)(nl - logbuf) : (int)strlen(logbuf), logbuf);
		}
		/* the errno and first line are the load-time checks' (diff_check measures them); they
		 * are required here where diff_check requires them */
		line(c.loose ? 'C' : 'R', what, "load", "%s", fd < 0 ? strerror(errno) : "ok");
		if (fd < 0) {
			line(c.loose || !logbuf[0] ? 'C' : 'R', what, "first line", "'%s'",
			     strncmp(first, "processed ", 10) ? first : "");
			continue;
		}
		describe(what, (int)fd);
		close((int)fd);
	}
}

/* ---- libbpf objects, one program at a time ---- */

static char libbpf_log[1 << 16];

static int capture(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	size_t n = strlen(libbpf_log);

	(void)level;
	if (n < sizeof(libbpf_log) - 1)
		vsnprintf(libbpf_log + n, sizeof(libbpf_log) - n, fmt, ap);
	return 0;
}

static void objects(const char *dir, const char *const *names, size_t n)
{
	libbpf_set_print(capture);
	for (size_t i = 0; i < n; i++) {
		char path[1024];
		struct bpf_object *obj;
		struct bpf_program *p;
		int nprog = 0;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		obj = bpf_object__open_file(path, NULL);
		if (!obj || libbpf_get_error(obj)) {
			line('R', names[i], "open", "cannot be opened");
			continue;
		}
		bpf_object__for_each_program(p, obj)
			nprog++;
		bpf_object__close(obj);
		for (int k = 0; k < nprog; k++) {
			char what[256];
			int j = 0, err;

			obj = bpf_object__open_file(path, NULL);
			if (!obj || libbpf_get_error(obj))
				break;
			bpf_object__for_each_program(p, obj)
				bpf_program__set_autoload(p, j++ == k);
			libbpf_log[0] = 0;
			err = bpf_object__load(obj);
			j = 0;
			bpf_object__for_each_program(p, obj) {
				if (j++ != k)
					continue;
				snprintf(what, sizeof(what), "%s:%s", names[i], bpf_program__name(p));
				if (err && emu_side && (err == -EOPNOTSUPP || strstr(libbpf_log, "invalid func unknown#"))) {
					/* a map type, helper or feature the emulator says it lacks */
					char *why = strstr(libbpf_log, "invalid func unknown#");

					line('N', what, "load", "not emulated: %s", why ? strtok(why, "\n") : strerror(-err));
					continue;
				}
				line('R', what, "load", "%s", err ? strerror(-err) : "ok");
				if (!err)
					describe(what, bpf_program__fd(p));
			}
			bpf_object__close(obj);
		}
	}
}

static int side(const char *path, const char *objdir, const char *skel)
{
	static const char *const objs[] = { "xdp_parse.o", "tc_cls.o", "sock_filter.o", "cgskb.o", "syscall.o",
					     "rawtp.o", "loops.o", "strs.o", "patterns.o" };

	tr = fopen(path, "w");
	if (!tr)
		return 1;
	map_fds[M_HASH] = bpf_map_create(BPF_MAP_TYPE_HASH, NULL, 4, 8, 16, NULL);
	map_fds[M_ARRAY] = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 8, 4, NULL);
	map_fds[M_ARRAY1] = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 48, 1, NULL);
	map_fds[M_RINGBUF] = -1;
	map_fds[M_QUEUE] = bpf_map_create(BPF_MAP_TYPE_QUEUE, NULL, 0, 8, 4, NULL);
	map_fds[M_PROGARR] = -1;
	map_fds[M_DEVMAP] = -1;
	{
		LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = EMU_F_RDONLY_PROG);

		map_fds[M_RDONLY] = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 8, 1, &o);
	}
	map_fds[M_PERCPU] = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, NULL, 4, 8, 4, NULL);
	map_fds[M_STACK] = bpf_map_create(BPF_MAP_TYPE_STACK, NULL, 0, 8, 4, NULL);
	for (int i = 0; i < M_COUNT; i++)
		line('R', "test maps", (const char *[]){ "0", "1", "2", "3", "4", "5", "6", "7", "8", "9" }[i % 10], "%s",
		     map_fds[i] >= 0 || i == M_RINGBUF || i == M_PROGARR || i == M_DEVMAP ? "ok" : "failed");
	hand_cases();
	if (objdir)
		objects(objdir, objs, sizeof(objs) / sizeof(objs[0]));
	if (skel) {
		char dir[1024];
		const char *slash = strrchr(skel, '/');

		snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - skel) : 1, slash ? skel : ".");
		objects(dir, slash ? &(const char *){ slash + 1 } : &skel, 1);
	}
	fclose(tr);
	return 0;
}

/* ---- comparing the transcripts ---- */

struct tline {
	char kind;
	char *what, *field, *value;
};

static struct tline *read_lines(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	struct tline *v = NULL;
	char buf[16384];
	size_t cap = 0;

	*n = 0;
	while (f && fgets(buf, sizeof(buf), f)) {
		char *w, *fl, *val;

		buf[strcspn(buf, "\n")] = 0;
		w = strchr(buf, '\t');
		fl = w ? strchr(w + 1, '\t') : NULL;
		val = fl ? strchr(fl + 1, '\t') : NULL;
		if (!val)
			continue;
		*w = *fl = *val = 0;
		if (*n == cap) {
			cap = cap ? cap * 2 : 1024;
			v = realloc(v, cap * sizeof(*v));
		}
		v[*n].kind = buf[0];
		v[*n].what = strdup(w + 1);
		v[*n].field = strdup(fl + 1);
		v[*n].value = strdup(val + 1);
		(*n)++;
	}
	if (f)
		fclose(f);
	return v;
}

static void free_lines(struct tline *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].what);
		free(v[i].field);
		free(v[i].value);
	}
	free(v);
}

static const struct tline *find(const struct tline *v, size_t n, const char *what, const char *field)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].what, what) && !strcmp(v[i].field, field))
			return &v[i];
	return NULL;
}

static bool not_emulated(const struct tline *e, size_t ne, const char *what)
{
	const struct tline *l = find(e, ne, what, "load");

	return l && l->kind == 'N';
}

int main(int argc, char **argv)
{
	bool expect_div = argc > 1 && !strcmp(argv[1], "--expect-divergence");
	const char *objdir = getenv("CHECK_OBJ_DIR"), *skel = getenv("SKEL_OBJ");
	char kpath[] = "/tmp/diff_progobj_k.XXXXXX", epath[] = "/tmp/diff_progobj_e.XXXXXX";
	unsigned req = 0, req_bad = 0, cnt_eq = 0, cnt_ne = 0, xl_eq = 0, xl_ne = 0, skipped = 0, progs = 0, noemu = 0;
	struct tline *k, *e;
	size_t nk, ne;
	int kfd = mkstemp(kpath), efd = mkstemp(epath), probe;

	setvbuf(stdout, NULL, _IOLBF, 0);
	probe = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);
	if (probe < 0) {
		printf("SKIP: bpf() not permitted here (%s): programs are compared with the kernel's\n", strerror(errno));
		unlink(kpath);
		unlink(epath);
		return getenv("BPFEMU_REQUIRE_KERNEL") && !strcmp(getenv("BPFEMU_REQUIRE_KERNEL"), "1") ? 1 : 77;
	}
	close(probe);
	close(kfd);
	close(efd);
	for (int s = 0; s < 2; s++) {
		pid_t pid = fork();
		int st;

		if (!pid) {
			emu_side = s;
			_exit(side(s ? epath : kpath, objdir, skel));
		}
		if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
			printf("FAIL: the %s side did not finish\n", s ? "emulator" : "kernel");
			return 1;
		}
	}
	k = read_lines(kpath, &nk);
	e = read_lines(epath, &ne);
	unlink(kpath);
	unlink(epath);
	for (size_t i = 0; i < ne; i++)
		if (e[i].kind == 'N') {
			noemu++;
			printf("not emulated: %s: %s\n", e[i].what, e[i].value);
		}
	for (size_t i = 0; i < nk; i++) {
		const struct tline *kl = &k[i], *el = find(e, ne, kl->what, kl->field);
		char kind = kl->kind;
		bool same = el && !strcmp(kl->value, el->value);

		if (kind == 'S') {
			skipped++;
			continue;
		}
		if (not_emulated(e, ne, kl->what))
			continue;
		if (!strcmp(kl->field, "info"))
			progs++;
		if (!strcmp(kl->field, "xlated"))
			same ? xl_eq++ : xl_ne++;
		if (kind == 'X') {
			const struct tline *kx = find(k, nk, kl->what, "xlated"), *ex = find(e, ne, kl->what, "xlated");

			kind = kx && ex && !strcmp(kx->value, ex->value) ? 'R' : 'C';
		}
		if (kind == 'R') {
			req++;
			if (!same) {
				req_bad++;
				if (req_bad <= 40)
					printf("DIVERGENCE %s: %s\n  kernel:   %s\n  emulator: %s\n", kl->what, kl->field, kl->value,
					       el ? el->value : "(nothing)");
			}
		} else {
			same ? cnt_eq++ : cnt_ne++;
			if (!same && getenv("PROGOBJ_VERBOSE"))
				printf("counted %s: %s\n  kernel:   %s\n  emulator: %s\n", kl->what, kl->field, kl->value,
				       el ? el->value : "(nothing)");
		}
	}
	/* what only the emulator said */
	for (size_t i = 0; i < ne; i++)
		if (e[i].kind != 'N' && e[i].kind != 'S' && !find(k, nk, e[i].what, e[i].field)) {
			req_bad++;
			printf("DIVERGENCE %s: %s\n  kernel:   (nothing)\n  emulator: %s\n", e[i].what, e[i].field, e[i].value);
		}
	printf("programs described: %u; not emulated (named above): %u; hand-written cases skipped (map types not "
	       "emulated): %u\n", progs, noemu, skipped);
	printf("required lines: %u, divergent %u\n", req, req_bad);
	printf("counted lines (xlated, verified_insns, memlock, program tags, loose cases): %u equal, %u differ; xlated "
	       "equal for %u programs, differs for %u (the kernel's rewrites)\n", cnt_eq, cnt_ne, xl_eq, xl_ne);
	printf("%s\n", req_bad ? "RESULT: divergences" : "RESULT: no divergence");
	free_lines(k, nk);
	free_lines(e, ne);
	if (expect_div) {
		printf("(--expect-divergence: a planted fault is on; the run %s it)\n", req_bad ? "noticed" : "MISSED");
		return req_bad ? 0 : 1;
	}
	return req_bad ? 1 : 0;
}
