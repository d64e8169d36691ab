/* SPDX-License-Identifier: MIT */
/* Differential mode: what a divergence report says, as text or JSON lines. */
#include "diffmode.h"

/* ---- output ---- */


__attribute__((format(printf, 2, 3))) void dm_sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	for (;;) {
		va_start(ap, fmt);
		r = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
		va_end(ap);
		if (r < 0)
			return;
		if (b->p && b->n + (size_t)r < b->cap) {
			b->n += (size_t)r;
			return;
		}
		size_t cap = (b->cap ? b->cap * 2 : 1024) + (size_t)r;
		char *np = realloc(b->p, cap);

		if (!np)
			return;
		b->p = np;
		b->cap = cap;
	}
}

void dm_sb_json_str(struct sbuf *b, const char *s)
{
	dm_sb_printf(b, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			dm_sb_printf(b, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			dm_sb_printf(b, "\\u%04x", c);
		else
			dm_sb_printf(b, "%c", c);
	}
	dm_sb_printf(b, "\"");
}

void dm_emit(struct sbuf *b)
{
	/* one write per record: records of processes sharing a report stay whole */
	if (b->p && b->n)
		(void)!write(dm_cfg.report_fd, b->p, b->n);
	free(b->p);
	b->p = NULL;
	b->n = b->cap = 0;
}

void dm_note(const char *fmt, ...)
{
	char line[600];
	struct sbuf b = { 0 };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (dm_cfg.json) {
		dm_sb_printf(&b, "{\"event\":\"note\",\"pid\":%d,\"text\":", (int)getpid());
		dm_sb_json_str(&b, line);
		dm_sb_printf(&b, "}\n");
	} else {
		dm_sb_printf(&b, "bpfemu diff: note: %s\n", line);
	}
	dm_emit(&b);
}

const char *dm_errname(int e)
{
	static __thread char buf[24];
	const char *n;

	if (e == EMU_ENOTSUPP)
		return "ENOTSUPP";
	n = strerrorname_np(e);
	if (n)
		return n;
	snprintf(buf, sizeof(buf), "errno %d", e);
	return buf;
}

void dm_answer_text(struct sbuf *b, long r)
{
	if (r >= 0)
		dm_sb_printf(b, "%ld", r);
	else
		dm_sb_printf(b, "-1 %s (%s)", dm_errname((int)-r),
			  -r == EMU_ENOTSUPP ? "Unknown error 524" : strerror((int)-r));
}

static void answer_json(struct sbuf *b, long r)
{
	if (r >= 0)
		dm_sb_printf(b, "{\"ret\":%ld,\"errno\":0}", r);
	else
		dm_sb_printf(b, "{\"ret\":-1,\"errno\":%ld,\"errno_name\":\"%s\"}", -r, dm_errname((int)-r));
}
/* ---- the report ---- */

static void describe_map(struct sbuf *b, const struct mirror *m, bool json)
{
	const char *tn = emu_map_type_name(m->type);

	if (json)
		dm_sb_printf(b, "{\"type\":\"%s\",\"type_id\":%u,\"key_size\":%u,\"value_size\":%u,\"max_entries\":%u,"
			  "\"map_flags\":%u}", tn ? tn : "?", m->type, m->key_size, m->value_size, m->max_entries,
			  m->map_flags);
	else
		dm_sb_printf(b, "%s (type %u), key_size %u, value_size %u, max_entries %u, map_flags %#x", tn ? tn : "?",
			  m->type, m->key_size, m->value_size, m->max_entries, m->map_flags);
}

void dm_report(struct call *c, const struct emu_attr *before)
{
	char decoded[2100];
	struct sbuf b = { 0 };

	dm_st.divergences++;
	if (dm_st.divergences > dm_cfg.max_reports) {
		if (dm_st.divergences == dm_cfg.max_reports + 1)
			dm_note("more than %lu divergences: further ones are counted, not reported", dm_cfg.max_reports);
		return;
	}
	shim_trace_format(decoded, sizeof(decoded), c->cmd, c->uattr, c->size, before,
			  c->eret < 0 ? -1 : c->eret, c->eret < 0 ? (int)-c->eret : 0);
	if (dm_cfg.json) {
		dm_sb_printf(&b, "{\"event\":\"divergence\",\"n\":%lu,\"pid\":%d,\"call_no\":%lu,\"command\":", dm_st.divergences,
			  (int)getpid(), dm_st.calls);
		dm_sb_json_str(&b, emu_cmd_name(c->cmd) ? emu_cmd_name(c->cmd) : "unknown");
		dm_sb_printf(&b, ",\"call\":");
		dm_sb_json_str(&b, decoded);
		dm_sb_printf(&b, ",\"map\":");
		if (c->map)
			describe_map(&b, c->map, true);
		else
			dm_sb_printf(&b, "null");
		if (c->obj[0]) {
			dm_sb_printf(&b, ",\"object\":");
			dm_sb_json_str(&b, c->obj);
		}
		dm_sb_printf(&b, ",\"kernel\":");
		answer_json(&b, c->kret);
		dm_sb_printf(&b, ",\"emulator\":");
		answer_json(&b, c->eret);
		dm_sb_printf(&b, ",\"differences\":[");
		for (int i = 0; i < c->nd; i++) {
			dm_sb_printf(&b, "%s{\"what\":", i ? "," : "");
			dm_sb_json_str(&b, c->d[i].what);
			if (c->d[i].kernel[0] || c->d[i].emulator[0]) {
				dm_sb_printf(&b, ",\"kernel\":");
				dm_sb_json_str(&b, c->d[i].kernel);
				dm_sb_printf(&b, ",\"emulator\":");
				dm_sb_json_str(&b, c->d[i].emulator);
			}
			dm_sb_printf(&b, "}");
		}
		dm_sb_printf(&b, "]}\n");
	} else {
		dm_sb_printf(&b, "bpfemu diff: DIVERGENCE #%lu (pid %d, bpf() call %lu)\n", dm_st.divergences, (int)getpid(),
			  dm_st.calls);
		dm_sb_printf(&b, "  call:     %s\n", decoded);
		if (c->map) {
			dm_sb_printf(&b, "  map:      ");
			describe_map(&b, c->map, false);
			dm_sb_printf(&b, "\n");
		}
		if (c->obj[0])
			dm_sb_printf(&b, "  object:   %s\n", c->obj);
		dm_sb_printf(&b, "  kernel:   ");
		dm_answer_text(&b, c->kret);
		dm_sb_printf(&b, "\n  emulator: ");
		dm_answer_text(&b, c->eret);
		dm_sb_printf(&b, "   (what the program got)\n");
		for (int i = 0; i < c->nd; i++) {
			dm_sb_printf(&b, "  - %s\n", c->d[i].what);
			if (c->d[i].kernel[0] || c->d[i].emulator[0])
				dm_sb_printf(&b, "      kernel:   %s\n      emulator: %s\n", c->d[i].kernel, c->d[i].emulator);
		}
	}
	dm_emit(&b);
}
