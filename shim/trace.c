/* SPDX-License-Identifier: MIT */
/*
 * BPFEMU_TRACE: one line per intercepted bpf() call, in strace's notation so the two can be read
 * side by side, plus the key and value bytes (strace shows only pointers), read after the call so
 * a lookup shows what it returned.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/resource.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"

#define MAX_BYTES 32

static int trace_fd = -1;
static pthread_once_t trace_once = PTHREAD_ONCE_INIT;

static void trace_init(void)
{
	const char *t = secure_getenv("BPFEMU_TRACE");

	if (!t || !*t || !strcmp(t, "0"))
		return;
	if (!strcmp(t, "1") || !strcmp(t, "-")) {
		trace_fd = STDERR_FILENO;
		return;
	}
	trace_fd = open(t, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (trace_fd < 0) {
		shim_log("cannot open trace file %s: %s", t, strerror(errno));
		return;
	}
	/* Out of the way of the program's own fds, so the first map fd is 3 as on the kernel. */
	{
		struct rlimit rl;
		int hi = -1;

		if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur > 64)
			hi = fcntl(trace_fd, F_DUPFD_CLOEXEC, (int)(rl.rlim_cur > 1024 ? 1000 : rl.rlim_cur - 24));
		if (hi >= 0) {
			close(trace_fd);
			trace_fd = hi;
		}
	}
}

bool shim_trace_enabled(void)
{
	static bool ready;

	/* asked on every bpf() call: after the first, a load instead of a pthread_once() call */
	if (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) {
		pthread_once(&trace_once, trace_init);
		__atomic_store_n(&ready, true, __ATOMIC_RELEASE);
	}
	return trace_fd >= 0;
}

struct line {
	char b[2048];
	size_t n;
};

__attribute__((format(printf, 2, 3))) static void put(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (l->n >= sizeof(l->b))
		return;
	va_start(ap, fmt);
	r = vsnprintf(l->b + l->n, sizeof(l->b) - l->n, fmt, ap);
	va_end(ap);
	if (r > 0)
		l->n = l->n + (size_t)r < sizeof(l->b) ? l->n + (size_t)r : sizeof(l->b) - 1;
}

/* A user pointer and, where readable, its first bytes. */
static void put_buf(struct line *l, const char *name, uint64_t ptr, uint32_t len)
{
	unsigned char bytes[MAX_BYTES];
	uint32_t n = len < MAX_BYTES ? len : MAX_BYTES;

	if (!ptr) {
		put(l, "%s=NULL", name);
		return;
	}
	put(l, "%s=%#llx", name, (unsigned long long)ptr);
	if (!len || emu_copy_from_user(bytes, (const void *)(uintptr_t)ptr, n))
		return;
	put(l, "[");
	for (uint32_t i = 0; i < n; i++)
		put(l, i ? " %02x" : "%02x", bytes[i]);
	put(l, n < len ? " ...]" : "]");
}

static void put_str(struct line *l, const char *name, uint64_t ptr)
{
	char s[256];
	size_t i;

	if (!ptr) {
		put(l, "%s=NULL", name);
		return;
	}
	for (i = 0; i + 1 < sizeof(s); i++) {
		if (emu_copy_from_user(&s[i], (const char *)(uintptr_t)ptr + i, 1)) {
			put(l, "%s=%#llx", name, (unsigned long long)ptr);
			return;
		}
		if (!s[i])
			break;
	}
	s[i] = 0;
	put(l, "%s=\"%s\"", name, s);
}

static void put_elem_flags(struct line *l, const char *name, uint64_t f)
{
	static const char *const base[] = { "BPF_ANY", "BPF_NOEXIST", "BPF_EXIST" };
	uint64_t low = f & 3;

	if (low < 3 && !(f & ~(uint64_t)7)) {
		put(l, "%s=%s%s", name, base[low], (f & 4) ? "|BPF_F_LOCK" : "");
		return;
	}
	put(l, "%s=%#llx", name, (unsigned long long)f);
}

static void put_map_flags(struct line *l, uint32_t f)
{
	static const char *const names[] = {
		"BPF_F_NO_PREALLOC", "BPF_F_NO_COMMON_LRU", "BPF_F_NUMA_NODE", "BPF_F_RDONLY",
		"BPF_F_WRONLY", "BPF_F_STACK_BUILD_ID", "BPF_F_ZERO_SEED", "BPF_F_RDONLY_PROG",
		"BPF_F_WRONLY_PROG", "BPF_F_CLONE", "BPF_F_MMAPABLE", "BPF_F_PRESERVE_ELEMS",
		"BPF_F_INNER_MAP",
	};
	bool first = true;

	put(l, "map_flags=");
	if (!f) {
		put(l, "0");
		return;
	}
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (f & (1u << i)) {
			put(l, "%s%s", first ? "" : "|", names[i]);
			first = false;
			f &= ~(1u << i);
		}
	if (f)
		put(l, "%s%#x", first ? "" : "|", f);
}

/* fd numbers in the attr are the traced program's: in the preload, ours; the seccomp supervisor
 * points this at a function that takes the program's fd first. */
int (*shim_trace_describe)(int fd, struct emu_map_desc *d) = emu_map_describe;

static uint32_t map_key_size(int fd, uint32_t *value_bytes)
{
	struct emu_map_desc d;

	*value_bytes = 0;
	if (shim_trace_describe(fd, &d))
		return 0;
	*value_bytes = d.value_bytes;
	return d.key_size;
}

static void decode(struct line *l, int cmd, const struct emu_attr *a)
{
	uint32_t ks, vb;

	switch (cmd) {
	case EMU_BPF_MAP_CREATE: {
		const char *tn = emu_map_type_name(attr_u32(a, MC_TYPE));
		char name[EMU_OBJ_NAME_LEN + 1];

		if (tn) {
			put(l, "{map_type=BPF_MAP_TYPE_");
			for (const char *p = tn; *p; p++)
				put(l, "%c", *p >= 'a' && *p <= 'z' ? *p - 32 : *p);
		} else {
			put(l, "{map_type=%#x", attr_u32(a, MC_TYPE));
		}
		put(l, ", key_size=%u, value_size=%u, max_entries=%u, ", attr_u32(a, MC_KEY_SIZE),
		    attr_u32(a, MC_VALUE_SIZE), attr_u32(a, MC_MAX_ENTRIES));
		put_map_flags(l, attr_u32(a, MC_FLAGS));
		memcpy(name, a->b + MC_NAME, EMU_OBJ_NAME_LEN);
		name[EMU_OBJ_NAME_LEN] = 0;
		put(l, ", inner_map_fd=%d, map_name=\"%s\", map_ifindex=%u", (int)attr_u32(a, MC_INNER_FD), name,
		    attr_u32(a, MC_IFINDEX));
		if (attr_u32(a, MC_BTF_KEY) || attr_u32(a, MC_BTF_VALUE) || attr_u32(a, MC_BTF_VMLINUX))
			put(l, ", btf_fd=%d, btf_key_type_id=%u, btf_value_type_id=%u, btf_vmlinux_value_type_id=%u",
			    (int)attr_u32(a, MC_BTF_FD), attr_u32(a, MC_BTF_KEY), attr_u32(a, MC_BTF_VALUE),
			    attr_u32(a, MC_BTF_VMLINUX));
		put(l, "}");
		break;
	}
	case EMU_BPF_BTF_LOAD:
		put(l, "{btf=%#llx, btf_log_buf=%#llx, btf_size=%u, btf_log_size=%u, btf_log_level=%u, btf_flags=%#x}",
		    (unsigned long long)attr_u64(a, BTF_BLOB), (unsigned long long)attr_u64(a, BTF_LOG_BUF),
		    attr_u32(a, BTF_SIZE), attr_u32(a, BTF_LOG_SIZE), attr_u32(a, BTF_LOG_LEVEL), attr_u32(a, BTF_FLAGS));
		break;
	case EMU_BPF_BTF_GET_FD_BY_ID:
		put(l, "{btf_id=%u, next_id=%u, open_flags=%#x}", attr_u32(a, ID_START), attr_u32(a, ID_NEXT),
		    attr_u32(a, ID_OPEN_FLAGS));
		break;
	case EMU_BPF_PROG_GET_FD_BY_ID:
		put(l, "{prog_id=%u, next_id=%u, open_flags=%#x}", attr_u32(a, ID_START), attr_u32(a, ID_NEXT),
		    attr_u32(a, ID_OPEN_FLAGS));
		break;
	case EMU_BPF_MAP_LOOKUP_ELEM:
	case EMU_BPF_MAP_UPDATE_ELEM:
	case EMU_BPF_MAP_LOOKUP_AND_DELETE_ELEM:
		ks = map_key_size((int)attr_u32(a, EL_FD), &vb);
		put(l, "{map_fd=%d, ", (int)attr_u32(a, EL_FD));
		put_buf(l, "key", attr_u64(a, EL_KEY), ks);
		put(l, ", ");
		put_buf(l, "value", attr_u64(a, EL_VALUE), vb);
		put(l, ", ");
		put_elem_flags(l, "flags", attr_u64(a, EL_FLAGS));
		put(l, "}");
		break;
	case EMU_BPF_MAP_DELETE_ELEM:
		ks = map_key_size((int)attr_u32(a, EL_FD), &vb);
		put(l, "{map_fd=%d, ", (int)attr_u32(a, EL_FD));
		put_buf(l, "key", attr_u64(a, EL_KEY), ks);
		put(l, "}");
		break;
	case EMU_BPF_MAP_GET_NEXT_KEY:
		ks = map_key_size((int)attr_u32(a, EL_FD), &vb);
		put(l, "{map_fd=%d, ", (int)attr_u32(a, EL_FD));
		put_buf(l, "key", attr_u64(a, EL_KEY), ks);
		put(l, ", ");
		put_buf(l, "next_key", attr_u64(a, EL_VALUE), ks);
		put(l, "}");
		break;
	case EMU_BPF_MAP_FREEZE:
		put(l, "{map_fd=%d}", (int)attr_u32(a, 0));
		break;
	case EMU_BPF_MAP_LOOKUP_BATCH:
	case EMU_BPF_MAP_LOOKUP_AND_DELETE_BATCH:
	case EMU_BPF_MAP_UPDATE_BATCH:
	case EMU_BPF_MAP_DELETE_BATCH:
		put(l, "{batch={in_batch=%#llx, out_batch=%#llx, keys=%#llx, values=%#llx, count=%u, map_fd=%d, ",
		    (unsigned long long)attr_u64(a, BA_IN), (unsigned long long)attr_u64(a, BA_OUT),
		    (unsigned long long)attr_u64(a, BA_KEYS), (unsigned long long)attr_u64(a, BA_VALUES),
		    attr_u32(a, BA_COUNT), (int)attr_u32(a, BA_FD));
		put_elem_flags(l, "elem_flags", attr_u64(a, BA_ELEM_FLAGS));
		put(l, ", flags=%#llx}}", (unsigned long long)attr_u64(a, BA_FLAGS));
		break;
	case EMU_BPF_OBJ_GET_INFO_BY_FD:
		put(l, "{info={bpf_fd=%d, info_len=%u, info=%#llx}}", (int)attr_u32(a, INFO_FD),
		    attr_u32(a, INFO_LEN), (unsigned long long)attr_u64(a, INFO_PTR));
		break;
	case EMU_BPF_OBJ_PIN:
	case EMU_BPF_OBJ_GET:
		put(l, "{");
		put_str(l, "pathname", attr_u64(a, PIN_PATH));
		put(l, ", bpf_fd=%d, file_flags=%#x}", (int)attr_u32(a, PIN_FD), attr_u32(a, PIN_FILE_FLAGS));
		break;
	case EMU_BPF_MAP_GET_NEXT_ID:
	case EMU_BPF_PROG_GET_NEXT_ID:
	case EMU_BPF_BTF_GET_NEXT_ID:
		put(l, "{start_id=%u, next_id=%u}", attr_u32(a, ID_START), attr_u32(a, ID_NEXT));
		break;
	case EMU_BPF_MAP_GET_FD_BY_ID:
		put(l, "{map_id=%u, next_id=%u, open_flags=%#x}", attr_u32(a, ID_START), attr_u32(a, ID_NEXT),
		    attr_u32(a, ID_OPEN_FLAGS));
		break;
	case EMU_BPF_PROG_LOAD: {
		char name[EMU_OBJ_NAME_LEN + 1];

		memcpy(name, a->b + 48, EMU_OBJ_NAME_LEN);
		name[EMU_OBJ_NAME_LEN] = 0;
		put(l, "{prog_type=%u, insn_cnt=%u, insns=%#llx, ", attr_u32(a, 0), attr_u32(a, 4),
		    (unsigned long long)attr_u64(a, 8));
		put_str(l, "license", attr_u64(a, 16));
		put(l, ", prog_name=\"%s\"}", name);
		break;
	}
	default:
		put(l, "%p", (void *)a);
		break;
	}
}

static void put_call(struct line *l, int cmd, const void *uattr, unsigned size, const struct emu_attr *before)
{
	const char *name = emu_cmd_name(cmd);
	struct emu_attr now;

	put(l, "bpf(");
	if (name)
		put(l, "%s, ", name);
	else
		put(l, "%#x /* BPF_??? */, ", (unsigned)cmd);
	if (!uattr) {
		put(l, "NULL");
	} else if (name) {
		/* outputs (count, next_id, info_len) are in the caller's attr after the call */
		now = *before;
		if (emu_bpf_copy_attr(&now, uattr, size < EMU_ATTR_SIZE ? size : EMU_ATTR_SIZE))
			now = *before;
		decode(l, cmd, &now);
	} else {
		put(l, "%p", uattr);
	}
	put(l, ", %u)", size);
}

static void put_result(struct line *l, long ret, int err)
{
	put(l, " = %ld", ret);
	if (ret < 0) {
		const char *en = strerrorname_np(err);

		put(l, " %s (%s)", en ? en : err == EMU_ENOTSUPP ? "ENOTSUPP" : "E???",
		    err == EMU_ENOTSUPP ? "Unknown error 524" : strerror(err));
	}
}

static size_t line_out(const struct line *l, char *buf, size_t len)
{
	size_t n = l->n < len ? l->n : len ? len - 1 : 0;

	if (len) {
		memcpy(buf, l->b, n);
		buf[n] = 0;
	}
	return n;
}

/* "bpf(CMD, {decoded attr}, size) = ret ERRNO (text)", no newline; the length written. */
size_t shim_trace_format(char *buf, size_t len, int cmd, const void *uattr, unsigned size,
			 const struct emu_attr *before, long ret, int err)
{
	struct line l = { .n = 0 };
	int saved = errno;
	size_t n;

	put_call(&l, cmd, uattr, size, before);
	put_result(&l, ret, err);
	n = line_out(&l, buf, len);
	errno = saved;
	return n;
}

size_t shim_trace_format_call(char *buf, size_t len, int cmd, const void *uattr, unsigned size,
			      const struct emu_attr *before)
{
	struct line l = { .n = 0 };
	int saved = errno;
	size_t n;

	put_call(&l, cmd, uattr, size, before);
	n = line_out(&l, buf, len);
	errno = saved;
	return n;
}

void shim_trace_write(int pid, const char *call, long ret, int err)
{
	struct line l = { .n = 0 };
	int saved = errno;

	put(&l, "[pid %d] %s", pid, call);
	put_result(&l, ret, err);
	if (l.n >= sizeof(l.b))
		l.n = sizeof(l.b) - 1;
	l.b[l.n++] = '\n';
	(void)!write(trace_fd, l.b, l.n);
	errno = saved;
}

void shim_trace_call(int cmd, const void *uattr, unsigned size, const struct emu_attr *before, long ret, int err)
{
	char call[2048];

	shim_trace_format_call(call, sizeof(call), cmd, uattr, size, before);
	shim_trace_write((int)getpid(), call, ret, err);
}
