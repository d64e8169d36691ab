/* SPDX-License-Identifier: MIT */
/*
 * The per-process registry (core/registry.c), private to core/: a file's identity (st_dev,
 * st_ino) to this process's view of the map in it.
 */
#ifndef BPFEMU_CORE_REGISTRY_H
#define BPFEMU_CORE_REGISTRY_H

#include <stdbool.h>
#include <sys/stat.h>

#include "map.h"

/* Enter a map file this process just mapped and checked (its view): 0 and *out, or -ENOMEM (the
 * caller unmaps). */
int emu_registry_add(dev_t dev, ino_t ino, const struct emu_map *view, struct emu_map **out);
/* Forget a map this process registered but will not hand out (a failed create); unmaps it. */
void emu_registry_remove(struct emu_map *m);

/* Whether this process has the map file (dev, ino) mapped (a view in the registry). */
bool emu_registry_known(dev_t dev, ino_t ino);

/* core/map_file.c: check that an fd's file is a map file of ours, map it and fill its view (the
 * shape checked and copied: see struct emu_map); -EINVAL if it is none or its header is wrong */
int emu_map_file_open(int fd, const struct stat *st, struct emu_map *view);

#endif
