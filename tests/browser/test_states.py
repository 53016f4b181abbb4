"""Every state accessible: figures at their controls' extremes, every control from the keyboard, reduced motion.

test_chapters.py checks each page with axe as it opens (the default state) and after typed text; a figure
can still fail once a slider is at its end (a bar at full width under its label, a shade at its darkest)
or a control can be reachable only with the mouse. On the same shared visit of each page:

1. for every widget, on the first page that places it: all its ranges and number boxes at their max, then
   at their min; each time axe (WCAG 2 A and AA, best practices; serious and critical findings) on the
   figure, in light and in dark;
2. for every such widget: Tab from the element before the figure reaches each of its enabled, visible
   controls (one per radio group), and each is operated with keys alone (a range: End then Home; a number
   box: ArrowUp; a menu: ArrowDown, or ArrowUp at its last choice; a checkbox: Space; a radio group:
   ArrowRight; a text field: typing). Each key press changes the control's value and the widget answers
   live, with nothing of BAD_ON_SCREEN;
3. on every page, with prefers-reduced-motion: reduce, no element runs an animation or a transition.

The controls are put back as the page opened after each widget.
"""

import pytest

from tests.browser.conftest import BAD_ON_SCREEN, PAGES, WIDGET_PAGES, wait_idle
from tests.browser.test_chapters import AXE, CONTROL_STATE, RESTORE, fail_with

# Sets every range and number box of the figure to its max (or min), then asks for one computation.
TO_EXTREME = """(fig, end) => {
    const controls = [...fig.querySelectorAll('input[type=range][data-param], input[type=number][data-param]')]
        .filter((c) => !c.disabled);
    controls.forEach((c) => { c.value = c.getAttribute(end); });
    if (controls.length) controls[0].dispatchEvent(new Event('input', { bubbles: true }));
    return controls.length;
}"""

# Focuses the last element before the figure that takes focus (after a blur: none, the page's start).
FOCUS_BEFORE = """(fig) => {
    const stops = [...document.querySelectorAll('a[href], button, input, select, textarea, [tabindex]')]
        .filter((e) => e.tabIndex >= 0 && !e.disabled && e.getClientRects().length
                       && (fig.compareDocumentPosition(e) & Node.DOCUMENT_POSITION_PRECEDING));
    if (document.activeElement) document.activeElement.blur();  // an earlier test may have left focus inside
    for (const e of stops.reverse()) { e.focus(); if (document.activeElement === e) return true; }
    return false;
}"""
# -> [inside the figure?, data-param or null, the element's index among the figure's [data-param] controls]
FOCUSED = """(fig) => { const a = document.activeElement;
    return [fig.contains(a), a ? a.tagName + '.' + a.className + '#' + (a.dataset.param || '') : null,
            [...fig.querySelectorAll('[data-param]')].indexOf(a)]; }"""
# -> per [data-param] control: [param, kind, should Tab reach it (enabled, visible, first of its radio group)]
TAB_STOPS = """(fig) => { const seen = new Set();
    return [...fig.querySelectorAll('[data-param]')].map((c) => {
        const kind = c.tagName === 'SELECT' ? 'select' : c.tagName === 'TEXTAREA' ? 'textarea' : (c.type || 'text');
        let expected = !c.disabled && c.getClientRects().length > 0 && getComputedStyle(c).visibility !== 'hidden';
        if (expected && kind === 'radio') { expected = !seen.has(c.name); seen.add(c.name); }
        return [c.dataset.param, kind, expected]; }); }"""
# Counts the input and change events the figure receives from now on (f.glassboxKeyEvents).
COUNT_EVENTS = """(f) => { f.glassboxKeyEvents = 0;
    if (!f.glassboxCounting) { f.glassboxCounting = true;
        for (const type of ['input', 'change']) f.addEventListener(type, () => { f.glassboxKeyEvents += 1; }); } }"""
VALUE = "(c) => c.type === 'checkbox' || c.type === 'radio' ? String(c.checked) + c.value : c.value"
GROUP_VALUE = (
    "(c) => { const on = [...document.getElementsByName(c.name)].find((r) => r.checked); return on && on.value; }"
)


def answered(page, fig, name, where, problems):
    wait_idle(page, name)
    state, text = fig.evaluate("f => [f.dataset.state, f.innerText]")
    if state != "live":
        problems.append(f"{where}: state {state}")
    bad = BAD_ON_SCREEN.search(text)
    if bad:
        problems.append(f"{where}: {bad.group()!r} on screen")


@pytest.mark.parametrize("chapter, name", WIDGET_PAGES, indirect=["chapter"])
def test_figures_at_their_controls_extremes_pass_axe_in_light_and_dark(chapter, name):
    page = chapter.watch.live()
    fig = page.locator(f'figure[data-widget="{name}"]').first
    initial = fig.evaluate(CONTROL_STATE)
    problems = []
    try:
        for end in ("max", "min"):
            if not fig.evaluate(TO_EXTREME, end):
                break  # no range or number box: the default state is test_chapters.py's
            answered(page, fig, name, f"{chapter.path}: {name} at {end}", problems)
            for scheme in ("light", "dark"):
                page.emulate_media(color_scheme=scheme)
                results = AXE.run(
                    page,
                    context="#" + fig.get_attribute("id"),
                    options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "best-practice"]}},
                )
                for v in results.response["violations"]:
                    if v["impact"] in ("serious", "critical"):
                        targets = [n["target"] for n in v["nodes"]][:4]
                        problems.append(f"{chapter.path}: {name} at {end} ({scheme}): {v['id']}: {v['help']} {targets}")
    finally:
        page.emulate_media(color_scheme="light")
        fig.evaluate(RESTORE, initial)
        wait_idle(page, name)
    fail_with(problems)
    assert page.watch.errors == []


@pytest.mark.parametrize("chapter, name", WIDGET_PAGES, indirect=["chapter"])
def test_every_control_is_reached_with_tab_and_works_from_the_keyboard(chapter, name):
    page = chapter.watch.live()
    fig = page.locator(f'figure[data-widget="{name}"]').first
    where = f"{chapter.path}: {name}"
    initial = fig.evaluate(CONTROL_STATE)
    stops = fig.evaluate(TAB_STOPS)
    controls = fig.locator("[data-param]").all()
    problems = []
    try:
        # Tab through the figure from the element before it, noting each control focused.
        fig.evaluate(FOCUS_BEFORE)
        reached, entered, path = [], False, []
        for _ in range(80):
            page.keyboard.press("Tab")
            inside, param, index = fig.evaluate(FOCUSED)
            path.append(param)
            if inside:
                entered = True
                if index >= 0:
                    reached.append(index)
            elif entered:
                break
        for i, (param, kind, expected) in enumerate(stops):
            if expected and i not in reached:
                problems.append(f"{where}: Tab never reaches the {kind} control {param!r} (focus went: {path[:12]})")
        # Operate each reached control with keys alone.
        for i in dict.fromkeys(reached):
            param, kind, _ = stops[i]
            control = controls[i]
            control.focus()
            if kind in ("text", "textarea"):
                keys = ["End", "a"]
            else:
                keys = {
                    "range": ["End", "Home"],
                    "number": ["ArrowUp"],
                    "checkbox": [" "],
                    "radio": ["ArrowRight"],
                    "select": ["ArrowDown"],
                }.get(kind, [])
            read = GROUP_VALUE if kind == "radio" else VALUE
            for key in keys:
                before = control.evaluate(read)
                if kind == "select" and control.evaluate("s => s.selectedIndex === s.options.length - 1"):
                    key = "ArrowUp"
                if kind == "number" and before and float(before) >= float(control.get_attribute("max")):
                    key = "ArrowDown"  # at its max, or over it as typed (a number box keeps what was typed)
                fig.evaluate(COUNT_EVENTS)
                page.keyboard.press(key)
                # End moves a text field's caret only, and a range already at its max not at all (Home then does).
                # A key operated the control when it fired input or change: the value itself may come back as
                # it was once Python clamped it (param_counter's d_model to a multiple of the heads).
                must_change = key != "End" or (kind == "range" and before != control.get_attribute("max"))
                if kind == "radio":  # arrows skip disabled choices: a group with one enabled choice stays put
                    must_change = control.evaluate(
                        "c => [...document.getElementsByName(c.name)].filter((r) => !r.disabled).length > 1"
                    )
                if must_change and not fig.evaluate("f => f.glassboxKeyEvents"):
                    problems.append(
                        f"{where}: {key!r} on the {kind} control {param!r} changed nothing (it held {before!r})"
                    )
                answered(page, fig, name, f"{where}: {param} after {key!r}", problems)
    finally:
        fig.evaluate(RESTORE, initial)
        wait_idle(page, name)
    fail_with(problems)
    assert page.watch.errors == []


# -> elements that still animate or transition: [tag.class, animation-name, transition-duration]
MOVING = """() => [...document.querySelectorAll('*')].map((e) => {
        const s = getComputedStyle(e);
        const moves = (s.animationName !== 'none' && parseFloat(s.animationDuration) > 0)
                      || s.transitionDuration.split(',').some((d) => parseFloat(d) > 0);
        return moves ? [e.tagName.toLowerCase() + '.' + [...e.classList].join('.'), s.animationName, s.transitionDuration] : null;
    }).filter(Boolean).slice(0, 10)"""


@pytest.mark.parametrize("chapter", PAGES, indirect=True)
def test_reduced_motion_stops_every_animation_and_transition(chapter):
    page = chapter.watch.live()
    page.emulate_media(reduced_motion="reduce")
    try:
        moving = page.evaluate(MOVING)
        smooth = page.evaluate("() => getComputedStyle(document.documentElement).scrollBehavior")
    finally:
        page.emulate_media(reduced_motion="no-preference")
    assert not moving, f"{chapter.path}: still moving with reduced motion: {moving}"
    assert smooth == "auto"
