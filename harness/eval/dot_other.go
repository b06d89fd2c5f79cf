//go:build !amd64

package eval

var haveKernel = false

func dot4x3(a *float32, lda int, b *float32, ldb int, k int, out *[12]float32) {
	panic("dot4x3 has no implementation on this architecture")
}
