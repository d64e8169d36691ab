/* SPDX-License-Identifier: MIT */
/*
 * Every emulated object is a file whose first 8 bytes say what it is (DESIGN: every object is a
 * file, like maps): its fd is the object's fd, so dup, fork, SCM_RIGHTS and pins need nothing of ours.
 */
#ifndef BPFEMU_CORE_OBJECT_H
#define BPFEMU_CORE_OBJECT_H

#include <stdbool.h>
#include <stdint.h>

#include "btf_obj.h" /* EMU_BTFOBJ_MAGIC */
#include "map.h"     /* EMU_MAGIC */

#define EMU_PROG_MAGIC 0x31676f7270756570ULL /* "peuprog1" */

/* The magic at the start of the file fd names, 0 if none (read through a fresh open file
 * description, so write-only and O_PATH fds can be asked too). */
uint64_t emu_fd_magic(int fd);
bool emu_is_object_fd(int fd); /* a map or a program: what can be pinned (not BTF) */
bool emu_is_prog_fd(int fd);
bool emu_is_btf_fd(int fd);

#endif
