"""One neuron: three inputs, three weights, a bias and an activation, computed step by step.

`llm_core.activations.neuron` multiplies each input by its weight, adds the products and the bias
(the pre-activation z) and passes z through the activation. The view lists each step and draws each
contribution as a signed bar, so the reader sees which input pushed the sum up and which pulled it down.
Toy numbers on purpose: the same arithmetic runs 384 times per token in each of the tiny model's
feed-forward layers, with 128 inputs each.
"""

from llm_core.activations import ACTIVATIONS, neuron
from llm_core.controls import as_choice, as_number
from widgetlib.fmt import css_percent, fixed

LIMIT = 2.0  # sliders run from -LIMIT to LIMIT
NAMES = {
    "relu": "ReLU",
    "gelu": "GELU",
    "silu": "SiLU",
    "tanh": "tanh",
    "sigmoid": "sigmoid",
    "identity": "none (identity)",
}

DEFAULTS = {"x1": 0.8, "x2": -0.5, "x3": 1.2, "w1": 1.5, "w2": 0.7, "w3": -0.4, "bias": 0.2, "activation": "relu"}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"activation": "sigmoid", "bias": 2},
    {"x1": -2, "x2": 2, "x3": 0, "w1": 1, "w2": -1, "w3": 2, "bias": 0, "activation": "silu"},
    {"activation": "identity", "x1": "0.3"},
]
DATA: list[str] = []
CODE = [
    "llm_core.activations.neuron",
    "llm_core.activations.relu",
    "llm_core.activations.gelu",
    "llm_core.activations.silu",
    "llm_core.activations.sigmoid",
]
KEYS = ["x1", "x2", "x3", "w1", "w2", "w3", "bias"]


def read_params(params: dict) -> dict:
    p = {**DEFAULTS, **params}
    out = {key: as_number(key, p[key], -LIMIT, LIMIT) for key in KEYS}
    out["activation"] = as_choice("activation", p["activation"], list(NAMES))
    return out


def bar(value: float, span: float) -> dict:
    """A signed bar in a box whose middle is 0 and whose edges are -span and +span: left and width in %
    (numbers), and `css`, the same as the view's CSS lengths."""
    width = 50 * abs(value) / span
    left = 50 - width if value < 0 else 50.0
    return {"left": left, "width": width, "css": {"left": css_percent(left / 100), "width": css_percent(width / 100)}}


def compute(params: dict) -> dict:
    p = read_params(params)
    x, w = [p["x1"], p["x2"], p["x3"]], [p["w1"], p["w2"], p["w3"]]
    products, z, y = neuron(x, w, p["bias"], p["activation"])
    rows = [
        {
            "label": f"w{i + 1} × x{i + 1}",
            "x": x[i],
            "w": w[i],
            "product": float(products[i]),
            "x_text": fixed(x[i], 2),
            "w_text": fixed(w[i], 2),
            "product_text": fixed(float(products[i]), 2),
        }
        for i in range(3)
    ]
    terms = [r["product"] for r in rows] + [p["bias"], z, y]
    span = max(1.0, max(abs(t) for t in terms))  # every bar on one scale
    for r in rows:
        r["bar"] = bar(r["product"], span)
    return {
        "rows": rows,
        "sum": float(sum(products)),
        "bias": p["bias"],
        "bias_bar": bar(p["bias"], span),
        "z": z,
        "z_bar": bar(z, span),
        "y": y,
        "y_bar": bar(y, span),
        "span": span,
        "bias_text": fixed(p["bias"], 2),
        "z_text": fixed(z, 2),
        "y_text": fixed(y, 2),
        # z = (w1)(x1) + (w2)(x2) + (w3)(x3) + (b) = z; f of z = ... (the view adds y, in bold)
        "formula": "z = "
        + "".join(f"({r['w_text']})({r['x_text']}) + " for r in rows)
        + f"({fixed(p['bias'], 2)}) = {fixed(z, 2)}; {NAMES[p['activation']]} of {fixed(z, 2)} = ",
        "shown": {key: fixed(p[key], 1) for key in KEYS},  # beside the sliders
        "activation": p["activation"],
        "activation_name": NAMES[p["activation"]],
        "activations": [{"value": k, "label": v} for k, v in NAMES.items() if k in ACTIVATIONS],
        "params": p,
    }
