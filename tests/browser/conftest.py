"""Browser fixtures: the built site served under /glassbox/ (like GitHub Pages), system Chromium, and one
visit per page that all of that page's checks share.

A page with widgets costs seconds to go live (Pyodide, numpy, llm_core, data), far more than most checks
made on it, so the checks of one page share one visit: `chapter`, a session-scoped fixture parametrized
(indirectly) with the page's file name, is one browser context and one page, opened once and closed when
the next page is asked for. The collection hook below runs a page's tests together, in module order
(test_chapters.py first: see its docstring) and, within a module, in the order they are written.
`page` (a fresh context per test) stays for the tests that need a page to themselves.

On a shared page each test answers for what happened during it: console errors (page and worker),
uncaught exceptions, requests to other origins and dialogs are collected per test (PageWatch); whatever
arrives after a passing test's own checks fails that test at teardown, naming the page and the test, so
nothing goes unreported and nothing is blamed on the next test.
"""

import math
import os
import re

import pytest

import build
from sitebuild import browser as chromium
from sitebuild.serve import serve_in_thread

# The site's pages and widgets, as the build finds them (GLASSBOX_CHAPTERS / GLASSBOX_WIDGETS pick others).
CHAPTERS = [build.parse_chapter(p) for p in sorted(build.Options().chapters.glob("*.md"))]
WIDGETS = build.load_widgets(build.Options().widgets)
PAGES = ["index.html"] + [ch.filename for ch in CHAPTERS]
if (build.Options().chapters / "glossary.json").exists():  # a subset of chapters may have no glossary
    PAGES.append("glossary.html")
PAGES_WITH_WIDGETS = [ch.filename for ch in CHAPTERS if any(b.kind == "widget" for b in ch.blocks)]


def page_with(widget_name: str) -> str | None:
    """The first chapter that places the widget (tests/build fails for a widget no chapter places)."""
    for ch in CHAPTERS:
        if any(b.kind == "widget" and b.name == widget_name for b in ch.blocks):
            return ch.filename
    return None


# (page, widget) for every widget, on the first page that places it.
WIDGET_PAGES = [(page_with(name), name) for name in sorted(WIDGETS) if page_with(name)]


def on(*pages: str) -> list[str]:
    """Those of pages this site has (a subset of chapters may be built and tested on its own)."""
    return [p for p in pages if p in PAGES]


DESKTOP = {"width": 1280, "height": 900}

# Text a reader may type or paste. Reader text is echoed on screen (token chips, prompts), so these
# strings must not contain what the screen check looks for: instead of "NaN" and "Infinity" they
# hold "nan", "-inf" and "1e309", which Python's float() reads the same way (case does not matter to
# it) and which would still put NaN or Infinity on screen if a widget parsed them into a number.
STRANGE_TEXT = [
    "",
    "🦙🚀",
    "שלום עולם",
    "\u0000\u0007",
    ("A long paste, over and over: ünïcödé, 数字 42, tabs\tand spaces.  " * 100)[:5000],
    "<img src=x onerror=alert(1)>",
    "nan",
    "-inf",
    "1e309",
]
# What must never be on screen in a figure: a JavaScript value drawn unformatted, a traceback or "Could not
# compute" (compute raised something other than ValueError), a stuck or dead worker.
BAD_ON_SCREEN = re.compile(
    r"NaN|undefined|Infinity|\[object|Traceback|Could not compute|Still computing|"
    r"Python stopped"
)

LIVE_JS = "() => [...document.querySelectorAll('figure.widget')].every(f => f.dataset.state === 'live')"
# No widget computing or waiting to: every call answered and drawn.
IDLE_JS = "() => glassbox.instances.every((i) => !i.inFlight && !i.latest)"


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
    """Records what a page did that a reader would not want: console errors, crashes, foreign requests,
    dialogs (alert() run by reader text); and every URL it requested, in order."""

    def __init__(self, page, base_url):
        self.page, self.base_url = page, base_url
        self.errors: list[str] = []
        self.foreign: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.never_live: str | None = None
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        page.on("request", self._request)
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on(
            "worker", lambda w: w.on("console", lambda m: m.type == "error" and self.errors.append(f"worker: {m.text}"))
        )

    def _request(self, request):
        self.requests.append(request.url)
        if not (request.url.startswith(self.base_url) or request.url.startswith("data:")):
            self.foreign.append(request.url)

    def open(self, path: str, live: bool = True, timeout: float = 90_000):
        self.page.goto(self.base_url + path)
        if live:
            self.live(timeout)
        return self.page

    def live(self, timeout: float = 90_000):
        """Waits until Python is ready and every widget is live. A shared page that never went live fails
        every later test at once, instead of each waiting out the timeout."""
        if self.never_live:
            pytest.fail(self.never_live)
        try:
            self.page.evaluate("() => window.glassbox.ready.then(() => true)")
            self.page.wait_for_function(LIVE_JS, timeout=timeout)
        except Exception as e:
            states = self.page.eval_on_selector_all(
                "figure.widget", "els => els.map(e => `${e.dataset.widget}: ${e.dataset.state}`)"
            )
            self.never_live = f"{self.page.url}: widgets not live ({', '.join(states)}): {e}".split("\n")[0]
            raise
        return self.page

    def idle(self, timeout: float = 90_000):
        self.page.wait_for_function(IDLE_JS, timeout=timeout)

    def clear(self):
        self.errors.clear(), self.foreign.clear(), self.dialogs.clear()


def new_page(browser, base_url, **context_options):
    """A page in a context of its own, with a PageWatch as page.watch. Service workers are blocked unless
    asked for: these tests check the pages as the site serves them (test_offline.py checks the service
    worker, which would otherwise fill every context's Cache Storage with the whole site)."""
    context = browser.new_context(**{"service_workers": "block", **context_options})
    p = context.new_page()
    p.set_default_timeout(60_000)
    p.watch = PageWatch(p, base_url)
    return p


@pytest.fixture
def page(browser, base_url):
    p = new_page(browser, base_url)
    yield p
    p.context.close()


@pytest.fixture(scope="session")
def chapter(request, browser, base_url):
    """One visit of the page request.param (a file name such as "tokenization.html"), shared by every test
    that asks for it: parametrize with indirect=["chapter"]. On a page with widgets Python starts by
    itself; on the contents page only when a test asks for it (`page.watch.live()`)."""
    p = new_page(browser, base_url, viewport=DESKTOP)
    p.path = request.param
    p.swept = set()  # widgets whose controls test_chapters.py swept on this visit (and put back)
    p.goto(base_url + request.param)
    yield p
    p.context.close()


def page_of(item) -> str | None:
    """The page whose shared visit a test uses, if any."""
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("chapter") if callspec else None


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(items):
    """The tests of one page run together, in collection order: modules by name (test_chapters.py
    first), tests in the order written. pytest's own grouping of a session-scoped parameter does not
    promise an order within the group, and it does not group tests that also take a direct parameter
    (a widget's name); so the tests that use `chapter` are put in that order here, in the places pytest
    gave them; every other test keeps its place."""
    collected = {item: i for i, item in enumerate(items)}
    yield
    slots = [i for i, item in enumerate(items) if page_of(item)]
    shared = sorted((items[i] for i in slots), key=collected.get)
    first = {}
    for item in shared:
        first.setdefault(page_of(item), len(first))
    shared.sort(key=lambda item: (first[page_of(item)], collected[item]))
    for i, item in zip(slots, shared):
        items[i] = item


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(autouse=True)
def _each_test_answers_for_its_own_errors(request):
    """On a shared page: errors, foreign requests and dialogs that arrive after a passing test's checks
    fail it at teardown; then the next test starts with empty lists."""
    if "chapter" not in request.fixturenames:
        yield
        return
    p = request.getfixturevalue("chapter")
    yield
    try:
        p.evaluate("() => 0")  # hands over the events that arrived while no Playwright call was running
    except Exception:
        pass
    left = {
        k: list(v)
        for k, v in [
            ("console errors", p.watch.errors),
            ("requests to other origins", p.watch.foreign),
            ("dialogs", p.watch.dialogs),
        ]
        if v
    }
    report = getattr(request.node, "report_call", None)
    p.watch.clear()
    if left and report is not None and report.passed:
        pytest.fail(f"{p.path}: after {request.node.name}'s checks: {left}")
    if left:
        print(f"{p.path} during {request.node.name}: {left}")


def wait_idle(page, name):
    """Until the first widget called name has no call in flight and none waiting."""
    page.wait_for_function(
        """(n) => { const i = glassbox.instances.find(i => i.name === n);
        return i && !i.inFlight && !i.latest; }""",
        arg=name,
    )


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


def cdp(page):
    """The page's DevTools session (one per page)."""
    if not hasattr(page, "cdp"):
        page.cdp = page.context.new_cdp_session(page)
    return page.cdp


def memory(page) -> dict:
    """The page's JS heap after a collection and the worker's memory (WORKER_MEMORY), in bytes."""
    cdp(page).send("HeapProfiler.collectGarbage")
    heap = cdp(page).send("Runtime.getHeapUsage")["usedSize"]
    used, objects, caches = page.evaluate("(c) => glassbox.py(c)", WORKER_MEMORY)
    return {"heap": heap, "used": used, "objects": objects, "caches": caches}


# -- results compared: the browser's against CPython's --------------------------------------------------


def differences(browser_value, python_value, path="result", rel=1e-9) -> list[str]:
    """Where two results differ: ints, strings and structure exactly; floats within rel (relative)."""
    if isinstance(python_value, float) or isinstance(browser_value, float):
        if isinstance(browser_value, (int, float)) and math.isclose(
            browser_value, python_value, rel_tol=rel, abs_tol=1e-12
        ):
            return []
        return [f"{path}: {browser_value!r} in the browser, {python_value!r} in CPython (rel {rel:g})"]
    if isinstance(python_value, dict):
        if not isinstance(browser_value, dict) or sorted(browser_value) != sorted(python_value):
            return [
                f"{path}: keys {sorted(browser_value) if isinstance(browser_value, dict) else browser_value!r} "
                f"in the browser, {sorted(python_value)} in CPython"
            ]
        return [d for k in python_value for d in differences(browser_value[k], python_value[k], f"{path}.{k}", rel)]
    if isinstance(python_value, list):
        if not isinstance(browser_value, list) or len(browser_value) != len(python_value):
            return [
                f"{path}: {len(browser_value) if isinstance(browser_value, list) else browser_value!r} "
                f"items in the browser, {len(python_value)} in CPython"
            ]
        return [
            d
            for i, (a, b) in enumerate(zip(browser_value, python_value))
            for d in differences(a, b, f"{path}[{i}]", rel)
        ]
    if browser_value == python_value:
        return []
    if (
        isinstance(browser_value, str)
        and isinstance(python_value, str)
        and texts_close(browser_value, python_value, rel)
    ):
        return []
    return [f"{path}: {browser_value!r} in the browser, {python_value!r} in CPython"]


# A number as a widget prints it: a true or ASCII minus, thousands separators, decimals, an exponent.
PRINTED_NUMBER = re.compile(r"[−-]?\d[\d,]*(?:\.\d+)?(?:e[−+-]?\d+)?")


def printed_value(text: str) -> tuple[float, float]:
    """A printed number -> (its value, one unit of its last printed digit)."""
    mantissa, _, exponent = text.replace("−", "-").replace(",", "").partition("e")
    decimals = len(mantissa.partition(".")[2])
    scale = 10.0 ** int(exponent) if exponent else 1.0
    return float(mantissa) * scale, 10.0**-decimals * scale


def texts_close(a: str, b: str, rel: float) -> bool:
    """Two texts that are the same words around the same numbers, each pair within rel (relative) or one
    unit of the last digit printed (a float32 value computed in another order may round the other way), or
    both within 1e-12 of each other, as floats are (the size of rounding noise is itself noise).
    Widgets print what Python computed, so this is where float32 noise meets formatted text."""
    if PRINTED_NUMBER.sub("#", a) != PRINTED_NUMBER.sub("#", b):
        return False
    for x, y in zip(PRINTED_NUMBER.findall(a), PRINTED_NUMBER.findall(b)):
        (vx, ux), (vy, uy) = printed_value(x), printed_value(y)
        if abs(vx - vy) > max(rel * max(abs(vx), abs(vy)), ux, uy, 1e-12) * (1 + 1e-9):  # 1e-12: as for floats
            return False
    return True
