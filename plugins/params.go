package plugins

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// ParamType is the type of a plugin parameter.
type ParamType int

// The parameter types. Integer is a number without a fractional part.
const (
	ParamNumber ParamType = iota + 1
	ParamInteger
	ParamString
	ParamBool
	ParamNumberList
	ParamStringList
)

func (t ParamType) String() string {
	switch t {
	case ParamNumber:
		return "number"
	case ParamInteger:
		return "integer"
	case ParamString:
		return "string"
	case ParamBool:
		return "bool"
	case ParamNumberList:
		return "list of numbers"
	case ParamStringList:
		return "list of strings"
	}
	return "unknown type"
}

// ParamSpec declares one parameter. Default must have the Go type that
// Params holds for Type (see Params).
type ParamSpec struct {
	Name        string
	Type        ParamType
	Description string
	Default     any
	// Min and Max are inclusive bounds for numeric parameters; nil means none.
	Min, Max *float64
	// OneOf lists the allowed values of a string parameter; empty means any.
	OneOf []string
}

// Bound returns a pointer to v, for ParamSpec.Min and Max.
func Bound(v float64) *float64 { return &v }

// Params holds parameter values by name. Values are float64 (numbers and
// integers), string, bool, []float64 or []string.
type Params map[string]any

// Float returns a numeric parameter. It panics if the parameter is missing
// or of another type: call it only on Params checked by CheckParams, which
// fills in defaults.
func (p Params) Float(name string) float64 { return p[name].(float64) }

// Int returns an integer parameter (see Float).
func (p Params) Int(name string) int { return int(p[name].(float64)) }

// String returns a string parameter (see Float).
func (p Params) String(name string) string { return p[name].(string) }

// Bool returns a boolean parameter (see Float).
func (p Params) Bool(name string) bool { return p[name].(bool) }

// Floats returns a list-of-numbers parameter (see Float).
func (p Params) Floats(name string) []float64 { return p[name].([]float64) }

// Strings returns a list-of-strings parameter (see Float).
func (p Params) Strings(name string) []string { return p[name].([]string) }

// ParamError is one problem with one parameter.
type ParamError struct {
	Name    string
	Message string
}

func (e ParamError) Error() string { return fmt.Sprintf("parameter %q: %s", e.Name, e.Message) }

// ParamErrors collects the problems CheckParams found.
type ParamErrors []ParamError

func (es ParamErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

// CheckParams checks p against specs and returns a copy with every declared
// default filled in. Unknown names, wrong types, values out of bounds and
// non-integral integers are errors. Host and plugin both call it: the host to
// report a spec's mistakes with their position, the plugin so it never runs
// on unchecked input.
func CheckParams(specs []ParamSpec, p Params) (Params, error) {
	byName := make(map[string]ParamSpec, len(specs))
	for _, s := range specs {
		byName[s.Name] = s
	}
	var errs ParamErrors
	out := make(Params, len(specs))
	names := make([]string, 0, len(p))
	for name := range p {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		s, ok := byName[name]
		if !ok {
			errs = append(errs, ParamError{name, unknownParamMessage(name, specs)})
			continue
		}
		v, err := coerce(s, p[name])
		if err != nil {
			errs = append(errs, ParamError{name, err.Error()})
			continue
		}
		out[name] = v
	}
	for _, s := range specs {
		if _, set := out[s.Name]; set || s.Default == nil {
			continue
		}
		if _, bad := p[s.Name]; bad {
			continue
		}
		out[s.Name] = s.Default
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

func unknownParamMessage(name string, specs []ParamSpec) string {
	if len(specs) == 0 {
		return "unknown parameter; this plugin takes no parameters"
	}
	known := make([]string, len(specs))
	for i, s := range specs {
		known[i] = s.Name
	}
	sort.Strings(known)
	msg := "unknown parameter; known: " + strings.Join(known, ", ")
	if near := closest(name, known); near != "" {
		msg = fmt.Sprintf("unknown parameter; did you mean %q? (known: %s)", near, strings.Join(known, ", "))
	}
	return msg
}

// closest returns the known name within edit distance 2 of name, if any.
func closest(name string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(name, k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

func coerce(s ParamSpec, v any) (any, error) {
	switch s.Type {
	case ParamNumber, ParamInteger:
		f, ok := asFloat(v)
		if !ok {
			return nil, fmt.Errorf("want %s, got %s", s.Type, describe(v))
		}
		if s.Type == ParamInteger && f != math.Trunc(f) {
			return nil, fmt.Errorf("want an integer, got %v", f)
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("want a finite number, got %v", f)
		}
		if s.Min != nil && f < *s.Min {
			return nil, fmt.Errorf("%v is below the minimum %v", f, *s.Min)
		}
		if s.Max != nil && f > *s.Max {
			return nil, fmt.Errorf("%v is above the maximum %v", f, *s.Max)
		}
		return f, nil
	case ParamString:
		str, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want a string, got %s", describe(v))
		}
		if len(s.OneOf) > 0 && !slices.Contains(s.OneOf, str) {
			return nil, fmt.Errorf("%q is not one of %s", str, strings.Join(s.OneOf, ", "))
		}
		return str, nil
	case ParamBool:
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("want a bool, got %s", describe(v))
		}
		return b, nil
	case ParamNumberList:
		switch l := v.(type) {
		case []float64:
			return slices.Clone(l), nil
		case []any:
			out := make([]float64, len(l))
			for i, e := range l {
				f, ok := asFloat(e)
				if !ok {
					return nil, fmt.Errorf("element %d: want a number, got %s", i, describe(e))
				}
				out[i] = f
			}
			return out, nil
		}
		return nil, fmt.Errorf("want %s, got %s", s.Type, describe(v))
	case ParamStringList:
		switch l := v.(type) {
		case []string:
			return slices.Clone(l), nil
		case []any:
			out := make([]string, len(l))
			for i, e := range l {
				str, ok := e.(string)
				if !ok {
					return nil, fmt.Errorf("element %d: want a string, got %s", i, describe(e))
				}
				out[i] = str
			}
			return out, nil
		}
		return nil, fmt.Errorf("want %s, got %s", s.Type, describe(v))
	}
	return nil, fmt.Errorf("parameter declared with unknown type %d", int(s.Type))
}

func asFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	}
	return 0, false
}

func describe(v any) string {
	switch v.(type) {
	case float64, float32, int, int64, uint64:
		return "a number"
	case string:
		return "a string"
	case bool:
		return "a bool"
	case []any, []float64, []string:
		return "a list"
	case map[string]any:
		return "an object"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}
