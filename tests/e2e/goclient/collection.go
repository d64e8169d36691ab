// SPDX-License-Identifier: MIT
//
// The goclient's program modes (tests/e2e/gocoll.sh): what a cilium/ebpf (0.9.1) program does
// with an object clang built (tests/e2e/goclient/coll.bpf.c), and what it does with a map's
// memory.
//
//	goclient collection OBJ   LoadCollectionSpec, RewriteConstants, NewCollection (BTF-defined
//	                          maps, the .rodata/.data/.bss arrays, an XDP program), Program.Run
//	                          and Program.Test (BPF_PROG_TEST_RUN), the results read back
//	                          through the maps, and a second collection sharing a pinned map
//	goclient pinned DIR       DIR/m (pinned by bpftool) read and changed, DIR/gomade pinned for
//	                          bpftool; their ids printed (tests/e2e/mixed.sh)
//	goclient mmap             a BPF_F_MMAPABLE array mapped with mmap(2) (as newer cilium/ebpf
//	                          and libbpf's skeletons map global data): writes through the
//	                          mapping seen by lookups and the other way round, FREEZE refused
//	                          while a writable mapping exists and allowed after munmap, the
//	                          mappings a frozen map still allows
package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/rlimit"
)

func sortedKeys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// fdFiles: what /proc says of an fd (the link's target, the object's fdinfo lines but the ids and
// the memlock, which differ between the kernel and the emulator)
func fdFiles(label string, fd int) {
	link, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
	fmt.Printf("%s fd link: %s %v\n", label, link, err)
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/fdinfo/%d", fd))
	if err != nil {
		fmt.Printf("%s fdinfo: error: %v\n", label, err)
		return
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.SplitN(l, ":", 2)
		switch f[0] {
		case "map_type", "key_size", "value_size", "max_entries", "map_flags", "frozen", "prog_type", "prog_tag":
			fmt.Printf("%s fdinfo %s\n", label, strings.Join(strings.Fields(l), " "))
		}
	}
}

// globalData prints a one-entry global data array's value
func globalData(coll *ebpf.Collection, name string) []byte {
	m := coll.Maps[name]
	if m == nil {
		fmt.Printf("%s: no such map\n", name)
		return nil
	}
	v := make([]byte, m.ValueSize())
	say(name+" lookup 0", m.Lookup(uint32(0), &v))
	fmt.Printf("%s = %x\n", name, v)
	return v
}

func showCounters(coll *ebpf.Collection) {
	var v uint64
	say("counters lookup 0", coll.Maps["counters"].Lookup(uint32(0), &v))
	fmt.Printf("counters[0] = %d\n", v)
	var k uint32
	var got []string
	it := coll.Maps["by_len"].Iterate()
	for it.Next(&k, &v) {
		got = append(got, fmt.Sprintf("%d=%d", k, v))
	}
	say("by_len iterate", it.Err())
	sort.Strings(got)
	fmt.Printf("by_len: %s\n", strings.Join(got, " "))
}

func collection(obj, pindir string) {
	spec, err := ebpf.LoadCollectionSpec(obj)
	if err != nil {
		fmt.Printf("load spec: error: %v\n", err)
		return
	}
	for _, n := range sortedKeys(spec.Maps) {
		ms := spec.Maps[n]
		fmt.Printf("spec map %s: type=%v key=%d value=%d max=%d flags=%#x freeze=%v btf=%v\n", n, ms.Type,
			ms.KeySize, ms.ValueSize, ms.MaxEntries, ms.Flags, ms.Freeze, ms.BTF != nil)
	}
	for _, n := range sortedKeys(spec.Programs) {
		ps := spec.Programs[n]
		fmt.Printf("spec program %s: type=%v section=%s insns=%d license=%s\n", n, ps.Type, ps.SectionName,
			len(ps.Instructions), ps.License)
	}
	say("rewrite constants", spec.RewriteConstants(map[string]interface{}{"verdict": uint32(3)}))
	say("rewrite a missing constant", spec.RewriteConstants(map[string]interface{}{"nothere": uint32(1)}))
	spec.Maps["by_len"].Pinning = ebpf.PinByName
	say("mkdir pin dir", os.MkdirAll(pindir, 0o755))
	coll, err := ebpf.NewCollectionWithOptions(spec, ebpf.CollectionOptions{Maps: ebpf.MapOptions{PinPath: pindir}})
	if err != nil {
		fmt.Printf("new collection: error: %v\n", err)
		return
	}
	defer coll.Close()
	for _, n := range sortedKeys(coll.Maps) {
		info(coll.Maps[n], "map "+n)
	}
	prog := coll.Programs["coll_xdp"]
	pi, err := prog.Info()
	if err != nil {
		fmt.Printf("program info: error: %v\n", err)
	} else {
		ids, _ := pi.MapIDs()
		fmt.Printf("program info: type=%v name=%q tag=%s maps=%d\n", pi.Type, pi.Name, pi.Tag, len(ids))
	}
	fdFiles("map counters", coll.Maps["counters"].FD())
	fdFiles("program", prog.FD())
	globalData(coll, ".rodata")
	say(".rodata put (frozen)", coll.Maps[".rodata"].Put(uint32(0), make([]byte, 16)))

	for _, n := range []int{64, 14, 64, 100} {
		pkt := bytes.Repeat([]byte{byte(n)}, n)
		out := make([]byte, n+256)
		ret, err := prog.Run(&ebpf.RunOptions{Data: pkt, DataOut: out})
		fmt.Printf("run len=%d: ret=%d err=%v out=%x\n", n, ret, err, out[:n])
	}
	showCounters(coll)
	bss := globalData(coll, ".bss")
	data := globalData(coll, ".data")
	if len(bss) == 8 && len(data) == 16 {
		fmt.Printf("runs=%d last_len=%d sum=%d\n", binary.LittleEndian.Uint64(bss),
			binary.LittleEndian.Uint32(data), binary.LittleEndian.Uint64(data[8:]))
	}
	// user space changes the program's globals, the program sees them
	nd := make([]byte, 16)
	binary.LittleEndian.PutUint64(nd[8:], 1000)
	say(".data put", coll.Maps[".data"].Put(uint32(0), nd))
	ret, out, err := prog.Test(make([]byte, 20))
	fmt.Printf("test len=20: ret=%d err=%v out=%d bytes\n", ret, err, len(out))
	data = globalData(coll, ".data")
	if len(data) == 16 {
		fmt.Printf("last_len=%d sum=%d\n", binary.LittleEndian.Uint32(data), binary.LittleEndian.Uint64(data[8:]))
	}
	_, err = prog.Run(&ebpf.RunOptions{Data: make([]byte, 10), Repeat: 2, Flags: 1})
	fmt.Printf("run with bad flags: %v\n", err)

	// a second collection re-uses the pinned map: the first one's counts are there
	spec2, err := ebpf.LoadCollectionSpec(obj)
	if err == nil {
		spec2.Maps["by_len"].Pinning = ebpf.PinByName
		coll2, err := ebpf.NewCollectionWithOptions(spec2, ebpf.CollectionOptions{Maps: ebpf.MapOptions{PinPath: pindir}})
		if err != nil {
			fmt.Printf("second collection: error: %v\n", err)
		} else {
			ret, err := coll2.Programs["coll_xdp"].Run(&ebpf.RunOptions{Data: make([]byte, 64)})
			fmt.Printf("second collection run len=64: ret=%d err=%v\n", ret, err)
			var v uint64
			say("pinned by_len lookup 64", coll.Maps["by_len"].Lookup(uint32(64), &v))
			fmt.Printf("pinned by_len[64] = %d (both collections' runs)\n", v)
			coll2.Close()
		}
	}
	say("unpin by_len", coll.Maps["by_len"].Unpin())
	say("remove pin dir", os.Remove(pindir))
}

func errnoName(err error) string {
	var e syscall.Errno
	if errors.As(err, &e) {
		switch e {
		case syscall.EBUSY:
			return "EBUSY"
		case syscall.EPERM:
			return "EPERM"
		case syscall.EACCES:
			return "EACCES"
		case syscall.EINVAL:
			return "EINVAL"
		case syscall.ENODEV:
			return "ENODEV"
		}
		return fmt.Sprintf("errno %d", int(e))
	}
	if err == nil {
		return "ok"
	}
	return err.Error()
}

func mmapMode() {
	const mmapable = 0x400 // BPF_F_MMAPABLE
	m, err := ebpf.NewMap(&ebpf.MapSpec{Name: "mm", Type: ebpf.Array, KeySize: 4, ValueSize: 8,
		MaxEntries: 600, Flags: mmapable})
	if err != nil {
		fmt.Printf("mmapable create: error: %v\n", err)
		return
	}
	defer m.Close()
	info(m, "mm")
	check("put 1", m.Put(uint32(1), uint64(11)))
	check("put 599", m.Put(uint32(599), uint64(5990)))
	size := 8192 // 600 values of 8 bytes: two pages
	mem, err := syscall.Mmap(m.FD(), 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	fmt.Printf("mmap rw: %s\n", errnoName(err))
	if err != nil {
		return
	}
	fmt.Printf("mapped [1]=%d [599]=%d\n", binary.LittleEndian.Uint64(mem[8:]), binary.LittleEndian.Uint64(mem[599*8:]))
	binary.LittleEndian.PutUint64(mem[2*8:], 222)
	binary.LittleEndian.PutUint64(mem[598*8:], 5980)
	var v uint64
	say("lookup 2", m.Lookup(uint32(2), &v))
	fmt.Printf("lookup 2 = %d\n", v)
	say("lookup 598", m.Lookup(uint32(598), &v))
	fmt.Printf("lookup 598 = %d\n", v)
	check("put 3", m.Put(uint32(3), uint64(33)))
	fmt.Printf("mapped [3]=%d\n", binary.LittleEndian.Uint64(mem[3*8:]))
	_, err = syscall.Mmap(m.FD(), 0, 3*4096, syscall.PROT_READ, syscall.MAP_SHARED)
	fmt.Printf("mmap past the values: %s\n", errnoName(err))
	_, err = syscall.Mmap(m.FD(), 4096, 4096, syscall.PROT_READ, syscall.MAP_PRIVATE)
	fmt.Printf("mmap private: %s\n", errnoName(err))
	second, err := syscall.Mmap(m.FD(), 4096, 4096, syscall.PROT_READ, syscall.MAP_SHARED)
	fmt.Printf("mmap second page read-only: %s\n", errnoName(err))
	if err == nil {
		fmt.Printf("second page [599]=%d\n", binary.LittleEndian.Uint64(second[(599-512)*8:]))
		fmt.Printf("mprotect the read-only mapping writable: %s\n",
			errnoName(syscall.Mprotect(second, syscall.PROT_READ|syscall.PROT_WRITE)))
	}
	fmt.Printf("freeze while mapped writable: %s\n", errnoName(m.Freeze()))
	say("put while mapped", m.Put(uint32(4), uint64(44)))
	check("munmap", syscall.Munmap(mem))
	fmt.Printf("freeze after munmap: %s\n", errnoName(m.Freeze()))
	say("put after freeze", m.Put(uint32(4), uint64(1)))
	_, err = syscall.Mmap(m.FD(), 0, 4096, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	fmt.Printf("mmap rw after freeze: %s\n", errnoName(err))
	ro, err := syscall.Mmap(m.FD(), 0, 4096, syscall.PROT_READ, syscall.MAP_SHARED)
	fmt.Printf("mmap read-only after freeze: %s\n", errnoName(err))
	if err == nil {
		fmt.Printf("frozen [2]=%d [3]=%d [4]=%d\n", binary.LittleEndian.Uint64(ro[16:]),
			binary.LittleEndian.Uint64(ro[24:]), binary.LittleEndian.Uint64(ro[32:]))
		syscall.Munmap(ro)
	}
	if second != nil {
		syscall.Munmap(second)
	}
	plain, err := ebpf.NewMap(&ebpf.MapSpec{Name: "plain", Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 4})
	if err == nil {
		_, err = syscall.Mmap(plain.FD(), 0, 4096, syscall.PROT_READ, syscall.MAP_SHARED)
		fmt.Printf("mmap of an array without BPF_F_MMAPABLE: %s\n", errnoName(err))
		plain.Close()
	}
}

// pinnedMode: a map pinned by another program (bpftool, preloaded) read and changed, and one pinned
// for it; their ids printed for the script to compare with bpftool's
func pinnedMode(dir string) {
	m, err := ebpf.LoadPinnedMap(filepath.Join(dir, "m"), nil)
	if err != nil {
		fmt.Printf("load pinned m: error: %v\n", err)
		return
	}
	info(m, "m")
	var k uint32
	var v uint64
	var got []string
	it := m.Iterate()
	for it.Next(&k, &v) {
		got = append(got, fmt.Sprintf("%d=%d", k, v))
	}
	say("m iterate", it.Err())
	sort.Strings(got)
	fmt.Printf("m elements: %s\n", strings.Join(got, " "))
	say("m put 2", m.Put(uint32(2), uint64(20)))
	if i, err := m.Info(); err == nil {
		id, _ := i.ID()
		fmt.Printf("id of m: %d\n", id)
	}
	m.Close()
	g, err := ebpf.NewMap(&ebpf.MapSpec{Name: "gomade", Type: ebpf.Hash, KeySize: 4, ValueSize: 8, MaxEntries: 8})
	if err != nil {
		fmt.Printf("create gomade: error: %v\n", err)
		return
	}
	say("gomade put 7", g.Put(uint32(7), uint64(70)))
	say("gomade pin", g.Pin(filepath.Join(dir, "gomade")))
	if i, err := g.Info(); err == nil {
		id, _ := i.ID()
		fmt.Printf("id of gomade: %d\n", id)
	}
	g.Close()
}

func programMain(mode string, args []string) {
	check("remove memlock", rlimit.RemoveMemlock())
	switch {
	case mode == "collection" && len(args) == 2:
		collection(args[0], filepath.Clean(args[1]))
	case mode == "mmap" && len(args) == 0:
		mmapMode()
	case mode == "pinned" && len(args) == 1:
		pinnedMode(args[0])
	default:
		fmt.Fprintln(os.Stderr, "usage: goclient collection OBJ PINDIR | goclient mmap | goclient pinned DIR")
		os.Exit(2)
	}
	fmt.Println("done")
}
