package results

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xlbench/xlbench/harness/metrics"
)

// fixture is a small complete result of an untrained encoder.
func fixture(cell string, seed uint64, mapMono, dist float64) *CellResult {
	return &CellResult{
		Experiment: "e", Cell: cell, Seed: seed, Complete: true,
		Encoder:  Component{Name: "dual"},
		Datasets: map[string]DatasetInfo{"d": {Languages: []string{"en", "de"}, Questions: 6, Candidates: 6}},
		Metrics: map[string]map[Setting]Scores{"d": {
			"mono":  {"map": mapMono, "recall@1": 0.5, "recall@10": 1},
			"cross": {"map": 0.25, "recall@1": 0, "recall@10": 1},
			"multi": {"map": 0.5, "recall@1": 0.25, "recall@10": 1, "rank_distance": dist},
		}},
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	r := fixture("dual.seed1", 1, 0.6, 10)
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

// TestPerQueryPublishedWithResult: a result and its per-query file are
// read together; a per-query file left by an interrupted rerun, a
// recorded one that is missing, and one beside a result that records
// none are each refused, naming what is wrong.
func TestPerQueryPublishedWithResult(t *testing.T) {
	out := t.TempDir()
	r := &CellResult{Experiment: "e", Cell: "c.seed1", Complete: true,
		Metrics: map[string]map[Setting]Scores{"d": {"mono": {"map": 0.5}}}}
	if err := WritePerQuery(out, r, mustPerQuery(t, map[string]map[string]map[string]float64{"d": {"mono": {"en:1": 0.5}}})); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(out, r); err != nil {
		t.Fatal(err)
	}
	got, err := Read(out, "e", "c.seed1")
	if err != nil || got.PerQuery.Values("d", Series{Mono, metrics.MAP})[QueryKey{"en", "1"}] != 0.5 {
		t.Fatalf("Read = %+v, %v", got, err)
	}
	pq := filepath.Join(out, "e", "c.seed1", PerQueryFile)
	saved, _ := os.ReadFile(pq)
	// An interrupted rerun wrote its per-query file and died before its
	// result.
	other := &CellResult{Experiment: "e", Cell: "c.seed1"}
	if err := WritePerQuery(out, other, mustPerQuery(t, map[string]map[string]map[string]float64{"d": {"mono": {"en:1": 0.1}}})); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(out, "e", "c.seed1"); err == nil || !strings.Contains(err.Error(), "is not the per-query file written with this result") {
		t.Fatalf("mismatched per-query file: %v", err)
	}
	// Deleted while the result records it: the intervals would silently
	// use the other seeds.
	os.Remove(pq)
	if _, err := Read(out, "e", "c.seed1"); err == nil || !strings.Contains(err.Error(), "which is missing") {
		t.Fatalf("result without its recorded per-query file: %v", err)
	}
	// Beside a result that records none.
	os.WriteFile(pq, saved, 0o644)
	r.PerQuerySHA256 = ""
	Write(out, r)
	if _, err := Read(out, "e", "c.seed1"); err == nil || !strings.Contains(err.Error(), "records no per-query file") {
		t.Fatalf("per-query file of a result that records none: %v", err)
	}
}

// mustPerQuery builds per-query values from series written as the file
// writes them ("mono", "multi/f1").
func mustPerQuery(t *testing.T, m map[string]map[string]map[string]float64) PerQuery {
	t.Helper()
	typed := map[string]map[Series]map[string]float64{}
	for ds, bySeries := range m {
		typed[ds] = map[Series]map[string]float64{}
		for name, vals := range bySeries {
			s, err := ParseSeries(name)
			if err != nil {
				t.Fatal(err)
			}
			typed[ds][s] = vals
		}
	}
	pq, err := NewPerQuery(typed)
	if err != nil {
		t.Fatal(err)
	}
	return pq
}

// TestTrainOnlyResult: a cell that trains and evaluates nothing (a tuning
// run's stage) is read back without metrics; any other result without
// metrics is refused.
func TestTrainOnlyResult(t *testing.T) {
	out := t.TempDir()
	r := &CellResult{Experiment: "tune", Cell: "base.t.seed1", Complete: true, Training: &Training{Steps: 3}}
	if _, err := Write(out, r); err != nil {
		t.Fatal(err)
	}
	got, err := Read(out, "tune", "base.t.seed1")
	if err != nil || got == nil || got.Training.Steps != 3 {
		t.Fatalf("train-only result read as %+v, %v", got, err)
	}
	r = &CellResult{Experiment: "tune", Cell: "bm25.seed1", Complete: true}
	if _, err := Write(out, r); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(out, "tune", "bm25.seed1"); err == nil || !strings.Contains(err.Error(), "result has no metrics") {
		t.Fatalf("a result with neither training nor metrics read with err = %v", err)
	}
}

// TestResultFileIsRegular: a FIFO in place of a result.json (a results
// directory given to report or -reuse) is an error naming it, at once.
func TestResultFileIsRegular(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "e", "c"), 0o755)
	if err := syscall.Mkfifo(filepath.Join(dir, "e", "c", ResultFile), 0o644); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := Read(dir, "e", "c"); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "is not a regular file (a FIFO)") {
			t.Errorf("FIFO result: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("reading a FIFO result did not end within 10 s")
	}
}

// TestTwoRunsOneMeasurement: two runs of one cell that differ only in how
// long they took (a stage retrained elsewhere: 155 s against 128 s) are one
// measurement, kept once by Merge; a metric that differs is a conflict.
func TestTwoRunsOneMeasurement(t *testing.T) {
	a := fixture("dual.seed1", 1, 0.5, 10)
	a.CellID = "0123456789abcdef"
	a.Training = &Training{Steps: 10, Seconds: 154.9, PairsPerSecond: 7022, Loss: []float32{1, 0.5}}
	b := *a
	tb := *a.Training
	tb.Seconds, tb.PairsPerSecond = 127.5, 8533
	b.Training = &tb
	b.Finished = a.Finished.Add(time.Hour)
	kept, notes, err := Merge([][]*CellResult{{a}, {&b}})
	if err != nil || len(kept[0]) != 1 || len(kept[1]) != 0 || len(notes) != 1 {
		t.Fatalf("two runs of one cell: kept %v, notes %v, %v", kept, notes, err)
	}
	c := b
	c.Metrics = map[string]map[Setting]Scores{"d": {"mono": {"map": 0.7}}}
	if _, _, err := Merge([][]*CellResult{{a}, {&c}}); err == nil {
		t.Error("a changed metric was merged as the same measurement")
	}
}
