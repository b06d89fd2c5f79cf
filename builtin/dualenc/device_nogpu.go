//go:build !gpu

package dualenc

import (
	"errors"

	"github.com/xlbench/xlbench/builtin/internal/gpu"
)

// openCUDA fails: the GPU path is compiled only with -tags gpu (not
// "cuda", which gorgonia takes for its cgo CUDA engine, needing CUDA
// headers at build time).
func openCUDA() (gpu.Device, error) {
	return nil, errors.New("this xlbench was built without the GPU path; build it with -tags gpu (make build-gpu)")
}
