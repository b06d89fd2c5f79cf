package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/xlbench/xlbench/harness/runner"
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
	s, err := a.load(ctx, host, files)
	if err != nil {
		return err
	}
	for _, e := range s.Experiments {
		fmt.Fprintf(a.Stdout, "experiment %s: %d cells\n", e.Name, len(runner.Plan(e)))
	}
	fmt.Fprintf(a.Stdout, "%s: ok\n", strings.Join(files, ", "))
	return nil
}
