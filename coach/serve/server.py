"""The HTTP server under the application: Waitress, with limits for a shared Wi-Fi.

Waitress reads every request on one thread of asynchronous I/O and hands only complete
requests to a fixed pool of worker threads, and it sends files from that same I/O thread,
so a slow phone holds neither a worker nor the others up. On top of its own limits
(connections, request head and body sizes, idle connections), a request whose head has
not fully arrived within `Limits.request_s` is dropped: a client that trickles its headers
in cannot keep a connection open forever. The loop runs on the calling (main) thread, one
poll at a time, so Ctrl-C, SIGTERM and SIGHUP stop it at once, as every command stops.
"""

from __future__ import annotations

import errno
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from coach.errors import CoachError

WsgiApp = Callable[..., Any]


@dataclass(frozen=True)
class Limits:
    """How much the server takes on; the defaults suit a few phones on one Wi-Fi."""

    threads: int = 8
    """Worker threads: requests handled at once (files are then sent by the I/O thread)."""
    connections: int = 100
    """Open connections at most; past it, new ones wait until one closes."""
    idle_s: int = 30
    """A connection with no request in progress and no traffic for this long is closed."""
    request_s: float = 10.0
    """A request's head (its line and headers) must arrive within this time."""
    header_bytes: int = 16_384
    """The longest request head taken; a longer one gets 431."""
    body_bytes: int = 1_024
    """The longest request body taken (nothing here takes one); a longer one gets 413."""


class Server:
    """A bound server: `port` is the port it listens on (the one the system chose, for 0).
    `run()` serves until a stop signal; `close()` lets go of everything."""

    def __init__(self, app: WsgiApp, host: str, port: int, limits: Limits = Limits()) -> None:
        from waitress.adjustments import Adjustments

        # Waitress warns on its logger (a queue of requests, the connection limit
        # reached); those are the limits doing their job, not something to print.
        logging.getLogger("waitress").setLevel(logging.ERROR)
        adjustments = Adjustments(
            host=host,
            port=port,
            threads=limits.threads,
            connection_limit=limits.connections,
            channel_timeout=limits.idle_s,
            cleanup_interval=1,
            max_request_header_size=limits.header_bytes,
            max_request_body_size=limits.body_bytes,
            ident="coach",
            expose_tracebacks=False,
            asyncore_use_poll=True,
            clear_untrusted_proxy_headers=True,
        )
        self._map: dict[int, Any] = {}
        try:
            self._server = _server_class()(
                app, map=self._map, adj=adjustments, request_s=limits.request_s
            )
        except OSError as error:
            raise CoachError(_bind_error(host, port, error)) from None
        self.host = host
        self.port = int(self._server.effective_port)
        self._stopping = False

    def run(self) -> None:
        """Serve until interrupted (KeyboardInterrupt, or `coach.console.Stopped`) or
        `stop()` is called, then close: the open connections are dropped and the workers
        stopped."""
        from waitress import wasyncore

        try:
            while self._map and not self._stopping:
                wasyncore.loop(timeout=0.5, map=self._map, use_poll=True, count=1)
        finally:
            self.close()

    def stop(self) -> None:
        """Make `run()` return soon; callable from any thread."""
        self._stopping = True
        self._server.pull_trigger()

    def close(self) -> None:
        from waitress import wasyncore

        wasyncore.close_all(self._map)
        self._server.task_dispatcher.shutdown(timeout=2)


def _bind_error(host: str, port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return (
            f"Port {port} is already in use on this computer (is coach serve running in "
            "another window?). Stop that, or choose another port with --port, like "
            f"--port {port + 1 if port else 8766}."
        )
    if error.errno == errno.EACCES:
        return (
            f"This computer does not let the coach listen on port {port}: ports below 1024 "
            "need an administrator. Choose another with --port, like --port 8765."
        )
    if error.errno == errno.EADDRNOTAVAIL:
        return (
            f"{host} is not an address of this computer. Leave --host out to serve on every "
            "network, or give one of the addresses `coach doctor` lists."
        )
    reason = (error.strerror or str(error)).lower()
    return f"Could not listen on {host} port {port}: {reason}. Try another --host or --port."


def _server_class() -> type[Any]:
    """Waitress's TCP server and channel, with the limit on a request head's time added:
    each channel notes when its current request began, and the server's regular clean-up
    (every second) closes channels whose request head is late."""
    from waitress.channel import HTTPChannel
    from waitress.server import TcpWSGIServer

    class TimedChannel(HTTPChannel):  # type: ignore[misc]
        request_began = 0.0

        def received(self, data: bytes) -> bool:
            if data and self.request is None:
                self.request_began = time.monotonic()
            return bool(super().received(data))

        def head_is_late(self, now: float, limit: float) -> bool:
            request = self.request
            if request is None or request.headers_finished:
                return False
            return now - self.request_began > limit

    class LimitedServer(TcpWSGIServer):  # type: ignore[misc]
        channel_class = TimedChannel

        def __init__(self, *args: Any, request_s: float, **kwargs: Any) -> None:
            self.request_s = request_s
            super().__init__(*args, **kwargs)

        def maintenance(self, now: float) -> None:
            super().maintenance(now)
            moment = time.monotonic()
            for channel in list(self.active_channels.values()):
                if channel.head_is_late(moment, self.request_s):
                    channel.will_close = True

    return LimitedServer
