"""Where a phone can reach the computer, the address's secret part, and the QR code of it."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from coach.serve.network import Address, link_token, load_key, rank, reachable
from coach.serve.qr import terminal_qr
from support.serving import qr_image


def test_the_default_routes_interface_comes_first_and_virtual_ones_last() -> None:
    found = [
        Address("172.17.0.1", "docker0"),
        Address("10.8.0.2", "tun0"),
        Address("192.168.1.23", "wlp2s0"),
        Address("192.168.7.5", "enp3s0"),
    ]
    ranked = [a.interface for a in rank(found, "wlp2s0")]
    assert ranked[:2] == ["wlp2s0", "enp3s0"]
    assert set(ranked[2:]) == {"docker0", "tun0"}
    assert set([a.interface for a in rank(found, None)][:2]) == {"enp3s0", "wlp2s0"}


@pytest.mark.parametrize(
    ("ip", "ok"),
    [("192.168.1.2", True), ("10.0.0.7", True), ("127.0.0.1", False), ("169.254.3.4", False),
     ("0.0.0.0", False), ("224.0.0.1", False)],
)  # fmt: skip
def test_only_addresses_another_device_can_reach(ip: str, *, ok: bool) -> None:
    assert reachable(ip) is ok


def test_the_token_is_stable_per_folder_and_key_and_80_bits(tmp_path: Path) -> None:
    key = bytes(range(32))
    token = link_token(key, tmp_path / "phone")
    assert token == link_token(key, tmp_path / "phone")
    assert len(token) == 16 and token.isalnum() and token == token.lower()
    assert token != link_token(key, tmp_path / "car")
    assert token != link_token(bytes(32), tmp_path / "phone")


def test_the_key_is_made_once_private_and_renewed_on_request(tmp_path: Path) -> None:
    path = tmp_path / "settings" / "serve-key"
    key, note = load_key(path)
    assert note is None and len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key(path) == (key, None)
    renewed, note = load_key(path, renew=True)
    assert note is None and renewed != key
    assert load_key(path)[0] == renewed


def test_a_key_that_cannot_be_kept_is_said_and_works_for_this_run(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    key, note = load_key(blocker / "serve-key")
    assert len(key) == 32
    assert note is not None and note.startswith("The address will be different next time")


def test_the_terminal_qr_code_reads_back_as_the_address() -> None:
    zxingcpp = pytest.importorskip("zxingcpp")
    address = "http://192.168.100.200:8765/abcdefghijklmnop/"
    drawing = terminal_qr(address)
    image = qr_image(drawing)
    (found,) = zxingcpp.read_barcodes(image)
    assert found.text == address
