package dualenc

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/xlbench/xlbench/builtin/internal/gemm"
)

// The graphs' matrix products go through gemm, which returns gonum's
// products bit for bit, faster: the committed results do not move.
func init() { gemm.Install() }

// contrastive is the dense half of a training step as a gorgonia graph: the
// shared projection of query and passage bag vectors, L2 normalisation and
// the symmetric InfoNCE loss with in-batch negatives,
//
//	y = h + relu(h·W1)·W2 (with a feed-forward block, else y = h),
//	u = y·W / ‖y·W‖,  S = (Uq·Upᵀ + e^θ·L) / τ,
//	loss = ½ [ mean_i (lse_j S_ij − S_ii) + mean_j (lse_i S_ij − S_jj) ],
//
// where lse is log-sum-exp and L, when the encoder has a lexical half, holds
// the batch's lexical scores (BM25 of query i against passage j) added with
// the learned weight e^θ; without one the L term is absent. Each row's (and
// column's) lse is computed as c + log Σ exp(S − c) with c a bound on that
// row's logits, (1 + e^θ·max L)/τ, set each step: exp cannot overflow, and
// the row's largest logit lies within 2/τ of c, so the sum cannot vanish.
type contrastive struct {
	batch, dim int
	g          *G.ExprGraph
	hq, hp, w  *G.Node
	w1, w2     *G.Node // the feed-forward block; nil without one
	theta      *G.Node // nil without a lexical half
	loss       *G.Node
	vm         G.VM
	hqT, hpT   *tensor.Dense
	lexT       *tensor.Dense // batch×batch lexical scores
	// bounds on the logits of each row and each column
	rowBound, colBound []float32
	invT               float32
	// The logits and each row's and column's lse, read out each step for
	// the pair losses.
	sVal, rowVal, colVal G.Value
}

// newContrastive builds the graph; theta (1×1, the log lexical weight) is
// nil for a dense-only encoder, w1 and w2 (dim×hidden, hidden×dim) nil
// without a feed-forward block. The weights are updated in place by the
// caller between steps.
func newContrastive(batch, dim int, temperature float64, w, theta, w1, w2 *tensor.Dense) (*contrastive, error) {
	c := &contrastive{batch: batch, dim: dim, g: G.NewGraph()}
	c.hqT = tensor.New(tensor.WithShape(batch, dim), tensor.Of(tensor.Float32))
	c.hpT = tensor.New(tensor.WithShape(batch, dim), tensor.Of(tensor.Float32))
	c.hq = G.NewMatrix(c.g, tensor.Float32, G.WithShape(batch, dim), G.WithName("hq"), G.WithValue(c.hqT))
	c.hp = G.NewMatrix(c.g, tensor.Float32, G.WithShape(batch, dim), G.WithName("hp"), G.WithValue(c.hpT))
	c.w = G.NewMatrix(c.g, tensor.Float32, G.WithShape(dim, dim), G.WithName("w"), G.WithValue(w))

	var err error
	must := func(n *G.Node, e error) *G.Node {
		if e != nil && err == nil {
			err = e
		}
		return n
	}
	eps := G.NewConstant(float32(1e-12))
	if w1 != nil {
		c.w1 = G.NewMatrix(c.g, tensor.Float32, G.WithShape(w1.Shape()...), G.WithName("w1"), G.WithValue(w1))
		c.w2 = G.NewMatrix(c.g, tensor.Float32, G.WithShape(w2.Shape()...), G.WithName("w2"), G.WithValue(w2))
	}
	unit := func(h *G.Node) *G.Node {
		if c.w1 != nil {
			h = must(G.Add(h, must(G.Mul(must(G.Rectify(must(G.Mul(h, c.w1)))), c.w2))))
		}
		z := must(G.Mul(h, c.w))
		norm := must(G.Sqrt(must(G.Add(must(G.Sum(must(G.Square(z)), 1)), eps))))
		return must(G.BroadcastHadamardDiv(z, norm, nil, []byte{1}))
	}
	uq, up := unit(c.hq), unit(c.hp)
	invT := float32(1 / temperature)
	c.invT = invT
	cos := must(G.Mul(uq, must(G.Transpose(up))))
	if theta != nil {
		c.lexT = tensor.New(tensor.WithShape(batch, batch), tensor.Of(tensor.Float32))
		lex := G.NewMatrix(c.g, tensor.Float32, G.WithShape(batch, batch), G.WithName("lex"), G.WithValue(c.lexT))
		c.theta = G.NewMatrix(c.g, tensor.Float32, G.WithShape(1, 1), G.WithName("theta"), G.WithValue(theta))
		// Summing the 1×1 matrix makes it a scalar, which Mul scales by.
		weight := must(G.Exp(must(G.Sum(c.theta))))
		cos = must(G.Add(cos, must(G.Mul(lex, weight))))
	}
	s := must(G.Mul(cos, G.NewConstant(invT)))
	c.rowBound, c.colBound = make([]float32, batch), make([]float32, batch)
	// A bound vector, and the same numbers as a matrix to broadcast.
	bounds := func(name string, data []float32, shape ...int) (vec, mat *G.Node) {
		vec = G.NewVector(c.g, tensor.Float32, G.WithShape(batch), G.WithName(name),
			G.WithValue(tensor.New(tensor.WithShape(batch), tensor.WithBacking(data))))
		mat = G.NewMatrix(c.g, tensor.Float32, G.WithShape(shape...), G.WithName(name+"M"),
			G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))))
		return vec, mat
	}
	rowV, _ := bounds("rowBound", c.rowBound, batch, 1)
	colV, colM := bounds("colBound", c.colBound, 1, batch)
	lse := func(axis int) *G.Node {
		var shifted *G.Node
		if axis == 1 {
			shifted = must(G.BroadcastSub(s, rowV, nil, []byte{1}))
		} else {
			shifted = must(G.BroadcastSub(s, colM, nil, []byte{0}))
		}
		sum := must(G.Log(must(G.Sum(must(G.Exp(shifted)), axis))))
		if axis == 1 {
			return must(G.Add(sum, rowV))
		}
		return must(G.Add(sum, colV))
	}
	eye := make([]float32, batch*batch)
	for i := 0; i < batch; i++ {
		eye[i*batch+i] = 1
	}
	diag := must(G.Sum(must(G.HadamardProd(s, G.NewConstant(tensor.New(tensor.WithShape(batch, batch), tensor.WithBacking(eye)))))))
	meanDiag := must(G.Div(diag, G.NewConstant(float32(batch))))
	rowLSE, colLSE := lse(1), lse(0)
	G.Read(s, &c.sVal)
	G.Read(rowLSE, &c.rowVal)
	G.Read(colLSE, &c.colVal)
	rows := must(G.Mean(rowLSE))
	cols := must(G.Mean(colLSE))
	c.loss = must(G.Div(must(G.Sub(must(G.Add(rows, cols)), must(G.Mul(meanDiag, G.NewConstant(float32(2)))))), G.NewConstant(float32(2))))
	if err != nil {
		return nil, fmt.Errorf("building the training graph: %w", err)
	}
	wrt := c.wrt()
	if _, err := G.Grad(c.loss, wrt...); err != nil {
		return nil, fmt.Errorf("differentiating the training graph: %w", err)
	}
	c.vm = G.NewTapeMachine(c.g, G.BindDualValues(wrt...))
	return c, nil
}

// wrt lists the nodes the step differentiates with respect to.
func (c *contrastive) wrt() []*G.Node {
	wrt := []*G.Node{c.w, c.hq, c.hp}
	if c.theta != nil {
		wrt = append(wrt, c.theta)
	}
	if c.w1 != nil {
		wrt = append(wrt, c.w1, c.w2)
	}
	return wrt
}

// stepResult is what one step of the graph returns. The gradient slices
// belong to the graph and change on the next step.
type stepResult struct {
	loss float32
	// pairLoss[i] is pair i's share of the loss: ½ (lse_j S_ij − S_ii +
	// lse_j S_ji − S_ii); the loss is their mean.
	pairLoss     []float32
	gw, ghq, ghp []float32
	gw1, gw2     []float32 // nil without a feed-forward block
	gtheta       float32   // 0 without a lexical half
}

// step runs forward and backward on bag vectors hq, hp (batch×dim,
// row-major) and, with a lexical half, the batch's lexical scores lex
// (batch×batch) and the current lexical weight; it returns the loss and the
// gradients with respect to W, hq, hp and θ.
func (c *contrastive) step(hq, hp, lex []float32, weight float32) (r stepResult, err error) {
	copy(c.hqT.Data().([]float32), hq)
	copy(c.hpT.Data().([]float32), hp)
	b := c.batch
	for i := range b {
		c.rowBound[i], c.colBound[i] = 0, 0
	}
	if c.lexT != nil {
		copy(c.lexT.Data().([]float32), lex)
		for i := range b {
			for j := range b {
				l := lex[i*b+j]
				c.rowBound[i], c.colBound[j] = max(c.rowBound[i], l), max(c.colBound[j], l)
			}
		}
	}
	for i := range b {
		c.rowBound[i] = (1 + weight*c.rowBound[i]) * c.invT
		c.colBound[i] = (1 + weight*c.colBound[i]) * c.invT
	}
	wrt := c.wrt()
	// Gradients accumulate in the dual values until a gorgonia solver
	// zeroes them; the updates here are made by hand, so zero them here.
	for _, n := range wrt {
		if g, err := n.Grad(); err == nil && g != nil {
			clear(g.Data().([]float32))
		}
	}
	defer c.vm.Reset()
	if err := c.vm.RunAll(); err != nil {
		return r, err
	}
	grad := func(n *G.Node) ([]float32, error) {
		v, err := n.Grad()
		if err != nil {
			return nil, err
		}
		return v.Data().([]float32), nil
	}
	if r.gw, err = grad(c.w); err != nil {
		return
	}
	if r.ghq, err = grad(c.hq); err != nil {
		return
	}
	if r.ghp, err = grad(c.hp); err != nil {
		return
	}
	if c.w1 != nil {
		if r.gw1, err = grad(c.w1); err != nil {
			return
		}
		if r.gw2, err = grad(c.w2); err != nil {
			return
		}
	}
	if c.theta != nil {
		g, err := grad(c.theta)
		if err != nil {
			return r, err
		}
		r.gtheta = g[0]
	}
	r.loss = c.loss.Value().Data().(float32)
	sv, rv, cv := c.sVal.Data().([]float32), c.rowVal.Data().([]float32), c.colVal.Data().([]float32)
	r.pairLoss = make([]float32, b)
	for i := range b {
		r.pairLoss[i] = (rv[i] + cv[i] - 2*sv[i*b+i]) / 2
	}
	return r, nil
}
