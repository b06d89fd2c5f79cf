package eval

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// TestInnerProductsMatchGonum checks the kernel path against gonum's Sgemm
// on shapes that exercise every edge: query rows not a multiple of 4,
// candidates not a multiple of 3 or of the tile.
func TestInnerProductsMatchGonum(t *testing.T) {
	if !haveKernel {
		t.Skip("no AVX2/FMA on this CPU; the gonum path is used")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, shape := range [][3]int{{1, 1, 8}, {4, 3, 8}, {7, 5, 16}, {13, 400, 64}, {9, 197, 256}} {
		nq, nc, d := shape[0], shape[1], shape[2]
		q, c := normalMatrix(rng, nq, d), normalMatrix(rng, nc, d)
		got := make([]float32, nq*nc)
		if !innerProducts(q, c, nil, nq, nc, d, got) {
			t.Fatal("kernel path refused a multiple-of-8 dimension")
		}
		want := make([]float32, nq*nc)
		blas32.Gemm(blas.NoTrans, blas.Trans, 1, blas32.General{Rows: nq, Cols: d, Stride: d, Data: q},
			blas32.General{Rows: nc, Cols: d, Stride: d, Data: c}, 0, blas32.General{Rows: nq, Cols: nc, Stride: nc, Data: want})
		for i := range want {
			if math.Abs(float64(got[i]-want[i])) > 1e-4*math.Sqrt(float64(d)) {
				t.Fatalf("shape %v: out[%d] = %v, gonum %v", shape, i, got[i], want[i])
			}
		}
	}
	if innerProducts(make([]float32, 12), make([]float32, 12), nil, 2, 2, 6, make([]float32, 4)) {
		t.Error("kernel path accepted a dimension that is not a multiple of 8")
	}
}

// TestInnerProductsSplitIndependent: every score equals the one-pair
// kernel's, bit for bit, whatever the number of workers, wherever the
// blocks' edges fall and whichever kernel (AVX2, or AVX-512 on packed
// pairs where the CPU has it) computed it; and the one-pair kernel equals
// the pure-Go reference of the summation order.
func TestInnerProductsSplitIndependent(t *testing.T) {
	if !haveKernel {
		t.Skip("no AVX2/FMA on this CPU; the gonum path is used")
	}
	if !haveKernel512 {
		t.Log("no AVX-512 on this CPU: only the AVX2 kernel is checked")
	}
	rng := rand.New(rand.NewPCG(9, 10))
	for _, procs := range []int{1, 2, 3, 8} {
		prev := runtime.GOMAXPROCS(procs)
		for _, shape := range [][3]int{{4, 3, 8}, {4, 8, 8}, {11, 7, 24}, {37, 389, 256}, {6, 200, 128}, {9, 17, 16}} {
			nq, nc, d := shape[0], shape[1], shape[2]
			q, c := normalMatrix(rng, nq, d), normalMatrix(rng, nc, d)
			for _, pairs := range [][]float32{nil, packPairs(c, nc, d)} {
				got := make([]float32, nq*nc)
				innerProducts(q, c, pairs, nq, nc, d, got)
				for i := 0; i < nq; i++ {
					for j := 0; j < nc; j++ {
						want := dot1x1(&q[i*d], &c[j*d], d)
						if math.Float32bits(got[i*nc+j]) != math.Float32bits(want) {
							t.Fatalf("%d workers, shape %v, packed %v: out[%d][%d] = %v, one-pair kernel %v", procs, shape, pairs != nil, i, j, got[i*nc+j], want)
						}
						if ref := dotReference(q[i*d:][:d], c[j*d:][:d]); math.Float32bits(ref) != math.Float32bits(want) {
							t.Fatalf("shape %v: one-pair kernel %v, reference %v", shape, want, ref)
						}
					}
				}
			}
		}
		runtime.GOMAXPROCS(prev)
	}
}

// dotReference is the kernels' summation in Go: eight lanes, lane l
// accumulating components l, l+8, … with fused multiply-adds (exact in
// float64 here: a float32 product fits, and the sums the test meets round
// once), then ((l0+l4)+(l1+l5)) + ((l2+l6)+(l3+l7)).
func dotReference(a, b []float32) float32 {
	var lane [8]float32
	for k := range a {
		l := k % 8
		lane[l] = float32(math.FMA(float64(a[k]), float64(b[k]), float64(lane[l])))
	}
	return ((lane[0] + lane[4]) + (lane[1] + lane[5])) + ((lane[2] + lane[6]) + (lane[3] + lane[7]))
}

// TestPackPairs: pair p interleaves candidates 2p and 2p+1 eight floats at
// a time, and an odd last candidate is left out.
func TestPackPairs(t *testing.T) {
	const nc, d = 5, 16
	c := make([]float32, nc*d)
	for i := range c {
		c[i] = float32(i)
	}
	got := packPairs(c, nc, d)
	if len(got) != 2*2*d {
		t.Fatalf("len %d, want %d", len(got), 2*2*d)
	}
	for p := 0; p < 2; p++ {
		for s := 0; s < d; s += 8 {
			for l := 0; l < 8; l++ {
				if a, want := got[2*p*d+2*s+l], c[2*p*d+s+l]; a != want {
					t.Fatalf("pair %d step %d lane %d: %v, want %v", p, s, l, a, want)
				}
				if b, want := got[2*p*d+2*s+8+l], c[(2*p+1)*d+s+l]; b != want {
					t.Fatalf("pair %d step %d lane %d (second): %v, want %v", p, s, l, b, want)
				}
			}
		}
	}
}

// BenchmarkInnerProducts times the score kernel evaluation uses here
// (AVX-512 where the CPU has it, else AVX2) on one query language's block
// of XQuAD-R at d = 256: 1,190 questions against 13,014 candidates.
func BenchmarkInnerProducts(b *testing.B) {
	benchmarkInnerProducts(b, haveKernel512)
}

// BenchmarkInnerProductsAVX2 times the AVX2 kernel on the same block, for
// the ratio between the two kernels.
func BenchmarkInnerProductsAVX2(b *testing.B) {
	benchmarkInnerProducts(b, false)
}

func benchmarkInnerProducts(b *testing.B, packed bool) {
	const nq, nc, d = 1190, 13014, 256
	rng := rand.New(rand.NewPCG(7, 8))
	q, c := normalMatrix(rng, nq, d), normalMatrix(rng, nc, d)
	out := make([]float32, nq*nc)
	var pairs []float32
	if packed {
		pairs = packPairs(c, nc, d)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		innerProducts(q, c, pairs, nq, nc, d, out)
	}
	b.ReportMetric(2*nq*nc*d*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// normalMatrix is rows × cols standard normal floats, row-major.
func normalMatrix(rng *rand.Rand, rows, cols int) []float32 {
	m := make([]float32, rows*cols)
	for i := range m {
		m[i] = float32(rng.NormFloat64())
	}
	return m
}
