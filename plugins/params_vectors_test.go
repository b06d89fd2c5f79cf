package plugins_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xlbench/xlbench/plugins"
)

// paramVectors are testdata/params.json: the parameter rules' test
// vectors, which the Python SDK's tests read too, so that the two
// implementations of CheckParams cannot drift apart.
type paramVectors struct {
	Specs []struct {
		Name    string   `json:"name"`
		Type    string   `json:"type"`
		Default any      `json:"default"`
		Min     *float64 `json:"min"`
		Max     *float64 `json:"max"`
		OneOf   []string `json:"one_of"`
	} `json:"specs"`
	Accepted []struct {
		Params map[string]any `json:"params"`
		Want   map[string]any `json:"want"`
	} `json:"accepted"`
	Refused []struct {
		Params map[string]any `json:"params"`
		Error  string         `json:"error"`
	} `json:"refused"`
}

// TestParamVectors: CheckParams accepts, fills in and refuses what the
// shared vectors say, with their messages word for word.
func TestParamVectors(t *testing.T) {
	raw, err := os.ReadFile("testdata/params.json")
	if err != nil {
		t.Fatal(err)
	}
	var v paramVectors
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	types := map[string]plugins.ParamType{"number": plugins.ParamNumber, "integer": plugins.ParamInteger, "string": plugins.ParamString,
		"bool": plugins.ParamBool, "number_list": plugins.ParamNumberList, "string_list": plugins.ParamStringList}
	var specs []plugins.ParamSpec
	for _, s := range v.Specs {
		typ, ok := types[s.Type]
		if !ok {
			t.Fatalf("spec %s: type %q", s.Name, s.Type)
		}
		spec := plugins.ParamSpec{Name: s.Name, Type: typ, Min: s.Min, Max: s.Max, OneOf: s.OneOf}
		if s.Default != nil {
			// Declared defaults hold the Go types Params holds.
			d, err := plugins.CheckParams([]plugins.ParamSpec{{Name: s.Name, Type: typ}}, plugins.Params{s.Name: s.Default})
			if err != nil {
				t.Fatalf("default of %s: %v", s.Name, err)
			}
			spec.Default = d[s.Name]
		}
		specs = append(specs, spec)
	}
	// Values as Params holds them, for comparing with what JSON decoded.
	norm := func(m map[string]any) map[string]any {
		out, _ := json.Marshal(m)
		var back map[string]any
		json.Unmarshal(out, &back)
		return back
	}
	for _, a := range v.Accepted {
		got, err := plugins.CheckParams(specs, a.Params)
		if err != nil {
			t.Errorf("CheckParams(%v): %v", a.Params, err)
			continue
		}
		if diff := cmp.Diff(norm(a.Want), norm(got)); diff != "" {
			t.Errorf("CheckParams(%v) (-want +got):\n%s", a.Params, diff)
		}
	}
	for _, r := range v.Refused {
		if _, err := plugins.CheckParams(specs, r.Params); err == nil || err.Error() != r.Error {
			t.Errorf("CheckParams(%v) = %v\nwant %s", r.Params, err, r.Error)
		}
	}
}
