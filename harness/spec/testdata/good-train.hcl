dataset "mlqa-tiny" {
  format = "mlqa"
  path   = "mlqa-tiny"
  role   = "train"
}

dataset "tiny" {
  format = "lareqa"
  path   = "tiny"
}

encoder "bm25" {
  plugin = "builtin:bm25"
}

sampler "hybrid" {
  plugin = "builtin:hybrid"
}

experiment "tiny-train" {
  train    = [dataset.mlqa-tiny]
  evaluate = [dataset.tiny]
  encoders = [encoder.bm25]
  samplers = [sampler.hybrid]
}
