package cli_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/xlbench/xlbench/harness/results"
)

var updateBehaviour = flag.Bool("update-behaviour", false, "rewrite testdata/behaviour.golden.json from this build")

// behaviourGolden is testdata/behaviour.golden.json: per cell of
// testdata/behaviour.hcl, the behaviour versions that decided it and its
// metrics.
type behaviourGolden struct {
	ResultFormat string                   `json:"result_format"`
	Cells        map[string]behaviourCell `json:"cells"`
}

type behaviourCell struct {
	// Plugins maps each built-in the cell ran to its version.
	Plugins map[string]string                             `json:"plugins"`
	Metrics map[string]map[results.Setting]results.Scores `json:"metrics"`
}

// TestBuiltinBehaviourGolden guards the behaviour versions that make cell
// ids reproducible: built-ins are identified by name and version, not by
// the binary, so a change to what a built-in computes must bump its
// version (or results.ResultFormat for a change in the harness). The tiny
// experiment's metrics per cell are golden, with the versions that made
// them: changed metrics under unchanged versions fail, naming the plugins
// to consider; changed versions ask for the golden file to be rewritten
// (go test ./harness/cli -run BuiltinBehaviour -update-behaviour).
func TestBuiltinBehaviourGolden(t *testing.T) {
	out := t.TempDir()
	if _, stderr, code := xlbench(t, "run", "-data", tinyData(), "-out", out, "testdata/behaviour.hcl"); code != 0 {
		t.Fatalf("run: code %d\n%s", code, stderr)
	}
	rs, err := results.ReadAll(out, "behaviour")
	if err != nil {
		t.Fatal(err)
	}
	got := behaviourGolden{ResultFormat: results.ResultFormat, Cells: map[string]behaviourCell{}}
	for _, r := range rs {
		c := behaviourCell{Plugins: map[string]string{r.Encoder.Plugin: r.Encoder.PluginVersion}, Metrics: r.Metrics}
		if r.Sampler != nil {
			c.Plugins[r.Sampler.Plugin] = r.Sampler.PluginVersion
		}
		if r.Reading != nil {
			c.Plugins[r.Reading.Reader.Plugin] = r.Reading.Reader.PluginVersion
		}
		got.Cells[r.Cell] = c
	}
	const golden = "testdata/behaviour.golden.json"
	if *updateBehaviour {
		b, _ := json.MarshalIndent(got, "", "  ")
		if err := os.WriteFile(golden, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	raw, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	var want behaviourGolden
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatalf("%s: %v", golden, err)
	}
	for _, msg := range compareBehaviour(want, got) {
		t.Error(msg)
	}
}

// compareBehaviour lists what differs between the golden behaviour and
// this build's: a cell whose versions changed (rewrite the golden file),
// or whose metrics changed under the same versions (bump a version).
func compareBehaviour(want, got behaviourGolden) []string {
	var msgs []string
	cells, golden := slices.Sorted(maps.Keys(got.Cells)), slices.Sorted(maps.Keys(want.Cells))
	if !slices.Equal(golden, cells) {
		return []string{fmt.Sprintf("cells %v, golden %v: rewrite the golden file (-update-behaviour)", cells, golden)}
	}
	for _, cell := range cells {
		w, g := want.Cells[cell], got.Cells[cell]
		if want.ResultFormat != got.ResultFormat || !maps.Equal(w.Plugins, g.Plugins) {
			msgs = append(msgs, fmt.Sprintf("cell %s: versions %v (result format %s), golden %v (result format %s): check the change is meant, then rewrite the golden file (-update-behaviour)",
				cell, g.Plugins, got.ResultFormat, w.Plugins, want.ResultFormat))
			continue
		}
		if diff := metricDiff(w.Metrics, g.Metrics); diff != "" {
			var plugins []string
			for _, p := range slices.Sorted(maps.Keys(g.Plugins)) {
				plugins = append(plugins, p+" "+g.Plugins[p])
			}
			msgs = append(msgs, fmt.Sprintf("cell %s: %s with the same versions (%s; result format %s): the behaviour changed without a version bump. "+
				"Bump the Version of the built-in whose results changed (or results.ResultFormat if the harness's did), then rewrite the golden file (-update-behaviour)",
				cell, diff, strings.Join(plugins, ", "), got.ResultFormat))
		}
	}
	return msgs
}

// metricDiff names the first metric that differs by more than rounding
// (1e-9 relative), or a metric present on one side only; "" when none.
func metricDiff(want, got map[string]map[results.Setting]results.Scores) string {
	d := results.Compare(&results.CellResult{Metrics: want}, &results.CellResult{Metrics: got}, 1e-9)
	if len(d) == 0 {
		return ""
	}
	k := fmt.Sprintf("%s/%s/%s", d[0].Dataset, d[0].Setting, d[0].Metric)
	if math.IsNaN(d[0].Want) || math.IsNaN(d[0].Got) {
		return fmt.Sprintf("metric %s is in only one of golden and this build", k)
	}
	return fmt.Sprintf("%s = %.12g, golden %.12g", k, d[0].Got, d[0].Want)
}

// TestCompareBehaviour: changed metrics under the same versions ask for a
// version bump, naming the cell and plugins; changed versions ask for the
// golden file to be rewritten.
func TestCompareBehaviour(t *testing.T) {
	cell := func(version string, m float64) behaviourGolden {
		return behaviourGolden{ResultFormat: "2", Cells: map[string]behaviourCell{"bm25.seed1": {
			Plugins: map[string]string{"builtin:bm25": version},
			Metrics: map[string]map[results.Setting]results.Scores{"tiny": {"mono": {"map": m}}}}}}
	}
	if msgs := compareBehaviour(cell("1.0.0", 0.5), cell("1.0.0", 0.5+1e-12)); len(msgs) != 0 {
		t.Errorf("rounding reported: %v", msgs)
	}
	msgs := compareBehaviour(cell("1.0.0", 0.5), cell("1.0.0", 0.6))
	if len(msgs) != 1 || !strings.Contains(msgs[0], "cell bm25.seed1: tiny/mono/map = 0.6, golden 0.5 with the same versions (builtin:bm25 1.0.0; result format 2): the behaviour changed without a version bump") {
		t.Errorf("changed metric: %v", msgs)
	}
	msgs = compareBehaviour(cell("1.0.0", 0.5), cell("1.1.0", 0.6))
	if len(msgs) != 1 || !strings.Contains(msgs[0], "rewrite the golden file") {
		t.Errorf("changed version: %v", msgs)
	}
}
