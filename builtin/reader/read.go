package reader

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/chewxy/math32"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/xlbench/xlbench/plugins"
	"github.com/xlbench/xlbench/plugins/sdk/parallel"
)

// maxReadTokens caps the tokens read of one candidate.
const maxReadTokens = 512

// queries returns the question's start and end queries u = tanh(q·Us) and
// v = tanh(q·Ue); an agnostic question row has no embedding part.
func (r *Reader) queries(q *question, agnostic bool) (u, v []float32) {
	qin, h := r.qin(), r.hidden
	qrow := make([]float32, qin)
	r.questionRow(q, qrow, agnostic)
	query := func(m []float32) []float32 {
		out := make([]float32, h)
		for j := 0; j < qin; j++ {
			if qrow[j] == 0 {
				continue
			}
			for k, w := range m[j*h : (j+1)*h] {
				out[k] += qrow[j] * w
			}
		}
		for k := range out {
			out[k] = math32.Tanh(out[k])
		}
		return out
	}
	return query(r.m.us), query(r.m.ue)
}

// addRows adds x·M to out for n rows of x (width cols) and M (cols × h),
// skipping zeros (most input features are).
func addRows(out, x, m []float32, n, cols, h int) {
	for t := 0; t < n; t++ {
		row := out[t*h : (t+1)*h]
		for j, xv := range x[t*cols : (t+1)*cols] {
			if xv == 0 {
				continue
			}
			for k, w := range m[j*h : (j+1)*h] {
				row[k] += xv * w
			}
		}
	}
}

// contextualLogits takes the n tokens' pre-activations x_t·W and returns
// their start and end logits: the graph's forward pass in plain Go (a test
// checks that they agree), its matrix products through gonum's BLAS.
func (r *Reader) contextualLogits(pre []float32, n int, u, v []float32) (starts, ends []float32) {
	return r.spanLogits(r.contexts(pre, n), n, u, v)
}

// contexts takes the n tokens' pre-activations x_t·W and returns their
// contextual rows tanh(z_t), which do not depend on the question's queries.
func (r *Reader) contexts(pre []float32, n int) []float32 {
	sc := scratches.Get().(*scratch)
	defer scratches.Put(sc)
	return r.contextsWith(pre, n, sc)
}

// scratch holds the arrays a read uses and drops, kept from read to read
// (scratches): allocated afresh they were most of what the reader process
// allocated while reading, and its garbage collection the largest part of
// its CPU after the arithmetic. Every element is written before it is
// read, so what they held before changes nothing.
type scratch struct{ pre, flat, hid, att, ctx []float32 }

var scratches = sync.Pool{New: func() any { return new(scratch) }}

// sized returns buf with length n, reallocated only when too small.
func sized(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n)
	}
	return buf[:n]
}

// contextsWith is contexts with its temporary arrays from sc.
func (r *Reader) contextsWith(pre []float32, n int, sc *scratch) []float32 {
	h := r.hidden
	mat := func(rows, cols int, data []float32) blas32.General {
		return blas32.General{Rows: rows, Cols: cols, Stride: cols, Data: data}
	}
	sc.hid = sized(sc.hid, n*h)
	hid := sc.hid
	for i, x := range pre[:n*h] {
		hid[i] = math32.Tanh(x)
	}
	// Self-attention over the passage: c_t = Σ_k softmax_k(h_t·h_k/√H) h_k.
	// (Gemm with β = 0 sets its output; it does not add to it.)
	sc.att = sized(sc.att, n*n)
	att := sc.att
	blas32.Gemm(blas.NoTrans, blas.Trans, float32(1/math.Sqrt(float64(h))), mat(n, h, hid), mat(n, h, hid), 0, mat(n, n, att))
	for t := 0; t < n; t++ {
		row := att[t*n : (t+1)*n]
		top := math.Inf(-1)
		for _, x := range row {
			top = max(top, float64(x))
		}
		sum := 0.0
		for k, x := range row {
			e := math.Exp(float64(x) - top)
			row[k] = float32(e)
			sum += e
		}
		for k := range row {
			row[k] = float32(float64(row[k]) / sum)
		}
	}
	sc.ctx = sized(sc.ctx, n*h)
	ctx := sc.ctx
	blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, mat(n, n, att), mat(n, h, hid), 0, mat(n, h, ctx))
	// z_t = tanh(h_t·A + c_t·C); z is kept (readCache), so it is new.
	z := make([]float32, n*h)
	blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, mat(n, h, hid), mat(h, h, r.m.a), 0, mat(n, h, z))
	blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, mat(n, h, ctx), mat(h, h, r.m.c), 1, mat(n, h, z))
	for i, zv := range z {
		z[i] = math32.Tanh(zv)
	}
	return z
}

// spanLogits returns the start and end logits of n tokens from their
// contextual rows tz and the question's queries u and v.
func (r *Reader) spanLogits(tz []float32, n int, u, v []float32) (starts, ends []float32) {
	h := r.hidden
	starts, ends = make([]float32, n), make([]float32, n)
	scale := r.alpha / float32(h)
	for t := 0; t < n; t++ {
		var s, e float32
		for k, zk := range tz[t*h : (t+1)*h] {
			s += zk * u[k]
			e += zk * v[k]
		}
		starts[t], ends[t] = s*scale, e*scale
	}
	return starts, ends
}

// logits returns the start and end logits of every token of p for question
// q, with or without the embeddings of each.
func (r *Reader) logits(q *question, p *passage, agnosticQ, agnosticP bool) (starts, ends []float32) {
	in, h := 3*r.dim+numDense, r.hidden
	u, v := r.queries(q, agnosticQ)
	n := len(p.toks)
	x := make([]float32, n*in)
	r.inputs(p, x, agnosticP)
	pre := make([]float32, n*h)
	addRows(pre, x, r.m.w, n, in, h)
	return r.contextualLogits(pre, n, u, v)
}

// readCache keeps, per candidate text, what does not depend on the
// question: its tokens and the embedding part of its pre-activations
// (x_t · W over the embedding rows of W), and per question text its start
// and end queries u and v. The question reaches a passage's contextual
// rows only through which of its tokens match the question
// (questionMatch), and most questions that retrieve a candidate, in
// another language above all, match it alike: so the contextual rows of
// each (passage, match) read are kept too, and a read whose match was seen
// costs two dot products per token. Train and Configure empty it.
type readCache struct {
	mu        sync.Mutex
	passages  map[cacheKey]*cachedPassage
	questions map[cacheKey]*cachedQuestion
	// Contextual rows in two generations, young and old, each holding up
	// to maxCachedContexts/2 floats: a row found old moves to young, and
	// when young is full the old generation is dropped and young becomes
	// old. Reads of a candidate come in bursts (one cell's pools, all
	// retrieving it), so what is dropped is what has not been read for
	// the longest, without the bookkeeping of an exact LRU. Dropping
	// costs time only: a row is recomputed bit for bit.
	young, old   map[contextKey][]float32
	youngFloats  int
	budget       int // floats in both generations: maxCachedContexts
	hits, misses int
}

// contextKey is a passage (its cache entry) and a questionMatch of its
// tokens.
type contextKey struct {
	p     *cachedPassage
	match string
}

// maxCachedContexts bounds the floats of contextual rows a reader keeps
// (512 MB).
const maxCachedContexts = 128 << 20

// cacheKey is a text and whether it is read without embeddings.
type cacheKey struct {
	text     string
	agnostic bool
}

type cachedPassage struct {
	p   *passage
	pre []float32 // len(toks) × hidden
}

type cachedQuestion struct {
	q    *question
	u, v []float32
}

func (r *Reader) cachedPassage(text string, agnostic bool) *cachedPassage {
	key := cacheKey{text, agnostic}
	r.cache.mu.Lock()
	cp, ok := r.cache.passages[key]
	r.cache.mu.Unlock()
	if ok {
		return cp
	}
	p := r.tokens(text, maxReadTokens)
	p.dense = make([][numDense]float32, len(p.toks)) // zero: the embedding part only
	in, h := 3*r.dim+numDense, r.hidden
	x := make([]float32, len(p.toks)*in)
	r.inputs(p, x, agnostic)
	cp = &cachedPassage{p: p, pre: make([]float32, len(p.toks)*h)}
	if n := len(p.toks); n > 0 {
		blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, blas32.General{Rows: n, Cols: in, Stride: in, Data: x},
			blas32.General{Rows: in, Cols: h, Stride: h, Data: r.m.w}, 0, blas32.General{Rows: n, Cols: h, Stride: h, Data: cp.pre})
	}
	r.cache.mu.Lock()
	r.cache.passages[key] = cp
	r.cache.mu.Unlock()
	return cp
}

func (r *Reader) cachedQuestion(text string, agnostic bool) *cachedQuestion {
	key := cacheKey{text, agnostic}
	r.cache.mu.Lock()
	cq, ok := r.cache.questions[key]
	r.cache.mu.Unlock()
	if ok {
		return cq
	}
	q := r.question(text)
	cq = &cachedQuestion{q: q}
	cq.u, cq.v = r.queries(q, agnostic)
	r.cache.mu.Lock()
	r.cache.questions[key] = cq
	r.cache.mu.Unlock()
	return cq
}

// preActivations adds the dense features of the passage under match qm to
// its cached embedding part.
func (r *Reader) preActivations(cp *cachedPassage, qm []byte) []float32 {
	return r.preActivationsWith(cp, qm, new(scratch))
}

// preActivationsWith is preActivations in sc's arrays: the result is
// sc.pre.
func (r *Reader) preActivationsWith(cp *cachedPassage, qm []byte, sc *scratch) []float32 {
	d3, h := 3*r.dim, r.hidden
	dense := denseFromMatch(cp.p.toks, qm)
	n := len(cp.p.toks)
	sc.pre = sized(sc.pre, len(cp.pre))
	pre := sc.pre
	copy(pre, cp.pre)
	sc.flat = sized(sc.flat, n*numDense)
	flat := sc.flat
	for t := range dense {
		copy(flat[t*numDense:], dense[t][:])
	}
	addRows(pre, flat, r.m.w[d3*h:], n, numDense, h)
	return pre
}

// readLogits returns the logits of cq on cp through the cache: the
// embedding part of each token's pre-activation comes cached, the dense
// features are added, and the contextual rows are kept per question match
// (see readCache). A test checks them bit for bit against computing every
// read.
func (r *Reader) readLogits(cq *cachedQuestion, cp *cachedPassage) (starts, ends []float32) {
	n := len(cp.p.toks)
	qm := questionMatch(cp.p.toks, cq.q)
	key := contextKey{cp, string(qm)}
	tz, ok := r.cache.context(key)
	if !ok {
		sc := scratches.Get().(*scratch)
		tz = r.contextsWith(r.preActivationsWith(cp, qm, sc), n, sc)
		scratches.Put(sc)
		r.cache.keep(key, tz)
	}
	return r.spanLogits(tz, n, cq.u, cq.v)
}

// context returns the contextual rows kept for key, moving them to the
// young generation when they were old.
func (c *readCache) context(key contextKey) ([]float32, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if tz, ok := c.young[key]; ok {
		c.hits++
		return tz, true
	}
	if tz, ok := c.old[key]; ok {
		c.hits++
		delete(c.old, key)
		c.addYoung(key, tz)
		return tz, true
	}
	c.misses++
	return nil, false
}

// keep keeps the contextual rows tz of key.
func (c *readCache) keep(key contextKey, tz []float32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.young[key]; !ok {
		c.addYoung(key, tz)
	}
}

func (c *readCache) addYoung(key contextKey, tz []float32) {
	if c.youngFloats+len(tz) > c.budget/2 {
		c.old, c.young, c.youngFloats = c.young, map[contextKey][]float32{}, 0
	}
	c.young[key] = tz
	c.youngFloats += len(tz)
}

// bestSpan returns the span (i ≤ j < i + maxAnswer) with the highest
// start + end logit.
func bestSpan(starts, ends []float32, maxAnswer int) (i, j int, score float32) {
	score = float32(math.Inf(-1))
	for a := range starts {
		for b := a; b < len(ends) && b < a+maxAnswer; b++ {
			if s := starts[a] + ends[b]; s > score {
				i, j, score = a, b, s
			}
		}
	}
	return i, j, score
}

// Read answers each query with the best span over its candidates.
func (r *Reader) Read(_ context.Context, req plugins.ReadRequest) ([]plugins.Answer, error) {
	queries := req.Queries
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.emb == nil {
		return nil, fmt.Errorf("Read called before Configure")
	}
	out := make([]plugins.Answer, len(queries))
	parallel.For(len(queries), func(i int) {
		qr := queries[i]
		cq := r.cachedQuestion(qr.Question, r.agnostic(r.qLangs, qr.Lang))
		best := plugins.Answer{Score: math.Inf(-1)}
		for c, cand := range qr.Candidates {
			cp := r.cachedPassage(cand.Text, r.agnostic(r.pLangs, cand.Lang))
			p := cp.p
			if len(p.toks) == 0 {
				continue
			}
			s, e := r.readLogits(cq, cp)
			a, b, score := bestSpan(s, e, r.maxAnswer)
			if float64(score) > best.Score {
				rs := []rune(cand.Text)
				best = plugins.Answer{Candidate: c, Start: p.toks[a].start, Text: string(rs[p.toks[a].start:p.toks[b].end]), Score: float64(score)}
			}
		}
		if math.IsInf(best.Score, -1) {
			best.Score = 0 // no candidate had a token: an empty answer
		}
		out[i] = best
	})
	return out, nil
}

// Checkpoint file: the magic line, a little-endian uint32 length and that
// many bytes of JSON header, then the embedding table and the matrices w,
// a, c, us, ue as little-endian float32s.
const checkpointMagic = "xlbench-reader-checkpoint v2\n"

type checkpointHeader struct {
	Version string `json:"version"`
	Dim     int    `json:"dim"`
	Hidden  int    `json:"hidden"`
	Buckets int    `json:"buckets"`
	Steps   int    `json:"steps"`
	// Trained is how many of a row's Dim columns train; absent: all.
	Trained int `json:"trained,omitempty"`
	// The languages of the training questions and passages.
	QuestionLanguages []string `json:"question_languages"`
	PassageLanguages  []string `json:"passage_languages"`
}

// Save writes the reader's weights to path atomically.
func (r *Reader) Save(_ context.Context, req plugins.SaveRequest) error {
	path := req.Path
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.emb == nil {
		return fmt.Errorf("Save called before Configure")
	}
	trained := r.trained
	if trained == r.dim {
		trained = 0 // as before there was a base: every column trains
	}
	hdr, _ := json.Marshal(checkpointHeader{Version: Version, Dim: r.dim, Hidden: r.hidden, Buckets: int(r.buckets), Steps: r.step, Trained: trained,
		QuestionLanguages: slices.Sorted(maps.Keys(r.qLangs)), PassageLanguages: slices.Sorted(maps.Keys(r.pLangs))})
	tmp, err := os.CreateTemp(filepath.Dir(path), ".reader-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	buf := []byte(checkpointMagic)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(hdr)))
	buf = append(buf, hdr...)
	for _, part := range append([][]float32{r.emb}, r.m.all()...) {
		for _, f := range part {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(f))
		}
	}
	if _, err := tmp.Write(buf); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// load reads a checkpoint written by Save; its shape must match the
// configured parameters.
func (r *Reader) load(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if !bytes.HasPrefix(raw, []byte(checkpointMagic)) || len(raw) < len(checkpointMagic)+4 {
		return fmt.Errorf("checkpoint %s: not a reader checkpoint", path)
	}
	raw = raw[len(checkpointMagic):]
	n := int(binary.LittleEndian.Uint32(raw))
	if n > len(raw)-4 {
		return fmt.Errorf("checkpoint %s: bad header", path)
	}
	var h checkpointHeader
	if err := json.Unmarshal(raw[4:4+n], &h); err != nil {
		return fmt.Errorf("checkpoint %s: header: %w", path, err)
	}
	if h.Trained == 0 {
		h.Trained = h.Dim
	}
	if h.Dim != r.dim || h.Trained != r.trained || h.Hidden != r.hidden || h.Buckets != int(r.buckets) {
		return fmt.Errorf("checkpoint %s holds rows of %d columns (%d trained), hidden %d, buckets %d; the parameters ask for %d columns (%d trained: dim, and base_dims with base), hidden %d, buckets %d",
			path, h.Dim, h.Trained, h.Hidden, h.Buckets, r.dim, r.trained, r.hidden, r.buckets)
	}
	body := raw[4+n:]
	parts := append([][]float32{r.emb}, r.m.all()...)
	total := 0
	for _, part := range parts {
		total += len(part)
	}
	if len(body) != 4*total {
		return fmt.Errorf("checkpoint %s: %d bytes of weights, want %d", path, len(body), 4*total)
	}
	for _, part := range parts {
		for i := range part {
			part[i] = math.Float32frombits(binary.LittleEndian.Uint32(body))
			body = body[4:]
		}
	}
	r.step = h.Steps
	r.qLangs, r.pLangs = map[string]bool{}, map[string]bool{}
	for _, l := range h.QuestionLanguages {
		r.qLangs[l] = true
	}
	for _, l := range h.PassageLanguages {
		r.pLangs[l] = true
	}
	return nil
}
