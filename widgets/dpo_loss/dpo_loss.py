"""DPO loss: the preference loss of one pair (chosen vs rejected answer) from four log-probabilities.

`llm_core.preference.dpo_loss` turns log pi_theta(chosen), log pi_theta(rejected), log pi_ref(chosen) and
log pi_ref(rejected) into the implicit rewards beta * log(pi_theta / pi_ref), their margin, the loss
-log sigmoid(margin) and the weight sigmoid(-margin) the gradient gives the pair. The reader sets the four
numbers with sliders, or has the tiny model compute them (`sequence_logprob`) for a prompt and two
continuations; then the same model is policy and reference, as at the first step of DPO training.
"""

import functools
import math

from llm_core.controls import as_choice, as_number, as_text
from widgetlib.prompt import prompt_ids
from llm_core.preference import dpo_loss, log_sigmoid, sequence_logprob
from llm_core.tokenizer import render_token
from widgetlib.fmt import fixed, minus, percent, signed
from widgetlib.model import TINY_FILES, tiny
from widgetlib.plot import frame

MODES = ("model", "sliders")  # the menu lists "model" first, so the default (sliders) is its last option
LOGP_MIN = -60.0  # the log-probability sliders' low end (nats); 0 is certainty
BETA_MIN, BETA_MAX = 0.01, 1.0
MAX_TEXT_CHARS = 500
MAX_CONTINUATION_TOKENS = 64
MARGIN_RANGE = 6.0  # the curve's x axis runs from -6 to +6 (margin in nats)
N_POINTS = 121
# Plot box in SVG user units (the SVG scales to its container; the view only places these numbers).
WIDTH, HEIGHT = 360, 210
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 12, 38
Y_MAX = 6.0  # loss at the top of the plot: -log sigmoid(-6) = 6.0025
N_COLOURS = 5  # answer chips cycle through the site's five token colours (tokens.css)
# Model mode runs the float32 model: the browser test compares floats to this relative tolerance.
REL_TOL = 1e-3

DEFAULTS = {
    "mode": "sliders",
    "policy_chosen": -12.0,
    "policy_rejected": -15.0,
    "ref_chosen": -13.0,
    "ref_rejected": -14.0,
    "beta": 0.1,
    "prompt": "I ask the Congress to",
    "chosen": " provide for the common defense.",
    "rejected": " the the the the.",
}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"policy_chosen": -30, "policy_rejected": -5, "beta": 0.5},
    {"mode": "model"},
    {"mode": "model", "prompt": "", "chosen": "", "rejected": " War", "beta": 1},
]
DATA = TINY_FILES
CODE = [
    "llm_core.preference.dpo_loss",
    "llm_core.preference.log_sigmoid",
    "llm_core.preference.sequence_logprob",
]


def read_params(params: dict) -> dict:
    """DEFAULTS overridden by params, validated and clamped."""
    p = {**DEFAULTS, **params}
    out = {"mode": as_choice("mode", p["mode"], MODES), "beta": as_number("beta", p["beta"], BETA_MIN, BETA_MAX)}
    for key in ("policy_chosen", "policy_rejected", "ref_chosen", "ref_rejected"):
        out[key] = as_number(key.replace("_", " "), p[key], LOGP_MIN, 0.0)
    for key in ("prompt", "chosen", "rejected"):
        out[key] = as_text(key, p[key], MAX_TEXT_CHARS)[0]
    return out


def to_svg(margin: float, loss: float) -> list:
    x = LEFT + (margin + MARGIN_RANGE) / (2 * MARGIN_RANGE) * (WIDTH - LEFT - RIGHT)
    y = TOP + (1 - min(loss, Y_MAX) / Y_MAX) * (HEIGHT - TOP - BOTTOM)
    return [round(x, 2), round(y, 2)]


@functools.cache
def curve() -> list:  # -> [N_POINTS] of [x, y]
    """The loss -log sigmoid(m) at N_POINTS margins m from -6 to +6."""
    ms = [-MARGIN_RANGE + 2 * MARGIN_RANGE * i / (N_POINTS - 1) for i in range(N_POINTS)]
    return [to_svg(m, -float(log_sigmoid(m))) for m in ms]


@functools.cache
def curve_points() -> str:
    """The curve as an SVG polyline's points: "x,y x,y ..." with two decimals."""
    return " ".join(f"{x:.2f},{y:.2f}" for x, y in curve())


def axes() -> dict:
    """Ticks with their labels (true minus signs) and where every label sits."""
    x_ticks = [{"at": to_svg(m, 0)[0], "label": minus(f"{m:+g}") if m else "0"} for m in range(-6, 7, 2)]
    y_ticks = [
        {"at": to_svg(0, n)[1], "text_y": round(to_svg(0, n)[1] + 4, 2), "label": str(n)}
        for n in range(0, int(Y_MAX) + 1, 2)
    ]
    return {
        "x": x_ticks,
        "y": y_ticks,
        **frame(WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM),
        "zero": to_svg(0, 0)[0],
        "x_text_y": HEIGHT - BOTTOM + 14,
        "y_text_x": LEFT - 6,
        "x_title": {"x": (LEFT + WIDTH - RIGHT) / 2, "y": HEIGHT - 3},
        "y_title": {"x": LEFT + 40, "y": TOP + 10},
    }


def chips(ids) -> list:
    enc = tiny().encoding
    return [{"id": int(i), "segs": render_token(enc.decode_tokens_bytes([i])[0])} for i in ids]


def model_logprobs(p: dict) -> dict:
    """The tiny model's log-probability of each continuation after the prompt (policy = reference)."""
    model, notes = tiny(), []
    sides = {}
    for key in ("chosen", "rejected"):
        ids = model.encoding.encode(p[key])
        if len(ids) > MAX_CONTINUATION_TOKENS:
            notes.append(f"The {key} answer is {len(ids)} tokens: only its first {MAX_CONTINUATION_TOKENS} are scored.")
            ids = ids[:MAX_CONTINUATION_TOKENS]
        if not ids:
            notes.append(f"The {key} answer is empty: an empty answer is certain, log-probability 0.")
        sides[key] = ids
    context, prompt_notes = prompt_ids(
        model, p["prompt"], max(len(sides["chosen"]), len(sides["rejected"]), 1), MAX_TEXT_CHARS
    )
    notes = prompt_notes + notes
    out = {"prompt_tokens": chips(context[-16:]), "n_prompt_tokens": len(context), "notes": notes}
    for key, ids in sides.items():
        total, per_token = sequence_logprob(model, context, ids)
        out[key] = {
            "logp": total,
            "logp_text": fixed(total, 3),
            "tokens": [
                {**c, "logp": float(lp), "logp_text": fixed(float(lp), 2), "colour": i % N_COLOURS}
                for i, (c, lp) in enumerate(zip(chips(ids), per_token))
            ],
        }
    return out


def compute(params: dict) -> dict:
    p = read_params(params)
    text = None
    if p["mode"] == "model":
        text = model_logprobs(p)
        # One model plays both parts: pi_theta = pi_ref, so each log-ratio, and each reward, is exactly 0.
        logp = {
            "policy_chosen": text["chosen"]["logp"],
            "ref_chosen": text["chosen"]["logp"],
            "policy_rejected": text["rejected"]["logp"],
            "ref_rejected": text["rejected"]["logp"],
        }
    else:
        logp = {k: p[k] for k in ("policy_chosen", "policy_rejected", "ref_chosen", "ref_rejected")}
    out = dpo_loss(
        logp["policy_chosen"], logp["policy_rejected"], logp["ref_chosen"], logp["ref_rejected"], beta=p["beta"]
    )
    margin, loss = float(out["margin"]), out["loss"]
    reward_c, reward_r, weight = float(out["reward_chosen"]), float(out["reward_rejected"]), float(out["grad_weight"])
    off_chart = abs(margin) > MARGIN_RANGE
    return {
        "params": p,
        "readouts": {
            **{k: fixed(p[k], 1) for k in ("policy_chosen", "policy_rejected", "ref_chosen", "ref_rejected")},
            "beta": fixed(p["beta"], 2),
        },
        # The table: per answer, log pi_theta, log pi_ref, the log-ratio and the implicit reward.
        "rows": [
            {
                "name": name,
                "cells": [
                    fixed(logp[f"policy_{name}"], 2),
                    fixed(logp[f"ref_{name}"], 2),
                    signed(logp[f"policy_{name}"] - logp[f"ref_{name}"], 2),
                    signed(reward, 3),
                ],
            }
            for name, reward in (("chosen", reward_c), ("rejected", reward_r))
        ],
        "margin_text": signed(margin, 3),
        "loss_text": fixed(loss, 3),
        "p_chosen_text": percent(float(math.exp(-loss))),
        "grad_weight_text": fixed(weight, 3),
        "grad_step_text": fixed(p["beta"] * weight, 4),
        "aria_label": (
            "The DPO loss −log σ(margin) against the margin, falling from 6 at margin −6 to near 0 at +6, "
            f"with a dot at margin {signed(margin, 3)}, loss {fixed(loss, 3)}"
            + (" (beyond the chart, drawn at its edge)" if off_chart else "")
        ),
        "off_chart_note": (
            f"The margin {signed(margin, 3)} is beyond the chart (−6 to +6): the dot sits at its edge."
            if off_chart
            else None
        ),
        "logp": logp,
        "log_ratio_chosen": logp["policy_chosen"] - logp["ref_chosen"],
        "log_ratio_rejected": logp["policy_rejected"] - logp["ref_rejected"],
        "reward_chosen": reward_c,
        "reward_rejected": reward_r,
        "margin": margin,
        "loss": loss,
        "p_chosen": float(math.exp(-loss)),  # sigmoid(margin): the implicit reward model's P(chosen > rejected)
        "grad_weight": weight,
        "grad_step": p["beta"] * weight,  # |d loss / d log pi_theta| for either answer
        "curve": curve(),
        "curve_points": curve_points(),
        "marker": to_svg(max(-MARGIN_RANGE, min(MARGIN_RANGE, margin)), loss),
        "off_chart": off_chart,
        "axes": axes(),
        "text": text,
        "note": " ".join(text["notes"]) if text and text["notes"] else None,
    }
