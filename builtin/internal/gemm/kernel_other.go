//go:build !amd64

package gemm

// haveKernels is false without the amd64 kernels: Sgemm is gonum's.
const haveKernels = false

func axpyRow64(a *float32, k int, b *float32, ldb int, c *float32)     { panic("unreachable") }
func axpyRow32(a *float32, k int, b *float32, ldb int, c *float32)     { panic("unreachable") }
func axpyRow8(a *float32, k int, b *float32, ldb int, c *float32)      { panic("unreachable") }
func dot4(x *float32, b *float32, ldb int, blocks16 int, acc *float32) { panic("unreachable") }
func dotRows4(x *float32, b *float32, ldb int, blocks16 int, n4 int, out *float32) {
	panic("unreachable")
}
