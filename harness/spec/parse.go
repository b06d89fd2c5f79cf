// Reading spec files: blocks, names, references, extend blocks and
// pretraining stages.

package spec

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/xlbench/xlbench/plugins"
)

// Parse reads and checks spec files, every variable at its default. The
// returned Spec is usable only when the diagnostics hold no error; Files
// is always set.
func Parse(filenames ...string) (*Spec, hcl.Diagnostics) { return ParseWith(nil, filenames...) }

// ParseWith is Parse with variables' values given (package cli passes
// the environment's XLBENCH_VAR_ ones); a variable not given takes its
// default.
func ParseWith(given Values, filenames ...string) (*Spec, hcl.Diagnostics) {
	return parse(given, false, filenames...)
}

// ParseRecorded is ParseWith for spec files a stored result names: only
// regular files are read, as lock files are. A result's paths are
// anyone's text, and a pipe named there would block the command reading
// the results.
func ParseRecorded(given Values, filenames ...string) (*Spec, hcl.Diagnostics) {
	return parse(given, true, filenames...)
}

func parse(given Values, regularOnly bool, filenames ...string) (*Spec, hcl.Diagnostics) {
	p := hclparse.NewParser()
	var diags hcl.Diagnostics
	var bodies []hcl.Body
	for _, fn := range filenames {
		f, d := parseBounded(p, fn, regularOnly)
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

// checkName reports a block label that is not a valid name, at the label.
func checkName(kind string, b *hcl.Block) *hcl.Diagnostic {
	if NamePattern.MatchString(b.Labels[0]) {
		return nil
	}
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: fmt.Sprintf("Invalid %s name", kind),
		Detail:  fmt.Sprintf("%q is not a valid name: names start with a letter or digit and hold only letters, digits, '-' and '_' (at most 64), because they become folder names.", b.Labels[0]),
		Subject: b.LabelRanges[0].Ptr()}
}

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
