#!/usr/bin/python3
"""Trains the example encoder in process, without the plugin protocol, on
the corpus and batches of a JSON file, and prints its pairs/s: the
baseline of the plugin's overhead (harness/pluginhost
BenchmarkPyTorchEncoderPlugin writes the file and runs this).

    bench_inprocess.py FILE     FILE: {"params": {...}, "seed": N,
                                 "corpus": [[id, [[lang, role, text], ...]], ...],
                                 "batches": [[[group, qlang, plang], ...], ...]}
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from encoder import TorchEncoder  # noqa: E402

from xlbench.params import check_params  # noqa: E402
from xlbench.types import Config, CorpusGroup, Pair, Text  # noqa: E402


def main(path):
    with open(path) as f:
        spec = json.load(f)
    groups = [CorpusGroup(g, [Text(*t) for t in texts]) for g, texts in spec["corpus"]]
    batches = [[Pair(*p) for p in b] for b in spec["batches"]]
    best = None
    for _ in range(2):  # as through the plugin: the second run in the process is timed
        enc = TorchEncoder()
        enc.configure(Config(check_params(enc.info.params, spec["params"]), spec["seed"]))
        enc.load_corpus(groups)
        enc.train_step(batches[0])  # first-step set-up outside the timing
        start = time.perf_counter()
        for b in batches[1:]:
            enc.train_step(b)
        took = time.perf_counter() - start
        best = took if best is None else min(best, took)
    print(f"{sum(len(b) for b in batches[1:]) / best:.1f}")


if __name__ == "__main__":
    main(sys.argv[1])
