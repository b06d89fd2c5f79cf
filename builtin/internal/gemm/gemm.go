// Package gemm is gonum's native BLAS with a faster single-precision matrix
// product that returns, bit for bit, what gonum's Sgemm returns.
//
// The built-in trainer's and reader's graphs multiply small matrices
// (batch 64 × 128, tokens × 48) through gorgonia, which calls gonum's
// Sgemm: one Saxpy or one dot product at a time, four lanes wide, on one
// core. Their committed results depend on the order in which gonum adds
// each product, so a faster product must add the same products in the same
// order: here each output element is summed exactly as gonum sums it (see
// Implementation.Sgemm), eight lanes wide, several outputs per pass held
// in registers, and the rows of the output spread over the cores, which
// cannot change any element since each is summed on its own.
package gemm

import (
	"runtime"
	"unsafe"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/xlbench/xlbench/plugins/sdk/parallel"
)

// Implementation is gonum.Implementation with Sgemm replaced. Serial keeps
// a product on the caller's core, for callers that already run several
// products at once: the split of rows never changes a result.
type Implementation struct {
	gonum.Implementation
	Serial bool
}

// Install makes gorgonia's graphs, its tensor package and blas32 multiply
// through Implementation. Their results do not change; only their speed.
func Install() {
	G.Use(Implementation{})
	tensor.Use(Implementation{})
	blas32.Use(Implementation{})
}

// gonum's partition of a product into 64 × 64 blocks, and the number of
// blocks from which it computes them in parallel (blas/gonum: blockSize,
// minParBlock). In parallel, its dot products run over 64-long pieces of
// k, each added to C on its own, so the sums of A·Bᵀ depend on them.
const (
	gonumBlock    = 64
	gonumParBlock = 4
)

// parallelWork is the number of multiply-adds from which a product's rows
// are spread over the cores: below it, starting the workers costs more
// than they save.
const parallelWork = 1 << 15

// Sgemm computes C = alpha·op(A)·op(B) + beta·C, with gonum's results:
//
//   - beta scales C first, as in gonum (zeroing it when beta is 0);
//   - for A·B and Aᵀ·B, each C[i][j] is updated once for each l in
//     ascending order by C[i][j] + (alpha·a(i,l))·b(l,j), each product and
//     sum rounded, skipping the l where alpha·a(i,l) is zero (gonum's Saxpy
//     loop);
//   - for A·Bᵀ, C[i][j] += alpha·dot(A's row i, B's row j), where dot sums
//     as gonum's assembly DotUnitary does (which depends on the alignment
//     of B's row in memory), over the whole of k, or over 64-long pieces
//     of k in turn when gonum would split the product into four or more
//     blocks;
//   - Aᵀ·Bᵀ, which the graphs do not use, is gonum's own code.
//
// Invalid arguments are passed to gonum, which panics as it always does.
func (impl Implementation) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	aTrans, bTrans := isTrans(tA), isTrans(tB)
	if !valid(tA, tB, m, n, k, a, lda, b, ldb, c, ldc) || (aTrans && bTrans) || !haveKernels {
		impl.Implementation.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if m == 0 || n == 0 || ((alpha == 0 || k == 0) && beta == 1) {
		return
	}
	if beta != 1 {
		for i := range m {
			row := c[i*ldc : i*ldc+n]
			if beta == 0 {
				clear(row)
				continue
			}
			for j := range row {
				row[j] *= beta
			}
		}
	}
	gonumParallel := blocks(m)*blocks(n) >= gonumParBlock
	if k == 0 {
		// gonum's serial A·Bᵀ still adds alpha times an empty dot
		// product, which turns −0 into +0.
		if bTrans && !gonumParallel {
			for i := range m {
				for j := range n {
					c[i*ldc+j] += float32(alpha * 0)
				}
			}
		}
		return
	}
	p := product{m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, aTrans: aTrans}
	// A row's scratch: a row of dot products for A·Bᵀ, the scaled
	// coefficients for A·B and Aᵀ·B when alpha is not 1, else none.
	rowFn, scratchLen := p.axpyRow, 0
	if alpha != 1 {
		scratchLen = k
	}
	if bTrans {
		p.piece = k
		if gonumParallel {
			p.piece = gonumBlock
		}
		rowFn, scratchLen = p.dotRow, n
	}
	if impl.Serial || m < 2 || m*n*k < parallelWork || runtime.GOMAXPROCS(0) < 2 {
		scratch := make([]float32, scratchLen)
		for i := range m {
			rowFn(i, scratch)
		}
		return
	}
	// Rows in runs, so each worker's scratch is made once per run.
	const run = 4
	parallel.For((m+run-1)/run, func(r int) {
		scratch := make([]float32, scratchLen)
		for i := r * run; i < min(m, (r+1)*run); i++ {
			rowFn(i, scratch)
		}
	})
}

func isTrans(t blas.Transpose) bool { return t == blas.Trans || t == blas.ConjTrans }

func blocks(dim int) int { return (dim + gonumBlock - 1) / gonumBlock }

// valid reports whether gonum's Sgemm accepts the arguments (it panics
// otherwise).
func valid(tA, tB blas.Transpose, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) bool {
	okT := func(t blas.Transpose) bool { return t == blas.NoTrans || t == blas.Trans || t == blas.ConjTrans }
	if !okT(tA) || !okT(tB) || m < 0 || n < 0 || k < 0 || ldc < max(1, n) {
		return false
	}
	aRows, aCols := m, k
	if isTrans(tA) {
		aRows, aCols = k, m
	}
	bRows, bCols := k, n
	if isTrans(tB) {
		bRows, bCols = n, k
	}
	if lda < max(1, aCols) || ldb < max(1, bCols) {
		return false
	}
	if m == 0 || n == 0 {
		return true
	}
	short := func(s []float32, rows, cols, ld int) bool { return rows > 0 && len(s) < (rows-1)*ld+cols }
	return !short(a, aRows, aCols, lda) && !short(b, bRows, bCols, ldb) && len(c) >= (m-1)*ldc+n
}

// product is one call's operands.
type product struct {
	m, n, k  int
	alpha    float32
	a, b, c  []float32
	lda, ldb int
	ldc      int
	aTrans   bool
	piece    int // A·Bᵀ: the length of k each dot product runs over
}

// axpyRow computes row i of C for A·B or Aᵀ·B: the kernels add each
// b(l,·) scaled by alpha·a(i,l) into the row, up to 64 columns at a time,
// reading the coefficients where they lie when alpha is 1 (v·1 is v) and
// from scratch, scaled, otherwise.
func (p *product) axpyRow(i int, scratch []float32) {
	var coef []float32
	stride := 1
	if p.aTrans {
		coef, stride = p.a[i:], p.lda
	} else {
		coef = p.a[i*p.lda:]
	}
	if p.alpha != 1 {
		for l := range p.k {
			scratch[l] = p.alpha * coef[l*stride]
		}
		coef, stride = scratch, 1
	}
	row := p.c[i*p.ldc : i*p.ldc+p.n]
	j := 0
	for j+8 <= p.n {
		w := min(64, (p.n-j)/8*8)
		axpyRows[w/8-1](&coef[0], stride, p.k, &p.b[j], p.ldb, &row[j])
		j += w
	}
	if j < p.n {
		for l := range p.k {
			if t := coef[l*stride]; t != 0 {
				axpyGo(t, p.b[l*p.ldb+j:l*p.ldb+p.n], row[j:])
			}
		}
	}
}

// axpyGo is y[i] = (a·x[i]) + y[i], the product rounded first (an
// explicit conversion forbids fusing it into the sum).
func axpyGo(a float32, x, y []float32) {
	for i, v := range x {
		y[i] = float32(v*a) + y[i]
	}
}

// dotRow computes row i of C for A·Bᵀ: for each piece of k in turn, the
// piece's dot product with every row of B, four rows of B at a time, is
// added to the row.
func (p *product) dotRow(i int, scratch []float32) {
	row := p.c[i*p.ldc : i*p.ldc+p.n]
	var acc [4][8]float32
	for lo := 0; lo < p.k; lo += p.piece {
		hi := min(lo+p.piece, p.k)
		x := p.a[i*p.lda+lo : i*p.lda+hi]
		j := 0
		// The common case, whole blocks from a 16-byte boundary, is
		// summed to the end by the kernel.
		if p.ldb%4 == 0 && len(x)%16 == 0 && p.n >= 4 && peelLen(p.b[lo:hi]) == 0 {
			n4 := p.n / 4
			dots := scratch[:4*n4]
			dotRows4(&x[0], &p.b[lo], p.ldb, len(x)/16, n4, &dots[0])
			if rest := p.n - 4*n4; rest > 0 {
				// The last rows in one more group of four, overlapping
				// the ones before (those dots, computed twice, are
				// the same).
				var last [4]float32
				dotRows4(&x[0], &p.b[(p.n-4)*p.ldb+lo], p.ldb, len(x)/16, 1, &last[0])
				dots = append(dots, last[4-rest:]...)
			}
			for ; j < p.n; j++ {
				row[j] += float32(p.alpha * dots[j])
			}
		}
		// Four rows of B share their alignment when their stride keeps
		// it (a multiple of four floats), hence the lengths of their
		// leading and trailing parts.
		if p.ldb%4 == 0 {
			for ; j+4 <= p.n; j += 4 {
				y0 := p.b[j*p.ldb+lo : j*p.ldb+hi]
				peel := peelLen(y0)
				main := (len(x) - peel) / 16
				if peel >= len(x) || main == 0 {
					for r := range 4 {
						y := p.b[(j+r)*p.ldb+lo : (j+r)*p.ldb+hi]
						row[j+r] += float32(p.alpha * dotUnitary(x, y))
					}
					continue
				}
				for r := range 4 {
					y := p.b[(j+r)*p.ldb+lo : (j+r)*p.ldb+hi]
					acc[r] = [8]float32{peelSum(x[:peel], y[:peel])}
				}
				dot4(&x[peel], &p.b[j*p.ldb+lo+peel], p.ldb, main, &acc[0][0])
				for r := range 4 {
					y := p.b[(j+r)*p.ldb+lo : (j+r)*p.ldb+hi]
					s := [4]float32(acc[r][:4])
					row[j+r] += float32(p.alpha * finishDot(s, x[peel+16*main:], y[peel+16*main:]))
				}
			}
		}
		for ; j < p.n; j++ {
			y := p.b[j*p.ldb+lo : j*p.ldb+hi]
			row[j] += float32(p.alpha * dotUnitary(x, y))
		}
	}
}

// peelLen is the number of y's leading elements gonum's DotUnitary adds
// one at a time before y reaches a 16-byte boundary.
func peelLen(y []float32) int {
	if len(y) == 0 {
		return 0
	}
	off := uintptr(unsafe.Pointer(&y[0])) & 15
	if off == 0 {
		return 0
	}
	return int((16 - off) / 4)
}

// peelSum adds the products of the leading elements in lane 0, from 0.
func peelSum(x, y []float32) float32 {
	var s float32
	for i := range x {
		s += float32(x[i] * y[i])
	}
	return s
}

// finishDot ends a dot product whose 16-element blocks are summed in
// lanes s (the second accumulator already added): the remaining 4-element
// blocks lane by lane, the last elements in lane 0, then the lanes in
// pairs.
func finishDot(s [4]float32, x, y []float32) float32 {
	i := 0
	for ; i+4 <= len(x); i += 4 {
		for q := range 4 {
			s[q] += float32(x[i+q] * y[i+q])
		}
	}
	for ; i < len(x); i++ {
		s[0] += float32(x[i] * y[i])
	}
	return (s[0] + s[1]) + (s[2] + s[3])
}

// dotUnitary is gonum's assembly DotUnitary on amd64, operation for
// operation: after y's leading elements up to a 16-byte boundary (in lane
// 0), blocks of 16 in two four-lane accumulators (elements 0–3 and 8–11
// of each block in the first, 4–7 and 12–15 in the second), added
// together after the last block; then blocks of 4, then single elements
// in lane 0; then (s0 + s1) + (s2 + s3).
func dotUnitary(x, y []float32) float32 {
	n := min(len(x), len(y))
	x, y = x[:n], y[:n]
	peel := min(peelLen(y), n)
	var s [4]float32
	s[0] = peelSum(x[:peel], y[:peel])
	if peel == n {
		return (s[0] + s[1]) + (s[2] + s[3])
	}
	x, y = x[peel:], y[peel:]
	i := 0
	if len(x) >= 16 {
		var ps [4]float32
		for ; i+16 <= len(x); i += 16 {
			for q := range 4 {
				s[q] += float32(x[i+q] * y[i+q])
				ps[q] += float32(x[i+4+q] * y[i+4+q])
				s[q] += float32(x[i+8+q] * y[i+8+q])
				ps[q] += float32(x[i+12+q] * y[i+12+q])
			}
		}
		for q := range 4 {
			s[q] += ps[q]
		}
	}
	return finishDot(s, x[i:], y[i:])
}
