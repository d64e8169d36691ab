/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include "../util/compiler.h"
#include "diag.h"

static void vdiag(const char *fmt, va_list ap)
{
	char line[512];

	if (vsnprintf(line, sizeof(line), fmt, ap) < 0)
		return;
	fprintf(stderr, "bpfemu: %s\n", line);
}

/* One line on stderr, prefixed, so a user sees why a call the kernel would take was refused. */
void emu_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(fmt, ap);
	va_end(ap);
}

void emu_diag_once(bool *said, const char *fmt, ...)
{
	va_list ap;

	if (__atomic_exchange_n(said, true, __ATOMIC_RELAXED))
		return;
	va_start(ap, fmt);
	vdiag(fmt, ap);
	va_end(ap);
}

bool emu_diag_file_new(unsigned long long dev, unsigned long long ino)
{
	static struct {
		unsigned long long dev, ino;
	} said[8];
	static unsigned next;
	static pthread_mutex_t said_lock = PTHREAD_MUTEX_INITIALIZER;
	bool known = false;

	pthread_mutex_lock(&said_lock);
	for (unsigned i = 0; i < 8 && !known; i++)
		known = said[i].dev == dev && said[i].ino == ino;
	if (!known) {
		said[next % 8].dev = dev;
		said[next % 8].ino = ino;
		next++;
	}
	pthread_mutex_unlock(&said_lock);
	return !known;
}
