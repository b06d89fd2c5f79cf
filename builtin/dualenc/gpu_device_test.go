//go:build gpu

package dualenc

import (
	"os"
	"testing"

	"github.com/xlbench/xlbench/builtin/internal/gpu/cuda"
	"github.com/xlbench/xlbench/builtin/internal/gpu/kernelstest"
	"github.com/xlbench/xlbench/plugins"
)

// openGPU opens the first GPU, or skips; under XLBENCH_REQUIRE_GPU=1 (make
// gpu-check) a missing GPU fails the test.
func openGPU(t *testing.T) *cuda.Device {
	t.Helper()
	dev, err := cuda.Open(0)
	if err != nil {
		if os.Getenv("XLBENCH_REQUIRE_GPU") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	t.Log(dev.Name())
	return dev
}

// TestCUDAKernels runs the kernels on the GPU against the CPU trainer's
// loops: gather, scatter and AdamW bit for bit, the rest within 1e-5.
func TestCUDAKernels(t *testing.T) {
	for _, d := range []int{128, 24} {
		dev := openGPU(t)
		kernelstest.Check(t, dev, d)
		if err := dev.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCUDATraining trains 50 steps on the GPU and on the CPU at the
// experiment's shape (dim 128) and compares losses, vectors and the saved
// model.
func TestCUDATraining(t *testing.T) {
	gpuParity(t, openGPU(t), plugins.Params{"dim": 128.0, "buckets": 65536.0, "lr": 0.003}, 2e-3, 1e-4)
}
