package leaderboard

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xlbench/xlbench/harness/results"
)

// TestLinkSources: a spec, an external plugin (from the spec's folder; a
// binary by its folder) and a built-in are linked relative to the board's
// folder; paths outside the working folder, absolute ones and ones that
// do not exist are not linked, whatever a result records.
func TestLinkSources(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"specs/x.hcl", "plugins/py/p.py", "plugins/go/main.go", "builtin/samplers/s.go"} {
		os.MkdirAll(filepath.Join(root, filepath.Dir(f)), 0o755)
		os.WriteFile(filepath.Join(root, f), nil, 0o644)
	}
	os.WriteFile(filepath.Join(filepath.Dir(root), "outside.hcl"), nil, 0o644)
	t.Chdir(root)
	e := &Entry{Provenance: Provenance{
		Specs:   []results.FileHash{{Path: "specs/x.hcl"}, {Path: "../outside.hcl"}, {Path: "/etc/hostname"}, {Path: "specs/gone.hcl"}},
		plugins: []string{"../plugins/py/p.py", "../plugins/go/my plugin", "builtin:hybrid", "builtin:unknown", "../../../etc/passwd"},
	}}
	b := &Board{Sections: []*Section{{Entries: []*Entry{e}}}}
	b.LinkSources("results", func(name string) (string, bool) { return "builtin/samplers", name == "hybrid" })
	want := []Link{
		{Label: "specs/x.hcl", Href: "../specs/x.hcl"},
		{Label: "plugins/py/p.py", Href: "../plugins/py/p.py"},
		{Label: "plugins/go", Href: "../plugins/go"},
		{Label: "builtin/samplers", Href: "../builtin/samplers"},
	}
	if diff := cmp.Diff(want, e.Provenance.Links); diff != "" {
		t.Errorf("links (-want +got):\n%s", diff)
	}
}
