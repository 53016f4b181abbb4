"""Activation explorer: the curves of ReLU, GELU, SiLU, tanh and sigmoid, and their value and slope at x.

Each function and its derivative come from `llm_core.activations` (ACTIVATIONS and GRADIENTS). The curves
are sampled here, in Python, and mapped to SVG units; at the reader's x each shown curve gets a marker
and a short tangent line whose slope is the derivative. The view only joins and places these points.
"""

import numpy as np

from llm_core.activations import ACTIVATIONS, GRADIENTS
from llm_core.controls import as_bool, as_number
from widgetlib.fmt import fixed, minus, svg_attrs, svg_points

FUNCTIONS = [("relu", "ReLU"), ("gelu", "GELU"), ("silu", "SiLU"), ("tanh", "tanh"), ("sigmoid", "sigmoid")]
X_MIN, X_MAX = -4.0, 4.0
Y_MIN, Y_MAX = -1.5, 4.0
N_POINTS = 161  # curve samples, every 0.05
TANGENT = 0.6  # the tangent line runs from x - TANGENT to x + TANGENT
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
CODE = [
    "llm_core.activations.relu",
    "llm_core.activations.gelu",
    "llm_core.activations.silu",
    "llm_core.activations.tanh",
    "llm_core.activations.sigmoid",
    "llm_core.activations.gelu_grad",
    "llm_core.activations.silu_grad",
]


def read_params(params: dict) -> dict:
    p = {**DEFAULTS, **params}
    out = {"x": as_number("x", p["x"], X_MIN, X_MAX)}
    for key, label in FUNCTIONS:
        out[key] = as_bool(f"show {label}", p[key])
    return out


def to_svg(x: float, y: float) -> list:
    """A point of the plot -> [x, y] in SVG units (y grows downwards; y is clipped to the plot)."""
    y = min(max(y, Y_MIN), Y_MAX)
    return [
        LEFT + (x - X_MIN) / (X_MAX - X_MIN) * (WIDTH - LEFT - RIGHT),
        TOP + (Y_MAX - y) / (Y_MAX - Y_MIN) * (HEIGHT - TOP - BOTTOM),
    ]


def axes() -> dict:
    """Ticks, the two zero lines and the box, in SVG units; `ticks` and `zero_lines` as SVG attributes."""
    zero_x, zero_y = to_svg(0, 0)
    x_ticks = [{"at": to_svg(t, 0)[0], "label": minus(f"{t:g}")} for t in range(-4, 5, 2)]
    y_ticks = [{"at": to_svg(0, t)[1], "label": minus(f"{t:g}")} for t in (-1, 0, 1, 2, 3, 4)]
    return {
        "x": x_ticks,
        "y": y_ticks,
        "zero_x": zero_x,
        "zero_y": zero_y,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "bottom": HEIGHT - BOTTOM,
        "width": WIDTH,
        "height": HEIGHT,
        # x labels 15 units under the plot, centred on their tick; y labels 5 units left of it, ending there
        "ticks": [
            {**svg_attrs(x=t["at"], y=HEIGHT - BOTTOM + 15), "text-anchor": "middle", "label": t["label"]}
            for t in x_ticks
        ]
        + [{**svg_attrs(x=LEFT - 5, y=t["at"] + 4), "text-anchor": "end", "label": t["label"]} for t in y_ticks],
        "zero_lines": [
            svg_attrs(x1=LEFT, y1=zero_y, x2=WIDTH - RIGHT, y2=zero_y),
            svg_attrs(x1=zero_x, y1=TOP, x2=zero_x, y2=HEIGHT - BOTTOM),
        ],
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
        curves.append(
            {
                "key": key,
                "label": label,
                "index": index,
                "points": [to_svg(float(a), float(b)) for a, b in zip(xs, f(xs))],
                "value": value,
                "slope": slope,
                "marker": to_svg(x, value),
                "tangent": [to_svg(e, value + slope * (e - x)) for e in ends],
            }
        )
        c = curves[-1]  # the same, as the view's SVG attributes and table cells
        c.update(
            points_attr=svg_points(c["points"]),
            tangent_attr=svg_points(c["tangent"]),
            marker_at=svg_attrs(cx=c["marker"][0], cy=c["marker"][1]),
            value_text=fixed(value, 3),
            slope_text=fixed(slope, 3),
        )
    return {
        "x": x,
        "x_text": fixed(x, 1),
        "curves": curves,
        "axes": axes(),
        "params": p,
        "message": None if curves else "Tick at least one function to draw it.",
    }
