/* SPDX-License-Identifier: MIT */
/* Linked with -static: a program the preload cannot reach, which bpfemu-run must warn about (and
 * still run, passing its exit status through). */
#include <stdio.h>

int main(void)
{
	puts("static program ran");
	return 3;
}
