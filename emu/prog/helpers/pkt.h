/* SPDX-License-Identifier: MIT */
/* Packet state shared by the packet helpers (pkt.c) and the test runs that build packets. */
#ifndef BPFEMU_PROG_HELPERS_PKT_H
#define BPFEMU_PROG_HELPERS_PKT_H

#include <stdbool.h>
#include <stdint.h>

#include "../env.h"

/* Puts the run's packet regions at [meta, data) and [data, end) (either may be empty), replacing
 * the ones rg recorded; 0 or -ENOMEM. */
int emu_pkt_regions(struct emu_run *run, struct emu_pkt_rg *rg, uint8_t *meta, uint8_t *data, uint8_t *end,
		    bool writable);

/* xdp_get_buff_len: the linear part and, with frags, their bytes */
uint32_t emu_xdp_buff_len(const struct emu_xdp_buff *x);

#endif
