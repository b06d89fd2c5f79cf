"""Helpers for samplers: which groups offer which languages, and shuffled
passes over a set (the Go SDK's CorpusIndex and Cycle)."""

from __future__ import annotations

import random
from typing import Sequence

from .types import Corpus, Group


def cross_pairs(g: Group) -> list[tuple[str, str]]:
    """The (query, passage) language pairs of g whose languages differ, in a
    fixed order. Every kind of group offers them."""
    return [(q, p) for q in g.query_langs for p in g.passage_langs if q != p]


class CorpusIndex:
    """mono[lang]: indices (into groups) of the groups that offer lang on
    both sides (QA groups only: a translation group offers no same-language
    pair); mono_langs: their languages, sorted; cross: indices of the groups
    that offer at least one cross-lingual pair."""

    def __init__(self, corpus: Corpus):
        self.groups: Sequence[Group] = corpus.groups
        self.mono: dict[str, list[int]] = {}
        self.cross: list[int] = []
        for i, g in enumerate(corpus.groups):
            for q in g.query_langs:
                if g.allows(q, q):
                    self.mono.setdefault(q, []).append(i)
            if cross_pairs(g):
                self.cross.append(i)
        self.mono_langs = sorted(self.mono)


class Cycle:
    """Deals out items in shuffled passes: each item once per pass. A batch
    taken from it has distinct items whenever it is no larger than the set,
    which keeps a group from being its own in-batch negative."""

    def __init__(self, items: Sequence[int], rng: random.Random):
        self.items, self.rng = list(items), rng
        self._shuffle()

    def _shuffle(self) -> None:
        self.rng.shuffle(self.items)
        self.pos = 0

    def take(self, n: int) -> list[int]:
        out: list[int] = []
        seen: set[int] = set()
        while len(out) < n:
            if self.pos == len(self.items):
                self._shuffle()
            it = self.items[self.pos]
            self.pos += 1
            if it in seen and len(seen) < len(self.items):
                continue
            seen.add(it)
            out.append(it)
        return out

    def __len__(self) -> int:
        return len(self.items)
