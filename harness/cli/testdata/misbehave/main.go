// Command misbehave is a test encoder plugin that hangs or crashes on
// request (param mode = "hang" | "crash" | "ok"), so tests can check how the
// harness copes.
package main

import (
	"context"
	"time"

	"github.com/xlbench/xlbench/plugins"
)

var info = plugins.Info{Name: "misbehave", Version: "0", Params: []plugins.ParamSpec{
	{Name: "mode", Type: plugins.ParamString, Default: "ok", OneOf: []string{"ok", "hang", "crash"}},
}}

type enc struct{ mode string }

func (e *enc) Describe(context.Context) (plugins.Info, error) { return info, nil }
func (e *enc) Configure(_ context.Context, cfg plugins.EncoderConfig) (plugins.EncoderInfo, error) {
	p, err := plugins.CheckParams(info.Params, cfg.Params)
	if err != nil {
		return plugins.EncoderInfo{}, err
	}
	e.mode = p.String("mode")
	return plugins.EncoderInfo{Dim: 1}, nil
}
func (e *enc) LoadCorpus(context.Context, []plugins.CorpusGroup) error   { return nil }
func (e *enc) TrainStep(context.Context, plugins.Batch) (float64, error) { return 0, nil }
func (e *enc) Prepare(context.Context, string, []string) error           { return nil }
func (e *enc) Encode(ctx context.Context, _ plugins.Role, _ string, texts []string) (plugins.Vectors, error) {
	switch e.mode {
	case "hang":
		time.Sleep(time.Hour)
	case "crash":
		panic("misbehave: crashing on purpose")
	}
	v := plugins.Vectors{Count: len(texts), Dim: 1}
	for range texts {
		v.Dense = append(v.Dense, 1)
	}
	return v, nil
}

func main() { plugins.ServeEncoder(&enc{}) }

func (e *enc) Save(context.Context, string) error { return nil }
