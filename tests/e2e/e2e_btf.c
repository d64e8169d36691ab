/* SPDX-License-Identifier: MIT */
/*
 * The BTF end-to-end client (tests/e2e/btf.sh): an unmodified libbpf loader of a clang-built
 * object (tests/e2e/btf_src/btfmaps.bpf.c) with BTF-defined maps of the eight emulated types.
 * It switches every program's autoload off, pins the maps under PINDIR (LIBBPF_PIN_BY_NAME),
 * loads the object, and prints what it ended up with: each map's bpf_map_info (the BTF id as
 * "obj" when it is the id of the BTF libbpf loaded, "none" when 0, "other" else), the loaded BTF's
 * bpf_btf_info, and values written and read back with and without BPF_F_LOCK. Run on the kernel
 * as root and as nobody under bpfemu-run, the transcripts must be identical; libbpf's own warnings
 * are part of them.
 *
 *   e2e_btf OBJ PINDIR
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	printf("libbpf: ");
	return vprintf(fmt, ap);
}

static void hex(const char *what, const void *p, size_t n)
{
	printf("  %s:", what);
	for (size_t i = 0; i < n; i++)
		printf(" %02x", ((const unsigned char *)p)[i]);
	printf("\n");
}

static void elem(const char *what, int rc)
{
	printf("  %s = %d%s%s\n", what, rc, rc ? " " : "", rc ? strerror(errno) : "");
}

static __u32 obj_btf_id;

static void show_map(struct bpf_map *map)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	int fd = bpf_map__fd(map);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		printf("map %s: info: %s\n", bpf_map__name(map), strerror(errno));
		return;
	}
	printf("map %s: type %u key %u value %u max_entries %u flags %#x name %s ifindex %u\n", bpf_map__name(map),
	       info.type, info.key_size, info.value_size, info.max_entries, info.map_flags, info.name, info.ifindex);
	printf("  btf_id %s btf_key_type_id %u btf_value_type_id %u btf_vmlinux_value_type_id %u map_extra %llu\n",
	       !info.btf_id ? "none" : info.btf_id == obj_btf_id ? "obj" : "other", info.btf_key_type_id,
	       info.btf_value_type_id, info.btf_vmlinux_value_type_id, (unsigned long long)info.map_extra);
	printf("  libbpf: key type %u value type %u\n", bpf_map__btf_key_type_id(map), bpf_map__btf_value_type_id(map));
}

static void show_btf(struct bpf_object *obj)
{
	int fd = bpf_object__btf_fd(obj);
	struct bpf_btf_info info;
	__u32 len = sizeof(info), size;
	const void *raw;
	char name[32];
	void *data;

	if (fd < 0) {
		printf("object BTF: none loaded\n");
		return;
	}
	memset(&info, 0, sizeof(info));
	memset(name, 'x', sizeof(name));
	info.name = (__u64)(unsigned long)name;
	info.name_len = sizeof(name);
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		printf("object BTF: info: %s\n", strerror(errno));
		return;
	}
	obj_btf_id = info.id;
	data = calloc(1, info.btf_size);
	raw = btf__raw_data(bpf_object__btf(obj), &size);
	printf("object BTF: info_len %u btf_size %u name_len %u name \"%s\" kernel_btf %u, libbpf's raw BTF %u bytes\n",
	       len, info.btf_size, info.name_len, name, info.kernel_btf, size);
	memset(&info, 0, sizeof(info));
	info.btf = (__u64)(unsigned long)data;
	info.btf_size = size;
	len = sizeof(info);
	if (data && !bpf_obj_get_info_by_fd(fd, &info, &len))
		printf("  its blob is %s libbpf loaded\n", size == info.btf_size && !memcmp(data, raw, size) ? "what" : "NOT what");
	free(data);

	/* what /proc says of the fd: the preload answers these under bpfemu-run */
	{
		char path[64], link[128], line[256];
		ssize_t n;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = 0;
		printf("  readlink: %s\n", link);
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f)) {
			unsigned id;

			if (sscanf(line, "btf_id: %u", &id) == 1)
				printf("  fdinfo btf_id: %s\n", id == obj_btf_id ? "the object's" : "another");
			else if (!strncmp(line, "pos:", 4) || !strncmp(line, "flags:", 6))
				printf("  fdinfo %s", line);
			else if (strncmp(line, "mnt_id:", 7) && strncmp(line, "ino:", 4))
				printf("  fdinfo, unexpected: %s", line);
		}
		if (f)
			fclose(f);
	}
}

int main(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *map;
	int err;

	if (argc != 3) {
		fprintf(stderr, "usage: e2e_btf OBJ PINDIR\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(print_libbpf);
	opts.pin_root_path = argv[2];
	obj = bpf_object__open_file(argv[1], &opts);
	if (!obj) {
		printf("open: %s\n", strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog, false);
	err = bpf_object__load(obj);
	printf("load: %d\n", err);
	if (err)
		return 1;
	show_btf(obj);
	bpf_object__for_each_map(map, obj)
		show_map(map);

	printf("values:\n");
	{
		/* struct flow_key and struct counter { bpf_spin_lock; u32 hits; u64 bytes } */
		int fd = bpf_object__find_map_fd_by_name(obj, "locked_hash");
		unsigned char key[16], v[16], out[16];

		memset(key, 0, sizeof(key));
		key[0] = 10;
		key[12] = 6;
		memset(v, 0xff, sizeof(v)); /* the lock word too: never the caller's to write */
		elem("locked_hash update F_LOCK", bpf_map_update_elem(fd, key, v, BPF_F_LOCK));
		memset(out, 0xee, sizeof(out));
		elem("locked_hash lookup F_LOCK", bpf_map_lookup_elem_flags(fd, key, out, BPF_F_LOCK));
		hex("value", out, sizeof(out));
		v[4] = 3;
		elem("locked_hash update", bpf_map_update_elem(fd, key, v, BPF_ANY));
		key[0] = 11;
		elem("locked_hash update F_LOCK|NOEXIST", bpf_map_update_elem(fd, key, v, BPF_F_LOCK | BPF_NOEXIST));
		memset(out, 0xee, sizeof(out));
		elem("locked_hash lookup", bpf_map_lookup_elem(fd, key, out));
		hex("value", out, sizeof(out));

		fd = bpf_object__find_map_fd_by_name(obj, "locked_array");
		for (__u32 k = 0; k < 3; k++) {
			memset(v, (int)(0x10 + k), sizeof(v));
			elem("locked_array update F_LOCK", bpf_map_update_elem(fd, &k, v, BPF_F_LOCK));
		}
		memset(out, 0xee, sizeof(out));
		elem("locked_array lookup F_LOCK", bpf_map_lookup_elem_flags(fd, &(__u32){ 1 }, out, BPF_F_LOCK));
		hex("value", out, sizeof(out));
		elem("locked_array freeze", bpf_map_freeze(fd));

		fd = bpf_object__find_map_fd_by_name(obj, "timer_lru");
		{
			unsigned char d[24];
			__u32 k = 7;

			memset(d, 0xab, sizeof(d));
			elem("timer_lru update", bpf_map_update_elem(fd, &k, d, BPF_ANY));
			elem("timer_lru update F_LOCK", bpf_map_update_elem(fd, &k, d, BPF_F_LOCK));
			memset(d, 0xee, sizeof(d));
			elem("timer_lru lookup", bpf_map_lookup_elem(fd, &k, d));
			hex("value", d, sizeof(d));
		}
		fd = bpf_object__find_map_fd_by_name(obj, "fifo");
		for (__u32 x = 1; x <= 2; x++)
			elem("fifo push", bpf_map_update_elem(fd, NULL, &x, BPF_ANY));
		fd = bpf_object__find_map_fd_by_name(obj, "lifo");
		elem("lifo push", bpf_map_update_elem(fd, NULL, &(__u64){ 0x1122334455667788ull }, BPF_ANY));
		fd = bpf_object__find_map_fd_by_name(obj, "pcpu_hash");
		{
			int n = libbpf_num_possible_cpus();
			__u64 *pv = calloc((size_t)(n > 0 ? n : 1), 8);

			for (int c = 0; c < n; c++)
				pv[c] = 100 + (__u64)c;
			elem("pcpu_hash update", bpf_map_update_elem(fd, &(__u32){ 5 }, pv, BPF_ANY));
			free(pv);
		}
	}
	bpf_object__close(obj);
	printf("closed\n");
	return 0;
}
