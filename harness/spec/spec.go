// Package spec reads xlbench spec files: HCL with seven block types
// (extend "EXPERIMENT" { samplers = [...], encoders = [...], baseline = sampler.X } adds
// samplers and encoders to an experiment another file given with it
// declares; variable "NAME" { default = ... } is a value parameters use as
// var.NAME, set by the environment's XLBENCH_VAR_NAME: variables.go).
//
//	dataset "xquad-r" {
//	  format    = "lareqa"          # the loader
//	  path      = "xquad-r"         # folder in the data directory
//	  languages = ["en", "de"]      # optional; default: every file found
//	  role      = "evaluate"        # "evaluate" (default) or "train"
//	}
//	encoder "bm25" {
//	  plugin = "builtin:bm25"       # or the path of a plugin executable
//	  params = { k1 = 0.9, b = 0.4 }
//	}
//	sampler "hybrid" {
//	  plugin    = "builtin:hybrid"
//	  params    = { alpha = 0.5 }
//	  languages = ["de", "es"]      # optional: the harness hands the sampler
//	                                # only pairs with both sides in these
//	                                # languages and validates it on them
//	  steps     = 3000              # optional: this sampler's training length,
//	                                # in place of the experiment's
//	}
//	reader "span" {
//	  plugin = "builtin:reader"     # extractive QA, trained on the train datasets
//	}
//	experiment "xquad-r-bm25" {
//	  start_from = experiment.base   # optional: trainable encoders start from
//	                                 # the model that experiment's one trained
//	                                 # cell leaves (a pretraining stage)
//	  held_out   = ["el", "vi"]      # optional: languages removed from train
//	  validation = 0.02              # optional: share of train groups set
//	  validate_every = 250           # aside for a validation loss, measured
//	                                 # every so many steps
//	  baseline   = sampler.mono      # optional: the row others are tested
//	                                 # against (default: the first sampler
//	                                 # whose plugin is "monolingual")
//	  train      = []                # datasets with role "train"
//	  evaluate   = [dataset.xquad-r]
//	  encoders   = [encoder.bm25]
//	  samplers   = []                # required exactly when train is set
//	  seeds      = [1]
//	  batch_size = 64
//	  steps      = 2000              # or epochs = 1 (passes over the groups)
//	  readers    = [reader.span]     # optional: EM/F1 of retrieve-then-read
//	  read_top_k = 5                 # candidates each question's reader sees
//	}
//
// Parse checks syntax, attributes and references; Check asks each plugin
// for its parameters and checks params against them. Both report problems
// as HCL diagnostics with source ranges.
package spec
