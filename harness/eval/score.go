package eval

import (
	"fmt"
	"math"
	"slices"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/xlbench/xlbench/plugins"
	"github.com/xlbench/xlbench/plugins/sdk/parallel"
)

// vectors accumulates the encoder's output for a list of texts: dense,
// sparse, or both (a hybrid encoder).
type vectors struct {
	n      int
	dim    int
	dense  []float32
	sparse *plugins.SparseVectors
	// expect is how many vectors are coming in all, when known: the dense
	// part is sized for them at the first block rather than grown block by
	// block (copying and clearing the pooled candidates' 13 MB again and
	// again cost a fifth of a dense evaluation's encoding).
	expect int
}

func (v *vectors) add(b plugins.Vectors) error {
	if v.n > 0 && (b.Sparse != nil) != (v.sparse != nil) {
		return fmt.Errorf("encoder mixed vector kinds: sparse part present in some blocks only")
	}
	if v.n > 0 && b.Dim != v.dim {
		return fmt.Errorf("encoder changed dimension from %d to %d", v.dim, b.Dim)
	}
	if b.Sparse == nil && b.Dim == 0 && b.Count > 0 {
		return fmt.Errorf("encoder returned neither dense nor sparse vectors")
	}
	if b.Sparse != nil && !allFinite(b.Sparse.Weights) {
		return fmt.Errorf("encoder returned a non-finite weight")
	}
	if !allFinite(b.Dense) {
		return fmt.Errorf("encoder returned a non-finite vector component")
	}
	if b.Sparse != nil {
		if v.sparse == nil {
			v.sparse = &plugins.SparseVectors{Offsets: []uint32{0}}
		}
		base := uint32(len(v.sparse.Terms))
		v.sparse.Terms = append(v.sparse.Terms, b.Sparse.Terms...)
		v.sparse.Weights = append(v.sparse.Weights, b.Sparse.Weights...)
		for _, off := range b.Sparse.Offsets[1:] {
			v.sparse.Offsets = append(v.sparse.Offsets, base+off)
		}
	}
	v.dim = b.Dim
	if want := v.expect * b.Dim; len(b.Dense) > 0 && cap(v.dense) < want {
		v.dense = slices.Grow(v.dense, want-len(v.dense))
	}
	v.dense = append(v.dense, b.Dense...)
	v.n += b.Count
	return nil
}

// allFinite reports whether no value is NaN or ±Inf: a float32 is one of
// those exactly when its exponent bits are all ones (one test per value,
// where IsNaN and IsInf on a float64 took four).
func allFinite(fs []float32) bool {
	for _, f := range fs {
		if math.Float32bits(f)&0x7f800000 == 0x7f800000 {
			return false
		}
	}
	return true
}

// scorer scores query blocks against one fixed set of candidate vectors.
type scorer interface {
	// scores returns the (hi−lo)×candidates score matrix, row-major, for
	// queries [lo, hi) of q, in buf's storage when it is large enough (a
	// block is tens of megabytes: allocating and clearing one per query
	// language cost a tenth of a dense evaluation).
	scores(q *vectors, lo, hi int, buf []float32) []float32
	size() int
}

func newScorer(c *vectors) scorer {
	switch {
	case c.sparse != nil && c.dim > 0:
		return hybridScorer{&denseScorer{c: c}, newInvertedIndex(c)}
	case c.sparse != nil:
		return newInvertedIndex(c)
	}
	return &denseScorer{c: c}
}

// hybridScorer scores hybrid vectors: the dense inner product plus the
// sparse one.
type hybridScorer struct {
	dense  *denseScorer
	sparse *invertedIndex
}

func (h hybridScorer) size() int { return h.dense.size() }

func (h hybridScorer) scores(q *vectors, lo, hi int, buf []float32) []float32 {
	out := h.dense.scores(q, lo, hi, buf)
	h.sparse.addScores(q, lo, hi, out, false)
	return out
}

// denseScorer takes inner products with one matrix multiply per block.
// Encoders that want cosine similarity return unit vectors.
type denseScorer struct {
	c     *vectors
	once  sync.Once
	pairs []float32 // c packed for the AVX-512 kernel, made on first use
}

func (d *denseScorer) size() int { return d.c.n }

func (d *denseScorer) scores(q *vectors, lo, hi int, buf []float32) []float32 {
	nq, nc, dim := hi-lo, d.c.n, d.c.dim
	out := resized(buf, nq*nc)
	if nq == 0 || nc == 0 || dim == 0 {
		clear(out)
		return out
	}
	// Both paths below write every entry.
	d.once.Do(func() {
		if haveKernel512 && dim%8 == 0 {
			d.pairs = packPairs(d.c.dense, nc, dim)
		}
	})
	if innerProducts(q.dense[lo*dim:hi*dim], d.c.dense, d.pairs, nq, nc, dim, out) {
		return out
	}
	blas32.Gemm(blas.NoTrans, blas.Trans, 1,
		blas32.General{Rows: nq, Cols: dim, Stride: dim, Data: q.dense[lo*dim : hi*dim]},
		blas32.General{Rows: nc, Cols: dim, Stride: dim, Data: d.c.dense},
		0, blas32.General{Rows: nq, Cols: nc, Stride: nc, Data: out})
	return out
}

// invertedIndex scores sparse queries by walking the postings of their terms.
type invertedIndex struct {
	n        int
	postings map[uint64][]posting
}

type posting struct {
	doc    int32
	weight float32
}

func newInvertedIndex(c *vectors) *invertedIndex {
	ix := &invertedIndex{n: c.n, postings: map[uint64][]posting{}}
	s := c.sparse
	for d := 0; d < c.n; d++ {
		for k := s.Offsets[d]; k < s.Offsets[d+1]; k++ {
			ix.postings[s.Terms[k]] = append(ix.postings[s.Terms[k]], posting{int32(d), s.Weights[k]})
		}
	}
	return ix
}

func (ix *invertedIndex) size() int { return ix.n }

func (ix *invertedIndex) scores(q *vectors, lo, hi int, buf []float32) []float32 {
	out := resized(buf, (hi-lo)*ix.n)
	ix.addScores(q, lo, hi, out, true)
	return out
}

// resized returns n floats in buf's storage when it holds them, else new
// ones; their values are left as they were.
func resized(buf []float32, n int) []float32 {
	if cap(buf) >= n {
		return buf[:n]
	}
	return make([]float32, n)
}

// addScores adds the sparse scores of queries [lo, hi) to out, or with
// fresh, sets out to them: each row is cleared where it is filled, on every
// core, while it is in cache.
func (ix *invertedIndex) addScores(q *vectors, lo, hi int, out []float32, fresh bool) {
	parallel.For(hi-lo, func(i int) {
		row := out[i*ix.n : (i+1)*ix.n]
		if fresh {
			clear(row)
		}
		s := q.sparse
		for k := s.Offsets[lo+i]; k < s.Offsets[lo+i+1]; k++ {
			w := s.Weights[k]
			for _, p := range ix.postings[s.Terms[k]] {
				row[p.doc] += w * p.weight
			}
		}
	})
}

// firstPanic carries the first panic of a worker goroutine to the goroutine
// that waits for the workers, where the cell's recover can catch it (a panic
// left in a worker would end the process).
type firstPanic struct {
	mu sync.Mutex
	v  any
}

// keep records p if it is a panic (non-nil) and the first; it reports
// whether p is one.
func (f *firstPanic) keep(p any) bool {
	if p == nil {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.v == nil {
		f.v = p
	}
	return true
}

func (f *firstPanic) rethrow() {
	if f.v != nil {
		panic(f.v)
	}
}
