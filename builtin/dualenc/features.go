package dualenc

import (
	"hash/fnv"
	"sort"

	"github.com/xlbench/xlbench/builtin/tokenize"
)

// featurizer turns a text into hashed feature counts: a role marker, every
// word (package tokenize: NFKC, case folding, character n-grams standing in
// for words in scripts without spaces) and the character n-grams of each
// word with boundary marks ("<ab", "abc", "bc>"), hashed into buckets.
// Nothing is language-specific, so any language gets features, trained or
// not.
type featurizer struct {
	buckets uint32
	ngrams  []int
	tok     *tokenize.Tokenizer
}

// bag is a text's features: distinct bucket ids, their counts in the text,
// and the weights the bag vector uses (see Encoder.weigh), which sum to 1.
type bag struct {
	ids     []uint32
	counts  []float32
	weights []float32
	// The text's BM25 vector (sorted term ids and weights), with a lexical
	// half only.
	lexTerms   []uint64
	lexWeights []float32
}

func (f *featurizer) hash(kind byte, s string) uint32 {
	h := fnv.New64a()
	h.Write([]byte{kind})
	h.Write([]byte(s))
	return uint32(h.Sum64() % uint64(f.buckets))
}

func (f *featurizer) features(role, text string) bag {
	counts := map[uint32]float32{f.hash('r', role): 1}
	for _, w := range f.tok.Tokens(text) {
		counts[f.hash('w', w)]++
		rs := []rune("<" + w + ">")
		for _, n := range f.ngrams {
			for i := 0; i+n <= len(rs); i++ {
				counts[f.hash('c', string(rs[i:i+n]))]++
			}
		}
	}
	b := bag{ids: make([]uint32, 0, len(counts))}
	for id := range counts {
		b.ids = append(b.ids, id)
	}
	sort.Slice(b.ids, func(i, j int) bool { return b.ids[i] < b.ids[j] })
	b.counts = make([]float32, len(b.ids))
	for i, id := range b.ids {
		b.counts[i] = counts[id]
	}
	return b
}
