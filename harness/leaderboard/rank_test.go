package leaderboard

import (
	"fmt"
	"math"
	"testing"

	"github.com/xlbench/xlbench/harness/report"
	"github.com/xlbench/xlbench/harness/results"
)

// crowd is n sampler entries of one family on one dataset, seeds seeds
// each, their per-question values spread so that neighbours overlap and
// far entries separate; every fifth entry lacks a seed, so that some pairs
// are decided by their own bootstrap.
func crowd(n, seeds int) []*results.CellResult {
	var rs []*results.CellResult
	for i := range n {
		offset := 0.3 * float64(i) / float64(n)
		for seed := 1; seed <= seeds; seed++ {
			if i%5 == 4 && seed == seeds && seeds > 1 {
				continue
			}
			noise := func(q int) float64 {
				x := math.Sin(float64(q*7919+i*104729+seed*31)) * 0.05
				return math.Min(1, math.Max(0, base(q)+offset+x))
			}
			rs = append(rs, cell("dual", fmt.Sprintf("s%05d", i), uint64(seed), noise))
		}
	}
	return rs
}

// TestRankRangesMatchEveryPair: the rank ranges computed with replicates
// and the separation bound are those that deciding every pair by its own
// paired bootstrap gives.
func TestRankRangesMatchEveryPair(t *testing.T) {
	for _, seeds := range []int{1, 3} {
		b := Build([]Source{{Dir: "refs", Results: crowd(60, seeds)}}, nil)
		s := b.Sections[0]
		n := len(s.Entries)
		for i, a := range s.Entries {
			lo, hi := 1, n
			for j, c := range s.Entries {
				if i == j {
					continue
				}
				iv, _, ok := report.PairedInterval(a.cells, c.cells, s.Dataset, Main.Series(), nil)
				if ok && iv.Lo > 0 {
					hi--
				}
				if ok && iv.Hi < 0 {
					lo++
				}
			}
			if a.RankLo != lo || a.RankHi != hi {
				t.Errorf("%d seeds, %s: ranks %d–%d, every pair gives %d–%d", seeds, a.Name, a.RankLo, a.RankHi, lo, hi)
			}
		}
	}
}

// BenchmarkLeaderboardSection: building one section of 1,000 and 10,000
// entries, one seed each, 80 queries an entry (the target: 10,000 within
// a minute on 2 cores).
func BenchmarkLeaderboardSection(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			rs := crowd(n, 1)
			for b.Loop() {
				Build([]Source{{Dir: "refs", Results: rs}}, nil)
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}
