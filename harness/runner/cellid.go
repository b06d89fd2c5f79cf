package runner

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/xlbench/xlbench/harness/dataset"
	"github.com/xlbench/xlbench/harness/internal/filehash"
	"github.com/xlbench/xlbench/harness/internal/safepath"
	"github.com/xlbench/xlbench/harness/report"
	"github.com/xlbench/xlbench/harness/spec"
	"github.com/xlbench/xlbench/plugins"
)

// ResultFormat is the version of what the harness itself contributes to a
// result: data loading, the training driver, metrics and the result's
// layout. Bump it whenever a change to the harness can change a stored
// result; with the built-in plugins' own versions it makes cell ids mean
// the same thing in every build, clone and Go release
// (cli.TestBuiltinBehaviourGolden guards the pair).
const ResultFormat = "2"

// Inputs is everything that decides a cell's result. Its canonical JSON
// (struct fields in order, map keys sorted) hashed is the cell id.
type Inputs struct {
	ResultFormat string          `json:"result_format"`
	Experiment   string          `json:"experiment"`
	Cell         string          `json:"cell"`
	Seed         uint64          `json:"seed"`
	BatchSize    int             `json:"batch_size,omitempty"`
	Steps        int             `json:"steps,omitempty"`
	Epochs       float64         `json:"epochs,omitempty"`
	Encoder      ComponentInput  `json:"encoder"`
	Sampler      *ComponentInput `json:"sampler,omitempty"`
	// SamplerLanguages restricts the sampler's pairs and validation.
	SamplerLanguages []string `json:"sampler_languages,omitempty"`
	// FeedbackEvery is the feedback cadence an observing sampler is told
	// of its batches at (plugins.FeedbackEvery); a sampler that does not
	// observe sees none.
	FeedbackEvery int             `json:"feedback_every,omitempty"`
	Reader        *ComponentInput `json:"reader,omitempty"`
	ReadTopK      int             `json:"read_top_k,omitempty"`
	Train         []DatasetInput  `json:"train,omitempty"`
	HeldOut       []string        `json:"held_out,omitempty"`
	// Validation is the share of training groups set aside, measured
	// every ValidateEvery steps.
	Validation    float64 `json:"validation,omitempty"`
	ValidateEvery int     `json:"validate_every,omitempty"`
	// Stage is the pretraining cell the encoder starts from.
	Stage    *StageInput    `json:"stage,omitempty"`
	Evaluate []DatasetInput `json:"evaluate"`
}

// StageInput identifies a pretraining stage by its cell id, which hashes
// everything that decides its model.
type StageInput struct {
	Experiment string `json:"experiment"`
	Cell       string `json:"cell"`
	ID         string `json:"id"`
}

// ComponentInput identifies a plugin and its parameters. A built-in is
// identified by its name and the behaviour version it declares (bumped
// whenever its results can change), never by the xlbench binary, whose
// hash changes with the clone's path, every commit and every Go release;
// an external plugin is pinned by Binary, the sha256 of its executable.
type ComponentInput struct {
	Plugin        string         `json:"plugin"`
	PluginName    string         `json:"plugin_name"`
	PluginVersion string         `json:"plugin_version"`
	Params        plugins.Params `json:"params"`
	Binary        string         `json:"binary,omitempty"`
}

// DatasetInput identifies a dataset by its declaration and the sha256 of
// every data file under its path.
type DatasetInput struct {
	Name      string            `json:"name"`
	Format    string            `json:"format"`
	Path      string            `json:"path"`
	Languages []string          `json:"languages,omitempty"`
	Files     map[string]string `json:"files"`
}

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
	ResultFormat string         `json:"result_format"`
	Reader       ComponentInput `json:"reader"`
	Train        []DatasetInput `json:"train"`
	HeldOut      []string       `json:"held_out,omitempty"`
	Seed         uint64         `json:"seed"`
	// Stage is the cell id of the stage whose model the reader starts
	// from (base = "stage"), which decides the reader too.
	Stage string `json:"stage,omitempty"`
}

// readerID hashes readerInputs of e's reader: a trained reader stored
// under the id is the one this run would train.
func (r *Runner) readerID(e *spec.Experiment) (string, error) {
	in := readerInputs{ResultFormat: ResultFormat, HeldOut: e.HeldOut, Seed: e.Seeds[0]}
	var err error
	if in.Reader, err = r.sums.component(e.Readers[0]); err != nil {
		return "", err
	}
	if in.Train, err = r.trainInputs(e); err != nil {
		return "", err
	}
	if e.Readers[0].ReadsFromStage() && e.StartFrom != nil {
		stage := Plan(e.StartFrom)[0]
		si, err := r.CellInputs(stage)
		if err != nil {
			return "", fmt.Errorf("stage %s/%s: %w", stage.Experiment.Name, stage.Name, err)
		}
		in.Stage = si.ID()
	}
	return hashID(in), nil
}

// trainInputs identifies e's training datasets.
func (r *Runner) trainInputs(e *spec.Experiment) ([]DatasetInput, error) {
	var out []DatasetInput
	for _, d := range e.Train {
		di, err := r.sums.dataset(r.Store.Dir, d)
		if err != nil {
			return nil, err
		}
		out = append(out, di)
	}
	return out, nil
}

// hashID is the first 16 hex digits of the sha256 of v's JSON.
func hashID(v any) string {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// dataset hashes the data files of a dataset's format (its registry entry
// says which) under the dataset's path, a folder or one file.
func (c *checksums) dataset(dataDir string, d *spec.Dataset) (DatasetInput, error) {
	in := DatasetInput{Name: d.Name, Format: d.Format, Path: d.Path, Languages: d.Languages, Files: map[string]string{}}
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

func (c *checksums) component(comp *spec.Component) (ComponentInput, error) {
	in := ComponentInput{Plugin: comp.Written, PluginName: comp.Info.Name, PluginVersion: comp.Info.Version, Params: comp.Checked}
	if strings.HasPrefix(comp.Plugin, plugins.BuiltinPrefix) {
		return in, nil
	}
	sum, err := c.file(comp.Plugin)
	if err != nil {
		return ComponentInput{}, fmt.Errorf("plugin %s: %w", comp.Plugin, err)
	}
	in.Binary = sum
	return in, nil
}

// CellInputs describes what decides cell's result: the harness's result
// format, the cell's spec (components with their checked parameters and
// versions, training length, seed), the checksums of its external
// plugins' executables and of its datasets' files.
func (r *Runner) CellInputs(cell Cell) (*Inputs, error) {
	e := cell.Experiment
	in := &Inputs{ResultFormat: ResultFormat, Experiment: e.Name, Cell: cell.Name, Seed: cell.Seed}
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
	if len(e.Readers) > 0 {
		rd, err := r.sums.component(e.Readers[0])
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
		in.Stage = &StageInput{Experiment: cell.Stage.Experiment.Name, Cell: cell.Stage.Name, ID: st.ID()}
	}
	if cell.Sampler != nil || len(e.Readers) > 0 {
		in.HeldOut, in.Validation, in.ValidateEvery = e.HeldOut, e.Validation, e.ValidateEvery
		if in.Train, err = r.trainInputs(e); err != nil {
			return nil, err
		}
	}
	for _, d := range e.Evaluate {
		di, err := r.sums.dataset(r.Store.Dir, d)
		if err != nil {
			return nil, err
		}
		in.Evaluate = append(in.Evaluate, di)
	}
	return in, nil
}

// ID is the cell id: the first 16 hex digits of the sha256 of the inputs'
// JSON.
func (in *Inputs) ID() string { return hashID(in) }

// Machine describes the machine this process runs on.
func Machine() report.Machine {
	host, _ := os.Hostname()
	return report.Machine{Hostname: host, OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}
}

// SpecFiles hashes the spec files a run is given and the lock files
// beside them (those that exist), for the results' manifests.
func SpecFiles(files []string) (specs, locks []report.FileHash, err error) {
	seen := map[string]bool{}
	for _, f := range files {
		sum, err := filehash.SHA256(f)
		if err != nil {
			return nil, nil, err
		}
		specs = append(specs, report.FileHash{Path: filepath.ToSlash(f), SHA256: sum})
		lock := filepath.Join(filepath.Dir(f), spec.LockFile)
		if seen[lock] {
			continue
		}
		seen[lock] = true
		if _, err := os.Stat(lock); err != nil {
			continue
		}
		sum, err = filehash.SHA256(lock)
		if err != nil {
			return nil, nil, err
		}
		locks = append(locks, report.FileHash{Path: filepath.ToSlash(lock), SHA256: sum})
	}
	return specs, locks, nil
}

// CheckCellID checks that a stored result is what its manifest says: the
// recorded inputs hash to its cell id, and they name the result's own
// experiment, cell, seed, encoder and sampler (plugin and version) and
// every dataset it has metrics for. A result that fails is not the
// result of the inputs it states, and is refused from a leaderboard.
func CheckCellID(r *report.CellResult) error {
	if r.Manifest == nil || len(r.Manifest.Inputs) == 0 || r.CellID == "" {
		return fmt.Errorf("no recorded inputs or cell id: nothing to check it against")
	}
	var in Inputs
	dec := json.NewDecoder(bytes.NewReader(r.Manifest.Inputs))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return fmt.Errorf("recorded inputs unreadable: %v", err)
	}
	if id := in.ID(); id != r.CellID {
		return fmt.Errorf("cell id %s, but its recorded inputs hash to %s", r.CellID, id)
	}
	mismatch := func(what, result, inputs string) error {
		return fmt.Errorf("the result says %s %q, its recorded inputs %q", what, result, inputs)
	}
	switch {
	case in.Experiment != r.Experiment:
		return mismatch("experiment", r.Experiment, in.Experiment)
	case in.Cell != r.Cell:
		return mismatch("cell", r.Cell, in.Cell)
	case in.Seed != r.Seed:
		return mismatch("seed", fmt.Sprint(r.Seed), fmt.Sprint(in.Seed))
	case in.Encoder.PluginName != r.Encoder.PluginName || in.Encoder.PluginVersion != r.Encoder.PluginVersion:
		return mismatch("encoder", r.Encoder.PluginName+" "+r.Encoder.PluginVersion, in.Encoder.PluginName+" "+in.Encoder.PluginVersion)
	case (in.Sampler == nil) != (r.Sampler == nil):
		return fmt.Errorf("the result and its recorded inputs disagree on whether it has a sampler")
	case in.Sampler != nil && (in.Sampler.PluginName != r.Sampler.PluginName || in.Sampler.PluginVersion != r.Sampler.PluginVersion):
		return mismatch("sampler", r.Sampler.PluginName+" "+r.Sampler.PluginVersion, in.Sampler.PluginName+" "+in.Sampler.PluginVersion)
	}
	for ds := range r.Metrics {
		if !slices.ContainsFunc(in.Evaluate, func(d DatasetInput) bool { return d.Name == ds }) {
			return fmt.Errorf("metrics for dataset %q, which its recorded inputs do not evaluate", ds)
		}
	}
	return nil
}
