variable "k1" {
  description = "BM25's k1"
  default     = 1.5
}

variable "b" {
  description = "BM25's b"
}

dataset "tiny" {
  format = "lareqa"
  path   = "tiny"
}

encoder "bm25" {
  plugin = "builtin:bm25"
  params = { k1 = var.k1, b = var.b }
}

experiment "vars" {
  evaluate = [dataset.tiny]
  encoders = [encoder.bm25]
}
