/* SPDX-License-Identifier: MIT */
/*
 * The verifier log of BPF_PROG_LOAD and BPF_BTF_LOAD (log_buf, log_size, log_level,
 * log_true_size), with the kernel's rules: which attrs are valid (EINVAL otherwise), text written
 * into the caller's buffer as it is produced, in rolling mode (the default: the buffer keeps the
 * last log_size - 1 bytes) or fixed mode (BPF_LOG_FIXED: the first ones), and at the end the
 * size the whole log needed, -ENOSPC if it did not fit, -EFAULT if the buffer could not be
 * written. Messages longer than the kernel's 1023-byte line buffer are cut as the kernel cuts them.
 */
#ifndef BPFEMU_UTIL_VLOG_H
#define BPFEMU_UTIL_VLOG_H

#include <stdbool.h>
#include <stdint.h>

#define EMU_LOG_LEVEL1 1u
#define EMU_LOG_LEVEL2 2u
#define EMU_LOG_STATS 4u
#define EMU_LOG_FIXED 8u
#define EMU_LOG_MASK (EMU_LOG_LEVEL1 | EMU_LOG_LEVEL2 | EMU_LOG_STATS | EMU_LOG_FIXED)

struct emu_vlog {
	uint32_t level;
	char *ubuf;          /* the caller's buffer (user memory); NULL once a write to it failed */
	uint32_t len_total;  /* its size */
	uint32_t len_max;    /* bytes the whole log needs, with its NUL */
	uint64_t start_pos, end_pos; /* the log's window, in bytes since it began */
};

/* 0, or -EINVAL for attrs the kernel refuses (a buffer without a level or size, or the reverse,
 * unknown level bits, a size above UINT_MAX >> 2). */
int emu_vlog_init(struct emu_vlog *log, uint32_t level, uint64_t ubuf, uint32_t size);
/* Whether anything is being logged (a level was given). */
static inline bool emu_vlog_on(const struct emu_vlog *log) { return log && log->level; }
void emu_vlog(struct emu_vlog *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Back to an earlier end position (the verifier discards what it logged for a dead branch). */
void emu_vlog_reset(struct emu_vlog *log, uint64_t pos);
/* Finish: put a rolled log in order, report the size the whole log needed in *true_size. 0,
 * -ENOSPC (truncated) or -EFAULT (the buffer could not be written). */
int emu_vlog_finalize(struct emu_vlog *log, uint32_t *true_size);

#endif
