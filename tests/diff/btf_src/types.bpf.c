/* SPDX-License-Identifier: MIT */
/* Every kind a C compiler emits: enums (signed, 64-bit), bitfields, unions, floats, arrays,
 * function prototypes, typedef and qualifier chains, type and decl tags, global data. */
#include "common.h"

typedef unsigned long long u64_t;
typedef const volatile u64_t cvu64;

enum small { S_A = -1, S_B = 7 };
enum big { B_A = 0x100000000ULL, B_B = 0xffffffffffffffffULL };
enum __attribute__((packed)) tiny { T_X = 1, T_Y = 2 };

struct bits {
	unsigned a : 1;
	signed b : 7;
	unsigned long long c : 40;
	enum small e : 4;
	union {
		float f;
		double d;
		long double ld;
	} u;
	char tail[3][5];
	int flex[];
};

struct fwd_only;
struct with_ptrs {
	struct fwd_only *f;
	int (*cb)(int, const char *, ...);
	void *SEED_TYPE_TAG("user") up;
	const struct with_ptrs *self;
} SEED_TAG("a_decl_tag");

volatile int counter SEED_TAG("var_tag") = 1;
const volatile cvu64 ro_cfg = 42;
struct bits bss_bits;
enum big big_val = B_B;
struct with_ptrs wp;
char __attribute__((section(".data.custom"))) custom[13] = "hello";

static __attribute__((noinline)) int helper(struct bits *b SEED_TAG("arg_tag"), enum tiny t)
{
	return b->a + t;
}

__attribute__((noinline)) int global_fn(int x, u64_t y)
{
	return x + (int)y;
}

SEC("xdp")
int xdp_prog(struct xdp_md *ctx)
{
	bss_bits.a = ctx->data_end - ctx->data > 10;
	counter++;
	return helper(&bss_bits, T_Y) + global_fn(counter, ro_cfg) + (int)big_val + custom[0];
}

char LICENSE[] SEC("license") = "GPL";
