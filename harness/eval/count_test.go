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

// TestRangeRanksMatchPools: counting ranges in the multilingual pass gives
// every pool's ranks exactly: the whole row's as relevantRanks counts
// them, and each range's as relevantRanks counts them on that range alone
// (ties, ±0 and ranges of any length, including under eight); a row with a
// NaN is left to relevantRanks.
func TestRangeRanksMatchPools(t *testing.T) {
	if !haveCount {
		t.Skip("no AVX2 here")
	}
	with512 := haveCount512
	defer func() { haveCount512 = with512 }()
	if !with512 {
		t.Log("no AVX-512 here: only the AVX2 counts are checked")
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for trial := 0; trial < 600; trial++ {
		// Odd trials count six thresholds at a time with AVX2.
		haveCount512 = with512 && trial%2 == 0
		var ranges [][2]int
		n := 0
		for r := 1 + rng.IntN(12); r > 0; r-- {
			size := rng.IntN(400)
			ranges, n = append(ranges, [2]int{n, n + size}), n+size
		}
		if n == 0 {
			continue
		}
		row, keys := make([]float32, n), make([]int32, n)
		for i := range row {
			row[i] = float32(rng.NormFloat64())
			switch rng.IntN(30) {
			case 0:
				row[i] = float32(math.Copysign(0, -1))
			case 1:
				row[i] = 0
			case 2:
				row[i] = 0.5
			}
			keys[i] = int32(i)
		}
		rng.Shuffle(n, func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
		rel := rng.Perm(n)[:1+rng.IntN(min(n, 14))]
		ranks, inRange, ok := rangeRanks(row, keys, rel, ranges)
		if !ok {
			t.Fatalf("trial %d: refused a row without NaN", trial)
		}
		if want := relevantRanks(row, keys, rel); !slices.Equal(ranks, want) {
			t.Fatalf("trial %d: ranks %v, relevantRanks %v", trial, ranks, want)
		}
		for r, rg := range ranges {
			var local []int
			for _, c := range rel {
				if c >= rg[0] && c < rg[1] {
					local = append(local, c-rg[0])
				}
			}
			var want []int
			if len(local) > 0 {
				want = relevantRanks(row[rg[0]:rg[1]], keys[rg[0]:rg[1]], local)
			}
			if !slices.Equal(inRange[r], want) {
				t.Fatalf("trial %d range %d: %v, relevantRanks on the range %v", trial, r, inRange[r], want)
			}
		}
		row[rng.IntN(n)] = float32(math.NaN())
		if _, _, ok := rangeRanks(row, keys, rel, ranges); ok {
			t.Fatalf("trial %d: counted a row holding a NaN", trial)
		}
	}
}
