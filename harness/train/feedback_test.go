package train

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xlbench/xlbench/builtin/dualenc"
	"github.com/xlbench/xlbench/builtin/samplers"
	"github.com/xlbench/xlbench/harness/dataset"
	"github.com/xlbench/xlbench/plugins"
	"github.com/xlbench/xlbench/plugins/sdk"
)

// recordingSource is the hybrid sampler's batches, observing training: it
// keeps every feedback it is sent.
type recordingSource struct {
	next sdk.BatchFunc
	log  *[]plugins.Feedback
}

func (r recordingSource) Next() (plugins.Batch, error) { return r.next() }
func (r recordingSource) Observe(f plugins.Feedback) error {
	*r.log = append(*r.log, f)
	return nil
}

func observing(log *[]plugins.Feedback) sdk.SamplerDef {
	hybrid := samplers.Hybrid()
	return sdk.SamplerDef{Info: hybrid.Info, NewObserving: func(cfg plugins.SamplerConfig) (sdk.Observing, error) {
		next, err := hybrid.New(cfg)
		return recordingSource{next, log}, err
	}}
}

// textCorpus is a QA corpus with distinct texts in three languages.
func textCorpus() []*dataset.TrainCorpus {
	var c dataset.TrainCorpus
	for i := range 40 {
		g := dataset.TrainGroup{Queries: map[string]string{}, Passages: map[string]string{}}
		for _, l := range []string{"de", "en", "es"} {
			g.Queries[l] = fmt.Sprintf("%s question %d about thing%d", l, i, i)
			g.Passages[l] = fmt.Sprintf("%s passage %d: thing%d is item %d", l, i, i, i*7)
		}
		c.Groups = append(c.Groups, g)
	}
	return []*dataset.TrainCorpus{&c}
}

// TestFeedbackDeterministic trains the built-in encoder with an observing
// sampler twice: the same seed gives the same batches, the same losses and
// the same feedback, chunk by chunk; the feedback's step losses are the
// record's, and its pair means average to them.
func TestFeedbackDeterministic(t *testing.T) {
	c := build(t, textCorpus())
	opt := Options{Steps: 150, BatchSize: 8, Seed: 5, SamplerParams: plugins.Params{"alpha": 0.5}}
	run := func() (*Record, []plugins.Feedback) {
		var log []plugins.Feedback
		enc := dualenc.New()
		if _, err := enc.Configure(context.Background(), plugins.EncoderConfig{Seed: 5,
			Params: plugins.Params{"dim": 16.0, "buckets": 4096.0}}); err != nil {
			t.Fatal(err)
		}
		s := sdk.NewSampler(observing(&log))
		opt := opt
		opt.Observer = s.(plugins.Observer)
		rec, err := Run(context.Background(), s, enc, c, opt)
		if err != nil {
			t.Fatal(err)
		}
		return rec, log
	}
	rec, log := run()
	rec2, log2 := run()
	if diff := cmp.Diff(rec.Loss, rec2.Loss); diff != "" {
		t.Errorf("same seed, different losses:\n%.500s", diff)
	}
	if diff := cmp.Diff(log, log2); diff != "" {
		t.Errorf("same seed, different feedback:\n%.500s", diff)
	}
	if len(log) != 3 || rec.Feedbacks != 3 || log[0].FirstStep != 0 || log[1].FirstStep != 64 || log[2].FirstStep != 128 || len(log[2].StepLoss) != 22 {
		t.Fatalf("%d feedbacks (record: %d), want chunks at 0, 64, 128 of 64, 64, 22 steps", len(log), rec.Feedbacks)
	}
	for _, f := range log {
		sum, n := 0.0, 0
		for i, l := range f.StepLoss {
			if float32(l) != rec.Loss[f.FirstStep+i] {
				t.Fatalf("feedback step %d loss %v, record %v", f.FirstStep+i, l, rec.Loss[f.FirstStep+i])
			}
			sum += l
		}
		pairSum := 0.0
		for _, p := range f.PairLoss {
			pairSum += p.Mean * float64(p.Pairs)
			n += p.Pairs
		}
		if len(f.PairLoss) < 2 || n != 8*len(f.StepLoss) {
			t.Fatalf("chunk at %d: pair losses %v", f.FirstStep, f.PairLoss)
		}
		// Each step's loss is the mean of its pairs' (to float32 precision).
		if got, want := pairSum/float64(n), sum/float64(len(f.StepLoss)); math.Abs(got-want) > 1e-4*math.Max(1, want) {
			t.Errorf("chunk at %d: mean pair loss %v, mean step loss %v", f.FirstStep, got, want)
		}
	}
}

// TestNoFeedbackUnlessObserving: a sampler that does not observe is never
// sent feedback (and keeps the plain path).
func TestNoFeedbackUnlessObserving(t *testing.T) {
	c := build(t, corpora())
	rec, err := Run(context.Background(), sdk.NewSampler(samplers.Hybrid()), &countingTrainer{}, c,
		Options{Steps: 100, BatchSize: 4, Seed: 1, SamplerParams: plugins.Params{"alpha": 0.5}})
	if err != nil || rec.Feedbacks != 0 {
		t.Fatalf("feedbacks %v, err %v", rec, err)
	}
}

// feedbackSteered draws monolingual batches in the language its feedback
// count points to: its batches depend on when it hears of its steps.
type feedbackSteered struct {
	langs []string
	next  int
	heard *[]int
	size  int
	ids   []uint32
}

func (f *feedbackSteered) Next() (plugins.Batch, error) {
	lang := f.langs[len(*f.heard)%len(f.langs)]
	b := make(plugins.Batch, f.size)
	for i := range b {
		b[i] = plugins.Pair{Group: f.ids[f.next%len(f.ids)], QueryLang: lang, PassageLang: lang}
		f.next++
	}
	return b, nil
}

func (f *feedbackSteered) Observe(fb plugins.Feedback) error {
	*f.heard = append(*f.heard, fb.FirstStep)
	return nil
}

// TestFeedbackCadenceIgnoresValidation: an observing sampler whose batches
// depend on when it is told of its steps sees the same cadence
// (plugins.FeedbackEvery), so draws the same batches, and the encoder
// trains to the same losses, whatever validate_every is.
func TestFeedbackCadenceIgnoresValidation(t *testing.T) {
	cs := textCorpus()
	for i := range cs[0].Groups {
		cs[0].Groups[i].Key = fmt.Sprint(i) // the validation split hashes keys
	}
	c, err := Build(cs, nil, 0.2)
	if err != nil {
		t.Fatal(err)
	}
	var ids []uint32
	for _, g := range c.Summary.Groups {
		ids = append(ids, g.ID)
	}
	type outcome struct {
		heard []int
		loss  []float32
		langs map[string]int
	}
	run := func(validateEvery int) outcome {
		var heard []int
		def := sdk.SamplerDef{Info: plugins.Info{Name: "steered", Version: "1", ObservesTraining: true},
			NewObserving: func(cfg plugins.SamplerConfig) (sdk.Observing, error) {
				if cfg.Steps != 200 {
					t.Errorf("the sampler was told %d steps, want the run's 200", cfg.Steps)
				}
				return &feedbackSteered{langs: []string{"de", "en", "es"}, heard: &heard, size: cfg.BatchSize, ids: ids}, nil
			}}
		enc := dualenc.New()
		if _, err := enc.Configure(context.Background(), plugins.EncoderConfig{Seed: 5,
			Params: plugins.Params{"dim": 16.0, "buckets": 4096.0}}); err != nil {
			t.Fatal(err)
		}
		s := sdk.NewSampler(def)
		rec, err := Run(context.Background(), s, enc, c,
			Options{Steps: 200, BatchSize: 4, Seed: 5, Observer: s.(plugins.Observer), ValidateEvery: validateEvery})
		if err != nil {
			t.Fatal(err)
		}
		return outcome{heard, rec.Loss, rec.BatchLanguages}
	}
	want := run(0)
	if !cmp.Equal([]int{0, 64, 128, 192}, want.heard) {
		t.Fatalf("feedback at steps %v, want every %d", want.heard, plugins.FeedbackEvery)
	}
	for _, every := range []int{10, 50, 64, 100} {
		if diff := cmp.Diff(want, run(every), cmp.AllowUnexported(outcome{})); diff != "" {
			t.Errorf("validate_every %d changed what the sampler saw or did:\n%.800s", every, diff)
		}
	}
}
