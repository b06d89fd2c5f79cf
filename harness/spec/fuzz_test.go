package spec

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzSpec parses and checks any bytes as a spec file: diagnostics or a
// spec, never a panic; a spec that parses without errors has names in the
// documented character set and bounded numbers.
func FuzzSpec(f *testing.F) {
	for _, name := range []string{"good.hcl", "stages.hcl", "hostile.hcl", "readers.hcl", "badparams.hcl"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	// Deep nesting (a stack overflow before MaxNesting) and template loops.
	f.Add([]byte("x = " + strings.Repeat("(", 5000) + "1" + strings.Repeat(")", 5000) + "\n"))
	f.Add([]byte("dataset \"d\" {\n  format = \"lareqa\"\n  path = \"%{for a in [1,2]}%{for b in [1,2]}x%{endfor}%{endfor}\"\n}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "f.hcl")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		s, diags := Parse(path)
		if diags.HasErrors() {
			return
		}
		s.Check(context.Background(), catalog{}) // must not panic
		for _, e := range s.Experiments {
			if !NamePattern.MatchString(e.Name) || e.Steps > MaxSteps || e.BatchSize > MaxBatchSize || len(e.Seeds) > MaxSeeds {
				t.Fatalf("accepted experiment %q: steps %d, batch %d, %d seeds", e.Name, e.Steps, e.BatchSize, len(e.Seeds))
			}
		}
	})
}
