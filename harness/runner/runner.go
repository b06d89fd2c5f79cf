// Package runner plans an experiment's matrix of cells and runs each cell:
// start the encoder plugin, configure it, evaluate it on every dataset, and
// store the result.
package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/xlbench/xlbench/harness/dataset"
	"github.com/xlbench/xlbench/harness/eval"
	"github.com/xlbench/xlbench/harness/report"
	"github.com/xlbench/xlbench/harness/spec"
	"github.com/xlbench/xlbench/harness/train"
	"github.com/xlbench/xlbench/plugins"
)

// Cell is one point of an experiment's matrix.
type Cell struct {
	Experiment *spec.Experiment
	Encoder    *spec.Component
	Sampler    *spec.Component // nil for an evaluation-only cell
	Seed       uint64
	// Name is unique within the experiment and safe as a directory name:
	// "<encoder>[.<sampler>].seed<N>".
	Name string
	// Inputs, set by Runner.Run, describe the cell for its id and manifest.
	Inputs *Inputs
}

// Plan lists an experiment's cells in a fixed order: encoders, then
// samplers, then seeds, each in spec order. Without training data there
// are no samplers, and each encoder is evaluated once per seed. An encoder
// that does not train (its plugin says so) is evaluated once, with the first
// seed, whatever the samplers.
func Plan(e *spec.Experiment) []Cell {
	var cells []Cell
	for _, enc := range e.Encoders {
		samplers, seeds := e.Samplers, e.Seeds
		if len(samplers) > 0 && !enc.Info.Trainable {
			samplers, seeds = nil, seeds[:1]
		}
		if len(samplers) == 0 {
			samplers = []*spec.Component{nil}
		}
		for _, s := range samplers {
			for _, seed := range seeds {
				name := enc.Name
				if s != nil {
					name += "." + s.Name
				}
				name += fmt.Sprintf(".seed%d", seed)
				cells = append(cells, Cell{Experiment: e, Encoder: enc, Sampler: s, Seed: seed, Name: name})
			}
		}
	}
	return cells
}

// PluginStarter starts plugin processes; the plugin host is one.
type PluginStarter interface {
	StartEncoder(ref, label string) (plugins.Encoder, func(), error)
	StartSampler(ref, label string) (plugins.Sampler, func(), error)
	StartReader(ref, label string) (plugins.Reader, func(), error)
}

// Runner runs cells.
type Runner struct {
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
	// Self is the xlbench executable (it serves the built-ins), for the
	// cells' checksums.
	Self string
	// Force reruns cells whose stored result has the same cell id.
	Force bool
	// Jobs is how many cells run at once (default 1). With more than one,
	// training progress is printed as plain lines, each with its cell, and
	// a status line lists every running cell each StatusEvery (default 10 s).
	Jobs        int
	StatusEvery time.Duration
	// Log receives progress lines.
	Log io.Writer

	mu      sync.Mutex
	cache   map[string]*dataset.Collection
	corpora map[string]*train.Corpus
	readers map[string]*trainedReader
	sums    checksums
	// loadMu serialises the loading of training corpora and the training
	// of readers, which parallel cells share.
	loadMu sync.Mutex
	// status holds what each running cell is doing, for the status lines
	// of a parallel run.
	status map[string]string
}

// setStatus records what a running cell is doing; "" removes it.
func (r *Runner) setStatus(cell, what string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.status == nil {
		r.status = map[string]string{}
	}
	if what == "" {
		delete(r.status, cell)
	} else {
		r.status[cell] = what
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

// progress is where training progress goes: the log, hidden behind a
// plain writer when cells run in parallel, so that no progress bar is drawn
// over another cell's.
func (r *Runner) progress() io.Writer {
	if r.Jobs > 1 && r.Log != nil {
		return struct{ io.Writer }{r.Log}
	}
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
	langs := d.Languages
	if len(langs) == 0 {
		langs = r.Store.Languages(d.Path)
		if len(langs) == 0 {
			return nil, fmt.Errorf("dataset %q: no <lang>.json or <lang>.json.gz files in %s", d.Name, filepath.Join(r.Store.Dir, d.Path))
		}
	}
	var c *dataset.Collection
	var err error
	switch d.Format {
	case "lareqa":
		c, err = dataset.LoadLAReQA(r.Store, d.Name, d.Path, langs)
	default:
		err = fmt.Errorf("no loader for format %q", d.Format)
	}
	if err != nil {
		return nil, fmt.Errorf("dataset %q: %w", d.Name, err)
	}
	if r.cache == nil {
		r.cache = map[string]*dataset.Collection{}
	}
	r.cache[d.Name] = c
	r.logf("loaded %s", c.Summary())
	return c, nil
}

// TrainingCorpus loads and joins an experiment's training datasets once per
// run, and prints their per-language counts the first time.
func (r *Runner) TrainingCorpus(e *spec.Experiment) (*train.Corpus, error) {
	r.loadMu.Lock()
	defer r.loadMu.Unlock()
	var names []string
	for _, d := range e.Train {
		names = append(names, d.Name)
	}
	key := strings.Join(names, "+")
	r.mu.Lock()
	c, ok := r.corpora[key]
	r.mu.Unlock()
	if ok {
		return c, nil
	}
	var parts []*dataset.TrainCorpus
	for _, d := range e.Train {
		var tc *dataset.TrainCorpus
		var err error
		switch d.Format {
		case "mlqa":
			tc, err = dataset.LoadMLQA(r.Store, d.Name, d.Path, d.Languages)
		case "squad":
			lang := "en"
			if len(d.Languages) > 0 {
				lang = d.Languages[0]
			}
			tc, err = dataset.LoadSQuAD(r.Store, d.Name, d.Path, lang)
		default:
			err = fmt.Errorf("format %q is not a training format", d.Format)
		}
		if err != nil {
			return nil, fmt.Errorf("dataset %q: %w", d.Name, err)
		}
		r.logf("loaded training dataset %s: %d groups", d.Name, len(tc.Groups))
		parts = append(parts, tc)
	}
	c = train.Build(parts)
	r.logf("%s", strings.TrimRight(c.Describe(), "\n"))
	r.mu.Lock()
	if r.corpora == nil {
		r.corpora = map[string]*train.Corpus{}
	}
	r.corpora[key] = c
	r.mu.Unlock()
	return c, nil
}

// RunCell runs one cell and stores its result. The result is written only
// when every dataset was evaluated.
func (r *Runner) RunCell(ctx context.Context, cell Cell) (*report.CellResult, error) {
	started := time.Now()
	label := fmt.Sprintf("cell %s/%s", cell.Experiment.Name, cell.Name)
	fail := func(err error) (*report.CellResult, error) {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	status := func(what string) { r.setStatus(cell.Experiment.Name+"/"+cell.Name, what) }
	status("starting")
	defer status("")
	enc, stop, err := r.Plugins.StartEncoder(cell.Encoder.Plugin, label)
	if err != nil {
		return fail(err)
	}
	defer stop()
	info, err := enc.Configure(ctx, plugins.EncoderConfig{Params: cell.Encoder.Checked, Seed: cell.Seed})
	if err != nil {
		return fail(err)
	}
	var rec *train.Record
	if cell.Sampler != nil {
		if !info.Trainable {
			return fail(fmt.Errorf("encoder %s does not train, but the cell has sampler %s", cell.Encoder.Name, cell.Sampler.Name))
		}
		corpus, err := r.TrainingCorpus(cell.Experiment)
		if err != nil {
			return fail(err)
		}
		sampler, stopSampler, err := r.Plugins.StartSampler(cell.Sampler.Plugin, label)
		if err != nil {
			return fail(err)
		}
		steps := cell.Experiment.Steps
		if steps == 0 {
			steps = train.StepsFor(cell.Experiment.Epochs, len(corpus.Groups), cell.Experiment.BatchSize)
		}
		rec, err = train.Run(ctx, sampler, enc, corpus, train.Options{
			Steps: steps, BatchSize: cell.Experiment.BatchSize, Seed: cell.Seed,
			SamplerParams: cell.Sampler.Checked, Label: cell.Name, Progress: r.progress(),
			OnStep: func(step int, loss float64) {
				status(fmt.Sprintf("training, step %d/%d, loss %.3f", step, steps, loss))
			},
		})
		stopSampler()
		if err != nil {
			return fail(fmt.Errorf("training: %w", err))
		}
		r.logf("%s: trained %d steps in %.1fs (%.0f pairs/s), %.1f%% monolingual batches, final loss %.3f",
			label, rec.Steps, rec.Seconds, rec.PairsPerSecond, 100*rec.MonolingualShare, rec.FinalLoss(50))
		if r.Checkpoints {
			dir, err := filepath.Abs(filepath.Join(r.Out, cell.Experiment.Name, cell.Name))
			if err == nil {
				err = os.MkdirAll(dir, 0o755)
			}
			if err == nil {
				err = enc.Save(ctx, filepath.Join(dir, "model.ckpt"))
			}
			if err != nil {
				return fail(fmt.Errorf("saving the checkpoint: %w", err))
			}
		}
	}
	res := &report.CellResult{
		XLBenchVersion: r.Version,
		Experiment:     cell.Experiment.Name,
		Cell:           cell.Name,
		Encoder: report.Component{Name: cell.Encoder.Name, Plugin: cell.Encoder.Plugin,
			PluginName: cell.Encoder.Info.Name, PluginVersion: cell.Encoder.Info.Version, Params: cell.Encoder.Checked},
		Seed:     cell.Seed,
		Training: rec,
		Started:  started.UTC(),
		Datasets: map[string]report.DatasetInfo{},
		Metrics:  map[string]map[string]map[string]float64{},
		Pools:    map[string]map[string]map[string]eval.Pool{},
	}
	if cell.Sampler != nil {
		res.Sampler = &report.Component{Name: cell.Sampler.Name, Plugin: cell.Sampler.Plugin,
			PluginName: cell.Sampler.Info.Name, PluginVersion: cell.Sampler.Info.Version, Params: cell.Sampler.Checked}
	}
	if len(cell.Experiment.Readers) > 0 {
		status("preparing the reader")
	}
	rd, err := r.Reader(ctx, cell.Experiment)
	if err != nil {
		return fail(err)
	}
	if rd != nil {
		res.Reading = &report.Reading{Reader: report.Component{Name: rd.comp.Name, Plugin: rd.comp.Plugin,
			PluginName: rd.comp.Info.Name, PluginVersion: rd.comp.Info.Version, Params: rd.comp.Checked},
			TopK: cell.Experiment.ReadTopK, Oracle: map[string]map[string]float64{}, TrainingSteps: len(rd.loss)}
	}
	perQuery := map[string]map[string]map[string]float64{}
	for _, d := range cell.Experiment.Evaluate {
		c, err := r.Collection(d)
		if err != nil {
			return fail(err)
		}
		status("evaluating on " + d.Name)
		opts := eval.Options{Answers: true, Progress: func(msg string) { r.logf("%s: %s: %s", label, d.Name, msg) }}
		if rd != nil {
			opts.Reader, opts.ReadTopK = rd, cell.Experiment.ReadTopK
			if res.Reading.Oracle[d.Name], err = rd.oracle(ctx, c); err != nil {
				return fail(err)
			}
		}
		var trec *eval.TRECWriter
		if r.TRECDir != "" {
			dir := r.TRECDir
			if !r.SingleCell {
				dir = filepath.Join(r.TRECDir, cell.Experiment.Name, cell.Name)
			}
			if trec, err = eval.NewTRECWriter(dir, d.Name, cell.Experiment.Name+"."+cell.Name, r.Depth); err != nil {
				return fail(err)
			}
			opts.Sink = trec
		}
		out, err := eval.Evaluate(ctx, enc, info, c, opts)
		if trec != nil {
			if cerr := trec.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			return fail(err)
		}
		res.Datasets[d.Name] = report.DatasetInfo{Languages: c.Languages, Questions: len(c.Questions), Candidates: len(c.Candidates)}
		res.Metrics[d.Name] = map[string]map[string]float64{}
		res.Pools[d.Name] = map[string]map[string]eval.Pool{}
		perQuery[d.Name] = map[string]map[string]float64{}
		for s, sr := range out {
			res.Metrics[d.Name][s] = sr.Metrics
			res.Pools[d.Name][s] = sr.Pools
			perQuery[d.Name][s] = sr.PerQuery
		}
	}
	res.Finished = time.Now().UTC()
	res.WallSeconds = res.Finished.Sub(started).Seconds()
	res.Complete = true
	if cell.Inputs != nil {
		raw, err := json.Marshal(cell.Inputs)
		if err != nil {
			return fail(err)
		}
		res.CellID = cell.Inputs.ID()
		res.Manifest = &report.Manifest{Inputs: raw, Machine: machine()}
	}
	if err := report.WritePerQuery(r.Out, res, perQuery); err != nil {
		return fail(err)
	}
	path, err := report.Write(r.Out, res)
	if err != nil {
		return fail(err)
	}
	res.PerQuery = perQuery
	r.logf("%s: done in %.1fs, wrote %s", label, res.WallSeconds, path)
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

// Run runs cells in order. A failed cell does not stop the others; the
// returned error lists every failure. A cancelled context stops the run.
func (r *Runner) Run(ctx context.Context, cells []Cell) ([]*report.CellResult, error) {
	defer r.Close()
	results := make([]*report.CellResult, len(cells))
	errs := make([]error, len(cells))
	var todo []int
	for i := range cells {
		c := &cells[i]
		in, err := r.CellInputs(*c, r.Self)
		if err != nil {
			errs[i] = fmt.Errorf("cell %s/%s: %w", c.Experiment.Name, c.Name, err)
			continue
		}
		c.Inputs = in
		if !r.Force {
			prev, err := report.Read(r.Out, c.Experiment.Name, c.Name)
			switch {
			case err != nil:
				r.logf("[%d/%d] cell %s/%s: stored result unreadable (%v); running it", i+1, len(cells), c.Experiment.Name, c.Name, err)
			case prev != nil && prev.CellID == in.ID():
				r.logf("[%d/%d] cell %s/%s: result for cell id %s already stored; skipped (-force reruns)", i+1, len(cells), c.Experiment.Name, c.Name, prev.CellID)
				results[i] = prev
				continue
			case prev != nil:
				r.logf("[%d/%d] cell %s/%s: stored result is for cell id %q, not %s; running it", i+1, len(cells), c.Experiment.Name, c.Name, prev.CellID, in.ID())
			}
		}
		todo = append(todo, i)
	}
	jobs := max(1, r.Jobs)
	if jobs > 1 {
		every := r.StatusEvery
		if every <= 0 {
			every = 10 * time.Second
		}
		stop := make(chan struct{})
		defer close(stop)
		go r.reportStatus(every, stop)
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(jobs, len(todo)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				c := cells[i]
				if err := ctx.Err(); err != nil {
					errs[i] = fmt.Errorf("cell %s/%s: not run: %w", c.Experiment.Name, c.Name, err)
					continue
				}
				r.logf("[%d/%d] cell %s/%s (id %s)", i+1, len(cells), c.Experiment.Name, c.Name, c.Inputs.ID())
				results[i], errs[i] = r.RunCell(ctx, c)
			}
		}()
	}
	for _, i := range todo {
		next <- i
	}
	close(next)
	wg.Wait()
	var done []*report.CellResult
	var failed []error
	for i := range cells {
		if errs[i] != nil {
			failed = append(failed, errs[i])
		} else if results[i] != nil {
			done = append(done, results[i])
		}
	}
	if len(failed) > 0 {
		return done, &ErrIncomplete{Failed: failed, Total: len(cells)}
	}
	return done, nil
}
