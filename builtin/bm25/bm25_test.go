package bm25

import (
	"context"
	"math"
	"testing"

	"github.com/xlbench/xlbench/plugins"
)

// score is the dot product of a query vector and a passage vector.
func score(q, d *plugins.SparseVectors, qi, di int) float64 {
	w := map[uint64]float64{}
	for k := d.Offsets[di]; k < d.Offsets[di+1]; k++ {
		w[d.Terms[k]] = float64(d.Weights[k])
	}
	s := 0.0
	for k := q.Offsets[qi]; k < q.Offsets[qi+1]; k++ {
		s += float64(q.Weights[k]) * w[q.Terms[k]]
	}
	return s
}

// TestScoresByHand checks BM25 scores against values worked out by hand.
//
// Collection (k1=1.2, b=0.75): d0 = "a b a" (3 terms), d1 = "b c" (2), d2 = "c" (1);
// N = 3, avgdl = 2.
// Query "a a b":
//
//	idf(a) = ln(1 + (3−1+0.5)/(1+0.5)) = ln(8/3)
//	idf(b) = ln(1 + (3−2+0.5)/(2+0.5)) = ln(1.6)
//	d0: norm = 1 − .75 + .75·3/2 = 1.375
//	    w(a) = ln(8/3)·2·2.2/(2 + 1.2·1.375) = ln(8/3)·4.4/3.65
//	    w(b) = ln(1.6)·2.2/(1 + 1.65)       = ln(1.6)·2.2/2.65
//	    score = 2·w(a) + w(b)
//	d1: norm = 1, w(b) = ln(1.6)·2.2/2.2 = ln(1.6); score = ln(1.6)
//	d2: no shared term; score = 0
func TestScoresByHand(t *testing.T) {
	ctx := context.Background()
	e := New()
	info, err := e.Configure(ctx, plugins.EncoderConfig{Params: plugins.Params{"k1": 1.2, "b": 0.75}})
	if err != nil {
		t.Fatal(err)
	}
	if !info.Sparse || !info.CollectionStats || Info.Trainable {
		t.Fatalf("info = %+v", info)
	}
	docs := []string{"a b a", "b c", "c"}
	if err := e.Prepare(ctx, plugins.PrepareRequest{Lang: "en", Texts: docs}); err != nil {
		t.Fatal(err)
	}
	d, err := e.Encode(ctx, plugins.EncodeRequest{Role: plugins.RolePassage, Lang: "en", Texts: docs})
	if err != nil {
		t.Fatal(err)
	}
	q, err := e.Encode(ctx, plugins.EncodeRequest{Role: plugins.RoleQuery, Lang: "en", Texts: []string{"a a b"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{
		2*math.Log(8.0/3)*4.4/3.65 + math.Log(1.6)*2.2/2.65,
		math.Log(1.6),
		0,
	}
	for i, w := range want {
		if got := score(q.Sparse, d.Sparse, 0, i); math.Abs(got-w) > 1e-5 {
			t.Errorf("score(q, d%d) = %.6f, want %.6f", i, got, w)
		}
	}
}

func TestPassagesNeedPrepare(t *testing.T) {
	ctx := context.Background()
	e := New()
	if _, err := e.Configure(ctx, plugins.EncoderConfig{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Encode(ctx, plugins.EncodeRequest{Role: plugins.RolePassage, Lang: "en", Texts: []string{"x"}}); err == nil {
		t.Fatal("Encode of passages before Prepare succeeded")
	}
}

func TestBadParams(t *testing.T) {
	_, err := New().Configure(context.Background(), plugins.EncoderConfig{Params: plugins.Params{"k": 1.0, "b": 2.0}})
	if err == nil {
		t.Fatal("Configure accepted an unknown parameter and b = 2")
	}
	t.Log(err)
}
