package train

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

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

func TestBuild(t *testing.T) {
	c := Build(corpora())
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

func (c *countingTrainer) LoadCorpus(_ context.Context, g []plugins.CorpusGroup) error {
	c.groups = len(g)
	return nil
}
func (c *countingTrainer) TrainStep(context.Context, plugins.Batch) (float64, error) {
	c.steps++
	return 1 / float64(c.steps), nil
}

func TestRunRecordsBatchMix(t *testing.T) {
	c := Build(corpora())
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

func (c *chunkTrainer) TrainSteps(ctx context.Context, bs []plugins.Batch) ([]float64, error) {
	c.chunks = append(c.chunks, len(bs))
	var losses []float64
	for range bs {
		if c.steps+1 == c.failAt {
			return losses, fmt.Errorf("loss is NaN")
		}
		l, _ := c.TrainStep(ctx, nil)
		losses = append(losses, l)
	}
	return losses, nil
}

// TestRunInChunks: a trainer that takes several steps per call gets the
// sampler's chunks, and a failure names the step it happened at, with the
// losses before it recorded.
func TestRunInChunks(t *testing.T) {
	c := Build(corpora())
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
