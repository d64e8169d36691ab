/* SPDX-License-Identifier: MIT */
/*
 * Every emulated object is a file whose first 8 bytes say what it is (DESIGN: every object is a
 * file, like maps): its fd is the object's fd, so dup, fork, SCM_RIGHTS and pins need nothing of ours.
 */
#ifndef BPFEMU_CORE_OBJECT_H
#define BPFEMU_CORE_OBJECT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "btf_obj.h" /* EMU_BTFOBJ_MAGIC */
#include "map.h"     /* EMU_MAGIC */

#define EMU_PROG_MAGIC 0x31676f7270756570ULL /* "peuprog1" */
/* the state directory's stats file (core/prog_obj.c): an fd of it is a BPF_ENABLE_STATS fd */
#define EMU_STATS_MAGIC 0x3174617473756570ULL /* "peustat1" */

/* The magic at the start of the file fd names, 0 if none (read through a fresh open file
 * description, so write-only and O_PATH fds can be asked too). */
uint64_t emu_fd_magic(int fd);
bool emu_is_object_fd(int fd); /* a map or a program: what can be pinned (not BTF) */
bool emu_is_prog_fd(int fd);
bool emu_is_btf_fd(int fd);
bool emu_is_stats_fd(int fd);

/*
 * What kind of object the file fd names, for a front end that is about to do a file operation on
 * it; st is the caller's fstat() of fd. No syscall for a file that is not regular or not on a file
 * system object files are made on (the bpffs root's, memory files'), none for a map this process
 * holds; a read of the file's first 8 bytes otherwise. Objects whose file lies elsewhere (a root
 * configured differently in the process that made them) are not recognised.
 */
#ifndef EMU_OBJ_KIND_DEFINED
#define EMU_OBJ_KIND_DEFINED
enum emu_obj_kind { EMU_OBJ_NONE = 0, EMU_OBJ_MAP, EMU_OBJ_PROG, EMU_OBJ_BTF, EMU_OBJ_STATS };
#endif
int emu_fd_object_kind(int fd, const struct stat *st);

#endif
