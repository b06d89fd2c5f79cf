package dualenc

import (
	"fmt"
	"math"

	"github.com/xlbench/xlbench/builtin/internal/adam"
	"github.com/xlbench/xlbench/builtin/internal/gpu"
)

// gpuModel is the encoder's model and training step on a gpu.Device (the
// GPU path, device = "cuda"): the embedding table, the projection and their
// AdamW moments stay in device memory, and a step runs there whole — bag
// sums, projection, normalisation, similarities, the InfoNCE loss and its
// gradient, the scatter of row gradients and the lazy AdamW update. The
// host featurises texts (once, at LoadCorpus), lists a step's bags and
// touched rows, and reads back each pair's loss.
//
// The gather, scatter and AdamW kernels add and round in the CPU trainer's
// order, so with the same inputs they give its results bit for bit; the
// dense part (matrix products, exp and log) agrees within float tolerance.
type gpuModel struct {
	dev        gpu.Device
	d, f, rows int // f: the feed-forward block's width (0: none)
	// the model and its AdamW moments
	emb, embM, embV, w, wM, wV, w1, w1M, w1V, w2, w2M, w2V gpu.Buffer
	// per-step buffers, grown as needed; a, r and y are the feed-forward
	// block's pre-activation, activation and output
	ints, floats, h, a, r, y, z, u, inv, c, rowlse, collse, dc, pairLoss, du, dz, dw, dw1, dw2, dh, rowGrad gpu.Buffer
	// slot maps an embedding row to its place among a step's touched rows
	// (-1: untouched); reset for the touched rows after each step.
	slot []int32
}

// The launch shape of the kernels that work on rows of d columns.
const gpuThreads = 128

// newGPUModel copies the model and its optimiser state to dev.
func newGPUModel(dev gpu.Device, e *Encoder) (*gpuModel, error) {
	g := &gpuModel{dev: dev, d: e.dim, f: e.hidden, rows: int(e.feat.buckets)}
	g.slot = make([]int32, g.rows)
	for i := range g.slot {
		g.slot[i] = -1
	}
	for _, x := range []struct {
		b   *gpu.Buffer
		src []float32
	}{{&g.emb, e.emb}, {&g.embM, e.embM}, {&g.embV, e.embV}, {&g.w, e.w}, {&g.wM, e.wM}, {&g.wV, e.wV},
		{&g.w1, e.w1}, {&g.w1M, e.w1M}, {&g.w1V, e.w1V}, {&g.w2, e.w2}, {&g.w2M, e.w2M}, {&g.w2V, e.w2V}} {
		if len(x.src) == 0 {
			continue // no feed-forward block
		}
		if err := x.b.Ensure(dev, len(x.src)); err != nil {
			g.close()
			return nil, fmt.Errorf("%s: %w", dev.Name(), err)
		}
		if err := gpu.Put(dev, x.b.P, x.src); err != nil {
			g.close()
			return nil, fmt.Errorf("%s: %w", dev.Name(), err)
		}
	}
	return g, nil
}

func (g *gpuModel) close() {
	for _, b := range []*gpu.Buffer{&g.emb, &g.embM, &g.embV, &g.w, &g.wM, &g.wV, &g.w1, &g.w1M, &g.w1V, &g.w2, &g.w2M, &g.w2V,
		&g.ints, &g.floats, &g.h, &g.a, &g.r, &g.y, &g.z, &g.u, &g.inv, &g.c, &g.rowlse, &g.collse, &g.dc, &g.pairLoss,
		&g.du, &g.dz, &g.dw, &g.dw1, &g.dw2, &g.dh, &g.rowGrad} {
		b.Release(g.dev)
	}
}

// download copies the model (table, projection, feed-forward block) back
// to the host.
func (g *gpuModel) download(e *Encoder) error {
	for _, x := range []struct {
		dst []float32
		src gpu.Ptr
	}{{e.emb, g.emb.P}, {e.w, g.w.P}, {e.w1, g.w1.P}, {e.w2, g.w2.P}} {
		if err := gpu.Get(g.dev, x.dst, x.src); err != nil {
			return err
		}
	}
	return nil
}

// stepInputs is what the host sends for a step: the bags in CSR form (every
// query, then every passage) and the touched rows with, for each, the
// texts and weights whose gradients it sums, in batch order — the order in
// which the CPU trainer's scatter adds them.
type stepInputs struct {
	ints            []int32 // bag offsets (T+1) | ids (N) | row ids (R) | row offsets (R+1) | contributing text (N)
	floats          []float32
	texts, n, nrows int
}

func (g *gpuModel) inputs(bags []*bag, withRows bool) stepInputs {
	n := 0
	for _, b := range bags {
		n += len(b.ids)
	}
	in := stepInputs{texts: len(bags), n: n}
	ints := make([]int32, 0, len(bags)+1+n+(n+1)+n+n)
	floats := make([]float32, 0, 2*n)
	ints = append(ints, 0)
	for _, b := range bags {
		ints = append(ints, ints[len(ints)-1]+int32(len(b.ids)))
	}
	for _, b := range bags {
		for _, id := range b.ids {
			ints = append(ints, int32(id))
		}
		floats = append(floats, b.weights...)
	}
	if withRows {
		// Rows in first-touch order, counted, then each row's
		// contributions filled in batch order.
		var rowIDs []int32
		var count []int32
		for _, b := range bags {
			for _, id := range b.ids {
				s := g.slot[id]
				if s < 0 {
					s = int32(len(rowIDs))
					g.slot[id] = s
					rowIDs = append(rowIDs, int32(id))
					count = append(count, 0)
				}
				count[s]++
			}
		}
		r := len(rowIDs)
		ints = append(ints, rowIDs...)
		offAt := len(ints)
		ints = append(ints, 0)
		for _, c := range count {
			ints = append(ints, ints[len(ints)-1]+c)
		}
		textAt := len(ints)
		ints = ints[:textAt+n]
		wAt := len(floats)
		floats = floats[:wAt+n]
		next := append([]int32(nil), ints[offAt:offAt+r]...)
		for t, b := range bags {
			for k, id := range b.ids {
				s := g.slot[id]
				ints[textAt+int(next[s])] = int32(t)
				floats[wAt+int(next[s])] = b.weights[k]
				next[s]++
			}
		}
		for _, id := range rowIDs {
			g.slot[id] = -1
		}
		in.nrows = r
	}
	in.ints, in.floats = ints, floats
	return in
}

// bagSum uploads bags and queues their bag vectors into g.h.
func (g *gpuModel) bagSum(in stepInputs) error {
	dev, d := g.dev, g.d
	for _, x := range []struct {
		b *gpu.Buffer
		n int
	}{{&g.ints, len(in.ints)}, {&g.floats, len(in.floats)}, {&g.h, in.texts * d}, {&g.z, in.texts * d}, {&g.u, in.texts * d}, {&g.inv, in.texts}} {
		if err := x.b.Ensure(dev, x.n); err != nil {
			return err
		}
	}
	if err := gpu.Put(dev, g.ints.P, in.ints); err != nil {
		return err
	}
	if err := gpu.Put(dev, g.floats.P, in.floats); err != nil {
		return err
	}
	off, ids := g.ints.P, g.ints.P.Add(in.texts+1)
	return dev.Launch("xb_bag_sum", gpu.Dim{X: uint32(in.texts), Y: gpu.Grid(d, gpuThreads)}, gpu.Dim{X: uint32(min(d, gpuThreads))},
		gpu.P(g.emb.P), gpu.I(d), gpu.P(off), gpu.P(ids), gpu.P(g.floats.P), gpu.I(in.texts), gpu.P(g.h.P))
}

// elementwise launches an elementwise kernel over n elements.
func (g *gpuModel) elementwise(name string, n int, args ...gpu.Arg) error {
	return g.dev.Launch(name, gpu.Dim{X: gpu.Grid(n, gpuThreads)}, gpu.Dim{X: gpuThreads}, args...)
}

// yPtr is where the rows the projection reads are: the feed-forward
// block's output, or the bag vectors without one.
func (g *gpuModel) yPtr() gpu.Ptr {
	if g.f > 0 {
		return g.y.P
	}
	return g.h.P
}

// project queues u = normalise(y·W) for the first n rows of g.h, with
// y = h + relu(h·W1)·W2 through the feed-forward block (y = h without).
func (g *gpuModel) project(n int) error {
	dev, d, f := g.dev, g.d, g.f
	if f > 0 {
		for _, b := range []*gpu.Buffer{&g.a, &g.r} {
			if err := b.Ensure(dev, n*f); err != nil {
				return err
			}
		}
		if err := g.y.Ensure(dev, n*d); err != nil {
			return err
		}
		for _, err := range []error{
			dev.Gemm(false, false, n, f, d, 1, g.h.P, d, g.w1.P, f, 0, g.a.P, f),
			g.elementwise("xb_relu", n*f, gpu.P(g.a.P), gpu.P(g.r.P), gpu.I(n*f)),
			dev.Gemm(false, false, n, d, f, 1, g.r.P, f, g.w2.P, d, 0, g.y.P, d),
			g.elementwise("xb_add", n*d, gpu.P(g.h.P), gpu.P(g.y.P), gpu.I(n*d)),
		} {
			if err != nil {
				return err
			}
		}
	}
	if err := dev.Gemm(false, false, n, d, d, 1, g.yPtr(), d, g.w.P, d, 0, g.z.P, d); err != nil {
		return err
	}
	return dev.Launch("xb_normalize", gpu.Dim{X: gpu.Grid(n, gpuThreads)}, gpu.Dim{X: gpuThreads},
		gpu.P(g.z.P), gpu.I(n), gpu.I(d), gpu.P(g.u.P), gpu.P(g.inv.P))
}

// encode returns the unit vectors of bags, row-major.
func (g *gpuModel) encode(bags []*bag) ([]float32, error) {
	const chunk = 8192
	out := make([]float32, len(bags)*g.d)
	for lo := 0; lo < len(bags); lo += chunk {
		hi := min(lo+chunk, len(bags))
		if err := g.bagSum(g.inputs(bags[lo:hi], false)); err != nil {
			return nil, err
		}
		if err := g.project(hi - lo); err != nil {
			return nil, err
		}
		if err := gpu.Get(g.dev, out[lo*g.d:hi*g.d], g.u.P); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// feedForwardBackward turns dY (in g.dh) into dH = dY + dA·W1ᵀ, with
// dA = relu'(A) ⊙ dY·W2ᵀ, and sets dW2 = Rᵀ·dY, dW1 = Hᵀ·dA; nothing
// without a block.
func (g *gpuModel) feedForwardBackward(t int) error {
	dev, d, f := g.dev, g.d, g.f
	if f == 0 {
		return nil
	}
	// dR and then dA live in r, whose activations are not needed after dW2.
	for _, err := range []error{
		dev.Gemm(true, false, f, d, t, 1, g.r.P, f, g.dh.P, d, 0, g.dw2.P, d),
		dev.Gemm(false, true, t, f, d, 1, g.dh.P, d, g.w2.P, d, 0, g.r.P, f),
		g.elementwise("xb_relu_backward", t*f, gpu.P(g.a.P), gpu.P(g.r.P), gpu.P(g.r.P), gpu.I(t*f)),
		dev.Gemm(true, false, d, f, t, 1, g.h.P, d, g.r.P, f, 0, g.dw1.P, f),
		dev.Gemm(false, true, t, d, f, 1, g.r.P, f, g.w1.P, f, 1, g.dh.P, d),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// adam queues dense AdamW on the n weights p with moments m, v and
// gradient gr; nothing when n is 0. c holds the constants, step size and
// decay.
func (g *gpuModel) adam(p, m, v, gr gpu.Buffer, n int, c []gpu.Arg) error {
	if n == 0 {
		return nil
	}
	return g.elementwise("xb_adam", n, append([]gpu.Arg{gpu.P(p.P), gpu.P(m.P), gpu.P(v.P), gpu.P(gr.P), gpu.I(n)}, c...)...)
}

// step takes one AdamW step (the step-th, 1-based) on the batch of queries
// qs and passages ps and returns each pair's loss before it.
func (g *gpuModel) step(qs, ps []*bag, step int, lr0, wd, tau float64) ([]float32, error) {
	dev, d, b := g.dev, g.d, len(qs)
	t := 2 * b
	in := g.inputs(append(append([]*bag{}, qs...), ps...), true)
	if err := g.bagSum(in); err != nil {
		return nil, err
	}
	if err := g.project(t); err != nil {
		return nil, err
	}
	for _, x := range []struct {
		b *gpu.Buffer
		n int
	}{{&g.c, b * b}, {&g.dc, b * b}, {&g.rowlse, b}, {&g.collse, b}, {&g.pairLoss, b}, {&g.du, t * d}, {&g.dz, t * d},
		{&g.dw, d * d}, {&g.dh, t * d}, {&g.rowGrad, in.nrows * d}, {&g.dw1, d * g.f}, {&g.dw2, g.f * d}} {
		if err := x.b.Ensure(dev, x.n); err != nil {
			return nil, err
		}
	}
	invT := float32(1 / tau)
	uq, up := g.u.P, g.u.P.Add(b*d)
	run := func(errs ...error) error {
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
		return nil
	}
	lr := adam.StepSize(lr0, step)
	decay := float32(1 - lr0*wd)
	c := []gpu.Arg{gpu.F(adam.Beta1), gpu.F(1 - adam.Beta1), gpu.F(adam.Beta2), gpu.F(1 - adam.Beta2), gpu.F(adam.Eps), gpu.F(lr), gpu.F(decay)}
	rowIDs := g.ints.P.Add(in.texts + 1 + in.n)
	rowOff := rowIDs.Add(in.nrows)
	rowText := rowOff.Add(in.nrows + 1)
	rowW := g.floats.P.Add(in.n)
	rowsGrid := gpu.Dim{X: uint32(in.nrows), Y: gpu.Grid(d, gpuThreads)}
	rowsBlock := gpu.Dim{X: uint32(min(d, gpuThreads))}
	err := run(
		// cosines, C = Uq·Upᵀ; the loss and its gradient dC
		dev.Gemm(false, true, b, b, d, 1, uq, d, up, d, 0, g.c.P, b),
		dev.Launch("xb_lse", gpu.Dim{X: gpu.Grid(t, gpuThreads)}, gpu.Dim{X: gpuThreads},
			gpu.P(g.c.P), gpu.I(b), gpu.F(invT), gpu.P(g.rowlse.P), gpu.P(g.collse.P)),
		dev.Launch("xb_infonce_grad", gpu.Dim{X: gpu.Grid(b*b, gpuThreads)}, gpu.Dim{X: gpuThreads},
			gpu.P(g.c.P), gpu.I(b), gpu.F(invT), gpu.P(g.rowlse.P), gpu.P(g.collse.P), gpu.P(g.dc.P), gpu.P(g.pairLoss.P)),
		// dUq = dC·Up, dUp = dCᵀ·Uq; through the normalisation to dZ
		dev.Gemm(false, false, b, d, b, 1, g.dc.P, b, up, d, 0, g.du.P, d),
		dev.Gemm(true, false, b, d, b, 1, g.dc.P, b, uq, d, 0, g.du.P.Add(b*d), d),
		dev.Launch("xb_norm_backward", gpu.Dim{X: gpu.Grid(t, gpuThreads)}, gpu.Dim{X: gpuThreads},
			gpu.P(g.u.P), gpu.P(g.du.P), gpu.P(g.inv.P), gpu.I(t), gpu.I(d), gpu.P(g.dz.P)),
		// dW = Yᵀ·dZ, dY = dZ·Wᵀ (into dh: without a feed-forward block
		// it is dH), all before the weights change
		dev.Gemm(true, false, d, d, t, 1, g.yPtr(), d, g.dz.P, d, 0, g.dw.P, d),
		dev.Gemm(false, true, t, d, d, 1, g.dz.P, d, g.w.P, d, 0, g.dh.P, d),
		g.feedForwardBackward(t),
		g.adam(g.w, g.wM, g.wV, g.dw, d*d, c),
		g.adam(g.w1, g.w1M, g.w1V, g.dw1, d*g.f, c),
		g.adam(g.w2, g.w2M, g.w2V, g.dw2, g.f*d, c),
		// the touched rows' gradients, then their lazy AdamW update
		dev.Launch("xb_row_grads", rowsGrid, rowsBlock,
			gpu.P(g.dh.P), gpu.I(d), gpu.P(rowOff), gpu.P(rowText), gpu.P(rowW), gpu.I(in.nrows), gpu.P(g.rowGrad.P)),
		dev.Launch("xb_adam_rows", rowsGrid, rowsBlock,
			append([]gpu.Arg{gpu.P(g.emb.P), gpu.P(g.embM.P), gpu.P(g.embV.P), gpu.I(d), gpu.P(rowIDs), gpu.P(g.rowGrad.P), gpu.I(in.nrows)}, c...)...),
	)
	if err != nil {
		return nil, err
	}
	pl := make([]float32, b)
	if err := gpu.Get(dev, pl, g.pairLoss.P); err != nil {
		return nil, err
	}
	for _, l := range pl {
		if math.IsNaN(float64(l)) || math.IsInf(float64(l), 0) {
			return nil, fmt.Errorf("loss is %v at step %d", l, step)
		}
	}
	return pl, nil
}
