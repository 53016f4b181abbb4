"""Offline reading through the service worker (site/static/js/offline.js; the build's manifest and sw.js:
sitebuild/offline.py), in Chromium, on a copy of the site served from a temporary folder whose contents
the tests can swap (the same origin serving build A, then build B):

1. after one visit to a chapter (the service worker active, its precache complete), with the network
   off, another chapter opens and goes live: Pyodide, numpy, llm_core and the data come from the cache
   (through the page's Pyodide worker, which the service worker controls too), a widget computes what
   CPython computes, and a data file the page did not preload arrives by the worker's synchronous request;
2. the site rebuilt with one file changed (build B) replaces the kept copy whole: once no page of build A is
   open, B's service worker takes over, every file in Cache Storage is B's (its sha256 is B's manifest's), no
   cache of A remains, and the page is B's.

The other browser tests run with service workers blocked (conftest.py): they check pages as served.
"""

import hashlib
import json
import os
import shutil

import pytest

from sitebuild import offline
from sitebuild.serve import serve_in_thread
from tests.browser.conftest import WIDGETS, differences

FIRST, SECOND = "function-in-a-loop.html", "tokenization.html"
# Resolves when this page's service worker is active (installed: every precached file kept) and controls it.
CONTROLLED = """() => navigator.serviceWorker.ready.then((r) => new Promise((resolve) => {
    const poll = setInterval(() => {
        if (r.active.state === 'activated' && navigator.serviceWorker.controller) {
            clearInterval(poll);
            resolve(r.active.scriptURL);
        }
    }, 50);
}))"""
# -> {cache name: {url: sha256 of the kept bytes}} for every Glassbox cache of the origin.
KEPT = """async () => {
    const hex = async (r) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', await r.arrayBuffer())),
                                        (b) => b.toString(16).padStart(2, '0')).join('');
    const out = {};
    for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        out[name] = {};
        for (const request of await cache.keys()) out[name][request.url] = await hex(await cache.match(request));
    }
    return out;
}"""


def until(page, condition: str, timeout_s: float = 90):
    """Waits until the async JavaScript function `condition` resolves to true (wait_for_function would take
    the promise it returns for a true value)."""
    page.evaluate(
        f"async (ms) => {{ const f = {condition}, end = Date.now() + ms;"
        " while (!(await f())) { if (Date.now() > end) throw new Error('timed out');"
        " await new Promise((r) => setTimeout(r, 100)); } }",
        timeout_s * 1000,
    )


def outside(url: str) -> str:
    """A page of the same origin outside the site's scope (the server's 404), to look at Cache Storage from."""
    return url.removesuffix("glassbox/") + "outside"


def link_copy(src, dest):
    """dest: a copy of the folder src made of hard links (a changed file must be unlinked, then written)."""
    shutil.copytree(src, dest, copy_function=os.link)


@pytest.fixture(scope="module")
def served(site, tmp_path_factory):
    """(base URL, folder) for a site served from a symbolic link the tests point at build A or build B."""
    tmp = tmp_path_factory.mktemp("offline")
    link_copy(site, tmp / "a")
    (tmp / "live").symlink_to(tmp / "a")
    server, url = serve_in_thread(tmp / "live", prefix="/glassbox/")
    yield url, tmp
    server.shutdown()


@pytest.fixture(scope="module")
def reader(browser, served):
    """A reader's browser (a context with service workers allowed) after one visit to a chapter."""
    url, _ = served
    context = browser.new_context(service_workers="allow")
    page = context.new_page()
    page.set_default_timeout(90_000)
    errors = []

    # (the page outside the site that tests look at Cache Storage from is a 404, which the console reports)
    def console(m):
        if m.type == "error" and not (m.page and m.page.url == outside(url)):
            errors.append(m.text)

    context.on("console", console)
    page.goto(url + FIRST)
    page.evaluate("() => glassbox.ready.then(() => true)")
    assert page.evaluate(CONTROLLED) == url + "sw.js"
    page.close()
    yield context, errors
    context.close()


def test_after_one_visit_another_chapter_goes_live_offline(reader, served, site):
    context, errors = reader
    url, _ = served
    manifest = json.loads((site / offline.MANIFEST).read_text())
    page = context.new_page()
    page.goto(outside(url))
    kept = page.evaluate(KEPT)
    page.close()
    cache = "glassbox-site-" + hashlib.sha256((site / offline.MANIFEST).read_bytes()).hexdigest()
    assert set(kept) == {cache}
    assert {url + p for p in manifest["precache"]} <= set(kept[cache])
    context.set_offline(True)
    try:
        page = context.new_page()
        page.goto(url + SECOND)
        page.evaluate("() => glassbox.ready.then(() => true)")
        page.wait_for_function(
            "() => [...document.querySelectorAll('figure.widget')].every(f => f.dataset.state === 'live')"
        )
        name = page.eval_on_selector("figure.widget", "f => f.dataset.widget")
        module = WIDGETS[name].module
        got = page.evaluate("([n, p]) => glassbox.compute(n, p)", [name, module.DEFAULTS])
        expected = json.loads(json.dumps(module.compute(dict(module.DEFAULTS))))
        got.pop("measured", None), expected.pop("measured", None)
        assert differences(got, expected, f"{SECOND}: {name}", getattr(module, "REL_TOL", 1e-9)) == []
        # a data file this page does not preload: llm_core's synchronous fallback, through the service worker
        preloaded = set(page.evaluate("() => document.documentElement.dataset.dataFiles").split())
        other = min(
            (p.removeprefix("data/") for p in manifest["precache"] if p.startswith("data/")),
            key=lambda p: (p in preloaded, (site / "data" / p).stat().st_size),
        )
        assert other not in preloaded
        size = page.evaluate("(p) => glassbox.py(`import llm_core.data\nlen(llm_core.data.read_bytes('${p}'))`)", other)
        assert size == (site / "data" / other).stat().st_size
        # the page's and its worker's requests were all answered by the service worker
        assert page.evaluate("() => navigator.onLine") is False
        page.close()
    finally:
        context.set_offline(False)
    assert errors == []


def test_a_rebuilt_site_replaces_the_kept_copy_whole(reader, served, site):
    context, errors = reader
    url, tmp = served
    # build B: build A with the contents page changed, its manifest and sw.js made again by the build's step
    link_copy(site, tmp / "b")
    index = tmp / "b" / "index.html"
    changed = index.read_bytes().replace(b"</main>", b"<p id='build-b'>Build B</p></main>", 1)
    assert b"build-b" in changed
    index.unlink()
    index.write_bytes(changed)
    files = {p.relative_to(tmp / "b").as_posix(): p.read_bytes() for p in (tmp / "b").rglob("*") if p.is_file()}
    for path, data in offline.offline_files(files).items():
        (tmp / "b" / path).unlink()
        (tmp / "b" / path).write_bytes(data)
    manifest_b = json.loads((tmp / "b" / offline.MANIFEST).read_text())
    version_a = hashlib.sha256((site / offline.MANIFEST).read_bytes()).hexdigest()
    version_b = hashlib.sha256((tmp / "b" / offline.MANIFEST).read_bytes()).hexdigest()
    assert version_a != version_b
    (tmp / "live").unlink()
    (tmp / "live").symlink_to(tmp / "b")

    # a visit while A is in use: the browser finds B's sw.js and installs B beside A; the page stays A's
    page = context.new_page()
    page.goto(url + "index.html")
    assert page.locator("#build-b").count() == 0
    page.evaluate("() => navigator.serviceWorker.getRegistration().then((r) => r.update())")
    until(page, "async () => (await navigator.serviceWorker.getRegistration()).installing === null")
    assert page.evaluate("async () => (await navigator.serviceWorker.getRegistration()).waiting !== null")
    page.close()
    # no page of A open: B takes over, and A's cache goes (watched from a page outside the site's scope)
    page = context.new_page()
    page.goto(outside(url))
    until(page, f"async () => (await caches.keys()).join() === 'glassbox-site-{version_b}'")
    page.goto(url + "index.html")
    kept = page.evaluate(KEPT)
    assert list(kept) == ["glassbox-site-" + version_b]
    listed = {url + p: digest for kind in ("precache", "on_request") for p, digest in manifest_b[kind].items()}
    listed[url + offline.MANIFEST] = version_b
    wrong = [u for u, digest in kept["glassbox-site-" + version_b].items() if listed.get(u) != digest]
    assert wrong == []
    assert {url + p for p in manifest_b["precache"]} <= set(kept["glassbox-site-" + version_b])
    assert page.locator("#build-b").count() == 1
    page.close()
    assert errors == []
