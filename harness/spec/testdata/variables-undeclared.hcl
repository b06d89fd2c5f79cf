encoder "bm25" {
  plugin = "builtin:bm25"
  params = { k1 = var.k1 }
}
