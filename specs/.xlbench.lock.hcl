# Written by `xlbench lock`: the sha256 of every external plugin the specs in
# this folder name. xlbench starts no plugin whose executable differs.

plugin "../plugins/examples/pytorch-encoder/encoder.py" {
  sha256 = "5b05021ca3ef4f267de37c7176c45f2f20e62fce01e94ede6dd154696283e7f0"
}

plugin "../plugins/hf-encoder/hf_encoder.py" {
  sha256 = "aa2f6ded81db549b28d643cb85efa315c3a43639f7c0dc4b85ec23104930746f"
}
