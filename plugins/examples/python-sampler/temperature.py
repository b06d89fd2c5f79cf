#!/usr/bin/python3
"""temperature: an example xlbench sampler plugin in Python, the twin of
plugins/examples/temperature (Go).

It draws monolingual batches and picks each batch's language with
temperature-scaled probability, as multilingual pre-training does:

    p(L) ∝ n_L^(1/T)

where n_L is the number of groups offering L on both sides. T = 1 samples
languages in proportion to their data; larger T flattens the distribution
toward uniform, giving low-resource languages more batches.

Name it in a spec (the path is the script; it must be executable):

    sampler "temp" {
      plugin = "plugins/examples/python-sampler/temperature.py"
      params = { temperature = 2 }
    }

and check it with `xlbench plugin check plugins/examples/python-sampler/temperature.py`.
"""

import os
import random
import sys

try:
    import xlbench  # noqa: F401  (installed, or on PYTHONPATH)
except ImportError:  # run from this repository: use its SDK
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..", "python"))

from xlbench import plugin
from xlbench.index import CorpusIndex, Cycle
from xlbench.params import Param
from xlbench.types import Info, Pair


class Temperature(plugin.Sampler):
    info = Info(
        name="temperature-py",
        version="0.1.0",
        description="monolingual batches, language drawn with probability ∝ (groups in it)^(1/temperature)",
        params=[Param("temperature", "number", "1 = proportional to data; larger = flatter", default=1.0, min=0.01)],
    )

    def start(self, config):
        ix = CorpusIndex(config.corpus)
        self.rng = random.Random(config.seed)
        self.batch_size = config.batch_size
        self.groups = ix.groups
        t = config.params["temperature"]
        self.langs, self.cum, self.cycles = [], [], {}
        total = 0.0
        for lang in ix.mono_langs:
            n = len(ix.mono[lang])
            if n < config.batch_size:
                continue  # too few groups for a batch without repeats
            total += n ** (1 / t)
            self.langs.append(lang)
            self.cum.append(total)
            self.cycles[lang] = Cycle(ix.mono[lang], self.rng)
        if not self.langs:
            raise plugin.PluginError(f"no language has {config.batch_size} groups with both sides in it")
        self.total = total

    def next(self, n):
        return [self._batch() for _ in range(n)]

    def _batch(self):
        u = self.rng.random() * self.total
        i = 0
        while i < len(self.cum) - 1 and u >= self.cum[i]:
            i += 1
        lang = self.langs[i]
        return [Pair(self.groups[g].id, lang, lang) for g in self.cycles[lang].take(self.batch_size)]


if __name__ == "__main__":
    plugin.serve(Temperature())
