"""The baseline of the hf-encoder's speed: the same model trained in
process by sentence-transformers (MultipleNegativesRankingLoss, AdamW with
the plugin's schedule, gradient clipping) on the same batches, and
sentence-transformers' encode on the same texts, without xlbench
(harness/pluginhost BenchmarkHFEncoderPlugin writes the file and runs
this). Prints {"pairs_per_s": ..., "texts_per_s": ...}.

    bench_inprocess.py FILE   FILE: {"model": DIR, "params": {...}, "seed": N, "train_steps": N,
                               "corpus": [[id, [[lang, role, text], ...]], ...],
                               "batches": [[[group, qlang, plang], ...], ...], "texts": [...]}
"""

import json
import math
import sys
import time

import torch
from sentence_transformers import SentenceTransformer, losses, models


def main(path):
    with open(path) as f:
        spec = json.load(f)
    p = spec["params"]
    text = {(g, lang, role): t for g, texts in spec["corpus"] for lang, role, t in texts}
    batches = spec["batches"]
    best = None
    for _ in range(2):  # as through the plugin: the second run in the process is timed
        torch.manual_seed(spec["seed"])
        tr = models.Transformer(spec["model"], max_seq_length=int(p["max_length"]))
        st = SentenceTransformer(modules=[tr, models.Pooling(tr.get_word_embedding_dimension(), pooling_mode="mean")], device="cpu")
        loss_fn = losses.MultipleNegativesRankingLoss(st, scale=20.0)
        decay = [w for n, w in st.named_parameters() if not (n.endswith("bias") or "LayerNorm" in n)]
        plain = [w for n, w in st.named_parameters() if n.endswith("bias") or "LayerNorm" in n]
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": plain, "weight_decay": 0.0}], lr=3e-5)
        total, warm = spec["train_steps"], math.ceil(0.1 * spec["train_steps"])
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: (s + 1) / (warm + 1) if s < warm else max(0.0, (total - s) / max(1, total - warm)))

        def step(b):
            st.train()
            q = st.tokenize([text[(g, ql, "query")] for g, ql, _ in b])
            d = st.tokenize([text[(g, pl, "passage")] for g, _, pl in b])
            loss = loss_fn([q, d], None)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(st.parameters(), 1.0)
            opt.step()
            sched.step()
            return loss.item()

        step(batches[0])  # first-step set-up outside the timing
        start = time.perf_counter()
        for b in batches[1:]:
            step(b)
        took = time.perf_counter() - start
        best = took if best is None else min(best, took)
    texts = spec["texts"]
    st.encode(texts[:64], batch_size=64)
    start = time.perf_counter()
    st.encode(texts, batch_size=int(p["encode_batch"]), normalize_embeddings=True)
    enc = time.perf_counter() - start
    print(json.dumps({"pairs_per_s": sum(len(b) for b in batches[1:]) / best, "texts_per_s": len(texts) / enc}))


if __name__ == "__main__":
    main(sys.argv[1])
