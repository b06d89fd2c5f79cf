// Package hugemem allocates the built-in models' large float32 arrays
// (hashed feature tables and their AdamW moments, 2^18 rows each) so that
// the kernel may back them with 2 MiB pages.
//
// Why: a table of 262,144 × 128 float32s is 128 MiB; with its two moments
// a trainer holds 384 MiB that every step reads and writes at random rows.
// In 4 KiB pages that is 98,304 page faults to fill and a TLB miss on
// nearly every row touched. Where transparent huge pages are "madvise"
// (the common default), a region must ask for them: Floats asks, for the
// 2 MiB-aligned interior of an ordinary Go slice, before anything touches
// it. The slice stays an ordinary Go slice (the garbage collector frees
// it), so nothing else changes; where the kernel says no, it is just a
// slice.
package hugemem

import "unsafe"

// hugePage is the size of a transparent huge page on x86-64 and arm64
// (4 KiB base pages).
const hugePage = 2 << 20

// Threshold is the smallest array, in bytes, worth advising: below two
// huge pages the aligned interior may hold none.
const Threshold = 2 * hugePage

// Floats returns a zeroed []float32 of length n. At Threshold bytes and
// above, its memory is advised for huge pages (see the package comment).
func Floats(n int) []float32 {
	s := make([]float32, n)
	if n*4 >= Threshold {
		advise(unsafe.Pointer(unsafe.SliceData(s)), uintptr(n)*4)
	}
	return s
}

// interior is the largest hugePage-aligned range inside [p, p+size):
// its start and length (0 when there is none).
func interior(p, size uintptr) (start, n uintptr) {
	start = (p + hugePage - 1) &^ (hugePage - 1)
	end := (p + size) &^ (hugePage - 1)
	if end <= start {
		return start, 0
	}
	return start, end - start
}
