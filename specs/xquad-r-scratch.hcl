# Ablation of the default experiment (specs/xquad-r.hcl): stage 2 alone.
# The same fine-tuning matrix — the monolingual, cross-lingual, hybrid and
# En-En samplers, three seeds, el and vi held out — trained from scratch,
# without the multilingual base of stage 1. It shows what the base adds.
#
#   xlbench run -out out specs/xquad-r-scratch.hcl

dataset "xquad-r" {
  format = "lareqa"
  path   = "xquad-r"
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

encoder "dual" {
  plugin = "builtin:gorgonia"
  params = {
    dim         = 128
    buckets     = 262144
    ngrams      = [3, 4]
    lr          = 0.003
    temperature = 0.05
  }
}

# The samplers and settings of specs/xquad-r.hcl (languages, lengths and
# learning rate chosen there from the base), so that only the base differs.
sampler "monolingual" {
  plugin    = "builtin:monolingual"
  languages = ["de", "es", "zh"]
  steps     = 200
}

sampler "cross-lingual" {
  plugin    = "builtin:cross-lingual"
  languages = ["de", "es", "zh"]
  steps     = 200
}

sampler "hybrid" {
  plugin    = "builtin:hybrid"
  params    = { alpha = 0.5 }
  languages = ["de", "es", "zh"]
  steps     = 300
}

sampler "en-en" {
  plugin    = "builtin:monolingual"
  languages = ["en"]
  steps     = 4500
}

experiment "xquad-r-scratch" {
  held_out   = ["el", "vi"]
  train      = [dataset.mlqa-parallel, dataset.squad-en]
  evaluate   = [dataset.xquad-r]
  encoders   = [encoder.dual]
  samplers   = [sampler.monolingual, sampler.cross-lingual, sampler.hybrid, sampler.en-en]
  baseline   = sampler.monolingual
  seeds      = [1, 2, 3]
  batch_size = 64
  validation = 0.05
}
