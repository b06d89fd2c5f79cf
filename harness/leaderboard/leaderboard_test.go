package leaderboard

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xlbench/xlbench/harness/internal/testenv"
	"github.com/xlbench/xlbench/harness/lang"
	"github.com/xlbench/xlbench/harness/results"
)

// cell is one result of encoder enc (× sampler) and seed on dataset "d"
// (languages en, de), with multilingual per-query values ap(question) for
// 40 questions in both languages; the stored metrics agree with them.
func cell(enc, sampler string, seed uint64, ap func(q int) float64) *results.CellResult {
	name := enc
	if sampler != "" {
		name += "." + sampler
	}
	r := &results.CellResult{Experiment: "e", Cell: fmt.Sprintf("%s.seed%d", name, seed), CellID: fmt.Sprintf("%s-%d", name, seed), Seed: seed, Complete: true,
		Encoder: results.Component{Name: enc, Plugin: "builtin:" + enc}, Baseline: "monolingual",
		Datasets: map[string]results.DatasetInfo{"d": {Languages: []string{"en", "de"}}},
		Pools: map[string]map[results.Setting]map[lang.PoolKey]results.Pool{"d": {
			"mono":  {pk("en"): {Queries: 2, Metrics: results.Scores{"map": 0.6}}, pk("de"): {Queries: 2, Metrics: results.Scores{"map": 0.5}}},
			"cross": {pk("en-de"): {Queries: 2, Metrics: results.Scores{"map": 0.2}}, pk("de-en"): {Queries: 0}},
		}}}
	if sampler != "" {
		r.Sampler = &results.Component{Name: sampler}
	}
	multi := map[string]float64{}
	sum := 0.0
	for q := range 40 {
		for _, l := range []string{"en", "de"} {
			multi[fmt.Sprintf("%s:q%02d", l, q)] = ap(q)
			sum += ap(q)
		}
	}
	r.PerQuery = perQuery(map[string]map[string]map[string]float64{"d": {"multi": multi}})
	r.Metrics = map[string]map[results.Setting]results.Scores{"d": {"mono": {"map": 0.55}, "cross": {"map": 0.2}, "multi": {"map": sum / 80, "rank_distance": 12}}}
	return r
}

// base is a baseline's per-question average precision: 0.2 to 0.59.
func base(q int) float64 { return 0.2 + float64(q)/100 }

// fixture: monolingual (the baseline) and cross-lingual differ by ±0.001
// alternating over questions (no difference), hybrid is 0.1 above the
// baseline on every question, two seeds each; bm25 one cell (its own
// family).
func fixture() []*results.CellResult {
	var rs []*results.CellResult
	for seed := uint64(1); seed <= 2; seed++ {
		rs = append(rs,
			cell("dual", "monolingual", seed, base),
			cell("dual", "cross-lingual", seed, func(q int) float64 { return base(q) + 0.001*float64(1-2*(q%2)) }),
			cell("dual", "hybrid", seed, func(q int) float64 { return base(q) + 0.1 }))
	}
	return append(rs, cell("bm25", "", 1, func(q int) float64 { return 0.7 }))
}

// TestBoard: one section per dataset and encoder family; entries ranked
// by multilingual mAP with the hand-computed means (the baseline's 40
// values 0.20 … 0.59 average 0.395; hybrid 0.495); hybrid's Δ is +0.1
// exactly, its interval of zero width (every question and seed differs by
// the same), marked ▲; cross-lingual and monolingual cannot be separated
// (ranks 2–3); a cell found again in a second results directory counts
// once.
func TestBoard(t *testing.T) {
	rs := fixture()
	b := Build([]Source{{Dir: "refs", Results: rs}, {Dir: "contrib", Results: rs[:1]}}, nil)
	if len(b.Sections) != 2 || b.Sections[0].Encoder != "dual" || b.Sections[1].Encoder != "bm25" {
		t.Fatalf("sections %+v", b.Sections)
	}
	s := b.Sections[0]
	if len(s.Entries) != 3 || s.Baseline != "dual × monolingual" {
		t.Fatalf("entries %d, baseline %q", len(s.Entries), s.Baseline)
	}
	got := map[string]*Entry{}
	for _, e := range s.Entries {
		got[e.Sampler] = e
	}
	h, m, c := got["hybrid"], got["monolingual"], got["cross-lingual"]
	if s.Entries[0] != h || h.Seeds != 2 || m.Seeds != 2 {
		t.Fatalf("order %s %s %s, seeds %d %d", s.Entries[0].Name, s.Entries[1].Name, s.Entries[2].Name, h.Seeds, m.Seeds)
	}
	if v := m.Values[Main.Key]; math.Abs(v.Mean-0.395) > 1e-12 || !(v.Lo < 0.395 && v.Hi > 0.395) {
		t.Errorf("baseline multi mAP %+v, want 0.395 inside its interval", v)
	}
	if v := h.Values[Main.Key]; math.Abs(v.Mean-0.495) > 1e-12 {
		t.Errorf("hybrid multi mAP %v, want 0.495", v.Mean)
	}
	if d := h.Delta; d == nil || math.Abs(d.Mean-0.1) > 1e-12 || math.Abs(d.Lo-0.1) > 1e-12 || math.Abs(d.Hi-0.1) > 1e-12 || d.Mark != "▲" || !d.Paired {
		t.Errorf("hybrid Δ %+v, want +0.1 (0.1, 0.1) ▲ paired", h.Delta)
	}
	if d := c.Delta; d == nil || d.Mark != "" || !(d.Lo < 0 && d.Hi > 0) || !(d.Detectable > 0) {
		t.Errorf("cross-lingual Δ %+v, want an unmarked interval around 0 and a detectable difference", c.Delta)
	}
	if m.Delta != nil || !m.Baseline {
		t.Errorf("the baseline has a Δ %+v", m.Delta)
	}
	if h.RankLo != 1 || h.RankHi != 1 || m.RankLo != 2 || m.RankHi != 3 || c.RankLo != 2 || c.RankHi != 3 {
		t.Errorf("ranks hybrid %d–%d, monolingual %d–%d, cross %d–%d; want 1, 2–3, 2–3", h.RankLo, h.RankHi, m.RankLo, m.RankHi, c.RankLo, c.RankHi)
	}
	if v, ok := h.Values["multi rank_distance"]; !ok || v.Mean != 12 || !math.IsNaN(v.Lo) {
		t.Errorf("rank distance %+v: the stored mean, no interval", v)
	}
	if h.Provenance.Source != "refs" || len(h.Provenance.CellIDs) != 2 {
		t.Errorf("provenance %+v", h.Provenance)
	}
	md := Markdown(b)
	for _, want := range []string{"## d", "### dual (builtin:dual ", "| 1 | hybrid | 2 of 4 | 2 | 0.495 (",
		"+0.1000 ▲ (+0.1000, +0.1000)", "| 2–3 | ", "baseline", "### bm25", "not verified", "## Provenance"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

// TestVerification: a row is reproduced when a stamp's verdicts cover all
// its cells with their cell ids; partly when some; a verdict for another
// cell id (the cell was rerun with other inputs since) does not count; a
// later "differs" outweighs an earlier success.
func TestVerification(t *testing.T) {
	rs := fixture()
	for _, c := range rs {
		c.Stored.ResultSHA256 = "sha256 of " + c.Cell
	}
	stamp := func(outcome string, day int, cells ...*results.CellResult) results.Stamp {
		s := results.Stamp{Who: "ana@lab", When: time.Date(2026, 12, day, 0, 0, 0, 0, time.UTC)}
		for _, c := range cells {
			s.Cells = append(s.Cells, results.Verdict{Experiment: c.Experiment, Cell: c.Cell, CellID: c.CellID, Outcome: outcome, ResultSHA256: c.Stored.ResultSHA256})
		}
		return s
	}
	mono1, mono2, hyb1, hyb2 := rs[0], rs[3], rs[2], rs[5]
	other := *hyb2
	other.CellID = "another-id"
	stamps := []results.Stamp{stamp(results.Reproduced, 1, mono1, mono2, hyb1, &other), stamp(results.Reproduced, 2, rs[1], rs[4]), stamp(results.Differs, 3, rs[4])}
	b := Build([]Source{{Dir: "refs", Results: rs, Stamps: stamps}}, nil)
	// Unsigned stamps: reproduced, but never shown as ✓ (signed stamps:
	// TestVerifyStampsTheLeaderboard in package cli).
	want := map[string]string{"monolingual": "reproduced, unsigned", "hybrid": "partly", "cross-lingual": "differs"}
	for _, e := range b.Sections[0].Entries {
		if e.Verified.Status != want[e.Sampler] {
			t.Errorf("%s: %+v, want %s", e.Name, e.Verified, want[e.Sampler])
		}
	}
	if v := b.Sections[0].Entries[1].Verified; v.Who != "ana@lab" {
		t.Errorf("who %q", v.Who)
	}
	if e := b.Sections[1].Entries[0]; e.Verified.Status != "not verified" {
		t.Errorf("bm25 %+v", e.Verified)
	}
}

func chromium(t *testing.T) string {
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is missing under CI (make test installs it)")
		}
		t.Skip("chromium not installed")
	}
	return path
}

// probe is appended to a page under test: it clicks the header of a
// column of the first table, reads that table's rows back, and measures
// every SVG text against its SVG's box and every table cell's text
// against its cell; it writes what it found into the page, which the test
// reads from Chromium's DOM dump.
const probe = `<script>
(function () {
  const out = [];
  const table = document.querySelector('table.board');
  const before = [...table.querySelectorAll('tbody tr')].map(r => r.cells[1].textContent);
  const th = [...table.querySelectorAll('th')].find(h => h.textContent.startsWith(COLUMN));
  th.click();
  const t2 = document.querySelector('table.board');
  const after = [...t2.querySelectorAll('tbody tr')].map(r => r.cells[1].textContent + '=' + r.cells[th.cellIndex].textContent);
  out.push('sorted:' + after.join('|'));
  out.push('header:' + [...t2.querySelectorAll('th')].map(h => h.textContent).join('|'));
  document.querySelectorAll('svg').forEach((svg, i) => {
    const w = +svg.getAttribute('width'), h = +svg.getAttribute('height');
    svg.querySelectorAll('text').forEach(el => {
      const b = el.getBBox();
      let x = b.x, y = b.y, x2 = b.x + b.width, y2 = b.y + b.height;
      const tr = el.getAttribute('transform');
      if (tr) { // rotated by -90 about (cx, cy): the box turns round its centre
        const [cx, cy] = tr.match(/[-\d.]+/g).slice(1).map(Number);
        [x, y, x2, y2] = [cx - (y2 - cy), cy - (x2 - cx), cx - (y - cy), cy - (x - cx)];
        [x, x2] = [Math.min(x, x2), Math.max(x, x2)];
        [y, y2] = [Math.min(y, y2), Math.max(y, y2)];
      }
      if (x < -0.5 || y < -0.5 || x2 > w + 0.5 || y2 > h + 0.5) out.push('clipped:svg ' + i + ' "' + el.textContent + '" box ' + [x, y, x2, y2].map(Math.round) + ' in ' + w + 'x' + h);
    });
  });
  document.querySelectorAll('td, th').forEach(c => {
    if (c.scrollWidth > c.clientWidth + 1) out.push('clipped:cell "' + c.textContent + '"');
  });
  out.push('svgs:' + document.querySelectorAll('svg').length);
  // The filter keeps the entries whose name holds its text.
  const f = document.getElementById('filter');
  f.value = 'hybrid';
  f.oninput({target: f});
  out.push('filtered:' + [...document.querySelectorAll('table.board tbody tr')].filter(r => r.style.display !== 'none').map(r => r.cells[1].textContent).join('|'));
  out.push('langtables:' + document.querySelectorAll('table.lang').length);
  f.value = '';
  f.oninput({target: f});
  // Every provenance open, the page is no wider than the window.
  document.querySelectorAll('details').forEach(d => d.open = true);
  const de = document.documentElement;
  out.push('page:' + de.scrollWidth + ' in ' + de.clientWidth);
  out.push('tables:' + document.querySelectorAll('table.board').length + ' ' + document.querySelectorAll('table.board tbody tr').length);
  const pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = out.join('\n');
  document.body.appendChild(pre);
})();
</script>`

// render loads page in headless Chromium with the probe sorting column,
// and returns the probe's lines.
func render(t *testing.T, page, column string, width int) []string {
	t.Helper()
	page = strings.Replace(page, "</body>", strings.Replace(probe, "COLUMN", "'"+column+"'", 1)+"</body>", 1)
	path := filepath.Join(t.TempDir(), "leaderboard.html")
	if err := os.WriteFile(path, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(chromium(t), "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=2000", fmt.Sprintf("--window-size=%d,1000", width), "--dump-dom", "file://"+path).Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	dom := string(out)
	i := strings.Index(dom, `<pre id="probe">`)
	if i < 0 {
		t.Fatalf("the probe did not run; page:\n%s", dom[:min(len(dom), 3000)])
	}
	text := dom[i+len(`<pre id="probe">`):]
	text = text[:strings.Index(text, "</pre>")]
	return strings.Split(strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`).Replace(text), "\n")
}

// TestPageInChromium loads the fixture's page: sorting on the main
// measure (a click: descending) puts hybrid first, the sort mark shows,
// and no chart text or table cell is cut off.
func TestPageInChromium(t *testing.T) {
	page, err := HTML(Build([]Source{{Dir: "refs", Results: fixture()}}, nil))
	if err != nil {
		t.Fatal(err)
	}
	// A phone's width and a desktop's.
	for _, width := range []int{390, 1400} {
		lines := render(t, page, "multi mAP", width)
		var sorted, header string
		for _, l := range lines {
			switch {
			case strings.HasPrefix(l, "sorted:"):
				sorted = l
			case strings.HasPrefix(l, "header:"):
				header = l
			case strings.HasPrefix(l, "clipped:"):
				t.Errorf("%d px: %s", width, l)
			case strings.HasPrefix(l, "page:"):
				var w, in int
				if _, err := fmt.Sscanf(l, "page:%d in %d", &w, &in); err != nil || w > in {
					t.Errorf("%d px, every provenance open: the page overflows the window (%s)", width, l)
				}
			}
		}
		if !strings.HasPrefix(sorted, "sorted:hybrid=0.495") || !strings.Contains(sorted, "|monolingual=0.395") {
			t.Errorf("%d px, after sorting: %s", width, sorted)
		}
		if !slices.Contains(lines, "filtered:hybrid") || !slices.Contains(lines, "langtables:2") {
			t.Errorf("%d px: the filter or the per-language tables: %v", width, lines)
		}
		// The sort arrow is not a significance mark.
		if !strings.Contains(header, "multi mAP (95% CI) ↓") {
			t.Errorf("%d px, no sort mark: %s", width, header)
		}
	}
}

// TestCommittedLeaderboardInChromium builds the board of the results
// committed under results/ and checks it in Chromium: each dataset's
// sampler comparison is there, sorting by mono mAP orders the rows by it,
// and no title, label or number of any chart or table is cut off.
func TestCommittedLeaderboardInChromium(t *testing.T) {
	var rs []*results.CellResult
	for _, exp := range []string{"xquad-r-zero-shot", "multilingual-base"} {
		got, err := results.ReadAll(filepath.Join(testenv.ModuleRoot(), "results"), exp)
		if err != nil || len(got) == 0 {
			t.Fatalf("committed results of %s: %d, %v", exp, len(got), err)
		}
		rs = append(rs, got...)
	}
	b := Build([]Source{{Dir: "results", Results: rs}}, nil)
	var datasets []string
	for _, s := range b.Sections {
		if s.Encoder == "dual" {
			datasets = append(datasets, s.Dataset)
			if len(s.Entries) != 4 || s.Baseline == "" {
				t.Errorf("%s: %d dual entries, baseline %q", s.Dataset, len(s.Entries), s.Baseline)
			}
		}
	}
	if strings.Join(datasets, " ") != "mlqa-r xquad-r" {
		t.Errorf("sampler comparisons on %v", datasets)
	}
	page, err := HTML(b)
	if err != nil {
		t.Fatal(err)
	}
	// At a phone's width, every provenance open, nothing is cut off and
	// the page does not overflow the window.
	for _, l := range render(t, page, "mono mAP", 390) {
		var w, in int
		if strings.HasPrefix(l, "clipped:") || strings.HasPrefix(l, "page:") && (func() bool { fmt.Sscanf(l, "page:%d in %d", &w, &in); return w > in })() {
			t.Errorf("390 px: %s", l)
		}
	}
	lines := render(t, page, "mono mAP", 1400)
	svgs := 0
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "clipped:"):
			t.Error(l)
		case strings.HasPrefix(l, "svgs:"):
			fmt.Sscan(strings.TrimPrefix(l, "svgs:"), &svgs)
		case strings.HasPrefix(l, "sorted:"):
			var last = math.Inf(1)
			for _, r := range strings.Split(strings.TrimPrefix(l, "sorted:"), "|") {
				var v float64
				_, after, _ := strings.Cut(r, "=")
				fmt.Sscan(after, &v)
				if v > last {
					t.Errorf("not sorted by mono mAP, descending: %s", l)
				}
				last = v
			}
		}
	}
	entries := 0
	for _, s := range b.Sections {
		entries += len(s.Entries)
	}
	if svgs != 2*entries {
		t.Errorf("%d charts on the page, want %d", svgs, 2*entries)
	}
	if want := fmt.Sprintf("tables:%d %d", len(b.Sections), entries); !slices.Contains(lines, want) {
		t.Errorf("rendered tables: want %q in %q", want, lines)
	}
}

// TestHostileNamesStayText: names and languages from results directories
// (a contribution is anyone's) are text on the page, never markup: an
// encoder, a dataset and a language carrying an <img onerror> that would
// change the page's title run nothing in Chromium, and show as text.
func TestHostileNamesStayText(t *testing.T) {
	const attack = `<img src=x onerror="document.title='pwned'">`
	rs := fixture()
	for _, r := range rs {
		r.Encoder.Name = attack
		r.Experiment = attack
		d := r.Datasets["d"]
		d.Languages = []string{"en", attack}
		r.Datasets = map[string]results.DatasetInfo{attack: d}
		r.Metrics = map[string]map[results.Setting]results.Scores{attack: r.Metrics["d"]}
		r.Pools = map[string]map[results.Setting]map[lang.PoolKey]results.Pool{attack: r.Pools["d"]}
		r.PerQuery = results.PerQuery{attack: r.PerQuery["d"]}
	}
	b := Build([]Source{{Dir: attack, Results: rs}}, nil)
	b.Refused = []string{attack + ": refused"}
	page, err := HTML(b)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(page, "<img") {
		t.Error("the page holds an <img> element written by the server")
	}
	if md := Markdown(b); strings.Contains(md, "<img") {
		t.Error("the Markdown holds an <img> element")
	}
	path := filepath.Join(t.TempDir(), "leaderboard.html")
	os.WriteFile(path, []byte(page), 0o644)
	out, err := exec.Command(chromium(t), "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=2000", "--dump-dom", "file://"+path).Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	dom := string(out)
	if strings.Contains(dom, "pwned") && !strings.Contains(dom, "document.title='pwned'") || strings.Contains(dom, "<title>pwned") {
		t.Error("the injected script ran")
	}
	if strings.Contains(dom, "<img") {
		t.Error("the rendered page holds an <img> element")
	}
	if !strings.Contains(dom, "&lt;img src=x") {
		t.Error("the hostile name is not shown as text")
	}
}

// perQuery types per-query values keyed dataset → series, as the
// per-query file names it ("mono", "multi/f1") → "pool:question".
func perQuery(m map[string]map[string]map[string]float64) results.PerQuery {
	typed := map[string]map[results.Series]map[string]float64{}
	for ds, bySeries := range m {
		typed[ds] = map[results.Series]map[string]float64{}
		for name, vals := range bySeries {
			s, err := results.ParseSeries(name)
			if err != nil {
				panic(err)
			}
			typed[ds][s] = vals
		}
	}
	pq, err := results.NewPerQuery(typed)
	if err != nil {
		panic(err)
	}
	return pq
}

// pk reads a pool key ("en", "en-de").
func pk(s string) lang.PoolKey {
	k, err := lang.ParsePoolKey(s)
	if err != nil {
		panic(err)
	}
	return k
}

// TestPlotNamesUnique: entries whose names slug alike get different plot
// files.
func TestPlotNamesUnique(t *testing.T) {
	a := PlotName(&Section{Dataset: "tiny"}, &Entry{Experiment: "a-b", Name: "x"})
	b := PlotName(&Section{Dataset: "b-tiny"}, &Entry{Experiment: "a", Name: "x"})
	if a == b || !strings.HasPrefix(a, "a-b-tiny-x-") {
		t.Errorf("plot names %q and %q", a, b)
	}
}

// TestBarsShowSeedSpread: a bar whose seeds differ carries a whisker of ±
// one sd, its label above it; a bar of one seed has none; the section's
// scale makes room for the whisker.
func TestBarsShowSeedSpread(t *testing.T) {
	e := &Entry{Name: "dual × hybrid", Languages: []string{"de", "en"}, MultiByLang: []float64{0.2, 0.1}, MultiSpread: []float64{0.05, math.NaN()}}
	s := &Section{Entries: []*Entry{e}}
	if hi := s.BarsScale(); math.Abs(hi-0.25) > 1e-12 {
		t.Errorf("scale %g, want 0.25 (bar and whisker)", hi)
	}
	svg := BarsSVG(e, "d", s.BarsScale())
	if n := strings.Count(svg, `class="sd"`); n != 1 {
		t.Fatalf("%d whiskers, want 1:\n%s", n, svg)
	}
	var x1, y1, x2, y2 int
	i := strings.Index(svg, `class="sd"`)
	fmt.Sscanf(svg[i:], `class="sd" x1="%d" y1="%d" x2="%d" y2="%d"`, &x1, &y1, &x2, &y2)
	j := strings.Index(svg, `class="bar"`)
	var lx, ly int
	fmt.Sscanf(svg[j:], `class="bar" x="%d" y="%d"`, &lx, &ly)
	if !(y1 < y2) || ly >= y1 {
		t.Errorf("whisker %d–%d, label at %d: the label must sit above the whisker", y1, y2, ly)
	}
}

// TestOneRowPerUntrainedEncoder: BM25 evaluated alike in two experiments
// is one row naming both; every entry of a dataset gets a rank among all
// encoder families (BM25's 0.7 above every dual row here).
func TestOneRowPerUntrainedEncoder(t *testing.T) {
	rs := fixture()
	again := *rs[len(rs)-1]
	again.Experiment, again.CellID = "other", "bm25-other"
	b := Build([]Source{{Dir: "refs", Results: append(rs, &again)}}, nil)
	var bm25 *Section
	for _, s := range b.Sections {
		if s.Encoder == "bm25" {
			bm25 = s
		}
	}
	if bm25 == nil || len(bm25.Entries) != 1 || !slices.Equal(bm25.Entries[0].AlsoIn, []string{"other"}) {
		t.Fatalf("bm25 section %+v", bm25)
	}
	if got := bm25.label(bm25.Entries[0]); got != "bm25 (e, the same in other)" {
		t.Errorf("label %q", got)
	}
	if e := bm25.Entries[0]; e.OverallLo != 1 || e.OverallHi != 1 || e.OverallOf != 4 {
		t.Errorf("bm25 ranks %d–%d of %d among all, want 1 of 4", e.OverallLo, e.OverallHi, e.OverallOf)
	}
}
