package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScoreQANoMatch: predictions whose ids match no question of the
// dataset are an error, not a score of 0.
func TestScoreQANoMatch(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "d.json")
	os.WriteFile(data, []byte(`{"data": [{"paragraphs": [{"context": "Berlin is big.", "qas": [{"id": "q1", "question": "What?", "answers": [{"text": "big", "answer_start": 10}]}]}]}]}`), 0o644)
	preds := filepath.Join(dir, "p.json")
	os.WriteFile(preds, []byte(`{"other-1": "big"}`), 0o644)
	_, stderr, code := xlbench(t, "score-qa", "-lang", "en", data, preds)
	if code != 1 || !strings.Contains(stderr, "no prediction in "+preds+" answers a question of "+data) {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	os.WriteFile(preds, []byte(`{"q1": "big"}`), 0o644)
	if stdout, stderr, code := xlbench(t, "score-qa", "-lang", "en", data, preds); code != 0 || !strings.Contains(stdout, `"exact_match":1`) && !strings.Contains(stdout, `"em":1`) {
		t.Fatalf("matching ids: exit %d\n%s%s", code, stdout, stderr)
	}
	// $XLBENCH_MAX_FILE, read by the command, bounds the files it reads.
	if _, stderr, code := xlbenchEnv(t, "", []string{"XLBENCH_MAX_FILE=20"}, "score-qa", "-lang", "en", data, preds); code != 1 || !strings.Contains(stderr, data+" holds more than 20 bytes") {
		t.Fatalf("over $XLBENCH_MAX_FILE: exit %d\n%s", code, stderr)
	}
	if _, stderr, code := xlbenchEnv(t, "", []string{"XLBENCH_MAX_FILE=lots"}, "score-qa", "-lang", "en", data, preds); code != 2 && code != 1 || !strings.Contains(stderr, `$XLBENCH_MAX_FILE="lots"`) {
		t.Fatalf("a bad $XLBENCH_MAX_FILE: exit %d\n%s", code, stderr)
	}
}

// TestIncompleteAndNullMetrics: report marks an experiment with a missing
// cell INCOMPLETE, naming the cell; a result whose metric is null is an
// error naming the file; a second run into a results directory in use is
// refused with a message.
func TestIncompleteAndNullMetrics(t *testing.T) {
	out := t.TempDir()
	if _, stderr, code := xlbench(t, "run", "-data", tinyData(), "-out", out, "testdata/tiny-train.hcl"); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	if err := os.RemoveAll(filepath.Join(out, "tiny-train", "dual.hybrid.seed2")); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := xlbench(t, "report", "-out", out)
	if code != 0 || !strings.Contains(stdout, "INCOMPLETE: 4 of 5 cells stored; missing: dual.hybrid.seed2.") {
		t.Fatalf("report: exit %d\n%s%s", code, stdout, stderr)
	}
	dest := t.TempDir()
	if _, stderr, code := xlbench(t, "leaderboard", "-out", out, "-dest", dest); code != 0 {
		t.Fatalf("leaderboard: exit %d\n%s", code, stderr)
	}
	if md, _ := os.ReadFile(filepath.Join(dest, "LEADERBOARD.md")); !strings.Contains(string(md), "**INCOMPLETE**: no stored result for tiny-train/dual.hybrid.seed2") {
		t.Errorf("LEADERBOARD.md does not mark the experiment incomplete:\n%s", md)
	}
	f := filepath.Join(out, "tiny-train", "bm25.seed1", "result.json")
	raw, _ := os.ReadFile(f)
	var r map[string]any
	json.Unmarshal(raw, &r)
	r["metrics"].(map[string]any)["tiny"].(map[string]any)["mono"].(map[string]any)["map"] = nil
	raw, _ = json.Marshal(r)
	os.WriteFile(f, raw, 0o644)
	_, stderr, code = xlbench(t, "report", "-out", out)
	if code != 1 || !strings.Contains(stderr, f+": metric tiny/mono/map is null") {
		t.Fatalf("null metric: exit %d\n%s", code, stderr)
	}
	// A metric of 1e308 (two of them average to +Inf) is refused by
	// report and the leaderboard alike, with one message naming the file:
	// report fails, the leaderboard lists it as refused and goes on.
	r["metrics"].(map[string]any)["tiny"].(map[string]any)["mono"].(map[string]any)["map"] = 1e308
	raw, _ = json.Marshal(r)
	os.WriteFile(f, raw, 0o644)
	want := f + ": metric tiny/mono/map is 1e+308, outside its range"
	if _, stderr, code = xlbench(t, "report", "-out", out); code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("report with a metric of 1e308: exit %d\n%s", code, stderr)
	}
	if _, stderr, code = xlbench(t, "leaderboard", "-dest", t.TempDir(), out); code != 0 || !strings.Contains(stderr, "refused "+want) || !strings.Contains(stderr, "(1 refused)") {
		t.Errorf("leaderboard with a metric of 1e308: exit %d\n%s", code, stderr)
	}
}
