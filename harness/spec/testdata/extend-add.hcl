# Adds a sampler to good-train.hcl's experiment, as a contribution's
# compare file does.
sampler "more" {
  plugin = "builtin:hybrid"
  params = { alpha = 0.25 }
}

extend "tiny-train" {
  samplers = [sampler.more]
}

# A second file may add encoders too (an untrained one is evaluated once).
encoder "bm25-bigrams" {
  plugin = "builtin:bm25"
  params = { ngram = 2 }
}

extend "tiny-train" {
  encoders = [encoder.bm25-bigrams]
}
