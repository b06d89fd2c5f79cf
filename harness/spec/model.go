// What a spec declares, its references resolved: datasets, components,
// experiments (check.go fills in what the plugins describe).

package spec

import (
	"regexp"

	"github.com/hashicorp/hcl/v2"

	"github.com/xlbench/xlbench/harness/dataset"
	"github.com/xlbench/xlbench/plugins"
)

// Spec is a parsed set of spec files.
type Spec struct {
	// Variables are the spec's variables with the values they took
	// (variables.go).
	Variables   []*Variable
	Datasets    []*Dataset
	Encoders    []*Component
	Samplers    []*Component
	Readers     []*Component
	Experiments []*Experiment
	// Files holds the parsed sources, for printing diagnostics.
	Files map[string]*hcl.File
}

// Dataset is a dataset block.
type Dataset struct {
	Name      string
	Format    string
	Path      string
	Role      string
	Languages []string
	Range     hcl.Range
}

// Dataset roles (package dataset's registry says which role each format
// fills).
const (
	RoleEvaluate = dataset.RoleEvaluate
	RoleTrain    = dataset.RoleTrain
)

// Length is how long sampler trains in e: the sampler's own steps when it
// sets them, else the experiment's steps or epochs (one of the two is 0).
func (e *Experiment) Length(sampler *Component) (steps int, epochs float64) {
	if sampler != nil && sampler.Steps > 0 {
		return sampler.Steps, 0
	}
	return e.Steps, e.Epochs
}

// Decl is the dataset as its loader needs it.
func (d *Dataset) Decl() dataset.Decl {
	return dataset.Decl{Name: d.Name, Path: d.Path, Languages: d.Languages}
}

// Component is an encoder, sampler or reader block.
type Component struct {
	Kind plugins.Kind
	Name string
	// Written is the plugin reference as the spec writes it; Plugin is
	// what is started: the same for a built-in ("builtin:NAME"), else the
	// path resolved against the spec file's folder (never looked up on
	// $PATH).
	Written     string
	Plugin      string
	PluginRange hcl.Range
	// Params as written; ParamRanges locates each one.
	Params      plugins.Params
	ParamRanges map[string]hcl.Range
	Range       hcl.Range
	// Languages (a sampler's, sorted; empty: every language) restricts
	// the pairs the harness offers the sampler, and the validation pairs
	// its cells are measured on, to those with query and passage both in
	// the list: the way to give samplers the same languages.
	Languages []string
	// Steps (a sampler's; 0: the experiment's) is its training length in
	// every experiment that uses it: each sampler's length can be chosen
	// by its own validation loss.
	Steps int
	// TunedBy (a sampler's) says how its training length, and the
	// encoder's settings it trains with, were chosen: the tuning rule and
	// the held-out training data, e.g. "specs/tune-lengths.hcl: shortest
	// within 2% of the lowest validation loss". Empty: the spec does not
	// claim the row was tuned, and the report says so beside its numbers.
	TunedBy string
	// On the copies Check resolves (Resolved), never on the parsed spec:
	// the plugin's description and the params with defaults.
	Info    plugins.Info
	Checked plugins.Params
}

// Experiment is an experiment block with its references resolved.
type Experiment struct {
	Name     string
	Train    []*Dataset
	Evaluate []*Dataset
	Encoders []*Component
	Samplers []*Component
	// Reader (nil: none) answers each question from its top ReadTopK
	// candidates. The spec lists it (readers = [reader.NAME]); an
	// experiment reads with one.
	Reader    *Component
	ReadTopK  int
	Seeds     []uint64
	BatchSize int
	// Training length: Steps batches, or Epochs passes over the training
	// groups when Steps is 0.
	Steps  int
	Epochs float64
	// StartFrom is the pretraining stage: trainable encoders start from the
	// model its one trained cell leaves. Nil trains from scratch.
	StartFrom *Experiment
	// Pretrains is set when another experiment starts from this one.
	Pretrains bool
	// HeldOut lists languages removed from the training data (sorted).
	HeldOut []string
	// Validation is the share of training groups set aside for a
	// validation loss, measured every ValidateEvery steps; 0: none.
	Validation    float64
	ValidateEvery int
	// Baseline is the sampler every other sampler is tested against; nil
	// when the experiment has none.
	Baseline *Component
	Range    hcl.Range
	// startFrom is the stage reference as written, resolved once every
	// experiment is read; startFromAttr locates it for diagnostics.
	startFrom     *ref
	startFromAttr *hcl.Attribute
	// readerCount is how many readers the spec listed (one is allowed).
	readerCount int
}

// Dataset returns the dataset called name, or nil.
func (s *Spec) Dataset(name string) *Dataset {
	for _, d := range s.Datasets {
		if d.Name == name {
			return d
		}
	}
	return nil
}

// Experiment returns the experiment called name, or nil.
func (s *Spec) Experiment(name string) *Experiment {
	for _, e := range s.Experiments {
		if e.Name == name {
			return e
		}
	}
	return nil
}

func find(cs []*Component, name string) *Component {
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	return nil
}

type ref struct {
	name string
	rng  hcl.Range
}

// NamePattern is the character set of experiment, dataset and component
// names: a letter or digit, then letters, digits, '-' and '_', at most 64 in
// all. Names become folder and file names (OUT/<experiment>/<cell>/, where
// a cell is <encoder>.<sampler>.seed<N>), so they hold no '/', '.', space
// or anything a shell or a file system treats specially.
var NamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// Bounds on an experiment's numbers: beyond them a run would exhaust
// memory or never end, so validate refuses them.
const (
	MaxSteps     = 10_000_000
	MaxEpochs    = 1000
	MaxBatchSize = 65536
	MaxSeeds     = 1000
	MaxSeed      = 1 << 53 // seeds are exact as HCL numbers up to here
)
