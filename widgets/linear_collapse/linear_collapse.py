"""Linear collapse: two stacked linear layers are one linear layer, unless something nonlinear sits between.

Two random layers (seeded), 2 -> 3 -> 2, map nine 2-D points. `llm_core.activations.compose_linear`
multiplies them into one 2 x 2 matrix and one bias; applied to the same points it gives the same outputs,
up to float64 rounding. With ReLU or tanh between the layers (`two_layers(..., activation)`), no single
matrix can do it, and the largest difference says by how much. Toy sizes on purpose: the algebra is the
same for the model's 128 -> 384 -> 128 layers, but nine points in a plane can be seen.
"""

import numpy as np

from llm_core.activations import compose_linear, two_layers
from llm_core.controls import as_choice, as_int
from widgetlib.fmt import fixed, sci, svg_attrs

MAX_SEED = 9_999
BETWEEN = {"identity": "nothing (purely linear)", "relu": "ReLU", "tanh": "tanh"}
D_IN, D_HIDDEN, D_OUT = 2, 3, 2
# Plot box in SVG user units (the SVG scales to its container).
WIDTH, HEIGHT, PAD = 300, 300, 16
# subtle: where the two routes agree, they differ only by float64 rounding (a few 1e-16 here), and its
# digits depend on the machine (with BLAS or without, as in the browser): such a difference is written as
# under NOISE, the same everywhere, and a real one (a nonlinearity's) as it is.
NOISE = 1e-14
NOISE_TEXT = "under 1e−14"

DEFAULTS = {"seed": 5, "between": "identity"}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [{"between": "relu"}, {"seed": 42, "between": "tanh"}, {"seed": "7"}]
DATA: list[str] = []
CODE = ["llm_core.activations.two_layers", "llm_core.activations.compose_linear", "llm_core.activations.relu"]


def read_params(params: dict) -> dict:
    p = {**DEFAULTS, **params}
    return {
        "seed": as_int("seed", p["seed"], 0, MAX_SEED),
        "between": as_choice("between", p["between"], list(BETWEEN)),
    }


def layers(seed: int):  # -> w1 [3, 2], b1 [3], w2 [2, 3], b2 [2]
    """Random layers, scaled like a common initialisation (standard deviation 1 / sqrt(fan-in))."""
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=(D_HIDDEN, D_IN)) / np.sqrt(D_IN),
        rng.normal(size=D_HIDDEN) * 0.5,
        rng.normal(size=(D_OUT, D_HIDDEN)) / np.sqrt(D_HIDDEN),
        rng.normal(size=D_OUT) * 0.5,
    )


def grid():  # -> [9, 2]: a 3 x 3 grid of points on [-1, 1]^2
    ticks = np.array([-1.0, 0.0, 1.0])
    return np.array([[a, b] for b in ticks[::-1] for a in ticks])


def matrix(m) -> list:
    """An array as nested lists of floats (a vector becomes a one-column matrix)."""
    m = np.asarray(m)
    return [[float(v)] for v in m] if m.ndim == 1 else [[float(v) for v in row] for row in m]


def difference(d: float) -> str:
    """A difference between the two routes as the figure writes it: 'under 1e−14' (rounding), or 1.7e+00."""
    return NOISE_TEXT if d < NOISE else sci(d, 1)


def pair(v) -> str:
    """A 2-D point as the table writes it: (0.500, −1.250)."""
    return f"({fixed(float(v[0]), 3)}, {fixed(float(v[1]), 3)})"


def compute(params: dict) -> dict:
    p = read_params(params)
    w1, b1, w2, b2 = layers(p["seed"])
    x = grid()
    stacked = two_layers(x, w1, b1, w2, b2, p["between"])  # [9, 2]
    w, b = compose_linear(w1, b1, w2, b2)  # [2, 2], [2]
    single = x @ w.T + b  # [9, 2]
    diff = np.abs(stacked - single)
    both = np.concatenate([stacked, single])  # [18, 2]
    centre = (both.max(axis=0) + both.min(axis=0)) / 2  # fit the outputs' bounding box, same scale on x and y
    reach = max(1e-9, float(np.max(both.max(axis=0) - both.min(axis=0))) / 2)
    scale = (WIDTH / 2 - PAD) / reach

    def svg(pt):
        return [WIDTH / 2 + scale * float(pt[0] - centre[0]), HEIGHT / 2 - scale * float(pt[1] - centre[1])]

    points = [
        {
            "x": [float(v) for v in x[i]],
            "stacked": [float(v) for v in stacked[i]],
            "single": [float(v) for v in single[i]],
            "diff": float(np.max(diff[i])),
            "at_stacked": svg(stacked[i]),
            "at_single": svg(single[i]),
        }
        for i in range(len(x))
    ]
    for pt in points:  # as the view draws and writes them
        (xa, ya), (xb, yb) = pt["at_stacked"], pt["at_single"]
        pt["gap"] = svg_attrs(x1=xa, y1=ya, x2=xb, y2=yb)
        pt["dot"], pt["ring"] = svg_attrs(cx=xa, cy=ya), svg_attrs(cx=xb, cy=yb)
        pt["texts"] = [pair(pt["x"]), pair(pt["stacked"]), pair(pt["single"]), difference(pt["diff"])]
    matrices = {"W1": matrix(w1), "b1": matrix(b1), "W2": matrix(w2), "b2": matrix(b2), "W": matrix(w), "b": matrix(b)}
    return {
        "matrices": matrices,
        "matrices_text": {name: [[fixed(v, 3) for v in row] for row in m] for name, m in matrices.items()},
        "max_diff_text": difference(float(diff.max())) if p["between"] == "identity" else fixed(float(diff.max()), 3),
        "points": points,
        "max_diff": float(diff.max()),
        "linear": p["between"] == "identity",
        "between_name": BETWEEN[p["between"]],
        "choices": [{"value": k, "label": v} for k, v in BETWEEN.items()],
        "width": WIDTH,
        "height": HEIGHT,
        "reach": reach,
        "params": p,
    }
