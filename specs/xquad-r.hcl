# The default experiment: does hybrid batch training beat monolingual (and
# cross-lingual) batch training for zero-shot retrieval on XQuAD-R and
# MLQA-R, by mAP, recall, language bias and by EM/F1 of a reader?
#
#   make run        (xlbench run -out out specs/xquad-r.hcl)
#
# Done the paper's way, with what can be had offline:
#
# Stage 1, experiment "multilingual-base": the built-in dual encoder learns
#   a multilingual base by translation ranking (as LaBSE is trained) on the
#   parallel sentences of all eleven XQuAD-R languages: XNLI, NTREX-128 and
#   Tatoeba translation groups, cross-lingual pairs only. It stands in for
#   the paper's pretrained XLM-R or LaBSE, which cannot be downloaded here.
# Stage 2, experiment "xquad-r-zero-shot": that base is fine-tuned on QA
#   pairs (MLQA's human-translated test split, questions in ar de es hi vi zh
#   and passages in de es vi zh joined on QA id, plus English SQuAD v1.1
#   train) with each sampler, three seeds each; Greek and Vietnamese are held
#   out of fine-tuning (the paper's zero-shot setting: the base knows them,
#   the fine-tuning data does not). ru th tr appear in no QA data either.
#   The fourth sampler is LAReQA's En-En: monolingual fine-tuning on English
#   alone, the classic zero-shot transfer baseline.
#
# Scores are the dense model's alone (cosine); BM25 is a reference row.
# XQuAD-R and MLQA-R are evaluation data only: no length or learning rate
# below was chosen by looking at them (the reader and the design were
# developed with their results in view). Training lengths and the
# fine-tuning learning rate were chosen, for the hybrid sampler, on
# held-out TRAINING data, by the validation loss of
# specs/tune-lengths.hcl (5% of each stage's training groups set aside,
# in-batch InfoNCE at τ = 0.05 over fixed batches of 64 held-out pairs).
# The rule: the shortest length within 2% of the lowest validation loss
# measured, capped by make run's budget of 30 minutes on 2 cores.
#   - stage 1, to 20,000 steps: 5.93 at the start, 1.26 at 2,000, 0.95 at
#     5,000, 0.79 at 10,000, 0.754 at 14,000, 0.744 at 17,000, 0.738 at
#     20,000 (the lowest); within 2% of it first at 17,000: 17,000 steps.
#   - stage 2 from a 10,000-step base, hybrid sampler, lr 0.003: 2.71 at
#     the start, 1.50 at 2,000, 1.40 at 4,000, 1.35 at 6,000, 1.29 at 8,000
#     (the lowest, still falling); lr 0.001 was worse at every point (1.31
#     at 8,000). The rule asks for 8,000 steps; the budget allows 12 cells
#     of 5,000 (validation loss 1.39 against 1.29): 5,000 steps.
# Both stages keep their validation split here too, and record the curve in
# their results.

dataset "xquad-r" {
  format = "lareqa"
  path   = "xquad-r"
}

# MLQA-R: MLQA's dev split (the training data below is its test split).
dataset "mlqa-r" {
  format = "lareqa"
  path   = "mlqa-r"
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

# The base and the fine-tuned encoder have one shape (a fine-tuning cell
# loads the base's checkpoint): hashed word and character 3- and 4-gram
# bags of 262,144 rows, projected to 128 dimensions, dense only.
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

encoder "dual" {
  plugin = "builtin:gorgonia"
  params = {
    dim         = 128
    buckets     = 262144
    ngrams      = [3, 4]
    lr          = 0.003
    temperature = 0.05
  }
}

encoder "bm25" {
  plugin = "builtin:bm25"
}

# The span reader is trained once, on the fine-tuning data (el and vi held
# out), and reads for every cell.
reader "span" {
  plugin = "builtin:reader"
}

sampler "translation" {
  plugin = "builtin:cross-lingual"
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

sampler "en-en" {
  plugin = "builtin:monolingual"
  params = { languages = ["en"] }
}

experiment "multilingual-base" {
  train          = [dataset.xnli, dataset.ntrex, dataset.tatoeba]
  evaluate       = [dataset.xquad-r, dataset.mlqa-r]
  encoders       = [encoder.base]
  samplers       = [sampler.translation]
  seeds          = [1]
  batch_size     = 64
  steps          = 17000
  validation     = 0.05
  validate_every = 1000
}

experiment "xquad-r-zero-shot" {
  start_from     = experiment.multilingual-base
  held_out       = ["el", "vi"]
  train          = [dataset.mlqa-parallel, dataset.squad-en]
  evaluate       = [dataset.xquad-r, dataset.mlqa-r]
  encoders       = [encoder.dual, encoder.bm25]
  samplers       = [sampler.monolingual, sampler.cross-lingual, sampler.hybrid, sampler.en-en]
  baseline       = sampler.monolingual
  seeds          = [1, 2, 3]
  batch_size     = 64
  steps          = 5000
  validation     = 0.05
  validate_every = 1000
  readers        = [reader.span]
  read_top_k     = 3
}
