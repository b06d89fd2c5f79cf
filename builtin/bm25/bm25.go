// Package bm25 is the built-in BM25 encoder: an untrained sparse baseline.
//
// A query becomes its term counts; a passage becomes its BM25 term weights
// under the statistics of the collection last given to Prepare, so that the
// dot product of the two is the passage's BM25 score for the query:
//
//	w(t, d) = idf(t) · tf(t,d)·(k1+1) / (tf(t,d) + k1·(1 − b + b·|d|/avgdl))
//	idf(t)  = ln(1 + (N − df(t) + 0.5) / (df(t) + 0.5))
//
// (the non-negative idf of Lucene and Pyserini). A query term that occurs
// twice counts twice. Terms come from package tokenize; term ids are 64-bit
// FNV-1a hashes of the terms, so query and passage ids agree without a
// shared vocabulary.
package bm25

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"sync"

	"github.com/xlbench/xlbench/builtin/tokenize"
	"github.com/xlbench/xlbench/plugins"
	"github.com/xlbench/xlbench/plugins/sdk/parallel"
)

// Version is the version of the BM25 encoder.
const Version = "1.0.0"

// Info describes the encoder and its parameters.
var Info = plugins.Info{
	Name:        "bm25",
	Version:     Version,
	Description: "Okapi BM25 over Unicode-aware terms (character n-grams for scripts without spaces)",
	Params: []plugins.ParamSpec{
		{Name: "k1", Type: plugins.ParamNumber, Default: 0.9, Min: plugins.Bound(0), Max: plugins.Bound(100), Description: "term-frequency saturation"},
		{Name: "b", Type: plugins.ParamNumber, Default: 0.4, Min: plugins.Bound(0), Max: plugins.Bound(1), Description: "length normalisation"},
		{Name: "ngram", Type: plugins.ParamInteger, Default: 2.0, Min: plugins.Bound(1), Max: plugins.Bound(5), Description: "character n-gram size for scripts without spaces"},
	},
}

// Encoder is the BM25 encoder. It is safe for concurrent use.
type Encoder struct {
	mu    sync.Mutex
	k1, b float64
	tok   *tokenize.Tokenizer
	stats *collection
}

type collection struct {
	n     int
	avgdl float64
	df    map[uint64]int
	// terms keeps each text's term counts: the passages encoded next are
	// the collection's own, and tokenising is most of BM25's cost.
	terms map[string]counted
}

// New returns an unconfigured BM25 encoder.
func New() *Encoder { return &Encoder{} }

// Describe returns Info.
func (e *Encoder) Describe(context.Context) (plugins.Info, error) { return Info, nil }

// Configure checks and applies the parameters. The seed is unused: BM25 is
// deterministic.
func (e *Encoder) Configure(_ context.Context, cfg plugins.EncoderConfig) (plugins.EncoderInfo, error) {
	p, err := plugins.CheckParams(Info.Params, cfg.Params)
	if err != nil {
		return plugins.EncoderInfo{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.k1, e.b = p.Float("k1"), p.Float("b")
	e.tok = tokenize.New(p.Int("ngram"))
	e.stats = nil
	return plugins.EncoderInfo{Sparse: true, CollectionStats: true}, nil
}

// LoadCorpus is refused: BM25 is not trained.
func (e *Encoder) LoadCorpus(context.Context, plugins.LoadCorpusRequest) error {
	return fmt.Errorf("bm25 is not trainable")
}

// TrainStep is refused: BM25 is not trained.
func (e *Encoder) TrainStep(context.Context, plugins.TrainStepRequest) (plugins.TrainStepResult, error) {
	return plugins.TrainStepResult{}, fmt.Errorf("bm25 is not trainable")
}

// Save is refused: BM25 has no trained state.
func (e *Encoder) Save(context.Context, plugins.SaveRequest) error {
	return fmt.Errorf("bm25 has no trained state to save")
}

// Prepare computes document frequencies and the average length over texts.
func (e *Encoder) Prepare(_ context.Context, req plugins.PrepareRequest) error {
	texts := req.Texts
	e.mu.Lock()
	tok := e.tok
	e.mu.Unlock()
	if tok == nil {
		return fmt.Errorf("Prepare called before Configure")
	}
	c := &collection{n: len(texts), df: map[uint64]int{}, terms: make(map[string]counted, len(texts))}
	total := 0
	for i, terms := range allTermCounts(tok, texts, nil) {
		c.terms[texts[i]] = terms
		total += terms.length
		for _, id := range terms.ids {
			c.df[id]++
		}
	}
	if c.n > 0 {
		c.avgdl = float64(total) / float64(c.n)
	}
	e.mu.Lock()
	e.stats = c
	e.mu.Unlock()
	return nil
}

// Encode returns sparse vectors: term counts for queries, BM25 weights for
// passages.
func (e *Encoder) Encode(_ context.Context, req plugins.EncodeRequest) (plugins.Vectors, error) {
	role, texts := req.Role, req.Texts
	e.mu.Lock()
	tok, stats, k1, b := e.tok, e.stats, e.k1, e.b
	e.mu.Unlock()
	if tok == nil {
		return plugins.Vectors{}, fmt.Errorf("Encode called before Configure")
	}
	if role == plugins.RolePassage && stats == nil {
		return plugins.Vectors{}, fmt.Errorf("passages encoded before Prepare set the collection")
	}
	sv := &plugins.SparseVectors{Offsets: make([]uint32, 1, len(texts)+1)}
	var known map[string]counted
	if role == plugins.RolePassage {
		known = stats.terms
	}
	for _, terms := range allTermCounts(tok, texts, known) {
		for i, id := range terms.ids {
			tf := float64(terms.counts[i])
			w := tf
			if role == plugins.RolePassage {
				df := float64(stats.df[id])
				idf := math.Log(1 + (float64(stats.n)-df+0.5)/(df+0.5))
				norm := 1.0
				if stats.avgdl > 0 {
					norm = 1 - b + b*float64(terms.length)/stats.avgdl
				}
				w = idf * tf * (k1 + 1) / (tf + k1*norm)
			}
			sv.Terms = append(sv.Terms, id)
			sv.Weights = append(sv.Weights, float32(w))
		}
		sv.Offsets = append(sv.Offsets, uint32(len(sv.Terms)))
	}
	return plugins.Vectors{Count: len(texts), Sparse: sv}, nil
}

type counted struct {
	ids    []uint64 // sorted, distinct
	counts []int
	length int // number of tokens
}

// allTermCounts counts the terms of every text, on every core:
// tokenising (NFKC, case folding, script tests) is most of BM25's cost.
// Texts in known take their counts from there.
func allTermCounts(tok *tokenize.Tokenizer, texts []string, known map[string]counted) []counted {
	out := make([]counted, len(texts))
	parallel.For(len(texts), func(i int) {
		if c, ok := known[texts[i]]; ok {
			out[i] = c
			return
		}
		out[i] = termCounts(tok, texts[i])
	})
	return out
}

func termCounts(tok *tokenize.Tokenizer, text string) counted {
	tokens := tok.Tokens(text)
	m := make(map[uint64]int, len(tokens))
	for _, t := range tokens {
		m[TermID(t)]++
	}
	c := counted{ids: make([]uint64, 0, len(m)), length: len(tokens)}
	for id := range m {
		c.ids = append(c.ids, id)
	}
	slices.Sort(c.ids)
	c.counts = make([]int, len(c.ids))
	for i, id := range c.ids {
		c.counts[i] = m[id]
	}
	return c
}

// TermID is the id of a term: its 64-bit FNV-1a hash.
func TermID(term string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(term))
	return h.Sum64()
}
