/* SPDX-License-Identifier: MIT */
/*
 * BPF_BTF_LOAD's part after the command layer's checks (CHECK_ATTR, btf_flags, the token and
 * CAP_BPF), in btf_parse()'s order: btf_size above 16 MiB is -E2BIG before anything else, bad
 * log attrs -EINVAL with nothing written, then the blob is copied in (-EFAULT), parsed, and the
 * log finalized whatever the outcome: log_true_size written back when the caller's attr covers
 * it, and -ENOSPC (log cut) or -EFAULT (log or attr not writable) replacing the parse's answer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "btf_internal.h"
#include "../uaccess/uaccess.h"
#include "../uapi/bpf_uapi.h"

static uint32_t rd32(const unsigned char *attr, unsigned off)
{
	uint32_t v;

	memcpy(&v, attr + off, 4);
	return v;
}

static int finalize(struct emu_vlog *log, void *uattr, uint32_t uattr_size)
{
	uint32_t true_size;
	int err = emu_vlog_finalize(log, &true_size);

	if (uattr_size >= BTF_LOG_TRUE_SIZE + 4 &&
	    emu_copy_to_user((unsigned char *)uattr + BTF_LOG_TRUE_SIZE, &true_size, 4))
		err = -EFAULT;
	return err;
}

int emu_btf_load_attr(const unsigned char *attr, void *uattr, uint32_t uattr_size, struct emu_btf **out)
{
	uint64_t blob_ptr, log_ptr;
	uint32_t size = rd32(attr, BTF_SIZE);
	struct emu_vlog log;
	struct emu_btf *btf = NULL;
	void *blob;
	int err, ret;

	*out = NULL;
	if (size > EMU_BTF_MAX_SIZE)
		return -E2BIG;
	memcpy(&blob_ptr, attr + BTF_BLOB, 8);
	memcpy(&log_ptr, attr + BTF_LOG_BUF, 8);
	err = emu_vlog_init(&log, rd32(attr, BTF_LOG_LEVEL), log_ptr, rd32(attr, BTF_LOG_SIZE));
	if (err)
		return err;
	blob = malloc(size ? size : 1);
	if (!blob) {
		err = -ENOMEM;
	} else if (emu_copy_from_user(blob, (const void *)(uintptr_t)blob_ptr, size)) {
		err = -EFAULT;
	} else {
		err = emu_btf_parse(blob, size, &log, &btf);
	}
	free(blob);
	if (!err) {
		err = finalize(&log, uattr, uattr_size);
		if (err) {
			emu_btf_free(btf);
			return err;
		}
		*out = btf;
		return 0;
	}
	ret = finalize(&log, uattr, uattr_size);
	return ret ? ret : err;
}
