"""Make docs/serve-page.png: the page of `coach serve` on a phone-sized screen, as the README
shows it. Renders the default pack with the default voice into a new folder, serves it on
127.0.0.1 and photographs the page in headless Chromium (Debian's chromium and
chromium-driver).

    .venv/bin/python scripts/serve_screenshot.py [OUTPUT.png]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from support.browser import missing_browser, phone_browser  # noqa: E402
from support.serving import ServeProcess  # noqa: E402
from support.terminal import coach_command, coach_env  # noqa: E402


def main() -> None:
    output = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "serve-page.png"
    why = missing_browser()
    if why:
        sys.exit(f"Cannot take the screenshot: {why}.")
    with tempfile.TemporaryDirectory(prefix="coach-screenshot-") as temporary:
        root = Path(temporary)
        folder = root / "phone"
        env = {"COACH_CONFIG": str(root / "config.toml")}
        subprocess.run(
            coach_command("render", "-q", "--pack", str(folder)), env=coach_env(**env), check=True
        )
        server = ServeProcess(folder, env)
        server.start()
        try:
            with phone_browser() as page:
                page.get(f"http://127.0.0.1:{server.port}{server.base}")
                page.execute_script(
                    "return new Promise(done => { const a = document.querySelector('audio');"
                    " if (a.readyState >= 1) done(); else a.onloadedmetadata = done; });"
                )
                page.save_screenshot(str(output))
        finally:
            server.stop()
    print(f"Wrote {output}")


if __name__ == "__main__":
    main()
