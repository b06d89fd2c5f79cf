# Every built-in plugin on the tiny fixtures, one seed: the metrics of
# these cells are golden (testdata/behaviour.golden.json), keyed by the
# plugins' behaviour versions and the harness's result format, so that a
# change in behaviour without a version bump fails make test
# (TestBuiltinBehaviourGolden).

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
  plugin = "builtin:monolingual"
}

sampler "cross-lingual" {
  plugin = "builtin:cross-lingual"
}

sampler "hybrid" {
  plugin = "builtin:hybrid"
  params = { alpha = 0.5 }
}

reader "span" {
  plugin = "builtin:reader"
  params = { buckets = 4096, epochs = 4, batch_size = 4 }
}

experiment "behaviour" {
  train      = [dataset.mlqa-tiny]
  evaluate   = [dataset.tiny]
  encoders   = [encoder.dual, encoder.bm25]
  samplers   = [sampler.monolingual, sampler.cross-lingual, sampler.hybrid]
  seeds      = [1]
  batch_size = 4
  steps      = 30
  readers    = [reader.span]
  read_top_k = 2
}
