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
	dev     gpu.Device
	d, rows int
	// the model and its AdamW moments
	emb, embM, embV, w, wM, wV gpu.Buffer
	// per-step buffers, grown as needed
	ints, floats, h, z, u, inv, c, rowlse, collse, dc, pairLoss, du, dz, dw, dh, rowGrad gpu.Buffer
	// slot maps an embedding row to its place among a step's touched rows
	// (-1: untouched); reset for the touched rows after each step.
	slot []int32
}

// The launch shape of the kernels that work on rows of d columns.
const gpuThreads = 128

// newGPUModel copies the model and its optimiser state to dev.
func newGPUModel(dev gpu.Device, e *Encoder) (*gpuModel, error) {
	g := &gpuModel{dev: dev, d: e.dim, rows: int(e.feat.buckets)}
	g.slot = make([]int32, g.rows)
	for i := range g.slot {
		g.slot[i] = -1
	}
	for _, x := range []struct {
		b   *gpu.Buffer
		src []float32
	}{{&g.emb, e.emb}, {&g.embM, e.embM}, {&g.embV, e.embV}, {&g.w, e.w}, {&g.wM, e.wM}, {&g.wV, e.wV}} {
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
	for _, b := range []*gpu.Buffer{&g.emb, &g.embM, &g.embV, &g.w, &g.wM, &g.wV,
		&g.ints, &g.floats, &g.h, &g.z, &g.u, &g.inv, &g.c, &g.rowlse, &g.collse, &g.dc, &g.pairLoss, &g.du, &g.dz, &g.dw, &g.dh, &g.rowGrad} {
		b.Release(g.dev)
	}
}

// download copies the model (table and projection) back to the host.
func (g *gpuModel) download(emb, w []float32) error {
	if err := gpu.Get(g.dev, emb, g.emb.P); err != nil {
		return err
	}
	return gpu.Get(g.dev, w, g.w.P)
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

// project queues u = normalise(h·W) for the first n rows of g.h.
func (g *gpuModel) project(n int) error {
	dev, d := g.dev, g.d
	if err := dev.Gemm(false, false, n, d, d, 1, g.h.P, d, g.w.P, d, 0, g.z.P, d); err != nil {
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
		{&g.dw, d * d}, {&g.dh, t * d}, {&g.rowGrad, in.nrows * d}} {
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
		// dW = Hᵀ·dZ, dH = dZ·Wᵀ (before W changes)
		dev.Gemm(true, false, d, d, t, 1, g.h.P, d, g.dz.P, d, 0, g.dw.P, d),
		dev.Gemm(false, true, t, d, d, 1, g.dz.P, d, g.w.P, d, 0, g.dh.P, d),
		dev.Launch("xb_adam", gpu.Dim{X: gpu.Grid(d*d, gpuThreads)}, gpu.Dim{X: gpuThreads},
			append([]gpu.Arg{gpu.P(g.w.P), gpu.P(g.wM.P), gpu.P(g.wV.P), gpu.P(g.dw.P), gpu.I(d * d)}, c...)...),
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
