package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// operand returns rows×cols values at stride ld, starting shift floats
// into a fresh slice (so that rows start at every alignment), a share of
// them zero (as after a ReLU: gonum skips zero coefficients), some −0 and,
// when special, some NaN and ±Inf.
func operand(rng *rand.Rand, rows, cols, ld, shift int, special bool) []float32 {
	s := make([]float32, shift+max(0, (rows-1)*ld+cols)+3)
	for i := range s {
		switch r := rng.Float64(); {
		case r < 0.3:
			s[i] = 0
		case r < 0.35:
			s[i] = float32(math.Copysign(0, -1))
		case special && r < 0.36:
			s[i] = float32(math.NaN())
		case special && r < 0.37:
			s[i] = float32(math.Inf(1 - 2*rng.IntN(2)))
		default:
			s[i] = float32(rng.NormFloat64())
		}
	}
	return s[shift:]
}

// same reports whether a and b hold the same bits, but for the payload
// of NaNs: which NaN an operation on two NaNs returns depends on the order
// of its operands, which the Go compiler chooses for gonum's Go code as
// for this package's.
func same(a, b []float32) (int, bool) {
	for i := range a {
		if math.IsNaN(float64(a[i])) && math.IsNaN(float64(b[i])) {
			continue
		}
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i, false
		}
	}
	return 0, true
}

// TestSgemmIsGonums checks Sgemm against gonum's, bit for bit, over the
// transpositions, sizes on both sides of gonum's parallel split and of
// the kernels' widths, strides, alignments, scalars and special values.
func TestSgemmIsGonums(t *testing.T) {
	if !haveKernels {
		t.Log("no AVX here: Sgemm is gonum's own")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := []int{0, 1, 3, 4, 7, 8, 15, 16, 17, 24, 31, 32, 33, 40, 48, 56, 63, 64, 65, 100, 128, 129, 150, 200}
	trans := []blas.Transpose{blas.NoTrans, blas.Trans}
	for c := range 3000 {
		tA, tB := trans[rng.IntN(2)], trans[rng.IntN(2)]
		m, n, k := sizes[rng.IntN(len(sizes))], sizes[rng.IntN(len(sizes))], sizes[rng.IntN(len(sizes))]
		alpha := []float32{1, 1, 1, 0.5, -2, 0}[rng.IntN(6)]
		beta := []float32{0, 1, 1, 0.3}[rng.IntN(4)]
		special := c%5 == 0
		pad := func() int { return []int{0, 0, 1, 3, 4, 5}[rng.IntN(6)] }
		aRows, aCols := m, k
		if tA == blas.Trans {
			aRows, aCols = k, m
		}
		bRows, bCols := k, n
		if tB == blas.Trans {
			bRows, bCols = n, k
		}
		lda, ldb, ldc := max(1, aCols)+pad(), max(1, bCols)+pad(), max(1, n)+pad()
		a := operand(rng, aRows, aCols, lda, rng.IntN(4), special)
		b := operand(rng, bRows, bCols, ldb, rng.IntN(4), special)
		c0 := operand(rng, m, n, ldc, rng.IntN(4), special)
		want, got := append([]float32(nil), c0...), append([]float32(nil), c0...)
		gonum.Implementation{}.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, want, ldc)
		// Half the cases on the caller's core alone (Serial).
		Implementation{Serial: c%2 == 1}.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, got, ldc)
		if i, ok := same(want, got); !ok {
			t.Fatalf("case %d (serial %v): %v%v m=%d n=%d k=%d alpha=%v beta=%v lda=%d ldb=%d ldc=%d: C[%d] = %v (%#x), gonum %v (%#x)",
				c, c%2 == 1, tA, tB, m, n, k, alpha, beta, lda, ldb, ldc, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

// TestDotUnitaryIsGonums checks the Go transcription of gonum's assembly
// dot product through gonum's Sdot, which calls it, at every alignment.
func TestDotUnitaryIsGonums(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := range 70 {
		for shift := range 4 {
			x := operand(rng, 1, n, n, 0, n%7 == 0)[:n]
			y := operand(rng, 1, n, n, shift, n%7 == 0)[:n]
			want := gonum.Implementation{}.Sdot(n, x, 1, y, 1)
			if got := dotUnitary(x, y); !sameBits(got, want) {
				t.Fatalf("n=%d shift=%d: %v, gonum %v", n, shift, got, want)
			}
		}
	}
}

// TestSgemmPanicsAsGonum checks that invalid arguments reach gonum.
func TestSgemmPanicsAsGonum(t *testing.T) {
	msg := func(f func()) (m string) {
		defer func() { m = fmt.Sprint(recover()) }()
		f()
		return ""
	}
	a := make([]float32, 4)
	want := msg(func() { gonum.Implementation{}.Sgemm(blas.NoTrans, blas.NoTrans, 2, 2, 2, 1, a[:3], 2, a, 2, 0, a, 2) })
	got := msg(func() { Implementation{}.Sgemm(blas.NoTrans, blas.NoTrans, 2, 2, 2, 1, a[:3], 2, a, 2, 0, a, 2) })
	if want == "" || got != want {
		t.Fatalf("panic %q, gonum's %q", got, want)
	}
}

// BenchmarkSgemm compares the products of the trainer's and the reader's
// graphs with gonum's.
func BenchmarkSgemm(b *testing.B) {
	shapes := []struct {
		name    string
		tA, tB  blas.Transpose
		m, n, k int
	}{
		{"trainer-h·W", blas.NoTrans, blas.NoTrans, 64, 128, 128},
		{"trainer-uq·upT", blas.NoTrans, blas.Trans, 64, 64, 128},
		{"trainer-hT·g", blas.Trans, blas.NoTrans, 128, 128, 64},
		{"reader-x·W", blas.NoTrans, blas.NoTrans, 256, 48, 129},
		{"reader-att", blas.NoTrans, blas.Trans, 256, 256, 48},
		{"reader-att·hid", blas.NoTrans, blas.NoTrans, 256, 48, 256},
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, s := range shapes {
		aRows, aCols := s.m, s.k
		if s.tA == blas.Trans {
			aRows, aCols = s.k, s.m
		}
		bRows, bCols := s.k, s.n
		if s.tB == blas.Trans {
			bRows, bCols = s.n, s.k
		}
		a := dense(rng, aRows*aCols)
		bm := dense(rng, bRows*bCols)
		c := make([]float32, s.m*s.n)
		for _, impl := range []struct {
			name string
			blas.Float32
		}{{"gonum", gonum.Implementation{}}, {"exact", Implementation{}}} {
			b.Run(s.name+"/"+impl.name, func(b *testing.B) {
				for b.Loop() {
					impl.Sgemm(s.tA, s.tB, s.m, s.n, s.k, 1, a, aCols, bm, bCols, 0, c, s.n)
				}
				b.ReportMetric(float64(2*s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

func sameBits(a, b float32) bool { _, ok := same([]float32{a}, []float32{b}); return ok }

func dense(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}
