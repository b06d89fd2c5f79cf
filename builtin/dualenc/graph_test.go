package dualenc

import (
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"
)

// lossRef is the contrastive loss in plain float64, for checking the graph;
// lex (b×b, nil for none) is added to the cosines with weight e^theta.
func lossRef(hq, hp, w []float64, b, d int, tau float64, lex []float64, theta float64) float64 {
	unit := func(h []float64) [][]float64 {
		out := make([][]float64, b)
		for i := 0; i < b; i++ {
			z := make([]float64, d)
			n := 0.0
			for k := 0; k < d; k++ {
				for j := 0; j < d; j++ {
					z[k] += h[i*d+j] * w[j*d+k]
				}
				n += z[k] * z[k]
			}
			for k := range z {
				z[k] /= math.Sqrt(n)
			}
			out[i] = z
		}
		return out
	}
	uq, up := unit(hq), unit(hp)
	s := make([][]float64, b)
	for i := range s {
		s[i] = make([]float64, b)
		for j := range s[i] {
			for k := 0; k < d; k++ {
				s[i][j] += uq[i][k] * up[j][k]
			}
			if lex != nil {
				s[i][j] += math.Exp(theta) * lex[i*b+j]
			}
			s[i][j] /= tau
		}
	}
	loss := 0.0
	for i := 0; i < b; i++ {
		r, c := 0.0, 0.0
		for j := 0; j < b; j++ {
			r += math.Exp(s[i][j])
			c += math.Exp(s[j][i])
		}
		loss += (math.Log(r) - s[i][i] + math.Log(c) - s[i][i]) / 2
	}
	return loss / float64(b)
}

func TestGraphLossAndGradients(t *testing.T) {
	t.Run("dense", func(t *testing.T) { checkGraph(t, false) })
	t.Run("lexical", func(t *testing.T) { checkGraph(t, true) })
}

// checkGraph compares the graph's loss and gradients with the float64
// reference and central differences on it.
func checkGraph(t *testing.T, lexical bool) {
	const b, d, tau = 4, 3, 0.1
	rng := rand.New(rand.NewPCG(1, 2))
	f32 := func(n int) ([]float32, []float64) {
		a, c := make([]float32, n), make([]float64, n)
		for i := range a {
			a[i] = float32(rng.NormFloat64())
			c[i] = float64(a[i])
		}
		return a, c
	}
	hq, hq64 := f32(b * d)
	hp, hp64 := f32(b * d)
	w, w64 := f32(d * d)
	var thetaT *tensor.Dense
	var lex []float32
	var lex64 []float64
	theta := []float32{float32(math.Log(0.3))}
	theta64 := []float64{float64(theta[0])}
	if lexical {
		thetaT = tensor.New(tensor.WithShape(1, 1), tensor.WithBacking(theta))
		// BM25-like scores: non-negative, large on the diagonal, up to 12 so
		// that logits exceed 1/τ and the shift matters.
		lex, lex64 = make([]float32, b*b), make([]float64, b*b)
		for i := range lex {
			lex[i] = float32(rng.Float64() * 4)
			if i%(b+1) == 0 {
				lex[i] += 8
			}
			lex64[i] = float64(lex[i])
		}
	}
	c, err := newContrastive(b, d, tau, tensor.New(tensor.WithShape(d, d), tensor.WithBacking(w)), thetaT, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ref := func() float64 { return lossRef(hq64, hp64, w64, b, d, tau, lex64, theta64[0]) }
	r, err := c.step(hq, hp, lex, float32(math.Exp(float64(theta[0]))))
	if err != nil {
		t.Fatal(err)
	}
	want := ref()
	if math.Abs(float64(r.loss)-want) > 1e-4*math.Max(1, want) {
		t.Fatalf("loss %v, reference %v", r.loss, want)
	}
	// Central differences in float64 on the reference loss.
	const h = 1e-5
	check := func(name string, x []float64, g []float32) {
		for i := range x {
			orig := x[i]
			x[i] = orig + h
			up := ref()
			x[i] = orig - h
			down := ref()
			x[i] = orig
			num := (up - down) / (2 * h)
			if math.Abs(num-float64(g[i])) > 1e-3*math.Max(1, math.Abs(num)) {
				t.Errorf("d loss / d %s[%d]: graph %v, numeric %v", name, i, g[i], num)
			}
		}
	}
	check("w", w64, r.gw)
	check("hq", hq64, r.ghq)
	check("hp", hp64, r.ghp)
	if lexical {
		check("theta", theta64, []float32{r.gtheta})
		if r.gtheta == 0 {
			t.Error("no gradient reaches θ")
		}
	}
	// A second step on the same input gives the same loss and gradients:
	// nothing carries over from one step to the next.
	loss, want0, wantTheta := r.loss, r.gw[0], r.gtheta
	r2, err := c.step(hq, hp, lex, float32(math.Exp(float64(theta[0]))))
	if err != nil || r2.loss != loss || r2.gw[0] != want0 || r2.gtheta != wantTheta {
		t.Fatalf("second step: loss %v (want %v), grad %v (want %v), θ grad %v (want %v), %v", r2.loss, loss, r2.gw[0], want0, r2.gtheta, wantTheta, err)
	}
}
