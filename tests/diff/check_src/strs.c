/* SPDX-License-Identifier: MIT */
/* strings: rodata through map values, snprintf, strncmp, probe reads (kprobe). */
#include "common.h"

const volatile char prefix[8] = "bpfemu";

SEC("kprobe/do_nanosleep")
int kp_str(void *ctx)
{
	char buf[32], comm[16];
	__u64 args[2] = {1, 2};
	long n;

	bpf_get_current_comm(comm, sizeof(comm));
	n = bpf_snprintf(buf, sizeof(buf), "%d-%d", args, sizeof(args));
	if (n < 0)
		return 0;
	if (bpf_strncmp(comm, 6, (const char *)prefix) == 0)
		bpf_printk("%s", buf);
	bpf_probe_read_kernel(buf, 8, ctx);
	bpf_probe_read_kernel_str(buf, sizeof(buf), ctx);
	bpf_probe_read_user(buf, 8, ctx);
	bpf_probe_read_user_str(buf, 8, ctx);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
