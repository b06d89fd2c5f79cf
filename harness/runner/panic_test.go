package runner

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xlbench/xlbench/harness/dataset"
	"github.com/xlbench/xlbench/harness/internal/testenv"
	"github.com/xlbench/xlbench/harness/plan"
	"github.com/xlbench/xlbench/harness/results"
	"github.com/xlbench/xlbench/harness/spec"
	"github.com/xlbench/xlbench/plugins"
)

// unitEncoder gives every text the vector (1); with panics set it panics in
// Encode, as a bug in the harness would, on the host's side of the call.
type unitEncoder struct{ panics bool }

func (unitEncoder) Describe(context.Context) (plugins.Info, error) { return plugins.Info{}, nil }
func (unitEncoder) Configure(context.Context, plugins.EncoderConfig) (plugins.EncoderInfo, error) {
	return plugins.EncoderInfo{Dim: 1}, nil
}
func (unitEncoder) LoadCorpus(context.Context, plugins.LoadCorpusRequest) error { return nil }
func (unitEncoder) TrainStep(context.Context, plugins.TrainStepRequest) (plugins.TrainStepResult, error) {
	return plugins.TrainStepResult{}, nil
}
func (unitEncoder) Prepare(context.Context, plugins.PrepareRequest) error { return nil }
func (e unitEncoder) Encode(_ context.Context, req plugins.EncodeRequest) (plugins.Vectors, error) {
	if e.panics {
		var none []float32
		_ = none[len(req.Texts)] // index out of range
	}
	v := plugins.Vectors{Count: len(req.Texts), Dim: 1}
	for range req.Texts {
		v.Dense = append(v.Dense, 1)
	}
	return v, nil
}
func (unitEncoder) Save(context.Context, plugins.SaveRequest) error { return nil }

type fakeStarter struct{}

func (fakeStarter) StartEncoder(ref, _ string) (plugins.Encoder, func(), error) {
	return unitEncoder{panics: ref == "builtin:panics"}, func() {}, nil
}
func (fakeStarter) StartSampler(string, string) (plugins.Sampler, plugins.Observer, func(), error) {
	return nil, nil, nil, nil
}
func (fakeStarter) StartReader(string, string) (plugins.Reader, func(), error) { return nil, nil, nil }

// TestPanicFailsOnlyItsCell: a panic inside a cell becomes that cell's
// error, naming it; the other cell of the run is stored.
func TestPanicFailsOnlyItsCell(t *testing.T) {
	data := filepath.Join(testenv.ModuleRoot(), "harness", "dataset", "testdata")
	e := &spec.Experiment{Name: "e", Seeds: []uint64{1},
		Evaluate: []*spec.Dataset{{Name: "tiny", Format: "lareqa", Path: "tiny", Languages: []string{"en", "de"}, Role: spec.RoleEvaluate}},
		Encoders: []*spec.Component{{Name: "panics", Plugin: "builtin:panics"}, {Name: "fine", Plugin: "builtin:fine"}}}
	r := New(Config{Plugins: fakeStarter{}, Store: &dataset.Store{Dir: data}, Out: t.TempDir(), Log: io.Discard})
	done, err := r.Run(context.Background(), plan.Plan(e))
	if err == nil || !strings.Contains(err.Error(), "cell e/panics.seed1: internal error") || !strings.Contains(err.Error(), "index out of range") {
		t.Fatalf("err = %v; want the panicking cell named", err)
	}
	if strings.Contains(err.Error(), "fine.seed1") || len(done) != 1 || done[0].Cell != "fine.seed1" {
		t.Fatalf("the other cell failed too: %v", err)
	}
	if stored, err := results.Read(r.Out, "e", "fine.seed1"); err != nil || stored == nil {
		t.Errorf("the other cell's result is not stored: %v", err)
	}
}
