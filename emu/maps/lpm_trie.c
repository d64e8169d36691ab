/* SPDX-License-Identifier: MIT */
/*
 * LPM_TRIE: the kernel's longest-prefix-match trie (kernel/bpf/lpm_trie.c), node for node, so that
 * lookups, GET_NEXT_KEY's postorder walk and the errnos come out the same. A key is a host-order
 * u32 prefixlen followed by data_size bytes compared as a big-endian bit string. Nodes hold
 * a prefix; an intermediate node (IM) only branches and is never a match; every IM node has
 * exactly two children, so there are never more IM nodes than real ones.
 *
 * In the file the trie is a pool of fixed-size nodes (2 * max_entries + 1: the real nodes, their
 * IM nodes, and the new node an update makes before it frees the one it replaces) linked by index
 * + 1, so a zero-filled file is an empty trie. The kernel allocates nodes as it goes
 * (BPF_F_NO_PREALLOC is required); a pool too large for the machine is refused at create (ENOMEM).
 *
 * Crash safety. Every write is under the map lock and a process can die between any two of them.
 * The invariant each write path keeps: the trie reachable from the root is always a sound trie of
 * fully written nodes. A node is filled (prefix, data, value, children) before the one aligned
 * 32-bit store that links it (into the root or a parent's child slot, emu_publish_u32); a node
 * leaves the trie by one such store (or by one store of its flags turning it into an IM node).
 * Everything else is derived from the trie: n_entries, the free list, next_unused's unhanded
 * tail. lpm_recover() rebuilds them by a walk from the root, so a node that was allocated but not
 * linked yet, or unlinked but not freed yet, goes back to the free list.
 *
 * Untrusted file: any process may have written any byte of the file. Every index read from it is
 * checked against the pool before use, every walk is bounded (a descent by the deepest trie the
 * key size allows, a scan by the pool), and damage found answers EUCLEAN.
 */
#include <stdlib.h>

#include "../cmd/cmds.h"
#include "../core/sync.h"
#include "../util/diag.h"
#include "families.h"

#define LPM_CREATE_FLAGS (EMU_F_NO_PREALLOC | EMU_F_NUMA_NODE | EMU_F_RDONLY | EMU_F_WRONLY | \
			  EMU_F_RDONLY_PROG | EMU_F_WRONLY_PROG)
#define LPM_DATA_SIZE_MAX 256u
#define LPM_KEY_HDR 4u /* struct bpf_lpm_trie_key_u8: the prefixlen */
#define KMALLOC_MAX_SIZE (4u << 20)
#define KERNEL_NODE 24u /* sizeof(struct lpm_trie_node) on 6.18: the value limit and memlock */
#define LPM_VAL_SIZE_MAX (KMALLOC_MAX_SIZE - LPM_DATA_SIZE_MAX - KERNEL_NODE)

#define F_IM 1u   /* LPM_TREE_NODE_FLAG_IM */
#define F_MARK 2u /* recovery's reachability mark; never set outside lpm_recover() */

struct lpm_node {
	uint32_t child[2]; /* index + 1; child[0] links the free list of a free node */
	uint32_t prefixlen;
	uint32_t flags;
	/* data_size bytes of prefix, then the value at an 8-byte boundary */
};
#define NODE_DATA_OFF 16u

struct lpm_priv {
	uint32_t root;        /* index + 1 of the root node, 0: empty */
	uint32_t n_entries;   /* real nodes in the trie (derived) */
	uint32_t next_unused; /* nodes at and past this index were never handed out (derived) */
	uint32_t free_head;   /* index + 1 (derived) */
};

/* The trie's geometry, from the map's shape (never from the file). */
struct lpm_geom {
	char *nodes;
	uint32_t nr_nodes, node_size, data_size, max_prefixlen, value_off, value_size;
};

static struct lpm_priv *P(const struct emu_map *m) { return emu_priv(m); }

static uint32_t data_size_of(uint32_t key_size) { return key_size - LPM_KEY_HDR; }
static uint32_t value_off_of(uint32_t data_size) { return emu_round_up(NODE_DATA_OFF + data_size, 8); }
static uint64_t node_size_of(uint32_t key_size, uint32_t value_size)
{
	return emu_round_up64((uint64_t)value_off_of(data_size_of(key_size)) + value_size, 8);
}
static uint64_t pool_of(uint32_t max_entries) { return 2ull * max_entries + 1; }

static void geom(const struct emu_map *m, struct lpm_geom *g)
{
	const struct emu_map *h = m;

	g->data_size = data_size_of(h->key_size);
	g->max_prefixlen = g->data_size * 8;
	g->value_off = value_off_of(g->data_size);
	g->value_size = h->value_size;
	g->node_size = (uint32_t)node_size_of(h->key_size, h->value_size);
	g->nr_nodes = (uint32_t)pool_of(h->max_entries);
	g->nodes = m->base + (uint64_t)(m->priv - m->base) + 64;
}

static struct lpm_node *node(const struct lpm_geom *g, uint32_t idx)
{
	return (struct lpm_node *)(g->nodes + (size_t)idx * g->node_size);
}
static unsigned char *node_data(struct lpm_node *n) { return (unsigned char *)n + NODE_DATA_OFF; }
static char *node_value(const struct lpm_geom *g, struct lpm_node *n) { return (char *)n + g->value_off; }
/* a link (index + 1) that names a node of the pool */
static bool link_ok(const struct lpm_geom *g, uint32_t link) { return link - 1 < g->nr_nodes; }

/* Damage in the trie: EUCLEAN for the caller, said once per process. */
static int lpm_damaged(void)
{
	static bool said;

	emu_diag_once(&said, "an LPM trie's file is damaged (a link out of the pool or a loop): EUCLEAN");
	return -EUCLEAN;
}

/* ---- create ---- */

static int lpm_alloc_shape(struct emu_create *c)
{
	if (!(c->map_flags & EMU_F_NO_PREALLOC) || c->key_size < LPM_KEY_HDR + 1 ||
	    c->key_size > LPM_KEY_HDR + LPM_DATA_SIZE_MAX || c->value_size < 1 || c->value_size > LPM_VAL_SIZE_MAX)
		return -EINVAL;
	return 0;
}

static int lpm_layout(const struct emu_create *c, uint64_t *priv_size)
{
	*priv_size = 64 + pool_of(c->max_entries) * node_size_of(c->key_size, c->value_size);
	return 0;
}

static void lpm_init(struct emu_map *m)
{
	(void)m; /* a zero-filled pool is an empty trie */
}

/* Adoption: the pool lies inside the file (the layout of the shape says so; the links, counts
 * and prefixes in it are checked where they are read) */
static int lpm_validate(struct emu_map *m, const char **field)
{
	struct lpm_geom g;

	geom(m, &g);
	m->data_stride = 0; /* no value is written by a redo or slot record */
	if ((uint64_t)(g.nodes - m->base) + (uint64_t)g.nr_nodes * g.node_size <= m->size)
		return 0;
	*field = "LPM node pool";
	return -EINVAL;
}

static uint64_t lpm_memlock(const struct emu_map *m)
{
	uint64_t elem = KERNEL_NODE + data_size_of(m->key_size) + m->value_size;

	return elem * __atomic_load_n(&P(m)->n_entries, __ATOMIC_RELAXED);
}

/* ---- the trie ---- */

static int extract_bit(const unsigned char *data, uint32_t index)
{
	return !!(data[index / 8] & (1u << (7 - index % 8)));
}

/* How many leading bits of n's prefix and the key's agree, capped at the shorter prefix. */
static uint32_t match_len(const struct lpm_geom *g, struct lpm_node *n, uint32_t key_plen, const unsigned char *kd)
{
	uint32_t limit = n->prefixlen < key_plen ? n->prefixlen : key_plen, len = 0;
	const unsigned char *nd = node_data(n);

	for (uint32_t i = 0; i < g->data_size; i++) {
		unsigned diff = nd[i] ^ kd[i];

		if (diff) {
			len += (uint32_t)__builtin_clz(diff) - (sizeof(unsigned) * 8 - 8);
			break;
		}
		len += 8;
		if (len >= limit)
			break;
	}
	if (EMU_FAULT("lpm-match") && len > 0 && len < limit)
		len++; /* a planted mistake: one more bit matches than does (tests/diff/diff_lpm.c) */
	return len < limit ? len : limit;
}

static uint32_t key_plen(const void *key)
{
	uint32_t p;

	memcpy(&p, key, 4);
	return p;
}
static const unsigned char *key_data(const void *key) { return (const unsigned char *)key + LPM_KEY_HDR; }

/* A node's prefix must be shorter than its children's: a descent has at most max_prefixlen + 1
 * steps in a sound trie. */
#define DESCENT_MAX(g) ((g)->max_prefixlen + 2)

/* The longest match of key, lock held: the node's index + 1, 0 for none, or -EUCLEAN. */
static int64_t find_longest(struct emu_map *m, const struct lpm_geom *g, const void *key)
{
	uint32_t plen = key_plen(key), found = 0, steps = 0;
	const unsigned char *kd = key_data(key);

	if (plen > g->max_prefixlen)
		return 0;
	for (uint32_t l = P(m)->root; l;) {
		struct lpm_node *n;
		uint32_t ml;

		if (!link_ok(g, l) || ++steps > DESCENT_MAX(g))
			return lpm_damaged();
		n = node(g, l - 1);
		ml = match_len(g, n, plen, kd);
		if (ml == g->max_prefixlen) {
			found = l;
			break;
		}
		if (ml < n->prefixlen)
			break;
		if (!(n->flags & F_IM))
			found = l;
		if (n->prefixlen >= g->max_prefixlen)
			return lpm_damaged(); /* its children would be past the key's bits */
		l = n->child[extract_bit(kd, n->prefixlen)];
	}
	return found;
}

static int lpm_lookup(struct emu_map *m, const void *key, void *value)
{
	struct lpm_geom g;
	int64_t l;
	int err = emu_map_lock(m);

	if (err)
		return err;
	geom(m, &g);
	l = find_longest(m, &g, key);
	if (l > 0)
		memcpy(value, node_value(&g, node(&g, (uint32_t)l - 1)), g.value_size);
	emu_map_unlock(m);
	return l < 0 ? (int)l : l ? 0 : -ENOENT;
}

static uint32_t pool_pop(struct emu_map *m, const struct lpm_geom *g)
{
	struct lpm_priv *p = P(m);

	if (p->free_head) {
		uint32_t idx = p->free_head - 1;

		if (!link_ok(g, p->free_head))
			return UINT32_MAX;
		p->free_head = node(g, idx)->child[0];
		EMU_CRASH_POINT("lpm.pool");
		return idx;
	}
	if (p->next_unused < g->nr_nodes)
		return p->next_unused++;
	return UINT32_MAX;
}

static void pool_push(struct emu_map *m, const struct lpm_geom *g, uint32_t idx)
{
	struct lpm_node *n = node(g, idx);

	n->child[0] = P(m)->free_head;
	n->child[1] = 0;
	n->flags = 0;
	EMU_CRASH_POINT("lpm.pool");
	P(m)->free_head = idx + 1;
}

/* trie_check_add_elem(): a new entry counts against max_entries */
static int check_add(struct emu_map *m, uint64_t flags)
{
	if (flags == EMU_EXIST)
		return -ENOENT;
	if (P(m)->n_entries >= m->max_entries)
		return -ENOSPC;
	return 0;
}

static int update_locked(struct emu_map *m, const struct lpm_geom *g, const void *key, const void *value,
			 uint64_t flags)
{
	uint32_t plen = key_plen(key), *slot = &P(m)->root, steps = 0, ml = 0, idx, im, l;
	const unsigned char *kd = key_data(key);
	struct lpm_node *n = NULL, *nn;
	int err;

	while ((l = *slot)) {
		if (!link_ok(g, l) || ++steps > DESCENT_MAX(g))
			return lpm_damaged();
		n = node(g, l - 1);
		ml = match_len(g, n, plen, kd);
		if (n->prefixlen != ml || n->prefixlen == plen)
			break;
		if (n->prefixlen >= g->max_prefixlen)
			return lpm_damaged();
		slot = &n->child[extract_bit(kd, n->prefixlen)];
	}
	/* the kernel counts the new entry at the point where it knows it adds one */
	if (!l || n->prefixlen != ml) {
		err = check_add(m, flags);
		if (err)
			return err;
	} else if (!(n->flags & F_IM)) {
		if (flags == EMU_NOEXIST)
			return -EEXIST;
	} else {
		err = check_add(m, flags);
		if (err)
			return err;
	}
	idx = pool_pop(m, g);
	if (idx == UINT32_MAX)
		return P(m)->free_head ? lpm_damaged() : -ENOMEM;
	nn = node(g, idx);
	nn->prefixlen = plen;
	nn->flags = 0;
	nn->child[0] = nn->child[1] = 0;
	memcpy(node_data(nn), kd, g->data_size);
	memcpy(node_value(g, nn), value, g->value_size);

	if (!l) { /* an empty slot */
		EMU_CRASH_POINT("lpm.link");
		emu_publish_u32(slot, idx + 1);
		P(m)->n_entries++;
		return 0;
	}
	if (n->prefixlen == ml) { /* the key's own node: replaced whole, children kept */
		bool was_im = n->flags & F_IM;

		nn->child[0] = n->child[0];
		nn->child[1] = n->child[1];
		EMU_CRASH_POINT("lpm.replace");
		emu_publish_u32(slot, idx + 1);
		EMU_CRASH_POINT("lpm.replaced");
		pool_push(m, g, l - 1);
		if (was_im)
			P(m)->n_entries++;
		return 0;
	}
	if (ml == plen) { /* the new node is an ancestor of n */
		nn->child[extract_bit(node_data(n), ml)] = l;
		EMU_CRASH_POINT("lpm.link");
		emu_publish_u32(slot, idx + 1);
		P(m)->n_entries++;
		return 0;
	}
	/* n and the new node part at bit ml: an IM node above both */
	im = pool_pop(m, g);
	if (im == UINT32_MAX) {
		pool_push(m, g, idx);
		return P(m)->free_head ? lpm_damaged() : -ENOMEM;
	}
	{
		struct lpm_node *in = node(g, im);

		in->prefixlen = ml;
		in->flags = F_IM;
		memcpy(node_data(in), node_data(n), g->data_size);
		if (extract_bit(kd, ml)) {
			in->child[0] = l;
			in->child[1] = idx + 1;
		} else {
			in->child[0] = idx + 1;
			in->child[1] = l;
		}
	}
	EMU_CRASH_POINT("lpm.link");
	emu_publish_u32(slot, im + 1);
	P(m)->n_entries++;
	return 0;
}

/*
 * A program's bpf_map_lookup_elem: the matched node's value in place. The kernel's node lives on
 * under RCU while a program holds it; here a node replaced or deleted meanwhile goes back to the
 * pool, and a later update may reuse it while the program still reads it (its bytes may change
 * under the program, which reads the map's memory whatever happens to it).
 */
static void *lpm_prog_lookup(struct emu_map *m, const void *key, uint32_t cpu)
{
	struct lpm_geom g;
	int64_t l;
	void *v = NULL;

	(void)cpu;
	if (emu_map_lock(m))
		return NULL;
	geom(m, &g);
	l = find_longest(m, &g, key);
	if (l > 0)
		v = node_value(&g, node(&g, (uint32_t)l - 1));
	emu_map_unlock(m);
	return v;
}

static int lpm_update(struct emu_map *m, const void *key, const void *value, uint64_t flags)
{
	struct lpm_geom g;
	int err;

	geom(m, &g);
	if (flags > EMU_EXIST || key_plen(key) > g.max_prefixlen)
		return -EINVAL;
	err = emu_map_lock(m);
	if (err)
		return err;
	err = update_locked(m, &g, key, value, flags);
	emu_map_unlock(m);
	return err;
}

static int delete_locked(struct emu_map *m, const struct lpm_geom *g, const void *key)
{
	uint32_t plen = key_plen(key), *trim = &P(m)->root, *trim2 = trim, steps = 0, ml = 0, l, pl = 0;
	const unsigned char *kd = key_data(key);
	struct lpm_node *n = NULL, *parent = NULL;

	while ((l = *trim)) {
		if (!link_ok(g, l) || ++steps > DESCENT_MAX(g))
			return lpm_damaged();
		n = node(g, l - 1);
		ml = match_len(g, n, plen, kd);
		if (n->prefixlen != ml || n->prefixlen == plen)
			break;
		if (n->prefixlen >= g->max_prefixlen)
			return lpm_damaged();
		parent = n;
		pl = l;
		trim2 = trim;
		trim = &n->child[extract_bit(kd, n->prefixlen)];
	}
	if (!l || n->prefixlen != plen || n->prefixlen != ml || (n->flags & F_IM))
		return -ENOENT;
	if ((n->child[0] && !link_ok(g, n->child[0])) || (n->child[1] && !link_ok(g, n->child[1])))
		return lpm_damaged();
	if (n->child[0] && n->child[1]) {
		EMU_CRASH_POINT("lpm.unlink");
		__atomic_store_n(&n->flags, n->flags | F_IM, __ATOMIC_RELEASE);
		P(m)->n_entries--;
		return 0;
	}
	if (parent && (parent->flags & F_IM) && !n->child[0] && !n->child[1]) {
		/* the IM parent goes too: its other child takes its place */
		uint32_t other = parent->child[0] == l ? parent->child[1] : parent->child[0];

		EMU_CRASH_POINT("lpm.unlink");
		emu_publish_u32(trim2, other);
		EMU_CRASH_POINT("lpm.unlinked");
		pool_push(m, g, pl - 1);
		pool_push(m, g, l - 1);
		P(m)->n_entries--;
		return 0;
	}
	EMU_CRASH_POINT("lpm.unlink");
	emu_publish_u32(trim, n->child[0] ? n->child[0] : n->child[1]);
	EMU_CRASH_POINT("lpm.unlinked");
	pool_push(m, g, l - 1);
	P(m)->n_entries--;
	return 0;
}

static int lpm_prog_update(struct emu_map *m, const void *key, const void *value, uint64_t flags, uint32_t cpu)
{
	(void)cpu;
	return lpm_update(m, key, value, flags);
}

static int lpm_delete(struct emu_map *m, const void *key)
{
	struct lpm_geom g;
	int err;

	geom(m, &g);
	if (key_plen(key) > g.max_prefixlen)
		return -EINVAL;
	err = emu_map_lock(m);
	if (err)
		return err;
	err = delete_locked(m, &g, key);
	emu_map_unlock(m);
	return err;
}

/* The leftmost real node under link l, in postorder (every IM node has two children). */
static int leftmost(const struct lpm_geom *g, uint32_t l, uint32_t *out)
{
	uint32_t next = 0, steps = 0;

	while (l) {
		struct lpm_node *n;

		if (!link_ok(g, l) || ++steps > DESCENT_MAX(g))
			return lpm_damaged();
		n = node(g, l - 1);
		if (n->flags & F_IM) {
			l = n->child[0];
		} else {
			next = l;
			l = n->child[0] ? n->child[0] : n->child[1];
		}
	}
	if (!next)
		return lpm_damaged(); /* an IM node without children */
	*out = next;
	return 0;
}

/*
 * GET_NEXT_KEY in the kernel's postorder: more specific prefixes before less specific ones. A key
 * that is no entry (or no key) starts over from the leftmost node.
 */
static int next_locked(struct emu_map *m, const struct lpm_geom *g, const void *key, void *next_key)
{
	uint32_t root = P(m)->root, plen, *stack = NULL, sp = 0, l, next = 0, steps = 0, ml = 0;
	const unsigned char *kd;
	struct lpm_node *n = NULL;
	int err = 0;

	if (!root)
		return -ENOENT;
	if (!key || key_plen(key) > g->max_prefixlen) {
		err = leftmost(g, root, &next);
		goto copy;
	}
	plen = key_plen(key);
	kd = key_data(key);
	stack = malloc(sizeof(*stack) * DESCENT_MAX(g));
	if (!stack)
		return -ENOMEM;
	for (l = root; l;) {
		if (!link_ok(g, l) || steps >= DESCENT_MAX(g)) {
			err = lpm_damaged();
			goto out;
		}
		stack[steps++] = l;
		n = node(g, l - 1);
		ml = match_len(g, n, plen, kd);
		if (n->prefixlen != ml || n->prefixlen == plen)
			break;
		if (n->prefixlen >= g->max_prefixlen) {
			err = lpm_damaged();
			goto out;
		}
		l = n->child[extract_bit(kd, n->prefixlen)];
	}
	if (!l || n->prefixlen != ml || (n->flags & F_IM)) {
		err = leftmost(g, root, &next);
		goto copy;
	}
	/* the key's node found: the first node after it in postorder */
	for (sp = steps - 1; sp > 0; sp--) {
		struct lpm_node *parent = node(g, stack[sp - 1] - 1);

		if (parent->child[0] == stack[sp] && parent->child[1]) {
			err = leftmost(g, parent->child[1], &next);
			goto copy;
		}
		if (!(parent->flags & F_IM)) {
			next = stack[sp - 1];
			goto copy;
		}
	}
	err = -ENOENT;
	goto out;
copy:
	if (!err) {
		struct lpm_node *nx = node(g, next - 1);

		memcpy(next_key, &nx->prefixlen, 4);
		memcpy((char *)next_key + LPM_KEY_HDR, node_data(nx), g->data_size);
	}
out:
	free(stack);
	return err;
}

static int lpm_get_next_key(struct emu_map *m, const void *key, void *next_key)
{
	struct lpm_geom g;
	int err = emu_map_lock(m);

	if (err)
		return err;
	geom(m, &g);
	err = next_locked(m, &g, key, next_key);
	emu_map_unlock(m);
	return err;
}

/* ---- consistency ---- */

/*
 * Walk the trie from the root, depth first with an explicit stack, calling visit on every node
 * (mark: set or check F_MARK). Returns the nodes seen, or -EUCLEAN for a link out of the pool, a
 * child whose prefix is not longer than its parent's, or more nodes than the pool has.
 */
static int64_t walk(struct emu_map *m, const struct lpm_geom *g, bool mark, uint32_t *real)
{
	uint32_t *stack, sp = 0, seen = 0;
	int64_t ret;

	*real = 0;
	if (!P(m)->root)
		return 0;
	stack = malloc(sizeof(*stack) * (size_t)(g->nr_nodes + 1));
	if (!stack)
		return -ENOMEM;
	if (!link_ok(g, P(m)->root)) {
		ret = -EUCLEAN;
		goto out;
	}
	stack[sp++] = P(m)->root;
	while (sp) {
		struct lpm_node *n = node(g, stack[--sp] - 1);

		if (++seen > g->nr_nodes || n->prefixlen > g->max_prefixlen) {
			ret = -EUCLEAN;
			goto out;
		}
		if (mark)
			n->flags |= F_MARK;
		if (!(n->flags & F_IM))
			(*real)++;
		for (int c = 0; c < 2; c++) {
			uint32_t cl = n->child[c];

			if (!cl)
				continue;
			if (!link_ok(g, cl) || node(g, cl - 1)->prefixlen <= n->prefixlen || sp >= g->nr_nodes) {
				ret = -EUCLEAN;
				goto out;
			}
			stack[sp++] = cl;
		}
		if ((n->flags & F_IM) && (!n->child[0] || !n->child[1])) {
			ret = -EUCLEAN;
			goto out;
		}
	}
	ret = seen;
out:
	free(stack);
	return ret;
}

static int lpm_check(struct emu_map *m)
{
	struct lpm_geom g;
	uint32_t real, nfree = 0;
	int64_t seen;
	int err = emu_map_lock(m);

	if (err)
		return err;
	geom(m, &g);
	seen = walk(m, &g, false, &real);
	err = seen < 0 ? (int)seen : 0;
	if (!err && (real != P(m)->n_entries || P(m)->next_unused > g.nr_nodes))
		err = -EUCLEAN;
	/* each link checked before the node it names is read */
	for (uint32_t l = P(m)->free_head; !err && l;) {
		if (!link_ok(&g, l) || ++nfree > g.nr_nodes)
			err = -EUCLEAN;
		else
			l = node(&g, l - 1)->child[0];
	}
	if (!err && (uint64_t)seen + nfree != P(m)->next_unused)
		err = -EUCLEAN;
	emu_map_unlock(m);
	return err == -ENOMEM ? 0 : err;
}

/*
 * After a lock holder died: mark what the root reaches, then rebuild the free list from the rest
 * of the handed-out nodes and count the entries. Idempotent; a trie the walk finds damaged (not
 * something a dying writer leaves: see the top of the file) is emptied, the one safe answer.
 */
static void lpm_recover(struct emu_map *m)
{
	struct lpm_priv *p = P(m);
	struct lpm_geom g;
	uint32_t real;
	int64_t seen;

	geom(m, &g);
	if (p->next_unused > g.nr_nodes)
		p->next_unused = g.nr_nodes;
	for (uint32_t i = 0; i < p->next_unused; i++)
		node(&g, i)->flags &= ~F_MARK;
	seen = walk(m, &g, true, &real);
	if (seen == -ENOMEM)
		return; /* left as it is: the next holder tries again */
	if (seen < 0) {
		p->root = 0;
		real = 0;
	}
	p->free_head = 0;
	for (uint32_t i = p->next_unused; i-- > 0;) {
		struct lpm_node *n = node(&g, i);

		if (seen >= 0 && (n->flags & F_MARK)) {
			n->flags &= ~F_MARK;
			continue;
		}
		n->child[0] = p->free_head;
		n->child[1] = 0;
		n->flags = 0;
		p->free_head = i + 1;
	}
	p->n_entries = real;
}

const struct emu_map_ops emu_lpm_trie_ops = {
	.family = "lpm_trie",
	.create_flags = LPM_CREATE_FLAGS,
	.create_flags_late = true,
	.alloc_shape = lpm_alloc_shape,
	.layout = lpm_layout,
	.init = lpm_init,
	.validate = lpm_validate,
	.memlock = lpm_memlock,
	.lookup = lpm_lookup,
	.update = lpm_update,
	.delete = lpm_delete,
	.get_next_key = lpm_get_next_key,
	.check = lpm_check,
	.recover = lpm_recover,
	.lookup_batch = emu_batch_lookup_generic,
	.update_batch = emu_batch_update_generic,
	.delete_batch = emu_batch_delete_generic,
	.prog_lookup = lpm_prog_lookup,
	.prog_update = lpm_prog_update,
};
