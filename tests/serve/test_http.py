"""`coach serve` as a phone's browser and podcast app meet it, over real HTTP on loopback:
the page, byte ranges, HEAD, conditional requests, only the sessions' files, and many
downloads at once."""

from __future__ import annotations

import hashlib
import time
from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import quote

import pytest

from support.serving import NOT_SESSIONS, PACK, Reply, ServeProcess, fetch, raw, status_of

pytestmark = pytest.mark.tts  # the sessions are rendered with the real speech engine

SESSION = PACK[0]


def file_path(server: ServeProcess, name: str) -> str:
    return server.base + quote(name)


def whole(server: ServeProcess, name: str = SESSION) -> bytes:
    return (server.folder / name).read_bytes()


def test_it_prints_the_address_and_what_it_serves(server: ServeProcess) -> None:
    out = server.output
    served = "3 minutes and full; and the 5 tracks of 3 minutes."
    assert f"Serving 3 sessions from {server.folder.resolve()}: {served}" in out
    assert "Left out 2 other MP3 files there: only sessions the coach rendered" in out
    assert (
        f"This computer only (--host 127.0.0.1): open http://127.0.0.1:{server.port}/{server.token}/"
        in out
    )


def test_the_page_lists_the_sessions_with_player_chapters_and_download(
    server: ServeProcess,
) -> None:
    reply = fetch(server.port, server.base)
    assert reply.status == 200
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in reply.headers["content-security-policy"]
    page = reply.body.decode()
    link = '<link rel="alternate" type="application/rss+xml" title="Rest-stop stretch"'
    assert f'{link} href="feed.xml">' in page
    for name in PACK:
        assert f'<audio controls preload="metadata" src="{quote(name)}">' in page
        assert f'href="{quote(name)}?download" download="{name}"' in page
    assert page.count("<section") == 3
    assert "<h2>3 minutes</h2>" in page and "<h2>Full</h2>" in page
    assert "<h2>3 minutes, in 5 tracks</h2>" in page
    assert '<a class="seek" href="Rest-stop%20stretch%20full.mp3#t=0.000">' in page
    assert "Neck release</a>" in page
    assert '<link rel="icon" type="image/png" href="artwork.png">' in page
    assert '<link rel="apple-touch-icon" href="artwork.png">' in page
    # Nothing is fetched from anywhere else: every address on the page is relative, but the
    # feed's own, shown to copy.
    import re

    addresses: list[str] = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert addresses and all(
        not re.match(r"[a-z]+:", a) and not a.startswith("//") for a in addresses
    )
    assert f'value="http://127.0.0.1:{server.port}/{server.token}/feed.xml"' in page


def test_head_gives_the_headers_of_a_download_and_no_body(server: ServeProcess) -> None:
    reply = fetch(server.port, file_path(server, SESSION), "HEAD")
    size = len(whole(server))
    assert reply.status == 200
    assert reply.body == b""
    assert reply.headers["content-type"] == "audio/mpeg"
    assert reply.headers["content-length"] == str(size)
    assert reply.headers["accept-ranges"] == "bytes"
    assert reply.headers["etag"].startswith('"')
    modified = parsedate_to_datetime(reply.headers["last-modified"]).timestamp()
    assert abs(modified - (server.folder / SESSION).stat().st_mtime) < 1


def test_a_get_sends_the_whole_file(server: ServeProcess) -> None:
    reply = fetch(server.port, file_path(server, SESSION))
    assert reply.status == 200
    assert reply.body == whole(server)
    download = fetch(server.port, file_path(server, SESSION) + "?download")
    assert download.body == whole(server)
    assert download.headers["content-disposition"] == f'attachment; filename="{SESSION}"'


@pytest.mark.parametrize(
    ("asked", "start", "end"),
    [
        ("bytes=0-0", 0, 1),
        ("bytes=100-199", 100, 200),
        ("bytes=-500", -500, None),
        ("bytes=1000-", 1000, None),
    ],
)
def test_byte_ranges_give_206_with_exactly_those_bytes(
    server: ServeProcess, asked: str, start: int, end: int | None
) -> None:
    data = whole(server)
    part = data[start:end]
    reply = fetch(server.port, file_path(server, SESSION), headers={"Range": asked})
    assert reply.status == 206
    assert reply.body == part
    first = start % len(data)
    assert reply.headers["content-range"] == f"bytes {first}-{first + len(part) - 1}/{len(data)}"
    assert reply.headers["content-length"] == str(len(part))


def test_a_range_past_the_end_is_416_and_several_ranges_get_the_whole_file(
    server: ServeProcess,
) -> None:
    size = len(whole(server))
    beyond = fetch(server.port, file_path(server, SESSION), headers={"Range": f"bytes={size}-"})
    assert beyond.status == 416
    assert beyond.headers["content-range"] == f"bytes */{size}"
    several = fetch(server.port, file_path(server, SESSION), headers={"Range": "bytes=0-9,20-29"})
    assert several.status == 200
    assert several.body == whole(server)


def test_conditional_requests(server: ServeProcess) -> None:
    path = file_path(server, SESSION)
    first = fetch(server.port, path, "HEAD")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert fetch(server.port, path, headers={"If-None-Match": etag}).status == 304
    assert fetch(server.port, path, headers={"If-Modified-Since": modified}).status == 304
    assert fetch(server.port, path, headers={"If-None-Match": '"other"'}).status == 200
    resumed = fetch(server.port, path, headers={"Range": "bytes=10-19", "If-Range": etag})
    assert (resumed.status, resumed.body) == (206, whole(server)[10:20])
    changed = fetch(server.port, path, headers={"Range": "bytes=10-19", "If-Range": '"old"'})
    assert (changed.status, changed.body) == (200, whole(server))
    page = fetch(server.port, server.base)
    again = fetch(server.port, server.base, headers={"If-None-Match": page.headers["etag"]})
    assert (again.status, again.body) == (304, b"")


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/favicon.ico",
        "/{token}x/",
        "/wrong/" + "feed.xml",
        "/{token}/../{token}/feed.xml",
        "/{token}/%2e%2e/%2e%2e/etc/passwd",
        "/{token}/..%2f..%2fetc%2fpasswd",
        "/{token}/%2E%2E%2Fphone%2Fnotes.txt",
        "/{token}//etc/passwd",
        "/{token}/%2Fetc%2Fpasswd",
        "/{token}/.%2e/outside.mp3",
        "/{token}/chapters/../feed.xml",
        "/{token}/chapters/nothing.json",
        "/{token}/%00",
        "/{token}/Rest-stop%20stretch%2003%20min.mp3%00.txt",
        "/{token}/./" + quote(SESSION),
    ]
    + [f"/{{token}}/{quote(name)}" for name in NOT_SESSIONS],
)
def test_anything_but_the_sessions_is_not_found(server: ServeProcess, path: str) -> None:
    reply = fetch(server.port, path.format(token=server.token))
    assert reply.status == 404, path
    assert reply.body == b"Not found.\n"


def test_an_absolute_address_or_a_path_outside_is_not_found(server: ServeProcess) -> None:
    for target in (
        "http://127.0.0.1/etc/passwd",
        f"http://127.0.0.1:{server.port}/{server.token}/../../etc/passwd",
        "/etc/passwd",
        f"/{server.token}/../../../../etc/passwd",
    ):
        answer = raw(
            server.port, f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
        )
        assert status_of(answer) == 404, (target, answer[:200])


def test_other_methods_are_refused(server: ServeProcess) -> None:
    refused = fetch(server.port, file_path(server, SESSION), "POST")
    assert refused.status == 405
    assert refused.headers["allow"] == "GET, HEAD"
    assert fetch(server.port, "/elsewhere", "DELETE").status == 404


def test_a_malformed_or_huge_request_is_refused_and_others_are_still_served(
    server: ServeProcess,
) -> None:
    assert status_of(raw(server.port, b"NOT HTTP AT ALL\r\n\r\n")) == 400
    huge = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40_000 + b"\r\n\r\n"
    # 431, or the connection reset under the rest of the request after it.
    assert status_of(raw(server.port, huge)) in (431, 0)
    body = b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n"
    assert status_of(raw(server.port, body)) == 413
    assert fetch(server.port, server.base).status == 200


def test_a_host_header_cannot_steer_the_feeds_addresses(server: ServeProcess) -> None:
    reply = fetch(server.port, server.base + "feed.xml", headers={"Host": 'evil"><script>'})
    assert reply.status == 200
    assert b"evil" not in reply.body and b"<script>" not in reply.body


def test_fifty_phones_download_at_once_and_each_gets_the_exact_file(
    server: ServeProcess,
) -> None:
    names = [
        name
        for name in sorted(p.name for p in server.folder.glob("*.mp3"))
        if name not in NOT_SESSIONS
    ]
    expected = {name: hashlib.sha256(whole(server, name)).hexdigest() for name in names}

    def download(index: int) -> tuple[str, str, int]:
        name = names[index % len(names)]
        reply: Reply = fetch(server.port, file_path(server, name))
        return name, hashlib.sha256(reply.body).hexdigest(), reply.status

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(download, range(50)))
    took = time.monotonic() - started
    assert len(results) == 50
    for name, digest, status in results:
        assert status == 200 and digest == expected[name], name
    assert took < 60


def test_the_address_without_its_slash_leads_to_the_page(server: ServeProcess) -> None:
    reply = fetch(server.port, f"/{server.token}")
    assert reply.status == 301
    assert reply.headers["location"].endswith(f"/{server.token}/")


def test_a_session_rendered_while_it_serves_is_offered_at_once(
    server: ServeProcess, served: tuple[Path, dict[str, str]]
) -> None:
    from support.cli import run

    _folder, env = served
    before = fetch(server.port, server.base + "feed.xml").body.decode()
    out = server.folder / "brief.mp3"
    result = run("render", "-q", "--brief", "-o", str(out), env=env)
    assert result.exit_code == 0, result.output
    try:
        page = fetch(server.port, server.base).body.decode()
        assert "<h2>Brief</h2>" in page
        assert fetch(server.port, file_path(server, "brief.mp3")).body == out.read_bytes()
        after = fetch(server.port, server.base + "feed.xml").body.decode()
        assert after.count("<item>") == before.count("<item>") + 1
    finally:
        out.unlink()
    assert fetch(server.port, file_path(server, "brief.mp3")).status == 404
