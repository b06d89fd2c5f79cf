// Package runner runs the cells package plan lays out: start the encoder
// plugin, configure it, train it, evaluate it on every dataset, and store
// the result.
package runner

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/xlbench/xlbench/harness/dataset"
	"github.com/xlbench/xlbench/harness/eval"
	"github.com/xlbench/xlbench/harness/lang"
	"github.com/xlbench/xlbench/harness/metrics"
	"github.com/xlbench/xlbench/harness/plan"
	"github.com/xlbench/xlbench/harness/results"
	"github.com/xlbench/xlbench/harness/spec"
	"github.com/xlbench/xlbench/harness/train"
	"github.com/xlbench/xlbench/plugins"
)

// cellNames lists e's cells in plan order, as each result records them:
// planned once per experiment and run.
func (r *Runner) cellNames(e *spec.Experiment) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if names, ok := r.planNames[e]; ok {
		return names
	}
	var names []string
	for _, c := range plan.Plan(e) {
		names = append(names, c.Name)
	}
	if r.planNames == nil {
		r.planNames = map[*spec.Experiment][]string{}
	}
	r.planNames[e] = names
	return names
}

// ids is the run's Identifier (IDs), hashing each file once per run.
func (r *Runner) ids() *plan.Identifier {
	r.idsOnce.Do(func() {
		if r.IDs == nil {
			r.IDs = &plan.Identifier{DataDir: r.Store.Dir}
		}
	})
	return r.IDs
}

// PluginStarter starts plugin processes; the plugin host is one. A
// sampler comes with the Observer its feedback goes to (nil when it
// cannot be sent any).
type PluginStarter interface {
	StartEncoder(ref, label string) (plugins.Encoder, func(), error)
	StartSampler(ref, label string) (plugins.Sampler, plugins.Observer, func(), error)
	StartReader(ref, label string) (plugins.Reader, func(), error)
}

// Config is what a run is told, built once by the command: where plugins,
// data and results are, what to write, how many cells at once. A Runner
// holds one beside the run's own state.
type Config struct {
	Plugins PluginStarter
	Store   *dataset.Store
	// Out is the results directory.
	Out string
	// TRECDir, when set, receives TREC runs; Depth cuts their rankings
	// (0 = full).
	TRECDir string
	Depth   int
	// SingleCell puts TREC files straight under TRECDir, for a matrix of
	// one cell; otherwise each cell writes under TRECDir/<experiment>/<cell>.
	SingleCell bool
	// Checkpoints saves each trained model as OUT/<experiment>/<cell>/model.ckpt.
	Checkpoints bool
	Version     string
	// Force reruns cells whose stored result has the same cell id.
	Force bool
	// Reuse lists read-only results directories (e.g. the committed
	// references) whose stored cells with a matching cell id are taken
	// as they are instead of being run; nothing is written to them, and
	// a reused cell is not copied to Out.
	Reuse []string
	// Jobs is how many cells run at once (default 1). Training progress
	// is printed as plain lines, each with its cell; with more than one
	// job a status line lists every running cell each StatusEvery (default
	// 10 s), unless Events shows them as they change.
	Jobs        int
	StatusEvery time.Duration
	// Log receives progress lines.
	Log io.Writer
	// Events, when set, is told what each running cell is doing as it
	// changes (a terminal's live line subscribes), in place of the
	// periodic status lines.
	Events Events
	// Specs and Locks are the spec files the cells come from and the lock
	// files beside them (SpecFiles), recorded in each result's manifest.
	Specs, Locks []results.FileHash
	// RunBy names who runs the cells, recorded in each result's manifest.
	RunBy string
	// IDs describes cells by their inputs (package plan); nil: one over
	// Store's directory, made on first use.
	IDs *plan.Identifier
}

// Runner runs cells: a Config, and the state of the run it drives.
type Runner struct {
	Config
	// Reused records, per "experiment/cell", the directory of Reuse each
	// reused cell came from.
	Reused map[string]string

	mu    sync.Mutex
	cache map[string]*dataset.Collection
	// corpora holds each training corpus, loaded once and shared by the
	// cells (and readers) that train on it; different corpora load at
	// once, so a stage's corpus does not wait behind its cells'.
	corpora map[string]*corpusLoad
	// readers trains and serves the experiments' readers (reading.go).
	readers     *readerService
	readersOnce sync.Once
	idsOnce     sync.Once
	// status holds what each running cell is doing, for the status lines
	// of a parallel run.
	status map[string]string
	// slots bounds what computes at once (Jobs): cells, and readers while
	// they train; a cell waits for the reader's training without one (Run).
	slots *computeSlots
	// planNames holds each experiment's cell names (cellNames).
	planNames map[*spec.Experiment][]string
	// stages holds, per stage cell id, the stage's one run in this process.
	stages map[string]*stageRun
}

// New returns a Runner for one run of cfg.
func New(cfg Config) *Runner { return &Runner{Config: cfg} }

// Events is what a run tells its watcher as it happens.
type Events interface {
	// CellStatus says what the cell (its label) is doing now; "" when it
	// is done.
	CellStatus(cell, what string)
}

// setStatus records what a running cell is doing; "" removes it.
func (r *Runner) setStatus(cell, what string) {
	r.mu.Lock()
	if r.status == nil {
		r.status = map[string]string{}
	}
	if what == "" {
		delete(r.status, cell)
	} else {
		r.status[cell] = what
	}
	r.mu.Unlock()
	if r.Events != nil {
		r.Events.CellStatus(cell, what)
	}
}

// statusLine lists the running cells and what each is doing.
func (r *Runner) statusLine() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	names := make([]string, 0, len(r.status))
	for n := range r.status {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + ": " + r.status[n]
	}
	return strings.Join(parts, " · ")
}

// reportStatus prints the status line every interval until stop closes.
func (r *Runner) reportStatus(interval time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			if line := r.statusLine(); line != "" {
				r.logf("[running] %s", line)
			}
		}
	}
}

// progress is where training progress goes: the log, as plain lines.
func (r *Runner) progress() io.Writer {
	return r.Log
}

func (r *Runner) logf(format string, args ...any) {
	if r.Log != nil {
		fmt.Fprintf(r.Log, format+"\n", args...)
	}
}

// Collection loads a dataset once per run.
func (r *Runner) Collection(d *spec.Dataset) (*dataset.Collection, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.cache[d.Name]; ok {
		return c, nil
	}
	f, _ := dataset.LookupFormat(d.Format)
	c, err := f.LoadEval(r.Store, d.Decl())
	if err != nil {
		return nil, err
	}
	if r.cache == nil {
		r.cache = map[string]*dataset.Collection{}
	}
	r.cache[d.Name] = c
	r.logf("loaded %s", c.Summary())
	return c, nil
}

// corpusKey names an experiment's training corpus: its datasets and the
// languages it holds out.
func corpusKey(e *spec.Experiment) string {
	var names []string
	for _, d := range e.Train {
		names = append(names, d.Name)
	}
	return fmt.Sprintf("%s -%s ~%g", strings.Join(names, "+"), strings.Join(e.HeldOut, ","), e.Validation)
}

// corpusLoad is one training corpus, loading until done is closed.
type corpusLoad struct {
	done chan struct{}
	c    *train.Corpus
	err  error
}

// TrainingCorpus loads and joins an experiment's training datasets, less
// its held-out languages, once per run, and prints their per-language
// counts the first time. A caller asking for a corpus another is loading
// waits for it, and gets its error if it failed.
func (r *Runner) TrainingCorpus(e *spec.Experiment) (*train.Corpus, error) {
	key := corpusKey(e)
	r.mu.Lock()
	l, loading := r.corpora[key]
	if !loading {
		if r.corpora == nil {
			r.corpora = map[string]*corpusLoad{}
		}
		l = &corpusLoad{done: make(chan struct{})}
		r.corpora[key] = l
	}
	r.mu.Unlock()
	if !loading {
		l.c, l.err = r.loadCorpus(e)
		close(l.done)
	}
	<-l.done
	return l.c, l.err
}

// loadCorpus is TrainingCorpus's load.
func (r *Runner) loadCorpus(e *spec.Experiment) (*train.Corpus, error) {
	var parts []*dataset.TrainCorpus
	for _, d := range e.Train {
		f, _ := dataset.LookupFormat(d.Format)
		tc, err := f.LoadTrain(r.Store, d.Decl())
		if err != nil {
			return nil, err
		}
		r.logf("loaded training dataset %s: %d groups", d.Name, len(tc.Groups))
		parts = append(parts, tc)
	}
	c, err := train.Build(parts, e.HeldOut, e.Validation)
	if err != nil {
		return nil, fmt.Errorf("experiment %s: %w", e.Name, err)
	}
	r.logf("%s", strings.TrimRight(c.Describe(), "\n"))
	return c, nil
}

// cellRun is one cell on its way through the steps of RunCell.
type cellRun struct {
	cell    plan.Cell
	label   string
	started time.Time
	status  func(string)
	enc     plugins.Encoder
	info    plugins.EncoderInfo
	// steps is how many steps the cell trains, set when its encoder is
	// configured (which learns it) and taken by trainCell.
	steps int
	rec   *train.Record
	stage *results.StageInfo
	// stageResult is the result of the stage the cell starts from.
	stageResult *results.CellResult
	reading     *results.Reading
	// evaluated holds each evaluation dataset's outcome, in spec order.
	evaluated []datasetOutcome
	// phases accumulates the time of each phase (results.PhaseNames).
	phases map[string]*results.Phase
	// stop stops the encoder's process (nil before it starts).
	stop func()
}

// stopEncoder stops the encoder's process, once; after it the cell has no
// encoder.
func (run *cellRun) stopEncoder() {
	if run.stop != nil {
		run.stop()
		run.stop = nil
	}
	run.enc = nil
}

// cpuTimer is an encoder whose process's CPU time can be read (the plugin
// host's are).
type cpuTimer interface {
	CPUTime() (time.Duration, bool)
}

// encoderCPU is the CPU time the cell's encoder process has used so far,
// 0 where it cannot be read.
func (run *cellRun) encoderCPU() time.Duration {
	if t, ok := run.enc.(cpuTimer); ok {
		if d, ok := t.CPUTime(); ok {
			return d
		}
	}
	return 0
}

// addPhase adds wall and encoder CPU time to the phase name.
func (run *cellRun) addPhase(name string, wall, cpu time.Duration) {
	if run.phases == nil {
		run.phases = map[string]*results.Phase{}
	}
	p := run.phases[name]
	if p == nil {
		p = &results.Phase{Name: name}
		run.phases[name] = p
	}
	p.WallSeconds += wall.Seconds()
	p.EncoderCPUSeconds += max(cpu, 0).Seconds()
}

// timed runs f as (part of) the phase name.
func (run *cellRun) timed(name string, f func() error) error {
	start, cpu := time.Now(), run.encoderCPU()
	err := f()
	run.addPhase(name, time.Since(start), run.encoderCPU()-cpu)
	return err
}

// phaseList is the cell's phases in results.PhaseNames order, those it
// spent time in.
func (run *cellRun) phaseList() []results.Phase {
	var out []results.Phase
	for _, n := range results.PhaseNames {
		if p := run.phases[n]; p != nil {
			out = append(out, *p)
		}
	}
	return out
}

// datasetOutcome is one evaluation dataset's part of a cell's result.
type datasetOutcome struct {
	name     string
	info     results.DatasetInfo
	result   eval.Result
	oracle   results.Scores
	hasRead  bool
	perQuery map[results.Series]map[string]float64
}

// RunCell runs one cell and stores its result: start the encoder (from the
// stage's model when the experiment has one), train it, evaluate it on
// every dataset (reading the answers when the experiment has a reader),
// and store the result. The result is written only when every dataset was
// evaluated.
func (r *Runner) RunCell(ctx context.Context, cell plan.Cell) (*results.CellResult, error) {
	started := time.Now()
	var stage *results.CellResult
	if cell.Stage != nil {
		// The stage runs (or is found stored) first, whoever asks first.
		var err error
		if stage, err = r.RunStage(ctx, *cell.Stage); err != nil {
			return nil, fmt.Errorf("cell %s/%s: %w", cell.Experiment.Name, cell.Name, err)
		}
		// A reader that waited for the stage trains first: every reading
		// cell waits for it, this one included.
		if r.slots != nil && r.slots.yield() {
			if err := r.slots.acquire(ctx, false); err != nil {
				return nil, fmt.Errorf("cell %s/%s: not run: %w", cell.Experiment.Name, cell.Name, err)
			}
		}
	}
	return r.runCell(ctx, cell, stage, false, started)
}

// runCell runs the cell from its stage's result (nil without a stage);
// started is when it began to wait for its stage (the wait is its first
// phase).
func (r *Runner) runCell(ctx context.Context, cell plan.Cell, stage *results.CellResult, saveModel bool, started time.Time) (res *results.CellResult, err error) {
	run := &cellRun{cell: cell, started: started, label: fmt.Sprintf("cell %s/%s", cell.Experiment.Name, cell.Name), stageResult: stage}
	if wait := time.Since(started); cell.Stage != nil {
		run.addPhase("stage", wait, 0)
	}
	// A panic in the cell is a bug in xlbench: it fails this cell, naming
	// it, and the other cells go on. Its stack goes to the log.
	defer func() {
		if p := recover(); p != nil {
			r.logf("%s: internal error: %v\n%s", run.label, p, debug.Stack())
			res, err = nil, fmt.Errorf("%s: internal error (a bug in xlbench; the stack is in the log): %v", run.label, p)
		}
	}()
	run.status = func(what string) { r.setStatus(cell.Experiment.Name+"/"+cell.Name, what) }
	run.status("starting")
	defer run.status("")
	err = run.timed("start", func() (err error) {
		run.stop, err = r.startEncoder(ctx, run)
		return err
	})
	defer run.stopEncoder()
	if err == nil {
		err = r.trainCell(ctx, run, saveModel)
	}
	if err == nil {
		err = r.evaluateCell(ctx, run)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", run.label, err)
	}
	res, err = r.storeCell(run)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", run.label, err)
	}
	return res, nil
}

// startEncoder starts and configures the cell's encoder; a cell of an
// experiment with a stage starts from the stage's saved model.
func (r *Runner) startEncoder(ctx context.Context, run *cellRun) (func(), error) {
	cell := run.cell
	enc, stop, err := r.Plugins.StartEncoder(cell.Encoder.Plugin, run.label)
	if err != nil {
		return nil, err
	}
	run.enc = enc
	params := cell.Encoder.Checked
	if cell.Stage != nil {
		ckpt, err := r.modelPath(*cell.Stage)
		if err != nil {
			return stop, err
		}
		params = maps.Clone(params)
		params[spec.CheckpointParam] = ckpt
		st := run.stageResult
		if st == nil {
			return stop, fmt.Errorf("stage %s/%s: not run before the cell that starts from it", cell.Stage.Experiment.Name, cell.Stage.Name)
		}
		run.stage = &results.StageInfo{Experiment: st.Experiment, Cell: st.Cell, CellID: st.CellID}
		if st.Training != nil {
			run.stage.QueryLangs, run.stage.PassageLangs = st.Training.QueryLangs, st.Training.PassageLangs
		}
		r.logf("%s: starting from stage %s/%s (cell id %s)", run.label, st.Experiment, st.Cell, st.CellID)
	}
	if cell.Sampler != nil {
		// The encoder learns the run's length before training starts, so a
		// learning-rate schedule (warm-up, linear decay) can span it.
		if run.steps, err = r.cellSteps(cell); err != nil {
			return stop, err
		}
	}
	if run.info, err = enc.Configure(ctx, plugins.EncoderConfig{Params: params, Seed: cell.Seed, TrainSteps: run.steps}); err != nil {
		return stop, err
	}
	return stop, nil
}

// cellSteps is how many steps a training cell takes: the spec's steps, or
// its epochs over the training corpus in the experiment's batches.
func (r *Runner) cellSteps(cell plan.Cell) (int, error) {
	steps, epochs := cell.Experiment.Length(cell.Sampler)
	if steps > 0 {
		return steps, nil
	}
	corpus, err := r.TrainingCorpus(cell.Experiment)
	if err != nil {
		return 0, err
	}
	steps = train.StepsFor(epochs, len(corpus.Groups), cell.Experiment.BatchSize)
	if steps > spec.MaxSteps {
		return 0, fmt.Errorf("%g epochs of %d groups in batches of %d is %d steps, more than the %d a cell may take",
			epochs, len(corpus.Groups), cell.Experiment.BatchSize, steps, spec.MaxSteps)
	}
	return steps, nil
}

// trainCell trains a cell that has a sampler, and saves its model when the
// run keeps checkpoints or the cell is a stage.
func (r *Runner) trainCell(ctx context.Context, run *cellRun, saveModel bool) error {
	cell := run.cell
	if cell.Sampler == nil {
		return nil
	}
	if !cell.Encoder.Info.Trainable {
		return fmt.Errorf("encoder %s does not train, but the cell has sampler %s", cell.Encoder.Name, cell.Sampler.Name)
	}
	var corpus *train.Corpus
	err := run.timed("load", func() (err error) {
		corpus, err = r.TrainingCorpus(cell.Experiment)
		return err
	})
	if err != nil {
		return err
	}
	trainStart, trainCPU := time.Now(), run.encoderCPU()
	defer func() { run.addPhase("train", time.Since(trainStart), run.encoderCPU()-trainCPU) }()
	sampler, observer, stopSampler, err := r.Plugins.StartSampler(cell.Sampler.Plugin, run.label)
	if err != nil {
		return err
	}
	defer stopSampler()
	if !cell.Sampler.Info.ObservesTraining {
		observer = nil // it said it does not: it is sent no feedback
	} else if observer == nil {
		return fmt.Errorf("sampler %s observes training but cannot be sent feedback", cell.Sampler.Name)
	}
	steps := run.steps
	rec, err := train.Run(ctx, sampler, run.enc, corpus, train.Options{
		Steps: steps, BatchSize: cell.Experiment.BatchSize, Seed: cell.Seed,
		SamplerParams: cell.Sampler.Checked, Languages: cell.Sampler.Languages, Label: cell.Name, Progress: r.progress(), ValidateEvery: validateEvery(cell.Experiment, steps),
		Observer: observer,
		OnStep: func(step int, loss float64) {
			run.status(fmt.Sprintf("training, step %d/%d, loss %.3f", step, steps, loss))
		},
	})
	if err != nil {
		return fmt.Errorf("training: %w", err)
	}
	run.rec = rec
	r.logf("%s: trained %d steps in %.1fs (%.0f pairs/s), %.1f%% monolingual batches, final loss %.3f",
		run.label, rec.Steps, rec.Seconds, rec.PairsPerSecond, 100*rec.MonolingualShare, rec.FinalLoss(50))
	if best, ok := rec.LowestValidation(); ok {
		v := rec.Validation
		r.logf("%s: validation loss %.4f at the start, %.4f at the end, lowest %.4f at step %d", run.label, v[0].Loss, v[len(v)-1].Loss, best.Loss, best.Step)
	}
	if r.Checkpoints || saveModel {
		path, err := r.modelPath(cell)
		if err == nil {
			err = os.MkdirAll(filepath.Dir(path), 0o755)
		}
		if err == nil {
			err = run.enc.Save(ctx, plugins.SaveRequest{Path: path})
		}
		if err != nil {
			return fmt.Errorf("saving the model: %w", err)
		}
	}
	return nil
}

// validateEvery is how often a cell measures its validation loss: as the
// experiment says, else twenty times a run when it has a validation set.
func validateEvery(e *spec.Experiment, steps int) int {
	switch {
	case e.Validation == 0:
		return 0
	case e.ValidateEvery > 0:
		return e.ValidateEvery
	}
	return max(1, steps/20)
}

// modelPath is where a cell's trained model is saved, checked to stay
// inside the results directory.
func (r *Runner) modelPath(cell plan.Cell) (string, error) {
	return results.ModelPath(r.Out, cell.Experiment.Name, cell.Name)
}

// evaluateCell evaluates the cell's encoder on every evaluation dataset,
// reading answers when the experiment has a reader. Every dataset is
// encoded and ranked first; then the encoder is stopped and the answers
// are read, so a cell whose reader still trains waits holding rankings,
// not an encoder process or a compute slot.
func (r *Runner) evaluateCell(ctx context.Context, run *cellRun) error {
	cell := run.cell
	var rd *lazyReader
	if cell.Experiment.Reader != nil {
		rd = &lazyReader{r: r, e: cell.Experiment, run: run}
	}
	var todo []rankedDataset
	for _, d := range cell.Experiment.Evaluate {
		t, err := r.rankDataset(ctx, run, d, rd)
		if err != nil {
			return err
		}
		todo = append(todo, t)
	}
	// The encoder's work is done: stopped now, its memory is free while
	// the cell reads (or waits for the reader).
	run.stopEncoder()
	for _, t := range todo {
		if err := finishDataset(ctx, run, t, rd); err != nil {
			return err
		}
	}
	if rd != nil {
		tr, err := rd.get(ctx)
		if err != nil {
			return err
		}
		run.reading = &results.Reading{Reader: component(tr.comp), TopK: cell.Experiment.ReadTopK,
			Oracle: map[string]results.Scores{}, TrainingSteps: len(tr.loss)}
	}
	return nil
}

// rankedDataset is a dataset the cell's encoder has encoded and ranked,
// its metrics and answers still to finish.
type rankedDataset struct {
	out     datasetOutcome
	c       *dataset.Collection
	pending *eval.Pending
	timings *eval.Timings
}

// rankDataset loads d, has the cell's encoder encode it and ranks every
// pool (writing TREC runs when asked).
func (r *Runner) rankDataset(ctx context.Context, run *cellRun, d *spec.Dataset, rd *lazyReader) (rankedDataset, error) {
	cell := run.cell
	var c *dataset.Collection
	err := run.timed("load", func() (err error) {
		c, err = r.Collection(d)
		return err
	})
	if err != nil {
		return rankedDataset{}, err
	}
	run.status("evaluating on " + d.Name)
	out := datasetOutcome{name: d.Name, info: results.DatasetInfo{Languages: c.Languages, Questions: len(c.Questions), Candidates: len(c.Candidates)}}
	timings := &eval.Timings{}
	// A bitext collection has no answers to look for or read.
	opts := eval.Options{Answers: !c.Bitext, Timings: timings, Progress: func(msg string) { r.logf("%s: %s: %s", run.label, d.Name, msg) }}
	if rd != nil && !c.Bitext {
		opts.Reader, opts.ReadTopK, out.hasRead = rd, cell.Experiment.ReadTopK, true
	}
	var trec *eval.TRECWriter
	if r.TRECDir != "" {
		dir := r.TRECDir
		if !r.SingleCell {
			if dir, err = results.TRECDir(r.TRECDir, cell.Experiment.Name, cell.Name); err != nil {
				return rankedDataset{}, fmt.Errorf("TREC runs: %w", err)
			}
		}
		if trec, err = eval.NewTRECWriter(dir, d.Name, cell.Experiment.Name+"."+cell.Name, r.Depth); err != nil {
			return rankedDataset{}, err
		}
		opts.Sink = trec
	}
	cpu := run.encoderCPU()
	pending, err := eval.Rank(ctx, run.enc, run.info, c, opts)
	// The encoder works only while texts are encoded: its CPU is the
	// encode phase's.
	run.addPhase("encode", timings.Encode, run.encoderCPU()-cpu)
	run.addPhase("rank", timings.Rank, 0)
	if trec != nil {
		if cerr := trec.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return rankedDataset{}, err
	}
	return rankedDataset{out: out, c: c, pending: pending, timings: timings}, nil
}

// finishDataset computes t's metrics and reads its answers (waiting for
// the reader if it still trains), and adds the outcome to the cell's.
func finishDataset(ctx context.Context, run *cellRun, t rankedDataset, rd *lazyReader) error {
	out, rank := t.out, t.timings.Rank
	run.status("evaluating on " + out.name)
	var err error
	out.result, err = t.pending.Finish(ctx)
	run.addPhase("rank", t.timings.Rank-rank, 0)
	if out.hasRead {
		run.addPhase("read", t.timings.Read, 0)
	}
	if err != nil {
		return err
	}
	if out.hasRead {
		err := run.timed("read", func() error {
			tr, err := rd.get(ctx)
			if err == nil {
				out.oracle, err = tr.oracle(ctx, t.c)
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	out.perQuery = map[results.Series]map[string]float64{}
	for s, sr := range out.result {
		out.perQuery[results.Series{Setting: s, Metric: metrics.MAP}] = sr.PerQuery
		if sr.PerQueryF1 != nil {
			out.perQuery[results.Series{Setting: s, Metric: metrics.EM}] = sr.PerQueryEM
			out.perQuery[results.Series{Setting: s, Metric: metrics.F1}] = sr.PerQueryF1
		}
	}
	run.evaluated = append(run.evaluated, out)
	return nil
}

// acquireSlot waits for a compute slot (none to wait for outside Run).
func (r *Runner) acquireSlot(ctx context.Context) error {
	if r.slots == nil {
		return ctx.Err()
	}
	return r.slots.acquire(ctx, false)
}

// releaseSlot gives a compute slot back (see computeSlots.release).
func (r *Runner) releaseSlot() {
	if r.slots != nil {
		r.slots.release()
	}
}

// lazyReader is the experiment's trained reader as a cell's evaluation
// sees it: the first answer waits for the reader's training (in the
// background since the run began), not the start of the evaluation.
type lazyReader struct {
	r    *Runner
	e    *spec.Experiment
	run  *cellRun
	once sync.Once
	tr   *trainedReader
	err  error
}

func (l *lazyReader) get(ctx context.Context) (*trainedReader, error) {
	l.once.Do(func() {
		if !l.r.readerReady(l.e) {
			// Waiting takes no core: another cell may train meanwhile.
			l.run.status("waiting for the reader")
			l.r.releaseSlot()
			defer func() {
				if err := l.r.acquireSlot(ctx); err != nil && l.err == nil {
					l.tr, l.err = nil, err
				}
			}()
		}
		l.tr, l.err = l.r.Reader(ctx, l.e)
		l.run.status("evaluating")
	})
	return l.tr, l.err
}

// Read implements eval.Reader.
func (l *lazyReader) Read(ctx context.Context, c *dataset.Collection, qs []*dataset.Question, cands [][]int) ([]plugins.Answer, error) {
	tr, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	return tr.Read(ctx, c, qs, cands)
}

func component(c *spec.Component) results.Component {
	return results.Component{Name: c.Name, Plugin: c.Written, PluginName: c.Info.Name, PluginVersion: c.Info.Version, Params: c.Checked,
		Languages: c.Languages, TunedBy: c.TunedBy}
}

// storeCell assembles the cell's result and writes it with its per-query
// file.
func (r *Runner) storeCell(run *cellRun) (*results.CellResult, error) {
	cell := run.cell
	res := &results.CellResult{Reading: run.reading}
	res.XLBenchVersion, res.Experiment, res.Cell = r.Version, cell.Experiment.Name, cell.Name
	res.Encoder, res.Seed, res.Training, res.Stage = component(cell.Encoder), cell.Seed, run.rec, run.stage
	res.HeldOut = cell.Experiment.HeldOut
	res.Plan = r.cellNames(cell.Experiment)
	if cell.Sampler != nil {
		sc := component(cell.Sampler)
		res.Sampler = &sc
	}
	if b := cell.Experiment.Baseline; b != nil {
		res.Baseline = b.Name
	}
	res.Started = run.started.UTC()
	res.Datasets = map[string]results.DatasetInfo{}
	res.Metrics = map[string]map[results.Setting]results.Scores{}
	res.Pools = map[string]map[results.Setting]map[lang.PoolKey]results.Pool{}
	perQuery := map[string]map[results.Series]map[string]float64{}
	for _, d := range run.evaluated {
		res.Datasets[d.name] = d.info
		res.Metrics[d.name] = map[results.Setting]results.Scores{}
		res.Pools[d.name] = map[results.Setting]map[lang.PoolKey]results.Pool{}
		for s, sr := range d.result {
			res.Metrics[d.name][s] = sr.Metrics
			res.Pools[d.name][s] = sr.Pools
		}
		perQuery[d.name] = d.perQuery
		if d.hasRead {
			res.Reading.Oracle[d.name] = d.oracle
		}
	}
	res.Finished = time.Now().UTC()
	res.WallSeconds = res.Finished.Sub(run.started).Seconds()
	res.Complete = true
	if cell.Inputs != nil {
		raw, err := json.Marshal(cell.Inputs)
		if err != nil {
			return nil, err
		}
		res.CellID = cell.Inputs.ID()
		res.Manifest = &results.Manifest{Inputs: raw, Machine: Machine(), Specs: r.Specs, Locks: r.Locks, RunBy: r.RunBy}
	}
	storeStart := time.Now()
	typed, err := results.NewPerQuery(perQuery)
	if err != nil {
		return nil, err
	}
	if err := results.WritePerQuery(r.Out, res, typed); err != nil {
		return nil, err
	}
	// The result, written last, records the phases up to here: the
	// per-query file is the bulk of storing.
	run.addPhase("store", time.Since(storeStart), 0)
	res.Phases = run.phaseList()
	path, err := results.Write(r.Out, res)
	if err != nil {
		return nil, err
	}
	res.PerQuery = typed
	r.logf("%s: done in %.1fs, wrote %s", run.label, res.WallSeconds, path)
	return res, nil
}

// ErrIncomplete is returned with the results that did complete when some
// cells failed.
type ErrIncomplete struct {
	Failed []error
	Total  int
}

func (e *ErrIncomplete) Error() string {
	msgs := make([]string, len(e.Failed))
	for i, err := range e.Failed {
		msgs[i] = "  " + err.Error()
	}
	return fmt.Sprintf("%d of %d cells failed:\n%s", len(e.Failed), e.Total, strings.Join(msgs, "\n"))
}

// schedule orders the cells to run so that the run ends sooner, without
// changing any result: stages first (other cells wait for them), then the
// cells that wait for no stage (they can compute while a stage trains),
// then the rest; within each, the longest training first (batches of the
// cell's training length), so that no long cell starts last and runs
// alone at the end. Ties keep plan order.
func schedule(cells []plan.Cell, todo []int) {
	tier := func(c *plan.Cell) int {
		switch {
		case c.Experiment.Pretrains:
			return 0
		case c.Stage == nil:
			return 1
		}
		return 2
	}
	slices.SortStableFunc(todo, func(a, b int) int {
		ca, cb := &cells[a], &cells[b]
		if t := cmp.Compare(tier(ca), tier(cb)); t != 0 {
			return t
		}
		return cmp.Compare(trainingCost(cb), trainingCost(ca))
	})
}

// trainingCost is how many examples a cell trains on, as far as the spec
// says: steps × batch size, or a length in epochs taken as longer than
// any in steps (the corpus decides it); 0 for a cell that does not train.
func trainingCost(c *plan.Cell) float64 {
	if c.Sampler == nil {
		return 0
	}
	steps, epochs := c.Experiment.Length(c.Sampler)
	if steps == 0 {
		return math.MaxFloat32 * epochs
	}
	return float64(steps) * float64(max(1, c.Experiment.BatchSize))
}

// comparedAsPlanned gives a stored result the baseline this run's spec
// names for its experiment (an extend block may name another): the
// baseline is not among the inputs of a cell id, so a reused reference
// cell records the one it was run with. The change is in memory only; the
// tables then compare every row as this spec asks.
//
// The same holds for how the spec says a sampler was tuned (tuned_by): a
// declaration, not an input, so a cell stored before its spec declared it
// reads as this spec declares.
func comparedAsPlanned(c *plan.Cell, r *results.CellResult) *results.CellResult {
	cp := *r
	changed := false
	if c.Experiment.Baseline != nil && r.Baseline != c.Experiment.Baseline.Name {
		cp.Baseline = c.Experiment.Baseline.Name
		changed = true
	}
	if c.Sampler != nil && r.Sampler != nil && r.Sampler.TunedBy != c.Sampler.TunedBy {
		sc := *r.Sampler
		sc.TunedBy = c.Sampler.TunedBy
		cp.Sampler = &sc
		changed = true
	}
	if !changed {
		return r
	}
	return &cp
}

// reuse returns the first stored result for c's cell id in the Reuse
// directories, recording where it came from, or nil. Reuse is asked for
// by name, so Force (which reruns what Out holds) does not turn it off.
func (r *Runner) reuse(c *plan.Cell, i, n int) *results.CellResult {
	id := c.Inputs.ID()
	for _, dir := range r.Reuse {
		prev, err := results.Read(dir, c.Experiment.Name, c.Name)
		switch {
		case err != nil:
			r.logf("[%d/%d] cell %s/%s: %s holds an unreadable result (%v); not reused", i+1, n, c.Experiment.Name, c.Name, dir, err)
		case prev != nil && prev.CellID == id:
			r.logf("[%d/%d] cell %s/%s: reused from %s (cell id %s)", i+1, n, c.Experiment.Name, c.Name, dir, id)
			r.mu.Lock()
			if r.Reused == nil {
				r.Reused = map[string]string{}
			}
			r.Reused[c.Experiment.Name+"/"+c.Name] = dir
			r.mu.Unlock()
			return prev
		}
	}
	return nil
}

// Run runs cells, starting them in schedule's order, and returns their
// results in plan order. A failed cell does not stop the others; the
// returned error lists every failure. A cancelled context stops the run.
func (r *Runner) Run(ctx context.Context, cells []plan.Cell) ([]*results.CellResult, error) {
	defer r.Close()
	got := make([]*results.CellResult, len(cells))
	errs := make([]error, len(cells))
	todo := r.triage(cells, got, errs)
	if jobs := max(1, r.Jobs); jobs > 1 && r.Events == nil {
		every := r.StatusEvery
		if every <= 0 {
			every = 10 * time.Second
		}
		stop := make(chan struct{})
		defer close(stop)
		go r.reportStatus(every, stop)
	}
	schedule(cells, todo)
	// The slots exist before any reader starts training: a reader's
	// training takes one too.
	r.slots = newComputeSlots(max(1, r.Jobs))
	stopReaders := r.prepareReaders(ctx, cells, todo)
	defer stopReaders()
	r.execute(ctx, cells, todo, got, errs)
	var done []*results.CellResult
	var failed []error
	for i := range cells {
		if errs[i] != nil {
			failed = append(failed, errs[i])
		} else if got[i] != nil {
			done = append(done, got[i])
		}
	}
	if len(failed) > 0 {
		return done, &ErrIncomplete{Failed: failed, Total: len(cells)}
	}
	return done, nil
}

// triage describes every cell by its inputs and settles those already
// stored under Out or in a Reuse directory with the same cell id (into
// got, or errs for a stored result that cannot be checked); it returns
// the indices of the cells to run. A stage is run, or found stored with
// its model, by RunStage; a reused stage runs only when a cell that needs
// its model does (RunCell asks RunStage).
func (r *Runner) triage(cells []plan.Cell, got []*results.CellResult, errs []error) (todo []int) {
	for i := range cells {
		c := &cells[i]
		in, err := r.ids().CellInputs(*c)
		if err != nil {
			errs[i] = fmt.Errorf("cell %s/%s: %w", c.Experiment.Name, c.Name, err)
			continue
		}
		c.Inputs = in
		if !c.Experiment.Pretrains && !r.Force {
			prev, err := r.storedAlike(c, i, len(cells))
			if err != nil || prev != nil {
				got[i], errs[i] = prev, err
				continue
			}
		}
		if prev := r.reuse(c, i, len(cells)); prev != nil {
			if !c.Experiment.Pretrains {
				prev = comparedAsPlanned(c, prev)
			}
			got[i] = prev
			continue
		}
		todo = append(todo, i)
	}
	return todo
}

// storedAlike is the result Out holds for c with c's cell id, read as
// this spec compares it; nil (and a line saying why) when c must run; an
// error for a stored result without a cell id, which nothing can check.
func (r *Runner) storedAlike(c *plan.Cell, i, n int) (*results.CellResult, error) {
	id := c.Inputs.ID()
	prev, err := results.Read(r.Out, c.Experiment.Name, c.Name)
	switch {
	case err != nil:
		r.logf("[%d/%d] cell %s/%s: stored result unreadable (%v); running it", i+1, n, c.Experiment.Name, c.Name, err)
	case prev != nil && prev.CellID == "":
		return nil, fmt.Errorf("cell %s/%s: %s holds a result without a cell id, so it cannot be checked against this spec; it is left as it is: move it away, or rerun with -force to replace it",
			c.Experiment.Name, c.Name, prev.Stored.Path(prev))
	case prev != nil && prev.CellID == id:
		r.logf("[%d/%d] cell %s/%s: result for cell id %s already stored; skipped (-force reruns)", i+1, n, c.Experiment.Name, c.Name, prev.CellID)
		return comparedAsPlanned(c, prev), nil
	case prev != nil:
		r.logf("[%d/%d] cell %s/%s: stored result is for cell id %q, not %s; running it", i+1, n, c.Experiment.Name, c.Name, prev.CellID, id)
	}
	return nil, nil
}

// execute runs the cells of todo, in that order as compute slots free
// up, each as a stage (RunStage) or a cell (RunCell), into got and errs.
// Jobs cells compute at once (a slot each). A cell that waits for the
// reader's training has stopped its encoder and gives its slot up
// meanwhile, holding only its rankings: every cell may be under way, so
// that cells waiting for the reader never keep the next from computing.
func (r *Runner) execute(ctx context.Context, cells []plan.Cell, todo []int, got []*results.CellResult, errs []error) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range todo {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				// A slot first, then the next cell: cells start in
				// schedule order, whichever worker gets the slot.
				err := r.acquireSlot(ctx)
				i, ok := <-next
				if !ok {
					if err == nil {
						r.releaseSlot()
					}
					return
				}
				c := cells[i]
				if err != nil {
					errs[i] = fmt.Errorf("cell %s/%s: not run: %w", c.Experiment.Name, c.Name, err)
					continue
				}
				r.logf("[%d/%d] cell %s/%s (id %s)", i+1, len(cells), c.Experiment.Name, c.Name, c.Inputs.ID())
				if c.Experiment.Pretrains {
					got[i], errs[i] = r.RunStage(ctx, c)
					// To the reader that waits for the stage, if one does.
					r.slots.handOn()
					continue
				}
				got[i], errs[i] = r.RunCell(ctx, c)
				r.releaseSlot()
			}
		}()
	}
	for _, i := range todo {
		next <- i
	}
	close(next)
	wg.Wait()
}
