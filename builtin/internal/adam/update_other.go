//go:build !amd64

package adam

const haveAVX = false

func update8(p, m, v, grad *float32, n int, c *[8]float32) { panic("no vector AdamW here") }
