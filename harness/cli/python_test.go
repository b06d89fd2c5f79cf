package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/xlbench/xlbench/harness/internal/testenv"
)

// pythonSpec is an experiment on the tiny fixtures in which the host runs
// the Python example plugins: the PyTorch encoder trained with the Python
// temperature sampler and with builtin:hybrid.
func pythonSpec(t *testing.T) string {
	t.Helper()
	examples := filepath.Join(testenv.ModuleRoot(), "plugins", "examples")
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

encoder "torch" {
  plugin = %q
  params = { dim = 16, buckets = 4096, device = "cpu" }
}

sampler "temp" {
  plugin = %q
  params = { temperature = 2 }
}

sampler "hybrid" {
  plugin = "builtin:hybrid"
}

experiment "tiny-torch" {
  train      = [dataset.mlqa-tiny]
  evaluate   = [dataset.tiny]
  encoders   = [encoder.torch]
  samplers   = [sampler.temp, sampler.hybrid]
  seeds      = [1]
  batch_size = 4
  steps      = 30
}
`, filepath.Join(examples, "pytorch-encoder", "encoder.py"), filepath.Join(examples, "python-sampler", "temperature.py"))
	f := filepath.Join(t.TempDir(), "torch.hcl")
	if err := os.WriteFile(f, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	pin(t, f)
	return f
}

// TestPythonPluginsEndToEnd runs the PyTorch encoder and the Python sampler
// through the real host: training, evaluation and the table; a second run
// gives the same losses and metrics (determinism across processes).
func TestPythonPluginsEndToEnd(t *testing.T) {
	testenv.PythonModules(t, "grpc", "google.protobuf", "torch")
	spec := pythonSpec(t)
	type result struct {
		Training struct {
			Steps int
			Loss  []float64
		}
		Metrics map[string]map[string]map[string]float64 // dataset → setting → metric
	}
	read := func(out, cell string) result {
		raw, err := os.ReadFile(filepath.Join(out, "tiny-torch", cell, "result.json"))
		if err != nil {
			t.Fatal(err)
		}
		var r result
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	var first map[string]result
	for run := range 2 {
		out := t.TempDir()
		stdout, stderr, code := xlbench(t, "run", "-data", tinyData(), "-out", out, spec)
		if code != 0 {
			t.Fatalf("run %d: code %d\n%s\n%s", run, code, stdout, stderr)
		}
		for _, want := range []string{"torch × temp", "torch × hybrid"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("stdout lacks %q:\n%s", want, stdout)
			}
		}
		got := map[string]result{}
		for _, cell := range []string{"torch.temp.seed1", "torch.hybrid.seed1"} {
			r := read(out, cell)
			if r.Training.Steps != 30 || len(r.Training.Loss) != 30 {
				t.Fatalf("%s: %d steps, %d losses", cell, r.Training.Steps, len(r.Training.Loss))
			}
			if m := r.Metrics["tiny"]["mono"]["map"]; m <= 0 || m > 1 {
				t.Errorf("%s: mono mAP %v", cell, m)
			}
			got[cell] = r
		}
		if first == nil {
			first = got
			continue
		}
		for cell, r := range got {
			if !slices.Equal(r.Training.Loss, first[cell].Training.Loss) {
				t.Errorf("%s: losses differ between runs:\n%v\n%v", cell, first[cell].Training.Loss, r.Training.Loss)
			}
			if !reflect.DeepEqual(r.Metrics, first[cell].Metrics) {
				t.Errorf("%s: metrics differ between runs:\n%v\n%v", cell, first[cell].Metrics, r.Metrics)
			}
		}
	}
}

// TestPyTorchExampleSpecValid: specs/pytorch-example.hcl validates as
// committed: its plugin resolves beside the spec and matches its pin in
// specs/.xlbench.lock.hcl (a changed encoder.py needs `xlbench lock`).
func TestPyTorchExampleSpecValid(t *testing.T) {
	testenv.PythonModules(t, "grpc", "google.protobuf", "torch")
	spec := filepath.Join(testenv.ModuleRoot(), "specs", "pytorch-example.hcl")
	if stdout, stderr, code := xlbenchIn(t, t.TempDir(), "validate", spec); code != 0 {
		t.Fatalf("validate: exit %d\n%s%s", code, stdout, stderr)
	}
}
