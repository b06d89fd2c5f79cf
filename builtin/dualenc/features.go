package dualenc

import (
	"slices"
	"unicode/utf8"

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

// FNV-1a, 64 bits (hash/fnv's New64a), inlined so that a feature is hashed
// from the bytes where they lie, with nothing allocated.
const (
	fnvOffset64 = 14695981039346656037
	fnvPrime64  = 1099511628211
)

// hash is the bucket of the feature kind+s: FNV-1a of the kind byte then
// s's bytes, modulo the buckets.
func (f *featurizer) hash(kind byte, s string) uint32 {
	h := uint64(fnvOffset64)
	h ^= uint64(kind)
	h *= fnvPrime64
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime64
	}
	return uint32(h % uint64(f.buckets))
}

// features returns text's bag: its feature ids in increasing order, each
// with its count. The ids are gathered in a slice, sorted and counted in
// runs, which gives what counting them in a map and sorting its keys did,
// at a fraction of the cost (featurising was two thirds of a short
// fine-tuning cell's CPU).
func (f *featurizer) features(role, text string) bag {
	ids := []uint32{f.hash('r', role)}
	var offsets []int
	for _, w := range f.tok.Tokens(text) {
		ids = append(ids, f.hash('w', w))
		marked := "<" + w + ">"
		if !utf8.ValidString(marked) {
			// []rune would turn each invalid byte into U+FFFD: hash as
			// the n-grams of those runes did.
			ids = f.runeNGrams(ids, marked)
			continue
		}
		// The n-grams of "<w>" are substrings between rune boundaries.
		offsets = offsets[:0]
		for i := range marked {
			offsets = append(offsets, i)
		}
		offsets = append(offsets, len(marked))
		runes := len(offsets) - 1
		for _, n := range f.ngrams {
			for i := 0; i+n <= runes; i++ {
				ids = append(ids, f.hash('c', marked[offsets[i]:offsets[i+n]]))
			}
		}
	}
	slices.Sort(ids)
	distinct := 0
	for i := range ids {
		if i == 0 || ids[i] != ids[i-1] {
			distinct++
		}
	}
	b := bag{ids: make([]uint32, 0, distinct), counts: make([]float32, 0, distinct)}
	for i := 0; i < len(ids); {
		j := i + 1
		for j < len(ids) && ids[j] == ids[i] {
			j++
		}
		b.ids = append(b.ids, ids[i])
		b.counts = append(b.counts, float32(j-i))
		i = j
	}
	return b
}

// runeNGrams appends the ids of the character n-grams of marked taken as
// runes, for text that is not valid UTF-8.
func (f *featurizer) runeNGrams(ids []uint32, marked string) []uint32 {
	rs := []rune(marked)
	for _, n := range f.ngrams {
		for i := 0; i+n <= len(rs); i++ {
			ids = append(ids, f.hash('c', string(rs[i:i+n])))
		}
	}
	return ids
}
