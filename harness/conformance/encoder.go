package conformance

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/xlbench/xlbench/plugins"
	"github.com/xlbench/xlbench/plugins/transport"
)

// words make the synthetic texts: sentences of different lengths, with an
// empty text and a long one among them.
var words = strings.Fields("river bridge castle museum harbour engine garden village market tower " +
	"library station forest island mountain valley theatre school palace cathedral")

func sentence(i, n int) string {
	ws := make([]string, n)
	for k := range ws {
		ws[k] = words[(i*7+k*3)%len(words)]
	}
	return strings.Join(ws, " ")
}

func checkTexts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = sentence(i, 3+i%17)
	}
	out[0] = ""
	if n > 1 {
		out[1] = sentence(1, 600)
	}
	return out
}

// corpusGroups is a synthetic training corpus: each group a question and
// its passage in every check language.
func corpusGroups() []plugins.CorpusGroup {
	var out []plugins.CorpusGroup
	for i := range 64 {
		g := plugins.CorpusGroup{ID: uint32(10 + i)}
		for _, l := range checkLangs {
			g.Texts = append(g.Texts,
				plugins.Text{Lang: l, Role: plugins.RoleQuery, Text: l + " where is the " + words[i%len(words)] + " " + fmt.Sprint(i)},
				plugins.Text{Lang: l, Role: plugins.RolePassage, Text: l + " the " + words[i%len(words)] + " " + fmt.Sprint(i) + " is " + sentence(i, 12)})
		}
		out = append(out, g)
	}
	return out
}

// trainingBatches are monolingual and cross-lingual batches over corpusGroups.
func trainingBatches(n int) []plugins.Batch {
	out := make([]plugins.Batch, n)
	for i := range out {
		b := make(plugins.Batch, checkBatchSize)
		for k := range b {
			q, p := checkLangs[i%3], checkLangs[(i+k)%3]
			b[k] = plugins.Pair{Group: uint32(10 + (i*checkBatchSize+k)%64), QueryLang: q, PassageLang: p}
		}
		out[i] = b
	}
	return out
}

const (
	checkSteps = 20
	timedSteps = 50
	timedTexts = 2000
)

// encoderRun is what one configured encoder gave: its info, the losses of
// training (when it trains) and the vectors of the check texts afterwards.
type encoderRun struct {
	info    plugins.EncoderInfo
	losses  []float64
	vectors []plugins.Vectors // queries, then passages
}

func (c *checker) encode(e plugins.Encoder, info plugins.EncoderInfo, texts []string) ([]plugins.Vectors, error) {
	if info.CollectionStats {
		if err := e.Prepare(c.ctx, plugins.PrepareRequest{Lang: "en", Texts: texts}); err != nil {
			return nil, fmt.Errorf("Prepare: %w", err)
		}
	}
	var out []plugins.Vectors
	for _, role := range []plugins.Role{plugins.RoleQuery, plugins.RolePassage} {
		v, err := e.Encode(c.ctx, plugins.EncodeRequest{Role: role, Lang: "en", Texts: texts})
		if err != nil {
			return nil, fmt.Errorf("Encode %s: %w", role, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// configureAndRun configures e with params, trains it for checkSteps steps
// when it trains, and encodes the check texts.
func (c *checker) configureAndRun(e plugins.Encoder, params plugins.Params) (encoderRun, error) {
	info, err := e.Configure(c.ctx, plugins.EncoderConfig{Params: params, Seed: 7})
	if err != nil {
		return encoderRun{}, fmt.Errorf("Configure: %w", err)
	}
	r := encoderRun{info: info}
	if c.rep.Info.Trainable {
		if err := e.LoadCorpus(c.ctx, plugins.LoadCorpusRequest{Groups: corpusGroups()}); err != nil {
			return r, fmt.Errorf("LoadCorpus: %w", err)
		}
		steps, err := transport.TrainSteps(c.ctx, e, trainingBatches(checkSteps))
		if err != nil {
			return r, fmt.Errorf("training: %w", err)
		}
		for _, st := range steps {
			r.losses = append(r.losses, st.Loss)
			if st.PairLoss != nil && len(st.PairLoss) != checkBatchSize {
				return r, fmt.Errorf("training: %d pair losses for a batch of %d", len(st.PairLoss), checkBatchSize)
			}
		}
	}
	r.vectors, err = c.encode(e, info, checkTexts(64))
	return r, err
}

func vectorsEqual(a, b plugins.Vectors) bool {
	if a.Count != b.Count || a.Dim != b.Dim || !slices.Equal(a.Dense, b.Dense) || (a.Sparse == nil) != (b.Sparse == nil) {
		return false
	}
	return a.Sparse == nil || (slices.Equal(a.Sparse.Offsets, b.Sparse.Offsets) && slices.Equal(a.Sparse.Terms, b.Sparse.Terms) &&
		slices.Equal(a.Sparse.Weights, b.Sparse.Weights))
}

func sameRun(a, b encoderRun) error {
	if a.info != b.info {
		return fmt.Errorf("Configure answered %+v, then %+v", a.info, b.info)
	}
	if !slices.Equal(a.losses, b.losses) {
		return fmt.Errorf("training losses %v, then %v", a.losses, b.losses)
	}
	for i := range a.vectors {
		if i >= len(b.vectors) || !vectorsEqual(a.vectors[i], b.vectors[i]) {
			return fmt.Errorf("different %s vectors for the same texts", []string{"query", "passage"}[i])
		}
	}
	return nil
}

func (c *checker) encoder() {
	inst, ok := c.start("check", true)
	if !ok {
		return
	}
	e, err := inst.Encoder()
	if err != nil || !c.describe(e.Describe) {
		inst.Kill()
		return
	}
	var base encoderRun
	var baseErr error
	c.check("default params", func() error {
		if base, baseErr = c.configureAndRun(e, c.with(nil)); baseErr != nil {
			return fmt.Errorf("with no parameters: %w", baseErr)
		}
		explicit, err := c.configureAndRun(e, c.defaults())
		if err != nil {
			return fmt.Errorf("with every default given: %w", err)
		}
		if err := sameRun(base, explicit); err != nil {
			return fmt.Errorf("every default given and none differ: %w", err)
		}
		return nil
	})
	c.refuses(func(p plugins.Params) error {
		_, err := e.Configure(c.ctx, plugins.EncoderConfig{Params: p, Seed: 7})
		return err
	})
	if baseErr != nil {
		c.shutdown(inst)
		return
	}
	c.check("vectors", func() error { return checkVectors(base.info, base.vectors, 64) })
	if c.rep.Info.Trainable {
		c.check("training", func() error {
			if len(base.losses) != checkSteps {
				return fmt.Errorf("%d losses for %d steps", len(base.losses), checkSteps)
			}
			for i, l := range base.losses {
				if math.IsNaN(l) || math.IsInf(l, 0) {
					return fmt.Errorf("step %d: loss %v", i, l)
				}
			}
			return nil
		})
	} else {
		c.check("training refused", func() error {
			errLoad := e.LoadCorpus(c.ctx, plugins.LoadCorpusRequest{Groups: corpusGroups()})
			_, errStep := e.TrainStep(c.ctx, plugins.TrainStepRequest{Batch: trainingBatches(1)[0]})
			if errLoad == nil && errStep == nil {
				return errors.New("an encoder that does not train accepted LoadCorpus and TrainStep")
			}
			return nil
		})
	}

	second, ok := c.start("determinism", false)
	if ok {
		c.check("determinism", func() error {
			e2, err := second.Encoder()
			if err != nil {
				return err
			}
			other, err := c.configureAndRun(e2, c.with(nil))
			if err != nil {
				return fmt.Errorf("second process: %w", err)
			}
			if err := sameRun(base, other); err != nil {
				return fmt.Errorf("a second process with the same seed: %w", err)
			}
			return nil
		})
	}
	c.encoderThroughput(e)
	c.shutdown(inst, second)
}

func checkVectors(info plugins.EncoderInfo, vs []plugins.Vectors, n int) error {
	for _, v := range vs {
		if v.Count != n {
			return fmt.Errorf("%d vectors for %d texts", v.Count, n)
		}
		if info.Dim > 0 {
			if v.Dim != info.Dim || len(v.Dense) != n*info.Dim {
				return fmt.Errorf("vectors of dimension %d (%d floats), Configure said %d", v.Dim, len(v.Dense), info.Dim)
			}
			if err := finite(v.Dense); err != nil {
				return fmt.Errorf("dense vectors: %w", err)
			}
		}
		if info.Sparse {
			if v.Sparse == nil || v.Sparse.Len() != n {
				return fmt.Errorf("a sparse encoder returned no sparse vector for some of %d texts", n)
			}
			if err := finite(v.Sparse.Weights); err != nil {
				return fmt.Errorf("sparse weights: %w", err)
			}
		}
		if info.Dim == 0 && !info.Sparse {
			return errors.New("Configure gave dimension 0 and no sparse vectors: the encoder encodes nothing")
		}
	}
	return nil
}

// encoderThroughput measures texts/s and, for an encoder that trains,
// pairs/s.
func (c *checker) encoderThroughput(e plugins.Encoder) {
	info, err := e.Configure(c.ctx, plugins.EncoderConfig{Params: c.with(nil), Seed: 7})
	if err != nil {
		return
	}
	if c.rep.Info.Trainable {
		if e.LoadCorpus(c.ctx, plugins.LoadCorpusRequest{Groups: corpusGroups()}) != nil {
			return
		}
		t := time.Now()
		steps, err := transport.TrainSteps(c.ctx, e, trainingBatches(timedSteps))
		if err == nil {
			c.figure("pairs/s", len(steps)*checkBatchSize, time.Since(t))
		}
	}
	texts := checkTexts(timedTexts)
	t := time.Now()
	if _, err := c.encode(e, info, texts); err == nil {
		c.figure("texts/s", 2*len(texts), time.Since(t))
	}
}
