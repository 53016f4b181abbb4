"""axe-core on every page, after its widgets are live, in light (desktop) and dark (phone): no serious or
critical issues; on the phone, no sideways scrolling of the page and touch targets of at least 44 px."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from .test_pages import PAGES

AXE = Axe()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", PAGES)
def test_no_serious_accessibility_violations(browser, base_url, path, scheme):
    phone = scheme == "dark"   # dark mode on a 390 px phone, light on a desktop: both seen, half the runs
    size = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
    context = browser.new_context(color_scheme=scheme, viewport=size, is_mobile=phone, has_touch=phone)
    page = context.new_page()
    page.goto(base_url + path)
    page.evaluate("() => glassbox.ready.then(() => true)")
    page.wait_for_function("() => [...document.querySelectorAll('figure.widget')].every(f => f.dataset.state === 'live')")
    page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
    results = AXE.run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "best-practice"]}})
    bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, "\n".join(f"{v['id']} ({v['impact']}): {v['help']} -> "
                              f"{[n['target'] for n in v['nodes']][:5]}" for v in bad)
    if phone:
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390, "the page scrolls sideways"
        small = page.evaluate(SMALL_TARGETS)
        assert not small, f"touch targets under 44 px on a phone: {small[:8]}"
    context.close()


# Controls a reader touches: their box (or, for a checkbox, its label's) must be at least 44 px tall.
SMALL_TARGETS = """() => [...document.querySelectorAll(
        '.widget input, .widget select, .widget button, .widget summary, .site-nav a, .prev-next a')]
    .filter((e) => e.offsetParent !== null && e.type !== 'hidden')
    .map((e) => [e, (e.type === 'checkbox' || e.type === 'radio') ? (e.closest('label') || e.labels[0] || e) : e])
    .filter(([e, target]) => target.getBoundingClientRect().height < 43.5)
    .map(([e]) => (e.closest('figure') ? e.closest('figure').dataset.widget + ' ' : '') + e.tagName.toLowerCase()
         + (e.dataset.param ? '[' + e.dataset.param + ']' : e.className ? '.' + e.className : ''))"""
