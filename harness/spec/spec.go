// Package spec reads xlbench spec files: HCL with seven block types
// (extend "EXPERIMENT" { samplers = [...], encoders = [...], baseline = sampler.X } adds
// samplers and encoders to an experiment another file given with it
// declares; variable "NAME" { default = ... } is a value parameters use as
// var.NAME, set by the environment's XLBENCH_VAR_NAME: variables.go).
//
//	dataset "xquad-r" {
//	  format    = "lareqa"          # the loader
//	  path      = "xquad-r"         # folder in the data directory
//	  languages = ["en", "de"]      # optional; default: every file found
//	  role      = "evaluate"        # "evaluate" (default) or "train"
//	}
//	encoder "bm25" {
//	  plugin = "builtin:bm25"       # or the path of a plugin executable
//	  params = { k1 = 0.9, b = 0.4 }
//	}
//	sampler "hybrid" {
//	  plugin    = "builtin:hybrid"
//	  params    = { alpha = 0.5 }
//	  languages = ["de", "es"]      # optional: the harness hands the sampler
//	                                # only pairs with both sides in these
//	                                # languages and validates it on them
//	  steps     = 3000              # optional: this sampler's training length,
//	                                # in place of the experiment's
//	}
//	reader "span" {
//	  plugin = "builtin:reader"     # extractive QA, trained on the train datasets
//	}
//	experiment "xquad-r-bm25" {
//	  start_from = experiment.base   # optional: trainable encoders start from
//	                                 # the model that experiment's one trained
//	                                 # cell leaves (a pretraining stage)
//	  held_out   = ["el", "vi"]      # optional: languages removed from train
//	  validation = 0.02              # optional: share of train groups set
//	  validate_every = 250           # aside for a validation loss, measured
//	                                 # every so many steps
//	  baseline   = sampler.mono      # optional: the row others are tested
//	                                 # against (default: the first sampler
//	                                 # whose plugin is "monolingual")
//	  train      = []                # datasets with role "train"
//	  evaluate   = [dataset.xquad-r]
//	  encoders   = [encoder.bm25]
//	  samplers   = []                # required exactly when train is set
//	  seeds      = [1]
//	  batch_size = 64
//	  steps      = 2000              # or epochs = 1 (passes over the groups)
//	  readers    = [reader.span]     # optional: EM/F1 of retrieve-then-read
//	  read_top_k = 5                 # candidates each question's reader sees
//	}
//
// Parse checks syntax, attributes and references; Check asks each plugin
// for its parameters and checks params against them. Both report problems
// as HCL diagnostics with source ranges.
package spec

import (
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"

	"github.com/xlbench/xlbench/harness/dataset"
	"github.com/xlbench/xlbench/harness/lang"
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
	// Set by Check: the plugin's description and the params with defaults.
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

var rootSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: "variable", LabelNames: []string{"name"}},
	{Type: "dataset", LabelNames: []string{"name"}},
	{Type: "encoder", LabelNames: []string{"name"}},
	{Type: "sampler", LabelNames: []string{"name"}},
	{Type: "reader", LabelNames: []string{"name"}},
	{Type: "experiment", LabelNames: []string{"name"}},
	{Type: "extend", LabelNames: []string{"experiment"}},
}}

// extendSchema is an extend block's: samplers and encoders added to an
// experiment that another file declares, so that a contribution runs
// beside the default experiment without editing it (files given together
// are one spec).
var extendSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "samplers"},
	{Name: "encoders"},
	{Name: "baseline"},
}}

var datasetSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "format", Required: true},
	{Name: "path", Required: true},
	{Name: "role"},
	{Name: "languages"},
}}

var componentSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "plugin", Required: true},
	{Name: "params"},
	{Name: "languages"},
	{Name: "steps"},
	{Name: "tuned_by"},
}}

var experimentSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "train"},
	{Name: "evaluate"},
	{Name: "encoders", Required: true},
	{Name: "samplers"},
	{Name: "seeds"},
	{Name: "batch_size"},
	{Name: "steps"},
	{Name: "epochs"},
	{Name: "readers"},
	{Name: "read_top_k"},
	{Name: "start_from"},
	{Name: "held_out"},
	{Name: "baseline"},
	{Name: "validation"},
	{Name: "validate_every"},
}}

// Parse reads and checks spec files, every variable at its default. The
// returned Spec is usable only when the diagnostics hold no error; Files
// is always set.
func Parse(filenames ...string) (*Spec, hcl.Diagnostics) { return ParseWith(nil, filenames...) }

// ParseWith is Parse with variables' values given (package cli passes
// the environment's XLBENCH_VAR_ ones); a variable not given takes its
// default.
func ParseWith(given Values, filenames ...string) (*Spec, hcl.Diagnostics) {
	p := hclparse.NewParser()
	var diags hcl.Diagnostics
	var bodies []hcl.Body
	for _, fn := range filenames {
		f, d := parseBounded(p, fn, false)
		diags = append(diags, d...)
		if f != nil {
			bodies = append(bodies, f.Body)
		}
	}
	s := &Spec{Files: p.Files()}
	if diags.HasErrors() {
		return s, diags
	}
	var contents []*hcl.BodyContent
	for _, body := range bodies {
		content, d := body.Content(rootSchema)
		diags = append(diags, d...)
		contents = append(contents, content)
	}
	// Variables first: any file's parameters may use them.
	vars, d := s.decodeVariables(contents, given)
	diags = append(diags, d...)
	var experiments, extends []*hcl.Block
	for _, content := range contents {
		for _, b := range content.Blocks {
			if d := checkName(b.Type, b); d != nil {
				diags = append(diags, d)
				continue
			}
			switch b.Type {
			case "variable":
			case "dataset":
				ds, d := decodeDataset(b)
				diags = append(diags, d...)
				if ds != nil && !s.duplicate(&diags, "dataset", ds.Name, b) {
					s.Datasets = append(s.Datasets, ds)
				}
			case "encoder", "sampler", "reader":
				c, d := decodeComponent(b, vars)
				diags = append(diags, d...)
				if c == nil || s.duplicate(&diags, b.Type, c.Name, b) {
					continue
				}
				switch c.Kind {
				case plugins.KindEncoder:
					s.Encoders = append(s.Encoders, c)
				case plugins.KindSampler:
					s.Samplers = append(s.Samplers, c)
				default:
					s.Readers = append(s.Readers, c)
				}
			case "experiment":
				experiments = append(experiments, b)
			case "extend":
				extends = append(extends, b)
			}
		}
	}
	// Experiments last: their references may point at blocks of any file.
	for _, b := range experiments {
		e, d := s.decodeExperiment(b)
		diags = append(diags, d...)
		if e != nil && !s.duplicate(&diags, "experiment", e.Name, b) {
			s.Experiments = append(s.Experiments, e)
		}
	}
	for _, b := range extends {
		diags = append(diags, s.extend(b)...)
	}
	for _, e := range s.Experiments {
		diags = append(diags, s.resolveStage(e)...)
	}
	return s, diags
}

// extend applies an extend block: its samplers and encoders join the
// named experiment's, after those it declares.
func (s *Spec) extend(b *hcl.Block) hcl.Diagnostics {
	content, diags := b.Body.Content(extendSchema)
	if diags.HasErrors() {
		return diags
	}
	e := s.Experiment(b.Labels[0])
	if e == nil {
		var declared []string
		for _, x := range s.Experiments {
			declared = append(declared, x.Name)
		}
		return append(diags, undeclared("experiment", ref{b.Labels[0], b.LabelRanges[0]}, declared))
	}
	if len(content.Attributes) == 0 {
		return append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Empty extend block",
			Detail:  fmt.Sprintf("An extend block adds samplers = [...] or encoders = [...] (or both) to experiment %q, and may name its baseline = sampler.NAME.", e.Name),
			Subject: b.DefRange.Ptr()})
	}
	if a := content.Attributes["samplers"]; a != nil {
		for _, r := range refs(a, "sampler", &diags) {
			c := find(s.Samplers, r.name)
			switch {
			case c == nil:
				diags = append(diags, undeclared("sampler", r, names(s.Samplers)))
			case slices.Contains(e.Samplers, c):
				diags = append(diags, alreadyIn("Sampler", e, c, r))
			case len(e.Train) == 0:
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Nothing to train on",
					Detail:  fmt.Sprintf("Experiment %q has no train datasets, so it runs no sampler.", e.Name),
					Subject: r.rng.Ptr()})
			default:
				e.Samplers = append(e.Samplers, c)
			}
		}
	}
	if a := content.Attributes["baseline"]; a != nil {
		// After the samplers above: an extend block may compare every row
		// with the sampler it adds.
		diags = append(diags, e.decodeBaseline(a)...)
	}
	if a := content.Attributes["encoders"]; a != nil {
		for _, r := range refs(a, "encoder", &diags) {
			c := find(s.Encoders, r.name)
			switch {
			case c == nil:
				diags = append(diags, undeclared("encoder", r, names(s.Encoders)))
			case slices.Contains(e.Encoders, c):
				diags = append(diags, alreadyIn("Encoder", e, c, r))
			default:
				e.Encoders = append(e.Encoders, c)
			}
		}
	}
	return diags
}

// alreadyIn is the diagnostic for an extend block that adds a component
// the experiment already has.
func alreadyIn(kind string, e *Experiment, c *Component, r ref) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: kind + " already in the experiment",
		Detail:  fmt.Sprintf("Experiment %q already runs %s %q.", e.Name, strings.ToLower(kind), c.Name),
		Subject: r.rng.Ptr()}
}

// resolveStage resolves an experiment's start_from: the stage must train
// exactly one cell (one encoder, one sampler, one seed) and must not start
// from a stage itself.
func (s *Spec) resolveStage(e *Experiment) hcl.Diagnostics {
	if e.startFrom == nil {
		return nil
	}
	stage := s.Experiment(e.startFrom.name)
	bad := func(summary, detail string) hcl.Diagnostics {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: e.startFrom.rng.Ptr()}}
	}
	var declared []string
	for _, x := range s.Experiments {
		if x != e {
			declared = append(declared, x.Name)
		}
	}
	switch {
	case stage == nil:
		return hcl.Diagnostics{undeclared("experiment", *e.startFrom, declared)}
	case stage == e:
		return bad("Experiment starts from itself", "start_from names another experiment: the pretraining stage.")
	case stage.startFrom != nil:
		return bad("Stage of a stage", fmt.Sprintf("Experiment %q starts from %q itself; a pretraining stage must train from scratch.", stage.Name, stage.startFrom.name))
	case len(stage.Train) == 0 || len(stage.Encoders) != 1 || len(stage.Samplers) != 1 || len(stage.Seeds) != 1:
		return bad("Stage must train one cell", fmt.Sprintf("Experiment %q is a pretraining stage: it needs train datasets, one encoder, one sampler and one seed, so that it leaves one model.", stage.Name))
	}
	e.StartFrom, stage.Pretrains = stage, true
	return nil
}

func (s *Spec) duplicate(diags *hcl.Diagnostics, kind, name string, b *hcl.Block) bool {
	var prev *hcl.Range
	switch kind {
	case "dataset":
		if d := s.Dataset(name); d != nil {
			prev = &d.Range
		}
	case "encoder":
		if c := find(s.Encoders, name); c != nil {
			prev = &c.Range
		}
	case "sampler":
		if c := find(s.Samplers, name); c != nil {
			prev = &c.Range
		}
	case "reader":
		if c := find(s.Readers, name); c != nil {
			prev = &c.Range
		}
	case "experiment":
		for _, e := range s.Experiments {
			if e.Name == name {
				prev = &e.Range
			}
		}
	case "variable":
		for _, v := range s.Variables {
			if v.Name == name {
				prev = &v.Range
			}
		}
	}
	if prev == nil {
		return false
	}
	*diags = append(*diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Duplicate %s %q", kind, name),
		Detail:   fmt.Sprintf("A %s named %q is already declared at %s.", kind, name, prev),
		Subject:  b.LabelRanges[0].Ptr(),
	})
	return true
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

func decodeDataset(b *hcl.Block) (*Dataset, hcl.Diagnostics) {
	content, diags := b.Body.Content(datasetSchema)
	if diags.HasErrors() {
		return nil, diags
	}
	d := &Dataset{Name: b.Labels[0], Role: RoleEvaluate, Range: b.DefRange}
	diags = append(diags, stringAttr(content.Attributes["format"], &d.Format)...)
	diags = append(diags, stringAttr(content.Attributes["path"], &d.Path)...)
	diags = append(diags, stringAttr(content.Attributes["role"], &d.Role)...)
	diags = append(diags, stringListAttr(content.Attributes["languages"], &d.Languages)...)
	if diags.HasErrors() {
		return nil, diags
	}
	// A language names a file (<lang>.json): only a code may.
	diags = append(diags, languageCodes(content.Attributes["languages"], d.Languages)...)
	if f, ok := dataset.LookupFormat(d.Format); !ok {
		diags = append(diags, attrError(content.Attributes["format"], "Unknown dataset format",
			fmt.Sprintf("Format %q is not known; formats: %s.", d.Format, strings.Join(dataset.FormatNames(), ", "))))
	} else if f.Role != d.Role {
		a := content.Attributes["role"]
		if a == nil {
			a = content.Attributes["format"]
		}
		detail := fmt.Sprintf("Format %q can be used for %s only, not %q (it holds %s).", d.Format, f.Role, d.Role, f.Doc)
		if content.Attributes["role"] == nil {
			// role defaults to "evaluate" whatever the format.
			detail += fmt.Sprintf(" The role defaults to %q: add role = %q.", d.Role, f.Role)
		}
		diags = append(diags, attrError(a, "Dataset role not supported by its format", detail))
	}
	if d.Path == "" || strings.HasPrefix(d.Path, "/") || slices.Contains(strings.Split(d.Path, "/"), "..") {
		diags = append(diags, attrError(content.Attributes["path"], "Invalid dataset path",
			"The path must be a folder inside the data directory: relative, without \"..\"."))
	}
	return d, diags
}

func decodeComponent(b *hcl.Block, vars *hcl.EvalContext) (*Component, hcl.Diagnostics) {
	content, diags := b.Body.Content(componentSchema)
	if diags.HasErrors() {
		return nil, diags
	}
	c := &Component{Kind: plugins.Kind(b.Type), Name: b.Labels[0], Range: b.DefRange, Params: plugins.Params{}, ParamRanges: map[string]hcl.Range{}}
	a := content.Attributes["plugin"]
	diags = append(diags, stringAttr(a, &c.Written)...)
	c.PluginRange = a.Expr.Range()
	c.Plugin = c.Written
	if c.External() && c.Written != "" {
		// Relative to the spec's folder, whatever the working directory.
		p := filepath.FromSlash(c.Written)
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(b.DefRange.Filename), p)
		}
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		c.Plugin = p
	}
	if pa := content.Attributes["params"]; pa != nil {
		pairs, d := hcl.ExprMap(pa.Expr)
		diags = append(diags, d...)
		for _, kv := range pairs {
			key, d := kv.Key.Value(nil)
			if d.HasErrors() || key.Type() != cty.String || key.IsNull() {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid parameter name",
					Detail: "Parameter names must be plain names.", Subject: kv.Key.Range().Ptr()})
				continue
			}
			name := key.AsString()
			v, d := kv.Value.Value(vars)
			diags = append(diags, d...)
			if d.HasErrors() || !v.IsWhollyKnown() { // unknown: a variable without a value, reported at its block
				continue
			}
			gv, err := ctyToGo(v)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unsupported parameter value",
					Detail: fmt.Sprintf("Parameter %q: %s.", name, err), Subject: kv.Value.Range().Ptr()})
				continue
			}
			c.Params[name] = gv
			c.ParamRanges[name] = hcl.RangeBetween(kv.Key.Range(), kv.Value.Range())
		}
	}
	diags = append(diags, c.decodeSamplerAttrs(content)...)
	return c, diags
}

// decodeSamplerAttrs reads the attributes only a sampler block has:
// languages, steps and tuned_by.
func (c *Component) decodeSamplerAttrs(content *hcl.BodyContent) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, name := range []string{"languages", "steps", "tuned_by"} {
		if a := content.Attributes[name]; a != nil && c.Kind != plugins.KindSampler {
			diags = append(diags, attrError(a, "Unsupported argument",
				fmt.Sprintf("%s is set on sampler blocks only: it decides which pairs a sampler is offered, how long it trains and how that was chosen.", name)))
		}
	}
	if diags.HasErrors() {
		return diags
	}
	if a := content.Attributes["languages"]; a != nil {
		diags = append(diags, stringListAttr(a, &c.Languages)...)
		diags = append(diags, languageCodes(a, c.Languages)...)
		if len(c.Languages) == 0 && !diags.HasErrors() {
			diags = append(diags, attrError(a, "No languages", "languages lists the languages the sampler may use; leave it out for every language."))
		}
		slices.Sort(c.Languages)
		c.Languages = slices.Compact(c.Languages)
	}
	if a := content.Attributes["steps"]; a != nil {
		diags = append(diags, stepsAttr(a, &c.Steps)...)
	}
	if a := content.Attributes["tuned_by"]; a != nil {
		d := stringAttr(a, &c.TunedBy)
		diags = append(diags, d...)
		if strings.TrimSpace(c.TunedBy) == "" && !d.HasErrors() {
			diags = append(diags, attrError(a, "Empty tuned_by", "tuned_by says how the sampler's training length was chosen (the rule and the held-out training data); leave it out when it was not tuned."))
		}
	}
	return diags
}

// stepsAttr decodes a training length in steps, within its bounds.
func stepsAttr(a *hcl.Attribute, dst *int) hcl.Diagnostics {
	var f float64
	diags := numberAttr(a, &f)
	if f < 1 || f > MaxSteps || f != math.Trunc(f) {
		diags = append(diags, attrError(a, "Invalid steps", fmt.Sprintf("steps is an integer from 1 to %d.", MaxSteps)))
	}
	*dst = int(f)
	return diags
}

// languageCodes reports every entry of a's list that is not a language
// code.
func languageCodes(a *hcl.Attribute, langs []string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, l := range langs {
		if !lang.IsCode(l) {
			diags = append(diags, attrError(a, "Invalid language", fmt.Sprintf("%q is not a language code (two or three lower-case letters).", l)))
		}
	}
	return diags
}

func (s *Spec) decodeExperiment(b *hcl.Block) (*Experiment, hcl.Diagnostics) {
	content, diags := b.Body.Content(experimentSchema)
	if diags.HasErrors() {
		return nil, diags
	}
	e := &Experiment{Name: b.Labels[0], Range: b.DefRange, Seeds: []uint64{1}, BatchSize: 64, Epochs: 1, ReadTopK: 5}
	diags = append(diags, s.decodeReferences(e, content)...)
	diags = append(diags, e.decodeTrainingData(content)...)
	diags = append(diags, e.decodeReading(content, diags.HasErrors())...)
	diags = append(diags, e.decodeSchedule(content)...)
	diags = append(diags, e.checkShape(b, content, diags.HasErrors())...)
	return e, diags
}

// decodeReferences resolves what an experiment names: its datasets,
// encoders, samplers and readers, its stage (start_from) and baseline.
func (s *Spec) decodeReferences(e *Experiment, content *hcl.BodyContent) hcl.Diagnostics {
	var diags hcl.Diagnostics
	datasets := func(attr string) []*Dataset {
		var out []*Dataset
		for _, ref := range refs(content.Attributes[attr], "dataset", &diags) {
			if d := s.Dataset(ref.name); d != nil {
				out = append(out, d)
			} else {
				diags = append(diags, undeclared("dataset", ref, s.datasetNames()))
			}
		}
		return out
	}
	components := func(attr, kind string, pool []*Component) []*Component {
		var out []*Component
		for _, ref := range refs(content.Attributes[attr], kind, &diags) {
			if c := find(pool, ref.name); c != nil {
				out = append(out, c)
			} else {
				diags = append(diags, undeclared(kind, ref, names(pool)))
			}
		}
		return out
	}
	e.Train = datasets("train")
	e.Evaluate = datasets("evaluate")
	e.Encoders = components("encoders", "encoder", s.Encoders)
	e.Samplers = components("samplers", "sampler", s.Samplers)
	readers := components("readers", "reader", s.Readers)
	e.readerCount = len(readers)
	if len(readers) > 0 {
		e.Reader = readers[0]
	}
	if a := content.Attributes["start_from"]; a != nil {
		e.startFromAttr = a
		tr, d := hcl.AbsTraversalForExpr(a.Expr)
		if step, ok := traversalName(tr, "experiment"); ok && !d.HasErrors() {
			e.startFrom = &ref{step, a.Expr.Range()}
		} else {
			diags = append(diags, attrError(a, "Invalid reference", "Expected a reference like experiment.NAME."))
		}
	}
	if a := content.Attributes["baseline"]; a != nil {
		diags = append(diags, e.decodeBaseline(a)...)
	}
	return diags
}

// decodeBaseline reads a baseline attribute (an experiment's or an extend
// block's): a reference to one of the experiment's samplers.
func (e *Experiment) decodeBaseline(a *hcl.Attribute) hcl.Diagnostics {
	tr, d := hcl.AbsTraversalForExpr(a.Expr)
	name, ok := traversalName(tr, "sampler")
	switch {
	case !ok || d.HasErrors():
		return hcl.Diagnostics{attrError(a, "Invalid reference", "Expected a reference like sampler.NAME.")}
	case find(e.Samplers, name) == nil:
		return hcl.Diagnostics{attrError(a, "Baseline is not one of the experiment's samplers",
			fmt.Sprintf("Sampler %q is not in samplers; the baseline is the row the others are compared with.", name))}
	}
	e.Baseline = find(e.Samplers, name)
	return nil
}

// decodeTrainingData reads how the training data is split and cut: the
// validation share, how often it is measured, and the held-out languages.
func (e *Experiment) decodeTrainingData(content *hcl.BodyContent) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if a := content.Attributes["validation"]; a != nil {
		diags = append(diags, numberAttr(a, &e.Validation)...)
		if !(e.Validation > 0 && e.Validation <= 0.5) {
			diags = append(diags, attrError(a, "Invalid validation share", "validation is the share of training groups set aside, above 0 and at most 0.5."))
		}
	}
	if a := content.Attributes["validate_every"]; a != nil {
		var f float64
		diags = append(diags, numberAttr(a, &f)...)
		if f < 1 || f > MaxSteps || f != math.Trunc(f) {
			diags = append(diags, attrError(a, "Invalid validate_every", fmt.Sprintf("validate_every is a number of steps from 1 to %d.", MaxSteps)))
		}
		e.ValidateEvery = int(f)
		if e.Validation == 0 {
			diags = append(diags, attrError(a, "No validation set", "validate_every needs validation, the share of training groups to set aside."))
		}
	}
	if a := content.Attributes["held_out"]; a != nil {
		diags = append(diags, stringListAttr(a, &e.HeldOut)...)
		diags = append(diags, languageCodes(a, e.HeldOut)...)
		if len(e.HeldOut) > 0 && len(e.Train) == 0 {
			diags = append(diags, attrError(a, "Nothing to hold out from", "held_out removes languages from the train datasets; the experiment has none."))
		}
		slices.Sort(e.HeldOut)
		e.HeldOut = slices.Compact(e.HeldOut)
	}
	return diags
}

// decodeReading reads read_top_k and checks the experiment's readers;
// failed says earlier attributes had errors (a reader needs training
// data, which is then not checked).
func (e *Experiment) decodeReading(content *hcl.BodyContent, failed bool) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if a := content.Attributes["read_top_k"]; a != nil {
		var f float64
		diags = append(diags, numberAttr(a, &f)...)
		if f < 1 || f > 100 || f != math.Trunc(f) {
			diags = append(diags, attrError(a, "Invalid read_top_k", "read_top_k is an integer from 1 to 100."))
		}
		e.ReadTopK = int(f)
	}
	if e.readerCount > 1 {
		diags = append(diags, attrError(content.Attributes["readers"], "One reader per experiment",
			"An experiment reads with one reader; put other readers in experiments of their own."))
	}
	if e.Reader != nil && len(e.Train) == 0 && !failed && !diags.HasErrors() {
		diags = append(diags, attrError(content.Attributes["readers"], "Readers need training data",
			"Readers are trained on the experiment's train datasets; list some, or drop the readers."))
	}
	return diags
}

// decodeSchedule reads the seeds, the batch size and the training length.
func (e *Experiment) decodeSchedule(content *hcl.BodyContent) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if a := content.Attributes["seeds"]; a != nil {
		var seeds []float64
		d := numberListAttr(a, &seeds)
		diags = append(diags, d...)
		e.Seeds = nil
		for _, f := range seeds {
			if f < 0 || f > MaxSeed || f != math.Trunc(f) {
				diags = append(diags, attrError(a, "Invalid seed", fmt.Sprintf("Seeds are integers from 0 to 2^53; got %v.", f)))
				continue
			}
			if slices.Contains(e.Seeds, uint64(f)) {
				diags = append(diags, attrError(a, "Duplicate seed", fmt.Sprintf("Seed %v is listed twice: it would give two cells with one name and one id.", f)))
				continue
			}
			e.Seeds = append(e.Seeds, uint64(f))
		}
		if len(seeds) == 0 && !d.HasErrors() {
			diags = append(diags, attrError(a, "No seeds", "List at least one seed."))
		}
		if len(seeds) > MaxSeeds {
			diags = append(diags, attrError(a, "Too many seeds", fmt.Sprintf("At most %d seeds.", MaxSeeds)))
		}
	}
	if a := content.Attributes["batch_size"]; a != nil {
		var f float64
		diags = append(diags, numberAttr(a, &f)...)
		if f < 1 || f > MaxBatchSize || f != math.Trunc(f) {
			diags = append(diags, attrError(a, "Invalid batch size", fmt.Sprintf("The batch size is an integer from 1 to %d.", MaxBatchSize)))
		}
		e.BatchSize = int(f)
	}
	steps, epochs := content.Attributes["steps"], content.Attributes["epochs"]
	if steps != nil && epochs != nil {
		diags = append(diags, attrError(epochs, "Conflicting training length", "Set steps or epochs, not both."))
	}
	if steps != nil {
		diags = append(diags, stepsAttr(steps, &e.Steps)...)
	}
	if epochs != nil {
		diags = append(diags, numberAttr(epochs, &e.Epochs)...)
		if !(e.Epochs > 0 && e.Epochs <= MaxEpochs) {
			diags = append(diags, attrError(epochs, "Invalid epochs", fmt.Sprintf("epochs is a positive number, at most %d.", MaxEpochs)))
		}
	}
	return diags
}

// checkShape checks what the experiment's parts say together: datasets in
// their roles, something to evaluate, encoders, and samplers exactly with
// training data. failed says earlier checks had errors (the shape is then
// not judged, as it follows from them).
func (e *Experiment) checkShape(b *hcl.Block, content *hcl.BodyContent, failed bool) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, d := range e.Train {
		if d.Role != RoleTrain {
			diags = append(diags, attrError(content.Attributes["train"], "Training on an evaluation dataset",
				fmt.Sprintf("Dataset %q has role %q; only datasets with role \"train\" may be trained on, so no evaluation data is ever seen in training.", d.Name, d.Role)))
		}
	}
	for _, d := range e.Evaluate {
		if d.Role != RoleEvaluate {
			diags = append(diags, attrError(content.Attributes["evaluate"], "Evaluating on a training dataset",
				fmt.Sprintf("Dataset %q has role %q.", d.Name, d.Role)))
		}
	}
	if len(e.Evaluate) == 0 && e.Validation == 0 && !failed && !diags.HasErrors() {
		d := attrError(content.Attributes["evaluate"], "Nothing to evaluate",
			"List at least one dataset in evaluate (only a run that measures a validation loss, to choose a training length, may evaluate nothing).")
		if d.Subject == nil {
			d.Subject = b.DefRange.Ptr()
		}
		diags = append(diags, d)
	}
	if len(e.Encoders) == 0 && !failed && !diags.HasErrors() {
		diags = append(diags, attrError(content.Attributes["encoders"], "No encoders", "List at least one encoder."))
	}
	if (len(e.Samplers) > 0) != (len(e.Train) > 0) && !failed && !diags.HasErrors() {
		a := content.Attributes["samplers"]
		if a == nil {
			a = content.Attributes["train"]
		}
		r := b.DefRange
		if a != nil {
			r = a.Range
		}
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Samplers and training data go together",
			Detail: "Samplers choose training batches: list samplers exactly when the experiment has train datasets.", Subject: r.Ptr()})
	}
	return diags
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

// checkName reports a block label that is not a valid name, at the label.
func checkName(kind string, b *hcl.Block) *hcl.Diagnostic {
	if NamePattern.MatchString(b.Labels[0]) {
		return nil
	}
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: fmt.Sprintf("Invalid %s name", kind),
		Detail:  fmt.Sprintf("%q is not a valid name: names start with a letter or digit and hold only letters, digits, '-' and '_' (at most 64), because they become folder names.", b.Labels[0]),
		Subject: b.LabelRanges[0].Ptr()}
}

// Bounds on an experiment's numbers: beyond them a run would exhaust
// memory or never end, so validate refuses them.
const (
	MaxSteps     = 10_000_000
	MaxEpochs    = 1000
	MaxBatchSize = 65536
	MaxSeeds     = 1000
	MaxSeed      = 1 << 53 // seeds are exact as HCL numbers up to here
)

// traversalName reads a traversal of the form kind.NAME.
func traversalName(tr hcl.Traversal, kind string) (string, bool) {
	if len(tr) != 2 || tr.RootName() != kind {
		return "", false
	}
	step, ok := tr[1].(hcl.TraverseAttr)
	return step.Name, ok
}

// refs reads a list of references of the form kind.NAME.
func refs(a *hcl.Attribute, kind string, diags *hcl.Diagnostics) []ref {
	if a == nil {
		return nil
	}
	items, d := hcl.ExprList(a.Expr)
	*diags = append(*diags, d...)
	var out []ref
	for _, it := range items {
		tr, d := hcl.AbsTraversalForExpr(it)
		if d.HasErrors() || len(tr) != 2 || tr.RootName() != kind {
			*diags = append(*diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid reference",
				Detail:  fmt.Sprintf("Expected a reference like %s.NAME.", kind),
				Subject: it.Range().Ptr()})
			continue
		}
		step, ok := tr[1].(hcl.TraverseAttr)
		if !ok {
			*diags = append(*diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid reference",
				Detail: fmt.Sprintf("Expected a reference like %s.NAME.", kind), Subject: it.Range().Ptr()})
			continue
		}
		out = append(out, ref{step.Name, it.Range()})
	}
	return out
}

func undeclared(kind string, r ref, declared []string) *hcl.Diagnostic {
	detail := fmt.Sprintf("No %s named %q is declared.", kind, r.name)
	if len(declared) > 0 {
		detail += fmt.Sprintf(" Declared: %s.", strings.Join(declared, ", "))
	}
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: fmt.Sprintf("Reference to undeclared %s", kind),
		Detail: detail, Subject: r.rng.Ptr()}
}

func (s *Spec) datasetNames() []string {
	var out []string
	for _, d := range s.Datasets {
		out = append(out, d.Name)
	}
	return out
}

func names(cs []*Component) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

func attrError(a *hcl.Attribute, summary, detail string) *hcl.Diagnostic {
	d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail}
	if a != nil {
		d.Subject = a.Expr.Range().Ptr()
	}
	return d
}

func stringAttr(a *hcl.Attribute, dst *string) hcl.Diagnostics {
	if a == nil {
		return nil
	}
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		return diags
	}
	if v.Type() != cty.String || v.IsNull() {
		return hcl.Diagnostics{attrError(a, "Incorrect attribute value type", fmt.Sprintf("%q must be a string.", a.Name))}
	}
	*dst = v.AsString()
	return nil
}

func numberAttr(a *hcl.Attribute, dst *float64) hcl.Diagnostics {
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		return diags
	}
	if v.Type() != cty.Number || v.IsNull() {
		return hcl.Diagnostics{attrError(a, "Incorrect attribute value type", fmt.Sprintf("%q must be a number.", a.Name))}
	}
	*dst, _ = v.AsBigFloat().Float64()
	return nil
}

func stringListAttr(a *hcl.Attribute, dst *[]string) hcl.Diagnostics {
	if a == nil {
		return nil
	}
	return listAttr(a, "strings", dst)
}

func numberListAttr(a *hcl.Attribute, dst *[]float64) hcl.Diagnostics {
	return listAttr(a, "numbers", dst)
}

// listAttr reads a list attribute whose elements must all be of type T
// (what ctyToGo makes of them); what names T in the diagnostic.
func listAttr[T any](a *hcl.Attribute, what string, dst *[]T) hcl.Diagnostics {
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		return diags
	}
	bad := hcl.Diagnostics{attrError(a, "Incorrect attribute value type", fmt.Sprintf("%q must be a list of %s.", a.Name, what))}
	g, err := ctyToGo(v)
	l, ok := g.([]any)
	if err != nil || !ok {
		return bad
	}
	for _, e := range l {
		x, ok := e.(T)
		if !ok {
			return bad
		}
		*dst = append(*dst, x)
	}
	return nil
}

// ctyToGo converts a literal HCL value to the Go values plugins.Params holds.
func ctyToGo(v cty.Value) (any, error) {
	if v.IsNull() {
		return nil, fmt.Errorf("null is not a value")
	}
	if !v.IsKnown() {
		return nil, fmt.Errorf("value is not known")
	}
	t := v.Type()
	switch {
	case t == cty.String:
		return v.AsString(), nil
	case t == cty.Bool:
		return v.True(), nil
	case t == cty.Number:
		f, _ := v.AsBigFloat().Float64()
		return f, nil
	case t.IsTupleType() || t.IsListType():
		out := []any{}
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			g, err := ctyToGo(e)
			if err != nil {
				return nil, err
			}
			out = append(out, g)
		}
		return out, nil
	}
	return nil, fmt.Errorf("values of type %s are not supported (use numbers, strings, bools or lists of them)", t.FriendlyName())
}
