package eval

import (
	"math"
	"math/rand/v2"
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
		q, c := make([]float32, nq*d), make([]float32, nc*d)
		for i := range q {
			q[i] = float32(rng.NormFloat64())
		}
		for i := range c {
			c[i] = float32(rng.NormFloat64())
		}
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
