package plan

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xlbench/xlbench/harness/spec"
	"github.com/xlbench/xlbench/plugins"
)

var trainable = plugins.Info{Trainable: true}

// TestPlanOrderAndNames: encoders, then samplers, then seeds, in spec
// order; without samplers one cell per encoder and seed.
func TestPlanOrderAndNames(t *testing.T) {
	e := &spec.Experiment{
		Name:     "e",
		Encoders: []*spec.Component{{Name: "a", Info: trainable}, {Name: "b", Info: trainable}},
		Samplers: []*spec.Component{{Name: "mono"}, {Name: "hybrid"}},
		Seeds:    []uint64{1, 2},
	}
	var names []string
	for _, c := range Plan(e) {
		names = append(names, c.Name)
	}
	want := []string{
		"a.mono.seed1", "a.mono.seed2", "a.hybrid.seed1", "a.hybrid.seed2",
		"b.mono.seed1", "b.mono.seed2", "b.hybrid.seed1", "b.hybrid.seed2",
	}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	e.Samplers = nil
	names = nil
	for _, c := range Plan(e) {
		names = append(names, c.Name)
	}
	if diff := cmp.Diff([]string{"a.seed1", "a.seed2", "b.seed1", "b.seed2"}, names); diff != "" {
		t.Errorf("evaluation-only (-want +got):\n%s", diff)
	}
}

// TestPlanUntrainedEncoderOnce: an encoder that does not train gets one
// cell, with the first seed, beside the trained matrix.
func TestPlanUntrainedEncoderOnce(t *testing.T) {
	e := &spec.Experiment{
		Name:     "e",
		Encoders: []*spec.Component{{Name: "dual", Info: trainable}, {Name: "bm25"}},
		Samplers: []*spec.Component{{Name: "mono"}},
		Seeds:    []uint64{3, 4},
	}
	var names []string
	for _, c := range Plan(e) {
		names = append(names, c.Name)
	}
	if diff := cmp.Diff([]string{"dual.mono.seed3", "dual.mono.seed4", "bm25.seed3"}, names); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestStageCellSharedAndOnce: every trained cell of an experiment with a
// stage points at the stage's one cell; untrained cells and experiments
// without a stage point at none.
func TestStageCellSharedAndOnce(t *testing.T) {
	base := &spec.Experiment{Name: "base", Pretrains: true, Encoders: []*spec.Component{{Name: "dual", Info: trainable}},
		Samplers: []*spec.Component{{Name: "translation"}}, Seeds: []uint64{1}}
	e := &spec.Experiment{Name: "e", StartFrom: base, Encoders: []*spec.Component{{Name: "dual", Info: trainable}, {Name: "bm25"}},
		Samplers: []*spec.Component{{Name: "mono"}}, Seeds: []uint64{1, 2}}
	cells := Plan(e)
	if len(cells) != 3 || cells[0].Stage == nil || cells[0].Stage != cells[1].Stage || cells[0].Stage.Name != "dual.translation.seed1" || cells[2].Stage != nil {
		t.Errorf("stages: %+v", cells)
	}
	if StageCell(base) != nil || StageCell(e).Experiment != base {
		t.Error("StageCell")
	}
}
