package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/xlbench/xlbench/harness/plan"
)

func (a *App) cmdValidate(ctx context.Context, args []string) error {
	fs := a.flags("validate", "SPEC...")
	logLevel := fs.String("log-level", "", "plugin log level")
	files, err := parse(fs, args)
	if err != nil {
		return err
	}
	host, err := a.newHost(ctx, *logLevel)
	if err != nil {
		return err
	}
	defer host.Close()
	// Checking a spec only asks plugins to describe themselves and check
	// parameters: a plugin that takes longer is hung.
	host.CallTimeout = CheckCallTimeout
	s, err := a.load(ctx, host, files)
	if err != nil {
		return err
	}
	for _, e := range s.Experiments {
		fmt.Fprintf(a.Stdout, "experiment %s: %d cells\n", e.Name, len(plan.Plan(e)))
	}
	fmt.Fprintf(a.Stdout, "%s: ok\n", strings.Join(files, ", "))
	return nil
}

// CheckCallTimeout bounds each plugin call of validate and plan, which
// only ask plugins to describe themselves and check parameters.
const CheckCallTimeout = 2 * time.Minute
