# Choosing the default experiment's training lengths (and the fine-tuning
# learning rate) on held-out TRAINING data, never on XQuAD-R or MLQA-R:
# these experiments evaluate nothing. Each sets 5% of its training groups
# aside and records the validation loss (in-batch InfoNCE at τ = 0.05 over
# fixed batches of 64 held-out pairs; train.ValidationLoss) every 250 steps.
#
#   xlbench run -out out/tune specs/tune-lengths.hcl
#
# The rule: the shortest length whose validation loss is within 2% of the
# lowest measured, capped by make run's budget (30 minutes on 2 cores);
# specs/xquad-r.hcl gives the curves' numbers and the lengths chosen.

dataset "xnli" {
  format = "xnli"
  path   = "xnli"
  role   = "train"
}

dataset "ntrex" {
  format = "ntrex"
  path   = "ntrex-128"
  role   = "train"
}

dataset "tatoeba" {
  format = "tatoeba"
  path   = "tatoeba"
  role   = "train"
}

dataset "mlqa-parallel" {
  format = "mlqa"
  path   = "mlqa-v1/test-partial"
  role   = "train"
}

dataset "squad-en" {
  format    = "squad"
  path      = "squad-v1.1-train-en/train-v1.1.json"
  languages = ["en"]
  role      = "train"
}

encoder "base" {
  plugin = "builtin:gorgonia"
  params = { dim = 128, buckets = 262144, ngrams = [3, 4], lr = 0.003 }
}

encoder "fine-lr3" {
  plugin = "builtin:gorgonia"
  params = { dim = 128, buckets = 262144, ngrams = [3, 4], lr = 0.003 }
}

encoder "fine-lr1" {
  plugin = "builtin:gorgonia"
  params = { dim = 128, buckets = 262144, ngrams = [3, 4], lr = 0.001 }
}

sampler "cross-lingual" {
  plugin = "builtin:cross-lingual"
}

sampler "hybrid" {
  plugin = "builtin:hybrid"
  params = { alpha = 0.5 }
}

# Stage 1: translation ranking over the parallel sentences of all eleven
# languages.
experiment "tune-base" {
  train          = [dataset.xnli, dataset.ntrex, dataset.tatoeba]
  encoders       = [encoder.base]
  samplers       = [sampler.cross-lingual]
  seeds          = [1]
  batch_size     = 64
  steps          = 10000
  validation     = 0.05
  validate_every = 250
}

# Stage 2: fine-tuning on QA pairs from the stage-1 model, el and vi held
# out, with the hybrid sampler (the validation pairs mix monolingual and
# cross-lingual pairs as the data does, so they favour no sampler).
experiment "tune-fine" {
  start_from     = experiment.tune-base
  held_out       = ["el", "vi"]
  train          = [dataset.mlqa-parallel, dataset.squad-en]
  encoders       = [encoder.fine-lr3, encoder.fine-lr1]
  samplers       = [sampler.hybrid]
  seeds          = [1]
  batch_size     = 64
  steps          = 8000
  validation     = 0.05
  validate_every = 250
}

# Stage 1 again, longer: its loss was still falling at 10,000 steps.
experiment "tune-base-long" {
  train          = [dataset.xnli, dataset.ntrex, dataset.tatoeba]
  encoders       = [encoder.base]
  samplers       = [sampler.cross-lingual]
  seeds          = [1]
  batch_size     = 64
  steps          = 20000
  validation     = 0.05
  validate_every = 1000
}
