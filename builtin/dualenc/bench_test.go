package dualenc

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/xlbench/xlbench/plugins"
)

// syntheticCorpus makes n groups of a 10-word query and a 25-word passage
// over a 30,000-word vocabulary: the lengths of SQuAD questions and answer
// sentences.
func syntheticCorpus(n int) []plugins.CorpusGroup {
	rng := rand.New(rand.NewPCG(1, 1))
	words := func(k int) string {
		w := make([]string, k)
		for i := range w {
			w[i] = fmt.Sprintf("w%05dx", rng.IntN(30000))
		}
		return strings.Join(w, " ")
	}
	gs := make([]plugins.CorpusGroup, n)
	for i := range gs {
		gs[i] = plugins.CorpusGroup{ID: uint32(i), Texts: []plugins.Text{
			{Lang: "en", Role: plugins.RoleQuery, Text: words(10)},
			{Lang: "en", Role: plugins.RolePassage, Text: words(25)},
		}}
	}
	return gs
}

// BenchmarkTrain reports training pairs per second of the in-process
// trainer, at the shape of DESIGN.md §4's PyTorch anchor (2^16 buckets,
// batch 64) for dim 128 and 256.
func BenchmarkTrain(b *testing.B) {
	for _, dim := range []int{128, 256} {
		b.Run(fmt.Sprintf("dim%d", dim), func(b *testing.B) {
			e := newEncoder(b, 1, plugins.Params{"dim": float64(dim), "buckets": 65536.0})
			const groups, batchSize = 4096, 64
			e.LoadCorpus(ctx, plugins.LoadCorpusRequest{Groups: syntheticCorpus(groups)})
			batches := make([]plugins.Batch, groups/batchSize)
			for i := range batches {
				batches[i] = batch(i*batchSize, batchSize, "en", "en")
			}
			e.TrainStep(ctx, plugins.TrainStepRequest{Batch: batches[0]}) // build the graph outside the timing
			// Each iteration is 100 steps, so `-benchtime 1x` still measures
			// a steady state.
			const steps = 100
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N*steps; i++ {
				if _, err := e.TrainStep(ctx, plugins.TrainStepRequest{Batch: batches[i%len(batches)]}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*steps*batchSize)/time.Since(start).Seconds(), "pairs/s")
		})
	}
}
