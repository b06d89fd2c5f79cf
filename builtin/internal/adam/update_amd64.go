package adam

import "golang.org/x/sys/cpu"

//go:noescape
func update8(p, m, v, grad *float32, n int, c *[8]float32)

//go:noescape
func updateRows8(p, m, v *float32, d int, ids *uint32, grads *float32, rows int, c *[8]float32)

// haveAVX reports whether update8 and updateRows8 can run here.
var haveAVX = cpu.X86.HasAVX
