"""Every attention head of every layer of the tiny model, on the reader's text.

One forward pass with trace=True gives the softmax weights of all n_layer x n_head = 6 x 4 heads,
[n_layer, n_head, n_seq, n_seq] (row = query position, column = key position). The view draws each as a
small heatmap, grouped by the key/value head its query heads share (grouped-query attention: heads 0 and
1 read kv head 0, heads 2 and 3 kv head 1), and one chosen head large, with token labels.

Colour is not the only carrier: every head also gets a one-line summary, how much weight its queries put
on the previous token, the first token and themselves, and its mean attention distance
(`llm_core.attention.attention_distance`), and the chosen head lists where each token looks most.
"""

import functools

import numpy as np

from llm_core.attention import attention_distance
from llm_core.controls import as_int, as_text
from llm_core.model import load_model, prompt_ids
from llm_core.tokenizer import render_token

MODEL = "models/tiny"
MAX_PROMPT_CHARS = 2_000  # tokenizing is per keystroke
MAX_TOKENS = 64           # tokens run and drawn: the last 64 of a longer text
MAX_LABEL = 12            # characters of a token shown as an axis label
MOSTLY = 0.5              # a head "mostly" looks somewhere when its average weight there is at least this
OFTEN = 0.25              # ... "often" at least this
MIN_CELL = 0.02           # small maps draw only the weights at least this large (a thumbnail; keeps results small)
# Float32 sums run in another order in Pyodide (numpy without BLAS): the browser test compares floats
# to this relative tolerance. Softmax weights keep their relative precision even when tiny (an error in
# a score becomes the same relative error in its weight), so 1e-3 holds for every weight.
REL_TOL = 1e-3

DEFAULTS = {
    "prompt": "I ask the Congress to act, and I ask the Congress to act now. The Congress has the power.",
    "layer": 4,
    "head": 0,
}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"layer": 0, "head": 3},
    {"prompt": "The tariff is a tax. The tariff is paid by the people.", "layer": 5, "head": 1},
    {"prompt": "", "layer": 2, "head": 2},
]
DATA = ["models/tiny/config.json", "models/tiny/weights.npz", "models/tiny/tokenizer.json",
        "models/tiny/vocab.tiktoken"]
CODE = [
    "llm_core.model.forward",
    "llm_core.attention.multi_head_attention",
    "llm_core.attention.attention_weights",
    "llm_core.attention.attention_distance",
]
PLACES = [("prev", "the previous token"), ("first", "the first token"), ("self", "itself")]


@functools.cache
def model():
    return load_model(MODEL)


def read_params(params: dict):  # -> params, note or None
    """DEFAULTS overridden by params, validated and clamped."""
    p = {**DEFAULTS, **params}
    cfg = model().cfg
    prompt, note = as_text("prompt", p["prompt"], MAX_PROMPT_CHARS)
    return {
        "prompt": prompt,
        "layer": as_int("layer", p["layer"], 0, cfg.n_layer - 1),
        "head": as_int("head", p["head"], 0, cfg.n_head - 1),
    }, note


def text_ids(prompt: str):  # -> ids (at most MAX_TOKENS), notes
    ids, notes = prompt_ids(model(), prompt, 1, MAX_PROMPT_CHARS)
    if len(ids) > MAX_TOKENS:
        notes.append(f"The text is {len(ids):,} tokens: only its last {MAX_TOKENS} are run and drawn.")
        ids = ids[-MAX_TOKENS:]
    return ids, notes


@functools.lru_cache(maxsize=8)
def attention(ids: tuple):  # -> [n_layer, n_head, n_seq, n_seq] float32
    """Every head's weights, from one traced forward pass per text (a click on a head reuses it)."""
    _, trace = model().forward(list(ids), trace=True, lens=False)
    return trace["attention"]


def summarise(w) -> dict:  # [n_seq, n_seq] weights of one head -> its summary
    """Average weight on the previous token, the first token and the query itself, and mean distance.

    Averaged over the queries from position 1 on: position 0 can only look at itself.
    """
    n = w.shape[0]
    if n < 2:
        return {"prev": 0.0, "first": 0.0, "self": 1.0, "distance": 0.0,
                "text": "one token only: it can look only at itself"}
    shares = {
        "prev": float(np.diagonal(w, offset=-1).mean()),  # w[i, i - 1]
        "first": float(w[1:, 0].mean()),
        "self": float(np.diagonal(w)[1:].mean()),
    }
    distance = float(attention_distance(w)[1:].mean())
    key, place = max(PLACES, key=lambda kp: shares[kp[0]])
    share = f"{100 * shares[key]:.0f}%"
    if shares[key] >= MOSTLY:
        looks = f"mostly at {place} ({share} on average)"
    elif shares[key] >= OFTEN:
        looks = f"often at {place} ({share} on average)"
    else:
        looks = f"spread out (its largest share, {share} on average, on {place})"
    return {**shares, "distance": distance, "text": f"looks {looks}; average distance {distance:.1f} tokens"}


@functools.lru_cache(maxsize=8)
def head_maps(ids: tuple) -> list:
    """Every head's summary and its thumbnail: the cells [query, key, weight] with weight >= MIN_CELL."""
    weights, cfg = attention(ids), model().cfg
    group = cfg.n_head // cfg.n_kv_head
    heads = []
    for layer in range(cfg.n_layer):
        for head in range(cfg.n_head):
            w = weights[layer, head]
            cells = np.argwhere(w >= MIN_CELL)  # [n_cells, 2]: (query, key), row by row
            heads.append({
                "layer": layer, "head": head, "kv_head": head // group,
                "cells": [[int(i), int(j), float(w[i, j])] for i, j in cells],
                **summarise(w),
            })
    return heads


def label(segs: list) -> str:
    """A token as one short plain string for an axis label (markers for spaces kept)."""
    text = "".join(part for _, part in segs)
    return text if len(text) <= MAX_LABEL else text[:MAX_LABEL - 1] + "…"


def compute(params: dict) -> dict:
    p, text_note = read_params(params)
    cfg = model().cfg
    ids, notes = text_ids(p["prompt"])
    if text_note:
        notes.insert(0, text_note)
    weights = attention(tuple(ids))
    n = len(ids)
    group = cfg.n_head // cfg.n_kv_head
    tokens = []
    for i in ids:
        segs = render_token(model().encoding.decode_tokens_bytes([int(i)])[0])
        tokens.append({"id": int(i), "segs": segs, "label": label(segs)})
    heads = head_maps(tuple(ids))
    chosen = weights[p["layer"], p["head"]]
    focus = [{"query": i, "key": int(np.argmax(chosen[i, :i + 1])), "weight": float(chosen[i, :i + 1].max())}
             for i in range(n)]  # where each token looks most
    return {
        "params": p,
        "n_layer": cfg.n_layer, "n_head": cfg.n_head, "n_kv_head": cfg.n_kv_head, "group": group,
        "tokens": tokens,
        "n_tokens": n,
        "heads": heads,
        "chosen": p["layer"] * cfg.n_head + p["head"],  # index into heads
        # the chosen head in full, the causal triangle only: row i holds the weights on keys 0..i
        "rows": [[float(x) for x in chosen[i, :i + 1]] for i in range(n)],
        "min_cell": MIN_CELL,
        "focus": focus,
        "note": " ".join(notes) or None,
    }
