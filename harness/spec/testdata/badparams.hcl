dataset "tiny" {
  format = "lareqa"
  path   = "tiny"
}

encoder "bm25" {
  plugin = "builtin:bm25"
  params = {
    k1 = "high"
    bb = 0.4
  }
}

sampler "hybrid" {
  plugin = "builtin:hybrid"
  params = { alpha = 1.5 }
}

encoder "nope" {
  plugin = "builtin:bm52"
}

experiment "e" {
  evaluate = [dataset.tiny]
  encoders = [encoder.bm25]
}
