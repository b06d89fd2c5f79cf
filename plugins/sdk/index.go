package sdk

import (
	"math/rand/v2"
	"slices"

	"github.com/xlbench/xlbench/plugins"
)

// CorpusIndex answers the questions samplers ask of a corpus summary: which
// groups offer a language on both sides, and which cross-lingual (query
// language, passage language) pairs a group offers. It respects group
// kinds: a translation group offers no monolingual pair (it would match a
// sentence with itself), only cross-lingual ones.
type CorpusIndex struct {
	Groups []plugins.Group
	// Mono maps a language to the indices (into Groups) of the groups that
	// offer it on both the query and the passage side: QA groups only.
	Mono map[string][]int
	// MonoLangs lists the languages of Mono in sorted order.
	MonoLangs []string
	// Cross lists the indices of the groups that offer at least one pair of
	// different query and passage languages.
	Cross []int
}

// NewCorpusIndex indexes a corpus summary.
func NewCorpusIndex(c plugins.CorpusSummary) *CorpusIndex {
	ix := &CorpusIndex{Groups: c.Groups, Mono: map[string][]int{}}
	for i, g := range c.Groups {
		for _, q := range g.QueryLangs {
			if g.Allows(q, q) {
				ix.Mono[q] = append(ix.Mono[q], i)
			}
		}
		if len(CrossPairs(g)) > 0 {
			ix.Cross = append(ix.Cross, i)
		}
	}
	for l := range ix.Mono {
		ix.MonoLangs = append(ix.MonoLangs, l)
	}
	slices.Sort(ix.MonoLangs)
	return ix
}

// CrossPairs lists the (query, passage) language pairs of g whose languages
// differ, in a fixed order. Every kind of group offers them.
func CrossPairs(g plugins.Group) [][2]string {
	var out [][2]string
	for _, q := range g.QueryLangs {
		for _, p := range g.PassageLangs {
			if q != p {
				out = append(out, [2]string{q, p})
			}
		}
	}
	return out
}

// Cycle deals out the elements of a set in shuffled passes: every element
// once per pass, a fresh shuffle for each pass. Drawing a batch from a Cycle
// gives distinct elements whenever the batch is no larger than the set,
// which keeps a group from being its own in-batch negative.
type Cycle struct {
	items []int
	pos   int
	rng   *rand.Rand
}

// NewCycle returns a Cycle over items drawing from rng. It keeps its own copy.
func NewCycle(items []int, rng *rand.Rand) *Cycle {
	c := &Cycle{items: slices.Clone(items), rng: rng}
	c.shuffle()
	return c
}

func (c *Cycle) shuffle() {
	c.rng.Shuffle(len(c.items), func(i, j int) { c.items[i], c.items[j] = c.items[j], c.items[i] })
	c.pos = 0
}

// Take returns n elements, distinct when n ≤ Len. A pass that runs out in
// the middle of a batch is reshuffled; elements already drawn for that
// batch are skipped in the new pass so the batch stays distinct.
func (c *Cycle) Take(n int) []int {
	out := make([]int, 0, n)
	seen := make(map[int]bool, n)
	for len(out) < n {
		if c.pos == len(c.items) {
			c.shuffle()
		}
		it := c.items[c.pos]
		c.pos++
		if seen[it] && len(seen) < len(c.items) {
			continue
		}
		seen[it] = true
		out = append(out, it)
	}
	return out
}

// Len is the number of elements in the set.
func (c *Cycle) Len() int { return len(c.items) }

// Restrict returns the summary with every group's languages cut to langs
// (all of them when langs is empty); groups left with no pair are dropped.
// Group ids are kept.
func Restrict(c plugins.CorpusSummary, langs []string) plugins.CorpusSummary {
	if len(langs) == 0 {
		return c
	}
	keep := func(ls []string) []string {
		var out []string
		for _, l := range ls {
			if slices.Contains(langs, l) {
				out = append(out, l)
			}
		}
		return out
	}
	var out plugins.CorpusSummary
	for _, g := range c.Groups {
		r := plugins.Group{ID: g.ID, Kind: g.Kind, QueryLangs: keep(g.QueryLangs), PassageLangs: keep(g.PassageLangs)}
		if len(r.QueryLangs) > 0 && len(r.PassageLangs) > 0 {
			out.Groups = append(out.Groups, r)
		}
	}
	return out
}
