package cli_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xlbench/xlbench/harness/internal/testenv"
	"github.com/xlbench/xlbench/harness/results"
)

// TestVerifyStampsTheLeaderboard follows a contribution through review:
// verify reruns the reference and stamps it, signed with the reviewer's
// SSH key (who, the machine, the files it checked); the leaderboard of
// the reference and a contribution marks the row reproduced; a
// contribution whose result was edited after the fact (its seed no longer
// matches the inputs its cell id hashes) is refused, with the reason, on
// the board itself; a reference changed after verify shows "changed since
// verified"; a hand-written stamp is "unsigned", never ✓.
func TestVerifyStampsTheLeaderboard(t *testing.T) {
	ref, contrib := t.TempDir(), t.TempDir()
	for _, out := range []string{ref, contrib} {
		if _, stderr, code := xlbench(t, "run", "-data", tinyData(), "-out", out, "-by", "Tester <t@example.org>", "testdata/tiny-bm25.hcl"); code != 0 {
			t.Fatalf("run: code %d\n%s", code, stderr)
		}
	}
	key, pub := testenv.SSHKey(t)
	os.WriteFile(filepath.Join(ref, results.AllowedSignersFile), []byte("reviewer@example.org "+pub+"\n"), 0o644)
	if stdout, stderr, code := xlbench(t, "verify", "-data", tinyData(), "-ref", ref, "-sign", key, "-signer", "reviewer@example.org", "testdata/tiny-bm25.hcl"); code != 0 || !strings.Contains(stdout, "stamped ") {
		t.Fatalf("verify: code %d\n%s\n%s", code, stdout, stderr)
	}
	stamps, err := results.ReadStamps(ref)
	if err != nil || len(stamps) != 1 || len(stamps[0].Cells) != 1 || stamps[0].Cells[0].Outcome != results.Reproduced || stamps[0].Cells[0].MaxDeviation != 0 || !strings.Contains(stamps[0].Who, "@") {
		t.Fatalf("stamps %+v, %v", stamps, err)
	}
	if v := stamps[0].Cells[0]; len(v.ResultSHA256) != 64 || len(v.PerQuerySHA256) != 64 || stamps[0].Signer != "reviewer@example.org" || !strings.Contains(stamps[0].Signature, "BEGIN SSH SIGNATURE") {
		t.Fatalf("the stamp is not bound to the files it checked, or not signed: %+v", stamps[0])
	}
	// The contribution's copy of the cell: edited to claim another seed.
	files, _ := filepath.Glob(filepath.Join(contrib, "*", "*", "result.json"))
	editJSON(t, files[0], func(res map[string]any) { res["seed"] = 7.0 })

	dest := t.TempDir()
	_, stderr, code := xlbench(t, "leaderboard", "-dest", dest, ref, contrib)
	if code != 0 || !strings.Contains(stderr, "1 refused") {
		t.Fatalf("leaderboard: code %d\n%s", code, stderr)
	}
	md, _ := os.ReadFile(filepath.Join(dest, "LEADERBOARD.md"))
	for _, want := range []string{"| 1 | bm25 | 1 of 1 | 1 |", "| ✓ ", "same machine", "reviewer@example.org (key SHA256:", "tiny-bm25/bm25.seed1/result.json: the result says seed \"7\", its recorded inputs \"1\"", "spec: testdata/tiny-bm25.hcl sha256 ",
		"submitted: run " + time.Now().UTC().Format("2006-01-02") + " by Tester &lt;t@example.org&gt;",
		// The spec is linked from where the board is written.
		"sources: [testdata/tiny-bm25.hcl](" + filepath.ToSlash(relTo(t, dest, "testdata/tiny-bm25.hcl")) + ")"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("LEADERBOARD.md lacks %q:\n%s", want, md)
		}
	}
	if page, _ := os.ReadFile(filepath.Join(dest, "leaderboard.html")); !strings.Contains(string(page), "Refused") || !strings.Contains(string(page), `"label":"testdata/tiny-bm25.hcl"`) {
		t.Error("the page does not list the refused result, or does not link the spec")
	}
	// The board as data: a long CSV and the tables as JSON.
	raw, _ := os.ReadFile(filepath.Join(dest, "leaderboard.csv"))
	recs, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil || len(recs) < 2 || strings.Join(recs[0], ",") != "dataset,family,entry,column,text,value" || !slices.ContainsFunc(recs, func(r []string) bool { return r[2] == "bm25" && r[3] == "multi mAP (95% CI)" && r[5] != "" }) {
		t.Errorf("leaderboard.csv (%v):\n%s", err, raw)
	}
	var board struct {
		Question string `json:"question"`
		Tables   []json.RawMessage
	}
	if raw, _ := os.ReadFile(filepath.Join(dest, "leaderboard.json")); json.Unmarshal(raw, &board) != nil || board.Question == "" || len(board.Tables) != 1 {
		t.Errorf("leaderboard.json: %.300s", raw)
	}

	// Without the allowed signers the same stamp is unsigned for the board.
	os.Rename(filepath.Join(ref, results.AllowedSignersFile), filepath.Join(ref, "elsewhere"))
	if _, stderr, code := xlbench(t, "leaderboard", "-dest", dest, ref); code != 0 {
		t.Fatalf("leaderboard: %s", stderr)
	}
	md, _ = os.ReadFile(filepath.Join(dest, "LEADERBOARD.md"))
	if strings.Contains(string(md), "| ✓ ") || !strings.Contains(string(md), "| unsigned ") || !strings.Contains(string(md), "is not allowed to sign as") {
		t.Errorf("a stamp by an unlisted key counts:\n%s", md)
	}
	os.Rename(filepath.Join(ref, "elsewhere"), filepath.Join(ref, results.AllowedSignersFile))

	// A hand-written stamp claiming "reproduced": unsigned, never ✓.
	forged := []results.Stamp{{Who: "someone@else", Machine: results.Machine{Hostname: "elsewhere"}, When: stamps[0].When.Add(time.Hour), Cells: stamps[0].Cells}}
	raw, _ = json.Marshal(forged)
	os.WriteFile(filepath.Join(ref, results.StampFile), raw, 0o644)
	if _, stderr, code := xlbench(t, "leaderboard", "-dest", dest, ref); code != 0 {
		t.Fatalf("leaderboard: %s", stderr)
	}
	md, _ = os.ReadFile(filepath.Join(dest, "LEADERBOARD.md"))
	if strings.Contains(string(md), "| ✓ ") || !strings.Contains(string(md), "the stamp is not signed") {
		t.Errorf("a hand-written stamp counts as verified:\n%s", md)
	}
	raw, _ = json.Marshal(stamps)
	os.WriteFile(filepath.Join(ref, results.StampFile), raw, 0o644)

	// The reference changed after verify, in a way its own checks cannot
	// see (a field outside the metrics): no longer the result verified.
	files, _ = filepath.Glob(filepath.Join(ref, "*", "*", "result.json"))
	editJSON(t, files[0], func(res map[string]any) { res["wall_seconds"] = 99.0 })
	if _, stderr, code := xlbench(t, "leaderboard", "-dest", dest, ref); code != 0 {
		t.Fatalf("leaderboard: %s", stderr)
	}
	md, _ = os.ReadFile(filepath.Join(dest, "LEADERBOARD.md"))
	if !strings.Contains(string(md), "✗ changed since verified") {
		t.Errorf("the changed reference is not marked:\n%s", md)
	}
}

// TestLeaderboardConflictingCopies: the same cell id with another
// measurement in two results directories is an error naming both files,
// whichever is given first; a copy is counted once, and said so.
func TestLeaderboardConflictingCopies(t *testing.T) {
	ref, contrib := t.TempDir(), t.TempDir()
	if _, stderr, code := xlbench(t, "run", "-data", tinyData(), "-out", ref, "testdata/tiny-bm25.hcl"); code != 0 {
		t.Fatalf("run: code %d\n%s", code, stderr)
	}
	copyTree(t, ref, contrib)
	dest := t.TempDir()
	_, stderr, code := xlbench(t, "leaderboard", "-dest", dest, ref, contrib)
	if code != 0 || !strings.Contains(stderr, "is the same measurement as") || !strings.Contains(stderr, "counted once") {
		t.Fatalf("identical copy: code %d\n%s", code, stderr)
	}
	files, _ := filepath.Glob(filepath.Join(contrib, "*", "*", "result.json"))
	editRecall(t, files[0])
	for _, order := range [][]string{{ref, contrib}, {contrib, ref}} {
		_, stderr, code := xlbench(t, append([]string{"leaderboard", "-dest", dest}, order...)...)
		if code == 0 || !strings.Contains(stderr, "the same cell with different content in two places") ||
			!strings.Contains(stderr, filepath.Join(ref, "tiny-bm25", "bm25.seed1", "result.json")) || !strings.Contains(stderr, filepath.Join(contrib, "tiny-bm25", "bm25.seed1", "result.json")) {
			t.Errorf("conflicting copies, %v first: code %d\n%s", order[0] == ref, code, stderr)
		}
	}
}

// TestConcurrentVerifiesKeepEveryStamp: eight verifies of one reference
// at once leave eight stamps.
func TestConcurrentVerifiesKeepEveryStamp(t *testing.T) {
	ref := t.TempDir()
	if _, stderr, code := xlbench(t, "run", "-data", tinyData(), "-out", ref, "testdata/tiny-bm25.hcl"); code != 0 {
		t.Fatalf("run: code %d\n%s", code, stderr)
	}
	var wg sync.WaitGroup
	codes := make([]int, 8)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, codes[i] = xlbench(t, "verify", "-data", tinyData(), "-ref", ref, "testdata/tiny-bm25.hcl")
		}()
	}
	wg.Wait()
	stamps, err := results.ReadStamps(ref)
	if err != nil || len(stamps) != 8 || slices.ContainsFunc(codes, func(c int) bool { return c != 0 }) {
		t.Fatalf("%d stamps (%v), exit codes %v", len(stamps), err, codes)
	}
}

// editJSON rewrites a JSON object file through edit.
func editJSON(t *testing.T, file string, edit func(map[string]any)) {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	edit(v)
	raw, _ = json.MarshalIndent(v, "", "  ")
	if err := os.WriteFile(file, raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

// copyTree copies the results directory src into the empty dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
}

// relTo is path (relative to the working folder) relative to dir.
func relTo(t *testing.T, dir, path string) string {
	t.Helper()
	abs, _ := filepath.Abs(path)
	rel, err := filepath.Rel(dir, abs)
	if err != nil {
		t.Fatal(err)
	}
	return rel
}
