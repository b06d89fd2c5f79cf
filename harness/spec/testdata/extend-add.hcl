# Adds a sampler to good-train.hcl's experiment, as a contribution's
# compare file does.
sampler "more" {
  plugin = "builtin:hybrid"
  params = { alpha = 0.25 }
}

extend "tiny-train" {
  samplers = [sampler.more]
}
