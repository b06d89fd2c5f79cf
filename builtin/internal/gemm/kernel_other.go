//go:build !amd64

package gemm

// haveKernels is false without the amd64 kernels: Sgemm is gonum's.
const haveKernels = false

// axpyRows has no kernels here.
var axpyRows [8]func(a *float32, astride int, k int, b *float32, ldb int, c *float32)

func dot4(x *float32, b *float32, ldb int, blocks16 int, acc *float32) { panic("unreachable") }
func dotRows4(x *float32, b *float32, ldb int, blocks16 int, n4 int, out *float32) {
	panic("unreachable")
}
