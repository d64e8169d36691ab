/* SPDX-License-Identifier: MIT */
/* Linked with -static: a program the preload cannot reach. bpfemu-run runs it under the seccomp
 * supervisor (which answers its bpf() call: a map), or, forced to the preload, warns about it and
 * still runs it, passing its exit status through. Its one bpf() call goes straight to the kernel
 * from glibc's static syscall(): under the preload the seccomp net must refuse it (ENOSYS), where
 * on its own as root it creates a kernel map. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	unsigned int attr[42] = { 2 /* ARRAY */, 4, 4, 1 }; /* 168 bytes: 6.18's union bpf_attr */
	long fd = syscall(SYS_bpf, 0 /* BPF_MAP_CREATE */, attr, sizeof(attr));

	puts("static program ran");
	if (fd >= 0) {
		puts("bpf: a map");
		close((int)fd);
	} else {
		printf("bpf: %s\n", strerror(errno));
	}
	return 3;
}
