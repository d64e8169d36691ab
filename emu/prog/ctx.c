/* SPDX-License-Identifier: MIT */
/*
 * The context of each program type the emulator loads, as the verifier sees it: which bytes a
 * program may read or write (the kernel's *_is_valid_access of net/core/filter.c and
 * kernel/trace/bpf_trace.c, for a root loader), which loads yield packet pointers, which types
 * write packets, and which return values a type must produce (check_return_code).
 *
 * Layouts: struct __sk_buff (192 bytes), struct xdp_md (24), the raw tracepoint's u64 args[12],
 * the syscall program's caller-sized blob (< 64 KiB), kprobe's struct pt_regs and perf_event's
 * struct bpf_perf_event_data (architecture-dependent: x86-64 sizes where built there).
 */
#include "check_internal.h"

enum {
	SKB_LEN = 0, SKB_MARK = 8, SKB_QUEUE_MAPPING = 12, SKB_PRIORITY = 32, SKB_TC_INDEX = 44,
	SKB_CB = 48, SKB_CB_END = 68, SKB_TC_CLASSID = 72, SKB_DATA = 76, SKB_DATA_END = 80,
	SKB_FAMILY = 88, SKB_REMOTE_IP4 = 92, SKB_LOCAL_IP4 = 96, SKB_REMOTE_IP6 = 100,
	SKB_LOCAL_IP6 = 116, SKB_LOCAL_PORT_END = 140, SKB_DATA_META = 140, SKB_FLOW_KEYS = 144,
	SKB_TSTAMP = 152, SKB_WIRE_LEN = 160, SKB_SK = 168, SKB_TSTAMP_TYPE = 180, SKB_HWTSTAMP = 184,
	SKB_SIZE = 192,
};

#if defined(__x86_64__)
#define PT_REGS_SIZE 168
#elif defined(__aarch64__)
#define PT_REGS_SIZE 272
#else
#define PT_REGS_SIZE (int)(sizeof(unsigned long) * 32)
#endif

/* whether off lies in the field [start, start+len) (the kernel's bpf_ctx_range) */
static bool in(int32_t off, int start, int len) { return off >= start && off < start + len; }

/* bpf_skb_is_valid_access: the rules every __sk_buff type shares */
static bool skb_common(int32_t off, int size, bool write, struct chk_ctx_access *acc)
{
	(void)acc;
	if (off < 0 || off >= SKB_SIZE || off % size)
		return false;
	if (in(off, SKB_CB, SKB_CB_END - SKB_CB))
		return off + size <= SKB_CB_END;
	if (in(off, SKB_REMOTE_IP6, 16) || in(off, SKB_LOCAL_IP6, 16) || in(off, SKB_REMOTE_IP4, 4) ||
	    in(off, SKB_LOCAL_IP4, 4) || in(off, SKB_DATA, 4) || in(off, SKB_DATA_META, 4) ||
	    in(off, SKB_DATA_END, 4))
		return size == 4;
	if (in(off, SKB_FLOW_KEYS, 8))
		return false;
	if (in(off, SKB_HWTSTAMP, 8))
		return !write && size == 8;
	if (in(off, SKB_TSTAMP, 8))
		return size == 8;
	if (in(off, SKB_SK, 8))
		return off == SKB_SK && !write && size == 8;
	if (off >= SKB_TSTAMP_TYPE && off < SKB_HWTSTAMP)
		return false;
	if (write)
		return size == 4;
	return size <= 4;
}

static bool sk_filter_access(int32_t off, int size, bool write, struct chk_ctx_access *acc)
{
	if (in(off, SKB_TC_CLASSID, 4) || in(off, SKB_DATA, 4) || in(off, SKB_DATA_META, 4) ||
	    in(off, SKB_DATA_END, 4) || (off >= SKB_FAMILY && off < SKB_LOCAL_PORT_END) ||
	    in(off, SKB_TSTAMP, 8) || in(off, SKB_WIRE_LEN, 4) || in(off, SKB_HWTSTAMP, 8))
		return false;
	if (write && !in(off, SKB_CB, SKB_CB_END - SKB_CB))
		return false;
	return skb_common(off, size, write, acc);
}

static bool tc_access(int32_t off, int size, bool write, struct chk_ctx_access *acc)
{
	if (off < 0 || off >= SKB_SIZE)
		return false;
	if (write && !(in(off, SKB_MARK, 4) || in(off, SKB_TC_INDEX, 4) || in(off, SKB_PRIORITY, 4) ||
		       in(off, SKB_TC_CLASSID, 4) || in(off, SKB_CB, SKB_CB_END - SKB_CB) ||
		       in(off, SKB_TSTAMP, 8) || in(off, SKB_QUEUE_MAPPING, 4)))
		return false;
	if (in(off, SKB_DATA, 4))
		acc->ptr_type = 1;
	else if (in(off, SKB_DATA_META, 4))
		acc->ptr_type = 3;
	else if (in(off, SKB_DATA_END, 4))
		acc->ptr_type = 2;
	else if (off >= SKB_FAMILY && off < SKB_LOCAL_PORT_END)
		return false;
	else if (off == SKB_TSTAMP_TYPE)
		return size == 1;
	return skb_common(off, size, write, acc);
}

static bool cg_skb_access(int32_t off, int size, bool write, struct chk_ctx_access *acc)
{
	if (in(off, SKB_TC_CLASSID, 4) || in(off, SKB_DATA_META, 4) || in(off, SKB_WIRE_LEN, 4))
		return false;
	if (write && !(in(off, SKB_MARK, 4) || in(off, SKB_PRIORITY, 4) || in(off, SKB_CB, SKB_CB_END - SKB_CB) ||
		       in(off, SKB_TSTAMP, 8)))
		return false;
	if (in(off, SKB_DATA, 4))
		acc->ptr_type = 1;
	else if (in(off, SKB_DATA_END, 4))
		acc->ptr_type = 2;
	return skb_common(off, size, write, acc);
}

static bool xdp_access(const struct chk *c, int32_t off, int size, bool write, struct chk_ctx_access *acc)
{
	if (off == 20 && c->in->expected_attach_type != EMU_ATTACH_XDP_DEVMAP)
		return false;
	if (write)
		return false;
	if (off == 8)
		acc->ptr_type = 3;
	else if (off == 0)
		acc->ptr_type = 1;
	else if (off == 4)
		acc->ptr_type = 2;
	return off >= 0 && off < 24 && off % size == 0 && size == 4;
}

static bool pe_access(int32_t off, int size, bool write)
{
	int sp = PT_REGS_SIZE, addr = PT_REGS_SIZE + 8;

	if (off < 0 || off >= PT_REGS_SIZE + 16 || write)
		return false;
	if (off % size) {
		if (sizeof(unsigned long) != 4 || size != 8 || off % size != 4)
			return false;
	}
	if (in(off, sp, 8) || in(off, addr, 8))
		return size <= 8;
	return size == (int)sizeof(long);
}

int chk_ctx_access(const struct chk *c, int32_t off, int size, bool write, struct chk_ctx_access *acc)
{
	bool ok = false;

	acc->ptr_type = 0;
	switch (c->in->prog_type) {
	case EMU_PROG_SOCKET_FILTER:
		ok = sk_filter_access(off, size, write, acc);
		break;
	case EMU_PROG_SCHED_CLS:
	case EMU_PROG_SCHED_ACT:
		ok = tc_access(off, size, write, acc);
		break;
	case EMU_PROG_CGROUP_SKB:
		ok = cg_skb_access(off, size, write, acc);
		break;
	case EMU_PROG_XDP:
		ok = xdp_access(c, off, size, write, acc);
		break;
	case EMU_PROG_SYSCALL:
		ok = off >= 0 && off < 0xffff && off % size == 0;
		break;
	case EMU_PROG_RAW_TRACEPOINT:
		ok = off >= 0 && off < 8 * 12 && !write && off % size == 0;
		break;
	case EMU_PROG_TRACEPOINT:
		/* the kernel compares off with sizeof(void *): a negative off passes as unsigned */
		ok = !((unsigned long)(long)off < sizeof(void *)) && off < 8192 && !write && off % size == 0;
		break;
	case EMU_PROG_KPROBE:
		ok = off >= 0 && off < PT_REGS_SIZE && !write && off % size == 0 && off + size <= PT_REGS_SIZE;
		break;
	case EMU_PROG_PERF_EVENT:
		ok = pe_access(off, size, write);
		break;
	}
	if (!ok)
		acc->ptr_type = 0;
	return ok ? 0 : -EACCES;
}

/* may_access_direct_pkt_data for a write */
bool chk_pkt_writable(const struct chk *c)
{
	switch (c->in->prog_type) {
	case EMU_PROG_SCHED_CLS:
	case EMU_PROG_SCHED_ACT:
	case EMU_PROG_XDP:
		return true;
	}
	return false;
}

bool chk_ret_range(const struct chk *c, int32_t *lo, int32_t *hi)
{
	if (c->in->prog_type == EMU_PROG_CGROUP_SKB) {
		*lo = 0;
		*hi = c->in->expected_attach_type == EMU_ATTACH_CGROUP_INET_EGRESS ? 3 : 1;
		return true;
	}
	return false;
}
