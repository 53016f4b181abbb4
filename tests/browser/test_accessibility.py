"""axe-core on every page, after its widgets are live, in light and dark: no serious or critical issues."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from .test_pages import PAGES

AXE = Axe()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", PAGES)
def test_no_serious_accessibility_violations(browser, base_url, path, scheme):
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    page.goto(base_url + path)
    page.evaluate("() => glassbox.ready.then(() => true)")
    page.wait_for_function("() => [...document.querySelectorAll('figure.widget')].every(f => f.dataset.state === 'live')")
    page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
    results = AXE.run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "best-practice"]}})
    bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, "\n".join(f"{v['id']} ({v['impact']}): {v['help']} -> "
                              f"{[n['target'] for n in v['nodes']][:5]}" for v in bad)
    context.close()
