"""Every page of the site in headless Chromium, each loaded once: the checks of a page share one visit.

A page goes live in seconds (Pyodide, numpy, llm_core, data files), more than most checks made on it, so
each page is opened once in a browser context of its own (the `chapter` fixture, conftest.py) and these
tests run on it one after the other, in the order they are written here:

1. the contents page downloads no Python until its console is opened (it must come first: every later
   check starts Python);
2. the page goes live without console errors or requests to other origins; every pre-rendered figure
   (drawn by the build with the widget's own draw() under node) equals the same draw run here on the
   result the build stored;
3. Python starts while the chapter is still being parsed, data files after the packages (tokenization);
4. axe-core finds no serious or critical issue on a 1280 px desktop in light mode, then on a 390 px phone
   in dark mode (the same page, emulated as a phone with touch and then put back), where the page must
   not scroll sideways and touch targets must be at least 44 px tall;
5. for every widget, on the first page that places it: compute in the browser equals CPython for its
   DEFAULTS and EXAMPLES (CPython computes while the browser does);
6. for every such widget: every control at its max, min and middle, menus and radio buttons through their
   choices, checkboxes flipped and back, text fields through empty, odd, HTML-payload, long and
   test_robustness.py's strange text, each result waited for: ranges change the output, the figure
   stays live and shows nothing of BAD_ON_SCREEN (NaN, undefined, a traceback...), reader text never
   becomes markup or runs as script; then each of the widget's buttons pressed. The controls are then
   put back as the page opened. This sweep is also test_robustness.py's warm-up on this visit;
7. for every widget with a text field: after odd typed text, light and dark, no colour-contrast finding
   by axe, and every chip mark (· → ↵ and hex bytes, which axe leaves undecided) at 4.5:1 or more
   against the shade behind it.

Then test_robustness.py's sweep runs on the same visit, and so do test_pages.py's, test_model.py's and
test_tokenization.py's tests that ask for the `chapter` of their page (conftest.py's collection hook puts
a page's tests together, in module order: this module first). Each test reports every problem it finds,
naming the page, the widget, the control and the value; console errors that arrive after a passing
test's own checks fail that test at teardown (conftest.py), so none is lost and none is blamed on the
next test.
"""

import json
import re

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import (
    BAD_ON_SCREEN,
    DESKTOP,
    PAGES,
    PAGES_WITH_WIDGETS,
    STRANGE_TEXT,
    WIDGET_PAGES,
    WIDGETS,
    cdp,
    differences,
    on,
    wait_idle,
)

PHONE = {"width": 390, "height": 844}
AXE = Axe()


def fail_with(problems: list[str], most: int = 30):
    if problems:
        more = f"\n... and {len(problems) - most} more" if len(problems) > most else ""
        pytest.fail(f"{len(problems)} problem(s):\n" + "\n".join(problems[:most]) + more, pytrace=False)


# -- 1-3: going live ---------------------------------------------------------------------------------


@pytest.mark.parametrize("chapter", on("index.html"), indirect=True)
def test_a_page_without_widgets_starts_python_only_when_the_console_opens(chapter):
    page = chapter
    page.wait_for_load_state("load")
    # glassbox.js decides in the page's head whether to start the worker; after "load" it has decided.
    assert page.evaluate("() => glassbox.started") is False, (
        "Python already runs on the contents page: either the page started it, or a check that starts it "
        "ran before this one on the same visit (this test must be the page's first)"
    )
    assert not any("/pyodide/" in url for url in page.watch.requests), "the contents page downloaded Python"
    assert "open the console" in page.locator("#console-status").text_content()
    page.click("#console summary")
    page.wait_for_function("() => !document.getElementById('console-input').disabled", timeout=90_000)
    assert any("/pyodide/" in url for url in page.watch.requests)
    assert page.watch.errors == []


@pytest.mark.parametrize("chapter", PAGES, indirect=True)
def test_page_goes_live_without_errors_or_foreign_requests(chapter):
    chapter.watch.live()
    chapter.watch.idle()  # what going live sent is computed and drawn
    assert chapter.watch.errors == []
    assert chapter.watch.foreign == []


# For each figure of the page as the build wrote it: the same figure with an empty .widget-output, drawn
# here by the widget's own draw() with the result the build stored (CPython's), must equal the built one.
# Both are drawn by that one function (the build runs it under node, sitebuild/figures.py); this proves
# that jsdom and Chromium agree on what it draws, for every instance. Style attributes are compared as
# Chromium serialises them (jsdom's CSS serialisation may differ in spacing).
SAME_AS_BUILT = """async () => {
  const built = new DOMParser().parseFromString(await (await fetch(location.href)).text(), "text/html");
  const normal = (node) => {
    node.querySelectorAll("[style]").forEach((e) => e.setAttribute("style", e.style.cssText));
    node.normalize();
    return node;
  };
  const path = (node, root) => {
    const steps = [];
    for (let n = node; n && n !== root; n = n.parentNode) {
      steps.unshift(n.nodeType === 1 ? n.tagName.toLowerCase() + (n.className && n.className.baseVal === undefined
        ? "." + String(n.className).split(" ")[0] : "") : "#text");
    }
    return steps.join(" > ");
  };
  const firstDifference = (a, b, root) => {
    if (a.nodeType !== b.nodeType || a.nodeName !== b.nodeName) return path(a, root) + ": " + a.nodeName + " vs " + b.nodeName;
    if (a.nodeType === 3) return a.data === b.data ? null : path(a, root) + ": " + JSON.stringify(a.data.slice(0, 80)) + " vs " + JSON.stringify(b.data.slice(0, 80));
    if (a.nodeType === 1) {
      const names = new Set([...a.getAttributeNames(), ...b.getAttributeNames()]);
      for (const k of names) {
        if (a.getAttribute(k) !== b.getAttribute(k)) return path(a, root) + " [" + k + "]: " + a.getAttribute(k) + " vs " + b.getAttribute(k);
      }
    }
    const n = Math.max(a.childNodes.length, b.childNodes.length);
    for (let i = 0; i < n; i++) {
      if (!a.childNodes[i] || !b.childNodes[i]) return path(a, root) + ": " + a.childNodes.length + " vs " + b.childNodes.length + " children";
      const d = firstDifference(a.childNodes[i], b.childNodes[i], root);
      if (d) return d;
    }
    return null;
  };
  const problems = [];
  for (const inst of glassbox.instances) {
    const fig = built.getElementById(inst.el.id);
    const state = JSON.parse(fig.querySelector("script.widget-data").textContent);
    const fresh = document.importNode(fig, true);
    fresh.querySelector(".widget-output").replaceChildren();
    inst.spec.draw(fresh, state.result, state.params);
    const a = normal(document.importNode(fig, true).querySelector(".widget-body"));
    const b = normal(fresh.querySelector(".widget-body"));
    if (!a.isEqualNode(b)) problems.push(inst.el.id + " (built vs drawn here): " + firstDifference(a, b, a));
  }
  return [glassbox.instances.length, problems];
}"""


@pytest.mark.parametrize("chapter", PAGES_WITH_WIDGETS, indirect=True)
def test_every_prerendered_figure_is_what_its_widgets_draw_gives(chapter):
    page = chapter.watch.live()
    n, problems = page.evaluate(SAME_AS_BUILT)
    assert n == len(page.query_selector_all("figure.widget")) > 0
    fail_with([f"{chapter.path}: {p}" for p in problems])


@pytest.mark.parametrize("chapter", on("tokenization.html"), indirect=True)
def test_python_starts_before_the_chapter_is_parsed_and_data_waits_for_the_packages(chapter):
    # The worker is created from the page's head, so Python downloads while the chapter is parsed; data
    # files (here three vocabularies and SmolLM2's tokenizer) start only once numpy and llm_core are in,
    # and calls wait for them.
    page = chapter.watch.live()
    requests = page.watch.requests
    t = page.evaluate("""() => ({
        worker: performance.getEntriesByName('glassbox:worker')[0].startTime,
        parsed: performance.getEntriesByType('navigation')[0].domInteractive,
        timing: glassbox.timing })""")
    assert t["worker"] < t["parsed"]
    assert 0 < t["timing"]["pyodide"] <= t["timing"]["packages"] <= t["timing"]["runtime"]
    vocab = [u for u in requests if u.endswith(".tiktoken") or u.endswith("/smollm2/tokenizer.json")]
    llm_core = [u for u in requests if "/llm_core-" in u]
    assert len(vocab) == 4 and llm_core and requests.index(llm_core[0]) < min(map(requests.index, vocab))
    # the first call waits for them: the reader's text comes back encoded with all four
    result = page.evaluate("() => glassbox.compute('tokenizer_compare', {text: 'hello world'})")
    assert len(result["encodings"]) == 4
    assert page.watch.errors == []


# -- 4: accessibility ----------------------------------------------------------------------------------

# Controls a reader touches: their box (or, for a checkbox, its label's) must be at least 44 px tall.
SMALL_TARGETS = """() => [...document.querySelectorAll(
        '.widget input, .widget select, .widget button, .widget summary, .site-nav a, .prev-next a')]
    .filter((e) => e.offsetParent !== null && e.type !== 'hidden')
    .map((e) => [e, (e.type === 'checkbox' || e.type === 'radio') ? (e.closest('label') || e.labels[0] || e) : e])
    .filter(([e, target]) => target.getBoundingClientRect().height < 43.5)
    .map(([e]) => (e.closest('figure') ? e.closest('figure').dataset.widget + ' ' : '') + e.tagName.toLowerCase()
         + (e.dataset.param ? '[' + e.dataset.param + ']' : e.className ? '.' + e.className : ''))"""

# Opens every <details> (axe checks what is inside too) -> the ones it opened, to be closed again after.
OPEN_DETAILS = """() => [...document.querySelectorAll('details')].filter((d) => !d.open)
    .map((d) => { d.open = true; return d; })"""
FRAMES = "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"


def emulate_phone(page, phone: bool):
    """The page as a context made with is_mobile and has_touch shows it at 390 px (what Playwright sends
    for those, sent here to the live page), or back to the context's desktop. The page's own resize
    handler runs (formulas wider than the screen become focusable regions)."""
    size = PHONE if phone else DESKTOP
    cdp(page).send(
        "Emulation.setDeviceMetricsOverride",
        {**size, "screenWidth": size["width"], "screenHeight": size["height"], "deviceScaleFactor": 1, "mobile": phone},
    )
    cdp(page).send("Emulation.setTouchEmulationEnabled", {"enabled": phone, "maxTouchPoints": 1})
    page.evaluate(FRAMES)


@pytest.mark.parametrize("chapter, scheme", [(p, s) for p in PAGES for s in ("light", "dark")], indirect=["chapter"])
def test_no_serious_accessibility_violations(chapter, scheme):
    page = chapter.watch.live()
    phone = scheme == "dark"  # dark mode on a 390 px phone, light on a desktop: both seen, half the runs
    page.emulate_media(color_scheme=scheme)
    if phone:
        emulate_phone(page, True)
    opened = page.evaluate_handle(OPEN_DETAILS)
    try:
        results = AXE.run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "best-practice"]}})
        bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        assert not bad, "\n".join(
            f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:5]}" for v in bad
        )
        if phone:
            assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"], (
                "the page scrolls sideways"
            )
            small = page.evaluate(SMALL_TARGETS)
            assert not small, f"touch targets under 44 px on a phone: {small[:8]}"
    finally:
        opened.evaluate("(ds) => ds.forEach((d) => { d.open = false; })")
        if phone:
            emulate_phone(page, False)
        page.emulate_media(color_scheme="light")


# -- 5: the browser computes what CPython computes ------------------------------------------------------

# Starts the browser's computations and returns at once: window.glassboxExpected settles to, per params,
# {value} or {error}. The worker is idle, so nothing else waits for them.
START_COMPUTES = """([name, examples]) => {
    window.glassboxExpected = Promise.allSettled(examples.map((p) => glassbox.compute(name, p)))
        .then((all) => all.map((r) => r.status === 'fulfilled' ? { value: r.value } : { error: r.reason.message }));
}"""


@pytest.mark.parametrize("chapter, name", WIDGET_PAGES, indirect=["chapter"])
def test_widget_in_browser_equals_cpython(chapter, name):
    module = WIDGETS[name].module
    examples = [module.DEFAULTS] + list(getattr(module, "EXAMPLES", []))
    assert len(examples) >= 3, f"{name}: give EXAMPLES (at least two param sets besides DEFAULTS)"
    examples = [{**module.DEFAULTS, **params} for params in examples]
    page = chapter.watch.live()
    page.evaluate(START_COMPUTES, [name, examples])
    in_python = [json.loads(json.dumps(module.compute(params))) for params in examples]
    in_browser = page.evaluate("() => window.glassboxExpected")
    problems = []
    for params, got, expected in zip(examples, in_browser, in_python):
        if "error" in got:
            problems.append(f"{chapter.path}: {name}{params}: the browser raised {got['error']}")
            continue
        got["value"].pop("measured", None), expected.pop("measured", None)  # wall-clock times differ
        problems += differences(
            got["value"], expected, f"{chapter.path}: {name}{params}", getattr(module, "REL_TOL", 1e-9)
        )
    fail_with(problems)
    assert page.watch.errors == []


# -- 6: every control at min, middle and max ----------------------------------------------------------

# Text fields get these, then test_robustness.py's strange text (which it then need not play again).
TEXTS = ["", "x", "<img src=x onerror=alert(1)><script>alert(2)</script>", "🙂" * 500]
TEXTS += [t for t in STRANGE_TEXT if t not in TEXTS]

# -> the figure's controls as the page has them now: [param, kind, value or checked]
CONTROL_STATE = """(fig) => [...fig.querySelectorAll('[data-param]')].map((c) => [c.dataset.param,
    c.tagName === 'SELECT' ? 'select' : c.tagName === 'TEXTAREA' ? 'textarea' : (c.type || 'text'),
    c.type === 'checkbox' || c.type === 'radio' ? c.checked : c.value])"""
# Puts the controls back (state as CONTROL_STATE gave it) and asks for one computation of it all.
RESTORE = """(fig, state) => {
    const controls = [...fig.querySelectorAll('[data-param]')];
    state.forEach(([param, kind, v], i) => { if (kind === 'checkbox' || kind === 'radio') controls[i].checked = v;
                                              else controls[i].value = v; });
    const enabled = controls.find((c) => !c.disabled);
    if (enabled) enabled.dispatchEvent(new Event('input', { bubbles: true }));
}"""
SET_VALUE = "(e, v) => { e.value = v; e.dispatchEvent(new Event('input', {bubbles: true})); }"


@pytest.mark.parametrize("chapter, name", WIDGET_PAGES, indirect=["chapter"])
def test_every_control_at_min_middle_max_changes_the_output_without_errors(chapter, name):
    page = chapter.watch.live()
    fig = page.locator(f'figure[data-widget="{name}"]').first
    out = fig.locator(".widget-output")
    where = f"{chapter.path}: {name}"
    initial = fig.evaluate(CONTROL_STATE)
    controls = fig.locator("[data-param]").all()
    problems = []

    def moved(param, value):
        """After a move: the widget answered, and the figure shows nothing it must not (BAD_ON_SCREEN)."""
        wait_idle(page, name)
        state, text = fig.evaluate("f => [f.dataset.state, f.innerText]")
        bad = BAD_ON_SCREEN.search(text)
        shown = value if not isinstance(value, str) or len(value) < 40 else value[:20] + "…"
        if state != "live":
            problems.append(f"{where}: {param} = {shown!r}: state {state}")
        if bad:
            at = " ".join(text[max(0, bad.start() - 80) : bad.end() + 80].split())
            problems.append(f"{where}: {param} = {shown!r}: {bad.group()!r} on screen: ...{at}...")

    # sliders first, on the default text; then the text fields, with strange input
    order = sorted(range(len(controls)), key=lambda i: initial[i][1] in ("text", "textarea"))
    for i in order:
        control, (param, kind, _) = controls[i], initial[i]
        if kind in ("range", "number"):
            lo, hi = float(control.get_attribute("min")), float(control.get_attribute("max"))
            step = control.get_attribute("step") or "1"
            middle = (lo + hi) / 2
            if step != "any":  # a value the control can hold: a number box keeps an off-step one, as typed
                middle = round(lo + round((middle - lo) / float(step)) * float(step), 10)
            values = [hi, lo, middle]
            for v in values:
                before = out.inner_text()
                control.evaluate(SET_VALUE, v)
                moved(param, v)
                if lo != hi and kind == "range" and out.inner_text() == before and v != values[-1]:
                    problems.append(f"{where}: range {param} at {v} changed nothing")
        elif kind == "checkbox":
            for flip in ("flipped", "back"):
                control.click()
                moved(param, flip)
        elif kind == "radio":
            if control.is_enabled():
                control.check()
                moved(param, control.get_attribute("value"))
        elif kind == "select":
            for opt in control.locator("option").all():
                value = opt.get_attribute("value")
                control.select_option(value)
                moved(param, value)
        else:
            for v in TEXTS:
                control.fill(v)
                moved(param, v)
    # reader text is never parsed as HTML, nor run
    if fig.locator(".widget-output img, .widget-output script").count():
        problems.append(f"{where}: reader text became markup")
    if page.watch.dialogs:
        problems.append(f"{where}: reader text ran as script: {page.watch.dialogs}")
    # The widget's own buttons. Not the model switch's (load 98 MB of SmolLM2, cancel): test_smollm2.py
    # tests those; nor a restart offer, which would only be there after a failure reported above.
    for button in fig.locator("button").all():
        if (
            button.is_enabled()
            and button.is_visible()
            and button.evaluate("b => !b.closest('[data-model-switch]') && !b.classList.contains('widget-restart')")
        ):
            label = button.inner_text()
            button.click()
            moved(f"button {label!r}", "pressed")
    fig.evaluate(RESTORE, initial)
    wait_idle(page, name)
    chapter.swept.add(name)
    fail_with(problems)
    assert page.watch.errors == [], f"{where}: console errors"


# -- 7: the figures stay readable with the reader's own text -------------------------------------------

# Spaces, a tab, a line break, accents, an emoji and a superscript: each becomes a chip with its own marks
# (· → ↵, hex for part of a character), which land on every shade a figure uses.
TYPED = "the  the\tend\n  ¿Qué? naïve 🙂 x² "
TEXT_WIDGET_PAGES = [
    (page, name)
    for page, name in WIDGET_PAGES
    if re.search(r'type="text"|<textarea', (WIDGETS[name].folder / f"{name}.html").read_text(encoding="utf-8"))
]
# axe leaves a one-character mark's contrast "incomplete" (too short to tell it is text), so the marks
# are measured here: each mark's colour against the first opaque background behind it (alpha composited),
# WCAG's relative luminance, at least 4.5:1.
MARK_CONTRAST = """(fig) => {
  const rgba = (s) => (s.match(/[\\d.]+/g) || [0, 0, 0, 0]).map(Number).concat([1]).slice(0, 4);
  const over = (top, bottom) => top.slice(0, 3).map((c, i) => c * top[3] + bottom[i] * (1 - top[3])).concat([1]);
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) { layers.push(c); if (c[3] === 1) break; }
    }
    return layers.reverse().reduce((below, c) => over(c, below), [255, 255, 255, 1]);
  };
  const lum = (c) => c.slice(0, 3).map((v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const bad = [];
  for (const m of fig.querySelectorAll(".widget-output .tok-w, .widget-output .tok-x")) {
    const bg = background(m), fg = over(rgba(getComputedStyle(m).color), bg);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    if (ratio < 4.5) bad.push([m.textContent, m.parentElement.closest("[class]").className, ratio.toFixed(2)]);
  }
  return bad;
}"""


@pytest.mark.parametrize("chapter, name", TEXT_WIDGET_PAGES, indirect=["chapter"])
def test_typed_text_keeps_every_colour_contrast_in_light_and_dark(chapter, name):
    """After the reader typed odd text, light then dark: axe's colour-contrast rule on the figure, and the
    chips' marks (which axe cannot judge) measured by MARK_CONTRAST. The default state is checked above,
    but typed text brings marks and shades the defaults may not show."""
    page = chapter.watch.live()
    fig = page.locator(f'figure[data-widget="{name}"]').first
    initial = fig.evaluate(CONTROL_STATE)
    fig.locator('input[type="text"][data-param], textarea[data-param]').first.fill(TYPED)
    wait_idle(page, name)
    problems = []
    try:
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            results = AXE.run(
                page,
                context="#" + fig.get_attribute("id"),
                options={"runOnly": {"type": "rule", "values": ["color-contrast"]}},
            )
            for v in results.response["violations"]:
                problems += [
                    f"{chapter.path}: {name} ({scheme}): {n['target']}: {n['failureSummary']}"[:300] for n in v["nodes"]
                ]
            problems += [
                f"{chapter.path}: {name} ({scheme}): mark {text!r} in .{cls.split()[0]}: {ratio}:1"
                for text, cls, ratio in fig.evaluate(MARK_CONTRAST)
            ]
    finally:
        page.emulate_media(color_scheme="light")
        fig.evaluate(RESTORE, initial)
        wait_idle(page, name)
    fail_with(sorted(set(problems)))
