# The default experiment's samplers on FLORES-200: the fine-tuning of
# xquad-r-zero-shot (the same stage-1 base, data, held-out languages,
# samplers, lengths and seeds) evaluated on bitext retrieval, text that no
# row saw. Given with the default spec, whose datasets, encoders, samplers
# and stage it uses:
#
#   bin/xlbench run -out out/flores-samplers -experiment flores200-zero-shot \
#     specs/xquad-r.hcl specs/flores200-samplers.hcl
#
# (-experiment runs the stage it starts from too.) No reader: bitext has no
# answers to read.

dataset "flores200" {
  format = "flores"
  path   = "flores200-devtest"
}

experiment "flores200-zero-shot" {
  start_from = experiment.multilingual-base
  held_out   = ["el", "vi"]
  train      = [dataset.mlqa-parallel, dataset.squad-en]
  evaluate   = [dataset.flores200]
  encoders   = [encoder.dual, encoder.bm25]
  samplers   = [sampler.monolingual, sampler.cross-lingual, sampler.hybrid, sampler.en-en]
  baseline   = sampler.monolingual
  seeds      = [1, 2, 3]
  batch_size = 64
  validation = 0.05
}
