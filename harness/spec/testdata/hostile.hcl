dataset "../../etc" {
  format = "lareqa"
  path   = "tiny"
}

dataset "tiny" {
  format    = "lareqa"
  path      = "tiny"
  languages = ["en", "../../secret/pw"]
}

encoder "a/b" {
  plugin = "builtin:bm25"
}

encoder "bm25" {
  plugin = "builtin:bm25"
}

sampler "hybrid" {
  plugin = "builtin:hybrid"
}

experiment "../../etc" {
  evaluate = [dataset.tiny]
  encoders = [encoder.bm25]
}

experiment "big" {
  train      = [dataset.tiny]
  evaluate   = [dataset.tiny]
  encoders   = [encoder.bm25]
  samplers   = [sampler.hybrid]
  seeds      = [1, 1, 1e18]
  steps      = 1e18
  batch_size = 1e9
}

experiment "long" {
  evaluate = [dataset.tiny]
  encoders = [encoder.bm25]
  epochs   = 1e9
}
