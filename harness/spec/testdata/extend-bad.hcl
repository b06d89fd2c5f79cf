extend "tiny-tran" {
  samplers = [sampler.more]
}

extend "tiny-train" {
  samplers = [sampler.hybrid, sampler.mroe]
}

extend "tiny-train" {
  encoders = [encoder.bm25, encoder.bm52]
}

extend "tiny-train" {
}
