// SPDX-License-Identifier: MIT
//
// goclient ringbuf (tests/e2e/gocoll.sh ringbuf): cilium/ebpf's (0.9.1) ringbuf.Reader on a RINGBUF
// map that an XDP program fills with bpf_ringbuf_output, run with Program.Run (BPF_PROG_TEST_RUN).
// The Reader maps the ring's pages (the consumer page, then the producer page and the data pages
// twice) and waits in epoll_wait on the ring fd (internal/epoll): under the seccomp supervisor the
// mapping is made of several parts of the map file, and the epoll registration is the
// supervisor's. Records are 200 bytes in a 4096-byte ring, read after each round of 10 runs, so
// records lie across the end of the ring (read through the second mapping of the data). Then an
// epoll of the program's own (syscall.EpollCtl) on the ring fd: a wait that times out while the
// ring is empty, one that reports it after a run, and a Read on an empty ring interrupted by Close.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/ringbuf"
	"github.com/cilium/ebpf/rlimit"
)

const recLen = 200

// the packet of run i: its first recLen bytes become the record
func packet(i int) []byte {
	p := make([]byte, 256)
	for k := range p {
		p[k] = byte(i*7 + k*3)
	}
	return p
}

func ringbufMain() {
	check("remove memlock", rlimit.RemoveMemlock())
	m, err := ebpf.NewMap(&ebpf.MapSpec{Type: ebpf.RingBuf, MaxEntries: 4096})
	check("ringbuf map", err)
	defer m.Close()
	// r2 = data, r3 = data_end; if data + recLen > data_end: out; the first recLen bytes copied to
	// the stack (a helper may not read the packet); bpf_ringbuf_output(map, fp - recLen, recLen, 0)
	insns := asm.Instructions{
		asm.LoadMem(asm.R2, asm.R1, 0, asm.Word),
		asm.LoadMem(asm.R3, asm.R1, 4, asm.Word),
		asm.Mov.Reg(asm.R4, asm.R2),
		asm.Add.Imm(asm.R4, recLen),
		asm.JGT.Reg(asm.R4, asm.R3, "out"),
	}
	for off := 0; off < recLen; off += 8 {
		insns = append(insns, asm.LoadMem(asm.R5, asm.R2, int16(off), asm.DWord),
			asm.StoreMem(asm.RFP, int16(off-recLen), asm.R5, asm.DWord))
	}
	insns = append(insns,
		asm.LoadMapPtr(asm.R1, m.FD()),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, -recLen),
		asm.Mov.Imm(asm.R3, recLen),
		asm.Mov.Imm(asm.R4, 0),
		asm.FnRingbufOutput.Call(),
		asm.Mov.Imm(asm.R0, 2).WithSymbol("out"),
		asm.Return(),
	)
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{Type: ebpf.XDP, Instructions: insns, License: "GPL"})
	check("xdp program", err)
	defer prog.Close()
	rd, err := ringbuf.NewReader(m)
	check("ringbuf.NewReader", err)
	run := 0
	for round := 0; round < 4; round++ {
		for i := 0; i < 10; i++ {
			ret, err := prog.Run(&ebpf.RunOptions{Data: packet(run + i)})
			if err != nil || ret != 2 {
				fmt.Printf("run %d: ret=%d err=%v\n", run+i, ret, err)
			}
		}
		for i := 0; i < 10; i++ {
			rec, err := rd.Read()
			if err != nil {
				fmt.Printf("round %d read %d: %v\n", round, i, err)
				break
			}
			ok := "ok"
			if !bytes.Equal(rec.RawSample, packet(run)[:recLen]) {
				ok = "WRONG BYTES"
			}
			fmt.Printf("round %d record %d: %d bytes % x... %s\n", round, run, len(rec.RawSample), rec.RawSample[:4], ok)
			run++
		}
	}
	// the program's own epoll instance with the ring fd in it
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	check("epoll_create1", err)
	say("epoll_ctl ADD ring", syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, m.FD(), &syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: 77}))
	say("epoll_ctl ADD ring again", syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, m.FD(), &syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: 77}))
	ev := make([]syscall.EpollEvent, 4)
	t0 := time.Now()
	n, err := syscall.EpollWait(ep, ev, 150)
	fmt.Printf("epoll_wait on the empty ring: %d events, %v, timed out: %v\n", n, err, time.Since(t0) >= 140*time.Millisecond)
	_, err = prog.Run(&ebpf.RunOptions{Data: packet(run)})
	check("run", err)
	n, err = syscall.EpollWait(ep, ev, 2000)
	fmt.Printf("epoll_wait after a run: %d events, %v", n, err)
	for _, e := range ev[:max(n, 0)] {
		fmt.Printf(" [events %#x fd %d]", e.Events, e.Fd)
	}
	fmt.Println()
	say("epoll_ctl DEL ring", syscall.EpollCtl(ep, syscall.EPOLL_CTL_DEL, m.FD(), nil))
	say("epoll_ctl DEL ring again", syscall.EpollCtl(ep, syscall.EPOLL_CTL_DEL, m.FD(), nil))
	syscall.Close(ep)
	rec, err := rd.Read()
	if err == nil {
		fmt.Printf("record %d: %d bytes %v\n", run, len(rec.RawSample), bytes.Equal(rec.RawSample, packet(run)[:recLen]))
	} else {
		fmt.Printf("record %d: %v\n", run, err)
	}
	// a Read on the empty ring blocks until Close
	go func() {
		time.Sleep(200 * time.Millisecond)
		rd.Close()
	}()
	t0 = time.Now()
	rec, err = rd.Read()
	fmt.Printf("read on the empty ring: %d bytes, closed: %v, after Close: %v\n", len(rec.RawSample),
		errors.Is(err, ringbuf.ErrClosed), time.Since(t0) >= 190*time.Millisecond)
	fmt.Println("done")
}

func max(a, b int) int {
	if a > b {
		return a
	}
	return b
}
