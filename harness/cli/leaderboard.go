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
	"github.com/xlbench/xlbench/harness/report"
)

// cmdLeaderboard writes the leaderboard of the stored results: Markdown,
// a static HTML page and SVG plots.
func (a *App) cmdLeaderboard(_ context.Context, args []string) error {
	fs := a.flags("leaderboard", "[-out DIR] [-dest DIR]")
	out := fs.String("out", "results", "results directory to read")
	dest := fs.String("dest", "", "where to write LEADERBOARD.md, leaderboard.html and plots/ (default: -out)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *dest == "" {
		*dest = *out
	}
	rs, err := report.ReadAll(*out, "")
	if err != nil {
		return err
	}
	if len(rs) == 0 {
		return fmt.Errorf("no results in %s", *out)
	}
	rows := leaderboard.Rows(rs)
	page, err := leaderboard.HTML(rows)
	if err != nil {
		return err
	}
	plots := filepath.Join(*dest, "plots")
	if err := os.MkdirAll(plots, 0o755); err != nil {
		return err
	}
	files := map[string]string{
		filepath.Join(*dest, "LEADERBOARD.md"):   leaderboard.Markdown(rows),
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
	for _, r := range rows {
		base := filepath.Join(plots, slug(r.Experiment+"-"+r.Dataset+"-"+strings.ReplaceAll(r.Name, " × ", ".")))
		files[base+"-heatmap.svg"] = leaderboard.HeatmapSVG(r)
		files[base+"-bars.svg"] = leaderboard.BarsSVG(r)
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
	fmt.Fprintf(a.Stderr, "%d rows from %d results; wrote %d files under %s\n", len(rows), len(rs), len(files), *dest)
	return nil
}
