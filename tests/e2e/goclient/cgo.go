// SPDX-License-Identifier: MIT
//
// Linked into goclient_cgo only: with cgo the binary is dynamically linked (it has a program
// interpreter and loads libc), yet its bpf() calls still come from Go's runtime, past libc's
// syscall(), so bpfemu-run must choose the seccomp supervisor for it by its Go build info.
package main

// int goclient_cgo_marker(void) { return 1; }
import "C"

var _ = C.goclient_cgo_marker
