package eval

import (
	"math"
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

// rankKey folds a score and its tie key into one integer that orders
// candidates exactly as outranks does: the score's bits made monotonic
// (flip all bits of negatives, set the sign bit of the rest) in the high
// part, the tie key below. Keys stay under 2^63, so differences of two keys
// never overflow.
func rankKey(s float32, k int32) int64 {
	if s == 0 {
		s = 0 // −0 equals +0, as outranks compares them: a tie, broken by key
	}
	b := math.Float32bits(s)
	// Without a branch, whose outcome (the score's sign) is a coin toss:
	// negatives flip every bit, the rest only the sign bit.
	b ^= uint32(int32(b)>>31) | 1<<31
	return int64(b)<<31 | int64(k)
}

// relevantRanks returns the 1-based rank, in the full ranking of row, of
// each candidate in rel (indices into row), in rel's order. keys holds the
// tie keys of row's candidates (each below 2^31).
//
// With AVX2, ranks are counted from scores (count8, ranksByScore), the keys
// consulted only for ties. Otherwise, and for rows holding a NaN, one pass
// over the row: a candidate below the worst relevant one costs one
// comparison; any other adds 1 to the count of every relevant candidate it
// outranks, without branches (the sign bit of the key difference), since
// where it falls among them is unpredictable.
func relevantRanks(row []float32, keys []int32, rel []int) []int {
	m := len(rel)
	out := make([]int, m)
	if m == 1 && haveCount {
		// One relevant candidate (the mono and cross pools): its rank is
		// one plus the scores above its own, counted eight at a time.
		// Only ties (beside itself) and NaNs need the keys.
		sr := row[rel[0]]
		n8 := len(row) / 8 * 8
		gt, eq, un := 0, 0, 0
		if n8 > 0 {
			gt, eq, un = count8(&row[0], n8, sr)
		}
		for _, s := range row[n8:] {
			switch {
			case s > sr:
				gt++
			case s == sr:
				eq++
			case s != s || sr != sr:
				un++
			}
		}
		if eq == 1 && un == 0 {
			out[0] = gt + 1
			return out
		}
	}
	if haveCount && ranksByScore(row, keys, rel, out) {
		return out
	}
	rk := make([]int64, m)
	worst := int64(math.MaxInt64)
	worstScore := float32(math.Inf(1))
	for j, r := range rel {
		rk[j] = rankKey(row[r], keys[r])
		worst = min(worst, rk[j])
		worstScore = min(worstScore, row[r])
	}
	above := make([]int64, m)
	for c, s := range row {
		// A lower score is a lower key (keys order as scores do), so most
		// candidates are turned away by one float comparison.
		if s < worstScore {
			continue
		}
		k := rankKey(s, keys[c])
		if k <= worst {
			continue
		}
		for j, r := range rk {
			above[j] -= (r - k) >> 63 // +1 when k > r
		}
	}
	for j := range out {
		out[j] = int(above[j]) + 1
	}
	return out
}

// ranksByScore fills out with the ranks of the relevant candidates rel of
// row, as relevantRanks does, by counting, for a group of relevant
// candidates at a time (thresholds), the candidates that outrank each: a
// higher score, or an equal one with a higher tie key. Without branches:
// the multilingual pool's relevant candidates (one per language) spread
// over the whole ranking, so no cut-off turns most candidates away, and
// sparse scores tie by the thousand (at 0). It reports false, leaving out
// to be overwritten, when the row holds a NaN, which the keys alone place.
func ranksByScore(row []float32, keys []int32, rel []int, out []int) bool {
	m := len(rel)
	width := groupWidth()
	var th thresholds
	n := 0 // the prefix the vector counts cover, the same for every group
	for g := 0; g < m; g += width {
		th.set(row, keys, rel[g:min(g+width, m)])
		var ok bool
		if n, ok = th.count(row, keys, out[g:], 1); !ok {
			return false
		}
	}
	for c, s := range row[n:] {
		if s != s {
			return false
		}
		for j, r := range rel {
			if outranks(s, keys[n+c], row[r], keys[r]) {
				out[j]++
			}
		}
	}
	for j := range out {
		out[j]++ // ranks count from 1
	}
	return true
}

// groupWidth is how many relevant candidates one vector count takes:
// twelve with AVX-512, else six.
func groupWidth() int {
	if haveCount512 {
		return 12
	}
	return 6
}

// rangeRanks is relevantRanks for a row made of consecutive ranges (the
// multilingual pool, one range per candidate language), which also gives
// each relevant candidate's rank within its own range: the rank it has in
// that language's pool, a column range of the same scores. One pass over
// the row counts, for a group of relevant candidates at a time (twelve
// with AVX-512, else six), the candidates of each range that outrank each;
// a rank in the row is one plus the sum over ranges, a rank in a range one
// plus that range's count. inRange[r] holds the ranks within range r of
// the relevant candidates that fall in it, in rel's order. It reports
// false, leaving the ranks to relevantRanks, where the vector counts cannot
// run or the row holds a NaN. ranges must cover the row, in order, without
// gaps.
func rangeRanks(row []float32, keys []int32, rel []int, ranges [][2]int) (ranks []int, inRange [][]int, ok bool) {
	if !haveCount {
		return nil, nil, false
	}
	m, nr := len(rel), len(ranges)
	width := groupWidth()
	counts := make([]int, m*nr) // counts[j*nr+r]: range r's candidates above rel[j]
	var th thresholds
	for g := 0; g < m; g += width {
		last := min(g+width, m)
		th.set(row, keys, rel[g:last])
		for r, rg := range ranges {
			lo, hi := rg[0], rg[1]
			n, ok := th.count(row[lo:hi], keys[lo:hi], counts[g*nr+r:], nr)
			if !ok {
				return nil, nil, false
			}
			for c := lo + n; c < hi; c++ {
				s := row[c]
				if s != s {
					return nil, nil, false
				}
				for j := g; j < last; j++ {
					if outranks(s, keys[c], row[rel[j]], keys[rel[j]]) {
						counts[j*nr+r]++
					}
				}
			}
		}
	}
	ranks = make([]int, m)
	inRange = make([][]int, nr)
	for j, c := range rel {
		ranks[j] = 1
		for r, rg := range ranges {
			ranks[j] += counts[j*nr+r]
			if c >= rg[0] && c < rg[1] {
				inRange[r] = append(inRange[r], counts[j*nr+r]+1)
			}
		}
	}
	return ranks, inRange, true
}

// thresholds is a group of relevant candidates laid out for the vector
// counts: twelve scores and keys for countAbove12, six times eight for
// countAbove6. Unused places hold a NaN score, which counts nothing.
type thresholds struct {
	m     int
	t12   [12]float32
	k12   [12]int32
	t6    [6][8]float32
	k6    [6][8]int32
	by12  bool
	acc12 [12][16]int32
	acc6  [7][8]int32
}

func (t *thresholds) set(row []float32, keys []int32, rel []int) {
	t.m, t.by12 = len(rel), haveCount512
	nan := float32(math.NaN())
	for j := range 12 {
		s, k := nan, int32(0)
		if j < len(rel) {
			s, k = row[rel[j]], keys[rel[j]]
		}
		t.t12[j], t.k12[j] = s, k
		if j < 6 {
			for l := range 8 {
				t.t6[j][l], t.k6[j][l] = s, k
			}
		}
	}
}

// count adds to into[j*stride] the candidates of row (with keys) that
// outrank threshold j, for j < t.m, over the longest prefix the vector
// count covers, and returns its length; ok is false if that prefix holds a
// NaN score.
func (t *thresholds) count(row []float32, keys []int32, into []int, stride int) (n int, ok bool) {
	if t.by12 {
		n = len(row) / 16 * 16
		if n == 0 {
			return 0, true
		}
		if countAbove12(&row[0], &keys[0], n, &t.t12, &t.k12, &t.acc12) {
			return 0, false
		}
		for j := 0; j < t.m; j++ {
			into[j*stride] += laneSum16(&t.acc12[j])
		}
		return n, true
	}
	n = len(row) / 8 * 8
	if n == 0 {
		return 0, true
	}
	t.acc6 = [7][8]int32{}
	countAbove6(&row[0], &keys[0], n, &t.t6, &t.k6, &t.acc6)
	if laneSum(&t.acc6[6]) > 0 {
		return 0, false
	}
	for j := 0; j < t.m; j++ {
		into[j*stride] += laneSum(&t.acc6[j])
	}
	return n, true
}

func laneSum16(v *[16]int32) int {
	s := 0
	for _, c := range v {
		s += int(c)
	}
	return s
}

func laneSum(v *[8]int32) int {
	s := 0
	for _, c := range v {
		s += int(c)
	}
	return s
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
	h := worstFirst{items: make([]Ranked, 0, depth), keys: keys}
	for i, s := range row {
		if len(h.items) < depth {
			h.items = append(h.items, Ranked{i, s})
			h.up(len(h.items) - 1)
		} else if w := h.items[0]; outranks(s, keys[i], w.Score, keys[w.Index]) {
			h.items[0] = Ranked{i, s}
			h.down(0)
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

// worstFirst is a binary heap whose root is the lowest-ranked entry,
// typed (container/heap through an interface cost a fifth of a run's
// harness CPU), with container/heap's sift-up and sift-down: the same
// comparisons in the same order, so the same entries are kept.
type worstFirst struct {
	items []Ranked
	keys  []int32
}

// worse reports whether entry i ranks below entry j.
func (h *worstFirst) worse(i, j int) bool {
	a, b := h.items[i], h.items[j]
	return outranks(b.Score, h.keys[b.Index], a.Score, h.keys[a.Index])
}

// up moves entry j towards the root while it ranks below its parent.
func (h *worstFirst) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !h.worse(j, i) {
			return
		}
		h.items[i], h.items[j] = h.items[j], h.items[i]
		j = i
	}
}

// down moves entry i away from the root while a child ranks below it.
func (h *worstFirst) down(i int) {
	n := len(h.items)
	for {
		j := 2*i + 1
		if j >= n {
			return
		}
		if j2 := j + 1; j2 < n && h.worse(j2, j) {
			j = j2
		}
		if !h.worse(j, i) {
			return
		}
		h.items[i], h.items[j] = h.items[j], h.items[i]
		i = j
	}
}
