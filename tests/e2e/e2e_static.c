/* SPDX-License-Identifier: MIT */
/* Linked with -static: a program the preload cannot reach, which bpfemu-run must warn about (and
 * still run, passing its exit status through). It also tries one bpf() call, which glibc's static
 * syscall() sends straight to the kernel: under bpfemu-run the seccomp net must refuse it (ENOSYS),
 * where on its own as root it creates a map. */
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
		puts("bpf: a kernel map");
		close((int)fd);
	} else {
		printf("bpf: %s\n", strerror(errno));
	}
	return 3;
}
