package dualenc

import (
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"
)

// lossRef is the contrastive loss in plain float64, for checking the graph.
func lossRef(hq, hp, w []float64, b, d int, tau float64) float64 {
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
	c, err := newContrastive(b, d, tau, tensor.New(tensor.WithShape(d, d), tensor.WithBacking(w)))
	if err != nil {
		t.Fatal(err)
	}
	loss, gw, ghq, ghp, err := c.step(hq, hp)
	if err != nil {
		t.Fatal(err)
	}
	want := lossRef(hq64, hp64, w64, b, d, tau)
	if math.Abs(float64(loss)-want) > 1e-4 {
		t.Fatalf("loss %v, reference %v", loss, want)
	}
	// Central differences in float64 on the reference loss.
	const h = 1e-5
	check := func(name string, x []float64, g []float32) {
		for i := range x {
			orig := x[i]
			x[i] = orig + h
			up := lossRef(hq64, hp64, w64, b, d, tau)
			x[i] = orig - h
			down := lossRef(hq64, hp64, w64, b, d, tau)
			x[i] = orig
			num := (up - down) / (2 * h)
			if math.Abs(num-float64(g[i])) > 1e-3*math.Max(1, math.Abs(num)) {
				t.Errorf("d loss / d %s[%d]: graph %v, numeric %v", name, i, g[i], num)
			}
		}
	}
	check("w", w64, gw)
	check("hq", hq64, ghq)
	check("hp", hp64, ghp)
	// A second step on the same input gives the same loss and gradients:
	// nothing carries over from one step to the next.
	want0 := gw[0]
	loss2, gw2, _, _, err := c.step(hq, hp)
	if err != nil || loss2 != loss || gw2[0] != want0 {
		t.Fatalf("second step: loss %v (want %v), grad %v (want %v), %v", loss2, loss, gw2[0], want0, err)
	}
}
