package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/xlbench/xlbench/harness/eval"
	"github.com/xlbench/xlbench/harness/lang"
	"github.com/xlbench/xlbench/harness/metrics"
	"github.com/xlbench/xlbench/harness/results"
	"github.com/xlbench/xlbench/plugins"
)

// TerminalWidth is the width the terminal's tables (format "table") are
// made for: their titles and notes are wrapped at it, and the tables a
// run prints by default fit it.
const TerminalWidth = 120

// Wrap breaks s into lines of at most width runes at spaces (a word
// longer than width stays whole on its own line).
func Wrap(s string, width int) string {
	var b strings.Builder
	n := 0
	for i, word := range strings.Fields(s) {
		l := utf8.RuneCountInString(word)
		switch {
		case i == 0:
		case n+1+l > width:
			b.WriteByte('\n')
			n = 0
		default:
			b.WriteByte(' ')
			n++
		}
		b.WriteString(word)
		n += l
	}
	return b.String()
}

// Formats lists the output formats of tables.
var Formats = []string{"table", "markdown", "csv", "jsonl"}

// IsTidy reports whether format is a data export (Tidy's records), not
// tables.
func IsTidy(format string) bool { return format == "csv" || format == "jsonl" }

// DefaultMetrics are the columns of the comparison table per setting; rank
// distance is added after the multilingual columns.
var DefaultMetrics = []metrics.Name{metrics.MAP, metrics.Recall1, metrics.Recall10}

var shortName = map[metrics.Name]string{
	metrics.MAP: "mAP", metrics.Recall1: "R@1", metrics.Recall10: "R@10",
	metrics.MRR10: "MRR@10", metrics.NDCG10: "nDCG@10", metrics.RankDistance: "rank dist",
	metrics.HasAnswer1: "H@1", metrics.HasAnswer5: "H@5", metrics.HasAnswer10: "H@10", metrics.HasAnswer20: "H@20",
	metrics.EM: "EM", metrics.F1: "F1",
}

// Table is a titled grid of strings.
type Table struct {
	Title  string
	Header []string
	Rows   [][]string
	Notes  []string
}

// Render writes t in format (table, markdown or csv).
func (t *Table) Render(w io.Writer, format string) error {
	switch format {
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write(t.Header)
		cw.WriteAll(t.Rows)
		return cw.Error()
	case "markdown":
		fmt.Fprintf(w, "#### %s\n\n", t.Title)
		tab := tablewriter.NewTable(w, tablewriter.WithRenderer(renderer.NewMarkdown()),
			tablewriter.WithHeaderAutoFormat(tw.Off), tablewriter.WithRowAlignment(tw.AlignRight))
		return t.fill(tab, w, "\n", 0)
	case "table", "":
		fmt.Fprintln(w, Wrap(t.Title, TerminalWidth))
		for _, part := range t.fitted() {
			io.WriteString(w, part)
		}
		for _, n := range t.Notes {
			fmt.Fprintln(w, Wrap(n, TerminalWidth))
		}
		fmt.Fprintln(w)
		return nil
	}
	return fmt.Errorf("unknown format %q (want %s)", format, strings.Join(Formats, ", "))
}

// fill renders the grid, then the notes, wrapped at width (0: not
// wrapped).
func (t *Table) fill(tab *tablewriter.Table, w io.Writer, gap string, width int) error {
	if err := grid(tab, t.Header, t.Rows); err != nil {
		return err
	}
	fmt.Fprint(w, gap)
	for _, n := range t.Notes {
		if width > 0 {
			n = Wrap(n, width)
		}
		fmt.Fprintln(w, n)
	}
	fmt.Fprintln(w)
	return nil
}

func grid(tab *tablewriter.Table, header []string, rows [][]string) error {
	tab.Header(header)
	for _, r := range rows {
		if err := tab.Append(r); err != nil {
			return err
		}
	}
	return tab.Render()
}

// keyColumns are the columns every part of a split table repeats: the
// row and its seeds.
const keyColumns = 2

// fitted renders the grid for a terminal of TerminalWidth columns: as it
// is when it fits; else with its cells wrapped at spaces, at the widest
// limit that fits; else, when even wrapped cells leave too many columns,
// split into parts that each repeat the key columns and take as many of
// the others as fit.
func (t *Table) fitted() []string {
	if g, ok := t.render(t.Header, t.Rows, 0); ok {
		return []string{g}
	}
	if g, ok := t.wrapped(t.Header, t.Rows); ok {
		return []string{g}
	}
	keys := min(keyColumns, len(t.Header))
	var parts []string
	for first := keys; first < len(t.Header); {
		// As many columns as fit unwrapped; wrapped only where one
		// column alone does not fit.
		last := first + 1
		for last < len(t.Header) {
			if _, ok := t.render(pick(t.Header, keys, first, last+1), pickRows(t.Rows, keys, first, last+1), 0); !ok {
				break
			}
			last++
		}
		h, rows := pick(t.Header, keys, first, last), pickRows(t.Rows, keys, first, last)
		g, ok := t.render(h, rows, 0)
		if !ok {
			if w, ok := t.wrapped(h, rows); ok {
				g = w
			}
		}
		parts = append(parts, g)
		first = last
	}
	return parts
}

// wrapped renders with cells wrapped, at the widest limit whose table
// fits; ok is false when none does.
func (t *Table) wrapped(header []string, rows [][]string) (string, bool) {
	for limit := TerminalWidth; limit >= TerminalWidth/2; limit -= 2 {
		if g, ok := t.render(header, rows, limit); ok {
			return g, true
		}
	}
	return "", false
}

// render draws a grid, its cells wrapped within limit columns when limit
// is above 0; ok reports whether every line fits TerminalWidth.
func (t *Table) render(header []string, rows [][]string, limit int) (string, bool) {
	var b strings.Builder
	opts := []tablewriter.Option{tablewriter.WithHeaderAutoFormat(tw.Off), tablewriter.WithRowAlignment(tw.AlignRight)}
	if limit > 0 {
		opts = append(opts, tablewriter.WithMaxWidth(limit), tablewriter.WithRowAutoWrap(tw.WrapNormal), tablewriter.WithHeaderAutoWrap(tw.WrapNormal))
	}
	if grid(tablewriter.NewTable(&b, opts...), header, rows) != nil {
		return "", false
	}
	for _, l := range strings.Split(b.String(), "\n") {
		if utf8.RuneCountInString(l) > TerminalWidth {
			return b.String(), false
		}
	}
	return b.String(), true
}

// pick is the key columns of row and its columns [first, last).
func pick(row []string, keys, first, last int) []string {
	return slices.Concat(row[:keys], row[first:last])
}

func pickRows(rows [][]string, keys, first, last int) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = pick(r, keys, first, last)
	}
	return out
}

// group collects the results of one table row (one encoder × sampler) over
// seeds.
type group struct {
	row     string
	results []*results.CellResult
}

func groups(rs []*results.CellResult) []group {
	var out []group
	for _, r := range rs {
		i := slices.IndexFunc(out, func(g group) bool { return g.row == r.Row() })
		if i < 0 {
			out = append(out, group{row: r.Row()})
			i = len(out) - 1
		}
		out[i].results = append(out[i].results, r)
	}
	return out
}

// cell formats the mean (± sample sd when there are several seeds) of values;
// NaN values (nothing to average) are left out.
func cell(values []float64, digits int) string {
	values = slices.DeleteFunc(slices.Clone(values), math.IsNaN)
	if len(values) == 0 {
		return "–"
	}
	mean := average(values)
	s := fmt.Sprintf("%.*f", digits, mean)
	if len(values) > 1 {
		ss := 0.0
		for _, v := range values {
			ss += (v - mean) * (v - mean)
		}
		s += fmt.Sprintf(" ± %.*f", digits, math.Sqrt(ss/float64(len(values)-1)))
	}
	return s
}

func digits(metric metrics.Name) int {
	if metric == metrics.RankDistance {
		return 1
	}
	return 3
}

// Datasets lists the datasets the results cover, sorted.
func Datasets(rs []*results.CellResult) []string {
	seen := map[string]bool{}
	for _, r := range rs {
		for d := range r.Metrics {
			seen[d] = true
		}
	}
	var out []string
	for d := range seen {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

// Comparison builds the main table of one dataset: a row per encoder ×
// sampler, columns the chosen metrics of each setting and the rank distance.
func Comparison(rs []*results.CellResult, dataset string, ms []metrics.Name, ts *Tests) *Table {
	t := &Table{Header: append(metricHeader(ms), "multi "+shortName[metrics.RankDistance])}
	t.Rows = metricRows(rs, dataset, ms, ts.marks())
	for i, g := range groups(rs) {
		t.Rows[i] = append(t.Rows[i], cell(collect(g, dataset, eval.Multi, metrics.RankDistance), 1))
	}
	var info results.DatasetInfo
	bitext := false
	if gs := groups(rs); len(gs) > 0 {
		last := gs[len(gs)-1].results[0]
		info = last.Datasets[dataset]
		_, mono := last.Metrics[dataset][results.Mono]
		bitext = !mono
	}
	n := len(info.Languages)
	t.Title = fmt.Sprintf("%s — mono: %d pools, cross: %d pools, multi: %d questions over %d candidates (%s)",
		dataset, n, n*(n-1), info.Questions, info.Candidates, strings.Join(info.Languages, " "))
	if bitext {
		t.Title = fmt.Sprintf("%s — bitext retrieval: cross: %d pools, multi: %d sentences, each against every sentence of the other languages (%s); no mono (a sentence would find itself)",
			dataset, n*(n-1), info.Questions, strings.Join(info.Languages, " "))
	}
	t.Notes = []string{"mAP over the full ranking; mono and cross macro-averaged over pools; rank dist: mean highest − lowest rank of a question's parallel answers in the multilingual pool (lower is better); ± is the sd over seeds."}
	if len(ts.list) > 0 {
		t.Notes = append(t.Notes, "mAP marks: "+MarkLegend(ts.marked))
	} else if trainedRows(rs) > 1 && !slices.ContainsFunc(rs, isBaseline) {
		t.Notes = append(t.Notes, "No significance tests nor differences: the experiment has no baseline sampler (none named with baseline = sampler.NAME, and no monolingual sampler over several languages to default to).")
	}
	if z := zeroShotNote(rs, dataset); z != "" {
		t.Notes = append(t.Notes, z)
	}
	if c := coverageNote(rs); c != "" {
		t.Notes = append(t.Notes, c)
	}
	return t
}

// Brief is the main table cut for a terminal (it fits 120 columns): per
// row its seeds, the mAP of each setting with its mark, multilingual
// recall@10 and rank distance, and EM and F1 in the multilingual pool
// when a reader read; means over seeds. Their spread and every other
// metric are in Comparison (-metrics, -format markdown, OUT/report-<spec>.md).
func Brief(rs []*results.CellResult, dataset string, ts *Tests) *Table {
	full := Comparison(rs, dataset, []metrics.Name{metrics.MAP}, ts)
	sig := ts.marks()
	reading := slices.ContainsFunc(rs, func(r *results.CellResult) bool { _, ok := r.Metrics[dataset][eval.Multi][metrics.F1]; return ok })
	t := &Table{Title: full.Title, Header: []string{"encoder × sampler", "seeds", "mono mAP", "cross mAP", "multi mAP", "multi R@10", "rank dist"}}
	if reading {
		t.Header = append(t.Header, "multi EM", "multi F1")
	}
	for _, g := range groups(rs) {
		mean := func(setting results.Setting, metric metrics.Name, digits int) string {
			return meanOf(collect(g, dataset, setting, metric), digits)
		}
		row := []string{g.row, fmt.Sprint(len(g.results))}
		for _, s := range eval.Settings {
			row = append(row, mean(s, metrics.MAP, 3)+sig[g.row][s])
		}
		row = append(row, mean(eval.Multi, metrics.Recall10, 3), mean(eval.Multi, metrics.RankDistance, 1))
		if reading {
			row = append(row, mean(eval.Multi, metrics.EM, 3), mean(eval.Multi, metrics.F1, 3))
		}
		t.Rows = append(t.Rows, row)
	}
	t.Notes = []string{"Means over seeds; mAP over the full ranking, mono and cross macro-averaged over pools; rank dist: mean highest − lowest rank of a question's parallel answers in the multilingual pool (lower is better)."}
	if len(ts.list) > 0 {
		t.Notes = append(t.Notes, "mAP marks: "+MarkLegend(ts.marked)+" Intervals below.")
	}
	return t
}

// meanOf formats the mean of values (NaN left out), "–" when none.
func meanOf(values []float64, digits int) string {
	values = slices.DeleteFunc(slices.Clone(values), math.IsNaN)
	if len(values) == 0 {
		return "–"
	}
	return fmt.Sprintf("%.*f", digits, average(values))
}

// average is the mean of values, which are not empty.
func average(values []float64) float64 {
	s := 0.0
	for _, v := range values {
		s += v
	}
	return s / float64(len(values))
}

// trainedRows counts the rows (encoder × sampler) with a sampler.
func trainedRows(rs []*results.CellResult) int {
	n := 0
	for _, g := range groups(rs) {
		if g.results[0].Sampler != nil {
			n++
		}
	}
	return n
}

// metricHeader heads the rows of metricRows.
func metricHeader(ms []metrics.Name) []string {
	h := []string{"encoder × sampler", "seeds"}
	for _, s := range eval.Settings {
		for _, m := range ms {
			h = append(h, string(s)+" "+shortName[m])
		}
	}
	return h
}

// collect gathers a row's values of one metric over its seeds.
func collect(g group, dataset string, setting results.Setting, metric metrics.Name) []float64 {
	var v []float64
	for _, r := range g.results {
		if x, ok := r.Metrics[dataset][setting][metric]; ok {
			v = append(v, x)
		}
	}
	return v
}

// metricRows gives each encoder × sampler row its seeds and the metrics ms
// in every setting, mAP followed by its significance mark, if any.
func metricRows(rs []*results.CellResult, dataset string, ms []metrics.Name, sig map[string]map[results.Setting]string) [][]string {
	var rows [][]string
	for _, g := range groups(rs) {
		row := []string{g.row, fmt.Sprint(len(g.results))}
		for _, s := range eval.Settings {
			for _, m := range ms {
				c := cell(collect(g, dataset, s, m), digits(m))
				if m == metrics.MAP {
					c += sig[g.row][s]
				}
				row = append(row, c)
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// Answers builds the answer table of one dataset: EM and F1 of
// retrieve-then-read (when a reader ran) and has-answer@k in each setting,
// per encoder × sampler; nil when no result has them.
func Answers(rs []*results.CellResult, dataset string) *Table {
	has := func(m metrics.Name) bool {
		for _, r := range rs {
			if _, ok := r.Metrics[dataset][eval.Multi][m]; ok {
				return true
			}
		}
		return false
	}
	if !has(metrics.HasAnswer20) {
		return nil
	}
	ms := metrics.HasAnswer
	reading := has(metrics.F1)
	if reading {
		ms = []metrics.Name{metrics.EM, metrics.F1, metrics.HasAnswer1, metrics.HasAnswer5, metrics.HasAnswer20}
	}
	t := &Table{Header: metricHeader(ms), Rows: metricRows(rs, dataset, ms, nil)}
	t.Title = dataset + " — answers: has-answer@k of the retrieved candidates"
	t.Notes = []string{"H@k (has-answer@k, the top-k retrieval accuracy of dense passage retrieval): a candidate has the answer when the question's gold answer in the candidate's language, normalised as for exact match, is a run of its tokens; mono and cross macro-averaged over pools; ± is the sd over seeds."}
	if reading {
		t.Title = dataset + " — answers: retrieve-then-read EM and F1, has-answer@k"
		for _, r := range rs {
			if r.Reading == nil {
				continue
			}
			o := r.Reading.Oracle[dataset]
			t.Notes = append([]string{fmt.Sprintf("EM, F1: the reader %s (%s) answers from each question's top %d candidates of the pool; scored against the gold answer in the language of the candidate it answered from (SQuAD v1.1 rules for en, MLQA's for ar de es hi vi zh, documented rules for el ru th tr), as fractions. Oracle — the same reader on each question's gold sentence, no retrieval error: EM %.3f, F1 %.3f.",
				r.Reading.Reader.Name, r.Reading.Reader.Plugin, r.Reading.TopK, o[metrics.EM], o[metrics.F1])}, t.Notes...)
			break
		}
	}
	if z := zeroShotNote(rs, dataset); z != "" {
		t.Notes = append(t.Notes, z)
	}
	return t
}

// PerLanguage builds the per-query-language table of one dataset: mAP in
// each setting (cross: mean over the query language's pools) and the rank
// distance, for every encoder × sampler row; with a reader, also F1 in the
// monolingual and multilingual settings.
func PerLanguage(rs []*results.CellResult, dataset string) *Table {
	t := &Table{Title: dataset + " — mAP per query language (cross: mean over candidate languages)",
		Header: []string{"encoder × sampler", "language", "mono mAP", "cross mAP", "multi mAP", "multi rank dist"}}
	reading := false
	for _, r := range rs {
		_, ok := r.Metrics[dataset][eval.Multi][metrics.F1]
		reading = reading || ok
	}
	if reading {
		t.Title = dataset + " — per query language: mAP (cross: mean over candidate languages), rank distance, reader F1"
		t.Header = append(t.Header, "mono F1", "multi F1")
	}
	for _, g := range groups(rs) {
		langs := g.results[0].Datasets[dataset].Languages
		for _, l := range langs {
			mono, cross, multi, dist, monoF1, multiF1 := languageValues(g, dataset, l)
			row := []string{g.row, l, cell(mono, 3), cell(cross, 3), cell(multi, 3), cell(dist, 1)}
			if reading {
				row = append(row, cell(monoF1, 3), cell(multiF1, 3))
			}
			t.Rows = append(t.Rows, row)
		}
	}
	return t
}

// languageValues gathers a row's per-seed values for one query language:
// mono mAP, cross mAP (mean over the language's pools), multi mAP and rank
// distance, and reader F1 in mono and multi where a reader read.
func languageValues(g group, dataset, code string) (mono, cross, multi, dist, monoF1, multiF1 []float64) {
	own := lang.PoolKey{Query: code}
	for _, r := range g.results {
		pools := r.Pools[dataset]
		if p, ok := pools[eval.Mono][own]; ok {
			mono = append(mono, p.Metrics[metrics.MAP])
			if f, ok := p.Metrics[metrics.F1]; ok {
				monoF1 = append(monoF1, f)
			}
		}
		sum, n := 0.0, 0
		for _, name := range slices.SortedFunc(maps.Keys(pools[eval.Cross]), lang.PoolKey.Compare) { // a fixed order: the same sum every run
			if p := pools[eval.Cross][name]; p.QueryLang == code && p.Queries > 0 {
				sum += p.Metrics[metrics.MAP]
				n++
			}
		}
		if n > 0 {
			cross = append(cross, sum/float64(n))
		}
		if p, ok := pools[eval.Multi][own]; ok {
			multi = append(multi, p.Metrics[metrics.MAP])
			dist = append(dist, p.Metrics[metrics.RankDistance])
			if f, ok := p.Metrics[metrics.F1]; ok {
				multiF1 = append(multiF1, f)
			}
		}
	}
	return
}

// LanguageDifferences builds, for every row with a baseline row of the same
// encoder, its mAP minus the baseline's per query language (means over
// seeds) beside whether each row's training batches reached the language
// (on the query side, the passage side): a pooled difference can come from
// a few languages that one row trained on and the other never saw. Nil when
// no row has a baseline.
func LanguageDifferences(rs []*results.CellResult, dataset string) *Table {
	gs := groups(rs)
	base := map[string]group{} // encoder → baseline row
	for _, g := range gs {
		if isBaseline(g.results[0]) {
			base[g.results[0].Encoder.Name] = g
		}
	}
	t := &Table{Title: dataset + " — difference to " + baselineName(rs) + " per query language (mAP, means over seeds)",
		Header: []string{"encoder × sampler", "language", "Δ mono mAP", "Δ cross mAP", "Δ multi mAP", "row reached (q/p)", "baseline reached (q/p)"}}
	t.Notes = []string{"Δ: the row's mean over seeds minus the baseline's; cross: mean over the query language's pools. reached: whether the training batches had the language on the query side / the passage side (from the batch mix); \"-\" for a row that trained nothing."}
	mean := func(x []float64) (float64, bool) {
		if len(x) == 0 {
			return 0, false
		}
		s := 0.0
		for _, v := range x {
			s += v
		}
		return s / float64(len(x)), true
	}
	// reached says whether coverage c (ok: the row trained) has lang on
	// the query and the passage side.
	reached := func(c Coverage, ok bool, lang string) string {
		if !ok {
			return "-"
		}
		yn := func(l []string) string {
			if slices.Contains(l, lang) {
				return "yes"
			}
			return "no"
		}
		return yn(c.Queries) + "/" + yn(c.Passages)
	}
	for _, g := range gs {
		b, ok := base[g.results[0].Encoder.Name]
		if !ok || g.row == b.row {
			continue
		}
		rowCov, rowTrained := trainingCoverage(g.results)
		baseCov, baseTrained := trainingCoverage(b.results)
		for _, lang := range g.results[0].Datasets[dataset].Languages {
			row := []string{g.row, lang}
			rm, rc, rx, _, _, _ := languageValues(g, dataset, lang)
			bm, bc, bx, _, _, _ := languageValues(b, dataset, lang)
			for _, pair := range [][2][]float64{{rm, bm}, {rc, bc}, {rx, bx}} {
				a, okA := mean(pair[0])
				c, okB := mean(pair[1])
				if !okA || !okB {
					row = append(row, "")
					continue
				}
				row = append(row, fmt.Sprintf("%+.3f", a-c))
			}
			t.Rows = append(t.Rows, append(row, reached(rowCov, rowTrained, lang), reached(baseCov, baseTrained, lang)))
		}
	}
	if len(t.Rows) == 0 {
		return nil
	}
	return t
}

// HeldOut builds the table of the held-out languages of one dataset beside
// the others: mAP of their queries in mono (mean over their pools), of the
// cross pools that involve them (mean over pools) and of their queries in
// the multilingual pool (mean over queries); nil when the results hold no
// language of the dataset out.
func HeldOut(rs []*results.CellResult, dataset string) *Table {
	held := heldOutIn(rs, dataset)
	if len(held) == 0 {
		return nil
	}
	t := languageSplit(rs, dataset, held, "held-out")
	t.Title = dataset + " — languages held out of fine-tuning (" + strings.Join(held, " ") + ") and the others"
	t.Notes = []string{"held-out mono: mean over the held-out languages' pools; cross: mean over the pools whose query or candidate language is held out (others: the rest); multi: mean over the held-out languages' queries in the multilingual pool; ± is the sd over seeds."}
	if z := zeroShotNote(rs, dataset); z != "" {
		t.Notes = append(t.Notes, z)
	}
	return t
}

// Unseen builds the same table for the languages of a staged experiment's
// dataset that its fine-tuning data never had although nothing held them
// out (XQuAD-R's ru th tr: no QA data in them): as zero-shot for
// fine-tuning as the held-out ones, reported apart from those. Nil when
// there are none, or no row was fine-tuned from a stage.
func Unseen(rs []*results.CellResult, dataset string) *Table {
	fine, held, _ := fineTuningLanguages(rs)
	staged := slices.ContainsFunc(rs, func(r *results.CellResult) bool { return r.Training != nil && r.Stage != nil })
	var unseen []string
	for _, g := range groups(rs) {
		for _, l := range g.results[0].Datasets[dataset].Languages {
			if !fine[l] && !held[l] && !slices.Contains(unseen, l) {
				unseen = append(unseen, l)
			}
		}
	}
	if !staged || len(unseen) == 0 {
		return nil
	}
	slices.Sort(unseen)
	t := languageSplit(rs, dataset, unseen, "unseen")
	t.Title = dataset + " — languages no row's fine-tuning batches reached (" + strings.Join(unseen, " ") + "; the base saw them, nothing held them out) and the others"
	t.Notes = []string{"unseen mono: mean over those languages' pools; cross: mean over the pools whose query or candidate language is one of them (others: the rest, held-out languages included); multi: mean over their queries in the multilingual pool; ± is the sd over seeds."}
	return t
}

// languageSplit is the table of HeldOut and Unseen: per row, mAP in each
// setting for the pools that involve langs (headed label) and for the
// others.
func languageSplit(rs []*results.CellResult, dataset string, langs []string, label string) *Table {
	t := &Table{Header: []string{"encoder × sampler", "seeds", label + " mono mAP", label + " cross mAP", label + " multi mAP",
		"others mono mAP", "others cross mAP", "others multi mAP"}}
	for _, g := range groups(rs) {
		row := []string{g.row, fmt.Sprint(len(g.results))}
		for _, want := range []bool{true, false} {
			var mono, cross, multi []float64
			for _, r := range g.results {
				pools := r.Pools[dataset]
				mono = append(mono, poolMean(pools[eval.Mono], langs, want, false))
				cross = append(cross, poolMean(pools[eval.Cross], langs, want, false))
				multi = append(multi, poolMean(pools[eval.Multi], langs, want, true))
			}
			row = append(row, cell(mono, 3), cell(cross, 3), cell(multi, 3))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// poolMean averages the mAP of the pools that involve a language of held
// (want true) or do not (want false): equally weighted, or weighted by
// their queries.
func poolMean(pools map[lang.PoolKey]results.Pool, held []string, want, byQueries bool) float64 {
	sum, n := 0.0, 0.0
	for _, name := range slices.SortedFunc(maps.Keys(pools), lang.PoolKey.Compare) { // a fixed order: the same sum every run
		p := pools[name]
		if p.Queries == 0 || (slices.Contains(held, p.QueryLang) || slices.Contains(held, p.CandLang)) != want {
			continue
		}
		w := 1.0
		if byQueries {
			w = float64(p.Queries)
		}
		sum += w * p.Metrics[metrics.MAP]
		n += w
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / n
}

// Settings builds the table of each trained row's training settings (one
// row per encoder × sampler, over its seeds): training length, batch size,
// the sampler's languages and params, the encoder's learning rate and the
// encoder params that differ between rows, and the validation loss it
// reached; nil when nothing was trained.
func Settings(rs []*results.CellResult) *Table {
	t := &Table{Title: "training settings per row",
		Header: []string{"row", "steps", "batch", "tuned by", "sampler languages", "sampler params", "encoder params", "validation pairs", "lowest validation loss", "at step"},
		Notes:  []string{"Steps, batch and learning rate are what each row's spec set. Tuned by: how the spec says the row's length was chosen (its sampler's tuned_by: the rule and the held-out training data); \"not declared\" when it does not say, and then nothing claims the row was tuned at all (a result stored before xlbench recorded the declaration reads as the spec it ran from declares, when that spec is at hand and still trains the sampler as the result did). A row compared with another that trained differently, or was tuned differently, is marked ≠ in the differences tables. The validation loss is measured on held-out pairs in the row's own languages. Encoder params: lr and those that differ between rows."}}
	var trained []group
	for _, g := range groups(rs) {
		if g.results[0].Training != nil {
			trained = append(trained, g)
		}
	}
	// The encoder params worth a column: lr, and any that differ.
	show := map[string]bool{"lr": true}
	for _, g := range trained {
		for k, v := range g.results[0].Encoder.Params {
			if fmt.Sprint(v) != fmt.Sprint(trained[0].results[0].Encoder.Params[k]) {
				show[k] = true
			}
		}
	}
	for _, g := range trained {
		r := g.results[0]
		langs, sparams := "all", ""
		if r.Sampler != nil {
			if len(r.Sampler.Languages) > 0 {
				langs = strings.Join(r.Sampler.Languages, " ")
			}
			sparams = formatParams(r.Sampler.Params)
		}
		eparams := plugins.Params{}
		for k, v := range r.Encoder.Params {
			if show[k] {
				eparams[k] = v
			}
		}
		var lows, at []float64
		for _, x := range g.results {
			if best, ok := x.Training.LowestValidation(); ok {
				lows, at = append(lows, best.Loss), append(at, float64(best.Step))
			}
		}
		pairs, low, step := "–", "–", "–"
		if len(lows) > 0 {
			pairs, low, step = fmt.Sprint(r.Training.ValidationPairs), cell(lows, 4), cell(at, 0)
		}
		t.Rows = append(t.Rows, []string{r.Experiment + "/" + g.row, fmt.Sprint(r.Training.Steps), fmt.Sprint(r.Training.BatchSize),
			TunedBy(r), langs, sparams, formatParams(eparams), pairs, low, step})
	}
	if len(t.Rows) == 0 {
		return nil
	}
	return t
}

// formatParams writes params as "name=value" in name order.
func formatParams(ps plugins.Params) string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(ps)) {
		out = append(out, fmt.Sprintf("%s=%v", k, ps[k]))
	}
	return strings.Join(out, " ")
}

// Validation builds the table of the validation losses measured over
// training (an experiment with a validation share), one row per cell; nil
// when no cell measured one.
func Validation(rs []*results.CellResult) *Table {
	t := &Table{Title: "validation loss over training (held-out training groups)",
		Header: []string{"cell", "steps", "pairs", "start", "lowest", "at step", "end", "curve (every point)"},
		Notes:  []string{"In-batch InfoNCE at τ = 0.05 over fixed batches of the held-out pairs (train.ValidationLoss): what training lengths are chosen by, never the evaluation sets."}}
	for _, r := range rs {
		if r.Training == nil || len(r.Training.Validation) == 0 {
			continue
		}
		v := r.Training.Validation
		best, _ := r.Training.LowestValidation()
		var curve []string
		for _, p := range v {
			curve = append(curve, fmt.Sprintf("%d:%.3f", p.Step, p.Loss))
		}
		t.Rows = append(t.Rows, []string{r.Experiment + "/" + r.Cell, fmt.Sprint(r.Training.Steps), fmt.Sprint(r.Training.ValidationPairs),
			fmt.Sprintf("%.4f", v[0].Loss), fmt.Sprintf("%.4f", best.Loss), fmt.Sprint(best.Step), fmt.Sprintf("%.4f", v[len(v)-1].Loss),
			strings.Join(curve, " ")})
	}
	if len(t.Rows) == 0 {
		return nil
	}
	return t
}
