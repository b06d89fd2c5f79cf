// Decoding each block's attributes.

package spec

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/xlbench/xlbench/harness/dataset"
	"github.com/xlbench/xlbench/harness/lang"
	"github.com/xlbench/xlbench/plugins"
)

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
