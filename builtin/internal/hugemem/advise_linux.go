package hugemem

import (
	"syscall"
	"unsafe"
)

// advise asks for huge pages over the aligned interior of [p, p+size).
// An error (a kernel without transparent huge pages, or with them off)
// leaves ordinary pages, which is only slower.
func advise(p unsafe.Pointer, size uintptr) {
	start, n := interior(uintptr(p), size)
	if n == 0 {
		return
	}
	off := start - uintptr(p)
	_ = syscall.Madvise(unsafe.Slice((*byte)(p), size)[off:off+n], syscall.MADV_HUGEPAGE)
}
