package results

import (
	"testing"
)

// TestCommittedResults: every committed reference result passes the
// reader's checks (its summaries are what its per-query values give, its
// inputs hash to its id), and its per-query values, written again, are
// the same bytes: the typed record changed nothing of the format.
func TestCommittedResults(t *testing.T) {
	rs, err := ReadAll("../../results", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) < 17 {
		t.Fatalf("%d committed results read, want 17 or more", len(rs))
	}
	out := t.TempDir()
	for _, r := range rs {
		if r.PerQuery == nil || r.CellID == "" {
			t.Errorf("%s/%s: no per-query values or no cell id", r.Experiment, r.Cell)
			continue
		}
		again := &CellResult{Experiment: r.Experiment, Cell: r.Cell}
		if err := WritePerQuery(out, again, r.PerQuery); err != nil {
			t.Fatal(err)
		}
		if again.PerQuerySHA256 != r.PerQuerySHA256 {
			t.Errorf("%s/%s: per-query values written again hash to %s, recorded %s", r.Experiment, r.Cell, again.PerQuerySHA256, r.PerQuerySHA256)
		}
	}
}
