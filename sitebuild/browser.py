"""Headless Chromium for tests, benchmarks and screenshots (Playwright driving the system browser).

Playwright's own browser download needs the internet; we drive an installed Chromium instead:
$GLASSBOX_CHROMIUM if set, else the first of the usual install paths.
"""

import os
import shutil
from pathlib import Path

CANDIDATES = [
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
]

# Without the networking flags Chromium keeps trying to reach Google's services at start-up.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-default-apps",
]


def chromium_path() -> str | None:
    env = os.environ.get("GLASSBOX_CHROMIUM")
    if env:
        return env
    for path in CANDIDATES:
        if Path(path).exists():
            return path
    return shutil.which("chromium") or shutil.which("chromium-browser")


def launch(playwright, **kwargs):
    """A headless Chromium browser; raises if none is installed."""
    path = chromium_path()
    if not path:
        raise FileNotFoundError("no Chromium found: install one or set GLASSBOX_CHROMIUM to its path")
    return playwright.chromium.launch(executable_path=path, args=ARGS, **kwargs)
