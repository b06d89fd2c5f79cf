// Package metrics computes the retrieval metrics (docs/methods.md, "Metrics") for one
// query, from the 1-based ranks of its relevant candidates in the full
// ranking of a pool. Every metric here is a function of those ranks alone,
// so the ranking never needs to be sorted to score it.
//
// Ties are broken before ranks exist (package eval): among equal scores the
// candidate with the lexicographically greater id ranks first, the rule
// trec_eval applies, so trec_eval on a written run reproduces these values.
package metrics

import (
	"math"
	"slices"
	"strings"
)

// Name is a metric's name, as result files and tables spell it.
type Name string

// Metric names.
const (
	MAP          Name = "map"
	Recall1      Name = "recall@1"
	Recall10     Name = "recall@10"
	MRR10        Name = "mrr@10"
	NDCG10       Name = "ndcg@10"
	RankDistance Name = "rank_distance"
	HasAnswer1   Name = "has_answer@1"
	HasAnswer5   Name = "has_answer@5"
	HasAnswer10  Name = "has_answer@10"
	HasAnswer20  Name = "has_answer@20"
	EM           Name = "em"
	F1           Name = "f1"
)

// Ranking lists the metrics every pool reports, in table order.
var Ranking = []Name{MAP, Recall1, Recall10, MRR10, NDCG10}

// HasAnswer lists the answer-string metrics (dense passage retrieval's
// top-k retrieval accuracy), reported when an evaluation looks for answers.
var HasAnswer = []Name{HasAnswer1, HasAnswer5, HasAnswer10, HasAnswer20}

// HasAnswerDepth is the deepest k of HasAnswer.
const HasAnswerDepth = 20

// Reading lists the retrieve-then-read metrics: exact match and F1 of the
// reader's answer from a question's top candidates (package qa), as
// fractions.
var Reading = []Name{EM, F1}

// All lists every per-pool metric, in table order.
var All = slices.Concat(Ranking, HasAnswer, Reading)

// Join writes names separated by sep, for messages and flag help.
func Join(names []Name, sep string) string {
	s := make([]string, len(names))
	for i, n := range names {
		s[i] = string(n)
	}
	return strings.Join(s, sep)
}

// Known reports whether n is a metric this package computes: one of All,
// or the rank distance.
func Known(n Name) bool { return n == RankDistance || slices.Contains(All, n) }

// AddHasAnswer adds has-answer@k for k = 1, 5, 10, 20 to q, from the
// 1-based rank of the first candidate that contains a gold answer string
// (0: none within HasAnswerDepth): 1 when that rank is at most k, else 0.
func AddHasAnswer(q Query, firstAnswer int) {
	for _, k := range []struct {
		name Name
		k    int
	}{{HasAnswer1, 1}, {HasAnswer5, 5}, {HasAnswer10, 10}, {HasAnswer20, 20}} {
		v := 0.0
		if firstAnswer > 0 && firstAnswer <= k.k {
			v = 1
		}
		q[k.name] = v
	}
}

// Query holds one query's metric values.
type Query map[Name]float64

// ForRanks computes every ranking metric from the ranks of a query's
// relevant candidates (1-based, distinct, in any order). It returns nil for
// a query with no relevant candidate: such a query is not scored.
func ForRanks(ranks []int) Query {
	if len(ranks) == 0 {
		return nil
	}
	r := slices.Clone(ranks)
	slices.Sort(r)
	return Query{
		MAP:      AveragePrecision(r),
		Recall1:  RecallAt(r, 1),
		Recall10: RecallAt(r, 10),
		MRR10:    ReciprocalRankAt(r, 10),
		NDCG10:   NDCGAt(r, 10),
	}
}

// AveragePrecision is the mean, over the relevant candidates, of the
// precision at each one's rank: (1/|R|)·Σᵢ i/rankᵢ with ranks sorted
// ascending. The ranking is the full one (no cutoff), so every relevant
// candidate is retrieved. ranks must be sorted.
func AveragePrecision(ranks []int) float64 {
	s := 0.0
	for i, r := range ranks {
		s += float64(i+1) / float64(r)
	}
	return s / float64(len(ranks))
}

// RecallAt is the share of the relevant candidates ranked within k, as
// trec_eval's recall_k.
func RecallAt(ranks []int, k int) float64 {
	n := 0
	for _, r := range ranks {
		if r <= k {
			n++
		}
	}
	return float64(n) / float64(len(ranks))
}

// ReciprocalRankAt is 1/rank of the first relevant candidate if that rank is
// within k, else 0. ranks must be sorted.
func ReciprocalRankAt(ranks []int, k int) float64 {
	if ranks[0] > k {
		return 0
	}
	return 1 / float64(ranks[0])
}

// NDCGAt is nDCG at k with binary gains: DCG = Σ over relevant ranks r ≤ k
// of 1/log2(r+1), divided by the DCG of the ideal ranking, which puts
// min(|R|, k) relevant candidates first.
func NDCGAt(ranks []int, k int) float64 {
	dcg := 0.0
	for _, r := range ranks {
		if r <= k {
			dcg += 1 / math.Log2(float64(r)+1)
		}
	}
	idcg := 0.0
	for i := 1; i <= min(len(ranks), k); i++ {
		idcg += 1 / math.Log2(float64(i)+1)
	}
	return dcg / idcg
}

// RankDistanceOf is the highest minus the lowest rank among the relevant
// candidates: how far apart a query's parallel answers lie in the
// multilingual pool. Lower means less language bias.
func RankDistanceOf(ranks []int) float64 {
	return float64(slices.Max(ranks) - slices.Min(ranks))
}

// Mean averages metric values over queries, per metric name.
func Mean(qs []Query) map[Name]float64 {
	out := map[Name]float64{}
	if len(qs) == 0 {
		return out
	}
	for _, q := range qs {
		for k, v := range q {
			out[k] += v
		}
	}
	for k := range out {
		out[k] /= float64(len(qs))
	}
	return out
}
