"""Every page in headless Chromium: live widgets, no console errors, nothing fetched off the origin,
browser results equal to CPython's, the glassbox.py contract, the console, and graceful failure."""

import json
import math
from pathlib import Path

import pytest

import build
from tests.browser.conftest import memory

ROOT = Path(build.__file__).resolve().parent
CHAPTERS, WIDGETS_DIR = build.Options().chapters, build.Options().widgets
WIDGETS = build.load_widgets(WIDGETS_DIR)
PAGES = ["index.html"] + [build.parse_chapter(p).filename for p in sorted(CHAPTERS.glob("*.md"))]


def page_with(widget_name: str) -> str:
    for p in sorted(CHAPTERS.glob("*.md")):
        ch = build.parse_chapter(p)
        if any(b.kind == "widget" and b.name == widget_name for b in ch.blocks):
            return ch.filename
    raise LookupError(widget_name)


def assert_same(browser_value, python_value, path="result", rel=1e-9):
    """Exact for ints, strings and structure; floats within a stated relative tolerance."""
    if isinstance(python_value, float) or isinstance(browser_value, float):
        assert math.isclose(browser_value, python_value, rel_tol=rel, abs_tol=1e-12), path
    elif isinstance(python_value, dict):
        assert sorted(browser_value) == sorted(python_value), path
        for k in python_value:
            assert_same(browser_value[k], python_value[k], f"{path}.{k}", rel)
    elif isinstance(python_value, list):
        assert len(browser_value) == len(python_value), path
        for i, (a, b) in enumerate(zip(browser_value, python_value)):
            assert_same(a, b, f"{path}[{i}]", rel)
    else:
        assert browser_value == python_value, path


@pytest.mark.parametrize("path", PAGES)
def test_page_goes_live_without_errors_or_foreign_requests(page, path):
    page.watch.open(path)
    states = page.eval_on_selector_all("figure.widget", "els => els.map(e => e.dataset.state)")
    assert all(s == "live" for s in states)
    page.wait_for_timeout(300)
    assert page.watch.errors == []
    assert page.watch.foreign == []


@pytest.mark.parametrize("name", sorted(WIDGETS))
def test_widget_in_browser_equals_cpython(page, name):
    module = WIDGETS[name].module
    examples = [module.DEFAULTS] + list(getattr(module, "EXAMPLES", []))
    assert len(examples) >= 3, f"{name}: give EXAMPLES (at least two param sets besides DEFAULTS)"
    page.watch.open(page_with(name))
    for params in examples:
        params = {**module.DEFAULTS, **params}
        in_browser = page.evaluate("([n, p]) => glassbox.compute(n, p)", [name, params])
        in_python = json.loads(json.dumps(module.compute(params)))
        in_browser.pop("measured", None), in_python.pop("measured", None)  # wall-clock times differ
        assert_same(in_browser, in_python, f"{name}{params}", getattr(module, "REL_TOL", 1e-9))
    assert page.watch.errors == []


def wait_idle(page, name):
    page.wait_for_function("""(n) => { const i = glassbox.instances.find(i => i.name === n);
        return i && !i.inFlight && !i.latest; }""", arg=name)


@pytest.mark.parametrize("name", sorted(WIDGETS))
def test_every_control_at_min_middle_max_changes_the_output_without_errors(page, name):
    page.watch.open(page_with(name))
    fig = page.locator(f'figure[data-widget="{name}"]').first
    out = fig.locator(".widget-output")
    # the model switch's radios are not sliders: tests/browser/test_smollm2.py checks them with the model loaded
    controls = fig.locator("[data-param]:not([type=radio])").all()
    kinds = [c.get_attribute("type") or c.evaluate("e => e.tagName.toLowerCase()") for c in controls]
    # sliders first, on the default text; then the text fields, with strange input
    order = sorted(range(len(controls)), key=lambda i: kinds[i] in ("text", "textarea"))
    for control, kind in [(controls[i], kinds[i]) for i in order]:
        if kind in ("range", "number"):
            lo, hi = float(control.get_attribute("min")), float(control.get_attribute("max"))
            values = [hi, lo, (lo + hi) / 2]
            for v in values:
                before = out.inner_text()
                control.evaluate("(e, v) => { e.value = v; e.dispatchEvent(new Event('input', {bubbles: true})); }", v)
                wait_idle(page, name)
                if lo != hi and kind == "range":
                    assert out.inner_text() != before or v == values[-1], f"{name}: range at {v} changed nothing"
        elif kind == "checkbox":
            before = out.inner_text()
            control.click()
            wait_idle(page, name)
            control.click()
            wait_idle(page, name)
        elif kind == "select":
            for opt in control.locator("option").all():
                control.select_option(opt.get_attribute("value"))
                wait_idle(page, name)
        else:
            for v in ["", "x", "<img src=x onerror=alert(1)><script>alert(2)</script>", "🙂" * 500]:
                control.fill(v)
                wait_idle(page, name)
        text = out.inner_text()
        assert "NaN" not in text and "undefined" not in text, f"{name}: bad value on screen"
    # reader text is never parsed as HTML
    assert fig.locator(".widget-output img, .widget-output script").count() == 0
    for button in fig.locator("button").all():
        if button.is_enabled():
            button.click()
            wait_idle(page, name)
    assert page.watch.errors == []


def test_glassbox_py_contract(page):
    page.watch.open(PAGES[0])
    assert page.evaluate("() => glassbox.py('1 + 1')") == 2
    assert page.evaluate("() => glassbox.py('x = 3\\nx * 2.5')") == 7.5
    assert page.evaluate("() => glassbox.py('np.arange(4).reshape(2, 2)')") == [[0, 1], [2, 3]]
    assert page.evaluate("() => glassbox.py('{\"a\": (1, None), \"b\": [True]}')") == {"a": [1, None], "b": [True]}
    assert page.evaluate("() => glassbox.py('import llm_core; llm_core.__version__')") == "0.1.0"
    assert page.evaluate("() => glassbox.py('x = 1')") is None
    err = page.evaluate("() => glassbox.py('1/0').then(() => 'resolved', e => e.message)")
    assert "Traceback" in err and "ZeroDivisionError" in err
    err = page.evaluate("() => glassbox.py('def (').then(() => 'resolved', e => e.message)")
    assert "SyntaxError" in err
    err = page.evaluate("() => glassbox.py('raise SystemExit(3)').then(() => 'resolved', e => e.message)")
    assert "SystemExit" in err
    # the worker survives all of that
    assert page.evaluate("() => glassbox.py('x + 41')") == 42
    assert page.watch.errors == []


def test_console_runs_python_with_history_and_tracebacks(page):
    page.watch.open(PAGES[-1])
    page.click("#console summary")
    box = page.locator("#console-input")
    page.wait_for_function("() => !document.getElementById('console-input').disabled")
    box.fill("enc = tokenizer.get_encoding('r50k_base')\nprint('hi')\nenc.encode('hello world')")
    box.press("Enter")
    log = page.locator(".console-log")
    page.wait_for_function("() => document.querySelector('.console-log .console-result')")
    assert "[31373, 995]" in log.inner_text() and "hi" in log.inner_text()
    box.fill("undefined_name")
    box.press("Enter")
    page.wait_for_function("() => document.querySelector('.console-log .console-error')")
    assert "NameError" in page.locator(".console-error").inner_text()
    box.press("ArrowUp")
    assert box.input_value() == "undefined_name"
    box.press("ArrowUp")
    assert box.input_value().startswith("enc = tokenizer")
    box.press("ArrowDown")
    box.press("ArrowDown")
    assert box.input_value() == ""
    assert page.watch.errors == []


def test_a_page_without_widgets_starts_python_only_when_the_console_opens(page):
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.watch.open("index.html", live=False)
    page.wait_for_load_state("load")
    page.wait_for_timeout(500)
    assert not any("/pyodide/" in url for url in requests), "the contents page downloaded Python"
    assert page.evaluate("() => glassbox.started") is False
    assert "open the console" in page.locator("#console-status").text_content()
    page.click("#console summary")
    page.wait_for_function("() => !document.getElementById('console-input').disabled", timeout=90_000)
    assert any("/pyodide/" in url for url in requests)
    assert page.watch.errors == []


def test_python_starts_before_the_chapter_is_parsed_and_data_waits_for_the_packages(page):
    # The worker is created from the page's head, so Python downloads while the chapter is parsed; data
    # files (here three vocabularies) start only once numpy and llm_core are in, and calls wait for them.
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.watch.open("tokenization.html")
    t = page.evaluate("""() => ({
        worker: performance.getEntriesByName('glassbox:worker')[0].startTime,
        parsed: performance.getEntriesByType('navigation')[0].domInteractive,
        timing: glassbox.timing })""")
    assert t["worker"] < t["parsed"]
    assert 0 < t["timing"]["pyodide"] <= t["timing"]["packages"] <= t["timing"]["runtime"]
    vocab = [u for u in requests if u.endswith(".tiktoken")]
    llm_core = [u for u in requests if "/llm_core-" in u]
    assert len(vocab) == 3 and llm_core and requests.index(llm_core[0]) < requests.index(vocab[0])
    # the first call waits for them: the reader's text comes back encoded with all three
    result = page.evaluate("() => glassbox.compute('tokenizer_compare', {text: 'hello world'})")
    assert len(result["encodings"]) == 3
    assert page.watch.errors == []


def test_rapid_input_keeps_one_call_in_flight_and_latest_wins(page):
    name = "tokenizer_compare"
    page.watch.open(page_with(name))
    texts = [f"draft number {i} of a sentence" for i in range(40)]
    page.evaluate("""([sel, texts]) => {
        const f = document.querySelector(sel);
        for (const t of texts) { f.value = t; f.dispatchEvent(new Event('input', {bubbles: true})); }
    }""", [f'figure[data-widget="{name}"] [data-param="text"]', texts])
    page.wait_for_function("""(sel) => { const i = glassbox.instances.find(i => i.el.matches(sel));
        return !i.inFlight && !i.latest && i.params.text === 'draft number 39 of a sentence'; }""",
                           arg=f'figure[data-widget="{name}"]')
    stats = page.evaluate("""(sel) => { const i = glassbox.instances.find(i => i.el.matches(sel));
        return {calls: i.calls, max: i.maxConcurrent}; }""", f'figure[data-widget="{name}"]')
    assert stats["max"] == 1
    assert 1 <= stats["calls"] < len(texts), "intermediate params should have been coalesced"
    assert page.watch.errors == []


def test_a_change_after_the_same_input_computes_once(page):
    """Releasing a slider fires "change" with the value its last "input" already sent: one call, not two;
    a change to a new value is still computed."""
    name = "tokenizer_compare"
    page.watch.open(page_with(name))
    sel = f'figure[data-widget="{name}"]'
    calls = page.evaluate("""async ([sel, texts]) => {
        const fig = document.querySelector(sel), f = fig.querySelector('[data-param="text"]');
        const inst = glassbox.instances.find((i) => i.el === fig), before = inst.calls;
        const idle = () => new Promise((resolve) => { const t = setInterval(() => {
            if (!inst.inFlight && !inst.latest) { clearInterval(t); resolve(); } }, 20); });
        f.value = texts[0];
        f.dispatchEvent(new Event('input', {bubbles: true}));
        f.dispatchEvent(new Event('change', {bubbles: true}));   // in flight: the same params
        await idle();
        f.dispatchEvent(new Event('change', {bubbles: true}));   // drawn: still the same params
        await idle();
        const same = inst.calls - before;
        f.value = texts[1];
        f.dispatchEvent(new Event('change', {bubbles: true}));   // a new value, by change alone
        await idle();
        return [same, inst.calls - before, inst.params.text];
    }""", [sel, ["released here", "then changed"]])
    assert calls == [1, 2, "then changed"]
    assert page.watch.errors == []


def test_without_javascript_every_page_is_complete(browser, base_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    for path in PAGES:
        page.goto(base_url + path)
        assert page.locator("h1").count() == 1
        for fig in page.locator("figure.widget").all():
            assert fig.get_attribute("data-state") == "static"
            assert fig.locator(".widget-output").inner_text().strip(), f"{path}: empty pre-rendered widget"
    context.close()


def test_when_pyodide_cannot_load_widgets_say_why_and_keep_the_figure(browser, base_url):
    context = browser.new_context()
    context.route("**/pyodide/**", lambda route: route.abort())
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    path = PAGES[-1]
    page.goto(base_url + path)
    page.wait_for_function(
        "() => [...document.querySelectorAll('figure.widget')].every(f => f.dataset.state === 'error')", timeout=30_000)
    for fig in page.locator("figure.widget").all():
        assert "unavailable" in fig.locator(".widget-status-text").inner_text()
        assert fig.locator(".widget-output").inner_text().strip()
    page.click("#console summary")
    assert "unavailable" in page.locator("#console-status").inner_text()
    assert errors == []
    context.close()


def test_a_dead_or_stuck_worker_is_offered_a_restart(page):
    page.watch.open("loss.html")
    fig = page.locator('figure[data-widget="neg_log"]').first
    # An uncaught error in the worker's own event loop: to the page, the worker has died.
    page.evaluate("""() => glassbox.py("import js\\njs.eval('setTimeout(() => { throw new Error(\\"boom\\"); }, 0)')")""")
    restart = fig.locator(".widget-restart")
    restart.wait_for()
    assert "Python stopped in this page" in fig.locator(".widget-status").inner_text()
    restart.click()
    page.wait_for_function("() => [...document.querySelectorAll('figure.widget')].every(f => f.dataset.state === 'live')")
    assert page.evaluate("() => glassbox.compute('neg_log', {p: 0.5}).then(r => r.nats)") == pytest.approx(math.log(2))
    # An endless loop typed in the console: the widget's next call waits, then offers the restart.
    page.evaluate("() => { glassbox.stuckAfterMs = 1000; glassbox.py('while True: pass').catch(() => {}); }")
    fig.locator('[data-param="p"]').evaluate("e => { e.value = 0.7; e.dispatchEvent(new Event('input', {bubbles: true})); }")
    restart.wait_for()
    assert "Still computing" in fig.locator(".widget-status").inner_text()
    restart.click()
    page.wait_for_function("() => [...document.querySelectorAll('figure.widget')].every(f => f.dataset.state === 'live')")
    wait_idle(page, "neg_log")
    assert fig.locator(".widget-restart").count() == 0
    assert page.evaluate("() => glassbox.instances.find(i => i.name === 'neg_log').result.p") == pytest.approx(0.7)
    assert page.watch.errors == []


MOVES_JS = """async ([name, n]) => {
    const fig = document.querySelector(`figure[data-widget="${name}"]`);
    const ranges = [...fig.querySelectorAll('input[type=range][data-param]')];
    for (let i = 0; i < n; i++) {
        const r = ranges[i % ranges.length];
        const lo = Number(r.min), hi = Number(r.max);
        const drawn = new Promise((resolve) => fig.addEventListener('glassbox:drawn', resolve, { once: true }));
        r.value = String(lo + (hi - lo) * ((i * 7919) % 101) / 100);
        r.dispatchEvent(new Event('input', { bubbles: true }));
        await Promise.race([drawn, new Promise((res) => setTimeout(res, 5000))]);
    }
}"""
@pytest.mark.parametrize("path, name", [("sampling.html", "next_token"), ("tokenization.html", "bpe_stepper")])
def test_hundreds_of_moves_do_not_grow_memory(page, path, name):
    """After a warm-up, 200 more slider moves leave the page's JS heap, the worker's memory in use and its
    count of Python objects where they were (no leaked PyProxies, results or caches)."""
    page.watch.open(path)
    page.evaluate(MOVES_JS, [name, 60])
    m0 = memory(page)
    page.evaluate(MOVES_JS, [name, 200])
    m1 = memory(page)
    assert m1["heap"] - m0["heap"] < 2 * 2**20, f"JS heap grew {m0['heap']:,} -> {m1['heap']:,} bytes"
    assert m1["used"] - m0["used"] <= 2**20, f"worker memory in use grew {m0['used']:,} -> {m1['used']:,} bytes"
    assert m1["objects"] - m0["objects"] < 500, f"Python objects grew {m0['objects']:,} -> {m1['objects']:,}"
    assert page.watch.errors == []
