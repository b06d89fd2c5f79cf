package adam

import "golang.org/x/sys/cpu"

//go:noescape
func update8(p, m, v, grad *float32, n int, c *[8]float32)

// haveAVX reports whether update8 can run here.
var haveAVX = cpu.X86.HasAVX
