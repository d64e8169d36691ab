/* SPDX-License-Identifier: MIT */
/* Whether memory for a new map can be had without waking an OOM killer (core/memavail.c). */
#ifndef BPFEMU_CORE_MEMAVAIL_H
#define BPFEMU_CORE_MEMAVAIL_H

#include <stdbool.h>
#include <stdint.h>

/* bytes fit in MemAvailable and under the caller's memory cgroup limits (v1 or v2) */
bool emu_memory_for(uint64_t bytes);

#endif
