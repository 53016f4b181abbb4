"""Section 7: SmolLM2-135M-Instruct in the page's worker next to llama.cpp compiled to WebAssembly (npm
@wllama/wllama, one thread, the same GGUF file): load, memory, decode and prefill runs alternated, numpy's
rates, a profile of a decode step and two other weight layouts. Its report is report.smollm2_report."""

import os
from pathlib import Path

from sitebuild import browser as chromium
from sitebuild.serve import serve_in_thread

from .common import ROOT, asset, copy_asset, english_text
from .drag import LONG_PROMPT

SMOLLM2_PAGE = "sampling.html"  # a chapter whose widgets can switch to SmolLM2
SMOLLM2_RUNS = 3  # decode and prefill runs of each engine, alternated; medians
PROFILE_STEPS = 15  # decode steps profiled part by part
DECODE_PROMPT_TOKENS, DECODE_NEW_TOKENS, PREFILL_TOKENS = 8, 32, 64
CHAT_QUESTION = "What is the capital of France?"
WLLAMA = ROOT / "node_modules" / "@wllama" / "wllama"


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
    out["cold"] = page.evaluate(asset("glassbox_load.js"), prompts["chat"])
    out["heap"] = page.evaluate("() => glassbox.py('import pyodide_js; pyodide_js._module.HEAP8.length')")
    out["memory_after"] = process_memory(renderers(browser) - before)
    print(f"  cold load: {out['cold']}, memory {out['memory_after']}", flush=True)
    again = ctx.new_page()  # same context: the parts come from Cache Storage
    again.set_default_timeout(300_000)
    again.goto(base + SMOLLM2_PAGE)
    again.evaluate("() => glassbox.ready.then(() => true)")
    out["cached"] = again.evaluate(asset("glassbox_load.js"), prompts["chat"])
    again.close()
    print(f"  cached load: {out['cached']}", flush=True)
    page.evaluate("(code) => glassbox.py(code + '\\nNone')", asset("smollm2_setup.py"))

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
            out[f"{engine}_load"] = wpage.evaluate(asset("wllama_load.js"), [file, prompts["chat_text"], 1024])
            out[f"{engine}_memory"] = process_memory(renderers(browser) - before)
            print(f"  {engine} load: {out[f'{engine}_load']}, memory {out[f'{engine}_memory']}", flush=True)
            wpages[engine] = wpage
        except Exception as e:  # noqa: BLE001 - the report says what failed; Glassbox's numbers still stand
            out[f"{engine}_error"] = f"{e}"[:300] + (f" ({errors[0][:200]})" if errors else "")
            wpage.context.close()
    # warm-up (each engine's code paths compiled and caches touched), then alternate runs
    page.evaluate("(p) => glassbox.py(`sm_decode(${JSON.stringify(p)}, 2)['seconds']`)", prompts["decode"])
    for wpage in wpages.values():
        wpage.evaluate(asset("wllama_run.js"), [prompts["decode_text"], 3])
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
            w = wpage.evaluate(asset("wllama_run.js"), [prompts["decode_text"], DECODE_NEW_TOKENS + 1])
            t = w["timings"]
            runs[f"{engine}_decode"].append(t["predicted_ms"] / 1000 * DECODE_NEW_TOKENS / (t["predicted_n"] - 1))
            out[f"{engine}_decode_text"], out[f"{engine}_decode_prompt_n"] = w["text"], t["prompt_n"]
        pre = page.evaluate("(p) => glassbox.py(`sm_prefill(${JSON.stringify(p)})`)", prompts["prefill"])
        runs["prefill"].append(pre["seconds"])
        runs["matmul"].append(pre["matmul"])
        for engine, wpage in wpages.items():
            t = wpage.evaluate(asset("wllama_run.js"), [prompts["prefill_text"], 1])["timings"]
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
    out["simd"] = page.evaluate("(code) => glassbox.py(code)", asset("numpy_simd.py"))
    out["load_after"] = os.getloadavg()[0]
    ctx.close()
    return out


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
    copy_asset("wllama.html", root / "index.html")
    (root / "index.js").symlink_to(esm / "index.js")
    (root / "wllama.wasm").symlink_to(esm / "wasm" / "wllama.wasm")
    source = ROOT / "_build" / "cache" / "smollm2" / FILE_NAME
    (root / "model.gguf").symlink_to(source)
    (root / "model-q4_0.gguf").symlink_to(q4_0_copy(source))
    return root


def run_smollm2(p, base: str, tmp: Path) -> tuple[dict, dict]:
    """Measure the SmolLM2 section in a browser of its own; -> (measurements, prompts), which
    report.smollm2_report turns into the section's lines."""
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
    return result, prompts
