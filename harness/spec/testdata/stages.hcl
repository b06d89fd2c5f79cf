dataset "tiny" {
  format = "lareqa"
  path   = "tiny"
}

dataset "pairs" {
  format = "ntrex"
  path   = "ntrex-128"
  role   = "train"
}

encoder "bm25" {
  plugin = "builtin:bm25"
}

sampler "hybrid" {
  plugin = "builtin:hybrid"
}

experiment "two-seeds" {
  train    = [dataset.pairs]
  evaluate = [dataset.tiny]
  encoders = [encoder.bm25]
  samplers = [sampler.hybrid]
  seeds    = [1, 2]
}

experiment "from-nowhere" {
  start_from = experiment.pretrain
  train      = [dataset.pairs]
  evaluate   = [dataset.tiny]
  encoders   = [encoder.bm25]
  samplers   = [sampler.hybrid]
}

experiment "from-two-seeds" {
  start_from = experiment.two-seeds
  held_out   = ["el", "Greek"]
  baseline   = sampler.mono
  train      = [dataset.pairs]
  evaluate   = [dataset.tiny]
  encoders   = [encoder.bm25]
  samplers   = [sampler.hybrid]
}

experiment "nothing-held" {
  held_out = ["el"]
  evaluate = [dataset.tiny]
  encoders = [encoder.bm25]
}

experiment "every-without-share" {
  validate_every = 10
  train          = [dataset.pairs]
  encoders       = [encoder.bm25]
  samplers       = [sampler.hybrid]
}
