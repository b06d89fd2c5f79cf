package spec

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// VariableEnvPrefix names the environment variable that sets a spec
// variable: XLBENCH_VAR_labse sets variable "labse" (in the spirit of
// Terraform's TF_VAR_ variables), for every command that reads specs.
// Package cli reads them into the Values it parses with.
const VariableEnvPrefix = "XLBENCH_VAR_"

// Values are spec variables' values given from outside the spec files,
// by variable name.
type Values map[string]string

// A spec variable is a value the spec leaves to whoever runs it, such as
// where a pretrained model's folder is on their machine:
//
//	variable "labse" {
//	  description = "LaBSE in sentence-transformers layout"
//	  default     = "/models/LaBSE"   # optional
//	}
//	encoder "labse" {
//	  plugin = "../plugins/hf-encoder/hf_encoder.py"
//	  params = { model = var.labse }
//	}
//
// Parameters may use var.NAME. Its value is the one ParseWith is given
// (the environment's XLBENCH_VAR_NAME, a string) when set, else the
// default; a variable
// with neither is an error. The value is part of the parameters, so it is
// part of every cell id.
var variableSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "description"},
	{Name: "default"},
}}

// Variable is one declared spec variable and the value it took.
type Variable struct {
	Name, Description string
	// FromEnv: the value was given (XLBENCH_VAR_<Name>), not the default.
	FromEnv bool
	Value   cty.Value
	Range   hcl.Range
}

// decodeVariables reads every file's variable blocks and returns the
// context parameters are evaluated in (var.NAME).
func (s *Spec) decodeVariables(contents []*hcl.BodyContent, given Values) (*hcl.EvalContext, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	values := map[string]cty.Value{}
	for _, content := range contents {
		for _, b := range content.Blocks {
			if b.Type != "variable" || checkName(b.Type, b) != nil {
				continue
			}
			if s.duplicate(&diags, "variable", b.Labels[0], b) {
				continue
			}
			v, d := decodeVariable(b, given)
			diags = append(diags, d...)
			if v == nil {
				// Unknown, so the parameters that use it are skipped
				// rather than reported again.
				values[b.Labels[0]] = cty.DynamicVal
				continue
			}
			s.Variables = append(s.Variables, v)
			values[v.Name] = v.Value
		}
	}
	return &hcl.EvalContext{Variables: map[string]cty.Value{"var": cty.ObjectVal(values)}}, diags
}

func decodeVariable(b *hcl.Block, given Values) (*Variable, hcl.Diagnostics) {
	content, diags := b.Body.Content(variableSchema)
	if diags.HasErrors() {
		return nil, diags
	}
	v := &Variable{Name: b.Labels[0], Range: b.DefRange}
	if a := content.Attributes["description"]; a != nil {
		diags = append(diags, stringAttr(a, &v.Description)...)
	}
	env := VariableEnvPrefix + v.Name
	if s, ok := given[v.Name]; ok {
		v.Value, v.FromEnv = cty.StringVal(s), true
		return v, diags
	}
	a := content.Attributes["default"]
	if a == nil {
		return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Variable without a value",
			Detail:  fmt.Sprintf("Variable %q has no default and %s is not set: set it (%s=...) or give the variable a default.", v.Name, env, env),
			Subject: b.DefRange.Ptr()})
	}
	val, d := a.Expr.Value(nil)
	diags = append(diags, d...)
	if d.HasErrors() {
		return nil, diags
	}
	v.Value = val
	return v, diags
}
