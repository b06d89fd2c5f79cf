# Compares the example Python sampler with the committed reference rows of
# the default experiment:
#
#   make compare SAMPLERS=plugins/examples/python-sampler/compare.hcl
#
# which runs xlbench run -reuse results specs/xquad-r.hcl THIS-FILE: the
# extend block adds the sampler to the fine-tuning experiment without
# editing specs/xquad-r.hcl, every reference cell is reused from results/
# (same cell ids), and only this sampler's cells train (with stage 1 and
# the reader, whose models are not committed). The tables then hold the
# new row beside the references, with its differences to the monolingual
# baseline, intervals and marks.

sampler "temperature-py" {
  plugin = "temperature.py"
  params = { temperature = 2 }
  # The same languages as the samplers under study, so that the row is
  # compared on equal data (docs/results.md: the design).
  languages = ["de", "es", "zh"]
  # A monolingual variant: the monolingual sampler's length, for this
  # demonstration. A contribution chooses its own on validation loss
  # (specs/tune-lengths.hcl with an extend block for it), never on the
  # evaluation sets.
  steps = 200
}

extend "xquad-r-zero-shot" {
  samplers = [sampler.temperature-py]
}
