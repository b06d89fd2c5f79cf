package main

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/xlbench/xlbench/plugins"
	"github.com/xlbench/xlbench/plugins/sdk"
)

var ctx = context.Background()

func cosine(v plugins.Vectors, i, j int) float64 {
	s := 0.0
	for k := range v.Dim {
		s += float64(v.Dense[i*v.Dim+k]) * float64(v.Dense[j*v.Dim+k])
	}
	return s
}

// TestSharedTrigramsScore: unit vectors; a text is closer to one sharing
// most of its trigrams than to an unrelated one; the default dimension is
// applied; training is refused by the SDK.
func TestSharedTrigramsScore(t *testing.T) {
	e := sdk.NewEncoder(Def)
	info, err := e.Configure(ctx, plugins.EncoderConfig{})
	if err != nil || info.Dim != 256 {
		t.Fatalf("Configure = %+v, %v; want the default dimension 256", info, err)
	}
	v, err := e.Encode(ctx, plugins.EncodeRequest{Role: plugins.RoleQuery, Lang: "en",
		Texts: []string{"the bridge over the river", "The bridge over the rivers", "quantum chromodynamics", ""}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if n := cosine(v, i, i); math.Abs(n-1) > 1e-5 {
			t.Errorf("text %d: norm² %v, want 1", i, n)
		}
	}
	if near, far := cosine(v, 0, 1), cosine(v, 0, 2); !(near > 0.8 && far < 0.3) {
		t.Errorf("cosine to a near copy %.3f, to an unrelated text %.3f", near, far)
	}
	if _, err := e.TrainStep(ctx, plugins.TrainStepRequest{}); err == nil || !strings.Contains(err.Error(), "does not train") {
		t.Errorf("TrainStep on an untrained encoder: %v", err)
	}
	if _, err := e.Configure(ctx, plugins.EncoderConfig{Params: plugins.Params{"dim": 4.0}}); err == nil {
		t.Error("dim 4, below the minimum 8, was accepted")
	}
}
