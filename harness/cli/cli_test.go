package cli_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xlbench/xlbench/harness/internal/testenv"
	"github.com/xlbench/xlbench/harness/metrics"
	"github.com/xlbench/xlbench/harness/report"
	"github.com/xlbench/xlbench/harness/results"
)

var bin struct{ xlbench, misbehave, temperature, lossAdaptive string }

func TestMain(m *testing.M) {
	testenv.RunWithBinaries(m, map[*string]string{
		&bin.xlbench:      "./harness/cmd/xlbench",
		&bin.misbehave:    "./harness/cli/testdata/misbehave",
		&bin.temperature:  "./plugins/examples/temperature",
		&bin.lossAdaptive: "./plugins/examples/loss-adaptive",
	})
}

// tinyData is the data directory holding the tiny LAReQA fixture.
func tinyData() string {
	return filepath.Join(testenv.ModuleRoot(), "harness", "dataset", "testdata")
}

func xlbench(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return xlbenchEnv(t, "", nil, args...)
}

// xlbenchIn runs xlbench in directory dir.
func xlbenchIn(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return xlbenchEnv(t, dir, nil, args...)
}

// xlbenchEnv runs xlbench in dir ("" for the test's) with env added.
func xlbenchEnv(t *testing.T, dir string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runXlbench(t, 0, dir, env, args...)
}

// xlbenchWithin runs xlbench and fails the test if it has not ended
// within limit (a command blocked on a FIFO would otherwise hang the
// test run).
func xlbenchWithin(t *testing.T, limit time.Duration, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runXlbench(t, limit, "", nil, args...)
}

// runXlbench runs xlbench in dir with env added and, when limit is not 0,
// fails the test if it has not ended within limit.
func runXlbench(t *testing.T, limit time.Duration, dir string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx := context.Background()
	if limit > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, limit)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, bin.xlbench, args...)
	if limit > 0 {
		cmd.WaitDelay = time.Second
	}
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("xlbench %s did not end within %s:\n%s", strings.Join(args, " "), limit, e.String())
	}
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

func TestValidateMisspeltArgument(t *testing.T) {
	_, stderr, code := xlbench(t, "validate", "testdata/misspelt.hcl")
	if code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	for _, want := range []string{
		`testdata/misspelt.hcl:13:3: error: Unsupported argument: An argument named "encoder" is not expected here. Did you mean "encoders"?`,
		`  13 |   encoder  = [encoder.bm25]`,
		`testdata/misspelt.hcl:11:16: error: Missing required argument`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

func TestValidateGood(t *testing.T) {
	stdout, stderr, code := xlbench(t, "validate", "testdata/tiny-bm25.hcl")
	if code != 0 || !strings.Contains(stdout, "experiment tiny-bm25: 1 cells") {
		t.Fatalf("code %d\n%s%s", code, stdout, stderr)
	}
}

func TestFmt(t *testing.T) {
	stdout, _, code := xlbench(t, "fmt", "-check", "testdata/unformatted.hcl", "testdata/tiny-bm25.hcl")
	if code != 1 || strings.TrimSpace(stdout) != "testdata/unformatted.hcl" {
		t.Fatalf("fmt -check: code %d, stdout %q", code, stdout)
	}
	f := filepath.Join(t.TempDir(), "x.hcl")
	src, _ := os.ReadFile("testdata/unformatted.hcl")
	os.WriteFile(f, src, 0o644)
	if _, stderr, code := xlbench(t, "fmt", f); code != 0 {
		t.Fatal(stderr)
	}
	got, _ := os.ReadFile(f)
	if want := "dataset \"tiny\" {\n  format = \"lareqa\"\n  path   = \"tiny\"\n}\n"; string(got) != want {
		t.Errorf("formatted:\n%s\nwant:\n%s", got, want)
	}
}

func TestRunWritesResultsTablesAndTREC(t *testing.T) {
	out, trec := t.TempDir(), t.TempDir()
	stdout, stderr, code := xlbench(t, "run", "-data", tinyData(), "-out", out, "-trec", trec, "-depth", "0",
		"-format", "markdown", "testdata/tiny-bm25.hcl")
	if code != 0 {
		t.Fatalf("code %d\n%s", code, stderr)
	}
	if !strings.Contains(stdout, " bm25 |") || !strings.Contains(stdout, "mono mAP") {
		t.Errorf("no markdown table:\n%s", stdout)
	}
	raw, err := os.ReadFile(filepath.Join(out, "tiny-bm25", "bm25.seed1", "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Complete bool
		Metrics  map[string]map[string]map[string]float64
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	if !res.Complete {
		t.Error("result not marked complete")
	}
	for _, s := range []string{"mono", "cross", "multi"} {
		for _, m := range []string{"map", "recall@1", "recall@10", "mrr@10", "ndcg@10"} {
			v, ok := res.Metrics["tiny"][s][m]
			if !ok || v < 0 || v > 1 {
				t.Errorf("metrics.tiny.%s.%s = %v, %v", s, m, v, ok)
			}
		}
	}
	if _, ok := res.Metrics["tiny"]["multi"]["rank_distance"]; !ok {
		t.Error("no multi rank_distance")
	}
	// Mono run: 3 questions × 2 pools × 3 candidates; qids carry the pool.
	run, err := os.ReadFile(filepath.Join(trec, "tiny-mono.trec"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(run)), "\n")
	if len(lines) != 18 || !strings.HasPrefix(lines[0], "en-en:q1 Q0 en:0-0-0 1 ") || !strings.HasSuffix(lines[0], " tiny-bm25.bm25.seed1") {
		t.Errorf("mono run: %d lines, first %q", len(lines), lines[0])
	}
	multi, _ := os.ReadFile(filepath.Join(trec, "tiny-multi.trec"))
	if !strings.HasPrefix(string(multi), "en:q1 Q0 ") {
		t.Errorf("multi run starts %.40q", multi)
	}
	// report reads the stored result back.
	stdout, stderr, code = xlbench(t, "report", "-out", out, "-format", "csv")
	if code != 0 || !strings.Contains(stdout, "tiny,tiny-bm25,bm25,,1,mono,all,map,value,") {
		t.Errorf("report: code %d\n%s%s", code, stdout, stderr)
	}
}

// misbehaveSpec writes a spec using the misbehave plugin in mode.
func misbehaveSpec(t *testing.T, mode string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "misbehave.hcl")
	src := fmt.Sprintf(`dataset "tiny" {
  format    = "lareqa"
  path      = "tiny"
  languages = ["en", "de"]
}
encoder "bad" {
  plugin = %q
  params = { mode = %q }
}
experiment "m" {
  evaluate = [dataset.tiny]
  encoders = [encoder.bad]
}
`, bin.misbehave, mode)
	if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	pin(t, f)
	return f
}

// pin runs `xlbench lock` on a spec the test wrote, so that its external
// plugins may start.
func pin(t *testing.T, spec string) {
	t.Helper()
	if stdout, stderr, code := xlbench(t, "lock", spec); code != 0 || !strings.Contains(stdout, "+ ") {
		t.Fatalf("lock %s: exit %d\n%s%s", spec, code, stdout, stderr)
	}
}

func TestCrashedPluginNamesPluginAndCell(t *testing.T) {
	out := t.TempDir()
	_, stderr, code := xlbench(t, "run", "-data", tinyData(), "-out", out, misbehaveSpec(t, "crash"))
	if code == 0 {
		t.Fatal("run with a crashing plugin succeeded")
	}
	for _, want := range []string{"1 of 1 cells failed", "cell m/bad.seed1", "plugin " + bin.misbehave, "plugin process exited",
		"[WARN]  plugin.misbehave: panic: misbehave: crashing on purpose"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "m", "bad.seed1", "result.json")); err == nil {
		t.Error("a failed cell left a result")
	}
}

func TestHungPluginTimesOut(t *testing.T) {
	_, stderr, code := xlbench(t, "run", "-data", tinyData(), "-out", t.TempDir(), "-plugin-timeout", "2s", misbehaveSpec(t, "hang"))
	if code == 0 || !strings.Contains(stderr, "no answer within 2s") || !strings.Contains(stderr, "cell m/bad.seed1") {
		t.Fatalf("code %d, stderr:\n%s", code, stderr)
	}
}

// children lists the pids whose parent is pid.
func children(pid int) []int {
	var out []int
	dirs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, d := range dirs {
		b, err := os.ReadFile(d)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so split after ')'.
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			p, _ := strconv.Atoi(strings.Fields(s)[0])
			out = append(out, p)
		}
	}
	return out
}

func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(f) > 0 && f[0] != "Z" // a zombie is dead, only unreaped
}

// TestNoOrphans kills xlbench mid-run, with a plugin busy in a call, and
// checks the plugin process dies too, and that no plugin socket stays in
// the temporary folder: removed on the way out after SIGTERM and SIGINT,
// and by the next command after SIGKILL.
func TestNoOrphans(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc")
	}
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			tmp := t.TempDir()
			cmd := exec.Command(bin.xlbench, "run", "-data", tinyData(), "-out", t.TempDir(), misbehaveSpec(t, "hang"))
			cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var plugin int
			deadline := time.Now().Add(20 * time.Second)
			for plugin == 0 && time.Now().Before(deadline) {
				// Wait until the run is inside Encode, the call that hangs.
				if strings.Contains(stderr.String(), "encoding") {
					if kids := children(cmd.Process.Pid); len(kids) > 0 {
						plugin = kids[0]
					}
				}
				time.Sleep(50 * time.Millisecond)
			}
			if plugin == 0 {
				cmd.Process.Kill()
				t.Fatalf("plugin process never seen; stderr:\n%s", stderr.String())
			}
			cmd.Process.Signal(sig)
			cmd.Wait()
			deadline = time.Now().Add(10 * time.Second)
			for alive(plugin) && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			if alive(plugin) {
				syscall.Kill(plugin, syscall.SIGKILL)
				t.Fatalf("plugin %d outlived xlbench killed with %s", plugin, sig)
			}
			if sig == syscall.SIGKILL {
				if len(socketsUnder(tmp)) == 0 {
					t.Fatal("no plugin socket under TMPDIR after SIGKILL: the plugins put theirs elsewhere")
				}
				// The next command that starts a plugin sweeps the folder
				// of the host that was killed.
				if _, stderr, code := xlbenchEnv(t, "", []string{"TMPDIR=" + tmp}, "plugins"); code != 0 {
					t.Fatalf("plugins: code %d\n%s", code, stderr)
				}
			}
			if left := socketsUnder(tmp); len(left) != 0 {
				t.Errorf("plugin sockets left after %s: %v", sig, left)
			}
			if dirs, _ := filepath.Glob(filepath.Join(tmp, "xlbench-plugins-*")); len(dirs) != 0 {
				t.Errorf("socket folders left after %s: %v", sig, dirs)
			}
		})
	}
}

// socketsUnder lists the unix sockets under dir.
func socketsUnder(dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && d.Type()&os.ModeSocket != 0 {
			out = append(out, path)
		}
		return nil
	})
	return out
}

// TestExternalSamplerPlugin runs the example sampler as its own binary,
// through the same host the harness uses.
func TestExternalSamplerPlugin(t *testing.T) {
	stdout, stderr, code := xlbench(t, "validate", writeSamplerSpec(t))
	if code != 0 {
		t.Fatalf("validate: code %d\n%s%s", code, stdout, stderr)
	}
}

func writeSamplerSpec(t *testing.T) string {
	f := filepath.Join(t.TempDir(), "s.hcl")
	os.WriteFile(f, []byte(fmt.Sprintf("sampler \"temp\" {\n  plugin = %q\n  params = { temperature = 2 }\n}\n", bin.temperature)), 0o644)
	pin(t, f)
	return f
}

// TestTrainedExperiment trains the built-in encoder out of process with two
// samplers and two seeds, evaluates it, and checks the training record and
// the tables.
func TestTrainedExperiment(t *testing.T) {
	out := t.TempDir()
	stdout, stderr, code := xlbench(t, "run", "-data", tinyData(), "-out", out, "-checkpoints", "testdata/tiny-train.hcl")
	if code != 0 {
		t.Fatalf("code %d\n%s", code, stderr)
	}
	for _, want := range []string{"training corpus: 6 groups", "de:      6 queries      6 passages", "trained 30 steps",
		"where the time went: 5 cells run now", "reader tiny-train/span: trained in ", "run: wall "} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	// The phase summary has a row for every phase a trained, reading cell
	// goes through (no stage here).
	for _, phase := range []string{"start", "load", "train", "encode", "rank", "read", "store"} {
		if !regexp.MustCompile(`(?m)^ *` + phase + `  +[0-9]+  +[0-9.]+  +[0-9]+%  +[0-9.]+ *$`).MatchString(stderr) {
			t.Errorf("phase summary lacks a %s row:\n%s", phase, stderr)
		}
	}
	// The terminal gets the answer, in 120 columns, the differences last;
	// every table is in OUT/report-<spec>.md.
	for _, want := range []string{"dual × monolingual", "dual × hybrid", "bm25 ", "difference to dual × monolingual", "All tables (per language"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	for _, l := range strings.Split(stdout, "\n") {
		if n := utf8.RuneCountInString(l); n > 120 {
			t.Errorf("a line of %d columns: %s", n, l)
		}
	}
	if i, j := strings.LastIndex(stdout, "difference to dual × monolingual"), strings.LastIndex(stdout, "mono mAP │ cross mAP"); i < j {
		t.Errorf("the differences are not the last table:\n%s", stdout)
	}
	md, err := os.ReadFile(filepath.Join(out, "report-tiny-train.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"paired randomisation tests against dual × monolingual",
		"Zero-shot languages (in no training data): none", "answers: retrieve-then-read EM and F1, has-answer@k",
		"the reader span (builtin:reader) answers from each question's top 2 candidates", "Oracle — the same reader", " dual × hybrid | ",
		// The settings say which row's spec declared its tuning, and the
		// differences flag the row that did not.
		" testdata/tune.hcl: shortest within 2% of the lowest validation loss |", " not declared |", "tuned not declared against declared"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report-tiny-train.md lacks %q:\n%s", want, md)
		}
	}
	// A result stored without the declaration (as before xlbench recorded
	// it) reads as the spec it ran from declares, saying so.
	for _, seed := range []string{"1", "2"} {
		editJSON(t, filepath.Join(out, "tiny-train", "dual.monolingual.seed"+seed, "result.json"), func(res map[string]any) {
			delete(res["sampler"].(map[string]any), "tuned_by")
		})
	}
	if stdout, stderr, code := xlbench(t, "report", "-out", out, "-format", "markdown"); code != 0 ||
		!strings.Contains(stdout, "shortest within 2% of the lowest validation loss (as testdata/tiny-train.hcl declares)") {
		t.Errorf("report of results stored without tuned_by: code %d\n%s\n%s", code, stdout, stderr)
	}
	raw, err := os.ReadFile(filepath.Join(out, "tiny-train", "dual.hybrid.seed2", "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		WallSeconds float64 `json:"wall_seconds"`
		Phases      []struct {
			Name        string
			WallSeconds float64 `json:"wall_s"`
			EncoderCPU  float64 `json:"encoder_cpu_s"`
		}
		Sampler struct {
			PluginName string `json:"plugin_name"`
		}
		Training struct {
			Steps, Pairs       int
			MonolingualBatches int `json:"monolingual_batches"`
			Loss               []float64
			MonolingualShare   float64        `json:"monolingual_share"`
			PairLanguages      map[string]int `json:"pair_languages"`
		}
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	// result.json splits the cell's wall time by phase, in order; the
	// phases cover it (the rest is bookkeeping between them).
	var names []string
	sum := 0.0
	for _, p := range res.Phases {
		names = append(names, p.Name)
		sum += p.WallSeconds
		if p.WallSeconds < 0 || p.EncoderCPU < 0 {
			t.Errorf("phase %+v", p)
		}
	}
	if !slices.Equal(names, []string{"start", "load", "train", "encode", "rank", "read", "store"}) || sum > res.WallSeconds+0.01 || sum < 0.5*res.WallSeconds {
		t.Errorf("phases %v cover %.3f s of %.3f s", res.Phases, sum, res.WallSeconds)
	}
	tr := res.Training
	if res.Sampler.PluginName != "hybrid" || tr.Steps != 30 || len(tr.Loss) != 30 || tr.Pairs != 120 {
		t.Errorf("training record: %+v", res)
	}
	pairs := 0
	for _, n := range tr.PairLanguages {
		pairs += n
	}
	if pairs != 120 || tr.MonolingualShare != float64(tr.MonolingualBatches)/30 {
		t.Errorf("batch mix: %+v", tr)
	}
	for _, f := range []string{"per-query.bin.gz", "model.ckpt"} {
		if _, err := os.Stat(filepath.Join(out, "tiny-train", "dual.hybrid.seed2", f)); err != nil {
			t.Error(err)
		}
	}
	// BM25 does not train: one cell, no sampler.
	if _, err := os.Stat(filepath.Join(out, "tiny-train", "bm25.seed1", "result.json")); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(filepath.Join(out, "tiny-train", "bm25.seed2")); err == nil {
		t.Error("bm25 was run once per seed")
	}
	t.Run("compare any two rows", func(t *testing.T) { checkCompareRows(t, out) })
}

// checkCompareRows: report -compare A,B prints A − B for any two rows —
// here a trained row against an untrained encoder, each hybrid seed
// against BM25's one cell — with the difference the stored metrics give;
// -baseline compares every row with the one named; names that are no
// row, or one row twice, are refused naming the rows there are.
func checkCompareRows(t *testing.T, out string) {
	stdout, stderr, code := xlbench(t, "report", "-out", out, "-compare", "dual.hybrid,bm25")
	if code != 0 {
		t.Fatalf("report -compare: code %d\n%s", code, stderr)
	}
	for _, want := range []string{"dual × hybrid (tiny-train) against bm25 (tiny-train)", "tiny — difference to bm25: mean over seeds", "the row minus bm25"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("report -compare lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "dual × monolingual") {
		t.Errorf("report -compare shows a third row:\n%s", stdout)
	}
	// multi mAP is a mean over queries, so its Δ is the difference of the
	// stored metrics, seed by seed, averaged.
	multi := func(cell string) float64 {
		r, err := results.Read(out, "tiny-train", cell)
		if err != nil {
			t.Fatal(err)
		}
		return r.Metrics["tiny"][results.Multi][metrics.MAP]
	}
	want := fmt.Sprintf("%+.4f", (multi("dual.hybrid.seed1")+multi("dual.hybrid.seed2"))/2-multi("bm25.seed1"))
	if !regexp.MustCompile(`dual × hybrid │ +multi mAP │ +` + regexp.QuoteMeta(want)).MatchString(stdout) {
		t.Errorf("the multi mAP Δ is not %s:\n%s", want, stdout)
	}
	stdout, stderr, code = xlbench(t, "report", "-out", out, "-baseline", "dual × hybrid")
	if code != 0 || !strings.Contains(stdout, "tiny — difference to dual × hybrid") || !regexp.MustCompile(`bm25 │ +multi mAP`).MatchString(stdout) {
		t.Errorf("report -baseline: code %d\n%s%s", code, stdout, stderr)
	}
	// -full fits the terminal's 120 columns (wide tables wrap or split);
	// Markdown has a heading per experiment, dataset and table.
	stdout, _, _ = xlbench(t, "report", "-out", out, "-full")
	for _, l := range strings.Split(stdout, "\n") {
		if n := utf8.RuneCountInString(l); n > 120 {
			t.Errorf("report -full: a line of %d columns: %s", n, l)
		}
	}
	stdout, _, _ = xlbench(t, "report", "-out", out, "-format", "markdown")
	for _, want := range []string{"## Experiment tiny-train\n", "### Training\n", "### tiny\n", "#### tiny — difference to dual × monolingual"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("report -format markdown lacks the heading %q", want)
		}
	}
	// The statistics are cached by content: a second report reads them
	// and prints the same bytes.
	cache := t.TempDir()
	env := []string{"XDG_CACHE_HOME=" + cache}
	first, _, _ := xlbenchEnv(t, "", env, "report", "-out", out, "-full")
	var entries int
	filepath.WalkDir(filepath.Join(cache, "xlbench", "stats"), func(_ string, d fs.DirEntry, _ error) error {
		if d != nil && d.Type().IsRegular() {
			entries++
		}
		return nil
	})
	if second, _, _ := xlbenchEnv(t, "", env, "report", "-out", out, "-full"); second != first || entries == 0 {
		t.Errorf("report with %d cached statistics printed other bytes the second time:\n%s\n---\n%s", entries, first, second)
	}
	// The data export: one tidy table, each cell's stored metrics and each
	// row's differences, read back as data.
	stdout, stderr, code = xlbench(t, "report", "-out", out, "-format", "csv")
	if code != 0 {
		t.Fatalf("report -format csv: code %d\n%s", code, stderr)
	}
	recs, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if err != nil || len(recs) < 2 || !slices.Equal(recs[0], report.TidyColumns) {
		t.Fatalf("the CSV export does not parse as one table: %v\n%.500s", err, stdout)
	}
	var sawValue, sawDelta bool
	for _, rec := range recs[1:] {
		f := map[string]string{}
		for i, c := range report.TidyColumns {
			f[c] = rec[i]
		}
		if f["encoder"] != "dual" || f["sampler"] != "hybrid" || f["setting"] != "multi" || f["metric"] != "map" || f["language"] != "all" {
			continue
		}
		v, _ := strconv.ParseFloat(f["value"], 64)
		switch {
		case f["statistic"] == "value" && f["seed"] == "1":
			sawValue = v == multi("dual.hybrid.seed1")
		case f["statistic"] == "delta" && f["seed"] == "":
			lo, _ := strconv.ParseFloat(f["lo"], 64)
			hi, _ := strconv.ParseFloat(f["hi"], 64)
			sawDelta = f["versus"] == "dual × monolingual" && lo <= v && v <= hi
		}
	}
	if !sawValue || !sawDelta {
		t.Errorf("the CSV export lacks the stored multi mAP (%v) or hybrid's Δ with its interval (%v):\n%.2000s", sawValue, sawDelta, stdout)
	}
	stdout, _, _ = xlbench(t, "report", "-out", out, "-format", "jsonl")
	for i, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var r report.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil || r.Dataset != "tiny" {
			t.Fatalf("jsonl line %d: %v: %s", i+1, err, line)
		}
	}
	if n := strings.Count(stdout, "\n"); n != len(recs)-1 {
		t.Errorf("%d JSON lines, %d CSV records", n, len(recs)-1)
	}
	// An extend block's baseline: every cell reused (the baseline is not in
	// a cell id), the rows compared with hybrid as the spec now asks.
	ext := filepath.Join(t.TempDir(), "vs-hybrid.hcl")
	os.WriteFile(ext, []byte("extend \"tiny-train\" {\n  baseline = sampler.hybrid\n}\n"), 0o644)
	stdout, stderr, code = xlbench(t, "run", "-data", tinyData(), "-out", t.TempDir(), "-reuse", out, "testdata/tiny-train.hcl", ext)
	if code != 0 || !strings.Contains(stdout, "tiny — difference to dual × hybrid") || strings.Contains(stdout, "difference to dual × monolingual") || !strings.Contains(stderr, "reused from") {
		t.Errorf("run with an extend block's baseline: code %d\n%s%s", code, stdout, stderr)
	}
	// report -reuse: a folder with only the hybrid cells, shown beside
	// the rest from the directory reused, as after make compare.
	split := t.TempDir()
	copyTree(t, out, split)
	for _, cell := range []string{"dual.monolingual.seed1", "dual.monolingual.seed2", "bm25.seed1"} {
		os.RemoveAll(filepath.Join(split, "tiny-train", cell))
	}
	if stdout, _, _ := xlbench(t, "report", "-out", split); !strings.Contains(stdout, "INCOMPLETE: 2 of 5 cells stored") {
		t.Errorf("report without -reuse:\n%s", stdout)
	}
	stdout, stderr, code = xlbench(t, "report", "-out", split, "-reuse", out)
	if code != 0 || strings.Contains(stdout, "INCOMPLETE") || !strings.Contains(stdout, "tiny — difference to dual × monolingual") {
		t.Errorf("report -reuse: code %d\n%s%s", code, stdout, stderr)
	}
	for args, want := range map[string]string{
		"nope,bm25":                 "no row \"nope\" in these results; rows: tiny-train/bm25, tiny-train/dual × hybrid, tiny-train/dual × monolingual",
		"dual.hybrid,dual × hybrid": "a row compared with itself",
		"bm25":                      "want two rows, A,B",
	} {
		if _, stderr, code := xlbench(t, "report", "-out", out, "-compare", args); code == 0 || !strings.Contains(stderr, want) {
			t.Errorf("report -compare %s: code %d, message lacks %q:\n%s", args, code, want, stderr)
		}
	}
}

// TestResume: a rerun skips the cells whose results are stored for the
// same cell id; a cell whose result is missing (a run killed before it
// finished) is run again and gives the same result; -force reruns all.
func TestResume(t *testing.T) {
	out := t.TempDir()
	run := func(args ...string) string {
		_, stderr, code := xlbench(t, append([]string{"run", "-data", tinyData(), "-out", out}, append(args, "testdata/tiny-train.hcl")...)...)
		if code != 0 {
			t.Fatalf("code %d\n%s", code, stderr)
		}
		return stderr
	}
	run()
	cell := filepath.Join(out, "tiny-train", "dual.hybrid.seed2", "result.json")
	first, err := os.ReadFile(cell)
	if err != nil {
		t.Fatal(err)
	}
	stderr := run()
	if n := strings.Count(stderr, "already stored; skipped"); n != 5 {
		t.Fatalf("%d of 5 cells skipped on rerun:\n%s", n, stderr)
	}
	plan, _, _ := xlbench(t, "plan", "-data", tinyData(), "testdata/tiny-train.hcl")
	var stored struct {
		CellID  string `json:"cell_id"`
		Metrics json.RawMessage
	}
	json.Unmarshal(first, &stored)
	if !strings.Contains(plan, stored.CellID+"\ttiny-train/dual.hybrid.seed2") || strings.Count(plan, "\n") != 5 {
		t.Errorf("plan does not list cell id %s:\n%s", stored.CellID, plan)
	}
	os.RemoveAll(filepath.Dir(cell))
	stderr = run()
	if n := strings.Count(stderr, "already stored; skipped"); n != 4 || !strings.Contains(stderr, "cell tiny-train/dual.hybrid.seed2 (id "+stored.CellID+")") {
		t.Fatalf("rerun after a lost cell:\n%s", stderr)
	}
	again, err := os.ReadFile(cell)
	if err != nil {
		t.Fatal(err)
	}
	var rerun struct {
		CellID  string `json:"cell_id"`
		Metrics json.RawMessage
	}
	json.Unmarshal(again, &rerun)
	if rerun.CellID != stored.CellID || !bytes.Equal(rerun.Metrics, stored.Metrics) {
		t.Errorf("rerun cell differs: id %s vs %s\n%s\n%s", rerun.CellID, stored.CellID, rerun.Metrics, stored.Metrics)
	}
	if stderr := run("-force"); strings.Contains(stderr, "skipped") {
		t.Errorf("-force skipped cells:\n%s", stderr)
	}
}

// TestVerify: a rerun agrees with its own stored results; a reference
// whose metric was edited is refused as changed after it was computed
// (its per-query values give the old one), naming cell and metric, exit 1.
func TestVerify(t *testing.T) {
	ref := t.TempDir()
	if _, stderr, code := xlbench(t, "run", "-data", tinyData(), "-out", ref, "testdata/tiny-bm25.hcl"); code != 0 {
		t.Fatalf("run: code %d\n%s", code, stderr)
	}
	stdout, stderr, code := xlbench(t, "verify", "-data", tinyData(), "-ref", ref, "testdata/tiny-bm25.hcl")
	if code != 0 || !strings.Contains(stdout, "all 1 rerun cells agree with the reference (tolerance 0.001); 0 reused, not rerun") || !strings.Contains(stdout, "bm25.seed1: ok (rerun)") {
		t.Fatalf("verify: code %d\n%s\n%s", code, stdout, stderr)
	}
	files, _ := filepath.Glob(filepath.Join(ref, "*", "*", "result.json"))
	if len(files) != 1 {
		t.Fatalf("results: %v", files)
	}
	raw, _ := os.ReadFile(files[0])
	var res map[string]any
	json.Unmarshal(raw, &res)
	multi := res["metrics"].(map[string]any)["tiny"].(map[string]any)["multi"].(map[string]any)
	multi["map"] = multi["map"].(float64) + 0.01
	raw, _ = json.Marshal(res)
	os.WriteFile(files[0], raw, 0o644)
	stdout, _, code = xlbench(t, "verify", "-data", tinyData(), "-ref", ref, "testdata/tiny-bm25.hcl")
	if code != 1 || !strings.Contains(stdout, "tiny-bm25/bm25.seed1: reference unreadable") || !strings.Contains(stdout, "metric tiny/multi/map is 0.676667, but its per-query values give 0.666667: the result was changed after it was computed") {
		t.Fatalf("verify against a changed reference: code %d\n%s", code, stdout)
	}
}

// TestParallelCells: cells run two at a time give the results of a run
// one at a time.
func TestParallelCells(t *testing.T) {
	seq, par := t.TempDir(), t.TempDir()
	for _, run := range []struct{ out, j string }{{seq, "1"}, {par, "2"}} {
		if _, stderr, code := xlbench(t, "run", "-data", tinyData(), "-out", run.out, "-j", run.j, "testdata/tiny-train.hcl"); code != 0 {
			t.Fatalf("-j %s: code %d\n%s", run.j, code, stderr)
		}
	}
	if n := sameResults(t, seq, par, false, "metrics differ between -j 1 and -j 2", nil); n != 5 {
		t.Fatalf("%d results", n)
	}
}

// TestCellIndexContract runs the plan cell by cell with `cell run -index`,
// as Slurm array tasks or Kubernetes Indexed Job pods do, and checks that
// the merged results equal those of one run; `submit -dry-run` renders the
// job array over the same indices.
func TestCellIndexContract(t *testing.T) {
	whole, split := t.TempDir(), t.TempDir()
	if _, stderr, code := xlbench(t, "run", "-data", tinyData(), "-out", whole, "testdata/tiny-train.hcl"); code != 0 {
		t.Fatalf("run: code %d\n%s", code, stderr)
	}
	for i := 0; i < 5; i++ {
		if _, stderr, code := xlbench(t, "cell", "run", "-index", strconv.Itoa(i), "-data", tinyData(), "-out", split, "testdata/tiny-train.hcl"); code != 0 {
			t.Fatalf("cell %d: code %d\n%s", i, code, stderr)
		}
	}
	if _, stderr, code := xlbench(t, "cell", "run", "-index", "5", "-data", tinyData(), "-out", split, "testdata/tiny-train.hcl"); code == 0 || !strings.Contains(stderr, "the plan has cells 0 to 4") {
		t.Errorf("index past the plan: code %d\n%s", code, stderr)
	}
	if n := sameResults(t, whole, split, true, "cell-by-cell result differs from the whole run", nil); n != 5 {
		t.Fatalf("%d results", n)
	}
	merged, _, code := xlbench(t, "report", "-out", split)
	if code != 0 || !strings.Contains(merged, "dual × hybrid") || !strings.Contains(merged, "bm25") {
		t.Errorf("report over the split results: code %d\n%s", code, merged)
	}
	script, _, code := xlbench(t, "submit", "-dry-run", "-data", tinyData(), "-out", t.TempDir(), "testdata/tiny-train.hcl")
	if code != 0 || !strings.Contains(script, "#SBATCH --array=0-4\n") || !strings.Contains(script, `cell run -index "$SLURM_ARRAY_TASK_ID"`) {
		t.Errorf("submit -dry-run: code %d\n%s", code, script)
	}
}

// TestKilledRunResumes kills a run (SIGKILL) as soon as its first cell is
// stored, reruns it, and checks that the rerun runs only the missing cells
// and that every result equals an uninterrupted run's.
func TestKilledRunResumes(t *testing.T) {
	whole, killed := t.TempDir(), t.TempDir()
	if _, stderr, code := xlbench(t, "run", "-data", tinyData(), "-out", whole, "testdata/tiny-train.hcl"); code != 0 {
		t.Fatalf("run: code %d\n%s", code, stderr)
	}
	cmd := exec.Command(bin.xlbench, "run", "-data", tinyData(), "-out", killed, "testdata/tiny-train.hcl")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stored := func() int {
		files, _ := filepath.Glob(filepath.Join(killed, "tiny-train", "*", "result.json"))
		return len(files)
	}
	deadline := time.Now().Add(60 * time.Second)
	for stored() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	before := stored()
	if before == 0 || before == 5 {
		t.Fatalf("%d of 5 cells stored when the run was killed; want some, not all", before)
	}
	_, stderr, code := xlbench(t, "run", "-data", tinyData(), "-out", killed, "testdata/tiny-train.hcl")
	if code != 0 {
		t.Fatalf("rerun: code %d\n%s", code, stderr)
	}
	if skipped := strings.Count(stderr, "already stored; skipped"); skipped != before {
		t.Errorf("rerun skipped %d cells, %d were stored:\n%s", skipped, before, stderr)
	}
	sameResults(t, whole, killed, false, "resumed result differs from the uninterrupted run", nil)
	t.Logf("killed with %d of 5 cells stored; the rerun ran the other %d", before, 5-before)
}

// sameResults compares every tiny-train result under want with the one of
// the same cell under got: the metrics, and the cell ids when ids is set.
// A difference is an error that says what differs from what; a result
// missing from got is fatal, with the text of explain (if set) appended.
// It returns the number of results compared.
func sameResults(t *testing.T, want, got string, ids bool, differs string, explain func() string) int {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(want, "tiny-train", "*", "result.json"))
	for _, f := range files {
		rel, _ := filepath.Rel(want, f)
		var a, b struct {
			CellID  string `json:"cell_id"`
			Metrics json.RawMessage
		}
		ra, _ := os.ReadFile(f)
		rb, err := os.ReadFile(filepath.Join(got, rel))
		if err != nil {
			more := ""
			if explain != nil {
				more = explain()
			}
			t.Fatalf("%s: %v\n%s", rel, err, more)
		}
		json.Unmarshal(ra, &a)
		json.Unmarshal(rb, &b)
		if (ids && a.CellID != b.CellID) || !bytes.Equal(a.Metrics, b.Metrics) {
			t.Errorf("%s: %s", rel, differs)
		}
	}
	return len(files)
}

// TestReuse: -reuse takes the stored cells whose ids match from a
// read-only directory, runs only the others (a sampler added to the
// experiment), writes only those to -out, and prints the tables over all
// of them, significance tests included (the reused cells' per-query
// records are read where they are); verify -reuse names each reused cell.
func TestReuse(t *testing.T) {
	ref := t.TempDir()
	if _, stderr, code := xlbench(t, "run", "-data", tinyData(), "-out", ref, "testdata/tiny-train.hcl"); code != 0 {
		t.Fatalf("run: code %d\n%s", code, stderr)
	}
	os.Chmod(ref, 0o555)
	defer os.Chmod(ref, 0o755)
	spec, err := os.ReadFile("testdata/tiny-train.hcl")
	if err != nil {
		t.Fatal(err)
	}
	more := strings.Replace(string(spec), "samplers   = [sampler.monolingual, sampler.hybrid]", "samplers   = [sampler.monolingual, sampler.hybrid, sampler.cross]", 1)
	more += "\nsampler \"cross\" {\n  plugin = \"builtin:cross-lingual\"\n}\n"
	extended := filepath.Join(t.TempDir(), "tiny-train.hcl")
	os.WriteFile(extended, []byte(more), 0o644)
	out := t.TempDir()
	stdout, stderr, code := xlbench(t, "run", "-data", tinyData(), "-out", out, "-reuse", ref, extended)
	if code != 0 {
		t.Fatalf("run -reuse: code %d\n%s", code, stderr)
	}
	for _, cell := range []string{"dual.monolingual.seed1", "dual.hybrid.seed2", "bm25.seed1"} {
		if !strings.Contains(stderr, "cell tiny-train/"+cell+": reused from "+ref) {
			t.Errorf("%s not reused:\n%s", cell, stderr)
		}
	}
	written, _ := filepath.Glob(filepath.Join(out, "tiny-train", "*", "result.json"))
	if len(written) != 2 || !strings.Contains(strings.Join(written, " "), "dual.cross.seed1") {
		t.Errorf("written to -out: %v; want the two new cells only", written)
	}
	for _, want := range []string{"dual × cross", "dual × hybrid", "difference to dual × monolingual"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("tables lack %q:\n%s", want, stdout)
		}
	}
	stdout, _, code = xlbench(t, "verify", "-data", tinyData(), "-ref", ref, "-reuse", ref, "testdata/tiny-train.hcl")
	if code != 0 || !strings.Contains(stdout, "tiny-train/bm25.seed1: reused from "+ref) || !strings.Contains(stdout, "all 0 rerun cells agree with the reference (tolerance 0.001); 5 reused, not rerun") {
		t.Errorf("verify -reuse: code %d\n%s", code, stdout)
	}
}

// TestReaderStored: a trained reader is stored under -out by the id of
// what decides it, and a later run that needs the same reader (here,
// cells rerun with -force) loads it instead of training, with the same
// answers.
func TestReaderStored(t *testing.T) {
	out := t.TempDir()
	if _, stderr, code := xlbench(t, "run", "-data", tinyData(), "-out", out, "testdata/tiny-train.hcl"); code != 0 {
		t.Fatalf("run: code %d\n%s", code, stderr)
	}
	first, err := os.ReadFile(filepath.Join(out, "tiny-train", "dual.hybrid.seed1", "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := filepath.Glob(filepath.Join(out, "tiny-train", ".reader-span-*", "reader.ckpt"))
	if len(stored) != 1 {
		t.Fatalf("stored readers: %v", stored)
	}
	_, stderr, code := xlbench(t, "run", "-data", tinyData(), "-out", out, "-force", "testdata/tiny-train.hcl")
	if code != 0 || !strings.Contains(stderr, "trained reader for these inputs stored in") || strings.Contains(stderr, "reader tiny-train/span: training on") {
		t.Fatalf("rerun: code %d, reader not reused:\n%s", code, stderr)
	}
	again, _ := os.ReadFile(filepath.Join(out, "tiny-train", "dual.hybrid.seed1", "result.json"))
	var a, b struct {
		Metrics map[string]map[string]map[string]float64 `json:"metrics"`
	}
	json.Unmarshal(first, &a)
	json.Unmarshal(again, &b)
	if len(a.Metrics) == 0 || !reflect.DeepEqual(a.Metrics, b.Metrics) {
		t.Errorf("metrics with the stored reader differ:\n%v\n%v", a.Metrics, b.Metrics)
	}
}
