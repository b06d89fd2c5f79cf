//go:build gpu

package pluginhost_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/xlbench/xlbench/builtin"
	"github.com/xlbench/xlbench/harness/internal/testenv"
	"github.com/xlbench/xlbench/harness/pluginhost"
	"github.com/xlbench/xlbench/plugins"
)

// BenchmarkTrainDevices trains the bag model (dim 128, 65,536 buckets, the
// PyTorch anchor's shape) and the larger model (the same with a
// feed-forward block of width 512, hidden = 512) through plugin processes
// on the same batches, at the experiment's batch size (64) and a larger
// one (512): builtin:gorgonia on the CPU and on the GPU, and the PyTorch
// example encoder, the same model, on the GPU. It reports each one's
// pairs/s and the GPU path's ratios to the other two. XLBENCH_TORCH_PLUGIN names the PyTorch plugin
// to start (default: the example, under /usr/bin/python3).
func BenchmarkTrainDevices(b *testing.B) {
	torch := os.Getenv("XLBENCH_TORCH_PLUGIN")
	if torch == "" {
		torch = filepath.Join(testenv.ModuleRoot(), "plugins", "examples", "pytorch-encoder", "encoder.py")
	}
	h := pluginhost.New(xlbenchBin, builtin.Kinds(), nil)
	defer h.Close()
	for _, model := range []struct {
		name   string
		hidden float64
	}{{"bag", 0}, {"ff512", 512}} {
		for _, batchSize := range []int{64, 512} {
			benchDevices(b, h, torch, model.name, model.hidden, batchSize)
		}
	}
}

// benchDevices is one model and batch size of BenchmarkTrainDevices.
func benchDevices(b *testing.B, h *pluginhost.Host, torch, model string, hidden float64, batchSize int) {
	const groups, steps = 4096, 301
	corpus, batches := syntheticTraining(groups, batchSize, steps)
	// Each side is a sub-benchmark of its own, so one that fails (no
	// GPU, no torch) leaves the others' figures; the GPU side, last,
	// reports its ratios to those before it.
	rate := map[string]float64{}
	for _, side := range []struct{ name, plugin, device string }{
		{"cpu", "builtin:gorgonia", "cpu"},
		{"torch-gpu", torch, "cuda"},
		{"gpu", "builtin:gorgonia", "cuda"},
	} {
		b.Run(fmt.Sprintf("%s/batch%d/%s", model, batchSize, side.name), func(b *testing.B) {
			enc, stop, err := h.StartEncoder(side.plugin, "bench-"+side.name)
			if err != nil {
				b.Fatal(err)
			}
			defer stop()
			cfg := plugins.EncoderConfig{Seed: 1, Params: plugins.Params{"dim": 128.0, "buckets": 65536.0, "hidden": hidden, "device": side.device}}
			for i := 0; i < b.N; i++ {
				r := float64((steps-1)*batchSize) / timeTraining(b, enc, cfg, corpus, batches, 64).Seconds()
				rate[side.name] = max(rate[side.name], r)
			}
			b.ReportMetric(rate[side.name], "pairs/s")
			if side.name == "gpu" {
				for _, other := range []string{"cpu", "torch-gpu"} {
					if rate[other] > 0 {
						b.ReportMetric(rate["gpu"]/rate[other], "x-"+other)
					}
				}
			}
		})
	}
}
