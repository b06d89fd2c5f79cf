package eval

import "golang.org/x/sys/cpu"

//go:noescape
func countAbove12(ks *int64, n int, rk *[12]int64, above *[12]int64)

// haveCount reports whether countAbove12 can run here.
var haveCount = cpu.X86.HasAVX2
