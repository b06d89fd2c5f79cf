package cli

import (
	"context"
	"fmt"

	"github.com/xlbench/xlbench/harness/plan"
	"github.com/xlbench/xlbench/harness/pluginhost"
	"github.com/xlbench/xlbench/harness/results"
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
	pl, err := a.newPlanner(ctx, *dataDir)
	if err != nil {
		return err
	}
	defer pl.close()
	cells, inputs, err := pl.inputs(ctx, files, *only, "plan")
	if err != nil {
		return err
	}
	for i, c := range cells {
		in := inputs[i]
		line := fmt.Sprintf("%d\t%s\t%s/%s", i, in.ID(), c.Experiment.Name, c.Name)
		if in.Stage != nil {
			line += fmt.Sprintf("\tafter %s/%s (%s)", in.Stage.Experiment, in.Stage.Cell, in.Stage.ID)
		}
		fmt.Fprintln(a.Stdout, line)
	}
	return nil
}

// planner plans spec files and computes their cells' inputs, as plan
// prints them: a plugin host whose calls are bounded as a spec check's
// (planning only asks plugins to describe themselves and check
// parameters), and the data directory whose files' checksums enter the
// cell ids, resolved once the specs are read.
type planner struct {
	a       *App
	host    *pluginhost.Host
	dataDir string
	ids     *plan.Identifier
}

func (a *App) newPlanner(ctx context.Context, dataDir string) (*planner, error) {
	host, err := a.newHost(ctx, "")
	if err != nil {
		return nil, err
	}
	host.CallTimeout = CheckCallTimeout
	return &planner{a: a, host: host, dataDir: dataDir}, nil
}

func (p *planner) close() { p.host.Close() }

// inputs plans files (only experiment only, when set) and returns the
// cells in run order with their inputs.
func (p *planner) inputs(ctx context.Context, files []string, only, what string) ([]plan.Cell, []*results.Inputs, error) {
	cells, err := p.a.plan(ctx, p.host, files, only, what)
	if err != nil {
		return nil, nil, err
	}
	if p.ids == nil {
		store, err := p.a.dataStore(p.dataDir)
		if err != nil {
			return nil, nil, err
		}
		p.ids = &plan.Identifier{DataDir: store.Dir}
	}
	inputs := make([]*results.Inputs, len(cells))
	for i, c := range cells {
		if inputs[i], err = p.ids.CellInputs(c); err != nil {
			return nil, nil, fmt.Errorf("cell %s/%s: %w", c.Experiment.Name, c.Name, err)
		}
	}
	return cells, inputs, nil
}
