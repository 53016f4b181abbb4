"""Activation explorer: the curves of ReLU, GELU, SiLU, tanh and sigmoid, and their value and slope at x.

Each function and its derivative come from `llm_core.activations` (ACTIVATIONS and GRADIENTS). The curves
are sampled here, in Python, and mapped to SVG units; at the reader's x each shown curve gets a marker
and a short tangent line whose slope is the derivative. The view only joins and places these points.
"""

import numpy as np

from llm_core.activations import ACTIVATIONS, GRADIENTS
from llm_core.controls import as_bool, as_number

FUNCTIONS = [("relu", "ReLU"), ("gelu", "GELU"), ("silu", "SiLU"), ("tanh", "tanh"), ("sigmoid", "sigmoid")]
X_MIN, X_MAX = -4.0, 4.0
Y_MIN, Y_MAX = -1.5, 4.0
N_POINTS = 161          # curve samples, every 0.05
TANGENT = 0.6           # the tangent line runs from x - TANGENT to x + TANGENT
# Plot box in SVG user units (the SVG scales to its container).
WIDTH, HEIGHT = 360, 270
LEFT, RIGHT, TOP, BOTTOM = 30, 10, 10, 24

DEFAULTS = {"x": -1.0, "relu": True, "gelu": True, "silu": True, "tanh": False, "sigmoid": False}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"x": 2.5, "tanh": True, "sigmoid": True},
    {"x": 0, "relu": False, "gelu": False, "silu": False},
    {"x": "-4", "relu": "true", "silu": False},
]
DATA: list[str] = []
CODE = ["llm_core.activations.relu", "llm_core.activations.gelu", "llm_core.activations.silu",
        "llm_core.activations.tanh", "llm_core.activations.sigmoid", "llm_core.activations.gelu_grad",
        "llm_core.activations.silu_grad"]


def read_params(params: dict) -> dict:
    p = {**DEFAULTS, **params}
    out = {"x": as_number("x", p["x"], X_MIN, X_MAX)}
    for key, label in FUNCTIONS:
        out[key] = as_bool(f"show {label}", p[key])
    return out


def to_svg(x: float, y: float) -> list:
    """A point of the plot -> [x, y] in SVG units (y grows downwards; y is clipped to the plot)."""
    y = min(max(y, Y_MIN), Y_MAX)
    return [LEFT + (x - X_MIN) / (X_MAX - X_MIN) * (WIDTH - LEFT - RIGHT),
            TOP + (Y_MAX - y) / (Y_MAX - Y_MIN) * (HEIGHT - TOP - BOTTOM)]


def axes() -> dict:
    """Ticks, the two zero lines and the box, in SVG units."""
    return {
        "x": [{"at": to_svg(t, 0)[0], "label": f"{t:g}"} for t in range(-4, 5, 2)],
        "y": [{"at": to_svg(0, t)[1], "label": f"{t:g}"} for t in (-1, 0, 1, 2, 3, 4)],
        "zero_x": to_svg(0, 0)[0], "zero_y": to_svg(0, 0)[1],
        "left": LEFT, "right": WIDTH - RIGHT, "top": TOP, "bottom": HEIGHT - BOTTOM,
        "width": WIDTH, "height": HEIGHT,
    }


def compute(params: dict) -> dict:
    p = read_params(params)
    xs = np.linspace(X_MIN, X_MAX, N_POINTS)
    x = p["x"]
    curves = []
    for index, (key, label) in enumerate(FUNCTIONS):
        if not p[key]:
            continue
        f, grad = ACTIVATIONS[key], GRADIENTS[key]
        value, slope = float(f(np.array(x))), float(grad(np.array(x)))
        ends = [x - TANGENT, x + TANGENT]
        curves.append({
            "key": key, "label": label, "index": index,
            "points": [to_svg(float(a), float(b)) for a, b in zip(xs, f(xs))],
            "value": value, "slope": slope,
            "marker": to_svg(x, value),
            "tangent": [to_svg(e, value + slope * (e - x)) for e in ends],
        })
    return {"x": x, "curves": curves, "axes": axes(), "params": p,
            "message": None if curves else "Tick at least one function to draw it."}
