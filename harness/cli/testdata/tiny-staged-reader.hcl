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

sampler "cross" {
  plugin = "builtin:cross-lingual"
}

# The reader's token rows take base_dims columns from the stage's model.
reader "span" {
  plugin = "builtin:reader"
  params = { buckets = 4096, epochs = 2, batch_size = 4, dim = 8, base = "stage", base_dims = 4 }
}

experiment "base" {
  train      = [dataset.mlqa-tiny]
  evaluate   = [dataset.tiny]
  encoders   = [encoder.dual]
  samplers   = [sampler.cross]
  batch_size = 4
  steps      = 10
}

experiment "fine" {
  start_from = experiment.base
  train      = [dataset.mlqa-tiny]
  evaluate   = [dataset.tiny]
  encoders   = [encoder.dual]
  samplers   = [sampler.cross]
  batch_size = 4
  steps      = 10
  readers    = [reader.span]
  read_top_k = 2
}
