package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// stagedSpec writes a two-stage spec around the recording test plugin: a
// base trained on translation groups (tiny XNLI, en and de), and a
// fine-tuning experiment on tiny MLQA (en and de) that starts from it and
// holds de out.
func stagedSpec(t *testing.T, record string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "staged.hcl")
	src := fmt.Sprintf(`dataset "tiny" {
  format    = "lareqa"
  path      = "tiny"
  languages = ["en", "de"]
}
dataset "xnli" {
  format    = "xnli"
  path      = "parallel-tiny/xnli"
  languages = ["en", "de"]
  role      = "train"
}
dataset "mlqa-tiny" {
  format = "mlqa"
  path   = "mlqa-tiny"
  role   = "train"
}
encoder "rec" {
  plugin = %q
  params = { mode = "record", record = %q }
}
sampler "cross" {
  plugin = "builtin:cross-lingual"
}
sampler "mono" {
  plugin = "builtin:monolingual"
}
experiment "base" {
  train      = [dataset.xnli]
  evaluate   = [dataset.tiny]
  encoders   = [encoder.rec]
  samplers   = [sampler.cross]
  batch_size = 2
  steps      = 3
}
experiment "fine" {
  start_from = experiment.base
  held_out   = ["de"]
  train      = [dataset.mlqa-tiny]
  evaluate   = [dataset.tiny]
  encoders   = [encoder.rec]
  samplers   = [sampler.mono]
  seeds      = [1, 2]
  batch_size = 2
  steps      = 3
}
`, bin.misbehave, record)
	if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	pin(t, f)
	return f
}

// plugin run is what one recording plugin process was sent.
type pluginRun struct {
	seed, checkpoint string
	texts            map[string]int // "<lang> <role>" → count
	saved            string
}

func readRecords(t *testing.T, dir string) []pluginRun {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var runs []pluginRun
	for _, e := range entries {
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		r := pluginRun{texts: map[string]int{}}
		for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
			k, v, _ := strings.Cut(line, " ")
			switch k {
			case "seed":
				r.seed = v
			case "checkpoint":
				r.checkpoint = v
			case "text":
				r.texts[v]++
			case "saved":
				r.saved = v
			}
		}
		runs = append(runs, r)
	}
	return runs
}

// TestStagedRunHoldsOutLanguages: the base stage trains once on both
// languages and saves its model; each fine-tuning cell starts from that
// model, and no text of the held-out language reaches its encoder. Plan
// shows the dependency, and a rerun reuses everything.
func TestStagedRunHoldsOutLanguages(t *testing.T) {
	record, out := t.TempDir(), t.TempDir()
	spec := stagedSpec(t, record)
	stdout, stderr, code := xlbench(t, "plan", "-data", tinyData(), spec)
	if code != 0 {
		t.Fatalf("plan: code %d\n%s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 3 || !strings.HasSuffix(lines[0], "base/rec.cross.seed1") {
		t.Fatalf("plan:\n%s", stdout)
	}
	baseID := strings.Fields(lines[0])[1]
	for _, l := range lines[1:] {
		if !strings.Contains(l, "fine/rec.mono.seed") || !strings.HasSuffix(l, "after base/rec.cross.seed1 ("+baseID+")") {
			t.Errorf("plan line %q does not name the stage", l)
		}
	}

	_, stderr, code = xlbench(t, "run", "-j", "2", "-data", tinyData(), "-out", out, spec)
	if code != 0 {
		t.Fatalf("run: code %d\n%s", code, stderr)
	}
	model := filepath.Join(out, "base", "rec.cross.seed1", "model.ckpt")
	runs := readRecords(t, record)
	if len(runs) != 3 {
		t.Fatalf("%d plugin runs, want 3 (the stage once, two fine-tuning cells)", len(runs))
	}
	var fine []string
	for _, r := range runs {
		if r.saved != "" {
			if abs, _ := filepath.Abs(model); r.saved != abs || r.checkpoint != "" {
				t.Errorf("stage saved %q (checkpoint %q), want %s", r.saved, r.checkpoint, abs)
			}
			if r.texts["de query"] == 0 || r.texts["en passage"] == 0 {
				t.Errorf("stage texts %v: it trains on both languages", r.texts)
			}
			continue
		}
		fine = append(fine, r.seed)
		if abs, _ := filepath.Abs(model); r.checkpoint != abs {
			t.Errorf("fine-tuning cell (seed %s) started from %q, want %s", r.seed, r.checkpoint, abs)
		}
		if r.texts["de query"]+r.texts["de passage"] != 0 || r.texts["en query"] == 0 {
			t.Errorf("fine-tuning cell (seed %s) received %v: held-out de reached the encoder", r.seed, r.texts)
		}
	}
	slices.Sort(fine)
	if !slices.Equal(fine, []string{"1", "2"}) {
		t.Errorf("fine-tuning seeds %v", fine)
	}
	raw, err := os.ReadFile(filepath.Join(out, "fine", "rec.mono.seed1", "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"held_out": [` + "\n" + `    "de"`, `"experiment": "base"`, `"cell_id": "` + baseID + `"`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("result.json lacks %q", want)
		}
	}

	// A second run reuses the stage and the cells.
	_, stderr, code = xlbench(t, "run", "-data", tinyData(), "-out", out, spec)
	if code != 0 || len(readRecords(t, record)) != 3 || !strings.Contains(stderr, "stage base/rec.cross.seed1: result and model for cell id "+baseID+" already stored; reused") {
		t.Fatalf("rerun: code %d, %d plugin runs\n%s", code, len(readRecords(t, record)), stderr)
	}
	// Without its model the stage runs again, before the cells that need it.
	os.Remove(model)
	_, stderr, code = xlbench(t, "run", "-force", "-data", tinyData(), "-out", out, spec)
	if code != 0 || len(readRecords(t, record)) != 6 {
		t.Fatalf("forced rerun: code %d, %d plugin runs\n%s", code, len(readRecords(t, record)), stderr)
	}
}

// TestStageFailureNamesStage: a stage that cannot train fails every cell
// that starts from it, naming the stage.
func TestStageFailureNamesStage(t *testing.T) {
	spec := stagedSpec(t, filepath.Join(t.TempDir(), "missing-folder"))
	_, stderr, code := xlbench(t, "run", "-data", tinyData(), "-out", t.TempDir(), "-experiment", "fine", spec)
	if code != 1 {
		t.Fatalf("code %d\n%s", code, stderr)
	}
	for _, want := range []string{"2 of 2 cells failed", "cell fine/rec.mono.seed1: stage base/rec.cross.seed1 (cell id", ") failed: cell base/rec.cross.seed1:"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// TestStoredResultWithoutID: a stored result with no cell id is reported
// and left as it is, not recomputed over; -force replaces it.
func TestStoredResultWithoutID(t *testing.T) {
	out := t.TempDir()
	if _, stderr, code := xlbench(t, "run", "-data", tinyData(), "-out", out, "testdata/tiny-bm25.hcl"); code != 0 {
		t.Fatal(stderr)
	}
	path := filepath.Join(out, "tiny-bm25", "bm25.seed1", "result.json")
	raw, _ := os.ReadFile(path)
	var res map[string]any
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	delete(res, "cell_id")
	old, _ := json.Marshal(res)
	os.WriteFile(path, old, 0o644)
	_, stderr, code := xlbench(t, "run", "-data", tinyData(), "-out", out, "testdata/tiny-bm25.hcl")
	if code != 1 || !strings.Contains(stderr, "holds a result without a cell id") {
		t.Fatalf("code %d\n%s", code, stderr)
	}
	if now, _ := os.ReadFile(path); string(now) != string(old) {
		t.Error("the result without an id was overwritten")
	}
	if _, stderr, code := xlbench(t, "run", "-force", "-data", tinyData(), "-out", out, "testdata/tiny-bm25.hcl"); code != 0 {
		t.Fatalf("-force: %s", stderr)
	}
	if now, _ := os.ReadFile(path); !strings.Contains(string(now), `"cell_id"`) {
		t.Error("-force did not replace the result")
	}
}

// TestReaderFromStage: a reader with base = "stage" starts from the
// experiment's stage model: the run trains the stage, then the reader,
// whose stored checkpoint holds rows of dim + base_dims columns, dim of
// them trained. Without a stage, the spec is refused at the parameter.
func TestReaderFromStage(t *testing.T) {
	out := t.TempDir()
	if _, stderr, code := xlbench(t, "run", "-data", tinyData(), "-out", out, "testdata/tiny-staged-reader.hcl"); code != 0 {
		t.Fatalf("run: code %d\n%s", code, stderr)
	}
	stored, _ := filepath.Glob(filepath.Join(out, "fine", ".reader-span-*", "reader.ckpt"))
	if len(stored) != 1 {
		t.Fatalf("stored readers: %v", stored)
	}
	raw, err := os.ReadFile(stored[0])
	if err != nil {
		t.Fatal(err)
	}
	var hdr struct{ Dim, Trained int }
	if i := strings.IndexByte(string(raw), '{'); i < 0 || json.NewDecoder(strings.NewReader(string(raw[i:]))).Decode(&hdr) != nil || hdr.Dim != 12 || hdr.Trained != 8 {
		t.Fatalf("stored reader's header: %+v; want 12 columns, 8 trained", hdr)
	}

	src, err := os.ReadFile("testdata/tiny-staged-reader.hcl")
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "no-stage.hcl")
	os.WriteFile(bad, []byte(strings.Replace(string(src), "start_from = experiment.base\n", "", 1)), 0o644)
	_, stderr, code := xlbench(t, "validate", bad)
	if code == 0 || !strings.Contains(stderr, "No stage to start the reader from") || !strings.Contains(stderr, "no-stage.hcl:25:") {
		t.Fatalf("validate without a stage: code %d\n%s", code, stderr)
	}
}
