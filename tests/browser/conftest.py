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
