/* SPDX-License-Identifier: MIT */
/*
 * The SIGSEGV/SIGBUS handler behind every user copy (see sigfault.h). The kernel answers EFAULT
 * for a pointer it cannot read or write; a user-space emulator would crash instead. Only while
 * this thread is inside a copy does a fault become -EFAULT; any other is handed to the program's
 * own handler.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "../arch/arch.h"
#include "sigfault.h"

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

static void on_fault(int sig, siginfo_t *si, void *uc)
{
#ifdef EMU_ARCH_FIXUP
	if (emu_arch_fixup(uc))
		return;
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

bool emu_sigfault_ready;

void emu_sigfault_install(void)
{
	pthread_once(&handler_once, install_handler);
	__atomic_store_n(&emu_sigfault_ready, true, __ATOMIC_RELEASE);
}

/* Byte loop where a sanitizer would otherwise report the wild pointer we are about to catch. */
#if defined(EMU_ASAN) || defined(EMU_TSAN)
EMU_FAULTING_COPY __attribute__((noinline)) static void raw_copy(void *dst, const void *src, size_t n)
{
	volatile unsigned char *d = dst;
	const volatile unsigned char *s = src;

	while (n--)
		*d++ = *s++;
}
#else
/*
 * Stores in ascending address order, 8 bytes at a time: when one faults, every byte written lies
 * below the fault, which the byte-exact copy after it (copy_to_user's rule) then completes.
 * memcpy() may store a block's tail before its head, writing bytes past a fault that the kernel
 * never writes. The volatile stores keep the compiler from turning the loop back into memcpy().
 */
typedef uint64_t __attribute__((may_alias, aligned(1))) unaligned_u64;

__attribute__((noinline)) static void raw_copy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	for (; n >= 8; n -= 8, d += 8, s += 8) {
		uint64_t v;

		memcpy(&v, s, 8);
		*(volatile unaligned_u64 *)d = v;
	}
	while (n--)
		*(volatile unsigned char *)d++ = *s++;
}
#endif

/* copy() under sigsetjmp: 0, or -EFAULT where it faulted. */
static int guarded(void (*copy)(void *, const void *, size_t), void *dst, const void *src, size_t n)
{
	emu_sigfault_ensure();
	if (sigsetjmp(ua.env, 0))
		return -EFAULT;
	ua.active = 1;
	copy(dst, src, n);
	ua.active = 0;
	return 0;
}

int emu_sigjmp_copy(void *dst, const void *src, size_t n)
{
	return guarded(raw_copy, dst, src, n);
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

int emu_sigjmp_copy_bytes(void *dst, const void *src, size_t n)
{
	return guarded(byte_copy, dst, src, n);
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

bool emu_sigjmp_writable(void *p)
{
	emu_sigfault_ensure();
	if (sigsetjmp(ua.env, 0))
		return false;
	ua.active = 1;
	touch_for_write(p);
	ua.active = 0;
	return true;
}
