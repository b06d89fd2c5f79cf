package conformance_test

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xlbench/xlbench/builtin"
	"github.com/xlbench/xlbench/harness/conformance"
	"github.com/xlbench/xlbench/harness/internal/testenv"
	"github.com/xlbench/xlbench/harness/pluginhost"
	"github.com/xlbench/xlbench/plugins"
)

var xlbenchBin, temperatureBin, lossAdaptiveBin, trigramBin string

func TestMain(m *testing.M) {
	testenv.RunWithBinaries(m, map[*string]string{
		&xlbenchBin:      "./harness/cmd/xlbench",
		&temperatureBin:  "./plugins/examples/temperature",
		&lossAdaptiveBin: "./plugins/examples/loss-adaptive",
		&trigramBin:      "./plugins/examples/trigram-encoder",
	})
}

func example(parts ...string) string {
	return filepath.Join(append([]string{testenv.ModuleRoot(), "plugins", "examples"}, parts...)...)
}

func check(t *testing.T, ref string) *conformance.Report {
	t.Helper()
	h := pluginhost.New(xlbenchBin, builtin.Kinds(), nil)
	defer h.Close()
	ctx := context.Background()
	kind, err := conformance.Kind(ctx, h, ref)
	if err != nil {
		t.Fatal(err)
	}
	return conformance.Run(ctx, h, ref, kind, nil)
}

func report(r *conformance.Report) string {
	var b strings.Builder
	r.Print(&b)
	return b.String()
}

// TestGoPluginsConform checks the Go example plugin and the built-ins of
// each kind: every check passes and throughput is measured.
func TestGoPluginsConform(t *testing.T) {
	conform(t, temperatureBin, lossAdaptiveBin, trigramBin, "builtin:hybrid", "builtin:bm25", "builtin:gorgonia", "builtin:reader")
}

// TestPythonPluginsConform checks the Python example plugins.
func TestPythonPluginsConform(t *testing.T) {
	testenv.PythonModules(t, "grpc", "google.protobuf", "torch")
	conform(t, example("python-sampler", "temperature.py"), example("pytorch-encoder", "encoder.py"))
}

func conform(t *testing.T, refs ...string) {
	for _, ref := range refs {
		t.Run(filepath.Base(ref), func(t *testing.T) {
			r := check(t, ref)
			if len(r.Failed()) > 0 || len(r.Checks) < 8 || len(r.Figures) == 0 {
				t.Errorf("%s", report(r))
			}
			if r.Info.ObservesTraining && !slices.ContainsFunc(r.Checks, func(c conformance.Check) bool { return c.Name == "feedback" }) {
				t.Errorf("%s observes training, but its feedback was not checked:\n%s", ref, report(r))
			}
			for _, f := range r.Figures {
				if f.Value <= 0 {
					t.Errorf("%s: %s = %v", ref, f.Name, f.Value)
				}
			}
		})
	}
}

// TestBrokenFixturesFail checks a deliberately broken plugin of each kind:
// the one broken property fails, with a message that says what broke, and
// every other check passes.
func TestBrokenFixturesFail(t *testing.T) {
	testenv.PythonModules(t, "grpc", "google.protobuf")
	for _, tc := range []struct {
		file  string
		kind  plugins.Kind
		check string
		why   string
	}{
		{"broken_sampler.py", plugins.KindSampler, "batch validity", "twice"},
		{"broken_param_sampler.py", plugins.KindSampler, "other param values", "twice = true (the bool the other way)"},
		{"broken_encoder.py", plugins.KindEncoder, "determinism", "a second process with the same seed: different query vectors"},
		{"broken_reader.py", plugins.KindReader, "answers", "which is not candidate 0's text there"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			ref := filepath.Join(testenv.ModuleRoot(), "harness", "conformance", "testdata", tc.file)
			r := check(t, ref)
			if r.Kind != tc.kind {
				t.Fatalf("kind %s, want %s", r.Kind, tc.kind)
			}
			failed := r.Failed()
			if len(failed) != 1 || failed[0].Name != tc.check || !strings.Contains(failed[0].Err.Error(), tc.why) {
				t.Errorf("want only %q to fail, with %q:\n%s", tc.check, tc.why, report(r))
			}
		})
	}
}

// TestCommandExitStatus runs `xlbench plugin check`: 0 for a conforming
// plugin, 1 naming the failed check for a broken one, 2 for no plugin.
func TestCommandExitStatus(t *testing.T) {
	testenv.PythonModules(t, "grpc", "google.protobuf")
	run := func(args ...string) (string, int) {
		out, err := exec.Command(xlbenchBin, append([]string{"plugin", "check"}, args...)...).CombinedOutput()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return string(out), ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), 0
	}
	if out, code := run(example("python-sampler", "temperature.py")); code != 0 || !strings.Contains(out, "all 9 checks passed") {
		t.Errorf("example: exit %d\n%s", code, out)
	}
	broken := filepath.Join(testenv.ModuleRoot(), "harness", "conformance", "testdata", "broken_reader.py")
	if out, code := run("-kind", "reader", broken); code != 1 || !strings.Contains(out, "FAIL  answers:") || !strings.Contains(out, "1 of 8 checks failed") {
		t.Errorf("broken reader: exit %d\n%s", code, out)
	}
	if out, code := run("-kind", "sampler", broken); code != 1 || !strings.Contains(out, "FAIL  describe:") {
		t.Errorf("reader checked as a sampler: exit %d\n%s", code, out)
	}
	if out, code := run(); code != 2 {
		t.Errorf("no plugin: exit %d\n%s", code, out)
	}
}
