// Command misbehave is a test encoder plugin that hangs or crashes on
// request (param mode = "hang" | "crash" | "ok"), so tests can check how the
// harness copes. In mode "record" it trains (doing nothing) and writes what
// the host sends it to a file of its own in the folder named by param
// record: the seed and checkpoint it was configured with, the language and
// role of every training text, and where it saved its model.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/xlbench/xlbench/plugins"
	"github.com/xlbench/xlbench/plugins/transport"
)

var info = plugins.Info{Name: "misbehave", Version: "0", Trainable: true, Params: []plugins.ParamSpec{
	{Name: "mode", Type: plugins.ParamString, Default: "ok", OneOf: []string{"ok", "hang", "crash", "record"}},
	{Name: "record", Type: plugins.ParamString, Default: ""},
	{Name: "checkpoint", Type: plugins.ParamString, Default: ""},
}}

type enc struct {
	mode string
	log  *os.File
}

func (e *enc) Describe(context.Context) (plugins.Info, error) { return info, nil }
func (e *enc) Configure(_ context.Context, cfg plugins.EncoderConfig) (plugins.EncoderInfo, error) {
	p, err := plugins.CheckParams(info.Params, cfg.Params)
	if err != nil {
		return plugins.EncoderInfo{}, err
	}
	e.mode = p.String("mode")
	if e.mode != "record" {
		return plugins.EncoderInfo{Dim: 1}, nil
	}
	if e.log, err = os.Create(filepath.Join(p.String("record"), fmt.Sprint(os.Getpid()))); err != nil {
		return plugins.EncoderInfo{}, err
	}
	fmt.Fprintf(e.log, "seed %d\ncheckpoint %s\n", cfg.Seed, p.String("checkpoint"))
	return plugins.EncoderInfo{Dim: 1}, nil
}
func (e *enc) LoadCorpus(_ context.Context, req plugins.LoadCorpusRequest) error {
	for _, g := range req.Groups {
		for _, t := range g.Texts {
			fmt.Fprintf(e.log, "text %s %s\n", t.Lang, t.Role)
		}
	}
	return nil
}
func (e *enc) TrainStep(context.Context, plugins.TrainStepRequest) (plugins.TrainStepResult, error) {
	return plugins.TrainStepResult{}, nil
}
func (e *enc) Prepare(context.Context, plugins.PrepareRequest) error { return nil }
func (e *enc) Encode(ctx context.Context, req plugins.EncodeRequest) (plugins.Vectors, error) {
	texts := req.Texts
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

func main() { transport.ServeEncoder(&enc{}) }

func (e *enc) Save(_ context.Context, req plugins.SaveRequest) error {
	path := req.Path
	if e.log != nil {
		fmt.Fprintf(e.log, "saved %s\n", path)
	}
	return os.WriteFile(path, []byte("model"), 0o644)
}
