"""xlbench's plugin SDK for Python.

A plugin is an executable the xlbench host starts as a separate process and
talks to over gRPC (go-plugin's protocol). This package does the handshake
and serves the three plugin kinds from plain Python classes:

    from xlbench import plugin

    class MySampler(plugin.Sampler):
        info = plugin.Info(name="my-sampler", version="0.1.0",
                           params=[plugin.Param("alpha", "number", default=0.5, min=0, max=1)])

        def start(self, config): ...        # config.corpus, .batch_size, .params, .seed, .steps
        def next(self, n): ...              # n batches, each a list of plugin.Pair

    if __name__ == "__main__":
        plugin.serve(MySampler())

See CONTRIBUTING.md for the walk-through, and `xlbench plugin check` for the
command that says whether a plugin honours the contract.
"""

from xlbench.v1 import common_pb2 as _common_pb2

# The protocol's version and its compatible additions (Go:
# plugins.ProtocolVersion, plugins.ProtocolRevision; 2 added
# SamplerConfig.steps), from the .proto's enum Protocol as Go's are.
PROTOCOL_VERSION = int(_common_pb2.PROTOCOL_VERSION)
PROTOCOL_REVISION = int(_common_pb2.PROTOCOL_REVISION)
