package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/xlbench/xlbench/harness/dataset"
	"github.com/xlbench/xlbench/harness/dispatch"
	"github.com/xlbench/xlbench/harness/leaderboard"
	"github.com/xlbench/xlbench/harness/metrics"
	"github.com/xlbench/xlbench/harness/pluginhost"
	"github.com/xlbench/xlbench/harness/qa"
	"github.com/xlbench/xlbench/harness/report"
	"github.com/xlbench/xlbench/harness/runner"
	"github.com/xlbench/xlbench/harness/spec"
)

// load parses and checks spec files, printing diagnostics. It fails when
// any is an error.
func (a *App) load(ctx context.Context, host *pluginhost.Host, files []string) (*spec.Spec, error) {
	if len(files) == 0 {
		return nil, errors.New("no spec file given")
	}
	s, diags := spec.Parse(files...)
	if !diags.HasErrors() {
		diags = append(diags, s.Check(ctx, host)...)
	}
	if len(diags) > 0 {
		spec.WriteDiagnostics(a.Stderr, s.Files, diags)
	}
	if diags.HasErrors() {
		return nil, exitError(1)
	}
	return s, nil
}

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
		src, err := os.ReadFile(f)
		if err != nil {
			return err
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
		if err := os.WriteFile(f, out, st.Mode()); err != nil {
			return err
		}
	}
	if *check && unformatted {
		return exitError(1)
	}
	return nil
}

type tableFlags struct {
	format, metrics string
}

func (t *tableFlags) register(fs interface {
	StringVar(*string, string, string, string)
}) {
	fs.StringVar(&t.format, "format", "table", "table format: "+strings.Join(report.Formats, ", "))
	fs.StringVar(&t.metrics, "metrics", strings.Join(report.DefaultMetrics, ","),
		"metrics per setting, comma-separated, or 'all': "+strings.Join(metrics.All, ", "))
}

func (t *tableFlags) check() ([]string, error) {
	if !slices.Contains(report.Formats, t.format) {
		return nil, fmt.Errorf("-format %q: want one of %s", t.format, strings.Join(report.Formats, ", "))
	}
	if t.metrics == "all" {
		return metrics.All, nil
	}
	var out []string
	for _, m := range strings.Split(t.metrics, ",") {
		m = strings.TrimSpace(m)
		if !slices.Contains(metrics.All, m) {
			return nil, fmt.Errorf("-metrics: unknown metric %q; metrics: %s", m, strings.Join(metrics.All, ", "))
		}
		out = append(out, m)
	}
	return out, nil
}

func (a *App) printTables(rs []*report.CellResult, tf *tableFlags, ms []string) error {
	if v := report.Validation(rs); v != nil {
		if err := v.Render(a.Stdout, tf.format); err != nil {
			return err
		}
	}
	for _, d := range report.Datasets(rs) {
		if err := report.Comparison(rs, d, ms).Render(a.Stdout, tf.format); err != nil {
			return err
		}
		for _, t := range []*report.Table{report.Differences(rs, d), report.HeldOut(rs, d), report.SignificanceTable(rs, d)} {
			if t == nil {
				continue
			}
			if err := t.Render(a.Stdout, tf.format); err != nil {
				return err
			}
		}
		if ans := report.Answers(rs, d); ans != nil {
			if err := ans.Render(a.Stdout, tf.format); err != nil {
				return err
			}
		}
		if err := report.PerLanguage(rs, d).Render(a.Stdout, tf.format); err != nil {
			return err
		}
	}
	return nil
}

// plan loads the specs (checking them against their plugins) and lists the
// cells of their experiments (of only, when set) in run order; an empty
// plan is an error that names the command.
func (a *App) plan(ctx context.Context, host *pluginhost.Host, files []string, only, what string) ([]runner.Cell, error) {
	s, err := a.load(ctx, host, files)
	if err != nil {
		return nil, err
	}
	var cells []runner.Cell
	for _, e := range s.Experiments {
		if only == "" || e.Name == only {
			cells = append(cells, runner.Plan(e)...)
		}
	}
	if len(cells) == 0 {
		return nil, fmt.Errorf("no experiment to %s (-experiment %q)", what, only)
	}
	return cells, nil
}

func (a *App) cmdRun(ctx context.Context, args []string) error {
	return a.run(ctx, "run", "[flags] SPEC...", args, -1)
}

// cmdCell runs one cell of the matrix by its index in the plan: the unit of
// work of a Slurm array task or a Kubernetes Indexed Job pod.
func (a *App) cmdCell(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "run" {
		return errors.New("usage: xlbench cell run -index N [run flags] SPEC...")
	}
	return a.run(ctx, "cell run", "-index N [run flags] SPEC...", args[1:], 0)
}

// run is run and cell run: index < 0 runs every cell, else index is
// replaced by the -index flag and only that cell runs.
func (a *App) run(ctx context.Context, name, usage string, args []string, index int) error {
	fs := a.flags(name, usage)
	dataDir := fs.String("data", "", "data directory (default $XLBENCH_DATA, else ../shared/data, else the download cache)")
	out := fs.String("out", "out", "results directory: OUT/<experiment>/<cell>/result.json (the committed reference results are under results/; verify compares with them)")
	trec := fs.String("trec", "", "write TREC runs and qrels, DIR/<dataset>-<setting>.trec (DIR/<experiment>/<cell>/… when the run has several cells)")
	depth := fs.Int("depth", 1000, "ranking depth of TREC runs (0 = full ranking)")
	only := fs.String("experiment", "", "run only this experiment")
	logLevel := fs.String("log-level", "", "plugin log level (default $XLBENCH_LOG_LEVEL or warn)")
	checkpoints := fs.Bool("checkpoints", false, "save each trained model as OUT/<experiment>/<cell>/model.ckpt")
	timeout := fs.Duration("plugin-timeout", 30*time.Minute, "longest a plugin may take to answer one call before it is reported as hung")
	force := fs.Bool("force", false, "rerun cells whose results are already stored for the same cell id")
	jobs := fs.Int("j", 1, "cells to run at once")
	var idx *int
	if index >= 0 {
		idx = fs.Int("index", -1, "the cell to run: its index in `xlbench plan` (a Slurm array task id, a Kubernetes job completion index)")
	}
	var tf tableFlags
	tf.register(fs)
	files, err := parse(fs, args)
	if err != nil {
		return err
	}
	ms, err := tf.check()
	if err != nil {
		return err
	}
	if *depth < 0 {
		return errors.New("-depth must be 0 (full) or positive")
	}
	if *jobs < 1 {
		return errors.New("-j must be at least 1")
	}
	host, err := a.newHost(ctx, *logLevel)
	if err != nil {
		return err
	}
	host.CallTimeout = *timeout
	// Whatever happens below, even a panic, no plugin outlives the run.
	defer host.Close()
	cells, err := a.plan(ctx, host, files, *only, "run")
	if err != nil {
		return err
	}
	if idx != nil {
		if *idx < 0 || *idx >= len(cells) {
			return fmt.Errorf("-index %d: the plan has cells 0 to %d", *idx, len(cells)-1)
		}
		cells = cells[*idx : *idx+1]
	}
	store, err := dataset.Resolve(*dataDir)
	if err != nil {
		return err
	}
	unlock, err := runner.LockOut(*out, idx != nil)
	if err != nil {
		return err
	}
	defer unlock()
	fmt.Fprintf(a.Stderr, "data: %s (%s); results: %s; %d cells\n", store.Dir, store.Origin, *out, len(cells))
	r := &runner.Runner{Plugins: host, Store: store, Out: *out, TRECDir: *trec, Depth: *depth,
		SingleCell: len(cells) == 1 && idx == nil, Checkpoints: *checkpoints, Version: Version, Log: a.Stderr,
		Self: host.Self, Force: *force, Jobs: *jobs}
	results, runErr := r.Run(ctx, cells)
	if len(results) > 0 {
		if runErr != nil {
			fmt.Fprintf(a.Stdout, "INCOMPLETE: %d of %d cells finished; the tables below cover only those.\n\n", len(results), len(cells))
		}
		if err := a.printByExperiment(results, &tf, ms); err != nil {
			return err
		}
	}
	return runErr
}

func (a *App) cmdReport(_ context.Context, args []string) error {
	fs := a.flags("report", "[flags]")
	out := fs.String("out", "out", "results directory (the committed reference results: -out results)")
	only := fs.String("experiment", "", "only this experiment")
	var tf tableFlags
	tf.register(fs)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	ms, err := tf.check()
	if err != nil {
		return err
	}
	rs, err := report.ReadAll(*out, *only)
	if err != nil {
		return err
	}
	if len(rs) == 0 {
		return fmt.Errorf("no results under %s", *out)
	}
	return a.printByExperiment(rs, &tf, ms)
}

// printByExperiment prints the tables of each experiment's results apart:
// an experiment's rows are compared with its own baseline, under its own
// language note.
func (a *App) printByExperiment(rs []*report.CellResult, tf *tableFlags, ms []string) error {
	byExp := map[string][]*report.CellResult{}
	var order []string
	for _, r := range rs {
		if _, ok := byExp[r.Experiment]; !ok {
			order = append(order, r.Experiment)
		}
		byExp[r.Experiment] = append(byExp[r.Experiment], r)
	}
	missing := report.Missing(rs)
	for _, e := range order {
		fmt.Fprintf(a.Stdout, "experiment %s\n\n", e)
		if m := missing[e]; len(m) > 0 {
			fmt.Fprintf(a.Stdout, "INCOMPLETE: %d of %d cells stored; missing: %s. The tables below cover only the stored cells.\n\n",
				len(byExp[e]), len(byExp[e])+len(m), strings.Join(m, ", "))
		}
		if err := a.printTables(byExp[e], tf, ms); err != nil {
			return err
		}
	}
	return nil
}

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
	store, err := dataset.Resolve(*dataDir)
	if err != nil && *dataDir != "" {
		if mk := os.MkdirAll(*dataDir, 0o755); mk != nil {
			return err
		}
		store, err = dataset.Resolve(*dataDir)
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

// cmdScoreQA scores a predictions file ({"<question id>": "<answer>"})
// against a SQuAD-layout dataset file and prints the official scripts'
// output, {"exact_match": …, "f1": …}, in percent.
func (a *App) cmdScoreQA(_ context.Context, args []string) error {
	fs := a.flags("score-qa", "-lang LANG DATASET PREDICTIONS")
	lang := fs.String("lang", "", "language of the answers, which picks the normalisation rules: "+strings.Join(qa.Languages, ", "))
	files, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 2 {
		return errors.New("score-qa takes a dataset file and a predictions file")
	}
	if *lang == "" {
		return errors.New("-lang is required: the answers' language picks the normalisation rules")
	}
	s, err := qa.ScoreFiles(files[0], files[1], *lang)
	if err != nil {
		return err
	}
	if s.Answered == 0 && s.Questions > 0 {
		return fmt.Errorf("no prediction in %s answers a question of %s: the ids do not match (wrong file, or wrong dataset?)", files[1], files[0])
	}
	if s.Answered < s.Questions {
		fmt.Fprintf(a.Stderr, "%d of %d questions unanswered; they score 0\n", s.Questions-s.Answered, s.Questions)
	}
	out, _ := json.Marshal(s)
	fmt.Fprintln(a.Stdout, string(out))
	return nil
}

// cmdPlan lists the cells of the specs' experiments in run order, with the
// cell id that decides whether a stored result can be reused and, for a
// cell that starts from a pretraining stage, the stage's cell and id.
func (a *App) cmdPlan(ctx context.Context, args []string) error {
	fs := a.flags("plan", "[-data DIR] SPEC...")
	dataDir := fs.String("data", "", "data directory (its files' checksums enter the cell ids)")
	only := fs.String("experiment", "", "only this experiment")
	files, err := parse(fs, args)
	if err != nil {
		return err
	}
	host, err := a.newHost(ctx, "")
	if err != nil {
		return err
	}
	defer host.Close()
	cells, err := a.plan(ctx, host, files, *only, "plan")
	if err != nil {
		return err
	}
	store, err := dataset.Resolve(*dataDir)
	if err != nil {
		return err
	}
	r := &runner.Runner{Store: store, Version: Version, Self: host.Self}
	for i, c := range cells {
		in, err := r.CellInputs(c, host.Self)
		if err != nil {
			return fmt.Errorf("cell %s/%s: %w", c.Experiment.Name, c.Name, err)
		}
		line := fmt.Sprintf("%d\t%s\t%s/%s", i, in.ID(), c.Experiment.Name, c.Name)
		if in.Stage != nil {
			line += fmt.Sprintf("\tafter %s/%s (%s)", in.Stage.Experiment, in.Stage.Cell, in.Stage.ID)
		}
		fmt.Fprintln(a.Stdout, line)
	}
	return nil
}

// cmdVerify reruns specs and compares every cell's metrics with the
// reference results (the committed ones under results/ by default).
func (a *App) cmdVerify(ctx context.Context, args []string) error {
	fs := a.flags("verify", "[flags] SPEC...")
	dataDir := fs.String("data", "", "data directory (default $XLBENCH_DATA, else ../shared/data, else the download cache)")
	ref := fs.String("ref", "results", "directory of the reference results")
	out := fs.String("out", "", "where the rerun writes its results (default: a temporary directory, removed afterwards)")
	tol := fs.Float64("tolerance", 1e-3, "largest difference accepted, absolute for metrics up to 1, relative above (rank distance)")
	only := fs.String("experiment", "", "only this experiment")
	files, err := parse(fs, args)
	if err != nil {
		return err
	}
	host, err := a.newHost(ctx, "")
	if err != nil {
		return err
	}
	defer host.Close()
	cells, err := a.plan(ctx, host, files, *only, "verify")
	if err != nil {
		return err
	}
	store, err := dataset.Resolve(*dataDir)
	if err != nil {
		return err
	}
	dir := *out
	if dir == "" {
		if dir, err = os.MkdirTemp("", "xlbench-verify"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	r := &runner.Runner{Plugins: host, Store: store, Out: dir, Version: Version, Log: a.Stderr, Self: host.Self, Force: true}
	results, runErr := r.Run(ctx, cells)
	got := map[string]*report.CellResult{}
	for _, res := range results {
		got[res.Experiment+"/"+res.Cell] = res
	}
	bad := 0
	for _, c := range cells {
		name := c.Experiment.Name + "/" + c.Name
		want, err := report.Read(*ref, c.Experiment.Name, c.Name)
		switch {
		case err != nil:
			fmt.Fprintf(a.Stdout, "%s: reference unreadable: %v\n", name, err)
			bad++
		case want == nil:
			fmt.Fprintf(a.Stdout, "%s: no reference result in %s\n", name, *ref)
			bad++
		case got[name] == nil:
			fmt.Fprintf(a.Stdout, "%s: the rerun failed\n", name)
			bad++
		default:
			diffs := report.Compare(want, got[name], *tol)
			if len(diffs) == 0 {
				fmt.Fprintf(a.Stdout, "%s: ok\n", name)
				continue
			}
			bad++
			fmt.Fprintf(a.Stdout, "%s: %d metrics differ\n", name, len(diffs))
			for _, d := range diffs[:min(len(diffs), 10)] {
				fmt.Fprintf(a.Stdout, "  %s %s %s: reference %.6g, rerun %.6g\n", d.Dataset, d.Setting, d.Metric, d.Want, d.Got)
			}
		}
	}
	if runErr != nil {
		fmt.Fprintln(a.Stderr, runErr)
	}
	if bad > 0 {
		fmt.Fprintf(a.Stdout, "%d of %d cells differ from the reference (tolerance %g)\n", bad, len(cells), *tol)
		return exitError(1)
	}
	fmt.Fprintf(a.Stdout, "all %d cells agree with the reference (tolerance %g)\n", len(cells), *tol)
	return nil
}

// cmdSubmit renders the cluster job that runs every cell of the plan as
// its own task, writes it under the results directory and, unless
// -dry-run, submits it (sbatch; kubectl apply).
func (a *App) cmdSubmit(ctx context.Context, args []string) error {
	fs := a.flags("submit", "-backend slurm|kubernetes [flags] SPEC...")
	backend := fs.String("backend", "slurm", "slurm (an sbatch job array) or kubernetes (an Indexed Job)")
	dataDir := fs.String("data", "", "data directory as the tasks see it (default: the one xlbench run would use here)")
	out := fs.String("out", "out", "results directory, shared by every task")
	only := fs.String("experiment", "", "only this experiment")
	dry := fs.Bool("dry-run", false, "write the job file and print it; do not submit")
	partition := fs.String("partition", "", "slurm: partition")
	walltime := fs.String("time", "", "slurm: time limit per task (HH:MM:SS)")
	cpus := fs.Int("cpus", 2, "slurm: CPUs per task")
	mem := fs.String("mem", "", "slurm: memory per task (e.g. 8G)")
	image := fs.String("image", "", "kubernetes: image with xlbench on its PATH")
	parallel := fs.Int("parallelism", 0, "kubernetes: pods at once (0: all)")
	claim := fs.String("claim", "", "kubernetes: persistent volume claim with the data and results")
	mount := fs.String("mount", "/work", "kubernetes: where the claim is mounted")
	files, err := parse(fs, args)
	if err != nil {
		return err
	}
	host, err := a.newHost(ctx, "")
	if err != nil {
		return err
	}
	defer host.Close()
	cells, err := a.plan(ctx, host, files, *only, "submit")
	if err != nil {
		return err
	}
	n := len(cells)
	abs := func(p string) string {
		if *backend == "kubernetes" {
			return p // paths inside the pods, as given
		}
		if q, err := filepath.Abs(p); err == nil {
			return q
		}
		return p
	}
	data := *dataDir
	if data == "" {
		store, err := dataset.Resolve("")
		if err != nil {
			return err
		}
		data = store.Dir
	}
	cellArgs := []string{"-data", abs(data), "-out", abs(*out)}
	if *only != "" {
		cellArgs = append(cellArgs, "-experiment", *only)
	}
	for _, f := range files {
		cellArgs = append(cellArgs, abs(f))
	}
	name := "xlbench-" + strings.TrimSuffix(filepath.Base(files[0]), filepath.Ext(files[0]))
	job := dispatch.Job{Name: name, Cells: n, Xlbench: host.Self, Args: cellArgs, LogDir: abs(*out),
		Partition: *partition, Time: *walltime, CPUs: *cpus, Mem: *mem,
		Image: *image, Parallelism: *parallel, Claim: *claim, MountPath: *mount}
	var text, file string
	var submit []string
	switch *backend {
	case "slurm":
		text, err = dispatch.Slurm(job)
		file = filepath.Join(*out, name+".sbatch")
		submit = []string{"sbatch", "--parsable", file}
	case "kubernetes":
		job.Xlbench = "xlbench"
		text, err = dispatch.Kubernetes(job)
		file = filepath.Join(*out, name+".job.yaml")
		submit = []string{"kubectl", "apply", "-f", file}
	default:
		return fmt.Errorf("-backend %q: want slurm or kubernetes", *backend)
	}
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(file, []byte(text), 0o755); err != nil {
		return err
	}
	fmt.Fprintf(a.Stderr, "%d cells; wrote %s\n", n, file)
	if *dry {
		fmt.Fprint(a.Stdout, text)
		return nil
	}
	cmd := exec.CommandContext(ctx, submit[0], submit[1:]...)
	cmd.Stdout, cmd.Stderr = a.Stdout, a.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", strings.Join(submit, " "), err)
	}
	fmt.Fprintf(a.Stderr, "submitted; when the tasks are done, `xlbench report -out %s` merges their results\n", *out)
	return nil
}

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
		if err := os.WriteFile(f, []byte(files[f]), 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(a.Stderr, "%d rows from %d results; wrote %d files under %s\n", len(rows), len(rs), len(files), *dest)
	return nil
}
