"""Serving sessions to a phone: the folder (rendered into first when it holds none), the
server on the local network, and what to tell the user about where to open it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from coach.progress import Progress
from coach.report import left_out_text, open_text, serving_text

DEFAULT_PORT = 8765
"""The port `coach serve` listens on unless told: the same every time, so an address a
podcast app subscribed to keeps working."""

SERVE_KEY_NAME = "serve-key"
"""The file beside the settings file that holds the key of `coach serve`'s addresses."""


def serve_folder(
    folder_path: Path | None,
    *,
    host: str | None,
    port: int,
    new_address: bool,
    say: Callable[[str], None],
    progress: Progress | None,
    encode_progress: Progress | None,
) -> None:
    """Serve the sessions in a folder (default: the settings' output folder, else this
    one) to phones on the local network until stopped, after rendering the default pack
    into it when it holds none. Prints, through `say`, what it serves and where, with a QR
    code of the address."""
    from coach.config import config_path
    from coach.serve.app import ServeApp
    from coach.serve.catalog import Catalog
    from coach.serve.network import link_token, load_key
    from coach.serve.server import Server

    folder = _served_folder(folder_path).resolve()
    catalog = Catalog(folder)
    snapshot = catalog.snapshot()
    if not snapshot.sessions:
        say(
            f"No sessions in {folder} yet: rendering the default pack into it first "
            "(3, 5 and 7 minutes and the full session)."
        )
        from coach.preparation import request_with_settings
        from coach.rendering import render_pack

        request = request_with_settings(pack=True)
        for line in render_pack(
            request, folder, None, progress=progress, encode_progress=encode_progress
        ):
            say(line)
        snapshot = catalog.snapshot()
    key, key_note = load_key(config_path().with_name(SERVE_KEY_NAME), renew=new_address)
    token = link_token(key, folder)
    app = ServeApp(catalog, token, "localhost", notice=lambda line: say(f"  {line}"))
    server = Server(app, host or "0.0.0.0", port)
    try:
        say(serving_text(snapshot, folder))
        if snapshot.left_out:
            say(left_out_text(snapshot.left_out))
        where = where_to_open(host, server.port, token)
        app.host = where.host
        for line in where.lines:
            say(line)
        if key_note:
            say(key_note)
        say("Press Ctrl-C to stop.")
    except BaseException:
        server.close()
        raise
    server.run()


def _served_folder(folder_path: Path | None) -> Path:
    """The folder asked for, else the settings' output folder, else this one; a CoachError
    for a file."""
    from coach.config import load_settings
    from coach.errors import CoachError

    if folder_path is None:
        setting = load_settings().output
        folder_path = Path(setting).expanduser() if setting else Path()
    folder = folder_path.expanduser()
    if folder.exists() and not folder.is_dir():
        raise CoachError(
            f"{folder} is a file, not a folder: give coach serve the folder your sessions are "
            "in (or one to render them into)."
        )
    return folder


@dataclass(frozen=True)
class _Where:
    host: str
    """host:port for the addresses the server makes when a request does not say."""
    lines: list[str]


def where_to_open(host: str | None, port: int, token: str) -> _Where:
    """What to tell the user about where a phone opens the page: the address (with a QR
    code), the feed's, and the other addresses when the computer has several."""
    import ipaddress

    from coach.serve.network import phone_addresses
    from coach.serve.qr import terminal_qr

    def url(ip: str) -> str:
        shown = f"[{ip}]" if ":" in ip else ip
        return f"http://{shown}:{port}/{token}/"

    if host is not None and host not in ("", "0.0.0.0", "::"):
        try:
            local_only = ipaddress.ip_address(host.strip("[]")).is_loopback
        except ValueError:
            local_only = host == "localhost"
        address = url(host.strip("[]"))
        shown_host = address.split("/")[2]
        if local_only:
            return _Where(
                shown_host,
                [f"This computer only (--host {host}): open {address}", f"Feed: {address}feed.xml"],
            )
        return _Where(shown_host, open_text(address, terminal_qr(address)))
    addresses = phone_addresses()
    if not addresses:
        address = url("127.0.0.1")
        return _Where(
            address.split("/")[2],
            [
                (
                    "No network address found: this computer is not on a network a phone "
                    "could join. Connect it to the Wi-Fi (or the phone's hotspot) and run "
                    f"coach serve again. Meanwhile, this computer can open {address}"
                ),
            ],
        )
    best = addresses[0]
    address = url(best.ip)
    lines = open_text(address, terminal_qr(address))
    if len(addresses) > 1:
        others = "; ".join(f"{url(a.ip)} ({a.interface})" for a in addresses[1:])
        lines.append(
            f"This computer has {len(addresses)} network addresses; the one above is on "
            f"{best.interface}. If the phone is on another network, try: {others}."
        )
    return _Where(address.split("/")[2], lines)
