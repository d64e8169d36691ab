/* SPDX-License-Identifier: MIT */
/*
 * The kernel answers EFAULT for a pointer it cannot read or write; a user-space emulator would
 * crash instead. Copies run under a SIGSEGV/SIGBUS handler that, only while this thread is inside
 * a copy, jumps back and reports -EFAULT. Any other fault is handed to whatever handler the
 * program had, so the program's own crash handling is unchanged.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "../core/map.h"
#include "../util/compiler.h"
#include "uaccess.h"

/* Copies that may fault on purpose go uninstrumented: a sanitizer records the access before it
 * faults, so ASan reports the wild pointer we are about to catch, and ThreadSanitizer two threads
 * "writing" the same unmapped byte as a race. */
#if defined(EMU_ASAN)
#define EMU_FAULTING_COPY __attribute__((no_sanitize("address")))
#elif defined(EMU_TSAN)
#define EMU_FAULTING_COPY __attribute__((no_sanitize("thread")))
#else
#define EMU_FAULTING_COPY
#endif

struct uaccess_state {
	sigjmp_buf env;
	volatile sig_atomic_t active;
};

/* initial-exec: no __tls_get_addr call on every copy */
static __thread struct uaccess_state ua __attribute__((tls_model("initial-exec")));
static struct sigaction old_segv, old_bus;
static pthread_once_t handler_once = PTHREAD_ONCE_INIT;

static void chain(int sig, siginfo_t *si, void *uc)
{
	struct sigaction *old = sig == SIGBUS ? &old_bus : &old_segv;

	if (old->sa_flags & SA_SIGINFO) {
		old->sa_sigaction(sig, si, uc);
		return;
	}
	if (old->sa_handler == SIG_IGN || old->sa_handler == SIG_DFL) {
		/* Returning re-executes the faulting instruction, which now meets the default action. */
		signal(sig, SIG_DFL);
		return;
	}
	old->sa_handler(sig);
}

/*
 * x86-64: the copy is a loop at known addresses, and a fault inside it is answered the way the
 * kernel answers its own faulting user copies, by a fixup: the handler moves the instruction
 * pointer to code that returns -EFAULT. That spares every copy a sigsetjmp (a third of the
 * instructions of a whole lookup through the shim went to setjmps and their bookkeeping). Copies
 * of up to 16 bytes are two overlapping moves, up to 32 five (so that each of an attr's fields is
 * read by one load), up to 512 a loop of 8-byte moves (`rep movsb` takes ~25 cycles to start,
 * more than a key and a value take to copy); larger ones use `rep movsb`. Routines in the same region gather a hash bucket's keys (or values) from their
 * elements, or a batch's whole run of buckets, in one call. Elsewhere, and under ASan, copies
 * keep the sigsetjmp guard.
 */
#if defined(__x86_64__) && !defined(EMU_ASAN)
#define EMU_FIXUP_COPY 1
int emu_fixup_copy(void *dst, const void *src, size_t n) __attribute__((visibility("hidden")));
/* n pieces of `size` bytes, from src[0..n-1], to consecutive bytes at dst; n and size not 0 */
int emu_fixup_gather(void *dst, const void *const *src, size_t n, size_t size) __attribute__((visibility("hidden")));
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
int emu_fixup_pairs(const struct fixup_pairs *p) __attribute__((visibility("hidden")));
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
int emu_fixup_run(const struct fixup_run *p) __attribute__((visibility("hidden")));
extern const char emu_fixup_copy_begin[] __attribute__((visibility("hidden")));
extern const char emu_fixup_copy_end[] __attribute__((visibility("hidden")));
extern const char emu_fixup_copy_fault[] __attribute__((visibility("hidden")));
__asm__(".text\n"
	".globl emu_fixup_copy, emu_fixup_gather, emu_fixup_pairs, emu_fixup_run\n"
	".globl emu_fixup_copy_begin, emu_fixup_copy_end, emu_fixup_copy_fault\n"
	".hidden emu_fixup_copy, emu_fixup_gather, emu_fixup_pairs, emu_fixup_run\n"
	".hidden emu_fixup_copy_begin, emu_fixup_copy_end, emu_fixup_copy_fault\n"
	".type emu_fixup_copy, @function\n"
	".p2align 4\n"
	"emu_fixup_copy:\n" /* rdi = dst, rsi = src, rdx = n */
	"emu_fixup_copy_begin:\n"
	/* Keys, values and attrs of up to 32 bytes: moves that overlap in the middle, all loads
	 * first, each store rewriting bytes already written or extending them upward: when a store
	 * faults, every byte written lies below the fault (emu_copy_to_user then redoes it exactly). */
	"\tcmpq $16, %rdx\n"
	"\tja 6f\n"
	"\tcmpq $8, %rdx\n"
	"\tjb 7f\n"
	"\tmovq (%rsi), %rax\n"
	"\tmovq -8(%rsi,%rdx), %rcx\n"
	"\tmovq %rax, (%rdi)\n"
	"\tmovq %rcx, -8(%rdi,%rdx)\n"
	"\txorl %eax, %eax\n"
	"\tret\n"
	"6:\tcmpq $32, %rdx\n"
	"\tja 8f\n"
	/* An attr (elements: 24 or 32 bytes) was most often just written by libbpf's pattern, a
	 * memset then one store per field: a load that spans two of those stores cannot take its
	 * bytes from the store queue and waits for both to reach the cache (~4 ns of a 30 ns
	 * lookup, on the path to the map fd). Loads of 4 bytes, then 8 from offset 8, each lie
	 * within one field's store or the memset's. */
	"\tmovl (%rsi), %eax\n"
	"\tmovl 4(%rsi), %ecx\n"
	"\tmovq 8(%rsi), %r8\n"
	"\tmovq -16(%rsi,%rdx), %r9\n"
	"\tmovq -8(%rsi,%rdx), %r10\n"
	"\tmovl %eax, (%rdi)\n"
	"\tmovl %ecx, 4(%rdi)\n"
	"\tmovq %r8, 8(%rdi)\n"
	"\tmovq %r9, -16(%rdi,%rdx)\n"
	"\tmovq %r10, -8(%rdi,%rdx)\n"
	"\txorl %eax, %eax\n"
	"\tret\n"
	"7:\tcmpq $4, %rdx\n"
	"\tjb 2f\n"
	"\tmovl (%rsi), %eax\n"
	"\tmovl -4(%rsi,%rdx), %ecx\n"
	"\tmovl %eax, (%rdi)\n"
	"\tmovl %ecx, -4(%rdi,%rdx)\n"
	"\txorl %eax, %eax\n"
	"\tret\n"
	"8:\tcmpq $512, %rdx\n"
	"\tjae 4f\n"
	"1:\tmovq (%rsi), %rax\n"
	"\tmovq %rax, (%rdi)\n"
	"\taddq $8, %rsi\n"
	"\taddq $8, %rdi\n"
	"\tsubq $8, %rdx\n"
	"\tcmpq $8, %rdx\n"
	"\tjae 1b\n"
	"2:\ttestq %rdx, %rdx\n"
	"\tjz 5f\n"
	"3:\tmovb (%rsi), %al\n"
	"\tmovb %al, (%rdi)\n"
	"\tincq %rsi\n"
	"\tincq %rdi\n"
	"\tdecq %rdx\n"
	"\tjnz 3b\n"
	"\tjmp 5f\n"
	"4:\tmovq %rdx, %rcx\n"
	"\trep movsb\n"
	"5:\txorl %eax, %eax\n"
	"\tret\n"
	/* The routines below move 8 bytes, then 4, then single bytes per piece; they use only
	 * caller-saved registers, as the fault fixup returns straight to the caller.
	 * emu_fixup_gather: rdi = dst, rsi = array of n sources, rdx = n > 0, rcx = size > 0. */
	"emu_fixup_gather:\n"
	"\tcmpq $8, %rcx\n"
	"\tje 16f\n"
	"\tcmpq $4, %rcx\n"
	"\tje 17f\n"
	"11:\tmovq (%rsi), %r8\n"
	"\tmovq %rcx, %r9\n"
	"12:\tcmpq $8, %r9\n"
	"\tjb 13f\n"
	"\tmovq (%r8), %rax\n"
	"\tmovq %rax, (%rdi)\n"
	"\taddq $8, %r8\n"
	"\taddq $8, %rdi\n"
	"\tsubq $8, %r9\n"
	"\tjmp 12b\n"
	"13:\tcmpq $4, %r9\n"
	"\tjb 14f\n"
	"\tmovl (%r8), %eax\n"
	"\tmovl %eax, (%rdi)\n"
	"\taddq $4, %r8\n"
	"\taddq $4, %rdi\n"
	"\tsubq $4, %r9\n"
	"14:\ttestq %r9, %r9\n"
	"\tjz 15f\n"
	"\tmovb (%r8), %al\n"
	"\tmovb %al, (%rdi)\n"
	"\tincq %r8\n"
	"\tincq %rdi\n"
	"\tdecq %r9\n"
	"\tjmp 14b\n"
	"15:\taddq $8, %rsi\n"
	"\tdecq %rdx\n"
	"\tjnz 11b\n"
	"\txorl %eax, %eax\n"
	"\tret\n"
	/* the common sizes of keys and values, a move each */
	"16:\tmovq (%rsi), %r8\n"
	"\tmovq (%r8), %rax\n"
	"\tmovq %rax, (%rdi)\n"
	"\taddq $8, %rsi\n"
	"\taddq $8, %rdi\n"
	"\tdecq %rdx\n"
	"\tjnz 16b\n"
	"\txorl %eax, %eax\n"
	"\tret\n"
	"17:\tmovq (%rsi), %r8\n"
	"\tmovl (%r8), %eax\n"
	"\tmovl %eax, (%rdi)\n"
	"\taddq $8, %rsi\n"
	"\taddq $4, %rdi\n"
	"\tdecq %rdx\n"
	"\tjnz 17b\n"
	"\txorl %eax, %eax\n"
	"\tret\n"
	/* emu_fixup_run: rdi = struct fixup_run. r8/r9 key destination and sources, r10/r11 the
	 * values', rdx the next bucket's end, esi the last one's, ecx the bucket's count. */
	"emu_fixup_run:\n"
	"\tmovq (%rdi), %r8\n"
	"\tmovq 8(%rdi), %r9\n"
	"\tmovq 16(%rdi), %r10\n"
	"\tmovq 24(%rdi), %r11\n"
	"\tmovq 32(%rdi), %rdx\n"
	"\txorl %esi, %esi\n"
	"41:\tcmpq 40(%rdi), %rdx\n"
	"\tjae 49f\n"
	"\tmovl (%rdx), %ecx\n"
	"\tsubl %esi, %ecx\n"
	"\tmovl (%rdx), %esi\n"
	"\taddq $4, %rdx\n"
	"\ttestl %ecx, %ecx\n"
	"\tjz 41b\n"
	"\tcmpq $8, 48(%rdi)\n"
	"\tje 43f\n"
	"\tjb 42f\n"
	"44:\tmovq (%r9), %rax\n"
	"\tmovdqu (%rax), %xmm0\n"
	"\tmovdqu %xmm0, (%r8)\n"
	"\taddq $8, %r9\n"
	"\taddq $16, %r8\n"
	"\tdecl %ecx\n"
	"\tjnz 44b\n"
	"\tjmp 45f\n"
	"42:\tmovq (%r9), %rax\n"
	"\tmovl (%rax), %eax\n"
	"\tmovl %eax, (%r8)\n"
	"\taddq $8, %r9\n"
	"\taddq $4, %r8\n"
	"\tdecl %ecx\n"
	"\tjnz 42b\n"
	"\tjmp 45f\n"
	"43:\tmovq (%r9), %rax\n"
	"\tmovq (%rax), %rax\n"
	"\tmovq %rax, (%r8)\n"
	"\taddq $8, %r9\n"
	"\taddq $8, %r8\n"
	"\tdecl %ecx\n"
	"\tjnz 43b\n"
	/* the bucket's values: until their sources reach where the keys' sources now stand */
	"45:\tmovq 64(%rdi), %rcx\n"
	"\taddq %r9, %rcx\n"
	"\tcmpq $8, 56(%rdi)\n"
	"\tje 47f\n"
	"\tjb 46f\n"
	"48:\tmovq (%r11), %rax\n"
	"\tmovdqu (%rax), %xmm0\n"
	"\tmovdqu %xmm0, (%r10)\n"
	"\taddq $8, %r11\n"
	"\taddq $16, %r10\n"
	"\tcmpq %rcx, %r11\n"
	"\tjne 48b\n"
	"\tjmp 41b\n"
	"46:\tmovq (%r11), %rax\n"
	"\tmovl (%rax), %eax\n"
	"\tmovl %eax, (%r10)\n"
	"\taddq $8, %r11\n"
	"\taddq $4, %r10\n"
	"\tcmpq %rcx, %r11\n"
	"\tjne 46b\n"
	"\tjmp 41b\n"
	"47:\tmovq (%r11), %rax\n"
	"\tmovq (%rax), %rax\n"
	"\tmovq %rax, (%r10)\n"
	"\taddq $8, %r11\n"
	"\taddq $8, %r10\n"
	"\tcmpq %rcx, %r11\n"
	"\tjne 47b\n"
	"\tjmp 41b\n"
	"49:\txorl %eax, %eax\n"
	"\tret\n"
	/* emu_fixup_pairs: rdi = struct fixup_pairs; per element its key, then its value */
	"emu_fixup_pairs:\n"
	"\tmovq (%rdi), %r8\n"
	"\tmovq 8(%rdi), %r9\n"
	"\tmovq 16(%rdi), %r10\n"
	"\tmovq 24(%rdi), %r11\n"
	"\tmovq 32(%rdi), %rdx\n"
	"21:\tmovq 40(%rdi), %rsi\n"
	"22:\tcmpq $8, %rsi\n"
	"\tjb 23f\n"
	"\tmovq (%r9), %rax\n"
	"\tmovq %rax, (%r8)\n"
	"\taddq $8, %r9\n"
	"\taddq $8, %r8\n"
	"\tsubq $8, %rsi\n"
	"\tjmp 22b\n"
	"23:\tcmpq $4, %rsi\n"
	"\tjb 24f\n"
	"\tmovl (%r9), %eax\n"
	"\tmovl %eax, (%r8)\n"
	"\taddq $4, %r9\n"
	"\taddq $4, %r8\n"
	"\tsubq $4, %rsi\n"
	"24:\ttestq %rsi, %rsi\n"
	"\tjz 25f\n"
	"\tmovb (%r9), %al\n"
	"\tmovb %al, (%r8)\n"
	"\tincq %r9\n"
	"\tincq %r8\n"
	"\tdecq %rsi\n"
	"\tjmp 24b\n"
	"25:\tmovq (%r11), %rcx\n"
	"\tmovq 48(%rdi), %rsi\n"
	"26:\tcmpq $8, %rsi\n"
	"\tjb 27f\n"
	"\tmovq (%rcx), %rax\n"
	"\tmovq %rax, (%r10)\n"
	"\taddq $8, %rcx\n"
	"\taddq $8, %r10\n"
	"\tsubq $8, %rsi\n"
	"\tjmp 26b\n"
	"27:\tcmpq $4, %rsi\n"
	"\tjb 28f\n"
	"\tmovl (%rcx), %eax\n"
	"\tmovl %eax, (%r10)\n"
	"\taddq $4, %rcx\n"
	"\taddq $4, %r10\n"
	"\tsubq $4, %rsi\n"
	"28:\ttestq %rsi, %rsi\n"
	"\tjz 29f\n"
	"\tmovb (%rcx), %al\n"
	"\tmovb %al, (%r10)\n"
	"\tincq %rcx\n"
	"\tincq %r10\n"
	"\tdecq %rsi\n"
	"\tjmp 28b\n"
	"29:\taddq $8, %r11\n"
	"\tdecq %rdx\n"
	"\tjnz 21b\n"
	"\txorl %eax, %eax\n"
	"emu_fixup_copy_end:\n"
	"\tret\n"
	"emu_fixup_copy_fault:\n"
	"\tmovl $-14, %eax\n" /* -EFAULT */
	"\tret\n"
	".size emu_fixup_copy, .-emu_fixup_copy\n");
#endif

static void on_fault(int sig, siginfo_t *si, void *uc)
{
#ifdef EMU_FIXUP_COPY
	ucontext_t *u = uc;

	uintptr_t ip = (uintptr_t)u->uc_mcontext.gregs[REG_RIP];

	if (ip >= (uintptr_t)emu_fixup_copy_begin && ip < (uintptr_t)emu_fixup_copy_end) {
		u->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)emu_fixup_copy_fault;
		return;
	}
#endif
	if (ua.active) {
		sigset_t this_sig;

		ua.active = 0;
		/* SA_NODEFER leaves the signal unblocked only if our handler is the one installed: a
		 * sanitizer's wrapper around it (ThreadSanitizer's) runs with it blocked, and jumping
		 * out would keep it blocked, making the next fault fatal. Only faults pay for this. */
		sigemptyset(&this_sig);
		sigaddset(&this_sig, sig);
		pthread_sigmask(SIG_UNBLOCK, &this_sig, NULL);
		siglongjmp(ua.env, 1);
	}
	chain(sig, si, uc);
}

static void install_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	/* SA_NODEFER: we leave the handler by siglongjmp without restoring the mask. */
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
}

/* Byte loop where a sanitizer would otherwise report the wild pointer we are about to catch. */
#if defined(EMU_ASAN) || defined(EMU_TSAN)
EMU_FAULTING_COPY static void raw_copy(void *dst, const void *src, size_t n)
{
	volatile unsigned char *d = dst;
	const volatile unsigned char *s = src;

	while (n--)
		*d++ = *s++;
}
#else
static void raw_copy(void *dst, const void *src, size_t n)
{
	memcpy(dst, src, n);
}
#endif

/* pthread_once() is a call and a check every time; after the first copy a plain load does */
static bool handler_installed;

static inline void ensure_handler(void)
{
	if (!__atomic_load_n(&handler_installed, __ATOMIC_ACQUIRE)) {
		pthread_once(&handler_once, install_handler);
		__atomic_store_n(&handler_installed, true, __ATOMIC_RELEASE);
	}
}

#ifdef EMU_FIXUP_COPY
__attribute__((noinline, cold)) static int first_copy(void *dst, const void *src, size_t n)
{
	ensure_handler();
	return emu_fixup_copy(dst, src, n);
}

/* No frame of its own to return to: inlined into the entry points, where both calls are tail
 * calls (the installation's call out of line, or its saving of the arguments across it was a
 * frame on every copy). */
static inline int guarded_copy(void *dst, const void *src, size_t n)
{
	(void)raw_copy;
	if (__builtin_expect(!__atomic_load_n(&handler_installed, __ATOMIC_ACQUIRE), 0))
		return first_copy(dst, src, n);
	return emu_fixup_copy(dst, src, n);
}
#else
__attribute__((noinline)) static int guarded_copy(void *dst, const void *src, size_t n)
{
	ensure_handler();
	if (sigsetjmp(ua.env, 0))
		return -EFAULT;
	ua.active = 1;
	raw_copy(dst, src, n);
	ua.active = 0;
	return 0;
}
#endif

/* The lowest page is never mapped for user space; the kernel's copy faults there as well. */
static bool obviously_bad(const void *p, size_t n)
{
	const uintptr_t top = 0x7ffffffff000ull, a = (uintptr_t)p;

	/* and nothing at or above the top of the user address space is ours to read: good is
	 * PAGE <= a && a + n <= top, compared so that nothing can wrap */
	return n > top - EMU_PAGE_SIZE || a - EMU_PAGE_SIZE > top - EMU_PAGE_SIZE - n;
}

int emu_copy_from_user(void *dst, const void *src, size_t n)
{
	if (!n)
		return 0;
	if (obviously_bad(src, n))
		return -EFAULT;
	return guarded_copy(dst, src, n);
}

/* The kernel's copy_to_user stops at the first byte it cannot write and leaves every byte before
 * it written (visible to the caller next to the EFAULT); memcpy's store order does not. */
EMU_FAULTING_COPY
__attribute__((noinline)) static void byte_copy(void *dst, const void *src, size_t n)
{
	volatile unsigned char *d = dst;
	const unsigned char *s = src;

	while (n--)
		*d++ = *s++;
}

__attribute__((noinline)) static int guarded_copy_bytes(void *dst, const void *src, size_t n)
{
	if (sigsetjmp(ua.env, 0))
		return -EFAULT;
	ua.active = 1;
	byte_copy(dst, src, n);
	ua.active = 0;
	return 0;
}

/* Out of line, so emu_copy_to_user stays small enough to inline into the batch loops below. */
__attribute__((noinline)) static int copy_bytes_after_fault(void *dst, const void *src, size_t n)
{
	guarded_copy_bytes(dst, src, n);
	return -EFAULT;
}

int emu_copy_to_user(void *dst, const void *src, size_t n)
{
	if (!n)
		return 0;
	if (obviously_bad(dst, n))
		return -EFAULT;
	if (!guarded_copy(dst, src, n))
		return 0;
	return copy_bytes_after_fault(dst, src, n);
}

/* Piece by piece, so that a fault leaves exactly the bytes before it written. */
__attribute__((noinline)) static int gather_exact(char *d, const void *const *src, uint32_t left,
						   uint32_t size)
{
	for (uint32_t i = 0; left; i++) {
		uint32_t c = size < left ? size : left;

		if (guarded_copy(d, src[i], c)) {
			guarded_copy_bytes(d, src[i], c);
			return -EFAULT;
		}
		d += c;
		left -= c;
	}
	return 0;
}

/*
 * One copy_to_user of a block that lies in the map as n pieces of `size` bytes: the range is
 * checked whole first, as the kernel's access_ok does, so a block running past the top of user
 * space writes nothing, and a fault leaves every byte before it written. The length is the
 * kernel's u32 product.
 */
static inline int gather(char *dst, const void *const *src, uint32_t n, uint32_t size)
{
	uint32_t left = n * size;

	if (!left)
		return 0;
	if (obviously_bad(dst, left))
		return -EFAULT;
#ifdef EMU_FIXUP_COPY
	/* One pass in the fixup region, not a call per piece; after a fault the pieces are copied
	 * again one by one, rewriting the same bytes, to find the exact point of the fault. */
	if ((uint64_t)n * size == left && !emu_fixup_gather(dst, src, n, size))
		return 0;
#endif
	return gather_exact(dst, src, left, size);
}

#ifdef EMU_FIXUP_COPY
/* Elements [at, at + n) of `size` bytes lie at consecutive addresses: the kernel's u32 offsets
 * do not wrap within them. */
static bool no_wrap(uint32_t at, uint32_t n, uint32_t size)
{
	return (uint64_t)(at + (uint64_t)n - 1) * size <= UINT32_MAX;
}

/* Both buffers' elements [at, at + n) lie at consecutive addresses and pass the range check
 * whole: then each element's (or bucket's) block passes it too, and only a fault can stop one. */
static bool blocks_ok(uint64_t ukeys, uint64_t uvalues, uint32_t at, uint32_t n, uint32_t ks, uint32_t vs)
{
	return n && ks && vs && no_wrap(at, n, ks) && no_wrap(at, n, vs) &&
	       !obviously_bad(emu_uelem(ukeys, at, ks), (size_t)n * ks) &&
	       !obviously_bad(emu_uelem(uvalues, at, vs), (size_t)n * vs);
}

static bool fixup_run_size(uint32_t size) { return size == 4 || size == 8 || size == 16; }

/* The run in the fixup region, block after block; false at the first fault. The common sizes
 * in one call for the whole run: a call per block, two per bucket, was a third of a drain. */
static bool run_fast(char *kd, char *vd, const struct emu_bucket_run *r, uint32_t ks, uint32_t vs)
{
	uint32_t start = 0;

	if (fixup_run_size(ks) && fixup_run_size(vs)) {
		struct fixup_run p = { kd, r->keys, vd, r->values, r->end, r->end + r->nr, ks, vs,
				       (int64_t)((uintptr_t)r->values - (uintptr_t)r->keys) };

		return !emu_fixup_run(&p);
	}

	for (uint32_t s = 0; s < r->nr; start = r->end[s++]) {
		uint32_t n = r->end[s] - start;

		if (emu_fixup_gather(kd + (size_t)start * ks, r->keys + start, n, ks) ||
		    emu_fixup_gather(vd + (size_t)start * vs, r->values + start, n, vs))
			return false;
	}
	return true;
}
#endif

uint32_t emu_copy_run_to_user(uint64_t ukeys, uint64_t uvalues, uint32_t at, const struct emu_bucket_run *r,
			      uint32_t ks, uint32_t vs)
{
	uint32_t s, start = 0, total = r->nr ? r->end[r->nr - 1] : 0;

	ensure_handler();
#ifdef EMU_FIXUP_COPY
	/* After a fault the run is copied again block by block below, rewriting the same bytes in
	 * the same order, to stop exactly where the kernel does. */
	if (blocks_ok(ukeys, uvalues, at, total, ks, vs) &&
	    run_fast(emu_uelem(ukeys, at, ks), emu_uelem(uvalues, at, vs), r, ks, vs))
		return r->nr;
#else
	(void)total;
#endif
	for (s = 0; s < r->nr; start = r->end[s++]) {
		uint32_t n = r->end[s] - start;

		if (gather(emu_uelem(ukeys, at + start, ks), r->keys + start, n, ks) ||
		    gather(emu_uelem(uvalues, at + start, vs), r->values + start, n, vs))
			break;
	}
	return s;
}

uint32_t emu_copy_pairs_to_user(uint64_t ukeys, uint64_t uvalues, uint32_t at, const char *keys,
				const void *const *values, uint32_t n, uint32_t ks, uint32_t vs)
{
	uint32_t i;

	ensure_handler();
#ifdef EMU_FIXUP_COPY
	/* One pass in the fixup region; after a fault the elements are copied again one by one,
	 * rewriting the same bytes in the same order, to stop exactly where the kernel's copies stop. */
	if (blocks_ok(ukeys, uvalues, at, n, ks, vs)) {
		struct fixup_pairs p = { emu_uelem(ukeys, at, ks), keys, emu_uelem(uvalues, at, vs), values, n, ks, vs };

		if (!emu_fixup_pairs(&p))
			return n;
	}
#endif
	for (i = 0; i < n; i++)
		if (emu_copy_to_user(emu_uelem(ukeys, at + i, ks), keys + (size_t)i * ks, ks) ||
		    emu_copy_to_user(emu_uelem(uvalues, at + i, vs), values[i], vs))
			break;
	return i;
}

/* The field's address is formed as an integer: uattr may be NULL (a call with size 0 is valid),
 * and pointer arithmetic on NULL is undefined. */
int emu_put_user_u32(void *uattr, unsigned off, uint32_t v)
{
	return emu_copy_to_user((void *)((uintptr_t)uattr + off), &v, sizeof(v));
}

/* A locked compare-and-swap of a byte with itself is a write access that stores only the value
 * already there, atomically, so it tells whether a write would fault without ever losing another
 * thread's store. Differential mode uses it to give the kernel shadow buffers that fault where the
 * user's do. */
EMU_FAULTING_COPY
__attribute__((noinline)) static void touch_for_write(void *p)
{
	unsigned char *b = p;
	unsigned char v = __atomic_load_n(b, __ATOMIC_RELAXED);

	__atomic_compare_exchange_n(b, &v, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

bool emu_user_writable(void *p)
{
	if (obviously_bad(p, 1))
		return false;
	pthread_once(&handler_once, install_handler);
	if (sigsetjmp(ua.env, 0))
		return false;
	ua.active = 1;
	touch_for_write(p);
	ua.active = 0;
	return true;
}
