/* SPDX-License-Identifier: MIT */
/* CPUs as the kernel counts them for BPF: the possible CPUs, the caller's CPU, and the one CPU-list
 * parser. */
#ifndef BPFEMU_CORE_CPUS_H
#define BPFEMU_CORE_CPUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most CPUs a map is laid out for (the limit of BPFEMU_NR_CPUS; a map file claiming more is
 * refused). */
#define EMU_MAX_CPUS 4096u

/* The possible-CPU count per-CPU maps are laid out for (BPFEMU_NR_CPUS overrides it). */
uint32_t emu_nr_cpus(void);

/* The CPU the calling thread runs on now (sched_getcpu()), 0 where that cannot be told. What the
 * kernel's raw_smp_processor_id() is for a bpf() call; it may be >= a map's nr_cpus (CPUs
 * hotplugged since, BPFEMU_NR_CPUS, a map laid out by a process that saw fewer CPUs), so whoever
 * indexes with it brings it into range first. */
uint32_t emu_this_cpu(void);

/*
 * A CPU list as sysfs prints it ("0-3,8,10-11\n"): the number of CPUs it names, or -1 if it is
 * malformed; and whether it names CPU n. The one parser for /sys/devices/system/cpu/possible,
 * /sys/devices/system/node/online and the tests.
 */
int emu_cpulist_count(const char *list);
bool emu_cpulist_has(const char *list, unsigned n);
/* The first line of a sysfs list file into buf: 0, or -errno. */
int emu_cpulist_read(const char *path, char *buf, size_t len);
/* The machine's possible CPUs as libbpf and the kernel count them (no BPFEMU_NR_CPUS), -1 if
 * /sys/devices/system/cpu/possible cannot be read. */
int emu_sysfs_possible_cpus(void);

#endif
