// The HCL schemas of the spec's blocks.

package spec

import "github.com/hashicorp/hcl/v2"

var rootSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: "variable", LabelNames: []string{"name"}},
	{Type: "dataset", LabelNames: []string{"name"}},
	{Type: "encoder", LabelNames: []string{"name"}},
	{Type: "sampler", LabelNames: []string{"name"}},
	{Type: "reader", LabelNames: []string{"name"}},
	{Type: "experiment", LabelNames: []string{"name"}},
	{Type: "extend", LabelNames: []string{"experiment"}},
}}

// extendSchema is an extend block's: samplers and encoders added to an
// experiment that another file declares, so that a contribution runs
// beside the default experiment without editing it (files given together
// are one spec).
var extendSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "samplers"},
	{Name: "encoders"},
	{Name: "baseline"},
}}

var datasetSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "format", Required: true},
	{Name: "path", Required: true},
	{Name: "role"},
	{Name: "languages"},
}}

var componentSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "plugin", Required: true},
	{Name: "params"},
	{Name: "languages"},
	{Name: "steps"},
	{Name: "tuned_by"},
}}

var experimentSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "train"},
	{Name: "evaluate"},
	{Name: "encoders", Required: true},
	{Name: "samplers"},
	{Name: "seeds"},
	{Name: "batch_size"},
	{Name: "steps"},
	{Name: "epochs"},
	{Name: "readers"},
	{Name: "read_top_k"},
	{Name: "start_from"},
	{Name: "held_out"},
	{Name: "baseline"},
	{Name: "validation"},
	{Name: "validate_every"},
}}
