package cli

import (
	"testing"

	"github.com/xlbench/xlbench/harness/results"
	"github.com/xlbench/xlbench/harness/train"
	"github.com/xlbench/xlbench/plugins"
)

// TestDeclaredTuningOnlyForTheSamplerTrained: a spec's tuned_by is read
// into a result stored without one only while the spec still trains that
// sampler as the result did; a result that records one keeps its own.
func TestDeclaredTuningOnlyForTheSamplerTrained(t *testing.T) {
	mk := func(steps int, plugin string, tuned string) *results.CellResult {
		return &results.CellResult{Experiment: "tiny-train", Training: &train.Record{Steps: steps},
			Sampler:  &results.Component{Name: "monolingual", Plugin: plugin, Params: plugins.Params{}, TunedBy: tuned},
			Manifest: &results.Manifest{Specs: []results.FileHash{{Path: "testdata/tiny-train.hcl"}}}}
	}
	rs := []*results.CellResult{mk(30, "builtin:monolingual", ""), mk(31, "builtin:monolingual", ""), mk(30, "builtin:hybrid", ""), mk(30, "builtin:monolingual", "mine")}
	got := declaredTuning(rs, nil)
	want := []string{"testdata/tune.hcl: shortest within 2% of the lowest validation loss (as testdata/tiny-train.hcl declares)", "", "", "mine"}
	for i := range want {
		if got[i].Sampler.TunedBy != want[i] {
			t.Errorf("result %d: tuned by %q, want %q", i, got[i].Sampler.TunedBy, want[i])
		}
	}
	if rs[0].Sampler.TunedBy != "" {
		t.Error("the stored result itself changed")
	}
}
