package cli_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xlbench/xlbench/harness/internal/testenv"
)

// runIn runs a command in dir and fails the test, with its output, if it
// fails.
func runIn(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestNewPlugin: the skeletons xlbench new writes, samplers and encoders,
// pass their own tests, plugin check and the spec check of their compare
// file (with the default experiment) as written, in Go and in Python.
func TestNewPlugin(t *testing.T) {
	root := testenv.ModuleRoot()
	for _, c := range []struct{ kind, lang string }{{"sampler", "go"}, {"sampler", "python"}, {"encoder", "go"}, {"encoder", "python"}} {
		kind, lang := c.kind, c.lang
		t.Run(kind+"-"+lang, func(t *testing.T) {
			python := ""
			if lang == "python" {
				python = testenv.PythonModules(t, "grpc", "google.protobuf")
			}
			name := fmt.Sprintf("zznew_%s_%s_%d", kind, lang, os.Getpid())
			dir := filepath.Join("plugins", name)
			t.Cleanup(func() {
				os.RemoveAll(filepath.Join(root, dir))
				os.Remove(filepath.Join(root, "bin", name))
			})
			out := runIn(t, root, bin.xlbench, "new", kind, "-lang", lang, name)
			if !strings.Contains(out, "wrote "+dir+"/compare.hcl") {
				t.Fatalf("new: %s", out)
			}
			plugin := filepath.Join(dir, name+".py")
			if lang == "go" {
				runIn(t, root, "go", "test", "./"+dir)
				runIn(t, root, "go", "build", "-o", filepath.Join("bin", name), "./"+dir)
				plugin = filepath.Join("bin", name)
			} else {
				runIn(t, root, python, "-m", "unittest", "discover", "-s", dir)
			}
			check := runIn(t, root, bin.xlbench, "plugin", "check", plugin)
			if !strings.Contains(check, "checks passed") || !strings.Contains(check, "which no lock file pins here") {
				t.Errorf("plugin check:\n%s", check)
			}
			runIn(t, root, bin.xlbench, "lock", "specs/xquad-r.hcl", dir+"/compare.hcl")
			plan := runIn(t, root, bin.xlbench, "plan", "specs/xquad-r.hcl", dir+"/compare.hcl")
			if !strings.Contains(plan, name) {
				t.Errorf("plan of the default experiment with the compare file has no %s cell:\n%s", name, plan)
			}
			// A second new into the same folder is refused.
			cmd := exec.Command(bin.xlbench, "new", kind, "-lang", lang, name)
			cmd.Dir = root
			if msg, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(msg), "exists") {
				t.Errorf("new over an existing folder: %v\n%s", err, msg)
			}
		})
	}
}

// TestNewRefusesLinkOut: -dir through a symbolic link that leads out of
// the repository is refused, and nothing is written there.
func TestNewRefusesLinkOut(t *testing.T) {
	repo, away := t.TempDir(), t.TempDir()
	if err := os.Symlink(away, filepath.Join(repo, "link")); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := xlbenchIn(t, repo, "new", "sampler", "-dir", "link/x", "myplug")
	if code == 0 || !strings.Contains(stderr, "link is a symbolic link to") {
		t.Errorf("new -dir through a link out: code %d\n%s", code, stderr)
	}
	if entries, _ := os.ReadDir(away); len(entries) > 0 {
		t.Errorf("new wrote outside the repository: %v", entries)
	}
}
