package runner

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xlbench/xlbench/harness/plan"
	"github.com/xlbench/xlbench/harness/results"
	"github.com/xlbench/xlbench/harness/spec"
	"github.com/xlbench/xlbench/plugins"
)

var trainable = plugins.Info{Trainable: true}

// TestScheduleLongestFirst: the stage runs first, then the cell that
// waits for no stage, then the rest by training length, longest first,
// ties in plan order; a length in epochs counts as the longest.
func TestScheduleLongestFirst(t *testing.T) {
	base := &spec.Experiment{Name: "base", Pretrains: true, Encoders: []*spec.Component{{Name: "dual", Info: trainable}},
		Samplers: []*spec.Component{{Name: "translation"}}, Seeds: []uint64{1}, Steps: 17000, BatchSize: 64}
	e := &spec.Experiment{Name: "e", StartFrom: base, BatchSize: 64, Epochs: 1,
		Encoders: []*spec.Component{{Name: "dual", Info: trainable}, {Name: "bm25"}},
		Samplers: []*spec.Component{{Name: "mono", Steps: 200}, {Name: "hybrid", Steps: 300}, {Name: "en", Steps: 4500}, {Name: "exp"}},
		Seeds:    []uint64{1, 2}}
	cells := append(plan.Plan(base), plan.Plan(e)...)
	stage := &cells[0]
	for i := range cells[1:] {
		if c := &cells[1+i]; c.Encoder.Info.Trainable {
			c.Stage = stage
		}
	}
	todo := make([]int, len(cells))
	for i := range todo {
		todo[i] = i
	}
	schedule(cells, todo)
	var got []string
	for _, i := range todo {
		got = append(got, cells[i].Experiment.Name+"/"+cells[i].Name)
	}
	want := []string{"base/dual.translation.seed1", "e/bm25.seed1",
		"e/dual.exp.seed1", "e/dual.exp.seed2", "e/dual.en.seed1", "e/dual.en.seed2",
		"e/dual.hybrid.seed1", "e/dual.hybrid.seed2", "e/dual.mono.seed1", "e/dual.mono.seed2"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

// TestComparedAsPlanned: a stored cell reused by a spec reads with that
// spec's baseline and tuning declaration, in memory only; one already
// alike is returned as is.
func TestComparedAsPlanned(t *testing.T) {
	mono := &spec.Component{Name: "mono"}
	hybrid := &spec.Component{Name: "hybrid", TunedBy: "specs/t.hcl: shortest within 2%"}
	c := &plan.Cell{Experiment: &spec.Experiment{Baseline: mono}, Sampler: hybrid}
	stored := &results.CellResult{Baseline: "other", Sampler: &results.Component{Name: "hybrid"}}
	got := comparedAsPlanned(c, stored)
	if got.Baseline != "mono" || got.Sampler.TunedBy != hybrid.TunedBy {
		t.Errorf("reused as %q, tuned by %q", got.Baseline, got.Sampler.TunedBy)
	}
	if stored.Baseline != "other" || stored.Sampler.TunedBy != "" {
		t.Error("the stored result itself changed")
	}
	if again := comparedAsPlanned(c, got); again != got {
		t.Error("a result already as planned was copied")
	}
}
