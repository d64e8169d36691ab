/* SPDX-License-Identifier: MIT */
/*
 * flowcount: the user-space half of a flow counter, on libbpf's low-level map API. A BPF program
 * would fill these maps from packets; here a fixed packet list plays that part, so the program
 * runs anywhere bpf() map commands do — on the kernel (CAP_BPF) or, unprivileged, under
 *
 *     bpfemu-run flowcount
 *
 * Maps: a HASH of flows (5-tuple → packets, bytes), a PERCPU_HASH of bytes per protocol and CPU,
 * an LRU_HASH of the last packet seen per destination, an ARRAY of bytes per protocol, and a
 * QUEUE of "new flow" events. Everything printed is deterministic: the hash maps use
 * BPF_F_ZERO_SEED so their walk order is the kernel's lookup3 bucket order, and no map id (which
 * depends on what else runs) is printed. So stdout is byte-identical on the kernel and under the
 * emulator, which is what the end-to-end test checks.
 *
 * Exit status 0, or 1 with a message naming the call that failed unexpectedly.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The layout a BPF program parsing IPv4 would use: addresses and ports in network order, explicit
 * padding so the key has no uninitialised bytes (the hash covers every byte of it). */
struct flow_key {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint8_t proto;
	uint8_t pad[3];
};

struct flow_stats {
	uint64_t packets, bytes;
};

struct event {
	uint32_t kind; /* EV_* */
	uint32_t proto;
	uint64_t bytes;
};

enum { EV_NEW_FLOW = 1, EV_FLOW_END = 2 };
enum { PROTO_SLOT_TCP, PROTO_SLOT_UDP, PROTO_SLOT_ICMP, PROTO_SLOT_OTHER, NR_PROTO_SLOTS };

#define FLOWS_MAX 16
#define LRU_MAX 64 /* far more than used: LRU eviction depends on which CPU runs us */
#define EVENTS_MAX 8

struct packet {
	const char *src, *dst;
	uint16_t sport, dport;
	uint8_t proto;
	uint32_t len;
};

static const struct packet packets[] = {
	{ "10.0.0.1", "10.0.0.2", 40000, 80, IPPROTO_TCP, 60 },
	{ "10.0.0.2", "10.0.0.1", 80, 40000, IPPROTO_TCP, 60 },
	{ "10.0.0.1", "10.0.0.2", 40000, 80, IPPROTO_TCP, 1500 },
	{ "10.0.0.3", "10.0.0.53", 5353, 53, IPPROTO_UDP, 72 },
	{ "10.0.0.53", "10.0.0.3", 53, 5353, IPPROTO_UDP, 120 },
	{ "10.0.0.1", "10.0.0.2", 40000, 80, IPPROTO_TCP, 1500 },
	{ "10.0.0.4", "10.0.0.1", 0, 0, IPPROTO_ICMP, 84 },
	{ "10.0.0.1", "10.0.0.4", 0, 0, IPPROTO_ICMP, 84 },
	{ "10.0.0.5", "10.0.0.2", 41000, 443, IPPROTO_TCP, 60 },
	{ "10.0.0.2", "10.0.0.5", 443, 41000, IPPROTO_TCP, 1400 },
	{ "10.0.0.6", "10.0.0.2", 0, 0, IPPROTO_GRE, 200 },
	{ "10.0.0.1", "10.0.0.2", 40000, 80, IPPROTO_TCP, 40 },
};

static int ncpus;

static const char *errname(int e)
{
	switch (e) {
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EBADF: return "EBADF";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EEXIST: return "EEXIST";
	case EINVAL: return "EINVAL";
	case ENOSPC: return "ENOSPC";
	case E2BIG: return "E2BIG";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case 524: return "ENOTSUPP"; /* kernel-internal, reaches user space through bpf() */
	default: return "unknown errno";
	}
}

static void __attribute__((noreturn)) die(const char *call)
{
	int e = errno;

	fflush(stdout);
	fprintf(stderr, "flowcount: %s: %s (%s)\n", call, errname(e), strerror(e));
	exit(1);
}

/* libbpf's low-level calls return a negative error and set errno. */
static int check(int ret, const char *call)
{
	if (ret < 0)
		die(call);
	return ret;
}

/* A call that must fail with `want`, as the kernel fails it; anything else is a bug somewhere. */
static void expect(int ret, int want, const char *call)
{
	int e = errno;

	if (ret >= 0) {
		fflush(stdout);
		fprintf(stderr, "flowcount: %s succeeded, expected %s\n", call, errname(want));
		exit(1);
	}
	if (e != want) {
		fflush(stdout);
		fprintf(stderr, "flowcount: %s: %s (%s), expected %s\n", call, errname(e), strerror(e),
			errname(want));
		exit(1);
	}
	printf("  %s: %s\n", call, errname(want));
}

static const char *proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_ICMP: return "icmp";
	default: return "other";
	}
}

static uint32_t proto_slot(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP: return PROTO_SLOT_TCP;
	case IPPROTO_UDP: return PROTO_SLOT_UDP;
	case IPPROTO_ICMP: return PROTO_SLOT_ICMP;
	default: return PROTO_SLOT_OTHER;
	}
}

static struct flow_key make_key(const struct packet *p)
{
	struct flow_key k;

	memset(&k, 0, sizeof(k));
	inet_pton(AF_INET, p->src, &k.saddr);
	inet_pton(AF_INET, p->dst, &k.daddr);
	k.sport = htons(p->sport);
	k.dport = htons(p->dport);
	k.proto = p->proto;
	return k;
}

static const char *fmt_flow(const struct flow_key *k)
{
	static char buf[96];
	char s[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &k->saddr, s, sizeof(s));
	inet_ntop(AF_INET, &k->daddr, d, sizeof(d));
	snprintf(buf, sizeof(buf), "%s:%u -> %s:%u %s", s, ntohs(k->sport), d, ntohs(k->dport),
		 proto_name(k->proto));
	return buf;
}

static const char *type_name(uint32_t type)
{
	switch (type) {
	case BPF_MAP_TYPE_HASH: return "hash";
	case BPF_MAP_TYPE_ARRAY: return "array";
	case BPF_MAP_TYPE_PERCPU_HASH: return "percpu_hash";
	case BPF_MAP_TYPE_LRU_HASH: return "lru_hash";
	case BPF_MAP_TYPE_QUEUE: return "queue";
	default: return "?";
	}
}

static void print_info(int fd, const char *what)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	check(bpf_obj_get_info_by_fd(fd, &info, &len), what);
	/* not the id: it depends on every map created before ours */
	printf("map %s: type %u (%s) key %u value %u max_entries %u flags %#x info_len %u\n",
	       info.name, info.type, type_name(info.type), info.key_size, info.value_size,
	       info.max_entries, info.map_flags, len);
}

static int create(enum bpf_map_type type, const char *name, uint32_t ksz, uint32_t vsz,
		  uint32_t max, uint32_t flags)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = flags);
	char call[64];
	int fd;

	snprintf(call, sizeof(call), "bpf_map_create(%s)", name);
	fd = check(bpf_map_create(type, name, ksz, vsz, max, &opts), call);
	snprintf(call, sizeof(call), "bpf_obj_get_info_by_fd(%s)", name);
	print_info(fd, call);
	return fd;
}

/* ---- the flow table (HASH) ---- */

static void walk_flows(int fd)
{
	struct flow_key key, next;
	struct flow_stats st;
	const void *prev = NULL;
	int n = 0;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		check(bpf_map_lookup_elem(fd, &next, &st), "bpf_map_lookup_elem(flows) in walk");
		printf("  %s: %llu packets, %llu bytes\n", fmt_flow(&next),
		       (unsigned long long)st.packets, (unsigned long long)st.bytes);
		key = next;
		prev = &key;
		n++;
	}
	if (errno != ENOENT)
		die("bpf_map_get_next_key(flows)");
	printf("  (%d flows)\n", n);
}

static void account(int flows, int percpu, int recent, int protos, int events)
{
	uint64_t *pcpu = calloc((size_t)ncpus, sizeof(*pcpu));

	if (!pcpu)
		die("calloc");
	for (size_t i = 0; i < ARRAY_SIZE(packets); i++) {
		const struct packet *p = &packets[i];
		struct flow_key k = make_key(p);
		struct flow_stats st;
		uint32_t proto = p->proto, slot = proto_slot(p->proto), daddr = k.daddr;
		uint64_t total, seen = i + 1;
		int cpu = (int)(i % (size_t)ncpus); /* the CPU a BPF program would have run on */

		if (bpf_map_lookup_elem(flows, &k, &st) == 0) {
			st.packets++;
			st.bytes += p->len;
			check(bpf_map_update_elem(flows, &k, &st, BPF_EXIST), "bpf_map_update_elem(flows, BPF_EXIST)");
			printf("packet %zu: %s, %u bytes: flow now %llu packets\n", i + 1, fmt_flow(&k), p->len,
			       (unsigned long long)st.packets);
		} else if (errno == ENOENT) {
			struct event ev = { .kind = EV_NEW_FLOW, .proto = p->proto, .bytes = p->len };

			st.packets = 1;
			st.bytes = p->len;
			check(bpf_map_update_elem(flows, &k, &st, BPF_NOEXIST), "bpf_map_update_elem(flows, BPF_NOEXIST)");
			printf("packet %zu: %s, %u bytes: new flow\n", i + 1, fmt_flow(&k), p->len);
			/* a full queue drops the event, as a BPF program's bpf_map_push_elem would */
			if (bpf_map_update_elem(events, NULL, &ev, BPF_ANY) < 0) {
				if (errno != E2BIG)
					die("bpf_map_update_elem(events) push");
				printf("  event queue full: E2BIG\n");
			}
		} else {
			die("bpf_map_lookup_elem(flows)");
		}

		if (bpf_map_lookup_elem(percpu, &proto, pcpu) < 0) {
			if (errno != ENOENT)
				die("bpf_map_lookup_elem(bytes_cpu)");
			memset(pcpu, 0, (size_t)ncpus * sizeof(*pcpu));
		}
		pcpu[cpu] += p->len;
		check(bpf_map_update_elem(percpu, &proto, pcpu, BPF_ANY), "bpf_map_update_elem(bytes_cpu)");

		check(bpf_map_update_elem(recent, &daddr, &seen, BPF_ANY), "bpf_map_update_elem(recent)");

		check(bpf_map_lookup_elem(protos, &slot, &total), "bpf_map_lookup_elem(proto_bytes)");
		total += p->len;
		check(bpf_map_update_elem(protos, &slot, &total, BPF_EXIST), "bpf_map_update_elem(proto_bytes)");
	}
	free(pcpu);
}

static void flows_checks(int fd)
{
	const struct packet extra = { "192.168.1.1", "192.168.1.2", 1000, 2000, IPPROTO_UDP, 10 };
	struct flow_key k = make_key(&packets[0]), missing = make_key(&extra), first, next;
	struct flow_stats st = { 1, 1 };
	int n = 0;

	printf("== flows: what the kernel refuses\n");
	expect(bpf_map_update_elem(fd, &k, &st, BPF_NOEXIST), EEXIST, "update BPF_NOEXIST of a known flow");
	expect(bpf_map_update_elem(fd, &missing, &st, BPF_EXIST), ENOENT, "update BPF_EXIST of a new flow");
	expect(bpf_map_lookup_elem(fd, &missing, &st), ENOENT, "lookup of a new flow");
	expect(bpf_map_delete_elem(fd, &missing), ENOENT, "delete of a new flow");
	expect(bpf_map_update_elem(fd, &k, &st, BPF_EXIST | BPF_NOEXIST), EINVAL, "update with flags 3");

	printf("== flows: restarting a walk\n");
	check(bpf_map_get_next_key(fd, NULL, &first), "bpf_map_get_next_key(flows, NULL)");
	printf("  first flow: %s\n", fmt_flow(&first));
	check(bpf_map_get_next_key(fd, &missing, &next), "bpf_map_get_next_key(flows, missing)");
	printf("  after a flow not in the map: %s (%s)\n", fmt_flow(&next),
	       memcmp(&next, &first, sizeof(next)) ? "not the first" : "the first again");

	printf("== flows: filling the table\n");
	for (uint32_t i = 0;; i++) {
		struct flow_key f = missing;

		f.sport = htons((uint16_t)(3000 + i));
		if (bpf_map_update_elem(fd, &f, &st, BPF_NOEXIST) < 0) {
			expect(-1, E2BIG, "update of a new flow when the table is full");
			break;
		}
		n++;
	}
	printf("  added %d flows to reach max_entries %d\n", n, FLOWS_MAX);
	st.packets = 100;
	check(bpf_map_update_elem(fd, &k, &st, BPF_ANY), "bpf_map_update_elem(flows) of a known flow when full");
	printf("  update of a known flow when full: ok\n");
	walk_flows(fd);

	printf("== flows: expiring\n");
	check(bpf_map_lookup_and_delete_elem(fd, &k, &st), "bpf_map_lookup_and_delete_elem(flows)");
	printf("  lookup_and_delete %s: %llu packets, %llu bytes\n", fmt_flow(&k),
	       (unsigned long long)st.packets, (unsigned long long)st.bytes);
	expect(bpf_map_lookup_elem(fd, &k, &st), ENOENT, "lookup after lookup_and_delete");
	expect(bpf_map_lookup_and_delete_elem(fd, &k, &st), ENOENT, "lookup_and_delete again");
	/* delete every flow the fill added: the table is back to the packets' flows */
	for (int i = 0; i < n; i++) {
		struct flow_key f = missing;

		f.sport = htons((uint16_t)(3000 + i));
		check(bpf_map_delete_elem(fd, &f), "bpf_map_delete_elem(flows)");
	}
	printf("  deleted the %d added flows\n", n);
	expect(bpf_map_delete_elem(fd, &missing), ENOENT, "delete again");
	walk_flows(fd);
}

/* ---- bytes per protocol and CPU (PERCPU_HASH) ---- */

static void walk_percpu(int fd)
{
	uint64_t *v = calloc((size_t)ncpus, sizeof(*v));
	uint32_t key, next;
	const void *prev = NULL;

	if (!v)
		die("calloc");
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		uint64_t sum = 0;

		check(bpf_map_lookup_elem(fd, &next, v), "bpf_map_lookup_elem(bytes_cpu) in walk");
		printf("  %s:", proto_name((uint8_t)next));
		for (int c = 0; c < ncpus; c++) {
			printf(" cpu%d=%llu", c, (unsigned long long)v[c]);
			sum += v[c];
		}
		printf(" total=%llu\n", (unsigned long long)sum);
		key = next;
		prev = &key;
	}
	if (errno != ENOENT)
		die("bpf_map_get_next_key(bytes_cpu)");
	free(v);
}

static void percpu_checks(int fd)
{
	uint64_t *v = calloc((size_t)ncpus, sizeof(*v));
	uint32_t tcp = IPPROTO_TCP, sctp = IPPROTO_SCTP;

	if (!v)
		die("calloc");
	printf("== bytes_cpu: every CPU's slot, walked\n");
	walk_percpu(fd);
	/* user space writes all CPUs at once; a per-CPU update keeps the key's place in the walk */
	for (int c = 0; c < ncpus; c++)
		v[c] = 1000u * (unsigned)(c + 1);
	check(bpf_map_update_elem(fd, &tcp, v, BPF_EXIST), "bpf_map_update_elem(bytes_cpu, tcp)");
	printf("  after resetting tcp to 1000 per CPU index:\n");
	walk_percpu(fd);
	expect(bpf_map_update_elem(fd, &sctp, v, BPF_EXIST), ENOENT, "update BPF_EXIST of sctp");
	check(bpf_map_lookup_and_delete_elem(fd, &tcp, v), "bpf_map_lookup_and_delete_elem(bytes_cpu)");
	printf("  lookup_and_delete tcp: cpu0=%llu\n", (unsigned long long)v[0]);
	expect(bpf_map_lookup_elem(fd, &tcp, v), ENOENT, "lookup of tcp after lookup_and_delete");
	walk_percpu(fd);
	free(v);
}

/* ---- last packet per destination (LRU_HASH) ---- */

static void lru_checks(int fd)
{
	uint32_t key, next, gone;
	const void *prev = NULL;
	uint64_t seen;

	printf("== recent: last packet number per destination\n");
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		char d[INET_ADDRSTRLEN];

		check(bpf_map_lookup_elem(fd, &next, &seen), "bpf_map_lookup_elem(recent) in walk");
		inet_ntop(AF_INET, &next, d, sizeof(d));
		printf("  %s: packet %llu\n", d, (unsigned long long)seen);
		key = next;
		prev = &key;
	}
	if (errno != ENOENT)
		die("bpf_map_get_next_key(recent)");
	inet_pton(AF_INET, "10.0.0.2", &key);
	expect(bpf_map_update_elem(fd, &key, &seen, BPF_NOEXIST), EEXIST, "update BPF_NOEXIST of 10.0.0.2");
	check(bpf_map_lookup_and_delete_elem(fd, &key, &seen), "bpf_map_lookup_and_delete_elem(recent)");
	printf("  lookup_and_delete 10.0.0.2: packet %llu\n", (unsigned long long)seen);
	inet_pton(AF_INET, "10.0.0.53", &gone);
	check(bpf_map_delete_elem(fd, &gone), "bpf_map_delete_elem(recent)");
	expect(bpf_map_delete_elem(fd, &gone), ENOENT, "delete 10.0.0.53 again");
	check(bpf_map_get_next_key(fd, NULL, &next), "bpf_map_get_next_key(recent, NULL)");
	{
		char d[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &next, d, sizeof(d));
		printf("  first destination now: %s\n", d);
	}
}

/* ---- bytes per protocol (ARRAY), then frozen ---- */

static void array_checks(int fd)
{
	static const char *const slot_names[NR_PROTO_SLOTS] = { "tcp", "udp", "icmp", "other" };
	uint32_t idx, next, out_of_range = NR_PROTO_SLOTS, last = NR_PROTO_SLOTS - 1;
	const void *prev = NULL;
	uint64_t v = 7;

	printf("== proto_bytes: bytes per protocol\n");
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		check(bpf_map_lookup_elem(fd, &next, &v), "bpf_map_lookup_elem(proto_bytes) in walk");
		printf("  [%u] %s: %llu\n", next, slot_names[next], (unsigned long long)v);
		idx = next;
		prev = &idx;
	}
	if (errno != ENOENT)
		die("bpf_map_get_next_key(proto_bytes)");
	expect(bpf_map_update_elem(fd, &out_of_range, &v, BPF_ANY), E2BIG, "update of index 4");
	expect(bpf_map_lookup_elem(fd, &out_of_range, &v), ENOENT, "lookup of index 4");
	idx = 0;
	expect(bpf_map_update_elem(fd, &idx, &v, BPF_NOEXIST), EEXIST, "update BPF_NOEXIST of index 0");
	expect(bpf_map_delete_elem(fd, &idx), EINVAL, "delete of index 0");
	expect(bpf_map_lookup_and_delete_elem(fd, &idx, &v), 524, "lookup_and_delete of index 0");
	check(bpf_map_get_next_key(fd, &out_of_range, &next), "bpf_map_get_next_key(proto_bytes, 4)");
	printf("  next after index 4: %u\n", next);
	expect(bpf_map_get_next_key(fd, &last, &next), ENOENT, "next after index 3");

	printf("== proto_bytes: frozen\n");
	check(bpf_map_freeze(fd), "bpf_map_freeze(proto_bytes)");
	printf("  freeze: ok\n");
	expect(bpf_map_freeze(fd), EPERM, "freeze again");
	v = 1;
	expect(bpf_map_update_elem(fd, &idx, &v, BPF_ANY), EPERM, "update of a frozen map");
	check(bpf_map_lookup_elem(fd, &idx, &v), "bpf_map_lookup_elem(proto_bytes) when frozen");
	printf("  lookup of index 0 when frozen: %llu\n", (unsigned long long)v);
	print_info(fd, "bpf_obj_get_info_by_fd(proto_bytes) when frozen");
}

/* ---- new-flow events (QUEUE) ---- */

static void queue_checks(int fd)
{
	struct event ev, late = { .kind = EV_FLOW_END, .proto = IPPROTO_TCP, .bytes = 3160 };
	int key = 0;

	printf("== events: queue of new flows\n");
	check(bpf_map_lookup_elem(fd, NULL, &ev), "bpf_map_lookup_elem(events) peek");
	printf("  peek: kind %u %s %llu bytes\n", ev.kind, proto_name((uint8_t)ev.proto),
	       (unsigned long long)ev.bytes);
	expect(bpf_map_update_elem(fd, NULL, &late, BPF_ANY), E2BIG, "push to a full queue");
	expect(bpf_map_update_elem(fd, NULL, &late, BPF_NOEXIST), EINVAL, "push with BPF_NOEXIST");
	expect(bpf_map_update_elem(fd, &key, &late, BPF_ANY), EINVAL, "push with a key");
	expect(bpf_map_get_next_key(fd, NULL, &key), EINVAL, "get_next_key of a queue");
	/* BPF_EXIST makes room by dropping the oldest event */
	check(bpf_map_update_elem(fd, NULL, &late, BPF_EXIST), "bpf_map_update_elem(events, BPF_EXIST)");
	printf("  push BPF_EXIST to a full queue: ok, oldest dropped\n");
	while (bpf_map_lookup_and_delete_elem(fd, NULL, &ev) == 0)
		printf("  pop: kind %u %s %llu bytes\n", ev.kind, proto_name((uint8_t)ev.proto),
		       (unsigned long long)ev.bytes);
	if (errno != ENOENT)
		die("bpf_map_lookup_and_delete_elem(events) pop");
	printf("  pop of an empty queue: ENOENT\n");
	expect(bpf_map_lookup_elem(fd, NULL, &ev), ENOENT, "peek of an empty queue");
}

int main(void)
{
	int flows, percpu, recent, protos, events;

	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0) {
		errno = -ncpus;
		die("libbpf_num_possible_cpus");
	}
	printf("flowcount: %zu packets, %d possible CPUs\n", ARRAY_SIZE(packets), ncpus);

	flows = create(BPF_MAP_TYPE_HASH, "flows", sizeof(struct flow_key), sizeof(struct flow_stats),
		       FLOWS_MAX, BPF_F_ZERO_SEED);
	percpu = create(BPF_MAP_TYPE_PERCPU_HASH, "bytes_cpu", sizeof(uint32_t), sizeof(uint64_t),
			16, BPF_F_ZERO_SEED);
	recent = create(BPF_MAP_TYPE_LRU_HASH, "recent", sizeof(uint32_t), sizeof(uint64_t), LRU_MAX,
			BPF_F_ZERO_SEED);
	protos = create(BPF_MAP_TYPE_ARRAY, "proto_bytes", sizeof(uint32_t), sizeof(uint64_t),
			NR_PROTO_SLOTS, 0);
	events = create(BPF_MAP_TYPE_QUEUE, "events", 0, sizeof(struct event), EVENTS_MAX, 0);

	printf("== packets\n");
	account(flows, percpu, recent, protos, events);
	printf("== flows: walk\n");
	walk_flows(flows);

	flows_checks(flows);
	percpu_checks(percpu);
	lru_checks(recent);
	array_checks(protos);
	queue_checks(events);

	close(flows);
	close(percpu);
	close(recent);
	close(protos);
	close(events);
	expect(bpf_map_lookup_elem(flows, &(struct flow_key){ 0 }, &(struct flow_stats){ 0 }), EBADF,
	       "lookup on a closed fd");
	printf("flowcount: done\n");
	return fflush(stdout) == 0 ? 0 : 1;
}
