dataset "tiny" {
  format    = "lareqa"
  path      = "tiny"
  languages = ["en", "de"]
}

encoder "bm25" {
  plugin = "builtin:bm25"
}

experiment "tiny-bm25" {
  evaluate = [dataset.tiny]
  encoders = [encoder.bm25]
}
