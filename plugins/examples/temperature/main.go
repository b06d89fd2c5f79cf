// Command temperature is an example third-party sampler plugin for xlbench,
// written only against the public packages plugins and plugins/sdk.
//
// It draws monolingual batches and picks each batch's language with
// temperature-scaled probability, as multilingual pre-training does:
//
//	p(L) ∝ n_L^(1/T)
//
// where n_L is the number of groups offering L on both sides. T = 1 samples
// languages in proportion to their data; larger T flattens the distribution
// toward uniform, giving low-resource languages more batches.
//
// Build it and name the binary in a spec:
//
//	go build -o bin/temperature ./plugins/examples/temperature
//	sampler "temp" { plugin = "bin/temperature", params = { temperature = 2 } }
package main

import (
	"fmt"
	"math"

	"github.com/xlbench/xlbench/plugins"
	"github.com/xlbench/xlbench/plugins/sdk"
)

// Def defines the plugin; main serves it and the test drives it in process.
var Def = sdk.SamplerDef{
	Info: plugins.Info{
		Name:        "temperature",
		Version:     "0.1.0",
		Description: "monolingual batches, language drawn with probability ∝ (groups in it)^(1/temperature)",
		Params: []plugins.ParamSpec{{
			Name: "temperature", Type: plugins.ParamNumber, Default: 1.0, Min: plugins.Bound(0.01),
			Description: "1 = proportional to data; larger = flatter",
		}},
	},
	New: newSampler,
}

func newSampler(cfg plugins.SamplerConfig) (sdk.BatchFunc, error) {
	ix := sdk.NewCorpusIndex(cfg.Corpus)
	rng := sdk.Rand(cfg.Seed)
	t := cfg.Params.Float("temperature")

	var langs []string
	var cum []float64 // cumulative weights
	cycles := map[string]*sdk.Cycle{}
	total := 0.0
	for _, l := range ix.MonoLangs {
		n := len(ix.Mono[l])
		if n < cfg.BatchSize {
			continue // too few groups for a batch without repeats
		}
		total += math.Pow(float64(n), 1/t)
		langs = append(langs, l)
		cum = append(cum, total)
		cycles[l] = sdk.NewCycle(ix.Mono[l], rng)
	}
	if len(langs) == 0 {
		return nil, fmt.Errorf("no language has %d groups with both sides in it", cfg.BatchSize)
	}
	return func() (plugins.Batch, error) {
		u := rng.Float64() * total
		i := 0
		for i < len(cum)-1 && u >= cum[i] {
			i++
		}
		lang := langs[i]
		b := make(plugins.Batch, cfg.BatchSize)
		for j, g := range cycles[lang].Take(cfg.BatchSize) {
			b[j] = plugins.Pair{Group: ix.Groups[g].ID, QueryLang: lang, PassageLang: lang}
		}
		return b, nil
	}, nil
}

func main() { sdk.ServeSampler(Def) }
