package leaderboard

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xlbench/xlbench/harness/eval"
	"github.com/xlbench/xlbench/harness/internal/testenv"
	"github.com/xlbench/xlbench/harness/report"
)

// results: two seeds of dual × hybrid (mono mAP 0.6 and 0.8) and one bm25
// cell, over languages en and de.
func results() []*report.CellResult {
	cell := func(name, sampler string, mono, multi float64) *report.CellResult {
		r := &report.CellResult{Experiment: "e", Cell: name, Complete: true, Encoder: report.Component{Name: strings.Split(name, ".")[0]},
			Datasets: map[string]report.DatasetInfo{"d": {Languages: []string{"en", "de"}}},
			Metrics: map[string]map[string]map[string]float64{"d": {
				"mono": {"map": mono}, "cross": {"map": 0.25}, "multi": {"map": multi, "recall@1": 0.5, "rank_distance": 12},
			}},
			Pools: map[string]map[string]map[string]eval.Pool{"d": {
				"mono":  {"en": {Queries: 2, Metrics: map[string]float64{"map": mono}}, "de": {Queries: 2, Metrics: map[string]float64{"map": 0.5}}},
				"cross": {"en-de": {Queries: 2, Metrics: map[string]float64{"map": 0.2}}, "de-en": {Queries: 0}},
				"multi": {"en": {Queries: 2, Metrics: map[string]float64{"map": multi}}},
			}}}
		if sampler != "" {
			r.Sampler = &report.Component{Name: sampler}
		}
		return r
	}
	return []*report.CellResult{cell("bm25.seed1", "", 0.7, 0.3), cell("dual.hybrid.seed1", "hybrid", 0.6, 0.4), cell("dual.hybrid.seed2", "hybrid", 0.8, 0.5)}
}

// TestRows: seeds average (mono (0.6+0.8)/2 = 0.7, multi 0.45), rows sort by
// multilingual mAP, and the heatmap puts mono pools on the diagonal, cross
// pools off it, and nothing where a pool scored no question.
func TestRows(t *testing.T) {
	rows := Rows(results())
	if len(rows) != 2 || rows[0].Name != "dual × hybrid" || rows[0].Seeds != 2 || rows[1].Name != "bm25" {
		t.Fatalf("rows %+v", rows)
	}
	h := rows[0]
	if math.Abs(h.Metrics["mono map"]-0.7) > 1e-12 || math.Abs(h.Metrics["multi map"]-0.45) > 1e-12 {
		t.Errorf("means %v", h.Metrics)
	}
	if math.Abs(h.Heat[0][0]-0.7) > 1e-12 || h.Heat[0][1] != 0.2 || !math.IsNaN(h.Heat[1][0]) || h.Heat[1][1] != 0.5 {
		t.Errorf("heat %v", h.Heat)
	}
	if math.Abs(h.MultiByLang[0]-0.45) > 1e-12 || !math.IsNaN(h.MultiByLang[1]) {
		t.Errorf("bars %v", h.MultiByLang)
	}
	md := Markdown(rows)
	for _, want := range []string{"## e / d", "| 1 | dual × hybrid | 2 | 0.700 | 0.250 | 0.450 | 0.500 | 12.0 | – | – |", "| 2 | bm25 | 1 |"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	svg := HeatmapSVG(h)
	if !strings.Contains(svg, ">0.70</text>") || !strings.Contains(svg, ">0.20</text>") || !strings.Contains(svg, ">–</text>") {
		t.Errorf("heatmap:\n%s", svg)
	}
}

// TestPageRendersInChromium loads the page in headless Chromium and reads
// the table the page's script built: the numbers are there, sorted by
// multilingual mAP.
func TestPageRendersInChromium(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is missing under CI (make test installs it)")
		}
		t.Skip("chromium not installed")
	}
	page, err := HTML(Rows(results()))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "leaderboard.html")
	os.WriteFile(path, []byte(page), 0o644)
	out, err := exec.Command(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", "file://"+path).Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	body := regexp.MustCompile(`<tbody>(.*)</tbody>`).FindString(string(out))
	cells := regexp.MustCompile(`<td[^>]*>([^<]*)</td>`).FindAllStringSubmatch(body, -1)
	var got []string
	for _, c := range cells {
		got = append(got, c[1])
	}
	want := []string{"e", "d", "dual × hybrid", "2", "0.700", "0.250", "0.450", "0.500", "12.0", "–", "–",
		"e", "d", "bm25", "1", "0.700", "0.250", "0.300", "0.500", "12.0", "–", "–"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("rendered table cells:\n%q\nwant\n%q", got, want)
	}
	if !strings.Contains(string(out), "multi mAP ▼") {
		t.Error("no sort mark on the multilingual mAP column")
	}
}

// TestCommittedResultsRender builds the page from the results committed
// under results/ and reads the rendered table back from Chromium: every
// row of the default experiment is there with its multilingual mAP.
func TestCommittedResultsRender(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is missing under CI (make test installs it)")
		}
		t.Skip("chromium not installed")
	}
	rs, err := report.ReadAll(filepath.Join(testenv.ModuleRoot(), "results"), "xquad-r-zero-shot")
	// Four samplers × three seeds and BM25.
	if err != nil || len(rs) != 13 {
		t.Fatalf("%d committed results of the default experiment, %v", len(rs), err)
	}
	rows := Rows(rs)
	page, err := HTML(rows)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "leaderboard.html")
	os.WriteFile(path, []byte(page), 0o644)
	out, err := exec.Command(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", "file://"+path).Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	dom := string(out)
	for _, r := range rows {
		want := fmt.Sprintf(`<td class="name">%s</td>`, r.Name)
		if !strings.Contains(dom, want) || !strings.Contains(dom, fmt.Sprintf("<td>%.3f</td>", r.Metrics["multi map"])) {
			t.Errorf("rendered page lacks row %s (multi mAP %.3f)", r.Name, r.Metrics["multi map"])
		}
	}
	body := regexp.MustCompile(`<tbody>(.*)</tbody>`).FindString(dom)
	if n := strings.Count(body, "<tr>"); n != len(rows) {
		t.Errorf("%d table rows rendered, want %d", n, len(rows))
	}
}

// TestHostileNamesStayText: names and languages from results directories
// (a contribution is anyone's) are text on the page, never markup: an
// encoder, a dataset and a language carrying an <img onerror> that would
// change the page's title run nothing in Chromium, and show as text.
func TestHostileNamesStayText(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is missing under CI (make test installs it)")
		}
		t.Skip("chromium not installed")
	}
	const attack = `<img src=x onerror="document.title='pwned'">`
	rs := results()
	for _, r := range rs {
		r.Encoder.Name = attack
		r.Experiment = attack
		d := r.Datasets["d"]
		d.Languages = []string{"en", attack}
		r.Datasets = map[string]report.DatasetInfo{attack: d}
		r.Metrics = map[string]map[string]map[string]float64{attack: r.Metrics["d"]}
		r.Pools = map[string]map[string]map[string]eval.Pool{attack: r.Pools["d"]}
	}
	page, err := HTML(Rows(rs))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(page, "<img") {
		t.Error("the page holds an <img> element written by the server")
	}
	path := filepath.Join(t.TempDir(), "leaderboard.html")
	os.WriteFile(path, []byte(page), 0o644)
	out, err := exec.Command(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=2000", "--dump-dom", "file://"+path).Output()
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
