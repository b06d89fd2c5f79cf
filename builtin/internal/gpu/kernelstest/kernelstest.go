// Package kernelstest checks a gpu.Device's kernels against the CPU
// trainer's loops: the emulated device in every `make test`, a real GPU in
// `make gpu-check`.
package kernelstest

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/xlbench/xlbench/builtin/internal/adam"
	"github.com/xlbench/xlbench/builtin/internal/gpu"
	"github.com/xlbench/xlbench/builtin/internal/rows"
)

func randFloats(rng *rand.Rand, n int, scale float64) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(rng.NormFloat64() * scale)
	}
	return out
}

func upload[T gpu.Word](t *testing.T, dev gpu.Device, src []T) gpu.Ptr {
	t.Helper()
	p, err := dev.Alloc(4 * max(len(src), 1))
	if err != nil {
		t.Fatal(err)
	}
	if err := gpu.Put(dev, p, src); err != nil {
		t.Fatal(err)
	}
	return p
}

func download(t *testing.T, dev gpu.Device, p gpu.Ptr, n int) []float32 {
	t.Helper()
	out := make([]float32, n)
	if err := gpu.Get(dev, out, p); err != nil {
		t.Fatal(err)
	}
	return out
}

func launch(t *testing.T, dev gpu.Device, name string, grid, block gpu.Dim, args ...gpu.Arg) {
	t.Helper()
	if err := dev.Launch(name, grid, block, args...); err != nil {
		t.Fatal(err)
	}
}

// same fails unless got and want are equal bit for bit.
func same(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: element %d is %v (%08x), the CPU trainer's %v (%08x)", what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

// near fails unless |got − want| ≤ tol·(1 + |want|) everywhere.
func near(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	for i := range want {
		if d := math.Abs(float64(got[i]) - want[i]); d > tol*(1+math.Abs(want[i])) || math.IsNaN(float64(got[i])) {
			t.Fatalf("%s: element %d is %v, want %v (tolerance %g)", what, i, got[i], want[i], tol)
		}
	}
}

// Check runs every kernel of gpu.Kernels on dev on random data of width d
// and compares it with the CPU trainer: bit for bit for the gather
// (rows.BagSum), the scatter (rows.Axpy in batch order) and AdamW
// (adam.UpdateRows, adam.Update); within 1e-5 of a float64 reference for
// the normalisation, log-sum-exp, InfoNCE gradient and its backward pass.
func Check(t *testing.T, dev gpu.Device, d int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(d), 9))
	const tableRows, nbags, threads = 97, 12, 32
	tile := gpu.Dim{X: threads}
	cols := gpu.Grid(d, threads)

	// Gather: bags of 1 to 20 distinct rows.
	table := randFloats(rng, tableRows*d, 1)
	off := []int32{0}
	var ids []uint32
	var weights []float32
	for range nbags {
		perm := rng.Perm(tableRows)[:1+rng.IntN(20)]
		for _, id := range perm {
			ids = append(ids, uint32(id))
			weights = append(weights, rng.Float32())
		}
		off = append(off, int32(len(ids)))
	}
	want := make([]float32, nbags*d)
	for b := range nbags {
		rows.BagSum(table, d, ids[off[b]:off[b+1]], weights[off[b]:off[b+1]], want[b*d:(b+1)*d])
	}
	pTable, pOff, pIDs, pW := upload(t, dev, table), upload(t, dev, off), upload(t, dev, ids), upload(t, dev, weights)
	pOut := upload(t, dev, make([]float32, nbags*d))
	launch(t, dev, "xb_bag_sum", gpu.Dim{X: nbags, Y: cols}, tile, gpu.P(pTable), gpu.I(d), gpu.P(pOff), gpu.P(pIDs), gpu.P(pW), gpu.I(nbags), gpu.P(pOut))
	same(t, "bag sums", download(t, dev, pOut, nbags*d), want)

	// Scatter: every row the bags touch sums weight × its texts' gradients,
	// texts in order, as the CPU trainer adds them.
	gh := randFloats(rng, nbags*d, 1)
	var touched []uint32
	contrib := map[uint32][][2]float32{}
	for b := range nbags {
		for k := off[b]; k < off[b+1]; k++ {
			id := ids[k]
			if contrib[id] == nil {
				touched = append(touched, id)
			}
			contrib[id] = append(contrib[id], [2]float32{float32(b), weights[k]})
		}
	}
	rOff := []int32{0}
	var rText []int32
	var rW []float32
	wantGrads := make([]float32, len(touched)*d)
	for r, id := range touched {
		for _, c := range contrib[id] {
			rText, rW = append(rText, int32(c[0])), append(rW, c[1])
			rows.Axpy(c[1], gh[int(c[0])*d:int(c[0]+1)*d], wantGrads[r*d:(r+1)*d])
		}
		rOff = append(rOff, int32(len(rText)))
	}
	nr := len(touched)
	pGH, pROff, pRText, pRW := upload(t, dev, gh), upload(t, dev, rOff), upload(t, dev, rText), upload(t, dev, rW)
	pGrads := upload(t, dev, make([]float32, nr*d))
	launch(t, dev, "xb_row_grads", gpu.Dim{X: uint32(nr), Y: cols}, tile, gpu.P(pGH), gpu.I(d), gpu.P(pROff), gpu.P(pRText), gpu.P(pRW), gpu.I(nr), gpu.P(pGrads))
	grads := download(t, dev, pGrads, nr*d)
	same(t, "row gradients", grads, wantGrads)

	// Lazy AdamW on the touched rows, three steps, then dense AdamW.
	m, v := randFloats(rng, tableRows*d, 0.01), randFloats(rng, tableRows*d, 0.01)
	for i := range v {
		v[i] *= v[i]
	}
	pM, pV, pRows := upload(t, dev, m), upload(t, dev, v), upload(t, dev, touched)
	wantP, wantM, wantV := append([]float32{}, table...), append([]float32{}, m...), append([]float32{}, v...)
	for step := 1; step <= 3; step++ {
		lr, decay := adam.StepSize(0.003, step), float32(1-0.003*0.01)
		adam.UpdateRows(wantP, wantM, wantV, d, touched, grads, lr, decay)
		launch(t, dev, "xb_adam_rows", gpu.Dim{X: uint32(nr), Y: cols}, tile, gpu.P(pTable), gpu.P(pM), gpu.P(pV), gpu.I(d), gpu.P(pRows), gpu.P(pGrads), gpu.I(nr),
			gpu.F(adam.Beta1), gpu.F(1-adam.Beta1), gpu.F(adam.Beta2), gpu.F(1-adam.Beta2), gpu.F(adam.Eps), gpu.F(lr), gpu.F(decay))
	}
	same(t, "rows after AdamW", download(t, dev, pTable, tableRows*d), wantP)
	same(t, "first moments after AdamW", download(t, dev, pM, tableRows*d), wantM)
	same(t, "second moments after AdamW", download(t, dev, pV, tableRows*d), wantV)
	n := d * 5
	p, g := randFloats(rng, n, 1), randFloats(rng, n, 1)
	pP, pG, pDM, pDV := upload(t, dev, p), upload(t, dev, g), upload(t, dev, make([]float32, n)), upload(t, dev, make([]float32, n))
	wp, wm, wv := append([]float32{}, p...), make([]float32, n), make([]float32, n)
	lr := adam.StepSize(0.01, 1)
	adam.Update(wp, wm, wv, g, lr, 0.999)
	launch(t, dev, "xb_adam", gpu.Dim{X: gpu.Grid(n, threads)}, tile, gpu.P(pP), gpu.P(pDM), gpu.P(pDV), gpu.P(pG), gpu.I(n),
		gpu.F(adam.Beta1), gpu.F(1-adam.Beta1), gpu.F(adam.Beta2), gpu.F(1-adam.Beta2), gpu.F(adam.Eps), gpu.F(lr), gpu.F(0.999))
	same(t, "dense AdamW", download(t, dev, pP, n), wp)

	checkDense(t, dev, rng, d)
	checkFeedForward(t, dev, rng, d)
}

// checkFeedForward checks the feed-forward block's elementwise kernels,
// which are exact.
func checkFeedForward(t *testing.T, dev gpu.Device, rng *rand.Rand, d int) {
	const threads = 32
	n := 7 * d
	a, dr, y := randFloats(rng, n, 1), randFloats(rng, n, 1), randFloats(rng, n, 1)
	a[0], a[1] = 0, float32(math.Copysign(0, -1))
	pA, pDR, pY := upload(t, dev, a), upload(t, dev, dr), upload(t, dev, y)
	pR, pDA := upload(t, dev, make([]float32, n)), upload(t, dev, make([]float32, n))
	grid, tile := gpu.Dim{X: gpu.Grid(n, threads)}, gpu.Dim{X: threads}
	launch(t, dev, "xb_relu", grid, tile, gpu.P(pA), gpu.P(pR), gpu.I(n))
	launch(t, dev, "xb_relu_backward", grid, tile, gpu.P(pA), gpu.P(pDR), gpu.P(pDA), gpu.I(n))
	launch(t, dev, "xb_add", grid, tile, gpu.P(pA), gpu.P(pY), gpu.I(n))
	wantR, wantDA, wantY := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range a {
		if a[i] > 0 {
			wantR[i], wantDA[i] = a[i], dr[i]
		}
		wantY[i] = y[i] + a[i]
	}
	same(t, "relu", download(t, dev, pR, n), wantR)
	same(t, "relu backward", download(t, dev, pDA, n), wantDA)
	same(t, "add", download(t, dev, pY, n), wantY)
}

// checkDense compares the normalisation, log-sum-exp, InfoNCE gradient and
// normalisation backward kernels with float64 references.
func checkDense(t *testing.T, dev gpu.Device, rng *rand.Rand, d int) {
	const b, threads = 9, 32
	const invT = 1 / 0.05
	tile := gpu.Dim{X: threads}
	z := randFloats(rng, 2*b*d, 1)
	pZ, pU, pInv := upload(t, dev, z), upload(t, dev, make([]float32, 2*b*d)), upload(t, dev, make([]float32, 2*b))
	launch(t, dev, "xb_normalize", gpu.Dim{X: gpu.Grid(2*b, threads)}, tile, gpu.P(pZ), gpu.I(2*b), gpu.I(d), gpu.P(pU), gpu.P(pInv))
	u := download(t, dev, pU, 2*b*d)
	wantU, wantInv := make([]float64, 2*b*d), make([]float64, 2*b)
	for i := range 2 * b {
		s := 0.0
		for _, x := range z[i*d : (i+1)*d] {
			s += float64(x) * float64(x)
		}
		wantInv[i] = 1 / math.Sqrt(s+1e-12)
		for k := range d {
			wantU[i*d+k] = float64(z[i*d+k]) * wantInv[i]
		}
	}
	near(t, "unit vectors", u, wantU, 1e-5)
	near(t, "inverse norms", download(t, dev, pInv, 2*b), wantInv, 1e-5)

	// Cosines of the unit vectors, their row and column lse, the pair
	// losses and dC.
	c := make([]float32, b*b)
	for i := range b {
		for j := range b {
			s := float32(0)
			for k := range d {
				s += u[i*d+k] * u[(b+j)*d+k]
			}
			c[i*b+j] = s
		}
	}
	pC, pRow, pCol := upload(t, dev, c), upload(t, dev, make([]float32, b)), upload(t, dev, make([]float32, b))
	launch(t, dev, "xb_lse", gpu.Dim{X: gpu.Grid(2*b, threads)}, tile, gpu.P(pC), gpu.I(b), gpu.F(invT), gpu.P(pRow), gpu.P(pCol))
	rowLSE, colLSE := make([]float64, b), make([]float64, b)
	lse := func(at func(j int) float64) float64 {
		mx := math.Inf(-1)
		for j := range b {
			mx = math.Max(mx, at(j))
		}
		s := 0.0
		for j := range b {
			s += math.Exp(at(j) - mx)
		}
		return mx + math.Log(s)
	}
	for i := range b {
		rowLSE[i] = lse(func(j int) float64 { return float64(c[i*b+j]) * invT })
		colLSE[i] = lse(func(j int) float64 { return float64(c[j*b+i]) * invT })
	}
	near(t, "row log-sum-exp", download(t, dev, pRow, b), rowLSE, 1e-5)
	near(t, "column log-sum-exp", download(t, dev, pCol, b), colLSE, 1e-5)
	pDC, pPair := upload(t, dev, make([]float32, b*b)), upload(t, dev, make([]float32, b))
	launch(t, dev, "xb_infonce_grad", gpu.Dim{X: gpu.Grid(b*b, threads)}, tile, gpu.P(pC), gpu.I(b), gpu.F(invT), gpu.P(pRow), gpu.P(pCol), gpu.P(pDC), gpu.P(pPair))
	rl, cl := download(t, dev, pRow, b), download(t, dev, pCol, b)
	wantDC, wantPair := make([]float64, b*b), make([]float64, b)
	for i := range b {
		for j := range b {
			s := float64(c[i*b+j]) * invT
			g := math.Exp(s-float64(rl[i])) + math.Exp(s-float64(cl[j]))
			if i == j {
				g -= 2
				wantPair[i] = (float64(rl[i]) + float64(cl[i]) - 2*s) / 2
			}
			wantDC[i*b+j] = g * invT / (2 * b)
		}
	}
	near(t, "InfoNCE gradient", download(t, dev, pDC, b*b), wantDC, 1e-4)
	near(t, "pair losses", download(t, dev, pPair, b), wantPair, 1e-5)

	du := randFloats(rng, 2*b*d, 1)
	pDU, pDZ := upload(t, dev, du), upload(t, dev, make([]float32, 2*b*d))
	inv := download(t, dev, pInv, 2*b)
	launch(t, dev, "xb_norm_backward", gpu.Dim{X: gpu.Grid(2*b, threads)}, tile, gpu.P(pU), gpu.P(pDU), gpu.P(pInv), gpu.I(2*b), gpu.I(d), gpu.P(pDZ))
	wantDZ := make([]float64, 2*b*d)
	for i := range 2 * b {
		dot := 0.0
		for k := range d {
			dot += float64(u[i*d+k]) * float64(du[i*d+k])
		}
		for k := range d {
			wantDZ[i*d+k] = (float64(du[i*d+k]) - float64(u[i*d+k])*dot) * float64(inv[i])
		}
	}
	near(t, "normalisation backward", download(t, dev, pDZ, 2*b*d), wantDZ, 1e-4)
}
