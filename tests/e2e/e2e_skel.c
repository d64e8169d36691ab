/* SPDX-License-Identifier: MIT */
/*
 * The skeleton end-to-end client (tests/e2e/skel.sh): what a libbpf-bootstrap application does
 * with a `bpftool gen skeleton` header, unmodified. It opens the skeleton, sets the .rodata
 * constants, switches autoload off (mode "off") or leaves it on ("on"), loads, and prints what it
 * got: each map's info, the global data read and written through the skeleton's mmap and through
 * the map fds, and with programs on, each program's info and a BPF_PROG_TEST_RUN of each (an
 * IPv4/UDP packet, the process on CPU 0) with the maps afterwards. With PINDIR it pins the
 * programs there for bpftool. Run as root on the kernel and as nobody under bpfemu-run, the
 * transcripts must be the same once ids are masked; libbpf's warnings are part of them.
 *
 *   e2e_skel off|on [PINDIR]
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "skel.skel.h"

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

static void show_map(struct bpf_map *map)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_map__fd(map), &info, &len)) {
		printf("map %s: info: %s\n", bpf_map__name(map), strerror(errno));
		return;
	}
	printf("map %s: type %u key %u value %u max_entries %u flags %#x name %s btf %s\n", bpf_map__name(map),
	       info.type, info.key_size, info.value_size, info.max_entries, info.map_flags, info.name,
	       info.btf_id ? "yes" : "no");
}

/* The .data/.bss values through the map (a lookup of key 0), beside the skeleton's mmap. */
static void global_data(struct skel *s, const char *when)
{
	unsigned char data[64], bss[64];
	__u32 zero = 0;

	memset(data, 0, sizeof(data));
	memset(bss, 0, sizeof(bss));
	printf("global data %s: mmap: seen_packets %llu last_len %u banner '%s' drop_proto %u tc_mark %#x\n", when,
	       (unsigned long long)s->bss->seen_packets, s->data->last_len, s->data->banner, s->rodata->drop_proto,
	       s->rodata->tc_mark);
	printf("  .data lookup %d, .bss lookup %d\n", bpf_map__lookup_elem(s->maps.data, &zero, 4, data,
										 bpf_map__value_size(s->maps.data), 0),
	       bpf_map__lookup_elem(s->maps.bss, &zero, 4, bss, bpf_map__value_size(s->maps.bss), 0));
	hex(".data", data, bpf_map__value_size(s->maps.data));
	hex(".bss", bss, bpf_map__value_size(s->maps.bss));
}

static void show_prog(struct bpf_program *p)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info), ids[8];
	char names[256] = "";

	memset(&info, 0, sizeof(info));
	info.nr_map_ids = 8;
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len)) {
		printf("prog %s: info: %s\n", bpf_program__name(p), strerror(errno));
		return;
	}
	/* the maps by name: their ids are the machine's */
	for (__u32 i = 0; i < info.nr_map_ids && i < 8; i++) {
		struct bpf_map_info mi;
		__u32 ml = sizeof(mi);
		int fd = bpf_map_get_fd_by_id(ids[i]);

		memset(&mi, 0, sizeof(mi));
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &mi, &ml))
			snprintf(names + strlen(names), sizeof(names) - strlen(names), " %s", mi.name);
		else
			snprintf(names + strlen(names), sizeof(names) - strlen(names), " ?(%s)", strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	printf("prog %s: type %u name %s gpl %u tag %02x%02x%02x%02x%02x%02x%02x%02x maps%s\n", bpf_program__name(p),
	       info.type, info.name, info.gpl_compatible, info.tag[0], info.tag[1], info.tag[2], info.tag[3], info.tag[4],
	       info.tag[5], info.tag[6], info.tag[7], names);
	printf("  btf %s func_info %u line_info %u run_cnt %llu\n", info.btf_id ? "yes" : "no", info.nr_func_info,
	       info.nr_line_info, (unsigned long long)info.run_cnt);
}

static void run(struct bpf_program *p, const void *pkt, size_t n)
{
	unsigned char out[256];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = (__u32)n, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);
	int err;

	memset(out, 0, sizeof(out));
	err = bpf_prog_test_run_opts(bpf_program__fd(p), &o);
	printf("run %s: %d%s%s retval %u data_size_out %u\n", bpf_program__name(p), err, err ? " " : "",
	       err ? strerror(errno) : "", o.retval, o.data_size_out);
	if (!err)
		hex("data_out", out, o.data_size_out < sizeof(out) ? o.data_size_out : sizeof(out));
}

static void dump_maps(struct skel *s)
{
	__u64 v, pc[512];
	__u32 k, next;
	int ncpu = libbpf_num_possible_cpus();

	for (k = 0; k < 4; k++)
		if (!bpf_map__lookup_elem(s->maps.counters, &k, 4, &v, 8, 0))
			printf("  counters[%u] = %llu\n", k, (unsigned long long)v);
	for (int more = !bpf_map__get_next_key(s->maps.by_proto, NULL, &next, 4); more;
	     more = !bpf_map__get_next_key(s->maps.by_proto, &k, &next, 4)) {
		k = next;
		if (!bpf_map__lookup_elem(s->maps.by_proto, &k, 4, &v, 8, 0))
			printf("  by_proto[%u] = %llu\n", k, (unsigned long long)v);
	}
	k = 0;
	if (ncpu > 0 && ncpu <= 512 &&
	    !bpf_map__lookup_elem(s->maps.per_cpu, &k, 4, pc, 8 * (size_t)ncpu, 0))
		printf("  per_cpu[0] on cpu 0: %llu, cpu 1: %llu\n", (unsigned long long)pc[0],
		       (unsigned long long)(ncpu > 1 ? pc[1] : 0));
}

int main(int argc, char **argv)
{
	/* Ethernet, IPv4 (UDP), UDP header, 18 bytes of payload: 60 bytes */
	static const unsigned char udp[60] = {
		0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x08, 0x00,
		0x45, 0, 0, 46, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
		0x30, 0x39, 0, 53, 0, 26, 0, 0, 'h', 'e', 'l', 'l', 'o',
	};
	unsigned char tcp[60];
	bool on = argc > 1 && !strcmp(argv[1], "on");
	struct bpf_program *p;
	struct bpf_map *m;
	struct skel *s;
	cpu_set_t cpu0;
	int err;

	if (argc < 2 || (strcmp(argv[1], "on") && strcmp(argv[1], "off"))) {
		fprintf(stderr, "usage: %s off|on [PINDIR]\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	sched_setaffinity(0, sizeof(cpu0), &cpu0);
	libbpf_set_print(print_libbpf);
	s = skel__open();
	if (!s) {
		printf("open: %s\n", strerror(errno));
		return 1;
	}
	s->rodata->drop_proto = 6; /* TCP */
	s->rodata->tc_mark = 0x5eed;
	if (!on)
		bpf_object__for_each_program(p, s->obj)
			bpf_program__set_autoload(p, false);
	err = skel__load(s);
	printf("load: %d%s%s\n", err, err ? " " : "", err ? strerror(-err) : "");
	if (err) {
		skel__destroy(s);
		return 1;
	}
	bpf_object__for_each_map(m, s->obj)
		show_map(m);
	global_data(s, "after load");
	/* written through the mmap, read back through the map */
	s->data->last_len = 99;
	s->bss->seen_packets = 5;
	strcpy(s->data->banner, "written");
	global_data(s, "after writes");
	bpf_object__for_each_program(p, s->obj)
		printf("prog %s: autoload %d fd %s\n", bpf_program__name(p), bpf_program__autoload(p),
		       bpf_program__fd(p) >= 0 ? "yes" : "no");
	if (on) {
		bpf_object__for_each_program(p, s->obj)
			show_prog(p);
		run(s->progs.skel_xdp, udp, sizeof(udp));
		memcpy(tcp, udp, sizeof(tcp));
		tcp[23] = 6;
		run(s->progs.skel_xdp, tcp, sizeof(tcp));
		run(s->progs.skel_tc, udp, sizeof(udp));
		run(s->progs.skel_sock, udp, sizeof(udp));
		dump_maps(s);
		global_data(s, "after runs");
		if (argc > 2) {
			bpf_object__for_each_program(p, s->obj) {
				char path[512];

				snprintf(path, sizeof(path), "%s/%s", argv[2], bpf_program__name(p));
				err = bpf_program__pin(p, path);
				printf("pin %s: %d\n", bpf_program__name(p), err);
			}
		}
	}
	skel__destroy(s);
	return 0;
}
