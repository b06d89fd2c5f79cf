package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestHolmByHand(t *testing.T) {
	// Sorted: 0.01 (×3 = 0.03), 0.02 (×2 = 0.04), 0.04 (×1 = 0.04).
	got := Holm([]float64{0.04, 0.01, 0.02})
	want := []float64{0.04, 0.03, 0.04}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Errorf("Holm[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	// Monotone: a larger raw p never gets a smaller adjusted one.
	got = Holm([]float64{0.03, 0.001, 0.5})
	if got[0] != 0.06 || got[1] != 0.003 || got[2] != 0.5 {
		t.Errorf("Holm = %v", got)
	}
}

func TestRandomizationIdentical(t *testing.T) {
	a := []float64{0.1, 0.5, 0.9}
	d, p := PairedRandomization(a, a, 999, 1)
	if d != 0 || p != 1 {
		t.Fatalf("identical systems: diff %v, p %v; want 0, 1", d, p)
	}
}

// TestRandomizationExact: with n = 3 and all differences +1, only the two
// all-same-sign flips (of 8) reach |sum| = 3, so p → 2/8 = 0.25.
func TestRandomizationExact(t *testing.T) {
	_, p := PairedRandomization([]float64{1, 1, 1}, []float64{0, 0, 0}, 20000, 2)
	if math.Abs(p-0.25) > 0.01 {
		t.Fatalf("p = %v, want about 0.25", p)
	}
}

func TestRandomizationDetectsShift(t *testing.T) {
	var a, b []float64
	for i := 0; i < 400; i++ {
		x := float64(i%17) / 17
		a = append(a, x+0.05)
		b = append(b, x)
		if i%3 == 0 {
			a[i] -= 0.1 // some queries go the other way
		}
	}
	d, p := PairedRandomization(a, b, 2000, 3)
	if d <= 0 || p > 0.01 {
		t.Fatalf("shifted systems: diff %v, p %v", d, p)
	}
}

// TestMeanDiffByHand checks the stratified estimate against hand-worked
// values. Strata {1, 3} and {2}: macro mean (2 + 2)/2 = 2; variance of the
// first stratum's mean: s² = ((1−2)² + (3−2)²)/1 = 2, over n = 2 → 1; the
// second adds 0; over k² = 4 → 0.25. Pooled: mean 2, s² = (1+1+0)/2 = 1,
// over n = 3 → 1/3.
func TestMeanDiffByHand(t *testing.T) {
	strata := [][]float64{{1, 3}, {2}}
	if e := MeanDiff(strata, true); e.Mean != 2 || e.Var != 0.25 {
		t.Errorf("macro: %+v, want mean 2, var 0.25", e)
	}
	if e := MeanDiff(strata, false); e.Mean != 2 || math.Abs(e.Var-1.0/3) > 1e-15 {
		t.Errorf("pooled: %+v, want mean 2, var 1/3", e)
	}
	// Macro weighs strata equally: {0, 0, 0, 0} and {4} → 2, not 0.8.
	if e := MeanDiff([][]float64{{0, 0, 0, 0}, {4}}, true); e.Mean != 2 {
		t.Errorf("macro mean %v, want 2", e.Mean)
	}
	// Two seeds with means 1 and 3, variances 0.5 and 1.5: mean 2, variance
	// (0.5 + 1.5)/4 = 0.5, half-width 1.96·√0.5.
	m, lo, hi := OverSeeds([]Estimate{{1, 0.5}, {3, 1.5}})
	half := 1.959963984540054 * math.Sqrt(0.5)
	if m != 2 || math.Abs(lo-(2-half)) > 1e-12 || math.Abs(hi-(2+half)) > 1e-12 {
		t.Errorf("over seeds: %v [%v, %v], want 2 ± %v", m, lo, hi, half)
	}
}

// pairedRandomizationReference is PairedRandomization as first written,
// one branch per coin: the reference its branch-free loop must match.
func pairedRandomizationReference(a, b []float64, perms int, seed uint64) (meanDiff, p float64) {
	n := len(a)
	d := make([]float64, n)
	sum := 0.0
	for i := range a {
		d[i] = a[i] - b[i]
		sum += d[i]
	}
	observed := math.Abs(sum)
	rng := rand.New(rand.NewPCG(seed, 0x7369676e))
	hits := 0
	tol := 1e-12 * math.Max(1, observed)
	for k := 0; k < perms; k++ {
		s := 0.0
		var bits uint64
		for i, v := range d {
			if i%64 == 0 {
				bits = rng.Uint64()
			}
			if bits&1 == 1 {
				s += v
			} else {
				s -= v
			}
			bits >>= 1
		}
		if math.Abs(s) >= observed-tol {
			hits++
		}
	}
	return sum / float64(n), float64(hits+1) / float64(perms+1)
}

// TestPairedRandomizationMatchesReference: the same mean and p-value, bit
// for bit, as one branch per coin, for lengths around the 64 coins of a
// draw and differences whose sums round.
func TestPairedRandomizationMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 2, 63, 64, 65, 127, 128, 129, 1190} {
		a, b := make([]float64, n), make([]float64, n)
		for i := range a {
			a[i], b[i] = rng.Float64(), rng.Float64()*0.9
			if i%7 == 0 {
				b[i] = a[i] // a zero difference
			}
		}
		for seed := uint64(1); seed <= 3; seed++ {
			wm, wp := pairedRandomizationReference(a, b, 501, seed)
			gm, gp := PairedRandomization(a, b, 501, seed)
			if math.Float64bits(wm) != math.Float64bits(gm) || math.Float64bits(wp) != math.Float64bits(gp) {
				t.Errorf("n %d seed %d: mean %v p %v, reference %v %v", n, seed, gm, gp, wm, wp)
			}
		}
	}
}

// BenchmarkPairedRandomization is one randomization test over 1,190
// clusters (XQuAD-R's questions) with 10,000 permutations, branch-free
// and as first written.
func BenchmarkPairedRandomization(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	x, y := make([]float64, 1190), make([]float64, 1190)
	for i := range x {
		x[i], y[i] = rng.Float64(), rng.Float64()
	}
	b.Run("branch-free", func(b *testing.B) {
		for b.Loop() {
			PairedRandomization(x, y, 10000, 1)
		}
	})
	b.Run("reference", func(b *testing.B) {
		for b.Loop() {
			pairedRandomizationReference(x, y, 10000, 1)
		}
	})
}
