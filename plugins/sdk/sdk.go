// Package sdk makes an xlbench plugin of any kind a few dozen lines: declare
// the plugin's Info, write a function that builds the plugin's working part
// from the checked configuration, and call Serve from main.
//
//	func main() {
//		sdk.ServeSampler(sdk.SamplerDef{
//			Info: plugins.Info{Name: "my-sampler", Version: "0.1.0", Params: ...},
//			New: func(cfg plugins.SamplerConfig) (sdk.BatchFunc, error) { ... },
//		})
//	}
//
// For every kind the SDK checks parameters against Info.Params (filling in
// defaults) before the plugin sees them, refuses the calls a plugin does not
// support (training calls to an encoder or reader that does not train), and
// offers an in-process driver for tests (NewSampler, NewEncoder,
// NewReader). For samplers it adds helpers for the common work: a seeded
// random source and an index of which groups offer which languages.
package sdk

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/xlbench/xlbench/plugins"
	"github.com/xlbench/xlbench/plugins/transport"
)

// BatchFunc returns the next batch of a deterministic sequence.
type BatchFunc func() (plugins.Batch, error)

// Observing is the batch sequence of a sampler that observes training:
// after every chunk of steps the host calls Observe with the chunk's
// feedback, then asks for more batches.
type Observing interface {
	Next() (plugins.Batch, error)
	Observe(f plugins.Feedback) error
}

// SamplerDef defines a sampler plugin: set New, or NewObserving for a
// sampler that adapts to training.
type SamplerDef struct {
	Info plugins.Info
	// New builds the batch sequence for one configuration. cfg.Params has
	// been checked against Info.Params and holds every default. New is
	// called again on every Start, so the sequence restarts.
	New func(cfg plugins.SamplerConfig) (BatchFunc, error)
	// NewObserving is New for a sampler that observes training; with it
	// the SDK declares Info.ObservesTraining and passes the host's
	// feedback to the sequence.
	NewObserving func(cfg plugins.SamplerConfig) (Observing, error)
}

// NewSampler returns the plugins.Sampler that def describes, for use in
// process (tests) or through ServeSampler.
func NewSampler(def SamplerDef) plugins.Sampler { return &sampler{def: def} }

// ServeSampler serves def as a sampler plugin; call it from main.
func ServeSampler(def SamplerDef) { transport.ServeSampler(NewSampler(def)) }

type sampler struct {
	def  SamplerDef
	mu   sync.Mutex
	next BatchFunc
	obs  Observing
	size int
}

func (s *sampler) Describe(context.Context) (plugins.Info, error) {
	info := s.def.Info
	info.ObservesTraining = s.def.NewObserving != nil
	return info, nil
}

func (s *sampler) Observe(_ context.Context, f plugins.Feedback) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.obs == nil {
		return fmt.Errorf("sampler %s does not observe training, or Observe came before Start", s.def.Info.Name)
	}
	return s.obs.Observe(f)
}

func (s *sampler) Start(_ context.Context, cfg plugins.SamplerConfig) error {
	if cfg.BatchSize < 1 {
		return fmt.Errorf("batch size must be at least 1, got %d", cfg.BatchSize)
	}
	params, err := plugins.CheckParams(s.def.Info.Params, cfg.Params)
	if err != nil {
		return err
	}
	cfg.Params = params
	var next BatchFunc
	var obs Observing
	if s.def.NewObserving != nil {
		if obs, err = s.def.NewObserving(cfg); err != nil {
			return err
		}
		next = obs.Next
	} else if next, err = s.def.New(cfg); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next, s.obs, s.size = next, obs, cfg.BatchSize
	return nil
}

func (s *sampler) Next(_ context.Context, req plugins.NextRequest) ([]plugins.Batch, error) {
	n := req.Count
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.next == nil {
		return nil, fmt.Errorf("Next called before Start")
	}
	out := make([]plugins.Batch, n)
	for i := range out {
		b, err := s.next()
		if err != nil {
			return nil, err
		}
		if len(b) != s.size {
			return nil, fmt.Errorf("sampler %s produced a batch of %d pairs, want %d", s.def.Info.Name, len(b), s.size)
		}
		out[i] = b
	}
	return out, nil
}

// Rand returns the random source a sampler should draw from: PCG seeded
// from the run's seed and a stream constant, so every sampler sees the same
// numbers for the same seed on every platform and Go version.
func Rand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x786c62656e6368)) // "xlbench"
}
