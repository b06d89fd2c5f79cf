package main

import (
	"context"
	"math"
	"testing"

	"github.com/xlbench/xlbench/plugins"
	"github.com/xlbench/xlbench/plugins/sdk"
)

// corpus: 900 English groups, 100 German ones.
func corpus() plugins.CorpusSummary {
	var c plugins.CorpusSummary
	for i := 0; i < 1000; i++ {
		lang := "en"
		if i >= 900 {
			lang = "de"
		}
		c.Groups = append(c.Groups, plugins.Group{ID: uint32(i), QueryLangs: []string{lang}, PassageLangs: []string{lang}})
	}
	return c
}

func shareOfGerman(t *testing.T, temperature float64) float64 {
	t.Helper()
	s := sdk.NewSampler(Def)
	ctx := context.Background()
	err := s.Start(ctx, plugins.SamplerConfig{Corpus: corpus(), BatchSize: 8, Seed: 1,
		Params: plugins.Params{"temperature": temperature}})
	if err != nil {
		t.Fatal(err)
	}
	batches, err := s.Next(ctx, plugins.NextRequest{Count: 20000})
	if err != nil {
		t.Fatal(err)
	}
	de := 0
	for _, b := range batches {
		if !b.Monolingual() {
			t.Fatal("mixed batch")
		}
		if b[0].QueryLang == "de" {
			de++
		}
	}
	return float64(de) / float64(len(batches))
}

func TestTemperatureFlattens(t *testing.T) {
	// p(de) = 100^(1/T) / (100^(1/T) + 900^(1/T)).
	for _, temp := range []float64{1, 2, 100} {
		want := math.Pow(100, 1/temp) / (math.Pow(100, 1/temp) + math.Pow(900, 1/temp))
		got := shareOfGerman(t, temp)
		sd := math.Sqrt(want * (1 - want) / 20000)
		if math.Abs(got-want) > 4*sd {
			t.Errorf("T=%v: German share %.4f, want %.4f ± %.4f", temp, got, want, 4*sd)
		}
	}
}
