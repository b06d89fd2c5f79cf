package cuda

import (
	"strings"
	"testing"

	"github.com/xlbench/xlbench/builtin/internal/gpu/kernelstest"
)

// Open either finds a GPU, whose kernels must then match the CPU trainer,
// or fails naming the library it could not load and where it looked,
// XLBENCH_CUDA_LIBS first.
func TestOpen(t *testing.T) {
	t.Setenv("XLBENCH_CUDA_LIBS", "/nonexistent/cuda-libs")
	dev, err := Open(0)
	if err == nil {
		defer dev.Close()
		t.Log(dev.Name())
		kernelstest.Check(t, dev, 128)
		return
	}
	msg := err.Error()
	for _, want := range []string{"libcuda.so.1", "/nonexistent/cuda-libs/libcuda.so.1", "XLBENCH_CUDA_LIBS"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error does not name %q: %s", want, msg)
		}
	}
}
