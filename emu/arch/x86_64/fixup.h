/* SPDX-License-Identifier: MIT */
/* The x86-64 fault-fixup copies (uaccess_fixup.S) and how a signal context's instruction pointer
 * is read and moved. Included through arch/arch.h only. */
#ifndef BPFEMU_ARCH_X86_64_FIXUP_H
#define BPFEMU_ARCH_X86_64_FIXUP_H

#include <stddef.h>
#include <stdint.h>
#include <ucontext.h>

#define EMU_HIDDEN __attribute__((visibility("hidden")))

/* n bytes from src to dst: 0, or -EFAULT with the bytes below the faulting store written */
EMU_HIDDEN int emu_fixup_copy(void *dst, const void *src, size_t n);
/* n pieces of `size` bytes, from src[0..n-1], to consecutive bytes at dst; n and size not 0 */
EMU_HIDDEN int emu_fixup_gather(void *dst, const void *const *src, size_t n, size_t size);

/* n > 0 elements: key i (ks bytes at ksrc + i * ks) to kdst + i * ks, then value i (vs bytes at
 * vsrc[i]) to vdst + i * vs; ks, vs > 0. The offsets are fixed: emu_fixup_pairs reads them. */
struct fixup_pairs {
	char *kdst;
	const char *ksrc;
	char *vdst;
	const void *const *vsrc;
	uint64_t n, ks, vs;
};
_Static_assert(offsetof(struct fixup_pairs, vs) == 48, "emu_fixup_pairs reads the fields by offset");
EMU_HIDDEN int emu_fixup_pairs(const struct fixup_pairs *p);

/* A batch's run of buckets, keys and values of 4, 8 or 16 bytes: per bucket, its keys (from
 * ksrc[i]) to kdst, then its values (from vsrc[i]) to vdst, as emu_fixup_gather would bucket by
 * bucket. end[] as in struct emu_bucket_run, up to end_stop; vdelta = vsrc - ksrc in bytes. */
struct fixup_run {
	char *kdst;
	const void *const *ksrc;
	char *vdst;
	const void *const *vsrc;
	const uint32_t *end, *end_stop;
	uint64_t ks, vs;
	int64_t vdelta;
};
_Static_assert(offsetof(struct fixup_run, vdelta) == 64, "emu_fixup_run reads the fields by offset");
EMU_HIDDEN int emu_fixup_run(const struct fixup_run *p);

/* The region every access of the routines lies in, and where a fault in it resumes. */
extern const char emu_fixup_begin[] EMU_HIDDEN, emu_fixup_end[] EMU_HIDDEN, emu_fixup_fault[] EMU_HIDDEN;

/* A fault at ip in the region resumes at emu_fixup_fault; true if it was in the region. */
static inline int emu_arch_fixup(void *ucontext)
{
	ucontext_t *u = ucontext;
	uintptr_t ip = (uintptr_t)u->uc_mcontext.gregs[REG_RIP];

	if (ip < (uintptr_t)emu_fixup_begin || ip >= (uintptr_t)emu_fixup_end)
		return 0;
	u->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)emu_fixup_fault;
	return 1;
}

#endif
