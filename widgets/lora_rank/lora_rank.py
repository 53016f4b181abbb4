"""LoRA rank: how much of a real weight matrix of the tiny model a rank-r product a @ b can hold.

`llm_core.lora.low_rank_approximation` takes the truncated SVD, the best rank-r approximation in the
Frobenius norm (Eckart & Young 1936). The view shows the singular value spectrum with the kept ones
marked, the relative error of the approximation, the fraction of the squared singular values kept, and
the numbers the two factors hold, r (d_in + d_out), against the full matrix's d_in d_out. For contrast,
the same rank applied to a random Gaussian matrix of the same shape and RMS (seeded).
"""

import functools

import numpy as np

from llm_core.controls import as_choice, as_int
from llm_core.lora import lora_parameter_count, low_rank_approximation, low_rank_error
from widgetlib.fmt import fixed, integer, percent
from widgetlib.plot import bars, frame
from widgetlib.model import TINY_FILES, tiny

MATRICES = ["wq", "wk", "wv", "wo", "w_gate", "w_up", "w_down"]
MAX_RANK = 128  # the slider's top: min(d_in, d_out) for every matrix but wk and wv (64)
# Spectrum plot in SVG user units (the SVG scales to its container; the view only places these numbers).
WIDTH, HEIGHT = 320, 160
LEFT, RIGHT, TOP, BOTTOM = 36, 16, 10, 30

DEFAULTS = {"layer": 0, "matrix": "wq", "rank": 8}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"layer": 3, "matrix": "w_down", "rank": 32},
    {"layer": 5, "matrix": "wv", "rank": 100},
    {"matrix": "w_up", "rank": 1},
]
DATA = TINY_FILES
CODE = ["llm_core.lora.low_rank_approximation", "llm_core.lora.low_rank_error", "llm_core.lora.lora_parameter_count"]


@functools.cache
def singular_values(name: str):  # -> [min(d_in, d_out)], largest first
    """One SVD per matrix (the slow step in the browser); every rank's error follows from these."""
    w = tiny().weights[name].astype(np.float64)
    return low_rank_approximation(w, 1)[2]["singular_values"]


@functools.cache
def random_spectrum(shape: tuple, rms: float):  # -> singular values of a seeded Gaussian matrix
    rng = np.random.default_rng(0)
    return np.linalg.svd(rng.normal(0.0, rms, shape), compute_uv=False)


def read_params(params: dict) -> dict:
    """DEFAULTS overridden by params, validated and clamped (rank to the matrix's smaller side)."""
    p = {**DEFAULTS, **params}
    return {
        "layer": as_int("layer", p["layer"], 0, tiny().cfg.n_layer - 1),
        "matrix": as_choice("matrix", p["matrix"], MATRICES),
        "rank": as_int("rank", p["rank"], 1, MAX_RANK),
    }


def spectrum(s: np.ndarray, rank: int) -> dict:
    """Bars for the singular values (largest first), the kept ones flagged, with axis ticks in SVG units."""
    n, top = len(s), float(s[0]) if len(s) and s[0] > 0 else 1.0
    box = frame(WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM)
    bar_w = (WIDTH - LEFT - RIGHT) / n
    cut = round(LEFT + rank * bar_w, 2)
    return {
        "bars": [{**bar, "kept": i < rank} for i, bar in enumerate(bars(s, top, box))],
        "cut": cut,
        "max": top,
        "n": n,
        "x_ticks": [{"at": round(LEFT + (i - 0.5) * bar_w, 2), "label": str(i)} for i in (1, n // 2, n)],
        **box,
        # where the labels sit: "r = ..." right of the cut, the y labels left of the axis, the x ones below
        "cut_label": {"x": round(cut + 3, 2), "y": TOP + 9, "text": f"r = {rank}"},
        "y_text_x": LEFT - 4,
        "max_label": {"y": TOP + 8, "text": fixed(top, 2)},
        "x_text_y": HEIGHT - BOTTOM + 13,
        "title": {"x": (LEFT + WIDTH - RIGHT) / 2, "y": HEIGHT - 2},
    }


def compute(params: dict) -> dict:
    p = read_params(params)
    name = f"layers.{p['layer']}.{p['matrix']}"
    w = tiny().weights[name].astype(np.float64)  # [d_in, d_out]
    d_in, d_out = w.shape
    notes = []
    rank = min(p["rank"], d_in, d_out)
    if rank < p["rank"]:
        notes.append(
            f"This matrix is {d_in} × {d_out}, so its rank is at most {min(d_in, d_out)}: rank "
            f"{p['rank']} is used as {rank}."
        )
    s = singular_values(name)
    error = low_rank_error(s, rank)  # the same numbers low_rank_approximation(w, rank) reports
    counts = lora_parameter_count(d_in, d_out, rank)
    rms = float(np.sqrt(np.mean(w**2)))
    s_rand = random_spectrum((d_in, d_out), rms)
    random_kept = float(np.sum(s_rand[:rank] ** 2) / np.sum(s_rand**2))
    energy = np.cumsum(s**2) / np.sum(s**2)
    rank_for_90 = int(np.searchsorted(energy, 0.9) + 1)  # smallest rank keeping 90% of sum s^2
    random_relative = float(np.sqrt(max(1.0 - random_kept, 0.0)))
    return {
        "aria_label": (
            f"Singular values of {name}, largest {fixed(float(s[0]), 3)}, smallest {fixed(float(s[-1]), 4)}; "
            f"the first {rank} are kept"
        ),
        "stats": [
            ["Relative error ‖W − AB‖ / ‖W‖", percent(error["relative"])],
            ["Share of Σs² kept", f"{percent(error['energy'])} (90% needs rank {rank_for_90})"],
            ["A random matrix, same shape, same rank", f"{percent(random_relative)} error"],
            [
                "Numbers in A and B, r (d_in + d_out)",
                f"{integer(counts['lora'])} vs {integer(counts['full'])} in W ({100 * counts['fraction']:.1f}%)",
            ],
        ],  # up to 200%: not a share
        "name": name,
        "shape": [d_in, d_out],
        "rank": rank,
        "max_rank": min(d_in, d_out),
        "relative": error["relative"],
        "energy": error["energy"],
        "random_relative": random_relative,
        "random_energy": random_kept,
        "rank_for_90": rank_for_90,
        "s_first": float(s[0]),
        "s_last": float(s[-1]),
        "full": counts["full"],
        "lora": counts["lora"],
        "fraction": counts["fraction"],
        "spectrum": spectrum(s, rank),
        "params": p,
        "note": " ".join(notes) or None,
    }
