package report

import (
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/xlbench/xlbench/harness/eval"
	"github.com/xlbench/xlbench/harness/stats"
)

// Permutations is the number of sign flips per randomisation test.
const Permutations = 2000

// ReferenceSampler is the plugin name of the sampler every other sampler is
// tested against.
const ReferenceSampler = "monolingual"

// test is one paired test: a row against the reference row of its encoder,
// one seed, one setting, on per-query average precision.
type test struct {
	row, setting string
	seed         uint64
	diff, p, adj float64
	n            int
}

// significance runs every test of a dataset's table and Holm-corrects them
// as one family. It returns nil when no reference row exists.
func significance(rs []*CellResult, dataset string) []test {
	ref := map[string]map[uint64]*CellResult{} // encoder → seed → reference cell
	for _, r := range rs {
		if r.Sampler != nil && r.Sampler.PluginName == ReferenceSampler {
			if ref[r.Encoder.Name] == nil {
				ref[r.Encoder.Name] = map[uint64]*CellResult{}
			}
			ref[r.Encoder.Name][r.Seed] = r
		}
	}
	// Gather the paired samples in a fixed order, then test them on every
	// core: the tests are independent and each is seeded, so the order of
	// execution changes nothing.
	type job struct {
		t    test
		x, y []float64
	}
	var jobs []job
	for _, r := range rs {
		if r.Sampler == nil || r.Sampler.PluginName == ReferenceSampler {
			continue
		}
		base := ref[r.Encoder.Name][r.Seed]
		if base == nil {
			continue
		}
		for _, s := range eval.Settings {
			a, b := r.PerQuery[dataset][s], base.PerQuery[dataset][s]
			if len(a) == 0 || len(b) == 0 {
				continue
			}
			keys := make([]string, 0, len(a))
			for k := range a {
				if _, ok := b[k]; ok {
					keys = append(keys, k)
				}
			}
			sort.Strings(keys)
			x, y := make([]float64, len(keys)), make([]float64, len(keys))
			for i, k := range keys {
				x[i], y[i] = a[k], b[k]
			}
			jobs = append(jobs, job{t: test{row: r.Row(), setting: s, seed: r.Seed, n: len(keys)}, x: x, y: y})
		}
	}
	tests := make([]test, len(jobs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			j.t.diff, j.t.p = stats.PairedRandomization(j.x, j.y, Permutations, j.t.seed)
			tests[i] = j.t
		}()
	}
	wg.Wait()
	ps := make([]float64, len(tests))
	for i, t := range tests {
		ps[i] = t.p
	}
	for i, adj := range stats.Holm(ps) {
		tests[i].adj = adj
	}
	return tests
}

// marks turns tests into table marks: "▲" (better than the reference) or
// "▼" (worse) on a row's setting when every seed's test is significant at
// 0.05 after Holm correction and all seeds agree in direction.
func marks(tests []test) map[string]map[string]string {
	type agg struct {
		all, pos, neg int
		sig           bool
	}
	by := map[[2]string]*agg{}
	for _, t := range tests {
		k := [2]string{t.row, t.setting}
		if by[k] == nil {
			by[k] = &agg{sig: true}
		}
		a := by[k]
		a.all++
		if t.diff > 0 {
			a.pos++
		} else if t.diff < 0 {
			a.neg++
		}
		if !(t.adj < 0.05) {
			a.sig = false
		}
	}
	out := map[string]map[string]string{}
	for k, a := range by {
		if !a.sig {
			continue
		}
		if out[k[0]] == nil {
			out[k[0]] = map[string]string{}
		}
		switch a.all {
		case a.pos:
			out[k[0]][k[1]] = " ▲"
		case a.neg:
			out[k[0]][k[1]] = " ▼"
		}
	}
	return out
}

// SignificanceTable lists every test: mean per-query AP difference to the
// reference sampler and the raw and Holm-adjusted p-values.
func SignificanceTable(rs []*CellResult, dataset string) *Table {
	tests := significance(rs, dataset)
	if len(tests) == 0 {
		return nil
	}
	t := &Table{
		Title:  dataset + " — paired randomisation tests against the " + ReferenceSampler + " sampler (per seed, mAP)",
		Header: []string{"encoder × sampler", "setting", "seed", "queries", "Δ AP", "p", "p (Holm)"},
		Notes: []string{fmt.Sprintf("Sign-flip test over per-query average precision (%d permutations, two-sided); Holm–Bonferroni over the %d tests of this table.",
			Permutations, len(tests))},
	}
	for _, x := range tests {
		t.Rows = append(t.Rows, []string{x.row, x.setting, fmt.Sprint(x.seed), fmt.Sprint(x.n),
			fmt.Sprintf("%+.4f", x.diff), fmt.Sprintf("%.4f", x.p), fmt.Sprintf("%.4f", x.adj)})
	}
	return t
}

// zeroShotNote names the evaluation languages absent from training, and
// those trained only in monolingual pairs, from the cells' training records.
func zeroShotNote(rs []*CellResult, dataset string) string {
	trained, cross := map[string]bool{}, map[string]bool{}
	any := false
	for _, r := range rs {
		if r.Training == nil {
			continue
		}
		any = true
		for l := range r.Training.QueryLangs {
			trained[l] = true
		}
		for l := range r.Training.PassageLangs {
			trained[l] = true
		}
		for pair := range r.Training.PairLanguages {
			q, p, _ := strings.Cut(pair, "-")
			if q != p {
				cross[q], cross[p] = true, true
			}
		}
	}
	if !any {
		return ""
	}
	var zero, monoOnly []string
	for _, r := range rs {
		for _, l := range r.Datasets[dataset].Languages {
			switch {
			case !trained[l]:
				zero = append(zero, l)
			case !cross[l]:
				monoOnly = append(monoOnly, l)
			}
		}
		break
	}
	note := "Zero-shot languages (in no training data): " + orNone(zero)
	if len(monoOnly) > 0 {
		note += "; trained in monolingual pairs only (zero-shot for cross-lingual pairs): " + strings.Join(monoOnly, " ")
	}
	return note + "."
}

func orNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, " ")
}
