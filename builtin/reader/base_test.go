package reader

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xlbench/xlbench/builtin/dualenc"
	"github.com/xlbench/xlbench/plugins"
)

// baseCheckpoint saves an untrained builtin:gorgonia model of 512 buckets
// (its rows are random, which is all the reader's mapping needs).
func baseCheckpoint(t *testing.T) string {
	t.Helper()
	e := dualenc.New()
	if _, err := e.Configure(ctx, plugins.EncoderConfig{Seed: 5, Params: plugins.Params{"dim": 16.0, "buckets": 512.0}}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "base.ckpt")
	if err := e.Save(ctx, plugins.SaveRequest{Path: path}); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestBase: with a base, a row is the dim trained columns (drawn as
// without a base) and base_dims columns from the base, scaled to
// init_scale; training leaves the base's columns as they were; a
// language without training examples is read from the base's columns and
// not the trained ones; a checkpoint keeps both without reading the base
// again; a base that hashes into other buckets is refused, saying why.
func TestBase(t *testing.T) {
	base := baseCheckpoint(t)
	params := plugins.Params{"dim": 8.0, "hidden": 6.0, "buckets": 512.0, "epochs": 2.0, "base": base, "base_dims": 4.0}
	r := newReader(t, params)
	plain := newReader(t, plugins.Params{"dim": 8.0, "hidden": 6.0, "buckets": 512.0, "epochs": 2.0})
	if r.dim != 12 || r.trained != 8 {
		t.Fatalf("dim %d, trained %d; want 12 and 8", r.dim, r.trained)
	}
	sq := 0.0
	for b := 0; b < 512; b++ {
		if !slices.Equal(r.emb[b*12:b*12+8], plain.emb[b*8:b*8+8]) {
			t.Fatalf("row %d: trained columns differ from a reader without a base", b)
		}
		for _, v := range r.emb[b*12+8 : b*12+12] {
			sq += float64(v) * float64(v)
		}
	}
	if rms := math.Sqrt(sq / (512 * 4)); math.Abs(rms-0.1) > 1e-4 {
		t.Fatalf("base columns' RMS %v, want init_scale 0.1", rms)
	}
	frozen := make([]float32, 0, 512*4)
	for b := 0; b < 512; b++ {
		frozen = append(frozen, r.emb[b*12+8:b*12+12]...)
	}
	before := slices.Clone(r.emb)
	if _, err := r.Train(ctx, plugins.TrainReaderRequest{Examples: toyExamples(10)}); err != nil {
		t.Fatal(err)
	}
	moved := false
	for b := 0; b < 512; b++ {
		if !slices.Equal(r.emb[b*12+8:b*12+12], frozen[b*4:b*4+4]) {
			t.Fatalf("training moved base row %d", b)
		}
		moved = moved || !slices.Equal(r.emb[b*12:b*12+8], before[b*12:b*12+8])
	}
	if !moved {
		t.Fatal("training moved no trained column")
	}

	q := []plugins.ReadQuery{{Question: "Πότε άνοιξε η γέφυρα;", Lang: "el",
		Candidates: []plugins.ReadCandidate{{Text: "Η γέφυρα άνοιξε το 1921 μετά από πολλή δουλειά.", Lang: "el"}}}}
	p := r.passage(q[0].Candidates[0].Text, r.question(q[0].Question), 0)
	in := 3*r.dim + numDense
	x := make([]float32, len(p.toks)*in)
	r.inputs(p, x, true)
	if !slices.ContainsFunc(x[in+20:in+24], func(v float32) bool { return v != 0 }) || slices.ContainsFunc(x[in+12:in+20], func(v float32) bool { return v != 0 }) {
		t.Fatalf("an agnostic token row keeps trained columns or drops the base's: %v", x[in+12:in+24])
	}
	want, _ := r.Read(ctx, plugins.ReadRequest{Queries: q})
	for b := 0; b < 512; b++ {
		for k := 0; k < 8; k++ {
			r.emb[b*12+k] *= -3
		}
	}
	r.resetCache()
	got, _ := r.Read(ctx, plugins.ReadRequest{Queries: q})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("an unseen language's reading depends on the trained columns:\n%s", diff)
	}
	for b := 0; b < 512; b++ {
		for k := 0; k < 8; k++ {
			r.emb[b*12+k] /= -3
		}
	}
	r.resetCache()

	path := filepath.Join(t.TempDir(), "reader.ckpt")
	if err := r.Save(ctx, plugins.SaveRequest{Path: path}); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(base); err != nil {
		t.Fatal(err)
	}
	params["checkpoint"] = path
	l := newReader(t, params)
	q[0].Lang, q[0].Candidates[0].Lang = "en", "en"
	q[0].Question, q[0].Candidates[0].Text = "When was the bridge of Graz opened?", "The bridge of Graz was opened in 1921 after long work."
	want, _ = r.Read(ctx, plugins.ReadRequest{Queries: q})
	got, _ = l.Read(ctx, plugins.ReadRequest{Queries: q})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("a loaded reader with a base reads differently:\n%s", diff)
	}
	delete(params, "base_dims") // 32 base columns: not the checkpoint's shape
	if _, err := New().Configure(ctx, plugins.ReaderConfig{Params: params}); err == nil {
		t.Fatal("a checkpoint of another shape loaded")
	}

	base = baseCheckpoint(t)
	_, err := New().Configure(ctx, plugins.ReaderConfig{Params: plugins.Params{"buckets": 1024.0, "base": base}})
	if err == nil || !strings.Contains(err.Error(), "set buckets = 512") {
		t.Fatalf("a base of 512 buckets under a reader of 1,024: %v", err)
	}
}
