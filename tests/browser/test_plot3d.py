"""The turnable 3-D figures (plotly.js, site/static/js/plot3d.js), on the shared visits of their pages.

For every widget that lists "plotly" in LIBRARIES, on the first page that places it: the live figure holds a
plotly graph whose traces are CPython's result.plot3d for the figure's current params (types, point counts,
x/y/z within the widget's REL_TOL), a named group in which only plotly's mode bar buttons take focus;
its colours follow the theme (the paper is the page's --bg in light and in dark); no console errors. Every
built page loads plotly.js exactly when one of its widgets asks for it, and a page without one never
requests it.
"""

import re

import pytest

from tests.browser.conftest import PAGES, WIDGET_PAGES, WIDGETS, differences

PLOTLY_WIDGETS = sorted(name for name, w in WIDGETS.items() if "plotly" in getattr(w.module, "LIBRARIES", []))
PLOTLY_PAGES = [(page, name) for page, name in WIDGET_PAGES if name in PLOTLY_WIDGETS]

GRAPH = """(name) => {
  const inst = glassbox.instances.find((i) => i.name === name);
  const g = inst.el.querySelector('.widget-output .plot3d-slot .plot3d');
  if (!g || !g.data) return null;
  const focusable = [...g.querySelectorAll('a[href], button, input, select, textarea, [tabindex]')]
    .filter((e) => e.tabIndex >= 0);
  return {
    params: inst.params,
    role: g.getAttribute('role'), label: g.getAttribute('aria-label'),
    focusable: focusable.map((e) => ({tag: e.tagName.toLowerCase(), modebar: Boolean(e.closest('.modebar')),
      name: e.getAttribute('aria-label') || e.getAttribute('data-title') || e.textContent.trim()})),
    traces: g.data.map((t) => ({type: t.type, x: t.x, y: t.y, z: t.z})),
    paper: g._fullLayout.paper_bgcolor,
    bg: getComputedStyle(inst.el).getPropertyValue('--bg').trim(),
  };
}"""
# Two animation frames: the theme's MutationObserver / media listener has redrawn the graph.
FRAMES = "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"


def rgb(colour: str) -> str:
    """'#fdfdfb' or 'rgb(253, 253, 251)' -> 'rgb(253, 253, 251)' (plotly keeps what it was given)."""
    if colour.startswith("#"):
        return "rgb({}, {}, {})".format(*(int(colour[i : i + 2], 16) for i in (1, 3, 5)))
    return re.sub(r"\s+", " ", colour)


def graph(page, name):
    page.wait_for_function(
        "(n) => { const i = glassbox.instances.find((x) => x.name === n);"
        " const g = i.el.querySelector('.plot3d'); return g && g.data && g.data.length > 0; }",
        arg=name,
        timeout=60_000,
    )
    return page.evaluate(GRAPH, name)


@pytest.mark.parametrize("chapter, name", PLOTLY_PAGES, indirect=["chapter"])
def test_3d_figure_is_cpythons_plot3d_and_follows_the_theme(chapter, name):
    page = chapter.watch.live()
    module = WIDGETS[name].module
    got = graph(page, name)
    expected = module.compute(got["params"])["plot3d"]
    assert got["role"] == "group" and got["label"] == expected["label"]
    # what takes focus is plotly's mode bar (zoom, pan, orbit, turntable, reset), each with a name: Tab
    # goes through it and on; the canvas itself takes none
    assert got["focusable"] and all(f["modebar"] and f["name"] for f in got["focusable"]), got["focusable"]
    assert [t["type"] for t in got["traces"]] == [t["type"] for t in expected["traces"]]
    n_points = sum(len(t["z"]) * (len(t["z"][0]) if t["type"] == "surface" else 1) for t in got["traces"])
    assert n_points == expected["n_points"] > 0
    want = [{k: t[k] for k in ("type", "x", "y", "z")} for t in expected["traces"]]
    problems = differences(got["traces"], want, "traces", rel=getattr(module, "REL_TOL", 1e-9))
    assert problems == [], problems[:5]
    assert rgb(got["paper"]) == rgb(got["bg"])
    try:
        page.emulate_media(color_scheme="dark")
        page.evaluate(FRAMES)
        dark = page.evaluate(GRAPH, name)
        assert rgb(dark["paper"]) == rgb(dark["bg"]) != rgb(got["bg"]), "the 3-D figure did not follow dark mode"
    finally:
        page.emulate_media(color_scheme="light")
        page.evaluate(FRAMES)
    assert page.watch.errors == [] and page.watch.foreign == []


def test_plotly_is_loaded_only_by_pages_whose_widgets_ask_for_it(site):
    for page in PAGES:
        html = (site / page).read_text()
        asks = any(f'data-widget="{name}"' in html for name in PLOTLY_WIDGETS)
        loads = 'src="static/plotly/plotly-gl3d.min.js"' in html
        assert asks == loads, f"{page}: widgets asking for plotly {asks}, loads plotly.js {loads}"
    assert (site / "static" / "plotly" / "LICENSE").read_text().startswith("MIT License")


@pytest.mark.parametrize("chapter", [p for p in ["tokenization.html"] if p in PAGES], indirect=True)
def test_a_page_without_3d_figures_never_requests_plotly(chapter):
    page = chapter.watch.live()
    assert not [u for u in page.watch.requests if "plotly" in u]
    assert page.evaluate("() => typeof window.Plotly") == "undefined"
