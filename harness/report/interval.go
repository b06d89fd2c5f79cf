package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"maps"
	"math"
	"slices"
	"sort"

	"github.com/xlbench/xlbench/harness/eval"
	"github.com/xlbench/xlbench/harness/results"
	"github.com/xlbench/xlbench/harness/stats"
)

// RowInterval is the mean of one row's metric over its seeds with its 95%
// interval (stats.ClusteredMeanDiff on the row's per-query values:
// questions resampled with all their pools and seeds, plus the seeds'
// spread), macro over pools for mono and cross as the metric is. ok is
// false when the cells hold no per-query values of the metric.
//
// keep, when not nil, restricts the queries to the pools it accepts (the
// held-out languages' pools, say).
func RowInterval(cells []*results.CellResult, dataset string, series results.Series, keep func(pool string) bool) (iv stats.Interval, ok bool) {
	obs, _ := rowObs(cells, dataset, series, keep, nil)
	if len(obs) == 0 {
		return iv, false
	}
	return stats.ClusteredMeanDiff(obs, series.Setting != eval.Multi, BootstrapReps, 1), true
}

// Row is a row's interval with the replicates behind it and a fingerprint
// of what they were drawn on (its seeds and, per seed, its queries):
// two rows with the same fingerprint have a paired interval that
// stats.Diff computes from their replicates alone (PairDiff).
type Row struct {
	stats.Interval
	Replicates  stats.Replicates
	Fingerprint string
	Seeds       int
}

// RowReplicates is RowInterval with the replicates kept (Row).
func RowReplicates(cells []*results.CellResult, dataset string, series results.Series, keep func(pool string) bool) (row Row, ok bool) {
	h := sha256.New()
	obs, seeds := rowObs(cells, dataset, series, keep, h)
	if len(obs) == 0 {
		return row, false
	}
	row.Seeds = seeds
	row.Interval, row.Replicates = stats.ClusteredMeanDiffReplicates(obs, series.Setting != eval.Multi, BootstrapReps, 1)
	row.Fingerprint = hex.EncodeToString(h.Sum(nil))
	return row, true
}

// rowObs gathers a row's per-query values as observations, seed by seed
// and key by key in order, and counts the seeds that have any. When
// fingerprint is not nil it also hashes what they were drawn on: each
// seed and its keys.
func rowObs(cells []*results.CellResult, dataset string, series results.Series, keep func(pool string) bool, fingerprint hash.Hash) (obs []stats.Obs, seeds int) {
	ix := newIndexer()
	for s, c := range sortedBySeed(cells) {
		values := c.PerQuery.Values(dataset, series)
		if fingerprint != nil {
			fmt.Fprintf(fingerprint, "seed %d\n", c.Seed)
		}
		n := len(obs)
		for _, k := range sortedKeys(values) {
			if keep == nil || keep(k.Pool) {
				obs = append(obs, ix.obs(k, s, values[k]))
				if fingerprint != nil {
					io.WriteString(fingerprint, k.Pool+"\x00"+k.Question+"\n")
				}
			}
		}
		if len(obs) > n {
			seeds++
		}
	}
	return obs, seeds
}

// PairDiff is the paired interval a − b of two rows drawn on the same
// seeds and queries (the same Fingerprint), from their replicates: what
// PairedInterval computes by its own bootstrap, up to rounding, in
// O(BootstrapReps).
func PairDiff(a, b Row) stats.Interval { return stats.Diff(a.Replicates, b.Replicates) }

// PairedInterval is the difference a − b of two rows' metric, paired: the
// seeds both rows have, and within each the queries both scored, the
// questions resampled together in both rows. Rows with no seed in common
// (different seeds, or a row from another experiment) are compared
// unpaired: the difference of their means with the two intervals'
// standard errors combined (normal quantile), wider than a paired one.
// paired says which it was.
func PairedInterval(a, b []*results.CellResult, dataset string, series results.Series, keep func(pool string) bool) (iv stats.Interval, paired, ok bool) {
	bySeed := map[uint64]*results.CellResult{}
	for _, c := range b {
		bySeed[c.Seed] = c
	}
	var obs []stats.Obs
	ix := newIndexer()
	s := 0
	for _, ca := range sortedBySeed(a) {
		cb := bySeed[ca.Seed]
		if cb == nil {
			continue
		}
		va, vb := ca.PerQuery.Values(dataset, series), cb.PerQuery.Values(dataset, series)
		n := len(obs)
		for _, k := range sortedKeys(va) {
			if y, found := vb[k]; found && (keep == nil || keep(k.Pool)) {
				obs = append(obs, ix.obs(k, s, va[k]-y))
			}
		}
		if len(obs) > n {
			s++
		}
	}
	if len(obs) > 0 {
		return stats.ClusteredMeanDiff(obs, series.Setting != eval.Multi, BootstrapReps, 1), true, true
	}
	ia, okA := RowInterval(a, dataset, series, keep)
	ib, okB := RowInterval(b, dataset, series, keep)
	if !okA || !okB {
		return iv, false, false
	}
	iv = stats.Interval{Mean: ia.Mean - ib.Mean, SE: math.Hypot(ia.SE, ib.SE), DF: math.Inf(1)}
	iv.QuerySE, iv.SeedSE = math.Hypot(ia.QuerySE, ib.QuerySE), math.Hypot(ia.SeedSE, ib.SeedSE)
	const z = 1.959963984540054
	iv.Lo, iv.Hi = iv.Mean-z*iv.SE, iv.Mean+z*iv.SE
	return iv, false, true
}

// indexer numbers question ids and pools in order of first appearance.
type indexer struct{ question, pool map[string]int }

func newIndexer() indexer {
	return indexer{question: map[string]int{}, pool: map[string]int{}}
}

func (ix indexer) obs(key results.QueryKey, seed int, d float64) stats.Obs {
	index := func(m map[string]int, k string) int {
		i, ok := m[k]
		if !ok {
			i = len(m)
			m[k] = i
		}
		return i
	}
	return stats.Obs{Cluster: index(ix.question, key.Question), Seed: seed, Stratum: index(ix.pool, key.Pool), D: d}
}

func sortedBySeed(cells []*results.CellResult) []*results.CellResult {
	out := slices.Clone(cells)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Seed < out[j].Seed })
	return out
}

// sortedKeys orders a series' queries as their keys' string forms do
// (the order the tests and bootstraps have always drawn in).
func sortedKeys(m map[results.QueryKey]float64) []results.QueryKey {
	return slices.SortedFunc(maps.Keys(m), results.QueryKey.Compare)
}

// HeldOutPools accepts the pools that involve a language of held: a
// held-out language's mono pool, the cross pools with it on either side,
// its queries in the multilingual pool.
func HeldOutPools(held []string) func(pool string) bool {
	return func(pool string) bool { return involves(pool, held) }
}

// HeldOutLanguages lists the languages the cells' training held out that the
// dataset has, sorted.
func HeldOutLanguages(cells []*results.CellResult, dataset string) []string {
	return heldOutIn(cells, dataset)
}

// IsBaseline reports whether c is its experiment's baseline row (the
// sampler its result records as the baseline).
func IsBaseline(c *results.CellResult) bool { return isBaseline(c) }
