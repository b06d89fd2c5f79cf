dataset "tiny" {
  fromat = "lareqa"
  path   = "tiny"
}
