# Written by `xlbench lock`: the sha256 of every external plugin the specs in
# this folder name. xlbench starts no plugin whose executable differs.

plugin "../plugins/examples/pytorch-encoder/encoder.py" {
  sha256 = "5b05021ca3ef4f267de37c7176c45f2f20e62fce01e94ede6dd154696283e7f0"
}

plugin "../plugins/hf-encoder/hf_encoder.py" {
  sha256 = "49b0b20b053aa5cd61e7fd8d4a5f73653945c195c63e36275357e5072372102a"
}
