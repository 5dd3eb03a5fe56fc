"""The page in a real browser at a phone's size: headless Chromium loads each player, seeks
it from the chapter list, plays it, and shows the chapters; nothing is fetched from
elsewhere and nothing is refused by the page's security policy."""

from __future__ import annotations

import struct
import time
from pathlib import Path
from typing import Any

import pytest

from coach.render.tags import read_session_tags
from support.browser import PHONE, missing_browser, phone_browser
from support.serving import PACK, ServeProcess

why = missing_browser()
pytestmark = [
    pytest.mark.tts,
    pytest.mark.browser,
    pytest.mark.skipif(why is not None, reason=f"no browser: {why}"),
]


@pytest.fixture(scope="module")
def page(server: ServeProcess) -> Any:
    with phone_browser() as driver:
        driver.get(f"http://127.0.0.1:{server.port}{server.base}")
        yield driver


def wait_for(driver: Any, script: str, timeout: float = 15.0) -> Any:
    """Run `script` (a JavaScript expression) until it gives something true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(f"return {script};")
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"never true: {script}")


def tags_of(server: ServeProcess, name: str) -> Any:
    with (server.folder / name).open("rb") as file:
        tags = read_session_tags(file)
    assert tags is not None
    return tags


def test_each_player_loads_with_the_sessions_length_and_can_seek(
    page: Any, server: ServeProcess
) -> None:
    assert page.title == "Rest-stop stretch"
    players = page.execute_script("return document.querySelectorAll('audio').length")
    assert players == 3
    wait_for(page, "Array.from(document.querySelectorAll('audio')).every(a => a.readyState >= 1)")
    for index, name in enumerate(PACK):
        duration, seekable = page.execute_script(
            "const a = document.querySelectorAll('audio')[arguments[0]];"
            "return [a.duration, a.seekable.length ? a.seekable.end(0) : 0];",
            index,
        )
        length_s = tags_of(server, name).length_ms / 1000
        assert abs(duration - length_s) < 0.1, name
        # Chromium makes the whole file seekable only when the server takes byte ranges.
        assert abs(seekable - length_s) < 0.1, name


def test_the_chapters_are_shown_and_a_tapped_one_seeks_and_plays(
    page: Any, server: ServeProcess
) -> None:
    chapters = tags_of(server, PACK[1]).chapters
    shown = page.execute_script(
        "return Array.from(document.querySelectorAll('section')[1].querySelectorAll('li'))"
        ".map(li => li.innerText.replace(/\\s+/g, ' ').trim());"
    )
    from coach.time import format_clock

    assert shown == [f"{format_clock(c.start_ms)} {c.title}" for c in chapters]
    third = chapters[2]
    link = page.find_elements("css selector", "section:nth-of-type(2) li a.seek")[2]
    page.execute_script("arguments[0].scrollIntoView()", link)
    link.click()
    start_s = third.start_ms / 1000
    wait_for(page, f"document.querySelectorAll('audio')[1].currentTime >= {start_s}")
    played = wait_for(
        page,
        f"(a => !a.paused && a.currentTime > {start_s + 0.5} && a.currentTime)"
        "(document.querySelectorAll('audio')[1])",
    )
    assert start_s + 0.5 < played < third.end_ms / 1000
    current = page.execute_script(
        "return document.querySelector('section:nth-of-type(2) li[aria-current=\"true\"]')"
        ".innerText"
    )
    assert third.title in current
    page.execute_script("document.querySelectorAll('audio')[1].pause()")


def test_a_tapped_track_of_a_split_plays_that_track(page: Any) -> None:
    link = page.find_elements("css selector", "section:nth-of-type(3) li a.seek")[1]
    page.execute_script("arguments[0].scrollIntoView()", link)
    link.click()
    source = wait_for(
        page,
        "(a => !a.paused && a.currentTime > 0.3 && a.currentSrc)"
        "(document.querySelectorAll('audio')[2])",
    )
    assert source.endswith("/02%20Neck%20release.mp3")
    page.execute_script("document.querySelectorAll('audio')[2].pause()")


def test_nothing_is_fetched_from_elsewhere_or_refused(page: Any, server: ServeProcess) -> None:
    origin = f"http://127.0.0.1:{server.port}"
    fetched = page.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert all(name.startswith(origin) for name in fetched), fetched
    problems = [entry for entry in page.get_log("browser") if entry["level"] == "SEVERE"]
    assert problems == [], problems


def test_a_screenshot_at_a_phones_size(page: Any, tmp_path: Path) -> None:
    page.execute_script("window.scrollTo(0, 0)")
    shot = tmp_path / "page.png"
    page.save_screenshot(str(shot))
    data = shot.read_bytes()
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (
        PHONE["width"] * PHONE["pixelRatio"],
        PHONE["height"] * PHONE["pixelRatio"],
    )
