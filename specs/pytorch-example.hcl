# The PyTorch encoder plugin (plugins/examples/pytorch-encoder/encoder.py)
# through the three samplers of the research question, on all of XQuAD-R:
# a short training, a few minutes on 2 cores.
#
#   bin/xlbench run -out out specs/pytorch-example.hcl
#
# With its default model the plugin trains a small hashed n-gram encoder
# from scratch (the built-in model's shape, in PyTorch). This is the spec
# to copy to put a pretrained model through the samplers: set
# params.model to a sentence-transformers or Hugging Face model (LaBSE,
# XLM-R) and params.device to "cuda", and run the plugin with an
# interpreter that has those libraries (see the top of encoder.py).
#
# The plugin path is relative to this file, and the plugin is pinned in
# specs/.xlbench.lock.hcl (`xlbench lock specs/pytorch-example.hcl` after
# changing it). The script names /usr/bin/python3: Debian's python3-torch,
# python3-grpcio and python3-protobuf.

dataset "xquad-r" {
  format = "lareqa"
  path   = "xquad-r"
}

dataset "mlqa-parallel" {
  format = "mlqa"
  path   = "mlqa-v1/test-partial"
  role   = "train"
}

encoder "torch" {
  plugin = "../plugins/examples/pytorch-encoder/encoder.py"
  params = {
    model       = ""
    device      = "auto"
    dim         = 128
    buckets     = 262144
    lr          = 0.003
    temperature = 0.05
  }
}

sampler "monolingual" {
  plugin = "builtin:monolingual"
}

sampler "cross-lingual" {
  plugin = "builtin:cross-lingual"
}

sampler "hybrid" {
  plugin = "builtin:hybrid"
  params = { alpha = 0.5 }
}

experiment "pytorch-example" {
  train      = [dataset.mlqa-parallel]
  evaluate   = [dataset.xquad-r]
  encoders   = [encoder.torch]
  samplers   = [sampler.monolingual, sampler.cross-lingual, sampler.hybrid]
  baseline   = sampler.monolingual
  seeds      = [1]
  batch_size = 64
  steps      = 1000
}
