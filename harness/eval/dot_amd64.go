package eval

import "golang.org/x/sys/cpu"

//go:noescape
func dot4x3Run(a *float32, lda int, b *float32, k int, n3 int, out *float32, ldo int)

//go:noescape
func dot1x1(a *float32, b *float32, k int) float32

//go:noescape
func dot4x8Run(a *float32, lda int, b *float32, k int, n8 int, out *float32, ldo int)

// haveKernel reports whether dot4x3Run and dot1x1 can run here.
var haveKernel = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// haveKernel512 reports whether dot4x8Run can run here too.
var haveKernel512 = haveKernel && cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ
