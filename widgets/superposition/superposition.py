"""Superposition: the toy model of Elhage et al. 2022 trained live, its features drawn as arrows in 2-D.

n features, each present with probability 1 - S, are squeezed into m = 2 dimensions by W [2, n] and read back
with ReLU(W^T W x + b) (llm_core.superposition). Training takes a fraction of a second (400 Adam steps on
batches of 256), so every move of a slider trains a fresh model from the same seed. The view draws each
feature's column W_i as an arrow from the centre (the circle is length 1) and lists each feature's norm
||W_i|| and superposition (how much the other features share its direction), as the paper measures them.
"""

import math

import numpy as np

from llm_core.controls import as_int, as_number
from llm_core.superposition import (
    ToyConfig,
    dimensions_per_feature,
    feature_norms,
    importances,
    superposition,
    train_toy_model,
)
from widgetlib.fmt import css_percent, fixed, integer, percent

D_HIDDEN = 2  # m: drawn as a plane
MIN_FEATURES, MAX_FEATURES = 3, 12
STEPS, BATCH, LEARNING_RATE = 400, 256, 0.03  # small enough to train in the page as a slider moves
REPRESENTED = 0.5  # a feature whose direction is at least this long counts as represented
ALONE = 0.1  # ... and as having a direction of its own when its superposition is below this
NORM_TOP, SUP_TOP = 1.5, 3.0  # the bars' full widths
# Float64 training summed in another order in Pyodide: the browser test compares floats to this.
REL_TOL = 1e-6
# The plane, in SVG user units (the view only places these numbers): the circle is length 1.
SIZE, RADIUS, LABEL_GAP = 280, 90, 14

DEFAULTS = {"n_features": 5, "sparsity": 0.9, "importance_decay": 0.9, "seed": 0}
EXAMPLES = [
    {"sparsity": 0},
    {"sparsity": 0.8},
    {"n_features": 12, "sparsity": 0.99, "importance_decay": 1, "seed": 7},
    {"n_features": "3", "sparsity": "0.5", "importance_decay": 0.5},
]
DATA: list[str] = []
CODE = [
    "llm_core.superposition.ToyConfig",
    "llm_core.superposition.sample_features",
    "llm_core.superposition.loss_and_grads",
    "llm_core.superposition.train_toy_model",
    "llm_core.superposition.feature_norms",
    "llm_core.superposition.superposition",
    "llm_core.superposition.dimensions_per_feature",
]


def read_params(params: dict) -> dict:
    """DEFAULTS overridden by params, validated and clamped."""
    p = {**DEFAULTS, **params}
    return {
        "n_features": as_int("n_features", p["n_features"], MIN_FEATURES, MAX_FEATURES),
        "sparsity": as_number("sparsity", p["sparsity"], 0.0, 0.99),
        "importance_decay": as_number("importance_decay", p["importance_decay"], 0.5, 1.0),
        "seed": as_int("seed", p["seed"], 0, 2**32 - 1),
    }


def point(x: float, y: float, scale: float) -> list:
    """A point of the plane -> SVG units (origin at the centre, y up)."""
    c = SIZE / 2
    return [round(c + x * scale, 2), round(c - y * scale, 2)]


def status(norm: float, sup: float) -> str:
    if norm < REPRESENTED:
        return "dropped"
    return "own direction" if sup < ALONE else "shares"


def arrows(w, norms, sups) -> list:
    """Each feature's arrow: its tip, where its number goes (just beyond the tip), and whether it is kept."""
    out = []
    for i in range(w.shape[1]):
        x, y = float(w[0, i]), float(w[1, i])
        length = max(math.hypot(x, y), 1e-9)
        label = [x + x / length * LABEL_GAP / RADIUS, y + y / length * LABEL_GAP / RADIUS]
        tip = point(x, y, RADIUS)
        out.append(
            {
                "i": i,
                "tip": tip,
                "label": point(*label, RADIUS),
                "label_y": round(point(*label, RADIUS)[1] + 4, 2),  # text baseline: 4 units below its centre
                "kept": status(float(norms[i]), float(sups[i])) != "dropped",
            }
        )
    return out


def compute(params: dict) -> dict:
    p = read_params(params)
    cfg = ToyConfig(
        n_features=p["n_features"],
        d_hidden=D_HIDDEN,
        sparsity=p["sparsity"],
        importance_decay=p["importance_decay"],
        batch_size=BATCH,
        steps=STEPS,
        learning_rate=LEARNING_RATE,
    )
    w, _, losses = train_toy_model(cfg, np.random.default_rng(p["seed"]))
    norms, sups = feature_norms(w), superposition(w)
    importance = importances(cfg)
    rows = []
    for i in range(cfg.n_features):
        norm, sup = float(norms[i]), float(sups[i])
        kind = status(norm, sup)
        angle = math.degrees(math.atan2(float(w[1, i]), float(w[0, i])))
        rows.append(
            {
                "i": i,
                "importance_text": fixed(float(importance[i]), 2),
                "norm": norm,
                "norm_text": fixed(norm, 2),
                "norm_bar": css_percent(min(norm / NORM_TOP, 1.0)),
                "superposition": sup,
                "superposition_text": fixed(sup, 2) if kind != "dropped" else "–",
                "superposition_bar": css_percent(min(sup / SUP_TOP, 1.0)) if kind != "dropped" else "0.0%",
                "angle_text": f"{fixed(angle, 0)}°" if kind != "dropped" else "–",
                "status": kind,
            }
        )
    n_kept = sum(r["status"] != "dropped" for r in rows)
    dims = dimensions_per_feature(w)
    final_loss = float(np.mean(losses[-50:]))
    summary = (
        f"{n_kept} of {cfg.n_features} features represented in {D_HIDDEN} dimensions"
        f" (each present {percent(1 - cfg.sparsity, 0)} of the time)."
    )
    return {
        "params": p,
        "sparsity_text": fixed(p["sparsity"], 2),
        "decay_text": fixed(p["importance_decay"], 2),
        "n_kept": n_kept,
        "summary": summary,
        "dims_per_feature": dims,
        "dims_text": fixed(dims, 2),
        "detail": (
            f"Dimensions per feature, m / ‖W‖²: {fixed(dims, 2)} (1.00 when {D_HIDDEN} features of length 1 each"
            f" have a dimension of their own, {fixed(D_HIDDEN / cfg.n_features, 2)} when all {cfg.n_features}"
            " share the plane)."
            f" Loss after {integer(STEPS)} steps: {fixed(final_loss, 4)}."
        ),
        "loss": final_loss,
        "rows": rows,
        "plane": {
            "size": SIZE,
            "centre": SIZE / 2,
            "radius": RADIUS,
            "axis": [SIZE / 2 - RADIUS - 20, SIZE / 2 + RADIUS + 20],
            "arrows": arrows(w, norms, sups),
        },
        "plane_label": (
            f"The {cfg.n_features} features' directions in the 2-D hidden space: {n_kept} have length about 1,"
            f" {cfg.n_features - n_kept} are nearly 0."
        ),
    }
