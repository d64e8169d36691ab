/* SPDX-License-Identifier: MIT */
/*
 * The user's live objects, across processes (core/objstore.c): what the kernel's IDRs and reference
 * counts are for it. Every object file made in the bpffs root is linked into a registry directory
 * under its kind and id, so any of the user's processes finds it by id (GET_NEXT_ID,
 * GET_FD_BY_ID); an object that holds another (a program its maps, a map-in-map its inner maps,
 * a program array its programs) keeps it alive with a hold link; a collection pass unlinks what no
 * process has open, no pin names and no live object holds, as the kernel frees an object whose
 * last reference went.
 *
 * Objects made where no registry can be (a memory file, when the bpffs root is unusable) stay
 * visible to the process holding them only, as before.
 */
#ifndef BPFEMU_CORE_OBJSTORE_H
#define BPFEMU_CORE_OBJSTORE_H

#include <stdbool.h>
#include <stdint.h>

#include "state.h" /* enum emu_id_kind */

/* The registry's directory, in the bpffs root (not a pin: bpfemu-run --clean leaves it). */
#define EMU_OBJSTORE_DIR ".bpfemu-objects"

/* Enter the object fd names (just made, with its id) in the registry. 0, or -errno (the object
 * then works, visible to its own process only). Runs a collection now and then (every 64). */
int emu_objstore_register(int fd, enum emu_id_kind kind, uint32_t id);
/* A new fd (O_CLOEXEC | flags' access mode) of the registered object kind/id, or -ENOENT. */
int emu_objstore_open(enum emu_id_kind kind, uint32_t id, int flags);
/* The same, for a live object only: one no process has open, no pin and no live holder keeps is
 * gone (its registration collected), as the kernel's object is gone at its last reference.
 * Cheap when the object is pinned or open in this process; else a scan of /proc. */
int emu_objstore_open_live(enum emu_id_kind kind, uint32_t id, int flags);
/* Open and close the registered object kind/id, which is an inotify IN_OPEN event on its file
 * for whoever watches it (the ring buffers' wakeups, maps/ringbuf.h). 0 or -errno. */
int emu_objstore_touch(enum emu_id_kind kind, uint32_t id);
/* The smallest live id of kind above start: 0 and *next, or -ENOENT. From start 0 (a listing
 * begins) it collects first, so the listing is of live objects only. */
int emu_objstore_next_id(enum emu_id_kind kind, uint32_t start, uint32_t *next);

/*
 * Holds: holder (hkind, hid) keeps (kind, id) alive. tag tells several holds of one holder apart
 * (a map-in-map's slot); a hold is made before the holder refers to the object and released after
 * it stops, so a holder killed in between leaves one hold too many (freed with the holder), never
 * a reference to a freed object.
 */
int emu_objstore_hold(enum emu_id_kind hkind, uint32_t hid, enum emu_id_kind kind, uint32_t id, uint32_t tag);
int emu_objstore_release(enum emu_id_kind hkind, uint32_t hid, enum emu_id_kind kind, uint32_t id, uint32_t tag);

/* Visit every registered object: fn gets a read-only fd of it (closed after) and the path it was
 * opened by; returning false stops the walk. */
void emu_objstore_visit(bool (*fn)(void *arg, int fd, const char *path), void *arg);

/* One collection pass (see the top of objstore.c). */
void emu_objstore_collect(void);

#endif
