#!/usr/bin/python3
"""hf-encoder: a pretrained Hugging Face or sentence-transformers model,
fine-tuned and evaluated through xlbench.

The model is a sentence-transformers model: a model folder in
sentence-transformers layout (modules.json: its own pooling, dense layers
and normalisation) is loaded as it is; a plain Hugging Face encoder folder
(config.json, weights, tokenizer) gets a pooling layer (mean unless
pooling says otherwise). A training step is sentence-transformers'
MultipleNegativesRankingLoss on the batch the sampler chose: each query's
own passage is its positive and the batch's other passages its negatives
(loss = "symmetric" adds the passage-to-query term, as
MultipleNegativesSymmetricRankingLoss does). The optimiser is AdamW without
weight decay on biases and LayerNorm weights, with linear warm-up and
linear decay over the run's steps (the host says how many).

Two things let the batch be as large as the experiment asks, since its
composition is the experiment:
  cache_batch  > 0: gradient caching (GradCache; sentence-transformers'
               CachedMultipleNegativesRankingLoss): embeddings are computed
               in mini-batches without a graph, the loss's gradient with
               respect to them is taken over the whole batch, and each
               mini-batch is encoded again with its graph and back-propagated
               with that gradient. Same gradients, memory of one mini-batch.
  processes    > 1: the batch is split across processes (torch.distributed;
               gloo on the CPU, NCCL with one GPU a process); every process
               gathers all embeddings, so each query still has the whole
               batch as negatives, and the gradients are summed across
               processes: the same step as one process with the whole batch.

Weights are never fetched from a hub: model names a folder on this
machine, or package:NAME[/SUBDIR], a model an installed Python package
ships. A checkpoint (what Save writes, and what a stage hands the next
experiment) is a sentence-transformers folder that sentence-transformers
and transformers load unchanged.

The plugin is this one file, so that the sha256 the host pins (and cell
ids record) covers all of its behaviour. It needs torch, transformers and
sentence-transformers: it runs under $XLBENCH_HF_PYTHON when that is set,
else under /usr/bin/python3 when that interpreter has them, else under the
project's .venv (`make hf-env` makes it).
"""

from __future__ import annotations

import os
import sys

_LIBRARIES = ("torch", "transformers", "sentence_transformers")
_REEXEC_MARK = "XLBENCH_HF_REEXEC"


def _interpreter_with_libraries() -> str | None:
    """The interpreter to run under, when it is not this one: the user's
    choice ($XLBENCH_HF_PYTHON), else the project's .venv when this
    interpreter lacks a library."""
    # Paths compare as written, not resolved: a virtual environment's
    # python is a link to the interpreter it was made from.
    want = os.environ.get("XLBENCH_HF_PYTHON", "")
    if want:
        return None if os.path.abspath(want) == os.path.abspath(sys.executable) else want
    try:
        for name in _LIBRARIES:
            __import__(name)
        return None
    except ImportError:
        pass
    here = os.path.dirname(os.path.realpath(__file__))
    venv = os.path.normpath(os.path.join(here, "..", "..", ".venv", "bin", "python"))
    if os.path.exists(venv) and venv != os.path.abspath(sys.executable):
        return venv
    sys.stderr.write(f"hf-encoder: {sys.executable} cannot import {', '.join(_LIBRARIES)}, and there is no "
                     f"{os.path.normpath(venv)}: run `make hf-env` in the xlbench repository (a virtual "
                     "environment with the pinned libraries), or set XLBENCH_HF_PYTHON to an interpreter "
                     "that has them\n")
    sys.exit(1)


if __name__ == "__main__" and not os.environ.get(_REEXEC_MARK):
    _python = _interpreter_with_libraries()
    if _python:
        # sys.argv[0] is the file the host started (/proc/self/fd/3 under
        # xlbench: the very file it hashed, still open).
        os.environ[_REEXEC_MARK] = "1"
        os.execv(_python, [_python] + sys.argv)

# No hub, ever: a model is a folder on this machine.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import contextlib  # noqa: E402
import datetime  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

try:
    import xlbench  # noqa: F401  (installed, or on PYTHONPATH)
except ImportError:  # run from this repository: use its SDK
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "python"))

import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from sentence_transformers import SentenceTransformer, models  # noqa: E402

from xlbench import plugin  # noqa: E402
from xlbench.params import Param, check_params  # noqa: E402
from xlbench.types import PASSAGE, QUERY, Config, EncoderInfo, Info  # noqa: E402

VERSION = "0.1.0"

PARAMS = [
    Param("model", "string", "the model: a local folder in Hugging Face or sentence-transformers layout, or "
          "package:NAME[/SUBDIR] for a model an installed package ships; never a hub name", default=""),
    Param("checkpoint", "string", "start from this checkpoint (a folder this plugin saved) instead of model; the "
          "host sets it for an experiment with start_from", default=""),
    Param("pooling", "string", "auto: the model's own sentence-transformers pooling, else mean", default="auto",
          one_of=("auto", "mean", "cls", "max", "lasttoken")),
    Param("normalize", "bool", "unit-length vectors, so inner products are cosines (MultipleNegativesRankingLoss "
          "scores by cosine)", default=True),
    Param("query_prefix", "string", "prepended to every query (e5: \"query: \")", default=""),
    Param("passage_prefix", "string", "prepended to every passage (e5: \"passage: \")", default=""),
    Param("max_length", "integer", "tokens per text (0: the model's own limit)", default=128, min=0, max=8192),
    Param("loss", "string", "mnrl: query-to-passage in-batch InfoNCE (MultipleNegativesRankingLoss); symmetric: "
          "the mean of that and passage-to-query", default="mnrl", one_of=("mnrl", "symmetric")),
    Param("scale", "number", "the loss's inverse temperature (sentence-transformers' 20 is temperature 0.05)",
          default=20.0, min=0.01, max=1000),
    Param("lr", "number", "AdamW learning rate (the paper: 3e-5)", default=3e-5, min=0, max=1),
    Param("weight_decay", "number", "AdamW weight decay, not on biases and LayerNorm weights", default=0.01,
          min=0, max=1),
    Param("warmup", "number", "share of the run's steps with a linear warm-up of the learning rate", default=0.1,
          min=0, max=1),
    Param("schedule", "string", "the learning rate after warm-up: linear decay to 0 at the last step, or constant",
          default="linear", one_of=("linear", "constant")),
    Param("max_grad_norm", "number", "clip the gradient's norm to this (0: no clipping)", default=1.0, min=0),
    Param("precision", "string", "fp32; autocast to bf16 (CPU or GPU) or fp16 (GPU, with loss scaling); or fp64, "
          "the whole model in double precision (for numerical checks)", default="fp32",
          one_of=("fp32", "bf16", "fp16", "fp64")),
    Param("gradient_checkpointing", "bool", "recompute the transformer's activations in the backward pass "
          "(less memory, about a third more compute)", default=False),
    Param("cache_batch", "integer", "GradCache mini-batch size (0: no caching, the whole batch at once)",
          default=0, min=0, max=1 << 20),
    Param("processes", "integer", "training processes on this machine, the batch split across them (one GPU "
          "each with device cuda)", default=1, min=1, max=64),
    Param("encode_batch", "integer", "texts per forward pass when encoding (sorted by token count)",
          default=64, min=1, max=1 << 16),
    Param("device", "string", "where to train and encode", default="auto", one_of=("auto", "cpu", "cuda")),
]


class ModelNotFound(plugin.PluginError):
    pass


def resolve_model(ref: str) -> str:
    """The folder a model reference names: a path, or package:NAME[/SUBDIR]
    inside an installed package (the first folder with a config.json when
    SUBDIR is not given)."""
    if not ref:
        raise ModelNotFound("no model: set model to a local folder in Hugging Face or sentence-transformers "
                            "layout (e.g. one downloaded once with `huggingface-cli download "
                            "sentence-transformers/LaBSE --local-dir /models/labse`), or to package:NAME for a "
                            "model an installed package ships")
    if ref.startswith("package:"):
        name, _, sub = ref[len("package:"):].partition("/")
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is None or not spec.submodule_search_locations:
            raise ModelNotFound(f"model {ref!r}: {sys.executable} has no installed package {name!r}")
        root = list(spec.submodule_search_locations)[0]
        if sub:
            path = os.path.join(root, sub)
        else:
            found = sorted(d for d, _, files in os.walk(root) if "config.json" in files)
            if not found:
                raise ModelNotFound(f"model {ref!r}: package {name!r} ({root}) holds no folder with a config.json")
            path = found[0]
    else:
        path = os.path.expanduser(ref)
    if not os.path.isdir(path):
        raise ModelNotFound(f"model {ref!r}: no folder {path} on this machine. xlbench never downloads weights at "
                            "run time: download the model once where there is a network (e.g. `huggingface-cli "
                            f"download NAME --local-dir DIR`) and set model to DIR")
    if not (os.path.isfile(os.path.join(path, "config.json")) or os.path.isfile(os.path.join(path, "modules.json"))):
        raise ModelNotFound(f"model {ref!r}: {path} has neither config.json nor modules.json, so it is not a "
                            "Hugging Face or sentence-transformers model folder")
    return path


def load_model(path: str, pooling: str, max_length: int, device: torch.device) -> SentenceTransformer:
    """A sentence-transformers model from a local folder: its own modules
    when it is in sentence-transformers layout, else the transformer with a
    pooling layer; pooling other than auto replaces the model's own."""
    if os.path.isfile(os.path.join(path, "modules.json")):
        st = SentenceTransformer(path, device=str(device), local_files_only=True)
    else:
        transformer = models.Transformer(path, max_seq_length=max_length or None)
        pool = models.Pooling(transformer.get_word_embedding_dimension(),
                              pooling_mode="mean" if pooling == "auto" else pooling)
        st = SentenceTransformer(modules=[transformer, pool], device=str(device))
    if pooling != "auto":
        for name, module in list(st._modules.items()):
            if isinstance(module, models.Pooling):
                st._modules[name] = models.Pooling(module.get_sentence_embedding_dimension(), pooling_mode=pooling)
    if max_length:
        st.max_seq_length = max_length
    return st.to(device)


def transformer_of(st: SentenceTransformer) -> models.Transformer:
    for module in st.modules():
        if isinstance(module, models.Transformer):
            return module
    raise plugin.PluginError("the model has no transformer module")


def in_batch_loss(q: torch.Tensor, p: torch.Tensor, scale: float, symmetric: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """The in-batch InfoNCE loss of queries q against passages p (row i of
    each is pair i) and each pair's own term: query i's cross-entropy over
    every passage, with passage i its positive (MultipleNegativesRankingLoss
    on normalised vectors), and with symmetric the mean of that and passage
    i's over every query."""
    scores = scale * (q @ p.T)
    target = torch.arange(len(q), device=scores.device)
    pair = F.cross_entropy(scores, target, reduction="none")
    if symmetric:
        pair = (pair + F.cross_entropy(scores.T, target, reduction="none")) / 2
    return pair.mean(), pair


class RandomState:
    """The random state when a mini-batch was first encoded, to encode it
    again with the same dropout masks (GradCache's second pass)."""

    def __init__(self, device: torch.device):
        self.device = device
        self.cpu = torch.get_rng_state()
        self.cuda = torch.cuda.get_rng_state(device) if device.type == "cuda" else None

    @contextlib.contextmanager
    def restored(self):
        with torch.random.fork_rng(devices=[self.device] if self.cuda is not None else []):
            torch.set_rng_state(self.cpu)
            if self.cuda is not None:
                torch.cuda.set_rng_state(self.cuda, self.device)
            yield


def shard(n: int, world: int, rank: int) -> tuple[int, int]:
    """The rows [lo, hi) of a batch of n that process rank of world holds:
    contiguous, sizes differing by at most one."""
    base, extra = divmod(n, world)
    lo = rank * base + min(rank, extra)
    return lo, lo + base + (1 if rank < extra else 0)


class HFEncoder(plugin.Encoder):
    info = Info(name="hf-encoder", version=VERSION, trainable=True, params=PARAMS,
                description="a local Hugging Face or sentence-transformers model fine-tuned with in-batch "
                            "InfoNCE (MultipleNegativesRankingLoss), GradCache and multi-process training")

    def __init__(self, rank: int = 0, world: int = 1):
        self.rank, self.world = rank, world
        self.workers: list[subprocess.Popen] = []
        self.text: dict = {}

    # --- configuration ------------------------------------------------------

    def configure(self, config: Config) -> EncoderInfo:
        p = config.params
        self.close_workers()
        self.params, self.seed, self.train_steps = p, config.seed, int(config.train_steps)
        self.device = self._device(p["device"])
        path = resolve_model(p["checkpoint"] or p["model"])
        torch.manual_seed(config.seed)
        self.st = load_model(path, p["pooling"], int(p["max_length"]), self.device)
        self.transformer = transformer_of(self.st)
        if p["gradient_checkpointing"]:
            self.transformer.auto_model.gradient_checkpointing_enable()
        self.prefix = {QUERY: p["query_prefix"], PASSAGE: p["passage_prefix"]}
        self.scale, self.symmetric = float(p["scale"]), p["loss"] == "symmetric"
        self.cache_batch = int(p["cache_batch"])
        self.amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(p["precision"])
        if p["precision"] == "fp64":
            self.st.double()
        if self.amp_dtype is torch.float16 and self.device.type != "cuda":
            raise plugin.PluginError("precision = \"fp16\" needs a GPU (device = \"cuda\"); on the CPU use bf16")
        if self.amp_dtype is torch.bfloat16 and self.device.type == "cuda" and not torch.cuda.is_bf16_supported():
            raise plugin.PluginError("precision = \"bf16\": this GPU has no bfloat16; use fp16")
        self.scaler = torch.cuda.amp.GradScaler() if self.amp_dtype is torch.float16 else None
        self.optimizer = self._optimizer(p)
        self.schedule = torch.optim.lr_scheduler.LambdaLR(self.optimizer, self._lr_factor)
        self.steps_done = 0
        self.dim = self.st.get_sentence_embedding_dimension()
        if not self.dim:  # a model whose last module does not say: measure it
            with torch.no_grad():
                self.dim = int(self.embed(["x"], QUERY).shape[1])
        want = int(p["processes"])
        if self.rank == 0 and want > 1:
            self._start_workers(config, want)
        return EncoderInfo(dim=self.dim)

    def _device(self, choice: str) -> torch.device:
        if choice == "cuda" and not torch.cuda.is_available():
            raise plugin.PluginError("device = \"cuda\" but torch sees no CUDA device")
        if choice == "cuda" or (choice == "auto" and torch.cuda.is_available()):
            return torch.device("cuda", self.rank % max(1, torch.cuda.device_count()))
        return torch.device("cpu")

    def _optimizer(self, p) -> torch.optim.Optimizer:
        # No weight decay on biases and LayerNorm weights, as
        # sentence-transformers and the Hugging Face Trainer do.
        decay, plain = [], []
        for name, w in self.st.named_parameters():
            if not w.requires_grad:
                continue
            (plain if name.endswith("bias") or "LayerNorm" in name or "layer_norm" in name else decay).append(w)
        groups = [{"params": decay, "weight_decay": float(p["weight_decay"])}, {"params": plain, "weight_decay": 0.0}]
        return torch.optim.AdamW(groups, lr=float(p["lr"]))

    def _lr_factor(self, step: int) -> float:
        """The learning rate's factor at step (0-based): linear warm-up over
        warmup × steps, then linear decay to 0 at the last step (or constant).
        Without a known length (train_steps 0) it stays at 1."""
        total = self.train_steps
        if total <= 0:
            return 1.0
        warm = int(math.ceil(self.params["warmup"] * total))
        if step < warm:
            return (step + 1) / (warm + 1)
        if self.params["schedule"] == "constant":
            return 1.0
        return max(0.0, (total - step) / max(1, total - warm))

    # --- encoding -----------------------------------------------------------

    def _autocast(self):
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.amp_dtype)

    def embed(self, texts: list[str], role: str) -> torch.Tensor:
        """The vectors of texts on side role, with the graph when grad is on."""
        features = self.st.tokenize([self.prefix[role] + t for t in texts])
        features = {k: v.to(self.device) if hasattr(v, "to") else v for k, v in features.items()}
        with self._autocast():
            out = self.st(features)["sentence_embedding"]
        if self.amp_dtype is not None:
            out = out.float()
        return F.normalize(out, dim=-1) if self.params["normalize"] else out

    def tokenized(self, texts: list[str], role: str) -> dict:
        """Every text's token ids, unpadded, exactly as the model's
        tokenize would give them (prefixed, stripped, lower-cased when the
        model says so, truncated)."""
        t = self.transformer
        texts = [(self.prefix[role] + x).strip() for x in texts]
        if t.do_lower_case:
            texts = [x.lower() for x in texts]
        return t.tokenizer(texts, truncation="longest_first", max_length=t.max_seq_length)

    @torch.no_grad()
    def encode(self, role, lang, texts):
        """Vectors in batches of texts of similar token counts, so that
        padding does not dominate, returned in the order given. Texts are
        tokenized once, and each batch padded to its longest."""
        if not texts:
            return torch.zeros(0, self.dim)
        self.st.eval()
        enc = self.tokenized(texts, role)
        keys = list(enc.keys())
        # Padding what was tokenized once is the point here; transformers
        # would advise tokenizing each batch again.
        getattr(self.transformer.tokenizer, "deprecation_warnings", {})["Asking-to-pad-a-fast-tokenizer"] = True
        order = sorted(range(len(texts)), key=lambda i: -len(enc["input_ids"][i]))
        size = int(self.params["encode_batch"])
        out = torch.empty(len(texts), self.dim)
        for i in range(0, len(order), size):
            idx = order[i:i + size]
            batch = self.transformer.tokenizer.pad({k: [enc[k][j] for j in idx] for k in keys}, return_tensors="pt")
            features = {k: v.to(self.device) for k, v in batch.items()}
            with self._autocast():
                v = self.st(features)["sentence_embedding"].float()
            out[idx] = (F.normalize(v, dim=-1) if self.params["normalize"] else v).cpu()
        return out

    # --- training -----------------------------------------------------------

    def load_corpus(self, groups):
        # text[(group, lang, role)]: what a batch's pair names.
        self.text = {(g.id, t.lang, t.role): t.text for g in groups for t in g.texts}
        if self.workers:
            self._broadcast(("corpus", self.text))

    def train_step(self, batch):
        if self.workers:
            self._broadcast(("step", [tuple(p) for p in batch]))
        return self.step([tuple(p) for p in batch])

    def batch_gradients(self, batch) -> tuple[float, list[float]]:
        """The whole batch's loss, each pair's term, and its gradient in
        .grad, summed over every process, without a step (what a step
        applies; for tests and tools)."""
        batch = [tuple(p) for p in batch]
        if self.workers:
            self._broadcast(("gradients", batch))
        self.st.train()
        self.optimizer.zero_grad(set_to_none=True)
        out = self.gradients(batch)
        self._sum_gradients()
        return out

    def step(self, batch: list[tuple[int, str, str]]) -> tuple[float, list[float]]:
        """One optimiser step on batch; every process takes it together."""
        self.st.train()
        self.optimizer.zero_grad(set_to_none=True)
        loss, pair = self.gradients(batch)
        self._sum_gradients()
        if self.scaler is not None:
            self.scaler.unscale_(self.optimizer)
        if self.params["max_grad_norm"] > 0:
            torch.nn.utils.clip_grad_norm_(self.st.parameters(), self.params["max_grad_norm"])
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        self.schedule.step()
        self.steps_done += 1
        return loss, pair

    def gradients(self, batch: list[tuple[int, str, str]]) -> tuple[float, list[float]]:
        """Accumulate into .grad this process's share of the gradient of the
        whole batch's loss, and return that loss and each pair's term.

        Every process encodes its rows of the batch (shard), gathers every
        process's vectors, and computes the loss of the whole batch; the
        rows of the others are constants to it, so backward gives the
        gradient through its own rows only, and the processes' gradients sum
        to the whole batch's (_sum_gradients)."""
        try:
            queries = [self.text[(g, q, QUERY)] for g, q, _ in batch]
            passages = [self.text[(g, d, PASSAGE)] for g, _, d in batch]
        except KeyError as e:
            raise plugin.PluginError(f"batch names {e.args[0]}, which the corpus does not have") from None
        lo, hi = shard(len(batch), self.world, self.rank)
        if hi <= lo:
            raise plugin.PluginError(f"a batch of {len(batch)} pairs cannot be split across {self.world} processes")
        if self.cache_batch:
            return self._cached_gradients(queries, passages, lo, hi)
        q, p = self.embed(queries[lo:hi], QUERY), self.embed(passages[lo:hi], PASSAGE)
        q_all, p_all = self._gather(q, len(batch)), self._gather(p, len(batch))
        loss, pair = in_batch_loss(q_all, p_all, self.scale, self.symmetric)
        self._backward(loss)
        return loss.item(), pair.detach().cpu().tolist()

    def _cached_gradients(self, queries, passages, lo, hi):
        size = self.cache_batch
        reps, states = {}, {}
        with torch.no_grad():
            for role, texts in ((QUERY, queries[lo:hi]), (PASSAGE, passages[lo:hi])):
                chunks, states[role] = [], []
                for i in range(0, len(texts), size):
                    states[role].append(RandomState(self.device))
                    chunks.append(self.embed(texts[i:i + size], role))
                reps[role] = torch.cat(chunks)
        q_all = self._gather(reps[QUERY], len(queries)).detach().requires_grad_()
        p_all = self._gather(reps[PASSAGE], len(passages)).detach().requires_grad_()
        loss, pair = in_batch_loss(q_all, p_all, self.scale, self.symmetric)
        loss.backward()
        grads = {QUERY: q_all.grad[lo:hi], PASSAGE: p_all.grad[lo:hi]}
        if self.scaler is not None:
            grads = {k: g * self.scaler.get_scale() for k, g in grads.items()}
        for role, texts in ((QUERY, queries[lo:hi]), (PASSAGE, passages[lo:hi])):
            for k, i in enumerate(range(0, len(texts), size)):
                with states[role][k].restored():
                    out = self.embed(texts[i:i + size], role)
                out.backward(grads[role][i:i + size])
        return loss.item(), pair.detach().cpu().tolist()

    def _backward(self, loss: torch.Tensor):
        if self.scaler is not None:
            loss = self.scaler.scale(loss)
        loss.backward()

    def _gather(self, local: torch.Tensor, n: int) -> torch.Tensor:
        """Every process's rows of an n-row batch, this process's own rows
        being local itself (with its graph)."""
        if self.world == 1:
            return local
        rows = max(hi - lo for lo, hi in (shard(n, self.world, r) for r in range(self.world)))
        padded = torch.zeros(rows, local.shape[1], dtype=local.dtype, device=local.device)
        padded[:len(local)] = local.detach()
        parts = [torch.empty_like(padded) for _ in range(self.world)]
        dist.all_gather(parts, padded)
        out = []
        for r in range(self.world):
            lo, hi = shard(n, self.world, r)
            out.append(local if r == self.rank else parts[r][:hi - lo])
        return torch.cat(out)

    def _sum_gradients(self):
        if self.world == 1:
            return
        grads = [w.grad for w in self.st.parameters() if w.grad is not None]
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat)
        offset = 0
        for g in grads:
            g.copy_(flat[offset:offset + g.numel()].view_as(g))
            offset += g.numel()

    # --- checkpoints --------------------------------------------------------

    def save(self, path):
        """A sentence-transformers folder (the Hugging Face model and
        tokenizer at its top, the pooling beside), with the prefixes as the
        model's query and passage prompts."""
        if os.path.exists(path) and not os.path.isdir(path):
            raise plugin.PluginError(f"cannot save to {path}: a file is there, and a checkpoint is a folder")
        prompts = {k: v for k, v in (("query", self.prefix[QUERY]), ("passage", self.prefix[PASSAGE])) if v}
        if prompts:
            self.st.prompts = prompts
        self.st.save(path, create_model_card=False)
        with open(os.path.join(path, "xlbench_hf_encoder.json"), "w") as f:
            json.dump({"plugin": "hf-encoder", "version": VERSION, "steps": self.steps_done, "train_steps": self.train_steps,
                       "params": {k: v for k, v in self.params.items() if k != "checkpoint"}}, f, indent=1, sort_keys=True)

    # --- processes ----------------------------------------------------------

    def _start_workers(self, config: Config, world: int):
        """Start world - 1 training processes beside this one, which join
        it in a process group and follow its commands."""
        if self.device.type == "cuda" and torch.cuda.device_count() < world:
            raise plugin.PluginError(f"processes = {world} with device cuda needs {world} GPUs; "
                                     f"torch sees {torch.cuda.device_count()}")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        script = os.path.realpath(__file__)
        setup = json.dumps({"params": config.params, "seed": config.seed, "train_steps": config.train_steps,
                            "world": world, "port": port})
        env = dict(os.environ, **{_REEXEC_MARK: "1", "XLBENCH_HF_PARENT": str(os.getpid())})
        for rank in range(1, world):
            # Workers write nothing on this process's stdout, which is the
            # plugin handshake's.
            self.workers.append(subprocess.Popen([sys.executable, script, "--worker", str(rank), setup], env=env,
                                                 stdin=subprocess.DEVNULL, stdout=sys.stderr.fileno()))
        _join_group(0, world, port, self.device)
        self.world = world
        # Every process starts from the same weights.
        for w in self.st.state_dict().values():
            dist.broadcast(w, 0)

    def _broadcast(self, command):
        box = [command]
        dist.broadcast_object_list(box, 0)
        return box[0]

    def close_workers(self):
        if self.workers:
            try:
                self._broadcast(("stop",))
            except Exception:  # noqa: BLE001  a worker already gone: kill the rest
                pass
            for w in self.workers:
                try:
                    w.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    w.kill()
            self.workers = []
        if dist.is_initialized():
            dist.destroy_process_group()
        self.world = 1


def _die_with_parent():
    """A worker dies with the plugin process that started it: a watcher
    thread ends it once its parent is gone (it is then re-parented), however
    the parent ended. (Not PR_SET_PDEATHSIG: that fires when the parent's
    starting thread ends, and a gRPC handler thread started the workers.)
    Collectives release the GIL while they wait, so the watcher runs."""
    parent = int(os.environ.get("XLBENCH_HF_PARENT", "0"))

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)
    if parent:
        threading.Thread(target=watch, daemon=True).start()


def _join_group(rank: int, world: int, port: int, device: torch.device):
    backend = "nccl" if device.type == "cuda" else "gloo"
    # Long timeout: the other processes wait in a collective while the
    # first one encodes evaluation sets between training runs.
    dist.init_process_group(backend, init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world,
                            timeout=datetime.timedelta(hours=12))


def run_worker(rank: int, setup: dict):
    """A training process of rank > 0: configure as the first process did,
    join its group, then take its commands until it says stop."""
    _die_with_parent()
    enc = HFEncoder(rank=rank, world=setup["world"])
    params = check_params(PARAMS, setup["params"])
    enc.configure(Config(params, setup["seed"], setup["train_steps"]))
    _join_group(rank, setup["world"], setup["port"], enc.device)
    enc.world = setup["world"]
    for w in enc.st.state_dict().values():
        dist.broadcast(w, 0)
    while True:
        command = enc._broadcast(None)
        if command[0] == "stop":
            break
        if command[0] == "corpus":
            enc.text = command[1]
        elif command[0] == "step":
            enc.step(command[1])
        elif command[0] == "gradients":
            enc.batch_gradients(command[1])
    dist.destroy_process_group()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        run_worker(int(sys.argv[2]), json.loads(sys.argv[3]))
    else:
        plugin.serve(HFEncoder())
