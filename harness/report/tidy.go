package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"

	"github.com/xlbench/xlbench/harness/lang"
	"github.com/xlbench/xlbench/harness/results"
)

// Record is one number of a report as data: one line of the tidy export
// (-format csv or jsonl), which pandas, R or a spreadsheet read as is.
//
// Statistic "value" is a stored metric of one cell (Seed set): of a
// setting over every query (Language "all"), or of one pool (Language
// the query language, or "<query>-<candidate>" for a cross-lingual
// pool). Statistic "delta" is a row's difference to what it is compared
// with (Versus) on one measure: over its seeds (Seed nil) with the 95%
// interval and the mark of the tables, or of one seed with that seed's
// Holm-corrected p; Language is "all", "held-out" or "covered".
type Record struct {
	Dataset    string   `json:"dataset"`
	Experiment string   `json:"experiment"`
	Encoder    string   `json:"encoder"`
	Sampler    string   `json:"sampler"`
	Seed       *uint64  `json:"seed"`
	Setting    string   `json:"setting"`
	Language   string   `json:"language"`
	Metric     string   `json:"metric"`
	Statistic  string   `json:"statistic"`
	Value      float64  `json:"value"`
	Lo         *float64 `json:"lo"`
	Hi         *float64 `json:"hi"`
	Mark       string   `json:"mark"`
	Versus     string   `json:"versus"`
	PHolm      *float64 `json:"p_holm"`
}

// TidyColumns are the columns of the CSV export, in order.
var TidyColumns = []string{"dataset", "experiment", "encoder", "sampler", "seed", "setting", "language", "metric", "statistic", "value", "lo", "hi", "mark", "versus", "p_holm"}

// Tidy lists every number of one experiment's report as records: each
// cell's metrics per setting and per pool, then each row's differences
// (tests: the same tests the tables show, per dataset).
func Tidy(rs []*results.CellResult, tests func(rs []*results.CellResult, dataset string) *Tests) []Record {
	var out []Record
	for _, r := range rs {
		sampler := ""
		if r.Sampler != nil {
			sampler = r.Sampler.Name
		}
		seed := r.Seed
		base := Record{Experiment: r.Experiment, Encoder: r.Encoder.Name, Sampler: sampler, Seed: &seed, Statistic: "value"}
		for _, d := range slices.Sorted(maps.Keys(r.Metrics)) {
			for _, s := range results.Settings {
				ms := r.Metrics[d][s]
				for _, m := range slices.Sorted(maps.Keys(ms)) {
					rec := base
					rec.Dataset, rec.Setting, rec.Language, rec.Metric, rec.Value = d, string(s), "all", string(m), ms[m]
					out = append(out, rec)
				}
				pools := r.Pools[d][s]
				for _, k := range slices.SortedFunc(maps.Keys(pools), lang.PoolKey.Compare) {
					p := pools[k]
					if p.Queries == 0 {
						continue
					}
					for _, m := range slices.Sorted(maps.Keys(p.Metrics)) {
						rec := base
						rec.Dataset, rec.Setting, rec.Language, rec.Metric, rec.Value = d, string(s), k.String(), string(m), p.Metrics[m]
						out = append(out, rec)
					}
				}
			}
		}
	}
	for _, d := range Datasets(rs) {
		ts := tests(rs, d)
		cells := map[string]*results.CellResult{}
		for _, r := range rs {
			cells[r.Row()] = r
		}
		for _, sm := range ts.summarise() {
			c := cells[sm.row]
			sampler := ""
			if c.Sampler != nil {
				sampler = c.Sampler.Name
			}
			language := "all"
			switch {
			case sm.m.heldOut:
				language = "held-out"
			case sm.m.covered:
				language = "covered"
			}
			rec := Record{Dataset: d, Experiment: c.Experiment, Encoder: c.Encoder.Name, Sampler: sampler, Setting: string(sm.m.setting),
				Language: language, Metric: string(sm.m.metric), Statistic: "delta", Versus: ts.against}
			mean := rec
			mean.Value, mean.Lo, mean.Hi, mean.Mark = sm.interval.Mean, number(sm.interval.Lo), number(sm.interval.Hi), sm.Mark()
			out = append(out, mean)
			for _, t := range sm.tests {
				seed := t.seed
				one := rec
				one.Seed, one.Value, one.PHolm = &seed, t.est.Mean, number(t.adj)
				out = append(out, one)
			}
		}
	}
	return out
}

// WriteTidy writes records as CSV (a header, then TidyColumns) or as
// JSON lines (format "jsonl"): missing numbers are empty in CSV, null in
// JSON.
func WriteTidy(w io.Writer, format string, recs []Record, header bool) error {
	if format == "jsonl" {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for _, r := range recs {
			if math.IsNaN(r.Value) || math.IsInf(r.Value, 0) {
				return fmt.Errorf("%s %s %s %s: %g is no number", r.Dataset, r.Encoder, r.Setting, r.Metric, r.Value)
			}
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	cw := csv.NewWriter(w)
	if header {
		cw.Write(TidyColumns)
	}
	num := func(p *float64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatFloat(*p, 'g', -1, 64)
	}
	for _, r := range recs {
		seed := ""
		if r.Seed != nil {
			seed = strconv.FormatUint(*r.Seed, 10)
		}
		cw.Write([]string{r.Dataset, r.Experiment, r.Encoder, r.Sampler, seed, r.Setting, r.Language, r.Metric, r.Statistic,
			strconv.FormatFloat(r.Value, 'g', -1, 64), num(r.Lo), num(r.Hi), r.Mark, r.Versus, num(r.PHolm)})
	}
	cw.Flush()
	return cw.Error()
}

// number is v, or nil where v is no number (an interval that could not
// be drawn).
func number(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}
