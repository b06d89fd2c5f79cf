package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xlbench/xlbench/harness/results"
)

// TestVerifyStampsTheLeaderboard follows a contribution through review:
// verify reruns the reference and stamps it (who, when, the cell, its
// deviation), the leaderboard of the reference and a contribution marks
// the row reproduced and names its spec's sha256; a contribution whose
// result was edited after the fact (its seed no longer matches the inputs
// its cell id hashes) is refused, with the reason, on the board itself;
// a verify that finds a metric changed stamps the row "differs".
func TestVerifyStampsTheLeaderboard(t *testing.T) {
	ref, contrib := t.TempDir(), t.TempDir()
	for _, out := range []string{ref, contrib} {
		if _, stderr, code := xlbench(t, "run", "-data", tinyData(), "-out", out, "testdata/tiny-bm25.hcl"); code != 0 {
			t.Fatalf("run: code %d\n%s", code, stderr)
		}
	}
	if stdout, stderr, code := xlbench(t, "verify", "-data", tinyData(), "-ref", ref, "testdata/tiny-bm25.hcl"); code != 0 || !strings.Contains(stdout, "stamped ") {
		t.Fatalf("verify: code %d\n%s\n%s", code, stdout, stderr)
	}
	stamps, err := results.ReadStamps(ref)
	if err != nil || len(stamps) != 1 || len(stamps[0].Cells) != 1 || stamps[0].Cells[0].Outcome != results.Reproduced || stamps[0].Cells[0].MaxDeviation != 0 || !strings.Contains(stamps[0].Who, "@") {
		t.Fatalf("stamps %+v, %v", stamps, err)
	}
	// The contribution's copy of the cell: edited to claim another seed.
	files, _ := filepath.Glob(filepath.Join(contrib, "*", "*", "result.json"))
	raw, _ := os.ReadFile(files[0])
	var res map[string]any
	json.Unmarshal(raw, &res)
	res["seed"] = 7.0
	raw, _ = json.Marshal(res)
	os.WriteFile(files[0], raw, 0o644)

	dest := t.TempDir()
	_, stderr, code := xlbench(t, "leaderboard", "-dest", dest, ref, contrib)
	if code != 0 || !strings.Contains(stderr, "1 refused") {
		t.Fatalf("leaderboard: code %d\n%s", code, stderr)
	}
	md, _ := os.ReadFile(filepath.Join(dest, "LEADERBOARD.md"))
	for _, want := range []string{"| 1 | bm25 | 1 |", "✓ ", "tiny-bm25/bm25.seed1: the result says seed \"7\", its recorded inputs \"1\"", "spec: testdata/tiny-bm25.hcl sha256 "} {
		if !strings.Contains(string(md), want) {
			t.Errorf("LEADERBOARD.md lacks %q:\n%s", want, md)
		}
	}
	if page, _ := os.ReadFile(filepath.Join(dest, "leaderboard.html")); !strings.Contains(string(page), "Refused") {
		t.Error("the page does not list the refused result")
	}

	// A reference metric changed: verify fails and stamps the cell.
	files, _ = filepath.Glob(filepath.Join(ref, "*", "*", "result.json"))
	raw, _ = os.ReadFile(files[0])
	json.Unmarshal(raw, &res)
	multi := res["metrics"].(map[string]any)["tiny"].(map[string]any)["multi"].(map[string]any)
	multi["map"] = multi["map"].(float64) + 0.01
	raw, _ = json.Marshal(res)
	os.WriteFile(files[0], raw, 0o644)
	if _, _, code := xlbench(t, "verify", "-data", tinyData(), "-ref", ref, "testdata/tiny-bm25.hcl"); code != 1 {
		t.Fatalf("verify of a changed reference: code %d", code)
	}
	if _, stderr, code := xlbench(t, "leaderboard", "-dest", dest, ref); code != 0 {
		t.Fatalf("leaderboard: %s", stderr)
	}
	md, _ = os.ReadFile(filepath.Join(dest, "LEADERBOARD.md"))
	if !strings.Contains(string(md), "✗ differs (0.01)") {
		t.Errorf("the changed reference is not marked:\n%s", md)
	}
}
