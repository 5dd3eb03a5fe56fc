"""Headless Chromium at a phone's size, driven through ChromeDriver (Debian's chromium and
chromium-driver packages, with Selenium), for tests and the page's screenshot.

Chromium starts with a new empty profile, no background networking, component updates or
sync, so it fetches nothing but the pages it is sent to; media may play without a tap, and
is muted.
"""

from __future__ import annotations

import contextlib
import importlib.util
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

CHROMIUM = ("chromium", "chromium-browser")
DRIVER = "chromedriver"
PHONE = {"width": 390, "height": 844, "pixelRatio": 2}
"""A common phone's screen in CSS pixels (and its pixel ratio)."""


def chromium_path() -> str | None:
    return next((found for name in CHROMIUM if (found := shutil.which(name))), None)


def missing_browser() -> str | None:
    """Why the browser cannot run here, or None."""
    if chromium_path() is None:
        return "Chromium is not installed (Debian package chromium)"
    if shutil.which(DRIVER) is None:
        return "ChromeDriver is not installed (Debian package chromium-driver)"
    if importlib.util.find_spec("selenium") is None:
        return "selenium is not installed (pip install selenium)"
    return None


@contextlib.contextmanager
def phone_browser() -> Iterator[Any]:
    """A Selenium driver of headless Chromium with a phone's screen; quit afterwards."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    driver_path = shutil.which(DRIVER)
    browser = chromium_path()
    assert driver_path is not None and browser is not None, missing_browser()
    with tempfile.TemporaryDirectory(prefix="coach-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = browser
        for argument in (
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-default-apps",
            "--disable-extensions",
            "--no-first-run",
            "--no-default-browser-check",
            "--autoplay-policy=no-user-gesture-required",
            "--mute-audio",
            f"--user-data-dir={profile}",
        ):
            options.add_argument(argument)
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": PHONE})
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(driver_path), options=options)
        try:
            driver.set_page_load_timeout(30)
            driver.set_script_timeout(30)
            yield driver
        finally:
            driver.quit()
