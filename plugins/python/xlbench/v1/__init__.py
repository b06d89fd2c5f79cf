"""Code generated from plugins/proto/xlbench/v1 by `make proto`: the xlbench plugin protocol."""
