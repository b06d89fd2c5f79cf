"""The PyTorch example encoder, driven in process (python3 -m unittest)."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from encoder import TorchEncoder  # noqa: E402

from xlbench.params import check_params  # noqa: E402
from xlbench.plugin import PluginError  # noqa: E402
from xlbench.types import PASSAGE, QUERY, Config, CorpusGroup, Pair, Text  # noqa: E402


def configured(**params):
    enc = TorchEncoder()
    info = enc.configure(Config(check_params(enc.info.params, {"dim": 16, "buckets": 1024, "device": "cpu", **params}), 3))
    return enc, info


def corpus():
    return [CorpusGroup(i, [Text("en", QUERY, f"where is thing{i}"), Text("en", PASSAGE, f"thing{i} is in room {i}")])
            for i in range(8)]


class TorchEncoderTest(unittest.TestCase):
    def test_trains_deterministically_with_pair_losses(self):
        runs = []
        for _ in range(2):
            enc, info = configured()
            self.assertEqual(info.dim, 16)
            enc.load_corpus(corpus())
            steps = [enc.train_step([Pair(g, "en", "en") for g in range(4 * (s % 2), 4 * (s % 2) + 4)]) for s in range(20)]
            for loss, pairs in steps:
                self.assertEqual(len(pairs), 4)
                self.assertAlmostEqual(loss, sum(pairs) / 4, places=5)
            runs.append([loss for loss, _ in steps])
        self.assertEqual(runs[0], runs[1])
        self.assertLess(sum(runs[0][-4:]), sum(runs[0][:4]))  # it learns the toy pairs

    def test_feed_forward_block_starts_as_identity_and_trains(self):
        plain, _ = configured()
        block, _ = configured(hidden=12)
        texts = ["a b c", "thing3"]
        # Same seed, same table and projection; W2 = 0, so the same vectors.
        self.assertTrue(bool((plain.encode(QUERY, "en", texts) == block.encode(QUERY, "en", texts)).all()))
        block.load_corpus(corpus())
        losses = [block.train_step([Pair(g, "en", "en") for g in range(4 * (s % 2), 4 * (s % 2) + 4)])[0] for s in range(20)]
        self.assertLess(sum(losses[-4:]), sum(losses[:4]))
        self.assertGreater(float(block.model.ff[2].weight.abs().sum()), 0)

    def test_unit_vectors(self):
        enc, _ = configured()
        v = enc.encode(QUERY, "en", ["a b c", "", "thing3"]).numpy()
        self.assertEqual(v.shape, (3, 16))
        for row in (0, 2):
            self.assertAlmostEqual(float((v[row] ** 2).sum()), 1.0, places=5)

    def test_pretrained_model_needs_a_library(self):
        try:
            import sentence_transformers  # noqa: F401
            self.skipTest("sentence-transformers is installed: the diagnostic is for machines without it")
        except ImportError:
            pass
        try:
            import transformers  # noqa: F401
            self.skipTest("transformers is installed")
        except ImportError:
            pass
        with self.assertRaisesRegex(PluginError, "needs the sentence-transformers or transformers library"):
            configured(model="sentence-transformers/LaBSE")


if __name__ == "__main__":
    unittest.main()
