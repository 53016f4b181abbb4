"""The report: benchmarks/RESULTS.md's text from the sections' measurements, each ratio with its budget."""

import os
import statistics

from .common import TOKENIZER_PAGE, machine, pct
from .drag import MOVES_PER_CONTROL
from .offline import CONDITIONS, ROUND_TRIP_MS, summary
from .pages import PAGE_ROUNDS
from .smollm2 import (
    CHAT_QUESTION,
    DECODE_NEW_TOKENS,
    DECODE_PROMPT_TOKENS,
    PREFILL_TOKENS,
    PROFILE_STEPS,
    SMOLLM2_RUNS,
    forward_flops,
    weight_macs,
    wllama_version,
)
from .startup import PHASE_NAMES


def ok(good: bool) -> str:
    return "within budget" if good else "OVER BUDGET"


def report(
    startup=None,
    throughput=None,
    n_bytes=None,
    typing=None,
    runs=None,
    model=None,
    drag=None,
    pages=None,
    smollm2=None,
    offline=None,
    training=None,
) -> str:
    """RESULTS.md's text: the header, then each section measured (None: not measured, left out)."""
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
    if startup:
        lines += startup_report(startup, runs)
    if throughput:
        lines += throughput_report(throughput, n_bytes)
    if typing:
        lines += typing_report(typing)
    if model:
        lines += model_report(model)
    if training:
        lines += training_report(training)
    if smollm2:
        lines += smollm2
    if pages:
        lines += pages_report(pages)
    if offline:
        lines += offline_report(offline)
    if drag:
        lines += drag_report(drag)
    return "\n".join(lines)


def startup_report(startup: dict, runs: int) -> list[str]:
    lines = [
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
    return lines


def throughput_report(throughput: dict, n_bytes: int) -> list[str]:
    lines = [
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
    return lines


def typing_report(typing: list[float]) -> list[str]:
    return [
        "## Typing latency in the tokenizer widget",
        "",
        f"{len(typing)} keystrokes (alternately a letter and Backspace) at the end of a 2 KB text; "
        "from keydown to the redrawn chips (three encodings).",
        "",
        f"p50 **{pct(typing, 50):.1f} ms**, p95 **{pct(typing, 95):.1f} ms**, max {max(typing):.1f} ms "
        f"(budget p95 <= 100 ms: {ok(pct(typing, 95) <= 100)}).",
        "",
    ]


TRAINING_HEADING = "## Training in the page (chapter 15's trainer)"


def training_report(r: dict) -> list[str]:
    """The fastest of the timed steps (the statistic the matmul floor is taken with: on a shared machine the
    others measure the neighbours too), medians beside; every ratio compares numbers of one run."""
    med = min
    page, cpython, torch = r["page"], r["cpython"], r["torch"]
    steps = {"page": page["step_s"], "cpython": cpython["step_s"]}
    if torch:
        steps["torch"] = torch["step_s"]
    step = {where: med(s) for where, s in steps.items()}
    gflops = page["flops"] / step["page"] / 1e9
    share = gflops / page["matmul_gflops"]
    ok = "met" if share >= 0.25 else "MISSED"
    lines = [
        TRAINING_HEADING,
        "",
        "The trainer widget's default model (d_model 48, 2 layers, 4 query heads sharing 2 key/value heads, context "
        "32, 256 byte tokens; 67,824 parameters) taking AdamW steps on 8 windows of 32 tokens through "
        "`llm_core.train.training_run`: 12 timed steps after one warm-up, the fastest (the matmul's floor is its "
        "fastest of 20 too; the median step is in the last column). FLOPs per step are "
        f"`llm_core.train.step_flops`: 6 x parameters x tokens plus attention, {page['flops'] / 1e6:.1f} MFLOP. "
        f"The machine's load average (1 min) was {r['load'][0]:.1f} when the section started and "
        f"{r['load'][1]:.1f} when it ended (2 cores: above 2, other work was sharing them, which makes every time here longer).",
        "",
        "| where | ms per step | steps/s | tokens/s | GFLOP/s | median ms per step |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    names = {"page": "in the page (Pyodide numpy, no BLAS)", "cpython": "CPython numpy, 1 OpenBLAS thread"}
    names["torch"] = f"torch {torch['torch']} on the CPU, 1 thread" if torch else ""
    for where, s in step.items():
        lines.append(
            f"| {names[where]} | {s * 1000:.1f} | {1 / s:.1f} | {page['tokens'] / s:,.0f} | "
            f"{page['flops'] / s / 1e9:.2f} | {statistics.median(steps[where]) * 1000:.1f} |"
        )
    shape = "x".join(map(str, page["matmul_shape"]))
    shapes = " / ".join(f"{gflops:.2f}" for gflops in page["shapes_gflops"].values())
    lines += [
        f"| numpy matmul {shape} float32 in the page, right operand row-major / column-major | | | | "
        f"{page['matmul_gflops_c']:.2f} / {page['matmul_gflops_f']:.2f} | |",
        f"| numpy matmul at the step's shapes in the page, {' / '.join(page['shapes_gflops'])} | | | | {shapes} | |",
        "",
        f"In the page a step reaches **{share:.0%}** of the in-page matmul rate, the faster layout "
        f"(budget >= 25%: {ok}). CPython numpy is **{step['page'] / step['cpython']:.1f}x** faster than the page"
        + (
            f", torch **{step['page'] / step['torch']:.1f}x**; CPython numpy takes "
            f"**{step['cpython'] / step['torch']:.2f}x** torch's time per step."
            if torch
            else "; torch: not measured, `.venv-train` absent (`make training-reference` creates it)."
        ),
        "",
        *limits(page),
    ]
    return lines


def limits(page: dict) -> list[str]:
    """What keeps the page's step below the floor, in the run's own numbers: its parts, and how long its
    FLOPs alone would take at the matmul rates of the step's own shapes."""
    parts = page["parts_s"]
    total = sum(parts.values())
    share = ", ".join(f"{name} {t * 1000:.1f} ms ({t / total:.0%})" for name, t in parts.items())
    rates = page["shapes_gflops"]
    slow, fast = min(rates, key=rates.get), max(rates, key=rates.get)
    return [
        f"What limits it: on one batch in the page the step's parts take {share}. Pyodide's numpy (no BLAS) "
        f"multiplies at {rates[slow]:.2f} GFLOP/s for {slow} and {rates[fast]:.2f} for {fast} (the floor: "
        f"{page['matmul_gflops']:.2f}); at those rates the step's {page['flops'] / 1e6:.1f} MFLOP alone take "
        f"{page['flops'] / rates[fast] / 1e6:.0f} ms (all at the faster) to {page['flops'] / rates[slow] / 1e6:.0f} "
        f"ms (all at the slower) of its {total * 1000:.0f}"
        + (": the products are most of a step" if page["flops"] / rates[fast] > total / 2 else "")
        + "; the rest is elementwise work (softmax, SiLU's tanh, AdamW) and Python's cost per numpy call.",
        "",
    ]


def model_report(model: dict) -> list[str]:
    d64, d256 = model["decode_64"], model["decode_256"]
    speedup = d256["cached_tok_s"] / d256["uncached_tok_s"]
    share = model["prefill_gflops"] / model["matmul_gflops"]
    return [
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


OFFLINE_HEADING = "## A returning reader, with and without the service worker"


def offline_report(offline: dict) -> list[str]:
    """The offline section: per max-age and round trip, the warm visit without and with the service worker."""
    rounds = len(next(iter(offline[CONDITIONS[0]].values())))
    lines = [
        OFFLINE_HEADING,
        "",
        f"{TOKENIZER_PAGE} revisited in a persistent profile after one first visit, served as GitHub Pages "
        "serves it (`Cache-Control: max-age=600`, ETags, 304 Not Modified), by a server that counts what "
        "reaches it; max-age=0 stands for a return after those ten minutes (every stored copy stale). Medians "
        f"of {rounds} visits per row, the two rows of a max-age alternated. Requests: all that reached the "
        "server, of them revalidations answered 304 and full downloads; live: navigation to the first live "
        "widget; readable: first contentful paint. The server runs on the same machine and answers at once, "
        "so the rows with a round trip of 0 ms show the service worker's own cost (every file read from Cache "
        f"Storage through its fetch handler); the rows with {ROUND_TRIP_MS} ms hold every response that long "
        "first, as a reader's browser waits for each request to reach GitHub Pages' CDN and come back.",
        "",
        "| return after | round trip (ms) | service worker | first live (ms) | readable (ms) | requests | "
        "revalidated (304) | downloaded | KB |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    notes = []
    for max_age, round_trip in CONDITIONS:
        when = "under 10 minutes (max-age=600)" if max_age else "over 10 minutes (max-age=0)"
        rows = {mode: summary(visits) for mode, visits in offline[max_age, round_trip].items()}
        for mode, r in rows.items():
            lines.append(
                f"| {when} | {round_trip} | {mode} | {r['live']:.0f} | {r['fcp']:.0f} | {r['requests']:.0f} | "
                f"{r['revalidated']:.0f} | {r['downloaded']:.0f} | {r['bytes'] / 1024:,.1f} |"
            )
        ratio = rows["with"]["live"] / rows["without"]["live"]
        asked = ", ".join(rows["with"]["paths"]) or "none"
        notes.append(
            f"Return {when}, round trip {round_trip} ms: first live with the service worker in **{ratio:.2f}x** "
            "the time without; "
            f"its requests: {asked}"
        )
    return lines + [""] + [n + "." for n in notes] + [""]


def pages_report(pages: dict) -> list[str]:
    lines = [
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
    return lines


def drag_report(drag: list[dict]) -> list[str]:
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
