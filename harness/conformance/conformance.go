// Package conformance checks that a plugin honours the xlbench plugin
// contract, through the same host the harness runs plugins with: what
// `xlbench plugin check` runs.
//
// Every check is named, and a failed check says what broke. The checks:
//
//   - handshake: the process starts and completes go-plugin's handshake
//     with the host's protocol version (a plugin built for another version
//     fails here with both versions named);
//   - describe: Describe answers a name and a version, and the declared
//     parameters' defaults pass their own declarations;
//   - default params: no parameters and every default given explicitly
//     behave the same (same batches, vectors or answers);
//   - unknown params refused, bad params refused: an unknown name, and for
//     each declared parameter a value of the wrong type, outside its bounds
//     or outside its choices, make Start or Configure fail;
//   - determinism: the same seed gives the same batches, vectors, losses
//     and answers, in the same process and in a second one;
//   - batch validity (samplers): every pair names a known group and
//     languages that group offers on each side (a translation group offers
//     no same-language pair), no group appears twice in a batch, and every
//     batch has the batch size;
//   - other param values (samplers): with each parameter at its other
//     valid values (a bool the other way, every choice, each declared
//     bound), Start succeeds and the batches are valid;
//   - feedback (samplers that observe training): Observe takes the
//     feedback of each chunk, the batches stay valid, and the same feedback
//     gives the same batches;
//   - vectors (encoders): one vector per text, of the configured dimension,
//     finite; sparse vectors well formed;
//   - training (trainable encoders): one finite loss per step; an encoder
//     that does not train refuses training calls (training refused);
//   - answers (readers): one answer per query, naming one of its candidates,
//     whose text is that candidate's substring at the answer's start;
//   - clean shutdown: the process exits with status 0 when the host asks
//     it to stop.
//
// Throughput is measured beside the checks: batches/s for a sampler, texts/s
// encoded and pairs/s trained for an encoder, queries/s for a reader.
package conformance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/xlbench/xlbench/harness/pluginhost"
	"github.com/xlbench/xlbench/plugins"
)

// Check is one property and whether the plugin has it (Err nil).
type Check struct {
	Name string
	Err  error
}

// Figure is one throughput measurement.
type Figure struct {
	Name  string
	Value float64
}

// Report is what checking one plugin found.
type Report struct {
	Ref     string
	Kind    plugins.Kind
	Info    plugins.Info
	Checks  []Check
	Figures []Figure
}

// Failed lists the checks that failed.
func (r *Report) Failed() []Check {
	var out []Check
	for _, c := range r.Checks {
		if c.Err != nil {
			out = append(out, c)
		}
	}
	return out
}

// Print writes the report as `xlbench plugin check` shows it.
func (r *Report) Print(w io.Writer) {
	name := r.Info.Name
	if name == "" {
		name = "?"
	}
	fmt.Fprintf(w, "plugin %s: %s %s %s\n", r.Ref, r.Kind, name, r.Info.Version)
	for _, c := range r.Checks {
		if c.Err == nil {
			fmt.Fprintf(w, "  ok    %s\n", c.Name)
		} else {
			fmt.Fprintf(w, "  FAIL  %s: %v\n", c.Name, c.Err)
		}
	}
	for _, f := range r.Figures {
		fmt.Fprintf(w, "  %-14s %.0f\n", f.Name, f.Value)
	}
	if n := len(r.Failed()); n > 0 {
		fmt.Fprintf(w, "%d of %d checks failed\n", n, len(r.Checks))
	} else {
		fmt.Fprintf(w, "all %d checks passed\n", len(r.Checks))
	}
}

// Kind finds the kind of plugin ref: a built-in's is known; an external
// plugin is started as each kind in turn until Describe answers.
func Kind(ctx context.Context, h *pluginhost.Host, ref string) (plugins.Kind, error) {
	kind, err := h.Resolve(ref)
	if err != nil || kind != "" {
		return kind, err
	}
	var errs []error
	for _, k := range []plugins.Kind{plugins.KindSampler, plugins.KindEncoder, plugins.KindReader} {
		if _, err := h.Describe(ctx, ref, k); err == nil {
			return k, nil
		} else {
			errs = append(errs, err)
		}
	}
	return "", fmt.Errorf("plugin %s answers Describe as no kind (give -kind to see one kind's checks): %w", ref, errors.Join(errs...))
}

// Run checks plugin ref as a plugin of kind; every configuration it
// makes carries the fixed parameters (nil for none).
func Run(ctx context.Context, h *pluginhost.Host, ref string, kind plugins.Kind, fixed plugins.Params) *Report {
	c := &checker{ctx: ctx, h: h, rep: &Report{Ref: ref, Kind: kind}, fixed: fixed}
	switch kind {
	case plugins.KindSampler:
		c.sampler()
	case plugins.KindEncoder:
		c.encoder()
	case plugins.KindReader:
		c.reader()
	default:
		c.check("handshake", func() error { return fmt.Errorf("unknown plugin kind %q", kind) })
	}
	return c.rep
}

type checker struct {
	ctx context.Context
	h   *pluginhost.Host
	rep *Report
	// fixed are parameters every configuration the checks make carries
	// (plugin check -param): a plugin that cannot run without some, an
	// encoder without its model folder, is checked with them.
	fixed plugins.Params
}

// with returns the fixed parameters overlaid with p.
func (c *checker) with(p plugins.Params) plugins.Params {
	if len(c.fixed) == 0 && p == nil {
		return nil
	}
	out := maps.Clone(c.fixed)
	if out == nil {
		out = plugins.Params{}
	}
	maps.Copy(out, p)
	return out
}

// defaults is every declared default, overlaid with the fixed parameters.
func (c *checker) defaults() plugins.Params {
	out := defaults(c.rep.Info)
	maps.Copy(out, c.fixed)
	return out
}

// check records the property name as f finds it, and reports whether it holds.
func (c *checker) check(name string, f func() error) bool {
	err := f()
	c.rep.Checks = append(c.rep.Checks, Check{Name: name, Err: err})
	return err == nil
}

func (c *checker) figure(name string, n int, d time.Duration) {
	c.rep.Figures = append(c.rep.Figures, Figure{Name: name, Value: float64(n) / max(d.Seconds(), 1e-9)})
}

// start starts the plugin and checks the handshake (only for the first
// process: a later one that fails to start fails the check it serves).
func (c *checker) start(label string, first bool) (*pluginhost.Instance, bool) {
	inst, err := c.h.Start(c.rep.Ref, c.rep.Kind, label)
	if first {
		return inst, c.check("handshake", func() error { return err })
	}
	if err != nil {
		c.check(label, func() error { return err })
		return nil, false
	}
	return inst, true
}

// describe checks Describe's answer.
func (c *checker) describe(describe func(context.Context) (plugins.Info, error)) bool {
	return c.check("describe", func() error {
		info, err := describe(c.ctx)
		if err != nil {
			return err
		}
		c.rep.Info = info
		if info.Name == "" || info.Version == "" {
			return fmt.Errorf("Describe answered name %q, version %q: both must be set", info.Name, info.Version)
		}
		if _, err := plugins.CheckParams(info.Params, nil); err != nil {
			return fmt.Errorf("the declared defaults fail their own declarations: %w", err)
		}
		return nil
	})
}

// defaults gives every declared default explicitly.
func defaults(info plugins.Info) plugins.Params {
	p := plugins.Params{}
	for _, s := range info.Params {
		if s.Default != nil {
			p[s.Name] = s.Default
		}
	}
	return p
}

// otherValues gives, for each declared parameter, the valid values other
// than its default that a plugin is most likely to get wrong: a bool the
// other way, every choice, a number at each bound it declares. A plugin
// must work with each, not only with its defaults.
func otherValues(info plugins.Info) []struct {
	name, why string
	value     any
} {
	type other = struct {
		name, why string
		value     any
	}
	var out []other
	for _, s := range info.Params {
		switch s.Type {
		case plugins.ParamBool:
			d, _ := s.Default.(bool)
			out = append(out, other{s.Name, "the bool the other way", !d})
		case plugins.ParamString:
			for _, choice := range s.OneOf {
				if choice != s.Default {
					out = append(out, other{s.Name, "another choice", choice})
				}
			}
		case plugins.ParamNumber, plugins.ParamInteger:
			for _, b := range []struct {
				bound *float64
				why   string
			}{{s.Min, "its minimum"}, {s.Max, "its maximum"}} {
				if b.bound != nil && *b.bound != s.Default {
					out = append(out, other{s.Name, b.why, *b.bound})
				}
			}
		}
	}
	return out
}

// unknownParam is a parameter name no plugin declares.
const unknownParam = "xlbench_conformance_unknown"

// badValues gives, for each declared parameter, values the declaration
// forbids, each with what is wrong with it.
func badValues(info plugins.Info) []struct {
	name, why string
	value     any
} {
	type bad = struct {
		name, why string
		value     any
	}
	var out []bad
	for _, s := range info.Params {
		switch s.Type {
		case plugins.ParamNumber, plugins.ParamInteger:
			out = append(out, bad{s.Name, "a string for a number", "x"})
			if s.Min != nil {
				out = append(out, bad{s.Name, "below its minimum", *s.Min - 1})
			}
			if s.Max != nil {
				out = append(out, bad{s.Name, "above its maximum", *s.Max + 1})
			}
			if s.Type == plugins.ParamInteger {
				lo := 0.0
				if s.Min != nil {
					lo = *s.Min
				}
				out = append(out, bad{s.Name, "a fraction for an integer", lo + 0.5})
			}
		case plugins.ParamString:
			out = append(out, bad{s.Name, "a number for a string", 1.0})
			if len(s.OneOf) > 0 {
				out = append(out, bad{s.Name, "not one of its choices", "xlbench-not-a-choice"})
			}
		case plugins.ParamBool:
			out = append(out, bad{s.Name, "a string for a bool", "yes"})
		case plugins.ParamNumberList:
			out = append(out, bad{s.Name, "a string in a list of numbers", []any{"x"}})
		case plugins.ParamStringList:
			out = append(out, bad{s.Name, "a number in a list of strings", []any{1.0}})
		}
	}
	return out
}

// refuses checks that start fails for an unknown parameter and for every
// forbidden value.
func (c *checker) refuses(start func(plugins.Params) error) {
	c.check("unknown params refused", func() error {
		if start(c.with(plugins.Params{unknownParam: 1.0})) == nil {
			return fmt.Errorf("accepted an unknown parameter %q", unknownParam)
		}
		return nil
	})
	c.check("bad params refused", func() error {
		var accepted []string
		for _, b := range badValues(c.rep.Info) {
			p := c.defaults()
			p[b.name] = b.value
			if start(p) == nil {
				accepted = append(accepted, fmt.Sprintf("%s = %v (%s)", b.name, b.value, b.why))
			}
		}
		if len(accepted) > 0 {
			return fmt.Errorf("accepted %s", strings.Join(accepted, "; "))
		}
		return nil
	})
}

// shutdown checks that every process exits cleanly when asked to.
func (c *checker) shutdown(insts ...*pluginhost.Instance) {
	c.check("clean shutdown", func() error {
		var errs []error
		for _, i := range insts {
			if i != nil {
				errs = append(errs, i.Shutdown())
			}
		}
		return errors.Join(errs...)
	})
}

func finite(xs []float32) error {
	for i, x := range xs {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("value %d is %v", i, x)
		}
	}
	return nil
}

// firstDiff describes where two sequences first differ.
func firstDiff[T any](a, b []T, eq func(T, T) bool) error {
	if len(a) != len(b) {
		return fmt.Errorf("%d items, then %d", len(a), len(b))
	}
	for i := range a {
		if !eq(a[i], b[i]) {
			return fmt.Errorf("item %d differs: %v, then %v", i, a[i], b[i])
		}
	}
	return nil
}

func batchesEqual(a, b plugins.Batch) bool { return slices.Equal(a, b) }
