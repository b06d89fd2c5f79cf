#!/usr/bin/python3
"""pytorch-encoder: a dual encoder in PyTorch, as an xlbench encoder plugin.

This is the file to copy to put a pretrained model (LaBSE, XLM-R, any
sentence-transformers or Hugging Face encoder) through xlbench's samplers.
The host sends the training corpus once (load_corpus), then one batch per
train_step: the pairs the sampler chose. A step encodes the batch's queries
and passages, scores every query against every passage, and minimises the
symmetric in-batch InfoNCE loss: each query's own passage is its positive,
the batch's other passages its negatives (which is why the sampler's batch
composition is the experiment).

Parameters:
  model   ""  (default) a small model trained from scratch that runs
          anywhere: hashed word and character 3/4-gram bags, mean-pooled,
          projected and normalised (the built-in builtin:gorgonia model);
          or a sentence-transformers model name or path (needs the
          sentence-transformers library), or a Hugging Face model name or
          path (needs transformers; mean pooling).
  device  "auto" (cuda when available), "cpu" or "cuda".
  lr, temperature, dim, buckets, hidden, max_length, checkpoint: see Info
          below.

The script runs under /usr/bin/python3 (Debian's python3-torch,
python3-grpcio, python3-protobuf). To run it with your own environment, say
a virtualenv with sentence-transformers, change the first line to that
environment's interpreter (#!/path/to/venv/bin/python), or name a
two-line wrapper script as the plugin: exec /path/to/venv/bin/python this.py.
"""

import functools
import os
import re
import sys
import zlib

try:
    import xlbench  # noqa: F401  (installed, or on PYTHONPATH)
except ImportError:  # run from this repository: use its SDK
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..", "python"))

import torch
import torch.nn.functional as F

from xlbench import plugin
from xlbench.params import Param
from xlbench.types import PASSAGE, QUERY, EncoderInfo, Info


@functools.lru_cache(maxsize=1 << 18)
def features(text: str, role: str, buckets: int) -> tuple[int, ...]:
    """The role and every word and character 3- and 4-gram of text, hashed."""
    ids = [zlib.crc32(b"role:" + role.encode()) % buckets]
    for w in re.findall(r"\w+", text.lower()):
        ids.append(zlib.crc32(b"w:" + w.encode()) % buckets)
        padded = f"<{w}>"
        for n in (3, 4):
            ids += [zlib.crc32(padded[i:i + n].encode()) % buckets for i in range(len(padded) - n + 1)]
    return tuple(ids)


class HashedBag(torch.nn.Module):
    """Mean of hashed word and character n-gram rows, projected, normalised;
    with hidden > 0 a residual feed-forward block h + relu(h W1) W2 comes
    before the projection (builtin:gorgonia's hidden parameter)."""

    def __init__(self, buckets: int, dim: int, hidden: int = 0):
        super().__init__()
        self.buckets = buckets
        self.bag = torch.nn.EmbeddingBag(buckets, dim, mode="mean", sparse=True)
        torch.nn.init.normal_(self.bag.weight, std=0.1)
        self.proj = torch.nn.Linear(dim, dim, bias=False)
        self.ff = None  # made after the rest: models without one initialise as before
        if hidden:
            self.ff = torch.nn.Sequential(torch.nn.Linear(dim, hidden, bias=False), torch.nn.ReLU(), torch.nn.Linear(hidden, dim, bias=False))
            torch.nn.init.zeros_(self.ff[2].weight)  # the block starts as the identity

    def forward(self, texts: list[str], role: str) -> torch.Tensor:
        feats = [features(t, role, self.buckets) for t in texts]
        offsets = torch.tensor([0] + [len(f) for f in feats[:-1]]).cumsum(0)
        ids = torch.tensor([i for f in feats for i in f])
        dev = self.bag.weight.device
        h = self.bag(ids.to(dev), offsets.to(dev))
        if self.ff is not None:
            h = h + self.ff(h)
        return F.normalize(self.proj(h), dim=-1)


class Pretrained(torch.nn.Module):
    """A sentence-transformers model, or a Hugging Face encoder with mean pooling."""

    def __init__(self, name: str, max_length: int):
        super().__init__()
        try:
            from sentence_transformers import SentenceTransformer
            self.st, self.max_length = SentenceTransformer(name, device="cpu"), max_length
            self.st.max_seq_length = max_length
            return
        except ImportError:
            pass
        try:
            from transformers import AutoModel, AutoTokenizer
        except ImportError:
            raise plugin.PluginError(f"model {name!r} needs the sentence-transformers or transformers library, which "
                                     f"{sys.executable} cannot import: install one there, or run this plugin with "
                                     "an interpreter that has it (see the top of encoder.py)") from None
        self.st, self.tok, self.hf, self.max_length = None, AutoTokenizer.from_pretrained(name), AutoModel.from_pretrained(name), max_length

    def forward(self, texts: list[str], role: str) -> torch.Tensor:
        dev = next(self.parameters()).device
        if self.st is not None:
            feats = {k: v.to(dev) for k, v in self.st.tokenize(texts).items()}
            return F.normalize(self.st(feats)["sentence_embedding"], dim=-1)
        enc = self.tok(texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt").to(dev)
        hidden = self.hf(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        return F.normalize((hidden * mask).sum(1) / mask.sum(1).clamp(min=1), dim=-1)


class TorchEncoder(plugin.Encoder):
    info = Info(
        name="pytorch-encoder",
        version="0.1.0",
        description="PyTorch dual encoder trained with symmetric in-batch InfoNCE; from scratch or a pretrained model",
        trainable=True,
        params=[
            Param("model", "string", "empty: small hashed n-gram model from scratch; else a sentence-transformers or Hugging Face model", default=""),
            Param("device", "string", "where to train and encode", default="auto", one_of=("auto", "cpu", "cuda")),
            Param("lr", "number", "learning rate (SparseAdam on the hashed table, AdamW on the rest)", default=0.003, min=0),
            Param("temperature", "number", "softmax temperature of the InfoNCE loss", default=0.05, min=0.01, max=10),
            Param("dim", "integer", "vector dimension of the from-scratch model", default=128, min=2, max=4096),
            Param("buckets", "integer", "rows of the from-scratch model's hashed table", default=262144, min=16, max=1 << 24),
            Param("hidden", "integer", "width of the from-scratch model's residual feed-forward block (0: none)", default=0, min=0, max=16384),
            Param("max_length", "integer", "tokens per text for a pretrained model", default=128, min=8, max=8192),
            Param("checkpoint", "string", "load this checkpoint (saved by this plugin) before training or encoding", default=""),
        ],
    )

    def configure(self, config):
        p = config.params
        torch.manual_seed(config.seed)
        if p["device"] == "cuda" and not torch.cuda.is_available():
            raise plugin.PluginError("device = \"cuda\" but torch sees no CUDA device")
        self.device = torch.device("cuda" if p["device"] == "cuda" or (p["device"] == "auto" and torch.cuda.is_available()) else "cpu")
        self.model = (Pretrained(p["model"], int(p["max_length"])) if p["model"] else HashedBag(int(p["buckets"]), int(p["dim"]), int(p["hidden"]))).to(self.device)
        if p["checkpoint"]:
            self.model.load_state_dict(torch.load(p["checkpoint"], map_location=self.device))
        sparse = [w for m in self.model.modules() if isinstance(m, torch.nn.EmbeddingBag) for w in m.parameters()]
        dense = [w for w in self.model.parameters() if all(w is not s for s in sparse)]
        self.optimizers = ([torch.optim.SparseAdam(sparse, lr=p["lr"])] if sparse else []) + [torch.optim.AdamW(dense, lr=p["lr"])]
        self.temperature = p["temperature"]
        with torch.no_grad():
            self.dim = self.model(["x"], QUERY).shape[1]
        return EncoderInfo(dim=self.dim)

    def load_corpus(self, groups):
        # text[(group, lang, role)]: what a batch's pair names.
        self.text = {(g.id, t.lang, t.role): t.text for g in groups for t in g.texts}

    def train_step(self, batch):
        self.model.train()
        q = self.model([self.text[(p.group, p.query_lang, QUERY)] for p in batch], QUERY)
        d = self.model([self.text[(p.group, p.passage_lang, PASSAGE)] for p in batch], PASSAGE)
        scores = q @ d.T / self.temperature
        target = torch.arange(len(batch), device=scores.device)
        # Each pair's loss (its query-to-passage and passage-to-query terms);
        # their mean is the batch loss. Returning them lets the host tell an
        # observing sampler the loss per language pair.
        pair_loss = (F.cross_entropy(scores, target, reduction="none") + F.cross_entropy(scores.T, target, reduction="none")) / 2
        loss = pair_loss.mean()
        for o in self.optimizers:
            o.zero_grad()
        loss.backward()
        for o in self.optimizers:
            o.step()
        return loss.item(), pair_loss.detach().cpu().tolist()

    @torch.no_grad()
    def encode(self, role, lang, texts):
        self.model.eval()
        return torch.cat([self.model(texts[i:i + 256], role) for i in range(0, len(texts), 256)]) if texts else torch.zeros(0, self.dim)

    def save(self, path):
        torch.save(self.model.state_dict(), path)


if __name__ == "__main__":
    plugin.serve(TorchEncoder())
