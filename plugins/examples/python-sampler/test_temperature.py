"""The temperature sampler's statistics, driven in process (python3 -m unittest)."""

import math
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from temperature import Temperature  # noqa: E402

from xlbench.params import ParamError, check_params  # noqa: E402
from xlbench.types import QA, Corpus, Group, SamplerConfig  # noqa: E402


def corpus():
    # 900 English groups, 100 German ones.
    groups = tuple(Group(i, QA, ("en",), ("en",)) if i < 900 else Group(i, QA, ("de",), ("de",)) for i in range(1000))
    return Corpus(("en", "de"), groups)


def share_of_german(temperature, n=20000):
    s = Temperature()
    params = check_params(s.info.params, {"temperature": temperature})
    s.start(SamplerConfig(corpus(), 8, params, 1))
    de = 0
    for b in s.next(n):
        langs = {(p.query_lang, p.passage_lang) for p in b}
        assert len(langs) == 1 and len(b) == 8 and len({p.group for p in b}) == 8, b
        de += b[0].query_lang == "de"
    return de / n


class TemperatureTest(unittest.TestCase):
    def test_flattens(self):
        # p(de) = 100^(1/T) / (100^(1/T) + 900^(1/T)), within 4 standard deviations.
        for t in (1, 2, 100):
            want = 100 ** (1 / t) / (100 ** (1 / t) + 900 ** (1 / t))
            sd = math.sqrt(want * (1 - want) / 20000)
            got = share_of_german(t)
            self.assertLess(abs(got - want), 4 * sd, f"T={t}: German share {got:.4f}, want {want:.4f} ± {4 * sd:.4f}")

    def test_deterministic(self):
        a, b = Temperature(), Temperature()
        for s in (a, b):
            s.start(SamplerConfig(corpus(), 8, {"temperature": 2.0}, 7))
        self.assertEqual(a.next(50), b.next(50))

    def test_bad_temperature(self):
        with self.assertRaisesRegex(ParamError, r'parameter "temperature": 0 is below the minimum 0.01'):
            check_params(Temperature.info.params, {"temperature": 0})


if __name__ == "__main__":
    unittest.main()
