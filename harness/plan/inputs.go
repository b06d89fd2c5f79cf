package plan

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/xlbench/xlbench/harness/dataset"
	"github.com/xlbench/xlbench/harness/internal/filehash"
	"github.com/xlbench/xlbench/harness/internal/safepath"
	"github.com/xlbench/xlbench/harness/results"
	"github.com/xlbench/xlbench/harness/spec"
	"github.com/xlbench/xlbench/plugins"
)

// checksums computes file checksums once per run.
type checksums struct {
	mu    sync.Mutex
	files map[string]string
}

func (c *checksums) file(path string) (string, error) {
	c.mu.Lock()
	sum, ok := c.files[path]
	c.mu.Unlock()
	if ok {
		return sum, nil
	}
	sum, err := filehash.SHA256(path)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	if c.files == nil {
		c.files = map[string]string{}
	}
	c.files[path] = sum
	c.mu.Unlock()
	return sum, nil
}

// readerInputs is everything that decides a trained reader: the
// harness's result format, the reader with its checked parameters and
// version (or executable's sha256), the training datasets' files, the
// held-out languages and the seed it trains with (the experiment's
// first).
type readerInputs struct {
	ResultFormat string                 `json:"result_format"`
	Reader       results.ComponentInput `json:"reader"`
	Train        []results.DatasetInput `json:"train"`
	HeldOut      []string               `json:"held_out,omitempty"`
	Seed         uint64                 `json:"seed"`
	// Stage is the cell id of the stage whose model the reader starts
	// from (base = "stage"), which decides the reader too.
	Stage string `json:"stage,omitempty"`
}

// Identifier describes cells and readers by their inputs, hashing each
// data file and plugin executable once.
type Identifier struct {
	// DataDir is the data directory the datasets' paths are under.
	DataDir string
	sums    checksums
}

// ReaderID hashes the inputs of e's reader: a trained reader stored under
// the id is the one this run would train.
func (r *Identifier) ReaderID(e *spec.Experiment) (string, error) {
	in := readerInputs{ResultFormat: results.ResultFormat, HeldOut: e.HeldOut, Seed: e.Seeds[0]}
	var err error
	if in.Reader, err = r.sums.component(e.Reader); err != nil {
		return "", err
	}
	if in.Train, err = r.trainInputs(e); err != nil {
		return "", err
	}
	if e.Reader.ReadsFromStage() && e.StartFrom != nil {
		stage := StageCell(e)
		si, err := r.CellInputs(*stage)
		if err != nil {
			return "", fmt.Errorf("stage %s/%s: %w", stage.Experiment.Name, stage.Name, err)
		}
		in.Stage = si.ID()
	}
	return results.HashID(in), nil
}

// trainInputs identifies e's training datasets.
func (r *Identifier) trainInputs(e *spec.Experiment) ([]results.DatasetInput, error) {
	var out []results.DatasetInput
	for _, d := range e.Train {
		di, err := r.sums.dataset(r.DataDir, d)
		if err != nil {
			return nil, err
		}
		out = append(out, di)
	}
	return out, nil
}

// dataset hashes the data files of a dataset's format (its registry entry
// says which) under the dataset's path, a folder or one file.
func (c *checksums) dataset(dataDir string, d *spec.Dataset) (results.DatasetInput, error) {
	in := results.DatasetInput{Name: d.Name, Format: d.Format, Path: d.Path, Languages: d.Languages, Files: map[string]string{}}
	format, ok := dataset.LookupFormat(d.Format)
	if !ok {
		return in, fmt.Errorf("dataset %q: unknown format %q", d.Name, d.Format)
	}
	root, err := safepath.Join(dataDir, d.Path)
	if err != nil {
		return in, fmt.Errorf("dataset %q: %w", d.Name, err)
	}
	var paths []string
	for _, p := range []string{root, root + ".gz"} {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			paths = append(paths, p)
		}
	}
	if st, err := os.Stat(root); err == nil && st.IsDir() {
		err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !e.IsDir() && format.DataFile(p) {
				paths = append(paths, p)
			}
			return nil
		})
		if err != nil {
			return in, err
		}
	}
	if len(paths) == 0 {
		return in, fmt.Errorf("dataset %q: no data files at %s", d.Name, root)
	}
	sort.Strings(paths)
	for _, p := range paths {
		sum, err := c.file(p)
		if err != nil {
			return in, err
		}
		rel, _ := filepath.Rel(dataDir, p)
		in.Files[filepath.ToSlash(rel)] = sum
	}
	return in, nil
}

func (c *checksums) component(comp *spec.Component) (results.ComponentInput, error) {
	in := results.ComponentInput{Plugin: comp.Written, PluginName: comp.Info.Name, PluginVersion: comp.Info.Version, Params: comp.Checked}
	if strings.HasPrefix(comp.Plugin, plugins.BuiltinPrefix) {
		return in, nil
	}
	sum, err := c.file(comp.Plugin)
	if err != nil {
		return results.ComponentInput{}, fmt.Errorf("plugin %s: %w", comp.Plugin, err)
	}
	in.Binary = sum
	return in, nil
}

// CellInputs describes what decides cell's result: the harness's result
// format, the cell's spec (components with their checked parameters and
// versions, training length, seed), the checksums of its external
// plugins' executables and of its datasets' files.
func (r *Identifier) CellInputs(cell Cell) (*results.Inputs, error) {
	e := cell.Experiment
	in := &results.Inputs{ResultFormat: results.ResultFormat, Experiment: e.Name, Cell: cell.Name, Seed: cell.Seed}
	var err error
	if in.Encoder, err = r.sums.component(cell.Encoder); err != nil {
		return nil, err
	}
	if cell.Sampler != nil {
		s, err := r.sums.component(cell.Sampler)
		if err != nil {
			return nil, err
		}
		in.Sampler, in.BatchSize, in.SamplerLanguages = &s, e.BatchSize, cell.Sampler.Languages
		in.Steps, in.Epochs = e.Length(cell.Sampler)
		if cell.Sampler.Info.ObservesTraining {
			in.FeedbackEvery = plugins.FeedbackEvery
		}
	}
	if e.Reader != nil {
		rd, err := r.sums.component(e.Reader)
		if err != nil {
			return nil, err
		}
		// The reader is trained with the experiment's first seed.
		in.Reader, in.ReadTopK = &rd, e.ReadTopK
	}
	if cell.Stage != nil {
		st, err := r.CellInputs(*cell.Stage)
		if err != nil {
			return nil, fmt.Errorf("stage %s/%s: %w", cell.Stage.Experiment.Name, cell.Stage.Name, err)
		}
		cell.Stage.Inputs = st
		in.Stage = &results.StageInput{Experiment: cell.Stage.Experiment.Name, Cell: cell.Stage.Name, ID: st.ID()}
	}
	if cell.Sampler != nil || e.Reader != nil {
		in.HeldOut, in.Validation, in.ValidateEvery = e.HeldOut, e.Validation, e.ValidateEvery
		if in.Train, err = r.trainInputs(e); err != nil {
			return nil, err
		}
	}
	for _, d := range e.Evaluate {
		di, err := r.sums.dataset(r.DataDir, d)
		if err != nil {
			return nil, err
		}
		in.Evaluate = append(in.Evaluate, di)
	}
	return in, nil
}
