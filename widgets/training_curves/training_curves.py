"""Training curves: the tiny model's real training and validation loss, step by step, from its training run.

Nothing is simulated. The training script wrote `curves.json` as it ran: the training loss (the mean
cross-entropy of the last 20 batches, each 16 windows of 256 tokens), the validation loss (the mean
cross-entropy on 128 fixed windows of held-out addresses, measured now and then) and the steps at which
it saved a checkpoint. This widget reads that file, places every point in the plot box (log or linear
step axis) and reads off the logged values nearest to the reader's step. The one reference line, a
uniform guess over the vocabulary, is ln n_vocab with n_vocab from the model's config.json.
"""

import functools
import json
import math

from llm_core.controls import as_choice, as_int
from llm_core.loss import perplexity
from llm_core.model import n_params
from llm_core.model_files import read_model_file
from llm_core.scaling import training_flops
from widgetlib.fmt import fixed, integer, minus, signed
from widgetlib.model import tiny_config
from widgetlib.plot import frame

MODEL = "models/tiny"
AXES = ("log", "linear")
LOG_FIRST_STEP = 10  # the log axis starts here: step 0 (the untrained model) has no logarithm
# Plot box in SVG user units (the SVG scales to its container; the view only places these numbers).
WIDTH, HEIGHT = 480, 300
SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
LEFT, RIGHT, TOP, BOTTOM = 40, 24, 12, 42

DEFAULTS = {"step": 333, "axis": "log"}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"step": 0, "axis": "linear"},
    {"step": 4160, "axis": "linear"},
    {"step": "1456", "axis": "log"},
]
DATA = ["models/tiny/curves.json", "models/tiny/config.json"]
CODE = [
    "llm_core.model_files.read_model_file",
    "llm_core.loss.perplexity",
    "llm_core.model.n_params",
    "llm_core.scaling.training_flops",
]


@functools.cache
def curves() -> dict:
    """curves.json as the training script wrote it: train, val ({step, tokens, loss}) and checkpoints."""
    return json.loads(read_model_file(MODEL, "curves.json"))


def n_vocab() -> int:
    return tiny_config().n_vocab


def last_step() -> int:
    c = curves()
    return max(c["train"]["step"][-1], c["val"]["step"][-1])


def read_params(params: dict) -> dict:
    """DEFAULTS overridden by params, validated and clamped."""
    p = {**DEFAULTS, **params}
    return {"step": as_int("step", p["step"], 0, last_step()), "axis": as_choice("axis", p["axis"], AXES)}


def y_range() -> tuple:
    """Whole nats below and above every loss in the file and the reference line."""
    c = curves()
    losses = c["train"]["loss"] + c["val"]["loss"] + [math.log(n_vocab())]
    return math.floor(min(losses)), math.ceil(max(losses))


def x_of(step: float, axis: str) -> float:
    """A training step -> x in SVG units, on a log or linear axis."""
    span = WIDTH - LEFT - RIGHT
    if axis == "linear":
        return LEFT + step / last_step() * span
    lo, hi = math.log10(LOG_FIRST_STEP), math.log10(last_step())
    return LEFT + (math.log10(max(step, LOG_FIRST_STEP)) - lo) / (hi - lo) * span


def y_of(loss: float) -> float:
    lo, hi = y_range()
    return TOP + (hi - loss) / (hi - lo) * (HEIGHT - TOP - BOTTOM)


def point(step: float, loss: float, axis: str) -> list:
    return [round(x_of(step, axis), 2), round(y_of(loss), 2)]


def line(curve: dict, axis: str) -> list:  # -> [n_points] of [x, y]
    """A logged curve in SVG units; on the log axis, points before LOG_FIRST_STEP are left out."""
    return [
        point(s, loss, axis) for s, loss in zip(curve["step"], curve["loss"]) if axis == "linear" or s >= LOG_FIRST_STEP
    ]


def points(line_xy: list) -> str:
    """[[x, y], ...] as an SVG polyline's points: "x,y x,y ..." with two decimals."""
    return " ".join(f"{x:.2f},{y:.2f}" for x, y in line_xy)


def svg_number(x: float) -> str:
    """A coordinate (already rounded to 2 decimals) as an attribute spells it: 40, 12.5."""
    return f"{x:.2f}".rstrip("0").rstrip(".")


def axes(axis: str) -> dict:
    """Tick positions and labels: steps along the bottom, nats up the side, and where each label sits."""
    bottom = HEIGHT - BOTTOM
    if axis == "linear":
        steps = range(0, last_step() + 1, 1000)
        x_ticks = [{"at": round(x_of(s, axis), 2), "label": f"{s:,}", "major": True} for s in steps]
    else:
        steps = [m * 10**e for e in range(1, 4) for m in (1, 2, 5)] + [10_000]
        x_ticks = [
            {"at": round(x_of(s, axis), 2), "label": f"{s:,}" if str(s)[0] == "1" else "", "major": str(s)[0] == "1"}
            for s in steps
            if s <= last_step()
        ]
        x_ticks.append({"at": round(x_of(last_step(), axis), 2), "label": f"{last_step():,}", "major": True})
    for t in x_ticks:
        t["end"] = bottom + (5 if t["major"] else 3)  # a major tick mark is longer
    lo, hi = y_range()
    y_ticks = [{"at": round(y_of(n), 2), "text_y": round(y_of(n) + 4, 2), "label": str(n)} for n in range(lo, hi + 1)]
    return {
        "x": x_ticks,
        "y": y_ticks,
        **frame(WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM),
        "y_text_x": LEFT - 6,
        "x_text_y": bottom + 17,  # where the tick labels sit
        "x_title": {"x": (LEFT + WIDTH - RIGHT) / 2, "y": HEIGHT - 4},
        "y_title": {"x": LEFT + 4, "y": TOP + 10},
        "x_label": "training step" + (" (log scale)" if axis == "log" else ""),
    }


def nearest(curve: dict, step: int) -> int:
    """The index of the logged point closest to step (the earlier one on a tie)."""
    return min(range(len(curve["step"])), key=lambda i: (abs(curve["step"][i] - step), curve["step"][i]))


def reading(curve: dict, step: int, axis: str) -> dict:
    i = nearest(curve, step)
    s, loss = curve["step"][i], curve["loss"][i]
    visible = axis == "linear" or s >= LOG_FIRST_STEP
    return {
        "step": s,
        "tokens": curve["tokens"][i],
        "loss": loss,
        "perplexity": perplexity(loss),
        "at": point(s, loss, axis) if visible else None,
    }


def sci(x: float) -> str:
    """1.74e14 -> "1.7 × 10¹⁴" (for the readout; 0 stays "0")."""
    if x == 0:
        return "0"
    exponent = math.floor(math.log10(x))
    return f"{x / 10**exponent:.1f} × 10{str(exponent).translate(SUPERSCRIPTS)}"


def readout(step: int, tokens: int, train: dict, val: dict, params_count: int, flops: float) -> list:
    """The sentence above the plot, as parts (the numbers in bold are marked strong)."""
    return [
        {"text": "Step "},
        {"text": integer(step), "strong": True},
        {"text": f" ({integer(tokens)} training tokens seen). Training loss "},
        {"text": fixed(train["loss"], 3), "strong": True},
        {
            "text": f" nats, perplexity {fixed(train['perplexity'], 1)} (logged at step {integer(train['step'])}); "
            "validation loss "
        },
        {"text": fixed(val["loss"], 3), "strong": True},
        {
            "text": f" nats, perplexity {fixed(val['perplexity'], 1)} (measured at step {integer(val['step'])}). "
            f"Validation minus training: {signed(val['loss'] - train['loss'], 3)} nats. So far: "
            f"{fixed(tokens / params_count, 2)} training tokens per parameter ({integer(params_count)} "
            f"parameters), about {sci(flops)} floating-point operations (6 × parameters × tokens)."
        },
    ]


def table_rows(first: dict, checkpoints: list) -> list:
    """The checkpoint table: the untrained model, then every checkpoint, each cell as text."""

    def one_decimal(x):
        return minus(f"{x:,.1f}")

    rows = [
        {
            "cells": [
                integer(first["step"]),
                "0",
                fixed(first["loss"], 3),
                one_decimal(first["perplexity"]),
                "untrained",
            ],
            "selected": False,
        }
    ]
    rows += [
        {
            "cells": [
                integer(k["step"]),
                integer(k["tokens"]),
                fixed(k["val_loss"], 3),
                one_decimal(k["perplexity"]),
                k["format"],
            ],
            "selected": k["selected"],
        }
        for k in checkpoints
    ]
    return rows


def compute(params: dict) -> dict:
    p = read_params(params)
    c, axis, step = curves(), p["axis"], p["step"]
    uniform = math.log(n_vocab())
    train, val = reading(c["train"], step, axis), reading(c["val"], step, axis)
    tokens_per_step = c["train"]["tokens"][0] // c["train"]["step"][0]
    params_count = n_params(tiny_config())
    checkpoints = []
    for k in c["checkpoints"]:
        x, y = point(k["step"], k["val_loss"], axis)
        checkpoints.append(
            {
                "step": k["step"],
                "tokens": k["tokens"],
                "file": k["file"],
                "format": k["format"],
                "val_loss": k["val_loss"],
                "perplexity": perplexity(k["val_loss"]),
                "at": [x, y],
                # the diamond: an 8-unit square centred on the point, turned 45 degrees about it
                "corner": [f"{x - 4:.2f}", f"{y - 4:.2f}"],
                "rotate": f"rotate(45 {svg_number(x)} {svg_number(y)})",
                "title": f"checkpoint at step {integer(k['step'])}: validation loss {fixed(k['val_loss'], 3)}",
                "selected": k["step"] == val["step"],
            }
        )
    first = {"step": c["val"]["step"][0], "loss": c["val"]["loss"][0], "perplexity": perplexity(c["val"]["loss"][0])}
    last = {"step": last_step(), "train": c["train"]["loss"][-1], "val": c["val"]["loss"][-1]}
    train_line, val_line = line(c["train"], axis), line(c["val"], axis)
    ref_y = round(y_of(uniform), 2)
    flops = training_flops(params_count, step * tokens_per_step)
    return {
        "params": p,
        "axes": axes(axis),
        "aria_label": (
            f"Loss against training step: the validation loss falls from {fixed(first['loss'], 2)} nats "
            f"at initialisation to {fixed(last['val'], 2)} at step {integer(last['step'])}, the training "
            f"loss to {fixed(last['train'], 2)}; the cursor is at step {integer(step)}"
        ),
        "readout": readout(step, step * tokens_per_step, train, val, params_count, flops),
        "train_line": train_line,
        "val_line": val_line,
        "train_points": points(train_line),
        "val_points": points(val_line),
        "checkpoints": checkpoints,
        "table": table_rows(first, checkpoints),
        "reference": {
            "loss": uniform,
            "perplexity": n_vocab(),
            "y": ref_y,
            "label_x": WIDTH - RIGHT - 2,
            "label_y": round(ref_y - 4, 2),
            "label": f"uniform guess: ln {n_vocab():,} = {uniform:.2f}",
        },
        "cursor": round(x_of(step, axis), 2),
        "step": step,
        "tokens": step * tokens_per_step,
        "tokens_per_step": tokens_per_step,
        "n_params": params_count,
        "tokens_per_param": step * tokens_per_step / params_count,
        "flops": flops,
        "flops_text": sci(flops),
        "train": train,
        "val": val,
        "gap": val["loss"] - train["loss"],
        "first": first,
        "last": last,
        "n_train_points": len(c["train"]["step"]),
        "n_val_points": len(c["val"]["step"]),
        "note": (
            f"Step {step} is left of the log axis, which starts at step {LOG_FIRST_STEP}: switch to the "
            "linear axis to see it."
            if axis == "log" and step < LOG_FIRST_STEP
            else None
        ),
    }
