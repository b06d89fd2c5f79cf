// Package dualenc is the built-in trainable encoder, builtin:gorgonia: a
// dual encoder with shared weights over hashed word and character n-gram
// features.
//
// A text's vector is the weighted mean of its features' rows in an
// embedding table (the bag), projected by a square matrix W and normalised
// to unit length; query and passage go through the same weights, told apart
// by a role feature. Training minimises the symmetric InfoNCE loss over the
// batch the sampler chose, with every other passage of the batch as a
// negative.
//
// The work is split by what each part is good at. The embedding table is
// large and each step touches a few thousand of its rows, so it stays in
// plain Go and is updated sparsely with lazy AdamW (moments of untouched rows
// are not decayed, as in PyTorch's SparseAdam). The dense part — projection,
// normalisation, similarities and loss — is a gorgonia graph, differentiated
// by gorgonia; its gradient with respect to the bag vectors is scattered back
// to the rows by hand (bagBackward), and a finite-difference test checks
// that scatter.
//
// With hidden > 0 a residual feed-forward block, y = h + relu(h·W1)·W2,
// stands between the bag vector and the projection: the larger model,
// part of the gorgonia graph on the CPU. With device = "cuda" (a build
// with the gpu tag) the whole model and step live on a GPU instead (see
// gpuModel and package internal/gpu).
//
// With lexical_weight > 0 the encoder is hybrid: beside the dense vector
// each text gets its BM25 sparse vector (package bm25), and a score is
// cosine + λ·BM25. The weight λ = e^θ is learned with the rest: the batch's
// BM25 scores enter the InfoNCE logits, so the dense half is trained to add
// what exact term matching misses (paraphrase, and above all other
// languages) rather than to relearn it in a few hundred dimensions.
package dualenc

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"gorgonia.org/tensor"

	"github.com/xlbench/xlbench/builtin/bm25"
	"github.com/xlbench/xlbench/builtin/internal/adam"
	"github.com/xlbench/xlbench/builtin/internal/gpu"
	"github.com/xlbench/xlbench/builtin/internal/hugemem"
	"github.com/xlbench/xlbench/builtin/internal/rows"
	"github.com/xlbench/xlbench/builtin/tokenize"
	"github.com/xlbench/xlbench/plugins"
	"github.com/xlbench/xlbench/plugins/sdk/parallel"
)

// Version is the version of the encoder; it changes when trained models
// would.
const Version = "1.1.0"

// Info describes the encoder and its parameters.
var Info = plugins.Info{
	Name:        "gorgonia",
	Version:     Version,
	Description: "dual encoder over hashed word and character n-grams: sparse embedding bag (lazy AdamW) + gorgonia projection and symmetric InfoNCE",
	Trainable:   true,
	Params: []plugins.ParamSpec{
		{Name: "dim", Type: plugins.ParamInteger, Default: 128.0, Min: plugins.Bound(2), Max: plugins.Bound(4096), Description: "vector dimension"},
		{Name: "buckets", Type: plugins.ParamInteger, Default: 262144.0, Min: plugins.Bound(16), Max: plugins.Bound(1 << 24), Description: "rows of the hashed feature table"},
		{Name: "ngrams", Type: plugins.ParamNumberList, Default: []float64{3, 4}, Description: "character n-gram sizes within words (empty: words only)"},
		{Name: "lr", Type: plugins.ParamNumber, Default: 0.003, Min: plugins.Bound(0), Max: plugins.Bound(10), Description: "AdamW learning rate"},
		{Name: "weight_decay", Type: plugins.ParamNumber, Default: 0.01, Min: plugins.Bound(0), Max: plugins.Bound(10), Description: "decoupled weight decay"},
		{Name: "temperature", Type: plugins.ParamNumber, Default: 0.05, Min: plugins.Bound(0.02), Max: plugins.Bound(10), Description: "softmax temperature of the InfoNCE loss"},
		{Name: "init_scale", Type: plugins.ParamNumber, Default: 0.1, Min: plugins.Bound(0), Max: plugins.Bound(10), Description: "standard deviation of the initial embedding rows"},
		{Name: "lexical_weight", Type: plugins.ParamNumber, Default: 0.0, Min: plugins.Bound(0), Max: plugins.Bound(1000), Description: "weight λ of a BM25 lexical half (score = cosine + λ·BM25); 0: dense only"},
		{Name: "learn_lexical_weight", Type: plugins.ParamBool, Default: false, Description: "learn λ with the model (from lexical_weight); else it stays fixed"},
		{Name: "idf", Type: plugins.ParamBool, Default: false, Description: "weight features by inverse document frequency over the training texts (else a plain mean)"},
		{Name: "checkpoint", Type: plugins.ParamString, Default: "", Description: "load this checkpoint instead of initialising"},
		{Name: "hidden", Type: plugins.ParamInteger, Default: 0.0, Min: plugins.Bound(0), Max: plugins.Bound(16384), Description: "width of a residual feed-forward block between bag and projection, y = h + relu(h·W1)·W2 (0: none): the larger model, worth a GPU"},
		{Name: "device", Type: plugins.ParamString, Default: "cpu", OneOf: []string{"cpu", "cuda"}, Description: "where to train and encode: cpu, or cuda (the GPU path: xlbench built with -tags gpu, dense only)"},
	},
}

// Encoder is the built-in trainable encoder.
type Encoder struct {
	mu sync.Mutex
	// configuration
	dim         int
	lr, wd, tau float64
	feat        *featurizer
	params      plugins.Params
	// model: the embedding table (buckets × dim) and the projection (dim ×
	// dim); with hidden > 0 the feed-forward block's W1 (dim × hidden) and
	// W2 (hidden × dim)
	emb, w []float32
	hidden int
	w1, w2 []float32
	// AdamW state
	embM, embV, wM, wV []float32
	w1M, w1V, w2M, w2V []float32
	step               int
	// Feature weighting: document frequency of each bucket over the
	// training texts, and their number (see weigh).
	idf   bool
	df    []uint32
	ndocs int
	// The lexical half (nil when off): a BM25 encoder and the log of its
	// weight, θ, with its AdamW moments when it is learned.
	lex                   *bm25.Encoder
	theta, thetaM, thetaV []float32
	learnTheta            bool
	// training corpus: bags per group, language and role
	corpus map[uint32]map[string]*groupBags
	// Every training text and its bag, for the lexical half. BM25 weights
	// depend on the statistics of all training passages, so the bags' BM25
	// vectors are (re)computed at the first step after a LoadCorpus.
	lexTexts []lexJob
	lexDirty bool
	graphs   map[int]*contrastive
	// per-worker slot tables and row-gradient buffers for the scatter of
	// bag gradients (see bagBackward)
	slots   [][]int32
	rowBufs []rowGrads
	// The model on a GPU (device = "cuda"), nil on the CPU. While it is
	// set, the device holds the current model and emb and w are stale
	// until Save copies them back.
	gpu *gpuModel
}

type groupBags struct{ query, passage *bag }

type lexJob struct {
	t plugins.Text
	b *bag
}

// New returns an unconfigured encoder.
func New() *Encoder { return &Encoder{} }

// Describe returns Info.
func (e *Encoder) Describe(context.Context) (plugins.Info, error) { return Info, nil }

// Configure initialises the model from the seed, or loads a checkpoint.
func (e *Encoder) Configure(_ context.Context, cfg plugins.EncoderConfig) (plugins.EncoderInfo, error) {
	p, err := plugins.CheckParams(Info.Params, cfg.Params)
	if err != nil {
		return plugins.EncoderInfo{}, err
	}
	var ngrams []int
	for _, n := range p.Floats("ngrams") {
		if n < 1 || n > 8 || n != math.Trunc(n) {
			return plugins.EncoderInfo{}, fmt.Errorf("parameter \"ngrams\": sizes are integers from 1 to 8, got %v", n)
		}
		ngrams = append(ngrams, int(n))
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.releaseDevice()
	e.dim, e.lr, e.wd, e.tau = p.Int("dim"), p.Float("lr"), p.Float("weight_decay"), p.Float("temperature")
	e.hidden = p.Int("hidden")
	e.feat = &featurizer{buckets: uint32(p.Int("buckets")), ngrams: ngrams, tok: tokenize.New(2)}
	e.params = p
	e.idf = p.Bool("idf")
	e.df, e.ndocs = make([]uint32, e.feat.buckets), 0
	e.graphs = map[int]*contrastive{}
	e.slots = nil // sized by buckets, which may have changed
	e.corpus = nil
	e.lexTexts, e.lexDirty = nil, false
	e.step = 0
	e.lex, e.theta = nil, nil
	if lw := p.Float("lexical_weight"); lw > 0 {
		e.lex = bm25.New()
		if _, err := e.lex.Configure(context.Background(), plugins.EncoderConfig{}); err != nil {
			return plugins.EncoderInfo{}, fmt.Errorf("lexical half: %w", err)
		}
		e.theta = []float32{float32(math.Log(lw))}
		e.learnTheta = p.Bool("learn_lexical_weight")
	}
	if path := p.String("checkpoint"); path != "" {
		if err := e.load(path); err != nil {
			return plugins.EncoderInfo{}, err
		}
	} else {
		e.initialise(cfg.Seed, p.Float("init_scale"))
	}
	if p.String("device") == "cuda" {
		if e.lex != nil {
			return plugins.EncoderInfo{}, fmt.Errorf("parameter \"device\": the GPU path trains dense encoders only; set lexical_weight = 0 or device = \"cpu\"")
		}
		dev, err := openCUDA()
		if err != nil {
			return plugins.EncoderInfo{}, fmt.Errorf("parameter \"device\" = \"cuda\": %w", err)
		}
		if err := e.useDevice(dev); err != nil {
			dev.Close()
			return plugins.EncoderInfo{}, fmt.Errorf("parameter \"device\" = \"cuda\": %w", err)
		}
	}
	lexical := e.lex != nil
	return plugins.EncoderInfo{Dim: e.dim, Sparse: lexical, CollectionStats: lexical}, nil
}

func (e *Encoder) initialise(seed uint64, scale float64) {
	rows, d := int(e.feat.buckets), e.dim
	e.emb = hugemem.Floats(rows * d)
	rng := rand.New(rand.NewPCG(seed, 0x656d62))
	for i := range e.emb {
		e.emb[i] = float32(rng.NormFloat64() * scale)
	}
	e.w = make([]float32, d*d)
	for i := 0; i < d; i++ {
		e.w[i*d+i] = 1
	}
	// The feed-forward block starts as the identity: W1 He-initialised,
	// W2 zero, so y = h until training moves W2 (drawn after the table, so
	// models without the block are as before).
	e.w1, e.w2 = make([]float32, d*e.hidden), make([]float32, e.hidden*d)
	for i := range e.w1 {
		e.w1[i] = float32(rng.NormFloat64() * math.Sqrt(2/float64(d)))
	}
	e.resetOptimizer()
}

func (e *Encoder) resetOptimizer() {
	e.embM = hugemem.Floats(len(e.emb))
	e.embV = hugemem.Floats(len(e.emb))
	e.wM = make([]float32, len(e.w))
	e.wV = make([]float32, len(e.w))
	e.w1M, e.w1V = make([]float32, len(e.w1)), make([]float32, len(e.w1))
	e.w2M, e.w2V = make([]float32, len(e.w2)), make([]float32, len(e.w2))
	e.thetaM, e.thetaV = make([]float32, len(e.theta)), make([]float32, len(e.theta))
	e.step = 0
}

// LoadCorpus featurises every training text once.
func (e *Encoder) LoadCorpus(_ context.Context, req plugins.LoadCorpusRequest) error {
	groups := req.Groups
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.feat == nil {
		return fmt.Errorf("LoadCorpus called before Configure")
	}
	if e.corpus == nil {
		e.corpus = map[uint32]map[string]*groupBags{}
	}
	type job struct {
		t   plugins.Text
		out **bag
	}
	var jobs []job
	for _, g := range groups {
		langs := e.corpus[g.ID]
		if langs == nil {
			langs = map[string]*groupBags{}
			e.corpus[g.ID] = langs
		}
		for _, t := range g.Texts {
			gb := langs[t.Lang]
			if gb == nil {
				gb = &groupBags{}
				langs[t.Lang] = gb
			}
			if t.Role == plugins.RoleQuery {
				jobs = append(jobs, job{t, &gb.query})
			} else {
				jobs = append(jobs, job{t, &gb.passage})
			}
		}
	}
	bags := make([]bag, len(jobs))
	parallel.For(len(jobs), func(i int) {
		bags[i] = e.feat.features(jobs[i].t.Role.String(), jobs[i].t.Text)
	})
	// Document frequencies over every training text, then the weights of
	// every bag under them.
	for i := range bags {
		for _, id := range bags[i].ids {
			e.df[id]++
		}
	}
	e.ndocs += len(bags)
	parallel.For(len(jobs), func(i int) {
		e.weigh(&bags[i])
		*jobs[i].out = &bags[i]
	})
	if e.lex != nil {
		for i := range jobs {
			e.lexTexts = append(e.lexTexts, lexJob{jobs[i].t, &bags[i]})
		}
		e.lexDirty = true
	}
	return nil
}

// prepareLexical gives every training text its BM25 vector, under the
// statistics of all training passages.
func (e *Encoder) prepareLexical(ctx context.Context) error {
	var passages []string
	for _, j := range e.lexTexts {
		if j.t.Role == plugins.RolePassage {
			passages = append(passages, j.t.Text)
		}
	}
	if err := e.lex.Prepare(ctx, plugins.PrepareRequest{Texts: passages}); err != nil {
		return err
	}
	for _, role := range []plugins.Role{plugins.RoleQuery, plugins.RolePassage} {
		var texts []string
		var bags []*bag
		for _, j := range e.lexTexts {
			if j.t.Role == role {
				texts, bags = append(texts, j.t.Text), append(bags, j.b)
			}
		}
		v, err := e.lex.Encode(ctx, plugins.EncodeRequest{Role: role, Texts: texts})
		if err != nil {
			return err
		}
		sv := v.Sparse
		for i, b := range bags {
			lo, hi := sv.Offsets[i], sv.Offsets[i+1]
			b.lexTerms, b.lexWeights = sv.Terms[lo:hi:hi], sv.Weights[lo:hi:hi]
		}
	}
	e.lexDirty = false
	return nil
}

// weigh sets a bag's weights: count × idf, normalised to sum 1, with
// idf(f) = ln((N + 1) / (df(f) + 1)) + 1 over the N training texts — the
// smoothed idf of common TF-IDF practice. Frequent features (function
// words, common n-grams) weigh less, rare ones (names, numbers, which
// languages often share) more; a feature no training text had weighs most.
// Without idf, or before any training text is seen, it is the plain mean.
func (e *Encoder) weigh(b *bag) {
	b.weights = make([]float32, len(b.ids))
	total := float32(0)
	for i, id := range b.ids {
		w := b.counts[i]
		if e.idf && e.ndocs > 0 {
			w *= float32(math.Log(float64(e.ndocs+1)/float64(e.df[id]+1)) + 1)
		}
		b.weights[i] = w
		total += w
	}
	for i := range b.weights {
		b.weights[i] /= total
	}
}

// TrainStep takes one AdamW step on a batch and returns its loss (before
// the step) and each pair's loss, whose mean is the batch loss.
func (e *Encoder) TrainStep(ctx context.Context, req plugins.TrainStepRequest) (plugins.TrainStepResult, error) {
	loss, pairs, err := e.trainStep(ctx, req.Batch)
	if err != nil {
		return plugins.TrainStepResult{}, err
	}
	out := make([]float64, len(pairs))
	for i, p := range pairs {
		out[i] = float64(p)
	}
	return plugins.TrainStepResult{Loss: loss, PairLoss: out}, nil
}

func (e *Encoder) trainStep(ctx context.Context, batch plugins.Batch) (float64, []float32, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.corpus == nil {
		return 0, nil, fmt.Errorf("TrainStep called before LoadCorpus")
	}
	b := len(batch)
	if b < 2 {
		return 0, nil, fmt.Errorf("a batch needs at least 2 pairs for in-batch negatives, got %d", b)
	}
	qs, ps := make([]*bag, b), make([]*bag, b)
	for i, p := range batch {
		gb := e.corpus[p.Group]
		if gb == nil || gb[p.QueryLang] == nil || gb[p.QueryLang].query == nil {
			return 0, nil, fmt.Errorf("pair %d: group %d has no %s query", i, p.Group, p.QueryLang)
		}
		if gb[p.PassageLang] == nil || gb[p.PassageLang].passage == nil {
			return 0, nil, fmt.Errorf("pair %d: group %d has no %s passage", i, p.Group, p.PassageLang)
		}
		qs[i], ps[i] = gb[p.QueryLang].query, gb[p.PassageLang].passage
	}
	if e.gpu != nil {
		e.step++
		pairs, err := e.gpu.step(qs, ps, e.step, e.lr, e.wd, e.tau)
		if err != nil {
			return 0, nil, fmt.Errorf("%s: %w", e.gpu.dev.Name(), err)
		}
		loss := 0.0
		for _, l := range pairs {
			loss += float64(l)
		}
		return loss / float64(len(pairs)), pairs, nil
	}
	g := e.graphs[b]
	if g == nil {
		var err error
		wt := tensor.New(tensor.WithShape(e.dim, e.dim), tensor.WithBacking(e.w))
		var theta *tensor.Dense
		if e.lex != nil {
			theta = tensor.New(tensor.WithShape(1, 1), tensor.WithBacking(e.theta))
		}
		var w1, w2 *tensor.Dense
		if e.hidden > 0 {
			w1 = tensor.New(tensor.WithShape(e.dim, e.hidden), tensor.WithBacking(e.w1))
			w2 = tensor.New(tensor.WithShape(e.hidden, e.dim), tensor.WithBacking(e.w2))
		}
		if g, err = newContrastive(b, e.dim, e.tau, wt, theta, w1, w2); err != nil {
			return 0, nil, err
		}
		e.graphs[b] = g
	}
	var lex []float32
	if e.lex != nil {
		if e.lexDirty {
			if err := e.prepareLexical(ctx); err != nil {
				return 0, nil, fmt.Errorf("lexical half: %w", err)
			}
		}
		lex = lexicalScores(qs, ps)
	}
	hq, hp := e.bagForward(qs), e.bagForward(ps)
	r, err := g.step(hq, hp, lex, e.lexicalWeight())
	if err != nil {
		return 0, nil, err
	}
	if math.IsNaN(float64(r.loss)) || math.IsInf(float64(r.loss), 0) {
		return 0, nil, fmt.Errorf("loss is %v at step %d", r.loss, e.step+1)
	}
	rows := e.bagBackward(append(qs, ps...), append(append([]float32{}, r.ghq...), r.ghp...))
	e.step++
	e.adamDense(r)
	e.adamRows(rows)
	return float64(r.loss), r.pairLoss, nil
}

// lexicalWeight is λ = e^θ, or 0 without a lexical half.
func (e *Encoder) lexicalWeight() float32 {
	if e.lex == nil {
		return 0
	}
	return float32(math.Exp(float64(e.theta[0])))
}

// lexicalScores returns the BM25 score of every query against every
// passage of the batch, row-major: the sparse dot products of their BM25
// vectors, whose term ids are sorted.
func lexicalScores(qs, ps []*bag) []float32 {
	out := make([]float32, len(qs)*len(ps))
	parallel.For(len(qs), func(i int) {
		q := qs[i]
		for j, p := range ps {
			s, a, b := float32(0), 0, 0
			for a < len(q.lexTerms) && b < len(p.lexTerms) {
				switch {
				case q.lexTerms[a] < p.lexTerms[b]:
					a++
				case q.lexTerms[a] > p.lexTerms[b]:
					b++
				default:
					s += q.lexWeights[a] * p.lexWeights[b]
					a++
					b++
				}
			}
			out[i*len(ps)+j] = s
		}
	})
	return out
}

// bagForward returns the bag vectors of bags, one row each.
func (e *Encoder) bagForward(bags []*bag) []float32 {
	d := e.dim
	out := make([]float32, len(bags)*d)
	parallel.For(len(bags), func(i int) {
		rows.BagSum(e.emb, d, bags[i].ids, bags[i].weights, out[i*d:(i+1)*d])
	})
	return out
}

// rowGrads holds the gradients of the embedding rows one step touched: the
// touched row ids in first-touch order and their gradients in one slab.
type rowGrads struct {
	ids  []uint32
	slab []float32
}

// bagBackward scatters the gradient of the bag vectors (one row per bag) to
// the embedding rows: ∂L/∂E[f] = Σ_texts weight(text, f) · ∂L/∂h(text). Rows
// are split among workers by id, and each worker adds texts in batch order,
// so the sums do not depend on scheduling. A slot table the size of the
// embedding table maps a row to its place in the worker's slab; it is reset
// for the touched rows only. The slabs are kept from step to step: growing
// fresh ones cost a third of the scatter's time in copies and page faults.
func (e *Encoder) bagBackward(bags []*bag, gh []float32) []rowGrads {
	d := e.dim
	workers := runtime.GOMAXPROCS(0)
	if len(e.slots) != workers {
		e.slots = make([][]int32, workers)
		e.rowBufs = make([]rowGrads, workers)
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		if e.slots[w] == nil {
			e.slots[w] = make([]int32, e.feat.buckets)
			for i := range e.slots[w] {
				e.slots[w][i] = -1
			}
		}
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			slot := e.slots[w]
			rg := rowGrads{ids: e.rowBufs[w].ids[:0], slab: e.rowBufs[w].slab[:0]}
			for t, b := range bags {
				g := gh[t*d : (t+1)*d]
				for k, id := range b.ids {
					if int(id)%workers != w {
						continue
					}
					s := slot[id]
					if s < 0 {
						s = int32(len(rg.ids))
						slot[id] = s
						rg.ids = append(rg.ids, id)
						n := len(rg.slab)
						rg.slab = slices.Grow(rg.slab, d)[:n+d]
						clear(rg.slab[n:])
					}
					rows.Axpy(b.weights[k], g, rg.slab[int(s)*d:int(s)*d+d])
				}
			}
			for _, id := range rg.ids {
				slot[id] = -1
			}
			e.rowBufs[w] = rg
		}(w)
	}
	wg.Wait()
	return e.rowBufs
}

// adamRows applies lazy AdamW to the touched rows, each worker's rows on
// its own core.
func (e *Encoder) adamRows(parts []rowGrads) {
	d := e.dim
	lr := adam.StepSize(e.lr, e.step)
	decay := float32(1 - e.lr*e.wd)
	parallel.For(len(parts), func(w int) {
		adam.UpdateRows(e.emb, e.embM, e.embV, d, parts[w].ids, parts[w].slab, lr, decay)
	})
}

// adamDense updates the projection and the feed-forward block (with
// weight decay) and, when it is learned, θ (without: decay would pull λ
// towards 1, not towards 0).
func (e *Encoder) adamDense(r stepResult) {
	lr := adam.StepSize(e.lr, e.step)
	decay := float32(1 - e.lr*e.wd)
	adam.Update(e.w, e.wM, e.wV, r.gw, lr, decay)
	if e.hidden > 0 {
		adam.Update(e.w1, e.w1M, e.w1V, r.gw1, lr, decay)
		adam.Update(e.w2, e.w2M, e.w2V, r.gw2, lr, decay)
	}
	if e.learnTheta {
		adam.Update(e.theta, e.thetaM, e.thetaV, []float32{r.gtheta}, lr, 1)
	}
}

// feedForward returns y = h + relu(h·W1)·W2 for one bag vector h (h itself
// without the block).
func (e *Encoder) feedForward(h []float32) []float32 {
	if e.hidden == 0 {
		return h
	}
	d, f := e.dim, e.hidden
	a := make([]float32, f)
	for j, hv := range h {
		if hv != 0 {
			rows.Axpy(hv, e.w1[j*f:(j+1)*f], a)
		}
	}
	y := append([]float32(nil), h...)
	for k, av := range a {
		if av > 0 {
			rows.Axpy(av, e.w2[k*d:(k+1)*d], y)
		}
	}
	return y
}

// Prepare sets the collection statistics of the lexical half; without one
// it is a no-op.
func (e *Encoder) Prepare(ctx context.Context, req plugins.PrepareRequest) error {
	e.mu.Lock()
	lex := e.lex
	e.mu.Unlock()
	if lex == nil {
		return nil
	}
	return lex.Prepare(ctx, req)
}

// Encode returns unit vectors: bag, projection, normalisation; with a
// lexical half also the BM25 vectors, the query's scaled by λ.
func (e *Encoder) Encode(ctx context.Context, req plugins.EncodeRequest) (plugins.Vectors, error) {
	role, texts := req.Role, req.Texts
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.feat == nil {
		return plugins.Vectors{}, fmt.Errorf("Encode called before Configure")
	}
	d := e.dim
	bags := make([]*bag, len(texts))
	parallel.For(len(texts), func(i int) {
		b := e.feat.features(role.String(), texts[i])
		e.weigh(&b)
		bags[i] = &b
	})
	var out []float32
	if e.gpu != nil {
		var err error
		if out, err = e.gpu.encode(bags); err != nil {
			return plugins.Vectors{}, fmt.Errorf("%s: %w", e.gpu.dev.Name(), err)
		}
		return plugins.Vectors{Count: len(texts), Dim: d, Dense: out}, nil
	}
	h := e.bagForward(bags)
	out = make([]float32, len(texts)*d)
	parallel.For(len(texts), func(i int) {
		hi, zi := e.feedForward(h[i*d:(i+1)*d]), out[i*d:(i+1)*d]
		for j, hv := range hi {
			if hv == 0 {
				continue
			}
			wr := e.w[j*d : (j+1)*d]
			for k := range zi {
				zi[k] += hv * wr[k]
			}
		}
		n := 0.0
		for _, z := range zi {
			n += float64(z) * float64(z)
		}
		inv := float32(1 / math.Sqrt(n+1e-12))
		for k := range zi {
			zi[k] *= inv
		}
	})
	v := plugins.Vectors{Count: len(texts), Dim: d, Dense: out}
	if e.lex != nil {
		lv, err := e.lex.Encode(ctx, req)
		if err != nil {
			return plugins.Vectors{}, fmt.Errorf("lexical half: %w", err)
		}
		if role == plugins.RoleQuery {
			lw := e.lexicalWeight()
			for i := range lv.Sparse.Weights {
				lv.Sparse.Weights[i] *= lw
			}
		}
		v.Sparse = lv.Sparse
	}
	return v, nil
}

// useDevice moves the model and its optimiser state to dev, which the
// encoder then owns: training and encoding run there.
func (e *Encoder) useDevice(dev gpu.Device) error {
	g, err := newGPUModel(dev, e)
	if err != nil {
		return err
	}
	e.gpu = g
	return nil
}

// releaseDevice frees the device, if any; the host's model is then stale
// unless Save copied it back.
func (e *Encoder) releaseDevice() {
	if e.gpu == nil {
		return
	}
	e.gpu.close()
	e.gpu.dev.Close()
	e.gpu = nil
}
