package spec

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xlbench/xlbench/plugins"
)

func summaries(t *testing.T, files ...string) []string {
	t.Helper()
	_, diags := Parse(files...)
	var got []string
	for _, d := range diags {
		got = append(got, d.Subject.String()+": "+d.Summary+": "+d.Detail)
	}
	return got
}

// TestVariableDiagnostics: a variable with neither a default nor its
// environment variable is an error at its block, once (the parameters
// using it say nothing more); a reference to an undeclared variable is an
// error at the reference.
func TestVariableDiagnostics(t *testing.T) {
	want := []string{`testdata/variables.hcl:6,1-13: Variable without a value: Variable "b" has no default and XLBENCH_VAR_b is not set: set it (XLBENCH_VAR_b=...) or give the variable a default.`}
	if diff := cmp.Diff(want, summaries(t, "testdata/variables.hcl")); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	got := summaries(t, "testdata/variables-undeclared.hcl")
	if len(got) != 1 || !strings.HasPrefix(got[0], `testdata/variables-undeclared.hcl:3,22-25: Unsupported attribute: This object does not have an attribute named "k1"`) {
		t.Errorf("undeclared: %q", got)
	}
}

// TestVariableValues: parameters take a variable's default, or the value
// given (the environment's XLBENCH_VAR_<name>: a string, which the
// plugin's parameter check judges like any other value).
func TestVariableValues(t *testing.T) {
	s, diags := ParseWith(Values{"b": "0.4"}, "testdata/variables.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if diff := cmp.Diff(plugins.Params{"k1": 1.5, "b": "0.4"}, s.Encoders[0].Params); diff != "" {
		t.Errorf("params (-want +got):\n%s", diff)
	}
	if _, check := s.Check(context.Background(), catalog{}); !check.HasErrors() || !strings.Contains(check.Error(), `Parameter "b": want number, got a string`) {
		t.Errorf("a string from the environment for a number parameter: %v", check)
	}
	if len(s.Variables) != 2 || s.Variables[0].FromEnv || !s.Variables[1].FromEnv || s.Variables[1].Description != "BM25's b" {
		t.Errorf("variables: %+v", s.Variables)
	}
}
