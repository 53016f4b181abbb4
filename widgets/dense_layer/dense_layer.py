"""Dense layer: y = x W + b on toy numbers, with every multiply that makes each output.

A dense (fully connected, linear) layer with d_in = 3 inputs and d_out = 4 outputs. The reader sets the
inputs; the weights and biases come from a seed, rounded to one decimal so the sums can be followed by
hand. `llm_core.ffn.linear` computes the outputs and `llm_core.ffn.linear_terms` the products x_i W_ij
behind them (output j is the sum of column j plus b_j). An optional activation (ReLU or SiLU) is applied
to the outputs, the step that makes two stacked layers more than one.
"""

import numpy as np

from llm_core.activations import relu, silu
from llm_core.controls import as_choice, as_int, as_number
from llm_core.ffn import linear, linear_terms
from widgetlib.fmt import fixed

D_IN, D_OUT = 3, 4
X_RANGE = 2.0  # each input slider runs from -X_RANGE to X_RANGE
MAX_SEED = 999
ACTIVATIONS = {"none": None, "relu": relu, "silu": silu}
ACTIVATION_NAMES = {"none": "none", "relu": "ReLU", "silu": "SiLU"}

DEFAULTS = {"x0": 1.0, "x1": -0.5, "x2": 1.5, "seed": 4, "activation": "none"}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"x0": -2, "x1": 2, "x2": 0, "seed": 0, "activation": "relu"},
    {"x0": 0.3, "x1": 0.7, "x2": -1.1, "seed": 999, "activation": "silu"},
]
DATA = []
CODE = ["llm_core.ffn.linear", "llm_core.ffn.linear_terms", "llm_core.activations.relu", "llm_core.activations.silu"]


def read_params(params: dict) -> dict:
    """DEFAULTS overridden by params, validated and clamped."""
    p = {**DEFAULTS, **params}
    out = {f"x{i}": round(as_number(f"x{i}", p[f"x{i}"], -X_RANGE, X_RANGE), 2) for i in range(D_IN)}
    out["seed"] = as_int("seed", p["seed"], 0, MAX_SEED)
    out["activation"] = as_choice("activation", p["activation"], list(ACTIVATIONS))
    return out


def toy_weights(seed: int):  # -> [d_in, d_out], [d_out]
    """Weights and biases drawn from the seed, rounded to one decimal (readable, still arbitrary)."""
    rng = np.random.default_rng(seed)
    w = np.round(rng.normal(0.0, 0.8, (D_IN, D_OUT)), 1)
    b = np.round(rng.normal(0.0, 0.5, D_OUT), 1)
    return w + 0.0, b + 0.0  # + 0.0 turns -0.0 into 0.0


def compute(params: dict) -> dict:
    p = read_params(params)
    x = np.array([p[f"x{i}"] for i in range(D_IN)])
    w, b = toy_weights(p["seed"])
    y = linear(x[None, :], w, b)[0]  # [1, d_in] -> [1, d_out] -> [d_out]
    terms = linear_terms(x, w) + 0.0  # [d_in, d_out]: terms[i, j] = x_i W_ij
    act = ACTIVATIONS[p["activation"]]
    h = act(y) if act else y

    def num(v) -> str:  # every number of the figure, as it is written: 2 decimals, a true minus sign
        return fixed(float(v), 2)

    def line(j: int) -> str:  # y_j written out: x_1 × W_1j + ... + b_j = y_j
        parts = [f"({num(x[i])} × {num(w[i, j])})" for i in range(D_IN)]
        return f"y{j + 1} = " + " + ".join(parts) + f" + ({num(b[j])}) = {num(y[j])}"

    return {
        "d_in": D_IN,
        "d_out": D_OUT,
        "x": x.tolist(),
        "w": w.tolist(),
        "b": b.tolist(),
        "y": y.tolist(),
        "terms": terms.tolist(),
        "outputs": [
            {
                "j": j,
                "y": float(y[j]),
                "h": float(h[j]),
                "terms": terms[:, j].tolist(),
                "line": line(j),
                "number": j + 1,
                "y_text": num(y[j]),
                "h_text": num(h[j]),
            }
            for j in range(D_OUT)
        ],
        # the grid as the view writes it: a row per input (subscripts count from 1), a column per output
        "columns": [{"j": j, "label": f"column {j + 1}"} for j in range(D_OUT)],
        "rows": [
            {
                "number": i + 1,
                "x_text": num(x[i]),
                "cells": [{"j": j, "w_text": num(w[i, j]), "term_text": num(terms[i, j])} for j in range(D_OUT)],
            }
            for i in range(D_IN)
        ],
        "b_cells": [{"j": j, "text": num(b[j])} for j in range(D_OUT)],
        "activation_name": ACTIVATION_NAMES[p["activation"]],
        "shown": {f"x{i}": num(x[i]) for i in range(D_IN)},  # beside the sliders
        "n_multiplies": D_IN * D_OUT,
        "n_params": D_IN * D_OUT + D_OUT,
        "params": p,
    }
