"""The plugin contract's types, as Python sees them (the Go API's twins)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple, Optional, Sequence

from .params import Param
from .v1 import common_pb2 as _common_pb2

#: Group kinds. A QA group is a question and the passage that answers it, each
#: in some languages: any (query language, passage language) pair is a
#: positive. A translation group is one sentence in several languages, offered
#: on both sides; only pairs of two different languages are positives (a
#: same-language pair would match a sentence with itself) and the host
#: refuses the others.
QA = "qa"
TRANSLATION = "translation"

#: Roles: which side of a dual encoder a text is on.
QUERY = "query"
PASSAGE = "passage"

#: The feedback cadence of the sampler contract (plugins.FeedbackEvery in
#: Go): the host asks for this many batches at a time and tells an
#: observing sampler of their steps before asking for more. Declared in the
#: protocol's .proto (enum Protocol), as Go's is.
FEEDBACK_EVERY = int(_common_pb2.PROTOCOL_FEEDBACK_EVERY)


@dataclass(frozen=True)
class Info:
    """What Describe answers: the plugin's identity and its parameters."""

    name: str
    version: str
    description: str = ""
    params: Sequence[Param] = field(default_factory=tuple)
    #: An encoder that trains: the host plans one cell per sampler and seed
    #: for it, and sends it the corpus and batches.
    trainable: bool = False


@dataclass(frozen=True)
class Group:
    """One parallel training unit; samplers see only its languages and kind."""

    id: int
    kind: str
    query_langs: tuple[str, ...]
    passage_langs: tuple[str, ...]

    def allows(self, query_lang: str, passage_lang: str) -> bool:
        """Whether the pair (query_lang, passage_lang) is a positive of this group."""
        if self.kind == TRANSLATION and query_lang == passage_lang:
            return False
        return query_lang in self.query_langs and passage_lang in self.passage_langs


@dataclass(frozen=True)
class Corpus:
    """What a sampler knows of the training corpus."""

    languages: tuple[str, ...]
    groups: tuple[Group, ...]


class Pair(NamedTuple):
    """One training example: group's query side in query_lang, its passage side in passage_lang.

    group is the group's id (Group.id, CorpusGroup.id), never its position in
    corpus.groups: a sampler offered part of a corpus (a sampler's languages)
    sees the same ids at other positions."""

    group: int
    query_lang: str
    passage_lang: str


#: A batch is a list of pairs; in-batch negatives make its composition the experiment.
Batch = list


class PairLoss(NamedTuple):
    """The mean loss of one (query language, passage language) pair over a chunk."""

    query_lang: str
    passage_lang: str
    mean: float
    pairs: int


@dataclass(frozen=True)
class Feedback:
    """What an observing sampler is told after a chunk of steps: each step's
    loss (first_step is the 0-based index of the first) and the mean loss per
    language pair, sorted (empty when the encoder reports no pair losses)."""

    first_step: int
    step_loss: list[float]
    pair_loss: list[PairLoss]


@dataclass(frozen=True)
class SamplerConfig:
    """Configures a sampler. steps: how many batches the host will ask for
    (the cell's training length), so that a schedule can span the run; 0
    from a host before protocol revision 2."""

    corpus: Corpus
    batch_size: int
    params: dict[str, Any]  # checked against Info.params, defaults filled in
    seed: int
    steps: int = 0


@dataclass(frozen=True)
class Config:
    """Configures an encoder or a reader. train_steps: how many training
    steps the host will send an encoder (0 when it will not train it), so
    that a learning-rate schedule can span the run."""

    params: dict[str, Any]  # checked against Info.params, defaults filled in
    seed: int
    train_steps: int = 0


@dataclass(frozen=True)
class EncoderInfo:
    """How the host uses a configured encoder.

    dim: dense dimension (0 for a sparse encoder). sparse: the encoder returns
    sparse vectors (with dim > 0 too, each text has both parts and a score is
    the sum of the two inner products). trainable: the encoder accepts
    load_corpus and train_step; an encoder that does not train gets neither.
    collection_stats: passage vectors depend on the collection set by prepare
    (as BM25's idf does). trainable defaults to Info.trainable, and must
    agree with it.
    """

    dim: int
    sparse: bool = False
    trainable: Optional[bool] = None
    collection_stats: bool = False


class Text(NamedTuple):
    lang: str
    role: str  # QUERY or PASSAGE
    text: str


class CorpusGroup(NamedTuple):
    """The texts of one training group, every language and side it has."""

    id: int
    texts: list[Text]


@dataclass
class SparseVectors:
    """Sparse vectors in compressed-row form: vector i has terms[offsets[i]:offsets[i+1]]
    with the same slice of weights. Term ids are opaque 64-bit integers."""

    offsets: list[int]
    terms: list[int]
    weights: list[float]


@dataclass
class Vectors:
    """Encoded texts: dense (count × dim, row-major, anything with tobytes()
    in float32 or a sequence of rows), sparse, or both."""

    dense: Any = None
    sparse: Optional[SparseVectors] = None


@dataclass(frozen=True)
class ReaderInfo:
    trainable: bool = False


class ReadingExample(NamedTuple):
    """A reader's training example: the answer is the passage's substring that
    starts at answer_start, counted in code points, and reads answer."""

    lang: str  # the passage's language
    question_lang: str
    question: str
    passage: str
    answer_start: int
    answer: str


class Candidate(NamedTuple):
    text: str
    lang: str


class ReadQuery(NamedTuple):
    """A question with its retrieved candidates, best first."""

    question: str
    lang: str
    candidates: list[Candidate]


class Answer(NamedTuple):
    """The answer a reader gives: the index of the candidate it read it from,
    where it starts there (code points), the text, and its score."""

    candidate: int
    start: int
    text: str
    score: float


def pair_tuple(p: Any) -> tuple[int, str, str]:
    """(group, query_lang, passage_lang) of a Pair or any 3-sequence."""
    try:
        g, q, d = p
    except (TypeError, ValueError):
        raise TypeError(f"a batch holds pairs (group, query_lang, passage_lang), got {p!r}") from None
    return int(g), str(q), str(d)
