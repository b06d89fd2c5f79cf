# Written by `xlbench lock`: the sha256 of every external plugin the specs in
# this folder name. xlbench starts no plugin whose executable differs.

plugin "../plugins/examples/pytorch-encoder/encoder.py" {
  sha256 = "caef8ba7206e5276f20672f04c8175d5c082342d332c6339b6d18f5cb87bbbd8"
}
