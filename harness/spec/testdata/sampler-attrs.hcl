encoder "bm25" {
  plugin    = "builtin:bm25"
  languages = ["en"]
  tuned_by  = "nothing"
}

sampler "mono" {
  plugin    = "builtin:hybrid"
  languages = ["es", "de", "es"]
  steps     = 300
  tuned_by  = "specs/tune.hcl: shortest within 2% of the lowest validation loss"
}

sampler "bad" {
  plugin    = "builtin:hybrid"
  languages = ["German"]
  steps     = 2.5
  tuned_by  = " "
}

sampler "empty" {
  plugin    = "builtin:hybrid"
  languages = []
}
