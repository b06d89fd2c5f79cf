package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRecordedSpecsReadSafely: report and leaderboard read the spec a
// stored result names only when it is a regular file inside the working
// folder: a FIFO there (which would block them) and a valid spec outside
// it lend no declaration, and both commands end.
func TestRecordedSpecsReadSafely(t *testing.T) {
	out := t.TempDir()
	if _, stderr, code := xlbench(t, "run", "-data", tinyData(), "-out", out, "testdata/tiny-train.hcl"); code != 0 {
		t.Fatalf("run: %s", stderr)
	}
	// The working folder holds a FIFO; beside it, outside, a valid copy
	// of the spec.
	root := t.TempDir()
	work, outside := filepath.Join(root, "work"), filepath.Join(root, "outside")
	os.MkdirAll(work, 0o755)
	os.MkdirAll(outside, 0o755)
	if err := syscall.Mkfifo(filepath.Join(work, "fifo.hcl"), 0o644); err != nil {
		t.Fatal(err)
	}
	spec, _ := os.ReadFile("testdata/tiny-train.hcl")
	os.WriteFile(filepath.Join(outside, "tiny-train.hcl"), spec, 0o644)
	for seed, path := range map[string]string{"1": "fifo.hcl", "2": "../outside/tiny-train.hcl"} {
		editJSON(t, filepath.Join(out, "tiny-train", "dual.monolingual.seed"+seed, "result.json"), func(res map[string]any) {
			delete(res["sampler"].(map[string]any), "tuned_by")
			res["manifest"].(map[string]any)["specs"] = []any{map[string]any{"path": path, "sha256": strings.Repeat("0", 64)}}
		})
	}
	dest := t.TempDir()
	for _, cmd := range [][]string{{"report", "-out", out, "-format", "markdown"}, {"leaderboard", "-dest", dest, out}} {
		stdout, stderr, code := runXlbench(t, 30*time.Second, work, nil, cmd...)
		board, _ := os.ReadFile(filepath.Join(dest, "LEADERBOARD.md"))
		if code != 0 || strings.Contains(stdout+string(board), "declares)") {
			t.Errorf("%s: code %d, or a declaration read from a FIFO or outside the working folder:\n%s%s", cmd[0], code, stdout, stderr)
		}
	}
}
