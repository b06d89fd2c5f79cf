package eval

import "golang.org/x/sys/cpu"

//go:noescape
func dot4x3Run(a *float32, lda int, b *float32, k int, n3 int, out *float32, ldo int)

//go:noescape
func dot1x1(a *float32, b *float32, k int) float32

// haveKernel reports whether dot4x3Run and dot1x1 can run here.
var haveKernel = cpu.X86.HasAVX2 && cpu.X86.HasFMA
