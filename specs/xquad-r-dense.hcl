# Ablation of the default experiment (specs/xquad-r.hcl): the same matrix
# with a dense-only encoder (no BM25 half).
#
#   xlbench run specs/xquad-r-dense.hcl
#
# Training data: MLQA's human-translated test split (partial: questions in
# ar de es hi vi zh, passages in de es vi zh, joined on QA id) and English
# SQuAD v1.1 train. Evaluation: XQuAD-R, never seen in training. el ru th tr
# appear in no training data at all (zero-shot); en appears only in
# monolingual pairs.

dataset "xquad-r" {
  format = "lareqa"
  path   = "xquad-r"
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

# The dense encoder alone: no lexical half.
encoder "dual" {
  plugin = "builtin:gorgonia"
  params = {
    dim            = 128
    buckets        = 262144
    ngrams         = [3, 4]
    lr             = 0.003
    temperature    = 0.05
    lexical_weight = 0
  }
}

encoder "bm25" {
  plugin = "builtin:bm25"
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

experiment "xquad-r-zero-shot-dense" {
  train      = [dataset.mlqa-parallel, dataset.squad-en]
  evaluate   = [dataset.xquad-r]
  encoders   = [encoder.dual, encoder.bm25]
  samplers   = [sampler.monolingual, sampler.cross-lingual, sampler.hybrid]
  seeds      = [1, 2, 3]
  batch_size = 64
  steps      = 4000
}
