"""`coach serve` run for real on a loopback port, and the raw HTTP a phone sends it.

`ServeProcess` starts the command as a process of its own (as at a terminal, so Ctrl-C
stops it as it would a person's), reads the address it prints, and stops it with a
signal. `fetch` and `raw` are small HTTP clients (the standard library's, and a socket for
requests no client library would send), always with a timeout. Everything here talks to
127.0.0.1 only.
"""

from __future__ import annotations

import http.client
import os
import re
import select
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from support.terminal import coach_command, coach_env

PACK = ("Rest-stop stretch 03 min.mp3", "Rest-stop stretch full.mp3")
"""What `coach render --pack FOLDER -m 3` writes (names are only for the tests' own use)."""

NOT_SESSIONS = ("notes.txt", "not-a-session.mp3", "link.mp3", "sub/inside.mp3")
"""Files in the folder that must never be served: text, an MP3 without the coach's tags,
a symbolic link to a session outside the folder, and a session in a subfolder."""

TIMEOUT_S = 30.0
ADDRESS = re.compile(r"http://127\.0\.0\.1:(\d+)/([a-z2-7]{16})/")


@dataclass
class ServeProcess:
    """`coach serve FOLDER --host 127.0.0.1 --port 0 [ARGS]`, running."""

    folder: Path
    env: dict[str, str]
    args: tuple[str, ...] = ()
    process: subprocess.Popen[bytes] = field(init=False)
    output: str = ""
    port: int = 0
    token: str = ""

    def start(self, until: str = "Press Ctrl-C to stop.", timeout: float = 120.0) -> None:
        command = coach_command(
            "serve", str(self.folder), "--host", "127.0.0.1", "--port", "0", *self.args
        )
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=coach_env(**self.env),
            preexec_fn=_default_signals,
        )
        self.read_until(until, timeout)
        found = ADDRESS.search(self.output)
        if found:
            self.port, self.token = int(found[1]), found[2]

    @property
    def base(self) -> str:
        return f"/{self.token}/"

    def read_until(self, text: str, timeout: float = TIMEOUT_S) -> str:
        """Read the output until `text` shows (AssertionError if it does not in time)."""
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while text not in self.output:
            left = deadline - time.monotonic()
            if left <= 0 or (self.process.poll() is not None and not self._ready(0)):
                raise AssertionError(f"never printed {text!r}; printed {self.output!r}")
            if self._ready(min(left, 0.2)):
                chunk = os.read(self.process.stdout.fileno(), 65536)
                if not chunk and self.process.poll() is not None:
                    continue
                self.output += chunk.decode(errors="replace")
        return self.output

    def _ready(self, timeout: float) -> bool:
        assert self.process.stdout is not None
        return bool(select.select([self.process.stdout], [], [], timeout)[0])

    def stop(self, signum: int = signal.SIGINT) -> int:
        """Send `signum`; return the exit status once it has ended (within 10 s)."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            status = self.process.wait(timeout=10)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
        assert self.process.stdout is not None
        self.output += self.process.stdout.read().decode(errors="replace")
        self.process.stdout.close()
        return status


def _default_signals() -> None:
    """In the child: SIGINT does what it does at a terminal, even when the tests run with
    it ignored (in the background)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


def fetch(
    port: int, path: str, method: str = "GET", headers: dict[str, str] | None = None
) -> Reply:
    """One request to 127.0.0.1:`port`, read whole."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        body = response.read()
        found = {name.lower(): value for name, value in response.getheaders()}
        return Reply(response.status, found, body)
    finally:
        connection.close()


def raw(port: int, data: bytes, timeout: float = 10.0) -> bytes:
    """Send `data` as it is and read what comes back until the server closes (or stops
    sending for `timeout` seconds). A server that answers before reading all of a long
    request and closes resets the connection, which may cut its answer short."""
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        try:
            connection.sendall(data)
            while chunk := connection.recv(65536):
                answer += chunk
        except (TimeoutError, ConnectionResetError, BrokenPipeError):
            pass
    return answer


def status_of(answer: bytes) -> int:
    """The status code of a raw HTTP answer."""
    line = answer.split(b"\r\n", 1)[0].split()
    return int(line[1]) if len(line) > 1 else 0


def qr_image(drawing: str, scale: int = 8) -> np.ndarray:
    """The half-block drawing as a picture, as a camera would see it on a terminal with
    light text on a dark background: a drawn half is light, a blank one dark."""
    halves = {" ": (0, 0), "\u2580": (1, 0), "\u2584": (0, 1), "\u2588": (1, 1)}
    rows = []
    for line in drawing.splitlines():
        top = [halves[char][0] for char in line]
        bottom = [halves[char][1] for char in line]
        rows += [top, bottom]
    light = np.array(rows, dtype=np.uint8) * 255
    padded = np.pad(light, 4, constant_values=0)
    return np.kron(padded, np.ones((scale, scale), dtype=np.uint8))
