#!/usr/bin/python3
"""A deliberately broken reader for the conformance tests: it reports its
answer one code point later than where it read it. `xlbench plugin check`
must fail it on answers, and on nothing else."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..", "..", "plugins", "python"))

from xlbench import plugin  # noqa: E402
from xlbench.types import Answer, Info, ReaderInfo  # noqa: E402


class OffByOne(plugin.Reader):
    info = Info(name="broken-reader", version="0.0.1", description="answers the last word of the first candidate, one code point off")

    def configure(self, config):
        return ReaderInfo(trainable=False)

    def read(self, queries):
        out = []
        for q in queries:
            text = q.candidates[0].text if q.candidates else ""
            word = text.split()[-1] if text.split() else ""
            start = text.rfind(word) if word else 0
            out.append(Answer(0, start + 1 if word else 0, word, 1.0))  # the bug: start + 1
        return out


if __name__ == "__main__":
    plugin.serve(OffByOne())
