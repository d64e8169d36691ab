/* SPDX-License-Identifier: MIT */
/*
 * What a map fd is, case by case (issue 17), and a program's, BTF object's and stats fd's: every case prints one line "case: answer", and
 * tests/e2e/fdops.sh runs a mode on the kernel as root and under bpfemu-run as nobody and compares
 * the two transcripts line by line. Answers are return values and errno names, the bytes a call
 * wrote, never map ids or other numbers that differ between two correct runs (fd numbers are
 * compared: the kernel's lowest-free rule is part of the answer).
 *
 *   e2e_fdops fileops   read/write/pread/pwrite/ftruncate/fallocate/lseek/ioctl/fsync/fchmod/
 *                       poll/fcntl/fstat/fstatfs/statx/xattrs/splices on RDWR, RDONLY and WRONLY
 *                       map fds, directly and through syscall(); the map is whole afterwards
 *   e2e_fdops mmap      mmap rules, mprotect/mremap of map mappings, FREEZE with writable
 *                       mappings (also one a child holds), BPF_F_RDONLY_PROG
 *   e2e_fdops fdcache   a map fd closed behind the preload's back, its number reused
 *   e2e_fdops emfile    at the fd limit with one fd free (soft limit, then hard = soft)
 *   e2e_fdops fdinfo    every route to fdinfo and fd links, another process's too
 *   e2e_fdops pins      pins as bpffs inodes: stat, rename, chmod, truncate, links, nodes, O_PATH
 *   e2e_fdops huge      creates larger than memory: ENOMEM; large ones usable to the last page
 *   e2e_fdops memcg     in a 128 MiB memory cgroup: maps past the limit are ENOMEM (no OOM kill)
 *   e2e_fdops fill MB   ARRAY maps of 4 MiB until MB are taken, every page written (no SIGBUS)
 *   e2e_fdops objects   the same file operations, mmap, procfs routes, fd-number reuse and EMFILE
 *                       corners on a program, a BTF object and a BPF_ENABLE_STATS fd
 *
 * Exit 0 when every case ran (the answers are the test's business), 1 when the client itself
 * could not run (no bpf(), no memory).
 */
#include "fdops_client.h"

const char *mode = "?";

void die(const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	fprintf(stderr, "e2e_fdops %s: ", mode);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (errno %d: %s)\n", e, strerror(e));
	exit(1);
}

/* ---- the transcript ---- */

void out(const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

const char *ename(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "E?";
}

/* "ret" or "-1 ENAME" */
void res(const char *name, long r)
{
	if (r < 0)
		out(name, "%ld %s", r, ename(errno));
	else
		out(name, "%ld", r);
}


/* an mmap's answer: "ok" or "MAP_FAILED ENAME" */
void *mres(const char *name, void *p)
{
	if (p == MAP_FAILED)
		out(name, "MAP_FAILED %s", ename(errno));
	else
		out(name, "ok");
	return p;
}

/* ---- bpf() ---- */

long sys_bpf(int cmd, union bpf_attr *a, size_t size)
{
	return syscall(__NR_bpf, cmd, a, size);
}

int map_create(uint32_t type, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_type = type;
	a.key_size = ks;
	a.value_size = vs;
	a.max_entries = max;
	a.map_flags = flags;
	return (int)sys_bpf(BPF_MAP_CREATE, &a, sizeof(a));
}

int elem(int cmd, int fd, const void *key, void *value, uint64_t flags)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	a.key = (uintptr_t)key;
	a.value = (uintptr_t)value;
	a.flags = flags;
	return (int)sys_bpf(cmd, &a, sizeof(a));
}

int update(int fd, uint32_t k, uint64_t v) { return elem(BPF_MAP_UPDATE_ELEM, fd, &k, &v, 0); }

/* a lookup's answer: the value, or "-1 ENAME" */
void lookup_res(const char *name, int fd, uint32_t k)
{
	uint64_t v = 0;

	errno = 0;
	if (elem(BPF_MAP_LOOKUP_ELEM, fd, &k, &v, 0))
		out(name, "-1 %s", ename(errno));
	else
		out(name, "value %llu", (unsigned long long)v);
}

int freeze(int fd)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	return (int)sys_bpf(BPF_MAP_FREEZE, &a, sizeof(a));
}

uint32_t map_id(int fd)
{
	struct bpf_map_info info;
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	memset(&info, 0, sizeof(info));
	a.info.bpf_fd = (uint32_t)fd;
	a.info.info_len = sizeof(info);
	a.info.info = (uintptr_t)&info;
	if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a, sizeof(a)))
		return 0;
	return info.id;
}

int info_res(int fd)
{
	struct bpf_map_info info;
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	memset(&info, 0, sizeof(info));
	a.info.bpf_fd = (uint32_t)fd;
	a.info.info_len = sizeof(info);
	a.info.info = (uintptr_t)&info;
	return (int)sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a, sizeof(a));
}

int fd_by_id(uint32_t id, uint32_t flags)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_id = id;
	a.open_flags = flags;
	return (int)sys_bpf(BPF_MAP_GET_FD_BY_ID, &a, sizeof(a));
}

int obj_pin(int fd, const char *path)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.bpf_fd = (uint32_t)fd;
	a.pathname = (uintptr_t)path;
	return (int)sys_bpf(BPF_OBJ_PIN, &a, sizeof(a));
}

int obj_get(const char *path, uint32_t flags)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.pathname = (uintptr_t)path;
	a.file_flags = flags;
	return (int)sys_bpf(BPF_OBJ_GET, &a, sizeof(a));
}

/* ---- what an fd is ---- */

/* The anonymous inode every bpf object shares: an eventfd's. */
struct stat anon_st;
unsigned long long anon_mnt, anon_ino;

void fdinfo_ids(int fd, unsigned long long *mnt, unsigned long long *ino)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "mnt_id: %llu", mnt) != 1)
			sscanf(line, "ino: %llu", ino);
	if (f)
		fclose(f);
}

void anon_init(void)
{
	int e = eventfd(0, EFD_CLOEXEC);

	if (e < 0 || fstat(e, &anon_st))
		die("eventfd");
	fdinfo_ids(e, &anon_mnt, &anon_ino);
	close(e);
}

/* Lines of a /proc file, as read by read() from an open fd: numbers that differ between two
 * correct runs are named by what they equal ("=anon" for the anonymous inode's ids, a pid as
 * "PID"), map ids as "*". */
void print_proc_text(const char *name, int fd)
{
	char buf[4096], line[512];
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	char *p, *nl;
	int i = 0;

	if (n < 0) {
		out(name, "-1 %s", ename(errno));
		return;
	}
	buf[n] = 0;
	for (p = buf; *p; p = nl + 1, i++) {
		unsigned long long v;
		char key[64];

		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p) - 1;
		snprintf(line, sizeof(line), "%.*s", (int)(nl - p), p);
		if (sscanf(line, "mnt_id: %llu", &v) == 1)
			snprintf(line, sizeof(line), "mnt_id:\t%s", v == anon_mnt ? "=anon" : "other");
		else if (sscanf(line, "ino: %llu", &v) == 1)
			snprintf(line, sizeof(line), "ino:\t%s", v == anon_ino ? "=anon" : "other");
		else if (sscanf(line, "map_id: %llu", &v) == 1)
			snprintf(line, sizeof(line), "map_id:\t*");
		else if (sscanf(line, "prog_id: %llu", &v) == 1)
			snprintf(line, sizeof(line), "prog_id:\t*");
		else if (sscanf(line, "btf_id: %llu", &v) == 1)
			snprintf(line, sizeof(line), "btf_id:\t*");
		else if (sscanf(line, "run_time_ns: %llu", &v) == 1) /* a time: only whether one was counted */
			snprintf(line, sizeof(line), "run_time_ns:\t%s", v ? "counted" : "0");
		else if (sscanf(line, "prog_jited: %llu", &v) == 1) {
			/* programs are interpreted (README: the JIT) */
			snprintf(key, sizeof(key), "known.%s.prog_jited", name);
			out(key, "%llu", v);
			snprintf(line, sizeof(line), "prog_jited:\t*");
		}
		else if (!strncmp(line, "lock:", 5)) {
			/* "lock:\t1: FLOCK  ADVISORY  WRITE <pid> maj:min:ino 0 EOF" */
			char kind[16], adv[16], rw[16], id[64];
			unsigned long long pid;
			int nr;

			if (sscanf(line, "lock:\t%d: %15s %15s %15s %llu %63s", &nr, kind, adv, rw, &pid, id) == 6) {
				char anon_id[64];

				snprintf(anon_id, sizeof(anon_id), "%02x:%02x:%llu", major(anon_st.st_dev),
					 minor(anon_st.st_dev), (unsigned long long)anon_st.st_ino);
				snprintf(line, sizeof(line), "lock: %d %s %s %s PID %s", nr, kind, adv, rw,
					 strcmp(id, anon_id) ? "other" : "=anon");
			}
		}
		snprintf(key, sizeof(key), "%s.%d", name, i);
		out(key, "%s", line);
		if (!*nl)
			break;
	}
}

void print_proc_file(const char *name, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		out(name, "open -1 %s", ename(errno));
		return;
	}
	print_proc_text(name, fd);
	close(fd);
}

void stat_res(const char *name, const struct stat *st)
{
	out(name, "mode %o nlink %lu size %lld blocks %lld blksize %ld uid %u gid %u anon-inode %s", st->st_mode,
	    (unsigned long)st->st_nlink, (long long)st->st_size, (long long)st->st_blocks, (long)st->st_blksize,
	    st->st_uid, st->st_gid,
	    st->st_dev == anon_st.st_dev && st->st_ino == anon_st.st_ino ? "yes" : "no");
}

/* a path in the transcript: the test's own directory (its name has the pid) named DIR */
const char *test_dir = "";

void path_res(const char *name, const char *p)
{
	size_t dl = strlen(test_dir);

	if (dl && !strncmp(p, test_dir, dl))
		out(name, "DIR%s", p + dl);
	else
		out(name, "%s", p);
}

void link_res(const char *name, const char *path)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);

	if (n < 0) {
		out(name, "-1 %s", ename(errno));
		return;
	}
	buf[n] = 0;
	path_res(name, buf);
}

int main(int argc, char **argv)
{
	mode = argc > 1 ? argv[1] : "?";
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && !strcmp(mode, "peek")) {
		peek((pid_t)atoi(argv[2]), atoi(argv[3]));
		return 0;
	}
	if (argc == 3 && !strcmp(mode, "inherited")) {
		inherited(atoi(argv[2]));
		return 0;
	}
	if (argc == 3 && !strcmp(mode, "inherited-prog")) {
		inherited_prog(atoi(argv[2]));
		return 0;
	}
	anon_init();
	if (!strcmp(mode, "fileops"))
		mode_fileops();
	else if (!strcmp(mode, "mmap"))
		mode_mmap();
	else if (!strcmp(mode, "fdcache"))
		mode_fdcache();
	else if (!strcmp(mode, "fdcache-raw"))
		mode_fdcache_raw();
	else if (!strcmp(mode, "emfile"))
		mode_emfile(false);
	else if (!strcmp(mode, "emfile-hard"))
		mode_emfile(true);
	else if (!strcmp(mode, "fdinfo"))
		mode_fdinfo();
	else if (!strcmp(mode, "pins"))
		mode_pins();
	else if (!strcmp(mode, "huge"))
		mode_huge();
	else if (!strcmp(mode, "memcg"))
		mode_memcg();
	else if (!strcmp(mode, "objects"))
		mode_objects();
	else if (!strcmp(mode, "fill") && argc == 3)
		mode_fill((unsigned)atoi(argv[2]));
	else {
		fprintf(stderr, "usage: e2e_fdops fileops|mmap|fdcache|fdcache-raw|emfile|emfile-hard|fdinfo|pins|huge|memcg|objects|fill MB\n");
		return 2;
	}
	return 0;
}
