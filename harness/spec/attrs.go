// Typed HCL attribute readers and their diagnostics.

package spec

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

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
