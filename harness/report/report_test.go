package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xlbench/xlbench/harness/eval"
)

func result(cell, sampler string, seed uint64, mapMono, dist float64) *CellResult {
	r := &CellResult{
		Experiment: "e", Cell: cell, Seed: seed, Complete: true,
		Encoder:  Component{Name: "dual"},
		Datasets: map[string]DatasetInfo{"d": {Languages: []string{"en", "de"}, Questions: 6, Candidates: 6}},
		Metrics: map[string]map[string]map[string]float64{"d": {
			"mono":  {"map": mapMono, "recall@1": 0.5, "recall@10": 1},
			"cross": {"map": 0.25, "recall@1": 0, "recall@10": 1},
			"multi": {"map": 0.5, "recall@1": 0.25, "recall@10": 1, "rank_distance": dist},
		}},
		Pools: map[string]map[string]map[string]eval.Pool{"d": {
			"mono":  {"en": {QueryLang: "en", CandLang: "en", Queries: 3, Metrics: map[string]float64{"map": mapMono}}},
			"cross": {"en-de": {QueryLang: "en", CandLang: "de", Queries: 3, Metrics: map[string]float64{"map": 0.2}}, "de-en": {QueryLang: "de", CandLang: "en", Queries: 3, Metrics: map[string]float64{"map": 0.3}}},
			"multi": {"en": {QueryLang: "en", Queries: 3, Metrics: map[string]float64{"map": 0.5, "rank_distance": dist}}},
		}},
	}
	if sampler != "" {
		r.Sampler = &Component{Name: sampler}
	}
	return r
}

// TestComparisonAggregatesSeeds: two seeds of one row give mean ± sample sd;
// (0.6, 0.8) → 0.700 ± 0.141 and rank distances (10, 20) → 15.0 ± 7.1.
func TestComparisonAggregatesSeeds(t *testing.T) {
	rs := []*CellResult{
		result("dual.mono.seed1", "mono", 1, 0.6, 10),
		result("dual.mono.seed2", "mono", 2, 0.8, 20),
		result("dual.hybrid.seed1", "hybrid", 1, 0.9, 5),
	}
	tab := Comparison(rs, "d", DefaultMetrics)
	want := [][]string{
		{"dual × mono", "2", "0.700 ± 0.141", "0.500 ± 0.000", "1.000 ± 0.000", "0.250 ± 0.000", "0.000 ± 0.000", "1.000 ± 0.000", "0.500 ± 0.000", "0.250 ± 0.000", "1.000 ± 0.000", "15.0 ± 7.1"},
		{"dual × hybrid", "1", "0.900", "0.500", "1.000", "0.250", "0.000", "1.000", "0.500", "0.250", "1.000", "5.0"},
	}
	if diff := cmp.Diff(want, tab.Rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if !strings.Contains(tab.Title, "mono: 2 pools, cross: 2 pools, multi: 6 questions over 6 candidates") {
		t.Errorf("title %q", tab.Title)
	}
	var buf bytes.Buffer
	if err := tab.Render(&buf, "csv"); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "encoder × sampler,seeds,mono mAP,mono R@1,mono R@10,cross mAP") {
		t.Errorf("csv:\n%s", buf.String())
	}
	if err := tab.Render(&buf, "xml"); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestPerLanguage(t *testing.T) {
	tab := PerLanguage([]*CellResult{result("dual.seed1", "", 1, 0.6, 10)}, "d")
	want := [][]string{
		{"dual", "en", "0.600", "0.200", "0.500", "10.0"},
		{"dual", "de", "–", "0.300", "–", "–"},
	}
	if diff := cmp.Diff(want, tab.Rows); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	r := result("dual.seed1", "", 1, 0.6, 10)
	path, err := Write(dir, r)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, "e", "dual.seed1", "result.json") {
		t.Errorf("path %s", path)
	}
	got, err := ReadAll(dir, "")
	if err != nil || len(got) != 1 {
		t.Fatalf("ReadAll = %v, %v", got, err)
	}
	if diff := cmp.Diff(r.Metrics, got[0].Metrics); diff != "" {
		t.Error(diff)
	}
	r.Complete = false
	if _, err := Write(dir, r); err == nil {
		t.Error("an incomplete result was written")
	}
	// A file marked incomplete on disk is refused, never shown.
	os.WriteFile(filepath.Join(dir, "e", "dual.seed1", "result.json"), []byte(`{"complete": false}`), 0o644)
	if _, err := ReadAll(dir, ""); err == nil {
		t.Error("an incomplete result was read")
	}
}
