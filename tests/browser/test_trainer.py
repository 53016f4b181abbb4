"""The trainer (chapter 15) running live: Train, a few chunks arrive, Pause, the curve has points, the
run's numbers equal CPython's for the same seeded steps, Reset (in training.html's shared visit); and
leaving the page mid-run, then coming back (a page of its own)."""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))
from widget_loader import load_widget  # noqa: E402

from sitebuild import browser as chromium  # noqa: E402
from tests.browser.conftest import DESKTOP, new_page  # noqa: E402

STATE = """(fig) => { const i = glassbox.instances.find((i) => i.el === fig);
    return { step: i.result.step, calls: i.calls, points: i.result.plot.train.split(' ').length,
             restart: fig.querySelector('.widget-restart') !== null, button: fig.querySelector('.trn-go').textContent }; }"""
RUN = (
    "import json, glassbox_widgets.trainer as t\nr = t._latest['run']\njson.dumps([r['step'], r['losses'], r['evals']])"
)


@pytest.mark.parametrize("chapter", ["training.html"], indirect=True)
def test_train_pause_compare_reset(chapter):
    page = chapter.watch.live()
    fig = page.locator('figure[data-widget="trainer"]').first
    fig.evaluate("(f) => f.querySelector('[data-param=source]').dispatchEvent(new Event('input', {bubbles: true}))")
    page.wait_for_function(
        "(f) => f.querySelector('.trn-status').textContent.startsWith('Untrained')", arg=fig.element_handle()
    )
    calls = fig.evaluate(STATE)["calls"]
    fig.locator(".trn-go").click()  # Train
    page.wait_for_function(
        f"(f) => glassbox.instances.find((i) => i.el === f).calls >= {calls + 4}",
        arg=fig.element_handle(),
        timeout=120_000,
    )
    assert fig.locator(".trn-go").inner_text() == "Pause"
    fig.locator(".trn-go").click()  # Pause: the chunk in flight is drawn, nothing more is asked
    page.wait_for_function(
        "(f) => { const i = glassbox.instances.find((i) => i.el === f); return !i.inFlight && !i.latest; }",
        arg=fig.element_handle(),
    )
    paused = fig.evaluate(STATE)
    page.wait_for_timeout(1500)
    assert fig.evaluate(STATE) == paused, "a paused run must not go on"
    assert paused["step"] >= 3 and paused["points"] == paused["step"] and not paused["restart"]
    assert paused["button"] == "Resume"

    step, losses, evals = json.loads(page.evaluate("(code) => glassbox.py(code)", RUN))
    # The page's own settings (an earlier test in this shared visit may have moved a control), replayed in CPython.
    params = fig.evaluate("(f) => glassbox.instances.find((i) => i.el === f).result.params")
    widget = load_widget("trainer")
    widget.compute({**params, "at": step, "chunk": 0})
    ours = widget._latest["run"]
    assert step == ours["step"] == paused["step"]
    tol = widget.REL_TOL
    assert losses == pytest.approx(ours["losses"], rel=tol)
    assert [s for s, _ in evals] == [s for s, _ in ours["evals"]]
    assert [x for _, x in evals] == pytest.approx([x for _, x in ours["evals"]], rel=tol)

    fig.locator(".trn-reset").click()
    page.wait_for_function(
        "(f) => f.querySelector('.trn-status').textContent.startsWith('Untrained')", arg=fig.element_handle()
    )
    assert fig.evaluate(STATE)["step"] == 0 and fig.locator(".trn-go").inner_text() == "Train"
    assert page.watch.errors == []


@pytest.fixture(scope="module")
def keeping_browser(browser):
    """A Chromium with its back/forward cache on (Playwright launches it off), as readers' browsers have it:
    a page left and come back to can be the same page, kept, with its worker and its run."""
    b = browser.browser_type.launch(
        executable_path=chromium.chromium_path(),
        args=chromium.ARGS,
        ignore_default_args=["--disable-back-forward-cache"],
    )
    yield b
    b.close()


@pytest.mark.parametrize("path", ["training.html"])
def test_leaving_the_page_mid_run(keeping_browser, base_url, path):
    """Left mid-run and come back: a kept page shows the run paused and a note, and Resume goes on; a page
    loaded again (here: reloaded mid-run) says the run stopped with the page, and Train runs again. No
    console errors (page or worker) through either."""
    page = new_page(keeping_browser, base_url, viewport=DESKTOP)
    try:
        page.watch.open(path)
        fig = page.locator('figure[data-widget="trainer"]').first

        def state():
            return fig.evaluate(STATE.replace("button:", "note: fig.querySelector('.trn-note').textContent, button:"))

        def train_on(n):  # press the button (Train or Resume), then wait until n more steps are drawn
            step = state()["step"]
            fig.locator(".trn-go").click()
            page.wait_for_function(
                f"(f) => glassbox.instances.find((i) => i.el === f).result.step >= {step + n}",
                arg=fig.element_handle(),
                timeout=120_000,
            )
            assert fig.locator(".trn-go").inner_text() == "Pause"

        page.watch.idle()
        train_on(4)
        page.goto(base_url + "index.html")
        page.go_back(wait_until="commit")  # from the back/forward cache: no load event
        page.wait_for_function(
            "(f) => f.querySelector('.trn-note').textContent.includes('paused when you left')",
            arg=fig.element_handle(),
        )
        page.watch.idle()  # the chunk in flight when the page was left is drawn; nothing more is asked
        kept = state()
        assert kept["button"] == "Resume" and kept["step"] > 0
        page.wait_for_timeout(1500)
        assert state() == kept, "a run left behind must stay paused"
        train_on(1)  # Resume goes on from where the run was
        assert state()["note"] == ""

        page.reload()  # leaving while it runs, to a page loaded anew: the run is gone
        page.watch.live()
        page.watch.idle()
        back = state()
        assert "stopped with the page" in back["note"] and back["button"] == "Train"
        assert back["step"] == load_widget("trainer").DEFAULTS["at"]  # the page as built, live again
        train_on(1)
        fig.locator(".trn-go").click()  # Pause
        page.watch.idle()
        assert page.watch.errors == [] and page.watch.foreign == []
    finally:
        page.context.close()
