// Package reader is the built-in extractive reader, builtin:reader: given a
// question and candidate sentences it picks an answer span, trained with
// gorgonia on QA examples (question, passage, answer span).
//
// Each token of a passage is represented by its own features and its
// neighbours': an embedding bag of hashed word and character 3-gram
// features (as the built-in encoder's, so any language gets features) for
// the token before, the token and the token after, plus language-agnostic
// features that tie it to the question — the token occurs in the question,
// shares its first four characters with a question word, its neighbours
// do, how far the nearest such word lies on each side, how many lie close
// — and its shape (digits, capital, punctuation, length, position). A tanh
// layer turns that row into h_t; a self-attention layer over the passage
// gives each token a context c_t, and z_t = tanh(h_t·A + c_t·C) is the
// contextual row. The question's bag, through two tanh layers, gives a
// start and an end query u and v, and a token's start and end scores are
// bounded bilinear forms z_t·u and z_t·v. Training minimises the
// cross-entropy of the gold start and end tokens (defined as a gorgonia
// graph, graph_test.go; each step runs it written out in Go, step.go, bit
// for bit the graph's); the embedding rows are updated sparsely with lazy AdamW, the
// matrices with AdamW. An answer is the span (start ≤ end, at most
// max_answer_tokens) with the highest start + end score over all
// candidates.
//
// Languages without training examples: their hashed embedding rows were
// never trained, so they are noise. Training drops the embeddings of a
// share of its passages and questions (lexical_dropout), so the model also
// learns to answer from the language-agnostic features alone; reading a
// passage or question in a language it saw no example in, it uses those
// alone (agnostic_unseen).
//
// Starting from a multilingual model (base): a builtin:gorgonia
// checkpoint hashes the same features into the same buckets (64-bit FNV-1a
// of 'w' + word and 'c' + character 3-gram of "<word>"), so its rows mean
// the same features, and its training placed translations near each
// other. With base set, a token's feature row is the dim trained columns
// followed by base_dims columns taken from the base and frozen: the base's
// row times its projection, projected to base_dims by a fixed random
// Gaussian matrix and scaled to init_scale. Lexical dropout and
// agnostic_unseen then drop the trained columns only: the model learns to
// answer from the base's columns and the language-agnostic features, which
// a language without training examples still has.
package reader

import (
	"context"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/xlbench/xlbench/builtin/internal/hugemem"
	"github.com/xlbench/xlbench/plugins"
)

// Version is the reader's version; it changes when trained readers would.
const Version = "2.0.0"

// Info describes the reader and its parameters.
var Info = plugins.Info{
	Name:        "reader",
	Version:     Version,
	Description: "extractive span reader: hashed n-gram token rows with question-match features, tanh layer, self-attention over the passage, bilinear start/end scores (gorgonia), lazy AdamW",
	Trainable:   true,
	Params: []plugins.ParamSpec{
		{Name: "dim", Type: plugins.ParamInteger, Default: 32.0, Min: plugins.Bound(2), Max: plugins.Bound(512), Description: "embedding dimension of a token's trained features (with base, base_dims frozen columns follow)"},
		{Name: "hidden", Type: plugins.ParamInteger, Default: 48.0, Min: plugins.Bound(2), Max: plugins.Bound(1024), Description: "width of the token and question layers"},
		{Name: "buckets", Type: plugins.ParamInteger, Default: 262144.0, Min: plugins.Bound(16), Max: plugins.Bound(1 << 24), Description: "rows of the hashed feature table"},
		{Name: "lr", Type: plugins.ParamNumber, Default: 0.003, Min: plugins.Bound(0), Max: plugins.Bound(10), Description: "AdamW learning rate"},
		{Name: "weight_decay", Type: plugins.ParamNumber, Default: 0.0, Min: plugins.Bound(0), Max: plugins.Bound(10), Description: "decoupled weight decay of the matrices"},
		{Name: "epochs", Type: plugins.ParamNumber, Default: 3.0, Min: plugins.Bound(0), Max: plugins.Bound(1000), Description: "passes over the training examples"},
		{Name: "lexical_dropout", Type: plugins.ParamNumber, Default: 0.3, Min: plugins.Bound(0), Max: plugins.Bound(1), Description: "share of training passages (and, apart, questions) read without their embeddings, from the language-agnostic features alone"},
		{Name: "agnostic_unseen", Type: plugins.ParamBool, Default: true, Description: "read passages and questions in languages with no training example without their (untrained) embeddings"},
		{Name: "batch_size", Type: plugins.ParamInteger, Default: 32.0, Min: plugins.Bound(1), Max: plugins.Bound(4096), Description: "examples per step"},
		{Name: "max_tokens", Type: plugins.ParamInteger, Default: 96.0, Min: plugins.Bound(4), Max: plugins.Bound(1024), Description: "passage tokens kept in training (longer passages are cut; answers past the cut are skipped)"},
		{Name: "max_answer_tokens", Type: plugins.ParamInteger, Default: 15.0, Min: plugins.Bound(1), Max: plugins.Bound(200), Description: "longest answer span, in tokens"},
		{Name: "alpha", Type: plugins.ParamNumber, Default: 16.0, Min: plugins.Bound(1), Max: plugins.Bound(40), Description: "bound on the start and end logits"},
		{Name: "init_scale", Type: plugins.ParamNumber, Default: 0.1, Min: plugins.Bound(0), Max: plugins.Bound(10), Description: "standard deviation of the initial embedding rows"},
		{Name: "checkpoint", Type: plugins.ParamString, Default: "", Description: "load this checkpoint (written by Save) instead of initialising"},
		// Optional, without defaults: a spec that sets neither keeps the
		// reader (and its cell ids) as before they existed.
		{Name: "base", Type: plugins.ParamString, Description: "optional: a builtin:gorgonia checkpoint whose feature rows, frozen, sit beside the trained ones (see base_dims); in a spec, the experiment's stage (start_from) is passed here when the reader sets base = \"stage\""},
		{Name: "base_dims", Type: plugins.ParamInteger, Min: plugins.Bound(1), Max: plugins.Bound(512), Description: "optional, with base (default 32): columns taken from the base, beside the dim trained ones"},
	},
}

// defaultBaseDims is base_dims when base is set and base_dims is not.
const defaultBaseDims = 32

// numDense is the number of per-token features beside the embeddings (see
// denseFeatures); the last is the constant 1 that carries the bias.
const numDense = 14

// Reader is the built-in reader.
type Reader struct {
	// mu is held to write the model (Configure, Train) and read-held to
	// use it (Read, Save): reads run at once, each caching what it
	// computes under the cache's own lock.
	mu sync.RWMutex
	// configuration; dim is a feature row's width, of which the first
	// trained columns train (all but the base's, when there is one)
	dim, trained, hidden, maxTokens, maxAnswer, batch int
	buckets                                           uint32
	lr, wd, epochs, dropout                           float64
	alpha                                             float32
	seed                                              uint64
	agnosticUnseen                                    bool
	// model: embedding table (buckets × dim); w ((3·dim + numDense) ×
	// hidden); a, c (hidden × hidden); us, ue ((2·dim + 1) × hidden)
	emb []float32
	m   graphWeights
	// AdamW state
	embM, embV []float32
	mM, mV     graphWeights
	step       int
	// qLangs and pLangs hold the languages of the training questions and
	// passages: questions and passages in others are read without
	// embeddings (agnostic_unseen).
	qLangs, pLangs map[string]bool
	steps          map[[2]int]*spanStep
	// slot table and slab for the row gradients of a step
	slot []int32
	rows rowGrads
	// per-text work kept between Read calls (see readCache)
	cache readCache
}

type rowGrads struct {
	ids  []uint32
	slab []float32
}

// New returns an unconfigured reader.
func New() *Reader { return &Reader{} }

// Describe returns Info.
func (r *Reader) Describe(context.Context) (plugins.Info, error) { return Info, nil }

// Configure initialises the reader from the seed.
func (r *Reader) Configure(_ context.Context, cfg plugins.ReaderConfig) (plugins.ReaderInfo, error) {
	p, err := plugins.CheckParams(Info.Params, cfg.Params)
	if err != nil {
		return plugins.ReaderInfo{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dim, r.hidden = p.Int("dim"), p.Int("hidden")
	r.trained = r.dim
	base, _ := p["base"].(string)
	if base != "" {
		baseDims := defaultBaseDims
		if v, ok := p["base_dims"].(float64); ok {
			baseDims = int(v)
		}
		r.dim += baseDims
	}
	r.buckets = uint32(p.Int("buckets"))
	r.lr, r.wd, r.epochs, r.dropout = p.Float("lr"), p.Float("weight_decay"), p.Float("epochs"), p.Float("lexical_dropout")
	r.agnosticUnseen = p.Bool("agnostic_unseen")
	r.qLangs, r.pLangs = map[string]bool{}, map[string]bool{}
	r.batch, r.maxTokens, r.maxAnswer = p.Int("batch_size"), p.Int("max_tokens"), p.Int("max_answer_tokens")
	r.alpha = float32(p.Float("alpha"))
	r.seed = cfg.Seed
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x726561646572))
	normal := func(n int, sd float64) []float32 {
		out := hugemem.Floats(n)
		for i := range out {
			out[i] = float32(rng.NormFloat64() * sd)
		}
		return out
	}
	d, h := r.dim, r.hidden
	if r.trained == d {
		r.emb = normal(int(r.buckets)*d, p.Float("init_scale"))
	} else {
		// The trained columns from the same draws as without a base; the
		// base's are filled below (or by the checkpoint).
		trained := normal(int(r.buckets)*r.trained, p.Float("init_scale"))
		r.emb = hugemem.Floats(int(r.buckets) * d)
		for b := 0; b < int(r.buckets); b++ {
			copy(r.emb[b*d:b*d+r.trained], trained[b*r.trained:(b+1)*r.trained])
		}
		if p.String("checkpoint") == "" {
			if err := r.fillBase(base, p.Float("init_scale")); err != nil {
				return plugins.ReaderInfo{}, err
			}
		}
	}
	in, qin := 3*d+numDense, r.qin()
	r.m = graphWeights{
		w:  normal(in*h, 1/math.Sqrt(float64(in))),
		a:  normal(h*h, 1/math.Sqrt(float64(h))),
		c:  normal(h*h, 1/math.Sqrt(float64(h))),
		us: normal(qin*h, 1/math.Sqrt(float64(qin))),
		ue: normal(qin*h, 1/math.Sqrt(float64(qin))),
	}
	r.embM, r.embV = hugemem.Floats(len(r.emb)), hugemem.Floats(len(r.emb))
	r.mM, r.mV = r.m.zeros(), r.m.zeros()
	r.step = 0
	r.steps = map[[2]int]*spanStep{}
	r.slot = nil
	r.resetCache()
	if path := p.String("checkpoint"); path != "" {
		if err := r.load(path); err != nil {
			return plugins.ReaderInfo{}, err
		}
	}
	return plugins.ReaderInfo{}, nil
}

// all lists the matrices, in graph order.
func (g *graphWeights) all() [][]float32 { return [][]float32{g.w, g.a, g.c, g.us, g.ue} }

// zeros returns matrices of g's shapes, zero.
func (g graphWeights) zeros() graphWeights {
	z := func(x []float32) []float32 { return make([]float32, len(x)) }
	return graphWeights{w: z(g.w), a: z(g.a), c: z(g.c), us: z(g.us), ue: z(g.ue)}
}

// agnostic reports whether texts in lang, of a side whose training
// languages are seen, are read without embeddings.
func (r *Reader) agnostic(seen map[string]bool, lang string) bool {
	return r.agnosticUnseen && len(seen) > 0 && !seen[lang]
}

func (r *Reader) resetCache() {
	r.cache.mu.Lock()
	r.cache.passages, r.cache.questions = map[cacheKey]*cachedPassage{}, map[cacheKey]*cachedQuestion{}
	r.cache.young, r.cache.old, r.cache.youngFloats = map[contextKey][]float32{}, nil, 0
	r.cache.budget = maxCachedContexts
	r.cache.hits, r.cache.misses = 0, 0
	r.cache.mu.Unlock()
}

// featureIDs returns the hashed features of a token: the word and the
// character 3-grams of "<word>".
func (r *Reader) featureIDs(word string) []uint32 {
	hash := func(kind byte, s string) uint32 {
		h := fnv.New64a()
		h.Write([]byte{kind})
		h.Write([]byte(s))
		return uint32(h.Sum64() % uint64(r.buckets))
	}
	ids := []uint32{hash('w', word)}
	rs := []rune("<" + word + ">")
	for i := 0; i+3 <= len(rs); i++ {
		ids = append(ids, hash('c', string(rs[i:i+3])))
	}
	return ids
}

// question is a question's features: the ids of every token's features
// (the bag part of the question row is their mean), the ids of its type
// features (the type part), and the token texts, for the match features.
type question struct {
	ids, typeIDs []uint32
	words        map[string]bool
	prefixes     map[string]bool
}

// qin is the width of a question row: the bag, the type bag and the
// constant 1.
func (r *Reader) qin() int { return 2*r.dim + 1 }

func (r *Reader) question(text string) *question {
	q := &question{words: map[string]bool{}, prefixes: map[string]bool{}}
	var words []string
	for _, t := range tokenize(text) {
		q.ids = append(q.ids, r.featureIDs(t.text)...)
		q.words[t.text] = true
		if rs := []rune(t.text); len(rs) >= 4 {
			q.prefixes[string(rs[:4])] = true
		}
		if rs := []rune(t.text); len(rs) > 1 || wordRune(rs[0]) {
			words = append(words, t.text)
		}
	}
	// The question's type lives in its first and last words, whatever the
	// language puts its question word: "when …", "… 什么时候", "… kim".
	// They are hashed with their place, and kept apart from the bag, where
	// they would weigh as little as any other word.
	hash := func(s string) uint32 {
		h := fnv.New64a()
		h.Write([]byte(s))
		return uint32(h.Sum64() % uint64(r.buckets))
	}
	n := len(words)
	for i, w := range words {
		switch {
		case i == 0:
			q.typeIDs = append(q.typeIDs, hash("q0\x00"+w))
			if n > 1 {
				q.typeIDs = append(q.typeIDs, hash("q01\x00"+w+" "+words[1]))
			}
		case i == 1:
			q.typeIDs = append(q.typeIDs, hash("q1\x00"+w))
		}
		if i == n-1 && n > 1 {
			q.typeIDs = append(q.typeIDs, hash("qz\x00"+w))
		}
		if i == n-2 && n > 2 {
			q.typeIDs = append(q.typeIDs, hash("qy\x00"+w))
		}
	}
	return q
}

// passage is a passage's tokens with their feature ids and dense features
// (which depend on the question).
type passage struct {
	toks  []token
	ids   [][]uint32
	dense [][numDense]float32
}

func (r *Reader) passage(text string, q *question, limit int) *passage {
	p := r.tokens(text, limit)
	p.dense = denseFeatures(p.toks, q)
	return p
}

// tokens is a passage without its question-dependent features.
func (r *Reader) tokens(text string, limit int) *passage {
	toks := tokenize(text)
	if limit > 0 && len(toks) > limit {
		toks = toks[:limit]
	}
	p := &passage{toks: toks, ids: make([][]uint32, len(toks))}
	for i, t := range toks {
		p.ids[i] = r.featureIDs(t.text)
	}
	return p
}

// denseFeatures computes the per-token features beside the embeddings,
// all language-agnostic: question match (the token, its first four
// characters, its neighbours), how far the nearest matching token lies to
// the left and to the right, how many match within three tokens; shape
// (digits, capital, punctuation, length, first token, position); and the
// constant 1.
func denseFeatures(toks []token, q *question) [][numDense]float32 {
	return denseFromMatch(toks, questionMatch(toks, q))
}

// Bits of a token's questionMatch.
const (
	matchWord   = 1 << iota // the token is a question word
	matchPrefix             // its first four characters begin a question word
)

// questionMatch is all that the dense features take from the question:
// per token, whether it is a question word and whether its first four
// characters begin one (matchWord, matchPrefix). Two questions with the
// same match give a passage the same dense features, so the same
// contextual rows (see readCache).
func questionMatch(toks []token, q *question) []byte {
	match := make([]byte, len(toks))
	for i, t := range toks {
		if q.words[t.text] {
			match[i] |= matchWord
		}
		if rs := []rune(t.text); len(rs) >= 4 && q.prefixes[string(rs[:4])] {
			match[i] |= matchPrefix
		}
	}
	return match
}

// denseFromMatch is denseFeatures from the tokens' questionMatch.
func denseFromMatch(toks []token, qm []byte) [][numDense]float32 {
	n := len(toks)
	dense := make([][numDense]float32, n)
	match := make([]bool, n)
	for i := range toks {
		match[i] = qm[i]&matchWord != 0
	}
	// Distance to the nearest token that occurs in the question, on each
	// side (10 or more: none near).
	left, right := make([]int, n), make([]int, n)
	last := -1 << 30
	for i := range toks {
		left[i] = i - last
		if match[i] {
			last = i
		}
	}
	last = 1 << 30
	for i := n - 1; i >= 0; i-- {
		right[i] = last - i
		if match[i] {
			last = i
		}
	}
	clip := func(d int) float32 { return float32(min(d, 10)) / 10 }
	for i, t := range toks {
		rs := []rune(t.text)
		f := &dense[i]
		if match[i] {
			f[0] = 1
		}
		if qm[i]&matchPrefix != 0 {
			f[1] = 1
		}
		for _, c := range rs {
			if c >= '0' && c <= '9' || c >= '٠' && c <= '٩' || c >= '०' && c <= '९' {
				f[2] = 1
				break
			}
		}
		if t.upper {
			f[3] = 1
		}
		if len(rs) == 1 && !wordRune(rs[0]) && !unspaced(rs[0]) {
			f[4] = 1
		}
		f[5] = float32(i) / float32(max(1, n))
		f[6], f[7] = clip(left[i]), clip(right[i])
		if i > 0 && match[i-1] {
			f[8] = 1
		}
		if i+1 < n && match[i+1] {
			f[9] = 1
		}
		near := 0
		for k := max(0, i-3); k < min(n, i+4); k++ {
			if match[k] && k != i {
				near++
			}
		}
		f[10] = float32(near) / 6
		f[11] = float32(min(len(rs), 10)) / 10
		if i == 0 {
			f[12] = 1
		}
		f[13] = 1
	}
	return dense
}
