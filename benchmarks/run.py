"""Glassbox benchmarks: measured side by side in one run, written to benchmarks/RESULTS.md.

    .venv/bin/python benchmarks/run.py [--site _site] [--runs 5] [--smollm2]

1. Time from navigation to the first live widget, cold (empty cache) and warm (a persistent profile, like
   a returning reader), next to a bare page that only loads Pyodide and numpy in a worker (the floor).
   Budget: ours / floor <= 1.3.
2. Tokenizer throughput, o200k_base, 100 KB of English prose, in one page: llm_core in the page's worker
   vs js-tiktoken (pure JS, npm) on the page's main thread; CPython tiktoken and llm_core for reference.
   Budget: llm_core no more than 3x slower than js-tiktoken.
3. Typing latency in the tokenizer widget on a 2 KB text: keystroke to updated chips, p50 and p95.
   Budget: p95 <= 100 ms.
4. The tiny model in the page: prefill of 128 tokens (GFLOP/s next to a plain numpy matmul in the same
   page, the floor) and decode tokens/s with and without the KV cache at 64 and 256 tokens of context.
   Budgets: decode with the cache >= 5x faster than without at 256 tokens; prefill >= 40% of the matmul.
5. Every page, cold and warm: time to readable (first contentful paint), to the first live widget, and
   bytes transferred (first visit, return visit). Budgets: readable < 1 s; first live <= 1.3x the floor.
6. Update latency of every widget on every chapter page while its controls move: from the input event to
   the redrawn figure, p50 and p95 per widget. Widgets that run the model are measured with a prompt of
   about 64 tokens. Budgets: p95 <= 50 ms without the model, <= 200 ms with it.
7. SmolLM2-135M-Instruct in the page's worker next to llama.cpp compiled to WebAssembly (npm @wllama/wllama,
   a dev dependency the site never ships; one thread; the same GGUF file): decode tokens/s and a 64-token
   prefill, runs alternated; time from Load to the first answer token, cold and cached; the worker's
   memory; numpy's matrix-vector and matrix-matrix rates in the same worker, a profile of a decode step and
   two other weight layouts. Budgets: decode >= 50% of the matrix-vector rate, prefill >= 40% of the
   matrix-matrix rate; the goal is one third of llama.cpp's tokens/s. `--smollm2` measures this section
   alone and rewrites only it in RESULTS.md.

Nothing here is asserted by the tests; the numbers depend on the machine, which the report describes.
"""

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GLASSBOX_DATA", str(ROOT / "_build" / "data"))

from sitebuild import browser as chromium  # noqa: E402
from sitebuild.serve import serve_in_thread  # noqa: E402

CORPUS = ROOT / "tests" / "core" / "corpus"
TOKENIZER_PAGE = "tokenization.html"

FLOOR_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>floor</title>
<script src="bench-floor.js" defer></script></head><body><p id="state">loading</p></body></html>
"""
# The floor page does only what any Pyodide page must: start a worker, load Pyodide and numpy.
FLOOR_JS = """
const w = new Worker("bench-floor-worker.js");
w.onmessage = () => { performance.mark("floor:ready"); document.getElementById("state").textContent = "ready"; };
"""
FLOOR_WORKER = """
importScripts("pyodide/pyodide.js");
loadPyodide({indexURL: new URL("pyodide/", self.location).href}).then(async (py) => {
  await py.loadPackage("numpy", {messageCallback: () => {}});
  py.runPython("import numpy");
  postMessage("ready");
});
"""
# js-tiktoken is an ES module importing the CommonJS package base64-js; this shim stands in for it.
BASE64_SHIM = """
export function toByteArray(s) { const b = atob(s); const a = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) a[i] = b.charCodeAt(i); return a; }
export function fromByteArray(a) { let s = ""; for (let i = 0; i < a.length; i++) s += String.fromCharCode(a[i]); return btoa(s); }
export default { toByteArray, fromByteArray };
"""
JS_TIKTOKEN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>js-tiktoken</title></head><body></body></html>
"""


def english_text(n_bytes: int) -> str:
    """n_bytes of English prose from the committed test corpus (repeated if it is shorter)."""
    files = sorted(p for p in CORPUS.glob("*") if p.is_file() and "english" in p.name.lower())
    if not files:
        files = sorted(p for p in CORPUS.glob("*.txt"))
    text = "\n".join(p.read_text(encoding="utf-8") for p in files)
    while len(text.encode()) < n_bytes:
        text += "\n" + text
    return text.encode()[:n_bytes].decode("utf-8", errors="ignore")


def prepare_site(site: Path, tmp: Path) -> Path:
    """A copy of _site plus the floor page and js-tiktoken, all served from one origin."""
    root = tmp / "site"
    shutil.copytree(site, root)
    (root / "bench-floor.html").write_text(FLOOR_HTML)
    (root / "bench-floor.js").write_text(FLOOR_JS)
    (root / "bench-floor-worker.js").write_text(FLOOR_WORKER)
    jt = root / "bench-js-tiktoken"
    dist = ROOT / "node_modules" / "js-tiktoken" / "dist"
    jt.mkdir()
    for chunk in dist.glob("chunk-*.js"):
        (jt / chunk.name).write_text(chunk.read_text().replace("from 'base64-js'", "from './base64.js'"))
    shutil.copyfile(dist / "lite.js", jt / "lite.js")
    shutil.copyfile(dist / "ranks" / "o200k_base.js", jt / "o200k_base.js")
    (jt / "base64.js").write_text(BASE64_SHIM)
    (jt / "index.html").write_text(JS_TIKTOKEN_PAGE)
    return root


# Where a Glassbox page's start-up time goes, in ms after navigation: the worker's own phase timings
# (glassbox.timing, ms after its init began at `since`, epoch ms) moved onto the page's clock.
PHASES_JS = """() => {
    const t = window.glassbox.timing, at = t.since - performance.timeOrigin;
    return { worker: performance.getEntriesByName('glassbox:worker')[0].startTime, init: at,
             pyodide: at + t.pyodide, packages: at + t.packages, runtime: at + t.runtime,
             live: performance.getEntriesByName('glassbox:ready')[0].startTime };
}"""
PHASE_NAMES = {
    "worker": "worker created",
    "init": "worker running",
    "pyodide": "Pyodide loaded",
    "packages": "numpy and llm_core loaded",
    "runtime": "runtime imported",
    "live": "live",
}


def settle():
    """Let the machine go quiet (a closed browser's processes exit) before the next measured visit."""
    time.sleep(0.5)


def time_to_live(context, url: str, mark: str, phases: list | None = None) -> float:
    """ms from navigation start to the performance mark (set when the worker reports ready)."""
    page = context.new_page()
    page.goto(url)
    page.wait_for_function(f"() => performance.getEntriesByName('{mark}').length > 0", timeout=120_000, polling=20)
    if mark == "glassbox:ready":
        page.wait_for_function(
            "() => !document.querySelector('figure.widget') || "
            "document.querySelector('figure.widget[data-state=live]')",
            polling=20,
        )
        if phases is not None:
            phases.append(page.evaluate(PHASES_JS))
    ms = page.evaluate(f"() => performance.getEntriesByName('{mark}')[0].startTime")
    page.close()
    settle()
    return ms


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


PAGE_JS = """() => {
    const fcp = performance.getEntriesByName('first-contentful-paint')[0];
    return { fcp: fcp ? fcp.startTime : null, live: window.__firstLive ?? null,
             widgets: document.querySelectorAll('figure.widget').length };
}"""
FIRST_LIVE_JS = """(() => {
    const mark = () => {
        if (window.__firstLive === undefined && document.querySelector('figure.widget[data-state=live]'))
            window.__firstLive = performance.now();
    };
    new MutationObserver(mark).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-state'] });
    document.addEventListener('DOMContentLoaded', () => {
        if (!document.querySelector('figure.widget')) window.__firstLive = performance.now();
    });
})()"""


def page_visit(context, url: str) -> dict:
    """One visit: ms to first contentful paint and to the first live widget, and bytes over the network."""
    page = context.new_page()
    sizes = []

    def finished(request):
        try:
            s = request.sizes()
            sizes.append(s["responseBodySize"] + s["responseHeadersSize"])
        except Exception:  # a request the browser served from its cache has no sizes to report
            pass

    context.on("requestfinished", finished)
    page.add_init_script(FIRST_LIVE_JS)
    page.goto(url)
    page.wait_for_function("() => window.__firstLive !== undefined", timeout=120_000, polling=20)
    # Every call waits for the page's data files, which start downloading late (after numpy and llm_core):
    # one call makes sure the bytes counted are all a first visit downloads.
    page.evaluate("() => !document.querySelector('figure.widget') || glassbox.py('None').then(() => true)")
    page.wait_for_load_state("networkidle")
    out = page.evaluate(PAGE_JS)
    context.remove_listener("requestfinished", finished)
    page.close()
    settle()
    return {**out, "bytes": sum(sizes)}


PAGE_ROUNDS = 3


def measure_pages(browser_factory, base: str, tmp: Path) -> dict:
    """Cold (fresh browser) and warm (persistent profile, after a first visit) for every page of the site,
    PAGE_ROUNDS times each, alternating with visits to the floor page, so every page is compared with floor
    loads made at the same time (medians of each)."""
    import build

    pages = ["index.html"] + [build.parse_chapter(p).filename for p in sorted(build.Options().chapters.glob("*.md"))]
    floor = base + "bench-floor.html"
    floor_warm_ctx = browser_factory(persistent=tmp / "profile-page-floor")
    time_to_live(floor_warm_ctx, floor, "floor:ready")  # fill the cache, as a first visit would

    def cold(visit):
        b = browser_factory()
        ctx = b.new_context()
        try:
            return visit(ctx)
        finally:
            ctx.close()
            b.close()
            settle()

    def median_visit(visits):  # the visit with the median time to live (fcp and bytes from the same visit)
        return sorted(visits, key=lambda v: v["live"])[len(visits) // 2]

    out = {}
    for name in pages:
        warm_ctx = browser_factory(persistent=tmp / f"profile-page-{name}")
        page_visit(warm_ctx, base + name)  # the first visit fills the cache
        colds, warms, floor_cold, floor_warm = [], [], [], []
        for _ in range(PAGE_ROUNDS if name != "index.html" else 1):
            colds.append(cold(lambda ctx: page_visit(ctx, base + name)))
            warms.append(page_visit(warm_ctx, base + name))
            if name != "index.html":  # a page without widgets has no live time to compare
                floor_cold.append(cold(lambda ctx: time_to_live(ctx, floor, "floor:ready")))
                floor_warm.append(time_to_live(floor_warm_ctx, floor, "floor:ready"))
        warm_ctx.close()
        out[name] = {
            "cold": median_visit(colds),
            "warm": median_visit(warms),
            "floor": {
                "cold": statistics.median(floor_cold) if floor_cold else None,
                "warm": statistics.median(floor_warm) if floor_warm else None,
            },
        }
        print(f"  {name}: {out[name]}", flush=True)
    floor_warm_ctx.close()
    return out


def measure_throughput(browser, base: str, text: str) -> dict:
    import tiktoken
    import tiktoken.load

    from llm_core import data, tokenizer

    out = {}
    # CPython references
    path = data.data_dir() / "vocab" / "o200k_base.tiktoken"
    ref = tokenizer.get_encoding("o200k_base")
    tk = tiktoken.Encoding(
        name="o200k_base",
        pat_str=ref.pat_str,
        mergeable_ranks=tiktoken.load.load_tiktoken_bpe(str(path)),
        special_tokens={},
    )
    t = time.perf_counter()
    expected = tk.encode_ordinary(text)
    out["CPython tiktoken (Rust)"] = time.perf_counter() - t
    fresh = tokenizer.Encoding(ref.name, ref.pat_str, ref.mergeable_ranks, ref.special_tokens)
    t = time.perf_counter()
    ours = fresh.encode(text)
    out["CPython llm_core (first pass)"] = time.perf_counter() - t
    assert ours == expected

    page = browser.new_page()
    page.goto(base + TOKENIZER_PAGE)
    page.evaluate("() => glassbox.ready.then(() => true)")
    page.evaluate("(t) => glassbox.py('BENCH_TEXT = ' + JSON.stringify(t) + '; None')", text)
    result = page.evaluate("""() => glassbox.py(`
import time
ref = tokenizer.get_encoding("o200k_base")
enc = tokenizer.Encoding(ref.name, ref.pat_str, ref.mergeable_ranks, ref.special_tokens)
t = time.perf_counter(); ids = enc.encode(BENCH_TEXT); first = time.perf_counter() - t
t = time.perf_counter(); ids2 = enc.encode(BENCH_TEXT); again = time.perf_counter() - t
[first, again, ids]`)""")
    first, again, ids = result
    assert ids == expected, "browser llm_core disagrees with tiktoken"
    out["browser llm_core, worker (first pass)"] = first
    out["browser llm_core, worker (warm piece cache)"] = again
    page.close()

    page = browser.new_page()
    page.goto(base + "bench-js-tiktoken/index.html")
    js = page.evaluate(
        """async (text) => {
        const { Tiktoken } = await import('./lite.js');
        const ranks = (await import('./o200k_base.js')).default;
        const enc = new Tiktoken(ranks);
        let t = performance.now(); const ids = enc.encode(text); const first = performance.now() - t;
        t = performance.now(); enc.encode(text); const again = performance.now() - t;
        return [first / 1000, again / 1000, Array.from(ids)];
    }""",
        text,
    )
    assert js[2] == expected, "js-tiktoken disagrees with tiktoken"
    out["browser js-tiktoken, main thread (first pass)"] = js[0]
    out["browser js-tiktoken, main thread (second pass)"] = js[1]
    page.close()
    return out


def measure_typing(browser, base: str, text: str, keystrokes: int) -> list[float]:
    """ms from a keystroke to the widget's redraw (the glassbox:drawn event) in the tokenizer widget."""
    page = browser.new_page()
    page.goto(base + TOKENIZER_PAGE)
    page.wait_for_function(
        "() => document.querySelector('figure[data-widget=tokenizer_compare][data-state=live]')", timeout=120_000
    )
    field = page.locator('figure[data-widget="tokenizer_compare"] [data-param="text"]').first
    field.fill(text)
    page.wait_for_function("""() => { const i = glassbox.instances.find(i => i.name === 'tokenizer_compare');
        return !i.inFlight && !i.latest; }""")
    page.evaluate("""() => {
        window.__lat = [];
        const fig = document.querySelector('figure[data-widget=tokenizer_compare]');
        fig.addEventListener('glassbox:drawn', () => {
            const t0 = window.__keyAt; if (t0 !== undefined) { window.__lat.push(performance.now() - t0); window.__keyAt = undefined; }
        });
        fig.querySelector('[data-param=text]').addEventListener('keydown', () => { window.__keyAt = performance.now(); }, true);
    }""")
    field.focus()
    field.press("End")
    latencies = []
    for i in range(keystrokes):
        n_before = page.evaluate("() => window.__lat.length")
        page.keyboard.press("a" if i % 2 == 0 else "Backspace")
        page.wait_for_function(f"() => window.__lat.length > {n_before}", polling=5)
    latencies = page.evaluate("() => window.__lat")
    page.close()
    return latencies


LONG_PROMPT = (
    "The President of the United States shall from time to time give to the Congress information of "
    "the State of the Union, and recommend to their Consideration such Measures as he shall judge "
    "necessary and expedient. Tonight I ask the Congress to work with me on the budget, on"
)
MOVES_PER_CONTROL = 16


def widget_instances() -> list[tuple[str, str]]:
    """(page, widget) for the first place each widget appears, in chapter order."""
    import build

    seen, out = set(), []
    for path in sorted(build.Options().chapters.glob("*.md")):
        ch = build.parse_chapter(path)
        for block in ch.blocks:
            if block.kind == "widget" and block.name not in seen:
                seen.add(block.name)
                out.append((ch.filename, block.name))
    return out


def runs_model(name: str) -> bool:
    import build

    module = build.load_widgets(build.Options().widgets)[name].module
    return any(f.startswith("models/") for f in module.DATA)


DRAG_JS = """async ([name, key, values]) => {
    const fig = document.querySelector(`figure[data-widget="${name}"]`);
    const control = fig.querySelectorAll('[data-param]')[key];
    const out = [];
    for (const v of values) {
        const drawn = new Promise((resolve) => fig.addEventListener('glassbox:drawn', resolve, { once: true }));
        const t0 = performance.now();
        if (control.type === 'checkbox') control.checked = Boolean(v); else control.value = String(v);
        control.dispatchEvent(new Event('input', { bubbles: true }));
        control.dispatchEvent(new Event('change', { bubbles: true }));
        await drawn;
        out.push(performance.now() - t0);
        await new Promise((r) => requestAnimationFrame(() => r()));
    }
    return out;
}"""


def control_values(c) -> tuple[str, list]:
    """("drag", values) for a range or number control (MOVES_PER_CONTROL values spread over its range),
    ("choice", values) for a menu (every option, twice) or a checkbox (flipped and back, twice), else ("", [])."""
    tag = c.evaluate("e => e.tagName")
    kind = c.get_attribute("type") or tag.lower()
    if tag == "SELECT":
        return "choice", [o.get_attribute("value") for o in c.locator("option").all()] * 2
    if kind == "checkbox":
        return "choice", [not c.is_checked(), c.is_checked()] * 2
    if kind in ("range", "number"):
        lo, hi = float(c.get_attribute("min") or 0), float(c.get_attribute("max") or 100)
        step = c.get_attribute("step")
        values = [
            lo + (hi - lo) * ((7 * i) % MOVES_PER_CONTROL) / (MOVES_PER_CONTROL - 1) for i in range(MOVES_PER_CONTROL)
        ]
        if step and step != "any":
            values = [round(v / float(step)) * float(step) for v in values]
        return "drag", values
    return "", []


EDIT_WORDS = ["the", "nation", "must", "act", "now", "and", "the", "people", "will", "decide"]


def measure_drag(browser, base: str, only: set | None = None) -> list[dict]:
    """Per widget: ms from a control's input event to the redrawn figure, one move at a time.

    Drags: every range and number control through MOVES_PER_CONTROL values spread over its range. Choices:
    every menu option and every checkbox state, twice. A widget whose only control is text gets edits
    instead (a word added at a time). A widget with a checkbox is measured again with each box flipped,
    as its own row: a box can switch on work that is slow on purpose."""
    rows = []
    for page_name, name in widget_instances():
        if only and name not in only:
            continue
        page = browser.new_page()
        page.goto(base + page_name)
        page.wait_for_function(
            "() => [...document.querySelectorAll('figure.widget')].every(f => f.dataset.state === 'live')",
            timeout=120_000,
        )
        fig = page.locator(f'figure[data-widget="{name}"]').first
        model = runs_model(name)
        controls = fig.locator("[data-param]").all()
        idle = """(n) => { const i = glassbox.instances.find(i => i.name === n); return !i.inFlight && !i.latest; }"""
        texts = [
            k
            for k, c in enumerate(controls)
            if c.evaluate("e => e.tagName === 'TEXTAREA' || (e.tagName === 'INPUT' && e.type === 'text')")
        ]
        if model and texts:  # a prompt of about 64 tokens in the first text field
            controls[texts[0]].fill(LONG_PROMPT)
            page.wait_for_function(idle, arg=name, timeout=120_000)

        def sweep(label: str) -> None:
            times = {"drag": [], "choice": []}
            for key, c in enumerate(controls):
                kind, values = control_values(c)
                if not kind:
                    continue
                original = (
                    c.input_value() if kind == "drag" or c.evaluate("e => e.tagName") == "SELECT" else c.is_checked()
                )
                times[kind] += page.evaluate(DRAG_JS, [name, key, values])
                page.evaluate(DRAG_JS, [name, key, [original]])
            if not times["drag"] and not times["choice"] and texts:  # text only: add a word at a time
                start = controls[texts[0]].input_value()
                values = [(start + " " + " ".join(EDIT_WORDS[: i + 1])).strip() for i in range(len(EDIT_WORDS))]
                times["drag"] = page.evaluate(DRAG_JS, [name, texts[0], values])
                page.evaluate(DRAG_JS, [name, texts[0], [start]])
                label += " (text edits)"
            if times["drag"] or times["choice"]:
                d, ch = times["drag"], times["choice"]
                rows.append(
                    {
                        "page": page_name,
                        "widget": label,
                        "model": model,
                        "moves": len(d),
                        "p50": pct(d, 50) if d else None,
                        "p95": pct(d, 95) if d else None,
                        "max": max(d) if d else None,
                        "choices": len(ch),
                        "choice_p95": pct(ch, 95) if ch else None,
                    }
                )
                print(f"  {rows[-1]}", flush=True)
            else:
                print(f"  {label}: no control to move", flush=True)

        sweep(name)
        for key, c in enumerate(controls):
            if c.get_attribute("type") == "checkbox":
                page.evaluate(DRAG_JS, [name, key, [not c.is_checked()]])
                box = c.evaluate("e => (e.labels && e.labels[0] ? e.labels[0].textContent : e.dataset.param).trim()")
                sweep(f'{name}, with "{box[:40]}" {"ticked" if c.is_checked() else "unticked"}')
                page.evaluate(DRAG_JS, [name, key, [not c.is_checked()]])
        page.close()
    return rows


MODEL_BENCH = """
import time
import numpy as np
from llm_core.model import forward
from llm_core.model_files import load_model
from llm_core.generation import prefill

tiny = load_model("models/tiny")
cfg, w = tiny.cfg, tiny.weights
rng = np.random.default_rng(0)

def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter(); fn(); times.append(time.perf_counter() - t)
    return min(times)

def prefill_flops(n):
    # 2 flops per multiply-add: every weight matrix once per token, the tied unembedding, attention
    per_layer = cfg.d_model * (cfg.n_head + 2 * cfg.n_kv_head) * cfg.d_head + cfg.n_head * cfg.d_head * cfg.d_model
    per_layer += 3 * cfg.d_model * cfg.d_ff
    attn = 2 * cfg.n_head * cfg.d_head * n * n          # scores and weighted sum of values
    return 2 * n * (cfg.n_layer * per_layer + cfg.d_model * cfg.n_vocab) + 2 * cfg.n_layer * attn

out = {}
ids = rng.integers(0, cfg.n_vocab, 256).tolist()
forward(w, cfg, ids[:16])                                   # warm up
secs = best(lambda: forward(w, cfg, ids[:128]), 5)
out["prefill_128_s"] = secs
out["prefill_gflops"] = prefill_flops(128) / secs / 1e9
a = rng.standard_normal((128, cfg.d_model), dtype=np.float32)
b = rng.standard_normal((cfg.d_model, cfg.n_vocab), dtype=np.float32)
bt = np.ascontiguousarray(b.T)
# subtle: Pyodide's numpy has no BLAS; its fallback loop is fast when the right operand's columns are
# contiguous (b = bt.T) and slow otherwise. The floor is the better of the two layouts.
flops = 2 * 128 * cfg.d_model * cfg.n_vocab
out["matmul_gflops_c"] = flops / best(lambda: a @ b, 10) / 1e9
out["matmul_gflops_f"] = flops / best(lambda: a @ bt.T, 10) / 1e9
out["matmul_gflops"] = max(out["matmul_gflops_c"], out["matmul_gflops_f"])
out["matmul_shape"] = [128, cfg.d_model, cfg.n_vocab]
for n_ctx in (64, 256):
    n_new = 16
    prompt = ids[: n_ctx - n_new]
    cached = best(lambda: tiny.generate(prompt, n_new, temperature=0, use_cache=True), 2)
    uncached = best(lambda: tiny.generate(prompt, n_new, temperature=0, use_cache=False), 1)
    # the prefill (the prompt's pass, next-token logits only) is common to both; time it alone and take
    # it out, to compare the decode steps
    pre = best(lambda: prefill(tiny, prompt), 2)
    out[f"decode_{n_ctx}"] = {"cached_tok_s": n_new / max(cached - pre, 1e-9),
                              "uncached_tok_s": n_new / max(uncached - pre, 1e-9)}
out
"""


def measure_model(browser, base: str) -> dict | None:
    """Prefill and decode speed of the tiny model in the page's worker (None if it is not trained)."""
    if not (ROOT / "models" / "tiny" / "config.json").exists():
        return None
    page = browser.new_page()
    page.goto(base + "index.html")
    page.evaluate("() => glassbox.ready.then(() => true)")
    result = page.evaluate("(code) => glassbox.py(code)", MODEL_BENCH)
    page.close()
    return result


# ---- SmolLM2-135M-Instruct in the page, next to llama.cpp compiled to WebAssembly (wllama) ----

SMOLLM2_PAGE = "sampling.html"  # a chapter whose widgets can switch to SmolLM2
SMOLLM2_RUNS = 3  # decode and prefill runs of each engine, alternated; medians
PROFILE_STEPS = 15  # decode steps profiled part by part
DECODE_PROMPT_TOKENS, DECODE_NEW_TOKENS, PREFILL_TOKENS = 8, 32, 64
CHAT_QUESTION = "What is the capital of France?"
WLLAMA = ROOT / "node_modules" / "@wllama" / "wllama"
WLLAMA_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wllama</title></head><body>
<script type="module">
import { Wllama } from './index.js';
window.Wllama = Wllama;
</script></body></html>
"""

# Run once in the page's worker after the model is loaded; later calls use these names. Every time is
# time.perf_counter() in the worker, around the measured work only.
SMOLLM2_SETUP = """
import time
import numpy as np
from llm_core import model as M
from llm_core.models import get_model
from llm_core.sampling import sample, top_tokens

SM = get_model("smollm2")
SM_CFG, SM_W = SM.cfg, SM.weights
SM_LAYER = ("wq", "wk", "wv", "wo", "w_gate", "w_up", "w_down")
# numpy's reference rates on SmolLM2's FFN shape, weights as llm_core keeps them: [d_in, d_out], each column
# contiguous (np.asfortranarray); measured right after each decode or prefill run, so each budget compares
# two measurements made under the same load
_rng = np.random.default_rng(0)
SM_X = _rng.standard_normal((1, SM_CFG.d_model), dtype=np.float32)
SM_XS = _rng.standard_normal((64, SM_CFG.d_model), dtype=np.float32)
SM_WF = np.asfortranarray(_rng.standard_normal((SM_CFG.d_model, SM_CFG.d_ff), dtype=np.float32))


def sm_median(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter(); fn(); times.append(time.perf_counter() - t)
    return sorted(times)[len(times) // 2]


def sm_decode(prompt, n_new):
    # greedy: the prompt's prefill (not timed), then n_new decode steps, each one forward pass of the
    # newest token against the KV cache and an argmax; the loop alone is timed; then the matrix-vector rate
    cache, logits = M.prefill(SM, prompt)
    token = int(np.argmax(logits))
    ids = [token]
    t = time.perf_counter()
    for _ in range(n_new):
        logits, _ = M.forward(SM_W, SM_CFG, [token], cache=cache, logits_to_keep=1)
        token = int(np.argmax(logits[-1]))
        ids.append(token)
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "ids": ids, "matvec": sm_median(lambda: SM_X @ SM_WF, 31)}


def sm_prefill(prompt):
    t = time.perf_counter()
    M.prefill(SM, prompt)
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "matmul": sm_median(lambda: SM_XS @ SM_WF, 3)}


def sm_generate(prompt, n_new):
    # the widgets' path: llm_core.generation.generate (sampler, top-5, decoded piece per token), prefill taken out
    total = sm_median(lambda: M.generate(SM, prompt, n_new, temperature=0), 1)
    return total - sm_prefill(prompt)["seconds"]


def sm_rates():
    # the same products in the two other layouts, beside llm_core's
    w_rows = np.ascontiguousarray(SM_WF)
    w_out_in = np.ascontiguousarray(SM_WF.T)  # [d_out, d_in], rows contiguous: y = w_out_in @ x
    return {"matvec": sm_median(lambda: SM_X @ SM_WF, 31), "matvec_rowmajor": sm_median(lambda: SM_X @ w_rows, 31),
            "matvec_out_in": sm_median(lambda: w_out_in @ SM_X[0], 31),
            "matmul": sm_median(lambda: SM_XS @ SM_WF, 5), "matmul_rowmajor": sm_median(lambda: SM_XS @ w_rows, 5),
            "shape": list(SM_WF.shape)}


def sm_layer_matvecs(weights, layers, fused=False, out_in=False):
    # one decode step's weight products for these layers, nothing else (vectors of the right widths)
    d, q = SM_CFG.d_model, SM_CFG.n_head * SM_CFG.d_head
    x, h, z = np.full((1, d), 0.01, np.float32), np.full((1, q), 0.01, np.float32), np.full((1, SM_CFG.d_ff), 0.01, np.float32)
    t = time.perf_counter()
    for i in layers:
        if fused:
            x @ weights[f"{i}.wqkv"]; h @ weights[f"{i}.wo"]; x @ weights[f"{i}.w_gate_up"]; z @ weights[f"{i}.w_down"]
        elif out_in:
            for name in SM_LAYER:
                weights[f"{i}.{name}"] @ (h[0] if name == "wo" else z[0] if name == "w_down" else x[0])
        else:
            for name in SM_LAYER:
                (h if name == "wo" else z if name == "w_down" else x) @ weights[f"layers.{i}.{name}"]
    return time.perf_counter() - t


def sm_variants(n_layers):
    # the same products for the first n_layers layers in two other layouts, copied for the test and freed;
    # the three are timed in turn, three rounds, medians
    layers = range(n_layers)
    fused, out_in = {}, {}
    for i in layers:
        g = lambda name: SM_W[f"layers.{i}.{name}"]
        fused[f"{i}.wqkv"] = np.asfortranarray(np.concatenate([g("wq"), g("wk"), g("wv")], axis=1))
        fused[f"{i}.w_gate_up"] = np.asfortranarray(np.concatenate([g("w_gate"), g("w_up")], axis=1))
        fused[f"{i}.wo"], fused[f"{i}.w_down"] = g("wo"), g("w_down")
        for name in SM_LAYER:
            out_in[f"{i}.{name}"] = np.ascontiguousarray(g(name).T)
    times = {"now": [], "fused": [], "out_in": []}
    for _ in range(3):
        times["now"].append(sm_layer_matvecs(SM_W, layers))
        times["fused"].append(sm_layer_matvecs(fused, layers, fused=True))
        times["out_in"].append(sm_layer_matvecs(out_in, layers, out_in=True))
    del fused, out_in
    return {"layers": n_layers, **{k: sorted(v)[1] for k, v in times.items()}}


def sm_profile(prompt, n_steps):
    # decode steps with llm_core.model's parts wrapped in timers (restored after); after each step, the
    # same weight products alone (every matrix of the model once, vectors of the right widths: a step's
    # products streamed from memory); per-step medians
    parts = {"multi_head_attention": "attention", "swiglu": "ffn", "rms_norm": "norms", "unembed": "unembedding"}
    originals = {name: getattr(M, name) for name in parts}
    spent = {}

    def timed(fn, key):
        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[key] += time.perf_counter() - t
        return wrapper

    d, q, f = SM_CFG.d_model, SM_CFG.n_head * SM_CFG.d_head, SM_CFG.d_ff
    x, h, z = np.full((1, d), 0.01, np.float32), np.full((1, q), 0.01, np.float32), np.full((1, f), 0.01, np.float32)
    W = lambda i, name: SM_W[f"layers.{i}.{name}"]
    cache, logits = M.prefill(SM, prompt)
    token = int(np.argmax(logits))
    steps = []
    try:
        for name, key in parts.items():
            setattr(M, name, timed(originals[name], key))
        for _ in range(n_steps):
            spent.update({key: 0.0 for key in parts.values()})
            t = time.perf_counter()
            logits, _ = M.forward(SM_W, SM_CFG, [token], cache=cache, logits_to_keep=1)
            t2 = time.perf_counter()
            token = int(np.argmax(logits[-1]))
            row = dict(spent, total=t2 - t, argmax=time.perf_counter() - t2)
            t = time.perf_counter()
            for i in range(SM_CFG.n_layer):
                x @ W(i, "wq"); x @ W(i, "wk"); x @ W(i, "wv"); h @ W(i, "wo")
            t2 = time.perf_counter()
            for i in range(SM_CFG.n_layer):
                x @ W(i, "w_gate"); x @ W(i, "w_up"); z @ W(i, "w_down")
            t3 = time.perf_counter()
            originals["unembed"](x, SM_W)
            row.update(attention_matvecs=t2 - t, ffn_matvecs=t3 - t2, unembed_matvec=time.perf_counter() - t3)
            steps.append(row)
    finally:
        for name, fn in originals.items():
            setattr(M, name, fn)
    for s in steps:  # the step less its products, paired step by step (a load spike hits one pair, not the median)
        s["rest"] = s["total"] - s["attention_matvecs"] - s["ffn_matvecs"] - s["unembed_matvec"]
    out = {k: sorted(s[k] for s in steps)[len(steps) // 2] for k in steps[0]}
    rng = np.random.default_rng(0)
    out["sampler"] = sm_median(lambda: top_tokens(sample(logits[-1], 0.0, 0, 1.0, 0.0, rng)["stages"]["softmax"], 5), 5)
    return out
"""

WLLAMA_LOAD_JS = """async ([file, prompt, nCtx]) => {
    const t0 = performance.now();
    const w = new Wllama({ default: new URL('./wllama.wasm', location.href).href }, { suppressNativeLog: true });
    const blob = await (await fetch(file)).blob();
    const fetched = performance.now() - t0;
    // flash_attn off: wllama 3.13.0's default (auto: on) gives SmolLM2 wrong tokens here (the chat prompt's
    // greedy answer starts "L'Étoile" instead of the reference's "The capital of France is Paris.")
    await w.loadModel([blob], { n_threads: 1, n_gpu_layers: 0, n_ctx: nCtx, n_parallel: 1, flash_attn: false });
    const loaded = performance.now() - t0;
    const first = await w.createCompletion({ prompt, max_tokens: 1, temperature: 0, cache_prompt: false });
    window.wllama = w;
    return { fetched, loaded, total: performance.now() - t0, threads: w.getNumThreads(),
             multithread: w.isMultithread(), first: first.choices[0].text, promptTokens: first.usage.prompt_tokens };
}"""
WLLAMA_RUN_JS = """async ([prompt, maxTokens]) => {
    const t0 = performance.now();
    const out = await window.wllama.createCompletion({ prompt, max_tokens: maxTokens, temperature: 0,
                                                      cache_prompt: false, ignore_eos: true });
    return { wall: performance.now() - t0, timings: out.timings, text: out.choices[0].text };
}"""
GLASSBOX_LOAD_JS = """async (ids) => {
    let downloaded = null;
    const t0 = performance.now();
    const onModel = (e) => { if (e.detail.phase === 'unpack' && downloaded === null) downloaded = performance.now() - t0; };
    document.addEventListener('glassbox:model', onModel);
    const info = await glassbox.models.load('smollm2');
    const loaded = performance.now() - t0;
    const first = await glassbox.py(`from llm_core.models import get_model
from llm_core.generation import generate
generate(get_model('smollm2'), ${JSON.stringify(ids)}, max_new_tokens=1, temperature=0)['new_ids']`);
    document.removeEventListener('glassbox:model', onModel);
    return { downloaded, loaded, total: performance.now() - t0, first, fromCache: info.fromCache, bytes: info.bytes };
}"""


def renderers(browser) -> set[int]:
    """The ids of the browser's renderer processes (CDP SystemInfo)."""
    session = browser.new_browser_cdp_session()
    try:
        info = session.send("SystemInfo.getProcessInfo")["processInfo"]
    finally:
        session.detach()
    return {p["id"] for p in info if p["type"] == "renderer"}


def process_memory(pids) -> dict | None:
    """Resident and peak resident MB (Linux /proc) of the largest of these processes, or None."""
    best = None
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        kb = {
            k: int(v.split()[0])
            for k, v in (line.split(":", 1) for line in status.splitlines())
            if k in ("VmRSS", "VmHWM")
        }
        if "VmRSS" in kb and (best is None or kb["VmRSS"] > best["rss"] * 1024):
            best = {"rss": kb["VmRSS"] / 1024, "peak": kb.get("VmHWM", 0) / 1024}
    return best


def smollm2_prompts() -> dict:
    """The prompts both engines read, as SmolLM2's token ids and as text (llama.cpp tokenizes the text;
    the ids are checked to survive the round trip and wllama's prompt count is checked against them)."""
    from llm_core import chat, gguf
    from llm_core.bpe_merges import encoding_from_gguf_metadata
    from sitebuild.smollm2 import FILE_NAME

    f = gguf.read_gguf(ROOT / "_build" / "cache" / "smollm2" / FILE_NAME)
    enc = encoding_from_gguf_metadata(f.metadata)
    long_ids = enc.encode(english_text(4000))[:PREFILL_TOKENS]
    short_ids = enc.encode(LONG_PROMPT)[:DECODE_PROMPT_TOKENS]
    chat_prompt = chat.encode_chat(
        enc, chat.chat_template(f.metadata), [{"role": "user", "content": CHAT_QUESTION}], add_generation_prompt=True
    )
    out = {
        "prefill": long_ids,
        "decode": short_ids,
        "chat": chat_prompt["ids"],
        "chat_text": chat_prompt["text"],
        "cfg": gguf.config_from_gguf(f.metadata),
        "tensor_bytes": sum(t.n_bytes for t in f.tensors.values()),
        "decode_text": enc.decode(short_ids),
        "prefill_text": enc.decode(long_ids),
        "encoding": enc,
    }
    for key in ("decode", "prefill"):
        assert enc.encode(out[f"{key}_text"]) == out[key], f"the {key} prompt does not survive decoding"
    return out


def weight_macs(cfg) -> int:
    """Multiply-adds of one token through every weight matrix of the blocks (the unembedding aside)."""
    q, kv = cfg.n_head * cfg.d_head, cfg.n_kv_head * cfg.d_head
    return cfg.n_layer * (cfg.d_model * (q + 2 * kv) + q * cfg.d_model + 3 * cfg.d_model * cfg.d_ff)


def forward_flops(cfg, n_new: int, n_past: int) -> int:
    """Multiply-adds x 2 of a forward pass of n_new tokens after n_past cached ones, logits for the last
    position only (as prefill and decode run): every weight matrix once per token, the tied unembedding
    once, and attention's scores and weighted sums over every key it computes (llm_core computes the
    whole [n_new, n_past + n_new] score matrix, masked after)."""
    attention = cfg.n_layer * 2 * cfg.n_head * cfg.d_head * n_new * (n_past + n_new)
    return 2 * (n_new * weight_macs(cfg) + attention + cfg.d_model * cfg.n_vocab)


def measure_smollm2(browser, base: str, wllama_base: str | None, prompts: dict) -> dict:
    """SmolLM2-135M-Instruct in Glassbox's worker and in wllama (llama.cpp, one thread), in one browser:
    load to the first answer token (cold and cached), memory, then decode and prefill runs alternated
    between the two engines, numpy's rates, a profile of a decode step and two weight layouts."""
    out = {"load": os.getloadavg()[0]}
    # Glassbox, cold: a new context has an empty Cache Storage
    before = renderers(browser)
    ctx = browser.new_context()
    page = ctx.new_page()
    page.set_default_timeout(300_000)
    page.goto(base + SMOLLM2_PAGE)
    page.evaluate("() => glassbox.ready.then(() => true)")
    ours = renderers(browser) - before
    out["memory_before"] = process_memory(ours)
    out["cold"] = page.evaluate(GLASSBOX_LOAD_JS, prompts["chat"])
    out["heap"] = page.evaluate("() => glassbox.py('import pyodide_js; pyodide_js._module.HEAP8.length')")
    out["memory_after"] = process_memory(renderers(browser) - before)
    print(f"  cold load: {out['cold']}, memory {out['memory_after']}", flush=True)
    again = ctx.new_page()  # same context: the parts come from Cache Storage
    again.set_default_timeout(300_000)
    again.goto(base + SMOLLM2_PAGE)
    again.evaluate("() => glassbox.ready.then(() => true)")
    out["cached"] = again.evaluate(GLASSBOX_LOAD_JS, prompts["chat"])
    again.close()
    print(f"  cached load: {out['cached']}", flush=True)
    page.evaluate("(code) => glassbox.py(code + '\\nNone')", SMOLLM2_SETUP)

    # llama.cpp: the same file, and (speed only) its Q4_0 copy; each in a context of its own
    wpages = {}
    for engine, file in (("wllama", "model.gguf"), ("wllama_q4_0", "model-q4_0.gguf")) if wllama_base else ():
        before = renderers(browser)
        wpage = browser.new_context().new_page()
        wpage.set_default_timeout(300_000)
        errors = []
        wpage.on("pageerror", lambda e: errors.append(str(e)))
        wpage.goto(wllama_base + "index.html")
        wpage.wait_for_function("() => window.Wllama")
        try:
            out[f"{engine}_load"] = wpage.evaluate(WLLAMA_LOAD_JS, [file, prompts["chat_text"], 1024])
            out[f"{engine}_memory"] = process_memory(renderers(browser) - before)
            print(f"  {engine} load: {out[f'{engine}_load']}, memory {out[f'{engine}_memory']}", flush=True)
            wpages[engine] = wpage
        except Exception as e:  # noqa: BLE001 - the report says what failed; Glassbox's numbers still stand
            out[f"{engine}_error"] = f"{e}"[:300] + (f" ({errors[0][:200]})" if errors else "")
            wpage.context.close()
    # warm-up (each engine's code paths compiled and caches touched), then alternate runs
    page.evaluate("(p) => glassbox.py(`sm_decode(${JSON.stringify(p)}, 2)['seconds']`)", prompts["decode"])
    for wpage in wpages.values():
        wpage.evaluate(WLLAMA_RUN_JS, [prompts["decode_text"], 3])
    runs = {
        key: []
        for key in (
            "decode",
            "matvec",
            "prefill",
            "matmul",
            *(f"{e}_{k}" for e in wpages for k in ("decode", "prefill")),
        )
    }
    for r in range(SMOLLM2_RUNS):
        d = page.evaluate(
            "([p, n]) => glassbox.py(`sm_decode(${JSON.stringify(p)}, ${n})`)", [prompts["decode"], DECODE_NEW_TOKENS]
        )
        runs["decode"].append(d["seconds"])
        runs["matvec"].append(d["matvec"])
        out["decode_ids"] = d["ids"]
        for engine, wpage in wpages.items():
            # llama.cpp's own timers: predicted_ms runs from the first token (sampled after the prompt) to the
            # last, so max_tokens = n + 1 times n decode passes, as in Glassbox's loop
            w = wpage.evaluate(WLLAMA_RUN_JS, [prompts["decode_text"], DECODE_NEW_TOKENS + 1])
            t = w["timings"]
            runs[f"{engine}_decode"].append(t["predicted_ms"] / 1000 * DECODE_NEW_TOKENS / (t["predicted_n"] - 1))
            out[f"{engine}_decode_text"], out[f"{engine}_decode_prompt_n"] = w["text"], t["prompt_n"]
        pre = page.evaluate("(p) => glassbox.py(`sm_prefill(${JSON.stringify(p)})`)", prompts["prefill"])
        runs["prefill"].append(pre["seconds"])
        runs["matmul"].append(pre["matmul"])
        for engine, wpage in wpages.items():
            t = wpage.evaluate(WLLAMA_RUN_JS, [prompts["prefill_text"], 1])["timings"]
            runs[f"{engine}_prefill"].append(t["prompt_ms"] / 1000)
            out[f"{engine}_prefill_prompt_n"] = t["prompt_n"]
        print(
            f"  round {r + 1}: "
            + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in runs.items() if k not in ("matvec", "matmul")),
            flush=True,
        )
    out["runs"] = runs
    for wpage in wpages.values():
        wpage.context.close()
    print("  numpy rates, profile, layouts ...", flush=True)
    out["rates"] = page.evaluate("() => glassbox.py('sm_rates()')")
    out["profile"] = page.evaluate(
        "([p, n]) => glassbox.py(`sm_profile(${JSON.stringify(p)}, ${n})`)", [prompts["decode"], PROFILE_STEPS]
    )
    out["generate"] = page.evaluate(
        "([p, n]) => glassbox.py(`sm_generate(${JSON.stringify(p)}, ${n})`)", [prompts["decode"], DECODE_NEW_TOKENS]
    )
    out["variants"] = page.evaluate("() => glassbox.py('sm_variants(10)')")
    out["simd"] = page.evaluate("""() => glassbox.py(`import numpy as np
c = np.show_config(mode='dicts').get('SIMD Extensions', {})
[c.get('baseline', []), c.get('found', [])]`)""")
    out["load_after"] = os.getloadavg()[0]
    ctx.close()
    return out


SMOLLM2_HEADING = "## SmolLM2-135M-Instruct in the page, next to llama.cpp"


def smollm2_report(r: dict, prompts: dict) -> list[str]:
    """The section's lines; every ratio compares numbers from the same run and browser."""
    cfg, med = prompts["cfg"], statistics.median
    ok = lambda good: "met" if good else "MISSED"  # noqa: E731
    gf = lambda flops, s: flops / s / 1e9  # noqa: E731
    runs, rates, prof, var = r["runs"], r["rates"], r["profile"], r["variants"]
    n_new, n_pre, n_prompt = DECODE_NEW_TOKENS, PREFILL_TOKENS, DECODE_PROMPT_TOKENS
    # seconds per decode step and per prefill, per engine (medians of the alternated runs)
    step = {
        e: med(runs[f"{p}decode"]) / n_new
        for e, p in (("ours", ""), ("q4_1", "wllama_"), ("q4_0", "wllama_q4_0_"))
        if runs.get(f"{p}decode")
    }
    pre = {
        e: med(runs[f"{p}prefill"])
        for e, p in (("ours", ""), ("q4_1", "wllama_"), ("q4_0", "wllama_q4_0_"))
        if runs.get(f"{p}prefill")
    }
    # the first decode pass reads the prompt and the prefill's token: n_past = n_prompt + k for pass k
    decode_flops = sum(forward_flops(cfg, 1, n_prompt + k) for k in range(n_new)) / n_new
    prefill_flops = forward_flops(cfg, n_pre, 0)
    weight_bytes = 4 * (weight_macs(cfg) + cfg.d_model * cfg.n_vocab)  # float32 weights a decode step reads
    d, f = rates["shape"]
    mv_flops, mm_flops = 2 * d * f, 2 * 64 * d * f
    # the reference rates were measured right after each run: medians of them, and of the per-run shares
    matvec, matmul = gf(mv_flops, med(runs["matvec"])), gf(mm_flops, med(runs["matmul"]))
    decode_gf, prefill_gf = gf(decode_flops, step["ours"]), gf(prefill_flops, pre["ours"])
    decode_share = med(gf(decode_flops, s / n_new) / gf(mv_flops, m) for s, m in zip(runs["decode"], runs["matvec"]))
    prefill_share = med(gf(prefill_flops, s) / gf(mm_flops, m) for s, m in zip(runs["prefill"], runs["matmul"]))
    # every weight product of a step alone, timed after each profiled step: the step's products from memory
    stream_s = products = prof["attention_matvecs"] + prof["ffn_matvecs"] + prof["unembed_matvec"]
    lines = [
        SMOLLM2_HEADING,
        "",
        f"Machine: {machine()}. Load average (1 min) when the section started / ended: "
        f"{r['load']:.1f} / {r['load_after']:.1f} on {os.cpu_count()} cores"
        + (
            " (other processes were running: every number is slower and noisier than on a quiet machine; the "
            "ratios compare runs alternated under the same load)"
            if max(r["load"], r["load_after"]) > 1.5
            else ""
        )
        + ".",
        "",
        "SmolLM2-135M-Instruct (GGUF Q4_1, 98 MB; 30 layers, d_model 576, 9 query and 3 key/value heads, "
        "d_ff 1536, 49,152 tokens) in one headless Chromium: in Glassbox's worker (llm_core on Pyodide's numpy, "
        "the weights dequantized to float32 and laid out as llm_core keeps them, [d_in, d_out] with each column "
        "contiguous) and in llama.cpp compiled to WebAssembly (npm `@wllama/wllama` "
        f"{wllama_version()}: one thread, no SharedArrayBuffer or cross-origin isolation needed, WebGPU off, the "
        "GGUF file and wllama's .wasm served by the benchmark's own server). llama.cpp runs the same file, and "
        "also a copy whose Q4_1 matrices are requantized to Q4_0 (speed only): its WebAssembly build has SIMD "
        "dot products for Q4_0, Q5_0, Q5_1 and Q8_0 but runs Q4_1 through its generic C loop (ggml-cpu's "
        "arch-fallback.h maps ggml_vec_dot_q4_1_q8_1 to the generic one for __wasm__). Decode: greedy, "
        f"{n_new} new tokens after a prompt of {n_prompt} tokens, the decode loop alone timed (Glassbox: "
        "time.perf_counter in the worker around the forward passes and argmaxes; llama.cpp: its own "
        f"`predicted_ms`, which spans {n_new} decode passes for {n_new + 1} tokens). Prefill: a {n_pre}-token "
        "prompt read in one pass up to the next token's logits (llama.cpp: its `prompt_ms`). Runs of the "
        f"engines alternate; medians of {SMOLLM2_RUNS}.",
        "",
    ]
    has = {e: e in step and e in pre for e in ("q4_1", "q4_0")}
    head = "| measurement | Glassbox (numpy, worker) |"
    rule = "| --- | ---: |"
    for e, label in (("q4_1", "llama.cpp, same file (Q4_1)"), ("q4_0", "llama.cpp, Q4_0 copy")):
        if has[e]:
            head += f" {label} | Glassbox / it |"
            rule += " ---: | ---: |"
    lines += [head, rule]

    def row(label, ours, theirs, fmt, higher_better=True):
        cells = f"| {label} | {fmt(ours)} |"
        for e in ("q4_1", "q4_0"):
            if has[e]:
                ratio = ours / theirs[e] if higher_better else theirs[e] / ours
                cells += f" {fmt(theirs[e])} | **{ratio:.2f}x** |"
        return cells

    lines += [
        row("decode (tokens/s)", 1 / step["ours"], {e: 1 / s for e, s in step.items()}, lambda v: f"{v:.2f}"),
        row(
            "decode step (ms per token)",
            step["ours"] * 1000,
            {e: s * 1000 for e, s in step.items()},
            lambda v: f"{v:.0f}",
            higher_better=False,
        ),
        row(
            f"prefill of {n_pre} tokens (ms)",
            pre["ours"] * 1000,
            {e: s * 1000 for e, s in pre.items()},
            lambda v: f"{v:.0f}",
            higher_better=False,
        ),
        row("prefill (tokens/s)", n_pre / pre["ours"], {e: n_pre / s for e, s in pre.items()}, lambda v: f"{v:.1f}"),
    ]
    lines += ["", "Ratios are Glassbox's speed over llama.cpp's (above 1: Glassbox is faster).", ""]

    cold, cached, wl = r["cold"], r["cached"], r.get("wllama_load")
    mb, ma, wm = r.get("memory_before"), r.get("memory_after"), r.get("wllama_memory")
    s = lambda ms: f"{ms / 1000:.1f}"  # noqa: E731
    lines += [
        "| from Load to the first answer token, and memory | Glassbox | llama.cpp (same file) |",
        "| --- | ---: | ---: |",
        f"| cold: a new browser context, empty Cache Storage (s) | **{s(cold['total'])}** (download and sha256 "
        f"{s(cold['downloaded'])}, unpack {s(cold['loaded'] - cold['downloaded'])}, first token "
        f"{s(cold['total'] - cold['loaded'])}) | "
        + (
            f"{s(wl['total'])} (download {s(wl['fetched'])}, load {s(wl['loaded'] - wl['fetched'])}, first token "
            f"{s(wl['total'] - wl['loaded'])}) |"
            if wl
            else "- |"
        ),
        f"| cached: a second page in the same context (s) | **{s(cached['total'])}** (Cache Storage and sha256 "
        f"{s(cached['downloaded'])}, unpack {s(cached['loaded'] - cached['downloaded'])}, first token "
        f"{s(cached['total'] - cached['loaded'])}) | - |",
        f"| WebAssembly memory of the worker after loading (MB) | **{r['heap'] / 1e6:.0f}** | - |",
    ]
    if ma:
        lines.append(
            f"| the page's renderer process after loading, resident / peak (MB) | {ma['rss']:.0f} / "
            f"{ma['peak']:.0f} (before Load: {mb['rss']:.0f}) | "
            + (f"{wm['rss']:.0f} / {wm['peak']:.0f} |" if wm else "- |")
        )
    lines += [
        "",
        f'The first answer token: the ChatML prompt ({len(prompts["chat"])} tokens) of "{CHAT_QUESTION}" '
        "prefilled and its first token sampled (Glassbox: llm_core.generation.generate for 1 new token), timed in "
        "the page from the call a Load button makes (glassbox.models.load) to the token. The server is local: "
        "a cold download costs what a very fast network would. llama.cpp loads from a Blob fetched from its "
        "server (wllama keeps no cache here). WebAssembly memory: `pyodide_js._module.HEAP8.length`, the "
        "worker's whole heap, which only grows (the high-water mark; budget under 1 GB: "
        + ok(r["heap"] < 1e9)
        + "). Resident memory: VmRSS / VmHWM of the renderer process that hosts the "
        "page and its worker (found through CDP SystemInfo.getProcessInfo, read from /proc); it also counts "
        "the page, V8's heaps and the GGUF bytes the worker keeps in its file system. "
        "performance.measureUserAgentSpecificMemory needs a cross-origin isolated page, which the site is not.",
    ]
    if not has["q4_1"]:
        lines += ["", f"llama.cpp (wllama) could not be measured: {r.get('wllama_error', 'not installed (npm ci)')}."]
    else:
        ours_text = prompts["encoding"].decode(r["decode_ids"])
        theirs = r["wllama_decode_text"]
        common = next(
            (i for i, (a, b) in enumerate(zip(ours_text, theirs)) if a != b), min(len(ours_text), len(theirs))
        )
        ours_first, theirs_first = prompts["encoding"].decode(r["cold"]["first"]), r["wllama_load"]["first"]
        lines += [
            "",
            f"Same work: llama.cpp counted {r['wllama_decode_prompt_n']} and {r['wllama_prefill_prompt_n']} "
            f"prompt tokens; both answer the chat prompt with {ours_first!r} / {theirs_first!r}; their greedy "
            f"continuations of the decode prompt agree on the first {common} characters"
            + (
                " (all of them)"
                if common >= min(len(ours_text), len(theirs))
                else " (then they part: llama.cpp multiplies by activations rounded to 8 bits and keeps keys and "
                "values in float16, llm_core computes in float32)"
            )
            + ". wllama's default flash attention gives SmolLM2 wrong tokens in this build (the chat answer "
            'starts "L\'Étoile" where the transformers reference says "The capital of France is Paris."), '
            "so llama.cpp runs with flash_attn off.",
        ]
    if r.get("wllama_q4_0_error"):
        lines += ["", f"llama.cpp on the Q4_0 copy could not be measured: {r['wllama_q4_0_error']}."]

    lines += [
        "",
        "### numpy's rates in the same worker, and the budgets",
        "",
        f"float32 on the SmolLM2 FFN's shape [{d}] x [{d}, {f}], median of many calls (the matrix stays in the "
        "CPU's caches between calls); GB/s counts the weights' bytes. The rows in llm_core's layout were "
        f"measured right after each of Glassbox's decode and prefill runs above (medians of the {SMOLLM2_RUNS}), "
        "the others once after them. The last row is every weight matrix of the model once, as a decode step "
        "reads them, from memory (timed after each profiled step below).",
        "",
        "| operation | ms | GFLOP/s | GB/s |",
        "| --- | ---: | ---: | ---: |",
    ]
    for label, secs, flops in (
        ("matrix-vector, llm_core's layout ([d_in, d_out], columns contiguous)", med(runs["matvec"]), mv_flops),
        ("matrix-vector, [d_in, d_out] row-major", rates["matvec_rowmajor"], mv_flops),
        ("matrix-vector, [d_out, d_in] row-major (W @ x)", rates["matvec_out_in"], mv_flops),
        (f"matrix-matrix [64, {d}] x [{d}, {f}], llm_core's layout", med(runs["matmul"]), mm_flops),
        (f"matrix-matrix [64, {d}] x [{d}, {f}], row-major", rates["matmul_rowmajor"], mm_flops),
    ):
        lines.append(f"| {label} | {secs * 1000:.2f} | {gf(flops, secs):.2f} | {4 * d * f / secs / 1e9:.2f} |")
    lines.append(
        f"| every weight matrix once ({weight_bytes / 1e6:.0f} MB of float32), llm_core's layout | "
        f"{stream_s * 1000:.0f} | {gf(weight_bytes / 2, stream_s):.2f} | {weight_bytes / stream_s / 1e9:.2f} |"
    )
    lines += [
        "",
        f"Decode: {decode_flops / 1e6:.0f} MFLOP a token (every matrix product of a step, counted from the "
        f"config, attention over {n_prompt + 1} to {n_prompt + n_new} keys included) at {decode_gf:.2f} GFLOP/s, "
        f"**{decode_share:.0%}** of the matrix-vector rate measured after it (median of the runs' shares; "
        f"budget >= 50%: {ok(decode_share >= 0.5)}). Prefill: {prefill_flops / 1e9:.2f} GFLOP for {n_pre} "
        f"tokens at {prefill_gf:.2f} GFLOP/s, **{prefill_share:.0%}** of the matrix-matrix rate (budget >= 40%: "
        f"{ok(prefill_share >= 0.4)}); a prompt token costs {pre['ours'] / n_pre * 1000:.0f} ms in prefill "
        f"against {step['ours'] * 1000:.0f} ms decoded.",
        "",
    ]
    total = prof["total"]
    rest = total - prof["attention"] - prof["ffn"] - prof["norms"] - prof["unembedding"]
    share = lambda secs: f"{secs / total:.0%}"  # noqa: E731
    ms = lambda secs: f"{secs * 1000:.1f}"  # noqa: E731
    lines += [
        "### Where Glassbox's decode step goes",
        "",
        f"{PROFILE_STEPS} decode steps with llm_core.model's parts wrapped in time.perf_counter (restored "
        "after), each followed by the same weight products alone (the same matrices, vectors of the right "
        "widths); medians.",
        "",
        "| part | ms a step | share | of which weight products (ms) |",
        "| --- | ---: | ---: | ---: |",
        f"| attention: q, k, v and o projections, RoPE, KV cache, scores, softmax (x{cfg.n_layer}) | "
        f"{ms(prof['attention'])} | {share(prof['attention'])} | {ms(prof['attention_matvecs'])} |",
        f"| feed-forward: gate, up, SiLU, down (x{cfg.n_layer}) | {ms(prof['ffn'])} | {share(prof['ffn'])} | "
        f"{ms(prof['ffn_matvecs'])} |",
        f"| RMSNorm (x{2 * cfg.n_layer + 1}) | {ms(prof['norms'])} | {share(prof['norms'])} | - |",
        f"| unembedding [{cfg.d_model}] x [{cfg.d_model}, {cfg.n_vocab:,}] | {ms(prof['unembedding'])} | "
        f"{share(prof['unembedding'])} | {ms(prof['unembed_matvec'])} |",
        f"| the rest: embedding row, RoPE tables, residual adds, Python | {ms(rest)} | {share(rest)} | - |",
        f"| forward pass | {ms(total)} | 100% | {ms(products)} |",
        f"| then the greedy pick (argmax) | {prof['argmax'] * 1000:.2f} | | |",
        f"| or the widgets' sampler (llm_core.sampling.sample and the top 5) | {prof['sampler'] * 1000:.2f} | | |",
        "",
        f"Through llm_core.generation.generate (what the widgets run: the sampler, the top 5 and each token's text) "
        f"decode runs at {n_new / r['generate']:.2f} tokens/s.",
        "",
        f"The same products in other layouts, layers 0-{var['layers'] - 1} ({var['layers']} of {cfg.n_layer}; "
        "copies made for the test and freed):",
        "",
        "| layout | ms | against llm_core's |",
        "| --- | ---: | ---: |",
        f"| llm_core's: seven [d_in, d_out] column-contiguous matrices a layer | {ms(var['now'])} | 1.00x |",
        f"| q, k, v fused into one [{cfg.d_model}, {(cfg.n_head + 2 * cfg.n_kv_head) * cfg.d_head}] matrix and "
        f"gate, up into one [{cfg.d_model}, {2 * cfg.d_ff}]: 4 products a layer | {ms(var['fused'])} | "
        f"{var['fused'] / var['now']:.2f}x |",
        f"| [d_out, d_in] row-major (W @ x) | {ms(var['out_in'])} | {var['out_in'] / var['now']:.2f}x |",
        "",
    ]
    simd_base, simd_found = r["simd"]
    lines += [
        "### What limits Glassbox, and what one third of llama.cpp takes",
        "",
        f"- The weight products are {1 - max(prof['rest'], 0) / total:.0%} of a decode step: the rest (norms, "
        f"RoPE, the KV cache, softmax, the Python around {cfg.n_layer} layers) is {max(prof['rest'], 0) * 1000:.0f} "
        f"of {total * 1000:.0f} ms (median of the steps' differences). The products run in numpy's matmul "
        "without BLAS (Pyodide's numpy has none): a scalar multiply-add loop per output element (numpy's SIMD "
        f"extensions in this build: baseline {', '.join(simd_base) or 'none'}, found "
        f"{', '.join(simd_found) or 'none'}). Streaming all {weight_bytes / 1e6:.0f} MB of float32 weights "
        f"through it takes {stream_s * 1000:.0f} ms ({weight_bytes / stream_s / 1e9:.2f} GB/s, "
        f"{gf(weight_bytes / 2, stream_s):.2f} GFLOP/s against {matvec:.2f} for one matrix that stays in "
        f"cache): that is this design's floor, {1 / stream_s:.1f} tokens/s however little else a step does. "
        f"The decode budget compares with the cached rate, which a step over {weight_bytes / 1e6:.0f} MB cannot "
        f"reach; against the streaming rate decode is at {decode_gf / gf(weight_bytes / 2, stream_s):.0%}.",
        f"- Prefill runs the same unblocked loop over a [{n_pre}, {d}] operand: at {matmul:.2f} GFLOP/s it is "
        + ("slower" if matmul < 0.9 * matvec else "about as fast" if matmul < 1.2 * matvec else "faster")
        + f" per FLOP as the matrix-vector loop ({matvec:.2f}): it gains nothing from the {n_pre} rows sharing "
        f"each weight, so a prompt token costs {pre['ours'] / n_pre / step['ours']:.0%} of a decoded one. "
        "What prefill saves is the Python and the small operations, paid once for the prompt.",
    ]
    lever = min(var["fused"], var["out_in"]) / var["now"]
    lines.append(
        f"- Fusing q/k/v and gate/up changes the products' time by {var['fused'] / var['now'] - 1:+.0%}, "
        f"the [d_out, d_in] layout by {var['out_in'] / var['now'] - 1:+.0%}: "
        + (
            "the layout is not the lever; the scalar float32 loop is."
            if lever > 0.85
            else "worth adopting, though the scalar float32 loop stays the floor."
        )
    )
    for e, label in (("q4_1", "on the same Q4_1 file"), ("q4_0", "on the Q4_0 copy")):
        if not has[e]:
            continue
        ratio, target = step[e] / step["ours"], 3 * step[e]
        lines.append(
            f"- Against llama.cpp {label}: decode **{ratio:.2f}x**, prefill **{pre[e] / pre['ours']:.2f}x** "
            f"(goal >= 0.33x: decode {ok(ratio >= 1 / 3)}, prefill {ok(pre[e] / pre['ours'] >= 1 / 3)}). "
            f"One third of its decode rate is {target * 1000:.0f} ms a token: "
            + (
                "reached already."
                if step["ours"] <= target
                else (
                    f"the rest of the step would have to shrink by {(step['ours'] - target) * 1000:.0f} ms, "
                    "less than it takes, so trimming Python and attention could reach it."
                    if stream_s < target
                    else f"the float32 products alone ({stream_s * 1000:.0f} ms) exceed it, so no reordering of the "
                    "Python reaches it: it takes fewer bytes or faster products, that is numpy with a SIMD "
                    "BLAS, or weights kept in 8 or 4 bits with a product that reads them without widening "
                    "each matrix to float32 first (numpy has none: its integer matmul is the same scalar loop)."
                )
            )
        )
    if has["q4_1"]:
        fastest = min((e for e in ("q4_1", "q4_0") if has[e]), key=lambda e: step[e])
        lines.append(
            f"- Why the gap is small: llama.cpp reads {prompts['tensor_bytes'] / 1e6:.0f} MB of quantized "
            f"blocks a token ({prompts['tensor_bytes'] / weight_bytes:.0%} of float32's bytes), but one "
            "WebAssembly thread multiplies them at "
            + " and ".join(
                f"{gf(decode_flops, step[e]):.2f} GFLOP/s ({label})"
                for e, label in (("q4_1", "Q4_1, generic loop"), ("q4_0", "Q4_0, SIMD kernel"))
                if has[e]
            )
            + f" in decode and {gf(prefill_flops, pre[fastest]):.2f} in prefill, against numpy's "
            f"{decode_gf:.2f} and {prefill_gf:.2f} on float32"
            + (
                f". Its Q4_0 SIMD kernel is {step['q4_1'] / step['q4_0']:.2f}x the speed of the generic Q4_1 "
                "loop here, so its time is not in those dot products alone (not profiled further)"
                if has["q4_0"]
                else ""
            )
            + f". A prompt token costs llama.cpp {pre[fastest] / n_pre / step[fastest]:.0%} of a decoded one."
        )
    lines.append("")
    return lines


def wllama_version() -> str:
    import json

    try:
        return json.loads((WLLAMA / "package.json").read_text())["version"]
    except OSError:
        return "(not installed)"


def q4_0_copy(source: Path) -> Path:
    """A copy of the GGUF file with its Q4_1 matrices requantized to Q4_0 (gguf-py), kept in _build/cache.

    llama.cpp's WebAssembly build has SIMD dot products for Q4_0, Q5_0, Q5_1 and Q8_0 but runs Q4_1 through
    its generic C loop (ggml-cpu/arch-fallback.h maps ggml_vec_dot_q4_1_q8_1 to the generic one for
    __wasm__): this copy measures llama.cpp at its fastest 4-bit path on the same model (other weights,
    so other tokens; only its speed is reported)."""
    import gguf as ggufpy
    import numpy as np

    dest = source.with_name(source.stem.replace("Q4_1", "Q4_0-from-Q4_1") + ".gguf")
    if dest.exists():
        return dest
    Q = ggufpy.GGMLQuantizationType
    reader = ggufpy.GGUFReader(source)
    writer = ggufpy.GGUFWriter(str(dest.with_suffix(".part")), arch=reader.fields["general.architecture"].contents())
    for field in reader.fields.values():
        if field.name == "general.architecture" or field.name.startswith("GGUF."):
            continue  # written by GGUFWriter itself
        kind = field.types[0]
        writer.add_key_value(
            field.name, field.contents(), kind, sub_type=field.types[-1] if kind == ggufpy.GGUFValueType.ARRAY else None
        )
    for t in reader.tensors:
        if t.tensor_type == Q.Q4_1:
            data = ggufpy.quants.quantize(ggufpy.quants.dequantize(t.data, Q.Q4_1), Q.Q4_0)
            writer.add_tensor(t.name, data, raw_dtype=Q.Q4_0)
        else:  # as stored: quantized rows as bytes, float tensors as their numpy type
            writer.add_tensor(t.name, t.data, raw_dtype=t.tensor_type if t.data.dtype == np.uint8 else None)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    dest.with_suffix(".part").replace(dest)
    return dest


def prepare_wllama(tmp: Path) -> Path | None:
    """wllama's page, its ES module and .wasm (from node_modules) and the GGUF file, for the benchmark's own
    server (nothing of it is in _site); None when `npm ci` has not installed it."""
    from sitebuild.smollm2 import FILE_NAME

    esm = WLLAMA / "esm"
    if not (esm / "index.js").exists():
        return None
    root = tmp / "wllama"
    root.mkdir()
    (root / "index.html").write_text(WLLAMA_HTML)
    (root / "index.js").symlink_to(esm / "index.js")
    (root / "wllama.wasm").symlink_to(esm / "wasm" / "wllama.wasm")
    source = ROOT / "_build" / "cache" / "smollm2" / FILE_NAME
    (root / "model.gguf").symlink_to(source)
    (root / "model-q4_0.gguf").symlink_to(q4_0_copy(source))
    return root


def run_smollm2(p, base: str, tmp: Path) -> list[str]:
    """Measure the SmolLM2 section in a browser of its own; -> its lines."""
    prompts = smollm2_prompts()
    root = prepare_wllama(tmp)
    server = None
    wllama_base = None
    if root:
        server, wllama_base = serve_in_thread(root)
    b = chromium.launch(p)
    try:
        result = measure_smollm2(b, base, wllama_base, prompts)
    finally:
        b.close()
        if server:
            server.shutdown()
    return smollm2_report(result, prompts)


def merge_section(text: str, heading: str, section: list[str], before: str) -> str:
    """text with its section under `heading` replaced by `section` (up to the next "## " heading), or the
    section inserted before the heading `before` (appended when there is none)."""
    tail = text[len(text.rstrip("\n")) :] or "\n"  # the file's own ending, kept
    lines = text.rstrip("\n").split("\n")
    body = section + ([""] if section[-1] else [])
    if heading in lines:
        start = lines.index(heading)
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        lines[start:end] = body
    elif before in lines:
        at = lines.index(before)
        lines[at:at] = body
    else:
        lines += [""] + body
    return "\n".join(lines).rstrip("\n") + tail


def pct(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q / 100 * (len(s) - 1))))]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem = f", {kb / 2**20:.0f} GiB RAM"
    except (OSError, AttributeError):
        pass
    browser = subprocess.run([chromium.chromium_path(), "--version"], capture_output=True, text=True).stdout.strip()
    return (
        f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} cores{mem}; "
        f"{browser} headless; Python {platform.python_version()}"
    )


def drag_report(drag: list[dict]) -> list[str]:
    ok = lambda good: "within budget" if good else "OVER BUDGET"  # noqa: E731
    budget = lambda r: 200 if r["model"] else 50  # noqa: E731
    over = [r["widget"] for r in drag if r["p95"] is not None and r["p95"] > budget(r)]
    slow_choices = [r["widget"] for r in drag if r["choice_p95"] is not None and r["choice_p95"] > budget(r)]
    measured = [r for r in drag if r["p95"] is not None]
    lines = [
        "## Update latency per widget",
        "",
        f"Drags: every range and number control of each widget moved through {MOVES_PER_CONTROL} "
        "values spread over its range, one move at a time, on the page where the widget first appears; "
        "from the input event to the redrawn figure (compute in the worker + draw). A widget whose only "
        "control is text is measured on edits instead (a word added at a time). Choices: every menu "
        "option and every checkbox state, twice; they are not dragged, and are listed beside. A widget "
        "with a checkbox is measured again with the box flipped (a box may switch on work that is slow on "
        "purpose, such as generating without a KV cache). Model widgets are measured with a "
        "prompt of about 64 tokens. Budget, drag p95: 50 ms without the model, 200 ms with it.",
        "",
        "| page | widget | runs the model | drag moves | p50 (ms) | p95 (ms) | max (ms) | budget | choices | choice p95 (ms) |",
        "| --- | --- | :-: | ---: | ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    f = lambda x: "-" if x is None else f"{x:.0f}"  # noqa: E731
    for r in drag:
        verdict = "-" if r["p95"] is None else ok(r["p95"] <= budget(r))
        lines.append(
            f"| {r['page']} | {r['widget']} | {'yes' if r['model'] else 'no'} | {r['moves']} | "
            f"{f(r['p50'])} | {f(r['p95'])} | {f(r['max'])} | {verdict} | {r['choices']} | {f(r['choice_p95'])} |"
        )
    lines += [
        "",
        f"Drags: {len(measured) - len(over)} of {len(measured)} rows within budget"
        + (f"; over: {', '.join(over)}." if over else "."),
        "Choices slower than the drag budget: " + (", ".join(slow_choices) if slow_choices else "none") + ".",
        "",
    ]
    return lines


def report(startup, throughput, n_bytes, typing, runs, model=None, drag=None, pages=None, smollm2=None) -> str:
    lines = [
        "# Glassbox benchmark results",
        "",
        f"Machine: {machine()}.",
        "",
        "Regenerate with `make bench`. All numbers come from one run of `benchmarks/run.py`; "
        "ratios compare measurements taken side by side in that run. Lighthouse scores per page "
        "(accessibility, performance) are in `benchmarks/LIGHTHOUSE.md` (`make audit`).",
        "",
    ]
    lines += [
        "## Time to the first live widget",
        "",
        f"Navigation start to the worker being ready and the first widget live, median of {runs} loads "
        "(cold: fresh browser, empty cache; warm: persistent profile after one visit). "
        "The floor is a bare page whose worker only loads Pyodide and numpy; the two pages are loaded "
        "alternately. Glassbox's worker is live once Python, numpy, llm_core and the widget code are "
        "loaded; data files (the vocabularies) start downloading once numpy and llm_core are in, and widget "
        "calls wait for them.",
        "",
        "| page | cold median (ms) | warm median (ms) |",
        "| --- | ---: | ---: |",
    ]
    meds = {}
    for label, r in startup.items():
        meds[label] = (statistics.median(r["cold"]), statistics.median(r["warm"]))
        lines.append(f"| {label} | {meds[label][0]:.0f} | {meds[label][1]:.0f} |")
    floor, ours = list(meds.values())
    cold_ratio, warm_ratio = ours[0] / floor[0], ours[1] / floor[1]
    ok = lambda good: "within budget" if good else "OVER BUDGET"  # noqa: E731
    lines += [
        "",
        f"Ours / floor: cold **{cold_ratio:.2f}x**, warm **{warm_ratio:.2f}x** "
        f"(budget 1.3x: {ok(cold_ratio <= 1.3 and warm_ratio <= 1.3)}).",
        "",
    ]
    phases = list(startup.values())[1]["phases"]
    if phases["warm"]:
        lines += [
            f"Where {TOKENIZER_PAGE}'s start-up time goes (medians, ms after navigation; the worker "
            "is created by a script in the page's head, while the chapter is still being parsed):",
            "",
            "| moment | cold | warm |",
            "| --- | ---: | ---: |",
        ]
        for key, name in PHASE_NAMES.items():
            lines.append(
                f"| {name} | {statistics.median(p[key] for p in phases['cold']):.0f} | "
                f"{statistics.median(p[key] for p in phases['warm']):.0f} |"
            )
        lines.append("")
    lines += [
        "## Tokenizer throughput (o200k_base)",
        "",
        f"{n_bytes / 1000:.0f} KB of English prose from the test corpus; every implementation's ids are "
        "checked equal to tiktoken's in the run.",
        "",
        "| implementation | seconds | MB/s |",
        "| --- | ---: | ---: |",
    ]
    for label, secs in throughput.items():
        lines.append(f"| {label} | {secs:.3f} | {n_bytes / secs / 1e6:.2f} |")
    ratio = (
        throughput["browser llm_core, worker (first pass)"]
        / throughput["browser js-tiktoken, main thread (first pass)"]
    )
    lines += [
        "",
        f"llm_core in the worker / js-tiktoken in the same page, first pass: **{ratio:.2f}x** the time "
        f"(budget 3x: {ok(ratio <= 3)}).",
        "",
    ]
    lines += [
        "## Typing latency in the tokenizer widget",
        "",
        f"{len(typing)} keystrokes (alternately a letter and Backspace) at the end of a 2 KB text; "
        "from keydown to the redrawn chips (three encodings).",
        "",
        f"p50 **{pct(typing, 50):.1f} ms**, p95 **{pct(typing, 95):.1f} ms**, max {max(typing):.1f} ms "
        f"(budget p95 <= 100 ms: {ok(pct(typing, 95) <= 100)}).",
        "",
    ]
    if model:
        d64, d256 = model["decode_64"], model["decode_256"]
        speedup = d256["cached_tok_s"] / d256["uncached_tok_s"]
        share = model["prefill_gflops"] / model["matmul_gflops"]
        lines += [
            "## The tiny model in the page",
            "",
            "The trained model (models/tiny) run by llm_core in the page's worker: best of several runs. "
            "Decode rates exclude the prompt's prefill, which both paths share.",
            "",
            "| measurement | value |",
            "| --- | ---: |",
            f"| prefill, 128 tokens | {model['prefill_128_s'] * 1000:.1f} ms |",
            f"| prefill rate | {model['prefill_gflops']:.2f} GFLOP/s |",
            f"| numpy matmul {'x'.join(map(str, model['matmul_shape']))} float32, right operand "
            f"row-major / column-major | {model['matmul_gflops_c']:.2f} / {model['matmul_gflops_f']:.2f} GFLOP/s |",
            f"| decode at 64 tokens of context, with / without KV cache | {d64['cached_tok_s']:.0f} / "
            f"{d64['uncached_tok_s']:.0f} tokens/s |",
            f"| decode at 256 tokens of context, with / without KV cache | {d256['cached_tok_s']:.0f} / "
            f"{d256['uncached_tok_s']:.0f} tokens/s |",
            "",
            f"KV cache speed-up at 256 tokens: **{speedup:.1f}x** (budget >= 5x: {ok(speedup >= 5)}). "
            f"Prefill reaches **{share:.0%}** of the in-page matmul rate, the faster of the two layouts "
            f"(budget >= 40%: {ok(share >= 0.4)}).",
            "",
        ]
    if smollm2:
        lines += smollm2
    if pages:
        lines += [
            "## Every page, cold and warm",
            "",
            f"Each page {PAGE_ROUNDS} times in a fresh browser (cold) and {PAGE_ROUNDS} times with a "
            "persistent profile after a first visit (warm), alternating with visits to the floor page (the "
            "bare Pyodide + numpy page above); medians. Readable: first contentful paint. Live: the first "
            "widget computed in the browser (pages without widgets: none). Live / floor compares each page "
            "with the floor loads made between its own. Bytes: request and response sizes over the network "
            "(a return visit revalidates from the cache).",
            "",
            "| page | readable cold / warm (ms) | first live cold / warm (ms) | floor cold / warm (ms) | "
            "live / floor cold / warm | KB first visit / return |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        slow_fcp, slow_live = [], []
        for name, r in pages.items():
            c, w, f = r["cold"], r["warm"], r["floor"]
            live = c["widgets"] > 0 and f["cold"]
            if max(c["fcp"], w["fcp"]) >= 1000:
                slow_fcp.append(name)
            if live and (c["live"] / f["cold"] > 1.3 or w["live"] / f["warm"] > 1.3):
                slow_live.append(name)
            ratio = f"{c['live'] / f['cold']:.2f} / {w['live'] / f['warm']:.2f}" if live else "-"
            live_ms = f"{c['live']:.0f} / {w['live']:.0f}" if live else "no widgets"
            floor_ms = f"{f['cold']:.0f} / {f['warm']:.0f}" if live else "-"
            lines.append(
                f"| {name} | {c['fcp']:.0f} / {w['fcp']:.0f} | {live_ms} | {floor_ms} | {ratio} | "
                f"{c['bytes'] / 1024:,.0f} / {w['bytes'] / 1024:,.0f} |"
            )
        n_live = sum(1 for r in pages.values() if r["cold"]["widgets"] > 0)
        lines += [
            "",
            f"Readable in under 1 s: {len(pages) - len(slow_fcp)} of {len(pages)} pages"
            + (f" (over: {', '.join(slow_fcp)})" if slow_fcp else "")
            + f". First live widget within 1.3x the "
            f"floor: {n_live - len(slow_live)} of {n_live} pages with widgets"
            + (f" (over: {', '.join(slow_live)})" if slow_live else "")
            + ".",
            "",
        ]
    if drag:
        lines += drag_report(drag)
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--site", type=Path, default=ROOT / "_site")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "RESULTS.md")
    ap.add_argument(
        "--smollm2",
        action="store_true",
        help="only the SmolLM2 / llama.cpp section, merged into --out (the other sections are kept)",
    )
    ap.add_argument(
        "--drag-only",
        metavar="WIDGETS",
        nargs="*",
        help="only the update latency of these widgets (all if none named), printed, not written",
    )
    args = ap.parse_args(argv)
    if args.drag_only is not None:
        from playwright.sync_api import sync_playwright

        with tempfile.TemporaryDirectory() as tmp_name, sync_playwright() as p:
            server, base = serve_in_thread(prepare_site(args.site, Path(tmp_name)))
            b = chromium.launch(p)
            drag = measure_drag(b, base, set(args.drag_only))
            b.close()
            server.shutdown()
        print("\n".join(drag_report(drag)))
        return 0
    if args.smollm2:
        from playwright.sync_api import sync_playwright

        with tempfile.TemporaryDirectory() as tmp_name, sync_playwright() as p:
            server, base = serve_in_thread(prepare_site(args.site, Path(tmp_name)))
            section = run_smollm2(p, base, Path(tmp_name))
            server.shutdown()
        old = args.out.read_text() if args.out.exists() else "# Glassbox benchmark results\n"
        args.out.write_text(merge_section(old, SMOLLM2_HEADING, section, "## Every page, cold and warm"))
        print("\n".join(section))
        return 0
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp_name, sync_playwright() as p:
        tmp = Path(tmp_name)
        root = prepare_site(args.site, tmp)
        server, base = serve_in_thread(root)

        def browser_factory(persistent: Path | None = None):
            if persistent:
                return p.chromium.launch_persistent_context(
                    str(persistent), executable_path=chromium.chromium_path(), args=chromium.ARGS, headless=True
                )
            return chromium.launch(p)

        print("startup ...", flush=True)
        startup = measure_startup(browser_factory, base, args.runs, tmp)
        b = chromium.launch(p)
        print("pages ...", flush=True)
        pages = measure_pages(browser_factory, base, tmp)
        print("throughput ...", flush=True)
        n_bytes = 100_000
        throughput = measure_throughput(b, base, english_text(n_bytes))
        print("typing ...", flush=True)
        typing = measure_typing(b, base, english_text(2000), 60)
        print("model ...", flush=True)
        model = measure_model(b, base)
        print("drag latency ...", flush=True)
        drag = measure_drag(b, base)
        b.close()
        print("SmolLM2 and llama.cpp ...", flush=True)
        smollm2 = run_smollm2(p, base, tmp)
        server.shutdown()
    text = report(startup, throughput, n_bytes, typing, args.runs, model, drag, pages, smollm2)
    args.out.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
