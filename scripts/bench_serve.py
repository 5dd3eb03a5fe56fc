"""Benchmarks of `coach serve` (not tests): the time from the command to its QR code, and
the throughput of fifty downloads at once on loopback.

Run with the project's virtualenv:

    .venv/bin/python scripts/bench_serve.py            # five runs of each
    .venv/bin/python scripts/bench_serve.py --runs 2

Method (also printed with the results):

- The sessions are the default pack (3, 5 and 7 minutes and the full session), rendered
  with eSpeak into a new folder with a phrase cache of its own.
- Time to the QR code: `coach serve FOLDER --port 0` started at a pseudo-terminal (with a
  settings file of its own, so its key exists after the first run); the time from starting
  the process to the line after the code. Its baseline is `coach --help` in the same run, a
  process start-up with the command line's imports. The server listens on every address
  for this (the QR code needs one a phone can use) but is never connected to.
- Throughput: the same server on 127.0.0.1, fifty downloads at once (one thread each, the
  standard library's HTTP client), cycling through the pack's four files; the bytes of all
  fifty over the wall time from the first request to the last byte, with every file's
  SHA-256 checked. Its baseline is Python's own http.server (ThreadingHTTPServer, a thread
  a connection, no limits, no ranges) serving the same folder, in the same run, alternated.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from support.serving import ServeProcess  # noqa: E402
from support.terminal import Terminal, coach_command, coach_env  # noqa: E402

DOWNLOADS = 50


def time_to_qr(folder: Path, env: dict[str, str]) -> float:
    started = time.monotonic()
    term = Terminal(coach_command("serve", str(folder), "--port", "0"), env=coach_env(**env))
    try:
        term.expect("Podcast app", timeout=60)
        took = time.monotonic() - started
        term.process.send_signal(signal.SIGINT)
        term.finish()
    finally:
        term.close()
    return took


def time_help(env: dict[str, str]) -> float:
    started = time.monotonic()
    subprocess.run(coach_command("--help"), env=coach_env(**env), capture_output=True, check=True)
    return time.monotonic() - started


def download_all(port: int, prefix: str, names: list[str], expected: dict[str, str]) -> float:
    """Fifty downloads at once; megabytes a second over them all."""

    def one(index: int) -> int:
        name = names[index % len(names)]
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            connection.request("GET", prefix + quote(name))
            body = connection.getresponse().read()
        finally:
            connection.close()
        if hashlib.sha256(body).hexdigest() != expected[name]:
            raise AssertionError(f"{name} arrived damaged")
        return len(body)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=DOWNLOADS) as pool:
        total = sum(pool.map(one, range(DOWNLOADS)))
    return total / 1e6 / (time.monotonic() - started)


def stdlib_server(folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "http.server", "0", "--bind", "127.0.0.1", "-d", str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    line = process.stdout.readline().decode()  # "Serving HTTP on 127.0.0.1 port N ..."
    return process, int(line.split(" port ")[1].split()[0])


def summary(name: str, values: list[float], unit: str) -> str:
    return f"{name:<44} {min(values):>9.3f} {statistics.median(values):>9.3f}  {unit}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory(prefix="coach-bench-serve-") as temporary:
        root = Path(temporary)
        folder = root / "phone"
        env = {
            "COACH_CACHE_DIR": str(root / "cache"),
            "COACH_CONFIG": str(root / "settings" / "config.toml"),
            "COACH_VOICE": "en-us",
        }
        subprocess.run(
            coach_command("render", "-q", "--pack", str(folder)), env=coach_env(**env), check=True
        )
        names = sorted(path.name for path in folder.glob("*.mp3"))
        expected = {n: hashlib.sha256((folder / n).read_bytes()).hexdigest() for n in names}
        size = sum((folder / n).stat().st_size for n in names) / len(names)
        qr, helps, served, baseline = [], [], [], []
        time_to_qr(folder, env)  # the first run makes the key and warms the file cache
        for _ in range(runs):
            qr.append(time_to_qr(folder, env))
            helps.append(time_help(env))
        server = ServeProcess(folder, env)
        server.start()
        plain, port = stdlib_server(folder)
        try:
            for _ in range(runs):
                served.append(download_all(server.port, server.base, names, expected))
                baseline.append(download_all(port, "/", names, expected))
        finally:
            server.stop()
            plain.send_signal(signal.SIGINT)
            plain.wait(timeout=10)
        print(
            f"{runs} runs; {DOWNLOADS} downloads a run of files of {size / 1e6:.2f} MB on average"
        )
        print(f"{'measure':<44} {'min':>9} {'median':>9}  unit")
        print(summary("coach serve: start to QR code shown", qr, "s"))
        print(summary("baseline: coach --help", helps, "s"))
        print(summary("coach serve: 50 downloads at once", served, "MB/s"))
        print(summary("baseline: python -m http.server, same", baseline, "MB/s"))
        ratio = [a / b for a, b in zip(served, baseline, strict=True)]
        print(summary("coach serve / http.server throughput", ratio, "x"))
        print(f"(CPU count {os.cpu_count()}; Python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
