/* SPDX-License-Identifier: MIT */
/*
 * The BPF instruction encoding as Linux 6.18 accepts it (RFC 9669 plus the kernel's extensions:
 * load-acquire/store-release, may_goto, address-space casts). One 8-byte instruction: opcode,
 * dst and src register nibbles, a signed 16-bit offset and a signed 32-bit immediate; ld_imm64
 * takes two slots, the second holding the upper 32 bits in its imm.
 */
#ifndef BPFEMU_UAPI_BPF_INSN_H
#define BPFEMU_UAPI_BPF_INSN_H

#include <stdint.h>

struct emu_insn {
	uint8_t code;
	uint8_t dst_reg : 4;
	uint8_t src_reg : 4;
	int16_t off;
	int32_t imm;
};
_Static_assert(sizeof(struct emu_insn) == 8, "a BPF instruction is 8 bytes");

#define EMU_MAX_BPF_REG 11 /* r0-r9 and the read-only frame pointer r10 */
#define EMU_REG_FP 10
#define EMU_STACK_SIZE 512 /* bytes of stack per frame (MAX_BPF_STACK) */
#define EMU_MAX_CALL_FRAMES 8
#define EMU_MAX_TAIL_CALL_CNT 33
#define EMU_MAX_INSNS 1000000u /* BPF_COMPLEXITY_LIMIT_INSNS: a privileged loader's limit */

/* opcode = class | (size | mode) for loads and stores, class | op | source for the rest */
#define EMU_CLASS(code) ((code) & 0x07)
#define EMU_LD 0x00
#define EMU_LDX 0x01
#define EMU_ST 0x02
#define EMU_STX 0x03
#define EMU_ALU 0x04
#define EMU_JMP 0x05
#define EMU_JMP32 0x06
#define EMU_ALU64 0x07

#define EMU_SIZE(code) ((code) & 0x18)
#define EMU_W 0x00
#define EMU_H 0x08
#define EMU_B 0x10
#define EMU_DW 0x18

#define EMU_MODE(code) ((code) & 0xe0)
#define EMU_IMM 0x00
#define EMU_ABS 0x20
#define EMU_IND 0x40
#define EMU_MEM 0x60
#define EMU_MEMSX 0x80
#define EMU_ATOMIC 0xc0

#define EMU_SRC(code) ((code) & 0x08)
#define EMU_K 0x00
#define EMU_X 0x08

#define EMU_OP(code) ((code) & 0xf0)
/* ALU and ALU64 */
#define EMU_ADD 0x00
#define EMU_SUB 0x10
#define EMU_MUL 0x20
#define EMU_DIV 0x30 /* off 1: signed (sdiv) */
#define EMU_OR 0x40
#define EMU_AND 0x50
#define EMU_LSH 0x60
#define EMU_RSH 0x70
#define EMU_NEG 0x80
#define EMU_MOD 0x90 /* off 1: signed (smod) */
#define EMU_XOR 0xa0
#define EMU_MOV 0xb0 /* off 8/16/32: sign-extending move (movsx); ALU64 off 1: address-space cast */
#define EMU_ARSH 0xc0
#define EMU_END 0xd0 /* ALU: source bit picks to-LE (0) or to-BE (8); ALU64 (source 0): bswap */
#define EMU_TO_LE 0x00
#define EMU_TO_BE 0x08
/* JMP and JMP32 */
#define EMU_JA 0x00 /* JMP32 JA: imm is the 32-bit offset (gotol) */
#define EMU_JEQ 0x10
#define EMU_JGT 0x20
#define EMU_JGE 0x30
#define EMU_JSET 0x40
#define EMU_JNE 0x50
#define EMU_JSGT 0x60
#define EMU_JSGE 0x70
#define EMU_CALL 0x80
#define EMU_EXIT 0x90
#define EMU_JLT 0xa0
#define EMU_JLE 0xb0
#define EMU_JSLT 0xc0
#define EMU_JSLE 0xd0
#define EMU_JCOND 0xe0 /* src_reg EMU_MAY_GOTO */
#define EMU_MAY_GOTO 0

/* atomic operations: the imm of an EMU_STX | EMU_ATOMIC instruction */
#define EMU_FETCH 0x01
#define EMU_XCHG (0xe0 | EMU_FETCH)
#define EMU_CMPXCHG (0xf0 | EMU_FETCH)
#define EMU_LOAD_ACQ 0x100
#define EMU_STORE_REL 0x110

/* ld_imm64 (EMU_LD | EMU_IMM | EMU_DW): what src_reg makes of the immediate */
#define EMU_PSEUDO_MAP_FD 1
#define EMU_PSEUDO_MAP_VALUE 2
#define EMU_PSEUDO_BTF_ID 3
#define EMU_PSEUDO_FUNC 4
#define EMU_PSEUDO_MAP_IDX 5
#define EMU_PSEUDO_MAP_IDX_VALUE 6

/* call: what src_reg makes of imm */
#define EMU_CALL_HELPER 0
#define EMU_PSEUDO_CALL 1       /* bpf-to-bpf: imm is the offset of the callee */
#define EMU_PSEUDO_KFUNC_CALL 2 /* imm is a BTF id */

#define EMU_LD_IMM64 (EMU_LD | EMU_IMM | EMU_DW)

#endif
