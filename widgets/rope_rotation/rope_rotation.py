"""RoPE rotation: a real query and key from the tiny model, one 2-D pair of them turning with position.

The reader's prompt runs through the model once; for the chosen layer and query head, the query of one
token and the key of another are taken *before* RoPE: the attention input (the residual stream after
rms_norm) times w_q or w_k. `llm_core.rope.apply_rope` then places them at any positions m and n. Pair
i (coordinates i and i + d_head/2) turns by freq_i radians per position, so the view draws that pair as
two arrows, and the score q_m . k_n / sqrt(d_head) is computed at (m, n), at the same offset m - n
elsewhere in the context (the same score, to float64 rounding), and at other offsets (other scores).
"""

import functools
import math

import numpy as np

from llm_core.controls import as_int, as_text
from widgetlib.prompt import prompt_ids
from llm_core.norms import rms_norm
from llm_core.rope import apply_rope, pair_dots, rope_angles, rope_frequencies, rope_wavelengths
from llm_core.tokenizer import render_token
from widgetlib.fmt import fixed, minus, sci
from widgetlib.model import TINY_FILES, tiny

MAX_PROMPT_CHARS = 2_000
MAX_TOKENS = 64  # the prompt tokens a query or key can come from (one forward pass over them)
N_SAME = 5  # other positions with the reader's offset m - n
OTHER_OFFSETS = (-1, 1, 10)  # offsets added to m - n, at the same n
# Float32 sums run in another order in Pyodide (numpy without BLAS): the browser test compares floats
# to this relative tolerance (token ids, indices and positions exactly).
REL_TOL = 1e-3
# The pair's picture, in SVG user units (the view only places these numbers).
SIZE, RADIUS = 240, 100
# The pairs' shares of q.k as bars around a zero line.
BARS_W, BARS_H, BARS_PAD = 320, 130, 14

DEFAULTS = {
    "prompt": "The President of the United States",
    "layer": 1,
    "head": 0,
    "q_token": 6,
    "k_token": 2,
    "pair": 2,
    "m": 12,
    "n": 7,
}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"pair": 0, "m": 255, "n": 0, "layer": 5, "head": 3},
    {"prompt": "I ask the Congress to", "q_token": 4, "k_token": 4, "pair": 15, "m": 100, "n": 100},
    {"prompt": "", "q_token": 9, "k_token": 0, "m": 0, "n": 40},
]
DATA = TINY_FILES
CODE = [
    "llm_core.rope.rope_frequencies",
    "llm_core.rope.rope_angles",
    "llm_core.rope.apply_rope",
    "llm_core.rope.pair_dots",
    "llm_core.model.forward",
]


def read_params(params: dict) -> dict:
    """DEFAULTS overridden by params, validated and clamped (token indices are clamped later, to the prompt)."""
    p = {**DEFAULTS, **params}
    cfg = tiny().cfg
    prompt, note = as_text("prompt", p["prompt"], MAX_PROMPT_CHARS)
    return (
        {
            "prompt": p["prompt"],
            "layer": as_int("layer", p["layer"], 0, cfg.n_layer - 1),
            "head": as_int("head", p["head"], 0, cfg.n_head - 1),
            "q_token": as_int("q_token", p["q_token"], 0, MAX_TOKENS - 1),
            "k_token": as_int("k_token", p["k_token"], 0, MAX_TOKENS - 1),
            "pair": as_int("pair", p["pair"], 0, cfg.d_head // 2 - 1),
            "m": as_int("m", p["m"], 0, cfg.n_ctx - 1),
            "n": as_int("n", p["n"], 0, cfg.n_ctx - 1),
        },
        prompt,
        note,
    )


@functools.lru_cache(maxsize=8)
def attention_inputs(ids: tuple):  # -> [n_layer, n_seq, d_model]
    """What each layer's attention reads: the residual stream before it, after its rms_norm."""
    model = tiny()
    _, trace = model.forward(list(ids), trace=True, lens=False)
    return np.stack(
        [
            rms_norm(trace["residual"][2 * i], model.weights[f"layers.{i}.attn_norm"], model.cfg.norm_eps)
            for i in range(model.cfg.n_layer)
        ]
    )


def query_and_key(ids, layer, head, q_index, k_index):  # -> [d_head], [d_head] float64, before RoPE
    """The query of token q_index for query head `head`, and the key of token k_index for its KV head."""
    model = tiny()
    cfg, x = model.cfg, attention_inputs(tuple(ids))[layer]  # [n_seq, d_model]
    kv_head = head // (cfg.n_head // cfg.n_kv_head)  # grouped-query attention: heads share a KV head
    w_q = model.weights[f"layers.{layer}.wq"][:, head * cfg.d_head : (head + 1) * cfg.d_head]
    w_k = model.weights[f"layers.{layer}.wk"][:, kv_head * cfg.d_head : (kv_head + 1) * cfg.d_head]
    return (x[q_index] @ w_q).astype(np.float64), (x[k_index] @ w_k).astype(np.float64), kv_head


def score(q, k, m, n, freqs):  # -> float: q_m . k_n / sqrt(d_head), in float64
    return float(pair_dots(q, k, m, n, freqs).sum() / math.sqrt(len(q)))


def degrees(radians: float) -> float:
    """An angle in degrees, wrapped into (-180, 180]."""
    d = math.degrees(radians) % 360.0
    return d - 360.0 if d > 180.0 else d


def deg(x: float) -> str:
    return f"{fixed(x, 1)}°"


def arrow(vector, scale: float) -> list:
    """A 2-D vector -> its tip in SVG units (origin at the centre, y up)."""
    c = SIZE / 2
    return [round(c + vector[0] * scale, 2), round(c - vector[1] * scale, 2)]


def bars(shares, chosen: int) -> dict:
    """Each pair's share of q.k as a bar (SVG units): up for positive, down for negative."""
    width = (BARS_W - 2 * BARS_PAD) / len(shares)
    zero = BARS_H / 2
    top = max(float(np.abs(shares).max()), 1e-12)
    out = []
    for j, value in enumerate(shares):
        h = abs(float(value)) / top * (zero - BARS_PAD)
        out.append(
            {
                "x": round(BARS_PAD + j * width + 1, 2),
                "w": round(width - 2, 2),
                "y": round(zero - h if value > 0 else zero, 2),
                "h": round(h, 2),
                "chosen": j == chosen,
            }
        )
    return {
        "width": BARS_W,
        "height": BARS_H,
        "zero": zero,
        "left": BARS_PAD,
        "right": BARS_W - BARS_PAD,
        "tag_y": BARS_H - 2,
        "bars": out,
    }


def circle(q0, k0, q_m, k_n, scale: float) -> dict:
    """The pair's picture in SVG units: the ring, its axes, the arrows' tips and their tags above them."""
    c = SIZE / 2
    q, k = arrow(q_m, scale), arrow(k_n, scale)
    return {
        "size": SIZE,
        "radius": RADIUS,
        "centre": c,
        "axis": [c - RADIUS - 8, c + RADIUS + 8],
        "q0": arrow(q0, scale),
        "k0": arrow(k0, scale),
        "q": q,
        "k": k,
        "k_box": [round(k[0] - 4, 2), round(k[1] - 4, 2)],  # the key's tip: an 8 px square
        "q_tag_y": round(q[1] - 7, 2),
        "k_tag_y": round(k[1] - 7, 2),
    }


def chip(token_id: int, index: int) -> dict:
    data = tiny().encoding.decode_tokens_bytes([token_id])[0]
    return {"id": token_id, "index": index, "segs": render_token(data), "nl": b"\n" in data}


def compute(params: dict) -> dict:
    p, prompt, note = read_params(params)
    p["prompt"] = prompt
    model = tiny()
    cfg = model.cfg
    ids, notes = prompt_ids(model, prompt, 1, MAX_PROMPT_CHARS)
    notes = ([note] if note else []) + notes
    if len(ids) > MAX_TOKENS:
        notes.append(f"The prompt is {len(ids)} tokens: its first {MAX_TOKENS} are used here.")
        ids = ids[:MAX_TOKENS]
    for key in ("q_token", "k_token"):
        if p[key] >= len(ids):
            notes.append(
                f"The prompt has {len(ids)} token{'s' if len(ids) != 1 else ''}, so the "
                f"{'query' if key == 'q_token' else 'key'} comes from its last one, #{len(ids) - 1}."
            )
            p[key] = len(ids) - 1
    q, k, kv_head = query_and_key(ids, p["layer"], p["head"], p["q_token"], p["k_token"])
    freqs = rope_frequencies(cfg.d_head, cfg.rope_base)
    m, n, i, half = p["m"], p["n"], p["pair"], cfg.d_head // 2

    # the chosen pair: before RoPE (position 0) and turned to positions m and n
    q_pair, k_pair = q[[i, i + half]], k[[i, i + half]]
    q_m = apply_rope(q[None, :], [m], freqs)[0][[i, i + half]]
    k_n = apply_rope(k[None, :], [n], freqs)[0][[i, i + half]]
    angle_m, angle_n = rope_angles([m, n], freqs)[:, i]
    phi_q, phi_k = math.atan2(q_pair[1], q_pair[0]), math.atan2(k_pair[1], k_pair[0])
    longest = max(float(np.hypot(*q_pair)), float(np.hypot(*k_pair)), 1e-12)
    scale = RADIUS / longest
    shares = pair_dots(q, k, m, n, freqs)  # [half]

    offset = m - n
    low, high = max(0, -offset), cfg.n_ctx - 1 - max(0, offset)  # n' such that n' and n' + offset fit
    starts = sorted({n, *np.linspace(low, high, N_SAME).round().astype(int).tolist()})
    same = []
    for s in starts:
        value = score(q, k, s + offset, s, freqs)
        same.append({"m": s + offset, "n": s, "score": value, "score_text": fixed(value, 12), "yours": s == n})
    values = [row["score"] for row in same]
    others = []
    for extra in OTHER_OFFSETS:
        m2 = min(max(m + extra, 0), cfg.n_ctx - 1)
        if m2 != m and all(row["m"] != m2 for row in others):
            value = score(q, k, m2, n, freqs)
            others.append(
                {
                    "m": m2,
                    "n": n,
                    "offset": m2 - n,
                    "offset_text": minus(str(m2 - n)),
                    "score": value,
                    "score_text": fixed(value, 6),
                }
            )
    q_deg, k_deg = degrees(phi_q + angle_m), degrees(phi_k + angle_n)
    between = degrees(phi_q + angle_m - phi_k - angle_n)
    freq, score_dot = float(freqs[i]), float(shares.sum())
    q_norm, k_norm = float(np.hypot(*q_pair)), float(np.hypot(*k_pair))
    wavelength = float(rope_wavelengths(freqs)[i])
    texts = {
        "intro": [
            f"Layer {p['layer']}, query head {p['head']} (it shares key head {kv_head}): the query of token "
            f"#{p['q_token']} ",
            f" and the key of token #{p['k_token']} ",
            f", before RoPE. Pair {i} is dimensions {i} and {i + half}: it turns {fixed(freq, 4)} radians per "
            f"position and comes back to its start every {wavelength:,.1f} tokens.",
        ],
        "readout": (
            f"Dashed: the pair before RoPE. Solid: the query (●) turned by {m} × {fixed(freq, 4)} = "
            f"{fixed(float(angle_m), 3)} radians to point at {deg(q_deg)}; the key (■) turned by {n} × "
            f"{fixed(freq, 4)} = {fixed(float(angle_n), 3)} radians to {deg(k_deg)}. They are {deg(between)} "
            f"apart, so this pair adds {fixed(float(shares[i]), 3)} to q·k (lengths {fixed(q_norm, 3)} and "
            f"{fixed(k_norm, 3)})."
        ),
        "circle_label": (
            f"Pair {i}: the query at position {m} points at {deg(q_deg)}, the key at position {n} at "
            f"{deg(k_deg)}; {deg(between)} apart"
        ),
        "bars_label": (
            f"The 16 pairs' shares of q·k at these positions; pair {i}, outlined, adds "
            f"{fixed(float(shares[i]), 3)}; all 16 add up to {fixed(score_dot, 3)}"
        ),
        "score_text": fixed(score(q, k, m, n, freqs), 6),
        "offset_text": minus(str(offset)),
        "spread_text": sci(max(values) - min(values), 1),
        "sum_text": (
            f"Each bar is one pair's share of q·k (up: positive). The 16 shares add up to q·k = "
            f"{fixed(score_dot, 3)}; divided by √32 that is the score."
        ),
    }

    return {
        "tokens": [chip(t, j) for j, t in enumerate(ids)],
        "q_token": chip(ids[p["q_token"]], p["q_token"]),
        "k_token": chip(ids[p["k_token"]], p["k_token"]),
        "kv_head": kv_head,
        "pair": {
            "index": i,
            "dims": [i, i + half],
            "freq": freq,
            "wavelength": wavelength,
            "q": q_pair.tolist(),
            "k": k_pair.tolist(),
            "q_m": q_m.tolist(),
            "k_n": k_n.tolist(),
            "q_norm": q_norm,
            "k_norm": k_norm,
            "angle_m": float(angle_m),
            "angle_n": float(angle_n),  # radians turned, not wrapped
            "q_deg": q_deg,
            "k_deg": k_deg,
            "between": between,
            "share": float(shares[i]),
        },
        "shares": [float(s) for s in shares],
        "bars": bars(shares, i),
        "score": score(q, k, m, n, freqs),
        "score_dot": score_dot,
        "offset": offset,
        "same_offset": same,
        "spread": max(values) - min(values),
        "other_offsets": others,
        "svg": circle(q_pair, k_pair, q_m, k_n, scale),
        **texts,
        "params": p,
        "note": " ".join(notes) or None,
    }
