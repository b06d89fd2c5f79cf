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
