# Compares every row of good-train.hcl's experiment with the sampler it
# adds ("is my sampler better than hybrid?" asked the other way round).
sampler "mine" {
  plugin = "builtin:hybrid"
  params = { alpha = 0.75 }
}

extend "tiny-train" {
  samplers = [sampler.mine]
  baseline = sampler.mine
}

extend "tiny-train" {
  baseline = sampler.nope
}
