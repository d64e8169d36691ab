/* SPDX-License-Identifier: MIT */
/*
 * kernel-semantics.md §1: the syscall's handling of attr and size before any command runs,
 * CHECK_ATTR (bytes after a command's last field), and unknown commands.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

/* Commands bpfemu emulates, each with the offset where its CHECK_ATTR zone starts. */
static const struct {
	int cmd;
	unsigned end;
} cmds[] = {
	{ EMU_BPF_MAP_CREATE, MC_END }, { EMU_BPF_MAP_LOOKUP_ELEM, EL_END },      { EMU_BPF_MAP_UPDATE_ELEM, EL_END },
	{ EMU_BPF_MAP_DELETE_ELEM, EL_VALUE },   { EMU_BPF_MAP_GET_NEXT_KEY, EL_FLAGS }, { EMU_BPF_MAP_LOOKUP_AND_DELETE_ELEM, EL_END },
	{ EMU_BPF_MAP_FREEZE, 4 },             { EMU_BPF_OBJ_GET_INFO_BY_FD, INFO_END },
};

static struct hx_pair map; /* HASH 4/8 with a few keys */
static struct hx_pair frozen_target;

/* FREEZE succeeds once per map: every FREEZE case gets a map of its own. */
static const struct hx_pair *target(int cmd)
{
	if (cmd != EMU_BPF_MAP_FREEZE)
		return &map;
	hx_close(&frozen_target);
	hx_create(&frozen_target, EMU_MAP_ARRAY, 4, 4, 2, 0);
	return &frozen_target;
}

/* A well-formed attr for cmd, so that only the property under test makes it fail. */
static void good_op(struct hx_op *op, int cmd, uint32_t key, const struct hx_pair *p)
{
	static uint64_t value = 0x1122334455667788ull;
	static uint32_t k;

	k = key;
	if (cmd == EMU_BPF_MAP_CREATE) {
		hx_create_op(op, EMU_MAP_HASH, 4, 8, 4, 0);
		op->ret_fd = true;
		return;
	}
	hx_op_init(op, cmd);
	switch (cmd) {
	case EMU_BPF_MAP_FREEZE:
		hx_op_fd(op, 0, p);
		break;
	case EMU_BPF_OBJ_GET_INFO_BY_FD: {
		struct hx_buf *b;

		hx_op_fd(op, INFO_FD, p);
		hx_op_u32(op, INFO_LEN, MI_SIZE);
		b = hx_op_buf(op, INFO_PTR, MI_SIZE, NULL, NULL);
		b->mask_off = 4;
		b->mask_len = 4;
		{
			/* the poison pattern would land in the checked bytes 100..103 */
			static unsigned char zero[MI_SIZE];

			b->in = zero;
		}
		break;
	}
	default:
		hx_op_fd(op, EL_FD, p);
		hx_op_buf(op, EL_KEY, 4, &k, NULL);
		if (cmd == EMU_BPF_MAP_UPDATE_ELEM)
			hx_op_buf(op, EL_VALUE, 8, &value, NULL);
		else if (cmd != EMU_BPF_MAP_DELETE_ELEM)
			hx_op_buf(op, EL_VALUE, cmd == EMU_BPF_MAP_GET_NEXT_KEY ? 4 : 8, NULL, NULL);
		break;
	}
}

static void refill(void)
{
	uint64_t v;

	for (uint32_t k = 1; k <= 3; k++) {
		v = k * 0x0101010101010101ull;
		hx_update(&map, &k, &v, 0);
	}
}

static void sizes(void)
{
	static const unsigned size_list[] = {
		0, 1, 4, 8, 12, 15, 16, 20, 24, 28, 31, 32, 40, 64, 91, 92, 100, 120, 144, 160, 167, 168, 169, 176,
		200, 256, 1024, 4095, 4096, 4097, 5000, 65536, UINT_MAX,
	};

	for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
		int cmd = cmds[c].cmd;

		for (size_t i = 0; i < sizeof(size_list) / sizeof(size_list[0]); i++) {
			unsigned sz = size_list[i];
			struct hx_op op;

			refill();
			/* zero tail */
			hx_ctx("%s size %u, zero tail", hx_cmd_name(cmd), sz);
			good_op(&op, cmd, 2, target(cmd));
			op.size = sz;
			hx_run(&op, NULL);

			/* non-zero byte right after 168 and at the end of the area */
			if (sz > EMU_ATTR_SIZE && sz <= HX_ATTR_MAX) {
				refill();
				hx_ctx("%s size %u, byte 168 non-zero", hx_cmd_name(cmd), sz);
				good_op(&op, cmd, 2, target(cmd));
				op.size = sz;
				op.attr[EMU_ATTR_SIZE] = 1;
				hx_run(&op, NULL);
				hx_ctx("%s size %u, last byte non-zero", hx_cmd_name(cmd), sz);
				good_op(&op, cmd, 2, target(cmd));
				op.size = sz;
				op.attr[sz - 1] = 0x80;
				hx_run(&op, NULL);
			}
			/* bytes past size are never read: garbage there changes nothing */
			if (sz < EMU_ATTR_SIZE) {
				refill();
				hx_ctx("%s size %u, garbage after size", hx_cmd_name(cmd), sz);
				good_op(&op, cmd, 2, target(cmd));
				op.size = sz;
				/* (the harness writes fds and pointers over their fields afterwards) */
				for (unsigned j = sz; j < EMU_ATTR_SIZE; j++)
					op.attr[j] ^= 0xff;
				hx_run(&op, NULL);
			}
			/* NULL attr */
			hx_ctx("%s size %u, attr NULL", hx_cmd_name(cmd), sz);
			good_op(&op, cmd, 2, target(cmd));
			op.size = sz;
			op.attr_mode = HX_ATTR_NULL;
			op.nbuf = 0;
			op.nfd = 0;
			hx_run(&op, NULL);
		}
	}
	/* The documented data points, checked against the kernel's own answer too. */
	{
		struct hx_op op;
		struct hx_res r;

		hx_ctx("MAP_CREATE attr size 0");
		good_op(&op, EMU_BPF_MAP_CREATE, 0, NULL);
		op.size = 0;
		hx_run(&op, &r);
		hx_expect(hx_kret(&r), -EINVAL, "size 0");
		hx_ctx("MAP_CREATE attr size 4");
		good_op(&op, EMU_BPF_MAP_CREATE, 0, NULL);
		op.size = 4;
		hx_run(&op, &r);
		hx_expect(hx_kret(&r), -EINVAL, "size 4");
		hx_ctx("MAP_CREATE attr size 256 zero tail");
		good_op(&op, EMU_BPF_MAP_CREATE, 0, NULL);
		op.size = 256;
		hx_run(&op, &r);
		hx_expect(hx_kret(&r) >= 0 ? 0 : hx_kret(&r), 0, "size 256 zero tail");
		hx_ctx("MAP_CREATE attr size 256, byte 200 non-zero");
		good_op(&op, EMU_BPF_MAP_CREATE, 0, NULL);
		op.size = 256;
		op.attr[200] = 1;
		hx_run(&op, &r);
		hx_expect(hx_kret(&r), -E2BIG, "size 256 byte 200");
		hx_ctx("LOOKUP attr NULL size 4097");
		good_op(&op, EMU_BPF_MAP_LOOKUP_ELEM, 1, &map);
		op.attr_mode = HX_ATTR_NULL;
		op.nbuf = op.nfd = 0;
		op.size = 4097;
		hx_run(&op, &r);
		hx_expect(hx_kret(&r), -E2BIG, "NULL attr, size > 4096");
		hx_ctx("MAP_CREATE attr NULL size 0");
		good_op(&op, EMU_BPF_MAP_CREATE, 0, NULL);
		op.attr_mode = HX_ATTR_NULL;
		op.size = 0;
		hx_run(&op, &r);
		hx_expect(hx_kret(&r), -EINVAL, "NULL attr, size 0 (all zero)");
		hx_ctx("MAP_CREATE size 16 is enough for a basic HASH");
		good_op(&op, EMU_BPF_MAP_CREATE, 0, NULL);
		op.size = 16;
		hx_run(&op, &r);
		hx_expect(hx_kret(&r) >= 0 ? 0 : hx_kret(&r), 0, "size 16");
	}
}

/* attr memory that ends before size: the kernel's copy faults. */
static void short_memory(void)
{
	static const unsigned avail_list[] = { 0, 1, 4, 16, 31, 32, 100, 167, 168, 200, 255 };
	static const unsigned size_list[] = { 4, 16, 32, 168, 169, 256, 4096 };

	for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
		for (size_t a = 0; a < sizeof(avail_list) / sizeof(avail_list[0]); a++) {
			for (size_t s = 0; s < sizeof(size_list) / sizeof(size_list[0]); s++) {
				struct hx_op op;

				if (avail_list[a] >= size_list[s] && avail_list[a] != 0)
					continue;
				refill();
				hx_ctx("%s size %u, only %u attr bytes readable", hx_cmd_name(cmds[c].cmd), size_list[s],
				       avail_list[a]);
				good_op(&op, cmds[c].cmd, 1, target(cmds[c].cmd));
				op.size = size_list[s];
				op.attr_mode = HX_ATTR_PAGE_END;
				op.attr_avail = avail_list[a];
				hx_run(&op, NULL);
			}
		}
	}
	/* The tail [168, size) is scanned upward before the attr is copied: a non-zero byte before
	 * the unreadable part is E2BIG, one after it (or none) EFAULT. */
	{
		static const unsigned avail[] = { 169, 175, 176, 200, 250, 1000, 2048, 4095 };
		static const unsigned sizes[] = { 256, 1024, 4096 };

		for (size_t a = 0; a < sizeof(avail) / sizeof(avail[0]); a++)
			for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
				unsigned sz = sizes[s], av = avail[a];
				const unsigned pos[] = { 168, av - 1, av, av + 7, sz - 1 };

				if (av >= sz)
					continue;
				for (size_t p = 0; p < sizeof(pos) / sizeof(pos[0]); p++) {
					struct hx_op op;

					if (pos[p] >= sz || pos[p] < EMU_ATTR_SIZE)
						continue;
					hx_ctx("LOOKUP size %u, %u readable, byte %u non-zero", sz, av, pos[p]);
					good_op(&op, EMU_BPF_MAP_LOOKUP_ELEM, 1, &map);
					op.size = sz;
					op.attr_mode = HX_ATTR_PAGE_END;
					op.attr_avail = av;
					op.attr[pos[p]] = 7;
					hx_run(&op, NULL);
				}
			}
	}
}

static void check_attr(void)
{
	for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
		int cmd = cmds[c].cmd;

		/* every byte of the CHECK_ATTR zone, alone */
		for (unsigned off = cmds[c].end; off < EMU_ATTR_SIZE; off++) {
			static const unsigned char vals[] = { 1, 0x80 };

			for (int v = 0; v < 2; v++) {
				struct hx_op op;
				struct hx_res r;

				refill();
				hx_ctx("%s CHECK_ATTR byte %u = %#x", hx_cmd_name(cmd), off, vals[v]);
				good_op(&op, cmd, 2, target(cmd));
				op.attr[off] = vals[v];
				hx_run(&op, &r);
				if (off == cmds[c].end || off == EMU_ATTR_SIZE - 1)
					hx_expect(hx_kret(&r), -EINVAL, "non-zero byte in the CHECK_ATTR zone");
			}
		}
		/* inside the used part: padding bytes are not checked */
		if (cmd != EMU_BPF_MAP_CREATE && cmd != EMU_BPF_MAP_FREEZE && cmd != EMU_BPF_OBJ_GET_INFO_BY_FD) {
			for (unsigned off = 4; off < 8; off++) {
				struct hx_op op;

				refill();
				hx_ctx("%s padding byte %u non-zero", hx_cmd_name(cmd), off);
				good_op(&op, cmd, 2, target(cmd));
				op.attr[off] = 0xee;
				hx_run(&op, NULL);
			}
		}
	}
	/* The element commands at short sizes, libbpf's among them (32 bytes: delete's zone is
	 * two words), and sizes that end inside a word: each byte of the zone that size covers. */
	for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
		int cmd = cmds[c].cmd;

		if (cmd == EMU_BPF_MAP_CREATE || cmd == EMU_BPF_MAP_FREEZE || cmd == EMU_BPF_OBJ_GET_INFO_BY_FD)
			continue;
		for (unsigned sz = cmds[c].end + 1; sz <= cmds[c].end + 17; sz++) {
			for (unsigned off = cmds[c].end; off < sz; off++) {
				struct hx_op op;
				struct hx_res r;

				refill();
				hx_ctx("%s size %u, CHECK_ATTR byte %u non-zero", hx_cmd_name(cmd), sz, off);
				good_op(&op, cmd, 2, target(cmd));
				op.size = sz;
				op.attr[off] = 0x40;
				hx_run(&op, &r);
				hx_expect(hx_kret(&r), -EINVAL, "non-zero byte in the CHECK_ATTR zone");
			}
		}
	}
	/* the same with a short size: a non-zero byte past size is not part of the attr */
	{
		struct hx_op op;

		refill();
		hx_ctx("LOOKUP size 32, byte 40 non-zero (not copied)");
		good_op(&op, EMU_BPF_MAP_LOOKUP_ELEM, 2, &map);
		op.size = 32;
		op.attr[40] = 1;
		hx_run(&op, NULL);
	}
}

static void unknown_commands(void)
{
	static const int list[] = { EMU_BPF_NR_CMDS, EMU_BPF_NR_CMDS + 1, 64, 100, 1000, 0x7fff, INT_MAX, -1, -2, -100,
				    INT_MIN };

	for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++) {
		struct hx_op op;
		struct hx_res r;

		hx_ctx("unknown command %d, size 168", list[i]);
		hx_op_init(&op, list[i]);
		hx_run(&op, &r);
		hx_expect(hx_kret(&r), -EINVAL, "unknown command");
		hx_ctx("unknown command %d, size 0", list[i]);
		hx_op_init(&op, list[i]);
		op.size = 0;
		hx_run(&op, NULL);
		hx_ctx("unknown command %d, attr NULL size 168", list[i]);
		hx_op_init(&op, list[i]);
		op.attr_mode = HX_ATTR_NULL;
		hx_run(&op, &r);
		hx_ctx("unknown command %d, attr NULL size 0", list[i]);
		hx_op_init(&op, list[i]);
		op.attr_mode = HX_ATTR_NULL;
		op.size = 0;
		hx_run(&op, NULL);
		hx_ctx("unknown command %d, size 5000", list[i]);
		hx_op_init(&op, list[i]);
		op.size = 5000;
		hx_run(&op, &r);
		hx_expect(hx_kret(&r), -E2BIG, "size > 4096 comes first");
		hx_ctx("unknown command %d, size 200 with non-zero tail", list[i]);
		hx_op_init(&op, list[i]);
		op.size = 200;
		op.attr[190] = 1;
		hx_run(&op, &r);
		hx_expect(hx_kret(&r), -E2BIG, "non-zero tail comes first");
		hx_ctx("unknown command %d, garbage attr", list[i]);
		hx_op_init(&op, list[i]);
		memset(op.attr, 0xff, EMU_ATTR_SIZE);
		hx_run(&op, NULL);
	}
}

int main(void)
{
	hx_init("diff_attr");
	hx_ctx("setup");
	/* iteration order must be deterministic for GET_NEXT_KEY outputs to compare */
	if (hx_create(&map, hx_have_sys_admin ? EMU_MAP_HASH : EMU_MAP_ARRAY, 4, 8, 16, hx_have_sys_admin ? EMU_F_ZERO_SEED : 0) < 0 || hx_create(&frozen_target, EMU_MAP_ARRAY, 4, 4, 2, 0) < 0) {
		printf("FAIL: cannot create the maps the scenarios use\n");
		return 1;
	}
	sizes();
	short_memory();
	check_attr();
	unknown_commands();
	hx_close(&map);
	hx_close(&frozen_target);
	return hx_finish();
}
