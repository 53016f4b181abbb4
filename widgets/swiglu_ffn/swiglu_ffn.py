"""SwiGLU FFN: the tiny model's feed-forward network in one layer, on one token of the reader's prompt.

One traced forward pass gives the residual stream after each layer's attention: the FFN's input. For the
chosen layer and token, `llm_core.norms.rms_norm` with the layer's ffn_norm gain gives the normalised
vector x [d_model], and `llm_core.ffn.swiglu` the rest: gate = x W_gate and up = x W_up [d_ff], the
hidden activations silu(gate) * up [d_ff], and the output hidden W_down [d_model], which is added to
the residual stream. `llm_core.ffn.top_neurons` picks the hidden units with the largest |activation|,
each of which adds its row of W_down, scaled by its activation, to the output.
"""

import dataclasses

import numpy as np

from llm_core.activations import silu
from llm_core.controls import as_int
from llm_core.ffn import swiglu, top_neurons
from llm_core.model import forward
from widgetlib.prompt import prompt_ids
from llm_core.norms import rms_norm
from widgetlib.fmt import css_percent, fixed, percent
from widgetlib.sampling import read_prompt
from widgetlib.model import TINY_FILES, tiny, token_segs

MAX_PROMPT_CHARS = 2_000
MAX_TOKENS = 64  # tokens read (the last ones of the prompt): one forward pass stays cheap
N_TOP = 10  # most active neurons listed
SNAP = 1e-3  # strip values under SNAP * max |value| are sent as 0 (see shown())
# Float32 sums run in another order in Pyodide (numpy without BLAS): the browser test compares floats
# to this relative tolerance (token ids and neuron indices exactly).
REL_TOL = 1e-3

DEFAULTS = {"prompt": "The President of the United States", "layer": 3, "position": 2}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"layer": 0, "position": 6},
    {"prompt": "I ask the Congress to", "layer": 5, "position": 4},
    {"prompt": "", "layer": 2, "position": 0},
]
DATA = TINY_FILES
CODE = [
    "llm_core.model.forward",
    "llm_core.norms.rms_norm",
    "llm_core.ffn.swiglu",
    "llm_core.activations.silu",
    "llm_core.ffn.top_neurons",
]


def read_params(params: dict) -> dict:
    """DEFAULTS overridden by params, validated and clamped (position is clamped again to the prompt)."""
    p = {**DEFAULTS, **params}
    return {
        "prompt": read_prompt(p),
        "layer": as_int("layer", p["layer"], 0, tiny().cfg.n_layer - 1),
        "position": as_int("position", p["position"], 0, MAX_TOKENS - 1),
    }


def shown(values: np.ndarray) -> list:
    """Values for a strip, with those under SNAP of the largest set to 0.

    subtle: the browser's numpy sums in another order, so a value near 0 can differ there by more than
    REL_TOL relative; at the strip's resolution such values are 0 anyway.
    """
    values = values.astype(np.float64)
    scale = float(np.abs(values).max())
    return np.where(np.abs(values) < SNAP * scale, 0.0, values).tolist()


def bar_top(value: float, peak: float) -> float:
    """Where a strip's bar for `value` ends, in the strip's SVG units (40 high, 0 at y = 20, ±peak 1 from the edge)."""
    return 20 - 19 * value / peak


def strip(key: str, label: str, values: np.ndarray) -> dict:
    """One row of the figure: d_ff values, the largest |value| (the row's scale) and the bars to draw:
    [x, y] where the bar of each nonzero value, drawn up or down from y = 20, ends."""
    values, peak = shown(values), float(np.abs(values).max())
    return {
        "key": key,
        "label": label,
        "values": values,
        "max": peak,
        "max_text": fixed(peak, 2),
        "bars": [[i + 0.5, bar_top(v, peak)] for i, v in enumerate(values) if v != 0],
    }


def compute(params: dict) -> dict:
    p = read_params(params)
    model = tiny()
    cfg, weights = model.cfg, model.weights
    ids, notes = prompt_ids(model, p["prompt"], 1, MAX_PROMPT_CHARS, MAX_TOKENS)
    pos, layer = min(p["position"], len(ids) - 1), p["layer"]
    p["position"] = pos
    # The model is causal, so the FFN input at `pos` in `layer` depends only on the tokens up to pos and
    # the layers up to this one: trace just those (the numbers are the same, the work much smaller).
    upto = dataclasses.replace(cfg, n_layer=layer + 1)
    _, trace = forward(weights, upto, ids[: pos + 1], trace=True, lens=False)

    w = {name: weights[f"layers.{layer}.{name}"] for name in ("ffn_norm", "w_gate", "w_up", "w_down")}
    residual = trace["residual"][2 * layer + 1][pos]  # [d_model]: the stream after this layer's attention
    x = rms_norm(residual, w["ffn_norm"], cfg.norm_eps)  # [d_model]
    out, ffn = swiglu(x[None, :], w["w_gate"], w["w_up"], w["w_down"])  # [1, d_model], [1, d_ff] each
    out, gate, up, hidden = out[0], ffn["gate"][0], ffn["up"][0], ffn["hidden"][0]
    gated = silu(gate)

    top = top_neurons(hidden, N_TOP)
    row_norms = np.linalg.norm(w["w_down"][top], axis=-1)  # [N_TOP]: |row k of W_down|
    energy = float(np.sum(hidden.astype(np.float64) ** 2))
    peak = float(np.abs(hidden).max())
    neurons = [
        {
            "index": int(k),
            "gate": float(gate[k]),
            "silu": float(gated[k]),
            "up": float(up[k]),
            "value": float(hidden[k]),
            "write": float(abs(hidden[k]) * row_norms[n]),
            "mark": [int(k) + 0.5, bar_top(float(hidden[k]), peak)],  # its dot on the hidden strip
        }
        for n, k in enumerate(top)
    ]
    for n in neurons:  # the table's cells
        n["texts"] = [fixed(n[key], 2) for key in ("gate", "silu", "up", "value", "write")]

    new_residual = residual + out
    cos = float(np.dot(out, residual) / (np.linalg.norm(out) * np.linalg.norm(residual)))
    sizes = {
        "residual": float(np.linalg.norm(residual)),
        "out": float(np.linalg.norm(out)),
        "new": float(np.linalg.norm(new_residual)),
    }
    biggest = max(sizes.values())
    top_share = float(np.sum(hidden[top].astype(np.float64) ** 2) / energy) if energy else 0.0
    return {
        "tokens": [{"id": int(i), "segs": token_segs(int(i)), "chosen": k == pos} for k, i in enumerate(ids)],
        "max_position": len(ids) - 1,  # the position slider's top
        "texts": {  # the numbers the figure's sentences quote
            "residual_norm": fixed(sizes["residual"], 2),
            "x_norm": fixed(float(np.linalg.norm(x)), 2),
            "out_norm": fixed(sizes["out"], 2),
            "new_norm": fixed(sizes["new"], 2),
            "ratio": fixed(sizes["out"] / sizes["residual"], 2),
            "cos": fixed(cos, 2),
            "top_share": percent(top_share, 0),
        },
        "norm_bars": [
            {"label": label, "width": css_percent(sizes[key] / biggest), "text": fixed(sizes[key], 2), "cls": cls}
            for label, key, cls in [
                ("residual stream before the FFN", "residual", "sf-n-res"),
                ("FFN output, hidden W_down", "out", "sf-n-out"),
                ("residual stream after the add", "new", "sf-n-new"),
            ]
        ],
        "token": {"id": int(ids[pos]), "segs": token_segs(int(ids[pos])), "position": pos},
        "n_tokens": len(ids),
        "n_layer": cfg.n_layer,
        "d_model": cfg.d_model,
        "d_ff": cfg.d_ff,
        "residual_norm": float(np.linalg.norm(residual)),
        "x_norm": float(np.linalg.norm(x)),
        "strips": [
            strip("gate", "gate = x W_gate", gate),
            strip("silu", "SiLU(gate)", gated),
            strip("up", "up = x W_up", up),
            strip("hidden", "hidden = SiLU(gate) × up", hidden),
        ],
        "n_gate_negative": int((gate < 0).sum()),
        "n_small": int((np.abs(hidden) < 0.1 * np.abs(hidden).max()).sum()),
        "top_share": top_share,
        "neurons": neurons,
        "out_norm": float(np.linalg.norm(out)),
        "new_norm": float(np.linalg.norm(new_residual)),
        "ratio": float(np.linalg.norm(out) / np.linalg.norm(residual)),
        "cos": cos,
        "params": p,
        "note": " ".join(notes) or None,
    }
