package runner

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xlbench/xlbench/harness/internal/testenv"
	"github.com/xlbench/xlbench/harness/results"
)

// TestCheckCellID: every committed result's recorded inputs hash to its
// cell id and name its own experiment, cell, seed and plugins; changing
// the inputs (another data file's hash) or the result's claim (another
// sampler version) is caught, naming what disagrees.
func TestCheckCellID(t *testing.T) {
	rs, err := results.ReadAll(filepath.Join(testenv.ModuleRoot(), "results"), "")
	if err != nil || len(rs) < 14 {
		t.Fatalf("%d committed results, %v", len(rs), err)
	}
	for _, r := range rs {
		if err := results.CheckCellID(r); err != nil {
			t.Errorf("%s/%s: %v", r.Experiment, r.Cell, err)
		}
	}
	var r *results.CellResult
	for _, x := range rs {
		if x.Sampler != nil && len(x.Metrics) > 0 {
			r = x
			break
		}
	}
	var in results.Inputs
	if err := json.Unmarshal(r.Manifest.Inputs, &in); err != nil {
		t.Fatal(err)
	}
	for f := range in.Evaluate[0].Files {
		in.Evaluate[0].Files[f] = strings.Repeat("0", 64)
		break
	}
	tampered := *r
	m := *r.Manifest
	m.Inputs, _ = json.Marshal(&in)
	tampered.Manifest = &m
	if err := results.CheckCellID(&tampered); err == nil || !strings.Contains(err.Error(), "its recorded inputs hash to") {
		t.Errorf("changed inputs: %v", err)
	}
	tampered = *r
	s := *r.Sampler
	s.PluginVersion = "9.9.9"
	tampered.Sampler = &s
	if err := results.CheckCellID(&tampered); err == nil || !strings.Contains(err.Error(), `sampler`) {
		t.Errorf("changed sampler version: %v", err)
	}
}
