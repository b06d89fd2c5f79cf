package cli

import (
	"context"
	"fmt"

	"github.com/xlbench/xlbench/harness/dataset"
	"github.com/xlbench/xlbench/harness/runner"
)

// cmdPlan lists the cells of the specs' experiments in run order, with the
// cell id that decides whether a stored result can be reused and, for a
// cell that starts from a pretraining stage, the stage's cell and id.
func (a *App) cmdPlan(ctx context.Context, args []string) error {
	fs := a.flags("plan", "[-data DIR] SPEC...")
	dataDir := fs.String("data", "", "data directory (its files' checksums enter the cell ids)")
	only := fs.String("experiment", "", "only this experiment")
	files, err := parse(fs, args)
	if err != nil {
		return err
	}
	host, err := a.newHost(ctx, "")
	if err != nil {
		return err
	}
	defer host.Close()
	// Checking a spec only asks plugins to describe themselves and check
	// parameters: a plugin that takes longer is hung.
	host.CallTimeout = CheckCallTimeout
	cells, err := a.plan(ctx, host, files, *only, "plan")
	if err != nil {
		return err
	}
	store, err := dataset.Resolve(*dataDir)
	if err != nil {
		return err
	}
	r := &runner.Runner{Store: store, Version: Version}
	for i, c := range cells {
		in, err := r.CellInputs(c)
		if err != nil {
			return fmt.Errorf("cell %s/%s: %w", c.Experiment.Name, c.Name, err)
		}
		line := fmt.Sprintf("%d\t%s\t%s/%s", i, in.ID(), c.Experiment.Name, c.Name)
		if in.Stage != nil {
			line += fmt.Sprintf("\tafter %s/%s (%s)", in.Stage.Experiment, in.Stage.Cell, in.Stage.ID)
		}
		fmt.Fprintln(a.Stdout, line)
	}
	return nil
}
