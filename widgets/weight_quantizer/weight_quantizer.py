"""Weight quantizer: one real weight matrix of the tiny model, stored in fewer bits, and what it costs.

The reader picks a matrix (a layer's wq, wk, wv, wo, w_gate, w_up, w_down, or the embedding table), a
format (fp16, bf16, int8, int4) and, for the integer formats, how many weights share one scale: the whole
tensor, one output channel, or a group of 32/64/128 consecutive weights (`llm_core.quantization`). The
view shows the histogram of the original weights, the histogram of the error w_hat - w, the error's size
(max abs, RMS, relative) and the bytes before and after, scales included.
"""

import numpy as np

from llm_core.controls import as_choice, as_int
from llm_core.quantization import dequantize, quantize_absmax, quantized_bytes, to_bf16, to_fp16
from widgetlib.fmt import fixed, integer, minus, percent, sci
from widgetlib.plot import bars, frame
from widgetlib.model import TINY_FILES, tiny

MATRICES = ["wq", "wk", "wv", "wo", "w_gate", "w_up", "w_down", "tok_emb"]
FORMATS = {"fp16": 16, "bf16": 16, "int8": 8, "int4": 4}  # format -> bits per weight
GRANULARITIES = ["per-tensor", "per-channel", "group-wise"]
GROUP_SIZES = [32, 64, 128]
# Scales counted as fp16, 2 bytes each, as llama.cpp stores them (quantize_absmax keeps them in float32 here;
# rounding a scale to fp16 moves each value by at most 2^-11 of itself, far below the rounding error).
SCALE_BYTES = 2
N_BINS = 41  # odd: one bin is centred on 0
# Histogram boxes in SVG user units (the SVG scales to its container; the view only places these numbers).
WIDTH, HEIGHT = 320, 150
LEFT, RIGHT, TOP, BOTTOM = 44, 10, 10, 30

DEFAULTS = {"layer": 0, "matrix": "wq", "format": "int4", "granularity": "per-tensor", "group_size": 32}
# More param sets, for the browser test that compares the browser's results with CPython's.
EXAMPLES = [
    {"layer": 5, "matrix": "w_down", "format": "int8", "granularity": "per-channel"},
    {"matrix": "tok_emb", "format": "int4", "granularity": "group-wise", "group_size": 64},
    {"layer": 2, "matrix": "wk", "format": "bf16"},
    {"layer": 3, "matrix": "wv", "format": "int4", "granularity": "group-wise", "group_size": 128},
]
DATA = TINY_FILES
CODE = [
    "llm_core.quantization.quantize_absmax",
    "llm_core.quantization.dequantize",
    "llm_core.quantization.quantization_error",
    "llm_core.quantization.quantized_bytes",
    "llm_core.quantization.to_fp16",
    "llm_core.quantization.to_bf16",
]
LABELS = {
    "wq": "query projection",
    "wk": "key projection",
    "wv": "value projection",
    "wo": "attention output",
    "w_gate": "SwiGLU gate",
    "w_up": "SwiGLU up",
    "w_down": "SwiGLU down",
    "tok_emb": "embedding table",
}


def read_params(params: dict) -> dict:
    """DEFAULTS overridden by params, validated and clamped."""
    p = {**DEFAULTS, **params}
    return {
        "layer": as_int("layer", p["layer"], 0, tiny().cfg.n_layer - 1),
        "matrix": as_choice("matrix", p["matrix"], MATRICES),
        "format": as_choice("format", p["format"], list(FORMATS)),
        "granularity": as_choice("granularity", p["granularity"], GRANULARITIES),
        "group_size": group_size(p["group_size"]),
    }


def group_size(value) -> int:
    """The group-size menu's value: 32, 64 or 128 (a select sends "32")."""
    return as_choice("group_size", as_int("group_size", value, 0, 10**6), GROUP_SIZES)


def weight_name(layer: int, matrix: str) -> str:
    return "tok_emb" if matrix == "tok_emb" else f"layers.{layer}.{matrix}"


def histogram(values: np.ndarray, limit: float) -> dict:  # [n] -> counts and SVG bars over [-limit, limit]
    """N_BINS equal bins over [-limit, limit], with bar geometry and axis ticks in SVG units."""
    limit = limit if limit > 0 else 1.0  # an all-zero array: one bar at 0 on a nominal axis
    counts, edges = np.histogram(values, bins=N_BINS, range=(-limit, limit))
    top = max(int(counts.max()), 1)
    box = frame(WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM)
    plot_w = WIDTH - LEFT - RIGHT
    x_ticks = [
        {"at": round(LEFT + plot_w * f, 2), "label": minus(f"{v:.2g}"), "anchor": anchor}
        for f, v, anchor in ((0, -limit, "start"), (0.5, 0.0, "middle"), (1, limit, "end"))
    ]
    return {
        "bars": [{**bar, "count": int(c)} for bar, c in zip(bars(counts, top, box), counts)],
        "max_count": top,
        "max_count_text": integer(top),
        "limit": float(limit),
        "bin_width": float(edges[1] - edges[0]),
        "x_ticks": x_ticks,
        **box,
        # where the view puts text: tick labels under the axis, the count and its name at the top
        # left, the unit under the middle
        "tick_y": HEIGHT - BOTTOM + 13,
        "count_x": LEFT - 4,
        "name_x": LEFT + 4,
        "name_y": TOP + 8,
        "unit_x": (LEFT + WIDTH - RIGHT) / 2,
        "unit_y": HEIGHT - 2,
    }


def grid_lines(hist: dict, absmax: float, bits: int) -> list:  # -> x positions (SVG units) of the grid
    """Where the values one per-tensor scale can store fall on the weight histogram (int4: 15 of them).

    With 255 values (int8) the lines would fill the plot, so only grids of at most 15 values are drawn.
    """
    qmax = 2 ** (bits - 1) - 1
    if 2 * qmax + 1 > 15 or absmax <= 0:
        return []
    plot_w = hist["right"] - hist["left"]
    return [round(hist["left"] + plot_w * (q / qmax + 1) / 2, 2) for q in range(-qmax, qmax + 1)]


def quantize(w: np.ndarray, p: dict):  # -> w_hat, error, bits, n_scales, notes
    """w in the chosen format: (its dequantized values, the error, bits a weight, scales stored, notes)."""
    fmt, notes = p["format"], []
    if fmt == "fp16":
        w_hat, error = to_fp16(w)
        return w_hat.astype(np.float32), error, 16, 0, notes
    if fmt == "bf16":
        w_hat, error = to_bf16(w)
        return w_hat, error, 16, 0, notes
    bits = FORMATS[fmt]
    if p["granularity"] == "per-tensor":
        q, scales, error = quantize_absmax(w, bits)
    elif p["granularity"] == "per-channel":
        # x @ w with w [d_in, d_out]: an output channel is a column (axis 1). The embedding table is read by
        # rows (a token's vector, and a token's logit through the tied output), so its channel is a row.
        q, scales, error = quantize_absmax(w, bits, axis=0 if p["matrix"] == "tok_emb" else 1)
    else:
        group = p["group_size"]
        if w.shape[-1] % group:  # wk / wv are 64 wide: a group of 128 cannot fit in a row
            group = w.shape[-1]
            notes.append(
                f"Rows of this matrix hold {w.shape[-1]} weights, so groups of {p['group_size']} do "
                f"not fit: one group per row of {group} is used."
            )
        q, scales, error = quantize_absmax(w, bits, group_size=group)
    return dequantize(q, scales).astype(np.float32), error, bits, int(np.size(scales)), notes


def small(x: float) -> str:
    """An error as the table prints it: 0, 0.0123, and below 0.001 in scientific notation, 6.10e−05."""
    return "0" if x == 0 else sci(x, 2) if x < 0.001 else fixed(x, 4)


def texts(r: dict) -> dict:
    """Every number the figure prints, formatted."""
    e, n_scales = r["error"], r["n_scales"]
    scales = f" ({integer(n_scales)} scale{'' if n_scales == 1 else 's'}: {integer(r['bytes_scales'])} bytes)"
    return {
        "n_weights": integer(r["n_weights"]),
        "absmax": fixed(r["absmax"], 4),
        "absmax_3": fixed(r["absmax"], 3),
        "rms": fixed(r["rms"], 4),
        "max_abs": small(e["max_abs"]),
        "rmse": small(e["rmse"]),
        "relative": percent(e["relative"], 2),
        "bytes_fp32": integer(r["bytes_fp32"]),
        "bytes_after": integer(r["bytes_after"]) + (scales if r["integer"] else ""),
        "bits_per_weight": f"{r['bits_per_weight']:.3g}",
        "ratio": fixed(r["ratio"], 2),
    }


def compute(params: dict) -> dict:
    p = read_params(params)
    name = weight_name(p["layer"], p["matrix"])
    w = tiny().weights[name]  # float32 [d_in, d_out] (tok_emb: [n_vocab, d_model])
    w_hat, error, bits, n_scales, notes = quantize(w, p)
    diff = w_hat.astype(np.float64) - w
    absmax = float(np.max(np.abs(w)))
    fp32 = quantized_bytes(w.size, 32)
    after = quantized_bytes(w.size, bits, n_scales, SCALE_BYTES)
    if error["max_abs"] == 0:
        notes.append(
            "Every weight came back exactly: the tiny model’s weights are shipped in fp16, so they "
            "already are fp16 numbers and rounding to fp16 changes nothing."
        )
    integer = p["format"].startswith("int")
    weights = histogram(w, absmax)
    result = {
        "name": name,
        "label": LABELS[p["matrix"]],
        "shape": list(w.shape),
        "n_weights": int(w.size),
        "absmax": absmax,
        "rms": float(np.sqrt(np.mean(np.square(w, dtype=np.float64)))),
        "weights": weights,
        "grid": grid_lines(weights, absmax, bits) if integer and p["granularity"] == "per-tensor" else [],
        "errors": histogram(diff, error["max_abs"]),
        "error": {key: float(error[key]) for key in ("max_abs", "mean_abs", "rmse", "relative")},
        "bits": bits,
        "integer": integer,
        "n_levels": 2**bits - 1 if integer else None,  # the symmetric grid: -qmax..qmax
        "n_scales": n_scales,
        "bytes_fp32": fp32,
        "bytes_after": after,
        "bytes_scales": n_scales * SCALE_BYTES,
        "bits_per_weight": 8 * after / w.size,
        "ratio": fp32 / after,
        "params": p,
        "note": " ".join(notes) or None,
    }
    return {**result, "text": texts(result)}
