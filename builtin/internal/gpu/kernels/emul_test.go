package kernels

import (
	"testing"
	"unsafe"

	"github.com/xlbench/xlbench/builtin/internal/gpu"
	"github.com/xlbench/xlbench/builtin/internal/gpu/kernelstest"
)

// The emulated gather, scatter and AdamW kernels reproduce the CPU
// trainer's loops (packages rows and adam) bit for bit, at a width the AVX
// kernels take (64) and one they leave to Go (24); the dense kernels agree
// with a float64 reference.
func TestKernelsMatchCPUTrainer(t *testing.T) {
	for _, d := range []int{64, 24} {
		dev := NewEmulated()
		kernelstest.Check(t, dev, d)
		dev.Close()
	}
}

func TestLaunchErrors(t *testing.T) {
	dev := NewEmulated()
	defer dev.Close()
	if err := dev.Launch("xb_nothing", gpu.Dim{X: 1}, gpu.Dim{X: 1}); err == nil {
		t.Error("an unknown kernel launched")
	}
	if err := dev.Launch("xb_adam", gpu.Dim{X: 1}, gpu.Dim{X: 1}, gpu.I(1)); err == nil {
		t.Error("a kernel launched with one argument of twelve")
	}
	p, _ := dev.Alloc(16)
	defer func() {
		if recover() == nil {
			t.Error("a copy past the end of an allocation went through")
		}
	}()
	src := make([]float32, 5)
	dev.CopyIn(p, unsafe.Pointer(&src[0]), 20)
}
