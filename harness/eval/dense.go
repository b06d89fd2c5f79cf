package eval

import (
	"runtime"
	"sync"
)

// candidateTile is how many candidate rows are scored against every query
// before moving on: 192 rows of 256 floats (192 KiB) stay in L2 while all
// query blocks pass over them.
const candidateTile = 192

// innerProducts fills out (nq × nc, row-major) with the inner products of
// the rows of q (nq × d) and c (nc × d) using the AVX2 kernel: queries in
// blocks of 4, candidates in blocks of 3 within cache tiles, split over
// every core by query rows. Edges the kernel's blocks do not cover are
// computed one product at a time, summed as the blocks sum: a score does
// not depend on where its pair falls in the matrix. It reports false,
// having done nothing, when the kernel cannot run here or d is not a
// multiple of 8.
func innerProducts(q, c []float32, nq, nc, d int, out []float32) bool {
	if !haveKernel || d%8 != 0 || d == 0 {
		return false
	}
	workers := max(1, min(runtime.GOMAXPROCS(0), nq/4))
	// Rows per worker, a multiple of 4 so kernel blocks do not straddle.
	per := ((nq+workers-1)/workers + 3) / 4 * 4
	var wg sync.WaitGroup
	var caught firstPanic
	for w := 0; w < workers; w++ {
		lo, hi := w*per, min((w+1)*per, nq)
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { caught.keep(recover()) }()
			innerProductRows(q, c, lo, hi, nc, d, out)
		}()
	}
	wg.Wait()
	caught.rethrow()
	return true
}

func innerProductRows(q, c []float32, lo, hi, nc, d int, out []float32) {
	qEnd := lo + (hi-lo)/4*4
	for t0 := 0; t0 < nc; t0 += candidateTile {
		t1 := min(t0+candidateTile, nc)
		n3 := (t1 - t0) / 3
		cEnd := t0 + 3*n3
		for i := lo; i < qEnd; i += 4 {
			if n3 > 0 {
				dot4x3Run(&q[i*d], d, &c[t0*d], d, n3, &out[i*nc+t0], nc)
			}
			for j := cEnd; j < t1; j++ {
				for a := i; a < i+4; a++ {
					out[a*nc+j] = dot1x1(&q[a*d], &c[j*d], d)
				}
			}
		}
		for i := qEnd; i < hi; i++ {
			for j := t0; j < t1; j++ {
				out[i*nc+j] = dot1x1(&q[i*d], &c[j*d], d)
			}
		}
	}
}
