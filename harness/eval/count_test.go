//go:build amd64

package eval

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestVectorRanksMatchScalar: the vector counts give the keyed loop's
// ranks exactly, NaNs, ±0 and ties included, for one relevant candidate and
// for many.
func TestVectorRanksMatchScalar(t *testing.T) {
	if !haveCount {
		t.Skip("no AVX2 here")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 300; trial++ {
		n := 1 + rng.IntN(3000)
		row, keys := make([]float32, n), make([]int32, n)
		// Half the rows have NaNs, which the keys alone place; the others
		// are counted, ties included.
		withNaN := trial%2 == 0
		for i := range row {
			row[i] = float32(rng.NormFloat64())
			switch rng.IntN(40) {
			case 0:
				if withNaN {
					row[i] = float32(math.NaN())
				}
			case 1:
				row[i] = float32(math.Copysign(0, -1))
			case 2:
				row[i] = 0
			case 3:
				row[i] = 0.5
			}
			keys[i] = int32(i)
		}
		rng.Shuffle(n, func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
		rel := rng.Perm(n)[:1+rng.IntN(min(n, 14))]
		vector := relevantRanks(row, keys, rel)
		haveCount = false
		scalar := relevantRanks(row, keys, rel)
		haveCount = true
		if !slices.Equal(vector, scalar) {
			t.Fatalf("trial %d (n %d, %d relevant): vector %v, scalar %v", trial, n, len(rel), vector, scalar)
		}
	}
}
