package spec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/xlbench/xlbench/plugins"
)

// Catalog finds plugins and describes them; the plugin host is one.
type Catalog interface {
	// Resolve checks a plugin reference; it returns the kind when it is
	// known without starting the plugin (built-ins), else "".
	Resolve(ref string) (plugins.Kind, error)
	Describe(ctx context.Context, ref string, kind plugins.Kind) (plugins.Info, error)
}

// Pinner is a catalog that starts an external plugin only while its
// executable has the sha256 its lock file pins: the plugin host, which
// hashes the file it opens and starts that same open file.
type Pinner interface {
	Pin(path, sha256 string)
}

// Resolved is a spec as its plugins describe it, what runs are planned
// from: every component with its plugin's Info and its params checked,
// with defaults (Checked), and every experiment with its baseline chosen
// and its references pointing at the resolved components and stage.
// Check builds it from copies: the parsed Spec stays as written.
type Resolved struct {
	Experiments []*Experiment
}

// Experiment returns the resolved experiment called name, or nil.
func (r *Resolved) Experiment(name string) *Experiment {
	for _, e := range r.Experiments {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// Check resolves every encoder, sampler and reader's plugin, reads its
// parameter declarations and checks the block's params against them, and
// checks what needs them (stages, readers' bases). It returns the
// Resolved spec when the diagnostics hold no error.
func (s *Spec) Check(ctx context.Context, cat Catalog) (*Resolved, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	infos := map[string]plugins.Info{}
	locks := map[string]*Lock{}
	resolved := map[*Component]*Component{}
	for _, c := range slices.Concat(s.Encoders, s.Samplers, s.Readers) {
		// An external plugin runs only as pinned: before it is started,
		// even to describe itself.
		if c.External() {
			sum, d := checkPin(c, locks)
			if d != nil {
				diags = append(diags, d)
				continue
			}
			if p, ok := cat.(Pinner); ok {
				p.Pin(c.Plugin, sum)
			}
		}
		kind, err := cat.Resolve(c.Plugin)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown plugin",
				Detail: err.Error() + ".", Subject: c.PluginRange.Ptr()})
			continue
		}
		if kind != "" && kind != c.Kind {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Wrong plugin kind",
				Detail:  fmt.Sprintf("Plugin %s is a %s; %s %q needs a %s plugin.", c.Plugin, kind, c.Kind, c.Name, c.Kind),
				Subject: c.PluginRange.Ptr()})
			continue
		}
		key := string(c.Kind) + " " + c.Plugin
		info, ok := infos[key]
		if !ok {
			info, err = cat.Describe(ctx, c.Plugin, c.Kind)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Plugin failed to describe itself",
					Detail: err.Error() + ".", Subject: c.PluginRange.Ptr()})
				continue
			}
			infos[key] = info
		}
		checked, err := plugins.CheckParams(info.Params, c.Params)
		var perrs plugins.ParamErrors
		switch {
		case errors.As(err, &perrs):
			for _, pe := range perrs {
				r := c.ParamRanges[pe.Name]
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError,
					Summary: fmt.Sprintf("Invalid parameter for %s", c.Plugin),
					Detail:  fmt.Sprintf("Parameter %q: %s.", pe.Name, pe.Message),
					Subject: r.Ptr()})
			}
		case err != nil:
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid parameters",
				Detail: err.Error(), Subject: c.Range.Ptr()})
		default:
			rc := *c
			rc.Info, rc.Checked = info, checked
			resolved[c] = &rc
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	r := s.resolve(resolved)
	for _, e := range r.Experiments {
		diags = append(diags, e.checkStage()...)
		diags = append(diags, e.checkReaderBase()...)
		e.defaultBaseline()
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return r, diags
}

// resolve copies every experiment with its components replaced by their
// resolved copies and its stage by the stage's copy.
func (s *Spec) resolve(comps map[*Component]*Component) *Resolved {
	each := func(cs []*Component) []*Component {
		out := make([]*Component, len(cs))
		for i, c := range cs {
			out[i] = comps[c]
		}
		return out
	}
	r := &Resolved{}
	exps := map[*Experiment]*Experiment{}
	for _, e := range s.Experiments {
		re := *e
		re.Encoders, re.Samplers = each(e.Encoders), each(e.Samplers)
		if e.Reader != nil {
			re.Reader = comps[e.Reader]
		}
		if e.Baseline != nil {
			re.Baseline = comps[e.Baseline]
		}
		exps[e] = &re
		r.Experiments = append(r.Experiments, &re)
	}
	for _, re := range r.Experiments {
		if re.StartFrom != nil {
			re.StartFrom = exps[re.StartFrom]
		}
	}
	return r
}

// CheckpointParam is the parameter through which an encoder starts from a
// saved model. An encoder that can start from a pretraining stage declares
// it (a string); the host sets it to the stage's checkpoint.
const CheckpointParam = "checkpoint"

// ReaderBaseParam is the parameter through which a reader starts from a
// multilingual model; set to StageBase in a spec, the host hands it the
// experiment's stage model (start_from), as it does an encoder's
// CheckpointParam.
const (
	ReaderBaseParam = "base"
	StageBase       = "stage"
)

// ReadsFromStage reports whether the reader asks for the experiment's
// stage model (base = "stage").
func (c *Component) ReadsFromStage() bool {
	return c.Checked[ReaderBaseParam] == StageBase
}

// checkReaderBase checks that a reader asking for the stage's model
// (base = "stage") has one to get: the experiment starts from a stage.
func (e *Experiment) checkReaderBase() hcl.Diagnostics {
	var diags hcl.Diagnostics
	if rd := e.Reader; rd != nil && rd.ReadsFromStage() && e.StartFrom == nil {
		pr := rd.ParamRanges[ReaderBaseParam]
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No stage to start the reader from",
			Detail:  fmt.Sprintf("Reader %q sets %s = %q, but experiment %q has no start_from: name the stage, or give %s a checkpoint's path.", rd.Name, ReaderBaseParam, StageBase, e.Name, ReaderBaseParam),
			Subject: pr.Ptr()})
	}
	return diags
}

// checkStage checks that a stage's model can seed the experiment's trainable
// encoders: the stage's encoder trains, and every trainable encoder of the
// experiment takes a checkpoint parameter that the spec leaves to the host.
func (e *Experiment) checkStage() hcl.Diagnostics {
	if e.StartFrom == nil {
		return nil
	}
	var diags hcl.Diagnostics
	r := e.startFromAttr.Expr.Range()
	if enc := e.StartFrom.Encoders[0]; !enc.Info.Trainable {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Stage does not train",
			Detail:  fmt.Sprintf("Encoder %q of stage %q does not train, so the stage leaves no model to start from.", enc.Name, e.StartFrom.Name),
			Subject: r.Ptr()})
	}
	for _, enc := range e.Encoders {
		if !enc.Info.Trainable {
			continue
		}
		declared := slices.ContainsFunc(enc.Info.Params, func(p plugins.ParamSpec) bool {
			return p.Name == CheckpointParam && p.Type == plugins.ParamString
		})
		switch {
		case !declared:
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Encoder cannot start from a stage",
				Detail:  fmt.Sprintf("Encoder %q (%s) declares no string parameter %q, through which the host hands it the stage's model.", enc.Name, enc.Plugin, CheckpointParam),
				Subject: r.Ptr()})
		case enc.Params[CheckpointParam] != nil && enc.Params[CheckpointParam] != "":
			pr := enc.ParamRanges[CheckpointParam]
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Two starting points",
				Detail:  fmt.Sprintf("Encoder %q sets %s, but experiment %q starts it from stage %q: drop one.", enc.Name, CheckpointParam, e.Name, e.StartFrom.Name),
				Subject: pr.Ptr()})
		}
	}
	return diags
}

// defaultBaseline picks the baseline sampler when the spec names none: the
// first sampler whose plugin is the monolingual one over every language,
// else the first monolingual one over several (not LAReQA's En-En, one
// language). With neither, the experiment has no baseline, and its
// tables say so.
func (e *Experiment) defaultBaseline() {
	if e.Baseline != nil {
		return
	}
	for _, several := range []bool{false, true} {
		for _, s := range e.Samplers {
			if s.Info.Name == "monolingual" && (len(s.Languages) == 0 || several && len(s.Languages) > 1) {
				e.Baseline = s
				return
			}
		}
	}
}

// WriteDiagnostics prints diagnostics as "file:line:col: severity: summary"
// with the detail, the source line and a caret under the range.
func WriteDiagnostics(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics) {
	sorted := append(hcl.Diagnostics{}, diags...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i].Subject, sorted[j].Subject
		if a == nil || b == nil {
			return a != nil
		}
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		return a.Start.Byte < b.Start.Byte
	})
	for _, d := range sorted {
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		msg := d.Summary
		if d.Detail != "" {
			msg += ": " + strings.TrimSuffix(d.Detail, ".")
		}
		if d.Subject == nil {
			fmt.Fprintf(w, "%s: %s\n", sev, msg)
			continue
		}
		r := d.Subject
		fmt.Fprintf(w, "%s:%d:%d: %s: %s\n", r.Filename, r.Start.Line, r.Start.Column, sev, msg)
		f := files[r.Filename]
		if f == nil {
			continue
		}
		lines := strings.Split(string(f.Bytes), "\n")
		if r.Start.Line < 1 || r.Start.Line > len(lines) {
			continue
		}
		line := strings.TrimRight(lines[r.Start.Line-1], "\r")
		width := 1
		if r.End.Line == r.Start.Line && r.End.Column > r.Start.Column {
			width = r.End.Column - r.Start.Column
		}
		pad := []rune(line)
		if r.Start.Column-1 < len(pad) {
			pad = pad[:r.Start.Column-1]
		}
		for i, c := range pad {
			if c != '\t' {
				pad[i] = ' '
			}
		}
		fmt.Fprintf(w, "  %4d | %s\n       | %s%s\n", r.Start.Line, line, string(pad), strings.Repeat("^", width))
	}
}
