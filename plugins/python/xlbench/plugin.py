"""Write xlbench plugins in Python: subclass Sampler, Encoder or Reader and
call serve().

The SDK checks parameters against Info.params (defaults filled in) before the
plugin sees them, refuses what a plugin does not support (training calls to
an encoder that does not train), converts between the wire and the types in
xlbench.types, and turns every Python exception into an error the host shows
under the plugin's name. Calls reach the plugin one at a time.
"""

from __future__ import annotations

import array
import dataclasses
import queue
import sys
import threading
import traceback
from typing import Any, Callable, Iterable, Iterator, Sequence

import grpc
from google.protobuf import json_format, struct_pb2

from . import handshake
from .params import Param, ParamError, check_params
from .types import (PASSAGE, QA, QUERY, TRANSLATION, Answer, Candidate, Config, Corpus, CorpusGroup,
                    EncoderInfo, Feedback, Group, Info, PairLoss, pair_tuple, Pair, ReaderInfo, ReadingExample,
                    ReadQuery, SamplerConfig, SparseVectors, Text, Vectors)
from .v1 import common_pb2, encoder_pb2, encoder_pb2_grpc, reader_pb2, reader_pb2_grpc, sampler_pb2, sampler_pb2_grpc

__all__ = ["Sampler", "Encoder", "Reader", "serve", "PluginError", "Param", "ParamError", "check_params"]


class PluginError(Exception):
    """An error to report to the host as it is, without a traceback."""


class Sampler:
    """Chooses training batches; must be deterministic: the same config gives
    the same sequence of batches."""

    info: Info

    def start(self, config: SamplerConfig) -> None:
        """Reset to the beginning of the sequence config determines."""
        raise NotImplementedError

    def next(self, n: int) -> Sequence[Sequence[Pair]]:
        """The next n batches, each of config.batch_size pairs."""
        raise NotImplementedError

    def observe(self, feedback: Feedback) -> None:
        """Define it to observe training: the host then sends the feedback of
        every 64 steps (types.FEEDBACK_EVERY; the last chunk of a run may be
        shorter) before asking for the next batches. Its effect
        must be deterministic: the same feedback gives the same batches."""
        raise PluginError("this sampler does not observe training")

    @classmethod
    def observes_training(cls) -> bool:
        return cls.observe is not Sampler.observe


class Encoder:
    """A retrieval model. An encoder that does not train (EncoderInfo.trainable
    False) need not define load_corpus, train_step or save; one without
    collection statistics need not define prepare."""

    info: Info

    def configure(self, config: Config) -> EncoderInfo:
        raise NotImplementedError

    def load_corpus(self, groups: list[CorpusGroup]) -> None:
        """Every training group's texts, once, before the first train_step."""
        raise PluginError("this encoder does not train")

    def train_step(self, batch: list[Pair]) -> float | tuple[float, Sequence[float]]:
        """Train on one batch; return its loss, or the loss and each pair's
        loss in batch order (which an observing sampler is told, averaged
        per language pair)."""
        raise PluginError("this encoder does not train")

    def prepare(self, lang: str, texts: list[str]) -> None:
        """Set the collection statistics for the passages encoded next. The
        host calls it only when EncoderInfo.collection_stats is true, with
        the passages of one language (lang) or, for a pool of several
        languages, with all of them and lang empty."""

    def encode(self, role: str, lang: str, texts: list[str]) -> Any:
        """Encode texts, all in lang, on the side role (QUERY or PASSAGE).
        Return a Vectors, or just the dense block (len(texts) × dim)."""
        raise NotImplementedError

    def save(self, path: str) -> None:
        """Write a checkpoint of the model to path."""
        raise PluginError("this encoder saves no checkpoint")


class Reader:
    """Answers questions from retrieved candidates."""

    info: Info

    def configure(self, config: Config) -> ReaderInfo:
        raise NotImplementedError

    def train(self, examples: list[ReadingExample]) -> Sequence[float]:
        """Train on the examples; return the loss of every step."""
        raise PluginError("this reader does not train")

    def read(self, queries: list[ReadQuery]) -> Sequence[Answer]:
        """One answer per query, read from one of its candidates."""
        raise NotImplementedError

    def save(self, path: str) -> None:
        raise PluginError("this reader saves no checkpoint")


# --- wire conversions -------------------------------------------------------

_PARAM_TYPES = {"number": common_pb2.PARAM_TYPE_NUMBER, "integer": common_pb2.PARAM_TYPE_INTEGER,
                "string": common_pb2.PARAM_TYPE_STRING, "bool": common_pb2.PARAM_TYPE_BOOL,
                "number_list": common_pb2.PARAM_TYPE_NUMBER_LIST, "string_list": common_pb2.PARAM_TYPE_STRING_LIST}
_KINDS = {sampler_pb2.GROUP_KIND_QA: QA, sampler_pb2.GROUP_KIND_TRANSLATION: TRANSLATION}
_ROLES = {encoder_pb2.ROLE_QUERY: QUERY, encoder_pb2.ROLE_PASSAGE: PASSAGE}


def info_to_wire(info: Info) -> common_pb2.PluginInfo:
    out = common_pb2.PluginInfo(name=info.name, version=info.version, description=info.description,
                                trainable=info.trainable)
    for p in info.params:
        w = common_pb2.ParamSpec(name=p.name, type=_PARAM_TYPES[p.type], description=p.description,
                                 one_of=list(p.one_of))
        if p.default is not None:
            w.default.CopyFrom(json_format.ParseDict(p.default, struct_pb2.Value()))
        if p.min is not None:
            w.has_min, w.min = True, float(p.min)
        if p.max is not None:
            w.has_max, w.max = True, float(p.max)
        out.params.append(w)
    return out


def params_from_wire(s: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(s) if s is not None else {}


def _lang(names: Sequence[str], i: int) -> str:
    if i >= len(names):
        raise PluginError(f"language index {i} outside the table of {len(names)} languages")
    return names[i]


def batch_from_wire(w: common_pb2.Batch, names: Sequence[str]) -> list[Pair]:
    if not (len(w.group) == len(w.query_lang) == len(w.passage_lang)):
        raise PluginError(f"malformed batch: {len(w.group)} groups, {len(w.query_lang)} query languages, "
                          f"{len(w.passage_lang)} passage languages")
    return [Pair(g, _lang(names, q), _lang(names, p)) for g, q, p in zip(w.group, w.query_lang, w.passage_lang)]


def dense_bytes(dense: Any, count: int) -> tuple[bytes, int]:
    """The little-endian float32 bytes of a count × dim block, and dim."""
    if count == 0:
        return b"", 0  # nothing to check a dimension against
    if hasattr(dense, "detach"):  # a torch tensor
        dense = dense.detach().to("cpu").float().contiguous().numpy()
    if hasattr(dense, "astype") and hasattr(dense, "shape"):  # a numpy array
        if len(dense.shape) != 2 or dense.shape[0] != count:
            raise PluginError(f"encoder returned a block of shape {tuple(dense.shape)} for {count} texts")
        return dense.astype("<f4", copy=False).tobytes(), int(dense.shape[1])
    rows = list(dense)
    if len(rows) != count:
        raise PluginError(f"encoder returned {len(rows)} vectors for {count} texts")
    dim = len(rows[0])
    buf = array.array("f")
    for i, r in enumerate(rows):
        if len(r) != dim:
            raise PluginError(f"vector {i} has dimension {len(r)}, vector 0 has {dim}")
        buf.extend(float(x) for x in r)
    if sys.byteorder != "little":
        buf.byteswap()
    return buf.tobytes(), dim


# --- servers ----------------------------------------------------------------


def _raise(e: BaseException):
    raise e


class _Guard:
    """Serialises calls into the plugin and reports its exceptions to the
    host: a PluginError or ParamError by its message, anything else with the
    last lines of its traceback."""

    def __init__(self):
        self.lock = threading.Lock()

    def call(self, context: grpc.ServicerContext, f: Callable[[], Any], code=grpc.StatusCode.UNKNOWN) -> Any:
        with self.lock:
            try:
                return f()
            except (PluginError, ParamError) as e:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT if isinstance(e, ParamError) else code, str(e))
            except grpc.RpcError:
                raise
            except Exception as e:  # the plugin's bug: say where
                tb = traceback.extract_tb(e.__traceback__)[-1]
                context.abort(code, f"{type(e).__name__}: {e} (at {tb.filename}:{tb.lineno})")


class _SamplerServer(sampler_pb2_grpc.SamplerServicer):
    def __init__(self, impl: Sampler):
        self.impl, self.guard = impl, _Guard()
        self.langs: dict[str, int] | None = None
        self.names: tuple[str, ...] = ()
        self.batch_size = 0

    def Describe(self, request, context):
        w = info_to_wire(self.impl.info)
        w.observes_training = type(self.impl).observes_training()
        return w

    def Observe(self, request, context):
        def observe():
            if not type(self.impl).observes_training():
                raise PluginError("this sampler does not observe training")
            if self.langs is None:
                raise PluginError("Observe called before Start")
            pairs = [PairLoss(_lang(self.names, p.query_lang), _lang(self.names, p.passage_lang), p.mean, p.pairs)
                     for p in request.pair_loss]
            self.impl.observe(Feedback(request.first_step, list(request.step_loss), pairs))
            return common_pb2.Empty()
        return self.guard.call(context, observe)

    def Start(self, request, context):
        def start():
            names = tuple(request.corpus.languages)
            groups = tuple(Group(g.id, _KINDS.get(g.kind, QA), tuple(_lang(names, i) for i in g.query_langs),
                                 tuple(_lang(names, i) for i in g.passage_langs)) for g in request.corpus.groups)
            if request.batch_size < 1:
                raise PluginError(f"batch size must be at least 1, got {request.batch_size}")
            params = check_params(self.impl.info.params, params_from_wire(request.params))
            self.impl.start(SamplerConfig(Corpus(names, groups), request.batch_size, params, request.seed, request.steps))
            self.langs = {n: i for i, n in enumerate(names)}
            self.names = names
            self.batch_size = request.batch_size
            return common_pb2.Empty()
        return self.guard.call(context, start)

    def Next(self, request, context):
        def next_batches():
            if self.langs is None:
                raise PluginError("Next called before Start")
            batches = self.impl.next(request.count)
            if len(batches) != request.count:
                raise PluginError(f"sampler {self.impl.info.name} returned {len(batches)} batches, asked for {request.count}")
            out = sampler_pb2.NextResponse()
            for i, b in enumerate(batches):
                if len(b) != self.batch_size:
                    raise PluginError(f"sampler {self.impl.info.name} produced a batch of {len(b)} pairs, want {self.batch_size}")
                w = out.batches.add()
                for p in b:
                    g, q, d = pair_tuple(p)
                    if q not in self.langs or d not in self.langs:
                        missing = q if q not in self.langs else d
                        raise PluginError(f"batch {i} names language {missing!r}, which the corpus does not have")
                    w.group.append(g)
                    w.query_lang.append(self.langs[q])
                    w.passage_lang.append(self.langs[d])
            return out
        return self.guard.call(context, next_batches, grpc.StatusCode.INTERNAL)


class _EncoderServer(encoder_pb2_grpc.EncoderServicer):
    def __init__(self, impl: Encoder):
        self.impl, self.guard = impl, _Guard()
        self.langs: list[str] = []
        self.enc_info: EncoderInfo | None = None

    def Describe(self, request, context):
        return info_to_wire(self.impl.info)

    def _trainable(self, context, what: str):
        if self.enc_info is None:
            raise PluginError(f"{what} called before Configure")
        if not self.enc_info.trainable:
            raise PluginError(f"{what}: encoder {self.impl.info.name} does not train")

    def Configure(self, request, context):
        def configure():
            params = check_params(self.impl.info.params, params_from_wire(request.params))
            info = self.impl.configure(Config(params, request.seed, request.train_steps))
            if not isinstance(info, EncoderInfo):
                raise PluginError(f"configure returned {type(info).__name__}, want xlbench.types.EncoderInfo")
            if info.trainable is None:
                info = dataclasses.replace(info, trainable=self.impl.info.trainable)
            elif info.trainable != self.impl.info.trainable:
                raise PluginError(f"configure says trainable={info.trainable}, Info says trainable={self.impl.info.trainable}")
            self.enc_info = info
            return encoder_pb2.EncoderInfo(dim=info.dim, sparse=info.sparse, trainable=info.trainable,
                                           collection_stats=info.collection_stats)
        return self.guard.call(context, configure)

    def LoadCorpus(self, request_iterator, context):
        groups: list[CorpusGroup] = []
        langs = list(self.langs)
        for chunk in request_iterator:  # received outside the lock: the host streams freely
            langs.extend(chunk.languages)
            for g in chunk.groups:
                texts = []
                for t in g.texts:
                    if t.lang >= len(langs) or t.role not in _ROLES:
                        context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"group {g.id}: bad language or role")
                    texts.append(Text(langs[t.lang], _ROLES[t.role], t.text))
                groups.append(CorpusGroup(g.id, texts))

        def load():
            self._trainable(context, "LoadCorpus")
            self.impl.load_corpus(groups)
            self.langs = langs
            return common_pb2.Empty()
        return self.guard.call(context, load)

    def _step(self, context, w) -> encoder_pb2.TrainStepResponse:
        self._trainable(context, "TrainStep")
        batch = batch_from_wire(w, self.langs)
        out = self.impl.train_step(batch)
        if isinstance(out, tuple):
            loss, pairs = out
            pairs = [float(x) for x in pairs]
            if len(pairs) != len(batch):
                raise PluginError(f"encoder reported {len(pairs)} pair losses for a batch of {len(batch)}")
            return encoder_pb2.TrainStepResponse(loss=float(loss), pair_loss=pairs)
        return encoder_pb2.TrainStepResponse(loss=float(out))

    def TrainStep(self, request, context):
        return self.guard.call(context, lambda: self._step(context, request))

    def TrainSteps(self, request_iterator, context):
        """Takes the batches in order, holding the answers while more batches
        are waiting and sending them once caught up with the host (at the end
        of a chunk) or before stopping: an answer per step wakes the host in
        the middle of the next step."""
        waiting: queue.SimpleQueue = queue.SimpleQueue()
        end = object()

        def receive():
            try:
                for w in request_iterator:
                    waiting.put(w)
            except Exception:  # the stream failed: the host is gone or cancelled
                pass
            finally:
                waiting.put(end)

        threading.Thread(target=receive, daemon=True).start()
        pending: list[encoder_pb2.TrainStepResponse] = []
        while True:
            try:
                w = waiting.get_nowait()
            except queue.Empty:
                yield from pending  # answer the steps taken before waiting
                pending.clear()
                w = waiting.get()
            if w is end:
                yield from pending
                return
            with self.guard.lock:
                try:
                    resp, failure = self._step(context, w), None
                except Exception as e:
                    resp, failure = None, e
            if failure is not None:
                yield from pending  # the losses of the steps before it, then its error
                pending.clear()
                self.guard.call(context, lambda: _raise(failure))
                return
            pending.append(resp)

    def Prepare(self, request, context):
        def prepare():
            self.impl.prepare(request.lang, list(request.texts))
            return common_pb2.Empty()
        return self.guard.call(context, prepare)

    def Encode(self, request, context):
        def encode():
            if self.enc_info is None:
                raise PluginError("Encode called before Configure")
            if request.role not in _ROLES:
                raise PluginError("unspecified role")
            texts = list(request.texts)
            v = self.impl.encode(_ROLES[request.role], request.lang, texts)
            if not isinstance(v, Vectors):
                v = Vectors(dense=v)
            out = encoder_pb2.EncodeResponse(count=len(texts))
            if v.sparse is not None:
                s = v.sparse
                if len(s.offsets) != len(texts) + 1 or len(s.terms) != len(s.weights) or s.offsets[-1] != len(s.terms):
                    raise PluginError(f"malformed sparse vectors for {len(texts)} texts")
                out.sparse.offsets.extend(s.offsets)
                out.sparse.terms.extend(s.terms)
                out.sparse.weights.extend(s.weights)
            if v.dense is not None:
                out.dense, dim = dense_bytes(v.dense, len(texts))
                if dim != self.enc_info.dim and len(texts) > 0:
                    raise PluginError(f"encoder returned vectors of dimension {dim}, configured {self.enc_info.dim}")
                out.dim = self.enc_info.dim
            elif self.enc_info.dim > 0:
                raise PluginError(f"encoder returned no dense vectors, configured dimension {self.enc_info.dim}")
            return out
        return self.guard.call(context, encode)

    def Save(self, request, context):
        def save():
            self.impl.save(request.path)
            return common_pb2.Empty()
        return self.guard.call(context, save)


class _ReaderServer(reader_pb2_grpc.ReaderServicer):
    def __init__(self, impl: Reader):
        self.impl, self.guard = impl, _Guard()
        self.reader_info: ReaderInfo | None = None

    def Describe(self, request, context):
        return info_to_wire(self.impl.info)

    def Configure(self, request, context):
        def configure():
            params = check_params(self.impl.info.params, params_from_wire(request.params))
            info = self.impl.configure(Config(params, request.seed))
            if not isinstance(info, ReaderInfo):
                raise PluginError(f"configure returned {type(info).__name__}, want xlbench.types.ReaderInfo")
            self.reader_info = info
            return reader_pb2.ReaderInfo(trainable=info.trainable)
        return self.guard.call(context, configure)

    def Train(self, request_iterator, context):
        examples = [ReadingExample(w.lang, w.question_lang or w.lang, w.question, w.passage, w.answer_start, w.answer)
                    for w in request_iterator]

        def train():
            if self.reader_info is None or not self.reader_info.trainable:
                raise PluginError(f"Train: reader {self.impl.info.name} does not train")
            loss = [float(x) for x in self.impl.train(examples)]
            return reader_pb2.TrainSummary(loss=loss, examples=len(examples))
        return self.guard.call(context, train)

    def Read(self, request, context):
        def read():
            if self.reader_info is None:
                raise PluginError("Read called before Configure")
            queries = [ReadQuery(q.question, q.lang, [Candidate(c.text, c.lang) for c in q.candidates])
                       for q in request.queries]
            answers = list(self.impl.read(queries))
            if len(answers) != len(queries):
                raise PluginError(f"reader returned {len(answers)} answers for {len(queries)} queries")
            out = reader_pb2.ReadResponse()
            for a in answers:
                out.answers.add(candidate=a.candidate, start=a.start, text=a.text, score=a.score)
            return out
        return self.guard.call(context, read)

    def Save(self, request, context):
        def save():
            self.impl.save(request.path)
            return common_pb2.Empty()
        return self.guard.call(context, save)


def serve(impl: Sampler | Encoder | Reader) -> None:
    """Serve impl as a plugin of its kind until the host says stop or dies.
    Call it from the plugin's main; it does not return."""
    if isinstance(impl, Sampler):
        register = lambda s: sampler_pb2_grpc.add_SamplerServicer_to_server(_SamplerServer(impl), s)  # noqa: E731
    elif isinstance(impl, Encoder):
        register = lambda s: encoder_pb2_grpc.add_EncoderServicer_to_server(_EncoderServer(impl), s)  # noqa: E731
    elif isinstance(impl, Reader):
        register = lambda s: reader_pb2_grpc.add_ReaderServicer_to_server(_ReaderServer(impl), s)  # noqa: E731
    else:
        raise TypeError(f"serve: {type(impl).__name__} is not an xlbench.plugin Sampler, Encoder or Reader")
    if not isinstance(getattr(impl, "info", None), Info):
        raise TypeError(f"serve: {type(impl).__name__}.info must be an xlbench.types.Info")
    handshake.serve(register)
