package sdk

import (
	"context"
	"fmt"
	"sync"

	"github.com/xlbench/xlbench/plugins"
	"github.com/xlbench/xlbench/plugins/transport"
)

// EncoderModel is what an encoder definition builds for one configuration:
// something that encodes. A model of a trainable encoder (Info.Trainable)
// must also be a Trainer; one that says CollectionStats a Preparer; and one
// that writes checkpoints a Saver.
type EncoderModel interface {
	Encode(ctx context.Context, req plugins.EncodeRequest) (plugins.Vectors, error)
}

// Trainer is the training half of a trainable encoder's model.
type Trainer interface {
	LoadCorpus(ctx context.Context, req plugins.LoadCorpusRequest) error
	TrainStep(ctx context.Context, req plugins.TrainStepRequest) (plugins.TrainStepResult, error)
}

// Preparer computes collection statistics (EncoderInfo.CollectionStats).
type Preparer interface {
	Prepare(ctx context.Context, req plugins.PrepareRequest) error
}

// Saver writes checkpoints.
type Saver interface {
	Save(ctx context.Context, req plugins.SaveRequest) error
}

// EncoderDef defines an encoder plugin.
type EncoderDef struct {
	// Info.Trainable says whether the encoder trains: the SDK sends a
	// model that does not train no training calls, refusing them itself.
	Info plugins.Info
	// New builds the model for one configuration: cfg.Params has been
	// checked against Info.Params and holds every default. It is called on
	// every Configure, so a new configuration starts a new model.
	New func(cfg plugins.EncoderConfig) (EncoderModel, plugins.EncoderInfo, error)
}

// NewEncoder returns the plugins.Encoder that def describes, for use in
// process (tests) or through ServeEncoder.
func NewEncoder(def EncoderDef) plugins.Encoder { return &encoder{def: def} }

// ServeEncoder serves def as an encoder plugin; call it from main.
func ServeEncoder(def EncoderDef) { transport.ServeEncoder(NewEncoder(def)) }

type encoder struct {
	def   EncoderDef
	mu    sync.Mutex
	model EncoderModel
	info  plugins.EncoderInfo
}

func (e *encoder) Describe(context.Context) (plugins.Info, error) { return e.def.Info, nil }

func (e *encoder) Configure(_ context.Context, cfg plugins.EncoderConfig) (plugins.EncoderInfo, error) {
	params, err := plugins.CheckParams(e.def.Info.Params, cfg.Params)
	if err != nil {
		return plugins.EncoderInfo{}, err
	}
	cfg.Params = params
	model, info, err := e.def.New(cfg)
	if err != nil {
		return plugins.EncoderInfo{}, err
	}
	name := e.def.Info.Name
	if _, ok := model.(Trainer); e.def.Info.Trainable && !ok {
		return plugins.EncoderInfo{}, fmt.Errorf("encoder %s: Info says it trains, but its model has no LoadCorpus and TrainStep", name)
	}
	if _, ok := model.(Preparer); info.CollectionStats && !ok {
		return plugins.EncoderInfo{}, fmt.Errorf("encoder %s: EncoderInfo says CollectionStats, but its model has no Prepare", name)
	}
	if info.Dim < 0 || (info.Dim == 0 && !info.Sparse) {
		return plugins.EncoderInfo{}, fmt.Errorf("encoder %s: dimension %d and no sparse vectors", name, info.Dim)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.model, e.info = model, info
	return info, nil
}

// configured returns the model, or an error naming call before Configure.
func (e *encoder) configured(call string) (EncoderModel, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.model == nil {
		return nil, fmt.Errorf("%s called before Configure", call)
	}
	return e.model, nil
}

func (e *encoder) trainer(call string) (Trainer, error) {
	m, err := e.configured(call)
	if err != nil {
		return nil, err
	}
	t, ok := m.(Trainer)
	if !ok || !e.def.Info.Trainable {
		return nil, fmt.Errorf("%s: encoder %s does not train", call, e.def.Info.Name)
	}
	return t, nil
}

func (e *encoder) LoadCorpus(ctx context.Context, req plugins.LoadCorpusRequest) error {
	t, err := e.trainer("LoadCorpus")
	if err != nil {
		return err
	}
	return t.LoadCorpus(ctx, req)
}

func (e *encoder) TrainStep(ctx context.Context, req plugins.TrainStepRequest) (plugins.TrainStepResult, error) {
	t, err := e.trainer("TrainStep")
	if err != nil {
		return plugins.TrainStepResult{}, err
	}
	r, err := t.TrainStep(ctx, req)
	if err == nil && r.PairLoss != nil && len(r.PairLoss) != len(req.Batch) {
		err = fmt.Errorf("encoder %s reported %d pair losses for a batch of %d", e.def.Info.Name, len(r.PairLoss), len(req.Batch))
	}
	return r, err
}

func (e *encoder) Prepare(ctx context.Context, req plugins.PrepareRequest) error {
	m, err := e.configured("Prepare")
	if err != nil {
		return err
	}
	if p, ok := m.(Preparer); ok {
		return p.Prepare(ctx, req)
	}
	return nil // no collection statistics: nothing to prepare
}

func (e *encoder) Encode(ctx context.Context, req plugins.EncodeRequest) (plugins.Vectors, error) {
	m, err := e.configured("Encode")
	if err != nil {
		return plugins.Vectors{}, err
	}
	v, err := m.Encode(ctx, req)
	if err != nil {
		return v, err
	}
	if v.Count != len(req.Texts) || (e.info.Dim > 0 && (v.Dim != e.info.Dim || len(v.Dense) != v.Count*v.Dim)) {
		return v, vectorsShapeError(e.def.Info.Name, v, len(req.Texts), e.info.Dim)
	}
	return v, nil
}

func (e *encoder) Save(ctx context.Context, req plugins.SaveRequest) error {
	m, err := e.configured("Save")
	if err != nil {
		return err
	}
	s, ok := m.(Saver)
	if !ok {
		return fmt.Errorf("encoder %s saves no checkpoint", e.def.Info.Name)
	}
	return s.Save(ctx, req)
}

// vectorsShapeError names the fields of a Vectors that does not fit its
// request, and what each should hold.
func vectorsShapeError(name string, v plugins.Vectors, texts, dim int) error {
	return fmt.Errorf("encoder %s returned plugins.Vectors{Count: %d, Dim: %d, len(Dense): %d} for %d texts; "+
		"want Count = %d (one vector per text), Dim = %d (the EncoderInfo.Dim its New returned) and "+
		"Dense = Count×Dim = %d float32s, row-major (text i's vector at Dense[i*Dim:(i+1)*Dim])",
		name, v.Count, v.Dim, len(v.Dense), texts, texts, dim, texts*dim)
}
