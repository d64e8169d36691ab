/* SPDX-License-Identifier: MIT */
/*
 * What fuzz_maps.c shares with its program and BTF operations (fuzz_progs.c): the input, the live
 * map slots, and the stop at the first divergence.
 */
#ifndef BPFEMU_FUZZ_MAPS_H
#define BPFEMU_FUZZ_MAPS_H

#include <stdbool.h>
#include <stdint.h>

#include "harness.h"

uint8_t fz_u8(void);   /* the next input byte (0 past the end) */
uint32_t fz_u32(void);
const struct hx_pair *fz_map(int slot); /* a live map slot (0..3), or NULL */
int fz_devnull(void);  /* an fd that is no bpf object, the same on both sides */
void fz_set_op(const char *name); /* what a divergence report names */
const char *fz_op(void);
void fz_run(struct hx_op *op);    /* through the harness; stops at a divergence */
void fz_check(void);              /* stops (abort) if a divergence was counted */

/* fuzz_progs.c */
void fz_prog_op(void);
void fz_progs_reset(void);

#endif
