"""The trainer (chapter 15) running live: Train, a few chunks arrive, Pause, the curve has points, the
run's numbers equal CPython's for the same seeded steps, Reset. Runs in training.html's shared visit."""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))
from widget_loader import load_widget  # noqa: E402

pytestmark = pytest.mark.parametrize("chapter", ["training.html"], indirect=True)

STATE = """(fig) => { const i = glassbox.instances.find((i) => i.el === fig);
    return { step: i.result.step, calls: i.calls, points: i.result.plot.train.split(' ').length,
             restart: fig.querySelector('.widget-restart') !== null, button: fig.querySelector('.trn-go').textContent }; }"""
RUN = (
    "import json, glassbox_widgets.trainer as t\nr = t._latest['run']\njson.dumps([r['step'], r['losses'], r['evals']])"
)


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
