"""MoE router: the tiny model's dense FFN cut into experts, and each token of the reader's text routed to k.

Nothing here is a trained mixture of experts. One layer's SwiGLU FFN (d_ff = 384 hidden units) is cut into
n_experts groups of consecutive hidden units (`llm_core.moe.split_ffn`); the dense FFN is exactly the sum
of the groups' outputs, so every group is a real piece of the real model. A router then scores the groups
for each token of the reader's text (its FFN input, from one traced forward pass), softmax, top k,
renormalised (`llm_core.moe.top_k_routing`), and `llm_core.moe.moe_swiglu` runs each token through its k
groups only. Three routers, named for what they are:

- "oracle": each group's score is the norm of what it would add to the output. It needs every group run
  first, so it saves nothing: it shows how good routing could be, not a router anyone could deploy.
- "gate": the norm of the group's SiLU(gate) activations: the group's own gates, a third of its work.
- "random": an untrained linear router, logits = x W_router with W_router drawn from a seeded normal.

The groups were trained to be added with weight 1 (they are one FFN), so the output here adds the chosen
groups at weight 1; the router's weights, shown per token, are what a trained MoE would multiply them by.
The error is the distance from the dense FFN's output, relative to its size, for k = 1 .. n_experts.
The load is the share of routing slots each expert gets, and the balance loss Switch Transformer's
n_experts * sum_i f_i P_i (`llm_core.moe.load_balancing_loss`). Everything after the forward pass is in
float64, so the only difference from the dense FFN is the routing.
"""

import dataclasses
import functools

import numpy as np

from llm_core.controls import as_choice, as_int, as_text
from llm_core.model import forward
from widgetlib.prompt import prompt_ids
from llm_core.moe import expert_outputs, load_balancing_loss, moe_swiglu, router_logits, split_ffn, top_k_routing
from llm_core.norms import rms_norm
from llm_core.tokenizer import render_token
from widgetlib.fmt import fixed, integer, percent
from widgetlib.model import TINY_FILES, tiny

MAX_TEXT_CHARS = 2_000
MAX_TOKENS = 128  # tokens routed (the text's first ones): the load and the errors count all of them
N_ROWS = 16  # tokens listed one per row
N_EXPERT_CHOICES = [2, 3, 4, 6, 8, 12, 16, 24, 32]  # the divisors of d_ff = 384 up to 32
MAX_TOP_K = 8
ROUTERS = {
    "oracle": "oracle: each group's output size",
    "gate": "gate: the size of the group's SiLU(gate)",
    "random": "random: an untrained linear router",
}
ROUTER_SEED = 0
# Error chart, SVG user units (the view only places these numbers)
WIDTH, HEIGHT = 320, 180
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 10, 30
# Float32 forward pass in another order in Pyodide (numpy without BLAS): floats compared to this relative
# tolerance in the browser test (expert indices exactly).
REL_TOL = 1e-3

DEFAULTS = {
    "text": "The President shall from time to time give to the Congress information of the State of the "
    "Union, and recommend to their consideration such measures as he shall judge necessary.",
    "layer": 3,
    "n_experts": 8,
    "top_k": 2,
    "router": "oracle",
}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"router": "random"},
    {"router": "gate", "n_experts": 16, "top_k": 4, "layer": 0},
    {"text": "", "n_experts": 2, "top_k": 1, "layer": 5},
]
DATA = TINY_FILES
CODE = [
    "llm_core.moe.split_ffn",
    "llm_core.moe.router_logits",
    "llm_core.moe.top_k_routing",
    "llm_core.moe.moe_swiglu",
    "llm_core.moe.expert_outputs",
    "llm_core.moe.load_balancing_loss",
]


def read_params(params: dict) -> dict:
    """DEFAULTS overridden by params, validated; top_k is clamped to n_experts."""
    p = {**DEFAULTS, **params}
    text, _ = as_text("text", p["text"], 10**9)  # checked here, cut in read_ids (with a note)
    n_experts = as_int("n_experts", p["n_experts"], 1, 10**6)
    if n_experts not in N_EXPERT_CHOICES:
        raise ValueError(
            f"n_experts must be one of {', '.join(map(str, N_EXPERT_CHOICES))} (they split the "
            f"{tiny().cfg.d_ff} hidden units evenly); got {p['n_experts']!r}"
        )
    return {
        "text": text,
        "layer": as_int("layer", p["layer"], 0, tiny().cfg.n_layer - 1),
        "n_experts": n_experts,
        "top_k": min(as_int("top_k", p["top_k"], 1, MAX_TOP_K), n_experts),
        "router": as_choice("router", p["router"], list(ROUTERS)),
    }


def read_ids(text: str):  # -> ids (at most MAX_TOKENS), notes
    """The text's token ids (its first MAX_TOKENS), with notes on what was cut."""
    notes = []
    if len(text) > MAX_TEXT_CHARS:
        notes.append(
            f"The text is {integer(len(text))} characters: only its first {integer(MAX_TEXT_CHARS)} were read."
        )
        text = text[:MAX_TEXT_CHARS]
    ids, more = prompt_ids(tiny(), text, 1, MAX_TEXT_CHARS)
    notes += more
    if len(ids) > MAX_TOKENS:
        notes.append(f"The text is {integer(len(ids))} tokens: this figure routes its first {MAX_TOKENS}.")
        ids = ids[:MAX_TOKENS]
    return ids, notes


@functools.cache
def ffn_inputs(ids: tuple, layer: int):  # -> x [n_seq, d_model] float64
    """The FFN's input at `layer` for every token: the stream after the layer's attention, RMS-normed."""
    model = tiny()
    upto = dataclasses.replace(model.cfg, n_layer=layer + 1)  # causal and layer by layer: stop at this one
    _, trace = forward(model.weights, upto, list(ids), trace=True, lens=False)
    residual = trace["residual"][2 * layer + 1]  # [n_seq, d_model]
    return rms_norm(residual, model.weights[f"layers.{layer}.ffn_norm"], model.cfg.norm_eps).astype(np.float64)


def ffn_weights(layer: int) -> dict:  # float64 copies of the layer's three matrices
    w = tiny().weights
    return {k: w[f"layers.{layer}.{k}"].astype(np.float64) for k in ("w_gate", "w_up", "w_down")}


def router_scores(router: str, x, experts, outputs):  # -> logits [n_seq, n_expert]
    """The router's logits for every token and expert."""
    if router == "oracle":
        return np.linalg.norm(outputs, axis=-1)  # [n_seq, n_expert, d_model] -> [n_seq, n_expert]
    if router == "gate":
        gate = np.einsum("sd,edf->sef", x, experts["w_gate"])  # [n_seq, n_expert, d_expert]
        return np.linalg.norm(gate / (1 + np.exp(-gate)), axis=-1)
    n_expert, d_model = experts["w_gate"].shape[:2]
    w_router = np.random.default_rng(ROUTER_SEED).normal(0, d_model**-0.5, (d_model, n_expert))
    return router_logits(x, w_router)


def errors_by_k(logits, outputs):  # -> [n_expert] relative error of the top-k sum, k = 1..n_expert
    """||sum of each token's top-k groups - sum of all groups|| / ||sum of all groups||, over all tokens, for
    every k (the sum of all groups is the dense FFN: summed the same way, the error at k = n_expert is 0)."""
    order = np.argsort(-logits, axis=-1, kind="stable")  # [n_seq, n_expert], best first
    n_seq, n_expert = logits.shape
    dense = np.einsum("se,sed->sd", np.ones((n_seq, n_expert)), outputs)
    scale = np.linalg.norm(dense)
    out = []
    for k in range(1, n_expert + 1):
        mask = np.zeros((n_seq, n_expert))
        np.put_along_axis(mask, order[:, :k], 1.0, axis=-1)
        approx = np.einsum("se,sed->sd", mask, outputs)
        out.append(float(np.linalg.norm(approx - dense) / scale) if scale else 0.0)
    return out


def chart(curves: dict, k: int, router: str) -> dict:
    """The error curves as SVG polylines: x = k (1 .. n), y = relative error (0 at the bottom)."""
    n = len(next(iter(curves.values())))
    y_max = max(1.0, max(max(c) for c in curves.values()))
    y_max = float(np.ceil(y_max * 4) / 4)  # the top tick: a multiple of 25%

    def at(kk, err):
        x = LEFT + (kk - 1) / max(n - 1, 1) * (WIDTH - LEFT - RIGHT)
        y = TOP + (1 - err / y_max) * (HEIGHT - TOP - BOTTOM)
        return round(x, 2), round(y, 2)

    lines = []
    for name, errs in curves.items():
        pts = [at(i + 1, e) for i, e in enumerate(errs)]
        lines.append(
            {
                "router": name,
                "chosen": name == router,
                "points": " ".join(f"{x},{y}" for x, y in pts),
                "label": f"{name}: {percent(errs[k - 1])} at k = {k}",
            }
        )
    bottom = HEIGHT - BOTTOM
    step = max(1, n // 8)
    x_ticks = [{"at": at(kk, 0)[0], "label": str(kk)} for kk in range(1, n + 1) if (kk - 1) % step == 0 or kk == n]
    y_ticks = [
        {"at": at(1, v)[1], "text_y": at(1, v)[1] + 4, "label": percent(v, 0)}
        for v in np.arange(0, y_max + 1e-9, 0.25 if y_max <= 1 else 0.5)
    ]
    mx, my = at(k, curves[router][k - 1])
    return {
        "viewbox": f"0 0 {WIDTH} {HEIGHT}",
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "bottom": bottom,
        "x": x_ticks,
        "y": y_ticks,
        "x_text_y": bottom + 14,
        "y_text_x": LEFT - 5,
        "lines": lines,
        "marker": {"x": mx, "y": my},
        "x_title": "k, experts per token",
        "x_title_x": WIDTH - RIGHT,
        "x_title_y": HEIGHT - 2,
        "label": (
            f"Error against the dense FFN for k = 1 to {n}, one line per router; the {router} "
            f"router at k = {k}: {percent(curves[router][k - 1])}"
        ),
    }


def idle_text(n_idle: int) -> str:
    if not n_idle:
        return "."
    return f"; {n_idle} expert{' got' if n_idle == 1 else 's got'} no token."


def compute(params: dict) -> dict:
    p = read_params(params)
    model = tiny()
    ids, notes = read_ids(p["text"])
    n, k, layer, router = p["n_experts"], p["top_k"], p["layer"], p["router"]
    x = ffn_inputs(tuple(ids), layer)  # [n_seq, d_model]
    w = ffn_weights(layer)
    experts = split_ffn(w["w_gate"], w["w_up"], w["w_down"], n)
    # The dense FFN as the sum of all the groups, added as moe_swiglu adds them (expert order, weight 1), so
    # routing to every group gives it back bit for bit; llm_core.ffn.swiglu's output differs by float64
    # rounding only (tests/core/test_widgets_moe.py).
    every = np.tile(np.arange(n), (len(ids), 1))  # [n_seq, n_expert]
    dense, _ = moe_swiglu(x, experts, every, np.ones(every.shape))  # [n_seq, d_model]
    outputs = expert_outputs(x, experts)  # [n_seq, n_expert, d_model]: every group on every token

    logits = router_scores(router, x, experts, outputs)
    chosen, weights, probs = top_k_routing(logits, k)  # [n_seq, k], [n_seq, k], [n_seq, n_expert]
    out, tokens_per_expert = moe_swiglu(x, experts, chosen, np.ones_like(weights))  # groups added at weight 1
    loss, f, share_p = load_balancing_loss(probs, chosen)
    token_err = np.linalg.norm(out - dense, axis=-1) / np.maximum(np.linalg.norm(dense, axis=-1), 1e-300)
    total_err = float(np.linalg.norm(out - dense) / np.linalg.norm(dense))
    curves = {name: errors_by_k(router_scores(name, x, experts, outputs), outputs) for name in ROUTERS}

    rows = []
    for t in range(min(N_ROWS, len(ids))):
        picks = [
            {"expert": int(e), "weight": float(wt), "weight_text": percent(float(wt), 0)}
            for e, wt in zip(chosen[t], weights[t])
        ]
        peak = float(probs[t].max())  # shade relative to the token's most likely expert
        cells = [
            {"expert": e, "chosen": e in chosen[t], "alpha": fixed(float(probs[t, e]) / peak, 3)} for e in range(n)
        ]
        segs = render_token(model.encoding.decode_tokens_bytes([ids[t]])[0])
        text = ", ".join(f"expert {q['expert']} ({q['weight_text']})" for q in picks)
        rows.append(
            {
                "segs": segs,
                "picks": picks,
                "cells": cells,
                "error": float(token_err[t]),
                "error_text": percent(float(token_err[t])),
                "label": f"Token {t + 1}: {text}; error {percent(float(token_err[t]))}",
            }
        )
    ideal = 1 / n
    load = [
        {
            "expert": e,
            "f": float(f[e]),
            "p": float(share_p[e]),
            "f_text": percent(float(f[e])),
            "p_text": percent(float(share_p[e])),
            "tokens": int(tokens_per_expert[e]),
            "width": f"{100 * min(f[e] / max(f.max(), ideal), 1):.2f}%",
            "over": bool(f[e] > ideal + 1e-12),
        }
        for e in range(n)
    ]
    n_seq = len(ids)
    return {
        "params": p,
        "n_tokens": n_seq,
        "n_rows": len(rows),
        "d_ff": model.cfg.d_ff,
        "d_expert": model.cfg.d_ff // n,
        "n_layer": model.cfg.n_layer,
        "max_layer": model.cfg.n_layer - 1,
        "router_name": ROUTERS[router],
        "summary": (
            f"{integer(n_seq)} token{'' if n_seq == 1 else 's'}, layer {layer}: the FFN's "
            f"{model.cfg.d_ff} hidden units cut into {n} experts of {model.cfg.d_ff // n}; each token "
            f"runs {k} of them ({percent(k / n, 0)} of the FFN's work)."
        ),
        "rows": rows,
        "rows_note": (
            f"The first {len(rows)} of {integer(n_seq)} tokens; the load and the errors count all of them."
            if n_seq > len(rows)
            else None
        ),
        "error": total_err,
        "error_text": percent(total_err),
        "errors": curves,
        "errors_text": {name: [percent(e) for e in errs] for name, errs in curves.items()},
        "chart": chart(curves, k, router),
        "load": load,
        "ideal_text": percent(ideal),
        "balance_loss": loss,
        "balance_text": fixed(loss, 3),
        "balance_max_text": fixed(float(n), 1),
        "busiest_text": percent(float(f.max())),
        "idle": int((tokens_per_expert == 0).sum()),
        "balance_after": (
            f" (1 when perfectly even; {fixed(float(n), 1)} if every token went to one expert with "
            f"certainty). Busiest expert: {percent(float(f.max()))} of the slots (even: {percent(ideal)})"
            + idle_text(int((tokens_per_expert == 0).sum()))
        ),
        "cells_note": (
            f"Cells: the {n} experts, shaded by the router's probability (darkest: the token's most likely); outlined: the top {k}, with "
            "their renormalised weights; last column: the token's error against the dense FFN."
        ),
        "error_lead": f"Error of the top-{k} output against the dense FFN, over all tokens: ",
        "options": {
            "n_experts": [
                {"value": m, "label": f"{m} experts of {model.cfg.d_ff // m} units"} for m in N_EXPERT_CHOICES
            ],
            "router": [{"value": key, "label": name} for key, name in ROUTERS.items()],
        },
        "note": " ".join(notes) or None,
    }
