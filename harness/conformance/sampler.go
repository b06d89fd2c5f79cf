package conformance

import (
	"fmt"
	"slices"
	"time"

	"github.com/xlbench/xlbench/plugins"
)

// checkLangs are the languages of the synthetic data.
var checkLangs = []string{"de", "en", "es"}

// summary is a synthetic corpus with what samplers must cope with: QA
// groups offering different languages on each side, and translation groups.
func summary() plugins.CorpusSummary {
	var c plugins.CorpusSummary
	for i := range 240 {
		g := plugins.Group{ID: uint32(100 + 3*i)}
		switch i % 4 {
		case 0, 1:
			g.QueryLangs, g.PassageLangs = checkLangs, checkLangs
		case 2:
			g.QueryLangs, g.PassageLangs = []string{"de", "en"}, []string{"en"}
		case 3:
			g.Kind = plugins.GroupTranslation
			g.QueryLangs, g.PassageLangs = checkLangs, checkLangs
		}
		c.Groups = append(c.Groups, g)
	}
	return c
}

const (
	checkBatchSize = 8
	checkBatches   = 200
	timedBatches   = 1000
)

func (c *checker) sampler() {
	inst, ok := c.start("check", true)
	if !ok {
		return
	}
	s, obs, err := inst.Sampler()
	if err != nil || !c.describe(s.Describe) {
		inst.Kill()
		return
	}
	cfg := plugins.SamplerConfig{Corpus: summary(), BatchSize: checkBatchSize, Seed: 7}
	run := func(s plugins.Sampler, params plugins.Params, n int) ([]plugins.Batch, error) {
		cfg := cfg
		cfg.Params, cfg.Steps = params, n
		if err := s.Start(c.ctx, cfg); err != nil {
			return nil, err
		}
		return s.Next(c.ctx, plugins.NextRequest{Count: n})
	}
	var base []plugins.Batch
	c.check("default params", func() error {
		var err error
		if base, err = run(s, c.with(nil), checkBatches); err != nil {
			return fmt.Errorf("with no parameters: %w", err)
		}
		explicit, err := run(s, c.defaults(), checkBatches)
		if err != nil {
			return fmt.Errorf("with every default given: %w", err)
		}
		if err := firstDiff(base, explicit, batchesEqual); err != nil {
			return fmt.Errorf("batches with every default given differ from batches with none: %w", err)
		}
		return nil
	})
	c.refuses(func(p plugins.Params) error {
		return s.Start(c.ctx, plugins.SamplerConfig{Corpus: cfg.Corpus, BatchSize: cfg.BatchSize, Params: p, Seed: cfg.Seed, Steps: checkBatches})
	})
	if base == nil {
		c.shutdown(inst)
		return
	}
	c.check("batch validity", func() error { return validBatches(cfg, base) })
	c.check("other param values", func() error {
		for _, v := range otherValues(c.rep.Info) {
			bs, err := run(s, c.with(plugins.Params{v.name: v.value}), checkBatches)
			if err != nil {
				return fmt.Errorf("%s = %v (%s): %w", v.name, v.value, v.why, err)
			}
			if err := validBatches(cfg, bs); err != nil {
				return fmt.Errorf("%s = %v (%s): %w", v.name, v.value, v.why, err)
			}
		}
		return nil
	})

	if c.rep.Info.ObservesTraining {
		c.check("feedback", func() error { return c.feedback(s, obs, cfg) })
	}
	second, ok := c.start("determinism", false)
	if ok {
		c.check("determinism", func() error {
			again, err := run(s, c.with(nil), checkBatches)
			if err != nil {
				return err
			}
			if err := firstDiff(base, again, batchesEqual); err != nil {
				return fmt.Errorf("restarted with the same seed: %w", err)
			}
			s2, _, err := second.Sampler()
			if err != nil {
				return err
			}
			other, err := run(s2, nil, checkBatches)
			if err != nil {
				return fmt.Errorf("second process: %w", err)
			}
			if err := firstDiff(base, other, batchesEqual); err != nil {
				return fmt.Errorf("a second process with the same seed: %w", err)
			}
			return nil
		})
	}
	if err := s.Start(c.ctx, cfg); err == nil {
		t := time.Now()
		n := 0
		for n < timedBatches {
			bs, err := s.Next(c.ctx, plugins.NextRequest{Count: 100})
			if err != nil {
				break
			}
			n += len(bs)
		}
		c.figure("batches/s", n, time.Since(t))
	}
	c.shutdown(inst, second)
}

// validBatches checks batches against the corpus they were drawn from.
func validBatches(cfg plugins.SamplerConfig, bs []plugins.Batch) error {
	groups := map[uint32]plugins.Group{}
	for _, g := range cfg.Corpus.Groups {
		groups[g.ID] = g
	}
	for i, b := range bs {
		if len(b) != cfg.BatchSize {
			return fmt.Errorf("batch %d has %d pairs, the batch size is %d", i, len(b), cfg.BatchSize)
		}
		seen := map[uint32]bool{}
		for _, p := range b {
			g, ok := groups[p.Group]
			switch {
			case !ok:
				return fmt.Errorf("batch %d names group %d, which the corpus does not have", i, p.Group)
			case seen[p.Group]:
				return fmt.Errorf("batch %d holds group %d twice (it would be its own negative)", i, p.Group)
			case !slices.Contains(g.QueryLangs, p.QueryLang):
				return fmt.Errorf("batch %d asks group %d for a query in %s; it offers %v", i, p.Group, p.QueryLang, g.QueryLangs)
			case !slices.Contains(g.PassageLangs, p.PassageLang):
				return fmt.Errorf("batch %d asks group %d for a passage in %s; it offers %v", i, p.Group, p.PassageLang, g.PassageLangs)
			case !g.Allows(p.QueryLang, p.PassageLang):
				return fmt.Errorf("batch %d pairs %s with %s in %s group %d, which offers no such pair", i, p.QueryLang, p.PassageLang, g.Kind, p.Group)
			}
			seen[p.Group] = true
		}
	}
	return nil
}

// feedback checks a sampler that observes training: it takes feedback
// between chunks, its batches stay valid, and the same feedback after the
// same Start gives the same batches.
func (c *checker) feedback(s plugins.Sampler, o plugins.Observer, cfg plugins.SamplerConfig) error {
	if o == nil {
		return fmt.Errorf("the host cannot send this sampler feedback")
	}
	run := func() ([]plugins.Batch, error) {
		if err := s.Start(c.ctx, cfg); err != nil {
			return nil, err
		}
		var all []plugins.Batch
		for chunk := range 4 {
			bs, err := s.Next(c.ctx, plugins.NextRequest{Count: 16})
			if err != nil {
				return nil, err
			}
			all = append(all, bs...)
			if err := o.Observe(c.ctx, syntheticFeedback(16*chunk, bs)); err != nil {
				return nil, fmt.Errorf("Observe after chunk %d: %w", chunk, err)
			}
		}
		return all, nil
	}
	first, err := run()
	if err != nil {
		return err
	}
	if err := validBatches(cfg, first); err != nil {
		return fmt.Errorf("after feedback: %w", err)
	}
	again, err := run()
	if err != nil {
		return err
	}
	if err := firstDiff(first, again, batchesEqual); err != nil {
		return fmt.Errorf("the same feedback after the same Start: %w", err)
	}
	return nil
}

// syntheticFeedback makes up a chunk's feedback in which cross-lingual
// pairs cost more than monolingual ones.
func syntheticFeedback(first int, bs []plugins.Batch) plugins.Feedback {
	f := plugins.Feedback{FirstStep: first}
	type key struct{ q, p string }
	n := map[key]int{}
	for _, b := range bs {
		f.StepLoss = append(f.StepLoss, 1)
		for _, p := range b {
			n[key{p.QueryLang, p.PassageLang}]++
		}
	}
	for _, q := range checkLangs {
		for _, p := range checkLangs {
			if k := (key{q, p}); n[k] > 0 {
				mean := 1.0
				if q != p {
					mean = 3
				}
				f.PairLoss = append(f.PairLoss, plugins.PairLoss{QueryLang: q, PassageLang: p, Mean: mean, Pairs: n[k]})
			}
		}
	}
	return f
}
