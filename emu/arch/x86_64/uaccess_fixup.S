/* SPDX-License-Identifier: MIT */
/*
 * x86-64 user copies that fault safely (see emu/uaccess/local.c). Every load and store of user
 * memory in these routines lies between emu_fixup_begin and emu_fixup_end; when one faults, the
 * SIGSEGV/SIGBUS handler moves the instruction pointer to emu_fixup_fault, which returns -EFAULT
 * to the caller, as the kernel's exception table does for its own user copies. The routines are
 * leaves that touch only caller-saved registers and never move the stack pointer, so the fixup
 * can return straight to the caller, and their CFI is the entry state throughout.
 *
 * Built only where the x86-64 fast path is chosen (cmake: BPFEMU_ARCH_FASTPATH); the portable C
 * path in local.c does the same work otherwise.
 */
	.text
	.globl emu_fixup_begin, emu_fixup_end
	.hidden emu_fixup_begin, emu_fixup_end

/*
 * emu_fixup_copy: rdi = dst, rsi = src, rdx = n; 0. Copies of up to 16 bytes are two overlapping
 * moves, up to 32 five (so that each of an attr's fields is read by one load), up to 512 a loop of
 * 16-byte moves (`rep movsb` takes ~25 cycles to start), larger ones `rep movsb`.
 */
	.globl emu_fixup_copy
	.hidden emu_fixup_copy
	.type emu_fixup_copy, @function
	.p2align 4
emu_fixup_copy:
emu_fixup_begin:
	.cfi_startproc
/* Keys, values and attrs of up to 32 bytes: moves that overlap in the middle, all loads
 * first, each store rewriting bytes already written or extending them upward: when a store
 * faults, every byte written lies below the fault (emu_copy_to_user then redoes it exactly). */
	cmpq $16, %rdx
	ja 6f
	cmpq $8, %rdx
	jb 7f
	movq (%rsi), %rax
	movq -8(%rsi,%rdx), %rcx
	movq %rax, (%rdi)
	movq %rcx, -8(%rdi,%rdx)
	xorl %eax, %eax
	ret
6:	cmpq $32, %rdx
	ja 8f
/* An attr (elements: 24 or 32 bytes) was most often just written by libbpf's pattern, a
	* memset then one store per field: a load that spans two of those stores cannot take its
	* bytes from the store queue and waits for both to reach the cache (~4 ns of a 30 ns
	* lookup, on the path to the map fd). Loads of 4 bytes, then 8 from offset 8, each lie
	* within one field's store or the memset's. */
	movl (%rsi), %eax
	movl 4(%rsi), %ecx
	movq 8(%rsi), %r8
	movq -16(%rsi,%rdx), %r9
	movq -8(%rsi,%rdx), %r10
	movl %eax, (%rdi)
	movl %ecx, 4(%rdi)
	movq %r8, 8(%rdi)
	movq %r9, -16(%rdi,%rdx)
	movq %r10, -8(%rdi,%rdx)
	xorl %eax, %eax
	ret
7:	cmpq $4, %rdx
	jb 2f
	movl (%rsi), %eax
	movl -4(%rsi,%rdx), %ecx
	movl %eax, (%rdi)
	movl %ecx, -4(%rdi,%rdx)
	xorl %eax, %eax
	ret
8:	cmpq $512, %rdx
	jae 4f
/* 33 to 511 bytes: 16-byte moves upward, then at most one 8-byte, one 4-byte and three 1-byte
 * moves, none overlapping, so when a store faults every byte written lies below it. (8-byte
 * moves were ~90 instructions for a TEST_RUN attr, a tenth of a call; this is ~35.) No overlap
 * also because the attr's copy is read field by field right after: a field whose bytes come
 * from two stores cannot be forwarded from the store queue and waits for both (an overlapping
 * last 16-byte move did that to TEST_RUN's ctx_out, ~5% of a call). SSE2 is in every x86-64;
 * xmm0 is caller-saved. */
1:	movdqu (%rsi), %xmm0
	movdqu %xmm0, (%rdi)
	addq $16, %rsi
	addq $16, %rdi
	subq $16, %rdx
	cmpq $16, %rdx
	jae 1b
	cmpq $8, %rdx
	jb 9f
	movq (%rsi), %rax
	movq %rax, (%rdi)
	addq $8, %rsi
	addq $8, %rdi
	subq $8, %rdx
9:	cmpq $4, %rdx
	jb 2f
	movl (%rsi), %eax
	movl %eax, (%rdi)
	addq $4, %rsi
	addq $4, %rdi
	subq $4, %rdx
2:	testq %rdx, %rdx
	jz 5f
3:	movb (%rsi), %al
	movb %al, (%rdi)
	incq %rsi
	incq %rdi
	decq %rdx
	jnz 3b
	jmp 5f
4:	movq %rdx, %rcx
	rep movsb
5:	xorl %eax, %eax
	ret
	.cfi_endproc
	.size emu_fixup_copy, .-emu_fixup_copy

/* The routines below move 8 bytes, then 4, then single bytes per piece; they use only
 * caller-saved registers, as the fault fixup returns straight to the caller.
 * emu_fixup_gather: rdi = dst, rsi = array of n sources, rdx = n > 0, rcx = size > 0. */
	.globl emu_fixup_gather
	.hidden emu_fixup_gather
	.type emu_fixup_gather, @function
	.p2align 4
emu_fixup_gather:
	.cfi_startproc
	cmpq $8, %rcx
	je 16f
	cmpq $4, %rcx
	je 17f
11:	movq (%rsi), %r8
	movq %rcx, %r9
12:	cmpq $8, %r9
	jb 13f
	movq (%r8), %rax
	movq %rax, (%rdi)
	addq $8, %r8
	addq $8, %rdi
	subq $8, %r9
	jmp 12b
13:	cmpq $4, %r9
	jb 14f
	movl (%r8), %eax
	movl %eax, (%rdi)
	addq $4, %r8
	addq $4, %rdi
	subq $4, %r9
14:	testq %r9, %r9
	jz 15f
	movb (%r8), %al
	movb %al, (%rdi)
	incq %r8
	incq %rdi
	decq %r9
	jmp 14b
15:	addq $8, %rsi
	decq %rdx
	jnz 11b
	xorl %eax, %eax
	ret
/* the common sizes of keys and values, a move each */
16:	movq (%rsi), %r8
	movq (%r8), %rax
	movq %rax, (%rdi)
	addq $8, %rsi
	addq $8, %rdi
	decq %rdx
	jnz 16b
	xorl %eax, %eax
	ret
17:	movq (%rsi), %r8
	movl (%r8), %eax
	movl %eax, (%rdi)
	addq $8, %rsi
	addq $4, %rdi
	decq %rdx
	jnz 17b
	xorl %eax, %eax
	ret
	.cfi_endproc
	.size emu_fixup_gather, .-emu_fixup_gather

/* emu_fixup_run: rdi = struct fixup_run. r8/r9 key destination and sources, r10/r11 the
 * values', rdx the next bucket's end, esi the last one's, ecx the bucket's count. */
	.globl emu_fixup_run
	.hidden emu_fixup_run
	.type emu_fixup_run, @function
	.p2align 4
emu_fixup_run:
	.cfi_startproc
	movq (%rdi), %r8
	movq 8(%rdi), %r9
	movq 16(%rdi), %r10
	movq 24(%rdi), %r11
	movq 32(%rdi), %rdx
	xorl %esi, %esi
41:	cmpq 40(%rdi), %rdx
	jae 49f
	movl (%rdx), %ecx
	subl %esi, %ecx
	movl (%rdx), %esi
	addq $4, %rdx
	testl %ecx, %ecx
	jz 41b
	cmpq $8, 48(%rdi)
	je 43f
	jb 42f
44:	movq (%r9), %rax
	movdqu (%rax), %xmm0
	movdqu %xmm0, (%r8)
	addq $8, %r9
	addq $16, %r8
	decl %ecx
	jnz 44b
	jmp 45f
42:	movq (%r9), %rax
	movl (%rax), %eax
	movl %eax, (%r8)
	addq $8, %r9
	addq $4, %r8
	decl %ecx
	jnz 42b
	jmp 45f
43:	movq (%r9), %rax
	movq (%rax), %rax
	movq %rax, (%r8)
	addq $8, %r9
	addq $8, %r8
	decl %ecx
	jnz 43b
/* the bucket's values: until their sources reach where the keys' sources now stand */
45:	movq 64(%rdi), %rcx
	addq %r9, %rcx
	cmpq $8, 56(%rdi)
	je 47f
	jb 46f
48:	movq (%r11), %rax
	movdqu (%rax), %xmm0
	movdqu %xmm0, (%r10)
	addq $8, %r11
	addq $16, %r10
	cmpq %rcx, %r11
	jne 48b
	jmp 41b
46:	movq (%r11), %rax
	movl (%rax), %eax
	movl %eax, (%r10)
	addq $8, %r11
	addq $4, %r10
	cmpq %rcx, %r11
	jne 46b
	jmp 41b
47:	movq (%r11), %rax
	movq (%rax), %rax
	movq %rax, (%r10)
	addq $8, %r11
	addq $8, %r10
	cmpq %rcx, %r11
	jne 47b
	jmp 41b
49:	xorl %eax, %eax
	ret
	.cfi_endproc
	.size emu_fixup_run, .-emu_fixup_run

/* emu_fixup_pairs: rdi = struct fixup_pairs; per element its key, then its value */
	.globl emu_fixup_pairs
	.hidden emu_fixup_pairs
	.type emu_fixup_pairs, @function
	.p2align 4
emu_fixup_pairs:
	.cfi_startproc
	movq (%rdi), %r8
	movq 8(%rdi), %r9
	movq 16(%rdi), %r10
	movq 24(%rdi), %r11
	movq 32(%rdi), %rdx
21:	movq 40(%rdi), %rsi
22:	cmpq $8, %rsi
	jb 23f
	movq (%r9), %rax
	movq %rax, (%r8)
	addq $8, %r9
	addq $8, %r8
	subq $8, %rsi
	jmp 22b
23:	cmpq $4, %rsi
	jb 24f
	movl (%r9), %eax
	movl %eax, (%r8)
	addq $4, %r9
	addq $4, %r8
	subq $4, %rsi
24:	testq %rsi, %rsi
	jz 25f
	movb (%r9), %al
	movb %al, (%r8)
	incq %r9
	incq %r8
	decq %rsi
	jmp 24b
25:	movq (%r11), %rcx
	movq 48(%rdi), %rsi
26:	cmpq $8, %rsi
	jb 27f
	movq (%rcx), %rax
	movq %rax, (%r10)
	addq $8, %rcx
	addq $8, %r10
	subq $8, %rsi
	jmp 26b
27:	cmpq $4, %rsi
	jb 28f
	movl (%rcx), %eax
	movl %eax, (%r10)
	addq $4, %rcx
	addq $4, %r10
	subq $4, %rsi
28:	testq %rsi, %rsi
	jz 29f
	movb (%rcx), %al
	movb %al, (%r10)
	incq %rcx
	incq %r10
	decq %rsi
	jmp 28b
29:	addq $8, %r11
	decq %rdx
	jnz 21b
	xorl %eax, %eax
emu_fixup_end:
	ret
	.cfi_endproc
	.size emu_fixup_pairs, .-emu_fixup_pairs

/* Where a faulting access in the region resumes: -EFAULT to the routine's caller. */
	.globl emu_fixup_fault
	.hidden emu_fixup_fault
	.type emu_fixup_fault, @function
emu_fixup_fault:
	.cfi_startproc
	movl $-14, %eax	/* -EFAULT */
	ret
	.cfi_endproc
	.size emu_fixup_fault, .-emu_fixup_fault

	.section .note.GNU-stack,"",@progbits
