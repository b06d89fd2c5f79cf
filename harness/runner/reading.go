package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/xlbench/xlbench/harness/dataset"
	"github.com/xlbench/xlbench/harness/eval"
	"github.com/xlbench/xlbench/harness/internal/safepath"
	"github.com/xlbench/xlbench/harness/plan"
	"github.com/xlbench/xlbench/harness/results"
	"github.com/xlbench/xlbench/harness/spec"
	"github.com/xlbench/xlbench/harness/train"
	"github.com/xlbench/xlbench/plugins"
)

// readChunk is how many (question, candidate) pairs one Read call carries.
const readChunk = 1024

// trainedReader is a reader plugin trained for one experiment, kept running
// for the rest of the run. A reader is deterministic, so its answer for a
// question and one candidate is memoised: the cells of an experiment and
// the settings of a cell retrieve many of the same candidates. Cells read
// at the same time: the lock guards the memo only, never a call to the
// plugin, and a pair one cell is reading is not asked for again by another
// (it waits for that answer instead).
type trainedReader struct {
	comp *spec.Component
	r    plugins.Reader
	stop func()
	mu   sync.Mutex
	memo map[readKey]plugins.Answer
	// inFlight holds the pairs being read, each with the channel closed
	// when its read ends (answered, or failed: then it is asked again).
	inFlight map[readKey]chan struct{}
	// Loss of each training step.
	loss []float32
	// err is why configuring or training failed: every cell reports it.
	err error
	// oracles holds the oracle scores per collection, computed once.
	oracles map[*dataset.Collection]results.Scores
	// ready is closed once the reader is trained (or has failed).
	ready chan struct{}
}

type readKey struct {
	q    *dataset.Question
	cand int
}

// Read implements eval.Reader: each question is read from each of its
// candidates alone, and the best-scoring answer wins (ties to the better
// ranked candidate).
func (t *trainedReader) Read(ctx context.Context, c *dataset.Collection, qs []*dataset.Question, cands [][]int) ([]plugins.Answer, error) {
	for {
		keys, queries, others, done := t.claim(c, qs, cands)
		if len(keys) > 0 {
			err := t.readClaimed(ctx, keys, queries)
			t.release(keys, done)
			if err != nil {
				return nil, err
			}
		}
		if len(others) == 0 {
			break
		}
		// Pairs another cell is reading: wait, then claim what it did
		// not answer.
		for _, ch := range others {
			select {
			case <-ch:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]plugins.Answer, len(qs))
	for i, q := range qs {
		best := plugins.Answer{Candidate: -1, Score: math.Inf(-1)}
		for j, ci := range cands[i] {
			if a := t.memo[readKey{q, ci}]; a.Score > best.Score {
				best = a
				best.Candidate = j
			}
		}
		out[i] = best
	}
	return out, nil
}

// claim takes the pairs of qs × cands that are neither answered nor being
// read, to read them (keys, queries; done is closed when they are); others
// are the channels of the pairs other calls are reading.
func (t *trainedReader) claim(c *dataset.Collection, qs []*dataset.Question, cands [][]int) (keys []readKey, queries []plugins.ReadQuery, others []chan struct{}, done chan struct{}) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.inFlight == nil {
		t.inFlight = map[readKey]chan struct{}{}
	}
	done = make(chan struct{})
	waiting := map[chan struct{}]bool{}
	for i, q := range qs {
		for _, ci := range cands[i] {
			k := readKey{q, ci}
			if _, ok := t.memo[k]; ok {
				continue
			}
			if ch, ok := t.inFlight[k]; ok {
				if ch != done && !waiting[ch] {
					waiting[ch] = true
					others = append(others, ch)
				}
				continue
			}
			t.inFlight[k] = done
			cand := &c.Candidates[ci]
			keys = append(keys, k)
			queries = append(queries, plugins.ReadQuery{Question: q.Text, Lang: q.Lang,
				Candidates: []plugins.ReadCandidate{{Text: cand.Text, Lang: cand.Lang}}})
		}
	}
	return keys, queries, others, done
}

// readClaimed asks the plugin for the claimed pairs, readChunk at a time,
// and memoises the answers.
func (t *trainedReader) readClaimed(ctx context.Context, keys []readKey, queries []plugins.ReadQuery) error {
	for lo := 0; lo < len(queries); lo += readChunk {
		hi := min(lo+readChunk, len(queries))
		answers, err := t.r.Read(ctx, plugins.ReadRequest{Queries: queries[lo:hi]})
		if err != nil {
			return fmt.Errorf("reader %s: %w", t.comp.Name, err)
		}
		if len(answers) != hi-lo {
			return fmt.Errorf("reader %s: %d answers to %d queries", t.comp.Name, len(answers), hi-lo)
		}
		t.mu.Lock()
		for i, a := range answers {
			t.memo[keys[lo+i]] = a
		}
		t.mu.Unlock()
	}
	return nil
}

// release ends the claim on keys: whoever waits for them finds them
// answered, or claims them again.
func (t *trainedReader) release(keys []readKey, done chan struct{}) {
	t.mu.Lock()
	for _, k := range keys {
		delete(t.inFlight, k)
	}
	t.mu.Unlock()
	close(done)
}

// oracle is eval.Oracle of the reader on c, computed once per collection.
func (t *trainedReader) oracle(ctx context.Context, c *dataset.Collection) (results.Scores, error) {
	t.mu.Lock()
	o, ok := t.oracles[c]
	t.mu.Unlock()
	if ok {
		return o, nil
	}
	o, err := eval.Oracle(ctx, t, c)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	if t.oracles == nil {
		t.oracles = map[*dataset.Collection]results.Scores{}
	}
	t.oracles[c] = o
	t.mu.Unlock()
	return o, nil
}

var _ eval.Reader = (*trainedReader)(nil)

// readerService trains each experiment's reader once, keeps it running
// for the run, caches its trained model under Out and serves its reads
// (trainedReader), with its own lock. It shares the run's compute slots:
// a reader's training takes the next one before any waiting cell.
type readerService struct {
	start func(ref, label string) (plugins.Reader, func(), error)
	// corpus is an experiment's training corpus (loaded once per run).
	corpus func(*spec.Experiment) (*train.Corpus, error)
	// stageModel runs (or finds stored) the stage e starts from and
	// returns its model's path.
	stageModel func(ctx context.Context, e *spec.Experiment) (string, error)
	// cacheDir is where e's trained reader is stored ("" when it cannot be).
	cacheDir func(*spec.Experiment) (string, error)
	slots    func() *computeSlots
	logf     func(format string, args ...any)

	mu      sync.Mutex
	closed  bool
	readers map[string]*trainedReader
	// training holds each trained reader's training wall time.
	training map[string]time.Duration
}

// get returns the experiment's reader, trained on its training data the
// first time (with the experiment's first seed), or nil when the
// experiment has none. One training per reader, however many cells ask
// at once: the others wait for it (or for ctx), and nothing else waits on
// it, so cells that do not need the reader yet (a stage, training) go on.
func (s *readerService) get(ctx context.Context, e *spec.Experiment) (*trainedReader, error) {
	if e.Reader == nil {
		return nil, nil
	}
	key := readerKey(e)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, fmt.Errorf("reader %s: the run is closing", key)
	}
	tr, ok := s.readers[key]
	if !ok {
		tr = &trainedReader{comp: e.Reader, memo: map[readKey]plugins.Answer{}, ready: make(chan struct{}), stop: func() {}}
		if s.readers == nil {
			s.readers = map[string]*trainedReader{}
		}
		s.readers[key] = tr
	}
	s.mu.Unlock()
	if ok {
		select {
		case <-tr.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if tr.err != nil {
			return nil, tr.err
		}
		return tr, nil
	}
	defer close(tr.ready)
	tr.err = s.train(ctx, e, tr)
	if tr.err != nil {
		return nil, tr.err
	}
	return tr, nil
}

// readerKey names e's reader among the run's: "experiment/reader".
func readerKey(e *spec.Experiment) string { return e.Name + "/" + e.Reader.Name }

// ready reports whether e's reader is trained (or has failed), so that
// asking for it would not wait.
func (s *readerService) ready(e *spec.Experiment) bool {
	if e.Reader == nil {
		return true
	}
	s.mu.Lock()
	tr, ok := s.readers[readerKey(e)]
	s.mu.Unlock()
	if !ok {
		return false
	}
	select {
	case <-tr.ready:
		return true
	default:
		return false
	}
}

// train starts, configures and trains tr's reader plugin, or loads the
// one stored for the same inputs.
func (s *readerService) train(ctx context.Context, e *spec.Experiment, tr *trainedReader) error {
	comp := tr.comp
	corpus, err := s.corpus(e)
	if err != nil {
		return err
	}
	label := fmt.Sprintf("reader %s/%s", e.Name, comp.Name)
	rd, stop, err := s.start(comp.Plugin, label)
	if err != nil {
		return err
	}
	s.mu.Lock()
	tr.r, tr.stop = rd, stop // stopped by close even if training fails
	s.mu.Unlock()
	cache, err := s.cacheDir(e)
	if err != nil {
		return err
	}
	slots := s.slots()
	withdraw := func() {}
	params := comp.Checked
	if comp.ReadsFromStage() && e.StartFrom != nil {
		if slots != nil && comp.Info.Trainable {
			// The stage's slot is kept for this training when the stage
			// ends: every reading cell waits for it.
			withdraw = slots.expect()
			defer withdraw()
		}
		model, err := s.stageModel(ctx, e)
		if err != nil {
			return fmt.Errorf("%s: %w", label, err)
		}
		params = maps.Clone(params)
		params[spec.ReaderBaseParam] = model
	}
	if cache != "" {
		if loss, ok := readReaderLoss(cache); ok {
			params := maps.Clone(params)
			params[spec.CheckpointParam] = filepath.Join(cache, results.ReaderFile)
			if _, err := rd.Configure(ctx, plugins.ReaderConfig{Params: params, Seed: e.Seeds[0]}); err != nil {
				return fmt.Errorf("%s: loading the trained reader stored in %s: %w", label, cache, err)
			}
			tr.loss = loss
			s.logf("%s: trained reader for these inputs stored in %s; reused", label, cache)
			return nil
		}
	}
	if _, err := rd.Configure(ctx, plugins.ReaderConfig{Params: params, Seed: e.Seeds[0]}); err != nil {
		return err
	}
	if comp.Info.Trainable {
		// Every cell that reads waits for this training: it takes the
		// next compute slot, before any cell.
		if slots != nil {
			err := slots.acquire(ctx, true)
			withdraw()
			if err != nil {
				return err
			}
		}
		s.logf("%s: training on %d examples", label, len(corpus.Reading))
		start := time.Now()
		res, err := rd.Train(ctx, plugins.TrainReaderRequest{Examples: corpus.Reading})
		if slots != nil {
			slots.release()
		}
		s.mu.Lock()
		if s.training == nil {
			s.training = map[string]time.Duration{}
		}
		s.training[readerKey(e)] = time.Since(start)
		s.mu.Unlock()
		if err != nil {
			return fmt.Errorf("%s: training: %w", label, err)
		}
		tr.loss = res.Loss
		s.logf("%s: trained %d steps, final loss %.3f", label, len(tr.loss), meanTail(tr.loss, 50))
		if cache != "" {
			if err := storeReader(ctx, rd, cache, tr.loss); err != nil {
				return fmt.Errorf("%s: storing the trained reader in %s: %w", label, cache, err)
			}
		}
	}
	return nil
}

// prepare trains, in the background, the reader of every experiment that
// has cells to run, so that its training overlaps a stage's and the
// cells' instead of waiting for the first cell that reads. The returned
// function cancels what is still training and waits for it.
func (s *readerService) prepare(ctx context.Context, cells []plan.Cell, todo []int) func() {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	seen := map[*spec.Experiment]bool{}
	for _, i := range todo {
		e := cells[i].Experiment
		if e.Pretrains || e.Reader == nil || seen[e] {
			continue
		}
		seen[e] = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Errors reach the cells that read, when they ask.
			s.get(ctx, e)
		}()
	}
	return func() {
		cancel()
		wg.Wait()
	}
}

// trainingTimes returns how long each reader trained ("experiment/reader"
// → wall time).
func (s *readerService) trainingTimes() map[string]time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.training)
}

// close stops the reader processes; none starts after it.
func (s *readerService) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for _, tr := range s.readers {
		tr.stop()
	}
	s.readers = nil
}

// readerService is the run's reader service, made on first use.
func (r *Runner) readerService() *readerService {
	r.readersOnce.Do(func() {
		r.readers = &readerService{
			start:  r.Plugins.StartReader,
			corpus: r.TrainingCorpus,
			stageModel: func(ctx context.Context, e *spec.Experiment) (string, error) {
				// The stage runs (or is found stored) first, whoever asks first.
				stage := *plan.StageCell(e)
				if _, err := r.RunStage(ctx, stage); err != nil {
					return "", err
				}
				return r.modelPath(stage)
			},
			cacheDir: r.readerCache,
			slots:    func() *computeSlots { return r.slots },
			logf:     r.logf,
		}
	})
	return r.readers
}

// Reader returns the experiment's trained reader (readerService.get).
func (r *Runner) Reader(ctx context.Context, e *spec.Experiment) (*trainedReader, error) {
	return r.readerService().get(ctx, e)
}

// readerReady reports whether e's reader is trained or failed.
func (r *Runner) readerReady(e *spec.Experiment) bool { return r.readerService().ready(e) }

// prepareReaders starts training every reader the cells will read with.
func (r *Runner) prepareReaders(ctx context.Context, cells []plan.Cell, todo []int) func() {
	return r.readerService().prepare(ctx, cells, todo)
}

// ReaderTraining returns how long each reader this runner trained took
// ("experiment/reader" → wall time), in the background of the cells.
func (r *Runner) ReaderTraining() map[string]time.Duration { return r.readerService().trainingTimes() }

// Close stops the reader processes the run started.
func (r *Runner) Close() { r.readerService().close() }

// readerCache is where e's trained reader is kept under Out, by the id of
// what decides it (so a later run, a compare, or another cell asking
// reuses it): OUT/<experiment>/.reader-<name>-<id>. Empty when the reader
// cannot be stored (it does not train, or takes no checkpoint).
func (r *Runner) readerCache(e *spec.Experiment) (string, error) {
	comp := e.Reader
	if !comp.Info.Trainable || !slices.ContainsFunc(comp.Info.Params, func(p plugins.ParamSpec) bool { return p.Name == spec.CheckpointParam }) {
		return "", nil
	}
	id, err := r.ids().ReaderID(e)
	if err != nil {
		return "", err
	}
	return results.ReaderDir(r.Out, e.Name, comp.Name, id)
}

func readReaderLoss(dir string) ([]float32, bool) {
	raw, err := os.ReadFile(filepath.Join(dir, results.ReaderLossFile))
	if err != nil {
		return nil, false
	}
	var loss []float32
	if json.Unmarshal(raw, &loss) != nil {
		return nil, false
	}
	_, err = os.Stat(filepath.Join(dir, results.ReaderFile))
	return loss, err == nil
}

func storeReader(ctx context.Context, rd plugins.Reader, dir string, loss []float32) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := rd.Save(ctx, plugins.SaveRequest{Path: filepath.Join(dir, results.ReaderFile)}); err != nil {
		return err
	}
	raw, err := json.Marshal(loss)
	if err != nil {
		return err
	}
	return safepath.WriteFile(filepath.Join(dir, results.ReaderLossFile), raw, 0o644)
}

func meanTail(xs []float32, n int) float64 {
	if len(xs) == 0 {
		return 0
	}
	xs = xs[max(0, len(xs)-n):]
	s := 0.0
	for _, x := range xs {
		s += float64(x)
	}
	return s / float64(len(xs))
}
