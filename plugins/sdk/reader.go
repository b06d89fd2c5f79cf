package sdk

import (
	"context"
	"fmt"
	"sync"

	"github.com/xlbench/xlbench/plugins"
	"github.com/xlbench/xlbench/plugins/transport"
)

// ReaderModel is what a reader definition builds for one configuration.
// The model of a trainable reader (Info.Trainable) must also be a
// ReaderTrainer; one that writes checkpoints a Saver.
type ReaderModel interface {
	Read(ctx context.Context, req plugins.ReadRequest) ([]plugins.Answer, error)
}

// ReaderTrainer is the training half of a trainable reader's model.
type ReaderTrainer interface {
	Train(ctx context.Context, req plugins.TrainReaderRequest) (plugins.TrainReaderResult, error)
}

// ReaderDef defines a reader plugin.
type ReaderDef struct {
	// Info.Trainable says whether the reader trains.
	Info plugins.Info
	// New builds the model for one configuration (parameters checked,
	// defaults filled in); it is called on every Configure.
	New func(cfg plugins.ReaderConfig) (ReaderModel, error)
}

// NewReader returns the plugins.Reader that def describes, for use in
// process (tests) or through ServeReader.
func NewReader(def ReaderDef) plugins.Reader { return &reader{def: def} }

// ServeReader serves def as a reader plugin; call it from main.
func ServeReader(def ReaderDef) { transport.ServeReader(NewReader(def)) }

type reader struct {
	def   ReaderDef
	mu    sync.Mutex
	model ReaderModel
}

func (r *reader) Describe(context.Context) (plugins.Info, error) { return r.def.Info, nil }

func (r *reader) Configure(_ context.Context, cfg plugins.ReaderConfig) (plugins.ReaderInfo, error) {
	params, err := plugins.CheckParams(r.def.Info.Params, cfg.Params)
	if err != nil {
		return plugins.ReaderInfo{}, err
	}
	cfg.Params = params
	model, err := r.def.New(cfg)
	if err != nil {
		return plugins.ReaderInfo{}, err
	}
	if _, ok := model.(ReaderTrainer); r.def.Info.Trainable && !ok {
		return plugins.ReaderInfo{}, fmt.Errorf("reader %s: Info says it trains, but its model has no Train", r.def.Info.Name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.model = model
	return plugins.ReaderInfo{}, nil
}

func (r *reader) configured(call string) (ReaderModel, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.model == nil {
		return nil, fmt.Errorf("%s called before Configure", call)
	}
	return r.model, nil
}

func (r *reader) Train(ctx context.Context, req plugins.TrainReaderRequest) (plugins.TrainReaderResult, error) {
	m, err := r.configured("Train")
	if err != nil {
		return plugins.TrainReaderResult{}, err
	}
	t, ok := m.(ReaderTrainer)
	if !ok || !r.def.Info.Trainable {
		return plugins.TrainReaderResult{}, fmt.Errorf("Train: reader %s does not train", r.def.Info.Name)
	}
	return t.Train(ctx, req)
}

func (r *reader) Read(ctx context.Context, req plugins.ReadRequest) ([]plugins.Answer, error) {
	m, err := r.configured("Read")
	if err != nil {
		return nil, err
	}
	answers, err := m.Read(ctx, req)
	if err != nil {
		return nil, err
	}
	if len(answers) != len(req.Queries) {
		return nil, fmt.Errorf("reader %s returned %d answers for %d queries", r.def.Info.Name, len(answers), len(req.Queries))
	}
	for i, a := range answers {
		if n := len(req.Queries[i].Candidates); a.Candidate < 0 || (n > 0 && a.Candidate >= n) {
			return nil, fmt.Errorf("reader %s: answer %d names candidate %d of %d", r.def.Info.Name, i, a.Candidate, n)
		}
	}
	return answers, nil
}

func (r *reader) Save(ctx context.Context, req plugins.SaveRequest) error {
	m, err := r.configured("Save")
	if err != nil {
		return err
	}
	s, ok := m.(Saver)
	if !ok {
		return fmt.Errorf("reader %s saves no checkpoint", r.def.Info.Name)
	}
	return s.Save(ctx, req)
}
