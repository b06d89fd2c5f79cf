"""The Python SDK's own checks: parameters as the Go SDK checks them (the
shared vectors of plugins/testdata/params.json, read by the Go tests too),
wire conversions, the index."""

import json
import os
import random
import unittest

from xlbench.index import CorpusIndex, Cycle, cross_pairs
from xlbench.params import Param, ParamError, check_params
from xlbench.plugin import PluginError, batch_from_wire, dense_bytes, info_to_wire
from xlbench.types import FEEDBACK_EVERY, QA, TRANSLATION, Corpus, Group, Info, Pair
from xlbench.v1 import common_pb2

SPECS = [
    Param("n", "integer", default=3, min=1),
    Param("rate", "number", max=1),
    Param("on", "bool", default=True),
    Param("langs", "string_list"),
    Param("mode", "string", one_of=("de", "en")),
]


class ParamsTest(unittest.TestCase):
    def test_defaults_and_types(self):
        got = check_params(SPECS, {"rate": 0.5, "langs": ["de", "en"]})
        self.assertEqual(got, {"n": 3.0, "rate": 0.5, "on": True, "langs": ["de", "en"]})

    def test_not_a_number(self):
        # The one case JSON cannot carry to the shared vectors.
        with self.assertRaises(ParamError) as cm:
            check_params(SPECS, {"rate": float("nan")})
        self.assertEqual(str(cm.exception), 'parameter "rate": want a finite number, got nan')

    def test_shared_vectors(self):
        # The parameter rules' test vectors, which the Go SDK's tests read
        # too (plugins/params_vectors_test.go): the same specs, checked
        # values and messages.
        path = os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..", "testdata", "params.json")
        with open(path, encoding="utf-8") as f:
            v = json.load(f)
        specs = [
            Param(s["name"], s["type"], default=s.get("default"), min=s.get("min"), max=s.get("max"), one_of=tuple(s.get("one_of", ())))
            for s in v["specs"]
        ]
        for case in v["accepted"]:
            with self.subTest(params=case["params"]):
                self.assertEqual(check_params(specs, case["params"]), case["want"])
        for case in v["refused"]:
            with self.subTest(params=case["params"]):
                with self.assertRaises(ParamError) as cm:
                    check_params(specs, case["params"])
                self.assertEqual(str(cm.exception), case["error"])

    def test_every_problem_named(self):
        with self.assertRaises(ParamError) as cm:
            check_params(SPECS, {"n": 0, "zzz": 1})
        self.assertEqual([n for n, _ in cm.exception.problems], ["n", "zzz"])

    def test_no_params(self):
        with self.assertRaisesRegex(ParamError, "this plugin takes no parameters"):
            check_params([], {"x": 1})

    def test_bad_default_fails_at_declaration(self):
        with self.assertRaises(ValueError):
            Param("n", "integer", default=0.5)


class WireTest(unittest.TestCase):
    def test_info(self):
        w = info_to_wire(Info("x", "1.0", params=[Param("k", "number_list", default=[3, 4], min=0)], trainable=True))
        self.assertTrue(w.trainable)
        self.assertEqual(w.params[0].type, common_pb2.PARAM_TYPE_NUMBER_LIST)
        self.assertEqual(list(w.params[0].default.list_value.values[i].number_value for i in range(2)), [3, 4])
        self.assertTrue(w.params[0].has_min)
        self.assertFalse(w.params[0].has_max)

    def test_batch(self):
        w = common_pb2.Batch(group=[7, 8], query_lang=[0, 1], passage_lang=[1, 1])
        self.assertEqual(batch_from_wire(w, ["de", "en"]), [Pair(7, "de", "en"), Pair(8, "en", "en")])
        with self.assertRaisesRegex(PluginError, "language index 2 outside the table of 2 languages"):
            batch_from_wire(common_pb2.Batch(group=[1], query_lang=[2], passage_lang=[0]), ["de", "en"])
        with self.assertRaisesRegex(PluginError, "malformed batch"):
            batch_from_wire(common_pb2.Batch(group=[1, 2], query_lang=[0], passage_lang=[0]), ["de"])

    def test_dense(self):
        raw, dim = dense_bytes([[1.0, -2.0], [0.5, 0.25]], 2)
        self.assertEqual(dim, 2)
        self.assertEqual(raw, bytes.fromhex("0000803f000000c00000003f0000803e"))  # little-endian float32
        with self.assertRaisesRegex(PluginError, "3 vectors for 2 texts"):
            dense_bytes([[1.0], [2.0], [3.0]], 2)
        with self.assertRaisesRegex(PluginError, "vector 1 has dimension 1"):
            dense_bytes([[1.0, 2.0], [3.0]], 2)


class IndexTest(unittest.TestCase):
    def test_kinds(self):
        c = Corpus(("de", "en"), (Group(1, QA, ("de", "en"), ("en",)), Group(2, TRANSLATION, ("de", "en"), ("de", "en"))))
        ix = CorpusIndex(c)
        self.assertEqual(ix.mono, {"en": [0]})  # the translation group offers no same-language pair
        self.assertEqual(ix.cross, [0, 1])
        self.assertEqual(cross_pairs(c.groups[1]), [("de", "en"), ("en", "de")])
        self.assertFalse(c.groups[1].allows("de", "de"))

    def test_cycle_distinct(self):
        cy = Cycle(range(5), random.Random(1))
        for _ in range(20):
            self.assertEqual(len(set(cy.take(4))), 4)
        self.assertEqual(sorted(Cycle(range(5), random.Random(2)).take(5)), [0, 1, 2, 3, 4])


if __name__ == "__main__":
    unittest.main()


class _Context:
    def abort(self, code, message):
        raise RuntimeError(f"{code}: {message}")


class ObserveTest(unittest.TestCase):
    def test_feedback_reaches_an_observing_sampler(self):
        from xlbench import plugin
        from xlbench.types import Feedback, PairLoss, SamplerConfig
        from xlbench.v1 import sampler_pb2

        class Watching(plugin.Sampler):
            info = Info("watching", "1")
            seen = []

            def start(self, config):
                pass

            def next(self, n):
                return []

            def observe(self, feedback):
                self.seen.append(feedback)

        class Plain(Watching):
            observe = plugin.Sampler.observe

        self.assertTrue(Watching.observes_training())
        self.assertFalse(Plain.observes_training())
        server = plugin._SamplerServer(Watching())
        self.assertTrue(server.Describe(None, None).observes_training)
        self.assertFalse(plugin._SamplerServer(Plain()).Describe(None, None).observes_training)
        start = sampler_pb2.SamplerStartRequest(corpus=sampler_pb2.CorpusSummary(languages=["de", "en"]), batch_size=2, seed=1)
        server.Start(start, _Context())
        server.Observe(sampler_pb2.Feedback(first_step=64, step_loss=[1.5, 2.5],
                                            pair_loss=[sampler_pb2.PairLoss(query_lang=0, passage_lang=1, mean=2.0, pairs=4)]), _Context())
        self.assertEqual(Watching.seen, [Feedback(64, [1.5, 2.5], [PairLoss("de", "en", 2.0, 4)])])
        with self.assertRaisesRegex(RuntimeError, "does not observe training"):
            plugin._SamplerServer(Plain()).Observe(sampler_pb2.Feedback(), _Context())


class SamplerStepsTest(unittest.TestCase):
    def test_training_length_reaches_start(self):
        """The host's training length (protocol revision 2) reaches
        start() as config.steps; a host that sends none gives 0."""
        from xlbench import plugin
        from xlbench.v1 import sampler_pb2

        class Scheduled(plugin.Sampler):
            info = Info("scheduled", "1")
            configs = []

            def start(self, config):
                self.configs.append(config)

            def next(self, n):
                return []

        server = plugin._SamplerServer(Scheduled())
        corpus = sampler_pb2.CorpusSummary(languages=["de"])
        server.Start(sampler_pb2.SamplerStartRequest(corpus=corpus, batch_size=2, seed=1, steps=300), _Context())
        server.Start(sampler_pb2.SamplerStartRequest(corpus=corpus, batch_size=2, seed=1), _Context())
        self.assertEqual([c.steps for c in Scheduled.configs], [300, 0])


class TrainStepsTest(unittest.TestCase):
    """The encoder server's pipelined steps: answers in order, held while
    batches wait but never while the server waits for one."""

    def server(self):
        from xlbench import plugin
        from xlbench.types import EncoderInfo

        class Counting(plugin.Encoder):
            info = Info("counting", "1")
            steps = 0

            def train_step(self, batch):
                if batch[0].group == 666:
                    raise PluginError("group 666 is cursed")
                Counting.steps += 1
                return float(Counting.steps)

        server = plugin._EncoderServer(Counting())
        server.enc_info = EncoderInfo(dim=2, trainable=True)
        server.langs = ["en"]
        return server

    @staticmethod
    def batch(group):
        return common_pb2.Batch(group=[group], query_lang=[0], passage_lang=[0])

    def test_losses_in_order_then_the_error(self):
        answers = []
        with self.assertRaisesRegex(RuntimeError, "group 666 is cursed"):
            for r in self.server().TrainSteps(iter([self.batch(1), self.batch(2), self.batch(666), self.batch(3)]), _Context()):
                answers.append(r.loss)
        self.assertEqual(answers, [1.0, 2.0])

    def test_lock_step_host_answered(self):
        import threading

        answered = threading.Event()

        def host():
            for g in range(1, 4):
                answered.clear()
                yield self.batch(g)
                if not answered.wait(10):
                    raise AssertionError(f"no answer to batch {g} before the next")

        answers = []
        for r in self.server().TrainSteps(host(), _Context()):
            answers.append(r.loss)
            answered.set()
        self.assertEqual(answers, [1.0, 2.0, 3.0])


class ContractTest(unittest.TestCase):
    def test_protocol_constants_come_from_the_proto(self):
        # Declared once, in common.proto's enum Protocol, and generated
        # into Go's and Python's code alike.
        from xlbench import PROTOCOL_REVISION, PROTOCOL_VERSION
        from xlbench.v1 import common_pb2

        self.assertEqual(
            (PROTOCOL_VERSION, PROTOCOL_REVISION, FEEDBACK_EVERY),
            (common_pb2.PROTOCOL_VERSION, common_pb2.PROTOCOL_REVISION, common_pb2.PROTOCOL_FEEDBACK_EVERY),
        )
        self.assertEqual((PROTOCOL_VERSION, FEEDBACK_EVERY), (1, 64))