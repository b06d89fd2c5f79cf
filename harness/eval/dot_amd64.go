package eval

import "golang.org/x/sys/cpu"

//go:noescape
func dot4x3(a *float32, lda int, b *float32, ldb int, k int, out *[12]float32)

// haveKernel reports whether dot4x3 can run here.
var haveKernel = cpu.X86.HasAVX2 && cpu.X86.HasFMA
