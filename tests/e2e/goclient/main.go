// SPDX-License-Identifier: MIT
//
// A Go client of Debian's cilium/ebpf (0.9.1): the raw bpf() system calls of Go's runtime, which
// only bpfemu-run's seccomp supervisor sees. It creates every map type the emulator has, puts,
// looks up, iterates, uses the batch commands, freezes, pins and re-opens a pinned map, and prints
// what it sees. tests/e2e/goclient.sh runs it on the kernel as root and as nobody under
// bpfemu-run, and compares the two outputs (ids are printed only as "set" or "0").
//
// Usage: goclient PINDIR (a directory on bpffs, e.g. /sys/fs/bpf/x); collection.go has two more modes
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/rlimit"
)

func check(what string, err error) {
	if err != nil {
		fmt.Printf("%s: error: %v\n", what, err)
	}
}

func say(what string, err error) {
	if err != nil {
		fmt.Printf("%s: %v\n", what, err)
	} else {
		fmt.Printf("%s: ok\n", what)
	}
}

func info(m *ebpf.Map, label string) {
	i, err := m.Info()
	if err != nil {
		fmt.Printf("%s info: error: %v\n", label, err)
		return
	}
	id, ok := i.ID()
	idSet := "0"
	if ok && id != 0 {
		idSet = "set"
	}
	fmt.Printf("%s info: type=%v key=%d value=%d max=%d flags=%#x name=%q id=%s\n", label, i.Type, i.KeySize,
		i.ValueSize, i.MaxEntries, i.Flags, i.Name, idSet)
}

// hashLike: hash and LRU hash with uint32 keys and uint64 values
func hashLike(typ ebpf.MapType, name string) {
	m, err := ebpf.NewMap(&ebpf.MapSpec{Name: name, Type: typ, KeySize: 4, ValueSize: 8, MaxEntries: 8})
	if err != nil {
		fmt.Printf("%v create: error: %v\n", typ, err)
		return
	}
	defer m.Close()
	info(m, name)
	for k := uint32(1); k <= 5; k++ {
		check(name+" put", m.Put(k, uint64(k)*100))
	}
	var v uint64
	say(name+" lookup 3", m.Lookup(uint32(3), &v))
	fmt.Printf("%s value 3 = %d\n", name, v)
	say(name+" lookup 9", m.Lookup(uint32(9), &v))
	say(name+" update noexist 3", m.Update(uint32(3), uint64(1), ebpf.UpdateNoExist))
	say(name+" update exist 7", m.Update(uint32(7), uint64(1), ebpf.UpdateExist))
	say(name+" delete 2", m.Delete(uint32(2)))
	say(name+" delete 2 again", m.Delete(uint32(2)))
	// iterate: the order is the map's, so sort for comparison
	var k uint32
	var got []string
	it := m.Iterate()
	for it.Next(&k, &v) {
		got = append(got, fmt.Sprintf("%d=%d", k, v))
	}
	say(name+" iterate", it.Err())
	sort.Strings(got)
	fmt.Printf("%s elements: %s\n", name, strings.Join(got, " "))
	// batches
	n, err := m.BatchUpdate([]uint32{10, 11, 12}, []uint64{1000, 1100, 1200}, nil)
	fmt.Printf("%s batch update: n=%d err=%v\n", name, n, err)
	keys := make([]uint32, 16)
	vals := make([]uint64, 16)
	var next uint32
	n, err = m.BatchLookup(nil, &next, keys, vals, nil)
	fmt.Printf("%s batch lookup: n=%d enoent=%v\n", name, n, errors.Is(err, ebpf.ErrKeyNotExist))
	var pairs []string
	for i := 0; i < n; i++ {
		pairs = append(pairs, fmt.Sprintf("%d=%d", keys[i], vals[i]))
	}
	sort.Strings(pairs)
	fmt.Printf("%s batch elements: %s\n", name, strings.Join(pairs, " "))
	n, err = m.BatchDelete([]uint32{10, 11}, nil)
	fmt.Printf("%s batch delete: n=%d err=%v\n", name, n, err)
	n, err = m.BatchDelete([]uint32{12, 99}, nil)
	fmt.Printf("%s batch delete missing: n=%d err=%v\n", name, n, err)
	n, err = m.BatchLookupAndDelete(nil, &next, keys, vals, nil)
	fmt.Printf("%s batch lookup and delete: n=%d enoent=%v\n", name, n, errors.Is(err, ebpf.ErrKeyNotExist))
	n, err = m.BatchLookup(nil, &next, keys, vals, nil)
	fmt.Printf("%s after drain: n=%d enoent=%v\n", name, n, errors.Is(err, ebpf.ErrKeyNotExist))
}

// perCPU: per-CPU values are one slot per possible CPU
func perCPU(typ ebpf.MapType, name string, maxEntries uint32) {
	m, err := ebpf.NewMap(&ebpf.MapSpec{Name: name, Type: typ, KeySize: 4, ValueSize: 8, MaxEntries: maxEntries})
	if err != nil {
		fmt.Printf("%v create: error: %v\n", typ, err)
		return
	}
	defer m.Close()
	info(m, name)
	ncpu, err := possibleCPUs()
	check("possible cpus", err)
	vals := make([]uint64, ncpu)
	for i := range vals {
		vals[i] = uint64(i + 7)
	}
	check(name+" put", m.Put(uint32(1), vals))
	var out []uint64
	say(name+" lookup 1", m.Lookup(uint32(1), &out))
	ok := len(out) == ncpu
	for i := range out {
		ok = ok && out[i] == uint64(i+7)
	}
	fmt.Printf("%s per-cpu values round trip: %v\n", name, ok)
	_, err = m.BatchLookup(nil, new(uint32), make([]uint32, 4), make([]uint64, 4), nil)
	fmt.Printf("%s batch lookup: %v\n", name, err)
	count := 0
	var k uint32
	it := m.Iterate()
	for it.Next(&k, &out) {
		count++
	}
	say(name+" iterate", it.Err())
	fmt.Printf("%s iterated %d\n", name, count)
}

// possibleCPUs: what cilium/ebpf sizes per-CPU values by (0.9.1 keeps its own reader internal)
func possibleCPUs() (int, error) {
	b, err := os.ReadFile("/sys/devices/system/cpu/possible")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range strings.Split(strings.TrimSpace(string(b)), ",") {
		var lo, hi int
		if c, _ := fmt.Sscanf(r, "%d-%d", &lo, &hi); c == 2 {
			n += hi - lo + 1
		} else if _, err := fmt.Sscanf(r, "%d", &lo); err == nil {
			n++
		} else {
			return 0, fmt.Errorf("possible cpus %q", b)
		}
	}
	return n, nil
}

func array(typ ebpf.MapType, name string) {
	m, err := ebpf.NewMap(&ebpf.MapSpec{Name: name, Type: typ, KeySize: 4, ValueSize: 8, MaxEntries: 4})
	if err != nil {
		fmt.Printf("%v create: error: %v\n", typ, err)
		return
	}
	defer m.Close()
	info(m, name)
	check(name+" put", m.Put(uint32(2), uint64(22)))
	say(name+" put out of range", m.Put(uint32(4), uint64(1)))
	say(name+" delete", m.Delete(uint32(2)))
	var v uint64
	var k uint32
	var got []string
	it := m.Iterate()
	for it.Next(&k, &v) {
		got = append(got, fmt.Sprintf("%d=%d", k, v))
	}
	say(name+" iterate", it.Err())
	fmt.Printf("%s elements: %s\n", name, strings.Join(got, " "))
	n, err := m.BatchUpdate([]uint32{0, 3}, []uint64{5, 33}, nil)
	fmt.Printf("%s batch update: n=%d err=%v\n", name, n, err)
	keys := make([]uint32, 4)
	vals := make([]uint64, 4)
	var next uint32
	n, err = m.BatchLookup(nil, &next, keys, vals, nil)
	fmt.Printf("%s batch lookup: n=%d enoent=%v keys=%v values=%v\n", name, n, errors.Is(err, ebpf.ErrKeyNotExist), keys[:n], vals[:n])
	check(name+" freeze", m.Freeze())
	say(name+" put after freeze", m.Put(uint32(1), uint64(1)))
	say(name+" lookup after freeze", m.Lookup(uint32(3), &v))
	fmt.Printf("%s value 3 = %d\n", name, v)
}

func queueStack(typ ebpf.MapType, name string) {
	m, err := ebpf.NewMap(&ebpf.MapSpec{Name: name, Type: typ, KeySize: 0, ValueSize: 8, MaxEntries: 3})
	if err != nil {
		fmt.Printf("%v create: error: %v\n", typ, err)
		return
	}
	defer m.Close()
	info(m, name)
	for v := uint64(1); v <= 4; v++ {
		say(fmt.Sprintf("%s push %d", name, v), m.Update(nil, v, ebpf.UpdateAny))
	}
	var v uint64
	say(name+" peek", m.Lookup(nil, &v))
	fmt.Printf("%s peeked %d\n", name, v)
	for i := 0; i < 4; i++ {
		err := m.LookupAndDelete(nil, &v)
		if err != nil {
			fmt.Printf("%s pop: %v\n", name, err)
		} else {
			fmt.Printf("%s pop: %d\n", name, v)
		}
	}
}

func pins(dir string) {
	say("mkdir pin dir", os.MkdirAll(dir, 0o755))
	m, err := ebpf.NewMap(&ebpf.MapSpec{Name: "pinned", Type: ebpf.Hash, KeySize: 4, ValueSize: 4, MaxEntries: 4})
	if err != nil {
		fmt.Printf("pin create: error: %v\n", err)
		return
	}
	path := filepath.Join(dir, "gomap")
	check("pin put", m.Put(uint32(1), uint32(11)))
	say("pin", m.Pin(path))
	fmt.Printf("is pinned: %v\n", m.IsPinned())
	_, err = os.Stat(path)
	say("stat pin", err)
	check("close", m.Close())
	m2, err := ebpf.LoadPinnedMap(path, nil)
	if err != nil {
		fmt.Printf("load pinned: error: %v\n", err)
		return
	}
	info(m2, "reopened")
	var v uint32
	say("reopened lookup 1", m2.Lookup(uint32(1), &v))
	fmt.Printf("reopened value 1 = %d\n", v)
	ro, err := ebpf.LoadPinnedMap(path, &ebpf.LoadPinOptions{ReadOnly: true})
	if err == nil {
		say("read-only put", ro.Put(uint32(2), uint32(1)))
		ro.Close()
	} else {
		fmt.Printf("load read-only: error: %v\n", err)
	}
	_, err = ebpf.LoadPinnedMap(filepath.Join(dir, "nothere"), nil)
	fmt.Printf("load missing: %v\n", err)
	say("unpin", m2.Unpin())
	_, err = os.Stat(path)
	fmt.Printf("stat after unpin: not exist=%v\n", os.IsNotExist(err))
	check("close reopened", m2.Close())
	say("remove pin dir", os.Remove(dir))
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "ringbuf" {
		ringbufMain() // ringbuf.go
		return
	}
	if len(os.Args) > 1 && (os.Args[1] == "collection" || os.Args[1] == "mmap" || os.Args[1] == "pinned") {
		programMain(os.Args[1], os.Args[2:]) // collection.go
		return
	}
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: goclient PINDIR")
		os.Exit(2)
	}
	// what the cilium/ebpf documentation tells every program to do first
	check("remove memlock", rlimit.RemoveMemlock())
	hashLike(ebpf.Hash, "hash")
	hashLike(ebpf.LRUHash, "lru_hash")
	perCPU(ebpf.PerCPUHash, "percpu_hash", 8)
	perCPU(ebpf.LRUCPUHash, "lru_percpu_hash", 8)
	array(ebpf.Array, "array")
	perCPU(ebpf.PerCPUArray, "percpu_array", 4)
	queueStack(ebpf.Queue, "queue")
	queueStack(ebpf.Stack, "stack")
	pins(os.Args[1])
	fmt.Println("done")
}
