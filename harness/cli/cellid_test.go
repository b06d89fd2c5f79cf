package cli_test

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/xlbench/xlbench/harness/internal/filehash"
	"github.com/xlbench/xlbench/harness/internal/testenv"
)

// planIDs runs plan and returns "experiment/cell" → cell id.
func planIDs(t *testing.T, bin string, args ...string) map[string]string {
	t.Helper()
	out, err := exec.Command(bin, append([]string{"plan"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s plan %v: %v\n%s", bin, args, err, out)
	}
	ids := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 3 {
			t.Fatalf("plan line %q", line)
		}
		ids[f[2]] = f[1]
	}
	return ids
}

// TestCommittedResultsCarryPlanIDs: every committed reference result
// carries the cell id the landed code computes for it, so that a clone
// recognises (and may reuse) the references.
func TestCommittedResultsCarryPlanIDs(t *testing.T) {
	data := testenv.SharedData(t)
	testenv.HFPython(t) // specs/e5-small*.hcl's plugin runs in .venv
	// xlbench check plans the spec each result records, from the
	// repository root, where the paths were recorded.
	stdout, stderr, code := xlbenchIn(t, testenv.ModuleRoot(), "check", "-data", data, "results")
	if code != 0 || !strings.Contains(stdout, "pass every check (each is what its recorded spec plans") {
		t.Fatalf("xlbench check results: code %d\n%s%s", code, stdout, stderr)
	}
}

// TestPlanIDsAcrossClones: xlbench built from two copies of the tree at
// different paths prints the same plan: built-ins are identified by name
// and behaviour version, not by the binary. The first copy is built
// without -trimpath, so the two binaries differ (they embed their paths),
// as builds on two machines do.
func TestPlanIDsAcrossClones(t *testing.T) {
	root := testenv.ModuleRoot()
	var plans []map[string]string
	var sums []string
	for i, name := range []string{"one", "clone-two"} {
		dir := filepath.Join(t.TempDir(), name)
		copySource(t, root, dir)
		bin := filepath.Join(dir, "xlbench")
		args := []string{"build", "-o", bin, "./harness/cmd/xlbench"}
		if i == 1 {
			args = []string{"build", "-trimpath", "-o", bin, "./harness/cmd/xlbench"}
		}
		build := exec.Command("go", args...)
		build.Dir = dir
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("building in %s: %v\n%s", dir, err, out)
		}
		sum, err := filehash.SHA256(bin)
		if err != nil {
			t.Fatal(err)
		}
		sums = append(sums, sum)
		plans = append(plans, planIDs(t, bin, "-data", tinyData(), filepath.Join(root, "harness", "cli", "testdata", "tiny-train.hcl")))
	}
	if sums[0] == sums[1] {
		t.Fatal("the two builds are the same binary; the test would not see a binary-dependent id")
	}
	if len(plans[0]) == 0 {
		t.Fatal("empty plan")
	}
	var names []string
	for k := range plans[0] {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if plans[0][k] != plans[1][k] {
			t.Errorf("%s: id %s in one clone, %s in the other", k, plans[0][k], plans[1][k])
		}
	}
}

// copySource copies the module's Go sources and what they embed (go.mod,
// go.sum, harness, builtin, plugins), not results or build outputs.
func copySource(t *testing.T, root, dst string) {
	t.Helper()
	for _, f := range []string{"go.mod", "go.sum"} {
		copyFile(t, filepath.Join(root, f), filepath.Join(dst, f))
	}
	for _, d := range []string{"harness", "builtin", "plugins"} {
		err := filepath.WalkDir(filepath.Join(root, d), func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if e.IsDir() && (e.Name() == "__pycache__" || e.Name() == "node_modules") {
				return filepath.SkipDir
			}
			if !e.Type().IsRegular() {
				return nil
			}
			rel, _ := filepath.Rel(root, p)
			copyFile(t, p, filepath.Join(dst, rel))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
