dataset "tiny" {
  format = "lareqa"
  path   = "tiny"
  role   = "train"
}
