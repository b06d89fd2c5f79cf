package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
)

func (a *App) cmdFetch(_ context.Context, args []string) error {
	fs := a.flags("fetch", "[-data DIR] DATASET...")
	dataDir := fs.String("data", "", "download into DIR (default: the data directory xlbench run would use)")
	names, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return errors.New("name the dataset folders to fetch, e.g. xquad-r")
	}
	store, err := a.dataStore(*dataDir)
	if err != nil && *dataDir != "" {
		if mk := os.MkdirAll(*dataDir, 0o755); mk != nil {
			return err
		}
		store, err = a.dataStore(*dataDir)
	}
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := store.Fetch(n); err != nil {
			return err
		}
		fmt.Fprintf(a.Stdout, "%s: complete in %s\n", n, store.Dir)
	}
	return nil
}
