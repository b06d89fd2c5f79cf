package adam

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestVectorUpdateBitIdentical: the vector update gives the scalar loop's
// bits exactly, over lengths with and without a tail, with weight decay,
// tiny and huge gradients and zero moments.
func TestVectorUpdateBitIdentical(t *testing.T) {
	if !haveAVX {
		t.Skip("no AVX here: Update runs the scalar loop only")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{8, 13, 128, 131, 1000} {
		p, m, v, g := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range p {
			p[i] = float32(rng.NormFloat64())
			m[i] = float32(rng.NormFloat64() * 1e-3)
			v[i] = float32(math.Abs(rng.NormFloat64()) * 1e-5)
			g[i] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(12)-8)))
		}
		m[0], v[0], g[0] = 0, 0, 0
		p2, m2, v2 := append([]float32{}, p...), append([]float32{}, m...), append([]float32{}, v...)
		for step := 1; step <= 5; step++ {
			lr := StepSize(0.003, step)
			Update(p, m, v, g, lr, 0.99997)
			updateScalar(p2, m2, v2, g, lr, 0.99997)
		}
		for i := range p {
			if math.Float32bits(p[i]) != math.Float32bits(p2[i]) || math.Float32bits(m[i]) != math.Float32bits(m2[i]) ||
				math.Float32bits(v[i]) != math.Float32bits(v2[i]) {
				t.Fatalf("n=%d, element %d: vector p %v m %v v %v, scalar p %v m %v v %v", n, i, p[i], m[i], v[i], p2[i], m2[i], v2[i])
			}
		}
	}
}

// TestUpdateRowsMatchesUpdate: the rows kernel gives each row Update's
// bits, rows scattered and in any order.
func TestUpdateRowsMatchesUpdate(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, d := range []int{8, 128, 12} {
		const tableRows = 300
		p, m, v := make([]float32, tableRows*d), make([]float32, tableRows*d), make([]float32, tableRows*d)
		for i := range p {
			p[i] = float32(rng.NormFloat64())
			m[i] = float32(rng.NormFloat64() * 1e-3)
			v[i] = float32(math.Abs(rng.NormFloat64()) * 1e-5)
		}
		ids := make([]uint32, 0, 100)
		for _, r := range rng.Perm(tableRows)[:100] {
			ids = append(ids, uint32(r))
		}
		grads := make([]float32, len(ids)*d)
		for i := range grads {
			grads[i] = float32(rng.NormFloat64() * 1e-2)
		}
		p2, m2, v2 := append([]float32{}, p...), append([]float32{}, m...), append([]float32{}, v...)
		lr := StepSize(0.003, 3)
		UpdateRows(p, m, v, d, ids, grads, lr, 0.99997)
		for r, id := range ids {
			off := int(id) * d
			Update(p2[off:off+d], m2[off:off+d], v2[off:off+d], grads[r*d:r*d+d], lr, 0.99997)
		}
		for i := range p {
			if math.Float32bits(p[i]) != math.Float32bits(p2[i]) || math.Float32bits(m[i]) != math.Float32bits(m2[i]) ||
				math.Float32bits(v[i]) != math.Float32bits(v2[i]) {
				t.Fatalf("d=%d, element %d: rows kernel p %v m %v v %v, Update p %v m %v v %v", d, i, p[i], m[i], v[i], p2[i], m2[i], v2[i])
			}
		}
	}
}

func BenchmarkUpdate(b *testing.B) {
	const n = 1 << 16
	p, m, v, g := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range g {
		g[i] = float32(i%7) * 1e-3
	}
	b.Run("vector", func(b *testing.B) {
		for b.Loop() {
			Update(p, m, v, g, 1e-3, 1)
		}
	})
	b.Run("scalar", func(b *testing.B) {
		for b.Loop() {
			updateScalar(p, m, v, g, 1e-3, 1)
		}
	})
}
