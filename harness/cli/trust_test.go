package cli_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xlbench/xlbench/harness/results"
)

// A stored result forged or damaged as a hostile contributor or a bad
// copy would: each probe changes one copy of a real tiny result.
type forgery struct {
	name string
	// forge changes the cell folder of a results directory's only cell.
	forge func(t *testing.T, cell string)
	// want is in the message every command refuses the cell with.
	want string
}

// writePerQuery replaces a cell's per-query file with a record of the
// given header and body, and records its sha256 in the result, as a
// forger would (the file is then "the cell's own").
func writePerQuery(t *testing.T, cell, header string, body []byte) {
	t.Helper()
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	w.Write([]byte("xlbench per-query 2\n" + header + "\n"))
	w.Write(body)
	w.Close()
	if err := os.WriteFile(filepath.Join(cell, results.PerQueryFile), z.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(z.Bytes())
	editJSON(t, filepath.Join(cell, results.ResultFile), func(r map[string]any) { r["per_query_sha256"] = hex.EncodeToString(sum[:]) })
}

var forgeries = []forgery{
	{"a per-query count of 2^40 (150 bytes that took all memory)", func(t *testing.T, cell string) {
		writePerQuery(t, cell, `{"datasets":{"tiny":{"pools":["en"],"questions":["q1"]}},"sections":[{"dataset":"tiny","setting":"multi","count":1099511627776}]}`, nil)
	}, "beyond the 4194304 a per-query file may hold"},
	{"long names (1 kB that took 1.5 GB)", func(t *testing.T, cell string) {
		writePerQuery(t, cell, `{"datasets":{"tiny":{"pools":["en"],"questions":["`+strings.Repeat("q", 1<<20)+`"]}},"sections":[]}`, nil)
	}, "longer than 255 bytes"},
	{"a grid repeating a pool (took 4.4 GB)", func(t *testing.T, cell string) {
		writePerQuery(t, cell, `{"datasets":{"tiny":{"pools":["de","en"],"questions":["q1"]}},"sections":[{"dataset":"tiny","setting":"multi","count":2,"grid":true,"pools":[1,1]}]}`, nil)
	}, "pool indices out of range or repeated"},
	{"a gzip bomb after the record", func(t *testing.T, cell string) {
		writePerQuery(t, cell, `{"datasets":{"tiny":{"pools":["en"],"questions":["q1"]}},"sections":[{"dataset":"tiny","setting":"multi","count":1,"grid":true,"pools":[0]}]}`, append([]byte{2}, make([]byte, 64<<20)...))
	}, "bytes after its last section"},
	{"NaN as average precision", func(t *testing.T, cell string) {
		body := binary.LittleEndian.AppendUint64([]byte{1}, math.Float64bits(math.NaN()))
		writePerQuery(t, cell, `{"datasets":{"tiny":{"pools":["en"],"questions":["q1"]}},"sections":[{"dataset":"tiny","setting":"multi","count":1,"grid":true,"pools":[0]}]}`, body)
	}, "is NaN, outside [0, 1]"},
	{"a summary metric edited (0.667 → 0.777)", func(t *testing.T, cell string) {
		editJSON(t, filepath.Join(cell, results.ResultFile), func(r map[string]any) {
			r["metrics"].(map[string]any)["tiny"].(map[string]any)["multi"].(map[string]any)["map"] = 0.777
		})
	}, "metric tiny/multi/map is 0.777000, but its per-query values give 0.666667: the result was changed after it was computed"},
	{"a setting that is none of mono, cross, multi", func(t *testing.T, cell string) {
		editJSON(t, filepath.Join(cell, results.ResultFile), func(r map[string]any) {
			ms := r["metrics"].(map[string]any)["tiny"].(map[string]any)
			ms["everything"] = ms["multi"]
		})
	}, `"everything" is not a setting`},
	{"a metric no xlbench computes", func(t *testing.T, cell string) {
		editJSON(t, filepath.Join(cell, results.ResultFile), func(r map[string]any) {
			r["metrics"].(map[string]any)["tiny"].(map[string]any)["multi"].(map[string]any)["accuracy"] = 0.5
		})
	}, `metric tiny/multi/"accuracy" is not a metric of this xlbench`},
	{"a pool key that is not languages", func(t *testing.T, cell string) {
		editJSON(t, filepath.Join(cell, results.ResultFile), func(r map[string]any) {
			pools := r["pools"].(map[string]any)["tiny"].(map[string]any)["multi"].(map[string]any)
			pools["<b>en</b>"] = pools["en"]
		})
	}, `pool key "<b>en</b>": want <lang> or <lang>-<lang>`},
	{"a per-query series that is not one", func(t *testing.T, cell string) {
		writePerQuery(t, cell, `{"datasets":{"tiny":{"pools":["en"],"questions":["q1"]}},"sections":[{"dataset":"tiny","setting":"multi/accuracy","count":1,"grid":true,"pools":[0]}]}`, []byte{1, 1})
	}, `series "multi/accuracy": want <setting> or <setting>/<metric>`},
	{"the per-query file deleted", func(t *testing.T, cell string) {
		os.Remove(filepath.Join(cell, results.PerQueryFile))
	}, "which is missing: restore it, or rerun the cell"},
	{"another cell's id pasted in", func(t *testing.T, cell string) {
		editJSON(t, filepath.Join(cell, results.ResultFile), func(r map[string]any) { r["cell_id"] = "0123456789abcdef" })
	}, "cell id 0123456789abcdef, but its recorded inputs hash to"},
	{"the cell folder a symbolic link", func(t *testing.T, cell string) {
		away := filepath.Join(t.TempDir(), "away")
		if err := os.Rename(cell, away); err != nil {
			t.Fatal(err)
		}
		os.Symlink(away, cell)
	}, "is a symbolic link: results are read only from the folders of a results directory"},
}

// TestForgedResultsRefusedByEveryCommand: every command that reads stored
// results — report, leaderboard, run -reuse, verify -reuse — refuses each
// forgery with the same message (one reader), and none takes more than a
// bounded amount of memory to do it.
func TestForgedResultsRefusedByEveryCommand(t *testing.T) {
	good := t.TempDir()
	if _, stderr, code := xlbench(t, "run", "-data", tinyData(), "-out", good, "testdata/tiny-bm25.hcl"); code != 0 {
		t.Fatalf("run: code %d\n%s", code, stderr)
	}
	// An experiment name that leaves the results directory.
	if _, stderr, code := xlbench(t, "report", "-out", good, "-experiment", "../../x"); code == 0 || !strings.Contains(stderr, `"../../x" is not a valid experiment or cell name`) {
		t.Errorf("report -experiment ../../x: code %d\n%s", code, stderr)
	}
	for _, f := range forgeries {
		t.Run(f.name, func(t *testing.T) {
			dir := t.TempDir()
			copyTree(t, good, dir)
			f.forge(t, filepath.Join(dir, "tiny-bm25", "bm25.seed1"))
			check := func(cmd string, code int, out string) {
				t.Helper()
				if !strings.Contains(out, f.want) {
					t.Errorf("%s: code %d, message lacks %q:\n%s", cmd, code, f.want, out)
				}
			}
			stdout, stderr, code := xlbench(t, "report", "-out", dir)
			if code == 0 {
				t.Errorf("report accepted the forgery:\n%s", stdout)
			}
			check("report", code, stderr)
			_, stderr, code = xlbench(t, "leaderboard", "-dest", t.TempDir(), dir)
			check("leaderboard", code, stderr)
			// run -reuse and verify -reuse refuse to reuse it, say why, and
			// rerun the cell.
			_, stderr, code = xlbench(t, "run", "-data", tinyData(), "-out", t.TempDir(), "-reuse", dir, "testdata/tiny-bm25.hcl")
			check("run -reuse", code, stderr)
			if code != 0 || !strings.Contains(stderr, "not reused") {
				t.Errorf("run -reuse: code %d, the forgery not named as not reused:\n%s", code, stderr)
			}
			stdout, stderr, _ = xlbench(t, "verify", "-data", tinyData(), "-ref", good, "-stamp=false", "-reuse", dir, "testdata/tiny-bm25.hcl")
			check("verify -reuse", code, stderr)
			if !strings.Contains(stdout, "ok (rerun)") {
				t.Errorf("verify -reuse did not rerun the refused cell:\n%s", stdout)
			}
		})
	}
}

// TestUnsafeFilesThroughEveryCommand: a FIFO in place of a data file, a
// result or a per-query file, and a data or predictions file in Latin-1,
// are refused by each command that opens them — run, plan, verify,
// report, leaderboard, score-qa — at once and naming the file (a FIFO
// hung run in the cell-id hashing; Latin-1 data was accepted).
func TestUnsafeFilesThroughEveryCommand(t *testing.T) {
	const limit = 30 * time.Second
	// A data directory whose de.json is a FIFO, and one whose de.json is
	// in Latin-1.
	fifoData, latinData := t.TempDir(), t.TempDir()
	copyTree(t, tinyData(), fifoData)
	copyTree(t, tinyData(), latinData)
	de := filepath.Join("tiny", "de.json")
	os.Remove(filepath.Join(fifoData, de))
	if err := syscall.Mkfifo(filepath.Join(fifoData, de), 0o644); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(latinData, de))
	latin := bytes.Replace(raw, []byte("Paris ist"), []byte("M\xfcnchen ist"), 1)
	os.WriteFile(filepath.Join(latinData, de), latin, 0o644)
	offset := bytes.IndexByte(latin, 0xfc)

	for _, cmd := range [][]string{
		{"run", "-out", t.TempDir()},
		{"plan"},
		{"verify", "-ref", t.TempDir(), "-stamp=false"},
	} {
		args := append(slices.Clone(cmd), "-data", fifoData, "testdata/tiny-bm25.hcl")
		stdout, stderr, code := xlbenchWithin(t, limit, args...)
		if code == 0 || !strings.Contains(stdout+stderr, "de.json is not a regular file (a FIFO)") {
			t.Errorf("%s with a FIFO for a data file: code %d\n%s%s", cmd[0], code, stdout, stderr)
		}
		if cmd[0] == "plan" {
			continue // plan hashes the files; it does not decode them
		}
		args = append(slices.Clone(cmd), "-data", latinData, "testdata/tiny-bm25.hcl")
		stdout, stderr, code = xlbenchWithin(t, limit, args...)
		if want := fmt.Sprintf("de.json: invalid UTF-8 at byte %d (the file must be UTF-8)", offset); code == 0 || !strings.Contains(stdout+stderr, want) {
			t.Errorf("%s with Latin-1 data: code %d, want %q\n%s%s", cmd[0], code, want, stdout, stderr)
		}
	}

	// A FIFO for a result.json and for a per-query file: report and
	// leaderboard.
	good := t.TempDir()
	if _, stderr, code := xlbench(t, "run", "-data", tinyData(), "-out", good, "testdata/tiny-bm25.hcl"); code != 0 {
		t.Fatalf("run: %s", stderr)
	}
	for _, file := range []string{results.ResultFile, results.PerQueryFile} {
		dir := t.TempDir()
		copyTree(t, good, dir)
		path := filepath.Join(dir, "tiny-bm25", "bm25.seed1", file)
		os.Remove(path)
		syscall.Mkfifo(path, 0o644)
		for _, cmd := range [][]string{{"report", "-out", dir}, {"leaderboard", "-dest", t.TempDir(), dir}} {
			stdout, stderr, _ := xlbenchWithin(t, limit, cmd...)
			if !strings.Contains(stdout+stderr, file+" is not a regular file (a FIFO)") {
				t.Errorf("%s with a FIFO for %s:\n%s%s", cmd[0], file, stdout, stderr)
			}
		}
	}

	// score-qa: a FIFO and Latin-1 for the predictions.
	preds := filepath.Join(t.TempDir(), "preds.json")
	syscall.Mkfifo(preds, 0o644)
	gold := filepath.Join(tinyData(), "tiny", "en.json")
	if _, stderr, code := xlbenchWithin(t, limit, "score-qa", "-lang", "en", gold, preds); code == 0 || !strings.Contains(stderr, "preds.json is not a regular file (a FIFO)") {
		t.Errorf("score-qa with a FIFO: code %d\n%s", code, stderr)
	}
	os.Remove(preds)
	os.WriteFile(preds, []byte(`{"q1": "M`+"\xfc"+`nchen"}`), 0o644)
	if _, stderr, code := xlbenchWithin(t, limit, "score-qa", "-lang", "en", gold, preds); code == 0 || !strings.Contains(stderr, "preds.json: invalid UTF-8 at byte 9") {
		t.Errorf("score-qa with Latin-1 predictions: code %d\n%s", code, stderr)
	}
}

// TestCheckResultsContribution: xlbench check passes a clean
// contribution, and fails one that edits a reference cell (naming both
// files), carries a model, or was made with a spec that now plans other
// cell ids — as a results repository's CI would.
func TestCheckResultsContribution(t *testing.T) {
	ref, contrib := t.TempDir(), t.TempDir()
	specDir := t.TempDir()
	spec := filepath.Join(specDir, "tiny.hcl")
	raw, _ := os.ReadFile("testdata/tiny-bm25.hcl")
	os.WriteFile(spec, raw, 0o644)
	if _, stderr, code := xlbench(t, "run", "-data", tinyData(), "-out", ref, "testdata/tiny-bm25.hcl"); code != 0 {
		t.Fatalf("run: %s", stderr)
	}
	if _, stderr, code := xlbench(t, "run", "-data", tinyData(), "-out", contrib, spec); code != 0 {
		t.Fatalf("run: %s", stderr)
	}
	check := func(args ...string) (string, int) {
		t.Helper()
		stdout, stderr, code := xlbench(t, append([]string{"check", "-data", tinyData()}, args...)...)
		return stdout + stderr, code
	}
	if out, code := check("-ref", ref, contrib); code != 0 || !strings.Contains(out, "ok: 1 results in") || !strings.Contains(out, "1 copies of one measurement counted once") {
		t.Fatalf("a clean contribution: code %d\n%s", code, out)
	}
	cell := filepath.Join(contrib, "tiny-bm25", "bm25.seed1")
	os.WriteFile(filepath.Join(cell, "model.ckpt"), []byte("weights"), 0o644)
	if out, code := check("-ref", ref, contrib); code != 1 || !strings.Contains(out, "model.ckpt: not part of a cell's results") {
		t.Errorf("a contribution with a model: code %d\n%s", code, out)
	}
	os.Remove(filepath.Join(cell, "model.ckpt"))
	editRecall(t, filepath.Join(cell, results.ResultFile))
	if out, code := check("-ref", ref, contrib); code != 1 || !strings.Contains(out, "the same cell with different content in two places") || !strings.Contains(out, filepath.Join(ref, "tiny-bm25", "bm25.seed1", "result.json")) {
		t.Errorf("a contribution editing a reference cell: code %d\n%s", code, out)
	}
	os.RemoveAll(contrib)
	if _, stderr, code := xlbench(t, "run", "-data", tinyData(), "-out", contrib, spec); code != 0 {
		t.Fatalf("run: %s", stderr)
	}
	os.WriteFile(spec, bytes.Replace(raw, []byte(`plugin = "builtin:bm25"`), []byte(`plugin = "builtin:bm25"`+"\n  params = { k1 = 1.2 }"), 1), 0o644)
	if out, code := check(contrib); code != 1 || !strings.Contains(out, "plans it as") || !strings.Contains(out, "rerun it") {
		t.Errorf("results of a spec changed since: code %d\n%s", code, out)
	}
}

// editRecall changes a result's multilingual recall@1, a metric with no
// per-query values to recompute it from: a change the reader cannot see.
func editRecall(t *testing.T, file string) {
	t.Helper()
	editJSON(t, file, func(r map[string]any) {
		r["metrics"].(map[string]any)["tiny"].(map[string]any)["multi"].(map[string]any)["recall@1"] = 0.123
	})
}
