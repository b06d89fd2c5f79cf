package cli

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/xlbench/xlbench/harness/metrics"
	"github.com/xlbench/xlbench/harness/report"
	"github.com/xlbench/xlbench/harness/results"
)

// tableFlags are the flags that shape printed tables (format, metrics),
// shared by run, cell run and report.
type tableFlags struct {
	format, metrics string
	full            bool
	// baseline, when set, is the row every other row is compared with,
	// in place of each experiment's baseline.
	baseline string
	// wroteHeader: the data export's header is written, once for all
	// experiments.
	wroteHeader bool
}

func (t *tableFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&t.format, "format", "table", "table format: "+strings.Join(report.Formats, ", "))
	fs.StringVar(&t.metrics, "metrics", "",
		"the main table's metrics per setting, comma-separated, or 'all' (default: mAP per setting, multi R@10, rank distance, EM and F1, to fit 120 columns; "+metrics.Join(report.DefaultMetrics, ",")+" with -full or -format markdown): "+metrics.Join(metrics.All, ", "))
	fs.StringVar(&t.baseline, "baseline", "", "compare every row with this one, paired seed by seed whatever the encoders, in place of the experiment's baseline (a row as the tables name it, 'dual × hybrid', or as its cells do, dual.hybrid)")
	fs.BoolVar(&t.full, "full", false, "print every table (per language, held-out and unseen languages, significance tests, answers, settings), not only the answer; -format markdown always does (csv and jsonl write every number as one tidy table instead)")
}

// brief reports whether the tables are the answer only, cut for a
// terminal: the default table format without -full.
func (t *tableFlags) brief() bool {
	return !t.full && (t.format == "table" || t.format == "")
}

func (t *tableFlags) check() ([]metrics.Name, error) {
	if !slices.Contains(report.Formats, t.format) {
		return nil, fmt.Errorf("-format %q: want one of %s", t.format, strings.Join(report.Formats, ", "))
	}
	if t.metrics == "all" {
		return metrics.All, nil
	}
	if t.metrics == "" {
		return nil, nil
	}
	var out []metrics.Name
	for _, s := range strings.Split(t.metrics, ",") {
		m := metrics.Name(strings.TrimSpace(s))
		if !slices.Contains(metrics.All, m) {
			return nil, fmt.Errorf("-metrics: unknown metric %q; metrics: %s", m, metrics.Join(metrics.All, ", "))
		}
		out = append(out, m)
	}
	return out, nil
}

// testsFunc runs a dataset's significance tests: each row against its
// baseline (report.Significance) or against one row (report.Against).
type testsFunc func(rs []*results.CellResult, dataset string) *report.Tests

// printTables prints the tables of one experiment's results: the answer
// (the main table and the differences, last) when tf is brief, every
// table otherwise. ms are the main table's metrics (nil: the default);
// tests runs the tests the marks and differences come from.
func (a *App) printTables(w io.Writer, rs []*results.CellResult, tf *tableFlags, ms []metrics.Name, tests testsFunc) error {
	render := func(ts ...*report.Table) error {
		for _, t := range ts {
			if t == nil {
				continue
			}
			if err := t.Render(w, tf.format); err != nil {
				return err
			}
		}
		return nil
	}
	if report.IsTidy(tf.format) {
		err := report.WriteTidy(w, tf.format, report.Tidy(rs, tests), !tf.wroteHeader)
		tf.wroteHeader = true
		return err
	}
	if tf.brief() {
		for _, d := range report.Datasets(rs) {
			tests := tests(rs, d)
			main := report.Brief(rs, d, tests)
			if ms != nil {
				main = report.Comparison(rs, d, ms, tests)
			}
			if err := render(main, report.BriefDifferences(rs, d, tests)); err != nil {
				return err
			}
		}
		return nil
	}
	if ms == nil {
		ms = report.DefaultMetrics
	}
	markdown := tf.format == "markdown"
	if markdown && (report.Settings(rs) != nil || report.Validation(rs) != nil) {
		fmt.Fprint(w, "### Training\n\n")
	}
	if err := render(report.Settings(rs), report.Validation(rs)); err != nil {
		return err
	}
	for _, d := range report.Datasets(rs) {
		if markdown {
			fmt.Fprintf(w, "### %s\n\n", d)
		}
		tests := tests(rs, d)
		if err := render(report.Comparison(rs, d, ms, tests), report.Differences(rs, d, tests), report.LanguageDifferences(rs, d),
			report.HeldOut(rs, d), report.Unseen(rs, d), report.SignificanceTable(rs, d, tests), report.Answers(rs, d), report.PerLanguage(rs, d)); err != nil {
			return err
		}
	}
	return nil
}

// printByExperiment prints the tables of each experiment's results apart:
// an experiment's rows are compared with its own baseline, under its own
// language note.
func (a *App) printByExperiment(w io.Writer, rs []*results.CellResult, tf *tableFlags, ms []metrics.Name) error {
	byExp := map[string][]*results.CellResult{}
	var order []string
	for _, r := range rs {
		if _, ok := byExp[r.Experiment]; !ok {
			order = append(order, r.Experiment)
		}
		byExp[r.Experiment] = append(byExp[r.Experiment], r)
	}
	missing := results.Missing(rs)
	for _, e := range order {
		incomplete := ""
		if m := missing[e]; len(m) > 0 {
			incomplete = fmt.Sprintf("INCOMPLETE: %d of %d cells stored; missing: %s. The tables below cover only the stored cells.\n\n",
				len(byExp[e]), len(byExp[e])+len(m), strings.Join(m, ", "))
		}
		if report.IsTidy(tf.format) {
			// Data has no headings: the warning goes to stderr.
			if incomplete != "" {
				fmt.Fprintf(a.Stderr, "experiment %s: %s", e, strings.Replace(incomplete, "The tables below cover", "The records cover", 1))
			}
		} else if tf.format == "markdown" {
			fmt.Fprintf(w, "## Experiment %s\n\n%s", e, incomplete)
		} else {
			fmt.Fprintf(w, "experiment %s\n\n%s", e, incomplete)
		}
		tests := a.stats().Significance
		if tf.baseline != "" {
			cells, err := pickRow(byExp[e], tf.baseline)
			if err != nil {
				return fmt.Errorf("-baseline, experiment %s: %w", e, err)
			}
			row := cells[0].Row()
			tests = func(rs []*results.CellResult, d string) *report.Tests { return a.stats().Against(rs, d, row) }
		}
		if err := a.printTables(w, byExp[e], tf, ms, tests); err != nil {
			return err
		}
	}
	return nil
}
