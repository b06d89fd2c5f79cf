//go:build !amd64

package adam

const haveAVX = false

func update8(p, m, v, grad *float32, n int, c *[8]float32) { panic("no vector AdamW here") }

func updateRows8(p, m, v *float32, d int, ids *uint32, grads *float32, rows int, c *[8]float32) {
	panic("no vector AdamW here")
}
