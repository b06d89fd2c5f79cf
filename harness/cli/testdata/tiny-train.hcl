dataset "tiny" {
  format    = "lareqa"
  path      = "tiny"
  languages = ["en", "de"]
}

dataset "mlqa-tiny" {
  format = "mlqa"
  path   = "mlqa-tiny"
  role   = "train"
}

encoder "dual" {
  plugin = "builtin:gorgonia"
  params = { dim = 16, buckets = 4096 }
}

encoder "bm25" {
  plugin = "builtin:bm25"
}

sampler "monolingual" {
  plugin   = "builtin:monolingual"
  tuned_by = "testdata/tune.hcl: shortest within 2% of the lowest validation loss"
}

sampler "hybrid" {
  plugin = "builtin:hybrid"
  params = { alpha = 0.5 }
}

reader "span" {
  plugin = "builtin:reader"
  params = { buckets = 4096, epochs = 4, batch_size = 4 }
}

experiment "tiny-train" {
  train      = [dataset.mlqa-tiny]
  evaluate   = [dataset.tiny]
  encoders   = [encoder.dual, encoder.bm25]
  samplers   = [sampler.monolingual, sampler.hybrid]
  seeds      = [1, 2]
  batch_size = 4
  steps      = 30
  readers    = [reader.span]
  read_top_k = 2
}
