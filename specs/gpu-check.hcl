# The GPU path's end-to-end check (make gpu-check, on a machine with a GPU
# and xlbench built with -tags gpu): the default experiment's fine-tuning
# cell — hybrid batches, seed 1, 5,000 steps of batch 64 from a multilingual
# base — trained once on the CPU and once on the GPU from the same base,
# both evaluated on XQuAD-R. .ci/gpu-check compares their metrics (within
# 0.002). The base trains on the CPU for 5,000 steps rather than the
# default's 17,000, to fit the check into a few minutes of device time; the
# comparison is between the two fine-tuning cells, which start from it
# alike.

dataset "xquad-r" {
  format = "lareqa"
  path   = "xquad-r"
}

dataset "xnli" {
  format = "xnli"
  path   = "xnli"
  role   = "train"
}

dataset "ntrex" {
  format = "ntrex"
  path   = "ntrex-128"
  role   = "train"
}

dataset "tatoeba" {
  format = "tatoeba"
  path   = "tatoeba"
  role   = "train"
}

dataset "mlqa-parallel" {
  format = "mlqa"
  path   = "mlqa-v1/test-partial"
  role   = "train"
}

dataset "squad-en" {
  format    = "squad"
  path      = "squad-v1.1-train-en/train-v1.1.json"
  languages = ["en"]
  role      = "train"
}

encoder "base" {
  plugin = "builtin:gorgonia"
  params = {
    dim         = 128
    buckets     = 262144
    ngrams      = [3, 4]
    lr          = 0.003
    temperature = 0.05
  }
}

encoder "dual-cpu" {
  plugin = "builtin:gorgonia"
  params = {
    dim         = 128
    buckets     = 262144
    ngrams      = [3, 4]
    lr          = 0.003
    temperature = 0.05
    device      = "cpu"
  }
}

encoder "dual-gpu" {
  plugin = "builtin:gorgonia"
  params = {
    dim         = 128
    buckets     = 262144
    ngrams      = [3, 4]
    lr          = 0.003
    temperature = 0.05
    device      = "cuda"
  }
}

sampler "translation" {
  plugin = "builtin:cross-lingual"
}

sampler "hybrid" {
  plugin = "builtin:hybrid"
  params = { alpha = 0.5 }
}

experiment "gpu-check-base" {
  train      = [dataset.xnli, dataset.ntrex, dataset.tatoeba]
  evaluate   = [dataset.xquad-r]
  encoders   = [encoder.base]
  samplers   = [sampler.translation]
  seeds      = [1]
  batch_size = 64
  steps      = 5000
}

experiment "gpu-check-finetune" {
  start_from     = experiment.gpu-check-base
  held_out       = ["el", "vi"]
  train          = [dataset.mlqa-parallel, dataset.squad-en]
  evaluate       = [dataset.xquad-r]
  encoders       = [encoder.dual-cpu, encoder.dual-gpu]
  samplers       = [sampler.hybrid]
  seeds          = [1]
  batch_size     = 64
  steps          = 5000
  validation     = 0.05
  validate_every = 1000
}
