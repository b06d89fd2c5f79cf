package eval

import "golang.org/x/sys/cpu"

//go:noescape
func count8(row *float32, n int, s float32) (gt, eq, un int)

//go:noescape
func countAbove6(row *float32, keys *int32, n int, thr *[6][8]float32, kthr *[6][8]int32, acc *[7][8]int32)

//go:noescape
func countAbove12(row *float32, keys *int32, n int, thr *[12]float32, kthr *[12]int32, acc *[12][16]int32) (nan bool)

// haveCount reports whether count8 and countAbove6 can run here.
var haveCount = cpu.X86.HasAVX2 && cpu.X86.HasPOPCNT

// haveCount512 reports whether countAbove12 can run here too.
var haveCount512 = haveCount && cpu.X86.HasAVX512F
