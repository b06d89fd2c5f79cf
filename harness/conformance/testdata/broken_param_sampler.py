#!/usr/bin/python3
"""A deliberately broken sampler for the conformance tests: valid with its
default, but with twice = true every batch holds its first group twice.
`xlbench plugin check` must fail it on other param values, and on nothing
else."""

import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..", "..", "plugins", "python"))

from xlbench import plugin  # noqa: E402
from xlbench.index import CorpusIndex, Cycle  # noqa: E402
from xlbench.params import Param  # noqa: E402
from xlbench.types import Info, Pair  # noqa: E402


class RepeatsWhenAsked(plugin.Sampler):
    info = Info(name="broken-param-sampler", version="0.0.1", description="repeats a group when twice is true",
                params=[Param("twice", "bool", "repeat the first group of each batch", default=False)])

    def start(self, config):
        ix = CorpusIndex(config.corpus)
        self.lang = ix.mono_langs[0]
        self.groups = [ix.groups[i].id for i in ix.mono[self.lang]]
        self.cycle = Cycle(range(len(self.groups)), random.Random(config.seed))
        self.size = config.batch_size
        self.twice = config.params["twice"]

    def next(self, n):
        out = []
        for _ in range(n):
            gs = [self.groups[i] for i in self.cycle.take(self.size)]
            if self.twice:
                gs[-1] = gs[0]  # the bug, off the default path
            out.append([Pair(g, self.lang, self.lang) for g in gs])
        return out


if __name__ == "__main__":
    plugin.serve(RepeatsWhenAsked())
