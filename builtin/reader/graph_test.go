package reader

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// spanGraph is the dense part of a training step as a gorgonia graph, for
// batches of b passages padded to l tokens: the reference spanStep is
// checked against (TestStepIsTheGraphs), the model written as gorgonia
// differentiates it:
//
//	h_t = tanh(x_t · W)                  x_t: token t's input row (see inputs)
//	a_t = softmax_k(h_t·h_k / √H)        self-attention over the passage's
//	c_t = Σ_k a_tk h_k                   real tokens (padding masked out)
//	z_t = tanh(h_t · A + c_t · C)        the contextual token row
//	u   = tanh(q · Us),  v = tanh(q · Ue)   q: the question's row
//	s_t = α/H · z_t·u,   e_t = α/H · z_t·v  start and end logits
//	loss = mean over passages of ½ [lse(s) − s_start + lse(e) − e_end]
//
// with lse over the passage's real tokens. z, u and v lie in [−1, 1]^H, so
// every logit lies in [−α, α]: lse is computed as α + log Σ mask·exp(s − α),
// which can neither overflow nor vanish; the attention scores lie in
// [−√H, √H]. The constant-1 feature of x and q carries the biases.
type spanGraph struct {
	b, l                    int
	g                       *G.ExprGraph
	x, q, w, a, c, us, ue   *G.Node
	loss                    *G.Node
	vm                      G.VM
	xT, qT, maskT, keyMaskT *tensor.Dense
	startT, endT            *tensor.Dense
	starts, ends            *G.Node
	weights                 []*G.Node
}

func newSpanGraph(b, l, in, qin, hidden int, alpha float32, wts graphWeights) (*spanGraph, error) {
	sg := &spanGraph{b: b, l: l, g: G.NewGraph()}
	var err error
	must := func(n *G.Node, e error) *G.Node {
		if e != nil && err == nil {
			err = e
		}
		return n
	}
	input := func(name string, shape ...int) (*G.Node, *tensor.Dense) {
		t := tensor.New(tensor.WithShape(shape...), tensor.Of(tensor.Float32))
		return G.NewTensor(sg.g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(name), G.WithValue(t)), t
	}
	weight := func(name string, data []float32, rows int) *G.Node {
		t := tensor.New(tensor.WithShape(rows, hidden), tensor.WithBacking(data))
		return G.NewMatrix(sg.g, tensor.Float32, G.WithShape(rows, hidden), G.WithName(name), G.WithValue(t))
	}
	sg.x, sg.xT = input("x", b*l, in)
	sg.q, sg.qT = input("q", b, qin)
	var mask, keyMask, ys, ye *G.Node
	mask, sg.maskT = input("mask", b, l)
	keyMask, sg.keyMaskT = input("keymask", b, l, l)
	ys, sg.startT = input("start", b, l)
	ye, sg.endT = input("end", b, l)
	sg.w = weight("w", wts.w, in)
	sg.a = weight("a", wts.a, hidden)
	sg.c = weight("c", wts.c, hidden)
	sg.us = weight("us", wts.us, qin)
	sg.ue = weight("ue", wts.ue, qin)
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
	hr := must(G.Reshape(h, tensor.Shape{b, l, hidden}))
	scores := must(G.BatchedMatMul(hr, hr, false, true))
	scores = must(G.Add(must(G.Mul(scores, G.NewConstant(float32(1/math.Sqrt(float64(hidden)))))), keyMask))
	att := must(G.SoftMax(scores, 2))
	ctx := must(G.Reshape(must(G.BatchedMatMul(att, hr)), tensor.Shape{b * l, hidden}))
	z := must(G.Tanh(must(G.Add(must(G.Mul(h, sg.a)), must(G.Mul(ctx, sg.c))))))

	scale := G.NewConstant(alpha / float32(hidden))
	shift := G.NewConstant(alpha)
	logits := func(u *G.Node) *G.Node {
		per := must(G.Mul(expand, must(G.Tanh(must(G.Mul(sg.q, u))))))
		return must(G.Reshape(must(G.Mul(must(G.Sum(must(G.HadamardProd(z, per)), 1)), scale)), tensor.Shape{b, l}))
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
	sg.weights = []*G.Node{sg.w, sg.a, sg.c, sg.us, sg.ue}
	wrt := append([]*G.Node{sg.x, sg.q}, sg.weights...)
	if _, err := G.Grad(sg.loss, wrt...); err != nil {
		return nil, fmt.Errorf("differentiating the reader graph: %w", err)
	}
	sg.vm = G.NewTapeMachine(sg.g, G.BindDualValues(wrt...))
	return sg, nil
}

// step runs forward and backward. x is b·l token rows, q b question rows,
// mask b×l (1 for real tokens), starts and ends the gold token of each
// passage.
func (sg *spanGraph) step(x, q, mask []float32, starts, ends []int) (float32, stepGrads, error) {
	copy(sg.xT.Data().([]float32), x)
	copy(sg.qT.Data().([]float32), q)
	copy(sg.maskT.Data().([]float32), mask)
	stepTargets(sg.b, sg.l, mask, starts, ends, sg.keyMaskT.Data().([]float32), sg.startT.Data().([]float32), sg.endT.Data().([]float32))
	nodes := append([]*G.Node{sg.x, sg.q}, sg.weights...)
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
	return sg.loss.Value().Data().(float32), stepGrads{x: grads[0], q: grads[1],
		wts: graphWeights{w: grads[2], a: grads[3], c: grads[4], us: grads[5], ue: grads[6]}}, nil
}
