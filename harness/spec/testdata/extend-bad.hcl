extend "tiny-tran" {
  samplers = [sampler.more]
}

extend "tiny-train" {
  samplers = [sampler.hybrid, sampler.mroe]
}
