package main

import (
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const sample = `goos: linux
BenchmarkEvaluateXQuADR/dense-256-2         	       1	2700000000 ns/op	         2.700 s/eval	      4848 queries/s	      1843 peak-RSS-MB
BenchmarkEvaluateXQuADR/bm25-2              	       1	3300000000 ns/op	         3.300 s/eval	      3966 queries/s
BenchmarkInnerProducts-2   	       3	 43000000 ns/op	       185.0 GFLOP/s
BenchmarkTrain/dim128-2   	       1	 981000000 ns/op	      6522 pairs/s	       124.3 q-features	       290.1 p-features	         3.865 row-GB/s	    592651 row-bytes/pair
BenchmarkTrain/dim128-bags64x256-2   	       1	 881000000 ns/op	      7000 pairs/s	        64.0 q-features	       255.8 p-features	         3.865 row-GB/s	    592651 row-bytes/pair
BenchmarkMemoryBandwidth-2   	       5	  16825604 ns/op	        23.93 GB/s
BenchmarkTrainStepOverhead-2      	       3	4593421769 ns/op	         3.731 %overhead	      7449 inproc-pairs/s	      7181 plugin-pairs/s
faiss 1.7.3 d=256: flatIP top100 1.04s; numpy score matrix 0.45s (194 GFLOP/s); full argsort 9.87s
torch 1.13.1 buckets=65536 dim=128 batch=64 lq=124 lp=290: 22.3 steps/s 1429 pairs/s loss=4.1
torch 1.13.1 buckets=65536 dim=128 batch=64 lq=64 lp=256: 25.0 steps/s 1600 pairs/s loss=4.1
`

// TestRatios: the figures of the sample are read and their ratios printed;
// a figure the input lacks is missing, never invented.
func TestRatios(t *testing.T) {
	var b strings.Builder
	report(&b, read(strings.NewReader(sample)))
	out := b.String()
	for _, want := range []string{
		"xlbench / FAISS top-100                              2.60   goal ≤ 0.5",
		"peak FLOP rate measured (max of the two)          194.000 GFLOP/s",
		"floor: the 13,090 × 13,014 × 256 score matrix at it        0.450 s",
		"built-in / PyTorch, 124x290                          4.56   goal ≥ 10",
		"built-in / PyTorch, 64x256                           4.38   goal ≥ 10",
		"built-in trainer, 64x256 (measured 64 / 256)",
		"Go plugin (goal ≤ 2 %)                              3.731 %",
		"peak RSS of the evaluation benchmark             1843.000 MB",
		"Python plugin                                     missing",
		"share of the bandwidth the trainer uses              0.16",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestGoalsAreRegressions: a run that misses a goal held as a regression,
// or lacks its figures, is reported missed (benchratio then exits 1); one
// that meets them is not.
func TestGoalsAreRegressions(t *testing.T) {
	missed := report(io.Discard, read(strings.NewReader(sample)))
	want := []string{
		"evaluation: xlbench / FAISS top-100 2.60, goal ≤ 0.5",
		"training: built-in / PyTorch, 124x290 4.56, goal ≥ 10",
		"training: built-in / PyTorch, 64x256 4.38, goal ≥ 10",
	}
	if diff := cmp.Diff(want, missed); diff != "" {
		t.Errorf("missed (-want +got):\n%s", diff)
	}
	fast := strings.NewReplacer("2700000000 ns/op	         2.700 s/eval", "450000000 ns/op	         0.450 s/eval",
		"6522 pairs/s", "16522 pairs/s", "7000 pairs/s", "17000 pairs/s").Replace(sample)
	if missed := report(io.Discard, read(strings.NewReader(fast))); len(missed) != 0 {
		t.Errorf("goals met, but reported missed: %q", missed)
	}
	if missed := report(io.Discard, read(strings.NewReader("goos: linux\n"))); len(missed) != 3 {
		t.Errorf("nothing measured: %d goals missed, want 3: %q", len(missed), missed)
	}
}
