//go:build !amd64

package rows

const haveAVX = false

func bagSum64(*float32, int, *uint32, *float32, int, *float32) { panic("no AVX kernel here") }

func axpy8(float32, *float32, *float32, int) { panic("no AVX kernel here") }
