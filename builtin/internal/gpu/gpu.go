// Package gpu is what the built-in trainer's GPU path is written against: a
// device with memory, the kernels of kernels/kernels.h and a matrix
// product. Two devices implement it: package cuda drives a real GPU
// (libcuda, NVRTC and cuBLAS loaded at run time, no cgo), and package
// kernels emulates one on the CPU by compiling the same kernel source as
// C++, so the trainer's GPU code is tested where there is no GPU.
package gpu

import (
	_ "embed"
	"math"
	"unsafe"
)

// Source is the CUDA C source of every kernel (see kernels/kernels.h).
//
//go:embed kernels/kernels.h
var Source string

// Kernels lists the kernels Source defines, by their extern "C" names.
var Kernels = []string{
	"xb_bag_sum", "xb_row_grads", "xb_adam_rows", "xb_adam",
	"xb_normalize", "xb_lse", "xb_infonce_grad", "xb_norm_backward",
	"xb_relu", "xb_relu_backward", "xb_add",
}

// Ptr is an address in device memory.
type Ptr uintptr

// Add returns p advanced by n float32 (or 32-bit integer) elements.
func (p Ptr) Add(n int) Ptr { return p + Ptr(4*n) }

// Arg is one kernel argument packed as a CUDA launch packs it: an 8-byte
// slot read at the width of the parameter's type (little-endian).
type Arg uint64

// P, I and F pack a device pointer, an int and a float.
func P(p Ptr) Arg            { return Arg(p) }
func I(v int) Arg            { return Arg(uint32(int32(v))) }
func F(v float32) Arg        { return Arg(math.Float32bits(v)) }
func Grid(n, per int) uint32 { return uint32((n + per - 1) / per) }

// Dim is a launch's grid or block size.
type Dim struct{ X, Y, Z uint32 }

// Device is a GPU, or its emulation.
type Device interface {
	// Name says which device this is, for logs and errors.
	Name() string
	// Alloc returns n bytes of device memory, zeroed.
	Alloc(n int) (Ptr, error)
	Free(p Ptr)
	// CopyIn copies n bytes from host memory at src to dst; CopyOut the
	// other way. Both wait for the work queued before them.
	CopyIn(dst Ptr, src unsafe.Pointer, n int) error
	CopyOut(dst unsafe.Pointer, src Ptr, n int) error
	// Launch queues the kernel called name over grid blocks of block
	// threads.
	Launch(name string, grid, block Dim, args ...Arg) error
	// Gemm queues C = alpha·op(A)·op(B) + beta·C on row-major matrices:
	// op(A) is m×k, op(B) k×n, C m×n; op transposes when asked.
	Gemm(transA, transB bool, m, n, k int, alpha float32, a Ptr, lda int, b Ptr, ldb int, beta float32, c Ptr, ldc int) error
	// Close frees everything the device holds.
	Close() error
}

// Word is a 4-byte element type that moves between host and device.
type Word interface{ ~float32 | ~uint32 | ~int32 }

// Put copies src to dst on d.
func Put[T Word](d Device, dst Ptr, src []T) error {
	if len(src) == 0 {
		return nil
	}
	return d.CopyIn(dst, unsafe.Pointer(&src[0]), 4*len(src))
}

// Get copies len(dst) elements from src on d to dst.
func Get[T Word](d Device, dst []T, src Ptr) error {
	if len(dst) == 0 {
		return nil
	}
	return d.CopyOut(unsafe.Pointer(&dst[0]), src, 4*len(dst))
}

// Buffer is device memory that grows when asked for more than it holds.
type Buffer struct {
	P     Ptr
	words int
}

// Ensure makes b hold at least n 4-byte words, freeing and reallocating
// (without keeping the contents) when it is smaller.
func (b *Buffer) Ensure(d Device, n int) error {
	if n <= b.words {
		return nil
	}
	if b.words > 0 {
		d.Free(b.P)
	}
	n = max(n, b.words+b.words/2)
	p, err := d.Alloc(4 * n)
	if err != nil {
		b.P, b.words = 0, 0
		return err
	}
	b.P, b.words = p, n
	return nil
}

// Release frees b.
func (b *Buffer) Release(d Device) {
	if b.words > 0 {
		d.Free(b.P)
	}
	b.P, b.words = 0, 0
}
