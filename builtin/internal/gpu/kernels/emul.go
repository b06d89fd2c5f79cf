// Package kernels runs the GPU kernels of kernels.h on the CPU: the same
// CUDA C source compiled as C++ behind emul.h (see there for when that is
// exact), with device memory in C's heap and the matrix product in gonum.
// It implements gpu.Device, so the trainer's GPU path runs, and is tested,
// on machines without a GPU.
package kernels

/*
#cgo CXXFLAGS: -std=c++17 -O2
#include <stdint.h>
#include <stdlib.h>
int xb_emul_launch(const char *name, unsigned gx, unsigned gy, unsigned gz,
                   unsigned bx, unsigned by, unsigned bz, int nargs, const uint64_t *args);
*/
import "C"

import (
	"fmt"
	"sort"
	"unsafe"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/xlbench/xlbench/builtin/internal/gpu"
)

// Emulated is a gpu.Device on the CPU.
type Emulated struct {
	blocks []block // sorted by address
	names  map[string]*C.char
}

type block struct {
	base unsafe.Pointer
	n    int
}

// NewEmulated returns an emulated device.
func NewEmulated() *Emulated { return &Emulated{names: map[string]*C.char{}} }

// Name implements gpu.Device.
func (e *Emulated) Name() string { return "emulated (kernels compiled as C++ on the CPU)" }

// Alloc implements gpu.Device with zeroed C memory.
func (e *Emulated) Alloc(n int) (gpu.Ptr, error) {
	p := C.calloc(C.size_t(max(n, 1)), 1)
	if p == nil {
		return 0, fmt.Errorf("emulated device: out of memory allocating %d bytes", n)
	}
	e.blocks = append(e.blocks, block{p, n})
	sort.Slice(e.blocks, func(i, j int) bool { return uintptr(e.blocks[i].base) < uintptr(e.blocks[j].base) })
	return gpu.Ptr(p), nil
}

// Free implements gpu.Device.
func (e *Emulated) Free(p gpu.Ptr) {
	for i, b := range e.blocks {
		if gpu.Ptr(b.base) == p {
			C.free(b.base)
			e.blocks = append(e.blocks[:i], e.blocks[i+1:]...)
			return
		}
	}
	panic(fmt.Sprintf("emulated device: free of %#x, which was not allocated", uintptr(p)))
}

// at returns the host address of n bytes at p, checking that they lie in
// one allocation: an emulated kernel must not read what a GPU would fault
// on.
func (e *Emulated) at(p gpu.Ptr, n int) unsafe.Pointer {
	i := sort.Search(len(e.blocks), func(i int) bool { return gpu.Ptr(e.blocks[i].base) > p }) - 1
	if i < 0 || int(p-gpu.Ptr(e.blocks[i].base))+n > e.blocks[i].n {
		panic(fmt.Sprintf("emulated device: %d bytes at %#x lie outside every allocation", n, uintptr(p)))
	}
	return unsafe.Add(e.blocks[i].base, int(p-gpu.Ptr(e.blocks[i].base)))
}

func (e *Emulated) floats(p gpu.Ptr, n int) []float32 {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(e.at(p, 4*n)), n)
}

// CopyIn implements gpu.Device.
func (e *Emulated) CopyIn(dst gpu.Ptr, src unsafe.Pointer, n int) error {
	copy(unsafe.Slice((*byte)(e.at(dst, n)), n), unsafe.Slice((*byte)(src), n))
	return nil
}

// CopyOut implements gpu.Device.
func (e *Emulated) CopyOut(dst unsafe.Pointer, src gpu.Ptr, n int) error {
	copy(unsafe.Slice((*byte)(dst), n), unsafe.Slice((*byte)(e.at(src, n)), n))
	return nil
}

// Launch implements gpu.Device: the grid runs to completion before it
// returns.
func (e *Emulated) Launch(name string, grid, blk gpu.Dim, args ...gpu.Arg) error {
	cname := e.names[name]
	if cname == nil {
		cname = C.CString(name)
		e.names[name] = cname
	}
	slots := (*C.uint64_t)(C.calloc(C.size_t(len(args)+1), 8))
	defer C.free(unsafe.Pointer(slots))
	copy(unsafe.Slice((*gpu.Arg)(unsafe.Pointer(slots)), len(args)), args)
	d := func(v uint32) C.unsigned { return C.unsigned(max(v, 1)) }
	switch rc := C.xb_emul_launch(cname, d(grid.X), d(grid.Y), d(grid.Z), d(blk.X), d(blk.Y), d(blk.Z), C.int(len(args)), slots); rc {
	case 0:
		return nil
	case -1:
		return fmt.Errorf("emulated device: no kernel %q", name)
	default:
		return fmt.Errorf("emulated device: kernel %q takes another number of arguments than %d", name, len(args))
	}
}

// Gemm implements gpu.Device with gonum's row-major Sgemm.
func (e *Emulated) Gemm(transA, transB bool, m, n, k int, alpha float32, a gpu.Ptr, lda int, b gpu.Ptr, ldb int, beta float32, c gpu.Ptr, ldc int) error {
	ta, tb := blas.NoTrans, blas.NoTrans
	ar, ac := m, k
	if transA {
		ta, ar, ac = blas.Trans, k, m
	}
	br, bc := k, n
	if transB {
		tb, br, bc = blas.Trans, n, k
	}
	span := func(rows, cols, ld int) int { return (rows-1)*ld + cols }
	blas32.Implementation().Sgemm(ta, tb, m, n, k, alpha,
		e.floats(a, span(ar, ac, lda)), lda, e.floats(b, span(br, bc, ldb)), ldb,
		beta, e.floats(c, span(m, n, ldc)), ldc)
	return nil
}

// Close implements gpu.Device.
func (e *Emulated) Close() error {
	for _, b := range e.blocks {
		C.free(b.base)
	}
	e.blocks = nil
	for _, n := range e.names {
		C.free(unsafe.Pointer(n))
	}
	e.names = map[string]*C.char{}
	return nil
}

var _ gpu.Device = (*Emulated)(nil)
