//go:build !amd64

package eval

const (
	haveKernel    = false
	haveKernel512 = false
)

func dot4x3Run(*float32, int, *float32, int, int, *float32, int) { panic("no AVX2 kernel here") }

func dot1x1(*float32, *float32, int) float32 { panic("no AVX2 kernel here") }

func dot4x8Run(*float32, int, *float32, int, int, *float32, int) { panic("no AVX-512 kernel here") }
