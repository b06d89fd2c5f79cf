package pluginhost_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xlbench/xlbench/builtin"
	"github.com/xlbench/xlbench/builtin/dualenc"
	"github.com/xlbench/xlbench/harness/internal/testenv"
	"github.com/xlbench/xlbench/harness/pluginhost"
	"github.com/xlbench/xlbench/plugins"
	"github.com/xlbench/xlbench/plugins/transport"
)

// BenchmarkTrainStepOverhead trains the built-in encoder on the same batches
// in process and through its plugin process, and reports the plugin's
// share of training time: overhead = plugin time / in-process time − 1. In
// process every step is a call; to the plugin, chunks of steps go over one
// pipelined stream, as in training.
//
// On a shared machine a run's time moves by several percent from one
// second to the next, more than the overhead it measures. So both encoders
// live side by side and take turns on 100-step windows of the same
// batches, the side that goes first alternating (a drift in the machine's
// load falls on both), and the overhead is the median of the windows'
// ratios (a disturbed window is an outlier, not a shift). Both first train
// one untimed pass: a fresh process also pays for growing its heap (page
// faults), which says nothing about the protocol and would be charged to
// the plugin alone, since the benchmark's own process is warm.
func BenchmarkTrainStepOverhead(b *testing.B) {
	const groups, batchSize, steps, window = 2048, 64, 301, 100
	corpus, batches := syntheticTraining(groups, batchSize, steps)
	cfg := plugins.EncoderConfig{Seed: 1, Params: plugins.Params{"dim": 128.0, "buckets": 65536.0}}
	h := pluginhost.New(xlbenchBin, builtin.Kinds(), nil)
	defer h.Close()
	remote, stop, err := h.StartEncoder("builtin:gorgonia", "bench")
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	local := plugins.Encoder(dualenc.New())
	for _, e := range []plugins.Encoder{local, remote} {
		prepareTraining(b, e, cfg, corpus, batches[0])
		timeSteps(b, e, batches[1:], 33)
	}
	var ratios []float64
	var localTime, remoteTime time.Duration
	for i := 0; i < b.N; i++ {
		for lo := 1; lo < steps; lo += window {
			ws := batches[lo:min(lo+window, steps)]
			var l, r time.Duration
			if len(ratios)%2 == 0 {
				l, r = timeSteps(b, local, ws, 33), timeSteps(b, remote, ws, 33)
			} else {
				r, l = timeSteps(b, remote, ws, 33), timeSteps(b, local, ws, 33)
			}
			ratios = append(ratios, r.Seconds()/l.Seconds())
			localTime, remoteTime = localTime+l, remoteTime+r
		}
	}
	pairs := float64(b.N * (steps - 1) * batchSize)
	b.ReportMetric(100*(median(ratios)-1), "%overhead")
	b.ReportMetric(100*(slices.Max(ratios)-slices.Min(ratios)), "%ratio-range")
	b.ReportMetric(pairs/remoteTime.Seconds(), "plugin-pairs/s")
	b.ReportMetric(pairs/localTime.Seconds(), "inproc-pairs/s")
}

// BenchmarkPyTorchEncoderPlugin trains the PyTorch example encoder on the
// same batches through its plugin process and in process in Python
// (bench_inprocess.py), and reports the Python plugin's overhead, its
// pairs/s, and its speed against the built-in trainer with the same model
// shape in this process.
func BenchmarkPyTorchEncoderPlugin(b *testing.B) {
	python := testenv.PythonModules(b, "grpc", "google.protobuf", "torch")
	const groups, batchSize, steps = 1024, 64, 60
	corpus, batches := syntheticTraining(groups, batchSize, steps)
	// The same corpus and batches for bench_inprocess.py.
	wireCorpus, wireBatches := asJSON(corpus, batches)
	params := plugins.Params{"dim": 128.0, "buckets": 65536.0, "device": "cpu"}
	train := func(e plugins.Encoder) time.Duration {
		return timeTraining(b, e, plugins.EncoderConfig{Seed: 1, Params: params}, corpus, batches, 64)
	}
	file := filepath.Join(b.TempDir(), "bench.json")
	raw, _ := json.Marshal(map[string]any{"params": params, "seed": 1, "corpus": wireCorpus, "batches": wireBatches})
	if err := os.WriteFile(file, raw, 0o644); err != nil {
		b.Fatal(err)
	}
	script := filepath.Join(testenv.ModuleRoot(), "plugins", "examples", "pytorch-encoder")
	h := pluginhost.New(xlbenchBin, builtin.Kinds(), nil)
	defer h.Close()
	pairs := float64((steps - 1) * batchSize)
	var plugin, inproc, builtinRate float64
	var ratios []float64
	for i := 0; i < b.N; i++ {
		enc, stop, err := h.StartEncoder(filepath.Join(script, "encoder.py"), "bench")
		if err != nil {
			b.Fatal(err)
		}
		train(enc)
		pluginRate := pairs / train(enc).Seconds()
		plugin = max(plugin, pluginRate)
		stop()
		cmd := exec.Command(python, filepath.Join(script, "bench_inprocess.py"), file)
		cmd.Env = append(os.Environ(), "PYTHONPATH="+filepath.Join(testenv.ModuleRoot(), "plugins", "python"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("%v\n%s", err, out)
		}
		rate, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
		if err != nil {
			b.Fatalf("bench_inprocess.py printed %q", out)
		}
		inproc = max(inproc, rate)
		ratios = append(ratios, rate/pluginRate)
		delete(params, "device")
		builtinRate = max(builtinRate, pairs/train(dualenc.New()).Seconds())
		params["device"] = "cpu"
	}
	// Each round's plugin and in-process runs follow one another; the
	// median of the rounds' ratios is least moved by a disturbed run.
	b.ReportMetric(100*(median(ratios)-1), "%overhead")
	b.ReportMetric(plugin, "plugin-pairs/s")
	b.ReportMetric(inproc, "inproc-pairs/s")
	b.ReportMetric(builtinRate/plugin, "builtin/plugin")
}

// asJSON is a corpus and its batches as an in-process Python baseline
// reads them: [id, [[lang, role, text], ...]] a group, [group, query
// language, passage language] a pair.
func asJSON(corpus []plugins.CorpusGroup, batches []plugins.Batch) (wireCorpus []any, wireBatches [][][]any) {
	for _, g := range corpus {
		var texts [][]string
		for _, t := range g.Texts {
			texts = append(texts, []string{t.Lang, t.Role.String(), t.Text})
		}
		wireCorpus = append(wireCorpus, []any{g.ID, texts})
	}
	wireBatches = make([][][]any, len(batches))
	for s, bt := range batches {
		for _, p := range bt {
			wireBatches[s] = append(wireBatches[s], []any{p.Group, p.QueryLang, p.PassageLang})
		}
	}
	return wireCorpus, wireBatches
}

// median is the median of xs (not empty), which it sorts.
func median(xs []float64) float64 {
	slices.Sort(xs)
	return (xs[(len(xs)-1)/2] + xs[len(xs)/2]) / 2
}

// syntheticTraining is a corpus of groups pairs of a 10-word query and a
// 25-word passage over a 30,000-word vocabulary (the lengths of SQuAD
// questions and answer sentences), and steps batches of batchSize pairs
// cycling through it.
func syntheticTraining(groups, batchSize, steps int) ([]plugins.CorpusGroup, []plugins.Batch) {
	rng := rand.New(rand.NewPCG(1, 1))
	words := func(k int) string {
		w := make([]string, k)
		for i := range w {
			w[i] = fmt.Sprintf("w%05dx", rng.IntN(30000))
		}
		return strings.Join(w, " ")
	}
	corpus := make([]plugins.CorpusGroup, groups)
	for i := range corpus {
		q, p := words(10), words(25)
		corpus[i] = plugins.CorpusGroup{ID: uint32(i), Texts: []plugins.Text{
			{Lang: "en", Role: plugins.RoleQuery, Text: q}, {Lang: "en", Role: plugins.RolePassage, Text: p}}}
	}
	batches := make([]plugins.Batch, steps)
	for s := range batches {
		for i := 0; i < batchSize; i++ {
			batches[s] = append(batches[s], plugins.Pair{Group: uint32((s*batchSize + i) % groups), QueryLang: "en", PassageLang: "en"})
		}
	}
	return corpus, batches
}

// timeTraining configures e, loads the corpus, takes the first batch's
// step untimed (graph construction, first allocations) and times the
// others, in chunks of chunk steps pipelined to a plugin process over one
// stream, as the training driver sends them.
func timeTraining(b *testing.B, e plugins.Encoder, cfg plugins.EncoderConfig, corpus []plugins.CorpusGroup, batches []plugins.Batch, chunk int) time.Duration {
	b.Helper()
	prepareTraining(b, e, cfg, corpus, batches[0])
	return timeSteps(b, e, batches[1:], chunk)
}

// prepareTraining configures e, loads the corpus and takes one step.
func prepareTraining(b *testing.B, e plugins.Encoder, cfg plugins.EncoderConfig, corpus []plugins.CorpusGroup, first plugins.Batch) {
	b.Helper()
	ctx := context.Background()
	if _, err := e.Configure(ctx, cfg); err != nil {
		b.Fatal(err)
	}
	if err := e.LoadCorpus(ctx, plugins.LoadCorpusRequest{Groups: corpus}); err != nil {
		b.Fatal(err)
	}
	if _, err := e.TrainStep(ctx, plugins.TrainStepRequest{Batch: first}); err != nil {
		b.Fatal(err)
	}
}

// timeSteps times training steps on batches, in chunks of chunk steps.
func timeSteps(b *testing.B, e plugins.Encoder, batches []plugins.Batch, chunk int) time.Duration {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	for lo := 0; lo < len(batches); lo += chunk {
		if _, err := transport.TrainSteps(ctx, e, batches[lo:min(lo+chunk, len(batches))]); err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start)
}
