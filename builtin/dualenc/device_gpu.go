//go:build gpu

package dualenc

import (
	"github.com/xlbench/xlbench/builtin/internal/gpu"
	"github.com/xlbench/xlbench/builtin/internal/gpu/cuda"
)

// openCUDA opens the first GPU (this build has the GPU path).
func openCUDA() (gpu.Device, error) { return cuda.Open(0) }
