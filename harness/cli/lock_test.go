package cli_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xlbench/xlbench/harness/internal/testenv"
)

// TestPinnedPlugins: an external plugin starts only as pinned in the lock
// file beside its spec; `lock` writes the pin and says what changed; a
// changed executable is refused with both hashes and the command that pins
// it; the path is relative to the spec, whatever the working directory.
func TestPinnedPlugins(t *testing.T) {
	dir := t.TempDir()
	raw, err := os.ReadFile(bin.temperature)
	if err != nil {
		t.Fatal(err)
	}
	plugin := filepath.Join(dir, "temperature")
	os.WriteFile(plugin, raw, 0o755)
	spec := filepath.Join(dir, "s.hcl")
	os.WriteFile(spec, []byte("sampler \"temp\" {\n  plugin = \"./temperature\"\n}\n"), 0o644)

	_, stderr, code := xlbench(t, "validate", spec)
	if code != 1 || !strings.Contains(stderr, `s.hcl:2:12: error: Plugin not pinned: Plugin "./temperature" (sha256 `) ||
		!strings.Contains(stderr, "xlbench lock "+spec) {
		t.Fatalf("unpinned: exit %d\n%s", code, stderr)
	}
	stdout, _, code := xlbench(t, "lock", spec)
	if code != 0 || !strings.HasPrefix(stdout, "+ ./temperature ") {
		t.Fatalf("lock: exit %d\n%s", code, stdout)
	}
	// Only the lock file is written beside the spec (an empty
	// .xlbench.lock.hcl.lock was left).
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{".xlbench.lock.hcl", "s.hcl", "temperature"}) {
		t.Errorf("the spec's folder holds %v", names)
	}
	// The working directory does not matter: the path is the spec's.
	cmd := filepath.Join(t.TempDir())
	if _, stderr, code := xlbenchIn(t, cmd, "validate", spec); code != 0 {
		t.Fatalf("pinned, from another directory: exit %d\n%s", code, stderr)
	}
	// The executable changes: refused, both hashes named.
	os.WriteFile(plugin, append(raw, 0), 0o755)
	_, stderr, code = xlbench(t, "validate", spec)
	if code != 1 || !strings.Contains(stderr, "Plugin differs from its pin") || strings.Count(stderr, "sha256") < 1 ||
		!strings.Contains(stderr, "but "+filepath.Join(dir, ".xlbench.lock.hcl")+" pins ") {
		t.Fatalf("changed: exit %d\n%s", code, stderr)
	}
	if stdout, _, code := xlbench(t, "lock", spec); code != 0 || !strings.HasPrefix(stdout, "~ ./temperature ") || !strings.Contains(stdout, " → ") {
		t.Fatalf("relock: exit %d\n%s", code, stdout)
	}
}

// TestNoPathLookup: a bare plugin name is a file beside the spec, never a
// program found on $PATH.
func TestNoPathLookup(t *testing.T) {
	onPath := t.TempDir()
	marker := filepath.Join(t.TempDir(), "ran")
	os.WriteFile(filepath.Join(onPath, "bm25"), []byte("#!/bin/sh\ntouch "+marker+"\n"), 0o755)
	spec := filepath.Join(t.TempDir(), "s.hcl")
	os.WriteFile(spec, []byte("encoder \"e\" {\n  plugin = \"bm25\"\n}\n"), 0o644)
	cmd := testenv.ModuleRoot()
	_, stderr, code := xlbenchEnv(t, cmd, []string{"PATH=" + onPath + ":" + os.Getenv("PATH")}, "validate", spec)
	if code != 1 || !strings.Contains(stderr, filepath.Join(filepath.Dir(spec), "bm25")) {
		t.Fatalf("bare name: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the bm25 on $PATH was run")
	}
}

// TestUnpinnedNeverStarts: validate and plan start no unpinned plugin, not
// even to ask it to describe itself.
func TestUnpinnedNeverStarts(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	os.WriteFile(filepath.Join(dir, "plugin.sh"), []byte("#!/bin/sh\ntouch "+marker+"\n"), 0o755)
	spec := filepath.Join(dir, "s.hcl")
	os.WriteFile(spec, []byte("sampler \"s\" {\n  plugin = \"plugin.sh\"\n}\n"), 0o644)
	for _, cmd := range []string{"validate", "plan"} {
		if _, stderr, code := xlbench(t, cmd, spec); code != 1 || !strings.Contains(stderr, "Plugin not pinned") {
			t.Errorf("%s: exit %d\n%s", cmd, code, stderr)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("an unpinned plugin was started")
	}
}
