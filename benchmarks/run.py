"""Glassbox benchmarks: measured side by side in one run, written to benchmarks/RESULTS.md.

    .venv/bin/python benchmarks/run.py [--site _site] [--runs 5]

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
PHASE_NAMES = {"worker": "worker created", "init": "worker running", "pyodide": "Pyodide loaded",
               "packages": "numpy and llm_core loaded", "runtime": "runtime imported", "live": "live"}


def settle():
    """Let the machine go quiet (a closed browser's processes exit) before the next measured visit."""
    time.sleep(0.5)


def time_to_live(context, url: str, mark: str, phases: list | None = None) -> float:
    """ms from navigation start to the performance mark (set when the worker reports ready)."""
    page = context.new_page()
    page.goto(url)
    page.wait_for_function(f"() => performance.getEntriesByName('{mark}').length > 0", timeout=120_000,
                           polling=20)
    if mark == "glassbox:ready":
        page.wait_for_function("() => !document.querySelector('figure.widget') || "
                               "document.querySelector('figure.widget[data-state=live]')", polling=20)
        if phases is not None:
            phases.append(page.evaluate(PHASES_JS))
    ms = page.evaluate(f"() => performance.getEntriesByName('{mark}')[0].startTime")
    page.close()
    settle()
    return ms


def measure_startup(browser_factory, base: str, runs: int, tmp: Path) -> dict:
    """Cold and warm load times of the floor page and ours, interleaved so both see the same machine."""
    pages = {"floor (Pyodide + numpy only)": ("bench-floor.html", "floor:ready"),
             f"Glassbox {TOKENIZER_PAGE}": (TOKENIZER_PAGE, "glassbox:ready")}
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
        time_to_live(contexts[label], base + path, mark)      # fill the cache, as a first visit would
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
    time_to_live(floor_warm_ctx, floor, "floor:ready")      # fill the cache, as a first visit would

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
        page_visit(warm_ctx, base + name)                  # the first visit fills the cache
        colds, warms, floor_cold, floor_warm = [], [], [], []
        for _ in range(PAGE_ROUNDS if name != "index.html" else 1):
            colds.append(cold(lambda ctx: page_visit(ctx, base + name)))
            warms.append(page_visit(warm_ctx, base + name))
            if name != "index.html":  # a page without widgets has no live time to compare
                floor_cold.append(cold(lambda ctx: time_to_live(ctx, floor, "floor:ready")))
                floor_warm.append(time_to_live(floor_warm_ctx, floor, "floor:ready"))
        warm_ctx.close()
        out[name] = {"cold": median_visit(colds), "warm": median_visit(warms),
                     "floor": {"cold": statistics.median(floor_cold) if floor_cold else None,
                               "warm": statistics.median(floor_warm) if floor_warm else None}}
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
    tk = tiktoken.Encoding(name="o200k_base", pat_str=ref.pat_str,
                           mergeable_ranks=tiktoken.load.load_tiktoken_bpe(str(path)), special_tokens={})
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
    js = page.evaluate("""async (text) => {
        const { Tiktoken } = await import('./lite.js');
        const ranks = (await import('./o200k_base.js')).default;
        const enc = new Tiktoken(ranks);
        let t = performance.now(); const ids = enc.encode(text); const first = performance.now() - t;
        t = performance.now(); enc.encode(text); const again = performance.now() - t;
        return [first / 1000, again / 1000, Array.from(ids)];
    }""", text)
    assert js[2] == expected, "js-tiktoken disagrees with tiktoken"
    out["browser js-tiktoken, main thread (first pass)"] = js[0]
    out["browser js-tiktoken, main thread (second pass)"] = js[1]
    page.close()
    return out


def measure_typing(browser, base: str, text: str, keystrokes: int) -> list[float]:
    """ms from a keystroke to the widget's redraw (the glassbox:drawn event) in the tokenizer widget."""
    page = browser.new_page()
    page.goto(base + TOKENIZER_PAGE)
    page.wait_for_function("() => document.querySelector('figure[data-widget=tokenizer_compare][data-state=live]')",
                           timeout=120_000)
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


LONG_PROMPT = ("The President of the United States shall from time to time give to the Congress information of "
               "the State of the Union, and recommend to their Consideration such Measures as he shall judge "
               "necessary and expedient. Tonight I ask the Congress to work with me on the budget, on")
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
        values = [lo + (hi - lo) * ((7 * i) % MOVES_PER_CONTROL) / (MOVES_PER_CONTROL - 1)
                  for i in range(MOVES_PER_CONTROL)]
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
        page.wait_for_function("() => [...document.querySelectorAll('figure.widget')].every(f => f.dataset.state === 'live')",
                               timeout=120_000)
        fig = page.locator(f'figure[data-widget="{name}"]').first
        model = runs_model(name)
        controls = fig.locator("[data-param]").all()
        idle = """(n) => { const i = glassbox.instances.find(i => i.name === n); return !i.inFlight && !i.latest; }"""
        texts = [k for k, c in enumerate(controls) if c.evaluate(
            "e => e.tagName === 'TEXTAREA' || (e.tagName === 'INPUT' && e.type === 'text')")]
        if model and texts:  # a prompt of about 64 tokens in the first text field
            controls[texts[0]].fill(LONG_PROMPT)
            page.wait_for_function(idle, arg=name, timeout=120_000)

        def sweep(label: str) -> None:
            times = {"drag": [], "choice": []}
            for key, c in enumerate(controls):
                kind, values = control_values(c)
                if not kind:
                    continue
                original = c.input_value() if kind == "drag" or c.evaluate("e => e.tagName") == "SELECT" else c.is_checked()
                times[kind] += page.evaluate(DRAG_JS, [name, key, values])
                page.evaluate(DRAG_JS, [name, key, [original]])
            if not times["drag"] and not times["choice"] and texts:  # text only: add a word at a time
                start = controls[texts[0]].input_value()
                values = [(start + " " + " ".join(EDIT_WORDS[:i + 1])).strip() for i in range(len(EDIT_WORDS))]
                times["drag"] = page.evaluate(DRAG_JS, [name, texts[0], values])
                page.evaluate(DRAG_JS, [name, texts[0], [start]])
                label += " (text edits)"
            if times["drag"] or times["choice"]:
                d, ch = times["drag"], times["choice"]
                rows.append({"page": page_name, "widget": label, "model": model,
                             "moves": len(d), "p50": pct(d, 50) if d else None, "p95": pct(d, 95) if d else None,
                             "max": max(d) if d else None, "choices": len(ch),
                             "choice_p95": pct(ch, 95) if ch else None})
                print(f"  {rows[-1]}", flush=True)
            else:
                print(f"  {label}: no control to move", flush=True)

        sweep(name)
        for key, c in enumerate(controls):
            if c.get_attribute("type") == "checkbox":
                page.evaluate(DRAG_JS, [name, key, [not c.is_checked()]])
                box = c.evaluate("e => (e.labels && e.labels[0] ? e.labels[0].textContent : e.dataset.param).trim()")
                sweep(f"{name}, with \"{box[:40]}\" {'ticked' if c.is_checked() else 'unticked'}")
                page.evaluate(DRAG_JS, [name, key, [not c.is_checked()]])
        page.close()
    return rows


MODEL_BENCH = """
import time
import numpy as np
from llm_core.model import forward, load_model, prefill

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
    return (f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} cores{mem}; "
            f"{browser} headless; Python {platform.python_version()}")


def drag_report(drag: list[dict]) -> list[str]:
    ok = lambda good: "within budget" if good else "OVER BUDGET"  # noqa: E731
    budget = lambda r: 200 if r["model"] else 50  # noqa: E731
    over = [r["widget"] for r in drag if r["p95"] is not None and r["p95"] > budget(r)]
    slow_choices = [r["widget"] for r in drag if r["choice_p95"] is not None and r["choice_p95"] > budget(r)]
    measured = [r for r in drag if r["p95"] is not None]
    lines = ["## Update latency per widget", "",
              f"Drags: every range and number control of each widget moved through {MOVES_PER_CONTROL} "
              "values spread over its range, one move at a time, on the page where the widget first appears; "
              "from the input event to the redrawn figure (compute in the worker + draw). A widget whose only "
              "control is text is measured on edits instead (a word added at a time). Choices: every menu "
              "option and every checkbox state, twice; they are not dragged, and are listed beside. A widget "
              "with a checkbox is measured again with the box flipped (a box may switch on work that is slow on "
              "purpose, such as generating without a KV cache). Model widgets are measured with a "
              "prompt of about 64 tokens. Budget, drag p95: 50 ms without the model, 200 ms with it.", "",
              "| page | widget | runs the model | drag moves | p50 (ms) | p95 (ms) | max (ms) | budget | choices | choice p95 (ms) |",
              "| --- | --- | :-: | ---: | ---: | ---: | ---: | --- | ---: | ---: |"]
    f = lambda x: "-" if x is None else f"{x:.0f}"  # noqa: E731
    for r in drag:
        verdict = "-" if r["p95"] is None else ok(r["p95"] <= budget(r))
        lines.append(f"| {r['page']} | {r['widget']} | {'yes' if r['model'] else 'no'} | {r['moves']} | "
                     f"{f(r['p50'])} | {f(r['p95'])} | {f(r['max'])} | {verdict} | {r['choices']} | {f(r['choice_p95'])} |")
    lines += ["", f"Drags: {len(measured) - len(over)} of {len(measured)} rows within budget"
              + (f"; over: {', '.join(over)}." if over else "."),
              "Choices slower than the drag budget: " + (", ".join(slow_choices) if slow_choices else "none") + ".", ""]
    return lines


def report(startup, throughput, n_bytes, typing, runs, model=None, drag=None, pages=None) -> str:
    lines = ["# Glassbox benchmark results", "",
             f"Machine: {machine()}.", "",
             "Regenerate with `make bench`. All numbers come from one run of `benchmarks/run.py`; "
             "ratios compare measurements taken side by side in that run. Lighthouse scores per page "
             "(accessibility, performance) are in `benchmarks/LIGHTHOUSE.md` (`make audit`).", ""]
    lines += ["## Time to the first live widget", "",
              f"Navigation start to the worker being ready and the first widget live, median of {runs} loads "
              "(cold: fresh browser, empty cache; warm: persistent profile after one visit). "
              "The floor is a bare page whose worker only loads Pyodide and numpy; the two pages are loaded "
              "alternately. Glassbox's worker is live once Python, numpy, llm_core and the widget code are "
              "loaded; data files (the vocabularies) start downloading once numpy and llm_core are in, and widget "
              "calls wait for them.", "",
              "| page | cold median (ms) | warm median (ms) |", "| --- | ---: | ---: |"]
    meds = {}
    for label, r in startup.items():
        meds[label] = (statistics.median(r["cold"]), statistics.median(r["warm"]))
        lines.append(f"| {label} | {meds[label][0]:.0f} | {meds[label][1]:.0f} |")
    floor, ours = list(meds.values())
    cold_ratio, warm_ratio = ours[0] / floor[0], ours[1] / floor[1]
    ok = lambda good: "within budget" if good else "OVER BUDGET"  # noqa: E731
    lines += ["", f"Ours / floor: cold **{cold_ratio:.2f}x**, warm **{warm_ratio:.2f}x** "
              f"(budget 1.3x: {ok(cold_ratio <= 1.3 and warm_ratio <= 1.3)}).", ""]
    phases = list(startup.values())[1]["phases"]
    if phases["warm"]:
        lines += [f"Where {TOKENIZER_PAGE}'s start-up time goes (medians, ms after navigation; the worker "
                  "is created by a script in the page's head, while the chapter is still being parsed):", "",
                  "| moment | cold | warm |", "| --- | ---: | ---: |"]
        for key, name in PHASE_NAMES.items():
            lines.append(f"| {name} | {statistics.median(p[key] for p in phases['cold']):.0f} | "
                         f"{statistics.median(p[key] for p in phases['warm']):.0f} |")
        lines.append("")
    lines += ["## Tokenizer throughput (o200k_base)", "",
              f"{n_bytes / 1000:.0f} KB of English prose from the test corpus; every implementation's ids are "
              "checked equal to tiktoken's in the run.", "",
              "| implementation | seconds | MB/s |", "| --- | ---: | ---: |"]
    for label, secs in throughput.items():
        lines.append(f"| {label} | {secs:.3f} | {n_bytes / secs / 1e6:.2f} |")
    ratio = throughput["browser llm_core, worker (first pass)"] / throughput["browser js-tiktoken, main thread (first pass)"]
    lines += ["", f"llm_core in the worker / js-tiktoken in the same page, first pass: **{ratio:.2f}x** the time "
              f"(budget 3x: {ok(ratio <= 3)}).", ""]
    lines += ["## Typing latency in the tokenizer widget", "",
              f"{len(typing)} keystrokes (alternately a letter and Backspace) at the end of a 2 KB text; "
              "from keydown to the redrawn chips (three encodings).", "",
              f"p50 **{pct(typing, 50):.1f} ms**, p95 **{pct(typing, 95):.1f} ms**, max {max(typing):.1f} ms "
              f"(budget p95 <= 100 ms: {ok(pct(typing, 95) <= 100)}).", ""]
    if model:
        d64, d256 = model["decode_64"], model["decode_256"]
        speedup = d256["cached_tok_s"] / d256["uncached_tok_s"]
        share = model["prefill_gflops"] / model["matmul_gflops"]
        lines += ["## The tiny model in the page", "",
                  "The trained model (models/tiny) run by llm_core in the page's worker: best of several runs. "
                  "Decode rates exclude the prompt's prefill, which both paths share.", "",
                  "| measurement | value |", "| --- | ---: |",
                  f"| prefill, 128 tokens | {model['prefill_128_s'] * 1000:.1f} ms |",
                  f"| prefill rate | {model['prefill_gflops']:.2f} GFLOP/s |",
                  f"| numpy matmul {'x'.join(map(str, model['matmul_shape']))} float32, right operand "
                  f"row-major / column-major | {model['matmul_gflops_c']:.2f} / {model['matmul_gflops_f']:.2f} GFLOP/s |",
                  f"| decode at 64 tokens of context, with / without KV cache | {d64['cached_tok_s']:.0f} / "
                  f"{d64['uncached_tok_s']:.0f} tokens/s |",
                  f"| decode at 256 tokens of context, with / without KV cache | {d256['cached_tok_s']:.0f} / "
                  f"{d256['uncached_tok_s']:.0f} tokens/s |", "",
                  f"KV cache speed-up at 256 tokens: **{speedup:.1f}x** (budget >= 5x: {ok(speedup >= 5)}). "
                  f"Prefill reaches **{share:.0%}** of the in-page matmul rate, the faster of the two layouts "
                  f"(budget >= 40%: {ok(share >= 0.4)}).", ""]
    if pages:
        lines += ["## Every page, cold and warm", "",
                  f"Each page {PAGE_ROUNDS} times in a fresh browser (cold) and {PAGE_ROUNDS} times with a "
                  "persistent profile after a first visit (warm), alternating with visits to the floor page (the "
                  "bare Pyodide + numpy page above); medians. Readable: first contentful paint. Live: the first "
                  "widget computed in the browser (pages without widgets: none). Live / floor compares each page "
                  "with the floor loads made between its own. Bytes: request and response sizes over the network "
                  "(a return visit revalidates from the cache).", "",
                  "| page | readable cold / warm (ms) | first live cold / warm (ms) | floor cold / warm (ms) | "
                  "live / floor cold / warm | KB first visit / return |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
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
            lines.append(f"| {name} | {c['fcp']:.0f} / {w['fcp']:.0f} | {live_ms} | {floor_ms} | {ratio} | "
                         f"{c['bytes'] / 1024:,.0f} / {w['bytes'] / 1024:,.0f} |")
        n_live = sum(1 for r in pages.values() if r["cold"]["widgets"] > 0)
        lines += ["", f"Readable in under 1 s: {len(pages) - len(slow_fcp)} of {len(pages)} pages"
                  + (f" (over: {', '.join(slow_fcp)})" if slow_fcp else "") + f". First live widget within 1.3x the "
                  f"floor: {n_live - len(slow_live)} of {n_live} pages with widgets"
                  + (f" (over: {', '.join(slow_live)})" if slow_live else "") + ".", ""]
    if drag:
        lines += drag_report(drag)
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--site", type=Path, default=ROOT / "_site")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "RESULTS.md")
    ap.add_argument("--drag-only", metavar="WIDGETS", nargs="*",
                    help="only the update latency of these widgets (all if none named), printed, not written")
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
    from playwright.sync_api import sync_playwright
    with tempfile.TemporaryDirectory() as tmp_name, sync_playwright() as p:
        tmp = Path(tmp_name)
        root = prepare_site(args.site, tmp)
        server, base = serve_in_thread(root)

        def browser_factory(persistent: Path | None = None):
            if persistent:
                return p.chromium.launch_persistent_context(str(persistent), executable_path=chromium.chromium_path(),
                                                            args=chromium.ARGS, headless=True)
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
        server.shutdown()
    text = report(startup, throughput, n_bytes, typing, args.runs, model, drag, pages)
    args.out.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
