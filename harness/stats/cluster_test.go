package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

// synthetic draws a clustered design with known variance components:
// d = mu + u[question] + v[seed] + e, with u ~ N(0, su²) shared by a
// question's strata and seeds, v ~ N(0, sv²) shared by a seed's queries, e
// ~ N(0, se²) independent. Every question is in every stratum for every
// seed, so the estimator (macro or not) is the plain mean, whose variance
// is su²/Q + sv²/S + se²/(Q·L·S).
func synthetic(rng *rand.Rand, q, l, s int, mu, su, sv, se float64) []Obs {
	u := make([]float64, q)
	for i := range u {
		u[i] = rng.NormFloat64() * su
	}
	var obs []Obs
	for seed := range s {
		v := rng.NormFloat64() * sv
		for c := range q {
			for st := range l {
				obs = append(obs, Obs{Cluster: c, Seed: seed, Stratum: st, D: mu + u[c] + v + rng.NormFloat64()*se})
			}
		}
	}
	return obs
}

// The clustered interval covers the true mean about 95% of the time on data
// with known question and seed variance (the independent computation is
// the analytic variance above), and its question part matches the
// analytic one; the per-query interval of MeanDiff and OverSeeds, which
// takes every query and seed as independent, covers far less.
func TestClusteredMeanDiffCoverage(t *testing.T) {
	const q, l, s, mu, su, sv, se, datasets = 120, 4, 3, 0.01, 0.2, 0.02, 0.2, 200
	rng := rand.New(rand.NewPCG(4, 2))
	covered, coveredOld := 0, 0
	var querySE2 float64
	for range datasets {
		obs := synthetic(rng, q, l, s, mu, su, sv, se)
		iv := ClusteredMeanDiff(obs, true, 400, rng.Uint64())
		if iv.Lo <= mu && mu <= iv.Hi {
			covered++
		}
		querySE2 += iv.QuerySE * iv.QuerySE
		// The old method: per seed, strata of independent queries.
		ests := make([]Estimate, s)
		for seed := range s {
			strata := make([][]float64, l)
			for _, o := range obs {
				if o.Seed == seed {
					strata[o.Stratum] = append(strata[o.Stratum], o.D)
				}
			}
			ests[seed] = MeanDiff(strata, true)
		}
		if _, lo, hi := OverSeeds(ests); lo <= mu && mu <= hi {
			coveredOld++
		}
	}
	rate, rateOld := float64(covered)/datasets, float64(coveredOld)/datasets
	// Given the seeds, question sampling contributes su²/Q + se²/(QLS).
	wantQuery := su*su/q + se*se/(q*l*s)
	gotQuery := querySE2 / datasets
	t.Logf("coverage %.3f (per-query method %.3f); question variance %.3g, analytic %.3g", rate, rateOld, gotQuery, wantQuery)
	if rate < 0.90 || rate > 0.995 {
		t.Errorf("the clustered 95%% interval covered the mean in %.1f%% of %d datasets", 100*rate, datasets)
	}
	if math.Abs(gotQuery/wantQuery-1) > 0.15 {
		t.Errorf("bootstrap question variance %.3g, analytic %.3g", gotQuery, wantQuery)
	}
	if rateOld > 0.6 {
		t.Errorf("the per-query interval covered %.1f%%: the synthetic design does not show its flaw", 100*rateOld)
	}
}

// With one seed and no question effect, the interval is the plain
// bootstrap of a mean: close to the normal interval of independent values.
func TestClusteredMeanDiffIndependent(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 1))
	obs := synthetic(rng, 400, 1, 1, 0, 0, 0, 1)
	iv := ClusteredMeanDiff(obs, false, 2000, 3)
	want := 1 / math.Sqrt(400)
	if iv.SeedSE != 0 || math.Abs(iv.SE/want-1) > 0.1 {
		t.Errorf("SE %.4f (seed part %.4f), want about %.4f", iv.SE, iv.SeedSE, want)
	}
	if math.Abs((iv.Hi-iv.Lo)/2-1.959963984540054*iv.SE) > 1e-12 {
		t.Errorf("one seed: the interval is not the normal one: [%v, %v], SE %v", iv.Lo, iv.Hi, iv.SE)
	}
	if e := ClusteredMeanDiff(nil, true, 10, 1); !math.IsNaN(e.Mean) {
		t.Errorf("no observations: %+v", e)
	}
}

// Under the null hypothesis with a question effect (a question's
// translations move together), flipping whole questions keeps the test's
// size near 5%; flipping single queries, as PairedRandomization on the
// queries does, rejects far more often.
func TestClusterRandomizationSize(t *testing.T) {
	const q, l, datasets = 100, 4, 300
	rng := rand.New(rand.NewPCG(5, 5))
	rejected, rejectedQueries := 0, 0
	for k := range datasets {
		obs := synthetic(rng, q, l, 1, 0, 0.3, 0, 0.3)
		sums := make([]float64, q)
		ds := make([]float64, len(obs))
		for i, o := range obs {
			sums[o.Cluster] += o.D
			ds[i] = o.D
		}
		if ClusterRandomization(sums, 999, uint64(k)) < 0.05 {
			rejected++
		}
		if _, p := PairedRandomization(ds, make([]float64, len(ds)), 999, uint64(k)); p < 0.05 {
			rejectedQueries++
		}
	}
	rate, rateQ := float64(rejected)/datasets, float64(rejectedQueries)/datasets
	t.Logf("size at 0.05: per question %.3f, per query %.3f", rate, rateQ)
	if rate > 0.08 {
		t.Errorf("per-question flips rejected a true null in %.1f%%", 100*rate)
	}
	if rateQ < 0.15 {
		t.Errorf("per-query flips rejected a true null in %.1f%% only: the design does not show their flaw", 100*rateQ)
	}
}

// Detectable is what it claims: data drawn with a true mean difference
// equal to one interval's Detectable(0.8) gets an interval excluding zero
// in about 80% of draws (t quantiles make the seeds' few degrees of
// freedom count), and with no difference in about 5%. With the normal
// quantile it is 1.960 + 0.842 standard errors.
func TestDetectable(t *testing.T) {
	if d := (Interval{SE: 1, DF: math.Inf(1)}).Detectable(0.8); math.Abs(d-2.8016) > 1e-4 {
		t.Errorf("normal detectable difference %.5f, want 2.8016", d)
	}
	const q, l, s, su, sv, se, datasets = 120, 4, 3, 0.2, 0.01, 0.2, 300
	rng := rand.New(rand.NewPCG(9, 1))
	// The detectable difference of the design: its average over draws
	// (one draw's standard error is itself an estimate).
	mde := 0.0
	for i := range 20 {
		mde += ClusteredMeanDiff(synthetic(rng, q, l, s, 0, su, sv, se), false, 300, uint64(i)).Detectable(0.8) / 20
	}
	rate := func(mu float64) float64 {
		hits := 0
		for i := range datasets {
			iv := ClusteredMeanDiff(synthetic(rng, q, l, s, mu, su, sv, se), false, 300, uint64(i))
			if iv.Lo > 0 || iv.Hi < 0 {
				hits++
			}
		}
		return float64(hits) / datasets
	}
	if p := rate(mde); p < 0.7 || p > 0.95 {
		t.Errorf("power at the detectable difference %.4f is %.2f, want about 0.8", mde, p)
	}
	if p := rate(0); p > 0.1 {
		t.Errorf("false positive rate %.2f, want about 0.05", p)
	}
}

// TestQuantileAtHugeDF: the t quantile at a huge df (a seed spread of
// rounding noise makes one) is the normal one, not garbage.
func TestQuantileAtHugeDF(t *testing.T) {
	for _, df := range []float64{1e7, 1e53, math.Inf(1)} {
		if q := quantile(0.975, df); math.Abs(q-1.959963984540054) > 1e-9 {
			t.Errorf("quantile(0.975, %g) = %g", df, q)
		}
	}
}
