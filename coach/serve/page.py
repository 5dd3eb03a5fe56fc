"""The page a phone opens: each session with its version and length, a player, its chapters
(or a split's tracks) as a list that seeks the player when tapped, and a download link.

Plain HTML and CSS that work on a small screen and in a car's browser. The one small script
is inline, and only makes a tapped chapter seek the player on the page; without it, a
chapter's link opens the MP3 at that time (a media fragment, `#t=SECONDS`). Nothing is
fetched from anywhere else, which `CONTENT_SECURITY_POLICY` tells the browser to enforce.
Pure: a snapshot of the folder and the feed's address in, bytes out.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape
from urllib.parse import quote

from coach.serve.catalog import OfferedSession, SessionFile, Snapshot
from coach.serve.feed import ARTWORK_NAME, FEED_NAME, FEED_TYPE, feed_title
from coach.time import format_clock, format_length

STYLE = """
:root { color-scheme: light dark; --accent: #0a6b5a; --line: #8884; }
@media (prefers-color-scheme: dark) { :root { --accent: #5fd3b8; } }
body { font: 1.05rem/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  margin: 0 auto; max-width: 40rem; padding: 0.75rem 1rem 2rem; }
h1 { font-size: 1.5rem; margin: 0.25rem 0; }
h2 { font-size: 1.2rem; margin: 0 0 0.15rem; }
.session h2 { color: var(--accent); }
.safety { margin: 0 0 1rem; font-weight: 600; }
.session { border: 1px solid var(--line); border-radius: 0.75rem; padding: 0.9rem;
  margin: 0 0 1rem; }
.meta { margin: 0 0 0.6rem; opacity: 0.85; }
.session > :last-child { margin-bottom: 0; }
audio { width: 100%; margin: 0.2rem 0 0.5rem; }
ol { list-style: none; padding: 0; margin: 0 0 0.6rem; }
li { display: flex; align-items: center; border-top: 1px solid var(--line); }
li a.seek { flex: 1; display: block; padding: 0.7rem 0.2rem; color: inherit;
  text-decoration: none; min-height: 1.5rem; }
li[aria-current="true"] a.seek { color: var(--accent); font-weight: 700; }
.time { display: inline-block; min-width: 3.2rem; font-variant-numeric: tabular-nums;
  opacity: 0.8; }
a { color: var(--accent); }
a.download { display: inline-block; padding: 0.6rem 0.2rem; font-weight: 600; }
li a.download { padding: 0.7rem 0.4rem; font-weight: 400; }
input { width: 100%; box-sizing: border-box; font: inherit; padding: 0.4rem; }
footer { margin-top: 1.5rem; }
"""

SCRIPT = """
document.querySelectorAll(".session").forEach(function (card) {
  var player = card.querySelector("audio");
  var items = Array.prototype.slice.call(card.querySelectorAll("li[data-start]"));
  card.addEventListener("click", function (event) {
    var link = event.target.closest("a.seek");
    if (!link) { return; }
    event.preventDefault();
    var item = link.parentNode;
    if (item.dataset.src && player.getAttribute("src") !== item.dataset.src) {
      player.src = item.dataset.src;
    }
    player.currentTime = item.dataset.src ? 0 : Number(item.dataset.start);
    player.play();
  });
  player.addEventListener("timeupdate", function () {
    var source = player.getAttribute("src");
    var now = player.currentTime;
    items.forEach(function (item, index) {
      var next = items[index + 1];
      var here = item.dataset.src ? item.dataset.src === source
        : Number(item.dataset.start) <= now && (!next || now < Number(next.dataset.start));
      item.setAttribute("aria-current", here ? "true" : "false");
    });
  });
});
"""


def _sha256_source(text: str) -> str:
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"


CONTENT_SECURITY_POLICY = (
    "default-src 'none'; media-src 'self'; img-src 'self' data:; "
    f"style-src {_sha256_source(STYLE)}; script-src {_sha256_source(SCRIPT)}; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
"""The page's own style and script (by their hashes) and media from this server: nothing
else is loaded, from anywhere."""

SAFETY = "Only do this while parked, with the engine off. Stop if anything hurts."


def page_html(snapshot: Snapshot, feed_url: str) -> bytes:
    """The page of every offered session; `feed_url` is the feed's full address, shown for
    a podcast app."""
    plain_title = feed_title(snapshot)
    title = escape(plain_title)
    sessions = "\n".join(_session(session, plain_title) for session in snapshot.sessions)
    if not snapshot.sessions:
        sessions = "<p>No sessions here yet. Render some with <code>coach render</code>.</p>"
    html = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" type="image/png" href="{ARTWORK_NAME}">
<link rel="apple-touch-icon" href="{ARTWORK_NAME}">
<link rel="alternate" type="{FEED_TYPE}" title="{title}" href="{FEED_NAME}">
<style>{STYLE}</style>
</head>
<body>
<header>
<h1>{title}</h1>
<p class="safety">{escape(SAFETY)}</p>
</header>
<main>
{sessions}
</main>
<footer>
<h2>In a podcast app</h2>
<p>To keep these sessions on your phone, offline, with their chapters, add this address
to a podcast app (AntennaPod, Apple Podcasts: "Follow a show by URL"):</p>
<p><input readonly aria-label="Feed address" value="{escape(feed_url)}"></p>
<p><a href="{FEED_NAME}" type="{FEED_TYPE}">The feed</a></p>
</footer>
<script>{SCRIPT}</script>
</body>
</html>
"""
    return html.encode("utf-8")


def _session(session: OfferedSession, title: str) -> str:
    """One session's card: its version as the heading (with the routine's title too when
    the page is not all one routine's), its length and size, the player, the chapters or
    tracks, and the download link."""
    first = session.first
    heading = session.version[:1].upper() + session.version[1:]
    if session.split:
        heading += f", in {len(session.files)} tracks"
    meta = [format_length(session.length_ms), _size(session.size)]
    if session.album != title and not session.album.startswith(f"{title}, "):
        meta.insert(0, escape(session.album))
    if session.split:
        listing = _tracks(session)
        download = ""
    else:
        listing = _chapters(first)
        download = (
            f'\n<p><a class="download" href="{_href(first)}?download" '
            f'download="{escape(first.name)}">Download the MP3 ({_size(first.size)})</a></p>'
        )
    return f"""<section class="session" id="s-{first.guid[:12]}">
<h2>{escape(heading)}</h2>
<p class="meta">{" · ".join(meta)}</p>
<audio controls preload="metadata" src="{_href(first)}"></audio>
{listing}{download}
</section>"""


def _chapters(file: SessionFile) -> str:
    rows = []
    for chapter in file.tags.chapters:
        start = f"{chapter.start_ms / 1000:.3f}"
        rows.append(
            f'<li data-start="{start}"><a class="seek" href="{_href(file)}#t={start}">'
            f'<span class="time">{format_clock(chapter.start_ms)}</span> '
            f"{escape(chapter.title)}</a></li>"
        )
    return '<ol class="chapters">\n' + "\n".join(rows) + "\n</ol>"


def _tracks(session: OfferedSession) -> str:
    rows = []
    start = 0
    for file in session.files:
        rows.append(
            f'<li data-start="{start / 1000:.3f}" data-src="{_href(file)}">'
            f'<a class="seek" href="{_href(file)}"><span class="time">{format_clock(start)}'
            f"</span> {escape(file.tags.title)}</a>"
            f'<a class="download" href="{_href(file)}?download" download="{escape(file.name)}"'
            f' aria-label="Download {escape(file.tags.title)}">MP3</a></li>'
        )
        start += file.tags.length_ms
    return '<ol class="chapters tracks">\n' + "\n".join(rows) + "\n</ol>"


def _href(file: SessionFile) -> str:
    return escape(quote(file.name))


def _size(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size / 1000:.0f} kB"
