/* SPDX-License-Identifier: MIT */
/*
 * bpf_strncmp and the probe_read family (kernel/bpf/helpers.c, kernel/trace/bpf_trace.c).
 *
 * The emulator has no kernel memory; what the kernel calls kernel memory a program can reach is
 * the program's own regions (stack, map values, context, packet). So, with the kernel's x86-64
 * answers:
 *   probe_read_kernel(_str): from the program's regions; any other address is user space to
 *     the kernel, refused with -ERANGE (copy_from_kernel_nofault_allowed), or past the end of
 *     user space an unmapped kernel address, -EFAULT;
 *   probe_read_user(_str): from the process's memory (emu_copy_from_user: -EFAULT where it
 *     faults), never from the program's regions (kernel addresses to the kernel: -EFAULT).
 * The destination is zeroed on every error, as the kernel's helpers do.
 */
#include "../../uaccess/uaccess.h"
#include "helpers.h"

HELPER(strncmp)
{
	const unsigned char *a = (const unsigned char *)(uintptr_t)r1, *b = (const unsigned char *)(uintptr_t)r3;
	uint32_t n = (uint32_t)r2;

	(void)r4, (void)r5;
	if (!emu_helper_mem(run, r1, n, EMU_MEM_READ, "bpf_strncmp", "s1"))
		return 0;
	if (!emu_helper_strlen(run, r3, UINT32_MAX))
		return emu_helper_fail(run, -EFAULT, "bpf_strncmp: s2 is not a readable string");
	/* lib/string.c strncmp: -1, 0 or 1 */
	for (uint32_t i = 0; i < n; i++) {
		if (a[i] != b[i])
			return (uint64_t)(int64_t)(a[i] < b[i] ? -1 : 1);
		if (!a[i])
			break;
	}
	return 0;
}

static bool in_program(struct emu_run *run, uint64_t p, uint64_t n)
{
	return emu_run_check(run, (const void *)(uintptr_t)p, n ? n : 1, EMU_MEM_READ);
}

/* copy_from_kernel_nofault's refusal of an address outside the program's memory */
static int kernel_refusal(uint64_t p)
{
	return p < (uint64_t)emu_user_top + 4096 ? -ERANGE : -EFAULT;
}

static bool dst_ok(struct emu_run *run, uint64_t dst, uint32_t size, const char *name)
{
	return emu_helper_mem(run, dst, size, EMU_MEM_WRITE, name, "dst");
}

HELPER(probe_read_kernel)
{
	uint32_t size = (uint32_t)r2;
	int err = 0;

	(void)r4, (void)r5;
	if (!dst_ok(run, r1, size, "bpf_probe_read_kernel"))
		return 0;
	if (in_program(run, r3, size) && size)
		memmove((void *)(uintptr_t)r1, (const void *)(uintptr_t)r3, size);
	else
		err = in_program(run, r3, size) ? 0 : kernel_refusal(r3);
	if (err)
		memset((void *)(uintptr_t)r1, 0, size);
	return (uint64_t)(int64_t)err;
}

HELPER(probe_read_user)
{
	uint32_t size = (uint32_t)r2;
	int err = 0;

	(void)r4, (void)r5;
	if (!dst_ok(run, r1, size, "bpf_probe_read_user"))
		return 0;
	if (!size)
		return 0;
	if (in_program(run, r3, 1) || (r3 + size < r3) || r3 + size > (uint64_t)emu_user_top)
		err = -EFAULT;
	else if (emu_copy_from_user((void *)(uintptr_t)r1, (const void *)(uintptr_t)r3, size))
		err = -EFAULT;
	if (err)
		memset((void *)(uintptr_t)r1, 0, size);
	return (uint64_t)(int64_t)err;
}

/* strncpy_from_kernel_nofault: byte by byte until the NUL or size bytes, the last one stored as
 * NUL; returns the bytes stored. A fault: dst[0] = 0, -EFAULT (then the helper zeroes dst). */
HELPER(probe_read_kernel_str)
{
	uint32_t size = (uint32_t)r2, i;
	char *dst = (char *)(uintptr_t)r1;
	int err = 0;

	(void)r4, (void)r5;
	if (!dst_ok(run, r1, size, "bpf_probe_read_kernel_str"))
		return 0;
	if (!size)
		return 0;
	if (!in_program(run, r3, 1)) {
		err = kernel_refusal(r3);
	} else {
		for (i = 0; i < size; i++) {
			const char *s = (const char *)(uintptr_t)(r3 + i);

			if (!in_program(run, (uintptr_t)s, 1)) {
				err = -EFAULT;
				break;
			}
			dst[i] = *s;
			if (!dst[i])
				break;
		}
		if (!err) {
			if (i == size)
				i--;
			dst[i] = 0;
			return i + 1;
		}
	}
	memset(dst, 0, size);
	return (uint64_t)(int64_t)err;
}

/* strncpy_from_user_nofault: the string and its NUL, or size bytes with the last made NUL;
 * returns the bytes stored (the bytes after the NUL are left as they were). */
HELPER(probe_read_user_str)
{
	uint32_t size = (uint32_t)r2, i;
	char *dst = (char *)(uintptr_t)r1;
	int err = 0;

	(void)r4, (void)r5;
	if (!dst_ok(run, r1, size, "bpf_probe_read_user_str"))
		return 0;
	if (!size)
		return 0;
	for (i = 0; i < size; i++) {
		const char *s = (const char *)(uintptr_t)(r3 + i);
		char c;

		if ((uint64_t)(uintptr_t)s >= (uint64_t)emu_user_top || in_program(run, (uintptr_t)s, 1) ||
		    emu_copy_from_user(&c, s, 1)) {
			err = -EFAULT;
			break;
		}
		dst[i] = c;
		if (!c)
			return i + 1;
	}
	if (!err) {
		dst[size - 1] = 0;
		return size;
	}
	memset(dst, 0, size);
	return (uint64_t)(int64_t)err;
}
