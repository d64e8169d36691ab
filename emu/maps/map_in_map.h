/* SPDX-License-Identifier: MIT */
/*
 * What the families whose values are other objects share (maps/map_in_map.c, maps/fd_array.c):
 * the inner map template of the map-in-map types (kernel/bpf/map_in_map.c), the value fd a user
 * passes turned into the object it names, and the holds (core/objstore.h) that keep an element's
 * object alive as the kernel's reference does.
 */
#ifndef BPFEMU_MAPS_MAP_IN_MAP_H
#define BPFEMU_MAPS_MAP_IN_MAP_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/map.h"

/* bpf_map_meta_alloc's copy of the inner map: what an update's map must match */
struct emu_inner_tmpl {
	uint32_t map_type, key_size, value_size, map_flags, max_entries;
	uint32_t nr_fields;
	struct emu_map_field fields[EMU_MAP_FIELDS_MAX];
};
_Static_assert(sizeof(struct emu_inner_tmpl) <= sizeof(((struct emu_create *)0)->fam), "the template fits");

/* MAP_CREATE's inner_map_fd made a template (into c->fam): 0, -EBADF, -EINVAL (not a map, or a
 * map-in-map itself), -ENOTSUPP (a type without map_meta_equal). */
int emu_inner_tmpl_make(struct emu_create *c);

/* The template in outer's file, copied once and checked (a type the emulator has that may be an
 * inner map, the fields within bounds): true and *out, or false for a damaged one. */
bool emu_inner_tmpl_load(const struct emu_inner_tmpl *file, struct emu_inner_tmpl *out);

/* The map an update's value fd names (the caller's fd), matched against outer's template (file, in
 * outer's file): 0 and its id, -EBADF, -EINVAL (no map, or one the template does not take),
 * -EUCLEAN (the template is damaged). */
int emu_inner_resolve(struct emu_map *outer, const struct emu_inner_tmpl *file, uint32_t ufd, uint32_t *id);

/* An element now holds (kind, id): a hold of the outer map (outer_id) on it, tagged with tag,
 * made before the element names it; and let go after it no longer does. Errors are ignored: an
 * object made where no registry is (a memory file) cannot be held, and lives as its fds say. */
void emu_elem_hold(uint32_t outer_id, int kind, uint32_t id, uint32_t tag);
void emu_elem_release(uint32_t outer_id, int kind, uint32_t id, uint32_t tag);

#endif
