/* SPDX-License-Identifier: MIT */
/*
 * What the helper files (emu/prog/helpers/ *.c) share: the shape of a helper, the run-time checks
 * of its arguments, and the function table (table.c) each file contributes to.
 *
 * A helper is `uint64_t fn(struct emu_run *run, r1..r5)` with the kernel's semantics for a
 * program the verifier accepted. The verifier's guarantees (a map argument is a map, memory
 * arguments are readable or writable for their size) are checked again here as a backstop: a
 * helper given what the verifier would have refused stops the run (emu_run_abort: -EFAULT for
 * memory, -EINVAL otherwise) instead of touching memory outside the program's regions.
 */
#ifndef BPFEMU_PROG_HELPERS_HELPERS_H
#define BPFEMU_PROG_HELPERS_HELPERS_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../core/map.h"
#include "../../uapi/bpf_uapi.h"
#include "../env.h"
#include "../helper.h"
#include "../interp.h"

#define HELPER(name)                                                                               \
	uint64_t emu_helper_##name(struct emu_run *run, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, \
				   uint64_t r5)
#define UNUSED_ARGS5() ((void)r1, (void)r2, (void)r3, (void)r4, (void)r5)

/* The helpers' functions, by file. table.c binds them to ids. */
#define EMU_HELPER_FNS(X)                                                                          \
	/* map.c */ X(map_lookup_elem) X(map_update_elem) X(map_delete_elem) X(map_push_elem)        \
	X(map_pop_elem) X(map_peek_elem) X(for_each_map_elem)                                      \
	/* loop.c */ X(loop)                                                                       \
	/* time.c */ X(ktime_get_ns) X(ktime_get_boot_ns) X(ktime_get_coarse_ns) X(jiffies64)        \
	/* task.c */ X(get_prandom_u32) X(get_smp_processor_id) X(get_numa_node_id)                 \
	X(get_current_pid_tgid) X(get_current_uid_gid) X(get_current_comm)                          \
	/* printk.c */ X(trace_printk) X(snprintf)                                                 \
	/* lock.c */ X(spin_lock) X(spin_unlock)                                                   \
	/* pkt.c */ X(xdp_adjust_head) X(xdp_adjust_tail) X(xdp_adjust_meta) X(skb_load_bytes)      \
	X(skb_store_bytes) X(redirect) X(redirect_map)                                             \
	/* csum.c */ X(l3_csum_replace) X(l4_csum_replace) X(csum_diff)                            \
	/* str.c */ X(strncmp) X(probe_read_kernel) X(probe_read_user) X(probe_read_kernel_str)     \
	X(probe_read_user_str)                                                                     \
	/* ringbuf.c */ X(ringbuf_output) X(ringbuf_reserve) X(ringbuf_submit) X(ringbuf_discard)   \
	X(ringbuf_query) X(ringbuf_reserve_dynptr) X(ringbuf_submit_dynptr) X(ringbuf_discard_dynptr)  \
	X(user_ringbuf_drain)                                                                      \
	/* dynptr.c */ X(dynptr_from_mem) X(dynptr_read) X(dynptr_write) X(dynptr_data)             \
	/* attach.c */ X(get_attach_cookie)

#define X(n) HELPER(n);
EMU_HELPER_FNS(X)
#undef X

/* Stops the run: a helper was given what the verifier would have refused. Returns 0 (the value
 * the helper returns; the run ends with err anyway). */
uint64_t emu_helper_fail(struct emu_run *run, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The map a map argument names, or NULL with the run stopped. */
struct emu_map *emu_helper_map(struct emu_run *run, uint64_t arg, const char *helper);

/* p .. p + n is memory the program may read (write), or the run is stopped (false). */
bool emu_helper_mem(struct emu_run *run, uint64_t p, uint64_t n, uint32_t access, const char *helper,
		    const char *what);

/* The bytes of the NUL-terminated string at p the program may read: its length with the NUL, at
 * most max; 0 if p is not readable at all or no NUL comes within max readable bytes. */
uint32_t emu_helper_strlen(struct emu_run *run, uint64_t p, uint32_t max);

/* The region flags a program gets for a value of m: BPF_F_RDONLY_PROG / WRONLY_PROG honoured. */
uint32_t emu_helper_value_access(const struct emu_map *m);

#endif
