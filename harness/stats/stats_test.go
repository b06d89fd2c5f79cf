package stats

import (
	"math"
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
