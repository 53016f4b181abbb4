"""What the page runtime promises beyond each page's own checks (those are in test_chapters.py): the
glassbox.py contract, the console, rapid input coalescing, pages without JavaScript, widgets explaining
themselves when Pyodide cannot load, and a dead or stuck worker offered a restart.

Tests that only read or compute ask for their page's shared visit (`chapter`, conftest.py); those that
break a page on purpose (no JavaScript, Pyodide blocked, the worker killed) get a page of their own.
"""

import math

import pytest

from tests.browser.conftest import PAGES, PAGES_WITH_WIDGETS, on, page_with, wait_idle


@pytest.mark.parametrize("chapter", ["index.html"], indirect=True)
def test_glassbox_py_contract(chapter):
    page = chapter.watch.live()
    assert page.evaluate("() => glassbox.py('1 + 1')") == 2
    assert page.evaluate("() => glassbox.py('x = 3\\nx * 2.5')") == 7.5
    assert page.evaluate("() => glassbox.py('np.arange(4).reshape(2, 2)')") == [[0, 1], [2, 3]]
    assert page.evaluate('() => glassbox.py(\'{"a": (1, None), "b": [True]}\')') == {"a": [1, None], "b": [True]}
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


@pytest.mark.parametrize("chapter", PAGES[-1:], indirect=True)
def test_console_runs_python_with_history_and_tracebacks(chapter):
    page = chapter.watch.live()
    if not page.locator("#console[open]").count():
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


TOKENIZER_PAGE = on(page_with("tokenizer_compare") or "")


@pytest.mark.parametrize("chapter", TOKENIZER_PAGE, indirect=True)
def test_rapid_input_keeps_one_call_in_flight_and_latest_wins(chapter):
    name = "tokenizer_compare"
    page = chapter.watch.live()
    wait_idle(page, name)
    before = page.evaluate("(n) => glassbox.instances.find(i => i.name === n).calls", name)
    texts = [f"draft number {i} of a sentence" for i in range(40)]
    page.evaluate(
        """([sel, texts]) => {
        const f = document.querySelector(sel);
        for (const t of texts) { f.value = t; f.dispatchEvent(new Event('input', {bubbles: true})); }
    }""",
        [f'figure[data-widget="{name}"] [data-param="text"]', texts],
    )
    page.wait_for_function(
        """(sel) => { const i = glassbox.instances.find(i => i.el.matches(sel));
        return !i.inFlight && !i.latest && i.params.text === 'draft number 39 of a sentence'; }""",
        arg=f'figure[data-widget="{name}"]',
    )
    stats = page.evaluate(
        """(sel) => { const i = glassbox.instances.find(i => i.el.matches(sel));
        return {calls: i.calls, max: i.maxConcurrent}; }""",
        f'figure[data-widget="{name}"]',
    )
    assert stats["max"] == 1
    assert 1 <= stats["calls"] - before < len(texts), "intermediate params should have been coalesced"
    assert page.watch.errors == []


@pytest.mark.parametrize("chapter", TOKENIZER_PAGE, indirect=True)
def test_a_change_after_the_same_input_computes_once(chapter):
    """Releasing a slider fires "change" with the value its last "input" already sent: one call, not two;
    a change to a new value is still computed."""
    name = "tokenizer_compare"
    page = chapter.watch.live()
    wait_idle(page, name)
    sel = f'figure[data-widget="{name}"]'
    calls = page.evaluate(
        """async ([sel, texts]) => {
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
    }""",
        [sel, ["released here", "then changed"]],
    )
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
    path = PAGES_WITH_WIDGETS[-1]  # a page that places widgets (the glossary, last of PAGES, has none)
    page.goto(base_url + path)
    page.wait_for_function(
        "() => [...document.querySelectorAll('figure.widget')].every(f => f.dataset.state === 'error')", timeout=30_000
    )
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
    page.evaluate(
        """() => glassbox.py("import js\\njs.eval('setTimeout(() => { throw new Error(\\"boom\\"); }, 0)')")"""
    )
    restart = fig.locator(".widget-restart")
    restart.wait_for()
    assert "Python stopped in this page" in fig.locator(".widget-status").inner_text()
    restart.click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('figure.widget')].every(f => f.dataset.state === 'live')"
    )
    assert page.evaluate("() => glassbox.compute('neg_log', {p: 0.5}).then(r => r.nats)") == pytest.approx(math.log(2))
    # An endless loop typed in the console: the widget's next call waits, then offers the restart.
    page.evaluate("() => { glassbox.stuckAfterMs = 1000; glassbox.py('while True: pass').catch(() => {}); }")
    fig.locator('[data-param="p"]').evaluate(
        "e => { e.value = 0.7; e.dispatchEvent(new Event('input', {bubbles: true})); }"
    )
    restart.wait_for()
    assert "Still computing" in fig.locator(".widget-status").inner_text()
    restart.click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('figure.widget')].every(f => f.dataset.state === 'live')"
    )
    wait_idle(page, "neg_log")
    assert fig.locator(".widget-restart").count() == 0
    assert page.evaluate("() => glassbox.instances.find(i => i.name === 'neg_log').result.p") == pytest.approx(0.7)
    assert page.watch.errors == []
