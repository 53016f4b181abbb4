"""Surprise: the loss of one prediction, -log p, for the probability p the model gave the right token.

No model here: a slider sets p and `llm_core.loss.surprise` gives -ln p in nats (divide by ln 2 for bits).
The curve of -ln p against p is sampled here, in Python, and the view only joins the points: the loss is
0 when the model was certain (p = 1) and grows without limit as p falls towards 0.
"""

import math

from llm_core.controls import as_number
from llm_core.loss import surprise
from widgetlib.fmt import fixed
from widgetlib.plot import frame

P_MIN = 0.001  # the slider's low end; p = 0 would be an infinite loss
N_POINTS = 121  # curve samples, spaced evenly in log p so the steep end is smooth
# Plot box in SVG user units (the SVG scales to its container; the view only places these numbers).
WIDTH, HEIGHT = 320, 200
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 10, 32
Y_MAX = 7.0  # nats at the top of the plot: -ln 0.001 = 6.91 fits

DEFAULTS = {"p": 0.25}
EXAMPLES = [{"p": 1}, {"p": 0.001}, {"p": "0.5"}]
DATA: list[str] = []
CODE = ["llm_core.loss.surprise"]


def to_svg(p: float, nats: float) -> list:
    """A point (p, -ln p) in plot units -> [x, y] in SVG units (y grows downwards)."""
    x = LEFT + p * (WIDTH - LEFT - RIGHT)
    y = TOP + (1 - min(nats, Y_MAX) / Y_MAX) * (HEIGHT - TOP - BOTTOM)
    return [round(x, 2), round(y, 2)]


def points(xys: list) -> str:
    """[[x, y], ...] -> an SVG polyline's points, "x,y x,y ...", two decimals each."""
    return " ".join(f"{x:.2f},{y:.2f}" for x, y in xys)


def curve() -> list:  # -> [N_POINTS] of [x, y]
    """-ln p at N_POINTS values of p from P_MIN to 1, evenly spaced in log p."""
    ps = [P_MIN ** (1 - i / (N_POINTS - 1)) for i in range(N_POINTS)]
    return [to_svg(p, float(surprise(p))) for p in ps]


def axes() -> dict:
    """Tick positions and labels: p along the bottom, nats up the side."""
    x_ticks = [{"at": to_svg(p, Y_MAX)[0], "label": f"{p:g}"} for p in (0, 0.25, 0.5, 0.75, 1)]
    y_ticks = [
        {"at": to_svg(1, n)[1], "text_y": to_svg(1, n)[1] + 4, "label": str(n)} for n in range(0, int(Y_MAX) + 1)
    ]
    bottom = HEIGHT - BOTTOM
    return {
        "x": x_ticks,
        "y": y_ticks,
        **frame(WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM),
        # where the view puts text: x labels under the axis, y labels left of it, the axis names
        "x_text_y": bottom + 14,
        "y_text_x": LEFT - 6,
        "p_y": HEIGHT - 2,
        "nats_x": LEFT + 4,
        "nats_y": TOP + 8,
        "viewbox": f"0 0 {WIDTH} {HEIGHT}",
    }


def compute(params: dict) -> dict:
    p_in = {**DEFAULTS, **params}
    p = as_number("p", p_in["p"], P_MIN, 1.0)  # subtle: p = 0 is clamped up, -ln 0 is infinite
    nats = max(0.0, float(surprise(p)))  # max: -ln 1 is -0.0, which would print as "-0.00"
    bits = nats / math.log(2)
    xys = curve()
    choices = 1 / p  # -ln p = ln(1/p): as surprising as one pick among 1/p equal choices
    return {
        "p": p,
        "nats": nats,
        "bits": bits,
        "choices": choices,
        "p_text": fixed(p, 3),
        "nats_text": fixed(nats, 3),
        "bits_text": fixed(bits, 3),
        "choices_text": fixed(choices, 1),
        "curve": xys,
        "curve_points": points(xys),
        "marker": to_svg(p, nats),
        "axes": axes(),
        "params": {"p": p},
    }
