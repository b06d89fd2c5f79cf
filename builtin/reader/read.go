package reader

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"

	"github.com/xlbench/xlbench/builtin/internal/parallel"
	"github.com/xlbench/xlbench/plugins"
)

// maxReadTokens caps the tokens read of one candidate.
const maxReadTokens = 512

// queries returns the question's start and end queries u = tanh(q·Us) and
// v = tanh(q·Ue).
func (r *Reader) queries(q *question) (u, v []float32) {
	qin, h := r.dim+1, r.hidden
	qrow := make([]float32, qin)
	r.questionRow(q, qrow)
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
			out[k] = float32(math.Tanh(float64(out[k])))
		}
		return out
	}
	return query(r.us), query(r.ue)
}

// logits returns the start and end logits of every token of p for question
// q: the graph's forward pass in plain Go (a test checks that they agree).
func (r *Reader) logits(q *question, p *passage) (starts, ends []float32) {
	in, h := 3*r.dim+numDense, r.hidden
	u, v := r.queries(q)
	n := len(p.toks)
	x := make([]float32, n*in)
	r.inputs(p, x)
	starts, ends = make([]float32, n), make([]float32, n)
	scale := r.alpha / float32(h)
	hid := make([]float32, h)
	for t := 0; t < n; t++ {
		clear(hid)
		for j, xv := range x[t*in : (t+1)*in] {
			if xv == 0 {
				continue
			}
			for k, w := range r.w[j*h : (j+1)*h] {
				hid[k] += xv * w
			}
		}
		var s, e float32
		for k := range hid {
			hk := float32(math.Tanh(float64(hid[k])))
			s += hk * u[k]
			e += hk * v[k]
		}
		starts[t], ends[t] = s*scale, e*scale
	}
	return starts, ends
}

// readCache keeps, per candidate text, what does not depend on the
// question: its tokens and the embedding part of its pre-activations
// (x_t · W over the embedding rows of W), and per question text its start
// and end queries u and v. Reading the same candidates for many questions
// then costs a small product per token. Train and Configure empty it.
type readCache struct {
	mu        sync.Mutex
	passages  map[string]*cachedPassage
	questions map[string]*cachedQuestion
}

type cachedPassage struct {
	p   *passage
	pre []float32 // len(toks) × hidden
}

type cachedQuestion struct {
	q    *question
	u, v []float32
}

func (r *Reader) cachedPassage(text string) *cachedPassage {
	r.cache.mu.Lock()
	cp, ok := r.cache.passages[text]
	r.cache.mu.Unlock()
	if ok {
		return cp
	}
	p := r.tokens(text, maxReadTokens)
	p.dense = make([][numDense]float32, len(p.toks)) // zero: the embedding part only
	in, h := 3*r.dim+numDense, r.hidden
	x := make([]float32, len(p.toks)*in)
	r.inputs(p, x)
	cp = &cachedPassage{p: p, pre: make([]float32, len(p.toks)*h)}
	for t := range p.toks {
		row := cp.pre[t*h : (t+1)*h]
		for j, xv := range x[t*in : t*in+3*r.dim] {
			if xv == 0 {
				continue
			}
			for k, w := range r.w[j*h : (j+1)*h] {
				row[k] += xv * w
			}
		}
	}
	r.cache.mu.Lock()
	r.cache.passages[text] = cp
	r.cache.mu.Unlock()
	return cp
}

func (r *Reader) cachedQuestion(text string) *cachedQuestion {
	r.cache.mu.Lock()
	cq, ok := r.cache.questions[text]
	r.cache.mu.Unlock()
	if ok {
		return cq
	}
	q := r.question(text)
	cq = &cachedQuestion{q: q}
	cq.u, cq.v = r.queries(q)
	r.cache.mu.Lock()
	r.cache.questions[text] = cq
	r.cache.mu.Unlock()
	return cq
}

// fastLogits is logits through the cache: the embedding part of each
// token's pre-activation comes cached, the question-dependent features are
// added here.
func (r *Reader) fastLogits(cq *cachedQuestion, cp *cachedPassage) (starts, ends []float32) {
	d3, h := 3*r.dim, r.hidden
	dense := denseFeatures(cp.p.toks, cq.q)
	n := len(cp.p.toks)
	starts, ends = make([]float32, n), make([]float32, n)
	scale := r.alpha / float32(h)
	hid := make([]float32, h)
	for t := 0; t < n; t++ {
		copy(hid, cp.pre[t*h:(t+1)*h])
		for j, f := range dense[t] {
			if f == 0 {
				continue
			}
			for k, w := range r.w[(d3+j)*h : (d3+j+1)*h] {
				hid[k] += f * w
			}
		}
		var s, e float32
		for k, hv := range hid {
			hk := float32(math.Tanh(float64(hv)))
			s += hk * cq.u[k]
			e += hk * cq.v[k]
		}
		starts[t], ends[t] = s*scale, e*scale
	}
	return starts, ends
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
func (r *Reader) Read(_ context.Context, queries []plugins.ReadQuery) ([]plugins.Answer, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.emb == nil {
		return nil, fmt.Errorf("Read called before Configure")
	}
	out := make([]plugins.Answer, len(queries))
	parallel.For(len(queries), func(i int) {
		qr := queries[i]
		cq := r.cachedQuestion(qr.Question)
		best := plugins.Answer{Score: math.Inf(-1)}
		for c, cand := range qr.Candidates {
			cp := r.cachedPassage(cand.Text)
			p := cp.p
			if len(p.toks) == 0 {
				continue
			}
			s, e := r.fastLogits(cq, cp)
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
// us, ue as little-endian float32s.
const checkpointMagic = "xlbench-reader-checkpoint v1\n"

type checkpointHeader struct {
	Version string `json:"version"`
	Dim     int    `json:"dim"`
	Hidden  int    `json:"hidden"`
	Buckets int    `json:"buckets"`
	Steps   int    `json:"steps"`
}

// Save writes the reader's weights to path atomically.
func (r *Reader) Save(_ context.Context, path string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.emb == nil {
		return fmt.Errorf("Save called before Configure")
	}
	hdr, _ := json.Marshal(checkpointHeader{Version: Version, Dim: r.dim, Hidden: r.hidden, Buckets: int(r.buckets), Steps: r.step})
	tmp, err := os.CreateTemp(filepath.Dir(path), ".reader-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	buf := []byte(checkpointMagic)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(hdr)))
	buf = append(buf, hdr...)
	for _, part := range [][]float32{r.emb, r.w, r.us, r.ue} {
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
	if h.Dim != r.dim || h.Hidden != r.hidden || h.Buckets != int(r.buckets) {
		return fmt.Errorf("checkpoint %s holds dim %d, hidden %d, buckets %d; the parameters ask for dim %d, hidden %d, buckets %d",
			path, h.Dim, h.Hidden, h.Buckets, r.dim, r.hidden, r.buckets)
	}
	body := raw[4+n:]
	parts := [][]float32{r.emb, r.w, r.us, r.ue}
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
	return nil
}
