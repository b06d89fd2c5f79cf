package leaderboard

import (
	"maps"
	"math"
	"slices"
	"sort"
	"sync/atomic"

	"github.com/xlbench/xlbench/harness/report"
	"github.com/xlbench/xlbench/harness/stats"
	"github.com/xlbench/xlbench/plugins/sdk/parallel"
)

// Progress is told how many of a section's pairs of entries are
// decided; the leaderboard command shows it on a terminal.
type Progress func(dataset string, done, total int64)

// rank gives every entry its Δ to the baseline and its rank range: 1 + the
// entries whose paired difference in the main measure is significantly
// above it, to the number of entries minus those significantly below.
//
// Deciding every pair by its own bootstrap made a section quadratic in
// bootstraps (1,000 entries took 90 s). Two facts make it linear in
// bootstraps and, for most pairs, free:
//
//   - Entries drawn on the same seeds and queries (the same
//     report.Row.Fingerprint, as the entries of one experiment are)
//     resample alike, so a pair's interval comes from the two entries'
//     replicates in O(replicates) (report.PairDiff), equal up to rounding
//     to its own bootstrap.
//   - For such a pair the difference's standard error is at most the sum
//     of the entries' own (the replicate and seed spreads are norms), and
//     its t quantile at most that of S−1 degrees of freedom for S seeds.
//     Entries sorted by mean, a pair whose gap exceeds that bound is
//     separated, with no computation: only pairs near each other are
//     decided by their interval.
//
// Pairs of entries drawn on other seeds or queries are decided by
// report.PairedInterval, as before.
func (s *Section) rank(base *Entry, progress Progress) {
	n := len(s.Entries)
	// The baseline's Δ for every entry.
	if base != nil {
		parallel.For(n, func(i int) {
			e := s.Entries[i]
			if e == base {
				return
			}
			if v, det, paired, ok := s.pair(e, base); ok {
				e.Delta = newDelta(v, det, paired)
			}
		})
	}
	// aboveN[i]: entries significantly above entry i; belowN[i]: below.
	aboveN, belowN := make([]int64, n), make([]int64, n)
	groups := map[string][]int{}
	var others []int
	for i, e := range s.Entries {
		if e.hasRow && !math.IsNaN(e.row.Mean) {
			groups[e.row.Fingerprint] = append(groups[e.row.Fingerprint], i)
		} else {
			others = append(others, i)
		}
	}
	var total, done atomic.Int64
	total.Store(int64(n) * int64(n-1) / 2)
	tick := func(k int64) {
		if d := done.Add(k); progress != nil {
			progress(s.Dataset, d, total.Load())
		}
	}
	// Within a group: entries are in order of mean (s.Entries is sorted).
	for _, g := range groups {
		maxSE := 0.0
		seeds := math.MaxInt
		for _, i := range g {
			maxSE = max(maxSE, s.Entries[i].row.SE)
			seeds = min(seeds, s.Entries[i].row.Seeds)
		}
		q := stats.Quantile975(math.Inf(1))
		if seeds >= 2 {
			q = stats.Quantile975(float64(seeds - 1))
		}
		means := make([]float64, len(g))
		for k, i := range g {
			means[k] = s.Entries[i].row.Mean
		}
		// from[k]: the first later position sure to be separated from k.
		from := make([]int, len(g))
		parallel.For(len(g), func(k int) {
			a := s.Entries[g[k]]
			bound := q * (a.row.SE + maxSE)
			// means are descending: find the first position after k whose
			// mean is below a's by more than the bound.
			from[k] = k + 1 + sort.Search(len(g)-k-1, func(x int) bool { return a.row.Mean-means[k+1+x] > bound })
			var above, below int64
			for x := k + 1; x < from[k]; x++ {
				iv := report.PairDiff(a.row, s.Entries[g[x]].row)
				if iv.Lo > 0 {
					below++
					atomic.AddInt64(&aboveN[g[x]], 1)
				}
				if iv.Hi < 0 {
					above++
					atomic.AddInt64(&belowN[g[x]], 1)
				}
			}
			atomic.AddInt64(&belowN[g[k]], below+int64(len(g)-from[k]))
			atomic.AddInt64(&aboveN[g[k]], above)
			tick(int64(len(g) - k - 1))
		})
		// Every position from from[k] on is below k: add 1 to each, by a
		// running sum over the starts.
		starts := make([]int64, len(g)+1)
		for k := range g {
			starts[from[k]]++
		}
		run := int64(0)
		for x := range g {
			run += starts[x]
			aboveN[g[x]] += run
		}
	}
	// Pairs across groups, and with entries without replicates: each by
	// its own paired interval.
	type pr struct{ i, j int }
	var cross []pr
	keys := slices.Sorted(maps.Keys(groups))
	for a := range keys {
		for b := a + 1; b < len(keys); b++ {
			for _, i := range groups[keys[a]] {
				for _, j := range groups[keys[b]] {
					cross = append(cross, pr{i, j})
				}
			}
		}
	}
	for x, i := range others {
		for j := range n {
			if j != i && !slices.Contains(others[:x], j) {
				cross = append(cross, pr{i, j})
			}
		}
	}
	parallel.For(len(cross), func(p int) {
		i, j := cross[p].i, cross[p].j
		v, _, _, ok := s.pair(s.Entries[i], s.Entries[j])
		if ok && v.Lo > 0 {
			atomic.AddInt64(&belowN[i], 1)
			atomic.AddInt64(&aboveN[j], 1)
		}
		if ok && v.Hi < 0 {
			atomic.AddInt64(&aboveN[i], 1)
			atomic.AddInt64(&belowN[j], 1)
		}
		tick(1)
	})
	for i, e := range s.Entries {
		e.RankLo, e.RankHi = 1+int(aboveN[i]), n-int(belowN[i])
	}
}

// pair is the paired interval a − b of the main measure: from the
// replicates when both entries were drawn alike, else by its own
// bootstrap.
func (s *Section) pair(a, b *Entry) (v Value, detectable float64, paired, ok bool) {
	if a.hasRow && b.hasRow && a.row.Fingerprint == b.row.Fingerprint {
		iv := report.PairDiff(a.row, b.row)
		return Value{iv.Mean, iv.Lo, iv.Hi}, iv.Detectable(Power), true, true
	}
	iv, paired, ok := report.PairedInterval(a.cells, b.cells, s.Dataset, Main.Series(), nil)
	return Value{iv.Mean, iv.Lo, iv.Hi}, iv.Detectable(Power), paired, ok
}
