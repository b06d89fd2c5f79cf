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
	if math.IsInf(df, 1) || math.IsNaN(df) {
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
	if len(obs) == 0 {
		nan := math.NaN()
		return Interval{nan, nan, nan, nan, nan, nan, nan}
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
	if len(present) > 1 {
		_, v := meanVar(present)
		iv.SeedSE = math.Sqrt(v / float64(len(present)))
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
	_, v := meanVar(boot)
	iv.QuerySE = math.Sqrt(v)
	iv.SE = math.Sqrt(iv.QuerySE*iv.QuerySE + iv.SeedSE*iv.SeedSE)
	iv.DF = math.Inf(1)
	if iv.SeedSE > 0 {
		iv.DF = math.Pow(iv.SE, 4) / (math.Pow(iv.SeedSE, 4) / float64(len(present)-1))
	}
	q := quantile(0.975, iv.DF)
	iv.Lo, iv.Hi = iv.Mean-q*iv.SE, iv.Mean+q*iv.SE
	return iv
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
