package reader

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// spanGraph is the dense part of a training step as a gorgonia graph, for
// batches of b passages padded to l tokens:
//
//	h_t = tanh(x_t · W)                 x_t: token t's input row (see inputs)
//	u   = tanh(q · Us),  v = tanh(q · Ue)   q: the question's row
//	s_t = α/H · h_t·u,   e_t = α/H · h_t·v  start and end logits
//	loss = mean over passages of ½ [lse(s) − s_start + lse(e) − e_end]
//
// with lse over the passage's real tokens (padding masked out). h, u and v
// lie in [−1, 1]^H, so every logit lies in [−α, α]: lse is computed as
// α + log Σ mask·exp(s − α), which can neither overflow nor vanish. The
// constant-1 feature of x and q carries the biases.
type spanGraph struct {
	b, l            int
	g               *G.ExprGraph
	x, q, w, us, ue *G.Node
	loss            *G.Node
	vm              G.VM
	xT, qT, maskT   *tensor.Dense
	startT, endT    *tensor.Dense
	starts, ends    *G.Node
}

func newSpanGraph(b, l, in, qin, hidden int, alpha float32, w, us, ue *tensor.Dense) (*spanGraph, error) {
	sg := &spanGraph{b: b, l: l, g: G.NewGraph()}
	var err error
	must := func(n *G.Node, e error) *G.Node {
		if e != nil && err == nil {
			err = e
		}
		return n
	}
	matrix := func(name string, rows, cols int) (*G.Node, *tensor.Dense) {
		t := tensor.New(tensor.WithShape(rows, cols), tensor.Of(tensor.Float32))
		return G.NewMatrix(sg.g, tensor.Float32, G.WithShape(rows, cols), G.WithName(name), G.WithValue(t)), t
	}
	sg.x, sg.xT = matrix("x", b*l, in)
	sg.q, sg.qT = matrix("q", b, qin)
	var mask, ys, ye *G.Node
	mask, sg.maskT = matrix("mask", b, l)
	ys, sg.startT = matrix("start", b, l)
	ye, sg.endT = matrix("end", b, l)
	sg.w = G.NewMatrix(sg.g, tensor.Float32, G.WithShape(in, hidden), G.WithName("w"), G.WithValue(w))
	sg.us = G.NewMatrix(sg.g, tensor.Float32, G.WithShape(qin, hidden), G.WithName("us"), G.WithValue(us))
	sg.ue = G.NewMatrix(sg.g, tensor.Float32, G.WithShape(qin, hidden), G.WithName("ue"), G.WithValue(ue))
	// expand repeats each question row l times, so that token rows meet
	// their own question: expand[i·l+t, i] = 1.
	ex := make([]float32, b*l*b)
	for i := 0; i < b; i++ {
		for t := 0; t < l; t++ {
			ex[(i*l+t)*b+i] = 1
		}
	}
	expand := G.NewConstant(tensor.New(tensor.WithShape(b*l, b), tensor.WithBacking(ex)), G.WithName("expand"))

	h := must(G.Tanh(must(G.Mul(sg.x, sg.w))))
	scale := G.NewConstant(alpha / float32(hidden))
	shift := G.NewConstant(alpha)
	logits := func(u *G.Node) *G.Node {
		per := must(G.Mul(expand, must(G.Tanh(must(G.Mul(sg.q, u))))))
		return must(G.Reshape(must(G.Mul(must(G.Sum(must(G.HadamardProd(h, per)), 1)), scale)), tensor.Shape{b, l}))
	}
	side := func(s, y *G.Node) *G.Node {
		sum := must(G.Sum(must(G.HadamardProd(mask, must(G.Exp(must(G.Sub(s, shift)))))), 1))
		lse := must(G.Add(must(G.Log(sum)), shift))
		gold := must(G.Sum(must(G.HadamardProd(y, s)), 1))
		return must(G.Mean(must(G.Sub(lse, gold))))
	}
	sg.starts, sg.ends = logits(sg.us), logits(sg.ue)
	sg.loss = must(G.Div(must(G.Add(side(sg.starts, ys), side(sg.ends, ye))), G.NewConstant(float32(2))))
	if err != nil {
		return nil, fmt.Errorf("building the reader graph: %w", err)
	}
	if _, err := G.Grad(sg.loss, sg.x, sg.q, sg.w, sg.us, sg.ue); err != nil {
		return nil, fmt.Errorf("differentiating the reader graph: %w", err)
	}
	sg.vm = G.NewTapeMachine(sg.g, G.BindDualValues(sg.x, sg.q, sg.w, sg.us, sg.ue))
	return sg, nil
}

// stepGrads are the gradients of one step, with respect to the token rows,
// the question rows and the three weight matrices. They belong to the graph
// and change on the next step.
type stepGrads struct {
	x, q, w, us, ue []float32
}

// step runs forward and backward. x is b·l token rows, q b question rows,
// mask b×l (1 for real tokens), starts and ends the gold token of each
// passage.
func (sg *spanGraph) step(x, q, mask []float32, starts, ends []int) (float32, stepGrads, error) {
	copy(sg.xT.Data().([]float32), x)
	copy(sg.qT.Data().([]float32), q)
	copy(sg.maskT.Data().([]float32), mask)
	ys, ye := sg.startT.Data().([]float32), sg.endT.Data().([]float32)
	clear(ys)
	clear(ye)
	for i := range starts {
		ys[i*sg.l+starts[i]] = 1
		ye[i*sg.l+ends[i]] = 1
	}
	nodes := []*G.Node{sg.x, sg.q, sg.w, sg.us, sg.ue}
	// Dual values accumulate gradients until something zeroes them.
	for _, n := range nodes {
		if g, err := n.Grad(); err == nil && g != nil {
			clear(g.Data().([]float32))
		}
	}
	defer sg.vm.Reset()
	if err := sg.vm.RunAll(); err != nil {
		return 0, stepGrads{}, err
	}
	grads := make([][]float32, len(nodes))
	for i, n := range nodes {
		g, err := n.Grad()
		if err != nil {
			return 0, stepGrads{}, err
		}
		grads[i] = g.Data().([]float32)
	}
	return sg.loss.Value().Data().(float32), stepGrads{grads[0], grads[1], grads[2], grads[3], grads[4]}, nil
}
