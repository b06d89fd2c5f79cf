package rows

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"
)

// saxpyBag is the reference: gonum's Saxpy, row after row, into zeros.
func saxpyBag(table []float32, d int, ids []uint32, weights []float32) []float32 {
	out := make([]float32, d)
	for k, id := range ids {
		blas32.Axpy(weights[k], blas32.Vector{N: d, Inc: 1, Data: table[int(id)*d : int(id)*d+d]}, blas32.Vector{N: d, Inc: 1, Data: out})
	}
	return out
}

func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// TestBagSumMatchesSaxpy: the bag sum equals gonum's Saxpy bit for bit, for
// kernel dimensions (multiples of 64) and others, repeated rows, no rows.
func TestBagSumMatchesSaxpy(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, d := range []int{8, 24, 64, 128, 256, 100} {
		const rowsN = 500
		table := make([]float32, rowsN*d)
		for i := range table {
			table[i] = float32(rng.NormFloat64())
		}
		for trial := 0; trial < 50; trial++ {
			n := rng.IntN(300)
			ids, weights := make([]uint32, n), make([]float32, n)
			for k := range ids {
				ids[k] = uint32(rng.IntN(rowsN))
				weights[k] = float32(rng.ExpFloat64())
			}
			got := make([]float32, d)
			for i := range got {
				got[i] = 7 // overwritten, not added to
			}
			BagSum(table, d, ids, weights, got)
			if want := saxpyBag(table, d, ids, weights); !sameBits(got, want) {
				t.Fatalf("d %d, %d rows: BagSum differs from Saxpy", d, n)
			}
		}
	}
}

// TestAxpyMatchesSaxpy: Axpy equals gonum's Saxpy bit for bit.
func TestAxpyMatchesSaxpy(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{8, 64, 128, 13, 0} {
		x, y := make([]float32, n), make([]float32, n)
		for i := range x {
			x[i], y[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
		}
		want := append([]float32(nil), y...)
		a := float32(rng.NormFloat64())
		blas32.Axpy(a, blas32.Vector{N: n, Inc: 1, Data: x}, blas32.Vector{N: n, Inc: 1, Data: want})
		Axpy(a, x, y)
		if !sameBits(y, want) {
			t.Fatalf("n %d: Axpy differs from Saxpy", n)
		}
	}
}

// TestBagSumChecksIDs: a row id beyond the table panics instead of reading
// past it.
func TestBagSumChecksIDs(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for an id beyond the table")
		}
	}()
	BagSum(make([]float32, 2*64), 64, []uint32{2}, []float32{1}, make([]float32, 64))
}
