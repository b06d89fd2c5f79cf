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
#   pairs with each sampler, three seeds each. The data: MLQA's
#   human-translated test split (questions in ar de es hi vi zh, passages in
#   de es vi zh, joined on QA id) and English SQuAD v1.1 train. Greek and
#   Vietnamese are held out of fine-tuning (the paper's zero-shot setting:
#   the base knows them, the fine-tuning data does not).
#
# Equal languages for every sampler under study. Only de es zh have both
#   questions and passages here (vi is held out): ar and hi have questions
#   but no passages, so only cross-lingual pairs could use them, and
#   English has no parallel data, so only monolingual pairs could. Left to
#   the data, the monolingual sampler would never reach ar or hi and the
#   cross-lingual one never en, and a difference between them would mix
#   batch composition with language coverage. So the monolingual,
#   cross-lingual and hybrid samplers all take languages = de es zh: the
#   harness offers each the same QA groups in the same languages and
#   validates each on the same held-out pairs; they differ only in how
#   batches are composed, which is the research question. Every other
#   XQuAD-R language (ar el en hi ru th tr vi) is zero-shot for them.
#   The fourth sampler is LAReQA's En-En: monolingual fine-tuning on
#   English SQuAD alone, the classic zero-shot transfer baseline, with
#   more data (87,599 questions) in a language the other rows never see.
#
# Scores are the dense model's alone (cosine); BM25 is a reference row.
# XQuAD-R and MLQA-R are evaluation data only: no length or learning rate
# below was chosen by looking at them (the reader, and the design before
# this one, were developed with their results in view). Lengths and
# learning rates were chosen on held-out TRAINING data by the validation
# loss of specs/tune-lengths.hcl (5% of each stage's training groups set
# aside; in-batch InfoNCE at τ = 0.05 over fixed batches of 64 held-out
# pairs, one pair per set-aside group in the sampler's languages: 374 pairs
# in de es zh, a third monolingual, for the three samplers under study;
# 4,330 English pairs for En-En). The rule, the same for every sampler:
# the learning rate (of 0.001, 0.003, 0.006) with the lowest validation
# loss measured, then the shortest length within 2% of that lowest loss,
# within a horizon of 8,000 steps (20,000 for stage 1).
#   - stage 1: 5.93 at the start, 1.26 at 2,000, 0.95 at 5,000, 0.79 at
#     10,000, 0.744 at 17,000, 0.738 at 20,000 (the lowest); within 2% of
#     it first at 17,000: 17,000 steps.
#   - stage 2, from that 17,000-step base (validation loss 3.94 at the
#     start for the three, 2.49 for En-En); lowest per learning rate
#     (0.001 / 0.003 / 0.006), measured every 250 steps:
#       monolingual   3.080 / 3.066 / 3.143
#       cross-lingual 3.043 / 2.974 / 2.996
#       hybrid        2.837 / 2.702 / 2.730
#       en-en         0.932 / 0.919 / 0.927
#     lr 0.003 for every sampler. At 0.003 the three under study reach
#     their lowest within 1,000 steps, so their curves were measured again
#     every 50 steps to 1,500:
#       monolingual   lowest 2.984 at 200, then rising (3.11 at 1,000):
#                     200 steps
#       cross-lingual lowest 2.974 at 1,000, within 2% from 200 (3.015):
#                     200 steps
#       hybrid        lowest 2.645 at 350, within 2% from 300 (2.678):
#                     300 steps
#       en-en         lowest 0.919 at 7,000, within 2% from 4,500 (0.934):
#                     4,500 steps
#   The QA data in de es zh is small (about 4,000 questions per language):
#   the three overfit within a few hundred steps, which is why they stop
#   early.
# Both stages keep their validation split here too, and record the curve in
# their results (stage 2 twenty points a cell); make run prints each row's
# settings.

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
# out), and reads for every cell. It starts from the stage's multilingual
# model (base = "stage": 32 frozen columns of the base's feature rows beside
# its 32 trained ones). Its settings were chosen by mean F1 on held-out
# TRAINING data (2% of SQuAD, 10% of the MLQA training instances, every vi
# one; docs/methods.md, "Reading"): 0.433 without the base (96 tokens, 3
# epochs); with it 0.442, with 2 epochs 0.449, 48 tokens 0.448, 64 tokens
# 0.456, 2 epochs and 64 tokens 0.446. With the base the reader trains after
# stage 1, on the run's critical path, so the rule takes the best of those
# whose training leaves make run inside its 12-minute goal: with 64 tokens
# (345 s of training) make run took 11 min 59 s on a clean clone, with 2
# epochs and 64 tokens (255 s) 11 min 34 s; every other setting trained 30%
# to 85% longer than the latter in the held-out benchmark.
reader "span" {
  plugin = "builtin:reader"
  params = {
    base       = "stage"
    epochs     = 2
    max_tokens = 64
  }
}

sampler "translation" {
  plugin   = "builtin:cross-lingual"
  tuned_by = "specs/tune-lengths.hcl: lr and the shortest length within 2% of the lowest validation loss on held-out training pairs"
}

sampler "monolingual" {
  plugin    = "builtin:monolingual"
  languages = ["de", "es", "zh"]
  steps     = 200
  tuned_by  = "specs/tune-lengths.hcl: lr and the shortest length within 2% of the lowest validation loss on held-out training pairs"
}

sampler "cross-lingual" {
  plugin    = "builtin:cross-lingual"
  languages = ["de", "es", "zh"]
  steps     = 200
  tuned_by  = "specs/tune-lengths.hcl: lr and the shortest length within 2% of the lowest validation loss on held-out training pairs"
}

sampler "hybrid" {
  plugin    = "builtin:hybrid"
  params    = { alpha = 0.5 }
  languages = ["de", "es", "zh"]
  steps     = 300
  tuned_by  = "specs/tune-lengths.hcl: lr and the shortest length within 2% of the lowest validation loss on held-out training pairs"
}

sampler "en-en" {
  plugin    = "builtin:monolingual"
  languages = ["en"]
  steps     = 4500
  tuned_by  = "specs/tune-lengths.hcl: lr and the shortest length within 2% of the lowest validation loss on held-out training pairs"
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
  start_from = experiment.multilingual-base
  held_out   = ["el", "vi"]
  train      = [dataset.mlqa-parallel, dataset.squad-en]
  evaluate   = [dataset.xquad-r, dataset.mlqa-r]
  encoders   = [encoder.dual, encoder.bm25]
  samplers   = [sampler.monolingual, sampler.cross-lingual, sampler.hybrid, sampler.en-en]
  baseline   = sampler.monolingual
  seeds      = [1, 2, 3]
  batch_size = 64
  validation = 0.05
  readers    = [reader.span]
  read_top_k = 3
}
