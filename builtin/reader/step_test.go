package reader

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestStepIsTheGraphs runs the hand-written step and the gorgonia graph it
// transcribes on the same random batches and weights, and requires the
// same bits: the loss and every gradient. The batches cover short and
// long passages with padding, saturated and tiny activations, −0 and
// exact zeros in the inputs (dropped embeddings), every gold position
// and shapes on both sides of gemm's parallel split, and the weights move
// between steps as in training.
func TestStepIsTheGraphs(t *testing.T) {
	const in, qin, hid = 3*8 + numDense, 2*8 + 1, 12
	rng := rand.New(rand.NewPCG(7, 8))
	shapes := [][2]int{{1, 8}, {2, 8}, {3, 16}, {5, 24}, {8, 64}, {32, 40}}
	if testing.Short() {
		shapes = shapes[:4]
	}
	for _, shape := range shapes {
		b, l := shape[0], shape[1]
		wts := graphWeights{w: make([]float32, in*hid), a: make([]float32, hid*hid), c: make([]float32, hid*hid),
			us: make([]float32, qin*hid), ue: make([]float32, qin*hid)}
		for _, m := range wts.all() {
			for k := range m {
				m[k] = float32(rng.NormFloat64() * 0.4)
			}
		}
		alpha := float32(10)
		g, err := newSpanGraph(b, l, in, qin, hid, alpha, wts)
		if err != nil {
			t.Fatal(err)
		}
		st := newSpanStep(b, l, in, qin, hid, alpha)
		for step := range 6 {
			x, q := make([]float32, b*l*in), make([]float32, b*qin)
			mask := make([]float32, b*l)
			starts, ends := make([]int, b), make([]int, b)
			for i := range b {
				n := 1 + rng.IntN(l)
				if i == 0 && step%2 == 0 {
					n = l
				}
				scale := []float64{1, 0.01, 5}[rng.IntN(3)]
				for tok := range n {
					mask[i*l+tok] = 1
					row := x[(i*l+tok)*in : (i*l+tok+1)*in]
					for k := range row {
						switch r := rng.IntN(20); {
						case r == 0:
							row[k] = float32(math.Copysign(0, -1))
						case r < 4:
							row[k] = 0
						default:
							row[k] = float32(rng.NormFloat64() * scale)
						}
					}
				}
				for k := range qin {
					q[i*qin+k] = float32(rng.NormFloat64() * scale)
				}
				q[i*qin+qin-1] = 1
				starts[i] = rng.IntN(n)
				ends[i] = starts[i] + rng.IntN(n-starts[i])
			}
			wantLoss, want, err := g.step(x, q, mask, starts, ends)
			if err != nil {
				t.Fatal(err)
			}
			gotLoss, got := st.step(wts, x, q, mask, starts, ends)
			where := func(what string, k int, got, graph float32) {
				t.Helper()
				t.Fatalf("b=%d l=%d step %d: %s[%d] = %v (%#x), the graph's %v (%#x)", b, l, step, what, k, got, math.Float32bits(got), graph, math.Float32bits(graph))
			}
			if math.Float32bits(gotLoss) != math.Float32bits(wantLoss) {
				where("loss", 0, gotLoss, wantLoss)
			}
			names := []string{"x", "q", "w", "a", "c", "us", "ue"}
			wantAll := append([][]float32{want.x, want.q}, want.wts.all()...)
			gotAll := append([][]float32{got.x, got.q}, got.wts.all()...)
			for j := range wantAll {
				if len(gotAll[j]) != len(wantAll[j]) {
					t.Fatalf("b=%d l=%d: %d gradients of %s, the graph has %d", b, l, len(gotAll[j]), names[j], len(wantAll[j]))
				}
				for k := range wantAll[j] {
					if math.Float32bits(gotAll[j][k]) != math.Float32bits(wantAll[j][k]) {
						where(names[j], k, gotAll[j][k], wantAll[j][k])
					}
				}
			}
			// Move the weights as a step of training would.
			for j, m := range wts.all() {
				for k := range m {
					m[k] -= 0.05 * want.wts.all()[j][k]
				}
			}
		}
	}
}
