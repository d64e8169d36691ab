/* SPDX-License-Identifier: MIT */
/*
 * syscall() of the preload library on x86-64 (the portable C entry is in shim/preload.c): one
 * compare of the number, one of the recursion depth, and for bpf() a tail jump with the registers
 * shifted by one. The variadic ABI passes syscall()'s integer arguments where a plain function
 * takes its own, so shim_bpf_call finds its three there. The C entry had to store all six
 * registers for va_arg and keep a frame: a tenth of a lookup through the shim.
 *
 * Other syscalls take a frame: the seventh argument, on the stack, is copied into it rather than
 * handed on in place, since a callee may write its stack arguments and a caller that passed fewer
 * keeps its own data there.
 */
#include <asm/unistd.h>
/* Built with -fcf-protection the library is marked for indirect branch tracking, and callers
 * reach syscall() by an indirect jump from their PLT: it must start with an end-branch, and this
 * object must carry the property note, or the link drops the marking. */
#ifdef __CET__
#include <cet.h>
#else
#define _CET_ENDBR
#endif

	.text
	.globl syscall
	.type syscall, @function
	.p2align 4
syscall:
	.cfi_startproc
	_CET_ENDBR
	cmpq $__NR_bpf, %rdi
	jne 1f
	movq shim_depth@gottpoff(%rip), %rax
	cmpl $0, %fs:(%rax)
	jne 1f
	movq %rsi, %rdi
	movq %rdx, %rsi
	movq %rcx, %rdx
	jmp shim_bpf_call
1:	pushq 8(%rsp)
	.cfi_adjust_cfa_offset 8
	call shim_other_syscall
	addq $8, %rsp
	.cfi_adjust_cfa_offset -8
	ret
	.cfi_endproc
	.size syscall, .-syscall

	.section .note.GNU-stack,"",@progbits
