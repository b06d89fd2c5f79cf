package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/xlbench/xlbench/harness/plan"
	"github.com/xlbench/xlbench/harness/pluginhost"
	"github.com/xlbench/xlbench/harness/spec"
)

// load parses and checks spec files, printing diagnostics, and returns
// the spec as its plugins describe it. It fails when any diagnostic is an
// error.
func (a *App) load(ctx context.Context, host *pluginhost.Host, files []string) (*spec.Resolved, error) {
	if len(files) == 0 {
		return nil, errors.New("no spec file given")
	}
	s, diags := spec.ParseWith(a.specValues(), files...)
	var r *spec.Resolved
	if !diags.HasErrors() {
		var d hcl.Diagnostics
		r, d = s.Check(ctx, host)
		diags = append(diags, d...)
	}
	if len(diags) > 0 {
		spec.WriteDiagnostics(a.Stderr, s.Files, diags)
	}
	if diags.HasErrors() {
		return nil, exitError(1)
	}
	return r, nil
}

// plan loads the specs (checking them against their plugins) and lists the
// cells of their experiments (of only, when set) in run order; an empty
// plan is an error that names the command.
func (a *App) plan(ctx context.Context, host *pluginhost.Host, files []string, only, what string) ([]plan.Cell, error) {
	s, err := a.load(ctx, host, files)
	if err != nil {
		return nil, err
	}
	var cells []plan.Cell
	for _, e := range s.Experiments {
		if only == "" || e.Name == only {
			cells = append(cells, plan.Plan(e)...)
		}
	}
	if len(cells) == 0 {
		return nil, fmt.Errorf("no experiment to %s (-experiment %q)", what, only)
	}
	return cells, nil
}
