// Package samplers holds the built-in batch samplers of the paper under
// study (docs/results.md):
//
//   - monolingual (X-X-mono): each batch picks one language uniformly among
//     the languages that offer both sides for at least a batch of groups;
//     every pair has query and passage in that language;
//   - cross-lingual (X-Y): every pair has query and passage in two different
//     languages, chosen uniformly among the pairs its group offers;
//   - hybrid: each batch is monolingual with probability alpha and
//     cross-lingual otherwise.
//
// Groups within a batch are distinct (they are drawn in shuffled passes), so
// no query meets its own group as a negative. Translation groups (one
// sentence in several languages) give cross-lingual pairs only. A sampler
// is restricted to some languages by the spec's languages attribute: the
// harness offers it only the pairs in them (LAReQA's En-En is the
// monolingual sampler on ["en"]).
package samplers

import (
	"fmt"
	"math/rand/v2"

	"github.com/xlbench/xlbench/plugins"
	"github.com/xlbench/xlbench/plugins/sdk"
)

// Version is the version of the built-in samplers.
const Version = "1.2.0"

// Monolingual returns the X-X-mono sampler.
func Monolingual() sdk.SamplerDef {
	return sdk.SamplerDef{
		Info: plugins.Info{
			Name:        "monolingual",
			Version:     Version,
			Description: "every batch in one language, chosen uniformly per batch (X-X-mono)",
		},
		New: func(cfg plugins.SamplerConfig) (sdk.BatchFunc, error) {
			m, err := newMixer(cfg, true, false)
			if err != nil {
				return nil, err
			}
			return func() (plugins.Batch, error) { return m.monoBatch(), nil }, nil
		},
	}
}

// CrossLingual returns the X-Y sampler.
func CrossLingual() sdk.SamplerDef {
	return sdk.SamplerDef{
		Info: plugins.Info{
			Name:        "cross-lingual",
			Version:     Version,
			Description: "every pair with query and passage in two different languages (X-Y)",
		},
		New: func(cfg plugins.SamplerConfig) (sdk.BatchFunc, error) {
			m, err := newMixer(cfg, false, true)
			if err != nil {
				return nil, err
			}
			return func() (plugins.Batch, error) { return m.crossBatch(), nil }, nil
		},
	}
}

// Hybrid returns the hybrid sampler.
func Hybrid() sdk.SamplerDef {
	return sdk.SamplerDef{
		Info: plugins.Info{
			Name:        "hybrid",
			Version:     Version,
			Description: "each batch monolingual with probability alpha, cross-lingual otherwise",
			Params: []plugins.ParamSpec{{
				Name: "alpha", Type: plugins.ParamNumber, Default: 0.5,
				Min: plugins.Bound(0), Max: plugins.Bound(1),
				Description: "probability that a batch is monolingual",
			}},
		},
		New: func(cfg plugins.SamplerConfig) (sdk.BatchFunc, error) {
			alpha := cfg.Params.Float("alpha")
			m, err := newMixer(cfg, alpha > 0, alpha < 1)
			if err != nil {
				return nil, err
			}
			return func() (plugins.Batch, error) {
				// One draw decides the batch kind, even at alpha 0 or 1, so
				// the stream of draws does not depend on alpha's value.
				if m.rng.Float64() < alpha {
					return m.monoBatch(), nil
				}
				return m.crossBatch(), nil
			}, nil
		},
	}
}

// mixer draws monolingual and cross-lingual batches from one random stream.
type mixer struct {
	rng       *rand.Rand
	groups    []plugins.Group
	size      int
	monoLangs []string
	mono      map[string]*sdk.Cycle
	cross     *sdk.Cycle
}

func newMixer(cfg plugins.SamplerConfig, needMono, needCross bool) (*mixer, error) {
	ix := sdk.NewCorpusIndex(cfg.Corpus)
	m := &mixer{rng: sdk.Rand(cfg.Seed), groups: ix.Groups, size: cfg.BatchSize, mono: map[string]*sdk.Cycle{}}
	for _, l := range ix.MonoLangs {
		// A language with fewer groups than a batch would repeat a group
		// inside a batch; it cannot make a monolingual batch.
		if len(ix.Mono[l]) >= cfg.BatchSize {
			m.monoLangs = append(m.monoLangs, l)
			m.mono[l] = sdk.NewCycle(ix.Mono[l], m.rng)
		}
	}
	if needMono && len(m.monoLangs) == 0 {
		return nil, fmt.Errorf("no language offers query and passage for %d groups (the batch size): no monolingual batch can be made", cfg.BatchSize)
	}
	if needCross {
		if len(ix.Cross) < cfg.BatchSize {
			return nil, fmt.Errorf("only %d groups offer a cross-lingual pair, fewer than the batch size %d", len(ix.Cross), cfg.BatchSize)
		}
		m.cross = sdk.NewCycle(ix.Cross, m.rng)
	}
	return m, nil
}

func (m *mixer) monoBatch() plugins.Batch {
	lang := m.monoLangs[m.rng.IntN(len(m.monoLangs))]
	b := make(plugins.Batch, m.size)
	for i, g := range m.mono[lang].Take(m.size) {
		b[i] = plugins.Pair{Group: m.groups[g].ID, QueryLang: lang, PassageLang: lang}
	}
	return b
}

func (m *mixer) crossBatch() plugins.Batch {
	b := make(plugins.Batch, m.size)
	for i, g := range m.cross.Take(m.size) {
		pairs := sdk.CrossPairs(m.groups[g])
		p := pairs[m.rng.IntN(len(pairs))]
		b[i] = plugins.Pair{Group: m.groups[g].ID, QueryLang: p[0], PassageLang: p[1]}
	}
	return b
}
