package main

import (
	"strings"
	"testing"
)

const sample = `goos: linux
BenchmarkEvaluateXQuADR/dense-256-2         	       1	2700000000 ns/op	         2.700 s/eval	      4848 queries/s	      1843 peak-RSS-MB
BenchmarkEvaluateXQuADR/bm25-2              	       1	3300000000 ns/op	         3.300 s/eval	      3966 queries/s
BenchmarkTrain/dim128-2   	       1	 981000000 ns/op	      6522 pairs/s	         3.865 row-GB/s	    592651 row-bytes/pair
BenchmarkMemoryBandwidth-2   	       5	  16825604 ns/op	        23.93 GB/s
BenchmarkTrainStepOverhead-2      	       3	4593421769 ns/op	         3.731 %overhead	      7449 inproc-pairs/s	      7181 plugin-pairs/s
faiss 1.7.3 d=256: flatIP top100 1.04s; numpy score matrix 0.45s (194 GFLOP/s); full argsort 9.87s
torch 1.13.1 buckets=65536 dim=128 batch=64 lq=141 lp=351: 22.3 steps/s 1429 pairs/s loss=4.1
`

// TestRatios: the figures of the sample are read and their ratios printed;
// a figure the input lacks is missing, never invented.
func TestRatios(t *testing.T) {
	var b strings.Builder
	report(&b, read(strings.NewReader(sample)))
	out := b.String()
	for _, want := range []string{
		"xlbench / FAISS top-100                              2.60   goal ≤ 1.0",
		"built-in / PyTorch                                   4.56   goal ≥ 6",
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
