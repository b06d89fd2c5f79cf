package reader

import (
	"math"

	"github.com/chewxy/math32"
	"gonum.org/v1/gonum/blas"

	"github.com/xlbench/xlbench/builtin/internal/gemm"
	"github.com/xlbench/xlbench/plugins/sdk/parallel"
)

// The products go through gemm, which returns gonum's products bit for
// bit, faster: the committed results do not move.
func init() { gemm.Install() }

// graphWeights are the reader's matrices in graph order: W, A, C, Us, Ue.
type graphWeights struct {
	w, a, c, us, ue []float32
}

// stepGrads are the gradients of one step, with respect to the token rows,
// the question rows and the weight matrices. They belong to the step (or
// the graph) and change on the next step.
type stepGrads struct {
	x, q []float32
	wts  graphWeights
}

// stepTargets fills a step's key mask (b×l×l) and one-hot gold starts and
// ends (b×l) from the token mask and the gold tokens.
func stepTargets(b, l int, mask []float32, starts, ends []int, keyMask, ys, ye []float32) {
	// Attention may not look at padding: its scores get −1e4, whose
	// exponential vanishes beside any real token's.
	for i := 0; i < b; i++ {
		for t := 0; t < l; t++ {
			row := keyMask[(i*l+t)*l : (i*l+t+1)*l]
			for k := range row {
				row[k] = (mask[i*l+k] - 1) * 1e4
			}
		}
	}
	clear(ys)
	clear(ye)
	for i := range starts {
		ys[i*l+starts[i]] = 1
		ye[i*l+ends[i]] = 1
	}
}

// spanStep is the dense part of a training step for batches of b passages
// padded to l tokens:
//
//	h_t = tanh(x_t · W)                  x_t: token t's input row (see inputs)
//	a_t = softmax_k(h_t·h_k / √H)        self-attention over the passage's
//	c_t = Σ_k a_tk h_k                   real tokens (padding masked out)
//	z_t = tanh(h_t · A + c_t · C)        the contextual token row
//	u   = tanh(q · Us),  v = tanh(q · Ue)   q: the question's row
//	s_t = α/H · z_t·u,   e_t = α/H · z_t·v  start and end logits
//	loss = mean over passages of ½ [lse(s) − s_start + lse(e) − e_end]
//
// with lse over the passage's real tokens, computed as α + log Σ
// mask·exp(s − α) (the logits lie in [−α, α]). The model is defined as a
// gorgonia graph (spanGraph, in the tests); spanStep is that graph's
// training step written out by hand: the same
// forward and backward pass, operation for operation and rounding for
// rounding, as the tape machine runs for the graph (its compiled program
// is the specification), so the loss and every gradient are the graph's
// bits (TestStepIsTheGraphs checks them against it). It exists for speed:
// the tape machine allocates every intermediate afresh each step (a
// quarter of the reader's CPU went to the allocator and the garbage
// collector), runs its elementwise operations on one core and starts a
// goroutine per softmax row; here the buffers are kept from step to step,
// the elementwise work is spread over the cores, and the attention's small
// products run one passage per core. What the graph computes and throws
// away (the gradients of its constants) is not computed.
//
// The rules that keep the bits:
//   - each product is the one the graph asks gonum for, with the same
//     transpositions, shapes and strides, through gemm (which returns
//     gonum's bits), on buffers aligned as the graph's are (16 bytes;
//     gonum's dot product depends on it);
//   - each elementwise operation rounds where the graph stores a tensor:
//     explicit float32 conversions keep the compiler from fusing a
//     multiply and an add the graph rounds apart;
//   - sums run in the graph's order, from +0;
//   - where the graph adds gradients, it adds them in its order.
type spanStep struct {
	b, l, in, qin, hid int
	alpha              float32

	// forward
	h      []float32 // b·l × H: tanh(x·W), the passage's token rows
	scores []float32 // b × l × l: h_t·h_k/√H + key mask
	att    []float32 // b × l × l: softmax of scores over k
	ctx    []float32 // b·l × H: att·h
	z      []float32 // b·l × H: tanh(h·A + ctx·C)
	cc     []float32 // b·l × H: ctx·C
	u, v   []float32 // b × H: tanh(q·Us), tanh(q·Ue)
	es, ee []float32 // b·l: exp(s − α), exp(e − α)
	ss, se []float32 // b: Σ mask·exp, per passage

	// backward
	gs, ge   []float32 // b·l: gradients of the start and end logits
	gz       []float32 // b·l × H: of z, then of z's pre-activation
	gpu, gpv []float32 // b·l × H: of each token's copy of u and v
	gu, gv   []float32 // b × H: of u and v, then of their pre-activations
	gqs      []float32 // b × qin: of q through Us
	gctx, gh []float32 // b·l × H: of ctx and of h (then of its pre-activation)
	gatt     []float32 // b × l × l: of att, then of the scores
	gha, ghb []float32 // b·l × H: of h as the attention's first and second operand
	wx, wq   []float32 // the bound gradients of x and q
	wts      graphWeights
	invSqrt  float32
	// the step's targets: key mask, one-hot gold starts and ends
	keyMask, ys, ye []float32
}

func newSpanStep(b, l, in, qin, hid int, alpha float32) *spanStep {
	n := b * l
	f := func(k int) []float32 { return make([]float32, k) }
	st := &spanStep{b: b, l: l, in: in, qin: qin, hid: hid, alpha: alpha,
		h: f(n * hid), scores: f(b * l * l), att: f(b * l * l), ctx: f(n * hid), z: f(n * hid), cc: f(n * hid),
		u: f(b * hid), v: f(b * hid), es: f(n), ee: f(n), ss: f(b), se: f(b),
		gs: f(n), ge: f(n), gz: f(n * hid), gpu: f(n * hid), gpv: f(n * hid), gu: f(b * hid), gv: f(b * hid),
		gqs: f(b * qin), gctx: f(n * hid), gh: f(n * hid), gatt: f(b * l * l), gha: f(n * hid), ghb: f(n * hid),
		wx: f(n * in), wq: f(b * qin), keyMask: f(b * l * l), ys: f(n), ye: f(n),
		wts: graphWeights{w: f(in * hid), a: f(hid * hid), c: f(hid * hid), us: f(qin * hid), ue: f(qin * hid)},
	}
	st.invSqrt = float32(1 / math.Sqrt(float64(hid))) // as the graph's constant
	return st
}

var (
	wide   = gemm.Implementation{}
	narrow = gemm.Implementation{Serial: true}
)

// rowRuns calls f over [lo, hi) runs of the n rows, on every core.
func rowRuns(n int, f func(lo, hi int)) {
	const run = 32
	parallel.For((n+run-1)/run, func(r int) { f(r*run, min(n, (r+1)*run)) })
}

// tanhRows sets m[i] = tanh(m[i]) for the n·w values.
func tanhRows(m []float32, n, w int) {
	rowRuns(n, func(lo, hi int) {
		for i, x := range m[lo*w : hi*w] {
			m[lo*w+i] = math32.Tanh(x)
		}
	})
}

// step runs forward and backward with the weights m. x is b·l token rows,
// q b question rows, mask b×l (1 for real tokens), starts and ends the gold
// token of each passage. The gradients belong to st and change on its next
// step.
func (st *spanStep) step(m graphWeights, x, q, mask []float32, starts, ends []int) (float32, stepGrads) {
	b, l, in, qin, H := st.b, st.l, st.in, st.qin, st.hid
	keyMask, ys, ye := st.keyMask, st.ys, st.ye
	stepTargets(b, l, mask, starts, ends, keyMask, ys, ye)
	n := b * l
	nt, tr := blas.NoTrans, blas.Trans

	// h = tanh(x·W)
	wide.Sgemm(nt, nt, n, H, in, 1, x, in, m.w, H, 0, st.h, H)
	tanhRows(st.h, n, H)
	// scores = h_i·h_iᵀ · (1/√H) + keyMask, passage by passage
	parallel.For(b, func(i int) {
		hi, si := st.h[i*l*H:(i+1)*l*H], st.scores[i*l*l:(i+1)*l*l]
		narrow.Sgemm(nt, tr, l, l, H, 1, hi, H, hi, H, 0, si, l)
		km := keyMask[i*l*l : (i+1)*l*l]
		for k, s := range si {
			si[k] = float32(s*st.invSqrt) + km[k]
		}
	})
	// softmax over k, as gorgonia's tensor computes it: each row's
	// maximum starts from the first score of the whole tensor, and the
	// row's own first score is not compared.
	first := st.scores[0]
	parallel.For(b, func(i int) {
		for t := 0; t < l; t++ {
			row, out := st.scores[(i*l+t)*l:(i*l+t+1)*l], st.att[(i*l+t)*l:(i*l+t+1)*l]
			mx := first
			for _, s := range row[1:] {
				if s > mx {
					mx = s
				}
			}
			var sum float32
			for k, s := range row {
				e := math32.Exp(s - mx)
				out[k] = e
				sum += e
			}
			sum = 1 / sum
			for k := range out {
				out[k] *= sum
			}
		}
		// ctx_i = att_i·h_i
		narrow.Sgemm(nt, nt, l, H, l, 1, st.att[i*l*l:], l, st.h[i*l*H:], H, 0, st.ctx[i*l*H:(i+1)*l*H], H)
	})
	// z = tanh(h·A + ctx·C)
	wide.Sgemm(nt, nt, n, H, H, 1, st.h, H, m.a, H, 0, st.z, H)
	wide.Sgemm(nt, nt, n, H, H, 1, st.ctx, H, m.c, H, 0, st.cc, H)
	rowRuns(n, func(lo, hi int) {
		z, cc := st.z[lo*H:hi*H], st.cc[lo*H:hi*H]
		for k := range z {
			z[k] = math32.Tanh(z[k] + cc[k])
		}
	})
	// u = tanh(q·Us), v = tanh(q·Ue), kept as the graph's expand product
	// copies them to each token: 0 + u, so −0 is +0 (which changes
	// nothing else: their only other use is 1 − u², and (−0)² is +0).
	wide.Sgemm(nt, nt, b, H, qin, 1, q, qin, m.us, H, 0, st.u, H)
	wide.Sgemm(nt, nt, b, H, qin, 1, q, qin, m.ue, H, 0, st.v, H)
	for _, y := range [][]float32{st.u, st.v} {
		for k, x := range y {
			y[k] = plusZero(math32.Tanh(x))
		}
	}

	// The logits s_t = α/H · Σ_c z_tc·u_c, and the loss.
	scale := st.alpha / float32(H)
	startLogits, endLogits := st.gs, st.ge // until the backward pass
	rowRuns(n, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			i := r / l
			z, u, v := st.z[r*H:(r+1)*H], st.u[i*H:(i+1)*H], st.v[i*H:(i+1)*H]
			var s, e float32
			for c, zc := range z {
				s += float32(zc * u[c])
			}
			for c, zc := range z {
				e += float32(zc * v[c])
			}
			startLogits[r], endLogits[r] = s*scale, e*scale
		}
	})
	meanS := st.side(startLogits, ys, mask, st.es, st.ss)
	meanE := st.side(endLogits, ye, mask, st.ee, st.se)
	loss := (meanS + meanE) / 2

	// Backward. The mean's gradient, 1/2 then ÷ b, is the same for both
	// sides; the logits' gradients overwrite the logits.
	gm := float32(1) / float32(2) / float32(b)
	st.sideGrad(st.ge, ye, mask, st.ee, st.se, gm, scale)
	st.sideGrad(st.gs, ys, mask, st.es, st.ss, gm, scale)
	// Each token's copy of v and u: z's gradient from the end side is
	// per_e ⊙ g, then the start side's is added; the copies' gradients are
	// z ⊙ g.
	rowRuns(n, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			i := r / l
			z, u, v := st.z[r*H:(r+1)*H], st.u[i*H:(i+1)*H], st.v[i*H:(i+1)*H]
			gz, gpu, gpv := st.gz[r*H:(r+1)*H], st.gpu[r*H:(r+1)*H], st.gpv[r*H:(r+1)*H]
			ge, gs := st.ge[r], st.gs[r]
			for c, zc := range z {
				gpv[c] = zc * ge
				gpu[c] = zc * gs
				gz[c] = float32(v[c]*ge) + float32(u[c]*gs)
			}
			// and z's pre-activation: (1 − z²) ⊙ g
			for c, zc := range z {
				gz[c] = float32(1-float32(zc*zc)) * gz[c]
			}
		}
	})
	// u's and v's gradients: the copies' summed over the passage's tokens
	// in order (the graph's expandᵀ product), then through tanh.
	parallel.For(2*b, func(k int) {
		i, gp, g, y := k/2, st.gpv, st.gv, st.v
		if k%2 == 1 {
			gp, g, y = st.gpu, st.gu, st.u
		}
		gi, yi := g[i*H:(i+1)*H], y[i*H:(i+1)*H]
		clear(gi)
		for t := 0; t < l; t++ {
			for c, x := range gp[(i*l+t)*H : (i*l+t+1)*H] {
				gi[c] += x
			}
		}
		for c, yc := range yi {
			gi[c] = float32(1-float32(yc*yc)) * gi[c]
		}
	})
	// q's gradient through Ue, then through Us, added; Ue's and Us's.
	wide.Sgemm(nt, tr, b, qin, H, 1, st.gv, H, m.ue, H, 0, st.wq, qin)
	wide.Sgemm(tr, nt, qin, H, b, 1, q, qin, st.gv, H, 0, st.wts.ue, H)
	wide.Sgemm(nt, tr, b, qin, H, 1, st.gu, H, m.us, H, 0, st.gqs, qin)
	wide.Sgemm(tr, nt, qin, H, b, 1, q, qin, st.gu, H, 0, st.wts.us, H)
	for k, g := range st.gqs {
		st.wq[k] += g
	}
	// Through z = tanh(h·A + ctx·C): ctx's, C's, h's and A's gradients.
	wide.Sgemm(nt, tr, n, H, H, 1, st.gz, H, m.c, H, 0, st.gctx, H)
	wide.Sgemm(tr, nt, H, H, n, 1, st.ctx, H, st.gz, H, 0, st.wts.c, H)
	wide.Sgemm(nt, tr, n, H, H, 1, st.gz, H, m.a, H, 0, st.gh, H)
	wide.Sgemm(tr, nt, H, H, n, 1, st.h, H, st.gz, H, 0, st.wts.a, H)
	// The attention, passage by passage: att's gradient and h's through
	// ctx = att·h; the softmax's; h's as both operands of h·hᵀ. h's
	// gradients add up in the graph's order: (ctx + first) + second,
	// then added to the gradient through A.
	parallel.For(b, func(i int) {
		hi := st.h[i*l*H : (i+1)*l*H]
		gctx, att, gatt := st.gctx[i*l*H:(i+1)*l*H], st.att[i*l*l:(i+1)*l*l], st.gatt[i*l*l:(i+1)*l*l]
		gh, gha, ghb := st.gh[i*l*H:(i+1)*l*H], st.gha[i*l*H:(i+1)*l*H], st.ghb[i*l*H:(i+1)*l*H]
		narrow.Sgemm(nt, tr, l, l, H, 1, gctx, H, hi, H, 0, gatt, l)
		ghc := st.cc[i*l*H : (i+1)*l*H] // ctx·C is no longer needed
		narrow.Sgemm(tr, nt, l, H, l, 1, att, l, gctx, H, 0, ghc, H)
		for t := 0; t < l; t++ {
			y, g := att[t*l:(t+1)*l], gatt[t*l:(t+1)*l]
			var sum float32
			for k, yk := range y {
				sum += float32(yk * g[k])
			}
			for k, yk := range y {
				g[k] = float32(st.invSqrt * float32(float32(g[k]-sum)*yk))
			}
		}
		narrow.Sgemm(nt, nt, l, H, l, 1, gatt, l, hi, H, 0, gha, H)
		narrow.Sgemm(tr, nt, l, H, l, 1, gatt, l, hi, H, 0, ghb, H)
		for k := range gh {
			gh[k] += float32(ghc[k]+gha[k]) + ghb[k]
		}
		// and h's pre-activation: (1 − h²) ⊙ g
		for k, hk := range hi {
			gh[k] = float32(1-float32(hk*hk)) * gh[k]
		}
	})
	// x's and W's gradients.
	wide.Sgemm(nt, tr, n, in, H, 1, st.gh, H, m.w, H, 0, st.wx, in)
	wide.Sgemm(tr, nt, in, H, n, 1, x, in, st.gh, H, 0, st.wts.w, H)
	// The graph binds each gradient by adding it to a zeroed tensor, 0 + g,
	// which would turn −0 into +0; there is none to turn: every gradient
	// here is a product into a cleared C (gonum adds each term to +0) or,
	// for q, the sum of two of them.
	return loss, stepGrads{x: st.wx, q: st.wq, wts: st.wts}
}

// plusZero is 0 + x: x, with −0 turned into +0.
func plusZero(x float32) float32 {
	if x == 0 {
		return 0
	}
	return x
}

// side is one side's loss, mean over passages of lse(s) − s_gold, with
// lse = log Σ mask·exp(s − α) + α; it keeps exp(s − α) in e and the sums
// in sums for the backward pass.
func (st *spanStep) side(s, y, mask, e, sums []float32) float32 {
	b, l := st.b, st.l
	var total float32
	for i := 0; i < b; i++ {
		var sum, gold float32
		for t := i * l; t < (i+1)*l; t++ {
			e[t] = math32.Exp(s[t] - st.alpha)
			sum += float32(mask[t] * e[t])
		}
		for t := i * l; t < (i+1)*l; t++ {
			gold += float32(y[t] * s[t])
		}
		sums[i] = sum
		total += float32(math32.Log(sum)+st.alpha) - gold
	}
	return total / float32(b)
}

// sideGrad overwrites the logits s with α/H times their gradient: from
// the gold term y·(−gm), then from lse e·(mask·gm/Σ).
func (st *spanStep) sideGrad(s, y, mask, e, sums []float32, gm, scale float32) {
	b, l := st.b, st.l
	neg := -gm
	for i := 0; i < b; i++ {
		gsum := gm / sums[i]
		for t := i * l; t < (i+1)*l; t++ {
			s[t] = scale * float32(float32(y[t]*neg)+float32(e[t]*float32(mask[t]*gsum)))
		}
	}
}
