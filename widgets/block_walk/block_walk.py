"""Block walk: one transformer block of the tiny model on the reader's prompt, one step at a time.

A traced forward pass (`llm_core.model.forward(..., trace=True)`) holds the residual stream before and
after each sub-layer, and each layer's attention and FFN intermediates. For the chosen layer this widget
lays out the block's six steps (RMSNorm, attention, add, RMSNorm, SwiGLU, add), each with the shape of
the whole array in the project's dimension names and the norm of the chosen token's vector after it.
The two sub-layer outputs are rebuilt from the trace (the heads times W_o; the hidden activations
times W_down), so the two adds can be checked against the stream the trace recorded.
"""

import numpy as np

from llm_core.controls import as_int
from widgetlib.prompt import prompt_ids
from llm_core.norms import rms_norm
from widgetlib.fmt import fixed, percent
from widgetlib.sampling import read_prompt
from widgetlib.model import TINY_FILES, tiny, token_segs

MAX_PROMPT_CHARS = 2_000
MAX_TOKENS = 64  # tokens read (the last ones of the prompt): one forward pass stays cheap
# Float32 sums run in another order in Pyodide (numpy without BLAS): the browser test compares floats
# to this relative tolerance (token ids exactly).
REL_TOL = 1e-3

DEFAULTS = {"prompt": "The President of the United States", "layer": 2, "position": 5}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"layer": 0, "position": 6},
    {"prompt": "I ask the Congress to", "layer": 5, "position": 2},
    {"prompt": "", "layer": 3, "position": 9},
]
DATA = TINY_FILES
CODE = [
    "llm_core.model.forward",
    "llm_core.norms.rms_norm",
    "llm_core.attention.multi_head_attention",
    "llm_core.ffn.swiglu",
]


def read_params(params: dict) -> dict:
    """DEFAULTS overridden by params, validated and clamped (position is clamped again to the prompt)."""
    p = {**DEFAULTS, **params}
    return {
        "prompt": read_prompt(p),
        "layer": as_int("layer", p["layer"], 0, tiny().cfg.n_layer - 1),
        "position": as_int("position", p["position"], 0, MAX_TOKENS - 1),
    }


def norm(v) -> float:
    return float(np.linalg.norm(v))


def shape(names: str, *sizes: int) -> dict:
    return {"names": names, "sizes": list(sizes)}


def with_bars(rows: list) -> list:
    """Each row's norm as text and as a bar's width, relative to the largest norm of the rows."""
    top = max(row["norm"] for row in rows)
    for row in rows:
        row["norm_text"], row["bar"] = fixed(row["norm"], 2), f"{100 * row['norm'] / top:.1f}%"
    return rows


def compute(params: dict) -> dict:
    p = read_params(params)
    model = tiny()
    cfg = model.cfg
    ids, notes = prompt_ids(model, p["prompt"], 1, MAX_PROMPT_CHARS, MAX_TOKENS)
    n, layer = len(ids), p["layer"]
    pos = p["position"] = min(p["position"], n - 1)
    # The model is causal: the vectors at `pos` depend only on the tokens up to pos, so the traced pass
    # reads just those (same numbers, less work); the shapes below are those of the whole prompt.
    _, trace = model.forward(ids[: pos + 1], trace=True, lens=False)
    w = {name: model.weights[f"layers.{layer}.{name}"] for name in ("attn_norm", "wo", "ffn_norm", "w_down")}
    attn, ffn = trace["layers"][layer]["attn"], trace["layers"][layer]["ffn"]

    x_in = trace["residual"][2 * layer][pos]  # [d_model]: the stream entering the block
    a_in = rms_norm(x_in, w["attn_norm"], cfg.norm_eps)
    heads = attn["heads"][:, pos, :].reshape(-1)  # [n_head, d_head] -> [n_head * d_head]
    a_out = heads @ w["wo"]  # [d_model]
    x_mid = trace["residual"][2 * layer + 1][pos]  # x_in + a_out, as the forward pass added them
    f_in = rms_norm(x_mid, w["ffn_norm"], cfg.norm_eps)
    f_out = ffn["hidden"][pos] @ w["w_down"]  # [d_ff] @ [d_ff, d_model] -> [d_model]
    x_out = trace["residual"][2 * layer + 2][pos]

    looked = trace["attention"][layer][:, pos, :].mean(axis=0)  # [n_head, n_seq] -> [n_seq], mean over heads
    seen = int(np.argmax(looked))
    neuron = int(np.argmax(np.abs(ffn["hidden"][pos])))
    d, h, kv, dh, ff = cfg.d_model, cfg.n_head, cfg.n_kv_head, cfg.d_head, cfg.d_ff
    steps = [
        {
            "key": "input",
            "name": "Residual stream in",
            "formula": "x",
            "shape": shape("[n_seq, d_model]", n, d),
            "norm": norm(x_in),
            "detail": "the output of the block before" if layer else "the token embeddings",
        },
        {
            "key": "norm1",
            "name": "RMSNorm",
            "formula": "a = rms_norm(x) · g_attn",
            "shape": shape("[n_seq, d_model]", n, d),
            "norm": norm(a_in),
            "detail": f"every vector scaled to root mean square 1, then times a learned gain ({d} numbers)",
        },
        {
            "key": "attention",
            "name": "Attention",
            "formula": "attn(a) = softmax(q kᵀ / √d_head) v · W_o",
            "shape": shape("[n_seq, d_model]", n, d),
            "norm": norm(a_out),
            "detail": f"q [n_seq, n_head, d_head] = [{n}, {h}, {dh}], k and v [n_seq, n_kv_head, d_head] = [{n}, {kv}, {dh}], "
            f"weights [n_head, n_seq, n_seq] = [{h}, {n}, {n}]",
            "attends": {
                "position": seen,
                "id": int(ids[seen]),
                "segs": token_segs(int(ids[seen])),
                "weight": float(looked[seen]),
            },
        },
        {
            "key": "add1",
            "name": "Add",
            "formula": "x ← x + attn(a)",
            "shape": shape("[n_seq, d_model]", n, d),
            "norm": norm(x_mid),
            "detail": "the attention output joins the residual stream",
        },
        {
            "key": "norm2",
            "name": "RMSNorm",
            "formula": "f = rms_norm(x) · g_ffn",
            "shape": shape("[n_seq, d_model]", n, d),
            "norm": norm(f_in),
            "detail": "a second norm, with its own gain",
        },
        {
            "key": "ffn",
            "name": "SwiGLU FFN",
            "formula": "ffn(f) = (SiLU(f W_gate) ⊙ f W_up) W_down",
            "shape": shape("[n_seq, d_model]", n, d),
            "norm": norm(f_out),
            "detail": f"gate and up [n_seq, d_ff] = [{n}, {ff}], back down to [n_seq, d_model]; the most active of the "
            f"{ff} neurons for this token is #{neuron}",
        },
        {
            "key": "add2",
            "name": "Add",
            "formula": "x ← x + ffn(f)",
            "shape": shape("[n_seq, d_model]", n, d),
            "norm": norm(x_out),
            "detail": "the block's output: the next block's input"
            if layer < cfg.n_layer - 1
            else "the last block's output: the final RMSNorm and the unembedding turn it into logits",
        },
    ]
    for step in steps:
        step.setdefault("attends", None)
    attends = steps[2]["attends"]
    attends["text"] = f"; token {pos} attends most to position {seen} "
    attends["share"] = f" ({percent(attends['weight'], 0)}, mean over the heads)"
    stream = [
        {
            "label": label,
            "norm": norm(trace["residual"][i][pos]),
            "in_block": 2 * layer <= i <= 2 * layer + 2,
            "mark": "◀ block input" if i == 2 * layer else "◀ this block" if 2 * layer < i <= 2 * layer + 2 else "",
        }
        for i, label in enumerate(trace["residual_labels"])
    ]
    return {
        "tokens": [{"id": int(i), "segs": token_segs(int(i))} for i in ids],
        "token": {"id": int(ids[pos]), "segs": token_segs(int(ids[pos])), "position": pos},
        "n_tokens": n,
        "n_layer": cfg.n_layer,
        "d_model": d,
        "position_max": n - 1,  # the position slider spans the prompt's tokens
        "where": (
            f"Layer {layer} on all {n} token{'' if n == 1 else 's'} at once; the sizes are those of token {pos} "
        ),
        "steps": with_bars(steps),
        "stream": with_bars(stream),
        "params": p,
        "note": " ".join(notes) or None,
    }
