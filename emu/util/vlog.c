/* SPDX-License-Identifier: MIT */
/*
 * The verifier log (see vlog.h). Positions count bytes since the log began; the caller's buffer
 * holds the window [start_pos, end_pos] of it. In rolling mode the buffer is a ring: position p
 * lies at p % len_total, and finalize turns the ring so the window starts at byte 0 (three
 * reversals in place, as the kernel does, so the bytes the caller sees are the kernel's at every
 * step, faults included).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vlog.h"
#include "../uaccess/uaccess.h"

#define LINE_MAX_BYTES 1024u /* the kernel formats each message into a buffer this large */

int emu_vlog_init(struct emu_vlog *log, uint32_t level, uint64_t ubuf, uint32_t size)
{
	memset(log, 0, sizeof(*log));
	log->level = level;
	log->ubuf = (char *)(uintptr_t)ubuf;
	log->len_total = size;
	if (!!log->ubuf != !!size || (log->ubuf && !level) || (level & ~EMU_LOG_MASK) || size > (UINT32_MAX >> 2))
		return -EINVAL;
	return 0;
}

static void note_len(struct emu_vlog *log, uint32_t add)
{
	uint64_t len = log->end_pos + add;

	if (len > UINT32_MAX)
		log->len_max = UINT32_MAX;
	else if (len > log->len_max)
		log->len_max = (uint32_t)len;
}

static bool put(struct emu_vlog *log, uint64_t at, const char *src, uint32_t n)
{
	if (emu_copy_to_user(log->ubuf + at, src, n)) {
		log->ubuf = NULL;
		return false;
	}
	return true;
}

void emu_vlog(struct emu_vlog *log, const char *fmt, ...)
{
	char line[LINE_MAX_BYTES];
	va_list ap;
	int r;
	uint32_t n;

	if (!emu_vlog_on(log))
		return;
	va_start(ap, fmt);
	r = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	n = (uint32_t)r < sizeof(line) ? (uint32_t)r : sizeof(line) - 1;
	n += 1; /* the NUL goes out with every message */
	note_len(log, n);

	if (log->level & EMU_LOG_FIXED) {
		uint64_t at = log->end_pos;
		uint32_t fit = 0;

		if (at < log->len_total) {
			fit = log->len_total - (uint32_t)at < n ? log->len_total - (uint32_t)at : n;
			line[fit - 1] = 0;
		}
		log->end_pos += n - 1;
		if (log->ubuf && fit)
			put(log, at, line, fit);
		return;
	}

	uint64_t new_end = log->end_pos + n;

	if (new_end - log->start_pos >= log->len_total)
		log->start_pos = new_end - log->len_total;
	log->end_pos = new_end - 1;
	if (!log->ubuf)
		return;

	uint32_t keep = n < log->len_total ? n : log->len_total;
	uint32_t b_start = (uint32_t)((new_end - keep) % log->len_total);
	uint32_t b_end = (uint32_t)(new_end % log->len_total);

	if (!b_end)
		b_end = log->len_total;
	if (b_start < b_end) {
		put(log, b_start, line + n - keep, b_end - b_start);
	} else if (put(log, b_start, line + n - keep, log->len_total - b_start)) {
		put(log, 0, line + n - b_end, b_end);
	}
}

void emu_vlog_reset(struct emu_vlog *log, uint64_t pos)
{
	char zero = 0;
	uint64_t at;

	if (!emu_vlog_on(log) || pos > log->end_pos)
		return;
	log->end_pos = pos;
	if (log->end_pos < log->start_pos)
		log->start_pos = log->end_pos;
	if (!log->ubuf)
		return;
	at = (log->level & EMU_LOG_FIXED) ? log->end_pos + 1 : pos % log->len_total;
	if (at < log->len_total)
		put(log, at, &zero, 1);
}

/* Reverse bytes [start, end) of the caller's buffer in place, a chunk from each end at a time. */
static int reverse_ubuf(struct emu_vlog *log, uint32_t start, uint32_t end)
{
	char left[LINE_MAX_BYTES / 2], right[LINE_MAX_BYTES / 2];

	while (end - start > 1) {
		uint32_t k = (end - start) / 2 < sizeof(left) ? (end - start) / 2 : (uint32_t)sizeof(left);

		if (emu_copy_from_user(left, log->ubuf + start, k) ||
		    emu_copy_from_user(right, log->ubuf + end - k, k))
			return -EFAULT;
		for (uint32_t i = 0; i < k / 2; i++) {
			char t = left[i];

			left[i] = left[k - 1 - i];
			left[k - 1 - i] = t;
			t = right[i];
			right[i] = right[k - 1 - i];
			right[k - 1 - i] = t;
		}
		if (emu_copy_to_user(log->ubuf + start, right, k) || emu_copy_to_user(log->ubuf + end - k, left, k))
			return -EFAULT;
		start += k;
		end -= k;
	}
	return 0;
}

int emu_vlog_finalize(struct emu_vlog *log, uint32_t *true_size)
{
	*true_size = 0;
	if (!emu_vlog_on(log))
		return 0;
	if (log->ubuf && log->start_pos) {
		/* the ring wrapped: the oldest byte kept is at start_pos % len_total */
		uint32_t head = log->len_total - (uint32_t)(log->start_pos % log->len_total);

		if (reverse_ubuf(log, 0, log->len_total) || reverse_ubuf(log, 0, head) ||
		    reverse_ubuf(log, head, log->len_total))
			log->ubuf = NULL;
	}
	*true_size = log->len_max;
	if (!!log->ubuf != !!log->len_total)
		return -EFAULT;
	if (log->ubuf && log->len_max > log->len_total)
		return -ENOSPC;
	return 0;
}
