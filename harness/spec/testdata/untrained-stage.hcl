dataset "tiny" {
  format = "lareqa"
  path   = "tiny"
}

dataset "pairs" {
  format = "tatoeba"
  path   = "tatoeba"
  role   = "train"
}

encoder "bm25" {
  plugin = "builtin:bm25"
}

sampler "hybrid" {
  plugin = "builtin:hybrid"
}

experiment "base" {
  train    = [dataset.pairs]
  evaluate = [dataset.tiny]
  encoders = [encoder.bm25]
  samplers = [sampler.hybrid]
}

experiment "fine" {
  start_from = experiment.base
  held_out   = ["vi", "el"]
  train      = [dataset.pairs]
  evaluate   = [dataset.tiny]
  encoders   = [encoder.bm25]
  samplers   = [sampler.hybrid]
}
