package spec

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xlbench/xlbench/builtin/bm25"
	"github.com/xlbench/xlbench/builtin/samplers"
	"github.com/xlbench/xlbench/harness/internal/filehash"
	"github.com/xlbench/xlbench/plugins"
)

// catalog describes the built-ins in process.
type catalog struct{}

func (catalog) Resolve(ref string) (plugins.Kind, error) {
	switch ref {
	case "builtin:bm25":
		return plugins.KindEncoder, nil
	case "builtin:hybrid":
		return plugins.KindSampler, nil
	}
	return "", fmt.Errorf("unknown built-in plugin %q", ref)
}

func (catalog) Describe(_ context.Context, ref string, _ plugins.Kind) (plugins.Info, error) {
	if ref == "builtin:bm25" {
		return bm25.Info, nil
	}
	return samplers.Hybrid().Info, nil
}

func TestGoodSpec(t *testing.T) {
	s, diags := Parse("testdata/good.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	r, diags := s.Check(context.Background(), catalog{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	e := r.Experiment("tiny-bm25")
	if e == nil || e.BatchSize != 32 || !cmp.Equal(e.Seeds, []uint64{1, 2}) || e.Evaluate[0].Name != "tiny" {
		t.Fatalf("experiment = %+v", e)
	}
	if diff := cmp.Diff(plugins.Params{"k1": 1.2, "b": 0.4, "ngram": 2.0}, e.Encoders[0].Checked); diff != "" {
		t.Errorf("checked params (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"en", "de"}, s.Dataset("tiny").Languages); diff != "" {
		t.Error(diff)
	}
	// The parsed spec stays as written: Check resolved copies.
	if p := s.Experiment("tiny-bm25").Encoders[0]; p.Checked != nil || p.Info.Name != "" || p == e.Encoders[0] {
		t.Errorf("Check changed the parsed spec: %+v", p)
	}
}

// TestDiagnostics checks that each mistake is reported at its position.
func TestDiagnostics(t *testing.T) {
	tests := []struct {
		file  string
		check bool
		want  []string
	}{
		{"misspelt.hcl", false, []string{
			`testdata/misspelt.hcl:2:3: error: Unsupported argument: An argument named "fromat" is not expected here. Did you mean "format"?`,
			`testdata/misspelt.hcl:1:16: error: Missing required argument`,
		}},
		{"badparams.hcl", true, []string{
			`testdata/badparams.hcl:9:5: error: Invalid parameter for builtin:bm25: Parameter "k1": want number, got a string`,
			`testdata/badparams.hcl:10:5: error: Invalid parameter for builtin:bm25: Parameter "bb": unknown parameter; did you mean "b"?`,
			`testdata/badparams.hcl:16:14: error: Invalid parameter for builtin:hybrid: Parameter "alpha": 1.5 is above the maximum 1`,
			`testdata/badparams.hcl:20:12: error: Unknown plugin: unknown built-in plugin "builtin:bm52"`,
		}},
		{"dangling.hcl", false, []string{
			`testdata/dangling.hcl:11:29: error: Reference to undeclared dataset: No dataset named "xquad" is declared. Declared: tiny`,
			`testdata/dangling.hcl:12:15: error: Reference to undeclared encoder: No encoder named "bm26" is declared. Declared: bm25`,
			`testdata/dangling.hcl:13:15: error: Reference to undeclared sampler`,
		}},
		{"readers.hcl", false, []string{
			`testdata/readers.hcl:18:16: error: Invalid read_top_k: read_top_k is an integer from 1 to 100`,
			`testdata/readers.hcl:24:14: error: One reader per experiment`,
			`testdata/readers.hcl:30:14: error: Readers need training data`,
		}},
		{"stages.hcl", false, []string{
			`testdata/stages.hcl:29:16: error: Reference to undeclared experiment: No experiment named "pretrain" is declared. Declared: two-seeds, from-two-seeds, nothing-held`,
			`testdata/stages.hcl:37:16: error: Stage must train one cell: Experiment "two-seeds" is a pretraining stage: it needs train datasets, one encoder, one sampler and one seed`,
			`testdata/stages.hcl:38:16: error: Invalid language: "Greek" is not a language code`,
			`testdata/stages.hcl:39:16: error: Baseline is not one of the experiment's samplers`,
			`testdata/stages.hcl:47:14: error: Nothing to hold out from`,
			`testdata/stages.hcl:53:20: error: No validation set: validate_every needs validation`,
		}},
		{"untrained-stage.hcl", true, []string{
			`testdata/untrained-stage.hcl:28:16: error: Stage does not train: Encoder "bm25" of stage "base" does not train, so the stage leaves no model to start from`,
		}},
		{"hostile.hcl", false, []string{
			`testdata/hostile.hcl:1:9: error: Invalid dataset name: "../../etc" is not a valid name`,
			`testdata/hostile.hcl:9:15: error: Invalid language: "../../secret/pw" is not a language code`,
			`testdata/hostile.hcl:12:9: error: Invalid encoder name: "a/b" is not a valid name`,
			`testdata/hostile.hcl:24:12: error: Invalid experiment name: "../../etc" is not a valid name`,
			`testdata/hostile.hcl:34:16: error: Duplicate seed: Seed 1 is listed twice`,
			`testdata/hostile.hcl:34:16: error: Invalid seed: Seeds are integers from 0 to 2^53; got 1e+18`,
			`testdata/hostile.hcl:35:16: error: Invalid steps: steps is an integer from 1 to 10000000`,
			`testdata/hostile.hcl:36:16: error: Invalid batch size: The batch size is an integer from 1 to 65536`,
			`testdata/hostile.hcl:42:14: error: Invalid epochs: epochs is a positive number, at most 1000`,
		}},
		{"sampler-attrs.hcl", false, []string{
			`testdata/sampler-attrs.hcl:3:15: error: Unsupported argument: languages is set on sampler blocks only`,
			`testdata/sampler-attrs.hcl:4:15: error: Unsupported argument: tuned_by is set on sampler blocks only`,
			`testdata/sampler-attrs.hcl:16:15: error: Invalid language: "German" is not a language code`,
			`testdata/sampler-attrs.hcl:17:15: error: Invalid steps: steps is an integer from 1 to 10000000`,
			`testdata/sampler-attrs.hcl:18:15: error: Empty tuned_by`,
			`testdata/sampler-attrs.hcl:23:15: error: No languages`,
		}},
		{"norole.hcl", false, []string{
			`testdata/norole.hcl:2:12: error: Dataset role not supported by its format: Format "squad" can be used for train only, not "evaluate"`,
			`The role defaults to "evaluate": add role = "train"`,
		}},
		{"trainoneval.hcl", false, []string{
			`testdata/trainoneval.hcl:4:12: error: Dataset role not supported by its format: Format "lareqa" can be used for evaluate only, not "train"`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			s, diags := Parse("testdata/" + tc.file)
			if tc.check && !diags.HasErrors() {
				_, d := s.Check(context.Background(), catalog{})
				diags = append(diags, d...)
			}
			if !diags.HasErrors() {
				t.Fatal("no error reported")
			}
			var buf bytes.Buffer
			WriteDiagnostics(&buf, s.Files, diags)
			out := buf.String()
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q; got:\n%s", w, out)
				}
			}
		})
	}
}

// TestStageAndHeldOut: start_from links an experiment to its stage, and
// held_out is sorted and deduplicated.
func TestStageAndHeldOut(t *testing.T) {
	s, diags := Parse("testdata/untrained-stage.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	base, fine := s.Experiment("base"), s.Experiment("fine")
	if fine.StartFrom != base || !base.Pretrains || fine.Pretrains {
		t.Errorf("stage links: fine starts from %v, base pretrains %v", fine.StartFrom, base.Pretrains)
	}
	if diff := cmp.Diff([]string{"el", "vi"}, fine.HeldOut); diff != "" {
		t.Error(diff)
	}
}

func TestCaretUnderRange(t *testing.T) {
	s, diags := Parse("testdata/misspelt.hcl")
	var buf bytes.Buffer
	WriteDiagnostics(&buf, s.Files, diags)
	if !strings.Contains(buf.String(), "     2 |   fromat = \"lareqa\"\n       |   ^^^^^^\n") {
		t.Errorf("source excerpt missing or misplaced:\n%s", buf.String())
	}
}

// TestSamplerLanguagesAndSteps: a sampler's languages are sorted and
// deduplicated, and its steps replace the experiment's training length.
func TestSamplerLanguagesStepsAndTuning(t *testing.T) {
	s, _ := Parse("testdata/sampler-attrs.hcl")
	mono := find(s.Samplers, "mono")
	if mono == nil || !cmp.Equal([]string{"de", "es"}, mono.Languages) || mono.Steps != 300 ||
		mono.TunedBy != "specs/tune.hcl: shortest within 2% of the lowest validation loss" {
		t.Fatalf("sampler mono = %+v", mono)
	}
	e := &Experiment{Steps: 2000}
	if steps, epochs := e.Length(mono); steps != 300 || epochs != 0 {
		t.Errorf("mono trains %d steps, %g epochs; want 300, 0", steps, epochs)
	}
	if steps, _ := e.Length(&Component{}); steps != 2000 {
		t.Errorf("a sampler without steps trains %d steps, want the experiment's 2000", steps)
	}
	e = &Experiment{Epochs: 1.5}
	if steps, epochs := e.Length(nil); steps != 0 || epochs != 1.5 {
		t.Errorf("no sampler: %d steps, %g epochs; want the experiment's 1.5 epochs", steps, epochs)
	}
}

// TestExtend: an extend block in another file adds its samplers to the
// named experiment, after the experiment's own; an unknown experiment, an
// undeclared sampler and a sampler the experiment already runs are
// diagnostics at their place.
func TestExtend(t *testing.T) {
	s, diags := Parse("testdata/good-train.hcl", "testdata/extend-add.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var got []string
	for _, c := range s.Experiment("tiny-train").Samplers {
		got = append(got, c.Name)
	}
	if !cmp.Equal([]string{"hybrid", "more"}, got) {
		t.Errorf("samplers %v, want hybrid more", got)
	}
	got = nil
	for _, c := range s.Experiment("tiny-train").Encoders {
		got = append(got, c.Name)
	}
	if !cmp.Equal([]string{"bm25", "bm25-bigrams"}, got) {
		t.Errorf("encoders %v, want bm25 bm25-bigrams", got)
	}
	s, diags = Parse("testdata/good-train.hcl", "testdata/extend-add.hcl", "testdata/extend-bad.hcl")
	var buf bytes.Buffer
	WriteDiagnostics(&buf, s.Files, diags)
	for _, want := range []string{
		`testdata/extend-bad.hcl:1:8: error: Reference to undeclared experiment: No experiment named "tiny-tran" is declared`,
		`testdata/extend-bad.hcl:6:15: error: Sampler already in the experiment: Experiment "tiny-train" already runs sampler "hybrid"`,
		`testdata/extend-bad.hcl:6:31: error: Reference to undeclared sampler: No sampler named "mroe" is declared`,
		`testdata/extend-bad.hcl:10:15: error: Encoder already in the experiment: Experiment "tiny-train" already runs encoder "bm25"`,
		`testdata/extend-bad.hcl:10:29: error: Reference to undeclared encoder: No encoder named "bm52" is declared`,
		`testdata/extend-bad.hcl:13:1: error: Empty extend block: An extend block adds samplers = [...] or encoders = [...] (or both) to experiment "tiny-train"`,
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("diagnostics lack %q:\n%s", want, buf.String())
		}
	}
}

// TestExtendBaseline: an extend block may name the experiment's baseline,
// a sampler it adds included; one the experiment does not run is a
// diagnostic at its place.
func TestExtendBaseline(t *testing.T) {
	s, diags := Parse("testdata/good-train.hcl", "testdata/extend-baseline.hcl")
	var buf bytes.Buffer
	WriteDiagnostics(&buf, s.Files, diags)
	if want := `testdata/extend-baseline.hcl:14:14: error: Baseline is not one of the experiment's samplers: Sampler "nope" is not in samplers`; !strings.Contains(buf.String(), want) || len(diags) != 1 {
		t.Errorf("diagnostics lack %q:\n%s", want, buf.String())
	}
	if b := s.Experiment("tiny-train").Baseline; b == nil || b.Name != "mine" {
		t.Errorf("baseline %+v, want the added sampler mine", b)
	}
}

// pinRecorder is a catalog that records the pins Check hands it.
type pinRecorder struct {
	catalog
	pins map[string]string
}

func (p *pinRecorder) Resolve(ref string) (plugins.Kind, error) {
	if strings.HasPrefix(ref, plugins.BuiltinPrefix) {
		return p.catalog.Resolve(ref)
	}
	return "", nil
}

func (p *pinRecorder) Pin(path, sha256 string) { p.pins[path] = sha256 }

// TestCheckPinsExternalPlugins: Check hands a Pinner catalog the sha256
// that the lock file pins for each external plugin, so that the host
// starts only that file (pluginhost.TestSwapAfterHashRunsTheHashedFile).
func TestCheckPinsExternalPlugins(t *testing.T) {
	dir := t.TempDir()
	plugin := filepath.Join(dir, "sampler")
	if err := os.WriteFile(plugin, []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "s.hcl")
	if err := os.WriteFile(file, []byte("sampler \"s\" {\n  plugin = \"./sampler\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, diags := Parse(file)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if _, err := s.Relock(); err != nil {
		t.Fatal(err)
	}
	rec := &pinRecorder{pins: map[string]string{}}
	s.Check(context.Background(), rec)
	want, err := filehash.SHA256(plugin)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{plugin: want}, rec.pins); diff != "" {
		t.Errorf("pins (-want +got):\n%s", diff)
	}
}
