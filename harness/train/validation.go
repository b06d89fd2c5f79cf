package train

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/xlbench/xlbench/harness/dataset"
	"github.com/xlbench/xlbench/harness/results"
	"github.com/xlbench/xlbench/plugins"
)

// ValidationTemperature is the softmax temperature of the validation loss.
// It is fixed, not the encoder's own, so that validation losses compare
// across encoders and runs; it is that of the built-in dual encoder.
const ValidationTemperature = 0.05

// ValidationPair is one held-out training pair: a query and its positive
// passage, taken from a group that is not trained on.
type ValidationPair struct {
	Key                    string
	QueryLang, PassageLang string
	Query, Passage         string
}

// ValidationPoint is a stored validation measurement.
type ValidationPoint = results.ValidationPoint

// unitHash maps s to [0, 1), uniformly and stable across runs and
// machines (a cryptographic hash: keys that differ in one character must
// not land close together).
func unitHash(s string) float64 {
	h := sha256.Sum256([]byte(s))
	return float64(binary.BigEndian.Uint64(h[:8])>>11) / (1 << 53)
}

// validationGroup is a group set aside for the validation loss, with the
// languages it has outside the held-out ones.
type validationGroup struct {
	corpus            string
	group             dataset.TrainGroup
	queries, passages []string
}

// pair picks one pair of the group, the same whatever the run: a
// uniformly hashed choice among the (query, passage) language pairs the
// group offers within langs (every language when langs is empty; for a
// translation group, two different languages), so the validation set mixes
// monolingual and cross-lingual pairs as the data does and favours no
// sampler. ok is false when the group offers no such pair.
func (v validationGroup) pair(langs []string) (p ValidationPair, ok bool) {
	in := func(l string) bool { return len(langs) == 0 || slices.Contains(langs, l) }
	var pairs [][2]string
	for _, q := range v.queries {
		for _, ps := range v.passages {
			if in(q) && in(ps) && (v.group.Kind != plugins.GroupTranslation || q != ps) {
				pairs = append(pairs, [2]string{q, ps})
			}
		}
	}
	if len(pairs) == 0 {
		return ValidationPair{}, false
	}
	g := v.group
	pick := pairs[int(unitHash(v.corpus+"\x01"+g.Key)*float64(len(pairs)))]
	return ValidationPair{Key: v.corpus + ":" + g.Key, QueryLang: pick[0], PassageLang: pick[1],
		Query: g.Queries[pick[0]], Passage: g.Passages[pick[1]]}, true
}

// ValidationPairs is the validation set of a sampler restricted to langs:
// one pair from each set-aside group that offers a pair with both sides in
// langs, drawn among those pairs. With no languages it is Validation. So
// a sampler is validated on the languages it trains in, and samplers with
// the same languages on the same pairs.
func (c *Corpus) ValidationPairs(langs []string) []ValidationPair {
	if len(langs) == 0 {
		return c.Validation
	}
	var out []ValidationPair
	for _, g := range c.validationGroups {
		if p, ok := g.pair(langs); ok {
			out = append(out, p)
		}
	}
	return out
}

// Embedder is what the validation loss needs of an encoder.
type Embedder interface {
	Encode(ctx context.Context, req plugins.EncodeRequest) (plugins.Vectors, error)
}

// ValidationLoss is the mean in-batch InfoNCE loss of the validation pairs,
// cut into consecutive batches of batchSize (a last, smaller batch
// included): for each query, −log softmax of its positive's score among the
// batch's passages at ValidationTemperature, scores the inner products the
// evaluation ranks by (dense plus sparse).
func ValidationLoss(ctx context.Context, enc Embedder, pairs []ValidationPair, batchSize int) (float64, error) {
	if len(pairs) == 0 {
		return math.NaN(), fmt.Errorf("no validation pairs")
	}
	queries, err := encodeSide(ctx, enc, plugins.RoleQuery, pairs)
	if err != nil {
		return 0, err
	}
	passages, err := encodeSide(ctx, enc, plugins.RolePassage, pairs)
	if err != nil {
		return 0, err
	}
	total := 0.0
	for lo := 0; lo < len(pairs); lo += batchSize {
		hi := min(lo+batchSize, len(pairs))
		for i := lo; i < hi; i++ {
			logits := make([]float64, 0, hi-lo)
			for j := lo; j < hi; j++ {
				logits = append(logits, queries[i].dot(passages[j])/ValidationTemperature)
			}
			total += logSumExp(logits) - logits[i-lo]
		}
	}
	return total / float64(len(pairs)), nil
}

func logSumExp(xs []float64) float64 {
	m := math.Inf(-1)
	for _, x := range xs {
		m = max(m, x)
	}
	s := 0.0
	for _, x := range xs {
		s += math.Exp(x - m)
	}
	return m + math.Log(s)
}

// vector is one encoded text: a dense part and a sparse part (either may
// be empty).
type vector struct {
	dense  []float32
	sparse map[uint64]float32
}

func (v vector) dot(w vector) float64 {
	s := 0.0
	for i := range min(len(v.dense), len(w.dense)) {
		s += float64(v.dense[i]) * float64(w.dense[i])
	}
	for t, x := range v.sparse {
		s += float64(x) * float64(w.sparse[t])
	}
	return s
}

// encodeSide encodes one side of the pairs, grouped by language as Encode
// takes them, and returns the vectors in pair order.
func encodeSide(ctx context.Context, enc Embedder, role plugins.Role, pairs []ValidationPair) ([]vector, error) {
	byLang := map[string][]int{}
	for i, p := range pairs {
		l := p.QueryLang
		if role == plugins.RolePassage {
			l = p.PassageLang
		}
		byLang[l] = append(byLang[l], i)
	}
	out := make([]vector, len(pairs))
	for _, lang := range sortedKeys(byLang) {
		idx := byLang[lang]
		for lo := 0; lo < len(idx); lo += 256 {
			chunk := idx[lo:min(lo+256, len(idx))]
			texts := make([]string, len(chunk))
			for k, i := range chunk {
				texts[k] = pairs[i].Query
				if role == plugins.RolePassage {
					texts[k] = pairs[i].Passage
				}
			}
			v, err := enc.Encode(ctx, plugins.EncodeRequest{Role: role, Lang: lang, Texts: texts})
			if err != nil {
				return nil, fmt.Errorf("validation: encoding %s %s texts: %w", lang, role, err)
			}
			if v.Count != len(texts) {
				return nil, fmt.Errorf("validation: %d vectors for %d texts", v.Count, len(texts))
			}
			for k, i := range chunk {
				var vec vector
				if v.Dim > 0 {
					vec.dense = v.Dense[k*v.Dim : (k+1)*v.Dim]
				}
				if v.Sparse != nil {
					vec.sparse = map[uint64]float32{}
					for t := v.Sparse.Offsets[k]; t < v.Sparse.Offsets[k+1]; t++ {
						vec.sparse[v.Sparse.Terms[t]] += v.Sparse.Weights[t]
					}
				}
				out[i] = vec
			}
		}
	}
	return out, nil
}
