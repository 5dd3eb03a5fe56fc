"""`coach serve` at the command line: what it prints (the address, its QR code, the other
addresses), an empty folder filled with the default pack first, stop signals, and errors."""

from __future__ import annotations

import signal
import socket
from pathlib import Path

import pytest

import coach.serve.network
from coach.serve.network import Address
from coach.serving import where_to_open
from support.cli import run
from support.serving import ServeProcess, fetch, qr_image

pytestmark = pytest.mark.tts


def test_the_address_is_printed_with_a_qr_code_of_it(monkeypatch: pytest.MonkeyPatch) -> None:
    zxingcpp = pytest.importorskip("zxingcpp")
    monkeypatch.setattr(
        coach.serve.network, "phone_addresses", lambda: [Address("192.168.1.23", "wlan0")]
    )
    where = where_to_open(None, 8765, "abcdefghijklmnop")
    address = "http://192.168.1.23:8765/abcdefghijklmnop/"
    assert where.host == "192.168.1.23:8765"
    assert f"    {address}" in where.lines
    assert f"Podcast app (for offline play, with chapters): add {address}feed.xml" in where.lines
    drawing = next(line for line in where.lines if "\u2588" in line)
    (found,) = zxingcpp.read_barcodes(qr_image(drawing))
    assert found.text == address


def test_several_addresses_are_named_and_the_chosen_one_said(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    found = [Address("192.168.1.23", "wlan0"), Address("10.0.0.5", "eth1")]
    monkeypatch.setattr(coach.serve.network, "phone_addresses", lambda: found)
    last = where_to_open(None, 8765, "t" * 16).lines[-1]
    assert last == (
        "This computer has 2 network addresses; the one above is on wlan0. If the phone is on "
        f"another network, try: http://10.0.0.5:8765/{'t' * 16}/ (eth1)."
    )


def test_no_network_is_said_plainly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(coach.serve.network, "phone_addresses", list)
    where = where_to_open(None, 8765, "t" * 16)
    (line,) = where.lines
    assert line == (
        "No network address found: this computer is not on a network a phone could join. "
        "Connect it to the Wi-Fi (or the phone's hotspot) and run coach serve again. "
        f"Meanwhile, this computer can open http://127.0.0.1:8765/{'t' * 16}/"
    )


@pytest.mark.parametrize(
    ("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129), (signal.SIGINT, 130)]
)
def test_a_stop_signal_ends_it_cleanly(
    served: tuple[Path, dict[str, str]], signum: int, status: int
) -> None:
    folder, env = served
    process = ServeProcess(folder, dict(env))
    process.start()
    assert fetch(process.port, process.base).status == 200
    assert process.stop(signum) == status
    assert process.output.rstrip().endswith("Stopped.")
    assert "Traceback" not in process.output
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", process.port), 1):
        pass  # nothing listens any more


def test_an_empty_folder_gets_the_default_pack_first(
    served: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    _folder, env = served
    empty = tmp_path / "empty"
    empty.mkdir()
    process = ServeProcess(empty, dict(env))
    process.start(timeout=300)
    try:
        assert (
            f"No sessions in {empty} yet: rendering the default pack into it first (3, 5 and 7 "
            "minutes and the full session)." in process.output
        )
        assert "Serving 4 sessions from" in process.output
        assert "3 minutes, 5 minutes, 7 minutes and full." in process.output
        page = fetch(process.port, process.base).body.decode()
        assert page.count("<section") == 4
    finally:
        assert process.stop() == 130


def test_errors_are_one_clear_line(tmp_path: Path, served: tuple[Path, dict[str, str]]) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    result = run("serve", str(a_file))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"coach: {a_file} is a file, not a folder")
    result = run("serve", "--port", "http")
    assert result.exit_code == 2
    assert result.stderr == (
        "coach: --port takes a port number from 1 to 65535, like --port 8765, not 'http'.\n"
    )
    folder, env = served
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("serve", str(folder), "--host", "127.0.0.1", "--port", str(port), env=env)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"coach: Port {port} is already in use on this computer")
    assert "Traceback" not in result.output
