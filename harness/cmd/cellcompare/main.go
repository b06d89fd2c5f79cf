// Command cellcompare compares the metrics of two cells of one experiment
// in a results folder, metric by metric, within a tolerance (absolute, and
// relative above 1, as xlbench verify compares), and prints their training
// speed. It exits 1 when a metric differs. make gpu-check uses it to set the
// GPU-trained cell beside the CPU-trained one.
//
//	cellcompare [-tol 0.002] OUT EXPERIMENT CELL-A CELL-B
package main

import (
	"cmp"
	"flag"
	"fmt"
	"math"
	"os"
	"slices"

	"github.com/xlbench/xlbench/harness/metrics"
	"github.com/xlbench/xlbench/harness/results"
)

func main() {
	tol := flag.Float64("tol", 0.002, "largest difference allowed (relative for values above 1)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: cellcompare [-tol 0.002] OUT EXPERIMENT CELL-A CELL-B")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 4 {
		flag.Usage()
		os.Exit(2)
	}
	out, exp := flag.Arg(0), flag.Arg(1)
	var cells [2]*results.CellResult
	for i, name := range flag.Args()[2:] {
		r, err := results.Read(out, exp, name)
		if err != nil {
			fmt.Fprintln(os.Stderr, "cellcompare:", err)
			os.Exit(2)
		}
		if !r.Complete {
			fmt.Fprintf(os.Stderr, "cellcompare: %s/%s is not complete\n", exp, name)
			os.Exit(2)
		}
		cells[i] = r
	}
	a, b := cells[0], cells[1]
	for _, r := range cells {
		if t := r.Training; t != nil {
			fmt.Printf("%s: trained %d steps in %.1f s, %.0f pairs/s; cell %.1f s\n", r.Cell, t.Steps, t.Seconds, t.PairsPerSecond, r.WallSeconds)
		}
	}
	type key struct {
		dataset string
		setting results.Setting
		metric  metrics.Name
	}
	var keys []key
	for d, ss := range a.Metrics {
		for s, ms := range ss {
			for m := range ms {
				keys = append(keys, key{d, s, m})
			}
		}
	}
	slices.SortFunc(keys, func(x, y key) int {
		return cmp.Or(cmp.Compare(x.dataset, y.dataset), cmp.Compare(x.setting, y.setting), cmp.Compare(x.metric, y.metric))
	})
	worst := 0.0
	fmt.Printf("%-10s %-6s %-14s %12s %12s %10s\n", "dataset", "pool", "metric", a.Cell, b.Cell, "diff")
	for _, k := range keys {
		va := a.Metrics[k.dataset][k.setting][k.metric]
		vb := math.NaN()
		if ms, ok := b.Metrics[k.dataset][k.setting]; ok {
			if v, ok := ms[k.metric]; ok {
				vb = v
			}
		}
		d := math.Abs(va-vb) / math.Max(1, math.Abs(va))
		worst = math.Max(worst, d)
		fmt.Printf("%-10s %-6s %-14s %12.5f %12.5f %10.2g\n", k.dataset, k.setting, k.metric, va, vb, vb-va)
	}
	diffs := results.Compare(a, b, *tol)
	if len(diffs) > 0 {
		fmt.Printf("FAIL: %d metrics differ by more than %g (largest %.3g)\n", len(diffs), *tol, worst)
		os.Exit(1)
	}
	fmt.Printf("ok: every metric within %g (largest difference %.3g)\n", *tol, worst)
}
