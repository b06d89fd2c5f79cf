package pluginhost_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-hclog"

	"github.com/xlbench/xlbench/builtin"
	"github.com/xlbench/xlbench/builtin/samplers"
	"github.com/xlbench/xlbench/harness/internal/filehash"
	"github.com/xlbench/xlbench/harness/internal/testenv"
	"github.com/xlbench/xlbench/harness/pluginhost"
	"github.com/xlbench/xlbench/plugins"
	"github.com/xlbench/xlbench/plugins/sdk"
	"github.com/xlbench/xlbench/plugins/transport"
)

var xlbenchBin, temperatureBin string

func TestMain(m *testing.M) {
	testenv.RunWithBinaries(m, map[*string]string{
		&xlbenchBin:     "./harness/cmd/xlbench",
		&temperatureBin: "./plugins/examples/temperature",
	})
}

// checkTemperatureBatches checks 500 batches a temperature sampler (the Go
// or the Python example) drew from corpus() at temperature 1: ten distinct
// known groups each, monolingual, and about half in each language.
func checkTemperatureBatches(t *testing.T, batches []plugins.Batch) {
	t.Helper()
	langs := map[string]int{}
	for _, b := range batches {
		if len(b) != 10 || !b.Monolingual() {
			t.Fatalf("batch %v: want 10 monolingual pairs", b)
		}
		seen := map[uint32]bool{}
		for _, p := range b {
			if p.Group < 1000 || p.Group >= 1300 || seen[p.Group] {
				t.Fatalf("bad or repeated group %d", p.Group)
			}
			seen[p.Group] = true
		}
		langs[b[0].QueryLang]++
	}
	// Only de and es offer both sides; equal data, so about half each.
	if len(langs) != 2 || langs["de"] < 200 || langs["es"] < 200 {
		t.Errorf("languages %v", langs)
	}
}

func corpus() plugins.CorpusSummary {
	var c plugins.CorpusSummary
	for i := 0; i < 300; i++ {
		c.Groups = append(c.Groups, plugins.Group{ID: uint32(1000 + i),
			QueryLangs: []string{"ar", "de", "es"}, PassageLangs: []string{"de", "es"}})
	}
	return c
}

// TestExternalExampleSampler runs plugins/examples/temperature as its own
// process and checks the batches it returns.
func TestExternalExampleSampler(t *testing.T) {
	h := pluginhost.New(xlbenchBin, builtin.Kinds(), nil)
	defer h.Close()
	s, _, stop, err := h.StartSampler(temperatureBin, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	ctx := context.Background()
	info, err := s.Describe(ctx)
	if err != nil || info.Name != "temperature" {
		t.Fatalf("Describe = %+v, %v", info, err)
	}
	cfg := plugins.SamplerConfig{Corpus: corpus(), BatchSize: 10, Seed: 3, Params: plugins.Params{"temperature": 1.0}}
	if err := s.Start(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	batches, err := s.Next(ctx, plugins.NextRequest{Count: 500})
	if err != nil {
		t.Fatal(err)
	}
	checkTemperatureBatches(t, batches)
	// A second process with the same configuration returns the same
	// batches: determinism holds across processes.
	s2, _, stop2, err := h.StartSampler(temperatureBin, "second")
	if err != nil {
		t.Fatal(err)
	}
	defer stop2()
	if err := s2.Start(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	again, err := s2.Next(ctx, plugins.NextRequest{Count: 500})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(batches, again); diff != "" {
		t.Errorf("same seed, different batches:\n%.1000s", diff)
	}
}

// TestBuiltinThroughReexec serves builtin:hybrid from the xlbench binary and
// checks it returns what the in-process sampler does.
func TestBuiltinThroughReexec(t *testing.T) {
	h := pluginhost.New(xlbenchBin, builtin.Kinds(), nil)
	defer h.Close()
	s, _, stop, err := h.StartSampler("builtin:hybrid", "test")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	ctx := context.Background()
	cfg := plugins.SamplerConfig{Corpus: corpus(), BatchSize: 16, Seed: 11, Params: plugins.Params{"alpha": 0.5}}
	if err := s.Start(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	got, err := s.Next(ctx, plugins.NextRequest{Count: 200})
	if err != nil {
		t.Fatal(err)
	}
	local := sdk.NewSampler(samplers.Hybrid())
	local.Start(ctx, cfg)
	want, _ := local.Next(ctx, plugins.NextRequest{Count: 200})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-in-process +plugin):\n%.1000s", diff)
	}
}

func TestResolveErrors(t *testing.T) {
	h := pluginhost.New(xlbenchBin, builtin.Kinds(), nil)
	defer h.Close()
	if _, err := h.Resolve("builtin:nope"); err == nil || !strings.Contains(err.Error(), "builtin:bm25") {
		t.Errorf("unknown built-in: %v", err)
	}
	if _, err := h.Resolve("/no/such/plugin"); err == nil {
		t.Error("missing binary accepted")
	}
	if _, _, err := h.StartEncoder("builtin:hybrid", "test"); err == nil || !strings.Contains(err.Error(), "is a sampler plugin, not an encoder") {
		t.Errorf("kind mismatch: %v", err)
	}
}

// TestBuiltinReader trains builtin:reader in its own process on a few
// examples and reads with it: the reader path of the plugin host.
func TestBuiltinReader(t *testing.T) {
	h := pluginhost.New(xlbenchBin, builtin.Kinds(), nil)
	defer h.Close()
	r, stop, err := h.StartReader("builtin:reader", "test")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	ctx := context.Background()
	if _, err := r.Configure(ctx, plugins.ReaderConfig{Seed: 1, Params: plugins.Params{"buckets": 1024.0, "epochs": 2.0, "batch_size": 4.0}}); err != nil {
		t.Fatal(err)
	}
	if info, err := r.Describe(ctx); err != nil || !info.Trainable {
		t.Fatalf("Describe = %+v, %v: the reader trains", info, err)
	}
	var examples []plugins.ReadingExample
	for i := 0; i < 16; i++ {
		p := fmt.Sprintf("Die Brücke wurde %d eröffnet.", 1900+i)
		examples = append(examples, plugins.ReadingExample{Lang: "de", Question: "Wann wurde die Brücke eröffnet?", Passage: p, AnswerStart: 17, Answer: fmt.Sprint(1900 + i)})
	}
	res, err := r.Train(ctx, plugins.TrainReaderRequest{Examples: examples})
	if err != nil || len(res.Loss) != 8 {
		t.Fatalf("Train = %d losses, %v; want 8 steps (16 examples, batch 4, 2 epochs)", len(res.Loss), err)
	}
	answers, err := r.Read(ctx, plugins.ReadRequest{Queries: []plugins.ReadQuery{{Question: "Wann?", Lang: "de",
		Candidates: []plugins.ReadCandidate{{Text: "", Lang: "de"}, {Text: "Sie wurde 1950 eröffnet.", Lang: "de"}}}}})
	if err != nil || len(answers) != 1 || answers[0].Candidate != 1 || answers[0].Text == "" {
		t.Fatalf("Read = %+v, %v", answers, err)
	}
	if _, _, err := h.StartReader("builtin:bm25", "test"); err == nil || !strings.Contains(err.Error(), "not a reader") {
		t.Errorf("an encoder started as a reader: %v", err)
	}
}

// TestPythonExampleSampler runs plugins/examples/python-sampler through the
// host: the Python SDK's handshake, Describe, parameter checking, batches
// and determinism across processes.
func TestPythonExampleSampler(t *testing.T) {
	testenv.PythonModules(t, "grpc", "google.protobuf")
	script := filepath.Join(testenv.ModuleRoot(), "plugins", "examples", "python-sampler", "temperature.py")
	h := pluginhost.New(xlbenchBin, builtin.Kinds(), nil)
	defer h.Close()
	ctx := context.Background()
	run := func(label string, cfg plugins.SamplerConfig) ([]plugins.Batch, error) {
		s, _, stop, err := h.StartSampler(script, label)
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		info, err := s.Describe(ctx)
		if err != nil || info.Name != "temperature-py" || len(info.Params) != 1 || info.Params[0].Default != 1.0 {
			t.Fatalf("Describe = %+v, %v", info, err)
		}
		if err := s.Start(ctx, cfg); err != nil {
			return nil, err
		}
		return s.Next(ctx, plugins.NextRequest{Count: 500})
	}
	cfg := plugins.SamplerConfig{Corpus: corpus(), BatchSize: 10, Seed: 3, Params: plugins.Params{"temperature": 1.0}}
	batches, err := run("first", cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkTemperatureBatches(t, batches)
	again, err := run("second", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(batches, again); diff != "" {
		t.Errorf("same seed, different batches:\n%.1000s", diff)
	}
	// The SDK checks parameters as the Go SDK does, with the same message.
	cfg.Params = plugins.Params{"temprature": 2.0}
	_, err = run("bad params", cfg)
	if err == nil || !strings.Contains(err.Error(), `parameter "temprature": unknown parameter; did you mean "temperature"?`) {
		t.Errorf("misspelt parameter: %v", err)
	}
}

// TestPythonEncoderPairLosses trains the PyTorch example encoder through the
// host: each step reports its pairs' losses (for an observing sampler's
// feedback), whose mean is the step's loss.
func TestPythonEncoderPairLosses(t *testing.T) {
	testenv.PythonModules(t, "grpc", "google.protobuf", "torch")
	script := filepath.Join(testenv.ModuleRoot(), "plugins", "examples", "pytorch-encoder", "encoder.py")
	h := pluginhost.New(xlbenchBin, builtin.Kinds(), nil)
	defer h.Close()
	e, stop, err := h.StartEncoder(script, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	ctx := context.Background()
	if _, err := e.Configure(ctx, plugins.EncoderConfig{Seed: 1, Params: plugins.Params{"dim": 8.0, "buckets": 1024.0, "device": "cpu"}}); err != nil {
		t.Fatal(err)
	}
	var groups []plugins.CorpusGroup
	for i := range 16 {
		groups = append(groups, plugins.CorpusGroup{ID: uint32(i), Texts: []plugins.Text{
			{Lang: "en", Role: plugins.RoleQuery, Text: fmt.Sprintf("what is thing%d", i)},
			{Lang: "en", Role: plugins.RolePassage, Text: fmt.Sprintf("thing%d is number %d", i, i)},
		}})
	}
	if err := e.LoadCorpus(ctx, plugins.LoadCorpusRequest{Groups: groups}); err != nil {
		t.Fatal(err)
	}
	var bs []plugins.Batch
	for s := range 5 {
		var b plugins.Batch
		for i := range 4 {
			b = append(b, plugins.Pair{Group: uint32((4*s + i) % 16), QueryLang: "en", PassageLang: "en"})
		}
		bs = append(bs, b)
	}
	steps, err := transport.TrainSteps(ctx, e, bs)
	if err != nil || len(steps) != 5 {
		t.Fatalf("%d steps, %v", len(steps), err)
	}
	for i, st := range steps {
		if len(st.PairLoss) != 4 {
			t.Fatalf("step %d: %d pair losses", i, len(st.PairLoss))
		}
		mean := 0.0
		for _, p := range st.PairLoss {
			mean += p / 4
		}
		if d := mean - st.Loss; d > 1e-5 || d < -1e-5 {
			t.Errorf("step %d: mean pair loss %v, loss %v", i, mean, st.Loss)
		}
	}
}

// TestDeadBeforeHandshakeQuotesStderr: a plugin that exits before its
// handshake (a Python plugin that cannot import its SDK) fails to start
// with one error that quotes the last lines it printed: the cause.
func TestDeadBeforeHandshakeQuotesStderr(t *testing.T) {
	script := filepath.Join(t.TempDir(), "broken.py")
	body := "#!/bin/sh\necho 'Traceback (most recent call last):' >&2\necho \"ModuleNotFoundError: No module named 'xlbench'\" >&2\nexit 1\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	h := pluginhost.New(xlbenchBin, builtin.Kinds(), nil)
	defer h.Close()
	_, _, _, err := h.StartSampler(script, "cell x")
	if err == nil {
		t.Fatal("a plugin that exits before its handshake started")
	}
	msg := err.Error()
	if !strings.Contains(msg, "plugin "+script+", cell x: start") || !strings.Contains(msg, "start: no handshake; the plugin process printed, last:") ||
		!strings.Contains(msg, "ModuleNotFoundError: No module named 'xlbench'") {
		t.Errorf("error does not quote the cause:\n%s", msg)
	}
}

// swapTarget writes, beside a copy of the temperature example, the file
// an attacker would put in its place: a script that leaves a marker.
func swapTarget(t *testing.T) (plugin, impostor, marker string) {
	t.Helper()
	dir := t.TempDir()
	plugin = filepath.Join(dir, "sampler")
	b, err := os.ReadFile(temperatureBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(plugin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	marker = filepath.Join(dir, "impostor-ran")
	impostor = filepath.Join(dir, "impostor")
	if err := os.WriteFile(impostor, []byte("#!/bin/sh\ntouch "+marker+"\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return plugin, impostor, marker
}

// TestSwapAfterHashRunsTheHashedFile replaces a pinned plugin's file
// between the host's hash and the process's start: the process that runs
// is the file that was hashed, not the replacement.
func TestSwapAfterHashRunsTheHashedFile(t *testing.T) {
	plugin, impostor, marker := swapTarget(t)
	sum, err := filehash.SHA256(plugin)
	if err != nil {
		t.Fatal(err)
	}
	h := pluginhost.New(xlbenchBin, builtin.Kinds(), nil)
	defer h.Close()
	h.Pin(plugin, sum)
	swapped := false
	pluginhost.SetAfterHash(func(path string) {
		if path == plugin && !swapped {
			swapped = true
			if err := os.Rename(impostor, plugin); err != nil {
				t.Error(err)
			}
		}
	})
	defer pluginhost.SetAfterHash(nil)
	s, _, stop, err := h.StartSampler(plugin, "cell x")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if !swapped {
		t.Fatal("the hook did not run: the plugin was not started through its hashed file")
	}
	info, err := s.Describe(context.Background())
	if err != nil || info.Name != "temperature" {
		t.Fatalf("Describe = %+v, %v; want the hashed temperature sampler", info, err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the replacement ran")
	}
}

// TestSwapBeforeStartIsRefused replaces a pinned plugin's file before the
// host opens it: the start fails, naming both hashes, and nothing runs.
func TestSwapBeforeStartIsRefused(t *testing.T) {
	plugin, impostor, marker := swapTarget(t)
	sum, err := filehash.SHA256(plugin)
	if err != nil {
		t.Fatal(err)
	}
	h := pluginhost.New(xlbenchBin, builtin.Kinds(), nil)
	defer h.Close()
	h.Pin(plugin, sum)
	if err := os.Rename(impostor, plugin); err != nil {
		t.Fatal(err)
	}
	now, _ := filehash.SHA256(plugin)
	_, _, _, err = h.StartSampler(plugin, "cell x")
	if err == nil {
		t.Fatal("a plugin that differs from its pin started")
	}
	msg := err.Error()
	for _, want := range []string{"plugin " + plugin + ", cell x: start: the executable changed after it was pinned", now, sum, "xlbench lock"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the replacement ran")
	}
}

// TestUnpinnedPluginIsPinnedByItsFirstStart: within one host, a plugin
// started without a pin keeps the file of its first start.
func TestUnpinnedPluginIsPinnedByItsFirstStart(t *testing.T) {
	plugin, impostor, marker := swapTarget(t)
	h := pluginhost.New(xlbenchBin, builtin.Kinds(), nil)
	defer h.Close()
	_, _, stop, err := h.StartSampler(plugin, "first")
	if err != nil {
		t.Fatal(err)
	}
	stop()
	if err := os.Rename(impostor, plugin); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := h.StartSampler(plugin, "second"); err == nil || !strings.Contains(err.Error(), "changed after it was pinned") {
		t.Fatalf("second start after a swap: %v", err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the replacement ran")
	}
}

// TestPluginLogsAreCapped: a plugin that floods stderr (20,000 lines, one
// of them 1 MB long, no end of line at the end) has at most maxLogLines
// lines logged, each cut to a bounded width, and a note of how many were
// dropped; the run's output stays small.
func TestPluginLogsAreCapped(t *testing.T) {
	script := filepath.Join(t.TempDir(), "flood")
	body := "#!/bin/sh\n" +
		"head -c 1000000 /dev/zero | tr '\\0' x >&2; echo >&2\n" +
		"i=0; while [ $i -lt 20000 ]; do echo \"line $i\"; i=$((i+1)); done >&2\n" +
		"head -c 1000000 /dev/zero | tr '\\0' y >&2\nexit 1\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	logger := hclog.New(&hclog.LoggerOptions{Output: &out, Level: hclog.Warn})
	h := pluginhost.New(xlbenchBin, builtin.Kinds(), logger)
	defer h.Close()
	_, _, _, err := h.StartSampler(script, "cell x")
	if err == nil {
		t.Fatal("the flooding script started")
	}
	logged := out.String()
	lines := strings.Count(logged, "\n")
	if lines > 5003 || out.Len() > 5003*2200 {
		t.Errorf("%d lines, %d bytes logged", lines, out.Len())
	}
	for _, want := range []string{"has logged 5000 lines; its further lines are dropped", "log lines dropped after the first 5000", "cut)"} {
		if !strings.Contains(logged, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	if len(err.Error()) > 8*400 {
		t.Errorf("the start error quotes %d bytes", len(err.Error()))
	}
}

// TestNoSocketsLeftBehind: plugins create their unix sockets in the
// host's own folder, and Close removes it, also the socket of a plugin
// that was SIGKILLed and could not remove its own.
func TestNoSocketsLeftBehind(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	h := pluginhost.New(xlbenchBin, builtin.Kinds(), nil)
	for _, ref := range []string{temperatureBin, plugins.BuiltinPrefix + "hybrid"} {
		inst, err := h.Start(ref, plugins.KindSampler, "cell x")
		if err != nil {
			t.Fatal(err)
		}
		inst.KillHard()
	}
	var sockets []string
	filepath.WalkDir(tmp, func(path string, d os.DirEntry, err error) error {
		if err == nil && d.Type()&os.ModeSocket != 0 {
			sockets = append(sockets, path)
		}
		return nil
	})
	if len(sockets) == 0 {
		t.Fatal("no socket under TMPDIR while the host is open: the plugins put theirs elsewhere")
	}
	h.Close()
	left, _ := os.ReadDir(tmp)
	if len(left) != 0 {
		t.Errorf("left in TMPDIR after Close: %v", left)
	}
}
