"""Checkpoints: a model's weights stored compactly in one .npz, and read back as float32.

The "watch it learn" widget loads several snapshots of the tiny model taken during training; shipped
at full precision they would not fit the site's budget, so each is stored in one of these formats:

    fp32  4 bytes a weight     the training result as it is
    fp16  2 bytes a weight     IEEE half precision (Glassbox ships the final weights this way)
    int8  8 bits + an fp16 scale per group of group_size weights (8.5 bits for groups of 32)
    int4  4 bits, two to a byte, + an fp16 scale per group (4.5 bits: ggml's Q4_0 layout in spirit)

Quantized weights use quantization.py's symmetric absmax grid, in groups along the last axis (for
x @ w with w [d_in, d_out]: groups of consecutive output units of one input row). Vectors (the norm
gains) and matrices whose last axis group_size does not divide stay fp16: they are a tiny part.
Entries of the .npz: NAME (a plain array), or NAME.q8 / NAME.q4 (codes), NAME.scales (fp16) and, for
int4, NAME.shape. As the style guide asks of lossy steps, pack_weights reports its own error.

>>> w = {"w": np.array([[0.5, -1.0, 0.25, 0.0]], dtype=np.float32)}
>>> arrays, errors = pack_weights(w, "int8", group_size=4)
>>> arrays["w.q8"].tolist(), unpack_weights(arrays)["w"].tolist()  # scale 1/127 stored in fp16
([[64, -127, 32, 0]], [[0.50390625, -0.99993896484375, 0.251953125, 0.0]])
"""

import numpy as np

from .quantization import pack_int4, quantization_error, quantize_with, unpack_int4

FORMATS = ("fp32", "fp16", "int8", "int4")


def quantize_groups(w, bits, group_size):  # [..., n] -> int8 [..., n], fp16 [..., n // group_size]
    """Group-wise absmax codes, with each group's scale rounded to fp16 before the codes are computed.

    subtle: rounding the scales after quantizing would make every reconstruction a little off; scales
    rounded first are exactly the ones dequantization uses (a rounded-down scale may clip the group's
    largest value by a fraction of a step, which quantize_with's clip handles).
    """
    qmax = 2 ** (bits - 1) - 1
    groups = w.reshape(*w.shape[:-1], w.shape[-1] // group_size, group_size)  # [..., n] -> [..., n_g, g]
    scales = (np.max(np.abs(groups), axis=-1) / qmax).astype(np.float16)  # [..., n_g]
    q = quantize_with(groups, scales[..., None].astype(np.float32), qmax)
    return q.reshape(w.shape), scales


def dequantize_groups(q, scales):  # int8 [..., n], fp16 [..., n_g] -> float32 [..., n]
    """codes * scale, each group of n // n_g codes with its scale."""
    group_size = q.shape[-1] // scales.shape[-1]
    groups = q.reshape(*q.shape[:-1], scales.shape[-1], group_size).astype(np.float32)
    return (groups * scales[..., None].astype(np.float32)).reshape(q.shape)


def pack_weights(weights, fmt="fp16", group_size=32):  # {name: array} -> {key: array}, {name: error}
    """The arrays to np.savez for weights stored as fmt, and each weight's error (quantization_error)."""
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, got {fmt!r}")
    arrays, errors = {}, {}
    for name, w in weights.items():
        w = np.asarray(w, dtype=np.float32)
        if fmt == "fp32":
            arrays[name] = stored = w
        elif fmt == "fp16" or w.ndim < 2 or w.shape[-1] % group_size:
            arrays[name] = stored = w.astype(np.float16)
        else:
            bits = 8 if fmt == "int8" else 4
            q, scales = quantize_groups(w, bits, group_size)
            if bits == 8:
                arrays[f"{name}.q8"] = q
            else:
                arrays[f"{name}.q4"] = pack_int4(q)
                arrays[f"{name}.shape"] = np.array(w.shape, dtype=np.int64)
            arrays[f"{name}.scales"] = scales
            stored = dequantize_groups(q, scales)
        errors[name] = quantization_error(w, stored)
    return arrays, errors


def unpack_weights(arrays):  # {key: array} from pack_weights -> {name: float32 array}
    """Undo pack_weights: plain arrays cast to float32, quantized ones dequantized."""
    weights = {}
    for key, value in arrays.items():
        if key.endswith(".q8"):
            name = key[:-3]
            weights[name] = dequantize_groups(value, arrays[f"{name}.scales"])
        elif key.endswith(".q4"):
            name = key[:-3]
            shape = tuple(int(n) for n in arrays[f"{name}.shape"])
            q = unpack_int4(value, int(np.prod(shape))).reshape(shape)  # [bytes] -> [n] -> shape
            weights[name] = dequantize_groups(q, arrays[f"{name}.scales"])
        elif not key.endswith((".scales", ".shape")):
            weights[key] = np.asarray(value, dtype=np.float32)
    return weights


def total_error(weights, errors):  # -> dict
    """One error over all weights: the relative (Frobenius) error of everything, and the worst max_abs."""
    total = sum(float(np.sum(np.asarray(w, dtype=np.float64) ** 2)) for w in weights.values())
    err = sum(
        (e["relative"] ** 2) * float(np.sum(np.asarray(weights[n], dtype=np.float64) ** 2)) for n, e in errors.items()
    )
    return {
        "relative": float(np.sqrt(err / total)) if total else 0.0,
        "max_abs": max((e["max_abs"] for e in errors.values()), default=0.0),
    }
