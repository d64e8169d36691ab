/* SPDX-License-Identifier: MIT */
/* What the program suites share (test_prog.c: BPF_PROG_LOAD; test_progobj.c: program objects,
 * TEST_RUN, attaching): instruction macros, loading a program, its info, a test run's attr. */
#ifndef BPFEMU_UNIT_PROG_H
#define BPFEMU_UNIT_PROG_H

#include "unit.h"

#include <sys/socket.h>
#include <time.h>

#include "core/state.h" /* emu_bpffs_translate: where an emulated pin lives, to remove it */
#include "uapi/bpf_insn.h"

int emu_fdinfo(int fd, char *buf, size_t len); /* emu/cmd/info.c: the emulator's fdinfo lines */
struct emu_func_proto;
const struct emu_func_proto *emu_helper_lookup(void *cb_ctx, int32_t id); /* emu/prog/helpers/table.c */

#define I(c, d, s, o, i) {.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)}
#define MOV64I(d, i) I(0xb7, d, 0, 0, i)
#define MOV32I(d, i) I(0xb4, d, 0, 0, i)
#define EXIT I(0x95, 0, 0, 0, 0)
#define CALL(f) I(0x85, 0, 0, 0, f)
#define LD_MAP_VALUE(d, fd, off) I(0x18, d, 2, 0, fd), I(0, 0, 0, 0, off)
#define LD_MAP_FD(d, fd) I(0x18, d, 1, 0, fd), I(0, 0, 0, 0, 0)

static const struct emu_insn ret0[] = { MOV64I(0, 0), EXIT };

#define LOGBUF_SIZE 65536u
static inline char *prog_logbuf(void)
{
	static char buf[LOGBUF_SIZE];

	return buf;
}
#define logbuf (prog_logbuf())

static inline void pl_attr(struct attr *a, uint32_t type, const struct emu_insn *insns, uint32_t cnt)
{
	memset(a, 0, sizeof(*a));
	put32(a->b, PL_TYPE, type);
	putp(a->b, PL_INSNS, insns);
	put32(a->b, PL_INSN_CNT, cnt);
	putp(a->b, PL_LICENSE, "GPL");
}

static inline int pl(struct attr *a) { return ubpf(EMU_BPF_PROG_LOAD, a->b, EMU_ATTR_SIZE); }

static inline void with_log(struct attr *a, uint32_t level)
{
	logbuf[0] = 0;
	put32(a->b, PL_LOG_LEVEL, level);
	putp(a->b, PL_LOG_BUF, logbuf);
	put32(a->b, PL_LOG_SIZE, LOGBUF_SIZE);
}

static inline const char *first_line(void)
{
	static char line[256];
	const char *nl = strchr(logbuf, '\n');
	size_t n = nl ? (size_t)(nl - logbuf) : strlen(logbuf);

	snprintf(line, sizeof(line), "%.*s", (int)n, logbuf);
	return line;
}

static inline int load_trivial(uint32_t type, const char *name)
{
	struct attr a;

	pl_attr(&a, type, ret0, 2);
	if (name)
		memcpy(a.b + PL_NAME, name, strlen(name));
	return pl(&a);
}

#define mkprog(type, name)                                                                          \
	({                                                                                         \
		int pfd_ = load_trivial((type), (name));                                           \
		ck_assert_msg(pfd_ >= 0, "load of a trivial type %u program: errno %d %s", (unsigned)(type), \
			      errno, errname(errno));                                              \
		pfd_;                                                                              \
	})

static inline int prog_info(int fd, unsigned char *info, uint32_t *len) { return get_info(fd, info, len); }

/* A page that faults on every access. */
static inline void *bad_page(void)
{
	static void *p;

	if (!p)
		p = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p;
}

static inline void tr_attr(struct attr *a, int fd, const void *data, uint32_t n, void *out, uint32_t out_n)
{
	memset(a, 0, sizeof(*a));
	put32(a->b, TR_PROG_FD, (uint32_t)fd);
	putp(a->b, TR_DATA_IN, data);
	put32(a->b, TR_DATA_SIZE_IN, n);
	putp(a->b, TR_DATA_OUT, out);
	put32(a->b, TR_DATA_SIZE_OUT, out_n);
}

static inline int test_run(struct attr *a) { return ubpf(EMU_BPF_PROG_TEST_RUN, a->b, EMU_ATTR_SIZE); }

#endif
