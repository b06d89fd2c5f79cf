package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/xlbench/xlbench/harness/metrics"
	"github.com/xlbench/xlbench/harness/report"
)

// tableFlags are the flags that shape printed tables (format, metrics),
// shared by run, cell run and report.
type tableFlags struct {
	format, metrics string
}

func (t *tableFlags) register(fs interface {
	StringVar(*string, string, string, string)
}) {
	fs.StringVar(&t.format, "format", "table", "table format: "+strings.Join(report.Formats, ", "))
	fs.StringVar(&t.metrics, "metrics", strings.Join(report.DefaultMetrics, ","),
		"metrics per setting, comma-separated, or 'all': "+strings.Join(metrics.All, ", "))
}

func (t *tableFlags) check() ([]string, error) {
	if !slices.Contains(report.Formats, t.format) {
		return nil, fmt.Errorf("-format %q: want one of %s", t.format, strings.Join(report.Formats, ", "))
	}
	if t.metrics == "all" {
		return metrics.All, nil
	}
	var out []string
	for _, m := range strings.Split(t.metrics, ",") {
		m = strings.TrimSpace(m)
		if !slices.Contains(metrics.All, m) {
			return nil, fmt.Errorf("-metrics: unknown metric %q; metrics: %s", m, strings.Join(metrics.All, ", "))
		}
		out = append(out, m)
	}
	return out, nil
}

func (a *App) printTables(rs []*report.CellResult, tf *tableFlags, ms []string) error {
	for _, t := range []*report.Table{report.Settings(rs), report.Validation(rs)} {
		if t == nil {
			continue
		}
		if err := t.Render(a.Stdout, tf.format); err != nil {
			return err
		}
	}
	for _, d := range report.Datasets(rs) {
		tests := report.Significance(rs, d)
		if err := report.Comparison(rs, d, ms, tests).Render(a.Stdout, tf.format); err != nil {
			return err
		}
		for _, t := range []*report.Table{report.Differences(rs, d, tests), report.LanguageDifferences(rs, d), report.HeldOut(rs, d), report.Unseen(rs, d), report.SignificanceTable(rs, d, tests)} {
			if t == nil {
				continue
			}
			if err := t.Render(a.Stdout, tf.format); err != nil {
				return err
			}
		}
		if ans := report.Answers(rs, d); ans != nil {
			if err := ans.Render(a.Stdout, tf.format); err != nil {
				return err
			}
		}
		if err := report.PerLanguage(rs, d).Render(a.Stdout, tf.format); err != nil {
			return err
		}
	}
	return nil
}

// printByExperiment prints the tables of each experiment's results apart:
// an experiment's rows are compared with its own baseline, under its own
// language note.
func (a *App) printByExperiment(rs []*report.CellResult, tf *tableFlags, ms []string) error {
	byExp := map[string][]*report.CellResult{}
	var order []string
	for _, r := range rs {
		if _, ok := byExp[r.Experiment]; !ok {
			order = append(order, r.Experiment)
		}
		byExp[r.Experiment] = append(byExp[r.Experiment], r)
	}
	missing := report.Missing(rs)
	for _, e := range order {
		fmt.Fprintf(a.Stdout, "experiment %s\n\n", e)
		if m := missing[e]; len(m) > 0 {
			fmt.Fprintf(a.Stdout, "INCOMPLETE: %d of %d cells stored; missing: %s. The tables below cover only the stored cells.\n\n",
				len(byExp[e]), len(byExp[e])+len(m), strings.Join(m, ", "))
		}
		if err := a.printTables(byExp[e], tf, ms); err != nil {
			return err
		}
	}
	return nil
}
