"""Tiny BERT and XLM-R models for the hf-encoder's tests, made from a config
with transformers (random weights, nothing downloaded) and saved in Hugging
Face layout with their tokenizers: a WordPiece vocabulary for BERT, a
SentencePiece model trained here for XLM-R.

    python tiny_models.py DIR          # writes DIR/bert, DIR/xlmr, DIR/bert-nodropout
    python tiny_models.py --bench DIR  # a small BERT for the benchmarks

The sizes are a test's: two layers of width 32. The same seed gives the
same weights, so every test process builds the same models.
"""

from __future__ import annotations

import os
import sys
import tempfile

import torch

# Text in the languages the tests train and evaluate on (and then some),
# for the vocabularies.
CORPUS = [
    "where is the cat", "the cat is in the garden", "what does the dog eat", "the dog eats meat every day",
    "who wrote the book", "the book was written by a woman in paris", "when did the war end",
    "the war ended in nineteen forty five", "wo ist die katze", "die katze ist im garten",
    "was frisst der hund", "der hund frisst jeden tag fleisch", "wer schrieb das buch",
    "das buch schrieb eine frau in paris", "dónde está el gato", "el gato está en el jardín",
    "qué come el perro", "el perro come carne todos los días", "thing is in room number",
    "question answer passage sentence query xlbench",
]


def _words() -> list[str]:
    words = sorted({w for line in CORPUS for w in line.split()})
    chars = sorted({c for line in CORPUS for c in line if c != " "})
    return list(dict.fromkeys(words + chars + ["##" + c for c in chars] + [str(d) for d in range(10)]))


def make_bert(path: str, dropout: float = 0.1, seed: int = 1, hidden: int = 32, layers: int = 2) -> str:
    from transformers import BertConfig, BertModel, BertTokenizerFast

    os.makedirs(path, exist_ok=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + _words()
    with tempfile.TemporaryDirectory() as tmp:
        vf = os.path.join(tmp, "vocab.txt")
        with open(vf, "w") as f:
            f.write("\n".join(vocab) + "\n")
        tok = BertTokenizerFast(vocab_file=vf, do_lower_case=True, model_max_length=64)
        tok.save_pretrained(path)
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=len(vocab), hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=4,
                        intermediate_size=2 * hidden, max_position_embeddings=64, hidden_dropout_prob=dropout,
                        attention_probs_dropout_prob=dropout)
    BertModel(config).save_pretrained(path)
    return path


def make_xlmr(path: str, dropout: float = 0.1, seed: int = 2) -> str:
    import sentencepiece as spm
    from transformers import XLMRobertaConfig, XLMRobertaModel, XLMRobertaTokenizer

    os.makedirs(path, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        prefix = os.path.join(tmp, "spm")
        spm.SentencePieceTrainer.train(sentence_iterator=iter(CORPUS * 4), model_prefix=prefix, vocab_size=100,
                                       model_type="unigram", character_coverage=1.0, bos_id=0, pad_id=1, eos_id=2,
                                       unk_id=3, minloglevel=2, num_threads=1, seed_sentencepiece_size=1000)
        tok = XLMRobertaTokenizer(vocab_file=prefix + ".model", model_max_length=64)
        tok.save_pretrained(path)
    torch.manual_seed(seed)
    config = XLMRobertaConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                              intermediate_size=64, max_position_embeddings=66, pad_token_id=1,
                              hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout)
    XLMRobertaModel(config).save_pretrained(path)
    return path


def make_all(root: str) -> dict[str, str]:
    """Every tiny model under root, by name."""
    return {
        "bert": make_bert(os.path.join(root, "bert")),
        "xlmr": make_xlmr(os.path.join(root, "xlmr")),
        # Without dropout a step is a function of the batch alone, so
        # cached, split and whole-batch gradients can be compared exactly.
        "bert-nodropout": make_bert(os.path.join(root, "bert-nodropout"), dropout=0.0),
    }


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--bench":
        # The benchmarks' model: a small BERT (4 layers of width 256, about
        # MiniLM's per-token cost over a short vocabulary).
        print(make_bert(sys.argv[2], hidden=256, layers=4))
    elif len(sys.argv) == 2:
        for name, path in make_all(sys.argv[1]).items():
            print(name, path)
    else:
        sys.exit("usage: tiny_models.py DIR | --bench DIR")
