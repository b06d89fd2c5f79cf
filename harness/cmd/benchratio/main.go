// Command benchratio reads the output of `make bench-anchors` — the Go
// benchmarks of evaluation, training and plugin overhead, then the FAISS
// and PyTorch anchor scripts of ../shared/anchors — and prints each figure
// beside its anchor, as ratios measured in one run, with the goals. The
// goals held as regressions (evaluation against FAISS, the trainer against
// PyTorch) fail the command, and make bench-anchors with it, when missed
// or missing.
//
//	go test -bench ... | tee out; python3 faiss_flat.py >> out; ...
//	go run ./harness/cmd/benchratio < out
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// figures are the numbers benchratio reads, by name.
type figures map[string]float64

var (
	// "BenchmarkEvaluateXQuADR/dense-256-2  1  2700000000 ns/op  2.70 s/eval ..."
	benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+\d+ ns/op((?:\s+[-\d.e+]+ \S+)+)`)
	metric    = regexp.MustCompile(`([-\d.e+]+) (\S+)`)
	numpyRate = regexp.MustCompile(`numpy score matrix [\d.]+s \(([\d.]+) GFLOP/s\)`)
	faissLine = regexp.MustCompile(`^faiss \S+ d=(\d+): flatIP top(\d+) ([\d.]+)s; numpy score matrix ([\d.]+)s`)
	torchLine = regexp.MustCompile(`^torch \S+ buckets=(\d+) dim=(\d+) batch=(\d+) lq=(\d+) lp=(\d+): ([\d.]+) steps/s (\d+) pairs/s`)
)

func read(r io.Reader) figures {
	f := figures{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if m := benchLine.FindStringSubmatch(line); m != nil {
			for _, mm := range metric.FindAllStringSubmatch(m[2], -1) {
				if v, err := strconv.ParseFloat(mm[1], 64); err == nil {
					f[m[1]+" "+mm[2]] = v
				}
			}
		}
		if m := faissLine.FindStringSubmatch(line); m != nil {
			f["faiss-d"+m[1]+" top"], _ = strconv.ParseFloat(m[3], 64)
			f["faiss-d"+m[1]+" matrix"], _ = strconv.ParseFloat(m[4], 64)
			if g := numpyRate.FindStringSubmatch(line); g != nil {
				f["faiss-d"+m[1]+" matrix GFLOP/s"], _ = strconv.ParseFloat(g[1], 64)
			}
		}
		if m := torchLine.FindStringSubmatch(line); m != nil {
			f["torch-dim"+m[2]+"-bags"+m[4]+"x"+m[5]+" pairs/s"], _ = strconv.ParseFloat(m[7], 64)
		}
	}
	return f
}

// Goals held as regressions: measured in one run, on one machine.
const (
	// evaluationGoal bounds xlbench's evaluation time over FAISS's top-100
	// search alone.
	evaluationGoal = 0.5
	// trainerGoal bounds the built-in trainer's pairs/s over PyTorch's, for
	// each bag shape.
	trainerGoal = 10.0
)

// report writes the figures and their ratios, and returns the regressions
// goals missed (or not measured); a figure the input lacks is reported
// missing, not guessed.
func report(w io.Writer, f figures) (missed []string) {
	get := func(k string) (float64, bool) { v, ok := f[k]; return v, ok }
	line := func(what string, v float64, ok bool, unit string) {
		if ok {
			fmt.Fprintf(w, "  %-44s %12.3f %s\n", what, v, unit)
		} else {
			fmt.Fprintf(w, "  %-44s %12s\n", what, "missing")
		}
	}
	ratio := func(what string, a, b float64, okA, okB bool, goal string) (float64, bool) {
		if okA && okB && b != 0 {
			fmt.Fprintf(w, "  %-44s %12.2f   goal %s\n", what, a/b, goal)
			return a / b, true
		}
		fmt.Fprintf(w, "  %-44s %12s   goal %s\n", what, "missing", goal)
		return 0, false
	}
	fmt.Fprintln(w, "evaluation (XQuAD-R, 13,090 × 13,014, all settings, full-ranking mAP, rank distance)")
	ev, okEv := get("BenchmarkEvaluateXQuADR/dense-256 s/eval")
	top, okTop := get("faiss-d256 top")
	mat, okMat := get("faiss-d256 matrix")
	bm, okBm := get("BenchmarkEvaluateXQuADR/bm25 s/eval")
	line("xlbench, dense d = 256", ev, okEv, "s")
	line("FAISS IndexFlatIP top-100 search alone", top, okTop, "s")
	line("numpy/OpenBLAS score matrix alone", mat, okMat, "s")
	if r, ok := ratio("xlbench / FAISS top-100", ev, top, okEv, okTop, fmt.Sprintf("≤ %g", evaluationGoal)); !ok || r > evaluationGoal {
		missed = append(missed, fmt.Sprintf("evaluation: xlbench / FAISS top-100 %s, goal ≤ %g", shown(r, ok), evaluationGoal))
	}
	// The floor: the one score matrix every setting needs, at the highest
	// FLOP rate measured on these cores (OpenBLAS's or the score kernel's
	// own, on one language block).
	blas, okBlas := get("faiss-d256 matrix GFLOP/s")
	kern, okKern := get("BenchmarkInnerProducts GFLOP/s")
	peak, okPeak := max(blas, kern), okBlas || okKern
	line("peak FLOP rate measured (max of the two)", peak, okPeak, "GFLOP/s")
	floor := 2 * 13090 * 13014 * 256 / 1e9 / peak
	line("floor: the 13,090 × 13,014 × 256 score matrix at it", floor, okPeak, "s")
	ratio("xlbench / floor", ev, floor, okEv, okPeak, "(how far from the floor)")
	line("xlbench, BM25", bm, okBm, "s")
	rss, okRSS := get("BenchmarkEvaluateXQuADR/dense-256 peak-RSS-MB")
	line("peak RSS of the evaluation benchmark", rss, okRSS, "MB")
	fmt.Fprintln(w, "training (2^16 buckets, dim 128, batch 64; features per query / passage)")
	for _, shape := range []struct{ bench, torch string }{
		{"BenchmarkTrain/dim128", "torch-dim128-bags124x290"},
		{"BenchmarkTrain/dim128-bags64x256", "torch-dim128-bags64x256"},
	} {
		tr, okTr := get(shape.bench + " pairs/s")
		pt, okPt := get(shape.torch + " pairs/s")
		qf, _ := get(shape.bench + " q-features")
		pf, _ := get(shape.bench + " p-features")
		bags := strings.TrimPrefix(shape.torch, "torch-dim128-bags")
		line(fmt.Sprintf("built-in trainer, %s (measured %.0f / %.0f)", bags, qf, pf), tr, okTr, "pairs/s")
		line("PyTorch, same model, CPU, "+bags, pt, okPt, "pairs/s")
		if r, ok := ratio("built-in / PyTorch, "+bags, tr, pt, okTr, okPt, fmt.Sprintf("≥ %g", trainerGoal)); !ok || r < trainerGoal {
			missed = append(missed, fmt.Sprintf("training: built-in / PyTorch, %s %s, goal ≥ %g", bags, shown(r, ok), trainerGoal))
		}
	}
	gbs, okG := get("BenchmarkTrain/dim128 row-GB/s")
	bw, okBw := get("BenchmarkMemoryBandwidth GB/s")
	line("embedding-row traffic of the trainer", gbs, okG, "GB/s")
	line("memory bandwidth (triad, every core)", bw, okBw, "GB/s")
	ratio("share of the bandwidth the trainer uses", gbs, bw, okG, okBw, "(how close to the limit)")
	fmt.Fprintln(w, "plugin overhead (training through the plugin against in process)")
	o, okO := get("BenchmarkTrainStepOverhead %overhead")
	line("Go plugin (goal ≤ 2 %)", o, okO, "%")
	po, okPo := get("BenchmarkPyTorchEncoderPlugin %overhead")
	line("Python plugin", po, okPo, "%")
	return missed
}

// shown is a ratio as report prints it, or "missing".
func shown(r float64, ok bool) string {
	if !ok {
		return "missing"
	}
	return fmt.Sprintf("%.2f", r)
}

func main() {
	missed := report(os.Stdout, read(os.Stdin))
	if len(missed) > 0 {
		fmt.Fprintln(os.Stderr, "benchratio: goals missed in this run:")
		for _, m := range missed {
			fmt.Fprintln(os.Stderr, "  "+m)
		}
		os.Exit(1)
	}
}
