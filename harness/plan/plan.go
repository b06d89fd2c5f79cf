// Package plan lays out an experiment's matrix of cells — encoders ×
// samplers × seeds, each trained cell pointing at the one cell of the
// stage it starts from — and describes each cell by its inputs, whose
// hash is its cell id. It runs nothing: xlbench plan needs only this
// package and the data directory whose files' checksums enter the ids.
package plan

import (
	"fmt"

	"github.com/xlbench/xlbench/harness/results"
	"github.com/xlbench/xlbench/harness/spec"
)

// Cell is one point of an experiment's matrix.
type Cell struct {
	Experiment *spec.Experiment
	Encoder    *spec.Component
	Sampler    *spec.Component // nil for an evaluation-only cell
	Seed       uint64
	// Name is unique within the experiment and safe as a directory name:
	// "<encoder>[.<sampler>].seed<N>".
	Name string
	// Stage is the pretraining cell whose model this cell's encoder starts
	// from; nil for a cell that starts from scratch or does not train.
	Stage *Cell
	// Inputs, set by Runner.Run, describe the cell for its id and manifest.
	Inputs *results.Inputs
}

// Plan lists an experiment's cells in a fixed order: encoders, then
// samplers, then seeds, each in spec order. Without training data there
// are no samplers, and each encoder is evaluated once per seed. An encoder
// that does not train (its plugin says so) is evaluated once, with the first
// seed, whatever the samplers. The trained cells of an experiment with a
// pretraining stage point at the stage's one cell.
func Plan(e *spec.Experiment) []Cell {
	var cells []Cell
	stage := StageCell(e)
	for _, enc := range e.Encoders {
		samplers, seeds := e.Samplers, e.Seeds
		if len(samplers) > 0 && !enc.Info.Trainable {
			samplers, seeds = nil, seeds[:1]
		}
		if len(samplers) == 0 {
			samplers = []*spec.Component{nil}
		}
		for _, s := range samplers {
			for _, seed := range seeds {
				name := enc.Name
				if s != nil {
					name += "." + s.Name
				}
				name += fmt.Sprintf(".seed%d", seed)
				c := Cell{Experiment: e, Encoder: enc, Sampler: s, Seed: seed, Name: name}
				if s != nil {
					c.Stage = stage
				}
				cells = append(cells, c)
			}
		}
	}
	return cells
}

// StageCell is the one cell of the pretraining stage e starts from (a
// stage has one encoder, sampler and seed: spec.Check), or nil.
func StageCell(e *spec.Experiment) *Cell {
	if e.StartFrom == nil {
		return nil
	}
	return &Plan(e.StartFrom)[0]
}
