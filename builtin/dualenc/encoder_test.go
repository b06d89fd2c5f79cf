package dualenc

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xlbench/xlbench/builtin/bm25"
	"github.com/xlbench/xlbench/plugins"
)

var ctx = context.Background()

// toyCorpus: each group's question and passage share a distinctive word, in
// English and German.
func toyCorpus(n int) []plugins.CorpusGroup {
	var gs []plugins.CorpusGroup
	for i := 0; i < n; i++ {
		gs = append(gs, plugins.CorpusGroup{ID: uint32(i), Texts: []plugins.Text{
			{Lang: "en", Role: plugins.RoleQuery, Text: fmt.Sprintf("what is thing%d", i)},
			{Lang: "en", Role: plugins.RolePassage, Text: fmt.Sprintf("thing%d is a thing number %d", i, i)},
			{Lang: "de", Role: plugins.RoleQuery, Text: fmt.Sprintf("was ist ding%d", i)},
			{Lang: "de", Role: plugins.RolePassage, Text: fmt.Sprintf("ding%d ist ein ding nummer %d", i, i)},
		}})
	}
	return gs
}

func newEncoder(t testing.TB, seed uint64, params plugins.Params) *Encoder {
	t.Helper()
	e := New()
	if _, err := e.Configure(ctx, plugins.EncoderConfig{Seed: seed, Params: params}); err != nil {
		t.Fatal(err)
	}
	return e
}

func batch(start, n int, ql, pl string) plugins.Batch {
	b := make(plugins.Batch, n)
	for i := range b {
		b[i] = plugins.Pair{Group: uint32(start + i), QueryLang: ql, PassageLang: pl}
	}
	return b
}

func small() plugins.Params {
	return plugins.Params{"dim": 6.0, "buckets": 257.0, "ngrams": []float64{2}, "init_scale": 1.0}
}

// TestBagBackwardFiniteDifferences checks the hand-written scatter of the
// bag-vector gradient to embedding rows against central differences of the
// whole loss.
func TestBagBackwardFiniteDifferences(t *testing.T) {
	e := newEncoder(t, 1, small())
	if err := e.LoadCorpus(ctx, plugins.LoadCorpusRequest{Groups: toyCorpus(4)}); err != nil {
		t.Fatal(err)
	}
	b := batch(0, 4, "en", "de")
	var qs, ps []*bag
	for _, p := range b {
		qs = append(qs, e.corpus[p.Group][p.QueryLang].query)
		ps = append(ps, e.corpus[p.Group][p.PassageLang].passage)
	}
	if _, err := e.TrainStep(ctx, plugins.TrainStepRequest{Batch: b}); err != nil { // builds the graph
		t.Fatal(err)
	}
	g := e.graphs[4]
	loss := func() float64 {
		r, err := g.step(e.bagForward(qs), e.bagForward(ps), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		return float64(r.loss)
	}
	r, err := g.step(e.bagForward(qs), e.bagForward(ps), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	parts := e.bagBackward(append(qs, ps...), append(append([]float32{}, r.ghq...), r.ghp...))
	rows := map[uint32][]float32{}
	for _, rg := range parts {
		for s, id := range rg.ids {
			rows[id] = rg.slab[s*e.dim : (s+1)*e.dim]
		}
	}
	checked := 0
	for id, grad := range rows {
		for j := 0; j < e.dim; j += 2 {
			const h = 1e-2
			orig := e.emb[int(id)*e.dim+j]
			e.emb[int(id)*e.dim+j] = orig + h
			up := loss()
			e.emb[int(id)*e.dim+j] = orig - h
			down := loss()
			e.emb[int(id)*e.dim+j] = orig
			num := (up - down) / (2 * h)
			if math.Abs(num-float64(grad[j])) > 2e-3+2e-2*math.Abs(num) {
				t.Errorf("row %d col %d: analytic %.5f, numeric %.5f", id, j, grad[j], num)
			}
			checked++
		}
	}
	if checked < 20 {
		t.Fatalf("only %d entries checked", checked)
	}
}

// TestEncodeAgreesWithTrainingGraph: the loss recomputed from Encode's
// vectors equals the loss the gorgonia graph reports, so the model that is
// evaluated is the model that was trained.
func TestEncodeAgreesWithTrainingGraph(t *testing.T) {
	e := newEncoder(t, 3, plugins.Params{"dim": 8.0, "buckets": 1024.0, "temperature": 0.1})
	corpus := toyCorpus(5)
	e.LoadCorpus(ctx, plugins.LoadCorpusRequest{Groups: corpus})
	b := batch(0, 5, "de", "en")
	var qt, pt []string
	for _, p := range b {
		qt = append(qt, corpus[p.Group].Texts[2].Text)
		pt = append(pt, corpus[p.Group].Texts[1].Text)
	}
	qv, _ := e.Encode(ctx, plugins.EncodeRequest{Role: plugins.RoleQuery, Lang: "de", Texts: qt})
	pv, _ := e.Encode(ctx, plugins.EncodeRequest{Role: plugins.RolePassage, Lang: "en", Texts: pt})
	want := 0.0
	n, d := 5, 8
	for i := 0; i < n; i++ {
		row, col := 0.0, 0.0
		for j := 0; j < n; j++ {
			dot := func(a, b int) float64 {
				s := 0.0
				for k := 0; k < d; k++ {
					s += float64(qv.Dense[a*d+k]) * float64(pv.Dense[b*d+k])
				}
				return s / 0.1
			}
			row += math.Exp(dot(i, j))
			col += math.Exp(dot(j, i))
		}
		sii := 0.0
		for k := 0; k < d; k++ {
			sii += float64(qv.Dense[i*d+k]) * float64(pv.Dense[i*d+k])
		}
		want += (math.Log(row) + math.Log(col) - 2*sii/0.1) / 2
	}
	want /= float64(n)
	r, err := e.TrainStep(ctx, plugins.TrainStepRequest{Batch: b})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Loss; math.Abs(got-want) > 1e-4 {
		t.Fatalf("graph loss %.6f, loss from Encode %.6f", got, want)
	}
}

func train(t testing.TB, e *Encoder, steps int) []float64 {
	t.Helper()
	var losses []float64
	for s := 0; s < steps; s++ {
		b := batch((s*8)%32, 8, []string{"en", "de"}[s%2], []string{"de", "en"}[(s/2)%2])
		r, err := e.TrainStep(ctx, plugins.TrainStepRequest{Batch: b})
		if err != nil {
			t.Fatal(err)
		}
		losses = append(losses, r.Loss)
	}
	return losses
}

func TestDeterministicAndLearns(t *testing.T) {
	params := plugins.Params{"dim": 16.0, "buckets": 4096.0, "lr": 0.01}
	a, b := newEncoder(t, 7, params), newEncoder(t, 7, params)
	a.LoadCorpus(ctx, plugins.LoadCorpusRequest{Groups: toyCorpus(40)})
	b.LoadCorpus(ctx, plugins.LoadCorpusRequest{Groups: toyCorpus(40)})
	la, lb := train(t, a, 200), train(t, b, 200)
	if diff := cmp.Diff(la, lb); diff != "" {
		t.Fatalf("same seed, different losses:\n%.500s", diff)
	}
	first, last := mean(la[:8]), mean(la[len(la)-8:])
	if last > first/3 {
		t.Errorf("loss fell from %.3f to %.3f only", first, last)
	}
	c := newEncoder(t, 8, params)
	c.LoadCorpus(ctx, plugins.LoadCorpusRequest{Groups: toyCorpus(40)})
	if cmp.Equal(la, train(t, c, 200)) {
		t.Error("seeds 7 and 8 trained identically")
	}
}

func mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

func TestCheckpointRoundTrip(t *testing.T) {
	params := plugins.Params{"dim": 8.0, "buckets": 512.0}
	e := newEncoder(t, 1, params)
	e.LoadCorpus(ctx, plugins.LoadCorpusRequest{Groups: toyCorpus(40)})
	train(t, e, 10)
	path := filepath.Join(t.TempDir(), "model.ckpt")
	if err := e.Save(ctx, plugins.SaveRequest{Path: path}); err != nil {
		t.Fatal(err)
	}
	params["checkpoint"] = path
	f := newEncoder(t, 99, params)
	texts := []string{"was ist ding3", "thing5 is a thing"}
	want, _ := e.Encode(ctx, plugins.EncodeRequest{Role: plugins.RoleQuery, Lang: "de", Texts: texts})
	got, _ := f.Encode(ctx, plugins.EncodeRequest{Role: plugins.RoleQuery, Lang: "de", Texts: texts})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("loaded model encodes differently:\n%s", diff)
	}
	params["dim"] = 16.0
	if _, err := New().Configure(ctx, plugins.EncoderConfig{Params: params}); err == nil {
		t.Fatal("a checkpoint of another shape was loaded")
	}
}

func TestUnitVectors(t *testing.T) {
	e := newEncoder(t, 1, plugins.Params{"dim": 32.0, "buckets": 1024.0})
	v, err := e.Encode(ctx, plugins.EncodeRequest{Role: plugins.RolePassage, Lang: "zh", Texts: []string{"北京是首都", "", "x"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < v.Count; i++ {
		n := 0.0
		for _, f := range v.Dense[i*32 : (i+1)*32] {
			n += float64(f * f)
		}
		if math.Abs(n-1) > 1e-4 {
			t.Errorf("vector %d has squared norm %v", i, n)
		}
	}
}

// TestIDFWeights: N = 3 texts, feature a in all of them, b in none:
// idf(a) = ln(4/4) + 1 = 1, idf(b) = ln(4/1) + 1; weights normalised.
func TestIDFWeights(t *testing.T) {
	e := newEncoder(t, 1, plugins.Params{"dim": 4.0, "buckets": 16.0, "idf": true})
	e.ndocs = 3
	e.df[2], e.df[5] = 3, 0
	b := bag{ids: []uint32{2, 5}, counts: []float32{1, 1}}
	e.weigh(&b)
	idfB := math.Log(4) + 1
	want := []float64{1 / (1 + idfB), idfB / (1 + idfB)}
	for i := range want {
		if math.Abs(float64(b.weights[i])-want[i]) > 1e-6 {
			t.Errorf("weight %d = %v, want %v", i, b.weights[i], want[i])
		}
	}
	e.idf = false
	e.weigh(&b)
	if b.weights[0] != 0.5 || b.weights[1] != 0.5 {
		t.Errorf("without idf: %v, want a plain mean", b.weights)
	}
}

// TestLexicalHalf checks the hybrid encoder: it says so in its info, its
// sparse part is the BM25 encoder's (the query's scaled by λ), the training
// logits carry the batch's BM25 scores, and λ moves only when it is learned.
func TestLexicalHalf(t *testing.T) {
	params := small()
	params["lexical_weight"] = 0.5
	e := New()
	info, err := e.Configure(ctx, plugins.EncoderConfig{Seed: 1, Params: params})
	if err != nil {
		t.Fatal(err)
	}
	if info.Dim != 6 || !info.Sparse || !info.CollectionStats {
		t.Fatalf("info %+v, want a hybrid with collection statistics", info)
	}
	corpus := toyCorpus(40)
	e.LoadCorpus(ctx, plugins.LoadCorpusRequest{Groups: corpus})
	train(t, e, 5)
	if got := e.lexicalWeight(); got != 0.5 {
		t.Errorf("fixed λ moved to %v", got)
	}

	// The batch's lexical scores are BM25 under the training passages'
	// statistics: the reference encoder prepared on the same passages.
	ref := bm25.New()
	ref.Configure(ctx, plugins.EncoderConfig{})
	var passages []string
	for _, g := range corpus {
		for _, tx := range g.Texts {
			if tx.Role == plugins.RolePassage {
				passages = append(passages, tx.Text)
			}
		}
	}
	ref.Prepare(ctx, plugins.PrepareRequest{Lang: "", Texts: passages})
	qv, _ := ref.Encode(ctx, plugins.EncodeRequest{Role: plugins.RoleQuery, Lang: "en", Texts: []string{corpus[3].Texts[0].Text}})
	pv, _ := ref.Encode(ctx, plugins.EncodeRequest{Role: plugins.RolePassage, Lang: "en", Texts: []string{corpus[3].Texts[1].Text, corpus[4].Texts[1].Text}})
	lex := lexicalScores([]*bag{e.corpus[3]["en"].query}, []*bag{e.corpus[3]["en"].passage, e.corpus[4]["en"].passage})
	for j := range 2 {
		want := sparseDot(qv.Sparse, 0, pv.Sparse, j)
		if math.Abs(float64(lex[j])-want) > 1e-5 || (j == 0 && want <= 0) {
			t.Errorf("lexical score of passage %d = %v, want BM25 %v", j, lex[j], want)
		}
	}

	// Evaluation: sparse parts under the collection given to Prepare.
	cands := []string{"ding3 ist ein ding", "thing3 is a thing"}
	if err := e.Prepare(ctx, plugins.PrepareRequest{Lang: "", Texts: cands}); err != nil {
		t.Fatal(err)
	}
	ref.Prepare(ctx, plugins.PrepareRequest{Lang: "", Texts: cands})
	got, err := e.Encode(ctx, plugins.EncodeRequest{Role: plugins.RolePassage, Lang: "de", Texts: cands})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := ref.Encode(ctx, plugins.EncodeRequest{Role: plugins.RolePassage, Lang: "de", Texts: cands})
	if diff := cmp.Diff(want.Sparse, got.Sparse); diff != "" || got.Dim != 6 || len(got.Dense) != 12 {
		t.Errorf("passage vectors: dim %d, %d floats, sparse (-bm25 +got):\n%s", got.Dim, len(got.Dense), diff)
	}
	got, _ = e.Encode(ctx, plugins.EncodeRequest{Role: plugins.RoleQuery, Lang: "de", Texts: []string{"was ist ding3 ding3"}})
	want, _ = ref.Encode(ctx, plugins.EncodeRequest{Role: plugins.RoleQuery, Lang: "de", Texts: []string{"was ist ding3 ding3"}})
	for i := range want.Sparse.Weights {
		want.Sparse.Weights[i] *= 0.5
	}
	if diff := cmp.Diff(want.Sparse, got.Sparse); diff != "" {
		t.Errorf("query sparse part is not λ × BM25's (-want +got):\n%s", diff)
	}

	params["learn_lexical_weight"] = true
	l := newEncoder(t, 1, params)
	l.LoadCorpus(ctx, plugins.LoadCorpusRequest{Groups: corpus})
	train(t, l, 5)
	if l.lexicalWeight() == 0.5 {
		t.Error("learned λ did not move")
	}
}

func sparseDot(a *plugins.SparseVectors, i int, b *plugins.SparseVectors, j int) float64 {
	w := map[uint64]float32{}
	for k := a.Offsets[i]; k < a.Offsets[i+1]; k++ {
		w[a.Terms[k]] = a.Weights[k]
	}
	s := 0.0
	for k := b.Offsets[j]; k < b.Offsets[j+1]; k++ {
		s += float64(w[b.Terms[k]] * b.Weights[k])
	}
	return s
}

// TestLexicalCheckpoint: λ survives a checkpoint, and a checkpoint with a
// lexical half does not load into a dense-only encoder.
func TestLexicalCheckpoint(t *testing.T) {
	params := plugins.Params{"dim": 8.0, "buckets": 512.0, "lexical_weight": 0.25, "learn_lexical_weight": true}
	e := newEncoder(t, 1, params)
	e.LoadCorpus(ctx, plugins.LoadCorpusRequest{Groups: toyCorpus(40)})
	train(t, e, 10)
	path := filepath.Join(t.TempDir(), "model.ckpt")
	if err := e.Save(ctx, plugins.SaveRequest{Path: path}); err != nil {
		t.Fatal(err)
	}
	params["checkpoint"] = path
	f := newEncoder(t, 2, params)
	if got, want := f.lexicalWeight(), e.lexicalWeight(); math.Abs(float64(got-want)) > 1e-6*float64(want) {
		t.Errorf("loaded λ %v, saved %v", got, want)
	}
	params["lexical_weight"] = 0.0
	if _, err := New().Configure(ctx, plugins.EncoderConfig{Params: params}); err == nil {
		t.Fatal("a checkpoint with a lexical half loaded into a dense-only encoder")
	}
}

// TestPairLosses checks each pair's share of the loss against the formula
// worked by hand from the encoder's own vectors, and that their mean is the
// batch loss.
func TestPairLosses(t *testing.T) {
	e := newEncoder(t, 1, small())
	if err := e.LoadCorpus(ctx, plugins.LoadCorpusRequest{Groups: toyCorpus(8)}); err != nil {
		t.Fatal(err)
	}
	for range 30 { // learn the toy corpus a little
		if _, err := e.TrainStep(ctx, plugins.TrainStepRequest{Batch: batch(0, 8, "en", "en")}); err != nil {
			t.Fatal(err)
		}
	}
	b := batch(0, 8, "en", "en")
	// By hand, from the vectors the encoder gives these texts before the
	// step: pair i's loss is ½(lse_j S_ij − S_ii + lse_j S_ji − S_ii) with
	// S = cos/τ.
	var qt, pt []string
	for _, g := range toyCorpus(8) {
		qt, pt = append(qt, g.Texts[0].Text), append(pt, g.Texts[1].Text)
	}
	qv, err := e.Encode(ctx, plugins.EncodeRequest{Role: plugins.RoleQuery, Lang: "en", Texts: qt})
	if err != nil {
		t.Fatal(err)
	}
	pv, err := e.Encode(ctx, plugins.EncodeRequest{Role: plugins.RolePassage, Lang: "en", Texts: pt})
	if err != nil {
		t.Fatal(err)
	}
	n, d := len(b), qv.Dim
	S := make([]float64, n*n)
	for i := range n {
		for j := range n {
			for k := range d {
				S[i*n+j] += float64(qv.Dense[i*d+k]) * float64(pv.Dense[j*d+k]) / 0.05
			}
		}
	}
	lse := func(x func(j int) float64) float64 {
		m := math.Inf(-1)
		for j := range n {
			m = math.Max(m, x(j))
		}
		s := 0.0
		for j := range n {
			s += math.Exp(x(j) - m)
		}
		return m + math.Log(s)
	}
	r, err := e.TrainStep(ctx, plugins.TrainStepRequest{Batch: b})
	if err != nil {
		t.Fatal(err)
	}
	loss, pairs := r.Loss, r.PairLoss
	if len(pairs) != n {
		t.Fatalf("%d pair losses for %d pairs", len(pairs), n)
	}
	mean := 0.0
	for i, p := range pairs {
		want := (lse(func(j int) float64 { return S[i*n+j] }) + lse(func(j int) float64 { return S[j*n+i] }) - 2*S[i*n+i]) / 2
		if math.Abs(p-want) > 1e-3*math.Max(1, want) {
			t.Errorf("pair %d: loss %v, by hand %v", i, p, want)
		}
		mean += p / float64(n)
	}
	if math.Abs(mean-loss) > 1e-5*math.Max(1, loss) {
		t.Errorf("mean pair loss %v, batch loss %v", mean, loss)
	}
}

// TestFeatureRows: a checkpoint's feature rows are its embedding rows
// times its projection, whatever the projection holds.
func TestFeatureRows(t *testing.T) {
	e := newEncoder(t, 3, small())
	for i := range e.w {
		e.w[i] = float32(i%7) - 3 // not the identity it starts as
	}
	path := filepath.Join(t.TempDir(), "model.ckpt")
	if err := e.Save(ctx, plugins.SaveRequest{Path: path}); err != nil {
		t.Fatal(err)
	}
	rows, buckets, dim, err := FeatureRows(path)
	if err != nil {
		t.Fatal(err)
	}
	if buckets != 257 || dim != 6 || len(rows) != 257*6 {
		t.Fatalf("buckets %d, dim %d, %d floats", buckets, dim, len(rows))
	}
	for b := 0; b < buckets; b++ {
		for j := 0; j < dim; j++ {
			want := 0.0
			for k := 0; k < dim; k++ {
				want += float64(e.emb[b*dim+k]) * float64(e.w[k*dim+j])
			}
			if math.Abs(float64(rows[b*dim+j])-want) > 1e-4*(1+math.Abs(want)) {
				t.Fatalf("row %d column %d: %v, want %v", b, j, rows[b*dim+j], want)
			}
		}
	}
	if _, _, _, err := FeatureRows(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("a missing checkpoint gave rows")
	}
}
