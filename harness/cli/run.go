package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/xlbench/xlbench/harness/internal/console"
	"github.com/xlbench/xlbench/harness/internal/peakrss"
	"github.com/xlbench/xlbench/harness/internal/proccpu"
	"github.com/xlbench/xlbench/harness/internal/safepath"
	"github.com/xlbench/xlbench/harness/metrics"
	"github.com/xlbench/xlbench/harness/plan"
	"github.com/xlbench/xlbench/harness/report"
	"github.com/xlbench/xlbench/harness/results"
	"github.com/xlbench/xlbench/harness/runner"
)

func (a *App) cmdRun(ctx context.Context, args []string) error {
	rf := a.newRunFlags("run", "[flags] SPEC...")
	files, err := rf.parse(args)
	if err != nil {
		return err
	}
	return a.runPlan(ctx, rf, files, func(cells []plan.Cell) ([]plan.Cell, error) { return cells, nil }, false)
}

// cmdCell runs one cell of the matrix by its index in the plan: the unit of
// work of a Slurm array task or a Kubernetes Indexed Job pod.
func (a *App) cmdCell(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "run" {
		return errors.New("usage: xlbench cell run -index N [run flags] SPEC...")
	}
	rf := a.newRunFlags("cell run", "-index N [run flags] SPEC...")
	index := rf.fs.Int("index", -1, "the cell to run: its index in `xlbench plan` (a Slurm array task id, a Kubernetes job completion index)")
	files, err := rf.parse(args[1:])
	if err != nil {
		return err
	}
	one := func(cells []plan.Cell) ([]plan.Cell, error) {
		if *index < 0 || *index >= len(cells) {
			return nil, fmt.Errorf("-index %d: the plan has cells 0 to %d", *index, len(cells)-1)
		}
		return cells[*index : *index+1], nil
	}
	return a.runPlan(ctx, rf, files, one, true)
}

// runFlags are the flags of run and cell run.
type runFlags struct {
	fs                 *flag.FlagSet
	dataDir, out, trec *string
	only, logLevel     *string
	by                 *string
	depth, jobs        *int
	maxFile            *int64
	checkpoints, force *bool
	timeout            *time.Duration
	reuse              stringsFlag
	tables             tableFlags
	metrics            []metrics.Name
}

func (a *App) newRunFlags(name, usage string) *runFlags {
	fs := a.flags(name, usage)
	rf := &runFlags{fs: fs}
	rf.dataDir = fs.String("data", "", "data directory (default $XLBENCH_DATA, else ../shared/data, else the download cache)")
	rf.out = fs.String("out", "out", "results directory: OUT/<experiment>/<cell>/result.json (the committed reference results are under results/; verify compares with them)")
	rf.trec = fs.String("trec", "", "write TREC runs and qrels, DIR/<dataset>-<setting>.trec (DIR/<experiment>/<cell>/… when the run has several cells)")
	rf.depth = fs.Int("depth", 1000, "ranking depth of TREC runs (0 = full ranking)")
	rf.only = fs.String("experiment", "", "run only this experiment")
	rf.logLevel = fs.String("log-level", "", "plugin log level (default $XLBENCH_LOG_LEVEL or warn)")
	rf.checkpoints = fs.Bool("checkpoints", false, "save each trained model as OUT/<experiment>/<cell>/model.ckpt")
	rf.timeout = fs.Duration("plugin-timeout", 30*time.Minute, "longest a plugin may take to answer one call before it is reported as hung")
	rf.force = fs.Bool("force", false, "rerun cells whose results are already stored for the same cell id")
	fs.Var(&rf.reuse, "reuse", "take stored cells with a matching cell id from this read-only results directory instead of running them (repeatable; e.g. -reuse results)")
	rf.jobs = fs.Int("j", 1, "computations at once: cells, and a reader while it trains (a cell waiting for the reader takes none)")
	rf.maxFile = fs.Int64("max-file", 0, "largest data file read, in bytes decompressed (default $XLBENCH_MAX_FILE, else 1 GiB)")
	rf.by = fs.String("by", "", "who runs the cells, recorded in each result (the submitter the leaderboard names; default: git config user.name <user.email> of the current folder, else user@host)")
	rf.tables.register(fs)
	return rf
}

// parse parses args and checks the flags; it returns the spec files.
func (rf *runFlags) parse(args []string) ([]string, error) {
	files, err := parse(rf.fs, args)
	if err != nil {
		return nil, err
	}
	if rf.metrics, err = rf.tables.check(); err != nil {
		return nil, err
	}
	if *rf.depth < 0 {
		return nil, errors.New("-depth must be 0 (full) or positive")
	}
	if *rf.jobs < 1 {
		return nil, errors.New("-j must be at least 1")
	}
	if *rf.maxFile < 0 {
		return nil, errors.New("-max-file must be a positive number of bytes")
	}
	return files, nil
}

// runPlan plans the spec files, keeps the cells choose returns and runs
// them, printing the tables of what finished. oneCell is cell run's path:
// the cell is one task of an array that shares -out, and its TREC files
// are laid out like a whole run's.
func (a *App) runPlan(ctx context.Context, rf *runFlags, files []string, choose func([]plan.Cell) ([]plan.Cell, error), oneCell bool) error {
	host, err := a.newHost(ctx, *rf.logLevel)
	if err != nil {
		return err
	}
	host.CallTimeout = *rf.timeout
	// Whatever happens below, even a panic, no plugin outlives the run.
	defer host.Close()
	cells, err := a.plan(ctx, host, files, *rf.only, "run")
	if err != nil {
		return err
	}
	if cells, err = choose(cells); err != nil {
		return err
	}
	store, err := a.dataStore(*rf.dataDir)
	if err != nil {
		return err
	}
	if *rf.maxFile > 0 {
		store.MaxBytes = *rf.maxFile
	}
	unlock, err := runner.LockOut(*rf.out, oneCell)
	if err != nil {
		return err
	}
	defer unlock()
	fmt.Fprintf(a.Stderr, "data: %s (%s); results: %s; %d cells\n", store.Dir, store.Origin, *rf.out, len(cells))
	specs, locks, err := runner.SpecFiles(files)
	if err != nil {
		return err
	}
	log, events, endLog := a.log()
	r := runner.New(runner.Config{Plugins: host, Store: store, Out: *rf.out, TRECDir: *rf.trec, Depth: *rf.depth,
		SingleCell: len(cells) == 1 && !oneCell, Checkpoints: *rf.checkpoints, Version: Version, Log: log, Events: events,
		Force: *rf.force, Jobs: *rf.jobs, Reuse: rf.reuse, Specs: specs, Locks: locks, RunBy: runBy(ctx, *rf.by)})
	runStart := time.Now()
	done, runErr := r.Run(ctx, cells)
	endLog()
	printPhaseSummary(a.Stderr, done, runStart, r.ReaderTraining())
	printPeakMemory(a.Stderr)
	if len(done) > 0 {
		incomplete := ""
		if runErr != nil {
			incomplete = fmt.Sprintf("INCOMPLETE: %d of %d cells finished; the tables below cover only those.\n\n", len(done), len(cells))
		}
		reportFile := ""
		if !oneCell {
			// Every table, in Markdown, for reading in full; the terminal
			// gets the answer.
			var md bytes.Buffer
			fmt.Fprintf(&md, "# xlbench run of %s\n\n%s", strings.Join(files, " "), incomplete)
			if err := a.printByExperiment(&md, done, &tableFlags{format: "markdown", full: true}, rf.metrics); err != nil {
				return err
			}
			reportFile = results.ReportPath(*rf.out, files)
			if err := safepath.WriteFile(reportFile, md.Bytes(), 0o644); err != nil {
				return err
			}
		}
		fmt.Fprint(a.Stdout, incomplete)
		if err := a.printByExperiment(a.Stdout, done, &rf.tables, rf.metrics); err != nil {
			return err
		}
		if reportFile != "" && rf.tables.brief() {
			fmt.Fprintln(a.Stdout, report.Wrap("All tables (per language, held-out languages, significance tests, answers, settings): "+reportFile, report.TerminalWidth))
		}
	}
	return runErr
}

// printPhaseSummary says where the run's time went: for the cells run
// now (not those found stored or reused), each phase's wall time summed
// over the cells and the CPU their encoder processes used in it; the
// readers' training, in the background; and the run's wall and CPU time.
func printPhaseSummary(w io.Writer, cells []*results.CellResult, runStart time.Time, readers map[string]time.Duration) {
	type total struct {
		cells     int
		wall, cpu float64
	}
	totals := map[string]*total{}
	ran, cellWall := 0, 0.0
	for _, res := range cells {
		if res == nil || res.Started.Before(runStart) || len(res.Phases) == 0 {
			continue
		}
		ran++
		cellWall += res.WallSeconds
		for _, p := range res.Phases {
			t := totals[p.Name]
			if t == nil {
				t = &total{}
				totals[p.Name] = t
			}
			t.cells++
			t.wall += p.WallSeconds
			t.cpu += p.EncoderCPUSeconds
		}
	}
	wall := time.Since(runStart)
	if ran > 0 {
		fmt.Fprintf(w, "\nwhere the time went: %d cells run now, %.0f s of cell time (cells overlap with -j > 1)\n", ran, cellWall)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "phase\tcells\twall s\tshare\tencoder CPU s\t\n")
		for _, n := range results.PhaseNames {
			if t := totals[n]; t != nil {
				fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.0f%%\t%.1f\t\n", n, t.cells, t.wall, 100*t.wall/cellWall, t.cpu)
			}
		}
		tw.Flush()
	}
	for _, name := range slices.Sorted(maps.Keys(readers)) {
		fmt.Fprintf(w, "reader %s: trained in %.1f s, in the background\n", name, readers[name].Seconds())
	}
	if self, children, ok := proccpu.Run(); ok {
		fmt.Fprintf(w, "run: wall %.1f s; CPU %.1f s in the harness, %.1f s in plugin processes that have ended\n",
			wall.Seconds(), self.Seconds(), children.Seconds())
	}
}

// printPeakMemory reports the run's memory high-water marks: the harness
// process's and the largest plugin process's (each plugin has ended by
// now).
func printPeakMemory(w io.Writer) {
	self, ok := peakrss.Self()
	if !ok {
		return
	}
	fmt.Fprintf(w, "peak memory (RSS): harness %d MB", self>>20)
	if child, ok := peakrss.Children(); ok && child > 0 {
		fmt.Fprintf(w, ", largest plugin process %d MB", child>>20)
	}
	fmt.Fprintln(w)
}

// stringsFlag is a repeatable string flag.
type stringsFlag []string

func (f *stringsFlag) String() string     { return strings.Join(*f, ",") }
func (f *stringsFlag) Set(v string) error { *f = append(*f, v); return nil }

// log is where a run's progress goes: on a terminal a console with one
// live line of what every running cell is doing, otherwise plain lines on
// stderr. end clears the live line.
func (a *App) log() (w io.Writer, events runner.Events, end func()) {
	if c := console.New(a.Stderr); c != nil {
		return c, liveLine{c}, c.Close
	}
	return a.Stderr, nil, func() {}
}

// liveLine shows each running cell's state on the console's live line.
type liveLine struct{ c *console.Console }

func (l liveLine) CellStatus(cell, what string) { l.c.Live(cell, what) }
