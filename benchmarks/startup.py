"""Section 1: time from navigation to the first live widget, cold and warm, next to the floor page."""

from pathlib import Path

from .common import TOKENIZER_PAGE, settle, time_to_live

PHASE_NAMES = {
    "worker": "worker created",
    "init": "worker running",
    "pyodide": "Pyodide loaded",
    "packages": "numpy and llm_core loaded",
    "runtime": "runtime imported",
    "live": "live",
}


def measure_startup(browser_factory, base: str, runs: int, tmp: Path) -> dict:
    """Cold and warm load times of the floor page and ours, interleaved so both see the same machine."""
    pages = {
        "floor (Pyodide + numpy only)": ("bench-floor.html", "floor:ready"),
        f"Glassbox {TOKENIZER_PAGE}": (TOKENIZER_PAGE, "glassbox:ready"),
    }
    out = {label: {"cold": [], "warm": [], "phases": {"cold": [], "warm": []}} for label in pages}
    for i in range(runs):
        for label, (path, mark) in pages.items():
            b = browser_factory()
            ctx = b.new_context()
            out[label]["cold"].append(time_to_live(ctx, base + path, mark, out[label]["phases"]["cold"]))
            ctx.close()
            b.close()
            settle()
    contexts = {}
    for label, (path, mark) in pages.items():
        contexts[label] = browser_factory(persistent=tmp / f"profile-{path}")
        time_to_live(contexts[label], base + path, mark)  # fill the cache, as a first visit would
    for i in range(runs):
        for label, (path, mark) in pages.items():
            out[label]["warm"].append(time_to_live(contexts[label], base + path, mark, out[label]["phases"]["warm"]))
    for ctx in contexts.values():
        ctx.close()
    return out
