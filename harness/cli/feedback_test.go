package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestObservingSamplerEndToEnd trains the built-in encoder with the
// loss-adaptive example sampler, a plugin of its own: the host sends it
// feedback after every chunk of steps, and the cell records how many.
func TestObservingSamplerEndToEnd(t *testing.T) {
	spec := fmt.Sprintf(`dataset "tiny" {
  format    = "lareqa"
  path      = "tiny"
  languages = ["en", "de"]
}

dataset "mlqa-tiny" {
  format = "mlqa"
  path   = "mlqa-tiny"
  role   = "train"
}

encoder "dual" {
  plugin = "builtin:gorgonia"
  params = { dim = 16, buckets = 4096 }
}

sampler "adaptive" {
  plugin = %q
  params = { temperature = 0.5 }
}

experiment "tiny-adaptive" {
  train      = [dataset.mlqa-tiny]
  evaluate   = [dataset.tiny]
  encoders   = [encoder.dual]
  samplers   = [sampler.adaptive]
  seeds      = [1]
  batch_size = 2
  steps      = 150
}
`, bin.lossAdaptive)
	f := filepath.Join(t.TempDir(), "adaptive.hcl")
	if err := os.WriteFile(f, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	pin(t, f)
	out := t.TempDir()
	stdout, stderr, code := xlbench(t, "run", "-data", tinyData(), "-out", out, f)
	if code != 0 {
		t.Fatalf("code %d\n%s\n%s", code, stdout, stderr)
	}
	raw, err := os.ReadFile(filepath.Join(out, "tiny-adaptive", "dual.adaptive.seed1", "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Training struct {
			Steps     int
			Feedbacks int
		}
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	if res.Training.Steps != 150 || res.Training.Feedbacks != 3 {
		t.Errorf("training %+v: want 150 steps and 3 feedbacks (chunks of 64, 64, 22)", res.Training)
	}
}
