"""go-plugin's side of the connection, for a plugin written in Python.

What the host (a Go program using github.com/hashicorp/go-plugin) expects of
a gRPC plugin, and what serve() does:

1. The magic cookie: the host sets XLBENCH_PLUGIN to a fixed value; without
   it the process was run by hand, and it says so and exits 1.
2. Protocol versions: the host lists the versions it speaks in
   PLUGIN_PROTOCOL_VERSIONS; a plugin that speaks none of them exits 1
   naming both.
3. The handshake line on stdout, "CORE|APP|NETWORK|ADDRESS|PROTOCOL":
   go-plugin's core protocol 1, xlbench's protocol version, a Unix socket
   (in PLUGIN_UNIX_SOCKET_DIR when set) and "grpc".
4. The services every plugin serves besides its own: grpc.health.v1.Health
   ("plugin" is SERVING), plugin.GRPCController (Shutdown ends the
   process) and plugin.GRPCStdio (what the plugin's code prints to
   sys.stdout and sys.stderr streams to the host, which logs it under the
   plugin's name).
5. Dying with the host: when XLBENCH_HOST_PID is set and the parent process
   changes, the plugin exits at once (status 3). SIGINT is ignored (the
   host's process group receives a Ctrl-C too; the host decides when its
   plugins stop); SIGTERM ends the plugin.

Log lines for the host go to the real stderr as hclog JSON (see log), so
the host re-logs them at their level.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import queue
import shutil
import signal
import sys
import tempfile
import threading
import time
from concurrent import futures
from typing import Callable

import grpc

from . import PROTOCOL_VERSION
from .goplugin import goplugin_pb2, goplugin_pb2_grpc, health_pb2, health_pb2_grpc

MAGIC_COOKIE_KEY = "XLBENCH_PLUGIN"
MAGIC_COOKIE_VALUE = "0e5c2a7d-xlbench-plugin-protocol"
HOST_PID_ENV = "XLBENCH_HOST_PID"
#: go-plugin's own protocol version, the first field of the handshake line.
CORE_PROTOCOL_VERSION = 1
#: One gRPC message's limit in either direction, as the host's.
MAX_MESSAGE_BYTES = 1 << 30

_real_stderr = sys.stderr


def log(level: str, message: str, **fields) -> None:
    """Log a line the host re-logs under the plugin's name at level
    ("trace", "debug", "info", "warn", "error")."""
    entry = {"@level": level, "@message": message,
             "@timestamp": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")}
    entry.update(fields)
    try:
        _real_stderr.write(json.dumps(entry, default=str) + "\n")
        _real_stderr.flush()
    except (OSError, ValueError):
        pass


class _Health(health_pb2_grpc.HealthServicer):
    def __init__(self, stopping: threading.Event):
        self.stopping = stopping

    def _status(self, service: str):
        if service not in ("", "plugin"):
            return None
        return health_pb2.HealthCheckResponse.NOT_SERVING if self.stopping.is_set() else health_pb2.HealthCheckResponse.SERVING

    def Check(self, request, context):
        st = self._status(request.service)
        if st is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"unknown service {request.service!r}")
        return health_pb2.HealthCheckResponse(status=st)

    def Watch(self, request, context):
        st = self._status(request.service)
        yield health_pb2.HealthCheckResponse(status=st if st is not None else health_pb2.HealthCheckResponse.SERVICE_UNKNOWN)
        self.stopping.wait()


class _Controller(goplugin_pb2_grpc.GRPCControllerServicer):
    def __init__(self, stop: Callable[[], None]):
        self.stop = stop

    def Shutdown(self, request, context):
        self.stop()
        return goplugin_pb2.Empty()


class _StdioPipe(io.TextIOBase):
    """A text stream whose writes become StdioData messages."""

    def __init__(self, channel: int, out: "queue.Queue[goplugin_pb2.StdioData | None]"):
        self.channel, self.out = channel, out

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        if s:
            self.out.put(goplugin_pb2.StdioData(channel=self.channel, data=s.encode("utf-8", "replace")))
        return len(s)


class _Stdio(goplugin_pb2_grpc.GRPCStdioServicer):
    def __init__(self, out: "queue.Queue[goplugin_pb2.StdioData | None]"):
        self.out = out

    def StreamStdio(self, request, context):
        while True:
            item = self.out.get()
            if item is None:
                return
            yield item


def _check_environment() -> None:
    if os.environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        sys.stderr.write("This program is an xlbench plugin. It is not meant to be run by hand: name it in a\n"
                         "spec (plugin = \"path/to/it\") or check it with `xlbench plugin check PATH`.\n")
        sys.exit(1)
    offered = [v for v in os.environ.get("PLUGIN_PROTOCOL_VERSIONS", "").split(",") if v]
    if offered and str(PROTOCOL_VERSION) not in offered:
        sys.stderr.write(f"this plugin speaks xlbench plugin protocol {PROTOCOL_VERSION}; "
                         f"the host speaks {', '.join(offered)}\n")
        sys.exit(1)


def _watch_host() -> None:
    try:
        want = int(os.environ.get(HOST_PID_ENV, ""))
    except ValueError:
        return
    if want <= 0:
        return
    if os.getppid() != want:
        os._exit(3)

    def watch():
        while True:
            time.sleep(0.25)
            if os.getppid() != want:
                os._exit(3)
    threading.Thread(target=watch, name="xlbench-host-watch", daemon=True).start()


def serve(register: Callable[[grpc.Server], None]) -> None:
    """Run the plugin server that register fills until Shutdown, SIGTERM or
    the host's death; never returns."""
    _check_environment()
    _watch_host()
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    stdio: "queue.Queue[goplugin_pb2.StdioData | None]" = queue.Queue()

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="xlbench-rpc"),
                         options=[("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                                  ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES)])
    register(server)
    health_pb2_grpc.add_HealthServicer_to_server(_Health(stopping), server)
    goplugin_pb2_grpc.add_GRPCControllerServicer_to_server(_Controller(stopping.set), server)
    goplugin_pb2_grpc.add_GRPCStdioServicer_to_server(_Stdio(stdio), server)

    sock_dir = tempfile.mkdtemp(prefix="xlbench-plugin-", dir=os.environ.get("PLUGIN_UNIX_SOCKET_DIR") or None)
    path = os.path.join(sock_dir, "plugin.sock")
    if server.add_insecure_port("unix:" + path) == 0:
        sys.stderr.write(f"cannot listen on {path}\n")
        sys.exit(1)
    server.start()

    out = sys.stdout
    out.write(f"{CORE_PROTOCOL_VERSION}|{PROTOCOL_VERSION}|unix|{path}|grpc\n")
    out.flush()
    sys.stdout = _StdioPipe(goplugin_pb2.StdioData.STDOUT, stdio)
    sys.stderr = _StdioPipe(goplugin_pb2.StdioData.STDERR, stdio)

    try:
        while not stopping.wait(0.5):
            pass
    finally:
        stdio.put(None)
        server.stop(grace=2).wait(3)
        shutil.rmtree(sock_dir, ignore_errors=True)
        os._exit(0)
