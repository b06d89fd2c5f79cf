package results

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"

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

// String names the plugin, its version, and where it came from: the
// executable's sha256 for an external one.
func (c *ComponentInput) String() string {
	s := c.PluginName + " " + c.PluginVersion
	if c.Binary != "" {
		return s + " (" + c.Plugin + ", sha256 " + c.Binary + ")"
	}
	return s + " (" + c.Plugin + ")"
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

// HashID is the first 16 hex digits of the sha256 of v's JSON.
func HashID(v any) string {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// ID is the cell id: the first 16 hex digits of the sha256 of the inputs'
// JSON.
func (in *Inputs) ID() string { return HashID(in) }

// CheckCellID checks that a stored result is what its manifest says: the
// recorded inputs hash to its cell id, and they name the result's own
// experiment, cell, seed, encoder and sampler (plugin and version) and
// every dataset it has metrics for. A result that fails is not the
// result of the inputs it states, and is refused from a leaderboard.
func CheckCellID(r *CellResult) error {
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
