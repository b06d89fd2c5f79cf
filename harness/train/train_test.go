package train

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xlbench/xlbench/builtin/dualenc"
	"github.com/xlbench/xlbench/builtin/samplers"
	"github.com/xlbench/xlbench/harness/dataset"
	"github.com/xlbench/xlbench/plugins"
	"github.com/xlbench/xlbench/plugins/sdk"
)

func corpora() []*dataset.TrainCorpus {
	var mlqa, squad dataset.TrainCorpus
	for i := 0; i < 8; i++ {
		mlqa.Groups = append(mlqa.Groups, dataset.TrainGroup{
			Queries:  map[string]string{"de": "q", "ar": "q"},
			Passages: map[string]string{"de": "p", "es": "p"},
		})
		squad.Groups = append(squad.Groups, dataset.TrainGroup{
			Queries: map[string]string{"en": "q"}, Passages: map[string]string{"en": "p"},
		})
	}
	return []*dataset.TrainCorpus{&mlqa, &squad}
}

func build(t *testing.T, cs []*dataset.TrainCorpus, heldOut ...string) *Corpus {
	t.Helper()
	c, err := Build(cs, heldOut, 0)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestBuild(t *testing.T) {
	c := build(t, corpora())
	if len(c.Groups) != 16 || c.Groups[9].ID != 9 {
		t.Fatalf("groups: %d, id %d", len(c.Groups), c.Groups[9].ID)
	}
	want := plugins.Group{ID: 0, QueryLangs: []string{"ar", "de"}, PassageLangs: []string{"de", "es"}}
	if diff := cmp.Diff(want, c.Summary.Groups[0]); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	trained, cross := c.Languages()
	if diff := cmp.Diff(map[string]bool{"ar": true, "de": true, "es": true, "en": true}, trained); diff != "" {
		t.Error(diff)
	}
	if cross["en"] || !cross["ar"] || !cross["es"] {
		t.Errorf("cross-trained = %v: en only ever pairs with itself", cross)
	}
	if StepsFor(1.5, 100, 64) != 3 {
		t.Errorf("StepsFor(1.5, 100, 64) = %d, want 3", StepsFor(1.5, 100, 64))
	}
}

// countingTrainer records what training sends it.
type countingTrainer struct {
	groups int
	steps  int
}

func (c *countingTrainer) LoadCorpus(_ context.Context, req plugins.LoadCorpusRequest) error {
	c.groups = len(req.Groups)
	return nil
}
func (c *countingTrainer) TrainStep(context.Context, plugins.TrainStepRequest) (plugins.TrainStepResult, error) {
	c.steps++
	return plugins.TrainStepResult{Loss: 1 / float64(c.steps)}, nil
}

func TestRunRecordsBatchMix(t *testing.T) {
	c := build(t, corpora())
	tr := &countingTrainer{}
	rec, err := Run(context.Background(), sdk.NewSampler(samplers.Hybrid()), tr, c,
		Options{Steps: 100, BatchSize: 4, Seed: 1, SamplerParams: plugins.Params{"alpha": 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	if tr.groups != 16 || tr.steps != 100 || len(rec.Loss) != 100 || rec.Pairs != 400 || rec.Loss[1] != 0.5 {
		t.Fatalf("record %+v", rec)
	}
	mono := 0
	for _, n := range rec.BatchLanguages {
		mono += n
	}
	if mono != rec.MonolingualBatches || rec.MonolingualShare != float64(mono)/100 {
		t.Errorf("monolingual batches %d, by language %v, share %v", rec.MonolingualBatches, rec.BatchLanguages, rec.MonolingualShare)
	}
	if rec.PairLanguages["en-en"] == 0 || rec.PairLanguages["ar-es"] == 0 {
		t.Errorf("pair languages %v", rec.PairLanguages)
	}
}

// chunkTrainer takes steps in chunks, as the plugin host's encoders do, and
// fails at step failAt (1-based, counted over the run).
type chunkTrainer struct {
	countingTrainer
	failAt int
	chunks []int
}

func (c *chunkTrainer) TrainSteps(ctx context.Context, bs []plugins.Batch) ([]plugins.TrainStepResult, error) {
	c.chunks = append(c.chunks, len(bs))
	var out []plugins.TrainStepResult
	for range bs {
		if c.steps+1 == c.failAt {
			return out, fmt.Errorf("loss is NaN")
		}
		r, _ := c.TrainStep(ctx, plugins.TrainStepRequest{})
		out = append(out, r)
	}
	return out, nil
}

// TestRunInChunks: a trainer that takes several steps per call gets the
// sampler's chunks, and a failure names the step it happened at, with the
// losses before it recorded.
func TestRunInChunks(t *testing.T) {
	c := build(t, corpora())
	opt := Options{Steps: 150, BatchSize: 4, Seed: 1, SamplerParams: plugins.Params{"alpha": 0.5}}
	tr := &chunkTrainer{}
	rec, err := Run(context.Background(), sdk.NewSampler(samplers.Hybrid()), tr, c, opt)
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal([]int{64, 64, 22}, tr.chunks) || len(rec.Loss) != 150 || rec.Loss[149] != float32(1.0/150) {
		t.Fatalf("chunks %v, %d losses", tr.chunks, len(rec.Loss))
	}
	tr = &chunkTrainer{failAt: 70}
	_, err = Run(context.Background(), sdk.NewSampler(samplers.Hybrid()), tr, c, opt)
	if err == nil || !strings.HasPrefix(err.Error(), "step 70: encoder: loss is NaN") {
		t.Fatalf("err = %v, want step 70 named", err)
	}
}

// mixed is a corpus of QA groups and translation groups.
func mixed() []*dataset.TrainCorpus {
	qa := corpora()
	var tr dataset.TrainCorpus
	for i := 0; i < 8; i++ {
		texts := map[string]string{"de": "s", "el": "s", "en": "s"}
		tr.Groups = append(tr.Groups, dataset.TrainGroup{Kind: plugins.GroupTranslation, Queries: texts, Passages: texts})
	}
	// A translation pair of a held-out language and one other: nothing
	// is left of it once el is held out.
	pair := map[string]string{"el": "s", "de": "s"}
	tr.Groups = append(tr.Groups, dataset.TrainGroup{Kind: plugins.GroupTranslation, Queries: pair, Passages: pair})
	return append(qa, &tr)
}

// TestBuildHeldOut: a held-out language's texts are gone from what the
// encoder and the reader receive; groups left with no pair are dropped.
func TestBuildHeldOut(t *testing.T) {
	cs := mixed()
	cs[0].Groups[0].Answers = map[string]dataset.Answer{"de": {Text: "p", Start: 0}, "es": {Text: "p", Start: 0}}
	c := build(t, cs, "el", "es")
	if c.Dropped != 1 || len(c.Groups) != 24 || c.Translation != 8 {
		t.Fatalf("dropped %d, groups %d, translation %d", c.Dropped, len(c.Groups), c.Translation)
	}
	for _, g := range c.Groups {
		for _, tx := range g.Texts {
			if tx.Lang == "el" || tx.Lang == "es" {
				t.Fatalf("group %d holds a %s text", g.ID, tx.Lang)
			}
		}
	}
	for _, ex := range c.Reading {
		if ex.Lang == "es" {
			t.Fatalf("reading example in held-out es: %+v", ex)
		}
	}
	if len(c.Reading) != 2 { // de passage × ar, de questions
		t.Errorf("%d reading examples, want 2", len(c.Reading))
	}
	want := plugins.Group{ID: 16, Kind: plugins.GroupTranslation, QueryLangs: []string{"de", "en"}, PassageLangs: []string{"de", "en"}}
	if diff := cmp.Diff(want, c.Summary.Groups[16]); diff != "" {
		t.Errorf("translation group (-want +got):\n%s", diff)
	}
	if !strings.Contains(c.Describe(), "held out: el es (1 groups had nothing else") {
		t.Errorf("describe:\n%s", c.Describe())
	}
}

// TestSamplersOnMixedCorpus: the three built-in samplers never take a
// same-language pair from a translation group; monolingual batches come
// from QA groups only, and cross-lingual batches use both kinds.
func TestSamplersOnMixedCorpus(t *testing.T) {
	c := build(t, mixed())
	for _, def := range []sdk.SamplerDef{samplers.Monolingual(), samplers.CrossLingual(), samplers.Hybrid()} {
		t.Run(def.Info.Name, func(t *testing.T) {
			s := sdk.NewSampler(def)
			if err := s.Start(context.Background(), plugins.SamplerConfig{Corpus: c.Summary, BatchSize: 4, Seed: 7, Params: plugins.Params{}}); err != nil {
				t.Fatal(err)
			}
			bs, err := s.Next(context.Background(), plugins.NextRequest{Count: 400})
			if err != nil {
				t.Fatal(err)
			}
			fromTranslation := 0
			for _, b := range bs {
				if err := c.checkBatch(b, nil); err != nil {
					t.Fatal(err)
				}
				for _, p := range b {
					g := c.Summary.Groups[p.Group]
					if g.Kind == plugins.GroupTranslation {
						fromTranslation++
						if b.Monolingual() {
							t.Fatalf("monolingual batch %v takes translation group %d", b, p.Group)
						}
					}
				}
			}
			if (def.Info.Name == "monolingual") != (fromTranslation == 0) {
				t.Errorf("%d pairs from translation groups", fromTranslation)
			}
		})
	}
}

// selfSampler pairs a translation group's sentence with itself.
type selfSampler struct{}

func (selfSampler) Start(context.Context, plugins.SamplerConfig) error { return nil }
func (selfSampler) Next(context.Context, plugins.NextRequest) ([]plugins.Batch, error) {
	b := plugins.Batch{{Group: 16, QueryLang: "de", PassageLang: "de"}}
	return []plugins.Batch{b}, nil
}

// TestRunRefusesSelfPairs: the host refuses a sampler's same-language pair
// of a translation group, naming the step and the group.
func TestRunRefusesSelfPairs(t *testing.T) {
	c := build(t, mixed())
	_, err := Run(context.Background(), selfSampler{}, &countingTrainer{}, c, Options{Steps: 1, BatchSize: 1})
	if err == nil || !strings.Contains(err.Error(), "step 1: sampler: pair 0: translation group 16 does not offer query language de with passage language de") {
		t.Fatalf("err = %v", err)
	}
}

// axisEncoder encodes a text "q0", "p1", … as the unit vector of axis N
// (dimension 3), so scores are 1 for the same index and 0 otherwise.
type axisEncoder struct{ countingTrainer }

func (axisEncoder) Encode(_ context.Context, req plugins.EncodeRequest) (plugins.Vectors, error) {
	texts := req.Texts
	v := plugins.Vectors{Count: len(texts), Dim: 3, Dense: make([]float32, 3*len(texts))}
	for i, t := range texts {
		v.Dense[i*3+int(t[1]-'0')] = 1
	}
	return v, nil
}

// TestValidationLoss checks the loss against hand-worked values: in a batch
// of n pairs whose query i scores 1 with passage i and 0 with the others,
// each query's loss is log(e^{1/τ} + (n−1)) − 1/τ.
func TestValidationLoss(t *testing.T) {
	pairs := []ValidationPair{
		{QueryLang: "en", PassageLang: "en", Query: "q0", Passage: "p0"},
		{QueryLang: "de", PassageLang: "en", Query: "q1", Passage: "p1"},
		{QueryLang: "en", PassageLang: "de", Query: "q2", Passage: "p2"},
	}
	inv := 1 / ValidationTemperature // 20
	perQuery := func(n int) float64 { return math.Log(math.Exp(inv)+float64(n-1)) - inv }
	for _, tc := range []struct {
		batch int
		want  float64
	}{
		{3, perQuery(3)},                         // one batch of three
		{2, (2*perQuery(2) + perQuery(1)) / 3.0}, // two and a last one alone (loss 0)
	} {
		got, err := ValidationLoss(context.Background(), axisEncoder{}, pairs, tc.batch)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("batch %d: loss %.15g, want %.15g", tc.batch, got, tc.want)
		}
	}
	// A wrong positive: query 0 scores its own passage 0 and passage 1 at 1.
	pairs[0].Passage = "p1"
	got, _ := ValidationLoss(context.Background(), axisEncoder{}, pairs[:2], 2)
	if want := math.Log(2); math.Abs(got-want) > 1e-12 {
		t.Errorf("tied positives: loss %g, want log 2 = %g", got, want)
	}
}

// TestValidationSplit: a validation share sets groups aside by a hash of
// their keys, the same in every build, and training records the loss at
// the start, every ValidateEvery steps and at the end, with the same
// batches as a run without validation.
func TestValidationSplit(t *testing.T) {
	var cs []*dataset.TrainCorpus
	for _, name := range []string{"a", "b"} {
		c := &dataset.TrainCorpus{Name: name}
		for i := range 200 {
			texts := map[string]string{"de": fmt.Sprintf("q%d", i%3), "en": fmt.Sprintf("q%d", (i+1)%3)}
			c.Groups = append(c.Groups, dataset.TrainGroup{Key: fmt.Sprint(i), Queries: texts, Passages: texts})
		}
		cs = append(cs, c)
	}
	c1, err := Build(cs, nil, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := Build(cs, nil, 0.1)
	if !cmp.Equal(c1.Validation, c2.Validation) || len(c1.Validation)+len(c1.Groups) != 400 {
		t.Fatalf("validation %d + training %d groups", len(c1.Validation), len(c1.Groups))
	}
	if n := len(c1.Validation); n < 25 || n > 55 {
		t.Errorf("%d of 400 groups set aside for a share of 0.1", n)
	}
	rec, err := Run(context.Background(), sdk.NewSampler(samplers.Hybrid()), &axisEncoder{}, c1,
		Options{Steps: 130, BatchSize: 4, Seed: 1, SamplerParams: plugins.Params{"alpha": 0.5}, ValidateEvery: 50})
	if err != nil {
		t.Fatal(err)
	}
	var steps []int
	for _, v := range rec.Validation {
		steps = append(steps, v.Step)
	}
	if !cmp.Equal([]int{0, 50, 100, 130}, steps) || rec.ValidationPairs != len(c1.Validation) {
		t.Errorf("validation at steps %v over %d pairs", steps, rec.ValidationPairs)
	}
	plain, _ := Run(context.Background(), sdk.NewSampler(samplers.Hybrid()), &axisEncoder{}, c1,
		Options{Steps: 130, BatchSize: 4, Seed: 1, SamplerParams: plugins.Params{"alpha": 0.5}})
	if !cmp.Equal(plain.PairLanguages, rec.PairLanguages) || plain.MonolingualBatches != rec.MonolingualBatches {
		t.Error("validation points changed the batches")
	}
}

// TestRunLanguages: a sampler with languages is offered only the pairs in
// them, its validation pairs are drawn from the set-aside groups that offer
// such a pair (one each, within the languages), and a batch outside them
// is refused.
func TestRunLanguages(t *testing.T) {
	var mlqa, squad dataset.TrainCorpus
	mlqa.Name, squad.Name = "mlqa", "squad"
	for i := range 400 {
		mlqa.Groups = append(mlqa.Groups, dataset.TrainGroup{Key: fmt.Sprint(i),
			Queries:  map[string]string{"ar": "q1", "de": "q0", "es": "q1"},
			Passages: map[string]string{"de": "p0", "es": "p1"},
		})
		squad.Groups = append(squad.Groups, dataset.TrainGroup{Key: fmt.Sprint(i),
			Queries: map[string]string{"en": "q2"}, Passages: map[string]string{"en": "p2"}})
	}
	c, err := Build([]*dataset.TrainCorpus{&mlqa, &squad}, nil, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	langs := []string{"de", "es"}
	v := c.ValidationPairs(langs)
	mlqaAside := 0
	for _, p := range c.Validation {
		if strings.HasPrefix(p.Key, "mlqa:") {
			mlqaAside++
		}
	}
	if len(v) != mlqaAside || mlqaAside == 0 {
		t.Fatalf("%d validation pairs in de/es, want one per set-aside mlqa group (%d)", len(v), mlqaAside)
	}
	kinds := map[string]int{}
	for _, p := range v {
		if !slices.Contains(langs, p.QueryLang) || !slices.Contains(langs, p.PassageLang) {
			t.Fatalf("validation pair %+v outside de/es", p)
		}
		kinds[p.QueryLang+"-"+p.PassageLang]++
	}
	if len(kinds) != 4 {
		t.Errorf("validation language pairs %v: want all four de/es pairs", kinds)
	}
	if en := c.ValidationPairs([]string{"en"}); len(en) != len(c.Validation)-mlqaAside {
		t.Errorf("%d en validation pairs, want %d", len(en), len(c.Validation)-mlqaAside)
	}
	rec, err := Run(context.Background(), sdk.NewSampler(samplers.Hybrid()), &axisEncoder{}, c,
		Options{Steps: 40, BatchSize: 8, Seed: 1, SamplerParams: plugins.Params{"alpha": 0.5}, Languages: langs, ValidateEvery: 20})
	if err != nil {
		t.Fatal(err)
	}
	for k := range rec.PairLanguages {
		q, p, _ := strings.Cut(k, "-")
		if !slices.Contains(langs, q) || !slices.Contains(langs, p) {
			t.Errorf("trained on %s pairs outside de/es: %v", k, rec.PairLanguages)
		}
	}
	if rec.ValidationPairs != len(v) {
		t.Errorf("validated on %d pairs, want %d", rec.ValidationPairs, len(v))
	}
	_, err = Run(context.Background(), selfSampler{}, &countingTrainer{}, build(t, mixed()), Options{Steps: 1, BatchSize: 1, Languages: []string{"en"}})
	if err == nil || !strings.Contains(err.Error(), "step 1: sampler: pair 0 is in de-de; the sampler is restricted to en") {
		t.Fatalf("err = %v", err)
	}
	_, err = Run(context.Background(), sdk.NewSampler(samplers.Hybrid()), &axisEncoder{}, c,
		Options{Steps: 1, BatchSize: 8, Seed: 1, SamplerParams: plugins.Params{"alpha": 0.5}, Languages: []string{"th"}})
	if err == nil || !strings.Contains(err.Error(), "no training group offers a pair with both sides in th") {
		t.Fatalf("err = %v", err)
	}
}

// nanTrainer's loss turns NaN at step 3.
type nanTrainer struct{ countingTrainer }

func (n *nanTrainer) TrainStep(ctx context.Context, req plugins.TrainStepRequest) (plugins.TrainStepResult, error) {
	r, err := n.countingTrainer.TrainStep(ctx, req)
	if n.steps >= 3 {
		r.Loss = math.NaN()
	}
	return r, err
}

// TestRunStopsAtNonFiniteLoss: the first NaN or infinite loss fails the
// run, naming the step and a remedy.
func TestRunStopsAtNonFiniteLoss(t *testing.T) {
	c := build(t, corpora())
	tr := &nanTrainer{}
	_, err := Run(context.Background(), sdk.NewSampler(samplers.Hybrid()), tr, c,
		Options{Steps: 100, BatchSize: 4, Seed: 1, SamplerParams: plugins.Params{"alpha": 0.5}})
	if err == nil || !strings.Contains(err.Error(), "step 3: the training loss is NaN: training diverged; lower the learning rate") {
		t.Fatalf("err = %v", err)
	}
}

// TestGroupIDsAreNotPositions: pairs name groups by id. A corpus whose
// ids are not positions (1000, 1003, …) trains the built-in encoder with
// the hybrid sampler, over the full corpus and restricted to two
// languages; a pair naming a position instead of an id is refused.
func TestGroupIDsAreNotPositions(t *testing.T) {
	c := build(t, textCorpus())
	for i := range c.Groups {
		id := uint32(1000 + 3*i)
		c.Groups[i].ID, c.Summary.Groups[i].ID = id, id
	}
	for _, langs := range [][]string{nil, {"de", "es"}} {
		enc := dualenc.New()
		if _, err := enc.Configure(context.Background(), plugins.EncoderConfig{Seed: 1,
			Params: plugins.Params{"dim": 16.0, "buckets": 4096.0}}); err != nil {
			t.Fatal(err)
		}
		rec, err := Run(context.Background(), sdk.NewSampler(samplers.Hybrid()), enc, c,
			Options{Steps: 20, BatchSize: 8, Seed: 1, SamplerParams: plugins.Params{"alpha": 0.5}, Languages: langs})
		if err != nil || rec.Pairs != 160 {
			t.Fatalf("languages %v: %+v, %v", langs, rec, err)
		}
	}
	err := c.checkBatch(plugins.Batch{{Group: 1, QueryLang: "de", PassageLang: "de"}}, nil)
	if err == nil || !strings.Contains(err.Error(), "names group 1; the corpus has no group with that id") {
		t.Errorf("a positional group index: %v", err)
	}
}
