// Package train drives training: it turns training corpora into the groups
// plugins see, asks the sampler for batches and feeds them to the encoder,
// recording the loss of every step and the language mix of every batch.
package train

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/xlbench/xlbench/harness/dataset"
	"github.com/xlbench/xlbench/harness/lang"
	"github.com/xlbench/xlbench/harness/results"
	"github.com/xlbench/xlbench/plugins"
	"github.com/xlbench/xlbench/plugins/sdk"
	"github.com/xlbench/xlbench/plugins/transport"
)

// Corpus is the union of an experiment's training corpora, with group ids
// 0..n-1 in corpus order.
type Corpus struct {
	Groups  []plugins.CorpusGroup
	Summary plugins.CorpusSummary
	// Per language, the groups with a query / a passage in it.
	QueryLangs, PassageLangs map[string]int
	// Reading holds the reader's training examples: every question of a
	// group with every passage of it whose answer is known (cross-lingual
	// pairs included), in group order.
	Reading []plugins.ReadingExample
	// HeldOut lists the languages left out (sorted); Dropped counts the
	// groups that had nothing left without them; Translation counts the
	// translation groups.
	HeldOut     []string
	Dropped     int
	Translation int
	// Validation holds the pairs set aside for the validation loss, in a
	// fixed order; the encoder never trains on their groups.
	Validation []ValidationPair
	// validationGroups are the set-aside groups, in Validation's order,
	// from which ValidationPairs draws a restricted set.
	validationGroups []validationGroup
	// byID indexes Summary.Groups by group id (checkBatch), built once:
	// the cells of a parallel run share the corpus.
	byID     map[uint32]int
	byIDOnce sync.Once
}

// summaryGroup returns the summary of the group whose id is id: a pair
// names its group by id, not by position (plugins.Pair.Group).
func (c *Corpus) summaryGroup(id uint32) (plugins.Group, bool) {
	c.byIDOnce.Do(func() {
		c.byID = make(map[uint32]int, len(c.Summary.Groups))
		for i, g := range c.Summary.Groups {
			c.byID[g.ID] = i
		}
	})
	i, ok := c.byID[id]
	if !ok {
		return plugins.Group{}, false
	}
	return c.Summary.Groups[i], true
}

// Build numbers the groups of the corpora and gathers their texts, leaving
// out every text in a held-out language: a group keeps the languages it
// has outside heldOut, and is dropped when that leaves it no pair (a QA
// group with no query or no passage, a translation group with fewer than
// two languages). It fails if any text in a held-out language is left, so
// that no such text can reach an encoder.
//
// With a validation fraction, that share of the groups (chosen by a hash
// of the group's dataset and key, so the same groups whatever the sampler
// or seed) is set aside as Validation instead of being trained on.
func Build(corpora []*dataset.TrainCorpus, heldOut []string, validation float64) (*Corpus, error) {
	c := &Corpus{QueryLangs: map[string]int{}, PassageLangs: map[string]int{}, HeldOut: slices.Clone(heldOut)}
	slices.Sort(c.HeldOut)
	held := func(l string) bool { return slices.Contains(heldOut, l) }
	for _, tc := range corpora {
		for _, g := range tc.Groups {
			queries, passages := sortedKeys(g.Queries), sortedKeys(g.Passages)
			queries = slices.DeleteFunc(queries, held)
			passages = slices.DeleteFunc(passages, held)
			if len(queries) == 0 || len(passages) == 0 || (g.Kind == plugins.GroupTranslation && len(passages) < 2) {
				c.Dropped++
				continue
			}
			if validation > 0 && unitHash(tc.Name+"\x00"+g.Key) < validation {
				vg := validationGroup{corpus: tc.Name, group: g, queries: queries, passages: passages}
				if p, ok := vg.pair(nil); ok {
					c.Validation = append(c.Validation, p)
					c.validationGroups = append(c.validationGroups, vg)
				}
				continue
			}
			id := uint32(len(c.Groups))
			cg := plugins.CorpusGroup{ID: id}
			sg := plugins.Group{ID: id, Kind: g.Kind}
			for _, l := range queries {
				cg.Texts = append(cg.Texts, plugins.Text{Lang: l, Role: plugins.RoleQuery, Text: g.Queries[l]})
				sg.QueryLangs = append(sg.QueryLangs, l)
				c.QueryLangs[l]++
			}
			for _, pl := range sortedKeys(g.Answers) {
				if held(pl) {
					continue
				}
				a := g.Answers[pl]
				for _, ql := range queries {
					c.Reading = append(c.Reading, plugins.ReadingExample{Lang: pl, QuestionLang: ql, Question: g.Queries[ql], Passage: g.Passages[pl],
						AnswerStart: a.Start, Answer: a.Text})
				}
			}
			for _, l := range passages {
				cg.Texts = append(cg.Texts, plugins.Text{Lang: l, Role: plugins.RolePassage, Text: g.Passages[l]})
				sg.PassageLangs = append(sg.PassageLangs, l)
				c.PassageLangs[l]++
			}
			if g.Kind == plugins.GroupTranslation {
				c.Translation++
			}
			c.Groups = append(c.Groups, cg)
			c.Summary.Groups = append(c.Summary.Groups, sg)
		}
	}
	if err := c.checkHeldOut(); err != nil {
		return nil, err
	}
	return c, nil
}

// checkHeldOut verifies that no text the encoder or reader will receive is
// in a held-out language.
func (c *Corpus) checkHeldOut() error {
	for _, g := range c.Groups {
		for _, t := range g.Texts {
			if slices.Contains(c.HeldOut, t.Lang) {
				return fmt.Errorf("training group %d holds a %s text in held-out language %s", g.ID, t.Role, t.Lang)
			}
		}
	}
	for _, v := range c.Validation {
		if slices.Contains(c.HeldOut, v.QueryLang) || slices.Contains(c.HeldOut, v.PassageLang) {
			return fmt.Errorf("validation pair %s is in a held-out language", v.Key)
		}
	}
	for i, ex := range c.Reading {
		if slices.Contains(c.HeldOut, ex.Lang) || slices.Contains(c.HeldOut, ex.QuestionLang) {
			return fmt.Errorf("reading example %d is in held-out language %s", i, ex.Lang)
		}
	}
	return nil
}

// Describe is a per-language count of the corpus, for the start of training.
func (c *Corpus) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "training corpus: %d groups (%d QA, %d translation)", len(c.Groups), len(c.Groups)-c.Translation, c.Translation)
	if len(c.Validation) > 0 {
		fmt.Fprintf(&b, "; %d more set aside for the validation loss", len(c.Validation))
	}
	b.WriteString("\n")
	if len(c.HeldOut) > 0 {
		fmt.Fprintf(&b, "  held out: %s (%d groups had nothing else and were dropped)\n", strings.Join(c.HeldOut, " "), c.Dropped)
	}
	langs := map[string]bool{}
	for l := range c.QueryLangs {
		langs[l] = true
	}
	for l := range c.PassageLangs {
		langs[l] = true
	}
	for _, l := range sortedKeys(langs) {
		fmt.Fprintf(&b, "  %s: %6d queries %6d passages\n", l, c.QueryLangs[l], c.PassageLangs[l])
	}
	return b.String()
}

// Languages returns the languages seen in training on the query or passage
// side, and those that took part in a cross-lingual pair (a group with the
// language on one side and another language on the other).
func (c *Corpus) Languages() (trained, crossTrained map[string]bool) {
	trained, crossTrained = map[string]bool{}, map[string]bool{}
	for _, g := range c.Summary.Groups {
		for _, q := range g.QueryLangs {
			trained[q] = true
			for _, p := range g.PassageLangs {
				trained[p] = true
				if p != q {
					crossTrained[p], crossTrained[q] = true, true
				}
			}
		}
	}
	return trained, crossTrained
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Sampler is what training needs of a sampler plugin.
type Sampler interface {
	Start(ctx context.Context, cfg plugins.SamplerConfig) error
	Next(ctx context.Context, req plugins.NextRequest) ([]plugins.Batch, error)
}

// Trainer is what training needs of an encoder plugin.
type Trainer interface {
	LoadCorpus(ctx context.Context, req plugins.LoadCorpusRequest) error
	TrainStep(ctx context.Context, req plugins.TrainStepRequest) (plugins.TrainStepResult, error)
}

// Options configure a training run.
type Options struct {
	Steps     int
	BatchSize int
	Seed      uint64
	// SamplerParams are the sampler's checked parameters.
	SamplerParams plugins.Params
	// Label names the run in progress output.
	Label string
	// Progress receives a progress bar on a terminal, else a line every
	// twentieth of the run; nil is silent.
	Progress io.Writer
	// OnStep, if set, is told each step's number and loss.
	OnStep func(step int, loss float64)
	// ValidateEvery > 0 computes the validation loss of the corpus's
	// Validation pairs before training, every ValidateEvery steps and at
	// the end; the trainer must then encode (Embedder).
	ValidateEvery int
	// Languages, when set, restricts the sampler to pairs with query and
	// passage both in these languages (the sampler is offered only those,
	// and a batch with another pair is refused), and the validation loss
	// to ValidationPairs(Languages).
	Languages []string
	// Observer, when set, is sent feedback after every
	// plugins.FeedbackEvery steps: the loss of each step and the mean loss
	// per language pair. The caller sets it for a sampler that declared
	// Info.ObservesTraining (the host hands it out with the sampler).
	Observer plugins.Observer
}

// Record is what a training run leaves in the cell's result; its stored
// form belongs to the results schema.
type Record = results.Training

// StepsFor converts epochs (passes over the groups) to steps.
func StepsFor(epochs float64, groups, batchSize int) int {
	return max(1, int(math.Ceil(epochs*float64(groups)/float64(batchSize))))
}

// Run trains enc on the batches s chooses.
func Run(ctx context.Context, s Sampler, enc Trainer, c *Corpus, opt Options) (*Record, error) {
	t, err := start(ctx, s, enc, c, opt)
	if err != nil {
		return nil, err
	}
	if err := t.validate(ctx, 0); err != nil {
		return nil, err
	}
	t.prog, t.started = newProgress(opt.Progress, opt.Label, opt.Steps), time.Now()
	// The sampler is asked for plugins.FeedbackEvery batches at a time,
	// and an observing one told of them after they are trained: a fixed
	// cadence, whatever validate_every is, so validation never changes
	// what a sampler sees. Training stops at validation points inside a
	// chunk.
	for step := 0; step < opt.Steps; {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		chunk, err := t.next(ctx, step)
		if err != nil {
			return nil, err
		}
		var steps []plugins.TrainStepResult
		for done := 0; done < len(chunk); {
			part := len(chunk) - done
			if opt.ValidateEvery > 0 {
				at := step + done
				part = min(part, opt.ValidateEvery-at%opt.ValidateEvery)
			}
			got, err := t.train(ctx, step+done, chunk[done:done+part])
			if err != nil {
				return nil, err
			}
			steps = append(steps, got...)
			done += part
			if at := step + done; opt.ValidateEvery > 0 && (at%opt.ValidateEvery == 0 || at == opt.Steps) {
				if err := t.validate(ctx, at); err != nil {
					return nil, err
				}
			}
		}
		if opt.Observer != nil {
			if err := opt.Observer.Observe(ctx, Feedback(step, chunk, steps)); err != nil {
				return nil, fmt.Errorf("step %d: sampler feedback: %w", step+len(chunk), err)
			}
			t.rec.Feedbacks++
		}
		step += len(chunk)
	}
	// Training time and speed leave out the validation passes.
	rec := t.rec
	rec.Seconds = (time.Since(t.started) - t.validating).Seconds()
	rec.PairsPerSecond = float64(rec.Pairs) / rec.Seconds
	rec.MonolingualShare = float64(rec.MonolingualBatches) / float64(opt.Steps)
	return rec, nil
}

// trainingRun is one Run under way: what it trains with and the record
// it fills.
type trainingRun struct {
	s          Sampler
	enc        Trainer
	c          *Corpus
	opt        Options
	validation []ValidationPair
	// embedder encodes the validation pairs; nil without validation.
	embedder   Embedder
	rec        *Record
	prog       *progress
	started    time.Time
	validating time.Duration
}

// start loads the corpus into the encoder and starts the sampler on the
// groups it may use.
func start(ctx context.Context, s Sampler, enc Trainer, c *Corpus, opt Options) (*trainingRun, error) {
	if err := enc.LoadCorpus(ctx, plugins.LoadCorpusRequest{Groups: c.Groups}); err != nil {
		return nil, fmt.Errorf("loading the corpus into the encoder: %w", err)
	}
	t := &trainingRun{s: s, enc: enc, c: c, opt: opt, validation: c.ValidationPairs(opt.Languages)}
	if opt.ValidateEvery > 0 && len(t.validation) == 0 {
		return nil, fmt.Errorf("no validation pair has both sides in %s", strings.Join(opt.Languages, " "))
	}
	summary := sdk.Restrict(c.Summary, opt.Languages)
	if len(summary.Groups) == 0 {
		return nil, fmt.Errorf("no training group offers a pair with both sides in %s", strings.Join(opt.Languages, " "))
	}
	err := s.Start(ctx, plugins.SamplerConfig{Corpus: summary, BatchSize: opt.BatchSize, Params: opt.SamplerParams, Seed: opt.Seed, Steps: opt.Steps})
	if err != nil {
		return nil, fmt.Errorf("starting the sampler: %w", err)
	}
	t.rec = &Record{Steps: opt.Steps, BatchSize: opt.BatchSize, Loss: make([]float32, 0, opt.Steps),
		BatchLanguages: map[string]int{}, PairLanguages: map[string]int{},
		Groups: len(c.Groups), QueryLangs: c.QueryLangs, PassageLangs: c.PassageLangs}
	if opt.ValidateEvery > 0 {
		var ok bool
		if t.embedder, ok = enc.(Embedder); !ok {
			return nil, fmt.Errorf("the validation loss needs an encoder that encodes")
		}
		t.rec.ValidationPairs = len(t.validation)
	}
	return t, nil
}

// validate measures the validation loss at step (without validation,
// nothing), its time left out of the training's.
func (t *trainingRun) validate(ctx context.Context, step int) error {
	if t.embedder == nil {
		return nil
	}
	t0 := time.Now()
	defer func() { t.validating += time.Since(t0) }()
	loss, err := ValidationLoss(ctx, t.embedder, t.validation, t.opt.BatchSize)
	if err != nil {
		return fmt.Errorf("step %d: %w", step, err)
	}
	t.rec.Validation = append(t.rec.Validation, ValidationPoint{Step: step, Loss: loss})
	if t.opt.Progress != nil {
		fmt.Fprintf(t.opt.Progress, "%s: step %d/%d validation loss %.4f (%d pairs)\n", t.opt.Label, step, t.opt.Steps, loss, len(t.validation))
	}
	return nil
}

// next asks the sampler for the chunk of batches from step on and checks
// each: its size, and that every pair is one the corpus offers.
func (t *trainingRun) next(ctx context.Context, step int) ([]plugins.Batch, error) {
	want := min(plugins.FeedbackEvery, t.opt.Steps-step)
	chunk, err := t.s.Next(ctx, plugins.NextRequest{Count: want})
	if err != nil {
		return nil, fmt.Errorf("step %d: sampler: %w", step+1, err)
	}
	if len(chunk) == 0 {
		return nil, fmt.Errorf("step %d: sampler returned no batches (asked for %d)", step+1, want)
	}
	chunk = chunk[:min(len(chunk), want)]
	for i, b := range chunk {
		if len(b) != t.opt.BatchSize {
			return nil, fmt.Errorf("step %d: sampler returned %d pairs, batch size is %d", step+i+1, len(b), t.opt.BatchSize)
		}
		if err := t.c.checkBatch(b, t.opt.Languages); err != nil {
			return nil, fmt.Errorf("step %d: sampler: %w", step+i+1, err)
		}
	}
	return chunk, nil
}

// train trains the encoder on chunk, the batches from step on, recording
// each step's loss and languages.
func (t *trainingRun) train(ctx context.Context, step int, chunk []plugins.Batch) ([]plugins.TrainStepResult, error) {
	rec := t.rec
	// The plugin host's encoders take the chunk over one pipelined stream.
	steps, err := transport.TrainSteps(ctx, t.enc, chunk)
	for i, st := range steps {
		loss := st.Loss
		if math.IsNaN(loss) || math.IsInf(loss, 0) || math.IsInf(float64(float32(loss)), 0) {
			// Nothing after it is worth anything: the weights are gone.
			// Fail here, not at evaluation or when the result cannot be
			// written.
			return nil, fmt.Errorf("step %d: the training loss is %v: training diverged; lower the learning rate (the encoder's lr) or check the encoder's inputs", step+i+1, loss)
		}
		b := chunk[i]
		rec.Loss = append(rec.Loss, float32(loss))
		if b.Monolingual() {
			rec.MonolingualBatches++
			rec.BatchLanguages[b[0].QueryLang]++
		}
		for _, p := range b {
			rec.PairLanguages[lang.PoolKey{Query: p.QueryLang, Candidate: p.PassageLang}.String()]++
		}
		rec.Pairs += len(b)
		t.prog.update(step+i+1, loss, float64(rec.Pairs)/time.Since(t.started).Seconds())
		if t.opt.OnStep != nil {
			t.opt.OnStep(step+i+1, loss)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("step %d: encoder: %w", step+len(steps)+1, err)
	}
	return steps, nil
}

// Feedback is what an observing sampler is told of a chunk of steps that
// began at step first: each step's loss and, when the encoder reported pair
// losses for every step, the mean per (query language, passage language),
// sorted. Pair means are summed in step and batch order, so the same
// losses give bit-identical feedback.
func Feedback(first int, chunk []plugins.Batch, steps []plugins.TrainStepResult) plugins.Feedback {
	f := plugins.Feedback{FirstStep: first, StepLoss: make([]float64, len(steps))}
	type key struct{ q, p string }
	sums, counts := map[key]float64{}, map[key]int{}
	pairs := true
	for i, st := range steps {
		f.StepLoss[i] = st.Loss
		if len(st.PairLoss) != len(chunk[i]) {
			pairs = false
			continue
		}
		for j, p := range chunk[i] {
			k := key{p.QueryLang, p.PassageLang}
			sums[k] += st.PairLoss[j]
			counts[k]++
		}
	}
	if !pairs {
		return f
	}
	for k, n := range counts {
		f.PairLoss = append(f.PairLoss, plugins.PairLoss{QueryLang: k.q, PassageLang: k.p, Mean: sums[k] / float64(n), Pairs: n})
	}
	slices.SortFunc(f.PairLoss, func(a, b plugins.PairLoss) int {
		return cmp.Or(strings.Compare(a.QueryLang, b.QueryLang), strings.Compare(a.PassageLang, b.PassageLang))
	})
	return f
}

// checkBatch refuses pairs that a group does not offer: an unknown group,
// a language it lacks on a side, a same-language pair of a translation
// group (a sentence matched with itself), and pairs outside the sampler's
// languages (when it has some).
func (c *Corpus) checkBatch(b plugins.Batch, langs []string) error {
	for i, p := range b {
		if len(langs) > 0 && !(slices.Contains(langs, p.QueryLang) && slices.Contains(langs, p.PassageLang)) {
			return fmt.Errorf("pair %d is in %s-%s; the sampler is restricted to %s", i, p.QueryLang, p.PassageLang, strings.Join(langs, " "))
		}
		g, ok := c.summaryGroup(p.Group)
		if !ok {
			return fmt.Errorf("pair %d names group %d; the corpus has no group with that id", i, p.Group)
		}
		if !g.Allows(p.QueryLang, p.PassageLang) {
			return fmt.Errorf("pair %d: %s group %d does not offer query language %s with passage language %s", i, g.Kind, p.Group, p.QueryLang, p.PassageLang)
		}
	}
	return nil
}

// progress prints training progress as plain lines, one per twentieth of
// the steps (a terminal's live status line is the runner's: it shows the
// step and loss of every running cell on one line).
type progress struct {
	w      io.Writer
	label  string
	total  int
	every  int
	recent []float64
}

func newProgress(w io.Writer, label string, total int) *progress {
	return &progress{w: w, label: label, total: total, every: max(1, total/20)}
}

func (p *progress) update(step int, loss, pairsPerSec float64) {
	if p.w == nil {
		return
	}
	// Mean loss over the last 50 steps: one step's loss is noisy.
	p.recent = append(p.recent, loss)
	if len(p.recent) > 50 {
		p.recent = p.recent[1:]
	}
	avg := 0.0
	for _, l := range p.recent {
		avg += l
	}
	avg /= float64(len(p.recent))
	if step%p.every == 0 || step == p.total {
		fmt.Fprintf(p.w, "%s: step %d/%d loss %.3f %.0f pairs/s\n", p.label, step, p.total, avg, pairsPerSec)
	}
}
