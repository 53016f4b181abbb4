"""Scaling map: where published models sit on the plane of parameters N and training tokens D.

The background is the Chinchilla fit L(N, D) = E + A / N^alpha + B / D^beta (Hoffmann et al. 2022,
arXiv:2203.15556): its iso-loss contours come in closed form from `llm_core.scaling.tokens_for_loss`.
Two lines split the plane: the fit's compute-optimal (N, D) for every budget (`compute_optimal`), and
the 20-tokens-per-parameter rule. Models above the rule's line were trained on more tokens per parameter
than compute-optimal ("over-trained"): for the same compute a bigger model would reach a lower loss, but
a smaller model is cheaper to run for every token it later serves. The models and their numbers are in
`llm_core.scaling.TRAINED_MODELS`, each with its source. A reader's own model is the extra point.
"""

import math

import numpy as np

from llm_core.controls import as_number
from llm_core.scaling import (
    TOKENS_PER_PARAM,
    TRAINED_MODELS,
    chinchilla_loss,
    compute_optimal,
    rule_of_thumb,
    tokens_for_loss,
    training_flops,
)
from widgetlib.fmt import count, fixed, power_of_ten
from widgetlib.plot import frame

X_MIN, X_MAX = 6.0, 12.0  # log10 N: 1M to 1T parameters
Y_MIN, Y_MAX = 7.0, 14.0  # log10 D: 10M to 100T tokens
CONTOURS = [2.0, 2.2, 2.5, 3.0, 4.0, 6.0, 9.0]  # fitted loss levels drawn, nats
WIDTH, HEIGHT = 380, 300
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 34
# Where each model's label goes relative to its point: text-anchor, dx, dy (SVG units), to avoid overlaps.
LABELS = {
    "GPT-3": ("end", -8, 4),
    "Gopher": ("middle", 0, 18),
    "Chinchilla": ("start", 6, -8),
    "Llama 2 7B": ("end", -7, 4),
    "Llama 3 8B": ("start", 7, 4),
    "Glassbox tiny": ("start", 7, -6),
}
OVER, UNDER = 1.5, 1 / 1.5  # within a factor 1.5 of 20 tokens per parameter counts as "about compute-optimal"

DEFAULTS = {"log10_params": 9.0, "log10_tokens": 12.0}
EXAMPLES = [
    {"log10_params": 6, "log10_tokens": 7},
    {"log10_params": "12", "log10_tokens": "14"},
    {"log10_params": 10.85, "log10_tokens": 12.15},
]
DATA: list[str] = []
CODE = [
    "llm_core.scaling.TrainedModel",
    "llm_core.scaling.tokens_for_loss",
    "llm_core.scaling.compute_optimal",
    "llm_core.scaling.rule_of_thumb",
    "llm_core.scaling.chinchilla_loss",
]


def read_params(params: dict) -> dict:
    p = {**DEFAULTS, **params}
    return {
        "log10_params": round(as_number("parameters (log10)", p["log10_params"], X_MIN, X_MAX), 2),
        "log10_tokens": round(as_number("tokens (log10)", p["log10_tokens"], Y_MIN, Y_MAX), 2),
    }


def at(log_n: float, log_d: float) -> list:
    """(log10 N, log10 D) -> [x, y] in SVG units (y grows downwards)."""
    return [
        round(LEFT + float(log_n - X_MIN) / (X_MAX - X_MIN) * (WIDTH - LEFT - RIGHT), 2),
        round(TOP + float(Y_MAX - log_d) / (Y_MAX - Y_MIN) * (HEIGHT - TOP - BOTTOM), 2),
    ]


def polyline(points: list) -> str:
    """[[x, y], ...] as an SVG polyline's points: "x,y x,y ..." with two decimals."""
    return " ".join(f"{x:.2f},{y:.2f}" for x, y in points)


def inside(log_n, log_d) -> bool:
    return X_MIN - 1e-9 <= log_n <= X_MAX + 1e-9 and Y_MIN - 1e-9 <= log_d <= Y_MAX + 1e-9


def number(x: float) -> str:
    """3 significant figures without an exponent: 0.0857, 20, 1,875."""
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


def verdict(n_params: float, n_tokens: float) -> dict:
    """How a model's tokens per parameter compare with 20, and what the same compute would buy."""
    ratio = n_tokens / n_params / TOKENS_PER_PARAM
    kind = "over" if ratio > OVER else "under" if ratio < UNDER else "about"
    word = {"over": "over-trained", "under": "under-trained", "about": "about compute-optimal"}[kind]
    flops = training_flops(n_params, n_tokens)
    return {
        "tokens_per_param": n_tokens / n_params,
        "ratio": ratio,
        "tpp_text": number(n_tokens / n_params),
        "ratio_text": number(ratio),
        "kind": kind,
        "word": word,
        "flops": flops,
        "flops_text": power_of_ten(flops),
        "loss": chinchilla_loss(n_params, n_tokens),
        "loss_text": fixed(chinchilla_loss(n_params, n_tokens), 3),
    }


def contours() -> list:
    log_n = np.linspace(X_MIN, X_MAX, 97)
    out = []
    for level in CONTOURS:
        log_d = np.log10(tokens_for_loss(level, 10.0**log_n))  # [97], inf where unreachable
        points = [at(x, y) for x, y in zip(log_n, log_d) if np.isfinite(y) and inside(x, y)]
        if len(points) >= 2:
            x, y = points[-1]  # the level's label sits just left of and above the curve's end
            out.append(
                {
                    "loss": level,
                    "points": points,
                    "label_at": points[-1],
                    "points_text": polyline(points),
                    "label": {"x": round(x - 2, 2), "y": round(y - 3, 2), "text": f"{level:.1f}"},
                }
            )
    return out


def frontier() -> list:
    """The fit's compute-optimal (N, D) for budgets 10^12 .. 10^28 FLOPs, inside the plot."""
    pts = []
    for log_c in np.linspace(12, 28, 81):
        best = compute_optimal(10.0**log_c)
        x, y = math.log10(best["n_params"]), math.log10(best["n_tokens"])
        if inside(x, y):
            pts.append(at(x, y))
    return pts


def axes() -> dict:
    """Ticks at the powers of ten, and where every label sits."""
    return {
        "x": [{"at": at(e, Y_MIN)[0], "label": count(10.0**e)} for e in range(int(X_MIN), int(X_MAX) + 1)],
        "y": [
            {"at": at(X_MIN, e)[1], "text_y": round(at(X_MIN, e)[1] + 4, 2), "label": count(10.0**e)}
            for e in range(int(Y_MIN), int(Y_MAX) + 1)
        ],
        **frame(WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM),
        "x_text_y": HEIGHT - BOTTOM + 14,
        "y_text_x": LEFT - 5,
        "x_title": {"x": WIDTH - RIGHT, "y": HEIGHT - 2},
        "y_title": {"x": LEFT + 4, "y": TOP + 10},
    }


def compute(params: dict) -> dict:
    p = read_params(params)
    models = []
    for m in TRAINED_MODELS:
        anchor, dx, dy = LABELS.get(m.name, ("start", 7, 4))
        point = at(math.log10(m.n_params), math.log10(m.n_tokens))
        models.append(
            {
                "name": m.name,
                "n_params": m.n_params,
                "n_tokens": m.n_tokens,
                "n_text": count(m.n_params),
                "d_text": count(m.n_tokens),
                "source": m.source,
                "url": m.url,
                "at": point,
                "label": {"anchor": anchor, "x": point[0] + dx, "y": point[1] + dy},
                "table_loss": fixed(chinchilla_loss(m.n_params, m.n_tokens), 2),
                **verdict(m.n_params, m.n_tokens),
            }
        )
    n, d = 10.0 ** p["log10_params"], 10.0 ** p["log10_tokens"]
    x, y = at(p["log10_params"], p["log10_tokens"])
    yours = {
        "n_params": n,
        "n_tokens": d,
        "n_text": count(n),
        "d_text": count(d),
        "at": [x, y],
        # a diamond 14 units tall centred on the point, drawn from its top corner
        "path": f"M{x:g},{round(y - 7, 2):g} l7,7 l-7,7 l-7,-7 z",
        **verdict(n, d),
    }
    same_c = yours["flops"]
    best, rule = compute_optimal(same_c), rule_of_thumb(same_c)
    yours["best"] = {
        "n_text": count(best["n_params"]),
        "d_text": count(best["n_tokens"]),
        "loss": best["loss"],
        "loss_text": fixed(best["loss"], 3),
    }
    yours["rule"] = {
        "n_text": count(rule["n_params"]),
        "d_text": count(rule["n_tokens"]),
        "loss": rule["loss"],
        "loss_text": fixed(rule["loss"], 3),
    }
    # the reader's IsoFLOP line, D = C / 6N: every (N, D) with the same compute
    iso = [
        at(x, math.log10(same_c / 6) - x)
        for x in np.linspace(X_MIN, X_MAX, 49)
        if inside(x, math.log10(same_c / 6) - x)
    ]
    rule_line = [
        at(x, x + math.log10(TOKENS_PER_PARAM))
        for x in np.linspace(X_MIN, X_MAX, 25)
        if inside(x, x + math.log10(TOKENS_PER_PARAM))
    ]
    frontier_points = frontier()
    return {
        "aria_label": (
            "Parameters against training tokens, both on log scales, with contours of the Chinchilla fit’s "
            "loss. The models and their positions are listed in the table below; your model is the diamond "
            f"at {yours['n_text']} parameters and {yours['d_text']} tokens."
        ),
        "models": models,
        "yours": yours,
        "contours": contours(),
        "frontier": frontier_points,
        "frontier_points": polyline(frontier_points),
        "rule_line": rule_line,
        "rule_points": polyline(rule_line),
        "iso": iso,
        "iso_points": polyline(iso) if len(iso) > 1 else None,  # a line needs two points
        "axes": axes(),
        "params": p,
    }
