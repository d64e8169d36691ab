/* SPDX-License-Identifier: MIT */
/*
 * The emulated bpf(2): the syscall's handling of attr and size, then the command table. Each
 * command is a function of its own (cmds.h says which file); this file owns what the kernel's
 * __sys_bpf owns: copying the attr, CHECK_ATTR (the bytes past a command's last field must be
 * zero, checked here once for every command, before it runs), and the answer for commands the
 * emulator does not implement.
 */
#define _GNU_SOURCE
#include <stdlib.h>

#include "../core/fdcache.h"
#include "../core/fdroom.h"
#include "../core/map.h"
#include "../uaccess/uaccess.h"
#include "../util/compiler.h"
#include "../util/diag.h"
#include "bpf.h"
#include "cmds.h"

/*
 * The command table: each command's function, the end of its last attr field on 6.18 (CHECK_ATTR),
 * and whether it returns a new fd. Expanded into emu_bpf_dispatch()'s switch, so each command is a
 * direct call after a tail check whose offset is a constant (a table of function pointers cost a
 * lookup twenty instructions, about 4%).
 */
#define NEW_FD true
#define NO_FD false
#define EMU_COMMANDS(X)                                                                             \
	X(EMU_BPF_MAP_CREATE, emu_cmd_map_create, MC_END, NEW_FD)                                   \
	X(EMU_BPF_MAP_LOOKUP_ELEM, emu_cmd_map_lookup, EL_END, NO_FD)                               \
	X(EMU_BPF_MAP_UPDATE_ELEM, emu_cmd_map_update, EL_END, NO_FD)                               \
	X(EMU_BPF_MAP_DELETE_ELEM, emu_cmd_map_delete, EL_VALUE, NO_FD)                             \
	X(EMU_BPF_MAP_GET_NEXT_KEY, emu_cmd_map_get_next_key, EL_FLAGS, NO_FD)                      \
	X(EMU_BPF_MAP_LOOKUP_AND_DELETE_ELEM, emu_cmd_map_lookup_and_delete, EL_END, NO_FD)         \
	X(EMU_BPF_MAP_FREEZE, emu_cmd_map_freeze, FREEZE_END, NO_FD)                                \
	X(EMU_BPF_MAP_LOOKUP_BATCH, emu_cmd_map_lookup_batch, BA_END, NO_FD)                        \
	X(EMU_BPF_MAP_LOOKUP_AND_DELETE_BATCH, emu_cmd_map_lookup_and_delete_batch, BA_END, NO_FD)  \
	X(EMU_BPF_MAP_UPDATE_BATCH, emu_cmd_map_update_batch, BA_END, NO_FD)                        \
	X(EMU_BPF_MAP_DELETE_BATCH, emu_cmd_map_delete_batch, BA_END, NO_FD)                        \
	X(EMU_BPF_OBJ_GET_INFO_BY_FD, emu_cmd_obj_get_info, INFO_END, NO_FD)                        \
	X(EMU_BPF_OBJ_PIN, emu_cmd_obj_pin, PIN_END, NO_FD)                                         \
	X(EMU_BPF_OBJ_GET, emu_cmd_obj_get, PIN_END, NEW_FD)                                        \
	X(EMU_BPF_MAP_GET_NEXT_ID, emu_cmd_map_get_next_id, ID_GET_NEXT_END, NO_FD)                 \
	X(EMU_BPF_MAP_GET_FD_BY_ID, emu_cmd_map_get_fd_by_id, ID_GET_FD_END, NEW_FD)                \
	X(EMU_BPF_PROG_GET_NEXT_ID, emu_cmd_prog_get_next_id, ID_GET_NEXT_END, NO_FD)               \
	X(EMU_BPF_PROG_GET_FD_BY_ID, emu_cmd_prog_get_fd_by_id, ID_PROG_GET_FD_END, NEW_FD)         \
	X(EMU_BPF_PROG_LOAD, emu_cmd_prog_load, PL_END, NEW_FD)                                     \
	X(EMU_BPF_BTF_LOAD, emu_cmd_btf_load, BTF_END, NEW_FD)                                      \
	X(EMU_BPF_BTF_GET_FD_BY_ID, emu_cmd_btf_get_fd_by_id, ID_BTF_GET_FD_END, NEW_FD)            \
	X(EMU_BPF_BTF_GET_NEXT_ID, emu_cmd_btf_get_next_id, ID_GET_NEXT_END, NO_FD)                 \
	X(EMU_BPF_PROG_ATTACH, emu_cmd_prog_attach, AT_END, NO_FD)                                  \
	X(EMU_BPF_PROG_DETACH, emu_cmd_prog_detach, AT_END, NO_FD)                                  \
	X(EMU_BPF_RAW_TRACEPOINT_OPEN, emu_cmd_raw_tracepoint_open, RT_END, NEW_FD)                 \
	X(EMU_BPF_LINK_CREATE, emu_cmd_link_create, LC_END, NEW_FD)                                 \
	X(EMU_BPF_LINK_UPDATE, emu_cmd_link_update, LU_END, NO_FD)                                  \
	X(EMU_BPF_LINK_GET_FD_BY_ID, emu_cmd_link_get_fd_by_id, ID_PROG_GET_FD_END, NEW_FD)         \
	X(EMU_BPF_LINK_GET_NEXT_ID, emu_cmd_link_get_next_id, ID_GET_NEXT_END, NO_FD)               \
	X(EMU_BPF_ENABLE_STATS, emu_cmd_enable_stats, ES_END, NEW_FD)                               \
	X(EMU_BPF_ITER_CREATE, emu_cmd_iter_create, IC_END, NEW_FD)                                 \
	X(EMU_BPF_LINK_DETACH, emu_cmd_link_detach, LD_END, NO_FD)                                  \
	X(EMU_BPF_PROG_BIND_MAP, emu_cmd_prog_bind_map, BM_END, NO_FD)                              \
	X(EMU_BPF_PROG_TEST_RUN, emu_cmd_prog_test_run, TR_END, NO_FD)

bool emu_can_write(const struct emu_map *m, int accmode)
{
	return (accmode == 1 /* O_WRONLY */ || accmode == 2 /* O_RDWR */) &&
	       !__atomic_load_n(&m->hdr->frozen, __ATOMIC_ACQUIRE);
}

bool emu_obj_name_ok(const char *name)
{
	for (unsigned i = 0; i < EMU_OBJ_NAME_LEN; i++) {
		char c = name[i];

		if (!c)
			return true;
		/* the kernel's isalnum() is Latin-1: letters 0xc0-0xff (but not × and ÷) pass too */
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' ||
		      ((unsigned char)c >= 0xc0 && (unsigned char)c != 0xd7 && (unsigned char)c != 0xf7)))
			return false;
	}
	return false; /* no terminating NUL within the field */
}

static int not_emulated(int cmd)
{
	static bool said[EMU_BPF_NR_CMDS];

	emu_diag_once(&said[cmd], "command %s (%u) is not emulated: EOPNOTSUPP", emu_cmd_name(cmd), (unsigned)cmd);
	return -EOPNOTSUPP;
}

/* The front end's interest in every new object fd (the preload's file-operation hints). */
static void (*new_fd_hook)(int fd);

void emu_set_new_fd_hook(void (*fn)(int fd))
{
	new_fd_hook = fn;
}

/* A command that returns a new fd runs with room for the emulator's own fds (core/fdroom.c): at
 * the caller's fd limit with one fd free it still gets its fd, the lowest free one. The new fd
 * may reuse the number of one closed behind the fd cache's back (the in-process API sees no
 * close()): whatever the cache said of that number is forgotten. */
__attribute__((noinline)) static int new_fd(emu_cmd_fn *fn, struct emu_attr *a, union bpf_attr *uattr)
{
	struct emu_fd_room room;
	int fd;

	emu_fd_room_open(&room);
	fd = emu_fd_room_close(&room, fn(a, uattr));
	if (fd >= 0) {
		emu_fdcache_forget(fd);
		if (new_fd_hook)
			new_fd_hook(fd);
	}
	return fd;
}

#define DISPATCH(nr, fn, attr_end, returns_fd)                                                      \
	case nr:                                                                                    \
		if (!emu_attr_tail_zero(a, attr_end))                                               \
			return -EINVAL;                                                             \
		return returns_fd ? new_fd(fn, a, uattr) : fn(a, uattr);

int emu_bpf_dispatch(int cmd, struct emu_attr *a, union bpf_attr *uattr)
{
	switch (cmd) {
		EMU_COMMANDS(DISPATCH)
	default:
		if (cmd < 0 || cmd >= EMU_BPF_NR_CMDS)
			return -EINVAL;
		return not_emulated(cmd);
	}
}

/* Bytes past the union must be zero. Out of line: its page-sized buffer would otherwise cost
 * every call a stack frame that large. */
static __attribute__((noinline)) int check_attr_tail(const union bpf_attr *uattr, unsigned int size)
{
	unsigned char tail[EMU_PAGE_SIZE];
	/* an integer: the attr may be NULL or wild, which only the copy may find out */
	uintptr_t p = (uintptr_t)uattr + EMU_ATTR_SIZE;
	unsigned n = size - EMU_ATTR_SIZE;

	/* The kernel scans the tail upward and stops at the first non-zero byte, so a non-zero
	 * byte before an unreadable page is E2BIG, not EFAULT: scan page by page. */
	while (n) {
		unsigned chunk = EMU_PAGE_SIZE - (unsigned)(p & (EMU_PAGE_SIZE - 1));

		if (chunk > n)
			chunk = n;
		if (emu_copy_from_user(tail, (const void *)p, chunk))
			return -EFAULT;
		for (unsigned i = 0; i < chunk; i++)
			if (tail[i])
				return -E2BIG;
		p += chunk;
		n -= chunk;
	}
	return 0;
}

/* The syscall's own handling of attr and size, before any command sees it. */
int emu_bpf_copy_attr(struct emu_attr *a, const union bpf_attr *uattr, unsigned int size)
{
	/* Not a memset: the compiler makes that a `rep stos`, which takes ~30 cycles to start, a
	 * tenth of a whole lookup. Stores of a zero it cannot see are no memset to it; 16 bytes at
	 * a time halves their number. */
	typedef uint64_t v2u64 __attribute__((vector_size(16)));
	v2u64 z = { 0, 0 };
	unsigned i;

#ifdef __x86_64__
	__asm__("" : "+x"(z));
#endif
	/* unrolled: the loop's own compare and branch were half its instructions */
#pragma GCC unroll 16
	for (i = 0; i + 16 <= EMU_ATTR_SIZE; i += 16)
		memcpy(a->b + i, &z, 16);
	for (; i < EMU_ATTR_SIZE; i += 8)
		memcpy(a->b + i, &z, 8);
	a->len_known = false;
	a->len = 0;
	if (size > EMU_PAGE_SIZE)
		return -E2BIG;
	if (size > EMU_ATTR_SIZE) {
		int err = check_attr_tail(uattr, size);

		if (err)
			return err;
		size = EMU_ATTR_SIZE;
	}
	a->len_known = true;
	a->len = size;
	return emu_copy_from_user(a->b, uattr, size);
}

void (*emu_api_guard)(int delta);

void emu_set_api_guard(void (*fn)(int delta))
{
	emu_api_guard = fn;
}

/* The library's bpf(2) (include/bpfemu/bpfemu.h), here beside the attr copy it inlines. */
EMU_API int bpfemu_bpf(int cmd, union bpf_attr *attr, unsigned int size)
{
	EMU_API_GUARDED(int, emu_bpf_call(cmd, attr, size));
}
