"""Compute-optimal: how to split a training budget of C FLOPs between parameters N and tokens D.

A slider sets C (log scale). `llm_core.scaling.compute_optimal` gives the N and D that minimise the
Chinchilla fit L(N, D) = E + A / N^alpha + B / D^beta under C = 6 N D (Hoffmann et al. 2022,
arXiv:2203.15556), and `rule_of_thumb` the split at 20 tokens per parameter. `loss_at_budget` traces the
IsoFLOP curve: the fitted loss of every model size that spends exactly C, whose valley is the optimum.
`gpu_days` turns C into days of one accelerator at a stated peak throughput and utilisation.
Everything here is float64 closed forms, so the browser must match CPython to the default REL_TOL.
"""

import math

import numpy as np

from llm_core.controls import as_choice, as_number
from llm_core.scaling import compute_optimal as optimum, gpu_days, loss_at_budget, rule_of_thumb
from widgetlib.fmt import count, fixed, power_of_ten
from widgetlib.plot import frame

LOG10_FLOPS_MIN, LOG10_FLOPS_MAX = 15.0, 26.0
# Peak dense BF16 tensor throughput, from the vendor's datasheet (the "with sparsity" figure halved).
GPUS = {
    "h100": {
        "name": "NVIDIA H100 SXM",
        "flops_per_s": 989e12,
        "source": "https://www.nvidia.com/en-us/data-center/h100/",
    },
    "a100": {
        "name": "NVIDIA A100 SXM",
        "flops_per_s": 312e12,
        "source": "https://www.nvidia.com/en-us/data-center/a100/",
    },
}
HALF_WIDTH = 1.5  # the IsoFLOP curve spans the optimum's N times 10^-1.5 .. 10^+1.5
N_POINTS = 121
WIDTH, HEIGHT = 360, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 34

DEFAULTS = {"log10_flops": 22.0, "gpu": "h100", "utilization": 0.4}
EXAMPLES = [
    {"log10_flops": 15, "gpu": "a100", "utilization": 0.1},
    {"log10_flops": 23.77, "utilization": 0.5},  # Chinchilla's own budget, 5.9e23
    {"log10_flops": "26", "utilization": "0.8"},
]
DATA: list[str] = []
CODE = [
    "llm_core.scaling.compute_optimal",
    "llm_core.scaling.rule_of_thumb",
    "llm_core.scaling.loss_at_budget",
    "llm_core.scaling.chinchilla_loss",
    "llm_core.scaling.gpu_days",
]


def read_params(params: dict) -> dict:
    p = {**DEFAULTS, **params}
    return {
        "log10_flops": round(as_number("budget (log10 FLOPs)", p["log10_flops"], LOG10_FLOPS_MIN, LOG10_FLOPS_MAX), 2),
        "gpu": as_choice("gpu", p["gpu"], list(GPUS)),
        "utilization": as_number("utilization", p["utilization"], 0.05, 1.0),
    }


def duration(days: float) -> str:
    if days < 1 / 24:
        return f"{days * 1440:.3g} GPU-minutes"
    if days < 1:
        return f"{days * 24:.3g} GPU-hours"
    if days < 365:
        return f"{days:.3g} GPU-days"
    return f"{days / 365.25:,.3g} GPU-years" if days < 365.25e3 else f"{days / 365.25:,.0f} GPU-years"


def split(best: dict, label: str, key: int) -> dict:
    """One row of the table; key: its marker in the plot (1 the optimum's circle, 2 the rule's square)."""
    return {
        "label": label,
        "key": key,
        "n_params": best["n_params"],
        "n_tokens": best["n_tokens"],
        "tokens_per_param": best["tokens_per_param"],
        "loss": best["loss"],
        "n_text": count(best["n_params"]),
        "d_text": count(best["n_tokens"]),
        "tokens_per_param_text": fixed(best["tokens_per_param"], 1),
        "loss_text": fixed(best["loss"], 3),
    }


def plot(flops: float, best: dict, rule: dict) -> dict:
    """The IsoFLOP curve in SVG units: x = log10 N, y = fitted loss; ticks at the powers of ten."""
    lo, hi = math.log10(best["n_params"]) - HALF_WIDTH, math.log10(best["n_params"]) + HALF_WIDTH
    log_n = np.linspace(lo, hi, N_POINTS)
    losses = loss_at_budget(10.0**log_n, flops)  # [N_POINTS]
    y_lo = math.floor(best["loss"] * 10) / 10
    y_hi = y_lo + max(0.5, math.ceil((float(losses.max()) - y_lo) * 2) / 2)
    y_step = 0.1 if y_hi - y_lo <= 1 else 0.5 if y_hi - y_lo <= 4 else 1.0

    def at(x, y):
        return [
            round(LEFT + (x - lo) / (hi - lo) * (WIDTH - LEFT - RIGHT), 2),
            round(TOP + (y_hi - y) / (y_hi - y_lo) * (HEIGHT - TOP - BOTTOM), 2),
        ]

    x_ticks = [{"at": at(e, y_lo)[0], "label": count(10.0**e)} for e in range(math.ceil(lo), math.floor(hi) + 1)]
    n_y = int(round((y_hi - y_lo) / y_step))
    y_ticks = [{"at": at(lo, y_lo + i * y_step)[1], "label": f"{y_lo + i * y_step:.1f}"} for i in range(n_y + 1)]
    for t in y_ticks:
        t["text_y"] = round(t["at"] + 4, 2)  # the label's baseline, centred on the tick
    curve = [at(x, float(y)) for x, y in zip(log_n, losses)]
    rule_at = at(math.log10(rule["n_params"]), rule["loss"]) if lo <= math.log10(rule["n_params"]) <= hi else None
    return {
        "curve": curve,
        "points": " ".join(f"{x:.2f},{y:.2f}" for x, y in curve),
        "optimum": at(math.log10(best["n_params"]), best["loss"]),
        "rule": rule_at,
        "rule_corner": [round(rule_at[0] - 4.5, 2), round(rule_at[1] - 4.5, 2)] if rule_at else None,  # 9-unit square
        "x": x_ticks,
        "y": y_ticks,
        **frame(WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM),
        "x_text_y": HEIGHT - BOTTOM + 14,
        "y_text_x": LEFT - 5,
        "x_title": {"x": WIDTH - RIGHT, "y": HEIGHT - 2},
        "y_title": {"x": LEFT + 4, "y": TOP + 8},
    }


def compute(params: dict) -> dict:
    p = read_params(params)
    flops = 10.0 ** p["log10_flops"]
    gpu = GPUS[p["gpu"]]
    best, rule = optimum(flops), rule_of_thumb(flops)
    days = gpu_days(flops, gpu["flops_per_s"], p["utilization"])
    fit, by_rule = split(best, "The fit’s optimum", 1), split(rule, "20 tokens per parameter", 2)
    flops_text = power_of_ten(flops)
    return {
        "aria_label": (
            f"IsoFLOP curve: fitted loss against model size N for a budget of {flops_text['mantissa']} "
            f"times 10 to the {flops_text['exponent']} FLOPs. The lowest loss, {fit['loss_text']} nats, "
            f"is at N = {fit['n_text']}; 20 tokens per parameter gives N = {by_rule['n_text']} and "
            f"{by_rule['loss_text']} nats."
        ),
        "flops": flops,
        "flops_text": flops_text,
        "gpu": {
            "key": p["gpu"],
            "name": gpu["name"],
            "tflops": gpu["flops_per_s"] / 1e12,
            "tflops_text": f"{gpu['flops_per_s'] / 1e12:.0f}",
            "source": gpu["source"],
        },
        "gpu_options": [
            {"key": k, "label": f"{g['name']} ({g['flops_per_s'] / 1e12:.0f} TFLOP/s BF16)"} for k, g in GPUS.items()
        ],
        "utilization_pct": round(100 * p["utilization"]),
        "gpu_days": days,
        "gpu_time": duration(days),
        "gpus_for_30_days": days / 30,
        # "or 9.75 of them for 30 days", only when one accelerator would take longer than that
        "gpus_for_30_days_text": (f"{days / 30:,.3g}" if days < 30e5 else f"{days / 30:,.0f}") if days > 30 else "",
        "fit": fit,
        "rule": by_rule,
        "plot": plot(flops, best, rule),
        "params": p,
    }
