dataset "tiny" {
  format = "lareqa"
  path   = "tiny"
}

reader "span" {
  plugin = "builtin:reader"
}

reader "other" {
  plugin = "builtin:reader"
}

experiment "no-train" {
  evaluate   = [dataset.tiny]
  encoders   = []
  readers    = [reader.span]
  read_top_k = 0
}

experiment "two" {
  evaluate = [dataset.tiny]
  encoders = []
  readers  = [reader.span, reader.other]
}

experiment "untrained" {
  evaluate = [dataset.tiny]
  encoders = []
  readers  = [reader.span]
}
