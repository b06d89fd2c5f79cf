dataset "tiny" {
  format = "lareqa"
  path   = "tiny"
}

encoder "bm25" {
  plugin = "builtin:bm25"
  params = { k1 = 0.9 }
}

experiment "e" {
  evaluate = [dataset.tiny]
  encoder  = [encoder.bm25]
}
