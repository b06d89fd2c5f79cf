package dualenc

import (
	"hash/fnv"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xlbench/xlbench/builtin/tokenize"
)

// referenceFeatures is the featurizer as first written (a map of counts,
// hash/fnv, []rune n-grams): what features must equal, bit for bit
// (TestFeaturesMatchReference).
func (f *featurizer) referenceFeatures(role, text string) bag {
	hash := func(kind byte, s string) uint32 {
		h := fnv.New64a()
		h.Write([]byte{kind})
		h.Write([]byte(s))
		return uint32(h.Sum64() % uint64(f.buckets))
	}
	counts := map[uint32]float32{hash('r', role): 1}
	for _, w := range f.tok.Tokens(text) {
		counts[hash('w', w)]++
		rs := []rune("<" + w + ">")
		for _, n := range f.ngrams {
			for i := 0; i+n <= len(rs); i++ {
				counts[hash('c', string(rs[i:i+n]))]++
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

// TestFeaturesMatchReference: the featurizer gives the ids and counts of
// the reference, bit for bit, for words in many scripts, repeated words
// and n-grams, invalid UTF-8, every n-gram size and tiny bucket counts
// (where features collide).
func TestFeaturesMatchReference(t *testing.T) {
	texts := []string{
		"", "a", "The the THE cat sat on the mat, the cat!",
		"Когда открыли мост? Мост открыли в 1932 году.",
		"北京是中华人民共和国的首都。", "กรุงเทพมหานครเป็นเมืองหลวง", "مرحبا بالعالم العربي",
		"Ἀθῆναι ὀδός", "naïve café résumé ﬁle", "emoji 🙂🙂 mixed",
		"bad \xff\xfe bytes \xc3( here", strings.Repeat("word ", 300),
	}
	for _, buckets := range []uint32{7, 1 << 10, 262144} {
		for _, ngrams := range [][]int{{3, 4}, {1, 2, 3, 4, 5, 6, 7, 8}, {}} {
			f := &featurizer{buckets: buckets, ngrams: ngrams, tok: tokenize.New(2)}
			for _, role := range []string{"query", "passage"} {
				for _, text := range texts {
					want, got := f.referenceFeatures(role, text), f.features(role, text)
					if diff := cmp.Diff([]any{want.ids, want.counts}, []any{got.ids, got.counts}); diff != "" {
						t.Fatalf("buckets %d, n-grams %v, %s %q (-reference +features):\n%s", buckets, ngrams, role, text, diff)
					}
				}
			}
		}
	}
}

// benchText is a SQuAD-like passage of 34 words.
const benchText = "The Normans were the people who in the 10th and 11th centuries gave their name to Normandy, a region in France. " +
	"They were descended from Norse raiders and pirates from Denmark, Iceland and Norway."

// BenchmarkFeatures and BenchmarkReferenceFeatures: the featurizer against
// the reference it replaced, on one passage.
func BenchmarkFeatures(b *testing.B) { benchmarkFeaturizer(b, (*featurizer).features) }

func BenchmarkReferenceFeatures(b *testing.B) {
	benchmarkFeaturizer(b, (*featurizer).referenceFeatures)
}

func benchmarkFeaturizer(b *testing.B, features func(*featurizer, string, string) bag) {
	f := &featurizer{buckets: 262144, ngrams: []int{3, 4}, tok: tokenize.New(2)}
	for b.Loop() {
		features(f, "passage", benchText)
	}
}
