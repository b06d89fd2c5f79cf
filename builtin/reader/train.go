package reader

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/xlbench/xlbench/builtin/internal/adam"
	"github.com/xlbench/xlbench/plugins"
	"github.com/xlbench/xlbench/plugins/sdk/parallel"
)

// example is a training example ready for the graph: the gold answer's
// first and last token.
type example struct {
	q          *question
	p          *passage
	start, end int
	// dropQ and dropP read the question and the passage without their
	// embeddings in the current step (lexical dropout).
	dropQ, dropP bool
}

// align finds the tokens the answer [start, start+len(answer)) begins and
// ends in; ok is false when the answer lies outside the kept tokens.
func align(p *passage, start, length int) (s, e int, ok bool) {
	s, e = -1, -1
	end := start + length
	for i, t := range p.toks {
		if s < 0 && t.end > start {
			s = i
		}
		if t.start < end {
			e = i
		}
	}
	return s, e, s >= 0 && e >= s && length > 0 && p.toks[s].start < end
}

// Train trains on the examples for the configured number of epochs and
// returns the loss of every step. Examples whose answer cannot be placed on
// token boundaries within max_tokens are skipped; none left is an error.
func (r *Reader) Train(ctx context.Context, req plugins.TrainReaderRequest) (plugins.TrainReaderResult, error) {
	loss, err := r.train(ctx, req.Examples)
	return plugins.TrainReaderResult{Loss: loss}, err
}

func (r *Reader) train(ctx context.Context, examples []plugins.ReadingExample) ([]float32, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.emb == nil {
		return nil, fmt.Errorf("Train called before Configure")
	}
	defer r.resetCache() // the weights change
	prepared := make([]*example, len(examples))
	parallel.For(len(examples), func(i int) {
		ex := examples[i]
		q := r.question(ex.Question)
		p := r.passage(ex.Passage, q, r.maxTokens)
		if s, e, ok := align(p, ex.AnswerStart, len([]rune(ex.Answer))); ok && e-s < r.maxAnswer {
			prepared[i] = &example{q: q, p: p, start: s, end: e}
		}
	})
	prepared = slices.DeleteFunc(prepared, func(e *example) bool { return e == nil })
	if len(prepared) == 0 {
		return nil, fmt.Errorf("none of the %d training examples has an answer on token boundaries within %d tokens", len(examples), r.maxTokens)
	}
	for _, ex := range examples {
		ql := ex.QuestionLang
		if ql == "" {
			ql = ex.Lang
		}
		r.qLangs[ql], r.pLangs[ex.Lang] = true, true
	}
	rng := rand.New(rand.NewPCG(r.seed, 0x7472))
	n := len(prepared)
	steps := int(math.Ceil(r.epochs * float64(n) / float64(r.batch)))
	var batches [][]*example
	losses := make([]float32, 0, steps)
	for s := 0; s < steps; s++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if len(batches) == 0 {
			batches = r.epochBatches(prepared, rng)
		}
		for _, ex := range batches[0] {
			ex.dropQ, ex.dropP = rng.Float64() < r.dropout, rng.Float64() < r.dropout
		}
		loss, err := r.trainBatch(batches[0])
		if err != nil {
			return nil, fmt.Errorf("step %d: %w", s+1, err)
		}
		batches = batches[1:]
		losses = append(losses, loss)
	}
	return losses, nil
}

// epochBatches deals one epoch of examples into batches of similar length,
// so that little of a batch is padding: the shuffled examples are cut into
// runs of 64 batches, each run sorted by length and dealt out, and the
// batches shuffled again.
func (r *Reader) epochBatches(exs []*example, rng *rand.Rand) [][]*example {
	order := rng.Perm(len(exs))
	var out [][]*example
	run := 64 * r.batch
	for lo := 0; lo < len(order); lo += run {
		idx := order[lo:min(lo+run, len(order))]
		slices.SortStableFunc(idx, func(a, b int) int { return len(exs[a].p.toks) - len(exs[b].p.toks) })
		for b := 0; b < len(idx); b += r.batch {
			var batch []*example
			for _, i := range idx[b:min(b+r.batch, len(idx))] {
				batch = append(batch, exs[i])
			}
			out = append(out, batch)
		}
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// bagMean adds the mean of the rows of ids to out, in columns [lo, hi).
func (r *Reader) bagMean(ids []uint32, out []float32, lo, hi int) {
	d := r.dim
	inv := 1 / float32(len(ids))
	for _, id := range ids {
		row := r.emb[int(id)*d+lo : int(id)*d+hi]
		for k, v := range row {
			out[lo+k] += v * inv
		}
	}
}

// untrained is the first column a text read without its embeddings
// (agnostic) keeps: the base's, which every language has; none without a
// base.
func (r *Reader) untrained(agnostic bool) int {
	if agnostic {
		return r.trained
	}
	return 0
}

// inputs builds the graph's rows for a passage: len(toks) rows of
// [e_{t−1} e_t e_{t+1} dense], written into x; agnostic leaves the
// trained columns of the embeddings zero.
func (r *Reader) inputs(p *passage, x []float32, agnostic bool) {
	d, in := r.dim, 3*r.dim+numDense
	n := len(p.toks)
	emb := make([]float32, n*d)
	if lo := r.untrained(agnostic); lo < d {
		for t := range p.toks {
			r.bagMean(p.ids[t], emb[t*d:(t+1)*d], lo, d)
		}
	}
	for t := 0; t < n; t++ {
		row := x[t*in : (t+1)*in]
		if t > 0 {
			copy(row[:d], emb[(t-1)*d:t*d])
		}
		copy(row[d:2*d], emb[t*d:(t+1)*d])
		if t+1 < n {
			copy(row[2*d:3*d], emb[(t+1)*d:(t+2)*d])
		}
		copy(row[3*d:], p.dense[t][:])
	}
}

// questionRow writes the question's row: its feature bag and its type bag
// (without their trained columns when agnostic), and the constant 1. Type
// features are hashed apart from the base's features, so the type bag
// has trained columns only.
func (r *Reader) questionRow(q *question, out []float32, agnostic bool) {
	if lo := r.untrained(agnostic); len(q.ids) > 0 && lo < r.dim {
		r.bagMean(q.ids, out[:r.dim], lo, r.dim)
	}
	if !agnostic && len(q.typeIDs) > 0 {
		r.bagMean(q.typeIDs, out[r.dim:2*r.dim], 0, r.trained)
	}
	out[2*r.dim] = 1
}

func (r *Reader) trainBatch(batch []*example) (float32, error) {
	b := len(batch)
	l := 0
	for _, ex := range batch {
		l = max(l, len(ex.p.toks))
	}
	l = (l + 7) / 8 * 8 // few graph shapes
	d, in, qin, h := r.dim, 3*r.dim+numDense, r.qin(), r.hidden
	st := r.steps[[2]int{b, l}]
	if st == nil {
		st = newSpanStep(b, l, in, qin, h, r.alpha)
		r.steps[[2]int{b, l}] = st
	}
	x := make([]float32, b*l*in)
	q := make([]float32, b*qin)
	mask := make([]float32, b*l)
	starts, ends := make([]int, b), make([]int, b)
	parallel.For(b, func(i int) {
		ex := batch[i]
		r.inputs(ex.p, x[i*l*in:], ex.dropP)
		r.questionRow(ex.q, q[i*qin:(i+1)*qin], ex.dropQ)
		for t := range ex.p.toks {
			mask[i*l+t] = 1
		}
		starts[i], ends[i] = ex.start, ex.end
	})
	loss, grads := st.step(r.m, x, q, mask, starts, ends)
	if math.IsNaN(float64(loss)) || math.IsInf(float64(loss), 0) {
		return 0, fmt.Errorf("loss is %v", loss)
	}
	r.scatter(batch, l, grads)
	r.step++
	lr := adam.StepSize(r.lr, r.step)
	decay := float32(1 - r.lr*r.wd)
	ms, m1, m2, gs := r.m.all(), r.mM.all(), r.mV.all(), grads.wts.all()
	for i := range ms {
		adam.Update(ms[i], m1[i], m2[i], gs[i], lr, decay)
	}
	// The trained columns only: the base's stay as they were.
	t := r.trained
	for s, id := range r.rows.ids {
		off := int(id) * d
		adam.Update(r.emb[off:off+t], r.embM[off:off+t], r.embV[off:off+t], r.rows.slab[s*d:s*d+t], lr, 1)
	}
	return loss, nil
}

// scatter turns the gradients of the token and question rows into
// gradients of the embedding rows (r.rows). Token t's embedding e_t sits in
// row t (middle block), row t+1 (first block) and row t−1 (last block); a
// bag's gradient goes to each of its features divided by their number. A
// passage or question read without its embeddings gives them none.
func (r *Reader) scatter(batch []*example, l int, g stepGrads) {
	d, in, qin := r.dim, 3*r.dim+numDense, r.qin()
	if r.slot == nil {
		r.slot = make([]int32, r.buckets)
		for i := range r.slot {
			r.slot[i] = -1
		}
	}
	rg := rowGrads{ids: r.rows.ids[:0], slab: r.rows.slab[:0]}
	add := func(ids []uint32, grad []float32, scale float32) {
		for _, id := range ids {
			s := r.slot[id]
			if s < 0 {
				s = int32(len(rg.ids))
				r.slot[id] = s
				rg.ids = append(rg.ids, id)
				n := len(rg.slab)
				rg.slab = slices.Grow(rg.slab, d)[:n+d]
				clear(rg.slab[n:])
			}
			dst := rg.slab[int(s)*d : int(s)*d+d]
			for k, v := range grad {
				dst[k] += v * scale
			}
		}
	}
	ge := make([]float32, d)
	for i, ex := range batch {
		base := i * l * in
		n := len(ex.p.toks)
		if ex.dropP {
			n = 0
		}
		for t := 0; t < n; t++ {
			row := func(u int) []float32 { return g.x[base+u*in : base+(u+1)*in] }
			copy(ge, row(t)[d:2*d])
			if t+1 < n {
				for k, v := range row(t + 1)[:d] {
					ge[k] += v
				}
			}
			if t > 0 {
				for k, v := range row(t - 1)[2*d : 3*d] {
					ge[k] += v
				}
			}
			add(ex.p.ids[t], ge, 1/float32(len(ex.p.ids[t])))
		}
		if len(ex.q.ids) > 0 && !ex.dropQ {
			add(ex.q.ids, g.q[i*qin:i*qin+d], 1/float32(len(ex.q.ids)))
		}
		if len(ex.q.typeIDs) > 0 && !ex.dropQ {
			add(ex.q.typeIDs, g.q[i*qin+d:i*qin+2*d], 1/float32(len(ex.q.typeIDs)))
		}
	}
	for _, id := range rg.ids {
		r.slot[id] = -1
	}
	r.rows = rg
}
