"""Browser fixtures: the built site served under /glassbox/ (like GitHub Pages), and system Chromium."""

import os

import pytest

from sitebuild import browser as chromium
from sitebuild.serve import serve_in_thread


@pytest.fixture(scope="session")
def base_url(site):
    server, url = serve_in_thread(site, prefix="/glassbox/")
    yield url
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    if not chromium.chromium_path():
        if os.environ.get("GLASSBOX_REQUIRE_BROWSER"):
            pytest.fail("GLASSBOX_REQUIRE_BROWSER is set but no Chromium was found (set GLASSBOX_CHROMIUM)")
        pytest.skip("no Chromium installed (install one or set GLASSBOX_CHROMIUM); browser tests skipped")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = chromium.launch(p)
        yield b
        b.close()


class PageWatch:
    """Records what a page did that a reader would not want: console errors, crashes, foreign requests."""

    def __init__(self, page, base_url):
        self.page, self.base_url = page, base_url
        self.errors: list[str] = []
        self.foreign: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        page.on("request", self._request)
        page.on("worker", lambda w: w.on("console", lambda m: m.type == "error" and self.errors.append(f"worker: {m.text}")))

    def _request(self, request):
        if not (request.url.startswith(self.base_url) or request.url.startswith("data:")):
            self.foreign.append(request.url)

    def open(self, path: str, live: bool = True, timeout: float = 90_000):
        self.page.goto(self.base_url + path)
        if live:
            self.page.evaluate("() => window.glassbox.ready.then(() => true)")
            self.page.wait_for_function(
                "() => [...document.querySelectorAll('figure.widget')].every(f => f.dataset.state === 'live')",
                timeout=timeout)
        return self.page


@pytest.fixture
def page(browser, base_url):
    context = browser.new_context()
    p = context.new_page()
    p.set_default_timeout(60_000)
    watch = PageWatch(p, base_url)
    p.watch = watch
    yield p
    context.close()


# The worker's memory in use and its count of Python objects, once the collector has run. Not the size
# of the WebAssembly memory: that never shrinks, so it is a high-water mark, and a move that needs more
# room than any before (the longest prompt at the most tokens, a vocabulary rebuilt after its cache was
# emptied) raises it by a growth step of 12 MB or more while keeping nothing. malloc's own count of the bytes it has handed
# out (mallinfo's uordblks) goes down again when results, arrays and PyProxies are freed.
# The functools caches of llm_core and the widgets are emptied first: compute is deterministic, so they
# only memoize, and some are large by design (quantized_model keeps a 7 MB model per format and group
# size picked so far). What is left is what the page keeps for good.
# -> [bytes in use, objects, {cache: entries it held}]
WORKER_MEMORY = """import functools, gc, numpy, pyodide_js
caches = {}
for f in gc.get_objects():
    if isinstance(f, functools._lru_cache_wrapper) and f.__module__.startswith(("llm_core", "glassbox_widgets")):
        caches[f"{f.__module__}.{f.__qualname__}"] = f.cache_info().currsize
        f.cache_clear()
gc.collect()
info = numpy.zeros(10, dtype=numpy.uint32)  # struct mallinfo
pyodide_js._module._mallinfo(info.__array_interface__["data"][0])
[int(info[7]), len(gc.get_objects()), caches]"""


def memory(page) -> dict:
    """The page's JS heap after a collection and the worker's memory (WORKER_MEMORY), in bytes."""
    if not hasattr(page, "cdp"):
        page.cdp = page.context.new_cdp_session(page)
    page.cdp.send("HeapProfiler.collectGarbage")
    heap = page.cdp.send("Runtime.getHeapUsage")["usedSize"]
    used, objects, caches = page.evaluate("(c) => glassbox.py(c)", WORKER_MEMORY)
    return {"heap": heap, "used": used, "objects": objects, "caches": caches}
