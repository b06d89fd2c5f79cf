dataset "tiny" {
  format = "lareqa"
  path   = "tiny"
}

encoder "bm25" {
  plugin = "builtin:bm25"
}

experiment "e" {
  evaluate = [dataset.tiny, dataset.xquad]
  encoders = [encoder.bm26]
  samplers = [sampler.hybrid]
}
