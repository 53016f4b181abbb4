"""SmolLM2-135M-Instruct in the page: loaded on request, verified, cached, cancellable, and equal to CPython.

One page loads the real model once (from the test server: the same parts, sizes and sha256 a reader
gets); the tests that need it share that page. The failure paths (cancel, a damaged part, too little
memory) each use a page of their own, so a broken load never leaks into another test.
"""

import json
from pathlib import Path

import numpy as np
import pytest

import build
from tests.browser.conftest import differences

FIXTURES = Path(__file__).resolve().parents[1] / "core" / "fixtures"
WIDGETS = build.load_widgets(build.Options().widgets)
PAGE = "sampling.html"  # a chapter with a model switch (next_token) and a tiny-model widget (generate)

STATE = "(n) => glassbox.models.state(n).state"


@pytest.fixture(scope="module")
def loaded(browser, base_url, smollm2_gguf):
    """A page of PAGE with SmolLM2 loaded through the page's own API, and what it reported meanwhile."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(120_000)
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    page.goto(base_url + PAGE)
    page.evaluate("""() => { window.modelEvents = [];
        document.addEventListener('glassbox:model', (e) => window.modelEvents.push(
            [e.detail.state, e.detail.phase || null, e.detail.loaded || 0, e.detail.total || 0])); }""")
    info = page.evaluate("() => glassbox.models.load('smollm2')")
    page.errors = errors
    yield page, info
    context.close()


def test_loading_reports_bytes_then_layers_then_ready(loaded):
    page, info = loaded
    from sitebuild.smollm2 import FILE_SIZE

    assert info["bytes"] == FILE_SIZE and info["fromCache"] == 0 and info["params"] == 134_515_008
    events = page.evaluate("() => window.modelEvents")
    downloads = [e for e in events if e[1] == "download" and e[3]]
    assert downloads and downloads[-1][2] == downloads[-1][3] == FILE_SIZE
    assert [e[2] for e in downloads] == sorted(e[2] for e in downloads)  # bytes only go up
    layers = [e for e in events if e[0] == "loading" and e[1] == "unpack"]
    assert [e[2] for e in layers] == list(range(1, 32)) and all(e[3] == 31 for e in layers)
    assert events[-1][0] == "ready"
    assert page.errors == []


def test_greedy_continuation_in_the_page_equals_the_reference(loaded):
    page, _ = loaded
    with np.load(FIXTURES / "smollm2_reference.npz") as npz:
        for prompt in ("france", "chat"):
            ids, expected = npz[f"ids_{prompt}"].tolist(), npz[f"greedy_{prompt}"].tolist()
            got = page.evaluate(
                """(ids) => glassbox.py(`
from llm_core.models import get_model
from llm_core.generation import generate
generate(get_model('smollm2'), ${JSON.stringify(ids)}, max_new_tokens=32, temperature=0)['new_ids']`)""",
                ids,
            )
            assert got == expected, prompt


def test_worker_memory_stays_under_a_gigabyte(loaded):
    page, _ = loaded
    # the WebAssembly memory is Python's whole heap; it only grows, so this is the high-water mark
    wasm = page.evaluate("() => glassbox.py('import pyodide_js; pyodide_js._module.HEAP8.length')")
    assert wasm < 1e9, f"{wasm / 1e6:.0f} MB"


def page_of(widget_name):  # -> the chapter page that places the widget (its Python loads only there)
    for p in sorted(build.Options().chapters.glob("*.md")):
        ch = build.parse_chapter(p)
        if any(b.kind == "widget" and b.name == widget_name for b in ch.blocks):
            return ch.filename
    raise LookupError(widget_name)


def test_widgets_on_smollm2_equal_cpython(loaded):
    page, _ = loaded
    problems, checked = [], 0
    for name, w in sorted(WIDGETS.items()):
        if not getattr(w.module, "SMOLLM2_EXAMPLES", []):
            continue
        there = page.context.new_page()  # the widget's own page; the model comes from Cache Storage
        there.set_default_timeout(120_000)
        there.goto(page.url.rsplit("/", 1)[0] + "/" + page_of(name))
        there.evaluate("() => glassbox.models.load('smollm2')")
        for params in w.module.SMOLLM2_EXAMPLES:
            params = {**w.module.DEFAULTS, **params}
            in_browser = there.evaluate("([n, p]) => glassbox.compute(n, p)", [name, params])
            in_python = json.loads(json.dumps(w.module.compute(params)))
            in_browser.pop("measured", None), in_python.pop("measured", None)
            problems += differences(in_browser, in_python, f"{name}{params}", getattr(w.module, "REL_TOL", 1e-9))
            checked += 1
        there.close()
    assert problems == []
    assert checked >= 1


def test_the_switch_runs_the_widget_on_smollm2(loaded):
    page, _ = loaded
    fig = page.locator("figure[data-widget=next_token]").first
    fig.locator("input[value=smollm2]").check()
    page.wait_for_function("""() => document.querySelector('figure[data-widget=next_token] .smp-context')
        .textContent.startsWith('SmolLM2-135M-Instruct reads')""")
    assert "49,152" in fig.locator(".smp-stats").text_content()


def test_a_return_visit_reads_the_model_from_the_browsers_cache(loaded):
    page, _ = loaded
    again = page.context.new_page()  # same browser profile: Cache Storage is shared
    again.goto(page.url)
    info = again.evaluate("() => glassbox.models.load('smollm2')")
    assert info["fromCache"] == info["bytes"]
    again.close()


def fresh_page(browser, base_url):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.goto(base_url + PAGE)
    page.evaluate("() => glassbox.ready.then(() => true)")
    return context, page


def test_cancel_stops_the_download_and_the_tiny_model_keeps_working(browser, base_url, smollm2_gguf):
    context, page = fresh_page(browser, base_url)
    try:
        # a slow network (2 MB/s), so there is a download to cancel
        page.context.new_cdp_session(page).send(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": 20, "downloadThroughput": 2e6, "uploadThroughput": -1},
        )
        page.evaluate(
            "() => { window.loading = glassbox.models.load('smollm2').then(() => 'loaded', (e) => e.message); }"
        )
        page.wait_for_function(f"() => ({STATE})('smollm2') === 'loading'")
        fig = page.locator("figure[data-widget=next_token]").first
        assert fig.locator(".model-cancel").is_visible()
        fig.locator(".model-cancel").click()
        assert page.evaluate("() => window.loading") == "cancelled"
        assert page.evaluate(STATE, "smollm2") == "absent"
        assert fig.locator(".model-load").is_visible() and fig.locator("input[value=smollm2]").is_disabled()
        result = page.evaluate("() => glassbox.compute('next_token', {prompt: 'The President'})")
        assert result["model_name"] == "Glassbox's tiny model"
    finally:
        context.close()


def test_a_damaged_part_is_refused_with_a_message(browser, base_url, smollm2_gguf):
    context, page = fresh_page(browser, base_url)
    try:

        def damage(route):
            body = bytearray(route.fetch().body())
            body[1000] ^= 0xFF
            route.fulfill(body=bytes(body), headers={"content-type": "application/octet-stream"})

        page.route("**/*.gguf.part1", damage)
        message = page.evaluate("() => glassbox.models.load('smollm2').then(() => 'loaded', (e) => e.message)")
        assert "arrived damaged" in message
        fig = page.locator("figure[data-widget=next_token]").first
        assert "Could not load it" in fig.locator(".model-load-status").text_content()
        assert "Try again" in fig.locator(".model-load").text_content()
        result = page.evaluate("() => glassbox.compute('next_token', {})")
        assert result["model_name"] == "Glassbox's tiny model"
    finally:
        context.close()


def test_too_little_memory_gets_a_clear_message(browser, base_url, smollm2_gguf):
    context, page = fresh_page(browser, base_url)
    try:
        # a device that cannot hold the model: the first layer's allocation fails
        page.evaluate("""() => glassbox.py(`
import llm_core.gguf as g
def no_room(*args, **kwargs):
    raise MemoryError
g.layer_weights_from_gguf = no_room`)""")
        message = page.evaluate("() => glassbox.models.load('smollm2').then(() => 'loaded', (e) => e.message)")
        assert "could not give Python enough memory" in message
        result = page.evaluate("() => glassbox.compute('next_token', {})")
        assert result["model_name"] == "Glassbox's tiny model"
    finally:
        context.close()


def test_asking_for_smollm2_before_loading_it_says_what_to_do(browser, base_url):
    context, page = fresh_page(browser, base_url)
    try:
        result = page.evaluate("() => glassbox.compute('next_token', {model: 'smollm2'})")
        assert "not loaded yet" in result["error"]
    finally:
        context.close()


# -- a GGUF file from the reader's own disk --------------------------------------------------------


def small_llama_file(tmp_path, **kwargs):
    """A small random llama GGUF, written as llama.cpp's converter writes one (tests/core/test_gguf_model)."""
    from llm_core.model import random_weights
    from tests.core.test_gguf_model import SMALL, write_llama_gguf

    return write_llama_gguf(tmp_path / "mine.gguf", random_weights(SMALL, seed=5), SMALL, **kwargs)


def open_file(page, path):
    fig = page.locator("figure[data-widget=next_token]").first
    fig.locator(".model-file").set_input_files(str(path))
    page.wait_for_function(f"() => ['ready', 'failed'].includes(({STATE})('file'))")
    return fig


def test_a_readers_own_gguf_file_runs_in_the_widgets(browser, base_url, tmp_path):
    from llm_core import gguf

    path = small_llama_file(tmp_path)
    context, page = fresh_page(browser, base_url)
    try:
        fig = open_file(page, path)
        assert page.evaluate(STATE, "file") == "ready"
        page.wait_for_function(
            """() => document.querySelector('figure[data-widget=next_token] input[value=file]').checked"""
        )
        params = {**WIDGETS["next_token"].module.DEFAULTS, "model": "file", "prompt": "abc abc", "temperature": 0}
        in_browser = page.evaluate("([n, p]) => glassbox.compute(n, p)", ["next_token", params])
        gguf._data_models[gguf.READER_FILE] = gguf.load_gguf(path, n_ctx=gguf.DATA_MODEL_N_CTX)
        try:
            in_python = json.loads(json.dumps(WIDGETS["next_token"].module.compute(params)))
        finally:
            del gguf._data_models[gguf.READER_FILE]
        assert differences(in_browser, in_python, rel=1e-3) == []
        assert "Your file" in fig.locator(".model-file-name").text_content()
        # a second file in the same visit is refused with a reason; the first keeps working
        message = page.evaluate(
            "() => glassbox.models.load('file', new File([new Uint8Array(8)], 'x.gguf'))"
            ".then(() => 'loaded', (e) => e.message)"
        )
        assert "reload the page" in message
    finally:
        context.close()


@pytest.mark.parametrize(
    "kind, expected",
    [
        ("not gguf", "not a GGUF file"),
        ("Q6_K", "is stored as Q6_K"),
    ],
)
def test_a_file_that_cannot_run_is_refused_at_once_with_the_reason(browser, base_url, tmp_path, kind, expected):
    if kind == "not gguf":
        path = tmp_path / "photo.gguf"
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(5000))
    else:
        import gguf as gguf_writer
        from llm_core.model import ModelConfig, random_weights
        from tests.core.test_gguf_model import write_llama_gguf

        cfg = ModelConfig(n_vocab=260, n_ctx=8, d_model=256, n_layer=1, n_head=4, n_kv_head=2, d_head=64, d_ff=256)
        path = write_llama_gguf(
            tmp_path / "k.gguf", random_weights(cfg), cfg, tensor_type=gguf_writer.GGMLQuantizationType.Q6_K
        )
    context, page = fresh_page(browser, base_url)
    try:
        fig = open_file(page, path)
        assert page.evaluate(STATE, "file") == "failed"
        status = fig.locator(".model-file-status").text_content()
        assert expected in status and "The tiny model keeps working" in status
        assert fig.locator("input[value=file]").is_disabled()
        assert page.evaluate("() => glassbox.compute('next_token', {})")["model_name"] == "Glassbox's tiny model"
    finally:
        context.close()
