/* SPDX-License-Identifier: MIT */
/*
 * A statically linked libbpf client (libbpf.a, libelf.a, libz.a from Debian's -dev packages): its
 * bpf() calls come from libbpf's own syscall(), linked in, which the preload cannot interpose, so
 * under bpfemu-run it runs under the seccomp supervisor. It uses libbpf as tools do: feature probes,
 * map creation with names, the element and batch commands, per-CPU values sized by
 * libbpf_num_possible_cpus(), freeze, info, ids, pins and a read-only reopen. tests/e2e/
 * libbpf_static.sh runs it on the kernel as root and as nobody under bpfemu-run and compares what
 * it prints (ids only as "set", fds as numbers: both start from 3).
 *
 * Usage: libbpf_static PINDIR (a directory on bpffs, created and removed here)
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level, (void)fmt, (void)ap;
	return 0;
}

/* "ok", or the errno's name: libbpf returns -errno (and sets errno) */
static const char *res(int r)
{
	static char buf[64];

	if (r >= 0)
		return "ok";
	snprintf(buf, sizeof(buf), "%s", strerrorname_np(-r) ? strerrorname_np(-r) : "E?");
	return buf;
}

static void info(int fd, const char *label)
{
	struct bpf_map_info i;
	__u32 len = sizeof(i);
	int r;

	memset(&i, 0, sizeof(i));
	r = bpf_obj_get_info_by_fd(fd, &i, &len);
	if (r) {
		printf("%s info: %s\n", label, res(r));
		return;
	}
	printf("%s info: type=%u key=%u value=%u max=%u flags=%#x name=%s id=%s len=%u\n", label, i.type,
	       i.key_size, i.value_size, i.max_entries, i.map_flags, i.name, i.id ? "set" : "0", len);
}

static void hash_like(enum bpf_map_type type, const char *name)
{
	int fd = bpf_map_create(type, name, 4, 8, 8, NULL);
	__u32 keys[16], next, k, cnt;
	__u64 vals[16], v;
	unsigned sum = 0, n = 0;

	printf("%s create: fd=%d\n", name, fd);
	if (fd < 0)
		return;
	info(fd, name);
	for (k = 1; k <= 5; k++) {
		v = k * 100ull;
		bpf_map_update_elem(fd, &k, &v, BPF_ANY);
	}
	k = 3;
	printf("%s lookup 3: %s", name, res(bpf_map_lookup_elem(fd, &k, &v)));
	printf(" = %llu\n", (unsigned long long)v);
	k = 9;
	printf("%s lookup 9: %s\n", name, res(bpf_map_lookup_elem(fd, &k, &v)));
	k = 3;
	printf("%s noexist 3: %s\n", name, res(bpf_map_update_elem(fd, &k, &v, BPF_NOEXIST)));
	printf("%s bad flags: %s\n", name, res(bpf_map_update_elem(fd, &k, &v, 42)));
	k = 2;
	printf("%s delete 2: %s, again: ", name, res(bpf_map_delete_elem(fd, &k)));
	printf("%s\n", res(bpf_map_delete_elem(fd, &k)));
	/* a GET_NEXT_KEY walk: the order is the map's, the sum and count are not */
	for (int r = bpf_map_get_next_key(fd, NULL, &next); !r; r = bpf_map_get_next_key(fd, &k, &next)) {
		k = next;
		sum += k;
		n++;
	}
	printf("%s walk: %u keys, sum %u\n", name, n, sum);
	keys[0] = 10, keys[1] = 11, keys[2] = 12;
	vals[0] = 1000, vals[1] = 1100, vals[2] = 1200;
	cnt = 3;
	printf("%s update batch: %s count=%u\n", name, res(bpf_map_update_batch(fd, keys, vals, &cnt, NULL)), cnt);
	cnt = 16;
	printf("%s lookup batch: %s", name, res(bpf_map_lookup_batch(fd, NULL, &next, keys, vals, &cnt, NULL)));
	sum = 0;
	for (unsigned i = 0; i < cnt; i++)
		sum += keys[i] + (unsigned)vals[i];
	printf(" count=%u sum=%u\n", cnt, sum);
	keys[0] = 10, keys[1] = 77;
	cnt = 2;
	printf("%s delete batch with a missing key: %s count=%u\n", name, res(bpf_map_delete_batch(fd, keys, &cnt, NULL)),
	       cnt);
	cnt = 16;
	printf("%s lookup and delete batch: %s", name,
	       res(bpf_map_lookup_and_delete_batch(fd, NULL, &next, keys, vals, &cnt, NULL)));
	printf(" count=%u\n", cnt);
	printf("%s empty: %s\n", name, res(bpf_map_get_next_key(fd, NULL, &next)));
	close(fd);
}

static void per_cpu(enum bpf_map_type type, const char *name, __u32 max)
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map_create(type, name, 4, 8, max, NULL), ok = 1;
	__u64 *v = calloc((size_t)ncpu, 8), *out = calloc((size_t)ncpu, 8);
	__u32 k = 1;

	printf("%s create: fd=%d\n", name, fd);
	if (fd < 0 || !v || !out)
		return;
	info(fd, name);
	for (int i = 0; i < ncpu; i++)
		v[i] = (__u64)i * 3 + 1;
	printf("%s update: %s\n", name, res(bpf_map_update_elem(fd, &k, v, BPF_ANY)));
	printf("%s lookup: %s\n", name, res(bpf_map_lookup_elem(fd, &k, out)));
	for (int i = 0; i < ncpu; i++)
		ok &= out[i] == v[i];
	printf("%s every cpu's value: %s\n", name, ok ? "same" : "different");
	printf("%s lock flag: %s\n", name, res(bpf_map_lookup_elem_flags(fd, &k, out, BPF_F_LOCK)));
	close(fd);
	free(v);
	free(out);
}

static void queue_stack(enum bpf_map_type type, const char *name)
{
	int fd = bpf_map_create(type, name, 0, 4, 2, NULL);
	__u32 v;

	printf("%s create: fd=%d\n", name, fd);
	if (fd < 0)
		return;
	for (v = 1; v <= 3; v++)
		printf("%s push %u: %s\n", name, v, res(bpf_map_update_elem(fd, NULL, &v, BPF_ANY)));
	v = 9;
	printf("%s push with BPF_EXIST: %s\n", name, res(bpf_map_update_elem(fd, NULL, &v, BPF_EXIST)));
	for (int i = 0; i < 3; i++) {
		int r = bpf_map_lookup_and_delete_elem(fd, NULL, &v);

		printf("%s pop: %s", name, res(r));
		if (!r)
			printf(" %u", v);
		printf("\n");
	}
	close(fd);
}

static void array_freeze(void)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "frozen", 4, 4, 2, NULL);
	__u32 k = 1, v = 7;

	printf("array create: fd=%d\n", fd);
	if (fd < 0)
		return;
	printf("array update: %s\n", res(bpf_map_update_elem(fd, &k, &v, BPF_ANY)));
	k = 2;
	printf("array update out of range: %s\n", res(bpf_map_update_elem(fd, &k, &v, BPF_ANY)));
	printf("array delete: %s\n", res(bpf_map_delete_elem(fd, &k)));
	printf("freeze: %s, again: ", res(bpf_map_freeze(fd)));
	printf("%s\n", res(bpf_map_freeze(fd)));
	k = 1;
	printf("update frozen: %s\n", res(bpf_map_update_elem(fd, &k, &v, BPF_ANY)));
	info(fd, "frozen");
	close(fd);
}

static void ids_and_pins(const char *dir)
{
	char path[512];
	struct statfs sf;
	__u32 id = 0, mine, next, k = 1, v = 5;
	int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "pinme", 4, 4, 4, NULL), fd2, found = 0;
	struct bpf_map_info i;
	__u32 len = sizeof(i);
	LIBBPF_OPTS(bpf_obj_get_opts, ro, .file_flags = BPF_F_RDONLY);

	printf("pinme create: fd=%d\n", fd);
	if (fd < 0)
		return;
	bpf_map_update_elem(fd, &k, &v, BPF_ANY);
	memset(&i, 0, sizeof(i));
	bpf_obj_get_info_by_fd(fd, &i, &len);
	mine = i.id;
	/* every live map is visible to a privileged caller: ours must be among them */
	while (!bpf_map_get_next_id(id, &next)) {
		id = next;
		found |= id == mine;
	}
	printf("get_next_id walk finds ours: %s\n", found ? "yes" : "no");
	fd2 = bpf_map_get_fd_by_id(mine);
	printf("get_fd_by_id: fd=%d\n", fd2);
	info(fd2, "by id");
	close(fd2);
	printf("mkdir: %s\n", mkdir(dir, 0755) ? strerror(errno) : "ok");
	printf("statfs is bpffs: %s\n", !statfs(dir, &sf) && sf.f_type == 0xcafe4a11 ? "yes" : "no");
	snprintf(path, sizeof(path), "%s/pinned", dir);
	printf("pin: %s\n", res(bpf_obj_pin(fd, path)));
	printf("pin again: %s\n", res(bpf_obj_pin(fd, path)));
	close(fd);
	fd = bpf_obj_get(path);
	printf("get: fd=%d\n", fd);
	info(fd, "pinned");
	v = 0;
	printf("lookup through the pin: %s = %u\n", res(bpf_map_lookup_elem(fd, &k, &v)), v);
	fd2 = bpf_obj_get_opts(path, &ro);
	printf("get read-only: fd=%d\n", fd2);
	printf("update read-only: %s\n", res(bpf_map_update_elem(fd2, &k, &v, BPF_ANY)));
	printf("lookup read-only: %s\n", res(bpf_map_lookup_elem(fd2, &k, &v)));
	printf("fd close-on-exec: %s\n", fcntl(fd2, F_GETFD) & FD_CLOEXEC ? "yes" : "no");
	close(fd2);
	printf("open pinned: %s\n", open(path, O_RDONLY) < 0 ? strerrorname_np(errno) : "opened");
	snprintf(path, sizeof(path), "%s/missing", dir);
	printf("get missing: %s\n", res(bpf_obj_get(path)));
	snprintf(path, sizeof(path), "%s/pinned", dir);
	printf("unlink pin: %s\n", unlink(path) ? strerror(errno) : "ok");
	printf("rmdir: %s\n", rmdir(dir) ? strerror(errno) : "ok");
	close(fd);
}

int main(int argc, char **argv)
{
	static const struct {
		enum bpf_map_type t;
		const char *name;
	} probes[] = {
		{ BPF_MAP_TYPE_HASH, "hash" }, { BPF_MAP_TYPE_ARRAY, "array" },
		{ BPF_MAP_TYPE_PERCPU_HASH, "percpu_hash" }, { BPF_MAP_TYPE_PERCPU_ARRAY, "percpu_array" },
		{ BPF_MAP_TYPE_LRU_HASH, "lru_hash" }, { BPF_MAP_TYPE_LRU_PERCPU_HASH, "lru_percpu_hash" },
		{ BPF_MAP_TYPE_QUEUE, "queue" }, { BPF_MAP_TYPE_STACK, "stack" },
	};

	if (argc != 2) {
		fprintf(stderr, "usage: libbpf_static PINDIR\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(quiet);
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		printf("probe %s: %d\n", probes[i].name, libbpf_probe_bpf_map_type(probes[i].t, NULL));
	hash_like(BPF_MAP_TYPE_HASH, "hash");
	hash_like(BPF_MAP_TYPE_LRU_HASH, "lru_hash");
	per_cpu(BPF_MAP_TYPE_PERCPU_HASH, "percpu_hash", 4);
	per_cpu(BPF_MAP_TYPE_LRU_PERCPU_HASH, "lru_percpu_hash", 4);
	per_cpu(BPF_MAP_TYPE_PERCPU_ARRAY, "percpu_array", 4);
	queue_stack(BPF_MAP_TYPE_QUEUE, "queue");
	queue_stack(BPF_MAP_TYPE_STACK, "stack");
	array_freeze();
	ids_and_pins(argv[1]);
	printf("done\n");
	return 0;
}
