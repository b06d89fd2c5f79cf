//go:build !amd64

package eval

const haveCount = false

func count8(*float32, int, float32) (int, int, int) { panic("no vector counting here") }

func countAbove6(*float32, *int32, int, *[6][8]float32, *[6][8]int32, *[7][8]int32) {
	panic("no vector counting here")
}

const haveCount512 = false

func countAbove12(*float32, *int32, int, *[12]float32, *[12]int32, *[12][16]int32) bool {
	panic("no vector counting here")
}
