/* SPDX-License-Identifier: MIT */
/*
 * Reading a parsed BTF: types by id, names by offset, kind predicates, the kernel's identifier
 * rules (with the kernel's own ctype, where bytes 192-255 are Latin-1 letters), resolved sizes.
 * Everything here only reads; the resolved_* arrays exist once a parse passed CHECK_META.
 */
#include <errno.h>
#include <string.h>

#include "btf_internal.h"

const struct emu_btf_type emu_btf_void;

/* ---- ctype of lib/ctype.c ---- */
enum { C_U = 1, C_L = 2, C_D = 4, C_P = 8, C_SP = 16 };

static unsigned ctype(char ch)
{
	unsigned char c = (unsigned char)ch;

	if (c >= 'A' && c <= 'Z')
		return C_U;
	if (c >= 'a' && c <= 'z')
		return C_L;
	if (c >= '0' && c <= '9')
		return C_D;
	if (c == ' ' || c == 160)
		return C_SP;
	if ((c >= 33 && c <= 126) || (c >= 161 && c <= 191) || c == 215 || c == 247)
		return C_P;
	if (c >= 192 && c <= 222)
		return C_U;
	if (c >= 223)
		return C_L;
	return 0; /* controls */
}

bool emu_btf_isalpha(char c) { return ctype(c) & (C_U | C_L); }
bool emu_btf_isalnum(char c) { return ctype(c) & (C_U | C_L | C_D); }
bool emu_btf_isprint(char c) { return ctype(c) & (C_P | C_U | C_L | C_D | C_SP); }

/* ---- kinds ---- */

bool emu_btf_type_is_void(const struct emu_btf_type *t) { return t == &emu_btf_void; }

bool emu_btf_is_modifier(const struct emu_btf_type *t)
{
	switch (emu_btf_kind(t)) {
	case EMU_BTF_KIND_TYPEDEF:
	case EMU_BTF_KIND_VOLATILE:
	case EMU_BTF_KIND_CONST:
	case EMU_BTF_KIND_RESTRICT:
	case EMU_BTF_KIND_TYPE_TAG:
		return true;
	}
	return false;
}

bool emu_btf_is_struct(const struct emu_btf_type *t)
{
	return btf_is_kind(t, EMU_BTF_KIND_STRUCT) || btf_is_kind(t, EMU_BTF_KIND_UNION);
}

bool emu_btf_has_size(const struct emu_btf_type *t)
{
	switch (emu_btf_kind(t)) {
	case EMU_BTF_KIND_INT:
	case EMU_BTF_KIND_STRUCT:
	case EMU_BTF_KIND_UNION:
	case EMU_BTF_KIND_ENUM:
	case EMU_BTF_KIND_DATASEC:
	case EMU_BTF_KIND_FLOAT:
	case EMU_BTF_KIND_ENUM64:
		return true;
	}
	return false;
}

static bool nosize(const struct emu_btf_type *t)
{
	return emu_btf_type_is_void(t) || btf_is_kind(t, EMU_BTF_KIND_FWD) || btf_is_kind(t, EMU_BTF_KIND_FUNC) ||
	       btf_is_kind(t, EMU_BTF_KIND_FUNC_PROTO) || btf_is_kind(t, EMU_BTF_KIND_DECL_TAG);
}

bool emu_btf_nosize_or_null(const struct emu_btf_type *t) { return !t || nosize(t); }

bool emu_btf_is_resolve_source_only(const struct emu_btf_type *t)
{
	return btf_is_kind(t, EMU_BTF_KIND_VAR) || btf_is_kind(t, EMU_BTF_KIND_DECL_TAG) ||
	       btf_is_kind(t, EMU_BTF_KIND_DATASEC);
}

bool emu_btf_needs_resolve(const struct emu_btf_type *t)
{
	return emu_btf_is_modifier(t) || btf_is_kind(t, EMU_BTF_KIND_PTR) || emu_btf_is_struct(t) ||
	       btf_is_kind(t, EMU_BTF_KIND_ARRAY) || btf_is_kind(t, EMU_BTF_KIND_VAR) ||
	       btf_is_kind(t, EMU_BTF_KIND_FUNC) || btf_is_kind(t, EMU_BTF_KIND_DECL_TAG) ||
	       btf_is_kind(t, EMU_BTF_KIND_DATASEC);
}

/* not a bitfield: 8, 16, 32, 64 or 128 bits at offset 0 */
bool emu_btf_int_is_regular(const struct emu_btf_type *t)
{
	uint32_t d = btf_int_data(t);
	uint32_t bits = EMU_BTF_INT_BITS(d), bytes = (bits + 7) / 8;

	return !(bits & 7) && !EMU_BTF_INT_OFFSET(d) && bytes <= 16 && bytes && !(bytes & (bytes - 1));
}

/* ---- names ---- */

bool emu_btf_name_offset_valid(const struct emu_btf *btf, uint32_t off)
{
	return off <= EMU_BTF_MAX_NAME_OFFSET && off < btf->hdr.str_len;
}

const char *emu_btf_name_by_offset(const struct emu_btf *btf, uint32_t off)
{
	return off < btf->hdr.str_len ? btf->strings + off : NULL;
}

const char *emu_btf_name_or_anon(const struct emu_btf *btf, uint32_t off)
{
	const char *n;

	if (!off)
		return "(anon)";
	n = emu_btf_name_by_offset(btf, off);
	return n ? n : "(invalid-name-offset)";
}

static bool name_char_ok(char c, bool first)
{
	return (first ? emu_btf_isalpha(c) : emu_btf_isalnum(c)) || c == '_' || c == '.';
}

/* the offset was checked; the string section ends in a NUL */
bool emu_btf_name_valid_identifier(const struct emu_btf *btf, uint32_t off)
{
	const char *s = btf->strings + off, *limit = s + BTF_KSYM_NAME_LEN;

	if (!name_char_ok(*s, true))
		return false;
	for (s++; *s && s < limit; s++)
		if (!name_char_ok(*s, false))
			return false;
	return !*s;
}

bool emu_btf_name_valid_section(const struct emu_btf *btf, uint32_t off)
{
	const char *s = btf->strings + off, *limit = s + BTF_KSYM_NAME_LEN;

	if (!*s)
		return false;
	for (; *s && s < limit; s++)
		if (!emu_btf_isprint(*s))
			return false;
	return !*s;
}

/* ---- types ---- */

uint32_t emu_btf_nr_types(const struct emu_btf *btf) { return btf->nr_types; }

const struct emu_btf_type *emu_btf_type_by_id(const struct emu_btf *btf, uint32_t id)
{
	return id < btf->nr_types ? btf->types[id] : NULL;
}

const void *emu_btf_data(const struct emu_btf *btf, uint32_t *size)
{
	*size = btf->data_size;
	return btf->data;
}

uint32_t emu_btf_resolved_id(const struct emu_btf *btf, uint32_t id) { return btf->resolved_ids[id]; }
uint32_t emu_btf_resolved_size(const struct emu_btf *btf, uint32_t id) { return btf->resolved_sizes[id]; }

static bool size_of(const struct emu_btf *btf, const struct emu_btf_type *t, uint32_t id, uint32_t *size)
{
	if (emu_btf_has_size(t))
		*size = t->size_or_type;
	else if (btf_is_kind(t, EMU_BTF_KIND_ARRAY))
		*size = emu_btf_resolved_size(btf, id);
	else if (btf_is_kind(t, EMU_BTF_KIND_PTR))
		*size = BTF_PTR_SIZE;
	else
		return false;
	return true;
}

const struct emu_btf_type *emu_btf_type_id_size(const struct emu_btf *btf, uint32_t *type_id, uint32_t *ret_size)
{
	uint32_t id = *type_id, size = 0;
	const struct emu_btf_type *t = emu_btf_type_by_id(btf, id);

	if (emu_btf_nosize_or_null(t))
		return NULL;
	if (!size_of(btf, t, id, &size)) {
		if (!emu_btf_is_modifier(t) && !btf_is_kind(t, EMU_BTF_KIND_VAR))
			return NULL;
		id = emu_btf_resolved_id(btf, id);
		t = emu_btf_type_by_id(btf, id);
		if (emu_btf_nosize_or_null(t) || !size_of(btf, t, id, &size))
			return NULL;
	}
	*type_id = id;
	if (ret_size)
		*ret_size = size;
	return t;
}

const struct emu_btf_type *emu_btf_skip_modifiers(const struct emu_btf *btf, uint32_t id, uint32_t *res_id)
{
	const struct emu_btf_type *t = emu_btf_type_by_id(btf, id);

	while (t && emu_btf_is_modifier(t)) {
		id = t->size_or_type;
		t = emu_btf_type_by_id(btf, id);
	}
	if (res_id)
		*res_id = id;
	return t;
}

int emu_btf_find_by_name_kind(const struct emu_btf *btf, const char *name, unsigned kind)
{
	for (uint32_t i = 1; i < btf->nr_types; i++) {
		const struct emu_btf_type *t = btf->types[i];

		if (emu_btf_kind(t) == kind && !strcmp(emu_btf_name_by_offset(btf, t->name_off), name))
			return (int)i;
	}
	return -ENOENT;
}
