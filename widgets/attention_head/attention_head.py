"""One attention head, one query token: q, every k, the dot products, the scaling, the softmax, the mix of v.

The reader's sentence runs through the tiny model once (`forward(..., trace=True)`, in float64). At the chosen layer
the widget reads, from that pass's trace, the model's own q of one query head and k, v of the key/value
head that query head shares (grouped-query attention: query heads 0 and 1 read kv head 0, heads 2 and 3
kv head 1): the residual stream entering the block, RMS-normalised with the layer's own gain, projected
with its w_q, w_k, w_v, q and k rotated by RoPE for their positions. Then, for the chosen query token:

    scores_j = q . k_j / sqrt(d_head),   weights = softmax(scores over the visible j),   out = sum_j weights_j v_j

The tests check that these weights and this output are exactly the ones the model's forward pass used.
With the causal mask off, the query also sees the tokens after it: the real model never does that, and
everything before this head was still computed with the mask on.
"""

import functools
import math

import numpy as np

from llm_core.attention import attention_scores, attention_weights, causal_mask
from llm_core.controls import as_bool, as_int, as_text
from llm_core.model import forward
from widgetlib.prompt import prompt_ids
from llm_core.tokenizer import render_token
from widgetlib.fmt import css_percent, fixed, percent
from widgetlib.model import TINY_FILES, tiny

MAX_PROMPT_CHARS = 2_000  # tokenizing is per keystroke
MAX_TOKENS = 40  # tokens shown (and run): the last 40 of a longer text
N_SHOWN = 8  # leading numbers of the output vector listed
# subtle: the widget runs the model's weights in float64. In float32, the browser (numpy without BLAS)
# and CPython sum in different orders and differ by about 1e-6, which is a large relative error for the
# few q and k numbers that land near 0; in float64 they agree to about 1e-15. The float64 pass matches
# the float32 model to about 1e-6 (a test checks). Floats are compared to this relative tolerance.
REL_TOL = 1e-3

DEFAULTS = {
    "prompt": "I ask the Congress to act, and I ask the Congress to act now.",
    "layer": 4,
    "head": 0,
    "query": 14,
    "causal": True,
}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"layer": 4, "head": 2, "query": 12},
    {
        "prompt": "The tariff is a tax. The tariff is paid by the people.",
        "layer": 0,
        "head": 3,
        "query": 5,
        "causal": False,
    },
    {"prompt": "", "query": 40},
]
DATA = TINY_FILES
CODE = [
    "llm_core.model.forward",
    "llm_core.attention.multi_head_attention",
    "llm_core.attention.attention_scores",
    "llm_core.attention.attention_weights",
    "llm_core.attention.causal_mask",
]


def read_params(params: dict) -> dict:
    """DEFAULTS overridden by params, validated and clamped (the query is clamped to the text later)."""
    p = {**DEFAULTS, **params}
    cfg = tiny().cfg
    prompt, note = as_text("prompt", p["prompt"], MAX_PROMPT_CHARS)
    return {
        "prompt": prompt,
        "layer": as_int("layer", p["layer"], 0, cfg.n_layer - 1),
        "head": as_int("head", p["head"], 0, cfg.n_head - 1),
        "query": as_int("query", p["query"], 0, MAX_TOKENS - 1),
        "causal": as_bool("causal", p["causal"]),
    }, note


def sentence_ids(prompt: str):  # -> ids (at most MAX_TOKENS), notes
    """The sentence's token ids as the model reads them, and notes on what was cut."""
    ids, notes = prompt_ids(tiny(), prompt, 1, MAX_PROMPT_CHARS)
    if len(ids) > MAX_TOKENS:
        notes.append(f"The text is {len(ids):,} tokens: only its last {MAX_TOKENS} are run and shown.")
        ids = ids[-MAX_TOKENS:]
    return ids, notes


def token_view(token_id: int) -> list:
    """A token's display segments (markers for spaces and line breaks, hex for partial characters)."""
    return render_token(tiny().encoding.decode_tokens_bytes([token_id])[0])


@functools.cache
def weights64() -> dict:
    """The tiny model's weights, in float64 (see REL_TOL)."""
    return {name: w.astype(np.float64) for name, w in tiny().weights.items()}


@functools.lru_cache(maxsize=8)
def run(ids: tuple):  # -> trace of forward(ids)
    """One traced forward pass per sentence: moving the layer, head or query slider reuses it."""
    _, trace = forward(weights64(), tiny().cfg, list(ids), trace=True, lens=False)
    return trace


def head_projections(trace: dict, layer: int, head: int):  # -> q [n_seq, d_head], k, v [n_seq, d_head], kv head
    """This head's q and its key/value head's k (both after RoPE) and v, as the model's own attention
    computed them in the traced pass (llm_core.attention.multi_head_attention)."""
    cfg = tiny().cfg
    attn = trace["layers"][layer]["attn"]  # q [n_head, n_seq, d_head]; k, v [n_kv_head, n_seq, d_head]
    kv = head // (cfg.n_head // cfg.n_kv_head)  # the key/value head this query head shares
    return attn["q"][head], attn["k"][kv], attn["v"][kv], kv


def floats(a) -> list:
    return [float(x) for x in a]


def texts(a) -> list:  # numbers as the figure writes them
    return [fixed(float(x), 2) for x in a]


def strip_cells(vector, scale: float) -> list:
    """A vector as a colour strip: per number, its sign and its strength (|x| / scale, at most 1) as an
    SVG fill-opacity."""
    return [{"neg": bool(x < 0), "opacity": f"{min(1.0, abs(float(x)) / scale):.2f}"} for x in vector]


def compute(params: dict) -> dict:
    p, text_note = read_params(params)
    cfg = tiny().cfg
    ids, notes = sentence_ids(p["prompt"])
    if text_note:
        notes.insert(0, text_note)
    n = len(ids)
    query = min(p["query"], n - 1)
    trace = run(tuple(ids))
    q, k, v, kv = head_projections(trace, p["layer"], p["head"])

    dots = k @ q[query]  # [n_seq, d_head] @ [d_head] -> [n_seq]: q . k_j for every token j
    scores = attention_scores(q[query : query + 1], k)[0]  # [1, n_seq] -> [n_seq]: divided by sqrt(d_head)
    mask = causal_mask(n)[query] if p["causal"] else np.ones(n, dtype=bool)  # [n_seq] keys it may see
    weights = attention_weights(scores[None], mask[None])[0]  # [n_seq], 0 where masked
    out = weights @ v  # [n_seq] @ [n_seq, d_head] -> [d_head]: the weighted mix of the values

    keys = [
        {
            "pos": j,
            "id": int(ids[j]),
            "segs": token_view(int(ids[j])),
            "k": floats(k[j]),
            "dot": float(dots[j]),
            "score": float(scores[j]),
            "weight": float(weights[j]),
            "masked": not bool(mask[j]),
        }
        for j in range(n)
    ]
    scale = float(max(np.abs(q[query]).max(), np.abs(k).max(), 1e-6))  # shared colour scale of q and k strips
    for row in keys:  # as the table writes and draws them
        row.update(
            dot_text=fixed(row["dot"], 2),
            score_text=fixed(row["score"], 2),
            weight_text=percent(row["weight"]),
            bar=css_percent(row["weight"]),
            k_text=texts(row["k"]),
            k_cells=strip_cells(row["k"], scale),
        )
    visible = [j for j in range(n) if mask[j]]
    top = sorted(visible, key=lambda j: (-weights[j], j))[:3]
    return {
        # mark: the query gets a box, a token the query cannot see is struck through
        "tokens": [
            {
                "id": int(i),
                "segs": token_view(int(i)),
                "mark": "ah-q" if j == query else "ah-hidden" if not mask[j] else None,
            }
            for j, i in enumerate(ids)
        ],
        "max_query": n - 1,  # the query slider's top
        "n_after": n - 1 - query,  # tokens after the query (which the causal mask hides)
        "n_tokens": n,
        "query": query,
        "query_segs": token_view(int(ids[query])),
        "layer": p["layer"],
        "head": p["head"],
        "kv_head": kv,
        "d_head": cfg.d_head,
        "sqrt_d": math.sqrt(cfg.d_head),
        "sqrt_d_text": fixed(math.sqrt(cfg.d_head), 2),
        "q": floats(q[query]),
        "q_text": texts(q[query]),
        "q_cells": strip_cells(q[query], scale),
        "q_norm": float(np.linalg.norm(q[query])),
        "q_norm_text": fixed(float(np.linalg.norm(q[query])), 2),
        "scale": scale,
        "rows": keys,
        "n_visible": len(visible),
        "weight_sum": float(weights.sum()),
        "weight_sum_text": fixed(float(weights.sum()), 3),
        # after: what follows the term in "output = w × v(a) + w × v(b) + …"
        "top": [
            {
                "pos": j,
                "segs": token_view(int(ids[j])),
                "weight": float(weights[j]),
                "weight_text": fixed(float(weights[j]), 3),
                "after": ")" if t == len(top) - 1 else ") + ",
                "v": floats(v[j][:N_SHOWN]),
                "v_text": texts(v[j][:N_SHOWN]),
            }
            for t, j in enumerate(top)
        ],
        "n_more": len(visible) - len(top),  # visible tokens left out of the mix written out
        "out_head": floats(out[:N_SHOWN]),
        "out_text": texts(out[:N_SHOWN]),
        "out_norm": float(np.linalg.norm(out)),
        "out_norm_text": fixed(float(np.linalg.norm(out)), 2),
        "n_shown": N_SHOWN,
        "params": {**p, "query": query},
        "note": " ".join(notes) or None,
    }
