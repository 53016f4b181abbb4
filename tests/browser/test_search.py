"""The search box in every page's header (site/static/js/search.js over the build's search-index.json):
typing shows results, the keyboard goes through them and follows one, axe finds nothing serious with the
results open (light on a desktop, dark on a phone), and without JavaScript there is no box.

The checks that stay on a page use its shared visit (`chapter`, conftest.py); following a result leaves
the page, so that one gets a page of its own."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import PAGES, on
from tests.browser.test_chapters import OPEN_DETAILS, emulate_phone

AXE = Axe()
RESULTS = ".site-search-results:not([hidden]) .site-search-link"


def results(page):
    return page.eval_on_selector_all(
        ".site-search-link",
        "links => links.map((a) => [a.getAttribute('href'), a.querySelector('.site-search-title').textContent,"
        " a.querySelector('.site-search-where').textContent])",
    )


def type_query(page, query):
    box = page.locator(".site-search-input")
    box.fill("")
    box.type(query)
    page.wait_for_function(
        "(q) => document.querySelector('.site-search-status').textContent !== '' && "
        "document.querySelector('.site-search-input').value === q",
        arg=query,
    )


@pytest.mark.parametrize("chapter", on("index.html", "attention.html"), indirect=True)
def test_typing_a_query_shows_results_the_keyboard_goes_through(chapter):
    page = chapter
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.keyboard.press("/")  # "/" outside a field focuses the box
    assert page.evaluate("() => document.activeElement.id") == "site-search-input"
    type_query(page, "causal mask")
    found = results(page)
    assert found[0] == [
        "attention.html#the-causal-mask",
        "The causal mask",
        "Section · Attention: queries, keys and values",
    ]
    # chapters over headings over figures, prefixes match: "token" finds the Tokenization chapter first
    type_query(page, "tokeniz")
    found = results(page)
    assert found[0] == ["tokenization.html", "Tokenization", "Chapter 1"]
    assert any(kind.startswith("Figure") for _, _, kind in found)
    assert "results" in page.locator(".site-search-status").text_content()
    # Down goes into the results and through them, Up back to the box
    page.keyboard.press("ArrowDown")
    assert page.evaluate("() => document.activeElement.getAttribute('href')") == found[0][0]
    page.keyboard.press("ArrowDown")
    assert page.evaluate("() => document.activeElement.getAttribute('href')") == found[1][0]
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    assert page.evaluate("() => document.activeElement.id") == "site-search-input"
    # Escape closes them and stays in the box; a query that matches nothing says so
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Escape")
    assert page.locator(RESULTS).count() == 0
    assert page.evaluate("() => document.activeElement.id") == "site-search-input"
    type_query(page, "zzqx")
    assert results(page) == [] and "Nothing found" in page.locator(".site-search-results").inner_text()
    page.locator(".site-search-input").fill("")
    page.keyboard.press("Escape")
    assert page.watch.errors == []


@pytest.mark.parametrize(
    "chapter, scheme", [(p, s) for p in on("index.html") for s in ("light", "dark")], indirect=["chapter"]
)
def test_search_results_pass_axe_in_light_and_dark(chapter, scheme):
    page = chapter
    phone = scheme == "dark"  # as test_chapters.py: light on a desktop, dark on a 390 px phone
    page.emulate_media(color_scheme=scheme)
    if phone:
        emulate_phone(page, True)
    opened = page.evaluate_handle(OPEN_DETAILS)
    try:
        type_query(page, "attention")
        page.keyboard.press("ArrowDown")  # a result focused, as a keyboard reader sees it
        assert page.locator(RESULTS).count() > 1
        res = AXE.run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "best-practice"]}})
        bad = [v for v in res.response["violations"] if v["impact"] in ("serious", "critical")]
        assert not bad, "\n".join(f"{v['id']}: {v['help']} -> {[n['target'] for n in v['nodes']][:5]}" for v in bad)
        if phone:
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 390, "the page scrolls sideways"
            small = page.eval_on_selector_all(
                ".site-search-input, .site-search-link", "els => els.filter((e) => e.offsetHeight < 44).length"
            )
            assert small == 0, "search targets under 44 px on a phone"
    finally:
        opened.evaluate("(ds) => ds.forEach((d) => { d.open = false; })")
        page.locator(".site-search-input").fill("")
        page.keyboard.press("Escape")
        if phone:
            emulate_phone(page, False)
        page.emulate_media(color_scheme="light")
    assert page.watch.errors == []


@pytest.mark.skipif("attention.html" not in PAGES, reason="the attention chapter is not in this build")
def test_enter_follows_a_result_to_its_chapter_and_anchor(page, base_url):
    page.goto(base_url + "index.html")
    page.locator(".site-search-input").click()
    type_query(page, "causal mask")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # Enter in the box: the best result
    assert page.url == base_url + "attention.html#the-causal-mask"
    page.locator(".site-search-input").click()
    type_query(page, "tokenization")
    page.keyboard.press("ArrowDown")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # Enter on a focused result: the browser follows the link
    assert page.url == base_url + "tokenization.html"


def test_without_javascript_there_is_no_search_box(browser, base_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base_url + "index.html")
    assert page.locator(".site-search").count() == 1 and not page.locator(".site-search").is_visible()
    context.close()
