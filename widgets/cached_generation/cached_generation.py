"""Cached generation: the same continuation computed with a KV cache and without one, step by step.

With the cache (`llm_core.kv_cache.KVCache`), the first forward pass reads the whole prompt (prefill)
and stores every layer's keys and values; each later step feeds only the newest token (decode) and
appends one position. Without it, every step runs `forward` over the whole sequence again. Both use the
same seeded sampler, so they must pick the same tokens; the view says whether they did, how many
positions each way computed, and how many bytes the cache holds after each step (the closed form
2 * n_layer * n_kv_head * d_head * 4 bytes per position, float32). The forward passes are timed with
time.perf_counter; those wall-clock numbers go under "measured" (the build drops them, the browser test
ignores them), so the static page only says they are measured live.

The run without the cache is slow on purpose (its work grows with the square of the length), so it runs
only while the `compare` box is ticked. Unticked, only the cached run happens: the uncached tokens, the
verdict and the uncached times are None; the positions it would have run are still given, since they are
arithmetic (prompt + k at step k), not a measurement.
"""

import time

import numpy as np

from llm_core.controls import as_bool, as_int, as_text
from llm_core.kv_cache import kv_bytes_per_token
from llm_core.model import forward, n_params
from llm_core.generation import prefill
from widgetlib.prompt import prompt_ids
from llm_core.sampling import as_generator, sample
from llm_core.tokenizer import render_token
from widgetlib.fmt import fixed, integer
from widgetlib.sampling import read_sampling
from widgetlib.model import TINY_FILES, tiny

MAX_PROMPT_CHARS = 2_000
MAX_NEW_TOKENS = 64  # without the cache the last step reruns the model over prompt + 63 tokens
MAX_PROMPT_TOKENS = 32  # without the cache, work grows with n_tokens * (prompt + n_tokens): keep it to seconds
BYTES_PER_VALUE = 4  # the tiny model runs in float32
# Float32 sums run in another order in Pyodide (numpy without BLAS): the browser test compares floats
# to this relative tolerance (token ids, counts and bytes exactly).
REL_TOL = 1e-3
# The two bar charts, in SVG user units (the view only places these numbers).
WIDTH, HEIGHT = 360, 120
LEFT, RIGHT, TOP, BOTTOM = 8, 8, 8, 18
N_COLOURS = 5  # new tokens cycle through the site's five token colours (tokens.css)

# compare: also run without the cache. On by default, so the page opens on the race and the two identical
# rows of tokens; a reader who unticks it gets the cached run alone, fast enough to drag the sliders.
DEFAULTS = {
    "prompt": "The President of the United States",
    "n_tokens": 16,
    "temperature": 0.8,
    "seed": 0,
    "compare": True,
}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"temperature": 0, "n_tokens": 8},
    {"prompt": "I ask the Congress to", "n_tokens": 5, "temperature": 1.3, "seed": 7},
    {"prompt": "", "n_tokens": 3, "seed": 2},
    {"n_tokens": 40, "temperature": 1.1, "seed": 5, "compare": False},
]
DATA = TINY_FILES
CODE = [
    "llm_core.kv_cache.KVCache",
    "llm_core.generation.prefill",
    "llm_core.model.forward",
    "llm_core.generation.generate",
    "llm_core.kv_cache.kv_bytes_per_token",
    "llm_core.sampling.sample",
]


def read_params(params: dict):  # -> params, prompt, note
    """DEFAULTS overridden by params, validated and clamped."""
    p = {**DEFAULTS, **params}
    prompt, note = as_text("prompt", p["prompt"], MAX_PROMPT_CHARS)
    return {
        "prompt": prompt,
        "n_tokens": as_int("n_tokens", p["n_tokens"], 1, MAX_NEW_TOKENS),
        **read_sampling(p, ("temperature", "seed")),
        "compare": as_bool("compare", p["compare"]),
    }, note


def run_cached(model, ids, n_tokens, temperature, seed):  # -> tokens, steps, seconds per step, cache
    """Prefill the prompt into a fresh KV cache, then decode one token per step, feeding only that token.

    Step 0 is timed as a real prefill: no kv_cache.PrefixCache here, since a prompt found there would skip
    the very pass the view times. Every pass unembeds only its last position (logits_to_keep=1): the next
    token is read from the last row alone.
    """
    rng = as_generator(seed)
    tokens, steps, seconds = [], [], []
    for k in range(n_tokens):
        start = time.perf_counter()
        if k == 0:
            cache, logits = prefill(model, ids)  # [n_prompt] -> cache of n_prompt positions, [n_vocab]
        else:
            logits = forward(model.weights, model.cfg, [tokens[-1]], cache=cache, logits_to_keep=1)[0][-1]
        seconds.append(time.perf_counter() - start)
        steps.append({"fed": len(ids) if k == 0 else 1, "cache_positions": cache.n_seq, "cache_bytes": cache.nbytes})
        tokens.append(sample(logits, temperature, rng=rng)["token"])
    return tokens, steps, seconds, cache


def run_uncached(model, ids, n_tokens, temperature, seed):  # -> tokens, seconds per step
    """Every step runs the model over the whole sequence so far: prompt plus every token made so far.

    Only the last position is unembedded (logits_to_keep=1), as in run_cached: both ways compute the same
    thing, and the difference left is the one the cache makes, rerunning every earlier position's layers.
    """
    rng, seq = as_generator(seed), list(ids)
    tokens, seconds = [], []
    for _ in range(n_tokens):
        start = time.perf_counter()
        logits, _ = forward(model.weights, model.cfg, seq, logits_to_keep=1)
        seconds.append(time.perf_counter() - start)
        token = sample(logits[-1], temperature, rng=rng)["token"]
        tokens.append(token)
        seq.append(token)
    return tokens, seconds


def bar_chart(series: list, top: float) -> list:  # [[value per step] per series] -> bars in SVG units
    """Side-by-side bars, one group per step, heights relative to `top`."""
    n_steps, n_series = len(series[0]), len(series)
    group = (WIDTH - LEFT - RIGHT) / n_steps
    width = group / n_series * 0.9
    top = max(top, 1e-12)
    return [
        [
            {
                "x": round(LEFT + k * group + s * width, 2),
                "w": round(max(width, 0.5), 2),
                "y": round(HEIGHT - BOTTOM - value / top * (HEIGHT - TOP - BOTTOM), 2),
                "h": round(value / top * (HEIGHT - TOP - BOTTOM), 2),
            }
            for k, value in enumerate(values)
        ]
        for s, values in enumerate(series)
    ]


def chip(token_id: int, **extra) -> dict:
    data = tiny().encoding.decode_tokens_bytes([token_id])[0]
    return {"id": token_id, "segs": render_token(data), "nl": b"\n" in data, **extra}


def new_chips(ids: list) -> list:  # generated tokens, each with its colour
    return [chip(t, colour=k % N_COLOURS) for k, t in enumerate(ids)]


def plural(k: int, word: str) -> str:  # 1 new token, 16 new tokens
    return f"{k} {word}{'' if k == 1 else 's'}"


def ms(x: float) -> str:
    """A time as the figure prints it: 123 ms, 45.6 ms, 7.89 ms."""
    return fixed(x, 0 if x >= 100 else 1 if x >= 10 else 2) + " ms"


def verdict(first_difference, k: int):  # -> (the bold start, the rest) or None when the race was not run
    if first_difference is False:
        return None
    if first_difference is None:
        return [
            "Identical:",
            f" all {plural(k, 'new token')} {'is' if k == 1 else 'are'} the same with and without the cache.",
        ]
    return [
        "Different",
        f" from new token {first_difference + 1} on: two logits were so close that float rounding swapped them.",
    ]


def timings(ms_c: list, ms_u, n_prompt: int) -> dict:
    """The wall-clock times (live only: the build drops them), with the words the figure prints."""
    n, compare = len(ms_c), ms_u is not None
    total_c, total_u = sum(ms_c), sum(ms_u) if compare else None
    decode = float(np.mean(ms_c[1:])) if n > 1 else None
    return {
        "ms_cached": ms_c,
        "ms_uncached": ms_u,
        "total_ms_cached": total_c,
        "total_ms_uncached": total_u,
        "prefill_ms": ms_c[0],
        "prefill_ms_per_token": ms_c[0] / n_prompt,
        "decode_ms": decode,
        # one series per run: [with] or [with, without], on one scale
        "bars": bar_chart([ms_c, ms_u] if compare else [ms_c], max(ms_c + (ms_u or []))),
        "text": {
            "cached": [ms(x) for x in ms_c],
            "uncached": [ms(x) for x in ms_u] if compare else None,
            "total_cached": ms(total_c),
            "total_uncached": ms(total_u) if compare else None,
            "tallest": ms(max(ms_c + (ms_u or []))),
            "prefill": (
                f". Prefill: {ms(ms_c[0])} for {plural(n_prompt, 'prompt token')} "
                f"({ms(ms_c[0] / n_prompt)} per token)"
                + ("." if decode is None else f"; decode: {ms(decode)} per token on average.")
            ),
        },
    }


def compute(params: dict) -> dict:
    p, note = read_params(params)
    model = tiny()
    cfg = model.cfg
    ids, notes = prompt_ids(model, p["prompt"], p["n_tokens"], MAX_PROMPT_CHARS)
    notes = ([note] if note else []) + notes
    if len(ids) > MAX_PROMPT_TOKENS:
        notes.append(
            f"The prompt is {len(ids)} tokens: only its last {MAX_PROMPT_TOKENS} are used here, so "
            "that the run without the cache stays within seconds."
        )
        ids = ids[-MAX_PROMPT_TOKENS:]
    n, compare = p["n_tokens"], p["compare"]
    # One untimed pass first: the first call of each numpy routine can pay one-off start-up costs (more so
    # in the browser, where WebAssembly code is compiled on first use), which would otherwise land on
    # whichever pass is timed first. Those costs are per routine, not per position: a pass calls the same
    # routines whatever its length, and a one-token prefill calls all of them (the cache's update included),
    # so one token is enough, at about the cost of one decode step. (Measured in Chromium on the default
    # prompt: without a warm-up the first prefill's time per token came out nearly double; a one-token
    # warm-up did as well as one over the whole prompt.)
    prefill(model, ids[-1:])
    cached, steps, t_cached, cache = run_cached(model, ids, n, p["temperature"], p["seed"])
    if compare:
        uncached, t_uncached = run_uncached(model, ids, n, p["temperature"], p["seed"])
        first_difference = next((k for k, (a, b) in enumerate(zip(cached, uncached)) if a != b), None)
    else:  # not run: nothing to compare, no times
        uncached = t_uncached = first_difference = None

    per_position = kv_bytes_per_token(cfg, BYTES_PER_VALUE)
    for k, step in enumerate(steps):
        # without the cache, step k reruns the prompt and the k tokens made so far (a count, run or not)
        step.update({"step": k, "phase": "prefill" if k == 0 else "decode", "fed_uncached": len(ids) + k})
    weight_flops = 2 * (n_params(cfg) - (2 * cfg.n_layer + 1) * cfg.d_model)  # every matrix: a multiply-add per weight
    bytes_bars = bar_chart([[s["cache_bytes"] for s in steps]], cache.nbytes)
    ms_c = [1000 * t for t in t_cached]
    ms_u = [1000 * t for t in t_uncached] if compare else None
    for step in steps:
        step["cache_bytes_text"] = integer(step["cache_bytes"])
    weight_bytes = n_params(cfg) * BYTES_PER_VALUE
    prefill_per_byte, decode_per_byte = weight_flops * len(ids) / weight_bytes, weight_flops / weight_bytes
    texts = {  # the numbers the figure prints, and the sentences around them
        "bytes_per_position": integer(per_position),
        "first_cache_bytes": integer(steps[0]["cache_bytes"]),
        "cache_bytes": integer(cache.nbytes),
        "cache_line": (
            f"The cache after each step: {integer(per_position)} bytes per position (2 for K and V × "
            f"{cfg.n_layer} layers × {cfg.n_kv_head} KV heads × {cfg.d_head} numbers × {BYTES_PER_VALUE} "
            f"bytes), {integer(steps[0]['cache_bytes'])} after the prefill of "
            f"{plural(len(ids), 'prompt token')}, {integer(cache.nbytes)} at the end. Room for all "
            f"{cfg.n_ctx} positions is reserved up front: {integer(cache.allocated_bytes)} bytes."
        ),
        "work_line": (
            f"Every position costs about {fixed(weight_flops / 1e6, 1)} million floating-point operations "
            f"in the weight matrices, and every forward pass reads all {fixed(weight_bytes / 1e6, 1)} MB "
            f"of weights. A decode step does {fixed(decode_per_byte, 2)} operations per byte of weights "
            f"read; the prefill of {plural(len(ids), 'token')} does {fixed(prefill_per_byte, 2)}."
        ),
    }
    return {
        "prompt_tokens": [chip(i) for i in ids[-24:]],
        "n_prompt_tokens": len(ids),
        "more_prompt": len(ids) > 24,  # the prompt is shown from its 24th-last token, after an ellipsis
        "tokens": new_chips(cached),
        "tokens_uncached": new_chips(uncached) if compare else None,
        "identical": first_difference is None if compare else None,
        "first_difference": first_difference,
        "verdict": verdict(first_difference if compare else False, len(cached)),
        "shown": {"n_tokens": str(n), "temperature": fixed(p["temperature"], 2)},  # the sliders' <output>s
        "text": texts,
        "steps": steps,
        "positions_cached": sum(s["fed"] for s in steps),
        "positions_uncached": sum(s["fed_uncached"] for s in steps),
        "bytes_per_position": per_position,
        "cache_formula": {
            "n_layer": cfg.n_layer,
            "n_kv_head": cfg.n_kv_head,
            "d_head": cfg.d_head,
            "bytes_per_value": BYTES_PER_VALUE,
        },
        "cache_bytes": cache.nbytes,
        "allocated_bytes": cache.allocated_bytes,
        "n_ctx": cfg.n_ctx,
        "weight_bytes": weight_bytes,
        "weight_flops_per_token": weight_flops,
        "prefill_flops_per_byte": prefill_per_byte,
        "decode_flops_per_byte": decode_per_byte,
        "bytes_chart": {
            "width": WIDTH,
            "height": HEIGHT,
            "left": LEFT,
            "right": WIDTH - RIGHT,
            "bottom": HEIGHT - BOTTOM,
            "bars": bytes_bars[0],
            "label_y": HEIGHT - 3,
            "viewbox": f"0 0 {WIDTH} {HEIGHT}",
            "last_label": f"step {steps[-1]['step']}: {integer(cache.nbytes)} bytes",
        },
        "params": p,
        "note": " ".join(notes) or None,
        "measured": timings(ms_c, ms_u, len(ids)),
    }
