package cli

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/xlbench/xlbench/harness/metrics"
	"github.com/xlbench/xlbench/harness/report"
	"github.com/xlbench/xlbench/harness/results"
)

func (a *App) cmdReport(_ context.Context, args []string) error {
	fs := a.flags("report", "[flags]")
	out := fs.String("out", "out", "results directory (the committed reference results: -out results)")
	only := fs.String("experiment", "", "only this experiment")
	var reuse stringsFlag
	fs.Var(&reuse, "reuse", "also show the cells this results directory holds of the experiments -out has (repeatable): a compare's rows beside the references (-reuse results); a cell -out has too is shown from -out")
	compare := fs.String("compare", "", "A,B: compare row A with row B only, paired seed by seed, whatever their encoders (a row as the tables name it, 'dual × hybrid', or as its cells do, dual.hybrid; EXPERIMENT/ROW where the name is in several experiments)")
	var tf tableFlags
	tf.register(fs)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	ms, err := tf.check()
	if err != nil {
		return err
	}
	rs, err := results.ReadAll(*out, *only)
	if err != nil {
		return err
	}
	if len(rs) == 0 {
		return fmt.Errorf("no results under %s", *out)
	}
	defer a.withLive()()
	if len(reuse) > 0 {
		if rs, err = a.withReused(rs, reuse); err != nil {
			return err
		}
	}
	rs = declaredTuning(rs, a.specValues())
	if *compare != "" {
		if tf.baseline != "" {
			return errors.New("-compare A,B compares A with B: -baseline has no place beside it")
		}
		return a.printComparison(rs, *compare, &tf, ms)
	}
	if err := a.printByExperiment(a.Stdout, rs, &tf, ms); err != nil {
		return err
	}
	if tf.brief() {
		fmt.Fprintln(a.Stdout, "All tables (per language, held-out languages, significance tests, answers, settings): -full or -format markdown.")
	}
	return nil
}

// withReused adds to rs the cells the directories in reuse hold of rs's
// experiments, as a results repository joins them (results.Merge: the
// same cell id with other content is an error naming both files). A cell
// rs has by name is kept from rs, the reused one left out.
func (a *App) withReused(rs []*results.CellResult, reuse []string) ([]*results.CellResult, error) {
	have := map[string]bool{}
	exps := map[string]bool{}
	for _, r := range rs {
		have[r.Experiment+"/"+r.Cell] = true
		exps[r.Experiment] = true
	}
	dirs := [][]*results.CellResult{rs}
	for _, dir := range reuse {
		var add []*results.CellResult
		for _, e := range slices.Sorted(maps.Keys(exps)) {
			got, err := results.ReadAll(dir, e)
			if err != nil {
				return nil, err
			}
			for _, r := range got {
				if !have[r.Experiment+"/"+r.Cell] {
					add = append(add, r)
				}
			}
		}
		dirs = append(dirs, add)
	}
	kept, notes, err := results.Merge(dirs)
	if err != nil {
		return nil, err
	}
	for _, n := range notes {
		fmt.Fprintln(a.Stderr, n)
	}
	var all []*results.CellResult
	for _, k := range kept {
		all = append(all, k...)
	}
	return all, nil
}

// printComparison prints row A against row B: the two rows' main table
// and A − B, paired seed by seed, with the same clustered intervals and
// per-question tests as the differences to a baseline.
func (a *App) printComparison(rs []*results.CellResult, spec string, tf *tableFlags, ms []metrics.Name) error {
	names := strings.Split(spec, ",")
	if len(names) != 2 || strings.TrimSpace(names[0]) == "" || strings.TrimSpace(names[1]) == "" {
		return fmt.Errorf("-compare %q: want two rows, A,B", spec)
	}
	cellsA, err := pickRow(rs, strings.TrimSpace(names[0]))
	if err != nil {
		return err
	}
	cellsB, err := pickRow(rs, strings.TrimSpace(names[1]))
	if err != nil {
		return err
	}
	rowA, rowB := cellsA[0].Row(), cellsB[0].Row()
	if rowA == rowB {
		if cellsA[0].Experiment == cellsB[0].Experiment {
			return fmt.Errorf("-compare %q: a row compared with itself", spec)
		}
		return fmt.Errorf("-compare %q: both rows are named %q (in %s and %s); rows of one name are told apart by the tables only within an experiment", spec, rowA, cellsA[0].Experiment, cellsB[0].Experiment)
	}
	fmt.Fprintf(a.Stdout, "%s (%s) against %s (%s)\n\n", rowA, cellsA[0].Experiment, rowB, cellsB[0].Experiment)
	both := slices.Concat(cellsA, cellsB)
	against := func(rs []*results.CellResult, d string) *report.Tests { return a.stats().Against(rs, d, rowB) }
	if len(report.Datasets(both)) == 0 {
		return fmt.Errorf("-compare %q: the two rows share no dataset", spec)
	}
	return a.printTables(a.Stdout, both, tf, ms, against)
}

// pickRow finds the cells of the row a user names: as the tables name it
// ("dual × hybrid"), as its cells do ("dual.hybrid"), either after
// "EXPERIMENT/". A name found in several experiments is an error that
// lists them.
func pickRow(rs []*results.CellResult, name string) ([]*results.CellResult, error) {
	exp, row, qualified := strings.Cut(name, "/")
	if !qualified {
		exp, row = "", name
	}
	byExp := map[string][]*results.CellResult{}
	rows := map[string]bool{}
	for _, r := range rs {
		rows[r.Experiment+"/"+r.Row()] = true
		if exp != "" && r.Experiment != exp {
			continue
		}
		if r.Row() == row || cellRow(r) == row {
			byExp[r.Experiment] = append(byExp[r.Experiment], r)
		}
	}
	switch len(byExp) {
	case 0:
		return nil, fmt.Errorf("no row %q in these results; rows: %s", name, strings.Join(slices.Sorted(maps.Keys(rows)), ", "))
	case 1:
		for _, cells := range byExp {
			return cells, nil
		}
	}
	var in []string
	for _, e := range slices.Sorted(maps.Keys(byExp)) {
		in = append(in, e+"/"+row)
	}
	return nil, fmt.Errorf("row %q is in several experiments: name one of %s", name, strings.Join(in, ", "))
}

// cellRow is a row as its cells are named: the encoder, then the sampler
// if any (the cell name without its ".seedN").
func cellRow(r *results.CellResult) string {
	if r.Sampler == nil {
		return r.Encoder.Name
	}
	return r.Encoder.Name + "." + r.Sampler.Name
}
