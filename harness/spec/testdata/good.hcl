dataset "tiny" {
  format    = "lareqa"
  path      = "tiny"
  languages = ["en", "de"]
}

encoder "bm25" {
  plugin = "builtin:bm25"
  params = { k1 = 1.2 }
}

sampler "hybrid" {
  plugin = "builtin:hybrid"
  params = { alpha = 0.5 }
}

experiment "tiny-bm25" {
  evaluate   = [dataset.tiny]
  encoders   = [encoder.bm25]
  seeds      = [1, 2]
  batch_size = 32
}
