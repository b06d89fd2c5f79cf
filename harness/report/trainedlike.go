package report

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/xlbench/xlbench/harness/lang"
	"github.com/xlbench/xlbench/harness/results"
)

// TrainedUnlike lists how r's training differs from that of the row it is
// compared with, base: its length, batch size, learning rate, the
// languages its batches reached, its training data, the languages held
// out, the stage it started from and whether its spec declares it tuned. A difference is part of what the Δ
// measures, so the differences tables flag it (≠) rather than let
// "differ only in how batches are composed" be read into them. Nil when
// either did not train (an encoder's own row) or nothing differs.
func TrainedUnlike(r, base *results.CellResult) []string {
	a, b := r.Training, base.Training
	if a == nil || b == nil {
		return nil
	}
	var out []string
	differ := func(what, x, y string) {
		if x != y {
			out = append(out, fmt.Sprintf("%s %s against %s", what, x, y))
		}
	}
	differ("steps", fmt.Sprint(a.Steps), fmt.Sprint(b.Steps))
	differ("batch", fmt.Sprint(a.BatchSize), fmt.Sprint(b.BatchSize))
	if lr, ok := r.Encoder.Params["lr"]; ok {
		differ("lr", fmt.Sprint(lr), fmt.Sprint(base.Encoder.Params["lr"]))
	}
	differ("reached", orNone(reached(a)), orNone(reached(b)))
	ia, okA := r.RecordedInputs()
	ib, okB := base.RecordedInputs()
	if okA && okB {
		differ("data", datasets(ia.Train), datasets(ib.Train))
		stage := func(in results.Inputs) string {
			if in.Stage == nil {
				return "none"
			}
			return in.Stage.Experiment + "/" + in.Stage.Cell
		}
		differ("stage", stage(ia), stage(ib))
	}
	differ("held out", orNone(r.HeldOut), orNone(base.HeldOut))
	differ("tuned", tuned(r), tuned(base))
	return out
}

// NotDeclared is what TunedBy says of a row whose spec does not say how
// its training length was chosen.
const NotDeclared = "not declared"

// TunedBy is how r's spec says its training length was chosen (the
// sampler's tuned_by), or NotDeclared.
func TunedBy(r *results.CellResult) string {
	if r.Sampler == nil || r.Sampler.TunedBy == "" {
		return NotDeclared
	}
	return r.Sampler.TunedBy
}

// tuned is whether a row declares it was tuned: two rows tuned by
// differently worded declarations of one rule are not flagged.
func tuned(r *results.CellResult) string {
	if TunedBy(r) == NotDeclared {
		return "not declared"
	}
	return "declared"
}

// reached is the languages a training's batches held, either side, from
// its batch mix.
func reached(t *results.Training) []string {
	seen := map[string]bool{}
	for pair := range t.PairLanguages {
		if k, err := lang.ParsePoolKey(pair); err == nil {
			seen[k.Query] = true
			seen[k.Candidate] = true
		}
	}
	delete(seen, "")
	return slices.Sorted(maps.Keys(seen))
}

// datasets names training datasets.
func datasets(ds []results.DatasetInput) string {
	var names []string
	for _, d := range ds {
		names = append(names, d.Name)
	}
	return orNone(names)
}

// unlikeNote is the note that explains the differences tables' ≠: per
// flagged row, how its training differs; marked says which rows carry it.
func unlikeNote(rs []*results.CellResult, ts *Tests) (note string, marked map[string]bool) {
	marked = map[string]bool{}
	var parts []string
	for _, r := range rs {
		base := ts.pair(r)
		if base == nil || marked[r.Row()] {
			continue
		}
		if d := TrainedUnlike(r, base); len(d) > 0 {
			marked[r.Row()] = true
			parts = append(parts, r.Row()+": "+strings.Join(d, "; "))
		}
	}
	if len(parts) == 0 {
		return "", marked
	}
	return "≠: the row trained unlike " + ts.other + ", so its Δ measures that too, not the batches alone — " + strings.Join(parts, ". ") + ".", marked
}
