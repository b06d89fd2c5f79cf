# Written by `xlbench lock`: the sha256 of every external plugin the specs in
# this folder name. xlbench starts no plugin whose executable differs.

plugin "temperature.py" {
  sha256 = "e889b67641638ed52addd71e7af08591f8a5869d2f56f78c12d1234af9c08e2d"
}
