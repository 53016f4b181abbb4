"""Mixed precision: one small model trained five ways, in fp32, bf16 and fp16, side by side.

The model is llm_core.mixed_precision's character bigram model (logits = W[previous character]) on George
Washington's 1790 message, trained with Adam from the same random start five times: fp32 throughout; bf16
weights with no fp32 copy; bf16 compute with fp32 master weights; fp16 compute with fp32 master weights,
without and with loss scaling. The loss is a mean over a batch of the text read many times (a real run's
batch holds millions of tokens), so each token's share of the gradient is tiny. The figure draws the five
loss curves and counts what each setup lost: updates rounded away, backward values that underflowed to 0,
steps skipped on an overflow. Under it, the reader's own number in the three formats, bit by bit.
"""

import functools
import math

import numpy as np

from llm_core.controls import as_bool, as_choice, as_int, as_number
from llm_core.mixed_precision import (
    FORMATS,
    SETUPS,
    MixedPrecisionConfig,
    bigram_counts,
    float_bits,
    half_spacing,
    train_mixed_precision,
)
from llm_core.model_files import read_model_file
from widgetlib.fmt import count, fixed, integer, percent, sci, svg_points
from widgetlib.plot import frame

TEXT_FILE = "washington-1790.txt"
LABELS = {
    "fp32": "fp32 throughout",
    "bf16": "bf16 weights, no fp32 copy",
    "bf16_master": "bf16 compute, fp32 master weights",
    "fp16_master": "fp16 compute, fp32 master, no loss scaling",
    "fp16_scaled": "fp16 compute, fp32 master, loss scaling",
}
SHORT = {  # the table's row names
    "fp32": "fp32",
    "bf16": "bf16 only",
    "bf16_master": "bf16 + fp32 master",
    "fp16_master": "fp16 + master, unscaled",
    "fp16_scaled": "fp16 + master, scaled",
}
ABOUT = {
    "fp32": "Every weight, activation and gradient in 32-bit floats: the reference the others should match.",
    "bf16": (
        "The weights are stored and updated in bf16 only. An update smaller than half the gap between bf16 "
        "numbers around a weight rounds straight back to the old weight, and is lost."
    ),
    "bf16_master": (
        "The forward and backward passes read a bf16 copy of the weights and write bf16 gradients; Adam updates "
        "an fp32 master copy, which keeps every small update."
    ),
    "fp16_master": (
        "As the bf16 setup with master weights, but in fp16: 3 more mantissa bits, 3 fewer exponent bits. "
        "Each token's share of the gradient is smaller than fp16's smallest number, and becomes 0."
    ),
    "fp16_scaled": (
        "fp16 again, with the loss multiplied by the loss scale before the backward pass and the gradients "
        "divided by it in fp32. An overflow (inf) skips the step and halves the scale; dynamic scaling doubles "
        "it after 20 good steps."
    ),
}
SEED = 0  # the random start, W ~ N(0, 1), the same for all five
MAX_STEPS = 300
WIDTH, HEIGHT = 480, 260
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 24, 40

DEFAULTS = {
    "setup": "bf16",
    "lr_exp": -2.5,
    "scale_exp": 16,
    "dynamic": True,
    "batch_exp": 7,
    "steps": 200,
    "number": "1.001",
}
EXAMPLES = [
    {"setup": "fp16_scaled", "scale_exp": 24, "steps": 60},
    {"setup": "fp16_master", "lr_exp": -1.5, "batch_exp": 0, "steps": 40, "number": "1e-8"},
    {"setup": "bf16_master", "lr_exp": "-3.5", "dynamic": False, "scale_exp": 0, "steps": 30, "number": "not a number"},
]
DATA = [f"texts/{TEXT_FILE}"]
CODE = [
    "llm_core.mixed_precision.train_mixed_precision",
    "llm_core.mixed_precision.bigram_backward",
    "llm_core.mixed_precision.lost_updates",
    "llm_core.mixed_precision.update_loss_scale",
    "llm_core.mixed_precision.float_bits",
    "llm_core.quantization.to_bf16",
]


@functools.cache
def corpus():  # -> counts [n_vocab, n_vocab], n_vocab, n_text tokens
    text = read_model_file("texts", TEXT_FILE).decode("utf-8")
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    counts = bigram_counts([index[c] for c in text], len(chars))
    return counts, len(chars), int(counts.sum())


def read_params(params: dict) -> dict:
    p = {**DEFAULTS, **params}
    number = p["number"]
    if not isinstance(number, str):
        raise ValueError(f"number must be text, got {type(number).__name__}")
    return {
        "setup": as_choice("setup", p["setup"], list(SETUPS)),
        "lr_exp": as_number("lr_exp", p["lr_exp"], -4.0, -1.0),
        "scale_exp": as_int("scale_exp", p["scale_exp"], 0, 32),
        "dynamic": as_bool("dynamic", p["dynamic"]),
        "batch_exp": as_int("batch_exp", p["batch_exp"], 0, 10),
        "steps": as_int("steps", p["steps"], 10, MAX_STEPS),
        "number": number[:40],
    }


def typed_number(text: str):  # -> (float, note or None)
    """The reader's number (a true minus sign and thousands commas allowed); anything else falls back."""
    fallback = float(DEFAULTS["number"])
    cleaned = text.strip().replace("\u2212", "-").replace(",", "")
    try:
        x = float(cleaned)
    except ValueError:
        return fallback, f"“{text[:20]}” is not a number: showing {DEFAULTS['number']}. Type one, like 0.1 or 1e-8."
    if not math.isfinite(x) or abs(x) > 1e38:
        return (
            fallback,
            f"Type a number between −1e38 and 1e38 (float32 ends near 3.4e38): showing {DEFAULTS['number']}.",
        )
    return x, None


SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def two_to(k: int) -> str:
    """2 to the power k, as the figure writes it: 2¹⁶."""
    return "2" + str(k).translate(SUPERSCRIPTS)


def value_text(v: float) -> str:
    if math.isinf(v):
        return "∞ (overflow)" if v > 0 else "−∞ (overflow)"
    return f"{v:.9g}".replace("-", "−")


def bits_rows(x: float) -> list:
    rows = []
    for fmt in ("fp32", "bf16", "fp16"):
        b = float_bits(x, fmt)
        rows.append(
            {
                "format": fmt,
                "sign": b["sign"],
                "exponent": b["exponent"],
                "mantissa": b["mantissa"],
                "value": value_text(b["value"]),
                "error": "—" if b["error"] is None else sci(b["error"], 2) if b["error"] else "0 (exact)",
            }
        )
    return rows


@functools.lru_cache(maxsize=4)  # the latest few settings: a slider moved back costs nothing
def runs(lr: float, scale: float, dynamic: bool, repeats: int, steps: int):  # -> {setup: result}
    counts, n_vocab, _ = corpus()
    w0 = np.random.default_rng(SEED).normal(0.0, 1.0, (n_vocab, n_vocab)).astype(np.float32)
    out = {}
    for setup in SETUPS:
        config = MixedPrecisionConfig(
            setup=setup, lr=lr, steps=steps, repeats=repeats, loss_scale=scale, dynamic=dynamic, growth_interval=20
        )
        out[setup] = train_mixed_precision(counts, config, w0)
    return out


def axes(steps: int, lo: float, hi: float) -> dict:
    box = frame(WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM)
    every = 50 if steps > 100 else 10
    x = [{"at": round(x_of(s, steps), 2), "label": str(s)} for s in range(0, steps + 1, every)]
    y = []
    for k in range(int(round(lo * 4)), int(round(hi * 4)) + 1):
        at = round(y_of(k / 4, lo, hi), 2)
        y.append({"at": at, "text_y": round(at + 4, 2), "label": fixed(k / 4, 2) if k % 2 == 0 else ""})
    return {
        **box,
        "x": x,
        "y": y,
        "x_text_y": box["bottom"] + 16,
        "y_text_x": LEFT - 5,
        "x_title": {"x": (LEFT + WIDTH - RIGHT) / 2, "y": HEIGHT - 4},
        "y_title": {"x": 4, "y": 12},  # above the plot, clear of the top tick
    }


def x_of(step: float, steps: int) -> float:
    return LEFT + step / steps * (WIDTH - LEFT - RIGHT)


def y_of(loss: float, lo: float, hi: float) -> float:
    return TOP + (hi - loss) / (hi - lo) * (HEIGHT - TOP - BOTTOM)


def compute(params: dict) -> dict:
    p = read_params(params)
    counts, n_vocab, n_text = corpus()
    lr, scale, repeats, steps = 10.0 ** p["lr_exp"], 2.0 ** p["scale_exp"], 2 ** p["batch_exp"], p["steps"]
    results = runs(lr, scale, p["dynamic"], repeats, steps)
    n_tokens = repeats * n_text
    values_per_step = n_tokens * n_vocab  # backward values: one per token per vocabulary entry
    losses = [loss for r in results.values() for loss in r["loss"] + [r["final_loss"]]]
    lo, hi = math.floor(min(losses) * 4) / 4, math.ceil(max(losses) * 4) / 4
    lines, table = [], []
    for setup, r in results.items():
        curve = r["loss"] + [r["final_loss"]]  # the loss before each step, and after the last
        points = [(x_of(i, steps), y_of(loss, lo, hi)) for i, loss in enumerate(curve)]
        weights_fmt, compute_fmt, scaled = SETUPS[setup]
        lost_share = r["updates_lost"] / (n_vocab * n_vocab * steps)
        underflow_share = r["grads_underflowed"] / (values_per_step * steps)
        first_skips = r["skipped"].index(False) if False in r["skipped"] else steps  # overflows before a step
        after = two_to(int(math.log2(r["scale"][min(first_skips, steps - 1)])))
        lines.append(
            {"setup": setup, "label": LABELS[setup], "points": svg_points(points), "selected": setup == p["setup"]}
        )
        table.append(
            {
                "setup": setup,
                "label": LABELS[setup],
                "short": SHORT[setup],
                "selected": setup == p["setup"],
                "final_loss": r["final_loss"],
                "updates_lost": r["updates_lost"],
                "lost_share": lost_share,
                "grads_underflowed": r["grads_underflowed"],
                "underflow_share": underflow_share,
                "steps_skipped": r["steps_skipped"],
                "final_scale": r["final_scale"] if scaled else None,
                "first_skips": first_skips,
                "scale_after_first_skips": after,
                "cells": [
                    fixed(r["final_loss"], 3),
                    percent(lost_share) if weights_fmt != "fp32" else "—",
                    percent(underflow_share) if compute_fmt == "fp16" else "—",
                    integer(r["steps_skipped"]) if scaled else "—",
                    two_to(int(math.log2(r["final_scale"]))) if scaled else "—",
                ],
            }
        )
    chosen = results[p["setup"]]
    chosen_row = next(row for row in table if row["setup"] == p["setup"])
    story = ""
    if SETUPS[p["setup"]][2]:
        first, skipped = chosen_row["first_skips"], chosen["steps_skipped"]
        if first == steps:
            start = "every step overflowed and was skipped"
        elif first and p["dynamic"]:
            start = f"the first {first} steps overflowed and were skipped, halving it to {chosen_row['scale_after_first_skips']}"
        elif first:
            start = f"the first {first} steps overflowed and were skipped"
        else:
            start = "no overflow at first"
        story = (
            f" Loss scale: {two_to(p['scale_exp'])} at the start, {'adjusted' if p['dynamic'] else 'fixed'}; {start}; "
            f"{integer(skipped)} {'step' if skipped == 1 else 'steps'} skipped in all; "
            f"{two_to(int(math.log2(chosen['final_scale'])))} at the end."
        )
    number, note = typed_number(p["number"])
    bf16_gap_at_1 = float(half_spacing(np.float32(1.0), "bf16"))
    # without a scale, a token's value p / n_tokens underflows (rounds to 0) when it is below half of
    # fp16's smallest subnormal: for every probability p below n_tokens * 2^-25
    underflow_p = n_tokens * FORMATS["fp16"].min_subnormal / 2
    fp32_final = results["fp32"]["final_loss"]
    return {
        "params": p,
        "shown": {
            "lr_exp": f"{lr:.2g}",
            "scale_exp": f"{two_to(p['scale_exp'])} = {integer(2 ** p['scale_exp'])}",
            "batch_exp": f"{count(n_tokens)} tokens",
            "steps": str(steps),
        },
        "lr": lr,
        "n_vocab": n_vocab,
        "n_tokens": n_tokens,
        "axes": axes(steps, lo, hi),
        "lines": lines,
        "table": table,
        "about": ABOUT[p["setup"]],
        "summary": (
            f"{LABELS[p['setup']]}: loss {fixed(chosen['loss'][0], 3)} → {fixed(chosen['final_loss'], 3)} "
            f"after {steps} steps (fp32: {fixed(fp32_final, 3)})." + story
        ),
        "facts": [
            (
                f"bf16 near a weight of 1.0: numbers {two_to(-7)} apart, so an update up to {bf16_gap_at_1:g} "
                f"({two_to(-8)}) is rounded away. Adam moves each weight by about the learning rate, {lr:.2g}."
            ),
            (
                f"The loss is a mean over {integer(n_tokens)} tokens ({n_vocab} characters, {integer(n_text)} "
                f"per reading of the text): each token's share of a gradient is p / {integer(n_tokens)}, which "
                f"fp16 rounds to 0 for every probability p below {fixed(underflow_p, 4) if underflow_p < 1 else '1'} "
                "without a loss scale."
            ),
        ],
        "aria_label": (
            f"Loss against training step for five setups over {steps} steps; after the last step, "
            + "; ".join(f"{LABELS[s]} {fixed(r['final_loss'], 3)}" for s, r in results.items())
        ),
        "bits": {
            "typed": value_text(number),
            "rows": bits_rows(number),
            "note": note,
            "caption": f"Your number, {value_text(number)}, in the three formats (sign, exponent and mantissa bits: "
            + ", ".join(f"{fmt} 1 + {f.exponent_bits} + {f.mantissa_bits}" for fmt, f in FORMATS.items())
            + ")",
        },
    }
