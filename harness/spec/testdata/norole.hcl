dataset "squad" {
  format = "squad"
  path   = "squad.json"
}
