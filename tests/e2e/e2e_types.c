/* SPDX-License-Identifier: MIT */
/*
 * The loader of tests/e2e/types.sh: an unmodified libbpf loads a clang-built object declaring every
 * map type issue 21 added (types_src/types.bpf.c), its program switched off, its maps pinned by
 * name under PINDIR; then prints what it got (each map's bpf_map_info, ids as names of what they
 * name) and uses the maps a little as a tool would: CIDRs into the trie and an address looked up,
 * a value pushed to the bloom filter and peeked, the array of maps' inner map (set at load) found
 * by its id. Run on the kernel as root and as nobody under bpfemu-run: the transcripts must be
 * identical.
 *
 *   e2e_types OBJ PINDIR
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	printf("libbpf: ");
	return vprintf(fmt, ap);
}

static __u32 id_of(int fd)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

static void show(struct bpf_map *map)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_map__fd(map), &info, &len)) {
		printf("map %s: info: %s\n", bpf_map__name(map), strerror(errno));
		return;
	}
	printf("map %s: type %u key %u value %u max_entries %u flags %#x name %s map_extra %llu btf %s key type %u "
	       "value type %u\n", bpf_map__name(map), info.type, info.key_size, info.value_size, info.max_entries,
	       info.map_flags, info.name, (unsigned long long)info.map_extra, info.btf_id ? "yes" : "no",
	       info.btf_key_type_id, info.btf_value_type_id);
}

static void rc(const char *what, int r)
{
	printf("  %s = %d%s%s\n", what, r, r ? " " : "", r ? strerror(errno) : "");
}

int main(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *map;
	int err, fd;

	if (argc != 3) {
		fprintf(stderr, "usage: e2e_types OBJ PINDIR\n");
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
	bpf_object__for_each_map(map, obj)
		show(map);

	printf("cidrs:\n");
	fd = bpf_object__find_map_fd_by_name(obj, "cidrs");
	{
		struct { __u32 plen; __u8 a[4]; } k;
		__u32 v;

		k = (typeof(k)){ 8, { 10, 0, 0, 0 } };
		v = 1;
		rc("update 10.0.0.0/8", bpf_map_update_elem(fd, &k, &v, BPF_ANY));
		k = (typeof(k)){ 24, { 10, 1, 2, 0 } };
		v = 2;
		rc("update 10.1.2.0/24", bpf_map_update_elem(fd, &k, &v, BPF_NOEXIST));
		k = (typeof(k)){ 32, { 10, 1, 2, 3 } };
		v = 0;
		rc("lookup 10.1.2.3", bpf_map_lookup_elem(fd, &k, &v));
		printf("  value %u\n", v);
		k = (typeof(k)){ 32, { 10, 9, 9, 9 } };
		rc("lookup 10.9.9.9", bpf_map_lookup_elem(fd, &k, &v));
		printf("  value %u\n", v);
		k = (typeof(k)){ 32, { 11, 0, 0, 1 } };
		rc("lookup 11.0.0.1", bpf_map_lookup_elem(fd, &k, &v));
	}
	printf("seen:\n");
	fd = bpf_object__find_map_fd_by_name(obj, "seen");
	{
		__u32 v = 42;

		rc("push 42", bpf_map_update_elem(fd, NULL, &v, BPF_ANY));
		rc("peek 42", bpf_map_lookup_elem(fd, NULL, &v));
		v = 43;
		rc("peek 43", bpf_map_lookup_elem(fd, NULL, &v));
	}
	printf("outer_array:\n");
	fd = bpf_object__find_map_fd_by_name(obj, "outer_array");
	{
		__u32 k = 1, id = 0;
		int inner = bpf_object__find_map_fd_by_name(obj, "inner0");

		rc("lookup 1", bpf_map_lookup_elem(fd, &k, &id));
		printf("  the inner map's id: %s\n", id && id == id_of(inner) ? "inner0's" : "another");
		k = 0;
		rc("lookup 0", bpf_map_lookup_elem(fd, &k, &id));
		k = 2;
		rc("update 2 with inner0", bpf_map_update_elem(fd, &k, &inner, BPF_ANY));
		rc("update 3 with cidrs", bpf_map_update_elem(fd, &(__u32){ 3 }, &(int){ bpf_object__find_map_fd_by_name(obj, "cidrs") }, BPF_ANY));
	}
	bpf_object__close(obj);
	return 0;
}
