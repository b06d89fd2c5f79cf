package dualenc

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// contrastive is the dense half of a training step as a gorgonia graph: the
// shared projection of query and passage bag vectors, L2 normalisation and
// the symmetric InfoNCE loss with in-batch negatives,
//
//	u = h·W / ‖h·W‖,  S = Uq·Upᵀ / τ,
//	loss = ½ [ mean_i (lse_j S_ij − S_ii) + mean_j (lse_i S_ij − S_jj) ],
//
// where lse is log-sum-exp. Cosines are at most 1, so every logit is at most
// 1/τ; subtracting that constant inside lse keeps exp from overflowing
// without a data-dependent max.
type contrastive struct {
	batch, dim int
	g          *G.ExprGraph
	hq, hp, w  *G.Node
	loss       *G.Node
	vm         G.VM
	hqT, hpT   *tensor.Dense
}

func newContrastive(batch, dim int, temperature float64, w *tensor.Dense) (*contrastive, error) {
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
	unit := func(h *G.Node) *G.Node {
		z := must(G.Mul(h, c.w))
		norm := must(G.Sqrt(must(G.Add(must(G.Sum(must(G.Square(z)), 1)), eps))))
		return must(G.BroadcastHadamardDiv(z, norm, nil, []byte{1}))
	}
	uq, up := unit(c.hq), unit(c.hp)
	invT := float32(1 / temperature)
	s := must(G.Mul(must(G.Mul(uq, must(G.Transpose(up)))), G.NewConstant(invT)))
	shift := G.NewConstant(invT)
	lse := func(axis int) *G.Node {
		e := must(G.Exp(must(G.Sub(s, shift))))
		return must(G.Add(must(G.Log(must(G.Sum(e, axis)))), shift))
	}
	eye := make([]float32, batch*batch)
	for i := 0; i < batch; i++ {
		eye[i*batch+i] = 1
	}
	diag := must(G.Sum(must(G.HadamardProd(s, G.NewConstant(tensor.New(tensor.WithShape(batch, batch), tensor.WithBacking(eye)))))))
	meanDiag := must(G.Div(diag, G.NewConstant(float32(batch))))
	rows := must(G.Mean(lse(1)))
	cols := must(G.Mean(lse(0)))
	c.loss = must(G.Div(must(G.Sub(must(G.Add(rows, cols)), must(G.Mul(meanDiag, G.NewConstant(float32(2)))))), G.NewConstant(float32(2))))
	if err != nil {
		return nil, fmt.Errorf("building the training graph: %w", err)
	}
	if _, err := G.Grad(c.loss, c.w, c.hq, c.hp); err != nil {
		return nil, fmt.Errorf("differentiating the training graph: %w", err)
	}
	c.vm = G.NewTapeMachine(c.g, G.BindDualValues(c.w, c.hq, c.hp))
	return c, nil
}

// step runs forward and backward on bag vectors hq, hp (batch×dim,
// row-major) and returns the loss and the gradients with respect to W, hq
// and hp. The gradient slices belong to the graph and change on the next
// step.
func (c *contrastive) step(hq, hp []float32) (loss float32, gw, ghq, ghp []float32, err error) {
	copy(c.hqT.Data().([]float32), hq)
	copy(c.hpT.Data().([]float32), hp)
	// Gradients accumulate in the dual values until a gorgonia solver
	// zeroes them; the updates here are made by hand, so zero them here.
	for _, n := range []*G.Node{c.w, c.hq, c.hp} {
		if g, err := n.Grad(); err == nil && g != nil {
			clear(g.Data().([]float32))
		}
	}
	defer c.vm.Reset()
	if err := c.vm.RunAll(); err != nil {
		return 0, nil, nil, nil, err
	}
	grad := func(n *G.Node) ([]float32, error) {
		v, err := n.Grad()
		if err != nil {
			return nil, err
		}
		return v.Data().([]float32), nil
	}
	if gw, err = grad(c.w); err != nil {
		return
	}
	if ghq, err = grad(c.hq); err != nil {
		return
	}
	if ghp, err = grad(c.hp); err != nil {
		return
	}
	return c.loss.Value().Data().(float32), gw, ghq, ghp, nil
}
