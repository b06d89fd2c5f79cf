// Package adam is the AdamW update the built-in trainable plugins share:
// dense for weight matrices, and lazy (row-wise, for the rows a step
// touched) for large embedding tables, as PyTorch's SparseAdam.
package adam

import "math"

// The usual moment decay rates and epsilon.
const (
	Beta1, Beta2, Eps = 0.9, 0.999, 1e-8
)

// StepSize folds Adam's bias correction at step (1-based) into the
// learning rate.
func StepSize(lr float64, step int) float32 {
	return float32(lr * math.Sqrt(1-math.Pow(Beta2, float64(step))) / (1 - math.Pow(Beta1, float64(step))))
}

// Update is one AdamW update of p with gradient g: m and v are its moments,
// lr the bias-corrected step size (StepSize), decay the decoupled weight
// decay factor 1 − lr₀·λ (1 for none).
func Update(p, m, v, g []float32, lr, decay float32) {
	m, v, g = m[:len(p)], v[:len(p)], g[:len(p)] // one bounds check, not four per element
	start := 0
	if n := len(p) / 8 * 8; haveAVX && n > 0 {
		// The same operations, eight at a time, bit for bit (update8).
		c := [8]float32{Beta1, 1 - Beta1, Beta2, 1 - Beta2, Eps, lr, decay}
		update8(&p[0], &m[0], &v[0], &g[0], n, &c)
		start = n
	}
	updateScalar(p[start:], m[start:], v[start:], g[start:], lr, decay)
}

// UpdateRows is Update on the rows ids of the d-wide tables p, m and v (an
// embedding table and its moments), row ids[r] taking the gradient
// grads[r*d:][:d]. With AVX the rows go through one kernel that prefetches
// each row's cache lines two rows ahead: the rows are scattered over tables
// larger than the caches.
func UpdateRows(p, m, v []float32, d int, ids []uint32, grads []float32, lr, decay float32) {
	if len(grads) < len(ids)*d {
		panic("adam: fewer gradients than rows")
	}
	for _, id := range ids {
		if end := (int(id) + 1) * d; end > len(p) || end > len(m) || end > len(v) {
			panic("adam: row beyond the table")
		}
	}
	if haveAVX && d%8 == 0 && d > 0 && len(ids) > 0 {
		c := [8]float32{Beta1, 1 - Beta1, Beta2, 1 - Beta2, Eps, lr, decay}
		updateRows8(&p[0], &m[0], &v[0], d, &ids[0], &grads[0], len(ids), &c)
		return
	}
	for r, id := range ids {
		off := int(id) * d
		Update(p[off:off+d], m[off:off+d], v[off:off+d], grads[r*d:r*d+d], lr, decay)
	}
}

// updateScalar is Update in Go, element by element.
func updateScalar(p, m, v, g []float32, lr, decay float32) {
	m, v, g = m[:len(p)], v[:len(p)], g[:len(p)]
	for j := range p {
		gj := g[j]
		m[j] = Beta1*m[j] + (1-Beta1)*gj
		v[j] = Beta2*v[j] + (1-Beta2)*gj*gj
		p[j] = p[j]*decay - lr*m[j]/(float32(math.Sqrt(float64(v[j])))+Eps)
	}
}
