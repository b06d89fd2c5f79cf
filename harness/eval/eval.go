// Package eval runs the retrieval evaluation (docs/methods.md, "Metrics") on an
// evaluation collection: it has an encoder embed questions and candidates,
// scores them, ranks every pool and averages the metrics of package metrics.
//
// Settings and averaging:
//   - mono: queries in X against candidates in X, one pool per language;
//     a metric is the mean over a pool's questions, then the mean over pools;
//   - cross: queries in X against candidates in Y ≠ X, one pool per ordered
//     pair, averaged the same way;
//   - multi: queries in X against the candidates of every language pooled;
//     ranking metrics are the mean over all questions; rank distance is the
//     mean over a language's questions, then the mean over query languages.
//
// A question with no relevant candidate in a pool is not scored in that
// pool. Rankings are full (no cutoff); ties follow the rule in rank.go.
package eval

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/xlbench/xlbench/harness/dataset"
	"github.com/xlbench/xlbench/harness/lang"
	"github.com/xlbench/xlbench/harness/metrics"
	"github.com/xlbench/xlbench/harness/results"
	"github.com/xlbench/xlbench/plugins"
	"github.com/xlbench/xlbench/plugins/sdk/parallel"
)

// The evaluation settings (results.Setting).
const (
	Mono  = results.Mono
	Cross = results.Cross
	Multi = results.Multi
)

// Settings lists the settings in table order.
var Settings = results.Settings

// Encoder is what evaluation needs of an encoder plugin.
type Encoder interface {
	Prepare(ctx context.Context, req plugins.PrepareRequest) error
	Encode(ctx context.Context, req plugins.EncodeRequest) (plugins.Vectors, error)
}

// RankingSink receives the ranking of every query in every pool, for TREC
// run files. cands are best first, cut to the sink's depth.
type RankingSink interface {
	Depth() int
	Ranking(setting results.Setting, queryLang, candLang string, q *dataset.Question, cands []Ranked, ids []string) error
}

// Options tune an evaluation.
type Options struct {
	// EncodeBatch is the number of texts per Encode call.
	EncodeBatch int
	Sink        RankingSink
	// Progress, if set, is told what is happening.
	Progress func(msg string)
	// Answers adds has-answer@k (metrics.HasAnswer): whether a question's
	// top k candidates contain a gold answer string in the candidate's
	// language. It costs a top-20 pass per question and pool.
	Answers bool
	// Reader, when set, answers every question of every pool from its top
	// ReadTopK candidates, for EM and F1 (metrics.Reading); it needs
	// Answers.
	Reader   Reader
	ReadTopK int
	// Timings, when set, receives the wall time spent encoding, ranking
	// and reading (Read calls, including any wait for the reader).
	Timings *Timings
}

// Timings splits an evaluation's wall time into its phases.
type Timings struct {
	Encode, Rank, Read time.Duration
}

// Reader answers questions from candidates (see Options.Reader).
type Reader interface {
	// Read returns, for each question, its answer from its candidates
	// (indices into the collection, best first); Answer.Candidate indexes
	// the question's candidates.
	Read(ctx context.Context, c *dataset.Collection, qs []*dataset.Question, cands [][]int) ([]plugins.Answer, error)
}

// Pool is the stored metrics of one pool (results.Pool).
type Pool = results.Pool

// SettingResult holds one setting's metrics and its pools.
type SettingResult struct {
	Metrics results.Scores `json:"metrics"`
	// Pools are keyed by query language (mono; multi) or by query and
	// candidate language (cross).
	Pools map[lang.PoolKey]Pool `json:"pools"`
	// PerQuery holds every scored query's average precision, keyed
	// "<pool>:<question id>", for paired significance tests; PerQueryEM and
	// PerQueryF1 its EM and F1 when a reader read (else nil).
	PerQuery               map[string]float64 `json:"-"`
	PerQueryEM, PerQueryF1 map[string]float64 `json:"-"`
}

// Result is the evaluation of one encoder on one collection.
type Result map[results.Setting]*SettingResult

// Evaluate scores enc on c in every setting: it encodes every question
// and candidate, ranks every pool, then reads the answers of the ranked
// questions (when it has a reader) and averages the metrics. It is Rank
// then Pending.Finish.
func Evaluate(ctx context.Context, enc Encoder, info plugins.EncoderInfo, c *dataset.Collection, opt Options) (Result, error) {
	rk, err := Rank(ctx, enc, info, c, opt)
	if err != nil {
		return nil, err
	}
	return rk.Finish(ctx)
}

// Pending is a collection encoded and ranked, its answers not yet read:
// the part of an evaluation that needs the encoder is done, and what is
// left (reading, averaging) needs only the reader.
type Pending struct {
	e     *evaluation
	pools []*rankedPool
}

// Rank encodes every question and candidate of c and ranks every pool;
// Finish reads and averages. Between the two the encoder may be stopped:
// a cell whose reader still trains waits for it holding rankings, not an
// encoder process.
func Rank(ctx context.Context, enc Encoder, info plugins.EncoderInfo, c *dataset.Collection, opt Options) (*Pending, error) {
	if opt.EncodeBatch <= 0 {
		opt.EncodeBatch = 256
	}
	if opt.Progress == nil {
		opt.Progress = func(string) {}
	}
	if opt.Reader != nil && opt.ReadTopK <= 0 {
		opt.ReadTopK = 5
	}
	if opt.Timings == nil {
		opt.Timings = &Timings{}
	}
	e := &evaluation{ctx: ctx, enc: enc, c: c, opt: opt, timings: opt.Timings}
	if opt.Answers || opt.Reader != nil {
		e.answers = newAnswerIndex(c)
	}
	start := time.Now()
	v, err := e.encodeAll(info)
	if err != nil {
		return nil, err
	}
	e.timings.Encode += time.Since(start)

	start = time.Now()
	pools, err := e.rankAll(v)
	e.timings.Rank += time.Since(start)
	if err != nil {
		return nil, err
	}
	// Nothing after this point may call the encoder.
	e.enc = nil
	return &Pending{e: e, pools: pools}, nil
}

// Finish reads the answers of the ranked questions (when the options had
// a reader) and averages the metrics. It is called once.
func (rk *Pending) Finish(ctx context.Context) (Result, error) {
	e := rk.e
	e.ctx = ctx
	if e.opt.Reader != nil {
		// After every pool is ranked: a reader still training is waited
		// for once the cell has nothing else to do.
		start := time.Now()
		for _, p := range rk.pools {
			if err := e.read(p.qs, p.out, p.tops); err != nil {
				return nil, err
			}
		}
		e.timings.Read += time.Since(start)
	}
	start := time.Now()
	defer func() { e.timings.Rank += time.Since(start) }()
	return e.average(rk.pools), nil
}

// encoded holds a collection's vectors: the questions per language, the
// pooled candidates, and, for an encoder with collection statistics, each
// language's candidates encoded as a collection of their own.
type encoded struct {
	queries map[string]*vectors
	perLang map[string]scorer
	pooled  scorer
}

// encodeAll encodes every question and candidate of the collection.
func (e *evaluation) encodeAll(info plugins.EncoderInfo) (*encoded, error) {
	c := e.c
	e.opt.Progress(fmt.Sprintf("encoding %d questions", len(c.Questions)))
	v := &encoded{queries: map[string]*vectors{}, perLang: map[string]scorer{}}
	for _, lang := range c.Languages {
		lo, hi := c.QuestionRange(lang)
		texts := make([]string, 0, hi-lo)
		for _, q := range c.Questions[lo:hi] {
			texts = append(texts, q.Text)
		}
		qv, err := e.encode(plugins.RoleQuery, lang, texts)
		if err != nil {
			return nil, err
		}
		v.queries[lang] = qv
	}

	e.opt.Progress(fmt.Sprintf("encoding %d candidates", len(c.Candidates)))
	all := make([]string, len(c.Candidates))
	for i, cand := range c.Candidates {
		all[i] = cand.Text
	}
	// Without collection statistics one encoding serves every pool; with
	// them, each language is its own collection for mono and cross, and
	// the pooled candidates are one collection for multi.
	if info.CollectionStats {
		for _, lang := range c.Languages {
			lo, hi := c.CandidateRange(lang)
			if err := e.enc.Prepare(e.ctx, plugins.PrepareRequest{Lang: lang, Texts: all[lo:hi]}); err != nil {
				return nil, fmt.Errorf("Prepare(%s): %w", lang, err)
			}
			lv, err := e.encode(plugins.RolePassage, lang, all[lo:hi])
			if err != nil {
				return nil, err
			}
			v.perLang[lang] = newScorer(lv)
		}
		if err := e.enc.Prepare(e.ctx, plugins.PrepareRequest{Texts: all}); err != nil {
			return nil, fmt.Errorf("Prepare(all languages): %w", err)
		}
	}
	pooled := &vectors{expect: len(all)}
	for _, lang := range c.Languages {
		lo, hi := c.CandidateRange(lang)
		if err := e.encodeInto(pooled, plugins.RolePassage, lang, all[lo:hi]); err != nil {
			return nil, err
		}
	}
	v.pooled = newScorer(pooled)
	for _, lang := range c.Languages {
		if err := sameKind(v.queries[lang], pooled); err != nil {
			return nil, fmt.Errorf("%s questions: %w", lang, err)
		}
	}
	return v, nil
}

// rankAll ranks every pool of every setting, query language by query
// language: the multilingual pool, then each candidate language's.
func (e *evaluation) rankAll(v *encoded) ([]*rankedPool, error) {
	c := e.c
	ids := make([]string, len(c.Candidates))
	for i, cand := range c.Candidates {
		ids[i] = cand.ID
	}
	keys := tieKeys(ids)
	var out []*rankedPool
	// One score block for the multilingual pool and one for a language's
	// own collection, reused from one query language to the next.
	var multiBuf, langBuf []float32
	size := v.pooled.size()
	// The candidate languages' ranges, when they tile the pooled
	// candidates in order.
	var ranges [][2]int
	next := 0
	for _, clang := range c.Languages {
		lo, hi := c.CandidateRange(clang)
		if lo != next {
			break
		}
		ranges, next = append(ranges, [2]int{lo, hi}), hi
	}
	if next != size {
		ranges = nil
	}
	for _, qlang := range c.Languages {
		e.opt.Progress(fmt.Sprintf("ranking %s queries", qlang))
		qlo, qhi := c.QuestionRange(qlang)
		qv := v.queries[qlang]
		qs := c.Questions[qlo:qhi]

		// The multilingual pool: every candidate. Without collection
		// statistics each language's pool is a column range of its scores,
		// so its ranking counts their ranks too.
		block := v.pooled.scores(qv, 0, qv.n, multiBuf)
		multiBuf = block
		if c.Bitext {
			// A sentence's own language holds the sentence itself: out of
			// the pool. Scored -Inf, its candidates rank below every other,
			// so no relevant candidate's rank (all a metric reads) moves.
			lo, hi := c.CandidateRange(qlang)
			for i := range qv.n {
				row := block[i*size:]
				for j := lo; j < hi; j++ {
					row[j] = float32(math.Inf(-1))
				}
			}
		}
		job := poolJob{setting: Multi, qlang: qlang, block: block, stride: size, n: size,
			keys: keys, ids: ids, qs: qs, withDistance: true}
		if len(v.perLang) == 0 {
			job.ranges = ranges
		}
		multi, err := e.rankPool(job)
		if err != nil {
			return nil, err
		}
		out = append(out, multi)

		for ci, clang := range c.Languages {
			lo, hi := c.CandidateRange(clang)
			// Without collection statistics a language's pool is a column
			// range of the multilingual block, ranked in place.
			job := poolJob{setting: Cross, qlang: qlang, clang: clang, block: block, stride: size, first: lo, n: hi - lo, offset: lo,
				keys: keys[lo:hi], ids: ids[lo:hi], qs: qs}
			if sc, ok := v.perLang[clang]; ok {
				job.block, job.stride, job.first = sc.scores(qv, 0, qv.n, langBuf), hi-lo, 0
				langBuf = job.block
			} else if multi.inRange != nil {
				job.given = multi.inRange[ci]
			}
			if clang == qlang {
				if c.Bitext {
					continue
				}
				job.setting = Mono
			}
			p, err := e.rankPool(job)
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		}
	}
	return out, nil
}

// average gathers the ranked pools into the result: each pool's mean
// metrics and per-query values, and each setting's metrics.
func (e *evaluation) average(pools []*rankedPool) Result {
	c := e.c
	res := Result{}
	for _, s := range Settings {
		// Sized for every question in every pool of the setting: growing
		// the cross setting's map key by key cost more than filling it.
		n := len(c.Questions)
		if s == Cross {
			n *= max(len(c.Languages)-1, 0)
		}
		res[s] = &SettingResult{Pools: map[lang.PoolKey]Pool{}, PerQuery: make(map[string]float64, n)}
	}
	// Each pool's means and its questions' keys on every core (each sum
	// runs over one pool's questions in order, wherever it runs); the
	// setting's maps are then filled in pool order.
	type summary struct {
		key  lang.PoolKey
		pool Pool
		ids  []string
	}
	sums := make([]summary, len(pools))
	parallel.For(len(pools), func(i int) {
		p := pools[i]
		key := lang.PoolKey{Query: p.qlang}
		if p.setting == Cross {
			key.Candidate = p.clang
		}
		sums[i] = summary{key: key, pool: summarise(p.qlang, p.clang, p.out), ids: perQueryKeys(key.String(), p.qs, p.out)}
	})
	var multiQueries []metrics.Query
	for i, p := range pools {
		res[p.setting].Pools[sums[i].key] = sums[i].pool
		keepPerQuery(res[p.setting], sums[i].ids, p.out)
		if p.setting == Multi {
			multiQueries = append(multiQueries, p.out...)
		}
	}
	names := metrics.Ranking
	if e.answers != nil {
		names = slices.Concat(names, metrics.HasAnswer)
	}
	if e.opt.Reader != nil {
		names = slices.Concat(names, metrics.Reading)
	}
	for _, s := range []results.Setting{Mono, Cross} {
		res[s].Metrics = macro(res[s].Pools, names)
	}
	if len(res[Mono].Pools) == 0 {
		delete(res, Mono) // a bitext collection has no monolingual pool
	}
	// Ranking metrics average over all questions; the rank distance
	// averages per query language first, so its micro mean is replaced.
	res[Multi].Metrics = metrics.Mean(scored(multiQueries))
	res[Multi].Metrics[metrics.RankDistance] = macro(res[Multi].Pools, []metrics.Name{metrics.RankDistance})[metrics.RankDistance]
	return res
}

// sameKind says whether query vectors q can be scored against candidate
// vectors c: the same dense dimension and both with or both without a
// sparse part.
func sameKind(q, c *vectors) error {
	if q.n == 0 || c.n == 0 {
		return nil
	}
	if q.dim != c.dim {
		return fmt.Errorf("query vectors have dimension %d, candidate vectors %d", q.dim, c.dim)
	}
	if (q.sparse != nil) != (c.sparse != nil) {
		return fmt.Errorf("query and candidate vectors differ in having a sparse part")
	}
	return nil
}

type evaluation struct {
	ctx     context.Context
	enc     Encoder
	c       *dataset.Collection
	opt     Options
	answers *answerIndex // nil unless Options.Answers
	timings *Timings
}

func (e *evaluation) encode(role plugins.Role, lang string, texts []string) (*vectors, error) {
	v := &vectors{expect: len(texts)}
	return v, e.encodeInto(v, role, lang, texts)
}

func (e *evaluation) encodeInto(v *vectors, role plugins.Role, lang string, texts []string) error {
	for lo := 0; lo < len(texts); lo += e.opt.EncodeBatch {
		hi := min(lo+e.opt.EncodeBatch, len(texts))
		b, err := e.enc.Encode(e.ctx, plugins.EncodeRequest{Role: role, Lang: lang, Texts: texts[lo:hi]})
		if err != nil {
			return fmt.Errorf("encoding %s %s: %w", lang, plural(role), err)
		}
		if b.Count != hi-lo {
			return fmt.Errorf("encoding %s %s: %d vectors for %d texts", lang, plural(role), b.Count, hi-lo)
		}
		if err := v.add(b); err != nil {
			return fmt.Errorf("encoding %s %s: %w", lang, plural(role), err)
		}
	}
	return nil
}

// poolJob is one pool to rank: the questions qs of one query language
// against the n candidates of the pool, which start at offset in the
// collection; question i's scores for them are
// block[i*stride+first:][:n]. keys and ids are the pool's candidates' tie
// keys and ids. withDistance adds the rank distance (the multilingual
// pool).
type poolJob struct {
	setting                  results.Setting
	qlang, clang             string
	block                    []float32
	stride, first, n, offset int
	keys                     []int32
	ids                      []string
	qs                       []dataset.Question
	withDistance             bool
	// ranges, when set, splits the pool into consecutive candidate
	// ranges (languages) whose own ranks the ranking also counts, for
	// the pools that are those ranges of the same scores.
	ranges [][2]int
	// given, when set, holds question i's ranks (of its relevant
	// candidates in the pool, in Relevant's order) where they were
	// counted already; a nil entry is counted here.
	given [][]int
}

// rankedPool is a ranked pool: each question's metrics (aligned with qs,
// nil for a question with no relevant candidate in the pool) and the top
// candidates to read, by collection index.
type rankedPool struct {
	poolJob
	out  []metrics.Query
	tops [][]int
	// inRange[r][i] is question i's ranks within ranges[r], when counted.
	inRange [][][]int
}

// rankPool ranks a pool's questions and scores their rankings.
func (e *evaluation) rankPool(j poolJob) (*rankedPool, error) {
	row := func(i int) []float32 { return j.block[i*j.stride+j.first : i*j.stride+j.first+j.n] }
	out := make([]metrics.Query, len(j.qs))
	tops := make([][]int, len(j.qs))
	var inRange [][][]int
	if j.ranges != nil {
		inRange = make([][][]int, len(j.ranges))
		for r := range inRange {
			inRange[r] = make([][]int, len(j.qs))
		}
	}
	parallel.For(len(j.qs), func(i int) {
		var rel []int
		for _, r := range j.qs[i].Relevant {
			if r >= j.offset && r < j.offset+j.n {
				rel = append(rel, r-j.offset)
			}
		}
		if len(rel) == 0 {
			return
		}
		var ranks []int
		if j.given != nil {
			ranks = j.given[i]
		}
		if ranks == nil && j.ranges != nil {
			var per [][]int
			if ranks, per, _ = rangeRanks(row(i), j.keys, rel, j.ranges); ranks != nil {
				for r := range per {
					inRange[r][i] = per[r]
				}
			}
		}
		if ranks == nil {
			ranks = relevantRanks(row(i), j.keys, rel)
		}
		out[i] = metrics.ForRanks(ranks)
		if j.withDistance {
			out[i][metrics.RankDistance] = metrics.RankDistanceOf(ranks)
		}
		if e.answers != nil {
			top := topRanking(row(i), j.keys, max(metrics.HasAnswerDepth, e.opt.ReadTopK))
			metrics.AddHasAnswer(out[i], e.answers.firstAnswer(&j.qs[i], top, j.offset))
			if e.opt.Reader != nil {
				for _, t := range top[:min(len(top), e.opt.ReadTopK)] {
					tops[i] = append(tops[i], j.offset+t.Index)
				}
			}
		}
	})
	if e.opt.Sink != nil {
		for i := range j.qs {
			if err := e.ctx.Err(); err != nil {
				return nil, err
			}
			top := topRanking(row(i), j.keys, e.opt.Sink.Depth())
			if err := e.opt.Sink.Ranking(j.setting, j.qlang, j.clang, &j.qs[i], top, j.ids); err != nil {
				return nil, err
			}
		}
	}
	// The block is reused for the next pool: nothing keeps it.
	j.block = nil
	return &rankedPool{poolJob: j, out: out, tops: tops, inRange: inRange}, e.ctx.Err()
}

// read answers the scored questions of a pool from their top candidates
// and adds EM and F1 to their metrics.
func (e *evaluation) read(qs []dataset.Question, out []metrics.Query, tops [][]int) error {
	var idx []int
	var batch []*dataset.Question
	var cands [][]int
	for i := range qs {
		if out[i] != nil {
			idx, batch, cands = append(idx, i), append(batch, &qs[i]), append(cands, tops[i])
		}
	}
	if len(batch) == 0 {
		return nil
	}
	answers, err := e.opt.Reader.Read(e.ctx, e.c, batch, cands)
	if err != nil {
		return err
	}
	for k, i := range idx {
		em, f1 := e.answers.score(batch[k], cands[k], answers[k])
		out[i][metrics.EM], out[i][metrics.F1] = em, f1
	}
	return nil
}

// scored drops the questions that had no relevant candidate in the pool.
func scored(qs []metrics.Query) []metrics.Query {
	return slices.DeleteFunc(slices.Clone(qs), func(q metrics.Query) bool { return q == nil })
}

func summarise(qlang, clang string, qs []metrics.Query) Pool {
	qs = scored(qs)
	return Pool{QueryLang: qlang, CandLang: clang, Queries: len(qs), Metrics: metrics.Mean(qs)}
}

// perQueryKeys returns the per-query key, "<pool>:<question id>", of each
// scored question (and "" for the others).
func perQueryKeys(pool string, qs []dataset.Question, ms []metrics.Query) []string {
	keys := make([]string, len(ms))
	for i, m := range ms {
		if m != nil {
			keys[i] = pool + ":" + qs[i].ID
		}
	}
	return keys
}

// keepPerQuery records each scored question's average precision and, when
// it was read, its EM and F1, under its key (perQueryKeys).
func keepPerQuery(into *SettingResult, keys []string, ms []metrics.Query) {
	for i, m := range ms {
		if m == nil {
			continue
		}
		key := keys[i]
		into.PerQuery[key] = m[metrics.MAP]
		if f1, ok := m[metrics.F1]; ok {
			if into.PerQueryEM == nil {
				into.PerQueryEM, into.PerQueryF1 = map[string]float64{}, map[string]float64{}
			}
			into.PerQueryEM[key], into.PerQueryF1[key] = m[metrics.EM], f1
		}
	}
}

// macro averages pools' metrics with equal weight per pool, skipping pools
// with no scored question.
func macro(pools map[lang.PoolKey]Pool, names []metrics.Name) results.Scores {
	out := results.Scores{}
	n := 0
	// Summed in pool-name order: a map's order changes from run to run, and
	// with it the last bits of a float sum.
	for _, name := range slices.SortedFunc(maps.Keys(pools), lang.PoolKey.Compare) {
		p := pools[name]
		if p.Queries == 0 {
			continue
		}
		n++
		for _, k := range names {
			out[k] += p.Metrics[k]
		}
	}
	for _, k := range names {
		if n > 0 {
			out[k] /= float64(n)
		}
	}
	return out
}

func plural(r plugins.Role) string {
	if r == plugins.RoleQuery {
		return "queries"
	}
	return "passages"
}
