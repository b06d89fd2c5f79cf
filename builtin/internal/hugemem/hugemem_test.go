package hugemem

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"unsafe"
)

func TestInterior(t *testing.T) {
	const m = hugePage
	for _, c := range []struct{ p, size, start, n uintptr }{
		{m, 2 * m, m, 2 * m},              // aligned both ends
		{m + 4096, 2 * m, 2 * m, m},       // one whole page inside: [2m, 3m)
		{m + 4096, m, 2 * m, 0},           // straddles a boundary, holds no whole page
		{3*m - 8, 3*m + 16, 3 * m, 3 * m}, // [3m, 6m) inside [3m-8, 6m+8)
		{0, m - 1, 0, 0},                  // smaller than a page
	} {
		start, n := interior(c.p, c.size)
		if n != c.n || (n > 0 && start != c.start) {
			t.Errorf("interior(%#x, %#x) = %#x, %#x; want %#x, %#x", c.p, c.size, start, n, c.start, c.n)
		}
	}
}

func TestFloatsZeroed(t *testing.T) {
	for _, n := range []int{0, 7, Threshold / 4, Threshold, 3 << 20} {
		s := Floats(n)
		if len(s) != n {
			t.Fatalf("Floats(%d) has length %d", n, len(s))
		}
		for i, v := range s {
			if v != 0 {
				t.Fatalf("Floats(%d)[%d] = %v, want 0", n, i, v)
			}
		}
	}
}

// TestAdvised reads the kernel's record of the mapping that holds a large
// array: its flags must include "hg" (MADV_HUGEPAGE) where the kernel
// has transparent huge pages.
func TestAdvised(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("madvise(MADV_HUGEPAGE) is Linux's")
	}
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil {
		t.Skip("this kernel has no transparent huge pages:", err)
	}
	s := Floats(8 << 20)
	addr := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	flags, err := vmFlags(addr + uintptr(len(s))*2) // the middle: inside the aligned interior
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(" "+flags+" ", " hg ") {
		t.Errorf("the mapping of a %d MiB array has flags %q, without hg", len(s)*4>>20, flags)
	}
	runtime.KeepAlive(s)
}

// vmFlags returns the VmFlags line of the /proc/self/smaps entry holding addr.
func vmFlags(addr uintptr) (string, error) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	in := false
	for sc.Scan() {
		line := sc.Text()
		var lo, hi uintptr
		if n, _ := fmt.Sscanf(line, "%x-%x", &lo, &hi); n == 2 && !strings.HasPrefix(line, "VmFlags") {
			in = lo <= addr && addr < hi
			continue
		}
		if in && strings.HasPrefix(line, "VmFlags:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmFlags:")), nil
		}
	}
	return "", fmt.Errorf("no mapping in /proc/self/smaps holds %#x", addr)
}
