//go:build !amd64

package eval

const haveCount = false

func countAbove12(*int64, int, *[12]int64, *[12]int64) { panic("no vector counting here") }

func count8(*float32, int, float32) (int, int, int) { panic("no vector counting here") }
