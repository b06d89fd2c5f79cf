package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/xlbench/xlbench/harness/internal/safepath"
	"github.com/xlbench/xlbench/harness/spec"
)

func (a *App) cmdFmt(_ context.Context, args []string) error {
	fs := a.flags("fmt", "[-check] SPEC...")
	check := fs.Bool("check", false, "list files that are not formatted and exit 1; change nothing")
	files, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return errors.New("no spec file given")
	}
	unformatted := false
	for _, f := range files {
		src, diags := spec.ReadSource(f)
		if diags.HasErrors() {
			spec.WriteDiagnostics(a.Stderr, map[string]*hcl.File{}, diags)
			return exitError(1)
		}
		// Refuse to format what does not parse: hclwrite would keep the
		// error and hide it.
		if _, diags := hclwrite.ParseConfig(src, f, hcl.InitialPos); diags.HasErrors() {
			spec.WriteDiagnostics(a.Stderr, map[string]*hcl.File{f: {Bytes: src}}, diags)
			return exitError(1)
		}
		out := hclwrite.Format(src)
		if bytes.Equal(out, src) {
			continue
		}
		unformatted = true
		if *check {
			fmt.Fprintln(a.Stdout, f)
			continue
		}
		st, err := os.Stat(f)
		if err != nil {
			return err
		}
		if err := safepath.WriteFile(f, out, st.Mode().Perm()); err != nil {
			return err
		}
	}
	if *check && unformatted {
		return exitError(1)
	}
	return nil
}
