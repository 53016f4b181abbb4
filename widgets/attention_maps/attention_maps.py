"""Every attention head of every layer of a model, on the reader's text.

One forward pass with trace=True gives the softmax weights of all n_layer x n_head heads,
[n_layer, n_head, n_seq, n_seq] (row = query position, column = key position). The view draws each as a
small heatmap, grouped by the key/value head its query heads share (grouped-query attention: in the tiny
model heads 0 and 1 read kv head 0, heads 2 and 3 kv head 1), and one chosen head large, with token labels.

The model is Glassbox's tiny one (6 x 4 = 24 heads, all drawn), or SmolLM2-135M-Instruct once the reader
has loaded it (llm_core.models): 30 x 9 = 270 heads, three query heads per key/value head. For a real
model the maps show the chosen layer's heads (every head is still summarised in words), and the pass
reads at most MAX_TOKENS_REAL tokens: in the browser each costs 0.1 to 0.2 s. A pass is kept per model
and text (llm_core.memo), so choosing another layer or head does not run the model again.

Colour is not the only carrier: every head also gets a one-line summary, how much weight its queries put
on the previous token, the first token and themselves, and its mean attention distance
(`llm_core.attention.attention_distance`), and the chosen head lists where each token looks most.
"""

import math

import numpy as np

from llm_core.attention import attention_distance
from llm_core.controls import as_bool, as_choice, as_int, as_text
from llm_core.memo import per_model
from llm_core.model import ablation_effect
from widgetlib.prompt import prompt_ids
from llm_core.models import MODEL_NAMES, get_model
from llm_core.tokenizer import render_token
from widgetlib.fmt import fixed, percent
from widgetlib.model import TINY_FILES

MAX_PROMPT_CHARS = 2_000  # tokenizing is per keystroke
MAX_TOKENS = 64  # tokens run and drawn: the last 64 of a longer text
MAX_TOKENS_REAL = 24  # ... for a real model, whose pass costs 0.1 to 0.2 s per token in the browser
MAX_LABEL = 12  # characters of a token shown as an axis label
MOSTLY = 0.5  # a head "mostly" looks somewhere when its average weight there is at least this
OFTEN = 0.25  # ... "often" at least this
N_MOVED = 5  # switched off: the positions whose prediction moved most, listed
MIN_CELL = 0.02  # small maps draw only the weights at least this large (a thumbnail; keeps results small)
CELL, LABELS = 16, 96  # the enlarged map: a cell's size in px, and room for the row and column labels
# Float32 sums run in another order in Pyodide (numpy without BLAS): the browser test compares floats
# to this relative tolerance. Softmax weights keep their relative precision even when tiny (an error in
# a score becomes the same relative error in its weight), so 1e-3 holds for every weight.
REL_TOL = 1e-3

DEFAULTS = {
    "prompt": "I ask the Congress to act, and I ask the Congress to act now. The Congress has the power.",
    "layer": 4,
    "head": 0,
    "model": "tiny",
    "switch_off": False,
}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"layer": 0, "head": 3},
    {"prompt": "The tariff is a tax. The tariff is paid by the people.", "layer": 5, "head": 1},
    {"prompt": "", "layer": 2, "head": 2},
    {"switch_off": True},
    {"prompt": "The tariff is a tax. The tariff is paid by the people.", "layer": 0, "head": 2, "switch_off": "true"},
]
# A pronoun and the noun it means: in SmolLM2, layer 13's query head 8 links " it" to " cat" (chapter 6)
PRONOUN = "The cat sat on the mat because it was tired"
# Param sets that need SmolLM2 loaded: a browser test runs them in the page once the model is in.
SMOLLM2_EXAMPLES = [
    {"model": "smollm2", "prompt": PRONOUN, "layer": 13, "head": 8},
    {"model": "smollm2", "layer": 29, "head": 0},
]
DATA = TINY_FILES
CODE = [
    "llm_core.model.forward",
    "llm_core.attention.multi_head_attention",
    "llm_core.attention.attention_weights",
    "llm_core.attention.attention_distance",
    "llm_core.model.ablate_heads",
    "llm_core.model.ablation_effect",
]
PLACES = [("prev", "the previous token"), ("first", "the first token"), ("self", "itself")]


def model(name="tiny"):
    return get_model(name)


def read_params(params: dict):  # -> params, note or None
    """DEFAULTS overridden by params, validated and clamped (layer and head to the chosen model's)."""
    p = {**DEFAULTS, **params}
    name = as_choice("model", p["model"], list(MODEL_NAMES))
    cfg = model(name).cfg
    prompt, note = as_text("prompt", p["prompt"], MAX_PROMPT_CHARS)
    return {
        "prompt": prompt,
        "layer": as_int("layer", p["layer"], 0, cfg.n_layer - 1),
        "head": as_int("head", p["head"], 0, cfg.n_head - 1),
        "model": name,
        "switch_off": as_bool("switch_off", p["switch_off"]),
    }, note


def text_ids(prompt: str, name="tiny"):  # -> ids (at most MAX_TOKENS; a real model's at most MAX_TOKENS_REAL), notes
    ids, notes = prompt_ids(model(name), prompt, 1, MAX_PROMPT_CHARS)
    n_max = MAX_TOKENS if name == "tiny" else MAX_TOKENS_REAL
    if len(ids) > n_max:
        why = "" if name == "tiny" else " (each token of this model takes a moment in your browser)"
        notes.append(f"The text is {len(ids):,} tokens: only its last {n_max} are run and drawn{why}.")
        ids = ids[-n_max:]
    return ids, notes


@per_model(size=4)
def attention(chosen, ids: tuple):  # -> [n_layer, n_head, n_seq, n_seq] float32
    """Every head's weights, from one traced forward pass per text (a click on a head reuses it)."""
    _, trace = chosen.forward(list(ids), trace=True, lens=False)
    return trace["attention"]


def summarise(w) -> dict:  # [n_seq, n_seq] weights of one head -> its summary
    """Average weight on the previous token, the first token and the query itself, and mean distance.

    Averaged over the queries from position 1 on: position 0 can only look at itself.
    """
    n = w.shape[0]
    if n < 2:
        return {
            "prev": 0.0,
            "first": 0.0,
            "self": 1.0,
            "distance": 0.0,
            "text": "one token only: it can look only at itself",
        }
    shares = {
        "prev": float(np.diagonal(w, offset=-1).mean()),  # w[i, i - 1]
        "first": float(w[1:, 0].mean()),
        "self": float(np.diagonal(w)[1:].mean()),
    }
    distance = float(attention_distance(w)[1:].mean())
    key, place = max(PLACES, key=lambda kp: shares[kp[0]])
    share = percent(shares[key], 0)
    if shares[key] >= MOSTLY:
        looks = f"mostly at {place} ({share} on average)"
    elif shares[key] >= OFTEN:
        looks = f"often at {place} ({share} on average)"
    else:
        looks = f"spread out (its largest share, {share} on average, on {place})"
    return {**shares, "distance": distance, "text": f"looks {looks}; average distance {fixed(distance, 1)} tokens"}


@per_model(size=4)
def head_summaries(chosen, ids: tuple) -> list:
    """Every head's summary, layer by layer (a real model's 270 are drawn only as words)."""
    weights, cfg = attention(chosen, ids), chosen.cfg
    group = cfg.n_head // cfg.n_kv_head
    return [
        {"layer": layer, "head": head, "kv_head": head // group, **summarise(weights[layer, head])}
        for layer in range(cfg.n_layer)
        for head in range(cfg.n_head)
    ]


@per_model(size=8)
def ablation(chosen, key: tuple) -> dict:  # key: (ids, layer, head)
    """What switching the chosen head off (its output zeroed) does to the predictions: how many top
    predictions change, how much probability moves on average, and the positions where it moves most (the
    token read, its top prediction with the head and without). Only this summary is kept, not the two
    [n_seq, n_vocab] distributions."""
    ids, layer, head = key
    p, p_off, tv = ablation_effect(chosen.weights, chosen.cfg, list(ids), [(layer, head)])
    top, top_off = p.argmax(axis=-1), p_off.argmax(axis=-1)
    n, changed = len(ids), int(np.sum(top != top_off))

    def word(i):
        return label(render_token(chosen.encoding.decode_tokens_bytes([int(i)])[0]))

    rows = []
    for i in sorted(range(n), key=lambda i: (-tv[i], i))[:N_MOVED]:
        rows.append(
            {
                "pos": i,
                "after": word(ids[i]),
                "before": f"{word(top[i])} {percent(float(p[i, top[i]]))}",
                "without": f"{word(top_off[i])} {percent(float(p_off[i, top_off[i]]))}",
                "moved": percent(float(tv[i])),
                "changed": bool(top[i] != top_off[i]),
            }
        )
    return {
        "n_changed": changed,
        "mean_moved": float(tv.mean()),
        "text": (
            f"Switched off (its output zeroed), layer {layer}, head {head} changes the top prediction at {changed}"
            f" of the {n} positions and moves {percent(float(tv.mean()), 0)} of the probability on average"
            " (half the summed change of the next-token distribution). Where it moves most:"
        ),
        "rows": rows,
    }


def opacity(w: float) -> float:
    """A weight's colour strength: its square root, so that small weights still show.

    Five significant digits: Pyodide's float32 sums differ in the last bits, and rounding coarser than the
    browser test's tolerance could land the two on either side of a rounding step.
    """
    return float(f"{math.sqrt(w):.5g}")


def thumbnail(w) -> list:  # [n_seq, n_seq] weights of one head -> [[query, key, weight, opacity], ...]
    """A small map's cells: the weights of at least MIN_CELL, row by row."""
    return [[int(i), int(j), float(w[i, j]), opacity(w[i, j])] for i, j in np.argwhere(w >= MIN_CELL)]


def stairs(n: int, c: int, x0: int, y0: int) -> str:
    """The causal triangle as an SVG path: row i may hold keys 0..i (n rows of c px from (x0, y0))."""
    steps = "".join(f"H{x0 + (i + 1) * c}V{y0 + (i + 1) * c}" for i in range(n))
    return f"M{x0} {y0}{steps}H{x0}Z"


def grid(layers: list, cfg) -> list:
    """The small maps' layout: per layer, its key/value groups, each the indices into heads of its query heads."""
    group = cfg.n_head // cfg.n_kv_head
    return [
        {
            "layer": layer,
            "groups": [
                {
                    "kv_head": g,
                    "label": f"Layer {layer}: query heads {g * group} to {(g + 1) * group - 1} share key/value head {g}",
                    "heads": [layer * cfg.n_head + h for h in range(g * group, (g + 1) * group)],
                }
                for g in range(cfg.n_kv_head)
            ],
        }
        for layer in layers
    ]


def how_text(name: str, n: int, cfg, grid_layers: list) -> str:
    """What the maps show, in words (the tiny model's every layer, a real model's chosen one)."""
    some = ""
    if len(grid_layers) < cfg.n_layer:
        some = (
            f" It has {cfg.n_layer} layers of {cfg.n_head} query heads, {cfg.n_layer * cfg.n_head} in all: "
            f"the maps are layer {grid_layers[0]}'s (choose another layer above; every head is described in "
            "words at the end)."
        )
    return (
        f"{name}, {n} token{'' if n == 1 else 's'}.{some} Each small map is one head: row = the token that looks "
        "(the query), column = the token it looks at (the key), stronger colour = more weight; only the "
        "triangle below the diagonal can be filled (the causal mask). Boxes group the query heads that share "
        "one key/value head. Choose a map to enlarge it."
    )


def label(segs: list) -> str:
    """A token as one short plain string for an axis label (markers for spaces kept)."""
    text = "".join(part for _, part in segs)
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def compute(params: dict) -> dict:
    p, text_note = read_params(params)
    chosen_model = model(p["model"])
    cfg = chosen_model.cfg
    ids, notes = text_ids(p["prompt"], p["model"])
    if text_note:
        notes.insert(0, text_note)
    weights = attention(chosen_model, tuple(ids))
    n = len(ids)
    group = cfg.n_head // cfg.n_kv_head
    tokens = []
    for i in ids:
        segs = render_token(chosen_model.encoding.decode_tokens_bytes([int(i)])[0])
        tokens.append({"id": int(i), "segs": segs, "label": label(segs)})
    # the maps: every layer of the tiny model; the chosen layer of a real one (270 maps would not read)
    grid_layers = list(range(cfg.n_layer)) if p["model"] == "tiny" else [p["layer"]]
    heads = [
        {**m, "cells": thumbnail(weights[m["layer"], m["head"]]) if m["layer"] in grid_layers else None}
        for m in head_summaries(chosen_model, tuple(ids))
    ]
    chosen = weights[p["layer"], p["head"]]
    focus = []  # where each token looks most
    for i in range(n):
        key, weight = int(np.argmax(chosen[i, : i + 1])), float(chosen[i, : i + 1].max())
        focus.append({"query": i, "key": key, "weight": weight, "back": i - key, "percent": percent(weight)})
    m = heads[p["layer"] * cfg.n_head + p["head"]]
    size = LABELS + n * CELL
    return {
        "params": p,
        "model_name": chosen_model.name,
        "n_layer": cfg.n_layer,
        "n_head": cfg.n_head,
        "n_kv_head": cfg.n_kv_head,
        "group": group,
        "grid_layers": grid_layers,
        "grid": grid(grid_layers, cfg),
        "how": how_text(chosen_model.name, n, cfg, grid_layers),
        "head_options": [f"{h} (key/value head {h // group})" for h in range(cfg.n_head)],
        "tri_small": stairs(n, 1, 0, 0),
        "tokens": tokens,
        "n_tokens": n,
        "heads": heads,
        "chosen": p["layer"] * cfg.n_head + p["head"],  # index into heads
        # the chosen head in full, the causal triangle only: row i holds the weights on keys 0..i
        "rows": [[float(x) for x in chosen[i, : i + 1]] for i in range(n)],
        "chosen_title": f"Layer {m['layer']}, query head {m['head']} (key/value head {m['kv_head']})",
        "chosen_summary": (
            f"It {m['text']}. On average its queries put {percent(m['prev'])} of their weight on the "
            f"previous token, {percent(m['first'])} on the first token and {percent(m['self'])} on "
            "themselves."
        ),
        # the enlarged map's layout in px: token i's row starts at y[i], its column at x[i]
        "big": {
            "size": size,
            "cell": CELL,
            "tri": stairs(n, CELL, LABELS, LABELS),
            "label_x": LABELS - 4,
            "x": [LABELS + i * CELL for i in range(n)],
            "y": [LABELS + i * CELL for i in range(n)],
            "label_y": [LABELS + i * CELL + 12 for i in range(n)],
            "col_label": [f"translate({LABELS + i * CELL + 11} {LABELS - 4}) rotate(-60)" for i in range(n)],
            "cells": [[[opacity(w), percent(float(w))] for w in chosen[i, : i + 1]] for i in range(n)],
        },
        "min_cell": MIN_CELL,
        "ablation": ablation(chosen_model, (tuple(ids), p["layer"], p["head"])) if p["switch_off"] else None,
        "focus": focus,
        "note": " ".join(notes) or None,
    }
