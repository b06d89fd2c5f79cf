"""The hf-encoder against sentence-transformers itself, on tiny BERT and
XLM-R models made here (tiny_models.py): same embeddings, same loss and
gradients as MultipleNegativesRankingLoss, GradCache and two processes
equal to the whole batch at once, checkpoints that reload identically.

Run with the project's .venv (make test does): .venv/bin/python -m unittest
discover -s plugins/hf-encoder.
"""

import math
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import hf_encoder  # noqa: E402
import tiny_models  # noqa: E402

import torch  # noqa: E402
from sentence_transformers import SentenceTransformer, losses, models  # noqa: E402

from xlbench.params import check_params  # noqa: E402
from xlbench.plugin import PluginError  # noqa: E402
from xlbench.types import PASSAGE, QUERY, Config, CorpusGroup, Text  # noqa: E402

TEXTS = ["where is the cat", "the dog eats meat every day", "wer schrieb das buch", "el perro come carne",
         "", "the war ended in nineteen forty five and the book was written by a woman in paris"]


def corpus(n=12):
    langs = ("en", "de", "es")
    groups = []
    for i in range(n):
        texts = []
        for lang, (q, p) in zip(langs, (("where is thing", "thing is in room"), ("wo ist die katze", "die katze ist im garten"),
                                        ("dónde está el gato", "el gato está en el jardín"))):
            texts += [Text(lang, QUERY, f"{q} {i}"), Text(lang, PASSAGE, f"{p} {i} {'number ' * (i % 4)}")]
        groups.append(CorpusGroup(i, texts))
    return groups


BATCH = [(0, "en", "de"), (1, "de", "de"), (2, "es", "en"), (3, "en", "en"), (4, "de", "es"), (5, "es", "es"),
         (6, "en", "es")]  # seven pairs: uneven shards across two processes


class Models:
    root = None

    @classmethod
    def get(cls):
        if cls.root is None:
            cls.tmp = tempfile.TemporaryDirectory()
            cls.root = tiny_models.make_all(cls.tmp.name)
        return cls.root


def configured(model, train_steps=0, **params):
    enc = hf_encoder.HFEncoder()
    enc.configure(Config(check_params(hf_encoder.PARAMS, {"model": model, "device": "cpu", **params}), 3, train_steps))
    return enc


def grads(enc):
    return {n: w.grad.detach().clone() for n, w in enc.st.named_parameters() if w.grad is not None}


def max_relative(a, b):
    """The largest |a - b| over every parameter, relative to the largest |b|:
    the whole gradient as one vector (per tensor would divide rounding noise
    by gradients that are zero in exact arithmetic, as the attention keys'
    biases are, since softmax ignores a shift)."""
    assert a.keys() == b.keys(), (a.keys() ^ b.keys())
    return max(float((a[k] - b[k]).abs().max()) for k in a) / max(float(b[k].abs().max()) for k in b)


class EmbeddingsTest(unittest.TestCase):
    def test_equal_sentence_transformers_encode(self):
        for name in ("bert", "xlmr"):
            path = Models.get()[name]
            for pooling in ("mean", "cls"):
                with self.subTest(model=name, pooling=pooling):
                    enc = configured(path, pooling=pooling, query_prefix="query: ", encode_batch=2)
                    tr = models.Transformer(path, max_seq_length=128)
                    st = SentenceTransformer(modules=[tr, models.Pooling(tr.get_word_embedding_dimension(), pooling_mode=pooling)],
                                             device="cpu")
                    want = st.encode(["query: " + t for t in TEXTS], normalize_embeddings=True, convert_to_tensor=True)
                    got = enc.encode(QUERY, "en", TEXTS)
                    self.assertEqual(tuple(got.shape), (len(TEXTS), 32))
                    self.assertLessEqual(float((got - want).abs().max()), 1e-5)
                    # Passages get their own prefix (none here).
                    want = st.encode(TEXTS, normalize_embeddings=True, convert_to_tensor=True)
                    self.assertLessEqual(float((enc.encode(PASSAGE, "en", TEXTS) - want).abs().max()), 1e-5)

    def test_length_sorted_batches_keep_the_order(self):
        enc = configured(Models.get()["bert"], encode_batch=4)
        whole = enc.encode(QUERY, "en", TEXTS)
        one_by_one = torch.cat([enc.encode(QUERY, "en", [t]) for t in TEXTS])
        self.assertLessEqual(float((whole - one_by_one).abs().max()), 1e-5)
        self.assertEqual(tuple(enc.encode(QUERY, "en", []).shape), (0, 32))

    def test_bf16_autocast_close_to_fp32(self):
        path = Models.get()["bert"]
        a = configured(path).encode(QUERY, "en", TEXTS)
        b = configured(path, precision="bf16").encode(QUERY, "en", TEXTS)
        self.assertLessEqual(float((a - b).abs().max()), 0.05)


class LossTest(unittest.TestCase):
    def sentence_features(self, enc, texts, role):
        return enc.st.tokenize([enc.prefix[role] + t for t in texts])

    def check_against(self, loss_cls, symmetric):
        enc = configured(Models.get()["bert-nodropout"], precision="fp64", loss="symmetric" if symmetric else "mnrl",
                         query_prefix="query: ", passage_prefix="passage: ")
        enc.load_corpus(corpus())
        loss, pairs = enc.batch_gradients(BATCH)
        ours = grads(enc)
        self.assertAlmostEqual(loss, sum(pairs) / len(pairs), places=12)
        enc.st.zero_grad(set_to_none=True)
        q = [enc.text[(g, ql, QUERY)] for g, ql, _ in BATCH]
        p = [enc.text[(g, pl, PASSAGE)] for g, _, pl in BATCH]
        st_loss = loss_cls(enc.st, scale=20.0)([self.sentence_features(enc, q, QUERY), self.sentence_features(enc, p, PASSAGE)], None)
        st_loss.backward()
        self.assertLessEqual(abs(float(st_loss) - loss) / loss, 1e-12)
        self.assertLessEqual(max_relative(ours, grads(enc)), 1e-10)

    def test_mnrl_is_sentence_transformers_loss(self):
        self.check_against(losses.MultipleNegativesRankingLoss, symmetric=False)

    def test_symmetric_is_sentence_transformers_symmetric_loss(self):
        self.check_against(losses.MultipleNegativesSymmetricRankingLoss, symmetric=True)

    def test_gradcache_equals_the_whole_batch(self):
        path = Models.get()["bert-nodropout"]
        for symmetric in ("mnrl", "symmetric"):
            whole = configured(path, precision="fp64", loss=symmetric)
            whole.load_corpus(corpus())
            loss, pairs = whole.batch_gradients(BATCH)
            for cache in (1, 3, 64):
                with self.subTest(loss=symmetric, cache_batch=cache):
                    cached = configured(path, precision="fp64", loss=symmetric, cache_batch=cache)
                    cached.load_corpus(corpus())
                    c_loss, c_pairs = cached.batch_gradients(BATCH)
                    self.assertLessEqual(abs(c_loss - loss) / loss, 1e-12)
                    self.assertLessEqual(max(abs(a - b) for a, b in zip(c_pairs, pairs)), 1e-12)
                    self.assertLessEqual(max_relative(grads(cached), grads(whole)), 1e-8)

    def test_gradcache_with_dropout_replays_the_masks(self):
        # With dropout the second pass must see the first pass's masks: the
        # step's gradient then equals backpropagating through the first pass.
        enc = configured(Models.get()["bert"], precision="fp64", cache_batch=2)
        enc.load_corpus(corpus())
        enc.batch_gradients(BATCH)
        g1 = grads(enc)
        torch.manual_seed(3)
        enc2 = configured(Models.get()["bert"], precision="fp64", cache_batch=2)
        enc2.load_corpus(corpus())
        enc2.batch_gradients(BATCH)
        self.assertLessEqual(max_relative(grads(enc2), g1), 1e-12)  # deterministic
        self.assertTrue(all(torch.isfinite(g).all() for g in g1.values()))

    def test_gradient_checkpointing_gives_the_same_gradients(self):
        path = Models.get()["bert-nodropout"]
        a = configured(path, precision="fp64")
        b = configured(path, precision="fp64", gradient_checkpointing=True)
        for enc in (a, b):
            enc.load_corpus(corpus())
            enc.batch_gradients(BATCH)
        self.assertLessEqual(max_relative(grads(b), grads(a)), 1e-10)


class ProcessesTest(unittest.TestCase):
    def test_two_processes_equal_one(self):
        path = Models.get()["bert-nodropout"]
        one = configured(path, train_steps=4, precision="fp64")
        two = configured(path, train_steps=4, precision="fp64", processes=2)
        try:
            self.assertEqual(len(two.workers), 1)
            for enc in (one, two):
                enc.load_corpus(corpus())
            loss1, pairs1 = one.batch_gradients(BATCH)
            loss2, pairs2 = two.batch_gradients(BATCH)
            self.assertLessEqual(abs(loss2 - loss1) / loss1, 1e-12)
            self.assertLessEqual(max(abs(a - b) for a, b in zip(pairs1, pairs2)), 1e-12)
            self.assertLessEqual(max_relative(grads(two), grads(one)), 1e-8)
            # Whole steps, GradCache inside each process too: the weights stay equal.
            for s in range(3):
                batch = [((g + 5 * s) % 12, q, p) for g, q, p in BATCH]
                l1, _ = one.train_step(batch)
                l2, _ = two.train_step(batch)
                self.assertLessEqual(abs(l2 - l1) / l1, 1e-10)
            w1 = dict(one.st.named_parameters())
            for name, w in two.st.named_parameters():
                self.assertLessEqual(float((w - w1[name]).abs().max()), 1e-10, name)
        finally:
            two.close_workers()
        self.assertEqual(two.workers, [])


class OrphanTest(unittest.TestCase):
    def test_workers_die_with_the_plugin(self):
        # A process that configures two training processes, then is killed:
        # its worker must not outlive it.
        import signal
        import subprocess
        import time
        script = (f"import sys; sys.path[:0] = {sys.path[:3]!r}\n"
                  "import test_hf_encoder as t\n"
                  f"enc = t.configured({Models.get()['bert-nodropout']!r}, processes=2)\n"
                  "print(enc.workers[0].pid, flush=True)\n"
                  "import time; time.sleep(600)\n")
        parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                                  cwd=os.path.dirname(os.path.realpath(__file__)))
        try:
            worker = int(parent.stdout.readline())
            self.assertTrue(os.path.exists(f"/proc/{worker}"))
            os.kill(parent.pid, signal.SIGKILL)
            parent.wait()
            deadline = time.time() + 10
            while time.time() < deadline and _running(worker):
                time.sleep(0.1)
            self.assertFalse(_running(worker), f"worker {worker} outlived its plugin")
        finally:
            parent.kill()


def _running(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


class ScheduleTest(unittest.TestCase):
    def test_warmup_then_linear_decay(self):
        enc = configured(Models.get()["bert"], train_steps=10, warmup=0.2, lr=1e-3)
        factors = [enc._lr_factor(s) for s in range(10)]
        self.assertEqual(factors[:2], [1 / 3, 2 / 3])
        self.assertEqual(factors[2], 1.0)
        self.assertAlmostEqual(factors[9], 1 / 8)
        self.assertTrue(all(a > b for a, b in zip(factors[2:], factors[3:])))
        enc.load_corpus(corpus())
        enc.train_step(BATCH)
        self.assertAlmostEqual(enc.optimizer.param_groups[0]["lr"], 1e-3 * 2 / 3)
        constant = configured(Models.get()["bert"], train_steps=10, warmup=0.2, schedule="constant")
        self.assertEqual([constant._lr_factor(s) for s in (2, 9)], [1.0, 1.0])
        unknown = configured(Models.get()["bert"], train_steps=0)
        self.assertEqual(unknown._lr_factor(5), 1.0)

    def test_no_weight_decay_on_biases_and_layer_norms(self):
        enc = configured(Models.get()["bert"], weight_decay=0.01)
        decay, plain = enc.optimizer.param_groups
        names = {id(w): n for n, w in enc.st.named_parameters()}
        self.assertEqual(decay["weight_decay"], 0.01)
        self.assertTrue(all("LayerNorm" not in names[id(w)] and not names[id(w)].endswith("bias") for w in decay["params"]))
        self.assertTrue(all("LayerNorm" in names[id(w)] or names[id(w)].endswith("bias") for w in plain["params"]))


class CheckpointTest(unittest.TestCase):
    def test_saved_model_reloads_identically_and_loads_in_sentence_transformers(self):
        for name in ("bert", "xlmr"):
            with self.subTest(model=name), tempfile.TemporaryDirectory() as tmp:
                enc = configured(Models.get()[name], train_steps=5, query_prefix="query: ", passage_prefix="passage: ", pooling="cls")
                enc.load_corpus(corpus())
                losses_ = [enc.train_step(BATCH)[0] for _ in range(5)]
                self.assertTrue(all(math.isfinite(x) for x in losses_))
                before = enc.encode(QUERY, "en", TEXTS)
                self.assertGreater(float((before - configured(Models.get()[name], pooling="cls", query_prefix="query: ")
                                          .encode(QUERY, "en", TEXTS)).abs().max()), 1e-4)  # training moved it
                out = os.path.join(tmp, "model.ckpt")
                enc.save(out)
                again = hf_encoder.HFEncoder()
                again.configure(Config(check_params(hf_encoder.PARAMS, {"checkpoint": out, "device": "cpu",
                                                                        "query_prefix": "query: "}), 9, 0))
                self.assertLessEqual(float((again.encode(QUERY, "en", TEXTS) - before).abs().max()), 1e-6)
                st = SentenceTransformer(out, device="cpu")
                self.assertEqual(st.prompts.get("query"), "query: ")
                want = st.encode(TEXTS, prompt_name="query", normalize_embeddings=True, convert_to_tensor=True)
                self.assertLessEqual(float((want - before).abs().max()), 1e-5)
                from transformers import AutoModel
                self.assertEqual(AutoModel.from_pretrained(out).config.hidden_size, 32)

    def test_save_over_a_file_is_refused(self):
        enc = configured(Models.get()["bert"])
        with tempfile.NamedTemporaryFile() as f:
            with self.assertRaisesRegex(PluginError, "a checkpoint is a folder"):
                enc.save(f.name)


class ModelPathTest(unittest.TestCase):
    def test_hub_names_are_refused_with_the_way_out(self):
        with self.assertRaisesRegex(PluginError, r"'sentence-transformers/LaBSE': no folder .* never downloads weights"):
            configured("sentence-transformers/LaBSE")

    def test_no_model(self):
        with self.assertRaisesRegex(PluginError, "no model: set model to a local folder"):
            configured("")

    def test_folder_that_is_not_a_model(self):
        with tempfile.TemporaryDirectory() as tmp:
            with self.assertRaisesRegex(PluginError, "neither config.json nor modules.json"):
                configured(tmp)

    def test_package_models(self):
        with self.assertRaisesRegex(PluginError, "has no installed package 'xlbench_no_such_package'"):
            configured("package:xlbench_no_such_package")
        with self.assertRaisesRegex(PluginError, "holds no folder with a config.json"):
            configured("package:xlbench")  # the SDK: a package, but no model in it

    def test_fp16_needs_a_gpu(self):
        with self.assertRaisesRegex(PluginError, "needs a GPU"):
            configured(Models.get()["bert"], precision="fp16")


if __name__ == "__main__":
    unittest.main()
