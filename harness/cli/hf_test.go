package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xlbench/xlbench/harness/internal/testenv"
)

// tinyHFModels makes the tiny BERT and XLM-R models of the hf-encoder's
// tests (plugins/hf-encoder/tiny_models.py: from a config, with their
// tokenizers, nothing downloaded) and returns their folder.
func tinyHFModels(t *testing.T) string {
	t.Helper()
	py := testenv.HFPython(t)
	dir := t.TempDir()
	script := filepath.Join(testenv.ModuleRoot(), "plugins", "hf-encoder", "tiny_models.py")
	if out, err := exec.Command(py, script, dir).CombinedOutput(); err != nil {
		t.Fatalf("making the tiny models: %v\n%s", err, out)
	}
	return dir
}

func hfPlugin() string {
	return filepath.Join(testenv.ModuleRoot(), "plugins", "hf-encoder", "hf_encoder.py")
}

// TestHFEncoderPluginCheck: the hf-encoder honours the plugin contract on
// each tiny model, through the real host (`xlbench plugin check`), with
// its model given by -param.
func TestHFEncoderPluginCheck(t *testing.T) {
	models := tinyHFModels(t)
	for _, m := range []string{"bert", "xlmr"} {
		stdout, stderr, code := xlbench(t, "plugin", "check", "-param", "model="+filepath.Join(models, m), "-param", "max_length=32", hfPlugin())
		if code != 0 || !strings.Contains(stdout, "checks passed") {
			t.Errorf("%s: plugin check exit %d\n%s\n%s", m, code, stdout, stderr)
		}
	}
	// Without a model it says what to set, and the check fails.
	stdout, _, code := xlbench(t, "plugin", "check", hfPlugin())
	if code == 0 || !strings.Contains(stdout, "no model: set model to a local folder") {
		t.Errorf("plugin check without a model: exit %d\n%s", code, stdout)
	}
}

// TestHFEncoderFineTunesThroughTheHarness fine-tunes each tiny model with
// the monolingual and hybrid samplers in a stage, saves the stage's model
// (a sentence-transformers folder), and starts a second experiment from it;
// the stage's saved model loads in sentence-transformers as it is.
func TestHFEncoderFineTunesThroughTheHarness(t *testing.T) {
	models := tinyHFModels(t)
	py := testenv.HFPython(t)
	for _, m := range []string{"bert", "xlmr"} {
		t.Run(m, func(t *testing.T) {
			spec := filepath.Join(t.TempDir(), "hf.hcl")
			src := fmt.Sprintf(`dataset "tiny" {
  format    = "lareqa"
  path      = "tiny"
  languages = ["en", "de"]
}
dataset "mlqa-tiny" {
  format = "mlqa"
  path   = "mlqa-tiny"
  role   = "train"
}
encoder "hf" {
  plugin = %q
  params = { model = %q, max_length = 32, lr = 1e-4, query_prefix = "query: ", passage_prefix = "passage: " }
}
sampler "mono" {
  plugin = "builtin:monolingual"
}
sampler "hybrid" {
  plugin = "builtin:hybrid"
  params = { alpha = 0.5 }
}
experiment "stage" {
  train      = [dataset.mlqa-tiny]
  evaluate   = [dataset.tiny]
  encoders   = [encoder.hf]
  samplers   = [sampler.hybrid]
  batch_size = 4
  steps      = 6
}
experiment "fine" {
  start_from = experiment.stage
  train      = [dataset.mlqa-tiny]
  evaluate   = [dataset.tiny]
  encoders   = [encoder.hf]
  samplers   = [sampler.mono, sampler.hybrid]
  batch_size = 4
  steps      = 6
}
`, hfPlugin(), filepath.Join(models, m))
			if err := os.WriteFile(spec, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			pin(t, spec)
			out := t.TempDir()
			stdout, stderr, code := xlbench(t, "run", "-data", tinyData(), "-out", out, spec)
			if code != 0 {
				t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
			}
			for _, cell := range []string{"stage/hf.hybrid.seed1", "fine/hf.mono.seed1", "fine/hf.hybrid.seed1"} {
				raw, err := os.ReadFile(filepath.Join(out, cell, "result.json"))
				if err != nil {
					t.Fatal(err)
				}
				var r struct {
					Training struct {
						Steps int
						Loss  []float64
					}
					Stage   *struct{ Cell string }
					Metrics map[string]map[string]map[string]float64
				}
				if err := json.Unmarshal(raw, &r); err != nil {
					t.Fatal(err)
				}
				if r.Training.Steps != 6 || len(r.Training.Loss) != 6 {
					t.Errorf("%s: %d steps, %d losses", cell, r.Training.Steps, len(r.Training.Loss))
				}
				if mp := r.Metrics["tiny"]["mono"]["map"]; !(mp > 0 && mp <= 1) {
					t.Errorf("%s: mono mAP %v", cell, mp)
				}
				if strings.HasPrefix(cell, "fine/") && (r.Stage == nil || r.Stage.Cell != "hf.hybrid.seed1") {
					t.Errorf("%s: started from stage %+v, want hf.hybrid.seed1", cell, r.Stage)
				}
			}
			// The host told the plugin the run's length (its schedule's
			// span), and the plugin took that many steps.
			var saved struct {
				Steps      int
				TrainSteps int `json:"train_steps"`
			}
			if raw, err := os.ReadFile(filepath.Join(out, "stage", "hf.hybrid.seed1", "model.ckpt", "xlbench_hf_encoder.json")); err != nil {
				t.Error(err)
			} else if err := json.Unmarshal(raw, &saved); err != nil || saved.Steps != 6 || saved.TrainSteps != 6 {
				t.Errorf("saved %+v (%v), want 6 steps of 6", saved, err)
			}
			// The stage's model is a sentence-transformers folder that
			// sentence-transformers loads unchanged, with the prefixes as
			// its prompts.
			model := filepath.Join(out, "stage", "hf.hybrid.seed1", "model.ckpt")
			check := `import sys
from sentence_transformers import SentenceTransformer
st = SentenceTransformer(sys.argv[1], device="cpu")
assert st.prompts.get("query") == "query: ", st.prompts
v = st.encode(["where is the cat"], prompt_name="query", normalize_embeddings=True)
assert v.shape == (1, 32), v.shape
print("loaded", v.shape)`
			if got, err := exec.Command(py, "-c", check, model).CombinedOutput(); err != nil || !strings.Contains(string(got), "loaded") {
				t.Errorf("the stage's model does not load in sentence-transformers: %v\n%s", err, got)
			}
		})
	}
}

// TestPaperSpecValid: specs/paper.hcl and the e5-small specs validate as
// committed (their plugin matches its pin in specs/.xlbench.lock.hcl: a
// changed hf_encoder.py needs `xlbench lock` on each), and paper.hcl's
// model folders are variables the environment sets, which the cell ids
// follow.
func TestPaperSpecValid(t *testing.T) {
	testenv.HFPython(t)
	spec := filepath.Join(testenv.ModuleRoot(), "specs", "paper.hcl")
	stdout, stderr, code := xlbenchIn(t, t.TempDir(), "validate", spec)
	if code != 0 || !strings.Contains(stdout, "experiment paper: 18 cells") {
		t.Fatalf("validate: exit %d\n%s%s", code, stdout, stderr)
	}
	data := testenv.SharedData(t)
	plan := func(env ...string) string {
		out, errOut, code := xlbenchEnv(t, t.TempDir(), env, "plan", "-data", data, spec)
		if code != 0 {
			t.Fatalf("plan %v: exit %d\n%s%s", env, code, out, errOut)
		}
		return out
	}
	if a, b := plan(), plan("XLBENCH_VAR_labse=/elsewhere/LaBSE"); a == b {
		t.Errorf("the cell ids do not follow the model's folder:\n%s", a)
	}
	// The multilingual-e5-small specs validate too (their model folder is
	// read only when a cell runs).
	for _, name := range []string{"e5-small.hcl", "e5-small-tune.hcl", "e5-small-fine-tune.hcl"} {
		if stdout, stderr, code := xlbenchIn(t, t.TempDir(), "validate", filepath.Join(testenv.ModuleRoot(), "specs", name)); code != 0 {
			t.Errorf("validate %s: exit %d\n%s%s", name, code, stdout, stderr)
		}
	}
}

// TestSpecVariableWithoutValue: `xlbench validate` names the variable
// block that has neither a default nor its environment variable, with the
// way to set it.
func TestSpecVariableWithoutValue(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "v.hcl")
	src := "variable \"model\" {\n  description = \"where the model is\"\n}\n\nencoder \"bm25\" {\n  plugin = \"builtin:bm25\"\n  params = { k1 = var.model }\n}\n"
	if err := os.WriteFile(spec, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := xlbenchIn(t, dir, "validate", spec)
	if code == 0 || !strings.Contains(stderr, "v.hcl:1:1: error: Variable without a value") || !strings.Contains(stderr, "XLBENCH_VAR_model is not set") {
		t.Errorf("validate: exit %d\n%s", code, stderr)
	}
}
