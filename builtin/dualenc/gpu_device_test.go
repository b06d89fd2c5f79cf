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

// TestCUDATrainingFeedForward does the same with a feed-forward block of
// width 512, the larger model. Its matrix products sum 512 or 640 terms, in
// cuBLAS's order on the GPU and gonum's on the CPU, and 50 steps carry the
// difference on, more than through the bag model alone: a unit whose
// pre-activation lies near zero can switch on in one run and off in the
// other. On an H200 the losses stayed within 0.0016 and the trained
// models' vector components within 1.2e-3, so the trained vectors are held
// to 5e-3 here. The forward pass itself is held to 1e-5 (the device's model
// saved and encoded on the CPU, in gpuParity).
func TestCUDATrainingFeedForward(t *testing.T) {
	gpuParity(t, openGPU(t), plugins.Params{"dim": 128.0, "buckets": 65536.0, "lr": 0.003, "hidden": 512.0}, 2e-3, 5e-3)
}
