package dualenc

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xlbench/xlbench/plugins"
)

// syntheticCorpus makes n groups of a 10-word query and a 25-word passage
// over a 30,000-word vocabulary: the lengths of SQuAD questions and answer
// sentences.
func syntheticCorpus(n int) []plugins.CorpusGroup { return syntheticCorpusOf(n, 10, 25) }

// syntheticCorpusOf is n English groups of a qWords-word query and a
// pWords-word passage (10 and 25 words: about 124 and 290 features).
func syntheticCorpusOf(n, qWords, pWords int) []plugins.CorpusGroup {
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
			{Lang: "en", Role: plugins.RoleQuery, Text: words(qWords)},
			{Lang: "en", Role: plugins.RolePassage, Text: words(pWords)},
		}}
	}
	return gs
}

// BenchmarkTrain reports training pairs per second of the in-process
// trainer, at the shapes of the PyTorch anchor (docs/speed.md; 2^16
// buckets, batch 64) for dim 128 and 256 with bags of about 124 / 290
// features per query / passage, for dim 128 with bags of about 64 / 256
// (bags64x256), and for the larger model: dim 128 with a feed-forward
// block of width 512 (hidden = 512). q-features and p-features are the
// bags' mean sizes.
func BenchmarkTrain(b *testing.B) {
	for _, shape := range []struct{ dim, hidden, qWords, pWords int }{{128, 0, 10, 25}, {256, 0, 10, 25}, {128, 512, 10, 25}, {128, 0, 5, 22}} {
		dim := shape.dim
		name := fmt.Sprintf("dim%d", dim)
		if shape.hidden > 0 {
			name += fmt.Sprintf("-hidden%d", shape.hidden)
		}
		if shape.qWords != 10 {
			name += "-bags64x256"
		}
		b.Run(name, func(b *testing.B) {
			e := newEncoder(b, 1, plugins.Params{"dim": float64(dim), "buckets": 65536.0, "hidden": float64(shape.hidden)})
			const groups, batchSize = 4096, 64
			e.LoadCorpus(ctx, plugins.LoadCorpusRequest{Groups: syntheticCorpusOf(groups, shape.qWords, shape.pWords)})
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
			sec := time.Since(start).Seconds()
			b.ReportMetric(float64(b.N*steps*batchSize)/sec, "pairs/s")
			// Where the time goes: the embedding rows a step touches. Each
			// is read by the bag forward pass, its gradient written and
			// read back by the scatter, and AdamW reads the row, its two
			// moments and the gradient and writes the first three: 10
			// passes of dim float32s a row. The matrices and the graph are
			// small beside them.
			rows := 0
			for _, bt := range batches {
				seen := map[uint32]bool{}
				for _, p := range bt {
					gb := e.corpus[p.Group]
					for _, id := range gb[p.QueryLang].query.ids {
						seen[id] = true
					}
					for _, id := range gb[p.PassageLang].passage.ids {
						seen[id] = true
					}
				}
				rows += len(seen)
			}
			var qf, pf int
			for _, gb := range e.corpus {
				qf += len(gb["en"].query.ids)
				pf += len(gb["en"].passage.ids)
			}
			b.ReportMetric(float64(qf)/float64(len(e.corpus)), "q-features")
			b.ReportMetric(float64(pf)/float64(len(e.corpus)), "p-features")
			bytesPerStep := float64(rows) / float64(len(batches)) * float64(dim) * 4 * 10
			b.ReportMetric(bytesPerStep/batchSize, "row-bytes/pair")
			b.ReportMetric(bytesPerStep*float64(b.N*steps)/sec/1e9, "row-GB/s")
		})
	}
}

// BenchmarkMemoryBandwidth measures what the trainer's row traffic is set
// against: a STREAM-style triad (a = b + s·c) over arrays far larger than
// the caches, on every core, in GB/s moved.
func BenchmarkMemoryBandwidth(b *testing.B) {
	const n = 1 << 25 // 128 MiB per array
	x, y, z := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range y {
		y[i], z[i] = 1, 2
	}
	workers := runtime.GOMAXPROCS(0)
	b.ResetTimer()
	start := time.Now()
	for it := 0; it < b.N; it++ {
		var wg sync.WaitGroup
		for w := range workers {
			lo, hi := w*n/workers, (w+1)*n/workers
			wg.Add(1)
			go func() {
				defer wg.Done()
				xs, ys, zs := x[lo:hi], y[lo:hi], z[lo:hi]
				for i := range xs {
					xs[i] = ys[i] + 3*zs[i]
				}
			}()
		}
		wg.Wait()
	}
	b.ReportMetric(float64(b.N)*3*4*n/time.Since(start).Seconds()/1e9, "GB/s")
}
