/* SPDX-License-Identifier: MIT */
/* A shared library the dynamic loader loads happily but which is not bpfemu's preload: it answers no
 * handshake and no bpf() call. bpfemu-run given it as --preload must run nothing on the kernel and
 * exit 125 (tests/e2e/guard.sh). */
int bpfemu_e2e_fake_preload(void);
int bpfemu_e2e_fake_preload(void)
{
	return 0;
}
