package cli

import (
	"context"
	"fmt"

	"github.com/xlbench/xlbench/harness/results"
)

func (a *App) cmdReport(_ context.Context, args []string) error {
	fs := a.flags("report", "[flags]")
	out := fs.String("out", "out", "results directory (the committed reference results: -out results)")
	only := fs.String("experiment", "", "only this experiment")
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
	if err := a.printByExperiment(a.Stdout, rs, &tf, ms); err != nil {
		return err
	}
	if tf.brief() {
		fmt.Fprintln(a.Stdout, "All tables (per language, held-out languages, significance tests, answers, settings): -full or -format markdown.")
	}
	return nil
}
