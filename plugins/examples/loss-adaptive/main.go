// Command loss-adaptive is an example sampler plugin that observes training
// and shifts its batches toward the language pairs the model finds hardest.
//
// Each batch is drawn from one (query language, passage language) pair k
// (monolingual when the two are the same), with probability
//
//	π_k = (1 − ε) · softmax_k(L_k / τ) + ε / K
//
// where K is the number of pairs the corpus offers a batch of distinct
// groups for, L_k is an exponential moving average of pair k's mean loss in
// the feedback the host sends after every chunk of steps (L_k ← (1 − β)·L_k
// + β·mean_k when the chunk trained pair k; a pair not yet seen takes the
// mean of those seen), τ is the temperature and ε a floor that keeps every
// pair in play. Before any feedback every pair is equally likely.
//
// Build it and name the binary in a spec:
//
//	go build -o bin/loss-adaptive ./plugins/examples/loss-adaptive
//	sampler "adaptive" { plugin = "bin/loss-adaptive", params = { temperature = 0.5 } }
package main

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/xlbench/xlbench/plugins"
	"github.com/xlbench/xlbench/plugins/sdk"
)

// Def defines the plugin; main serves it and the test drives it in process.
var Def = sdk.SamplerDef{
	Info: plugins.Info{
		Name:        "loss-adaptive",
		Version:     "0.1.0",
		Description: "one language pair per batch, drawn with probability rising with the pair's recent loss",
		Params: []plugins.ParamSpec{
			{Name: "temperature", Type: plugins.ParamNumber, Default: 1.0, Min: plugins.Bound(0.01), Description: "τ: lower follows the loss more sharply"},
			{Name: "floor", Type: plugins.ParamNumber, Default: 0.1, Min: plugins.Bound(0), Max: plugins.Bound(1), Description: "ε: share spread evenly over all pairs"},
			{Name: "decay", Type: plugins.ParamNumber, Default: 0.5, Min: plugins.Bound(0.01), Max: plugins.Bound(1), Description: "β: weight of the newest chunk in the moving average"},
		},
	},
	NewObserving: newSampler,
}

type pairKey struct{ q, p string }

type sampler struct {
	cfg               plugins.SamplerConfig
	ix                *sdk.CorpusIndex
	rng               *rand.Rand
	pairs             []pairKey
	cycles            []*sdk.Cycle
	loss              []float64 // moving average per pair
	seen              []bool
	tau, floor, decay float64
	cum               []float64 // cumulative π
}

func newSampler(cfg plugins.SamplerConfig) (sdk.Observing, error) {
	s := &sampler{cfg: cfg, ix: sdk.NewCorpusIndex(cfg.Corpus), rng: sdk.Rand(cfg.Seed),
		tau: cfg.Params.Float("temperature"), floor: cfg.Params.Float("floor"), decay: cfg.Params.Float("decay")}
	groups := map[pairKey][]int{}
	var order []pairKey
	for i, g := range s.ix.Groups {
		for _, q := range g.QueryLangs {
			for _, p := range g.PassageLangs {
				if !g.Allows(q, p) {
					continue
				}
				k := pairKey{q, p}
				if groups[k] == nil {
					order = append(order, k)
				}
				groups[k] = append(groups[k], i)
			}
		}
	}
	for _, k := range order {
		if len(groups[k]) >= cfg.BatchSize { // a batch of distinct groups
			s.pairs = append(s.pairs, k)
			s.cycles = append(s.cycles, sdk.NewCycle(groups[k], s.rng))
		}
	}
	if len(s.pairs) == 0 {
		return nil, fmt.Errorf("no language pair has %d groups", cfg.BatchSize)
	}
	s.loss, s.seen = make([]float64, len(s.pairs)), make([]bool, len(s.pairs))
	s.weigh()
	return s, nil
}

// weigh recomputes π from the moving averages.
func (s *sampler) weigh() {
	known, n := 0.0, 0
	for i, ok := range s.seen {
		if ok {
			known += s.loss[i]
			n++
		}
	}
	fill := 0.0
	if n > 0 {
		fill = known / float64(n)
	}
	top := math.Inf(-1)
	l := make([]float64, len(s.pairs))
	for i := range l {
		l[i] = fill
		if s.seen[i] {
			l[i] = s.loss[i]
		}
		top = max(top, l[i]/s.tau)
	}
	z := 0.0
	for i := range l {
		l[i] = math.Exp(l[i]/s.tau - top)
		z += l[i]
	}
	s.cum = s.cum[:0]
	total := 0.0
	for i := range l {
		total += (1-s.floor)*l[i]/z + s.floor/float64(len(l))
		s.cum = append(s.cum, total)
	}
}

func (s *sampler) Next() (plugins.Batch, error) {
	u := s.rng.Float64() * s.cum[len(s.cum)-1]
	k := 0
	for k < len(s.cum)-1 && u >= s.cum[k] {
		k++
	}
	b := make(plugins.Batch, s.cfg.BatchSize)
	for j, g := range s.cycles[k].Take(s.cfg.BatchSize) {
		b[j] = plugins.Pair{Group: s.ix.Groups[g].ID, QueryLang: s.pairs[k].q, PassageLang: s.pairs[k].p}
	}
	return b, nil
}

// Observe folds a chunk's mean loss per language pair into the averages.
func (s *sampler) Observe(f plugins.Feedback) error {
	for _, pl := range f.PairLoss {
		for i, k := range s.pairs {
			if k.q != pl.QueryLang || k.p != pl.PassageLang {
				continue
			}
			if s.seen[i] {
				s.loss[i] = (1-s.decay)*s.loss[i] + s.decay*pl.Mean
			} else {
				s.loss[i], s.seen[i] = pl.Mean, true
			}
		}
	}
	s.weigh()
	return nil
}

func main() { sdk.ServeSampler(Def) }
