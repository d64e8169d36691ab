/* SPDX-License-Identifier: MIT */
/*
 * The kernel answers EFAULT for a pointer it cannot read or write; a user-space emulator would
 * crash instead. Copies run under a SIGSEGV/SIGBUS handler that, only while this thread is inside
 * a copy, jumps back and reports -EFAULT. Any other fault is handed to whatever handler the
 * program had, so the program's own crash handling is unchanged.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>

#include "internal.h"

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
 * instructions of a whole lookup through the shim went to setjmps and their bookkeeping). Small
 * copies move 8 bytes at a time (`rep movsb` takes ~25 cycles to start, more than a key and a
 * value take to copy); large ones use `rep movsb`. Elsewhere, and under ASan, copies keep the
 * sigsetjmp guard.
 */
#if defined(__x86_64__) && !defined(EMU_ASAN)
#define EMU_FIXUP_COPY 1
int emu_fixup_copy(void *dst, const void *src, size_t n) __attribute__((visibility("hidden")));
extern const char emu_fixup_copy_begin[] __attribute__((visibility("hidden")));
extern const char emu_fixup_copy_end[] __attribute__((visibility("hidden")));
extern const char emu_fixup_copy_fault[] __attribute__((visibility("hidden")));
__asm__(".text\n"
	".globl emu_fixup_copy, emu_fixup_copy_begin, emu_fixup_copy_end, emu_fixup_copy_fault\n"
	".hidden emu_fixup_copy, emu_fixup_copy_begin, emu_fixup_copy_end, emu_fixup_copy_fault\n"
	".type emu_fixup_copy, @function\n"
	".p2align 4\n"
	"emu_fixup_copy:\n" /* rdi = dst, rsi = src, rdx = n */
	"emu_fixup_copy_begin:\n"
	"\tcmpq $512, %rdx\n"
	"\tjae 4f\n"
	"\tcmpq $8, %rdx\n"
	"\tjb 2f\n"
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

static inline void ensure_handler(void)
{
	static bool installed;

	/* pthread_once() is a call and a check every time; after the first copy a plain load does */
	if (!__atomic_load_n(&installed, __ATOMIC_ACQUIRE)) {
		pthread_once(&handler_once, install_handler);
		__atomic_store_n(&installed, true, __ATOMIC_RELEASE);
	}
}

#ifdef EMU_FIXUP_COPY
/* no frame of its own to return to: inlined into the two entry points */
static inline int guarded_copy(void *dst, const void *src, size_t n)
{
	ensure_handler();
	(void)raw_copy;
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
	uintptr_t a = (uintptr_t)p;

	/* and nothing at or above the top of the user address space is ours to read */
	return a < EMU_PAGE_SIZE || a + n < a || a + n > 0x7ffffffff000ull;
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

int emu_copy_to_user(void *dst, const void *src, size_t n)
{
	if (!n)
		return 0;
	if (obviously_bad(dst, n))
		return -EFAULT;
	if (!guarded_copy(dst, src, n))
		return 0;
	guarded_copy_bytes(dst, src, n);
	return -EFAULT;
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
