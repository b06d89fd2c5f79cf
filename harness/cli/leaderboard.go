package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/xlbench/xlbench/builtin"
	"github.com/xlbench/xlbench/harness/internal/console"
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
	signers := fs.String("allowed-signers", "", "the SSH keys whose signed verify stamps count, in ssh-keygen's allowed-signers format (default: "+results.AllowedSignersFile+" in the first results directory, the references)")
	dest := fs.String("dest", "", "where to write LEADERBOARD.md, leaderboard.html, leaderboard.json, leaderboard.csv and plots/ (default: the first results directory)")
	lead := fs.String("lead", "xquad-r", "the dataset whose sections come first: the benchmark the question is asked on")
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
	if *signers == "" {
		*signers = filepath.Join(dirs[0], results.AllowedSignersFile)
	}
	allowed, err := results.ReadAllowedSigners(*signers)
	if err != nil {
		return err
	}
	sources, refused, n, err := a.boardSources(dirs, allowed)
	if err != nil {
		return err
	}
	// A large section takes a while to rank: say how far it is.
	var progress leaderboard.Progress
	if live := console.New(a.Stderr); live != nil {
		var last time.Time
		var mu sync.Mutex
		progress = func(dataset string, done, total int64) {
			mu.Lock()
			defer mu.Unlock()
			if time.Since(last) > 200*time.Millisecond || done == total {
				last = time.Now()
				live.Live("rank", fmt.Sprintf("ranking %s: %d of %d pairs of entries decided", dataset, done, total))
			}
		}
		defer live.Close()
	}
	board := leaderboard.Build(sources, progress)
	board.LeadWith(*lead)
	board.LinkSources(*dest, func(name string) (string, bool) {
		p, ok := builtin.Lookup(name)
		return p.Source, ok && p.Source != ""
	})
	board.Refused = refused
	for _, r := range refused {
		fmt.Fprintf(a.Stderr, "refused %s\n", r)
	}
	files, entries, err := boardFiles(board, *dest)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.Stderr, "%d entries in %d sections from %d results in %d directories (%d refused); wrote %d files under %s\n",
		entries, len(board.Sections), n, len(dirs), len(refused), files, *dest)
	return nil
}

// boardSources reads every results directory with its stamps; a result
// that cannot be read, or whose cell id does not match its recorded
// inputs, is refused with the reason. n counts the results read.
func (a *App) boardSources(dirs []string, allowed []results.AllowedSigner) (sources []leaderboard.Source, refused []string, n int, err error) {
	var read [][]*results.CellResult
	for _, dir := range dirs {
		rs, bad, err := results.ReadEach(dir, "")
		if err != nil {
			return nil, nil, 0, err
		}
		for _, err := range bad {
			refused = append(refused, err.Error())
		}
		stamps, err := results.ReadStamps(dir)
		if err != nil {
			return nil, nil, 0, err
		}
		read = append(read, rs)
		sources = append(sources, leaderboard.Source{Dir: dir, Stamps: stamps, Allowed: allowed})
	}
	merged, notes, err := results.Merge(read)
	if err != nil {
		return nil, nil, 0, err
	}
	for _, note := range notes {
		fmt.Fprintln(a.Stderr, note)
	}
	n = len(refused)
	for i, rs := range merged {
		for _, r := range declaredTuning(rs, a.specValues()) {
			// The reader checked every id a result has; one without is not
			// tied to any inputs.
			if err := results.CheckCellID(r); err != nil {
				refused = append(refused, fmt.Sprintf("%s: %s", r.Stored.Path(r), err))
				continue
			}
			sources[i].Results = append(sources[i].Results, r)
		}
		n += len(rs)
	}
	if n == 0 {
		return nil, nil, 0, fmt.Errorf("no results in %s", strings.Join(dirs, ", "))
	}
	return sources, refused, n, nil
}

// boardFiles writes the board's pages, data and plots under dest,
// removing plots of entries no longer on it; it returns how many files
// it wrote and the entries.
func boardFiles(board *leaderboard.Board, dest string) (written, entries int, err error) {
	page, err := leaderboard.HTML(board)
	if err != nil {
		return 0, 0, err
	}
	plots := filepath.Join(dest, "plots")
	if err := os.MkdirAll(plots, 0o755); err != nil {
		return 0, 0, err
	}
	data, err := leaderboard.JSON(board)
	if err != nil {
		return 0, 0, err
	}
	long, err := leaderboard.CSV(board)
	if err != nil {
		return 0, 0, err
	}
	files := map[string]string{
		filepath.Join(dest, "LEADERBOARD.md"):   leaderboard.Markdown(board),
		filepath.Join(dest, "leaderboard.html"): page,
		filepath.Join(dest, "leaderboard.json"): data,
		filepath.Join(dest, "leaderboard.csv"):  long,
	}
	for _, s := range board.Sections {
		for _, e := range s.Entries {
			entries++
			base := filepath.Join(plots, leaderboard.PlotName(s, e))
			files[base+"-heatmap.svg"] = leaderboard.HeatmapSVG(e, s.Dataset)
			files[base+"-bars.svg"] = leaderboard.BarsSVG(e, s.Dataset, s.BarsScale())
		}
	}
	// Plots of entries no longer on the board (or named the old way) go.
	old, _ := filepath.Glob(filepath.Join(plots, "*.svg"))
	for _, f := range old {
		if _, keep := files[f]; !keep && (strings.HasSuffix(f, "-heatmap.svg") || strings.HasSuffix(f, "-bars.svg")) {
			os.Remove(f)
		}
	}
	names := make([]string, 0, len(files))
	for f := range files {
		names = append(names, f)
	}
	slices.Sort(names)
	for _, f := range names {
		if err := safepath.WriteFile(f, []byte(files[f]), 0o644); err != nil {
			return 0, 0, err
		}
	}
	return len(files), entries, nil
}
