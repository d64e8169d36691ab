/* SPDX-License-Identifier: MIT */
/*
 * User memory: every copy between the caller's buffers and the emulator, with the kernel's fault
 * rules (EFAULT where the kernel's copy faults; copy_to_user leaves the bytes before a fault
 * written). Map families and commands never touch user memory any other way.
 */
#ifndef BPFEMU_UACCESS_H
#define BPFEMU_UACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct emu_bucket_run;

/* The first address past user space, as this kernel's access_ok() has it (user_top.c). */
extern uintptr_t emu_user_top __attribute__((visibility("hidden")));

/*
 * A second backend: the user memory of another process (the seccomp supervisor answers bpf()
 * for a program it watches). While a thread has one set, every copy of that thread goes through
 * it, with the same rules checked here. read: n bytes whole, or -EFAULT. write: as
 * copy_to_user, the bytes before a fault written, 0 or -EFAULT. writable: a write to the byte at
 * addr would not fault. top: that process's top of user space.
 */
struct emu_uspan {
	uint64_t addr;
	size_t len;
};
struct emu_uaccess_remote {
	int (*read)(void *ctx, void *dst, uint64_t src, size_t n);
	int (*write)(void *ctx, uint64_t dst, const void *src, size_t n);
	bool (*writable)(void *ctx, uint64_t addr);
	/* The caller's fd table, for fds the emulator meets outside the attr (the fds a program holds,
	 * fds in user memory): getfd gives the caller's fd as a new fd of this process naming the same
	 * open file, or -errno (-EBADF: the caller has none); fd_dir is the caller's /proc/<tid>/fd. */
	int (*getfd)(void *ctx, int fd);
	const char *fd_dir;
	/* Optional: n bytes of src written in order over the spans (whose lengths add up to n), as
	 * consecutive copy_to_user calls would write them: every byte before the first fault, none
	 * after. Returns the bytes written. With it, a batch's copy-out is one call, not two per
	 * element (the range checks stay the uaccess layer's). */
	size_t (*write_spans)(void *ctx, const void *src, size_t n, const struct emu_uspan *spans, size_t nspans);
	/* Optional: the CPU the caller's thread last ran on (it waits in its system call), or -1.
	 * What a bpf() call's CPU is (LRU lists, TEST_RUN's default CPU): not the emulator's own. */
	int (*cpu)(void *ctx);
	void *ctx;
	uintptr_t top;
};
/* NULL: this thread's copies reach this process's own memory again. */
void emu_uaccess_set_remote(const struct emu_uaccess_remote *r);

/* The caller's fds: the directory that lists them ("/proc/self/fd" in process), and one of them as
 * a new fd of this process (close-on-exec; the caller closes it), or -errno. */
const char *emu_caller_fd_dir(void);
int emu_caller_fd_dup(int fd);
bool emu_caller_is_remote(void);
/* The remote caller's CPU (its cpu hook), or -1 in process or when it cannot be told. */
int emu_caller_cpu(void);

int emu_copy_from_user(void *dst, const void *src, size_t n);
int emu_copy_to_user(void *dst, const void *src, size_t n);
/* The hash batches' copy-out of a run of buckets (elements numbered from `at` in the user's
 * buffers), the kernel's way: bucket after bucket, one copy_to_user of its keys, then one of its
 * values, stopping at the first fault. Returns the buckets written whole (r->nr if all were). */
uint32_t emu_copy_run_to_user(uint64_t ukeys, uint64_t uvalues, uint32_t at, const struct emu_bucket_run *r,
			      uint32_t ks, uint32_t vs);
/* The generic lookup batch's copy-out of n elements (numbered from `at`), the kernel's way:
 * element after element, one copy_to_user of its key (from keys, ks bytes apart), then one of its
 * value, stopping at the first fault. Returns the elements written whole (n if all were). */
uint32_t emu_copy_pairs_to_user(uint64_t ukeys, uint64_t uvalues, uint32_t at, const char *keys,
				const void *const *values, uint32_t n, uint32_t ks, uint32_t vs);
int emu_put_user_u32(void *uattr, unsigned off, uint32_t v);
/* n copies made in order, each exactly as emu_copy_to_user makes it; the first that faults ends
 * the list with -EFAULT (the copies before it written, and its bytes before the fault). One call
 * for a TEST_RUN's outputs (data_out, then data_size_out, retval and duration in the attr): the
 * backend test and the call once, not per copy. */
struct emu_ucopy {
	void *dst;
	const void *src;
	size_t n;
};
int emu_copy_list_to_user(const struct emu_ucopy *c, unsigned n);
/* Element idx of a user array at base, in the kernel's u32 arithmetic: idx * size wraps at 4 GiB. */
static inline char *emu_uelem(uint64_t base, uint32_t idx, uint32_t size)
{
	return (char *)(uintptr_t)(base + (uint32_t)(idx * size));
}
bool emu_user_writable(void *p); /* a write to p would not fault (the byte is left as it was) */

#endif
