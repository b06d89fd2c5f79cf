package plugins_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xlbench/xlbench/plugins"
)

func TestCheckParams(t *testing.T) {
	specs := []plugins.ParamSpec{
		{Name: "n", Type: plugins.ParamInteger, Default: 3.0, Min: plugins.Bound(1)},
		{Name: "rate", Type: plugins.ParamNumber, Max: plugins.Bound(1)},
		{Name: "on", Type: plugins.ParamBool, Default: true},
		{Name: "langs", Type: plugins.ParamStringList},
	}
	got, err := plugins.CheckParams(specs, plugins.Params{"rate": 0.5, "langs": []any{"de", "en"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(plugins.Params{"n": 3.0, "rate": 0.5, "on": true, "langs": []string{"de", "en"}}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		p    plugins.Params
		want string
	}{
		{plugins.Params{"n": 2.5}, "want an integer"},
		{plugins.Params{"n": 0.0}, "below the minimum 1"},
		{plugins.Params{"rate": 2.0}, "above the maximum 1"},
		{plugins.Params{"on": "yes"}, "want a bool, got a string"},
		{plugins.Params{"langs": []any{"de", 1.0}}, "element 1: want a string"},
		{plugins.Params{"rat": 0.1}, `did you mean "rate"?`},
	} {
		_, err := plugins.CheckParams(specs, tc.p)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckParams(%v) = %v, want %q", tc.p, err, tc.want)
		}
	}
}
