"""Share links (glassbox.js): "Copy link" on every widget gives #w=FIGURE-ID&param=value..., and opening that
link scrolls to the figure, restores its controls and recomputes; a link that cannot be used leaves every
figure as built, with a quiet note.

On tokenization.html, whose two first widgets have between them a text line, a text box, a menu, a slider
and two checkboxes. The checks use that page's shared visit (`chapter`, conftest.py): a link is opened there
as a reader who pastes it into the address bar does (the fragment changes, the page stays); one round trip
opens its link in a fresh page, as a reader who follows it does. Every check puts the controls back.
"""

from urllib.parse import quote, urlencode

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import DESKTOP, IDLE_JS, new_page, on
from tests.browser.test_chapters import CONTROL_STATE, RESTORE, SET_VALUE

PAGE = on("tokenization.html")
AXE = Axe()
COMPARE, STEPPER = "#w0-tokenizer-compare", "#w1-bpe-stepper"

# Some answer to the link: a note about the page's link, or the figure's own note once Python answered.
ANSWERED = """() => [...document.querySelectorAll('.widget-share-status, .share-note')]
    .some((n) => n.textContent && !n.textContent.startsWith('Opening'))"""
CLEAR_NOTES = (
    "() => document.querySelectorAll('.widget-share-status, .share-note').forEach((n) => { n.textContent = ''; })"
)


def fragment(**params) -> str:
    return urlencode(params, quote_via=quote)


def open_here(page, frag: str):
    """Opens #frag on the page as pasting it into the address bar does, and waits for the answer."""
    page.evaluate("() => { location.hash = ''; }")
    page.evaluate(CLEAR_NOTES)
    page.evaluate("(f) => { location.hash = f; }", frag)
    page.wait_for_function(ANSWERED)
    page.wait_for_function(IDLE_JS)


def figure_state(page, sel):
    fig = page.locator(sel)
    return {
        "controls": fig.evaluate(CONTROL_STATE),
        "output": fig.locator(".widget-output").inner_text(),
        "state": fig.get_attribute("data-state"),
        "error": fig.evaluate("f => f.classList.contains('has-error')"),
    }


def copy_link(page, sel) -> str:
    page.evaluate(CLEAR_NOTES)
    page.locator(f"{sel} .widget-share-button").click()
    page.wait_for_function("(s) => document.querySelector(s + ' .widget-share-status').textContent", arg=sel)
    assert page.locator(f"{sel} .widget-share-status").text_content() == "Link copied."
    return page.evaluate("() => navigator.clipboard.readText()")


def set_controls(page, sel, values: dict):
    """Sets controls as a reader does (input, then change when the control loses focus), one after the other,
    waiting for each answer."""
    fig = page.locator(sel)
    for param, value in values.items():
        control = fig.locator(f'[data-param="{param}"]')
        kind = control.evaluate("c => c.tagName === 'SELECT' ? 'select' : c.type")
        if kind == "checkbox":
            control.set_checked(value)
        elif kind == "select":
            control.select_option(value)
        elif kind == "range":
            control.evaluate(SET_VALUE, value)
        else:
            control.fill(value)
        control.evaluate("c => c.blur()")  # the change event a reader's next click would bring comes now
        page.wait_for_function(IDLE_JS)


@pytest.fixture
def shared(chapter):
    """The shared visit with the clipboard allowed, its two figures as built; afterwards put back."""
    page = chapter.watch.live()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.evaluate("() => { location.hash = ''; }")
    page.wait_for_function(IDLE_JS)
    built = {sel: page.locator(sel).evaluate(CONTROL_STATE) for sel in (COMPARE, STEPPER)}
    yield page
    page.evaluate("() => { location.hash = ''; }")
    for sel, state in built.items():
        page.locator(sel).evaluate(RESTORE, state)
        page.wait_for_function(IDLE_JS)
    page.evaluate(CLEAR_NOTES)


@pytest.mark.parametrize("chapter", PAGE, indirect=True)
def test_a_link_opened_in_a_new_page_scrolls_to_the_figure_and_restores_it(shared, browser, base_url):
    """Text line with unicode and whitespace, menu, slider: copied, then followed in a fresh page."""
    page = shared
    set_controls(page, STEPPER, {"text": "héllo  wörld\t🦙 x² ¿qué?", "encoding": "r50k_base"})
    top = page.locator(f"{STEPPER} [data-param=step]").get_attribute("max")
    set_controls(page, STEPPER, {"step": str(int(top) // 2)})
    want = figure_state(page, STEPPER)
    link = copy_link(page, STEPPER)
    assert link.startswith(base_url + "tokenization.html#w=w1-bpe-stepper&")
    assert "&step=" in link and "&encoding=r50k_base" in link and "text=h%C3%A9llo++w%C3%B6rld%09" in link
    other = new_page(browser, base_url, viewport=DESKTOP)
    try:
        other.goto(link)
        other.watch.live()
        other.wait_for_function(IDLE_JS)
        other.wait_for_function(ANSWERED)
        other.wait_for_function(IDLE_JS)
        assert figure_state(other, STEPPER) == want
        assert other.locator(f"{STEPPER} .widget-share-status").text_content() == (
            "Showing the settings of the link you followed."
        )
        top_now = other.locator(STEPPER).evaluate("f => f.getBoundingClientRect().top")
        assert -2 <= top_now < DESKTOP["height"] / 2, f"the figure is not in view (its top at {top_now} px)"
        assert other.evaluate("() => document.activeElement.id") == "w1-bpe-stepper"
        # the other figure kept what the build gave it
        assert other.locator(COMPARE).evaluate(CONTROL_STATE) == built_of(other)
        assert other.watch.errors == [] and other.watch.dialogs == []
    finally:
        other.context.close()


@pytest.mark.parametrize("chapter", PAGE, indirect=True)
def test_a_link_pasted_into_the_address_bar_restores_checkboxes_and_a_text_box(shared):
    page = shared
    text = "a\n  b\tç 你好 🙂 \n\n<b>not bold</b>  "
    set_controls(page, COMPARE, {"text": text, "show_whitespace": False, "show_ids": True})
    want = figure_state(page, COMPARE)
    link = copy_link(page, COMPARE)
    assert "show_whitespace=false" in link and "show_ids=true" in link
    page.locator(COMPARE).evaluate(RESTORE, built_of(page))
    page.wait_for_function(IDLE_JS)
    assert figure_state(page, COMPARE) != want
    open_here(page, link.split("#", 1)[1])
    assert figure_state(page, COMPARE) == want
    assert page.locator(COMPARE).locator('[data-param="text"]').input_value() == text
    # a link of the figure as built names only the figure
    page.locator(COMPARE).evaluate(RESTORE, built_of(page))
    page.wait_for_function(IDLE_JS)
    assert copy_link(page, COMPARE).endswith("#w=w0-tokenizer-compare")
    assert page.watch.errors == []


def built_of(page, sel=COMPARE):
    """The figure's controls as the build wrote them (their markup's own values)."""
    return page.locator(sel).evaluate(
        """(fig) => [...fig.querySelectorAll('[data-param]')].map((c) => [c.dataset.param,
        c.tagName === 'SELECT' ? 'select' : c.tagName === 'TEXTAREA' ? 'textarea' : (c.type || 'text'),
        c.type === 'checkbox' || c.type === 'radio' ? c.defaultChecked
        : c.tagName === 'SELECT' ? ([...c.options].find((o) => o.defaultSelected) || c.options[0]).value : c.defaultValue])"""
    )


@pytest.mark.parametrize("chapter", PAGE, indirect=True)
def test_moving_controls_and_copying_links_adds_no_history_entries(shared):
    page = shared
    before = page.evaluate("() => [history.length, location.href]")
    step = page.locator(f"{STEPPER} [data-param=step]")
    for i in range(40):
        step.evaluate(SET_VALUE, i % 5)
    page.locator(f"{STEPPER} [data-param=text]").fill("history")
    page.locator(f"{COMPARE} [data-param=show_ids]").click()
    page.wait_for_function(IDLE_JS)
    for _ in range(3):
        copy_link(page, STEPPER)
    assert page.evaluate("() => [history.length, location.href]") == before
    assert page.watch.errors == []


@pytest.mark.parametrize("chapter", PAGE, indirect=True)
def test_without_the_clipboard_api_the_link_is_shown_selected(shared):
    page = shared
    set_controls(page, COMPARE, {"show_ids": True})
    with_api = copy_link(page, COMPARE)
    page.evaluate("() => Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true })")
    try:
        page.locator(f"{COMPARE} .widget-share-button").click()
        field = page.locator(f"{COMPARE} .widget-share-field input")
        assert field.is_visible()
        assert field.input_value() == with_api
        assert field.evaluate(
            "(i) => document.activeElement === i && i.selectionStart === 0 && i.selectionEnd === i.value.length"
        )
        assert "Copy the selected link" in page.locator(f"{COMPARE} .widget-share-status").text_content()
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            res = AXE.run(page, context=COMPARE, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}})
            bad = [v for v in res.response["violations"] if v["impact"] in ("serious", "critical")]
            assert not bad, f"{scheme}: " + "; ".join(f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in bad)
    finally:
        page.emulate_media(color_scheme="light")
        page.evaluate("() => { delete navigator.clipboard; }")
    copy_link(page, COMPARE)  # the API back: the field goes away
    assert not page.locator(f"{COMPARE} .widget-share-field").is_visible()
    assert page.watch.errors == []


MB = "a" * 1_000_000
# (fragment, the figure it concerns or None for the page, what the note says)
IGNORED = [
    (fragment(w="w1-bpe-stepper", step="abc"), STEPPER, "step must be a number, got 'abc'"),
    (fragment(w="w1-bpe-stepper", step="2.5"), STEPPER, "step must be a whole number"),
    (fragment(w="w1-bpe-stepper", encoding="<script>alert(1)</script>"), STEPPER, "encoding must be one of"),
    (fragment(w="w0-tokenizer-compare", show_ids="maybe"), COMPARE, "show_ids must be on or off"),
    (fragment(w="w99-nothing", text="x"), None, "names a figure this page does not have"),
    (fragment(w="<script>alert(1)</script>"), None, "names a figure this page does not have"),
    ("w=w1-bpe-stepper&" + quote("<img src=x onerror=alert(1)>") + "=1", None, "sets something the figure does not"),
    (fragment(w="w1-bpe-stepper", nope="1"), None, "sets something the figure does not have"),
    ("w=w1-bpe-stepper&step=1&step=2", None, "sets something the figure does not have"),
    ("w=w0-tokenizer-compare&w=w1-bpe-stepper", None, "names several figures"),
    ("w=w1-bpe-stepper&text=" + MB, None, "is too long to be a link to a figure"),
]


@pytest.mark.parametrize("chapter", PAGE, indirect=True)
@pytest.mark.parametrize("frag, where, note", IGNORED, ids=[f"{n}: {f[:40]}" for f, _, n in IGNORED])
def test_a_link_that_cannot_be_used_leaves_the_figures_as_built_with_a_note(shared, frag, where, note):
    page = shared
    before = {sel: figure_state(page, sel) for sel in (COMPARE, STEPPER)}
    open_here(page, frag)
    shown = page.locator(f"{where} .widget-share-status" if where else ".share-note").text_content()
    assert note in shown
    if not where:
        assert "alert" not in shown and "<" not in shown, "the note echoes the link"
    for sel in (COMPARE, STEPPER):
        assert figure_state(page, sel) == before[sel], f"{sel} changed"
    assert page.locator(".widget-status-text").first.text_content().startswith("Live")
    assert page.watch.errors == [] and page.watch.dialogs == []


@pytest.mark.parametrize("chapter", PAGE, indirect=True)
def test_an_out_of_range_value_is_clamped_as_if_typed(shared):
    """Python clamps a number beyond the control's range (as it does one typed in a number box): the link
    is used, the slider stands at its end, and the figure is what that end gives."""
    page = shared
    open_here(page, fragment(w="w1-bpe-stepper", step="99999"))
    assert "Showing the settings" in page.locator(f"{STEPPER} .widget-share-status").text_content()
    got = figure_state(page, STEPPER)
    step = page.locator(f"{STEPPER} [data-param=step]")
    assert step.input_value() == step.get_attribute("max")
    step.evaluate(SET_VALUE, "0")
    page.wait_for_function(IDLE_JS)
    step.evaluate(SET_VALUE, step.get_attribute("max"))
    page.wait_for_function(IDLE_JS)
    assert figure_state(page, STEPPER) == got
    assert got["state"] == "live" and not got["error"]
    assert page.watch.errors == []


@pytest.mark.parametrize("chapter", PAGE, indirect=True)
def test_markup_in_a_linked_text_stays_text(shared):
    page = shared
    payload = "<img src=x onerror=alert(1)><script>alert(2)</script>"
    open_here(page, fragment(w="w1-bpe-stepper", text=payload))
    fig = page.locator(STEPPER)
    assert fig.locator("[data-param=text]").input_value() == payload
    assert fig.locator(".widget-output img, .widget-output script").count() == 0
    assert page.watch.dialogs == [] and page.watch.errors == []


@pytest.mark.parametrize("chapter", PAGE, indirect=True)
def test_heading_anchors_are_not_share_links(shared):
    page = shared
    anchor = page.locator(".prose h2[id]").first.get_attribute("id")
    before = figure_state(page, STEPPER)
    page.evaluate("(a) => { location.hash = a; }", anchor)
    page.wait_for_function("(a) => location.hash === '#' + a", arg=anchor)
    assert page.locator(".share-note").count() == 0 or not page.locator(".share-note").text_content()
    assert figure_state(page, STEPPER) == before
    assert page.watch.errors == []
