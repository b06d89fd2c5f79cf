package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/xlbench/xlbench/harness/eval"
	"github.com/xlbench/xlbench/harness/lang"
	"github.com/xlbench/xlbench/harness/metrics"
	"github.com/xlbench/xlbench/harness/results"
	"github.com/xlbench/xlbench/harness/stats"
	"github.com/xlbench/xlbench/plugins/sdk/parallel"
)

// Permutations is the number of sign flips per randomisation test: with
// 10,000 the smallest p-value, 1/10,001, stays far below what Holm needs
// over a family of dozens of tests, so the floor does not decide a mark.
const Permutations = 10000

// DetectablePower is the power the differences' detectable Δ is stated
// at.
const DetectablePower = 0.8

// BootstrapReps is the number of question resamples behind each interval
// of the differences table.
const BootstrapReps = 1000

// measure is one quantity on which a row is compared with its baseline:
// a metric of one setting, over every query, over the queries of the
// held-out languages only (mono: their pools; cross: the pools of pairs
// that involve them; multi: their queries), or over the languages both
// rows' training batches reached (covered: mono and multi, the queries in
// those languages; cross, the pools of two such languages) — like with
// like, where coverage differs.
type measure struct {
	setting results.Setting
	metric  metrics.Name
	heldOut bool
	covered bool
}

// series is the per-query values the measure compares.
func (m measure) series() results.Series { return results.Series{Setting: m.setting, Metric: m.metric} }

func (m measure) String() string {
	s := string(m.setting) + " " + shortName[m.metric]
	switch {
	case m.heldOut:
		s = "held-out " + s
	case m.covered:
		s = "covered " + s
	}
	return s
}

// measures lists what rows are compared on in a dataset: mAP in every
// setting, then for the held-out languages when some are held out and in
// the dataset, then EM and F1 in every setting when a reader read.
func measures(rs []*results.CellResult, dataset string) []measure {
	var out []measure
	for _, s := range eval.Settings {
		out = append(out, measure{setting: s, metric: metrics.MAP})
	}
	if len(heldOutIn(rs, dataset)) > 0 {
		for _, s := range eval.Settings {
			out = append(out, measure{setting: s, metric: metrics.MAP, heldOut: true})
		}
	}
	if slices.ContainsFunc(rs, func(r *results.CellResult) bool { return r.Training != nil }) {
		for _, s := range eval.Settings {
			out = append(out, measure{setting: s, metric: metrics.MAP, covered: true})
		}
	}
	reading := slices.ContainsFunc(rs, func(r *results.CellResult) bool {
		return r.PerQuery.Has(dataset, results.Series{Setting: eval.Multi, Metric: metrics.F1})
	})
	if reading {
		for _, s := range eval.Settings {
			out = append(out, measure{setting: s, metric: metrics.EM}, measure{setting: s, metric: metrics.F1})
		}
	}
	return out
}

// heldOutIn lists the languages the results' training held out that the
// dataset has, sorted.
func heldOutIn(rs []*results.CellResult, dataset string) []string {
	seen := map[string]bool{}
	for _, r := range rs {
		for _, l := range r.HeldOut {
			if slices.Contains(r.Datasets[dataset].Languages, l) {
				seen[l] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// within reports whether every language of a pool ("X" or "X-Y") is in
// langs.
func within(pool string, langs []string) bool {
	k, err := lang.ParsePoolKey(pool)
	return err == nil && slices.Contains(langs, k.Query) && (k.Candidate == "" || slices.Contains(langs, k.Candidate))
}

// coveredBy lists the languages both a and b's training batches reached on
// the query side and on the passage side.
func coveredBy(a, b *results.CellResult) []string {
	ca, _ := trainingCoverage([]*results.CellResult{a})
	cb, _ := trainingCoverage([]*results.CellResult{b})
	var out []string
	for _, l := range ca.Queries {
		if slices.Contains(ca.Passages, l) && slices.Contains(cb.Queries, l) && slices.Contains(cb.Passages, l) {
			out = append(out, l)
		}
	}
	return out
}

// involves reports whether a pool ("X" or "X-Y") has a language in langs.
func involves(pool string, langs []string) bool {
	k, err := lang.ParsePoolKey(pool)
	return err == nil && (slices.Contains(langs, k.Query) || k.Candidate != "" && slices.Contains(langs, k.Candidate))
}

// test is one paired test: a row against its baseline row (same encoder,
// same seed) on one measure, over the queries both scored.
type test struct {
	row     string
	measure measure
	seed    uint64
	// diff is the mean per-query difference (the randomisation test's
	// statistic, whose signs flip per question); est the difference of the
	// metric as the table averages it (macro over pools for mono and
	// cross); its variance there treats queries as independent and is not
	// shown: the differences table's intervals are clustered.
	diff, p, adj float64
	est          stats.Estimate
	n            int
	// keys and d: the per-query differences, for the differences table's
	// clustered intervals; nil for a test read from the cache until load
	// computes them (only when its interval is not cached either).
	keys []results.QueryKey
	d    []float64
	load func() (keys []results.QueryKey, d, sums []float64)
	// key names what the test was computed from in the cache ("": not
	// kept).
	key string
}

// isBaseline reports whether r is a baseline row: its sampler is the one
// its result records as its experiment's baseline (the spec's one rule,
// spec.Experiment's baseline or its default, decided when it ran). A
// result that records none has no baseline.
func isBaseline(r *results.CellResult) bool {
	return r.Sampler != nil && r.Baseline != "" && r.Sampler.Name == r.Baseline
}

// baselineName names the baseline of rs for titles.
func baselineName(rs []*results.CellResult) string {
	for _, r := range rs {
		if isBaseline(r) {
			return r.Row()
		}
	}
	return "the baseline"
}

// Tests are the significance tests of one dataset's rows against what
// they are compared with: each row's baseline (Significance) or one named
// row (Against). They take seconds on a full experiment, so they are run
// once and handed to each table that shows them.
type Tests struct {
	list []test
	// against names what the rows are compared with, for titles, and
	// marked for the marks' note; pair gives the cell a result is
	// compared with.
	against, marked string
	// other is what the notes call the row compared with: "the
	// baseline", or its name.
	other string
	pair  pairing

	stats     Stats
	dataset   string
	once      sync.Once
	summaries []summary
}

// summary is one row's comparison on one measure over its seeds: the
// per-seed tests, the clustered interval of the difference, and the mark
// (Mark).
type summary struct {
	row      string
	m        measure
	tests    []test
	interval stats.Interval
}

// Mark is the one marking rule of every table and the leaderboard:
// "▲"/"▼" when the 95% interval of the difference lies above/below zero,
// followed by "†" when, besides, every seed's paired randomisation test
// is significant in that direction after Holm's correction (p < 0.05) —
// the stricter reading, per seed. No interval, no mark.
func (s summary) Mark() string {
	var m string
	switch {
	case s.interval.Lo > 0:
		m = "▲"
	case s.interval.Hi < 0:
		m = "▼"
	default:
		return ""
	}
	for _, t := range s.tests {
		if !(t.adj < 0.05) || (t.diff > 0) != (m == "▲") || t.diff == 0 {
			return m
		}
	}
	return m + "†"
}

// MarkLegend names the rule Mark applies, for the notes under the tables
// that show marks; against is what the rows are compared with.
func MarkLegend(against string) string {
	return "▲/▼: the 95% interval of the difference to " + against + " lies above/below zero (clustered by question, the seeds' spread added); † besides: every seed's paired randomisation test (flipping whole questions) is significant in that direction, Holm-corrected within its family, p < 0.05."
}

// summarise groups the tests by row and measure, in order of first
// appearance, and computes each group's interval once: the main table's
// marks and the differences table share them.
func (ts *Tests) summarise() []summary {
	ts.once.Do(func() {
		type key struct {
			row string
			m   measure
		}
		idx := map[key]int{}
		for _, t := range ts.list {
			k := key{t.row, t.measure}
			i, ok := idx[k]
			if !ok {
				i = len(ts.summaries)
				idx[k] = i
				ts.summaries = append(ts.summaries, summary{row: t.row, m: t.measure})
			}
			ts.summaries[i].tests = append(ts.summaries[i].tests, t)
		}
		tick := ts.stats.tick(ts.dataset+": clustered intervals", len(ts.summaries))
		parallel.For(len(ts.summaries), func(i int) {
			defer tick()
			s := &ts.summaries[i]
			macro := s.m.setting != eval.Multi
			key := intervalKey(s.tests, macro)
			if v, ok := cacheGet(ts.stats.Cache, key, 7); ok {
				s.interval = stats.Interval{Mean: v[0], Lo: v[1], Hi: v[2], QuerySE: v[3], SeedSE: v[4], SE: v[5], DF: v[6]}
				return
			}
			for k := range s.tests {
				if t := &s.tests[k]; t.keys == nil {
					t.keys, t.d, _ = t.load()
				}
			}
			iv := clusteredInterval(s.tests, macro)
			s.interval = iv
			cachePut(ts.stats.Cache, key, []float64{iv.Mean, iv.Lo, iv.Hi, iv.QuerySE, iv.SeedSE, iv.SE, iv.DF})
		})
	})
	return ts.summaries
}

// pairing gives the cell a result is compared with, nil for none.
type pairing func(r *results.CellResult) *results.CellResult

// Stats runs the significance tests and intervals, keeping what they
// compute in Cache (nil: nothing kept).
type Stats struct {
	Cache Cache
	// Progress, when set, is told how many of a dataset's tests, then
	// intervals, are done (from the cache or computed).
	Progress func(what string, done, total int)
}

// tick counts one done of total to Progress.
func (st Stats) tick(what string, total int) func() {
	if st.Progress == nil {
		return func() {}
	}
	var mu sync.Mutex
	done := 0
	return func() {
		mu.Lock()
		defer mu.Unlock()
		done++
		st.Progress(what, done, total)
	}
}

// Cache keeps the slow statistics — each randomisation test and each
// clustered interval — under a key naming what they were computed from
// (the per-query files' sha256, the measure, the seed, the languages it
// keeps), so that reporting results already reported costs their reading
// (package statcache keeps them on disk).
type Cache interface {
	Get(key string) ([]float64, bool)
	Put(key string, v []float64)
}

// Significance is Stats{}.Significance: nothing cached.
func Significance(rs []*results.CellResult, dataset string) *Tests {
	return Stats{}.Significance(rs, dataset)
}

// Against is Stats{}.Against: nothing cached.
func Against(rs []*results.CellResult, dataset, base string) *Tests {
	return Stats{}.Against(rs, dataset, base)
}

// Significance runs every test of a dataset — each row against its
// baseline (the same encoder's baseline sampler, seed by seed), per seed
// and measure — and Holm-corrects them within their families. It has none
// when no row names a baseline.
func (st Stats) Significance(rs []*results.CellResult, dataset string) *Tests {
	ref := baselineCells(rs)
	pair := func(r *results.CellResult) *results.CellResult {
		if r.Sampler == nil || isBaseline(r) {
			return nil
		}
		return ref[r.Encoder.Name][r.Seed]
	}
	name := baselineName(rs)
	return &Tests{list: runTests(rs, dataset, pair, st), against: name, marked: name + " (same encoder)", other: "the baseline", pair: pair, stats: st, dataset: dataset}
}

// Against runs the tests of every row of rs against the row named base
// (a Row), whatever their encoders: each cell against base's cell of the
// same seed, or against base's only cell when base is an untrained
// encoder (its result does not depend on the seed). It is how any two
// rows are compared: rs holding those two.
func (st Stats) Against(rs []*results.CellResult, dataset, base string) *Tests {
	bySeed := map[uint64]*results.CellResult{}
	var cells []*results.CellResult
	for _, r := range rs {
		if r.Row() == base {
			bySeed[r.Seed] = r
			cells = append(cells, r)
		}
	}
	pair := func(r *results.CellResult) *results.CellResult {
		if r.Row() == base {
			return nil
		}
		if c := bySeed[r.Seed]; c != nil {
			return c
		}
		if len(cells) == 1 && cells[0].Sampler == nil && cells[0].Training == nil {
			return cells[0]
		}
		return nil
	}
	return &Tests{list: runTests(rs, dataset, pair, st), against: base, marked: base, other: base, pair: pair, stats: st, dataset: dataset}
}

// Rows lists the rows of rs (Row), in order of first appearance.
func Rows(rs []*results.CellResult) []string {
	var out []string
	for _, g := range groups(rs) {
		out = append(out, g.row)
	}
	return out
}

// baselineCells maps encoder → seed → the baseline cell a row of that
// encoder and seed is compared with.
func baselineCells(rs []*results.CellResult) map[string]map[uint64]*results.CellResult {
	ref := map[string]map[uint64]*results.CellResult{}
	for _, r := range rs {
		if isBaseline(r) {
			if ref[r.Encoder.Name] == nil {
				ref[r.Encoder.Name] = map[uint64]*results.CellResult{}
			}
			ref[r.Encoder.Name][r.Seed] = r
		}
	}
	return ref
}

func runTests(rs []*results.CellResult, dataset string, pair pairing, st Stats) []test {
	cache := st.Cache
	held := heldOutIn(rs, dataset)
	ms := measures(rs, dataset)
	// Gather the pairs to test in a fixed order, then test them on every
	// core: the tests are independent and each is seeded, so the order of
	// execution changes nothing.
	type job struct {
		r, base *results.CellResult
		m       measure
		covered []string
		key     string
	}
	var jobs []job
	for _, r := range rs {
		base := pair(r)
		if base == nil {
			continue
		}
		for _, m := range ms {
			if !r.PerQuery.Has(dataset, m.series()) || !base.PerQuery.Has(dataset, m.series()) {
				continue
			}
			var covered []string
			if m.covered {
				covered = coveredBy(r, base)
			}
			jobs = append(jobs, job{r, base, m, covered, testKey(dataset, m, r, base, held, covered)})
		}
	}
	done := make([]*test, len(jobs))
	tick := st.tick(dataset+": paired randomisation tests", len(jobs))
	parallel.For(len(jobs), func(i int) {
		defer tick()
		j := jobs[i]
		load := func() ([]results.QueryKey, []float64, []float64) {
			return pairedDiffs(j.r.PerQuery.Values(dataset, j.m.series()), j.base.PerQuery.Values(dataset, j.m.series()), j.m, held, j.covered)
		}
		t := &test{row: j.r.Row(), measure: j.m, seed: j.r.Seed, key: j.key, load: load}
		if v, ok := cacheGet(cache, j.key, 6); ok {
			if v[0] == 1 {
				t.n, t.diff, t.est, t.p = int(v[1]), v[2], stats.Estimate{Mean: v[3], Var: v[4]}, v[5]
				done[i] = t
			}
			return
		}
		keys, d, sums := load()
		if len(keys) == 0 {
			cachePut(cache, j.key, []float64{0, 0, 0, 0, 0, 0})
			return
		}
		t.keys, t.d, t.n = keys, d, len(keys)
		total := 0.0
		strata := map[string][]float64{}
		var order []string
		for i, k := range keys {
			total += d[i]
			if _, ok := strata[k.Pool]; !ok {
				order = append(order, k.Pool)
			}
			strata[k.Pool] = append(strata[k.Pool], d[i])
		}
		groups := make([][]float64, len(order))
		for i, p := range order {
			groups[i] = strata[p]
		}
		t.est = stats.MeanDiff(groups, j.m.setting != eval.Multi)
		t.diff = total / float64(len(keys))
		t.p = stats.ClusterRandomization(sums, Permutations, t.seed)
		cachePut(cache, j.key, []float64{1, float64(t.n), t.diff, t.est.Mean, t.est.Var, t.p})
		done[i] = t
	})
	var tests []test
	for _, t := range done {
		if t != nil {
			tests = append(tests, *t)
		}
	}
	// Holm within each family: one family per question asked of the
	// data, so that adding a question (held-out languages, answers) does
	// not dilute another's tests.
	families := map[string][]int{}
	for i, t := range tests {
		families[t.measure.family()] = append(families[t.measure.family()], i)
	}
	for _, idx := range families {
		ps := make([]float64, len(idx))
		for k, i := range idx {
			ps[k] = tests[i].p
		}
		for k, adj := range stats.Holm(ps) {
			tests[idx[k]].adj = adj
		}
	}
	return tests
}

// pairedDiffs pairs a row's per-query values a with those of the row it
// is compared with, b, on the queries both scored that the measure
// keeps, in key order: the keys, each query's difference, and the sum of
// the differences per question (in order of first appearance), which the
// randomisation test flips together.
func pairedDiffs(a, b map[results.QueryKey]float64, m measure, held, covered []string) (keys []results.QueryKey, d, sums []float64) {
	keys = make([]results.QueryKey, 0, len(a))
	for k := range a {
		if _, ok := b[k]; ok && (!m.heldOut || involves(k.Pool, held)) && (!m.covered || within(k.Pool, covered)) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, results.QueryKey.Compare)
	d = make([]float64, len(keys))
	question := map[string]int{}
	for i, k := range keys {
		d[i] = a[k] - b[k]
		c, ok := question[k.Question]
		if !ok {
			c = len(sums)
			question[k.Question] = c
			sums = append(sums, 0)
		}
		sums[c] += d[i]
	}
	return keys, d, sums
}

// family names the family of tests a measure's tests are corrected in:
// mAP over every query (the comparison table's marks), mAP of the held-out
// languages, and the answers (EM, F1).
func (m measure) family() string {
	switch {
	case m.metric == metrics.EM || m.metric == metrics.F1:
		return "answers"
	case m.heldOut:
		return "held-out mAP"
	case m.covered:
		return "covered mAP"
	}
	return "mAP"
}

// marks gives each row's mark per setting on mAP over every query (Mark),
// for the main tables.
func (ts *Tests) marks() map[string]map[results.Setting]string {
	out := map[string]map[results.Setting]string{}
	for _, s := range ts.summarise() {
		if s.m.metric != metrics.MAP || s.m.heldOut || s.m.covered {
			continue
		}
		if m := s.Mark(); m != "" {
			if out[s.row] == nil {
				out[s.row] = map[results.Setting]string{}
			}
			out[s.row][s.m.setting] = " " + m
		}
	}
	return out
}

// coveredNote says what the covered measures cover, per row: the languages
// it and the row it is compared with both reached on both sides.
func coveredNote(rs []*results.CellResult, ts *Tests) string {
	pair := ts.pair
	var parts []string
	seen := map[string]bool{}
	for _, r := range rs {
		b := pair(r)
		if b == nil || r.Training == nil || b.Training == nil || seen[r.Row()] {
			continue
		}
		seen[r.Row()] = true
		parts = append(parts, r.Row()+": "+orNone(coveredBy(r, b)))
	}
	if len(parts) == 0 {
		return ""
	}
	return "covered: only the languages the row and " + ts.other + " both reached in training, as queries and as passages (mono and multi: queries in them; cross: pools of two of them) — " + strings.Join(parts, "; ") + "."
}

// clusteredInterval is the difference of one row and measure over its
// seeds' tests with the interval of stats.ClusteredMeanDiff: questions
// resampled together in all their pools and seeds, plus the seeds' spread.
func clusteredInterval(ts []test, macro bool) stats.Interval {
	ix := newIndexer()
	var obs []stats.Obs
	for s, t := range ts {
		for i, k := range t.keys {
			obs = append(obs, ix.obs(k, s, t.d[i]))
		}
	}
	return stats.ClusteredMeanDiff(obs, macro, BootstrapReps, 1)
}

// SignificanceTable lists every test: the mean per-query difference to the
// baseline row and the raw and Holm-adjusted p-values.
func SignificanceTable(rs []*results.CellResult, dataset string, ts *Tests) *Table {
	tests := ts.list
	if len(tests) == 0 {
		return nil
	}
	t := &Table{
		Title:  dataset + " — paired randomisation tests against " + ts.against + " (per seed)",
		Header: []string{"encoder × sampler", "measure", "seed", "queries", "Δ per query", "p", "p (Holm)"},
		Notes: []string{fmt.Sprintf("Sign-flip test of the mean per-query difference (average precision, EM, F1) that flips each question's differences together, in all its languages and pools: a question's translations are not independent queries (%d permutations, two-sided); Holm–Bonferroni within each family of this table's %d tests: mAP over every query, mAP of the held-out languages, mAP on the languages both rows reached (covered), EM and F1.",
			Permutations, len(tests))},
	}
	for _, x := range tests {
		t.Rows = append(t.Rows, []string{x.row, x.measure.String(), fmt.Sprint(x.seed), fmt.Sprint(x.n),
			fmt.Sprintf("%+.4f", x.diff), fmt.Sprintf("%.4f", x.p), fmt.Sprintf("%.4f", x.adj)})
	}
	return t
}

// Differences builds the table of how much each row differs from its
// baseline: per measure, the mean difference over seeds with its 95%
// interval (clustered by question id, the seeds jointly, plus the seeds'
// spread; macro over pools for mono and cross, as the metric is), each
// seed's difference, and a mark
// when every seed's test is significant (Holm) in one direction.
func Differences(rs []*results.CellResult, dataset string, ts *Tests) *Table {
	if len(ts.list) == 0 {
		return nil
	}
	t := &Table{
		Title:  dataset + " — difference to " + ts.against + ": mean over seeds with a 95% interval",
		Header: []string{"encoder × sampler", "measure", "seeds", "Δ", "95% interval", "detectable Δ", "Δ per seed", "p (Holm) per seed"},
		Notes: []string{fmt.Sprintf("Δ: the row's metric minus that of %s, seed by seed (macro over pools for mono and cross), averaged over seeds. The 95%% interval counts questions, not queries, as the sampled unit: a bootstrap over question ids (%d resamples) moves each question with all its languages and pools, in every seed at once (the seeds share the questions), and the seeds' spread around their mean is added for training variation, with Student's t at the Welch–Satterthwaite degrees of freedom.", ts.other, BootstrapReps),
			MarkLegend(ts.other) + " The families: mAP over every query, mAP of the held-out languages, mAP on covered languages, EM and F1.",
			fmt.Sprintf("Detectable Δ: the smallest true difference the comparison finds with %.0f%% power at 5%% (two-sided), (t₀.₉₇₅ + t₀.₈)·SE: an unmarked Δ says only that any real difference is likely below it.", 100*DetectablePower)},
	}
	if held := heldOutIn(rs, dataset); len(held) > 0 {
		t.Notes = append(t.Notes, fmt.Sprintf("held-out: the queries of %s (mono), the pools of pairs that involve them (cross), their queries in the multilingual pool (multi).", strings.Join(held, " ")))
	}
	if cov := coveredNote(rs, ts); cov != "" {
		t.Notes = append(t.Notes, cov)
	}
	if z := zeroShotNote(rs, dataset); z != "" {
		t.Notes = append(t.Notes, z)
	}
	if c := coverageNote(rs); c != "" {
		t.Notes = append(t.Notes, c)
	}
	unlike, flagged := unlikeNote(rs, ts)
	if unlike != "" {
		t.Notes = append(t.Notes, unlike)
	}
	for _, sm := range ts.summarise() {
		var perSeed, ps []string
		for _, x := range sm.tests {
			perSeed = append(perSeed, fmt.Sprintf("%+.4f", x.est.Mean))
			ps = append(ps, fmt.Sprintf("%.3f", x.adj))
		}
		iv := sm.interval
		d := fmt.Sprintf("%+.4f", iv.Mean)
		if m := sm.Mark(); m != "" {
			d += " " + m
		}
		row := sm.row
		if flagged[row] {
			row += " ≠"
		}
		t.Rows = append(t.Rows, []string{row, sm.m.String(), fmt.Sprint(len(sm.tests)), d, fmt.Sprintf("[%+.4f, %+.4f]", iv.Lo, iv.Hi),
			fmt.Sprintf("%.4f", iv.Detectable(DetectablePower)), strings.Join(perSeed, " "), strings.Join(ps, " ")})
	}
	return t
}

// zeroShotNote names the languages each training stage saw, those held
// out of fine-tuning, the evaluation languages absent from all training,
// and those trained only in monolingual pairs, from the cells' training
// records.
func zeroShotNote(rs []*results.CellResult, ds string) string {
	fine, held, any := fineTuningLanguages(rs)
	trained, cross := maps.Clone(fine), map[string]bool{}
	stages := map[string]*results.StageInfo{}
	for _, r := range rs {
		if r.Training == nil {
			continue
		}
		for pair := range r.Training.PairLanguages {
			if k, err := lang.ParsePoolKey(pair); err == nil && k.Cross() {
				cross[k.Query], cross[k.Candidate] = true, true
			}
		}
		if st := r.Stage; st != nil {
			stages[st.Experiment+"/"+st.Cell] = st
			for l := range st.QueryLangs {
				trained[l], cross[l] = true, true
			}
		}
	}
	if !any {
		return ""
	}
	var zero, monoOnly []string
	// The dataset's languages are the same in every result: the first's.
	if len(rs) > 0 {
		for _, l := range rs[0].Datasets[ds].Languages {
			switch {
			case !trained[l]:
				zero = append(zero, l)
			case !cross[l]:
				monoOnly = append(monoOnly, l)
			}
		}
	}
	note := ""
	for _, name := range slices.Sorted(maps.Keys(stages)) {
		langs := map[string]bool{}
		for l := range stages[name].QueryLangs {
			langs[l] = true
		}
		for l := range stages[name].PassageLangs {
			langs[l] = true
		}
		note += fmt.Sprintf("Stage 1 (%s) trained on %s; ", name, strings.Join(slices.Sorted(maps.Keys(langs)), " "))
	}
	if note != "" {
		note += "fine-tuning batches reached " + strings.Join(slices.Sorted(maps.Keys(fine)), " ") + " (all rows together)"
		if len(held) > 0 {
			note += " (held out of fine-tuning: " + strings.Join(slices.Sorted(maps.Keys(held)), " ") + ")"
		}
		var unseen []string
		if len(rs) > 0 {
			for _, l := range rs[0].Datasets[ds].Languages {
				if !fine[l] {
					unseen = append(unseen, l)
				}
			}
		}
		if len(unseen) > 0 {
			note += "; zero-shot for fine-tuning (the base saw them, no row's fine-tuning batches did): " + strings.Join(unseen, " ")
		}
		note += ". "
	} else if len(held) > 0 {
		note += "Held out of training: " + strings.Join(slices.Sorted(maps.Keys(held)), " ") + ". "
	}
	note += "Zero-shot languages (in no training data): " + orNone(zero)
	if len(monoOnly) > 0 {
		note += "; trained in monolingual pairs only (zero-shot for cross-lingual pairs): " + strings.Join(monoOnly, " ")
	}
	return note + "."
}

// fineTuningLanguages is what the trained results' fine-tuning reached:
// the languages of the pairs their batches held (the corpus's languages
// for a result that records no batch mix: a row restricted to some
// languages never sees the others), and those held out; trained is false
// when no result was trained.
func fineTuningLanguages(rs []*results.CellResult) (fine, held map[string]bool, trained bool) {
	fine, held = map[string]bool{}, map[string]bool{}
	for _, r := range rs {
		if r.Training == nil {
			continue
		}
		trained = true
		c, _ := trainingCoverage([]*results.CellResult{r})
		for _, l := range slices.Concat(c.Queries, c.Passages) {
			fine[l] = true
		}
		if len(r.Training.PairLanguages) == 0 {
			for l := range r.Training.QueryLangs {
				fine[l] = true
			}
			for l := range r.Training.PassageLangs {
				fine[l] = true
			}
		}
		for _, l := range r.HeldOut {
			held[l] = true
		}
	}
	return fine, held, trained
}

func orNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, " ")
}

// briefMeasures are the measures a terminal's differences table shows:
// mAP over every query and on covered languages, the held-out languages'
// multilingual mAP, and the answers in the multilingual pool.
var briefMeasures = []string{"mono mAP", "cross mAP", "multi mAP", "covered mono mAP", "covered cross mAP", "covered multi mAP",
	"held-out multi mAP", "multi EM", "multi F1"}

// BriefDifferences is the differences table cut for a terminal (it fits
// 120 columns): the main measures, Δ with its mark, interval and
// detectable Δ; the per-seed values and every measure are in the full
// table.
func BriefDifferences(rs []*results.CellResult, dataset string, ts *Tests) *Table {
	full := Differences(rs, dataset, ts)
	if full == nil {
		return nil
	}
	t := &Table{Title: full.Title, Header: []string{"encoder × sampler", "measure", "Δ", "95% interval", "detectable Δ"}}
	for _, row := range full.Rows {
		if slices.Contains(briefMeasures, row[1]) {
			t.Rows = append(t.Rows, []string{row[0], row[1], row[3], row[4], row[5]})
		}
	}
	t.Notes = []string{"Δ: the row minus " + ts.other + ", seed by seed, averaged; 95% interval clustered by question id with the seeds' spread added. " + MarkLegend(ts.other) + " Detectable Δ: the smallest true difference found with 80% power at 5%."}
	if cov := coveredNote(rs, ts); cov != "" {
		t.Notes = append(t.Notes, cov)
	}
	if unlike, _ := unlikeNote(rs, ts); unlike != "" {
		t.Notes = append(t.Notes, unlike)
	}
	return t
}

// testKey names what a test is computed from, for the cache: the
// statistics' settings, the dataset, measure and seed, the languages the
// measure keeps, and the sha256 of both cells' per-query files. "" (not
// cached) when a cell records no per-query file (a result in memory).
func testKey(dataset string, m measure, r, base *results.CellResult, held, covered []string) string {
	if r.PerQuerySHA256 == "" || base.PerQuerySHA256 == "" {
		return ""
	}
	h := sha256.New()
	fmt.Fprintf(h, "test 1\x00%d\x00%d\x00%s\x00%s\x00%s\x00%t\x00%t\x00%s\x00%s\x00%s\x00%s",
		Permutations, r.Seed, dataset, m.setting, m.metric, m.heldOut, m.covered,
		strings.Join(held, " "), strings.Join(covered, " "), r.PerQuerySHA256, base.PerQuerySHA256)
	return hex.EncodeToString(h.Sum(nil))
}

// intervalKey names a clustered interval by its tests' keys, in order.
func intervalKey(tests []test, macro bool) string {
	h := sha256.New()
	fmt.Fprintf(h, "interval 1\x00%d\x00%t", BootstrapReps, macro)
	for _, t := range tests {
		if t.key == "" {
			return ""
		}
		fmt.Fprintf(h, "\x00%s", t.key)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// cacheGet reads n values under key from c; a missing cache, key or
// entry of another length is a miss.
func cacheGet(c Cache, key string, n int) ([]float64, bool) {
	if c == nil || key == "" {
		return nil, false
	}
	v, ok := c.Get(key)
	return v, ok && len(v) == n
}

func cachePut(c Cache, key string, v []float64) {
	if c != nil && key != "" {
		c.Put(key, v)
	}
}
