package stats

import (
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// Obs is one paired difference (system − baseline) of a clustered design:
// a query of cluster Cluster (a question id: all its translations and
// pools), evaluated in stratum Stratum (a pool) for training seed Seed.
// Indices run from 0.
type Obs struct {
	Cluster, Seed, Stratum int
	D                      float64
}

// Interval is a mean difference with its 95% interval and the two parts of
// its standard error.
type Interval struct {
	Mean, Lo, Hi float64
	// QuerySE is the standard error from sampling questions (the cluster
	// bootstrap), SeedSE from training (the spread of the seeds' own
	// estimates); SE combines them.
	QuerySE, SeedSE, SE float64
	// DF is the degrees of freedom of the t quantile behind Lo and Hi
	// (+Inf: the normal quantile).
	DF float64
}

// Detectable is the smallest true difference an experiment with this
// interval's standard error finds significant (two-sided, 5%) with the
// given power (0.8 is usual): (t₀.₉₇₅ + t_power)·SE at the interval's
// degrees of freedom. A difference smaller than it going unmarked says
// little; one larger than it would most likely have been marked.
func (iv Interval) Detectable(power float64) float64 {
	return (quantile(0.975, iv.DF) + quantile(power, iv.DF)) * iv.SE
}

// quantile is Student's t quantile at df degrees of freedom, the normal
// one for infinite df.
func quantile(p, df float64) float64 {
	// Past a million degrees of freedom t is the normal to seven digits,
	// and gonum's t quantile loses all precision (at 1e53 it gave ±1e16:
	// a seed spread of rounding noise, 1e-17, makes such a df).
	if math.IsInf(df, 1) || math.IsNaN(df) || df > 1e6 {
		return distuv.UnitNormal.Quantile(p)
	}
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile(p)
}

// ClusteredMeanDiff estimates the mean difference of obs — per seed the
// mean over strata of each stratum's mean (macro, as a macro-averaged
// metric is) or the mean over all observations, then the mean over seeds —
// with an interval that respects how the data were drawn:
//
//   - Questions are the sampled unit. A question's translations and pools
//     share its content, and every seed is evaluated on the same
//     questions, so the bootstrap resamples question ids (clusters) with
//     replacement, each replicate applying the same resample to every seed
//     and stratum. Its variance over reps replicates is QuerySE².
//   - Training adds its own variation, which the questions do not show:
//     SeedSE² is the sample variance of the seeds' estimates over the
//     number of seeds (0 for one seed).
//
// SE = √(QuerySE² + SeedSE²). The seed part rests on few seeds (three in
// the default experiment), so the interval is Mean ± t·SE with Student's t
// at the Welch–Satterthwaite degrees of freedom, SE⁴ / (SeedSE⁴ / (S − 1))
// (the bootstrap part counted as known): with the seed part small it is
// the normal interval, with it large the t-interval over the seeds. The
// seed part also carries some question noise, so the sum errs on the wide
// side. The replicates come from rngSeed, so the interval is reproducible.
func ClusteredMeanDiff(obs []Obs, macro bool, reps int, rngSeed uint64) Interval {
	iv, _ := ClusteredMeanDiffReplicates(obs, macro, reps, rngSeed)
	return iv
}

// Replicates keep what an interval was computed from: each seed's
// estimate (NaN for a seed without observations) and the bootstrap
// replicates. Two systems' replicates drawn on the same clusters, strata
// and seeds, with the same rngSeed, resample alike, and every estimate is
// a weighted mean, so the replicates of their paired difference are the
// differences of theirs: Diff gives the paired interval from them in
// O(reps), as ClusteredMeanDiff on the differences would give it (up to
// the rounding of a sum taken in another order).
type Replicates struct {
	Mean  float64
	Seeds []float64
	Boot  []float64
	// centered is Boot minus its mean: a difference's replicates centred
	// are the difference of the centred ones, so Diff needs one pass and
	// no allocation.
	centered []float64
}

// Diff is the interval of a − b from their replicates (see Replicates for
// when it is the paired interval).
func Diff(a, b Replicates) Interval {
	var iv Interval
	iv.Mean = a.Mean - b.Mean
	var seedEst [8]float64
	present := seedEst[:0]
	for s := range min(len(a.Seeds), len(b.Seeds)) {
		if d := a.Seeds[s] - b.Seeds[s]; !math.IsNaN(d) {
			present = append(present, d)
		}
	}
	if len(present) > 1 {
		_, v := meanVar(present)
		iv.SeedSE = math.Sqrt(v / float64(len(present)))
	}
	ca, cb := a.centered, b.centered
	if len(ca) != len(cb) || len(ca) < 2 {
		return finish(iv, len(present), math.NaN())
	}
	ss := 0.0
	for r := range ca {
		d := ca[r] - cb[r]
		ss += d * d
	}
	return finish(iv, len(present), math.Sqrt(ss/float64(len(ca)-1)))
}

// finish completes an interval from its mean, seed part and the spread
// of its bootstrap replicates.
func finish(iv Interval, seeds int, querySE float64) Interval {
	iv.QuerySE = querySE
	iv.SE = math.Sqrt(iv.QuerySE*iv.QuerySE + iv.SeedSE*iv.SeedSE)
	iv.DF = math.Inf(1)
	if iv.SeedSE > 0 {
		iv.DF = math.Pow(iv.SE, 4) / (math.Pow(iv.SeedSE, 4) / float64(seeds-1))
	}
	q := quantile(0.975, iv.DF)
	iv.Lo, iv.Hi = iv.Mean-q*iv.SE, iv.Mean+q*iv.SE
	return iv
}

// Quantile975 is the t quantile behind a 95% interval at df degrees of
// freedom (the normal one for +Inf).
func Quantile975(df float64) float64 { return quantile(0.975, df) }

// ClusteredMeanDiffReplicates is ClusteredMeanDiff that also returns the
// replicates the interval was computed from.
func ClusteredMeanDiffReplicates(obs []Obs, macro bool, reps int, rngSeed uint64) (Interval, Replicates) {
	if len(obs) == 0 {
		nan := math.NaN()
		return Interval{nan, nan, nan, nan, nan, nan, nan}, Replicates{Mean: nan}
	}
	clusters, seeds, strata := 0, 0, 0
	for _, o := range obs {
		clusters, seeds, strata = max(clusters, o.Cluster+1), max(seeds, o.Seed+1), max(strata, o.Stratum+1)
	}
	// One cell per seed and stratum, its observations together.
	sorted := slices.Clone(obs)
	slices.SortFunc(sorted, func(a, b Obs) int {
		if a.Seed != b.Seed {
			return a.Seed - b.Seed
		}
		return a.Stratum - b.Stratum
	})
	type cell struct{ seed, lo, hi int }
	var cells []cell
	for i := 0; i < len(sorted); {
		j := i
		for j < len(sorted) && sorted[j].Seed == sorted[i].Seed && sorted[j].Stratum == sorted[i].Stratum {
			j++
		}
		cells = append(cells, cell{sorted[i].Seed, i, j})
		i = j
	}
	// perSeed fills est with each seed's estimate under cluster weights w
	// (NaN for a seed without observations) and returns their mean.
	perSeed := func(w []float64, est []float64) float64 {
		sums, counts := make([]float64, seeds), make([]float64, seeds)
		for _, c := range cells {
			s, n := 0.0, 0.0
			for _, o := range sorted[c.lo:c.hi] {
				s += w[o.Cluster] * o.D
				n += w[o.Cluster]
			}
			if n == 0 {
				continue
			}
			if macro {
				sums[c.seed] += s / n
				counts[c.seed]++
			} else {
				sums[c.seed] += s
				counts[c.seed] += n
			}
		}
		total, k := 0.0, 0
		for s := range est {
			est[s] = math.NaN()
			if counts[s] > 0 {
				est[s] = sums[s] / counts[s]
				total += est[s]
				k++
			}
		}
		return total / float64(k)
	}
	ones := make([]float64, clusters)
	for i := range ones {
		ones[i] = 1
	}
	seedEst := make([]float64, seeds)
	var iv Interval
	iv.Mean = perSeed(ones, seedEst)
	var present []float64
	for _, e := range seedEst {
		if !math.IsNaN(e) {
			present = append(present, e)
		}
	}
	rng := rand.New(rand.NewPCG(rngSeed, 0x636c7573))
	w := make([]float64, clusters)
	scratch := make([]float64, seeds)
	reps = max(reps, 2)
	boot := make([]float64, reps)
	for r := range boot {
		clear(w)
		for range clusters {
			w[rng.IntN(clusters)]++
		}
		boot[r] = perSeed(w, scratch)
	}
	if len(present) > 1 {
		_, v := meanVar(present)
		iv.SeedSE = math.Sqrt(v / float64(len(present)))
	}
	m, v := meanVar(boot)
	centered := make([]float64, len(boot))
	for r, x := range boot {
		centered[r] = x - m
	}
	return finish(iv, len(present), math.Sqrt(v)), Replicates{Mean: iv.Mean, Seeds: seedEst, Boot: boot, centered: centered}
}

// ClusterRandomization is the sign-flip test of PairedRandomization with
// whole clusters flipped: under the null hypothesis the two systems are
// exchangeable on each question, in all its languages and pools at once,
// so a question's differences change sign together. sums holds each
// cluster's sum of differences; the statistic is their total.
func ClusterRandomization(sums []float64, perms int, seed uint64) (p float64) {
	_, p = PairedRandomization(sums, make([]float64, len(sums)), perms, seed)
	return p
}
