package samplers

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xlbench/xlbench/plugins"
	"github.com/xlbench/xlbench/plugins/sdk"
)

// corpus builds a summary shaped like the parallel MLQA training data: every
// group has questions in all qlangs and passages in all plangs, plus a few
// English-only groups (SQuAD-like).
func corpus(n int, qlangs, plangs []string, englishOnly int) plugins.CorpusSummary {
	var c plugins.CorpusSummary
	for i := 0; i < n; i++ {
		c.Groups = append(c.Groups, plugins.Group{ID: uint32(i), QueryLangs: qlangs, PassageLangs: plangs})
	}
	for i := 0; i < englishOnly; i++ {
		c.Groups = append(c.Groups, plugins.Group{ID: uint32(n + i), QueryLangs: []string{"en"}, PassageLangs: []string{"en"}})
	}
	return c
}

var (
	qlangs = []string{"ar", "de", "es", "hi", "vi", "zh"}
	plangs = []string{"de", "es", "vi", "zh"}
)

func draw(t *testing.T, def sdk.SamplerDef, cfg plugins.SamplerConfig, n int) []plugins.Batch {
	t.Helper()
	s := sdk.NewSampler(def)
	ctx := context.Background()
	if err := s.Start(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	var out []plugins.Batch
	for len(out) < n {
		bs, err := s.Next(ctx, plugins.NextRequest{Count: min(1000, n-len(out))})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, bs...)
	}
	return out
}

func distinctGroups(t *testing.T, b plugins.Batch) {
	t.Helper()
	seen := map[uint32]bool{}
	for _, p := range b {
		if seen[p.Group] {
			t.Fatalf("group %d twice in one batch", p.Group)
		}
		seen[p.Group] = true
	}
}

// chiSquare returns Pearson's statistic for counts against a uniform expectation.
func chiSquare(counts map[string]int) float64 {
	total := 0
	for _, c := range counts {
		total += c
	}
	exp := float64(total) / float64(len(counts))
	x := 0.0
	for _, c := range counts {
		x += (float64(c) - exp) * (float64(c) - exp) / exp
	}
	return x
}

func TestMonolingualBatches(t *testing.T) {
	cfg := plugins.SamplerConfig{Corpus: corpus(500, qlangs, plangs, 300), BatchSize: 16, Seed: 1}
	batches := draw(t, Monolingual(), cfg, 5000)
	langs := map[string]int{}
	for _, b := range batches {
		if !b.Monolingual() {
			t.Fatalf("monolingual sampler produced a mixed batch: %v", b[:2])
		}
		distinctGroups(t, b)
		langs[b[0].QueryLang]++
	}
	// Eligible: languages with both sides — de, es, vi, zh from the
	// parallel groups and en from the English-only ones.
	if diff := cmp.Diff([]string{"de", "en", "es", "vi", "zh"}, keys(langs)); diff != "" {
		t.Fatalf("languages (-want +got):\n%s", diff)
	}
	// Uniform choice: chi-square with 4 degrees of freedom; 18.47 is the
	// 0.999 quantile.
	if x := chiSquare(langs); x > 18.47 {
		t.Errorf("language choice not uniform: chi2 = %.2f, counts %v", x, langs)
	}
}

func TestCrossLingualBatches(t *testing.T) {
	cfg := plugins.SamplerConfig{Corpus: corpus(500, qlangs, plangs, 300), BatchSize: 16, Seed: 2}
	pairs := map[string]int{}
	for _, b := range draw(t, CrossLingual(), cfg, 2000) {
		distinctGroups(t, b)
		for _, p := range b {
			if p.QueryLang == p.PassageLang {
				t.Fatalf("same-language pair %v in a cross-lingual batch", p)
			}
			if p.Group >= 500 {
				t.Fatalf("English-only group %d has no cross-lingual pair but was drawn", p.Group)
			}
			pairs[p.QueryLang+"-"+p.PassageLang]++
		}
	}
	// 6×4 pairs minus the 4 same-language ones.
	if len(pairs) != 20 {
		t.Errorf("saw %d language pairs, want 20: %v", len(pairs), pairs)
	}
	// 19 degrees of freedom; 43.82 is the 0.999 quantile.
	if x := chiSquare(pairs); x > 43.82 {
		t.Errorf("language pairs not uniform: chi2 = %.2f", x)
	}
}

func TestHybridShare(t *testing.T) {
	for _, alpha := range []float64{0.5, 0.2} {
		t.Run(fmt.Sprint(alpha), func(t *testing.T) {
			cfg := plugins.SamplerConfig{Corpus: corpus(500, qlangs, plangs, 300), BatchSize: 16, Seed: 3,
				Params: plugins.Params{"alpha": alpha}}
			const n = 10000
			mono := 0
			for _, b := range draw(t, Hybrid(), cfg, n) {
				distinctGroups(t, b)
				if b.Monolingual() {
					mono++
					continue
				}
				for _, p := range b {
					if p.QueryLang == p.PassageLang {
						t.Fatalf("cross-lingual batch holds same-language pair %v", p)
					}
				}
			}
			// Binomial(n, alpha): accept within 4 standard deviations.
			sd := math.Sqrt(n * alpha * (1 - alpha))
			if d := math.Abs(float64(mono) - n*alpha); d > 4*sd {
				t.Errorf("%d monolingual batches of %d, want %.0f ± %.0f", mono, n, n*alpha, 4*sd)
			}
		})
	}
}

func TestDeterministicForSeed(t *testing.T) {
	for _, def := range []sdk.SamplerDef{Monolingual(), CrossLingual(), Hybrid()} {
		t.Run(def.Info.Name, func(t *testing.T) {
			cfg := plugins.SamplerConfig{Corpus: corpus(200, qlangs, plangs, 100), BatchSize: 8, Seed: 7}
			a := draw(t, def, cfg, 300)
			b := draw(t, def, cfg, 300)
			if diff := cmp.Diff(a, b); diff != "" {
				t.Fatalf("same seed, different batches:\n%s", diff)
			}
			cfg.Seed = 8
			if cmp.Equal(a, draw(t, def, cfg, 300)) {
				t.Fatal("seeds 7 and 8 gave the same batches")
			}
		})
	}
}

func TestTooSmallCorpus(t *testing.T) {
	cfg := plugins.SamplerConfig{Corpus: corpus(5, qlangs, plangs, 0), BatchSize: 16, Seed: 1}
	for _, def := range []sdk.SamplerDef{Monolingual(), CrossLingual()} {
		err := sdk.NewSampler(def).Start(context.Background(), cfg)
		if err == nil || !strings.Contains(err.Error(), "batch size") {
			t.Errorf("%s: err = %v, want a batch-size error", def.Info.Name, err)
		}
	}
}

func TestHybridRejectsBadAlpha(t *testing.T) {
	cfg := plugins.SamplerConfig{Corpus: corpus(50, qlangs, plangs, 0), BatchSize: 4, Params: plugins.Params{"alpha": 1.5}}
	if err := sdk.NewSampler(Hybrid()).Start(context.Background(), cfg); err == nil {
		t.Fatal("alpha 1.5 accepted")
	}
}

func keys(m map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestRestrictedCorpus: offered a corpus restricted to some languages (as
// the harness offers a sampler with a languages attribute), a sampler
// takes pairs in those languages only; the monolingual sampler on ["en"]
// is LAReQA's En-En fine-tuning.
func TestRestrictedCorpus(t *testing.T) {
	c := corpus(200, qlangs, plangs, 100)
	enEn := draw(t, Monolingual(), plugins.SamplerConfig{Corpus: sdk.Restrict(c, []string{"en"}), BatchSize: 16, Seed: 3}, 50)
	for _, b := range enEn {
		if !b.Monolingual() || b[0].QueryLang != "en" {
			t.Fatalf("En-En batch %v", b)
		}
	}
	cross := draw(t, CrossLingual(), plugins.SamplerConfig{Corpus: sdk.Restrict(c, []string{"de", "es"}), BatchSize: 16, Seed: 3}, 50)
	for _, b := range cross {
		for _, p := range b {
			if !slices.Contains([]string{"de", "es"}, p.QueryLang) || !slices.Contains([]string{"de", "es"}, p.PassageLang) || p.QueryLang == p.PassageLang {
				t.Fatalf("pair %+v outside de–es", p)
			}
		}
	}
	s := sdk.NewSampler(Monolingual())
	err := s.Start(context.Background(), plugins.SamplerConfig{Corpus: sdk.Restrict(c, []string{"el"}), BatchSize: 16, Seed: 3})
	if err == nil {
		t.Fatal("a language with no groups gave monolingual batches")
	}
}

// TestTranslationGroupsNotMonolingual: the SDK index offers translation
// groups for cross-lingual pairs only.
func TestTranslationGroupsNotMonolingual(t *testing.T) {
	c := plugins.CorpusSummary{Groups: []plugins.Group{
		{ID: 0, QueryLangs: []string{"de", "en"}, PassageLangs: []string{"de", "en"}},
		{ID: 1, Kind: plugins.GroupTranslation, QueryLangs: []string{"de", "en"}, PassageLangs: []string{"de", "en"}},
	}}
	ix := sdk.NewCorpusIndex(c)
	if diff := cmp.Diff(map[string][]int{"de": {0}, "en": {0}}, ix.Mono); diff != "" {
		t.Errorf("mono (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{0, 1}, ix.Cross); diff != "" {
		t.Errorf("cross (-want +got):\n%s", diff)
	}
}
