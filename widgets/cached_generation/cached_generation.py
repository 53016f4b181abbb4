"""Cached generation: the same continuation computed with a KV cache and without one, step by step.

With the cache (`llm_core.kv_cache.KVCache`), the first forward pass reads the whole prompt (prefill)
and stores every layer's keys and values; each later step feeds only the newest token (decode) and
appends one position. Without it, every step runs `forward` over the whole sequence again. Both use the
same seeded sampler, so they must pick the same tokens; the view says whether they did, how many
positions each way computed, and how many bytes the cache holds after each step (the closed form
2 * n_layer * n_kv_head * d_head * 4 bytes per position, float32). The forward passes are timed with
time.perf_counter; those wall-clock numbers go under "measured" (the build drops them, the browser test
ignores them), so the static page only says they are measured live.
"""

import functools
import time

import numpy as np

from llm_core.controls import as_int, as_number, as_text
from llm_core.kv_cache import kv_bytes_per_token
from llm_core.model import forward, load_model, n_params, prompt_ids
from llm_core.sampling import as_generator, sample
from llm_core.tokenizer import render_token

MODEL = "models/tiny"
MAX_PROMPT_CHARS = 2_000
MAX_NEW_TOKENS = 64   # without the cache the last step reruns the model over prompt + 63 tokens
MAX_PROMPT_TOKENS = 32  # without the cache, work grows with n_tokens * (prompt + n_tokens): keep it to seconds
MAX_TEMPERATURE = 2.0
MAX_SEED = 2**32 - 1
BYTES_PER_VALUE = 4   # the tiny model runs in float32
# Float32 sums run in another order in Pyodide (numpy without BLAS): the browser test compares floats
# to this relative tolerance (token ids, counts and bytes exactly).
REL_TOL = 1e-3
# The two bar charts, in SVG user units (the view only places these numbers).
WIDTH, HEIGHT = 360, 120
LEFT, RIGHT, TOP, BOTTOM = 8, 8, 8, 18

DEFAULTS = {"prompt": "The President of the United States", "n_tokens": 16, "temperature": 0.8, "seed": 0}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"temperature": 0, "n_tokens": 8},
    {"prompt": "I ask the Congress to", "n_tokens": 5, "temperature": 1.3, "seed": 7},
    {"prompt": "", "n_tokens": 3, "seed": 2},
]
DATA = ["models/tiny/config.json", "models/tiny/weights.npz", "models/tiny/tokenizer.json",
        "models/tiny/vocab.tiktoken"]
CODE = [
    "llm_core.kv_cache.KVCache",
    "llm_core.model.forward",
    "llm_core.model.generate",
    "llm_core.kv_cache.kv_bytes_per_token",
    "llm_core.sampling.sample",
]


@functools.cache
def model():
    return load_model(MODEL)


def read_params(params: dict):  # -> params, prompt, note
    """DEFAULTS overridden by params, validated and clamped."""
    p = {**DEFAULTS, **params}
    prompt, note = as_text("prompt", p["prompt"], MAX_PROMPT_CHARS)
    return {
        "prompt": prompt,
        "n_tokens": as_int("n_tokens", p["n_tokens"], 1, MAX_NEW_TOKENS),
        "temperature": as_number("temperature", p["temperature"], 0.0, MAX_TEMPERATURE),
        "seed": as_int("seed", p["seed"], 0, MAX_SEED),
    }, note


def run_cached(tiny, ids, n_tokens, temperature, seed):  # -> tokens, steps, seconds per step
    """Prefill the prompt into a KV cache, then decode one token per step, feeding only that token."""
    rng, cache = as_generator(seed), tiny.new_cache()
    tokens, steps, seconds = [], [], []
    feed = list(ids)
    for _ in range(n_tokens):
        start = time.perf_counter()
        logits, _ = forward(tiny.weights, tiny.cfg, feed, cache=cache)
        seconds.append(time.perf_counter() - start)
        token = sample(logits[-1], temperature, rng=rng)["token"]
        steps.append({"fed": len(feed), "cache_positions": cache.n_seq, "cache_bytes": cache.nbytes})
        tokens.append(token)
        feed = [token]
    return tokens, steps, seconds, cache


def run_uncached(tiny, ids, n_tokens, temperature, seed):  # -> tokens, positions per step, seconds per step
    """Every step runs the model over the whole sequence so far: prompt plus every token made so far."""
    rng, seq = as_generator(seed), list(ids)
    tokens, fed, seconds = [], [], []
    for _ in range(n_tokens):
        start = time.perf_counter()
        logits, _ = forward(tiny.weights, tiny.cfg, seq)
        seconds.append(time.perf_counter() - start)
        token = sample(logits[-1], temperature, rng=rng)["token"]
        fed.append(len(seq))
        tokens.append(token)
        seq.append(token)
    return tokens, fed, seconds


def bar_chart(series: list, top: float) -> list:  # [[value per step] per series] -> bars in SVG units
    """Side-by-side bars, one group per step, heights relative to `top`."""
    n_steps, n_series = len(series[0]), len(series)
    group = (WIDTH - LEFT - RIGHT) / n_steps
    width = group / n_series * 0.9
    top = max(top, 1e-12)
    return [[{"x": round(LEFT + k * group + s * width, 2), "w": round(max(width, 0.5), 2),
              "y": round(HEIGHT - BOTTOM - value / top * (HEIGHT - TOP - BOTTOM), 2),
              "h": round(value / top * (HEIGHT - TOP - BOTTOM), 2)}
             for k, value in enumerate(values)] for s, values in enumerate(series)]


def chip(token_id: int) -> dict:
    data = model().encoding.decode_tokens_bytes([token_id])[0]
    return {"id": token_id, "segs": render_token(data), "nl": b"\n" in data}


def compute(params: dict) -> dict:
    p, note = read_params(params)
    tiny = model()
    cfg = tiny.cfg
    ids, notes = prompt_ids(tiny, p["prompt"], p["n_tokens"], MAX_PROMPT_CHARS)
    notes = ([note] if note else []) + notes
    if len(ids) > MAX_PROMPT_TOKENS:
        notes.append(f"The prompt is {len(ids)} tokens: only its last {MAX_PROMPT_TOKENS} are used here, so "
                     "that the run without the cache stays within seconds.")
        ids = ids[-MAX_PROMPT_TOKENS:]
    n = p["n_tokens"]
    # One untimed pass first: the first call of each numpy routine can pay one-off start-up costs (more so
    # in the browser), which would otherwise land on whichever run is timed first.
    forward(tiny.weights, cfg, ids)
    cached, steps, t_cached, cache = run_cached(tiny, ids, n, p["temperature"], p["seed"])
    uncached, fed_uncached, t_uncached = run_uncached(tiny, ids, n, p["temperature"], p["seed"])
    first_difference = next((k for k, (a, b) in enumerate(zip(cached, uncached)) if a != b), None)

    per_position = kv_bytes_per_token(cfg, BYTES_PER_VALUE)
    for k, step in enumerate(steps):
        step.update({"step": k, "phase": "prefill" if k == 0 else "decode", "fed_uncached": fed_uncached[k]})
    weight_flops = 2 * (n_params(cfg) - (2 * cfg.n_layer + 1) * cfg.d_model)  # every matrix: a multiply-add per weight
    bytes_bars = bar_chart([[s["cache_bytes"] for s in steps]], cache.nbytes)
    ms_c, ms_u = [1000 * t for t in t_cached], [1000 * t for t in t_uncached]
    return {
        "prompt_tokens": [chip(i) for i in ids[-24:]],
        "n_prompt_tokens": len(ids),
        "tokens": [chip(t) for t in cached],
        "tokens_uncached": [chip(t) for t in uncached],
        "identical": first_difference is None,
        "first_difference": first_difference,
        "steps": steps,
        "positions_cached": sum(s["fed"] for s in steps),
        "positions_uncached": sum(fed_uncached),
        "bytes_per_position": per_position,
        "cache_formula": {"n_layer": cfg.n_layer, "n_kv_head": cfg.n_kv_head, "d_head": cfg.d_head,
                          "bytes_per_value": BYTES_PER_VALUE},
        "cache_bytes": cache.nbytes,
        "allocated_bytes": cache.allocated_bytes,
        "n_ctx": cfg.n_ctx,
        "weight_bytes": n_params(cfg) * BYTES_PER_VALUE,
        "weight_flops_per_token": weight_flops,
        "prefill_flops_per_byte": weight_flops * len(ids) / (n_params(cfg) * BYTES_PER_VALUE),
        "decode_flops_per_byte": weight_flops / (n_params(cfg) * BYTES_PER_VALUE),
        "bytes_chart": {"width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT,
                        "bottom": HEIGHT - BOTTOM, "bars": bytes_bars[0]},
        "params": p,
        "note": " ".join(notes) or None,
        "measured": {
            "ms_cached": ms_c,
            "ms_uncached": ms_u,
            "total_ms_cached": sum(ms_c),
            "total_ms_uncached": sum(ms_u),
            "prefill_ms": ms_c[0],
            "prefill_ms_per_token": ms_c[0] / len(ids),
            "decode_ms": float(np.mean(ms_c[1:])) if n > 1 else None,
            "bars": bar_chart([ms_c, ms_u], max(ms_c + ms_u)),
        },
    }
