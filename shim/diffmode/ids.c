/* SPDX-License-Identifier: MIT */
/*
 * Differential mode: ids. Ids differ between the two worlds by design; each emulated object's id
 * is paired with its twin's when the twin is made (mirror.c), so ids inside answers (a program's
 * map ids, an of-map's inner map ids) are compared through the pairs. Also each side's
 * OBJ_GET_INFO_BY_FD into a private buffer, which the pairs are made from.
 */
#include "diffmode.h"

/* ---- ids: an emulated object's id and its twin's, for as long as the process runs (an object
 * outlives its fds: a program holds its maps) ---- */

struct idpair {
	int kind;
	uint32_t eid, kid;
};
static struct idpair *idpairs;
static size_t nidpairs, idpairs_cap;

void dm_id_pair(int kind, uint32_t eid, uint32_t kid)
{
	if (!eid || !kid)
		return;
	for (size_t i = 0; i < nidpairs; i++)
		if (idpairs[i].kind == kind && idpairs[i].eid == eid) {
			idpairs[i].kid = kid;
			return;
		}
	if (dm_grow(&idpairs, &idpairs_cap, nidpairs, sizeof(*idpairs)))
		idpairs[nidpairs++] = (struct idpair){ kind, eid, kid };
}

uint32_t dm_id_e2k(int kind, uint32_t eid)
{
	for (size_t i = 0; i < nidpairs; i++)
		if (idpairs[i].kind == kind && idpairs[i].eid == eid)
			return idpairs[i].kid;
	return 0;
}

uint32_t dm_id_k2e(int kind, uint32_t kid)
{
	for (size_t i = 0; i < nidpairs; i++)
		if (idpairs[i].kind == kind && idpairs[i].kid == kid)
			return idpairs[i].eid;
	return 0;
}

/* OBJ_GET_INFO_BY_FD into a private buffer, on the kernel (kfd) or the emulator (efd): 0 or -errno. */
long dm_info(bool kernel, int fd, void *buf, uint32_t len)
{
	memset(buf, 0, len);
	return dm_info_asked(kernel, fd, buf, len);
}

long dm_info_asked(bool kernel, int fd, void *buf, uint32_t len)
{
	struct emu_attr a;

	memset(&a, 0, sizeof(a));
	attr_set_u32(&a, INFO_FD, (uint32_t)fd);
	attr_set_u32(&a, INFO_LEN, len);
	memcpy(a.b + INFO_PTR, &(uint64_t){ (uintptr_t)buf }, 8);
	if (kernel)
		return dm_kbpf(EMU_BPF_OBJ_GET_INFO_BY_FD, a.b, EMU_ATTR_SIZE);
	a.len = INFO_END;
	return dm_emu_private(EMU_BPF_OBJ_GET_INFO_BY_FD, &a, (union bpf_attr *)(void *)a.b);
}

/* An object's id on one side (its info's id field), 0 if it cannot be had. */
uint32_t dm_obj_id(bool kernel, int fd, int kind)
{
	unsigned char info[PI_SIZE];
	uint32_t id, len = kind == OBJ_MAP ? MI_SIZE : kind == OBJ_PROG ? PI_SIZE : BI_SIZE;
	unsigned off = kind == OBJ_BTF ? BI_ID : MI_ID; /* PI_ID is MI_ID */

	if (dm_info(kernel, fd, info, len))
		return 0;
	memcpy(&id, info + off, 4);
	return id;
}
