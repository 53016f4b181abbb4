"""Sections 2 and 3: tokenizer throughput (llm_core in the page's worker against js-tiktoken in the same page,
CPython for reference) and typing latency in the tokenizer widget."""

import time

from .common import TOKENIZER_PAGE, asset


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
    first, again, ids = page.evaluate("(code) => glassbox.py(code)", asset("tokenizer_throughput.py"))
    assert ids == expected, "browser llm_core disagrees with tiktoken"
    out["browser llm_core, worker (first pass)"] = first
    out["browser llm_core, worker (warm piece cache)"] = again
    page.close()

    page = browser.new_page()
    page.goto(base + "bench-js-tiktoken/index.html")
    js = page.evaluate(asset("js_tiktoken_encode.js"), text)
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
    page.wait_for_function(asset("idle.js"), arg="tokenizer_compare")
    page.evaluate(asset("typing_latency.js"))
    field.focus()
    field.press("End")
    for i in range(keystrokes):
        n_before = page.evaluate("() => window.__lat.length")
        page.keyboard.press("a" if i % 2 == 0 else "Backspace")
        page.wait_for_function("(n) => window.__lat.length > n", arg=n_before, polling=5)
    latencies = page.evaluate("() => window.__lat")
    page.close()
    return latencies
