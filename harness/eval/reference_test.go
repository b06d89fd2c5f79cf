package eval

import (
	"container/heap"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xlbench/xlbench/harness/qa"
	"github.com/xlbench/xlbench/plugins"
)

// heapRanked is topRanking's heap as first written, through container/heap.
type heapRanked struct {
	items []Ranked
	keys  []int32
}

func (h *heapRanked) Len() int { return len(h.items) }
func (h *heapRanked) Less(i, j int) bool {
	a, b := h.items[i], h.items[j]
	return outranks(b.Score, h.keys[b.Index], a.Score, h.keys[a.Index])
}
func (h *heapRanked) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *heapRanked) Push(x any)    { h.items = append(h.items, x.(Ranked)) }
func (h *heapRanked) Pop() any {
	it := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return it
}

func referenceTop(row []float32, keys []int32, depth int) []Ranked {
	h := &heapRanked{keys: keys}
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

// TestTopRankingKeepsTheHeapsEntries: the typed heap keeps, in the same
// order, what container/heap kept, on rows with ties (scores and tie keys
// alike), ±0 and NaN, where the order is not total.
func TestTopRankingKeepsTheHeapsEntries(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	values := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 0.5, float32(math.NaN()), float32(math.Inf(1))}
	for trial := range 300 {
		n := 1 + rng.IntN(300)
		row, keys := make([]float32, n), make([]int32, n)
		for i := range row {
			if rng.IntN(3) == 0 {
				row[i] = values[rng.IntN(len(values))]
			} else {
				row[i] = float32(rng.NormFloat64())
			}
			keys[i] = int32(rng.IntN(max(1, n/4)))
		}
		for _, depth := range []int{1, 3, 10, 100, n - 1} {
			if depth <= 0 || depth >= n {
				continue
			}
			want, got := referenceTop(row, keys, depth), topRanking(row, keys, depth)
			if diff := cmp.Diff(bitsOf(want), bitsOf(got)); diff != "" {
				t.Fatalf("trial %d, depth %d (-container/heap +typed):\n%s", trial, depth, diff)
			}
		}
	}
}

func bitsOf(rs []Ranked) [][2]uint32 {
	out := make([][2]uint32, len(rs))
	for i, r := range rs {
		out[i] = [2]uint32{uint32(r.Index), math.Float32bits(r.Score)}
	}
	return out
}

// TestContainsRunIsContainsAnswer: has-answer on token ids answers as
// qa.ContainsAnswer on the tokens, empty answers and answers longer than
// the text included.
func TestContainsRunIsContainsAnswer(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	words := []string{"a", "b", "c", "d"}
	vocab := map[string]int32{}
	ids := func(ts []string) []int32 {
		out := make([]int32, len(ts))
		for i, w := range ts {
			if _, ok := vocab[w]; !ok {
				vocab[w] = int32(len(vocab))
			}
			out[i] = vocab[w]
		}
		return out
	}
	draw := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = words[rng.IntN(len(words))]
		}
		return out
	}
	for trial := range 2000 {
		text := draw(rng.IntN(8))
		var golds [][]string
		var goldIDs [][]int32
		for range rng.IntN(3) {
			g := draw(rng.IntN(4))
			golds, goldIDs = append(golds, g), append(goldIDs, ids(g))
		}
		if want, got := qa.ContainsAnswer(text, golds), containsRun(ids(text), goldIDs); want != got {
			t.Fatalf("trial %d: %q in %q: ContainsAnswer %v, containsRun %v", trial, golds, text, want, got)
		}
	}
}

// TestVectorsRefuseNonFinite checks that a block holding NaN or ±Inf,
// dense or sparse, anywhere in it, is refused, and that every finite
// value (the largest, the smallest subnormal, −0) is taken.
func TestVectorsRefuseNonFinite(t *testing.T) {
	finite := []float32{0, float32(math.Copysign(0, -1)), math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, 1, -1}
	for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
		for at := range 9 {
			dense := make([]float32, 9)
			copy(dense, finite)
			dense[at] = bad
			if err := (&vectors{}).add(plugins.Vectors{Count: 3, Dim: 3, Dense: dense}); err == nil {
				t.Errorf("dense %v at %d: taken", bad, at)
			}
			sparse := &plugins.SparseVectors{Offsets: []uint32{0, 9}, Terms: make([]uint64, 9), Weights: slices.Clone(dense)}
			if err := (&vectors{}).add(plugins.Vectors{Count: 1, Sparse: sparse}); err == nil {
				t.Errorf("sparse %v at %d: taken", bad, at)
			}
		}
	}
	dense := append(slices.Clone(finite), 0, 0)
	if err := (&vectors{}).add(plugins.Vectors{Count: 3, Dim: 3, Dense: dense}); err != nil {
		t.Errorf("finite values refused: %v", err)
	}
}
