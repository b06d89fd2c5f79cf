dataset "tiny" {
format="lareqa"
    path = "tiny"
}
