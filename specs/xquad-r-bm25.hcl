# BM25 on XQuAD-R: the untrained lexical baseline in every setting.
#
#   xlbench run specs/xquad-r-bm25.hcl
#
# Pooled multilingual and cross-lingual retrieval are hard for a lexical
# model: a query shares few terms with candidates in another language.

dataset "xquad-r" {
  format = "lareqa"
  path   = "xquad-r"
}

encoder "bm25" {
  plugin = "builtin:bm25"
  params = {
    k1    = 0.9
    b     = 0.4
    ngram = 2
  }
}

experiment "xquad-r-bm25" {
  evaluate = [dataset.xquad-r]
  encoders = [encoder.bm25]
}
