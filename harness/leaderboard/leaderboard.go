// Package leaderboard turns stored results — the references and any
// number of contributions — into a leaderboard by benchmark: one section
// per evaluation dataset and encoder family, its samplers ranked by
// multilingual mAP with 95% intervals, the difference to the baseline
// sampler with the smallest difference the experiment could detect, a
// rank range where the evidence cannot separate rows, each row's
// provenance and whether a verify run reproduced it. It renders the board
// as Markdown, a static HTML page (sortable tables, heatmaps, bars) and SVG
// plots. Every number comes from the results' per-query values as the
// tables of package report compute them (mean over seeds).
package leaderboard

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/xlbench/xlbench/harness/eval"
	"github.com/xlbench/xlbench/harness/lang"
	"github.com/xlbench/xlbench/harness/metrics"
	"github.com/xlbench/xlbench/harness/report"
	"github.com/xlbench/xlbench/harness/results"
	"github.com/xlbench/xlbench/harness/stats"
	"github.com/xlbench/xlbench/plugins/sdk/parallel"
)

// Power is the power the detectable differences are stated at.
const Power = 0.8

// Column is one measure of the board: a metric of a setting, over every
// query or over the held-out languages' queries only. Key names it in an
// entry's Values.
type Column struct {
	Key, Label string
	Setting    results.Setting
	Metric     metrics.Name
	HeldOut    bool
}

// Series is the per-query values behind the column's intervals.
func (c Column) Series() results.Series { return results.Series{Setting: c.Setting, Metric: c.Metric} }

// Main is the measure entries are ranked by, the first of Columns.
var Main = Columns[0]

// Columns are the board's measures in the order they are shown: the main
// one, the others beside it, then the held-out languages' (present when a
// section's training held languages out).
var Columns = []Column{
	{Key: "multi map", Label: "multi mAP", Setting: eval.Multi, Metric: metrics.MAP},
	{Key: "mono map", Label: "mono mAP", Setting: eval.Mono, Metric: metrics.MAP},
	{Key: "cross map", Label: "cross mAP", Setting: eval.Cross, Metric: metrics.MAP},
	{Key: "multi rank_distance", Label: "rank dist", Setting: eval.Multi, Metric: metrics.RankDistance},
	{Key: "multi em", Label: "EM", Setting: eval.Multi, Metric: metrics.EM},
	{Key: "multi f1", Label: "F1", Setting: eval.Multi, Metric: metrics.F1},
	{Key: "held-out mono map", Label: "held-out mono mAP", Setting: eval.Mono, Metric: metrics.MAP, HeldOut: true},
	{Key: "held-out multi map", Label: "held-out multi mAP", Setting: eval.Multi, Metric: metrics.MAP, HeldOut: true},
}

// Value is an entry's mean over seeds of one measure with its 95% interval
// (Lo, Hi NaN where the results hold no per-query values for it: rank
// distance, and results stored without per-query files).
type Value struct {
	Mean float64 `json:"mean"`
	Lo   float64 `json:"lo"`
	Hi   float64 `json:"hi"`
}

// Delta is an entry's difference to its section's baseline on the main
// measure: mean with 95% interval, the smallest difference the comparison
// could detect (Power, 5% two-sided), and its mark: "▲"/"▼" when the
// interval lies above/below zero.
type Delta struct {
	Value
	Detectable float64 `json:"detectable"`
	Paired     bool    `json:"paired"`
	Mark       string  `json:"mark"`
}

// Entry is one encoder × sampler of one experiment in one results
// directory, on one dataset, over its seeds.
type Entry struct {
	Name       string           `json:"name"`
	Sampler    string           `json:"sampler"`
	Experiment string           `json:"experiment"`
	Seeds      int              `json:"seeds"`
	Values     map[string]Value `json:"values"`
	Baseline   bool             `json:"baseline,omitempty"`
	Delta      *Delta           `json:"delta,omitempty"`
	// RankLo–RankHi: the ranks the entry could hold given the evidence —
	// RankLo is 1 + the entries significantly above it, RankHi the number
	// of entries minus those significantly below it.
	RankLo int `json:"rank_lo"`
	RankHi int `json:"rank_hi"`
	// OverallLo–OverallHi: the rank range among all OverallOf entries of
	// the dataset, every encoder family together (unpaired); 0 where the
	// entry has no interval.
	OverallLo int `json:"overall_lo"`
	OverallHi int `json:"overall_hi"`
	OverallOf int `json:"overall_of"`
	// AlsoIn names the experiments whose identical entry this one stands
	// for (an untrained encoder evaluated alike in each).
	AlsoIn     []string     `json:"also_in,omitempty"`
	Provenance Provenance   `json:"provenance"`
	Verified   Verification `json:"verified"`
	// Languages, Heat and MultiByLang are for the charts: mAP by query
	// language (rows) and candidate language (columns), the mono pools on
	// the diagonal, NaN where no pool was scored; multilingual mAP by
	// query language.
	Languages   []string    `json:"languages"`
	Heat        [][]float64 `json:"-"`
	MultiByLang []float64   `json:"-"`
	// MultiSpread is MultiByLang's standard deviation over seeds (NaN
	// with one seed).
	MultiSpread []float64 `json:"-"`

	cells []*results.CellResult
	// row is the main measure's interval with its replicates (hasRow).
	row    report.Row
	hasRow bool
}

// Section is one evaluation dataset and encoder family: entries whose
// encoder is configured alike (plugin, version, parameters, the stage it
// starts from), so that they differ in how they were trained.
type Section struct {
	Dataset string `json:"dataset"`
	Encoder string `json:"encoder"`
	// Family describes the encoder: plugin and stage.
	Family   string   `json:"family"`
	Baseline string   `json:"baseline,omitempty"`
	HeldOut  []string `json:"held_out,omitempty"`
	Entries  []*Entry `json:"entries"`
	// Incomplete names planned cells of the section's experiments that
	// have no stored result.
	Incomplete []string `json:"incomplete,omitempty"`
}

// Board is the whole leaderboard.
type Board struct {
	Sources  []string   `json:"sources"`
	Sections []*Section `json:"sections"`
	// Refused lists the results not on the board, each with its reason.
	Refused []string `json:"refused,omitempty"`
}

// Source is one results directory: its results (already checked) and
// the verify stamps found beside them.
type Source struct {
	Dir     string
	Results []*results.CellResult
	Stamps  []results.Stamp
	// Allowed are the keys whose signed stamps count (the repository's
	// allowed_signers, never a contribution's own).
	Allowed []results.AllowedSigner
}

// Build makes the board of the sources. A cell found in several sources
// (the same cell id: a contribution's copy of a reference) is counted
// once, from the first source that has it.
func Build(sources []Source, progress Progress) *Board {
	b := &Board{}
	type entryKey struct{ dataset, family, source, experiment, row string }
	entries := map[entryKey]*Entry{}
	var keys []entryKey
	sections := map[[2]string]*Section{}
	var sectionOrder [][2]string
	seen := map[string]bool{}
	stamps := map[string][]results.Stamp{}
	// Each stamp's signature is checked once, for all the entries of its
	// directory.
	signed := map[string][]results.Signed{}
	var all []*results.CellResult
	for _, src := range sources {
		b.Sources = append(b.Sources, src.Dir)
		stamps[src.Dir] = src.Stamps
		for _, st := range src.Stamps {
			signed[src.Dir] = append(signed[src.Dir], st.CheckSignature(src.Allowed))
		}
		for _, r := range src.Results {
			if r.CellID != "" && seen[r.CellID] {
				continue
			}
			seen[r.CellID] = true
			all = append(all, r)
			fam, famName := family(r)
			for _, ds := range slices.Sorted(maps.Keys(r.Metrics)) {
				sk := [2]string{ds, fam}
				if sections[sk] == nil {
					sections[sk] = &Section{Dataset: ds, Encoder: r.Encoder.Name, Family: famName}
					sectionOrder = append(sectionOrder, sk)
				}
				k := entryKey{ds, fam, src.Dir, r.Experiment, r.Row()}
				e := entries[k]
				if e == nil {
					e = &Entry{Name: r.Row(), Experiment: r.Experiment, Provenance: Provenance{Source: src.Dir}}
					if r.Sampler != nil {
						e.Sampler = r.Sampler.Name
					}
					entries[k] = e
					keys = append(keys, k)
					sections[sk].Entries = append(sections[sk].Entries, e)
				}
				e.cells = append(e.cells, r)
			}
		}
	}
	missing := results.Missing(all)
	for _, k := range keys {
		e := entries[k]
		e.Seeds = len(e.cells)
		e.Provenance.fill(e.cells, k.dataset)
		e.Verified = verification(e.cells, stamps[k.source], signed[k.source])
		e.charts(k.dataset)
	}
	for _, sk := range sectionOrder {
		s := sections[sk]
		var cells []*results.CellResult
		exps := map[string]bool{}
		for _, e := range s.Entries {
			cells = append(cells, e.cells...)
			exps[e.Experiment] = true
		}
		s.dedupe()
		s.HeldOut = report.HeldOutLanguages(cells, s.Dataset)
		for _, x := range slices.Sorted(maps.Keys(exps)) {
			for _, c := range missing[x] {
				s.Incomplete = append(s.Incomplete, x+"/"+c)
			}
		}
		s.score(progress)
		b.Sections = append(b.Sections, s)
	}
	sort.SliceStable(b.Sections, func(i, j int) bool {
		x, y := b.Sections[i], b.Sections[j]
		if x.Dataset != y.Dataset {
			return x.Dataset < y.Dataset
		}
		// Within a dataset, the families with the most entries (the
		// sampler comparisons) first.
		return len(x.Entries) > len(y.Entries)
	})
	b.rankAcrossFamilies()
	return b
}

// dedupe keeps one entry of an untrained encoder whose retrieval on the
// section's dataset is the same in several experiments (BM25 is evaluated
// alike in each), naming the others in AlsoIn: one row, not one per
// experiment. The row kept is the one with the most metrics (one whose
// experiment also read answers has EM and F1).
func (s *Section) dedupe() {
	seen := map[string]int{}
	var kept []*Entry
	for _, e := range s.Entries {
		if e.Sampler != "" || slices.ContainsFunc(e.cells, func(c *results.CellResult) bool { return c.Training != nil }) {
			kept = append(kept, e)
			continue
		}
		key := e.Name + "\x00" + retrievalPrint(e.cells, s.Dataset)
		i, ok := seen[key]
		if !ok {
			seen[key] = len(kept)
			kept = append(kept, e)
			continue
		}
		if metricCount(e.cells, s.Dataset) > metricCount(kept[i].cells, s.Dataset) {
			e.AlsoIn = append(append(e.AlsoIn, kept[i].Experiment), kept[i].AlsoIn...)
			kept[i] = e
		} else {
			kept[i].AlsoIn = append(kept[i].AlsoIn, e.Experiment)
		}
	}
	s.Entries = kept
}

// retrievalPrint hashes cells' retrieval metrics on dataset, per seed:
// every ranking metric and the rank distance, of each setting and pool.
func retrievalPrint(cells []*results.CellResult, dataset string) string {
	keep := func(ms results.Scores) results.Scores {
		out := results.Scores{}
		for _, m := range append(slices.Clone(metrics.Ranking), metrics.RankDistance) {
			if v, ok := ms[m]; ok {
				out[m] = v
			}
		}
		return out
	}
	h := sha256.New()
	for _, c := range slices.SortedFunc(slices.Values(cells), func(a, b *results.CellResult) int { return cmp.Compare(a.Seed, b.Seed) }) {
		settings := map[results.Setting]results.Scores{}
		pools := map[string]results.Scores{}
		for st, ms := range c.Metrics[dataset] {
			settings[st] = keep(ms)
		}
		for st, ps := range c.Pools[dataset] {
			for k, p := range ps {
				pools[string(st)+" "+k.String()] = keep(p.Metrics)
			}
		}
		b, _ := json.Marshal(struct {
			Seed     uint64
			Settings map[results.Setting]results.Scores
			Pools    map[string]results.Scores
		}{c.Seed, settings, pools})
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func metricCount(cells []*results.CellResult, dataset string) int {
	n := 0
	for _, c := range cells {
		for _, ms := range c.Metrics[dataset] {
			n += len(ms)
		}
	}
	return n
}

// rankAcrossFamilies ranks every entry of a dataset, whatever its encoder
// family, on the main measure: 1 + the entries significantly above it, to
// the number of entries minus those significantly below. Entries of
// different families are not paired (they ran in other experiments), so
// a pair counts as separated when its means differ by more than the normal
// quantile times the combined standard error of the two intervals — an
// unpaired comparison, wider than a paired one.
func (b *Board) rankAcrossFamilies() {
	byDataset := map[string][]*Entry{}
	for _, s := range b.Sections {
		byDataset[s.Dataset] = append(byDataset[s.Dataset], s.Entries...)
	}
	z := stats.Quantile975(math.Inf(1))
	for _, es := range byDataset {
		se := func(e *Entry) (mean, se float64, ok bool) {
			v, ok := e.Values[Main.Key]
			if !ok || math.IsNaN(v.Mean) || math.IsNaN(v.Lo) || math.IsNaN(v.Hi) {
				return 0, 0, false
			}
			if e.hasRow {
				return v.Mean, e.row.SE, true
			}
			return v.Mean, (v.Hi - v.Lo) / (2 * z), true
		}
		for _, e := range es {
			m, sa, ok := se(e)
			if !ok {
				continue
			}
			above, below := 0, 0
			for _, o := range es {
				mo, so, ok := se(o)
				if o == e || !ok {
					continue
				}
				if math.Abs(m-mo) > z*math.Sqrt(sa*sa+so*so) {
					if mo > m {
						above++
					} else {
						below++
					}
				}
			}
			e.OverallLo, e.OverallHi, e.OverallOf = 1+above, len(es)-below, len(es)
		}
	}
}

// LeadWith moves the sections of dataset to the front, in their order: the
// benchmark the board's question is asked on is read first.
func (b *Board) LeadWith(dataset string) {
	slices.SortStableFunc(b.Sections, func(x, y *Section) int {
		return cmp.Compare(leadRank(x, dataset), leadRank(y, dataset))
	})
}

func leadRank(s *Section, dataset string) int {
	if s.Dataset == dataset {
		return 0
	}
	return 1
}

// family keys the encoder configuration of r — plugin, its version, its
// parameters and the stage it starts from — and describes it.
func family(r *results.CellResult) (key, name string) {
	stage := ""
	if r.Stage != nil {
		stage = r.Stage.CellID
	}
	blob, _ := json.Marshal([]any{r.Encoder.Name, r.Encoder.Plugin, r.Encoder.PluginVersion, r.Encoder.Params, stage})
	sum := sha256.Sum256(blob)
	name = fmt.Sprintf("%s (%s %s", r.Encoder.Name, r.Encoder.Plugin, r.Encoder.PluginVersion)
	if r.Stage != nil {
		name += ", from " + r.Stage.Experiment + "/" + r.Stage.Cell
	}
	return hex.EncodeToString(sum[:8]), name + ")"
}

// score computes the section's values, differences to the baseline and
// rank ranges, and sorts its entries by the main measure.
func (s *Section) score(progress Progress) {
	keep := report.HeldOutPools(s.HeldOut)
	parallel.For(len(s.Entries), func(i int) {
		e := s.Entries[i]
		e.Values = map[string]Value{}
		for _, c := range Columns {
			if c.HeldOut && len(s.HeldOut) == 0 {
				continue
			}
			var k func(string) bool
			if c.HeldOut {
				k = keep
			}
			if c == Main {
				e.row, e.hasRow = report.RowReplicates(e.cells, s.Dataset, c.Series(), nil)
				if e.hasRow {
					e.Values[c.Key] = Value{e.row.Mean, e.row.Lo, e.row.Hi}
					continue
				}
			}
			if iv, ok := report.RowInterval(e.cells, s.Dataset, c.Series(), k); ok {
				e.Values[c.Key] = Value{iv.Mean, iv.Lo, iv.Hi}
			} else if !c.HeldOut {
				if m, ok := meanMetric(e.cells, s.Dataset, c.Setting, c.Metric); ok {
					e.Values[c.Key] = Value{m, math.NaN(), math.NaN()}
				}
			}
		}
	})
	sort.SliceStable(s.Entries, func(i, j int) bool {
		return mainOf(s.Entries[i]) > mainOf(s.Entries[j])
	})
	var base *Entry
	for _, e := range s.Entries {
		if slices.ContainsFunc(e.cells, report.IsBaseline) && (base == nil || len(e.cells) > len(base.cells)) {
			base = e
		}
	}
	if base != nil {
		base.Baseline = true
		s.Baseline = base.Name
	}
	s.rank(base, progress)
}

func newDelta(v Value, detectable float64, paired bool) *Delta {
	d := &Delta{Value: v, Detectable: detectable, Paired: paired}
	switch {
	case v.Lo > 0:
		d.Mark = "▲"
	case v.Hi < 0:
		d.Mark = "▼"
	}
	return d
}

func mainOf(e *Entry) float64 {
	if v, ok := e.Values[Main.Key]; ok && !math.IsNaN(v.Mean) {
		return v.Mean
	}
	return math.Inf(-1)
}

// meanMetric is the mean over cells of a stored metric.
func meanMetric(cells []*results.CellResult, ds string, setting results.Setting, metric metrics.Name) (float64, bool) {
	var vs []float64
	for _, c := range cells {
		if v, ok := c.Metrics[ds][setting][metric]; ok {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return 0, false
	}
	return mean(vs), true
}

// charts fills the entry's heatmap and bars.
func (e *Entry) charts(ds string) {
	e.Languages = e.cells[0].Datasets[ds].Languages
	n := len(e.Languages)
	e.Heat = make([][]float64, n)
	e.MultiByLang = make([]float64, n)
	for i, ql := range e.Languages {
		e.Heat[i] = make([]float64, n)
		for j, cl := range e.Languages {
			setting, pool := eval.Cross, lang.PoolKey{Query: ql, Candidate: cl}
			if i == j {
				setting, pool = eval.Mono, lang.PoolKey{Query: ql}
			}
			e.Heat[i][j] = poolMean(e.cells, ds, setting, pool)
		}
		e.MultiByLang[i] = poolMean(e.cells, ds, eval.Multi, lang.PoolKey{Query: ql})
		e.MultiSpread = append(e.MultiSpread, poolSpread(e.cells, ds, eval.Multi, lang.PoolKey{Query: ql}))
	}
}

// poolSpread is the sample standard deviation over seeds of a pool's mAP
// (NaN with fewer than two seeds): the bars' error bars.
func poolSpread(g []*results.CellResult, ds string, setting results.Setting, pool lang.PoolKey) float64 {
	var vs []float64
	for _, r := range g {
		if p, ok := r.Pools[ds][setting][pool]; ok && p.Queries > 0 {
			vs = append(vs, p.Metrics[metrics.MAP])
		}
	}
	if len(vs) < 2 {
		return math.NaN()
	}
	m, ss := mean(vs), 0.0
	for _, v := range vs {
		ss += (v - m) * (v - m)
	}
	return math.Sqrt(ss / float64(len(vs)-1))
}

func poolMean(g []*results.CellResult, ds string, setting results.Setting, pool lang.PoolKey) float64 {
	var vs []float64
	for _, r := range g {
		if p, ok := r.Pools[ds][setting][pool]; ok && p.Queries > 0 {
			vs = append(vs, p.Metrics[metrics.MAP])
		}
	}
	if len(vs) == 0 {
		return math.NaN()
	}
	return mean(vs)
}

func mean(vs []float64) float64 {
	s := 0.0
	for _, v := range vs {
		s += v
	}
	return s / float64(len(vs))
}

// PlotName is the file name stem of an entry's plots: readable (the
// experiment, dataset and row, with anything but letters, digits, '-' and
// '.' as '_') and unique, by a hash of everything that tells entries
// apart (two names that slug alike, "a-b"/"tiny" and "a"/"b-tiny", get
// different files).
func PlotName(s *Section, e *Entry) string {
	slug := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '_'
	}, e.Experiment+"-"+s.Dataset+"-"+strings.ReplaceAll(e.Name, " × ", "."))
	sum := sha256.Sum256([]byte(strings.Join([]string{e.Provenance.Source, e.Experiment, s.Dataset, s.Family, e.Name}, "\x00")))
	return slug + "-" + hex.EncodeToString(sum[:4])
}
