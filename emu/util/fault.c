/* SPDX-License-Identifier: MIT */
/*
 * Fault injection for tests: a differential checker that never reports anything might be
 * checking nothing. BPFEMU_FAULT names the mistakes to make (comma-separated):
 *
 *   getnext-skip   hash GET_NEXT_KEY skips one element (order and contents of a walk differ)
 *   delete-errno   DELETE of a missing key answers EINVAL instead of ENOENT
 *   lookup-byte    LOOKUP flips the last byte of the value it returns
 *   btf-vlen       BPF_BTF_LOAD accepts an INT type with a non-zero vlen
 *   btf-var-linkage  BPF_BTF_LOAD refuses a global VAR ("Linkage not supported"): every object with
 *                  global data fails to load (bpfemu-run --diff on the skeleton, tests/diffmode)
 *   helper-update-errno  bpf_map_update_elem with BPF_NOEXIST answers -EEXIST for a new key and
 *                  stores nothing (--diff's map comparison after a TEST_RUN)
 *   interp-alu     the interpreter flips one bit of one ALU result
 *   inline-array-bound  an inlined array lookup (emu/prog/inline_lookup.h) lets index
 *                  max_entries through its bound check (tests/diff/diff_arrlookup)
 *   region-hint-value  a load that a site's region hint admits (emu/prog/mem_fast.h:
 *                  emu_hint_hit) returns its value with the low bit flipped (tests/diff/diff_prog)
 *   map-btf-id     map info reports a btf_id one past the map's BTF (tests/diff/diff_btfobj)
 *   fdops-errno    read() of a map fd answers EBADF instead of EINVAL (the preload; tests/e2e/fdops.sh)
 *   helper-csum    bpf_csum_diff's result has one bit flipped (tests/diff/diff_prog)
 *   check-oob      the program checker lets a map value access run one byte past the end
 *   prog-info-id   program info reports an id one past the program's (tests/diff/diff_progobj)
 *   lpm-match      an LPM trie finds one more matching bit than there is (a wrong longest match)
 *   xdp-headroom   the XDP headroom a program uncovers (bpf_xdp_adjust_head/meta) is not cleared:
 *                  it shows what an earlier run left in the thread's arena (tests/diff/diff_testrun_cmd)
 *   inner-map-null a program's lookup in an ARRAY_OF_MAPS / HASH_OF_MAPS finds no inner map
 *                  (tests/diff/diff_fdprogs)
 *   urb-drain-count  bpf_user_ringbuf_drain (from programs) answers one sample fewer than it drained
 *                  (tests/diff/diff_urdrain)
 *   prog-map-ids   program info lists the program's maps in reverse order (bpfemu-run --diff
 *                  compares them through the pairs of ids: tests/diffmode skel)
 *   ofmap-id       a syscall lookup in an ARRAY_OF_MAPS / HASH_OF_MAPS answers the inner map's id
 *                  plus one (bpfemu-run --diff compares ids through the pairs: tests/diffmode)
 *   progarray-id   a syscall lookup in a PROG_ARRAY answers the program's id plus one (the same)
 *   ringbuf-len    a submitted ring buffer record's length is 8 more than was reserved (--diff's
 *                  comparison of the records after a run: tests/diffmode)
 *   bloom-push-bit a bloom filter's push leaves its last hash's bit unset (peeks of pushed
 *                  values miss: tests/diffmode)
 *   superv-short-write  the seccomp supervisor reports a write into the program's memory that
 *                  stopped at a fault as done (no EFAULT)
 *   superv-fd-as-is     the seccomp supervisor leaves the attr's fd fields untranslated
 *   superv-mmap-offset  the supervisor makes a program's mapping of an mmapable array at the
 *                  offset the program asked for (the map file's header, not its values)
 *   superv-mmap-regs    ... and leaves the registers it changed for that as it changed them
 *   superv-mmap-rw-fd   ... and makes a read-only mapping from the program's read-write fd
 *   superv-mmap-fd-left ... or from a read-only copy it leaves open in the program
 *   superv-ring-seg-offset  ... and maps a ring's second copy of its data from the first part's
 *                  offset (records across the ring's end read wrong)
 *   superv-epoll-no-edge  the supervisor never makes a ring's epoll stand-in ready (waits time out)
 *   superv-freeze-unseen  the supervisor does not mark a map its program maps writable (FREEZE
 *                  does not look for the mapping: no EBUSY)
 *   superv-no-user-notif, superv-no-addfd-send  bpfemu-run --seccomp acts as on a kernel without
 *                  seccomp user notification (before 5.0), or without SECCOMP_ADDFD_FLAG_SEND (5.14)
 *   attach-type-table  a CGROUP_SOCK_ADDR program loads with expected attach type
 *                  CGROUP_UNIX_RECVMSG refused (EINVAL), as if the attach table lacked it
 *                  (tests/diff/diff_attach_types)
 *   mapfile-nocheck  a hash bucket walk follows a link past the element pool instead of
 *                  refusing it (the map-file fuzzer's self-test must find the crash)
 *   progfile-nocheck a program file's instruction section is taken where its header says
 *                  (core/prog_file.c: insns_off unchecked; tests/progfile's self-test must find
 *                  the crash)
 *
 * This file is compiled only with -DBPFEMU_FAULT_INJECTION=ON, into test builds; the release
 * library has neither the switch nor the mistakes.
 */
#ifndef BPFEMU_FAULT_INJECTION
#error "fault.c belongs to test builds only (-DBPFEMU_FAULT_INJECTION=ON)"
#endif
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/compiler.h"
#include "diag.h"

static char faults[256];
static pthread_once_t faults_once = PTHREAD_ONCE_INIT;

static void faults_init(void)
{
	const char *f = getenv("BPFEMU_FAULT");

	if (!f || !*f)
		return;
	snprintf(faults, sizeof(faults), ",%s,", f);
	emu_diag("fault injection on: %s (a test build: answers are deliberately wrong)", f);
}

bool emu_fault(const char *name)
{
	char want[64];

	pthread_once(&faults_once, faults_init);
	if (!faults[0])
		return false;
	snprintf(want, sizeof(want), ",%s,", name);
	return strstr(faults, want) != NULL;
}
