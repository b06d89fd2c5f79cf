package report

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xlbench/xlbench/harness/eval"
	"github.com/xlbench/xlbench/harness/lang"
	"github.com/xlbench/xlbench/harness/metrics"
	"github.com/xlbench/xlbench/harness/results"
	"github.com/xlbench/xlbench/harness/stats"
	"github.com/xlbench/xlbench/harness/train"
	"github.com/xlbench/xlbench/plugins"
)

func result(cell, sampler string, seed uint64, mapMono, dist float64) *results.CellResult {
	r := &results.CellResult{
		Experiment: "e", Cell: cell, Seed: seed, Complete: true,
		Encoder:  results.Component{Name: "dual"},
		Datasets: map[string]results.DatasetInfo{"d": {Languages: []string{"en", "de"}, Questions: 6, Candidates: 6}},
		Metrics: map[string]map[results.Setting]results.Scores{"d": {
			"mono":  {"map": mapMono, "recall@1": 0.5, "recall@10": 1},
			"cross": {"map": 0.25, "recall@1": 0, "recall@10": 1},
			"multi": {"map": 0.5, "recall@1": 0.25, "recall@10": 1, "rank_distance": dist},
		}},
		Pools: map[string]map[results.Setting]map[lang.PoolKey]results.Pool{"d": {
			"mono":  {pk("en"): {QueryLang: "en", CandLang: "en", Queries: 3, Metrics: results.Scores{"map": mapMono}}},
			"cross": {pk("en-de"): {QueryLang: "en", CandLang: "de", Queries: 3, Metrics: results.Scores{"map": 0.2}}, pk("de-en"): {QueryLang: "de", CandLang: "en", Queries: 3, Metrics: results.Scores{"map": 0.3}}},
			"multi": {pk("en"): {QueryLang: "en", Queries: 3, Metrics: results.Scores{"map": 0.5, "rank_distance": dist}}},
		}},
	}
	if sampler != "" {
		r.Sampler = &results.Component{Name: sampler}
		r.Baseline = "monolingual" // as a run records its experiment's baseline
	}
	return r
}

// TestComparisonAggregatesSeeds: two seeds of one row give mean ± sample sd;
// (0.6, 0.8) → 0.700 ± 0.141 and rank distances (10, 20) → 15.0 ± 7.1.
func TestComparisonAggregatesSeeds(t *testing.T) {
	rs := []*results.CellResult{
		result("dual.mono.seed1", "mono", 1, 0.6, 10),
		result("dual.mono.seed2", "mono", 2, 0.8, 20),
		result("dual.hybrid.seed1", "hybrid", 1, 0.9, 5),
	}
	tab := Comparison(rs, "d", DefaultMetrics, Significance(rs, "d"))
	want := [][]string{
		{"dual × mono", "2", "0.700 ± 0.141", "0.500 ± 0.000", "1.000 ± 0.000", "0.250 ± 0.000", "0.000 ± 0.000", "1.000 ± 0.000", "0.500 ± 0.000", "0.250 ± 0.000", "1.000 ± 0.000", "15.0 ± 7.1"},
		{"dual × hybrid", "1", "0.900", "0.500", "1.000", "0.250", "0.000", "1.000", "0.500", "0.250", "1.000", "5.0"},
	}
	if diff := cmp.Diff(want, tab.Rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if !strings.Contains(tab.Title, "mono: 2 pools, cross: 2 pools, multi: 6 questions over 6 candidates") {
		t.Errorf("title %q", tab.Title)
	}
	var buf bytes.Buffer
	if err := tab.Render(&buf, "csv"); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "encoder × sampler,seeds,mono mAP,mono R@1,mono R@10,cross mAP") {
		t.Errorf("csv:\n%s", buf.String())
	}
	if err := tab.Render(&buf, "xml"); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestPerLanguage(t *testing.T) {
	tab := PerLanguage([]*results.CellResult{result("dual.seed1", "", 1, 0.6, 10)}, "d")
	want := [][]string{
		{"dual", "en", "0.600", "0.200", "0.500", "10.0"},
		{"dual", "de", "–", "0.300", "–", "–"},
	}
	if diff := cmp.Diff(want, tab.Rows); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestSignificanceMarks: hybrid beats the monolingual reference by 0.1 AP
// on every query of mono for both seeds, ties it in cross; the table marks
// mono ▲ and nothing else, and names the zero-shot language.
func TestSignificanceMarks(t *testing.T) {
	var rs []*results.CellResult
	for _, seed := range []uint64{1, 2} {
		for _, s := range []string{"monolingual", "hybrid"} {
			r := result(fmt.Sprintf("dual.%s.seed%d", s, seed), s, seed, 0.5, 10)
			r.Sampler.PluginName = s
			r.Training = &train.Record{QueryLangs: map[string]int{"en": 5}, PassageLangs: map[string]int{"en": 5},
				PairLanguages: map[string]int{"en-en": 5}}
			mono, cross := map[string]float64{}, map[string]float64{}
			for q := 0; q < 200; q++ {
				v := float64(q%10) / 20
				if s == "hybrid" {
					v += 0.1
				}
				mono[fmt.Sprintf("en:q%d", q)] = v
				cross[fmt.Sprintf("en-de:q%d", q)] = float64(q%10) / 20
			}
			r.PerQuery = perQuery(map[string]map[string]map[string]float64{"d": {"mono": mono, "cross": cross}})
			rs = append(rs, r)
		}
	}
	tab := Comparison(rs, "d", DefaultMetrics, Significance(rs, "d"))
	if got := tab.Rows[1][2]; got != "0.500 ± 0.000 ▲†" {
		t.Errorf("hybrid mono mAP cell = %q, want a ▲† mark (the interval above zero, every seed's test significant)", got)
	}
	if got := tab.Rows[1][5]; strings.Contains(got, "▲") || strings.Contains(got, "▼") {
		t.Errorf("hybrid cross mAP cell = %q, want no mark", got)
	}
	notes := strings.Join(tab.Notes, "\n")
	if !strings.Contains(notes, "Zero-shot languages (in no training data): de") {
		t.Errorf("notes:\n%s", notes)
	}
	sig := SignificanceTable(rs, "d", Significance(rs, "d"))
	// Per seed: mono, cross, and covered mono (both rows reached en only;
	// the en-de pool is not covered, so covered cross has no queries).
	if sig == nil || len(sig.Rows) != 6 || sig.Rows[2][1] != "covered mono mAP" {
		t.Fatalf("significance table: %+v", sig)
	}
	if sig.Rows[0][4] != "+0.1000" {
		t.Errorf("Δ AP = %s, want +0.1000", sig.Rows[0][4])
	}
}

// TestAnswersTable: with a reader, the answers table shows EM, F1 and
// has-answer per setting and names the reader and its oracle scores; the
// per-language table gains F1 columns. Without has-answer there is no
// answers table.
func TestAnswersTable(t *testing.T) {
	r := result("dual.seed1", "", 1, 0.6, 10)
	if Answers([]*results.CellResult{r}, "d") != nil {
		t.Fatal("answers table without has-answer metrics")
	}
	for _, s := range eval.Settings {
		m := r.Metrics["d"][s]
		m["em"], m["f1"] = 0.25, 0.5
		m["has_answer@1"], m["has_answer@5"], m["has_answer@10"], m["has_answer@20"] = 0.5, 0.75, 0.75, 1
	}
	r.Pools["d"]["mono"][pk("en")].Metrics["f1"] = 0.4
	r.Pools["d"]["multi"][pk("en")].Metrics["f1"] = 0.3
	r.Reading = &results.Reading{Reader: results.Component{Name: "span", Plugin: "builtin:reader"}, TopK: 3,
		Oracle: map[string]results.Scores{"d": {"em": 0.125, "f1": 0.375}}}
	tab := Answers([]*results.CellResult{r}, "d")
	want := []string{"dual", "1", "0.250", "0.500", "0.500", "0.750", "1.000", "0.250", "0.500", "0.500", "0.750", "1.000", "0.250", "0.500", "0.500", "0.750", "1.000"}
	if diff := cmp.Diff([][]string{want}, tab.Rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if tab.Header[2] != "mono EM" || tab.Header[6] != "mono H@20" || !strings.Contains(tab.Notes[0], "top 3 candidates") ||
		!strings.Contains(tab.Notes[0], "EM 0.125, F1 0.375") {
		t.Errorf("header %v, notes %q", tab.Header, tab.Notes)
	}
	per := PerLanguage([]*results.CellResult{r}, "d")
	if diff := cmp.Diff([]string{"dual", "en", "0.600", "0.200", "0.500", "10.0", "0.400", "0.300"}, per.Rows[0]); diff != "" {
		t.Errorf("per-language row (-want +got):\n%s", diff)
	}
}

// TestDifferencesAndHeldOut works the difference table by hand. Languages
// en and el, el held out; the baseline is named "mono"; two questions, q1
// and q2, each in both languages; both seeds alike, so the seeds add no
// spread and the interval is the question bootstrap's, Δ ± 1.96·SE. Per
// seed, hybrid minus mono: mono pool en {q1 0.0, q2 0.2}, pool el {q1 0.3,
// q2 0.3}; macro Δ = (0.1 + 0.3)/2 = 0.2. Resampling the two questions
// gives {q1,q1} (1/4): (0.0 + 0.3)/2 = 0.15, {q2,q2} (1/4): 0.25, {q1,q2}
// (1/2): 0.2 — variance 2·(1/4)·0.05² = 0.00125, SE 0.035355. The held-out
// mono Δ is the el pool alone: 0.3 in every resample, an interval of width
// 0. F1 in multi, pooled over the four queries: q1 {0, 0}, q2 {1, 1}, mean
// 0.5; resamples give 0, 1 (1/4 each) and 0.5 (1/2): variance 0.125, SE
// 0.35355 — wider than counting the four queries as independent would say
// (SE 0.204), since each question's two languages move together. With
// 1,000 resamples the SE is estimated within a few per cent: the test
// allows 10%.
func TestDifferencesAndHeldOut(t *testing.T) {
	var rs []*results.CellResult
	for _, seed := range []uint64{1, 2} {
		for _, s := range []string{"mono", "hybrid"} {
			r := result(fmt.Sprintf("dual.%s.seed%d", s, seed), s, seed, 0.5, 10)
			r.Baseline, r.HeldOut = "mono", []string{"el", "vi"}
			r.Training = &train.Record{QueryLangs: map[string]int{"en": 5}, PassageLangs: map[string]int{"en": 5}}
			r.Datasets["d"] = results.DatasetInfo{Languages: []string{"el", "en"}}
			r.Pools["d"]["mono"][pk("el")] = eval.Pool{QueryLang: "el", CandLang: "el", Queries: 2, Metrics: results.Scores{"map": 0.1}}
			r.Pools["d"]["multi"][pk("el")] = eval.Pool{QueryLang: "el", Queries: 1, Metrics: results.Scores{"map": 0.2}}
			mono := map[string]float64{"en:q1": 0.4, "en:q2": 0.4, "el:q1": 0.2, "el:q2": 0.2}
			f1 := map[string]float64{"en:q1": 0.5, "en:q2": 0.5, "el:q1": 0.5, "el:q2": 0.5}
			if s == "hybrid" {
				mono = map[string]float64{"en:q1": 0.4, "en:q2": 0.6, "el:q1": 0.5, "el:q2": 0.5}
				f1 = map[string]float64{"en:q1": 0.5, "en:q2": 1.5, "el:q1": 0.5, "el:q2": 1.5}
			}
			r.PerQuery = perQuery(map[string]map[string]map[string]float64{"d": {"mono": mono, "multi/f1": f1, "multi/em": f1}})
			rs = append(rs, r)
		}
	}
	tab := Differences(rs, "d", Significance(rs, "d"))
	if tab == nil {
		t.Fatal("no differences table")
	}
	got := map[string][]string{}
	for _, row := range tab.Rows {
		got[row[1]] = row[2:5]
	}
	for m, w := range map[string]struct {
		delta string
		mean  float64
		se    float64
	}{
		"mono mAP":          {"+0.2000 ▲", 0.2, 0.035355339059327376},
		"held-out mono mAP": {"+0.3000 ▲", 0.3, 0},
		"multi F1":          {"+0.5000", 0.5, 0.3535533905932738},
	} {
		g := got[m]
		if len(g) != 3 || g[0] != "2" || g[1] != w.delta {
			t.Errorf("%s: %q, want 2 seeds and Δ %s", m, g, w.delta)
			continue
		}
		var lo, hi float64
		if _, err := fmt.Sscanf(g[2], "[%f, %f]", &lo, &hi); err != nil {
			t.Fatalf("%s: interval %q: %v", m, g[2], err)
		}
		half := 1.959963984540054 * w.se
		if math.Abs((lo+hi)/2-w.mean) > 1e-4 || math.Abs((hi-lo)/2-half) > 0.1*half+1e-4 {
			t.Errorf("%s: interval %s, want %.4f ± %.4f (within 10%% of the half-width)", m, g[2], w.mean, half)
		}
	}
	if !strings.Contains(tab.Title, "difference to dual × mono") {
		t.Errorf("title %q", tab.Title)
	}
	// Held-out table: el's mono pool 0.1 against en's 0.5; cross pools
	// involve no el here (NaN); multi: el's queries 0.2, en's 0.5.
	ho := HeldOut(rs, "d")
	if ho == nil || len(ho.Rows) != 2 {
		t.Fatalf("held-out table %+v", ho)
	}
	if diff := cmp.Diff([]string{"dual × mono", "2", "0.100 ± 0.000", "–", "0.200 ± 0.000", "0.500 ± 0.000", "0.250 ± 0.000", "0.500 ± 0.000"}, ho.Rows[0]); diff != "" {
		t.Errorf("held-out row (-want +got):\n%s", diff)
	}
	if !strings.Contains(strings.Join(ho.Notes, " "), "Held out of training: el vi. Zero-shot languages (in no training data): el;") {
		t.Errorf("notes %q", ho.Notes)
	}
}

// TestValidationTable: one row per cell that measured a validation loss,
// with its lowest point.
func TestValidationTable(t *testing.T) {
	r := result("dual.hybrid.seed1", "hybrid", 1, 0.5, 10)
	if Validation([]*results.CellResult{r}) != nil {
		t.Fatal("a validation table without validation losses")
	}
	r.Training = &train.Record{Steps: 20, ValidationPairs: 7, Validation: []train.ValidationPoint{{Step: 0, Loss: 3}, {Step: 10, Loss: 1.5}, {Step: 20, Loss: 1.75}}}
	tab := Validation([]*results.CellResult{r})
	want := []string{"e/dual.hybrid.seed1", "20", "7", "3.0000", "1.5000", "10", "1.7500", "0:3.000 10:1.500 20:1.750"}
	if diff := cmp.Diff([][]string{want}, tab.Rows); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestSettingsTable: one row per encoder × sampler with its length, its
// sampler's languages and params, its encoder's params and the mean
// lowest validation loss over seeds.
func TestSettingsTable(t *testing.T) {
	var rs []*results.CellResult
	for seed, low := range map[uint64]float64{1: 1.5, 2: 1.7} {
		r := result(fmt.Sprintf("dual.hybrid.seed%d", seed), "hybrid", seed, 0.5, 10)
		r.Sampler.Languages, r.Sampler.Params = []string{"de", "es"}, plugins.Params{"alpha": 0.5}
		r.Sampler.TunedBy = "specs/t.hcl: shortest within 2%"
		r.Encoder.Params = plugins.Params{"lr": 0.003, "dim": 128.0, "temperature": 0.05}
		r.Training = &train.Record{Steps: 20, BatchSize: 4, ValidationPairs: 7,
			Validation: []train.ValidationPoint{{Step: 0, Loss: 3}, {Step: 10 * int(seed), Loss: low}, {Step: 20, Loss: 1.75}}}
		rs = append(rs, r)
	}
	slices.SortFunc(rs, func(a, b *results.CellResult) int { return int(a.Seed) - int(b.Seed) })
	mono := result("dual.mono.seed1", "mono", 1, 0.5, 10)
	mono.Encoder.Params = plugins.Params{"lr": 0.001, "dim": 64.0, "temperature": 0.05}
	mono.Training = &train.Record{Steps: 30, BatchSize: 4}
	bm := result("bm25", "", 1, 0.5, 10)
	tab := Settings(append(rs, mono, bm))
	want := [][]string{
		{"e/dual × hybrid", "20", "4", "specs/t.hcl: shortest within 2%", "de es", "alpha=0.5", "dim=128 lr=0.003", "7", "1.6000 ± 0.1414", "15 ± 7"},
		{"e/dual × mono", "30", "4", "not declared", "all", "", "dim=64 lr=0.001", "–", "–", "–"},
	}
	if diff := cmp.Diff(want, tab.Rows); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if Settings([]*results.CellResult{bm}) != nil {
		t.Error("a settings table with nothing trained")
	}
}

// TestStageNote: under a staged experiment's tables, the note names what
// each stage trained on and what fine-tuning never saw.
func TestStageNote(t *testing.T) {
	r := result("dual.mono.seed1", "mono", 1, 0.5, 10)
	r.HeldOut = []string{"de"}
	// The corpus has es too, but this row's batches (restricted to en)
	// never reached it: es is zero-shot for its fine-tuning.
	r.Training = &train.Record{QueryLangs: map[string]int{"en": 5, "es": 4}, PassageLangs: map[string]int{"en": 5, "es": 4}, PairLanguages: map[string]int{"en-en": 5}}
	r.Datasets["d"] = results.DatasetInfo{Languages: []string{"en", "de", "es"}}
	r.Stage = &results.StageInfo{Experiment: "base", Cell: "b.t.seed1", QueryLangs: map[string]int{"de": 1, "el": 1, "en": 1, "es": 1}}
	got := zeroShotNote([]*results.CellResult{r}, "d")
	want := "Stage 1 (base/b.t.seed1) trained on de el en es; fine-tuning batches reached en (all rows together) (held out of fine-tuning: de); zero-shot for fine-tuning (the base saw them, no row's fine-tuning batches did): de es. Zero-shot languages (in no training data): none."
	if got != want {
		t.Errorf("note\n%s\nwant\n%s", got, want)
	}
}

// TestNoBaselineNote: trained rows without a baseline get a note saying why
// there are no tests nor differences. The baseline is the one each result
// records (decided by the spec's rule when it ran): a monolingual row in
// results that record none is not one.
func TestNoBaselineNote(t *testing.T) {
	a := result("dual.hybrid.seed1", "hybrid", 1, 0.5, 10)
	b := result("dual.cross.seed1", "cross", 1, 0.5, 10)
	a.Baseline, b.Baseline = "", ""
	comparison := func(rs ...*results.CellResult) string {
		return strings.Join(Comparison(rs, "d", []metrics.Name{"map"}, Significance(rs, "d")).Notes, " ")
	}
	if notes := comparison(a, b); !strings.Contains(notes, "the experiment has no baseline sampler") {
		t.Errorf("notes %q", notes)
	}
	m := result("dual.mono.seed1", "monolingual", 1, 0.5, 10)
	m.Sampler.PluginName, m.Baseline = "monolingual", ""
	if notes := comparison(m, a); !strings.Contains(notes, "the experiment has no baseline sampler") {
		t.Errorf("a monolingual row in results that record no baseline was taken as one: %q", notes)
	}
	m.Baseline, a.Baseline = "monolingual", "monolingual"
	if notes := comparison(m, a); strings.Contains(notes, "no baseline sampler") {
		t.Errorf("the recorded baseline is not used: %q", notes)
	}
}

// perQuery types per-query values keyed dataset → series, as the
// per-query file names it ("mono", "multi/f1") → "pool:question".
func perQuery(m map[string]map[string]map[string]float64) results.PerQuery {
	typed := map[string]map[results.Series]map[string]float64{}
	for ds, bySeries := range m {
		typed[ds] = map[results.Series]map[string]float64{}
		for name, vals := range bySeries {
			typed[ds][series(name)] = vals
		}
	}
	pq, err := results.NewPerQuery(typed)
	if err != nil {
		panic(err)
	}
	return pq
}

// series reads a series as the per-query file names it.
func series(name string) results.Series {
	s, err := results.ParseSeries(name)
	if err != nil {
		panic(err)
	}
	return s
}

// pk reads a pool key ("en", "en-de").
func pk(s string) lang.PoolKey {
	k, err := lang.ParsePoolKey(s)
	if err != nil {
		panic(err)
	}
	return k
}

// TestPairDiffIsThePairedInterval: two rows on the same seeds and queries
// get from their replicates the interval PairedInterval computes by its
// own bootstrap.
func TestPairDiffIsThePairedInterval(t *testing.T) {
	var a, b []*results.CellResult
	for seed := uint64(1); seed <= 3; seed++ {
		ra, rb := result("dual.hybrid.seed1", "hybrid", seed, 0.5, 10), result("dual.mono.seed1", "monolingual", seed, 0.5, 10)
		mono, base := map[string]float64{}, map[string]float64{}
		for q := range 60 {
			for _, l := range []string{"en", "de", "el"} {
				k := fmt.Sprintf("%s:q%02d", l, q)
				base[k] = float64((q*7+int(seed))%11) / 11
				mono[k] = math.Min(1, base[k]+float64((q*3+len(l)*int(seed))%5)/40)
			}
		}
		ra.PerQuery = perQuery(map[string]map[string]map[string]float64{"d": {"mono": mono}})
		rb.PerQuery = perQuery(map[string]map[string]map[string]float64{"d": {"mono": base}})
		a, b = append(a, ra), append(b, rb)
	}
	ra, okA := RowReplicates(a, "d", series("mono"), nil)
	rb, okB := RowReplicates(b, "d", series("mono"), nil)
	want, paired, ok := PairedInterval(a, b, "d", series("mono"), nil)
	if !okA || !okB || !ok || !paired || ra.Fingerprint != rb.Fingerprint {
		t.Fatalf("rows %v %v, paired %v %v, fingerprints %s %s", okA, okB, ok, paired, ra.Fingerprint, rb.Fingerprint)
	}
	got := PairDiff(ra, rb)
	for _, x := range [][2]float64{{got.Mean, want.Mean}, {got.Lo, want.Lo}, {got.Hi, want.Hi}, {got.SE, want.SE}, {got.DF, want.DF}} {
		if math.Abs(x[0]-x[1]) > 1e-9*math.Max(1e-3, math.Abs(x[1])) {
			t.Fatalf("from replicates %+v, paired bootstrap %+v", got, want)
		}
	}
}

// TestOneMarkingRule: ▲/▼ says the interval excludes zero, † that every
// seed's Holm-corrected test agrees besides; a test that disagrees, or an
// interval that includes zero, takes the mark away.
func TestOneMarkingRule(t *testing.T) {
	sig := func(diff, adj float64) test { return test{diff: diff, adj: adj} }
	for _, c := range []struct {
		name   string
		lo, hi float64
		tests  []test
		want   string
	}{
		{"interval above zero, every seed significant", 0.01, 0.03, []test{sig(0.02, 0.001), sig(0.01, 0.02)}, "▲†"},
		{"interval above zero, one seed not significant", 0.01, 0.03, []test{sig(0.02, 0.001), sig(0.01, 0.2)}, "▲"},
		{"interval below zero, every seed significant", -0.03, -0.01, []test{sig(-0.02, 0.001)}, "▼†"},
		{"interval below zero, a seed significant the other way", -0.03, -0.01, []test{sig(-0.02, 0.001), sig(0.01, 0.01)}, "▼"},
		{"interval across zero, every seed significant", -0.01, 0.03, []test{sig(0.02, 0.001)}, ""},
	} {
		s := summary{tests: c.tests, interval: stats.Interval{Lo: c.lo, Hi: c.hi}}
		if got := s.Mark(); got != c.want {
			t.Errorf("%s: mark %q, want %q", c.name, got, c.want)
		}
	}
}

// TestTrainedUnlikeIsFlagged: a row that trained longer than its
// baseline, or on other languages, is marked ≠ in the differences table
// with what differs; rows trained alike are not.
func TestTrainedUnlikeIsFlagged(t *testing.T) {
	var rs []*results.CellResult
	for _, s := range []string{"monolingual", "hybrid", "cross"} {
		r := result("dual."+s+".seed1", s, 1, 0.5, 10)
		r.Baseline = "monolingual"
		r.Training = &train.Record{Steps: 200, BatchSize: 32, PairLanguages: map[string]int{"en-en": 5}}
		r.Encoder.Params = plugins.Params{"lr": 0.003}
		vals := map[string]float64{}
		for q := range 20 {
			vals[fmt.Sprintf("en:q%d", q)] = float64(q%4) / 4
		}
		r.PerQuery = perQuery(map[string]map[string]map[string]float64{"d": {"mono": vals}})
		rs = append(rs, r)
	}
	rs[1].Training.Steps = 300
	rs[1].Training.PairLanguages = map[string]int{"en-de": 5}
	// Declared tuned, by one rule worded two ways: not a difference; the
	// hybrid row, not declared, is.
	rs[0].Sampler.TunedBy, rs[2].Sampler.TunedBy = "specs/t.hcl", "specs/t.hcl: shortest within 2%"
	tab := Differences(rs, "d", Significance(rs, "d"))
	rows := map[string]bool{}
	for _, row := range tab.Rows {
		rows[row[0]] = true
	}
	if !rows["dual × hybrid ≠"] || !rows["dual × cross"] {
		t.Errorf("rows %v: want hybrid flagged, cross not", rows)
	}
	var note string
	for _, n := range tab.Notes {
		if strings.HasPrefix(n, "≠") {
			note = n
		}
	}
	if !strings.HasSuffix(note, "— dual × hybrid: steps 300 against 200; reached de en against en; tuned not declared against declared.") {
		t.Errorf("≠ note %q", note)
	}
}
