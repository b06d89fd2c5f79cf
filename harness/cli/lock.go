package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/xlbench/xlbench/harness/spec"
)

// cmdLock pins the external plugins of spec files: it writes the sha256
// of each plugin's executable to the lock file beside its spec
// (spec.LockFile) and prints what changed. It starts no plugin.
func (a *App) cmdLock(_ context.Context, args []string) error {
	fs := a.flags("lock", "SPEC...")
	files, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return errors.New("no spec file given")
	}
	s, diags := spec.ParseWith(a.specValues(), files...)
	if len(diags) > 0 {
		spec.WriteDiagnostics(a.Stderr, s.Files, diags)
	}
	if diags.HasErrors() {
		return exitError(1)
	}
	changes, err := s.Relock()
	if err != nil {
		return err
	}
	if len(changes) == 0 {
		fmt.Fprintln(a.Stdout, "every external plugin is pinned as it is; nothing changed")
		return nil
	}
	for _, c := range changes {
		fmt.Fprintln(a.Stdout, c)
	}
	return nil
}
