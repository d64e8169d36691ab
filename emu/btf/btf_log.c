/* SPDX-License-Identifier: MIT */
/*
 * The BTF verifier's log lines, piece by piece as the kernel emits them: every piece is one
 * bpf_verifier_vlog() call in the kernel (so one emu_vlog() call here), because the log's
 * 1023-byte line cut and the fixed/rolling buffer arithmetic apply per call, not per line.
 *
 *   type:   "[<id>] <KIND> <name|(anon)>" [" " <kind details>] [" " <message>] "\n"
 *   member: (after CHECK_META: the type line first) "\t<name> type_id=<t> [bitfield_size=..]
 *           bits_offset=<o>" [" " <message>] "\n"
 *   vsi:    (after CHECK_META: the type line first) "\t type_id=<t> offset=<o> size=<s>" ...
 *   header: nine "field: value\n" lines, before the header is checked
 */
#include <stdarg.h>
#include <stdio.h>

#include "btf_internal.h"

const char *const emu_btf_kind_str[EMU_NR_BTF_KINDS] = {
	"UNKNOWN", "INT", "PTR", "ARRAY", "STRUCT", "UNION", "ENUM", "FWD", "TYPEDEF", "VOLATILE",
	"CONST", "RESTRICT", "FUNC", "FUNC_PROTO", "VAR", "DATASEC", "FLOAT", "DECL_TAG", "TYPE_TAG",
	"ENUM64",
};

static bool on(const struct btf_env *env) { return emu_vlog_on(env->log); }

void btf_log(struct btf_env *env, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (!on(env))
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	emu_vlog(env->log, "%s", buf);
}

/* the optional " <message>" and the line's end */
static void tail(struct btf_env *env, const char *msg)
{
	if (msg && *msg) {
		emu_vlog(env->log, " ");
		emu_vlog(env->log, "%s", msg);
	}
	emu_vlog(env->log, "\n");
}

static void type_line(struct btf_env *env, const struct emu_btf_type *t, bool details, const char *msg)
{
	emu_vlog(env->log, "[%u] %s %s%s", env->log_type_id, emu_btf_kind_str[emu_btf_kind(t)],
		 emu_btf_name_or_anon(env->btf, t->name_off), details ? " " : "");
	if (details)
		btf_ops(t)->log_details(env, t);
	tail(env, msg);
}

#define FORMAT_MSG(buf, fmt)                              \
	do {                                              \
		va_list ap_;                              \
		va_start(ap_, fmt);                       \
		vsnprintf(buf, sizeof(buf), fmt, ap_);    \
		va_end(ap_);                              \
	} while (0)

void btf_log_type_x(struct btf_env *env, const struct emu_btf_type *t, bool details, const char *fmt, ...)
{
	char msg[1024];

	if (!on(env))
		return;
	FORMAT_MSG(msg, fmt);
	type_line(env, t, details, msg);
}

void btf_log_type0(struct btf_env *env, const struct emu_btf_type *t)
{
	if (on(env))
		type_line(env, t, true, NULL);
}

static void member_line(struct btf_env *env, const struct emu_btf_type *s, const struct emu_btf_member *m,
			const char *msg)
{
	if (env->phase != BTF_CHECK_META)
		type_line(env, s, true, NULL);
	if (emu_btf_kflag(s))
		emu_vlog(env->log, "\t%s type_id=%u bitfield_size=%u bits_offset=%u",
			 emu_btf_name_or_anon(env->btf, m->name_off), m->type,
			 EMU_BTF_MEMBER_BITFIELD_SIZE(m->offset), EMU_BTF_MEMBER_BIT_OFFSET(m->offset));
	else
		emu_vlog(env->log, "\t%s type_id=%u bits_offset=%u", emu_btf_name_or_anon(env->btf, m->name_off),
			 m->type, m->offset);
	tail(env, msg);
}

void btf_log_member(struct btf_env *env, const struct emu_btf_type *s, const struct emu_btf_member *m,
		    const char *fmt, ...)
{
	char msg[1024];

	if (!on(env))
		return;
	FORMAT_MSG(msg, fmt);
	member_line(env, s, m, msg);
}

void btf_log_member0(struct btf_env *env, const struct emu_btf_type *s, const struct emu_btf_member *m)
{
	if (on(env))
		member_line(env, s, m, NULL);
}

static void vsi_line(struct btf_env *env, const struct emu_btf_type *ds, const struct emu_btf_var_secinfo *vsi,
		     const char *msg)
{
	if (env->phase != BTF_CHECK_META)
		type_line(env, ds, true, NULL);
	emu_vlog(env->log, "\t type_id=%u offset=%u size=%u", vsi->type, vsi->offset, vsi->size);
	tail(env, msg);
}

void btf_log_vsi(struct btf_env *env, const struct emu_btf_type *ds, const struct emu_btf_var_secinfo *vsi,
		 const char *fmt, ...)
{
	char msg[1024];

	if (!on(env))
		return;
	FORMAT_MSG(msg, fmt);
	vsi_line(env, ds, vsi, msg);
}

void btf_log_vsi0(struct btf_env *env, const struct emu_btf_type *ds, const struct emu_btf_var_secinfo *vsi)
{
	if (on(env))
		vsi_line(env, ds, vsi, NULL);
}

void btf_log_hdr(struct btf_env *env, uint32_t data_size)
{
	const struct emu_btf_header *h = &env->btf->hdr;

	if (!on(env))
		return;
	emu_vlog(env->log, "magic: 0x%x\n", h->magic);
	emu_vlog(env->log, "version: %u\n", h->version);
	emu_vlog(env->log, "flags: 0x%x\n", h->flags);
	emu_vlog(env->log, "hdr_len: %u\n", h->hdr_len);
	emu_vlog(env->log, "type_off: %u\n", h->type_off);
	emu_vlog(env->log, "type_len: %u\n", h->type_len);
	emu_vlog(env->log, "str_off: %u\n", h->str_off);
	emu_vlog(env->log, "str_len: %u\n", h->str_len);
	emu_vlog(env->log, "btf_total_size: %u\n", data_size);
}
