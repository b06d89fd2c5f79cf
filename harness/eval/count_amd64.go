package eval

import "golang.org/x/sys/cpu"

//go:noescape
func countAbove12(ks *int64, n int, rk *[12]int64, above *[12]int64)

//go:noescape
func count8(row *float32, n int, s float32) (gt, eq, un int)

// haveCount reports whether countAbove12 and count8 can run here.
var haveCount = cpu.X86.HasAVX2 && cpu.X86.HasPOPCNT
