"""Section 4: the tiny model in the page: prefill and decode speed, with and without the KV cache."""

from .common import ROOT, asset


def measure_model(browser, base: str) -> dict | None:
    """Prefill and decode speed of the tiny model in the page's worker (None if it is not trained)."""
    if not (ROOT / "models" / "tiny" / "config.json").exists():
        return None
    page = browser.new_page()
    page.goto(base + "index.html")
    page.evaluate("() => glassbox.ready.then(() => true)")
    result = page.evaluate("(code) => glassbox.py(code)", asset("tiny_model_speed.py"))
    page.close()
    return result
