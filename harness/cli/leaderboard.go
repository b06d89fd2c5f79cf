package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/xlbench/xlbench/harness/internal/safepath"
	"github.com/xlbench/xlbench/harness/leaderboard"
	"github.com/xlbench/xlbench/harness/results"
)

// cmdLeaderboard writes the leaderboard of one or more results
// directories (the references and any number of contributions): Markdown,
// a static HTML page and SVG plots. A result whose cell id does not match
// its recorded inputs is refused, with the reason, on the board itself.
func (a *App) cmdLeaderboard(_ context.Context, args []string) error {
	fs := a.flags("leaderboard", "[-dest DIR] [RESULTS_DIR...]")
	out := fs.String("out", "", "results directory to read (the same as naming it as an argument)")
	dest := fs.String("dest", "", "where to write LEADERBOARD.md, leaderboard.html and plots/ (default: the first results directory)")
	dirs, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *out != "" {
		dirs = append([]string{*out}, dirs...)
	}
	if len(dirs) == 0 {
		dirs = []string{"results"}
	}
	if *dest == "" {
		*dest = dirs[0]
	}
	var sources []leaderboard.Source
	var refused []string
	n := 0
	for _, dir := range dirs {
		rs, err := results.ReadAll(dir, "")
		if err != nil {
			return err
		}
		stamps, err := results.ReadStamps(dir)
		if err != nil {
			return err
		}
		src := leaderboard.Source{Dir: dir, Stamps: stamps}
		for _, r := range rs {
			if err := results.CheckCellID(r); err != nil {
				refused = append(refused, fmt.Sprintf("%s: %s", filepath.Join(dir, r.Experiment, r.Cell), err))
				continue
			}
			src.Results = append(src.Results, r)
		}
		n += len(rs)
		sources = append(sources, src)
	}
	if n == 0 {
		return fmt.Errorf("no results in %s", strings.Join(dirs, ", "))
	}
	board := leaderboard.Build(sources)
	board.Refused = refused
	for _, r := range refused {
		fmt.Fprintf(a.Stderr, "refused %s\n", r)
	}
	page, err := leaderboard.HTML(board)
	if err != nil {
		return err
	}
	plots := filepath.Join(*dest, "plots")
	if err := os.MkdirAll(plots, 0o755); err != nil {
		return err
	}
	files := map[string]string{
		filepath.Join(*dest, "LEADERBOARD.md"):   leaderboard.Markdown(board),
		filepath.Join(*dest, "leaderboard.html"): page,
	}
	slug := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
				return r
			}
			return '_'
		}, s)
	}
	entries := 0
	for _, s := range board.Sections {
		for _, e := range s.Entries {
			entries++
			base := filepath.Join(plots, slug(e.Experiment+"-"+s.Dataset+"-"+strings.ReplaceAll(e.Name, " × ", ".")))
			files[base+"-heatmap.svg"] = leaderboard.HeatmapSVG(e, s.Dataset)
			files[base+"-bars.svg"] = leaderboard.BarsSVG(e, s.Dataset)
		}
	}
	names := make([]string, 0, len(files))
	for f := range files {
		names = append(names, f)
	}
	slices.Sort(names)
	for _, f := range names {
		if err := safepath.WriteFile(f, []byte(files[f]), 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(a.Stderr, "%d entries in %d sections from %d results in %d directories (%d refused); wrote %d files under %s\n",
		entries, len(board.Sections), n, len(dirs), len(refused), len(files), *dest)
	return nil
}
