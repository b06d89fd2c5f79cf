package gemm

import "golang.org/x/sys/cpu"

// haveKernels reports whether the AVX kernels can run here; without them
// Sgemm is gonum's.
var haveKernels = cpu.X86.HasAVX

// axpyRow64 updates c[0:64]: for each l < k in order where a[l·astride]
// is not zero (±0), c[j] = (b[l·ldb+j]·a[l·astride]) + c[j], each product
// rounded first.
// axpyRow8 … axpyRow56 do the same over c's first 8 … 56 floats.
//
//go:noescape
func axpyRow64(a *float32, astride int, k int, b *float32, ldb int, c *float32)

//go:noescape
func axpyRow56(a *float32, astride int, k int, b *float32, ldb int, c *float32)

//go:noescape
func axpyRow48(a *float32, astride int, k int, b *float32, ldb int, c *float32)

//go:noescape
func axpyRow40(a *float32, astride int, k int, b *float32, ldb int, c *float32)

//go:noescape
func axpyRow32(a *float32, astride int, k int, b *float32, ldb int, c *float32)

//go:noescape
func axpyRow24(a *float32, astride int, k int, b *float32, ldb int, c *float32)

//go:noescape
func axpyRow16(a *float32, astride int, k int, b *float32, ldb int, c *float32)

//go:noescape
func axpyRow8(a *float32, astride int, k int, b *float32, ldb int, c *float32)

// axpyRows are the kernels by width: axpyRows[r] spans 8·(r+1) floats.
var axpyRows = [8]func(a *float32, astride int, k int, b *float32, ldb int, c *float32){
	axpyRow8, axpyRow16, axpyRow24, axpyRow32, axpyRow40, axpyRow48, axpyRow56, axpyRow64,
}

// dot4 runs the 16-element blocks of DotUnitary for x against four rows of
// b (ldb floats apart), blocks16 blocks: acc holds eight floats per row,
// lane 0 the sum so far and the others zero; each row's two four-lane
// accumulators are one eight-lane register (elements 0–7 of a block, then
// 8–15), added together at the end into acc's first four floats.
//
//go:noescape
func dot4(x *float32, b *float32, ldb int, blocks16 int, acc *float32)

// dotRows4 computes out[j] = DotUnitary(x, b's row j) for the 4·n4 rows
// of b, ldb floats apart, when x and each row are 16·blocks16 floats
// long and every row starts on a 16-byte boundary.
//
//go:noescape
func dotRows4(x *float32, b *float32, ldb int, blocks16 int, n4 int, out *float32)
