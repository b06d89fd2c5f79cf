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
// the rows of q (nq × d) and c (nc × d) using the assembly kernels: with
// AVX-512 and pairs (c packed by packPairs), queries in blocks of 4 and
// candidates in blocks of 8; otherwise, with AVX2, queries in blocks of 4
// and candidates in blocks of 3. Either works within cache tiles, split
// over every core by query rows. Edges the kernel's blocks do not cover
// are computed one product at a time, summed as the blocks sum: a score
// does not depend on where its pair falls in the matrix, nor on which
// kernel computed it. It reports false, having done nothing, when no
// kernel can run here or d is not a multiple of 8.
func innerProducts(q, c, pairs []float32, nq, nc, d int, out []float32) bool {
	if !haveKernel || d%8 != 0 || d == 0 {
		return false
	}
	rows := innerProductRows
	if pairs != nil && haveKernel512 {
		rows = func(q, c []float32, lo, hi, nc, d int, out []float32) {
			innerProductRows512(q, c, pairs, lo, hi, nc, d, out)
		}
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
			rows(q, c, lo, hi, nc, d, out)
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
			oneByOne(q, c, i, i+4, cEnd, t1, nc, d, out)
		}
		oneByOne(q, c, qEnd, hi, t0, t1, nc, d, out)
	}
}

// innerProductRows512 is innerProductRows with the AVX-512 kernel, which
// reads the candidates from pairs. candidateTile is a multiple of 8, so
// only the last tile has candidates left over.
func innerProductRows512(q, c, pairs []float32, lo, hi, nc, d int, out []float32) {
	qEnd := lo + (hi-lo)/4*4
	for t0 := 0; t0 < nc; t0 += candidateTile {
		t1 := min(t0+candidateTile, nc)
		n8 := (t1 - t0) / 8
		cEnd := t0 + 8*n8
		for i := lo; i < qEnd; i += 4 {
			if n8 > 0 {
				// Pair p starts at pairs[2pd:], where candidate 2p starts in c.
				dot4x8Run(&q[i*d], d, &pairs[t0*d], d, n8, &out[i*nc+t0], nc)
			}
			oneByOne(q, c, i, i+4, cEnd, t1, nc, d, out)
		}
		oneByOne(q, c, qEnd, hi, t0, t1, nc, d, out)
	}
}

// oneByOne fills out's block of query rows [i0, i1) and candidates
// [j0, j1) one product at a time.
func oneByOne(q, c []float32, i0, i1, j0, j1, nc, d int, out []float32) {
	for i := i0; i < i1; i++ {
		for j := j0; j < j1; j++ {
			out[i*nc+j] = dot1x1(&q[i*d], &c[j*d], d)
		}
	}
}

// packPairs lays out the rows of c (nc × d, d a multiple of 8) for the
// AVX-512 kernel: candidates 2p and 2p+1 as one row of 2d floats taking
// eight components of each in turn, so one 64-byte load brings the same
// eight components of both. A last odd candidate is left out (the kernel
// never reads it); pair p starts where candidate 2p starts in c.
func packPairs(c []float32, nc, d int) []float32 {
	out := make([]float32, nc/2*2*d)
	for p := 0; p < nc/2; p++ {
		a, b, dst := c[2*p*d:][:d], c[(2*p+1)*d:][:d], out[2*p*d:][:2*d]
		for s := 0; s < d; s += 8 {
			copy(dst[2*s:2*s+8], a[s:s+8])
			copy(dst[2*s+8:2*s+16], b[s:s+8])
		}
	}
	return out
}
