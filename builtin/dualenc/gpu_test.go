package dualenc

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xlbench/xlbench/builtin/internal/gpu"
	"github.com/xlbench/xlbench/builtin/internal/gpu/kernels"
	"github.com/xlbench/xlbench/plugins"
)

// gpuParity trains two encoders of one seed for 50 steps, one on the CPU
// and one on dev, and compares their losses, then the vectors each
// encodes and the checkpoint the device one saves. The gather, scatter and
// AdamW kernels round as the CPU does; the matrix products, exp and log do
// not, so losses agree within a tolerance that stays far below the loss's
// fall over the run.
func gpuParity(t *testing.T, dev gpu.Device, params plugins.Params, lossTol, vecTol float64) {
	t.Helper()
	cpu, dvc := newEncoder(t, 5, params), newEncoder(t, 5, params)
	if err := dvc.useDevice(dev); err != nil {
		t.Fatal(err)
	}
	defer dvc.releaseDevice()
	for _, e := range []*Encoder{cpu, dvc} {
		if err := e.LoadCorpus(ctx, plugins.LoadCorpusRequest{Groups: syntheticCorpus(512)}); err != nil {
			t.Fatal(err)
		}
	}
	// Random 10- and 25-word texts that share no word: the pairs must be
	// learnt one by one, so the loss falls slowly and stays informative.
	run := func(e *Encoder) []float64 {
		var losses []float64
		for s := range 50 {
			r, err := e.TrainStep(ctx, plugins.TrainStepRequest{Batch: batch(s*32%512, 32, "en", "en")})
			if err != nil {
				t.Fatal(err)
			}
			losses = append(losses, r.Loss)
		}
		return losses
	}
	lc, lg := run(cpu), run(dvc)
	worst := 0.0
	for i := range lc {
		worst = max(worst, math.Abs(lc[i]-lg[i]))
	}
	t.Logf("%s: 50 steps, loss %.4f → %.4f on the CPU, %.4f → %.4f on the device; largest difference %.2g",
		dev.Name(), lc[0], lc[49], lg[0], lg[49], worst)
	if worst > lossTol || lg[49] > lg[0]*0.9 {
		t.Fatalf("losses differ by up to %.3g (tolerance %g): CPU %.4f…, device %.4f…", worst, lossTol, lc[:5], lg[:5])
	}

	texts := []string{"a question about rivers", "ein Satz über Flüsse", "the passage that answers it"}
	for _, role := range []plugins.Role{plugins.RoleQuery, plugins.RolePassage} {
		vc, err := cpu.Encode(ctx, plugins.EncodeRequest{Role: role, Texts: texts})
		if err != nil {
			t.Fatal(err)
		}
		vg, err := dvc.Encode(ctx, plugins.EncodeRequest{Role: role, Texts: texts})
		if err != nil {
			t.Fatal(err)
		}
		for i := range vc.Dense {
			if d := math.Abs(float64(vc.Dense[i] - vg.Dense[i])); d > vecTol {
				t.Fatalf("%v vector component %d: CPU %v, device %v", role, i, vc.Dense[i], vg.Dense[i])
			}
		}
	}

	// The device's model comes back with Save, and a CPU encoder loading it
	// encodes as the device does.
	path := filepath.Join(t.TempDir(), "gpu.ckpt")
	if err := dvc.Save(ctx, plugins.SaveRequest{Path: path}); err != nil {
		t.Fatal(err)
	}
	p := plugins.Params{}
	for k, v := range params {
		p[k] = v
	}
	p["checkpoint"] = path
	back := newEncoder(t, 1, p)
	vb, err := back.Encode(ctx, plugins.EncodeRequest{Role: plugins.RoleQuery, Texts: texts})
	if err != nil {
		t.Fatal(err)
	}
	vg, _ := dvc.Encode(ctx, plugins.EncodeRequest{Role: plugins.RoleQuery, Texts: texts})
	for i := range vb.Dense {
		if d := math.Abs(float64(vb.Dense[i] - vg.Dense[i])); d > 1e-5 {
			t.Fatalf("after Save and load on the CPU, component %d is %v; on the device %v", i, vb.Dense[i], vg.Dense[i])
		}
	}
}

// TestGPUPathEmulated runs the whole GPU training step — every kernel, the
// matrix products through the emulated device's BLAS — for 50 steps
// against the CPU trainer.
func TestGPUPathEmulated(t *testing.T) {
	dev := kernels.NewEmulated()
	gpuParity(t, dev, plugins.Params{"dim": 32.0, "buckets": 4096.0, "lr": 0.002}, 2e-3, 1e-4)
}

// TestGPUPathEmulatedFeedForward does the same with the feed-forward
// block (hidden = 48): its forward and backward on the device against
// gorgonia's differentiation of the CPU graph, its Encode against the CPU
// Encode, and its weights through Save.
func TestGPUPathEmulatedFeedForward(t *testing.T) {
	dev := kernels.NewEmulated()
	gpuParity(t, dev, plugins.Params{"dim": 32.0, "buckets": 4096.0, "lr": 0.002, "hidden": 48.0}, 2e-3, 1e-4)
}

// A checkpoint keeps the block's width, and a model of another width
// refuses it.
func TestFeedForwardCheckpoint(t *testing.T) {
	params := plugins.Params{"dim": 16.0, "buckets": 512.0, "hidden": 24.0}
	e := newEncoder(t, 3, params)
	e.LoadCorpus(ctx, plugins.LoadCorpusRequest{Groups: toyCorpus(40)})
	train(t, e, 20)
	path := filepath.Join(t.TempDir(), "ff.ckpt")
	if err := e.Save(ctx, plugins.SaveRequest{Path: path}); err != nil {
		t.Fatal(err)
	}
	back := newEncoder(t, 9, plugins.Params{"dim": 16.0, "buckets": 512.0, "hidden": 24.0, "checkpoint": path})
	texts := []string{"what is thing3", "thing3 is a thing"}
	va, _ := e.Encode(ctx, plugins.EncodeRequest{Role: plugins.RoleQuery, Texts: texts})
	vb, _ := back.Encode(ctx, plugins.EncodeRequest{Role: plugins.RoleQuery, Texts: texts})
	for i := range va.Dense {
		if va.Dense[i] != vb.Dense[i] {
			t.Fatalf("component %d: %v saved, %v loaded", i, va.Dense[i], vb.Dense[i])
		}
	}
	if !slices.ContainsFunc(e.w2, func(v float32) bool { return v != 0 }) {
		t.Error("20 steps left W2 at zero: the block did not train")
	}
	_, err := New().Configure(ctx, plugins.EncoderConfig{Params: plugins.Params{"dim": 16.0, "buckets": 512.0, "checkpoint": path}})
	if err == nil || !strings.Contains(err.Error(), "feed-forward block of width 24") {
		t.Fatalf("a block-less model loaded a checkpoint with a block: %v", err)
	}
}

// Without the gpu build tag, device = "cuda" says how to get the GPU path;
// and a lexical half is refused on it.
func TestDeviceParam(t *testing.T) {
	_, err := New().Configure(ctx, plugins.EncoderConfig{Params: plugins.Params{"device": "cuda", "dim": 8.0, "buckets": 64.0}})
	if err == nil {
		t.Skip("a GPU is here: the refusal is not what this build does")
	}
	t.Log(err)
	_, err = New().Configure(ctx, plugins.EncoderConfig{Params: plugins.Params{"device": "cuda", "lexical_weight": 1.0, "dim": 8.0, "buckets": 64.0}})
	if err == nil || !strings.Contains(err.Error(), "dense encoders only") {
		t.Fatalf("a lexical half on the GPU path: %v", err)
	}
}
