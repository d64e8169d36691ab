/* SPDX-License-Identifier: MIT */
/* File operations on a map fd (cmd/fd_ops.c): mmap() and poll as the kernel's bpf_map_fops answer
 * them, for the front ends (the preload, the seccomp supervisor) and the in-process API. */
#ifndef BPFEMU_CMD_FD_OPS_H
#define BPFEMU_CMD_FD_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <sys/mman.h>

/* The flags MAP_SHARED_VALIDATE accepts for a file without MAP_SYNC support: the kernel's
 * LEGACY_MAP_MASK, with uapi values for the flags a C library leaves out (glibc has no
 * MAP_UNINITIALIZED; MAP_32BIT exists on x86 only, and is 0 in the kernel elsewhere too). One
 * table for the emulator's mmap checks and the seccomp supervisor's remapping. */
#ifndef MAP_UNINITIALIZED
#define MAP_UNINITIALIZED 0x4000000
#endif
#ifndef MAP_32BIT
#define MAP_32BIT 0
#endif
#ifndef MAP_DENYWRITE
#define MAP_DENYWRITE 0x0800
#endif
#ifndef MAP_EXECUTABLE
#define MAP_EXECUTABLE 0x1000
#endif
#define EMU_LEGACY_MAP_MASK                                                                         \
	((uint64_t)(MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_DENYWRITE | MAP_EXECUTABLE | \
		    MAP_UNINITIALIZED | MAP_GROWSDOWN | MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE |     \
		    MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | MAP_32BIT))

/* Every part of a mapping of a map fd: where in the map file each run of its pages lies (a ring
 * buffer's mapping is made of several: its data twice), and whether the mapping may never be made
 * writable (its pages then mapped from a read-only open of the file, as the kernel clears
 * VM_MAYWRITE). */
#define EMU_MMAP_MAX_SEGS 4
struct emu_mmap_plan {
	unsigned nseg;
	bool read_only;
	struct {
		uint64_t addr_off, file_off, len;
	} seg[EMU_MMAP_MAX_SEGS];
};
/* mmap() of a map fd, checked in the kernel's order: 0 and the plan, -errno, or 1 when fd is not
 * an emulated map. */
int emu_map_mmap_plan(int fd, size_t len, int prot, int flags, off_t off, struct emu_mmap_plan *plan);
/* The mapping a plan describes (MAP_FAILED and errno on failure). */
void *emu_map_mmap_plan_map(void *addr, size_t len, int prot, int flags, int fd, const struct emu_mmap_plan *plan);
/* Whether a process maps fd's map so that it may write it (what FREEZE refuses for: the kernel's
 * writecnt): 1 or 0, -EBADF when fd is not a map. For --diff, whose kernel twin must be mapped so
 * for the kernel's FREEZE to answer alike. */
int emu_map_writably_mapped(int fd);
/* poll() of a map fd: the EPOLL* events ready now (EPOLLERR for maps that have no poll, as the
 * kernel's), and whether it is a ring that can become ready; 0, or 1 when fd is not a map. */
int emu_map_poll(int fd, uint32_t *revents, bool *is_ring);
/* A waiter on a ring fd announces itself (begin) before its last look and withdraws (end) after
 * it blocked (maps/ringbuf.h); producers then wake it. */
void emu_map_poll_wait(int fd, bool begin);

#endif
