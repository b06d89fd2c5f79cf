package reader

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/xlbench/xlbench/builtin/dualenc"
)

// fillBase writes the base's columns of every feature row: the
// checkpoint's row times its projection (dualenc.FeatureRows), times a
// fixed random Gaussian matrix to the base columns' width, scaled so their
// root mean square is scale (the trained columns' initial spread).
func (r *Reader) fillBase(path string, scale float64) error {
	rows, buckets, bd, err := dualenc.FeatureRows(path)
	if err != nil {
		return fmt.Errorf("base: %w", err)
	}
	if buckets != int(r.buckets) {
		return fmt.Errorf("base %s hashes features into %d buckets, the reader into %d: set buckets = %d so their rows mean the same features",
			path, buckets, r.buckets, buckets)
	}
	d, t := r.dim, r.trained
	w := d - t
	rng := rand.New(rand.NewPCG(r.seed, 0x62617365))
	proj := make([]float32, bd*w)
	for i := range proj {
		proj[i] = float32(rng.NormFloat64() / math.Sqrt(float64(bd)))
	}
	sq := 0.0
	for b := 0; b < buckets; b++ {
		src, dst := rows[b*bd:(b+1)*bd], r.emb[b*d+t:(b+1)*d]
		for k, x := range src {
			if x == 0 {
				continue
			}
			for j, p := range proj[k*w : (k+1)*w] {
				dst[j] += x * p
			}
		}
		for _, v := range dst {
			sq += float64(v) * float64(v)
		}
	}
	rms := math.Sqrt(sq / float64(buckets*w))
	if rms == 0 {
		return fmt.Errorf("base %s: every feature row is zero", path)
	}
	k := float32(scale / rms)
	for b := 0; b < buckets; b++ {
		for j := range r.emb[b*d+t : (b+1)*d] {
			r.emb[b*d+t+j] *= k
		}
	}
	return nil
}
