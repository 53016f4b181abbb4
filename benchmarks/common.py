"""What the sections share: the site copy they are served from, Chromium, the pause between visits, time to
the first live widget, percentiles, the machine's description, and the asset files."""

import functools
import os
import platform
import re
import shutil
import subprocess
import time
from pathlib import Path

from sitebuild import browser as chromium

ROOT = Path(__file__).resolve().parent.parent
ASSETS = Path(__file__).resolve().parent / "assets"
CORPUS = ROOT / "tests" / "core" / "corpus"
TOKENIZER_PAGE = "tokenization.html"


@functools.cache
def asset(name: str) -> str:
    """The text of benchmarks/assets/NAME: a page, a script, or Python for the page's worker."""
    return (ASSETS / name).read_text(encoding="utf-8")


def copy_asset(name: str, dest: Path) -> None:
    """benchmarks/assets/NAME copied to dest (a page or script the benchmark's server serves)."""
    shutil.copyfile(ASSETS / name, dest)


def english_text(n_bytes: int) -> str:
    """n_bytes of English prose from the committed test corpus (repeated if it is shorter)."""
    files = sorted(p for p in CORPUS.glob("*") if p.is_file() and "english" in p.name.lower())
    if not files:
        files = sorted(p for p in CORPUS.glob("*.txt"))
    text = "\n".join(p.read_text(encoding="utf-8") for p in files)
    while len(text.encode()) < n_bytes:
        text += "\n" + text
    return text.encode()[:n_bytes].decode("utf-8", errors="ignore")


def prepare_site(site: Path, tmp: Path) -> Path:
    """A copy of _site plus the floor page and js-tiktoken, all served from one origin."""
    root = tmp / "site"
    shutil.copytree(site, root)
    copy_asset("bench-floor.html", root / "bench-floor.html")
    copy_asset("bench-floor.js", root / "bench-floor.js")
    copy_asset("bench-floor-worker.js", root / "bench-floor-worker.js")
    jt = root / "bench-js-tiktoken"
    dist = ROOT / "node_modules" / "js-tiktoken" / "dist"
    jt.mkdir()
    for chunk in dist.glob("chunk-*.js"):
        (jt / chunk.name).write_text(chunk.read_text().replace("from 'base64-js'", "from './base64.js'"))
    shutil.copyfile(dist / "lite.js", jt / "lite.js")
    shutil.copyfile(dist / "ranks" / "o200k_base.js", jt / "o200k_base.js")
    copy_asset("base64.js", jt / "base64.js")
    copy_asset("js-tiktoken.html", jt / "index.html")
    return root


def browser_factory(p):
    """f(persistent=None) -> a fresh headless Chromium, or a persistent context (a profile folder kept
    between visits, like a returning reader's browser)."""

    def launch(persistent: Path | None = None):
        if persistent:
            return p.chromium.launch_persistent_context(
                str(persistent), executable_path=chromium.chromium_path(), args=chromium.ARGS, headless=True
            )
        return chromium.launch(p)

    return launch


def settle():
    """Let the machine go quiet (a closed browser's processes exit) before the next measured visit."""
    time.sleep(0.5)


def time_to_live(context, url: str, mark: str, phases: list | None = None) -> float:
    """ms from navigation start to the performance mark (set when the worker reports ready)."""
    page = context.new_page()
    page.goto(url)
    page.wait_for_function(
        "(mark) => performance.getEntriesByName(mark).length > 0", arg=mark, timeout=120_000, polling=20
    )
    if mark == "glassbox:ready":
        page.wait_for_function(
            "() => !document.querySelector('figure.widget') || "
            "document.querySelector('figure.widget[data-state=live]')",
            polling=20,
        )
        if phases is not None:
            phases.append(page.evaluate(asset("phases.js")))
    ms = page.evaluate("(mark) => performance.getEntriesByName(mark)[0].startTime", mark)
    page.close()
    settle()
    return ms


def pct(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q / 100 * (len(s) - 1))))]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem = f", {kb / 2**20:.0f} GiB RAM"
    except (OSError, AttributeError):
        pass
    browser = subprocess.run([chromium.chromium_path(), "--version"], capture_output=True, text=True).stdout.strip()
    return (
        f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} cores{mem}; "
        f"{browser} headless; Python {platform.python_version()}"
    )
