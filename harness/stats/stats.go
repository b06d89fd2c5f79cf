// Package stats holds the significance tests reported beside the tables.
package stats

import (
	"math"
	"math/rand/v2"
	"sort"
)

// PairedRandomization is a two-sided paired randomisation (sign-flip) test
// of the mean of a[i] − b[i]: under the null hypothesis that the two systems
// are exchangeable on each query, each difference's sign is a coin flip. It
// returns the observed mean difference and the p-value (count + 1) /
// (perms + 1) of permutations whose |mean| reaches the observed one. The
// permutations come from a fixed seed, so the p-value is reproducible.
func PairedRandomization(a, b []float64, perms int, seed uint64) (meanDiff, p float64) {
	n := len(a)
	if n == 0 || n != len(b) {
		return 0, math.NaN()
	}
	d := make([]float64, n)
	sum := 0.0
	for i := range a {
		d[i] = a[i] - b[i]
		sum += d[i]
	}
	observed := math.Abs(sum)
	rng := rand.New(rand.NewPCG(seed, 0x7369676e))
	hits := 0
	// Tolerance for float rounding: a permutation equal to the observed
	// statistic counts as reaching it.
	tol := 1e-12 * math.Max(1, observed)
	// The differences as bits: a coin's sign is applied by flipping the
	// sign bit, which adds −v exactly as subtracting v would, without a
	// branch the coin makes unpredictable.
	raw := make([]uint64, n)
	for i, v := range d {
		raw[i] = math.Float64bits(v)
	}
	for k := 0; k < perms; k++ {
		s := 0.0
		for lo := 0; lo < n; lo += 64 {
			// bit i of the draw is coin lo+i: 1 adds, 0 subtracts.
			flip := ^rng.Uint64()
			for _, r := range raw[lo:min(lo+64, n)] {
				s += math.Float64frombits(r ^ flip<<63)
				flip >>= 1
			}
		}
		if math.Abs(s) >= observed-tol {
			hits++
		}
	}
	return sum / float64(n), float64(hits+1) / float64(perms+1)
}

// Holm adjusts p-values for multiple comparisons (Holm–Bonferroni): sorted
// ascending, the i-th smallest (0-based) becomes max over j ≤ i of
// min(1, (m − j)·p_j). The result is in the input's order.
func Holm(ps []float64) []float64 {
	m := len(ps)
	idx := make([]int, m)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return ps[idx[a]] < ps[idx[b]] })
	out := make([]float64, m)
	running := 0.0
	for rank, i := range idx {
		adj := math.Min(1, float64(m-rank)*ps[i])
		running = math.Max(running, adj)
		out[i] = running
	}
	return out
}

// Estimate is a mean with the variance of its estimate.
type Estimate struct {
	Mean, Var float64
}

// MeanDiff estimates the mean of paired differences d grouped in strata:
// with macro, the mean of the strata's means (each stratum, a pool, weighs
// the same, as a macro-averaged metric does), else the mean over all
// differences. Var is the variance of that estimate, from the sample
// variance within each stratum (a stratum of one difference adds none).
func MeanDiff(strata [][]float64, macro bool) Estimate {
	if !macro {
		var all []float64
		for _, s := range strata {
			all = append(all, s...)
		}
		strata = [][]float64{all}
	}
	var e Estimate
	k := 0
	for _, s := range strata {
		if len(s) == 0 {
			continue
		}
		k++
		m, v := meanVar(s)
		e.Mean += m
		e.Var += v / float64(len(s))
	}
	if k == 0 {
		return Estimate{Mean: math.NaN(), Var: math.NaN()}
	}
	e.Mean /= float64(k)
	e.Var /= float64(k * k)
	return e
}

func meanVar(x []float64) (mean, variance float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	if len(x) < 2 {
		return mean, 0
	}
	for _, v := range x {
		variance += (v - mean) * (v - mean)
	}
	return mean, variance / float64(len(x)-1)
}

// OverSeeds averages the estimates of independent seeds and returns the
// mean with its 95% normal interval: the seeds' queries are sampled
// independently, so the variance of the mean is Σ Var / S².
func OverSeeds(es []Estimate) (mean, lo, hi float64) {
	if len(es) == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	v := 0.0
	for _, e := range es {
		mean += e.Mean
		v += e.Var
	}
	s := float64(len(es))
	mean /= s
	half := 1.959963984540054 * math.Sqrt(v) / s
	return mean, mean - half, mean + half
}
