"""The web application `coach serve` runs: the page, the feed, the chapters and the
sessions' files, under one unguessable path segment, and nothing else.

Every address is looked up, after percent-decoding, in what the folder offers now (a
`Snapshot`): the path must be exactly the segment and then the page, the feed, the feed's
picture, a session's chapters or one offered file's name. Anything else (another path, a
file that is not a session, "..", an encoded dot or slash, an absolute path) is the same
"Not found", so nothing about the folder, or about the server, is given away. Files are
sent with Werkzeug's conditional and range handling: byte ranges (206 with Content-Range,
416), HEAD, ETag and Last-Modified, If-None-Match, If-Modified-Since and If-Range.
"""

from __future__ import annotations

import hmac
import re
import threading
from collections.abc import Callable, Iterable
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from coach.serve.catalog import Catalog, Snapshot
from coach.serve.feed import (
    ARTWORK_NAME,
    CHAPTERS_FOLDER,
    CHAPTERS_TYPE,
    FEED_NAME,
    chapters_json,
    feed_title,
    feed_xml,
)
from coach.serve.page import CONTENT_SECURITY_POLICY, page_html

if TYPE_CHECKING:
    from werkzeug.wrappers import Request, Response

StartResponse = Callable[..., Any]

_HOST = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")
"""A Host header the page's and feed's addresses may be built on: a name or an address
and a port, nothing that could break out of a URL."""

Notice = Callable[[str], None]


class ServeApp:
    """The WSGI application: `token` is the path segment every address starts with, and
    `host` the "address:port" to build absolute addresses on when a request's Host
    header is missing or odd. `notice` is told, once per device, when one opens the page
    or the feed."""

    def __init__(
        self, catalog: Catalog, token: str, host: str, notice: Notice | None = None
    ) -> None:
        self.catalog = catalog
        self.token = token
        self.host = host
        self.notice = notice
        self._seen: set[tuple[str, str]] = set()
        self._seen_lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        from werkzeug.wrappers import Request

        request = Request(environ)
        response = self._respond(request)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response(environ, start_response)

    def _respond(self, request: Request) -> Response:
        """The token's segment first (anything else is not found), then the method."""
        from werkzeug.utils import redirect

        segment, slash, rest = request.path.lstrip("/").partition("/")
        token = segment.encode("utf-8", "surrogateescape")
        if request.path[:1] != "/" or not hmac.compare_digest(token, self.token.encode()):
            return _not_found()
        if request.method not in ("GET", "HEAD"):
            response = _plain("Only GET and HEAD are served here.\n", 405)
            response.headers["Allow"] = "GET, HEAD"
            return response
        if not slash:
            return redirect(f"/{self.token}/", 301)
        return self._route(request, rest)

    def _route(self, request: Request, rest: str) -> Response:
        """What is under the token: the page, the feed, chapters, or an offered file."""
        base = f"http://{self._host(request)}/{self.token}/"
        if rest == "":
            self._note(request, "page")
            page = page_html(self.catalog.snapshot(), base + FEED_NAME)
            return self._document(request, page, "text/html; charset=utf-8", page=True)
        if rest == FEED_NAME:
            self._note(request, "feed")
            feed = feed_xml(self.catalog.snapshot(), base)
            return self._document(request, feed, "application/rss+xml; charset=utf-8")
        if rest == ARTWORK_NAME:
            return self._document(request, _artwork(), "image/png")
        if rest.startswith(f"{CHAPTERS_FOLDER}/") and rest.endswith(".json"):
            return self._chapters(request, rest[len(CHAPTERS_FOLDER) + 1 : -len(".json")])
        return self._file(request, rest)

    def _chapters(self, request: Request, guid: str) -> Response:
        snapshot: Snapshot = self.catalog.snapshot()
        file = snapshot.by_guid(guid)
        if file is None or not file.tags.chapters:
            return _not_found()
        document = chapters_json(file, feed_title(snapshot))
        return self._document(request, document, CHAPTERS_TYPE)

    def _file(self, request: Request, name: str) -> Response:
        """An offered file, with ranges and conditional requests; 404 for any other name."""
        from werkzeug.exceptions import RequestedRangeNotSatisfiable
        from werkzeug.wrappers import Response
        from werkzeug.wsgi import wrap_file

        opened = self.catalog.open(name)
        if opened is None:
            return _not_found()
        file, offered = opened
        response = Response(
            wrap_file(request.environ, file), mimetype="audio/mpeg", direct_passthrough=True
        )
        response.content_length = offered.size
        response.last_modified = offered.modified  # type: ignore[assignment]
        response.set_etag(offered.etag)
        response.cache_control.no_cache = True
        if "download" in request.args:
            response.headers.set("Content-Disposition", "attachment", filename=offered.name)
        environ = request.environ
        if "," in environ.get("HTTP_RANGE", ""):
            # Several ranges at once: no player asks for them; the whole file answers.
            environ = {key: value for key, value in environ.items() if key != "HTTP_RANGE"}
        try:
            return response.make_conditional(
                environ, accept_ranges=True, complete_length=offered.size
            )
        except RequestedRangeNotSatisfiable as refused:
            file.close()
            refused_response = refused.get_response(environ)
            refused_response.headers["Accept-Ranges"] = "bytes"
            return refused_response

    def _document(
        self, request: Request, body: bytes, mimetype: str, *, page: bool = False
    ) -> Response:
        """A made document, with an ETag of its bytes so that a reader asking again with
        If-None-Match gets 304."""
        from werkzeug.wrappers import Response

        response = Response(body, content_type=mimetype)
        response.add_etag()
        response.cache_control.no_cache = True
        if page:
            response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response.make_conditional(request.environ)

    def _host(self, request: Request) -> str:
        host = request.environ.get("HTTP_HOST", "")
        return host if _HOST.fullmatch(host) else self.host

    def _note(self, request: Request, what: str) -> None:
        if self.notice is None:
            return
        device = request.remote_addr or "an unknown address"
        with self._seen_lock:
            if (device, what) in self._seen:
                return
            self._seen.add((device, what))
        self.notice(f"{device} opened the {what}.")


@cache
def _artwork() -> bytes:
    """The feed's picture and the page's icon, shipped with the coach (read once)."""
    return resources.files("coach.serve").joinpath(ARTWORK_NAME).read_bytes()


def _not_found() -> Response:
    return _plain("Not found.\n", 404)


def _plain(text: str, status: int) -> Response:
    from werkzeug.wrappers import Response

    return Response(text, status=status, content_type="text/plain; charset=utf-8")
