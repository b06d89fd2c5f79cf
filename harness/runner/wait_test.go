package runner

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/xlbench/xlbench/harness/dataset"
	"github.com/xlbench/xlbench/harness/internal/testenv"
	"github.com/xlbench/xlbench/harness/plan"
	"github.com/xlbench/xlbench/harness/spec"
	"github.com/xlbench/xlbench/plugins"
)

// gatedStarter starts unit encoders and tells stopped each time one of
// them is stopped; its reader is a gatedReader.
type gatedStarter struct {
	fakeStarter
	stopped chan string
	reader  *gatedReader
}

func (g gatedStarter) StartEncoder(_, label string) (plugins.Encoder, func(), error) {
	return unitEncoder{}, func() { g.stopped <- label }, nil
}

func (g gatedStarter) StartReader(string, string) (plugins.Reader, func(), error) {
	return g.reader, func() {}, nil
}

// gatedReader is ready (Configure returns) only once ready does; it
// answers every question with the start of its first candidate.
type gatedReader struct{ ready func() error }

func (*gatedReader) Describe(context.Context) (plugins.Info, error) { return plugins.Info{}, nil }
func (g *gatedReader) Configure(context.Context, plugins.ReaderConfig) (plugins.ReaderInfo, error) {
	return plugins.ReaderInfo{}, g.ready()
}
func (*gatedReader) Train(context.Context, plugins.TrainReaderRequest) (plugins.TrainReaderResult, error) {
	return plugins.TrainReaderResult{}, nil
}
func (*gatedReader) Read(_ context.Context, req plugins.ReadRequest) ([]plugins.Answer, error) {
	return make([]plugins.Answer, len(req.Queries)), nil
}
func (*gatedReader) Save(context.Context, plugins.SaveRequest) error { return nil }

// TestCellsWaitForTheReaderWithoutTheirEncoders: with one compute slot and
// a reader that is ready only once every cell's encoder has been stopped,
// every cell encodes and ranks, stops its encoder, and then waits: a cell
// waiting for the reader holds neither an encoder process nor a place the
// next cell needs. (Cells that kept their encoders, or a fixed number of
// cells under way, would leave the reader waiting until its deadline.)
func TestCellsWaitForTheReaderWithoutTheirEncoders(t *testing.T) {
	data := filepath.Join(testenv.ModuleRoot(), "harness", "dataset", "testdata")
	const cells = 5
	e := &spec.Experiment{Name: "e", Seeds: []uint64{1}, ReadTopK: 1,
		Evaluate: []*spec.Dataset{{Name: "tiny", Format: "lareqa", Path: "tiny", Languages: []string{"en", "de"}, Role: spec.RoleEvaluate}},
		Reader:   &spec.Component{Name: "gated", Plugin: "builtin:gated"}}
	for i := range cells {
		e.Encoders = append(e.Encoders, &spec.Component{Name: fmt.Sprintf("unit%d", i), Plugin: "builtin:unit"})
	}
	stopped := make(chan string, cells)
	ready := func() error {
		deadline := time.After(time.Minute)
		for n := 0; n < cells; n++ {
			select {
			case <-stopped:
			case <-deadline:
				return fmt.Errorf("only %d of %d cells stopped their encoders before the reader was ready", n, cells)
			}
		}
		return nil
	}
	r := New(Config{Plugins: gatedStarter{stopped: stopped, reader: &gatedReader{ready: ready}},
		Store: &dataset.Store{Dir: data}, Out: t.TempDir(), Log: io.Discard, Jobs: 1})
	results, err := r.Run(context.Background(), plan.Plan(e))
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != cells {
		t.Fatalf("%d results, want %d", len(results), cells)
	}
	for _, res := range results {
		if res.Reading == nil {
			t.Errorf("cell %s: no reading", res.Cell)
		}
	}
	if len(stopped) != 0 {
		t.Errorf("%d encoders stopped twice", len(stopped))
	}
}
