package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/xlbench/xlbench/harness/internal/safepath"
	"github.com/xlbench/xlbench/harness/results"
	"github.com/xlbench/xlbench/harness/spec"
)

// declaredTuning gives each trained result that records no tuned_by the
// declaration of the spec files its run was given, when they are at hand
// and still describe the sampler the result trained with (the same
// plugin, languages, params as written and steps): a result stored before
// xlbench recorded the declaration reads as its spec declares it, and
// says where the declaration was read. The results themselves are not
// changed; the returned slice holds copies where one was made.
func declaredTuning(rs []*results.CellResult, vals spec.Values) []*results.CellResult {
	parsed := map[string]*spec.Spec{}
	out := make([]*results.CellResult, len(rs))
	for i, r := range rs {
		out[i] = r
		if r.Training == nil || r.Sampler == nil || r.Sampler.TunedBy != "" || r.Manifest == nil || len(r.Manifest.Specs) == 0 {
			continue
		}
		var files []string
		for _, f := range r.Manifest.Specs {
			files = append(files, f.Path)
		}
		key := strings.Join(files, "\x00")
		s, seen := parsed[key]
		if !seen {
			s = parseQuietly(files, vals)
			parsed[key] = s
		}
		if s == nil {
			continue
		}
		if by := tunedAsDeclared(s, r); by != "" {
			cp, sc := *r, *r.Sampler
			sc.TunedBy = fmt.Sprintf("%s (as %s declares)", by, strings.Join(files, " + "))
			cp.Sampler = &sc
			out[i] = &cp
		}
	}
	return out
}

// parseQuietly parses recorded spec files that are valid and lie inside
// the working folder (safepath, as the leaderboard's links do); nil
// otherwise.
func parseQuietly(files []string, vals spec.Values) *spec.Spec {
	for _, f := range files {
		if _, err := safepath.Join(".", f); err != nil {
			return nil
		}
	}
	s, diags := spec.ParseRecorded(vals, files...)
	if diags.HasErrors() {
		return nil
	}
	return s
}

// tunedAsDeclared is the tuned_by of r's sampler in s, if s's experiment
// trains that sampler as r records it did; "" otherwise.
func tunedAsDeclared(s *spec.Spec, r *results.CellResult) string {
	e := s.Experiment(r.Experiment)
	if e == nil {
		return ""
	}
	i := slices.IndexFunc(e.Samplers, func(c *spec.Component) bool { return c.Name == r.Sampler.Name })
	if i < 0 {
		return ""
	}
	c := e.Samplers[i]
	if steps, _ := e.Length(c); c.Written != r.Sampler.Plugin || !slices.Equal(c.Languages, r.Sampler.Languages) || steps != r.Training.Steps {
		return ""
	}
	for k, v := range c.Params {
		if fmt.Sprint(v) != fmt.Sprint(r.Sampler.Params[k]) {
			return ""
		}
	}
	return c.TunedBy
}
