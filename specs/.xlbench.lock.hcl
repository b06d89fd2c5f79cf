# Written by `xlbench lock`: the sha256 of every external plugin the specs in
# this folder name. xlbench starts no plugin whose executable differs.

plugin "../plugins/examples/pytorch-encoder/encoder.py" {
  sha256 = "5b05021ca3ef4f267de37c7176c45f2f20e62fce01e94ede6dd154696283e7f0"
}

plugin "../plugins/hf-encoder/hf_encoder.py" {
  sha256 = "c76f3d6508071302997deec3c9d5a3cf732b0bc072fcb1785d81dcfabeac1fdb"
}
