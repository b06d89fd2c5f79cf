package main

import (
	"context"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xlbench/xlbench/plugins"
	"github.com/xlbench/xlbench/plugins/sdk"
)

var ctx = context.Background()

// corpus: 300 QA groups, each in English and German on both sides: four
// language pairs (en-en, en-de, de-en, de-de).
func corpus() plugins.CorpusSummary {
	var c plugins.CorpusSummary
	for i := range 300 {
		c.Groups = append(c.Groups, plugins.Group{ID: uint32(i), QueryLangs: []string{"de", "en"}, PassageLangs: []string{"de", "en"}})
	}
	return c
}

func started(t *testing.T, params plugins.Params) plugins.Sampler {
	t.Helper()
	s := sdk.NewSampler(Def)
	if err := s.Start(ctx, plugins.SamplerConfig{Corpus: corpus(), BatchSize: 8, Seed: 3, Params: params}); err != nil {
		t.Fatal(err)
	}
	return s
}

func shares(t *testing.T, s plugins.Sampler, n int) map[string]float64 {
	t.Helper()
	bs, err := s.Next(ctx, plugins.NextRequest{Count: n})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, b := range bs {
		for _, p := range b[1:] {
			if p.QueryLang != b[0].QueryLang || p.PassageLang != b[0].PassageLang {
				t.Fatalf("batch mixes language pairs: %v", b)
			}
		}
		out[b[0].QueryLang+"-"+b[0].PassageLang] += 1 / float64(n)
	}
	return out
}

// hardGerman is a synthetic loss signal: questions in German against
// English passages are hard (loss 3), the other pairs easy (loss 1).
func hardGerman(first int) plugins.Feedback {
	return plugins.Feedback{FirstStep: first, StepLoss: []float64{1.5}, PairLoss: []plugins.PairLoss{
		{QueryLang: "de", PassageLang: "de", Mean: 1, Pairs: 8},
		{QueryLang: "de", PassageLang: "en", Mean: 3, Pairs: 8},
		{QueryLang: "en", PassageLang: "de", Mean: 1, Pairs: 8},
		{QueryLang: "en", PassageLang: "en", Mean: 1, Pairs: 8},
	}}
}

// TestShiftsTowardHardPairs: uniform before any feedback; after the signal
// the hard pair's share is (1 − ε)·e^{3/τ} / (e^{3/τ} + 3·e^{1/τ}) + ε/4,
// within four binomial standard deviations over 8,000 batches.
func TestShiftsTowardHardPairs(t *testing.T) {
	const n = 8000
	s := started(t, plugins.Params{"temperature": 1.0, "floor": 0.1, "decay": 0.5})
	before := shares(t, s, n)
	sd := math.Sqrt(0.25 * 0.75 / n)
	for pair, got := range before {
		if math.Abs(got-0.25) > 4*sd {
			t.Errorf("before feedback: %s share %.4f, want 0.25 ± %.4f", pair, got, 4*sd)
		}
	}
	if len(before) != 4 {
		t.Errorf("pairs drawn %v, want all four", before)
	}
	if err := s.(plugins.Observer).Observe(ctx, hardGerman(0)); err != nil {
		t.Fatal(err)
	}
	want := 0.9*math.Exp(3)/(math.Exp(3)+3*math.Exp(1)) + 0.1/4
	got := shares(t, s, n)["de-en"]
	sd = math.Sqrt(want * (1 - want) / n)
	if math.Abs(got-want) > 4*sd {
		t.Errorf("after feedback: de-en share %.4f, want %.4f ± %.4f", got, want, 4*sd)
	}
	// The moving average: a second chunk where de-en costs 1 halves its
	// excess (β = 0.5): L = 2, so its share falls to (1 − ε)·e²/(e² + 3e) + ε/4.
	easy := hardGerman(1)
	easy.PairLoss[1].Mean = 1
	if err := s.(plugins.Observer).Observe(ctx, easy); err != nil {
		t.Fatal(err)
	}
	want = 0.9*math.Exp(2)/(math.Exp(2)+3*math.Exp(1)) + 0.1/4
	got = shares(t, s, n)["de-en"]
	sd = math.Sqrt(want * (1 - want) / n)
	if math.Abs(got-want) > 4*sd {
		t.Errorf("after the second chunk: de-en share %.4f, want %.4f ± %.4f", got, want, 4*sd)
	}
}

// TestDeclaresAndIsDeterministic: Describe says the sampler observes
// training, and the same seed and feedback give the same batches.
func TestDeclaresAndIsDeterministic(t *testing.T) {
	info, _ := sdk.NewSampler(Def).Describe(ctx)
	if !info.ObservesTraining {
		t.Error("Describe does not declare ObservesTraining")
	}
	run := func() []plugins.Batch {
		s := started(t, nil)
		var all []plugins.Batch
		for chunk := range 5 {
			bs, err := s.Next(ctx, plugins.NextRequest{Count: 16})
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, bs...)
			if err := s.(plugins.Observer).Observe(ctx, hardGerman(16*chunk)); err != nil {
				t.Fatal(err)
			}
		}
		return all
	}
	if diff := cmp.Diff(run(), run()); diff != "" {
		t.Errorf("same seed and feedback, different batches:\n%.1000s", diff)
	}
}
