/* SPDX-License-Identifier: MIT */
/*
 * The BTF encoding of Linux 6.18 (uapi linux/btf.h) as the emulator's own description: the blob
 * header, the 20 kinds, the bit fields of a type's info word, the int encoding, the member
 * offset encoding of kind_flag structs, var/func linkage, and the limits (type ids, string
 * offsets, vlen). Names are the kernel's with an EMU_ prefix. All multi-byte fields are in the
 * host's byte order (BTF is loaded in the byte order of the machine it describes).
 */
#ifndef BPFEMU_UAPI_BTF_H
#define BPFEMU_UAPI_BTF_H

#include <stdint.h>

#define EMU_BTF_MAGIC 0xeB9Fu
#define EMU_BTF_VERSION 1u

/* The blob header. Section offsets count from the end of the header (hdr_len bytes). */
struct emu_btf_header {
	uint16_t magic;
	uint8_t version;
	uint8_t flags;
	uint32_t hdr_len;
	uint32_t type_off;
	uint32_t type_len;
	uint32_t str_off;
	uint32_t str_len;
};
_Static_assert(sizeof(struct emu_btf_header) == 24, "struct btf_header is 24 bytes");

#define EMU_BTF_MAX_TYPE 0x000fffffu        /* largest type id */
#define EMU_BTF_MAX_NAME_OFFSET 0x00ffffffu /* largest string offset */
#define EMU_BTF_MAX_VLEN 0xffffu            /* members, enumerators, params, vars */

/* One type; the kind decides what follows it (see the EMU_BTF_KIND_* comments). */
struct emu_btf_type {
	uint32_t name_off;
	uint32_t info; /* vlen bits 0-15, kind bits 24-28, kind_flag bit 31, the rest must be 0 */
	uint32_t size_or_type; /* size for INT ENUM STRUCT UNION DATASEC FLOAT ENUM64; else a type id */
};

#define EMU_BTF_INFO_KIND(info) (((info) >> 24) & 0x1fu)
#define EMU_BTF_INFO_VLEN(info) ((info) & 0xffffu)
#define EMU_BTF_INFO_KFLAG(info) ((info) >> 31)
#define EMU_BTF_INFO(kind, kflag, vlen) (((uint32_t)!!(kflag) << 31) | ((uint32_t)(kind) << 24) | ((vlen) & 0xffffu))
#define EMU_BTF_INFO_MASK 0x9f00ffffu /* bits a valid info word may have set */

enum emu_btf_kind {
	EMU_BTF_KIND_UNKN = 0,
	EMU_BTF_KIND_INT = 1,        /* + u32 int encoding */
	EMU_BTF_KIND_PTR = 2,
	EMU_BTF_KIND_ARRAY = 3,      /* + struct emu_btf_array */
	EMU_BTF_KIND_STRUCT = 4,     /* + vlen x struct emu_btf_member */
	EMU_BTF_KIND_UNION = 5,      /* + vlen x struct emu_btf_member */
	EMU_BTF_KIND_ENUM = 6,       /* + vlen x struct emu_btf_enum; kind_flag: signed */
	EMU_BTF_KIND_FWD = 7,        /* kind_flag: union */
	EMU_BTF_KIND_TYPEDEF = 8,
	EMU_BTF_KIND_VOLATILE = 9,
	EMU_BTF_KIND_CONST = 10,
	EMU_BTF_KIND_RESTRICT = 11,
	EMU_BTF_KIND_FUNC = 12,      /* vlen: linkage */
	EMU_BTF_KIND_FUNC_PROTO = 13, /* + vlen x struct emu_btf_param */
	EMU_BTF_KIND_VAR = 14,       /* + struct emu_btf_var */
	EMU_BTF_KIND_DATASEC = 15,   /* + vlen x struct emu_btf_var_secinfo */
	EMU_BTF_KIND_FLOAT = 16,
	EMU_BTF_KIND_DECL_TAG = 17,  /* + struct emu_btf_decl_tag */
	EMU_BTF_KIND_TYPE_TAG = 18,
	EMU_BTF_KIND_ENUM64 = 19,    /* + vlen x struct emu_btf_enum64; kind_flag: signed */
	EMU_NR_BTF_KINDS = 20,
	EMU_BTF_KIND_MAX = EMU_NR_BTF_KINDS - 1,
};

/* KIND_INT's u32 */
#define EMU_BTF_INT_ENCODING(v) (((v) & 0x0f000000u) >> 24)
#define EMU_BTF_INT_OFFSET(v) (((v) & 0x00ff0000u) >> 16)
#define EMU_BTF_INT_BITS(v) ((v) & 0x000000ffu)
#define EMU_BTF_INT_MASK 0x0fffffffu /* bits a valid int word may have set */
#define EMU_BTF_INT_SIGNED (1u << 0)
#define EMU_BTF_INT_CHAR (1u << 1)
#define EMU_BTF_INT_BOOL (1u << 2)

struct emu_btf_enum {
	uint32_t name_off;
	int32_t val;
};

struct emu_btf_array {
	uint32_t type;
	uint32_t index_type;
	uint32_t nelems;
};

struct emu_btf_member {
	uint32_t name_off;
	uint32_t type;
	uint32_t offset; /* bit offset; with the struct's kind_flag: bitfield size << 24 | bit offset */
};
#define EMU_BTF_MEMBER_BITFIELD_SIZE(v) ((v) >> 24)
#define EMU_BTF_MEMBER_BIT_OFFSET(v) ((v) & 0xffffffu)

struct emu_btf_param {
	uint32_t name_off;
	uint32_t type;
};

enum {
	EMU_BTF_VAR_STATIC = 0,
	EMU_BTF_VAR_GLOBAL_ALLOCATED = 1,
	EMU_BTF_VAR_GLOBAL_EXTERN = 2,
};

enum {
	EMU_BTF_FUNC_STATIC = 0,
	EMU_BTF_FUNC_GLOBAL = 1,
	EMU_BTF_FUNC_EXTERN = 2,
};

struct emu_btf_var {
	uint32_t linkage;
};

struct emu_btf_var_secinfo {
	uint32_t type;
	uint32_t offset;
	uint32_t size;
};

struct emu_btf_decl_tag {
	int32_t component_idx; /* -1: the whole struct/union/var/func/typedef */
};

struct emu_btf_enum64 {
	uint32_t name_off;
	uint32_t val_lo32;
	uint32_t val_hi32;
};

#endif
