package leaderboard

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/xlbench/xlbench/harness/metrics"
	"github.com/xlbench/xlbench/harness/report"
	"github.com/xlbench/xlbench/harness/results"
)

// Table is a section as both renderings show it: the header, and per
// entry its cells' text with a number to sort on (nil: sorts last). The
// Markdown page and the HTML page's script render the same Table, so they
// cannot disagree.
type Table struct {
	Title  string   `json:"title"`
	Header []string `json:"header"`
	Rows   [][]Cell `json:"rows"`
	Notes  []string `json:"notes"`
	// Details holds each row's provenance lines, in Rows' order, and
	// Links the sources each row's provenance links to.
	Details [][]string `json:"details"`
	Links   [][]Link   `json:"links"`
}

// Cell is one table cell.
type Cell struct {
	Text string   `json:"text"`
	Sort *float64 `json:"sort"`
}

func num(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// digitsOf is how many decimals a measure is shown with.
func digitsOf(metric metrics.Name) int {
	if metric == metrics.RankDistance {
		return 1
	}
	return 3
}

// showValue prints a mean with its interval, "0.073 (0.070–0.076)", or
// the mean alone where there is no interval.
func showValue(metric metrics.Name, v Value) string {
	d := digitsOf(metric)
	if math.IsNaN(v.Mean) {
		return "–"
	}
	if math.IsNaN(v.Lo) || math.IsNaN(v.Hi) {
		return fmt.Sprintf("%.*f", d, v.Mean)
	}
	return fmt.Sprintf("%.*f (%.*f–%.*f)", d, v.Mean, d, v.Lo, d, v.Hi)
}

// rankText is "2" or, where the evidence allows several ranks, "1–3".
func rankText(e *Entry) string {
	if e.RankLo == e.RankHi {
		return fmt.Sprint(e.RankLo)
	}
	return fmt.Sprintf("%d–%d", e.RankLo, e.RankHi)
}

// label names an entry within its section: its sampler (the section
// names the encoder), or the encoder for an entry without one; with its
// experiment and results directory where the section mixes them.
func (s *Section) label(e *Entry) string { return s.labeller()(e) }

// labeller names entries as label does, looking at the section's
// experiments and sources once: a table labels every entry, and a label
// that scanned the section each time made it quadratic in entries.
func (s *Section) labeller() func(*Entry) string {
	exps, srcs := map[string]bool{}, map[string]bool{}
	for _, o := range s.Entries {
		exps[o.Experiment], srcs[o.Provenance.Source] = true, true
	}
	return func(e *Entry) string {
		name := e.Sampler
		if name == "" {
			name = e.Name
		}
		var where []string
		if len(exps) > 1 {
			where = append(where, e.Experiment)
		}
		if len(srcs) > 1 {
			where = append(where, "from "+e.Provenance.Source)
		}
		if len(e.AlsoIn) > 0 {
			if len(exps) == 1 {
				where = append(where, e.Experiment)
			}
			where = append(where, "the same in "+strings.Join(e.AlsoIn, ", "))
		}
		if len(where) > 0 {
			name += " (" + strings.Join(where, ", ") + ")"
		}
		return name
	}
}

// overallText is the entry's rank among every entry of the dataset:
// "3 of 14", or "2–4 of 14" where the evidence allows several.
func overallText(e *Entry) string {
	switch {
	case e.OverallOf == 0:
		return "–"
	case e.OverallLo == e.OverallHi:
		return fmt.Sprintf("%d of %d", e.OverallLo, e.OverallOf)
	}
	return fmt.Sprintf("%d–%d of %d", e.OverallLo, e.OverallHi, e.OverallOf)
}

// Table lays the section out.
func (s *Section) Table() Table {
	label := s.labeller()
	t := Table{Title: s.Dataset + " — " + s.Family}
	t.Header = []string{"rank", "sampler", "rank among all encoders", "seeds", "multi mAP (95% CI)"}
	if s.Baseline != "" {
		t.Header = append(t.Header, "Δ multi mAP vs baseline (95% CI)", "detectable Δ")
	}
	var cols []Column
	for _, c := range Columns[1:] {
		if c.HeldOut && len(s.HeldOut) == 0 {
			continue
		}
		if !c.HeldOut && !s.has(c.Key) {
			continue
		}
		cols = append(cols, c)
		t.Header = append(t.Header, c.Label)
	}
	// What each entry cost: its training length and time (means over
	// seeds), where any entry trained.
	trained := slices.ContainsFunc(s.Entries, func(e *Entry) bool { _, _, ok := e.cost(); return ok })
	if trained {
		t.Header = append(t.Header, "steps", "train s", "tuned")
	}
	t.Header = append(t.Header, "verified")
	for _, e := range s.Entries {
		lo := float64(e.RankLo)
		seeds := float64(e.Seeds)
		main := e.Values[Main.Key]
		overall := float64(e.OverallLo)
		row := []Cell{{rankText(e), &lo}, {label(e), nil}, {overallText(e), &overall}, {fmt.Sprint(e.Seeds), &seeds}, {showValue(Main.Metric, main), num(main.Mean)}}
		if s.Baseline != "" {
			switch d := e.Delta; {
			case e.Baseline:
				row = append(row, Cell{"baseline", nil}, Cell{"", nil})
			case d == nil:
				row = append(row, Cell{"–", nil}, Cell{"–", nil})
			default:
				text := fmt.Sprintf("%+.4f", d.Mean)
				if d.Mark != "" {
					text += " " + d.Mark
				}
				text += fmt.Sprintf(" (%+.4f, %+.4f)", d.Lo, d.Hi)
				if !d.Paired {
					text += " unpaired"
				}
				row = append(row, Cell{text, num(d.Mean)}, Cell{fmt.Sprintf("%.4f", d.Detectable), num(d.Detectable)})
			}
		}
		for _, c := range cols {
			v, ok := e.Values[c.Key]
			if !ok {
				row = append(row, Cell{"–", nil})
				continue
			}
			row = append(row, Cell{showValue(c.Metric, v), num(v.Mean)})
		}
		if trained {
			if steps, secs, ok := e.cost(); ok {
				row = append(row, Cell{fmt.Sprintf("%.0f", steps), num(steps)}, Cell{fmt.Sprintf("%.0f", secs), num(secs)}, Cell{e.tuned(), nil})
			} else {
				row = append(row, Cell{"–", nil}, Cell{"–", nil}, Cell{"–", nil})
			}
		}
		row = append(row, Cell{verifiedText(e.Verified), float64Ptr(float64(e.Verified.Reproduced))})
		t.Rows = append(t.Rows, row)
		t.Details = append(t.Details, e.Provenance.lines(e))
		t.Links = append(t.Links, e.Provenance.Links)
	}
	t.Notes = s.notes()
	return t
}

func float64Ptr(v float64) *float64 { return &v }

// LanguageTable is the section's multilingual mAP per query language, an
// entry a row (means over seeds): where an entry's gain or loss sits.
func (s *Section) LanguageTable() Table {
	label := s.labeller()
	t := Table{Title: s.Dataset + " — " + s.Family + ": multilingual mAP per query language"}
	var langs []string
	for _, e := range s.Entries {
		for _, l := range e.Languages {
			if !slices.Contains(langs, l) {
				langs = append(langs, l)
			}
		}
	}
	t.Header = append([]string{"sampler"}, langs...)
	for _, e := range s.Entries {
		row := []Cell{{label(e), nil}}
		for _, l := range langs {
			i := slices.Index(e.Languages, l)
			if i < 0 || math.IsNaN(e.MultiByLang[i]) {
				row = append(row, Cell{"–", nil})
				continue
			}
			row = append(row, Cell{fmt.Sprintf("%.3f", e.MultiByLang[i]), num(e.MultiByLang[i])})
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// cost is the entry's training steps and seconds, means over its seeds;
// ok is false for an entry that did not train.
func (e *Entry) cost() (steps, seconds float64, ok bool) {
	n := 0
	for _, c := range e.cells {
		if c.Training != nil {
			steps += float64(c.Training.Steps)
			seconds += c.Training.Seconds
			n++
		}
	}
	if n == 0 {
		return 0, 0, false
	}
	return steps / float64(n), seconds / float64(n), true
}

// tuned says whether the entry's spec declared how its training length
// was chosen: "declared" (the declaration is in its provenance) or
// report.NotDeclared.
func (e *Entry) tuned() string {
	if len(e.Provenance.TunedBy) == 0 || slices.Contains(e.Provenance.TunedBy, report.NotDeclared) {
		return report.NotDeclared
	}
	return "declared"
}

// has reports whether any entry has a value for key.
func (s *Section) has(key string) bool {
	for _, e := range s.Entries {
		if _, ok := e.Values[key]; ok {
			return true
		}
	}
	return false
}

func verifiedText(v Verification) string {
	where := "same machine"
	if v.OtherMachine {
		where = "another machine"
	}
	switch v.Status {
	case "reproduced":
		return fmt.Sprintf("✓ %s, %s", v.When, where)
	case "reproduced, unsigned":
		return fmt.Sprintf("unsigned %s, %s", v.When, where)
	case "partly":
		return fmt.Sprintf("%d of %d cells, %s", v.Reproduced, v.Cells, v.When)
	case "differs":
		return fmt.Sprintf("✗ differs (%.2g), %s", v.MaxDeviation, v.When)
	case "changed since verified":
		return "✗ changed since verified"
	case "unbound":
		return "unbound stamp: verify again"
	}
	return "not verified"
}

// HowToRead explains what every section shows; each section's notes add
// what is its own.
const HowToRead = "Each section is one evaluation dataset and one encoder family (the same encoder, configured alike and started from the same stage), its entries the samplers it was trained with, ranked by multilingual mAP (mean over seeds). 95% intervals count questions, not queries, as the sampled unit (a question moves with all its translations and pools, in every seed at once) and add the seeds' spread (Student's t at the Welch–Satterthwaite degrees of freedom). Rank: the ranks the 95% intervals of the pairwise differences in multilingual mAP allow — a range (2–3) where the evidence cannot separate an entry from its neighbours. Rank dist: mean highest − lowest rank of a question's parallel answers in the multilingual pool (lower is better; no interval). EM, F1: the experiment's reader on each question's top candidates in the multilingual pool. Verified: whether `xlbench verify` runs reproduced every cell of the entry as it is stored now (their stamps record each file's sha256); ✓ only when every stamp is signed by a key the repository's allowed_signers lists, \"unsigned\" otherwise; and whether the rerun was on another machine than the one that produced the cell."

// notes explain the section's numbers: what is compared, how sure, what a
// null result means.
func (s *Section) notes() []string {
	out := []string{}
	if len(s.Incomplete) > 0 {
		out = append(out, "INCOMPLETE: no stored result for "+strings.Join(s.Incomplete, ", ")+"; the rows cover the stored cells only.")
	}
	if s.Baseline != "" {
		var worst float64
		for _, e := range s.Entries {
			if e.Delta != nil {
				worst = max(worst, e.Delta.Detectable)
			}
		}
		out = append(out, fmt.Sprintf("Δ: the entry minus the baseline (%s), paired by seed and question; ▲/▼ when its 95%% interval lies above/below zero, the rule of xlbench report's tables too (which add † where every seed's randomisation test agrees, after Holm). Detectable Δ: the smallest true difference the comparison finds with %.0f%% power at 5%% (two-sided), (t₀.₉₇₅ + t₀.₈)·SE. A Δ without a mark says only that any real difference is likely below it (up to %.4f here).", s.Baseline, 100*Power, worst))
	}
	if len(s.HeldOut) > 0 {
		out = append(out, "Held-out: the queries of "+strings.Join(s.HeldOut, " ")+", languages held out of fine-tuning (mono: their pools; multi: their queries in the multilingual pool).")
	}
	if slices.ContainsFunc(s.Entries, func(e *Entry) bool { _, _, ok := e.cost(); return ok }) {
		out = append(out, "Steps and train s: the training length and seconds, means over seeds. Tuned: whether the row's spec declared how that length was chosen (its sampler's tuned_by, quoted in the provenance); \"not declared\" claims nothing either way. A result stored before xlbench recorded the declaration reads as the spec it ran from declares, when that spec is at hand and still trains the sampler as the result did.")
	}
	return out
}

// lines are an entry's provenance, one fact a line.
func (p Provenance) lines(e *Entry) []string {
	hashes := func(fs []results.FileHash) string {
		var parts []string
		for _, f := range fs {
			parts = append(parts, f.Path+" sha256 "+short(f.SHA256))
		}
		if len(parts) == 0 {
			return "not recorded"
		}
		return strings.Join(parts, "; ")
	}
	ids := make([]string, len(p.CellIDs))
	for i, id := range p.CellIDs {
		ids[i] = short(id)
	}
	out := []string{
		fmt.Sprintf("%s — %s, results in %s", e.Name, e.Experiment, p.Source),
		"cells: " + strings.Join(ids, " "),
		"spec: " + hashes(p.Specs),
		"lock: " + hashes(p.Locks),
		"plugins: " + orNone(p.Plugins),
		"data: " + orNone(p.Data),
		"machine: " + orNone(p.Machines),
		submitted(p),
	}
	if len(p.TunedBy) > 0 {
		out = append(out, "tuned by: "+strings.Join(p.TunedBy, "; "))
	}
	v := e.Verified
	switch {
	case v.Status == "not verified":
		out = append(out, "verified: no verify stamp for these cells")
	case v.Reproduced == 0:
		out = append(out, "verified: "+v.Status)
	default:
		where := "the one that produced them, or not recorded"
		if v.OtherMachine {
			where = "not the one that produced them"
		}
		out = append(out, fmt.Sprintf("verified: %s, %d of %d cells reproduced by %s on %s (machine %s: %s), max deviation %.2g", v.Status, v.Reproduced, v.Cells, v.Who, v.When, orNone([]string{v.Machine}), where, v.MaxDeviation))
	}
	for _, p := range v.Problems {
		out = append(out, "not counted: "+p)
	}
	return out
}

// submitted says when the entry's cells ran and who ran them.
func submitted(p Provenance) string {
	if len(p.RunBy) == 0 {
		return "submitted: run " + orNone(p.Runs) + "; who ran it not recorded (results from before xlbench recorded it)"
	}
	return "submitted: run " + orNone(p.Runs) + " by " + strings.Join(p.RunBy, "; ")
}

func short(h string) string {
	if len(h) > 16 {
		return h[:16]
	}
	return h
}

func orNone(l []string) string {
	if len(l) == 0 {
		return "not recorded"
	}
	return strings.Join(l, "; ")
}
