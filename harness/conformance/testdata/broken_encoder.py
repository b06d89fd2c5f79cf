#!/usr/bin/python3
"""A deliberately broken encoder for the conformance tests: its vectors
depend on the process, not only on the seed. `xlbench plugin check` must
fail it on determinism, and on nothing else."""

import os
import random
import sys
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..", "..", "plugins", "python"))

from xlbench import plugin  # noqa: E402
from xlbench.params import Param  # noqa: E402
from xlbench.types import EncoderInfo, Info  # noqa: E402


class ProcessDependent(plugin.Encoder):
    info = Info(name="broken-encoder", version="0.0.1", description="vectors seeded by the process id",
                params=[Param("dim", "integer", "vector dimension", default=8, min=1, max=64)])

    def configure(self, config):
        self.dim = int(config.params["dim"])
        self.salt = os.getpid() + config.seed  # the bug: the process id
        return EncoderInfo(dim=self.dim)

    def encode(self, role, lang, texts):
        out = []
        for t in texts:
            rng = random.Random(zlib.crc32(t.encode()) + self.salt)
            out.append([rng.uniform(-1, 1) for _ in range(self.dim)])
        return out


if __name__ == "__main__":
    plugin.serve(ProcessDependent())
