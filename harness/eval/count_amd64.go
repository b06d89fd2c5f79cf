package eval

import "golang.org/x/sys/cpu"

//go:noescape
func count8(row *float32, n int, s float32) (gt, eq, un int)

//go:noescape
func countAbove6(row *float32, keys *int32, n int, thr *[6][8]float32, kthr *[6][8]int32, acc *[7][8]int32)

// haveCount reports whether count8 and countAbove6 can run here.
var haveCount = cpu.X86.HasAVX2 && cpu.X86.HasPOPCNT
