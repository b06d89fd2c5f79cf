package cli

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/xlbench/xlbench/harness/results"
)

// Limits of a results contribution, far above real cells (a result.json
// of the default experiment is under 200 kB, its per-query file 1.1 MB).
const (
	maxContribResultBytes   = 1 << 20
	maxContribPerQueryBytes = 16 << 20
)

// cmdCheck checks results directories as a results repository's CI checks
// a pull request: every result passes the reader's checks (schema, ranges,
// summaries equal to their per-query values, inputs that hash to the cell
// id, no links), carries a cell id, is what the spec it records plans now
// (the same cell id, so the same spec, lock, plugins and data), holds only
// its result and per-query file within the size limits, and no cell id
// has two measurements across the directories and the references (-ref):
// a reference cell is never edited in place.
func (a *App) cmdCheck(ctx context.Context, args []string) error {
	fs := a.flags("check", "[-ref DIR] [-data DIR] RESULTS_DIR...")
	ref := fs.String("ref", "", "reference results the directories are checked against (the results/ of the main branch)")
	dataDir := fs.String("data", "", "data directory (its files' checksums enter the cell ids the specs plan)")
	noPlan := fs.Bool("no-plan", false, "do not plan the recorded specs (where the data or plugins are not at hand): ids are then checked against the recorded inputs only")
	dirs, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(dirs) == 0 {
		return fmt.Errorf("check takes one or more results directories")
	}
	var problems []string
	var read [][]*results.CellResult
	all := dirs
	if *ref != "" {
		all = append([]string{*ref}, dirs...)
	}
	n := 0
	for _, dir := range all {
		rs, refused, err := results.ReadEach(dir, "")
		if err != nil {
			return err
		}
		for _, err := range refused {
			problems = append(problems, err.Error())
		}
		for _, r := range rs {
			if r.CellID == "" {
				problems = append(problems, r.Stored.Path(r)+": no cell id: nothing ties it to the inputs it claims")
			}
		}
		if dir != *ref {
			problems = append(problems, contributionFiles(dir)...)
			n += len(rs)
		}
		read = append(read, rs)
	}
	_, notes, err := results.Merge(read)
	if err != nil {
		problems = append(problems, err.Error())
	}
	if !*noPlan {
		var contributed []*results.CellResult
		for i, rs := range read {
			if *ref == "" || i > 0 {
				contributed = append(contributed, rs...)
			}
		}
		p, err := a.checkPlanned(ctx, *dataDir, contributed)
		if err != nil {
			return err
		}
		problems = append(problems, p...)
	}
	for _, note := range notes {
		fmt.Fprintln(a.Stderr, note)
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(a.Stdout, "✗ "+p)
		}
		fmt.Fprintf(a.Stdout, "%d problems in %s\n", len(problems), strings.Join(dirs, ", "))
		return exitError(1)
	}
	planned := "each is what its recorded spec plans"
	if *noPlan {
		planned = "specs not planned (-no-plan)"
	}
	fmt.Fprintf(a.Stdout, "ok: %d results in %s pass every check (%s; %d copies of one measurement counted once)\n", n, strings.Join(dirs, ", "), planned, len(notes))
	return nil
}

// contributionFiles lists what a results directory holds that a
// contribution may not: anything in a cell folder but its result and
// per-query file (a model, a reader's checkpoint), files over the limits,
// folders that are links.
func contributionFiles(dir string) []string {
	var out []string
	experiments, err := os.ReadDir(dir)
	if err != nil {
		return []string{err.Error()}
	}
	for _, e := range experiments {
		if !e.IsDir() || e.Name() == "plots" {
			continue
		}
		cells, _ := os.ReadDir(filepath.Join(dir, e.Name()))
		for _, c := range cells {
			path := filepath.Join(dir, e.Name(), c.Name())
			if !c.IsDir() || strings.HasPrefix(c.Name(), ".") {
				out = append(out, path+": not a cell folder (a reader's cache or a stray file is not part of a contribution)")
				continue
			}
			files, _ := os.ReadDir(path)
			for _, f := range files {
				info, err := f.Info()
				if err != nil {
					out = append(out, err.Error())
					continue
				}
				limit := map[string]int64{results.ResultFile: maxContribResultBytes, results.PerQueryFile: maxContribPerQueryBytes}[f.Name()]
				switch {
				case limit == 0:
					out = append(out, filepath.Join(path, f.Name())+": not part of a cell's results (only "+results.ResultFile+" and "+results.PerQueryFile+" are)")
				case info.Mode()&fs.ModeType != 0:
					out = append(out, filepath.Join(path, f.Name())+": not a regular file")
				case info.Size() > limit:
					out = append(out, fmt.Sprintf("%s: %d bytes, over the %d a contribution allows", filepath.Join(path, f.Name()), info.Size(), limit))
				}
			}
		}
	}
	return out
}

// checkPlanned plans the specs each result records and checks that the
// plan holds the result's cell under the same id: the result is then what
// the committed spec, lock, plugins and data give.
func (a *App) checkPlanned(ctx context.Context, dataDir string, rs []*results.CellResult) ([]string, error) {
	var problems []string
	bySpecs := map[string][]*results.CellResult{}
	for _, r := range rs {
		if r.Manifest == nil || len(r.Manifest.Specs) == 0 {
			problems = append(problems, r.Stored.Path(r)+": records no spec file: the spec it was made with cannot be checked")
			continue
		}
		var paths []string
		for _, f := range r.Manifest.Specs {
			paths = append(paths, f.Path)
		}
		key := strings.Join(paths, "\x00")
		bySpecs[key] = append(bySpecs[key], r)
	}
	if len(bySpecs) == 0 {
		return problems, nil
	}
	pl, err := a.newPlanner(ctx, dataDir)
	if err != nil {
		return nil, err
	}
	defer pl.close()
	for _, key := range slices.Sorted(maps.Keys(bySpecs)) {
		files := strings.Split(key, "\x00")
		cells, inputs, err := pl.inputs(ctx, files, "", "check")
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s, recorded by %d results: %v", strings.Join(files, " "), len(bySpecs[key]), err))
			continue
		}
		ids := map[string]string{}
		for i, c := range cells {
			ids[c.Experiment.Name+"/"+c.Name] = inputs[i].ID()
		}
		for _, r := range bySpecs[key] {
			switch id, ok := ids[r.Experiment+"/"+r.Cell]; {
			case !ok:
				problems = append(problems, fmt.Sprintf("%s: %s does not plan this cell", r.Stored.Path(r), strings.Join(files, " ")))
			case id != r.CellID:
				problems = append(problems, fmt.Sprintf("%s: cell id %s, but %s plans it as %s now (its spec, lock, plugins or data changed since): rerun it", r.Stored.Path(r), r.CellID, strings.Join(files, " "), id))
			}
		}
	}
	return problems, nil
}
