package report

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/xlbench/xlbench/harness/lang"
	"github.com/xlbench/xlbench/harness/results"
)

// Coverage is the languages a row's training batches reached: every query
// language and every passage language of a pair the sampler chose, over
// all the row's seeds. It is read off the batch mix (the training record's
// pairs per language pair), not the training data: a sampler reaches only
// what its batches are made of, and monolingual batches cannot reach a
// language whose questions have no passages in the same language.
type Coverage struct {
	Queries, Passages []string
}

// String is "queries ar de en, passages de en".
func (c Coverage) String() string {
	return "queries " + orNone(c.Queries) + ", passages " + orNone(c.Passages)
}

// trainingCoverage is the coverage of the trained results among rs (one
// row's seeds); ok is false when none was trained.
func trainingCoverage(rs []*results.CellResult) (c Coverage, ok bool) {
	qs, ps := map[string]bool{}, map[string]bool{}
	for _, r := range rs {
		if r.Training == nil {
			continue
		}
		ok = true
		for pair, n := range r.Training.PairLanguages {
			if n <= 0 {
				continue
			}
			if k, err := lang.ParsePoolKey(pair); err == nil && k.Candidate != "" {
				qs[k.Query], ps[k.Candidate] = true, true
			}
		}
	}
	return Coverage{slices.Sorted(maps.Keys(qs)), slices.Sorted(maps.Keys(ps))}, ok
}

// coverageNote says, per trained row, which languages its training batches
// reached, and warns when the rows differ: a difference between such rows
// mixes what the batches were made of with which languages they reached at
// all. Empty when no row was trained.
func coverageNote(rs []*results.CellResult) string {
	var parts []string
	var covs []Coverage
	var rows []string
	for _, g := range groups(rs) {
		c, ok := trainingCoverage(g.results)
		if !ok {
			continue
		}
		parts = append(parts, g.row+": "+c.String())
		covs, rows = append(covs, c), append(rows, g.row)
	}
	if len(parts) == 0 {
		return ""
	}
	note := "Languages each row's training batches reached — " + strings.Join(parts, "; ") + "."
	if w := coverageWarning(rows, covs); w != "" {
		note += " " + w
	}
	return note
}

// coverageWarning names, for each side, the languages some rows reached and
// others did not; empty when every row reached the same.
func coverageWarning(rows []string, covs []Coverage) string {
	var diffs []string
	for _, side := range []struct {
		name string
		get  func(Coverage) []string
	}{{"queries", func(c Coverage) []string { return c.Queries }}, {"passages", func(c Coverage) []string { return c.Passages }}} {
		all := map[string]bool{}
		for _, c := range covs {
			for _, l := range side.get(c) {
				all[l] = true
			}
		}
		for _, l := range slices.Sorted(maps.Keys(all)) {
			var without []string
			for i, c := range covs {
				if !slices.Contains(side.get(c), l) {
					without = append(without, rows[i])
				}
			}
			if len(without) > 0 {
				diffs = append(diffs, fmt.Sprintf("%s in %s not by %s", l, side.name, strings.Join(without, ", ")))
			}
		}
	}
	if len(diffs) == 0 {
		return ""
	}
	return "⚠ The rows differ in coverage (" + strings.Join(diffs, "; ") + "): a difference between them mixes batch composition with which languages training reached at all; compare them per language, or on the languages every row reached."
}
