package eval

import (
	"container/heap"
	"slices"
	"sort"
)

// Tie rule. Candidates with equal scores are ordered by id, the
// lexicographically greater id first: the order trec_eval imposes when it
// reads a run (score descending, then docno descending), so trec_eval on a
// run this package writes reproduces its metrics exactly. tieKeys gives
// every candidate of a collection its position in ascending id order; a
// higher key wins a tie. Keys over the whole collection order every pool,
// since a pool's ids sort the same way inside the collection.
func tieKeys(ids []string) []int32 {
	order := make([]int, len(ids))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return ids[order[a]] < ids[order[b]] })
	keys := make([]int32, len(ids))
	for pos, i := range order {
		keys[i] = int32(pos)
	}
	return keys
}

// outranks reports whether candidate (s, k) ranks above (t, l).
func outranks(s float32, k int32, t float32, l int32) bool {
	return s > t || (s == t && k > l)
}

// relevantRanks returns the 1-based rank, in the full ranking of row, of
// each candidate in rel (indices into row), in rel's order. keys holds the
// tie keys of row's candidates.
//
// It makes one pass over the row: with the relevant candidates sorted best
// first, each candidate outranks a suffix of them, and most candidates
// (those below the worst relevant one) cost one comparison.
func relevantRanks(row []float32, keys []int32, rel []int) []int {
	m := len(rel)
	byRank := slices.Clone(rel)
	slices.SortFunc(byRank, func(a, b int) int {
		if outranks(row[a], keys[a], row[b], keys[b]) {
			return -1
		}
		return 1
	})
	// Scores and keys of the relevant candidates, best first.
	rs := make([]float32, m)
	rk := make([]int32, m)
	for j, r := range byRank {
		rs[j], rk[j] = row[r], keys[r]
	}
	// above[j]: candidates whose first outranked relevant one is byRank[j].
	above := make([]int, m)
	worstS, worstK := rs[m-1], rk[m-1]
	for c, s := range row {
		k := keys[c]
		if !outranks(s, k, worstS, worstK) {
			continue
		}
		// Smallest j with the candidate above byRank[j]; it is above
		// byRank[m-1], and "above" holds for a suffix.
		lo, hi := 0, m-1
		for lo < hi {
			mid := int(uint(lo+hi) >> 1)
			if outranks(s, k, rs[mid], rk[mid]) {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
		above[lo]++
	}
	rankOf := make(map[int]int, m)
	n := 0
	for j, r := range byRank {
		n += above[j]
		rankOf[r] = n + 1
	}
	out := make([]int, m)
	for i, r := range rel {
		out[i] = rankOf[r]
	}
	return out
}

// Ranked is one entry of a written ranking.
type Ranked struct {
	Index int // into the pool's candidates
	Score float32
}

// topRanking returns row's candidates best first under the tie rule, cut to
// depth entries (0 keeps all).
func topRanking(row []float32, keys []int32, depth int) []Ranked {
	if depth <= 0 || depth >= len(row) {
		out := make([]Ranked, len(row))
		for i, s := range row {
			out[i] = Ranked{i, s}
		}
		sortRanked(out, keys)
		return out
	}
	h := &worstFirst{keys: keys}
	for i, s := range row {
		if h.Len() < depth {
			heap.Push(h, Ranked{i, s})
		} else if w := h.items[0]; outranks(s, keys[i], w.Score, keys[w.Index]) {
			h.items[0] = Ranked{i, s}
			heap.Fix(h, 0)
		}
	}
	out := h.items
	sortRanked(out, keys)
	return out
}

func sortRanked(rs []Ranked, keys []int32) {
	slices.SortFunc(rs, func(a, b Ranked) int {
		if outranks(a.Score, keys[a.Index], b.Score, keys[b.Index]) {
			return -1
		}
		return 1
	})
}

// worstFirst is a heap whose root is the lowest-ranked entry.
type worstFirst struct {
	items []Ranked
	keys  []int32
}

func (h *worstFirst) Len() int { return len(h.items) }
func (h *worstFirst) Less(i, j int) bool {
	a, b := h.items[i], h.items[j]
	return outranks(b.Score, h.keys[b.Index], a.Score, h.keys[a.Index])
}
func (h *worstFirst) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *worstFirst) Push(x any)    { h.items = append(h.items, x.(Ranked)) }
func (h *worstFirst) Pop() any {
	it := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return it
}
