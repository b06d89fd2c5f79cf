package pluginhost

import (
	"context"
	"fmt"
	"time"

	"github.com/xlbench/xlbench/harness/internal/proccpu"
	"github.com/xlbench/xlbench/plugins"
	"github.com/xlbench/xlbench/plugins/transport"
)

// CPUTime is the CPU time the instance's process has used so far (all
// its threads); ok is false where the system does not say.
func (i *Instance) CPUTime() (time.Duration, bool) {
	if i.cmd == nil || i.cmd.Process == nil {
		return 0, false
	}
	return proccpu.Of(i.cmd.Process.Pid)
}

// Sampler returns the instance as a Sampler whose errors name the plugin,
// its work and the call, and whose calls time out; and as the Observer
// feedback is sent to, for a sampler that declares it observes training
// (Info.ObservesTraining: the one place the host asks for the
// capability, so that no caller asserts it again).
func (i *Instance) Sampler() (plugins.Sampler, plugins.Observer, error) {
	s, ok := i.raw.(plugins.Sampler)
	if !ok {
		return nil, nil, fmt.Errorf("plugin %s is not a sampler", i.Ref)
	}
	var obs plugins.Observer
	if o, ok := i.raw.(plugins.Observer); ok {
		obs = &observerProxy{i, o}
	}
	return &samplerProxy{i, s}, obs, nil
}

// Encoder returns the instance as an Encoder (see Sampler).
func (i *Instance) Encoder() (plugins.Encoder, error) {
	e, ok := i.raw.(plugins.Encoder)
	if !ok {
		return nil, fmt.Errorf("plugin %s is not an encoder", i.Ref)
	}
	return &encoderProxy{i, e}, nil
}

// Reader returns the instance as a Reader (see Sampler).
func (i *Instance) Reader() (plugins.Reader, error) {
	r, ok := i.raw.(plugins.Reader)
	if !ok {
		return nil, fmt.Errorf("plugin %s is not a reader", i.Ref)
	}
	return &readerProxy{i, r}, nil
}

type readerProxy struct {
	i *Instance
	r plugins.Reader
}

func (p *readerProxy) Describe(ctx context.Context) (plugins.Info, error) {
	ctx, cancel := p.i.ctx(ctx)
	defer cancel()
	info, err := p.r.Describe(ctx)
	return info, p.i.wrap("Describe", err)
}

func (p *readerProxy) Configure(ctx context.Context, cfg plugins.ReaderConfig) (plugins.ReaderInfo, error) {
	ctx, cancel := p.i.ctx(ctx)
	defer cancel()
	info, err := p.r.Configure(ctx, cfg)
	return info, p.i.wrap("Configure", err)
}

func (p *readerProxy) Train(ctx context.Context, req plugins.TrainReaderRequest) (plugins.TrainReaderResult, error) {
	ctx, cancel := p.i.ctx(ctx)
	defer cancel()
	r, err := p.r.Train(ctx, req)
	return r, p.i.wrap("Train", err)
}

func (p *readerProxy) Read(ctx context.Context, req plugins.ReadRequest) ([]plugins.Answer, error) {
	ctx, cancel := p.i.ctx(ctx)
	defer cancel()
	a, err := p.r.Read(ctx, req)
	return a, p.i.wrap("Read", err)
}

func (p *readerProxy) Save(ctx context.Context, req plugins.SaveRequest) error {
	ctx, cancel := p.i.ctx(ctx)
	defer cancel()
	return p.i.wrap("Save", p.r.Save(ctx, req))
}

type samplerProxy struct {
	i *Instance
	s plugins.Sampler
}

func (p *samplerProxy) Describe(ctx context.Context) (plugins.Info, error) {
	ctx, cancel := p.i.ctx(ctx)
	defer cancel()
	info, err := p.s.Describe(ctx)
	return info, p.i.wrap("Describe", err)
}

func (p *samplerProxy) Start(ctx context.Context, cfg plugins.SamplerConfig) error {
	ctx, cancel := p.i.ctx(ctx)
	defer cancel()
	return p.i.wrap("Start", p.s.Start(ctx, cfg))
}

func (p *samplerProxy) Next(ctx context.Context, req plugins.NextRequest) ([]plugins.Batch, error) {
	ctx, cancel := p.i.ctx(ctx)
	defer cancel()
	b, err := p.s.Next(ctx, req)
	return b, p.i.wrap("Next", err)
}

// observerProxy sends an observing sampler its feedback (see Sampler).
type observerProxy struct {
	i *Instance
	o plugins.Observer
}

func (p *observerProxy) Observe(ctx context.Context, f plugins.Feedback) error {
	ctx, cancel := p.i.ctx(ctx)
	defer cancel()
	return p.i.wrap("Observe", p.o.Observe(ctx, f))
}

type encoderProxy struct {
	i *Instance
	e plugins.Encoder
}

// CPUTime is the CPU time of the encoder's process (Instance.CPUTime).
func (p *encoderProxy) CPUTime() (time.Duration, bool) { return p.i.CPUTime() }

func (p *encoderProxy) Describe(ctx context.Context) (plugins.Info, error) {
	ctx, cancel := p.i.ctx(ctx)
	defer cancel()
	info, err := p.e.Describe(ctx)
	return info, p.i.wrap("Describe", err)
}

func (p *encoderProxy) Configure(ctx context.Context, cfg plugins.EncoderConfig) (plugins.EncoderInfo, error) {
	ctx, cancel := p.i.ctx(ctx)
	defer cancel()
	info, err := p.e.Configure(ctx, cfg)
	return info, p.i.wrap("Configure", err)
}

func (p *encoderProxy) LoadCorpus(ctx context.Context, req plugins.LoadCorpusRequest) error {
	ctx, cancel := p.i.ctx(ctx)
	defer cancel()
	return p.i.wrap("LoadCorpus", p.e.LoadCorpus(ctx, req))
}

// TrainSteps takes several steps over one pipelined stream (see
// transport.TrainSteps).
func (p *encoderProxy) TrainSteps(ctx context.Context, bs []plugins.Batch) ([]plugins.TrainStepResult, error) {
	ctx, cancel := p.i.ctx(ctx)
	defer cancel()
	steps, err := transport.TrainSteps(ctx, p.e, bs)
	return steps, p.i.wrap("TrainSteps", err)
}

func (p *encoderProxy) TrainStep(ctx context.Context, req plugins.TrainStepRequest) (plugins.TrainStepResult, error) {
	ctx, cancel := p.i.ctx(ctx)
	defer cancel()
	r, err := p.e.TrainStep(ctx, req)
	return r, p.i.wrap("TrainStep", err)
}

func (p *encoderProxy) Prepare(ctx context.Context, req plugins.PrepareRequest) error {
	ctx, cancel := p.i.ctx(ctx)
	defer cancel()
	return p.i.wrap("Prepare", p.e.Prepare(ctx, req))
}

func (p *encoderProxy) Encode(ctx context.Context, req plugins.EncodeRequest) (plugins.Vectors, error) {
	ctx, cancel := p.i.ctx(ctx)
	defer cancel()
	v, err := p.e.Encode(ctx, req)
	return v, p.i.wrap("Encode", err)
}

func (p *encoderProxy) Save(ctx context.Context, req plugins.SaveRequest) error {
	ctx, cancel := p.i.ctx(ctx)
	defer cancel()
	return p.i.wrap("Save", p.e.Save(ctx, req))
}

// Describe starts ref just long enough to read its Info.
func (h *Host) Describe(ctx context.Context, ref string, kind plugins.Kind) (plugins.Info, error) {
	inst, err := h.Start(ref, kind, "describe")
	if err != nil {
		return plugins.Info{}, err
	}
	defer inst.Kill()
	switch kind {
	case plugins.KindSampler:
		s, _, err := inst.Sampler()
		if err != nil {
			return plugins.Info{}, err
		}
		return s.Describe(ctx)
	case plugins.KindReader:
		r, err := inst.Reader()
		if err != nil {
			return plugins.Info{}, err
		}
		return r.Describe(ctx)
	default:
		e, err := inst.Encoder()
		if err != nil {
			return plugins.Info{}, err
		}
		return e.Describe(ctx)
	}
}

// StartEncoder starts ref as an encoder for the work label; stop kills it.
func (h *Host) StartEncoder(ref, label string) (plugins.Encoder, func(), error) {
	inst, err := h.Start(ref, plugins.KindEncoder, label)
	if err != nil {
		return nil, nil, err
	}
	e, err := inst.Encoder()
	if err != nil {
		inst.Kill()
		return nil, nil, err
	}
	return e, inst.Kill, nil
}

// StartReader starts ref as a reader for the work label; stop kills it.
func (h *Host) StartReader(ref, label string) (plugins.Reader, func(), error) {
	inst, err := h.Start(ref, plugins.KindReader, label)
	if err != nil {
		return nil, nil, err
	}
	r, err := inst.Reader()
	if err != nil {
		inst.Kill()
		return nil, nil, err
	}
	return r, inst.Kill, nil
}

// StartSampler starts ref as a sampler for the work label; stop kills it.
func (h *Host) StartSampler(ref, label string) (plugins.Sampler, plugins.Observer, func(), error) {
	inst, err := h.Start(ref, plugins.KindSampler, label)
	if err != nil {
		return nil, nil, nil, err
	}
	s, obs, err := inst.Sampler()
	if err != nil {
		inst.Kill()
		return nil, nil, nil, err
	}
	return s, obs, inst.Kill, nil
}
