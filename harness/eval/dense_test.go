package eval

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// TestInnerProductsMatchGonum checks the kernel path against gonum's Sgemm
// on shapes that exercise every edge: query rows not a multiple of 4,
// candidates not a multiple of 3 or of the tile.
func TestInnerProductsMatchGonum(t *testing.T) {
	if !haveKernel {
		t.Skip("no AVX2/FMA on this CPU; the gonum path is used")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, shape := range [][3]int{{1, 1, 8}, {4, 3, 8}, {7, 5, 16}, {13, 400, 64}, {9, 197, 256}} {
		nq, nc, d := shape[0], shape[1], shape[2]
		q, c := normalMatrix(rng, nq, d), normalMatrix(rng, nc, d)
		got := make([]float32, nq*nc)
		if !innerProducts(q, c, nq, nc, d, got) {
			t.Fatal("kernel path refused a multiple-of-8 dimension")
		}
		want := make([]float32, nq*nc)
		blas32.Gemm(blas.NoTrans, blas.Trans, 1, blas32.General{Rows: nq, Cols: d, Stride: d, Data: q},
			blas32.General{Rows: nc, Cols: d, Stride: d, Data: c}, 0, blas32.General{Rows: nq, Cols: nc, Stride: nc, Data: want})
		for i := range want {
			if math.Abs(float64(got[i]-want[i])) > 1e-4*math.Sqrt(float64(d)) {
				t.Fatalf("shape %v: out[%d] = %v, gonum %v", shape, i, got[i], want[i])
			}
		}
	}
	if innerProducts(make([]float32, 12), make([]float32, 12), 2, 2, 6, make([]float32, 4)) {
		t.Error("kernel path accepted a dimension that is not a multiple of 8")
	}
}

// TestInnerProductsSplitIndependent: every score equals the one-pair
// kernel's, bit for bit, whatever the number of workers and wherever the
// blocks' edges fall.
func TestInnerProductsSplitIndependent(t *testing.T) {
	if !haveKernel {
		t.Skip("no AVX2/FMA on this CPU; the gonum path is used")
	}
	rng := rand.New(rand.NewPCG(9, 10))
	for _, procs := range []int{1, 2, 3, 8} {
		prev := runtime.GOMAXPROCS(procs)
		for _, shape := range [][3]int{{4, 3, 8}, {11, 7, 24}, {37, 389, 256}, {6, 200, 128}} {
			nq, nc, d := shape[0], shape[1], shape[2]
			q, c := normalMatrix(rng, nq, d), normalMatrix(rng, nc, d)
			got := make([]float32, nq*nc)
			innerProducts(q, c, nq, nc, d, got)
			for i := 0; i < nq; i++ {
				for j := 0; j < nc; j++ {
					if want := dot1x1(&q[i*d], &c[j*d], d); math.Float32bits(got[i*nc+j]) != math.Float32bits(want) {
						t.Fatalf("%d workers, shape %v: out[%d][%d] = %v, one-pair kernel %v", procs, shape, i, j, got[i*nc+j], want)
					}
				}
			}
		}
		runtime.GOMAXPROCS(prev)
	}
}

// BenchmarkInnerProducts times the score kernel on one query language's
// block of XQuAD-R at d = 256: 1,190 questions against 13,014 candidates.
func BenchmarkInnerProducts(b *testing.B) {
	const nq, nc, d = 1190, 13014, 256
	rng := rand.New(rand.NewPCG(7, 8))
	q, c := normalMatrix(rng, nq, d), normalMatrix(rng, nc, d)
	out := make([]float32, nq*nc)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		innerProducts(q, c, nq, nc, d, out)
	}
	b.ReportMetric(2*nq*nc*d*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// normalMatrix is rows × cols standard normal floats, row-major.
func normalMatrix(rng *rand.Rand, rows, cols int) []float32 {
	m := make([]float32, rows*cols)
	for i := range m {
		m[i] = float32(rng.NormFloat64())
	}
	return m
}
