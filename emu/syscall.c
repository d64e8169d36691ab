/* SPDX-License-Identifier: MIT */
/*
 * bpfemu_bpf(): the emulated bpf(2). Everything the kernel checks outside a map implementation
 * (kernel/bpf/syscall.c's part) is checked here, in the kernel's order; map families only see
 * calls that passed, with keys and values already copied into our own buffers.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define KEY_STACK_BYTES 512

/* Scratch buffers for one call: small ones on the stack, large ones on the heap. */
struct bounce {
	void *p;
	unsigned char local[KEY_STACK_BYTES];
};

/* Only the pointer: clearing the stack buffer on every call would cost more than the lookup. */
static inline void bounce_init(struct bounce *b) { b->p = NULL; }

static void *bounce_get(struct bounce *b, size_t n)
{
	b->p = n <= sizeof(b->local) ? b->local : malloc(n ? n : 1);
	return b->p;
}

static void bounce_put(struct bounce *b)
{
	if (b->p && b->p != b->local)
		free(b->p);
	b->p = NULL;
}

/* CHECK_ATTR: every byte past a command's last field is zero. */
static inline __attribute__((always_inline)) bool tail_is_zero(const struct emu_attr *a, unsigned from)
{
	static const unsigned char zero[EMU_ATTR_SIZE];
	/* bytes the caller did not pass are known zero: the usual call compares nothing */
	unsigned end = a->len_known ? a->len : EMU_ATTR_SIZE;
	uint64_t w0, w1;

	if (from >= end)
		return true;
	/* Up to two words, as past delete's key in libbpf's 32-byte attr: two loads (from is a
	 * constant wherever this is inlined), where the memcmp call was 28 instructions of a
	 * delete's 650. Past `end` the buffer is zero (see struct emu_attr), so the words may run
	 * over it. */
	if (!(from & 7) && from <= EMU_ATTR_SIZE - 16 && end - from <= 16) {
		memcpy(&w0, a->b + from, 8);
		memcpy(&w1, a->b + from + 8, 8);
		return !(w0 | w1);
	}
	return !memcmp(a->b + from, zero, end - from);
}

/* ---- BPF_MAP_CREATE ---- */

#define MAP_TYPE_STRUCT_OPS 26u
#define MAP_TYPE_BLOOM_FILTER 30u
#define MAP_TYPE_ARENA 33u
#define MAP_TYPE_MAX_618 34u /* __MAX_BPF_MAP_TYPE on 6.18 */
#define NUMA_NO_NODE 0xffffffffu

static bool numa_node_ok(uint32_t node)
{
	char buf[128], *p = buf;
	FILE *f;

	if (node == NUMA_NO_NODE)
		return true;
	f = fopen("/sys/devices/system/node/online", "re");
	if (!f)
		return node == 0;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return node == 0;
	}
	fclose(f);
	while (*p && *p != '\n') {
		char *end;
		unsigned long lo = strtoul(p, &end, 10), hi = lo;

		if (end == p)
			break;
		p = end;
		if (*p == '-') {
			hi = strtoul(p + 1, &end, 10);
			p = end;
		}
		if (node >= lo && node <= hi)
			return true;
		if (*p == ',')
			p++;
	}
	return false;
}

static bool map_name_ok(const char *name)
{
	for (unsigned i = 0; i < EMU_OBJ_NAME_LEN; i++) {
		char c = name[i];

		if (!c)
			return true;
		/* the kernel's isalnum() is Latin-1: letters 0xc0-0xff (but not × and ÷) pass too */
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' ||
		      ((unsigned char)c >= 0xc0 && (unsigned char)c != 0xd7 && (unsigned char)c != 0xf7)))
			return false;
	}
	return false; /* no terminating NUL within the field */
}

static void diag_once(bool *said, const char *fmt, const char *what, unsigned num)
{
	if (__atomic_exchange_n(said, true, __ATOMIC_RELAXED))
		return;
	emu_diag(fmt, what, num);
}

static int map_create(struct emu_attr *a)
{
	static bool type_said[MAP_TYPE_MAX_618];
	struct emu_create c;
	const struct emu_map_ops *ops;
	uint32_t flags = attr_u32(a, MC_FLAGS);
	uint32_t type = attr_u32(a, MC_TYPE);
	char name[EMU_OBJ_NAME_LEN];
	int err, fd;

	if (!tail_is_zero(a, MC_END))
		return -EINVAL;
	flags &= ~EMU_F_TOKEN_FD; /* remembered for the token check below */
	if (attr_u32(a, MC_BTF_VMLINUX)) {
		if (type != MAP_TYPE_STRUCT_OPS || attr_u32(a, MC_BTF_KEY) || attr_u32(a, MC_BTF_VALUE))
			return -EINVAL;
	} else if (attr_u32(a, MC_BTF_KEY) && !attr_u32(a, MC_BTF_VALUE)) {
		return -EINVAL;
	}
	if (attr_u64(a, MC_EXTRA) && type != MAP_TYPE_BLOOM_FILTER && type != MAP_TYPE_ARENA)
		return -EINVAL;
	if ((flags & EMU_F_RDONLY) && (flags & EMU_F_WRONLY))
		return -EINVAL;
	if ((flags & EMU_F_NUMA_NODE) && !numa_node_ok(attr_u32(a, MC_NUMA)))
		return -EINVAL;
	if (type == 0 || type >= MAP_TYPE_MAX_618)
		return -EINVAL;
	ops = emu_ops_for_type(type);
	if (!ops) {
		diag_once(&type_said[type], "map type %s (%u) is not emulated: EOPNOTSUPP",
			  emu_map_type_name(type), type);
		return -EOPNOTSUPP;
	}

	memset(&c, 0, sizeof(c));
	c.map_type = type;
	c.key_size = attr_u32(a, MC_KEY_SIZE);
	c.value_size = attr_u32(a, MC_VALUE_SIZE);
	c.max_entries = attr_u32(a, MC_MAX_ENTRIES);
	c.map_flags = flags;
	c.map_extra = attr_u64(a, MC_EXTRA);
	c.nr_cpus = emu_nr_cpus();
	c.numa_node = (flags & EMU_F_NUMA_NODE) ? attr_u32(a, MC_NUMA) : NUMA_NO_NODE;
	err = ops->alloc_check(&c);
	if (err)
		return err;

	if (attr_u32(a, MC_FLAGS) & EMU_F_TOKEN_FD) {
		struct stat st;

		/* No BPF token is emulated: an open fd is never one. */
		return fstat((int)attr_u32(a, MC_TOKEN_FD), &st) ? -EBADF : -EINVAL;
	}
	if (attr_u32(a, MC_IFINDEX)) {
		char ifname[IF_NAMESIZE];

		/* Device offload replaces the type's allocation: only HASH and ARRAY can ask, a missing
		 * device is EINVAL, and one without offload support EOPNOTSUPP. (A device whose driver
		 * has XDP hooks but no offload gives EINVAL in the kernel; user space cannot tell.) */
		if (type != BPF_MAP_TYPE_HASH && type != BPF_MAP_TYPE_ARRAY)
			return -EINVAL;
		if (!if_indextoname(attr_u32(a, MC_IFINDEX), ifname))
			return -EINVAL;
		return -EOPNOTSUPP;
	}

	/* What the kernel finds only after allocating: sizes it cannot allocate, then the name,
	 * BTF and the exclusive-program hash. */
	err = emu_map_file_size(&c, ops, &(uint64_t){ 0 });
	if (err)
		return err;
	memcpy(name, a->b + MC_NAME, sizeof(name));
	if (!map_name_ok(name))
		return -EINVAL;
	if (attr_u32(a, MC_BTF_KEY) || attr_u32(a, MC_BTF_VALUE) || attr_u32(a, MC_BTF_VMLINUX)) {
		struct stat st;

		/* BTF objects are not emulated, so no fd is a BTF fd. */
		return fstat((int)attr_u32(a, MC_BTF_FD), &st) ? -EBADF : -EINVAL;
	}
	if (attr_u64(a, MC_EXCL_HASH)) {
		unsigned char hash[32];

		if (attr_u32(a, MC_EXCL_HASH_SIZE) != sizeof(hash))
			return -EINVAL;
		if (emu_copy_from_user(hash, attr_ptr(a, MC_EXCL_HASH), sizeof(hash)))
			return -EFAULT;
	} else if (attr_u32(a, MC_EXCL_HASH_SIZE)) {
		return -EINVAL;
	}

	err = emu_map_create_file(&c, ops, name, &fd);
	if (err)
		return err;
	return fd;
}

/* ---- element commands ---- */

static bool can_read(int accmode) { return accmode == O_RDONLY || accmode == O_RDWR; }
static bool can_write(const struct emu_map *m, int accmode)
{
	return (accmode == O_WRONLY || accmode == O_RDWR) && !__atomic_load_n(&m->hdr->frozen, __ATOMIC_ACQUIRE);
}

/* The kernel's key copy: key_size bytes, or for keyless maps a NULL key and nothing else. */
static int copy_key(const struct emu_map *m, const void *ukey, struct bounce *b, void **key)
{
	uint32_t ks = m->hdr->key_size;

	if (!ks) {
		*key = NULL;
		return ukey ? -EINVAL : 0;
	}
	*key = bounce_get(b, ks);
	if (!*key)
		return -ENOMEM;
	return emu_copy_from_user(*key, ukey, ks);
}

/* One element command in progress: the map, the access it needs, our copies of key and value. */
struct elem_call {
	struct emu_map *m;
	int mode;
	struct bounce kb, vb;
	void *key, *val;
};

enum { NEED_READ = 1, NEED_WRITE = 2 };

/* fd → map (EBADF / EINVAL), then the access mode and frozen state the command needs (EPERM). */
static int elem_begin(struct elem_call *c, const struct emu_attr *a, unsigned need)
{
	int err;

	bounce_init(&c->kb);
	bounce_init(&c->vb);
	c->key = c->val = NULL;
	err = emu_map_get((int)attr_u32(a, EL_FD), &c->m, &c->mode);
	if (err) {
		c->m = NULL;
		return err;
	}
	if (((need & NEED_READ) && !can_read(c->mode)) || ((need & NEED_WRITE) && !can_write(c->m, c->mode)))
		return -EPERM;
	return 0;
}

static int elem_key(struct elem_call *c, const struct emu_attr *a)
{
	return copy_key(c->m, attr_ptr(a, EL_KEY), &c->kb, &c->key);
}

static int elem_value_buf(struct elem_call *c, size_t n)
{
	c->val = bounce_get(&c->vb, n);
	return c->val ? 0 : -ENOMEM;
}

/* inline: a call and frame of its own were a twentieth of a lookup */
static inline __attribute__((always_inline)) int elem_end(struct elem_call *c, int err)
{
	bounce_put(&c->kb);
	bounce_put(&c->vb);
	if (c->m)
		emu_map_put(c->m);
	return err;
}

static int map_lookup(struct emu_attr *a)
{
	uint64_t flags = attr_u64(a, EL_FLAGS);
	struct elem_call c;
	int err;

	if (!tail_is_zero(a, EL_END) || (flags & ~EMU_F_LOCK))
		return -EINVAL;
	err = elem_begin(&c, a, NEED_READ);
	if (!err && (flags & EMU_F_LOCK)) /* no emulated map has a bpf_spin_lock (no BTF) */
		err = -EINVAL;
	if (!err)
		err = elem_key(&c, a);
	if (!err)
		err = elem_value_buf(&c, c.m->value_bytes);
	if (!err)
		err = c.m->ops->peek ? c.m->ops->peek(c.m, c.val) : c.m->ops->lookup(c.m, c.key, c.val);
	if (!err && EMU_FAULT("lookup-byte"))
		((unsigned char *)c.val)[c.m->value_bytes - 1] ^= 0x5a;
	if (!err)
		err = emu_copy_to_user(attr_ptr(a, EL_VALUE), c.val, c.m->value_bytes);
	return elem_end(&c, err);
}

static int map_update(struct emu_attr *a)
{
	uint64_t flags = attr_u64(a, EL_FLAGS);
	struct elem_call c;
	int err;

	if (!tail_is_zero(a, EL_END))
		return -EINVAL;
	err = elem_begin(&c, a, NEED_WRITE);
	if (!err && (flags & EMU_F_LOCK))
		err = -EINVAL;
	if (!err)
		err = elem_key(&c, a);
	if (!err)
		err = elem_value_buf(&c, c.m->value_bytes);
	/* the value is copied before the family validates flags, as in the kernel */
	if (!err)
		err = emu_copy_from_user(c.val, attr_ptr(a, EL_VALUE), c.m->value_bytes);
	if (!err)
		err = c.m->ops->push ? c.m->ops->push(c.m, c.val, flags) : c.m->ops->update(c.m, c.key, c.val, flags);
	return elem_end(&c, err);
}

static int map_delete(struct emu_attr *a)
{
	struct elem_call c;
	int err;

	if (!tail_is_zero(a, EL_VALUE))
		return -EINVAL;
	err = elem_begin(&c, a, NEED_WRITE);
	if (!err)
		err = elem_key(&c, a);
	if (!err)
		err = c.m->ops->delete ? c.m->ops->delete(c.m, c.key) : -EINVAL;
	if (err == -ENOENT && EMU_FAULT("delete-errno"))
		err = -EINVAL;
	return elem_end(&c, err);
}

static int map_get_next_key(struct emu_attr *a)
{
	struct elem_call c;
	int err;

	if (!tail_is_zero(a, EL_FLAGS))
		return -EINVAL;
	err = elem_begin(&c, a, NEED_READ);
	if (!err && attr_ptr(a, EL_KEY)) /* a NULL key asks for the first one */
		err = elem_key(&c, a);
	if (!err)
		err = elem_value_buf(&c, c.m->hdr->key_size); /* the next key */
	if (!err)
		err = c.m->ops->get_next_key ? c.m->ops->get_next_key(c.m, c.key, c.val) : -EINVAL;
	if (!err && c.m->ops == &emu_htab_ops && EMU_FAULT("getnext-skip")) {
		/* a walk then skips every other element */
		void *skip = malloc(c.m->hdr->key_size);

		if (skip && !c.m->ops->get_next_key(c.m, c.val, skip))
			memcpy(c.val, skip, c.m->hdr->key_size);
		free(skip);
	}
	if (!err)
		err = emu_copy_to_user(attr_ptr(a, EL_VALUE), c.val, c.m->hdr->key_size);
	return elem_end(&c, err);
}

static int map_lookup_and_delete(struct emu_attr *a)
{
	uint64_t flags = attr_u64(a, EL_FLAGS);
	struct elem_call c;
	int err;

	if (!tail_is_zero(a, EL_END) || (flags & ~EMU_F_LOCK))
		return -EINVAL;
	err = elem_begin(&c, a, NEED_READ | NEED_WRITE);
	if (!err && flags) /* queue/stack take no flags; F_LOCK needs a spin lock none of ours has */
		err = -EINVAL;
	if (!err)
		err = elem_key(&c, a);
	if (!err)
		err = elem_value_buf(&c, c.m->value_bytes);
	if (!err) {
		if (c.m->ops->pop)
			err = c.m->ops->pop(c.m, c.val);
		else if (c.m->ops->lookup_and_delete)
			err = c.m->ops->lookup_and_delete(c.m, c.key, c.val, flags);
		else
			err = -EMU_ENOTSUPP;
	}
	/* The element is gone even when the copy-out faults, as in the kernel. */
	if (!err)
		err = emu_copy_to_user(attr_ptr(a, EL_VALUE), c.val, c.m->value_bytes);
	return elem_end(&c, err);
}

static int map_freeze(struct emu_attr *a)
{
	struct emu_map *m;
	int err, mode;

	if (!tail_is_zero(a, 4))
		return -EINVAL;
	err = emu_map_get((int)attr_u32(a, 0), &m, &mode);
	if (err)
		return err;
	/* A frozen map has no writers left, so a second freeze is refused for permission. */
	if (!can_write(m, mode))
		err = -EPERM;
	else
		__atomic_store_n(&m->hdr->frozen, 1, __ATOMIC_RELEASE);
	emu_map_put(m);
	return err;
}

/* ---- batch commands ---- */

static int map_batch(int cmd, struct emu_attr *a, union bpf_attr *uattr)
{
	bool has_read = cmd == BPF_MAP_LOOKUP_BATCH || cmd == BPF_MAP_LOOKUP_AND_DELETE_BATCH;
	bool has_write = cmd != BPF_MAP_LOOKUP_BATCH;
	const struct emu_map_ops *ops;
	struct emu_map *m;
	int err, mode;

	if (!tail_is_zero(a, BA_END))
		return -EINVAL;
	err = emu_map_get((int)attr_u32(a, BA_FD), &m, &mode);
	if (err)
		return err;
	ops = m->ops;
	if ((has_read && !can_read(mode)) || (has_write && !can_write(m, mode)))
		err = -EPERM;
	else if (cmd == BPF_MAP_LOOKUP_BATCH && ops->batch_buckets)
		err = emu_batch_lookup_buckets(m, a, uattr, false);
	else if (cmd == BPF_MAP_LOOKUP_BATCH && ops->generic_lookup_batch)
		err = emu_batch_lookup_generic(m, a, uattr);
	else if (cmd == BPF_MAP_LOOKUP_AND_DELETE_BATCH && ops->batch_buckets)
		err = emu_batch_lookup_buckets(m, a, uattr, true);
	else if (cmd == BPF_MAP_UPDATE_BATCH && ops->generic_batch_update)
		err = emu_batch_update_generic(m, a, uattr);
	else if (cmd == BPF_MAP_DELETE_BATCH && ops->generic_batch_update && ops->delete)
		err = emu_batch_delete_generic(m, a, uattr);
	else
		err = -EMU_ENOTSUPP; /* the map type has no such batch op */
	emu_map_put(m);
	return err;
}

/* ---- BPF_OBJ_GET_INFO_BY_FD ---- */

#define INFO_SIZE 104u   /* struct bpf_map_info on 6.18 */
#define INFO_CHECKED 100u /* from here on, bytes the caller passes must be zero */

static int obj_get_info(struct emu_attr *a, union bpf_attr *uattr)
{
	unsigned char info[INFO_SIZE], chunk[256];
	uint32_t len = attr_u32(a, INFO_LEN), n;
	unsigned char *uinfo = attr_ptr(a, INFO_PTR);
	const struct emu_map_hdr *h;
	struct emu_map *m;
	struct stat st;
	int err, mode;

	if (!tail_is_zero(a, INFO_END))
		return -EINVAL;
	if (fstat((int)attr_u32(a, INFO_FD), &st))
		return -EBADFD; /* the kernel's answer here differs from the element commands' */
	err = emu_map_get((int)attr_u32(a, INFO_FD), &m, &mode);
	if (err)
		return err == -EBADF ? -EBADFD : err; /* an O_PATH fd */
	if (len > EMU_PAGE_SIZE) {
		err = -E2BIG;
		goto out;
	}
	/* Everything from INFO_CHECKED on (the padding included) must be zero, checked before the
	 * struct is read. The kernel reads it word by word and stops at the first non-zero one, so
	 * junk before an unreadable page is E2BIG, not EFAULT: no chunk may cross a page boundary. */
	for (uint32_t off = INFO_CHECKED; off < len; off += n) {
		/* integer arithmetic: uinfo may be NULL or wild, which only the copy may find out */
		uintptr_t p = (uintptr_t)uinfo + off;
		uint32_t to_page = EMU_PAGE_SIZE - (uint32_t)(p & (EMU_PAGE_SIZE - 1));

		n = len - off < sizeof(chunk) ? len - off : (uint32_t)sizeof(chunk);
		if (n > to_page)
			n = to_page;
		err = emu_copy_from_user(chunk, (const void *)p, n);
		if (err)
			goto out;
		for (uint32_t i = 0; i < n; i++)
			if (chunk[i]) {
				err = -E2BIG;
				goto out;
			}
	}
	n = len < INFO_SIZE ? len : INFO_SIZE;
	memset(info, 0, sizeof(info));
	err = emu_copy_from_user(info, uinfo, n);
	if (err)
		goto out;

	/* Fields the kernel does not fill for these maps keep the caller's bytes. */
	h = m->hdr;
	memcpy(info + 0, &h->map_type, 4);
	memcpy(info + 4, &h->id, 4);
	memcpy(info + 8, &h->key_size, 4);
	memcpy(info + 12, &h->value_size, 4);
	memcpy(info + 16, &h->max_entries, 4);
	memcpy(info + 20, &h->map_flags, 4);
	memcpy(info + 24, h->name, EMU_OBJ_NAME_LEN);
	memset(info + 44, 0, 4); /* btf_vmlinux_value_type_id */
	memcpy(info + 80, &h->map_extra, 8);
	{
		uint64_t hash_ptr;
		uint32_t hash_size;

		memcpy(&hash_ptr, info + 88, 8);
		memcpy(&hash_size, info + 96, 4);
		if (hash_ptr || hash_size) {
			err = emu_map_content_hash(m, (void *)(uintptr_t)hash_ptr, hash_size);
			if (err)
				goto out;
		}
	}
	err = emu_copy_to_user(uinfo, info, n);
	if (!err)
		err = emu_put_user_u32(uattr, INFO_LEN, n);
out:
	emu_map_put(m);
	return err;
}

/* ---- the entry point ---- */

#define NR_KERNEL_CMDS EMU_BPF_NR_CMDS

static int not_emulated(int cmd)
{
	static bool said[NR_KERNEL_CMDS];

	diag_once(&said[cmd], "command %s (%u) is not emulated: EOPNOTSUPP", emu_cmd_name(cmd),
		  (unsigned)cmd);
	return -EOPNOTSUPP;
}

/* A new fd may reuse the number of one closed behind the fd cache's back (the in-process API
 * sees no close()): whatever the cache said of that number is forgotten. */
static int new_fd(int fd)
{
	if (fd >= 0)
		emu_fdcache_forget(fd);
	return fd;
}

int emu_bpf_dispatch(int cmd, struct emu_attr *a, union bpf_attr *uattr)
{
	switch (cmd) {
	case BPF_MAP_CREATE: return new_fd(map_create(a));
	case BPF_MAP_LOOKUP_ELEM: return map_lookup(a);
	case BPF_MAP_UPDATE_ELEM: return map_update(a);
	case BPF_MAP_DELETE_ELEM: return map_delete(a);
	case BPF_MAP_GET_NEXT_KEY: return map_get_next_key(a);
	case BPF_MAP_LOOKUP_AND_DELETE_ELEM: return map_lookup_and_delete(a);
	case BPF_MAP_FREEZE: return map_freeze(a);
	case BPF_OBJ_GET_INFO_BY_FD: return obj_get_info(a, uattr);
	case BPF_OBJ_PIN: return emu_obj_pin(a);
	case BPF_OBJ_GET: return new_fd(emu_obj_get(a));
	case BPF_MAP_GET_NEXT_ID: return emu_map_get_next_id(a, uattr);
	case BPF_MAP_GET_FD_BY_ID: return new_fd(emu_map_get_fd_by_id(a));
	case BPF_PROG_LOAD: return new_fd(emu_prog_load(a));
	case BPF_MAP_LOOKUP_BATCH:
	case BPF_MAP_LOOKUP_AND_DELETE_BATCH:
	case BPF_MAP_UPDATE_BATCH:
	case BPF_MAP_DELETE_BATCH: return map_batch(cmd, a, uattr);
	default:
		if (cmd < 0 || (unsigned)cmd >= NR_KERNEL_CMDS)
			return -EINVAL;
		return not_emulated(cmd);
	}
}

/* Bytes past the union must be zero. Out of line: its page-sized buffer would otherwise cost
 * every call a stack frame that large. */
static __attribute__((noinline)) int check_attr_tail(const union bpf_attr *uattr, unsigned int size)
{
	unsigned char tail[EMU_PAGE_SIZE];
	/* an integer: the attr may be NULL or wild, which only the copy may find out */
	uintptr_t p = (uintptr_t)uattr + EMU_ATTR_SIZE;
	unsigned n = size - EMU_ATTR_SIZE;

	/* The kernel scans the tail upward and stops at the first non-zero byte, so a non-zero
	 * byte before an unreadable page is E2BIG, not EFAULT: scan page by page. */
	while (n) {
		unsigned chunk = EMU_PAGE_SIZE - (unsigned)(p & (EMU_PAGE_SIZE - 1));

		if (chunk > n)
			chunk = n;
		if (emu_copy_from_user(tail, (const void *)p, chunk))
			return -EFAULT;
		for (unsigned i = 0; i < chunk; i++)
			if (tail[i])
				return -E2BIG;
		p += chunk;
		n -= chunk;
	}
	return 0;
}

/* The syscall's own handling of attr and size, before any command sees it. */
int emu_bpf_copy_attr(struct emu_attr *a, const union bpf_attr *uattr, unsigned int size)
{
	/* Not a memset: the compiler makes that a `rep stos`, which takes ~30 cycles to start, a
	 * tenth of a whole lookup. Stores of a zero it cannot see are no memset to it; 16 bytes at
	 * a time halves their number. */
	typedef uint64_t v2u64 __attribute__((vector_size(16)));
	v2u64 z = { 0, 0 };
	unsigned i;

#ifdef __x86_64__
	__asm__("" : "+x"(z));
#endif
	/* unrolled: the loop's own compare and branch were half its instructions */
#pragma GCC unroll 16
	for (i = 0; i + 16 <= EMU_ATTR_SIZE; i += 16)
		memcpy(a->b + i, &z, 16);
	for (; i < EMU_ATTR_SIZE; i += 8)
		memcpy(a->b + i, &z, 8);
	a->len_known = false;
	a->len = 0;
	if (size > EMU_PAGE_SIZE)
		return -E2BIG;
	if (size > EMU_ATTR_SIZE) {
		int err = check_attr_tail(uattr, size);

		if (err)
			return err;
		size = EMU_ATTR_SIZE;
	}
	a->len_known = true;
	a->len = size;
	return emu_copy_from_user(a->b, uattr, size);
}

EMU_API int bpfemu_bpf(int cmd, union bpf_attr *attr, unsigned int size)
{
	return emu_bpf_call(cmd, attr, size);
}

EMU_API const char *bpfemu_version(void)
{
	return BPFEMU_VERSION_STRING;
}
