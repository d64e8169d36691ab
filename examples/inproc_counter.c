/* SPDX-License-Identifier: MIT */
/*
 * A word counter on an emulated BPF hash map, through the in-process API: what a unit test of a
 * BPF control plane looks like when it links libbpfemu instead of needing CAP_BPF.
 *
 *   inproc_counter [word...]     counts the words (default: a built-in sentence), prints them in
 *                                the map's iteration order, then drains the map.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpfemu/bpfemu.h>

#define KEY_LEN 16

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return bpfemu_bpf(cmd, attr, sizeof(*attr));
}

static int count_word(int fd, const char *word)
{
	char key[KEY_LEN] = { 0 };
	uint64_t n = 0;
	union bpf_attr a;

	strncpy(key, word, KEY_LEN - 1);
	memset(&a, 0, sizeof(a));
	a.map_fd = fd;
	a.key = (uintptr_t)key;
	a.value = (uintptr_t)&n;
	if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &a) && errno != ENOENT)
		return -1;
	n++;
	a.flags = BPF_ANY;
	return sys_bpf(BPF_MAP_UPDATE_ELEM, &a);
}

int main(int argc, char **argv)
{
	static const char *const dflt[] = { "the", "quick", "fox", "jumps", "over", "the", "lazy",
					    "dog", "the", "end" };
	const char *const *words = argc > 1 ? (const char *const *)argv + 1 : dflt;
	int nwords = argc > 1 ? argc - 1 : (int)(sizeof(dflt) / sizeof(dflt[0]));
	char key[KEY_LEN], next[KEY_LEN];
	union bpf_attr a;
	uint64_t n;
	int fd;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_HASH;
	a.key_size = KEY_LEN;
	a.value_size = sizeof(uint64_t);
	a.max_entries = 64;
	a.map_flags = 1u << 6; /* BPF_F_ZERO_SEED: the kernel's own, reproducible order */
	strcpy(a.map_name, "words");
	fd = sys_bpf(BPF_MAP_CREATE, &a);
	if (fd < 0) {
		perror("BPF_MAP_CREATE");
		return 1;
	}
	for (int i = 0; i < nwords; i++)
		if (count_word(fd, words[i])) {
			perror("count");
			return 1;
		}

	printf("words in map order:\n");
	memset(&a, 0, sizeof(a));
	a.map_fd = fd;
	a.key = 0;
	a.next_key = (uintptr_t)next;
	while (!sys_bpf(BPF_MAP_GET_NEXT_KEY, &a)) {
		union bpf_attr l = { .map_fd = (uint32_t)fd, .key = (uintptr_t)next, .value = (uintptr_t)&n };

		if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &l)) {
			perror("lookup");
			return 1;
		}
		printf("  %-15s %llu\n", next, (unsigned long long)n);
		memcpy(key, next, KEY_LEN);
		a.key = (uintptr_t)key;
	}
	if (errno != ENOENT) {
		perror("BPF_MAP_GET_NEXT_KEY");
		return 1;
	}

	/* drain, as an exporter would */
	memset(&a, 0, sizeof(a));
	a.map_fd = fd;
	a.next_key = (uintptr_t)next;
	int drained = 0;
	while (!sys_bpf(BPF_MAP_GET_NEXT_KEY, &a)) {
		union bpf_attr d = { .map_fd = (uint32_t)fd, .key = (uintptr_t)next, .value = (uintptr_t)&n };

		if (sys_bpf(BPF_MAP_LOOKUP_AND_DELETE_ELEM, &d)) {
			perror("lookup_and_delete");
			return 1;
		}
		drained++;
	}
	printf("drained %d keys; map check: %s\n", drained, bpfemu_map_check(fd) ? "FAILED" : "ok");
	close(fd);
	return 0;
}
