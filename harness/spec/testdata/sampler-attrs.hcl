encoder "bm25" {
  plugin    = "builtin:bm25"
  languages = ["en"]
}

sampler "mono" {
  plugin    = "builtin:hybrid"
  languages = ["es", "de", "es"]
  steps     = 300
}

sampler "bad" {
  plugin    = "builtin:hybrid"
  languages = ["German"]
  steps     = 2.5
}

sampler "empty" {
  plugin    = "builtin:hybrid"
  languages = []
}
