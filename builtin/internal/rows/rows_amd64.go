package rows

import "golang.org/x/sys/cpu"

//go:noescape
func bagSum64(table *float32, d int, ids *uint32, weights *float32, n int, out *float32)

//go:noescape
func axpy8(a float32, x, y *float32, n int)

// haveAVX reports whether the kernels can run here.
var haveAVX = cpu.X86.HasAVX
