"""The server's limits for a shared Wi-Fi, with short limits so the test is quick: a client
that trickles its request in is dropped, an idle one too, and others are served meanwhile."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from coach.serve.app import ServeApp
from coach.serve.catalog import Catalog
from coach.serve.server import Limits, Server
from support.serving import fetch


@pytest.fixture
def quick_server(tmp_path: Path) -> Iterator[Server]:
    app = ServeApp(Catalog(tmp_path), "token", "127.0.0.1")
    server = Server(app, "127.0.0.1", 0, Limits(request_s=1.0, idle_s=2))
    runner = threading.Thread(target=server.run, daemon=True)
    runner.start()
    yield server
    server.stop()
    runner.join(timeout=10)
    assert not runner.is_alive()


def closed_within(connection: socket.socket, seconds: float, *, trickle: bool) -> float | None:
    """Seconds until the server closed `connection` (None if it did not within `seconds`),
    sending a header byte every 0.2 s meanwhile when `trickle`."""
    started = time.monotonic()
    connection.settimeout(0.2)
    while time.monotonic() - started < seconds:
        try:
            if trickle:
                connection.send(b"X")
            if connection.recv(1024) == b"":
                return time.monotonic() - started
        except TimeoutError:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - started
    return None


def test_a_request_head_that_trickles_in_is_dropped_and_others_are_served(
    quick_server: Server,
) -> None:
    with socket.create_connection(("127.0.0.1", quick_server.port), timeout=5) as slow:
        slow.sendall(b"GET /token/ HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        meanwhile = fetch(quick_server.port, "/token/")
        assert meanwhile.status == 200
        took = closed_within(slow, 8.0, trickle=True)
    assert took is not None, "a trickling request was kept open"
    assert 0.5 < took < 4.0


def test_an_idle_connection_is_closed(quick_server: Server) -> None:
    with socket.create_connection(("127.0.0.1", quick_server.port), timeout=5) as idle:
        took = closed_within(idle, 8.0, trickle=False)
    assert took is not None, "an idle connection was kept open"
    assert 1.0 < took < 5.0


def test_a_port_in_use_is_a_clear_error(quick_server: Server, tmp_path: Path) -> None:
    from coach.errors import CoachError

    app = ServeApp(Catalog(tmp_path), "token", "127.0.0.1")
    with pytest.raises(CoachError, match=rf"Port {quick_server.port} is already in use"):
        Server(app, "127.0.0.1", quick_server.port)
