// Package rows holds the two loops of a bag-of-features encoder's
// embedding table: summing weighted rows into a bag vector (the forward
// pass) and adding a weighted gradient into a row (the backward pass).
// Both compute exactly what gonum's Saxpy computes, y[i] += a·x[i] with the
// product rounded before the sum, so trained models do not change with the
// kernel; on amd64 with AVX they run eight floats at a time, the bag sum
// holding a 64-float slice of the bag vector in registers while it walks
// the rows.
package rows

import (
	"gonum.org/v1/gonum/blas/blas32"
)

// BagSum sets out (len d) to Σ_k weights[k] · table[ids[k]·d:][:d], adding
// the rows in k order.
func BagSum(table []float32, d int, ids []uint32, weights []float32, out []float32) {
	out = out[:d]
	if len(ids) == 0 {
		clear(out)
		return
	}
	// The kernel reads rows without bounds checks: check them here.
	for _, id := range ids {
		if (int(id)+1)*d > len(table) {
			panic("rows: id beyond the table")
		}
	}
	weights = weights[:len(ids)]
	if haveAVX && d%64 == 0 {
		bagSum64(&table[0], d, &ids[0], &weights[0], len(ids), &out[0])
		return
	}
	clear(out)
	for k, id := range ids {
		Axpy(weights[k], table[int(id)*d:int(id)*d+d], out)
	}
}

// Axpy adds a·x to y (len(x) == len(y)).
func Axpy(a float32, x, y []float32) {
	if len(x) != len(y) {
		panic("rows: Axpy of unequal lengths")
	}
	if haveAVX && len(x)%8 == 0 && len(x) > 0 {
		axpy8(a, &x[0], &y[0], len(x))
		return
	}
	blas32.Axpy(a, blas32.Vector{N: len(x), Inc: 1, Data: x}, blas32.Vector{N: len(y), Inc: 1, Data: y})
}
