package report

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xlbench/xlbench/harness/eval"
	"github.com/xlbench/xlbench/harness/results"
	"github.com/xlbench/xlbench/harness/train"
)

// coverageResults: a monolingual baseline whose batches reach en only, and
// a hybrid row whose batches also pair de questions with en passages; one
// seed each, and a BM25 row that trains nothing.
func coverageResults() []*results.CellResult {
	mono := result("dual.mono.seed1", "mono", 1, 0.5, 10)
	mono.Baseline = "mono"
	mono.Training = &train.Record{PairLanguages: map[string]int{"en-en": 8, "de-de": 0}}
	hybrid := result("dual.hybrid.seed1", "hybrid", 1, 0.75, 10)
	hybrid.Baseline = "mono"
	hybrid.Training = &train.Record{PairLanguages: map[string]int{"en-en": 4, "de-en": 4}}
	bm25 := result("bm25", "", 0, 0.25, 10)
	bm25.Encoder = results.Component{Name: "bm25"}
	return []*results.CellResult{mono, hybrid, bm25}
}

// The batch mix, not the training data, says what a row reached: a pair
// language with no pairs reaches nothing, and rows that differ are named
// per language and side.
func TestCoverageNote(t *testing.T) {
	got := coverageNote(coverageResults())
	want := "Languages each row's training batches reached — dual × mono: queries en, passages en; dual × hybrid: queries de en, passages en. " +
		"⚠ The rows differ in coverage (de in queries not by dual × mono): a difference between them mixes batch composition with which languages training reached at all; compare them per language, or on the languages every row reached."
	if got != want {
		t.Errorf("note\n%s\nwant\n%s", got, want)
	}
	if got := coverageNote(coverageResults()[:1]); strings.Contains(got, "⚠") {
		t.Errorf("one row warned: %s", got)
	}
	if got := coverageNote(coverageResults()[2:]); got != "" {
		t.Errorf("an untrained row has a coverage note: %s", got)
	}
}

// The per-language differences: hybrid − mono per query language, with
// what each row reached. In result(), the en pools hold the mAP given
// (mono 0.5, hybrid 0.75) and the cross pools 0.2 (en-de) and 0.3 (de-en);
// de has no mono or multi pool.
func TestLanguageDifferences(t *testing.T) {
	tab := LanguageDifferences(coverageResults(), "d")
	want := [][]string{
		{"dual × hybrid", "en", "+0.250", "+0.000", "+0.000", "yes/yes", "yes/yes"},
		{"dual × hybrid", "de", "", "+0.000", "", "yes/no", "no/no"},
	}
	if diff := cmp.Diff(want, tab.Rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if LanguageDifferences(coverageResults()[2:], "d") != nil {
		t.Error("a table without a baseline row")
	}
}

// Unseen reports apart the dataset's languages that no fine-tuning data
// had and nothing held out: here ru, beside en (trained) and el (held out).
func TestUnseen(t *testing.T) {
	r := result("dual.mono.seed1", "mono", 1, 0.5, 10)
	r.Datasets["d"] = results.DatasetInfo{Languages: []string{"el", "en", "ru"}}
	r.HeldOut = []string{"el"}
	r.Training = &train.Record{QueryLangs: map[string]int{"en": 5}, PassageLangs: map[string]int{"en": 5}}
	r.Pools["d"]["mono"][pk("ru")] = eval.Pool{QueryLang: "ru", CandLang: "ru", Queries: 2, Metrics: results.Scores{"map": 0.125}}
	if Unseen([]*results.CellResult{r}, "d") != nil {
		t.Error("a table for an experiment without a stage")
	}
	r.Stage = &results.StageInfo{Experiment: "base", Cell: "b"}
	tab := Unseen([]*results.CellResult{r}, "d")
	if tab == nil || !strings.Contains(tab.Title, "(ru;") {
		t.Fatalf("table %+v", tab)
	}
	// unseen mono: the ru pool; no cross or multi pool has ru (–); others:
	// en's mono pool (0.5).
	if got := tab.Rows[0][2:6]; !cmp.Equal(got, []string{"0.125", "–", "–", "0.500"}) {
		t.Errorf("row %q", tab.Rows[0])
	}
}

// Covered languages: those both rows reached as queries and as passages.
// The hybrid row reached de only as a query, so only en is covered; a
// cross pool is covered when both its languages are.
func TestCoveredBy(t *testing.T) {
	rs := coverageResults()
	if got := coveredBy(rs[1], rs[0]); !cmp.Equal(got, []string{"en"}) {
		t.Errorf("covered %v, want [en]", got)
	}
	for pool, want := range map[string]bool{"en": true, "de": false, "en-en": true, "en-de": false, "de-en": false} {
		if got := within(pool, []string{"en"}); got != want {
			t.Errorf("within(%q) = %v", pool, got)
		}
	}
	if got := coveredNote(rs, Significance(rs, "d")); !strings.Contains(got, "dual × hybrid: en.") {
		t.Errorf("note %q", got)
	}
}
